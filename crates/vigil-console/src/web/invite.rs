//! `/invite?token=…`: an invited user (`vigil user add NAME --role R --invite`) chooses their own
//! password. The link's secret is the only credential: it works once, until it expires, and only its
//! SHA-256 is stored. Accepting it and its trail entry are one transaction.

use super::App;
use super::pages::{Page, refuse, render};
use crate::password;
use crate::secret::sha256_hex;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use jiff::Timestamp;
use serde::Deserialize;
use vigil_store::AccountStore;

/// Longest secret accepted in a link (the CLI makes 64 hexadecimal digits).
const MAX_TOKEN: usize = 128;

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    me: Option<super::pages::Me>,
    user: String,
    role: String,
    expires: String,
    token: String,
    min_len: usize,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct InviteQuery {
    #[serde(default)]
    token: String,
}

fn unusable() -> super::pages::PageError {
    refuse(
        StatusCode::NOT_FOUND,
        "This invitation is unknown, already used or expired: ask an administrator for a new one \
         (vigil user add NAME --role ROLE --invite).",
        None,
    )
}

/// The invitation's page for `token`, with `errors` from a refused form.
fn page(app: &App, token: &str, errors: Vec<String>) -> Page {
    if token.is_empty() || token.len() > MAX_TOKEN {
        return Err(unusable());
    }
    let store = app.store();
    let Some((user, expires)) = store.invite(&sha256_hex(token), Timestamp::now())? else {
        return Err(unusable());
    };
    let role = store
        .user(&user)?
        .map(|u| u.role.as_str().to_string())
        .unwrap_or_default();
    drop(store);
    let refused = !errors.is_empty();
    let mut r = render(&InvitePage {
        me: None,
        user,
        role,
        expires: super::pages::when(expires),
        token: token.to_string(),
        min_len: password::MIN_LEN,
        errors,
    });
    if refused {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

pub(crate) async fn form(State(app): State<App>, Query(q): Query<InviteQuery>) -> Page {
    page(&app, &q.token, Vec::new())
}

#[derive(Deserialize)]
pub(crate) struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

/// Sets the password and uses the invitation up; then the user signs in as anyone does.
pub(crate) async fn accept(State(app): State<App>, Form(f): Form<AcceptForm>) -> Page {
    if let Err(e) = password::check_strength(&f.password) {
        return page(&app, &f.token, vec![format!("{e}.")]);
    }
    if f.password != f.again {
        return page(&app, &f.token, vec!["The two passwords differ.".into()]);
    }
    if f.token.is_empty() || f.token.len() > MAX_TOKEN {
        return Err(unusable());
    }
    // Hashing costs 19 MiB and a noticeable time: only for an invitation that can be accepted, so
    // that made-up tokens cannot keep the console hashing.
    if app
        .store()
        .invite(&sha256_hex(&f.token), Timestamp::now())?
        .is_none()
    {
        return Err(unusable());
    }
    let phc = password::hash(&f.password)
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))?;
    let accepted = app
        .store()
        .accept_invite(&sha256_hex(&f.token), &phc, Timestamp::now())?;
    match accepted {
        Some(_) => Ok(Redirect::to("/login?welcome=1").into_response()),
        None => Err(unusable()),
    }
}
