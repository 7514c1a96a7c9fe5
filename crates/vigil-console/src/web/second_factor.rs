//! The second step of a sign-in for users enrolled in TOTP: after the right password, the browser
//! holds only a short-lived, single-purpose cookie naming a pending sign-in (kept here, in memory,
//! bounded), and the form asks for the code from the person's app. No session exists until the code
//! is right; a wrong or reused code counts towards the account's lock-out
//! ([`crate::login::second_factor`]).

use super::App;
use super::pages::{Me, Page, from, locked_message, login_page, refuse, render, throttled};
use super::session::{cookie, cookie_name, login_cookie_name, set_cookie};
use crate::login::{LoginOutcome, second_factor};
use crate::secret::{random_hex, same_secret, sha256_hex};
use askama::Template;
use axum::Extension;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use std::collections::HashMap;
use vigil_serve::ClientAddr;

/// Pending sign-ins kept at once; the oldest goes first beyond it.
pub const MAX_PENDING: usize = 1024;
/// Time to type the code.
pub const PENDING_FOR: SignedDuration = SignedDuration::from_mins(5);
/// Codes tried per pending sign-in before the password must be given again.
pub const TRIES: u32 = 5;

struct Pending {
    user: String,
    expires: Timestamp,
    tries: u32,
}

/// Sign-ins whose password was right, waiting for their code, by the SHA-256 of their cookie.
#[derive(Default)]
pub(crate) struct PendingLogins {
    by_hash: HashMap<String, Pending>,
}

impl PendingLogins {
    fn start(&mut self, user: String, now: Timestamp) -> Result<String, crate::ConsoleError> {
        self.by_hash.retain(|_, p| p.expires > now);
        if self.by_hash.len() >= MAX_PENDING
            && let Some(oldest) = self
                .by_hash
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(k, _)| k.clone())
        {
            self.by_hash.remove(&oldest);
        }
        let id = random_hex()?;
        self.by_hash.insert(
            sha256_hex(&id),
            Pending {
                user,
                expires: now + PENDING_FOR,
                tries: 0,
            },
        );
        Ok(id)
    }

    /// The user of pending sign-in `id`, counting a try; `None` when it is unknown, expired or out
    /// of tries (then it is forgotten).
    fn try_code(&mut self, id: &str, now: Timestamp) -> Option<String> {
        let hash = sha256_hex(id);
        let p = self.by_hash.get_mut(&hash)?;
        if p.expires <= now || p.tries >= TRIES {
            self.by_hash.remove(&hash);
            return None;
        }
        p.tries += 1;
        Some(p.user.clone())
    }

    fn end(&mut self, id: &str) {
        self.by_hash.remove(&sha256_hex(id));
    }
}

/// The cookie of a pending sign-in.
fn pending_cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-vigil-code"
    } else {
        "vigil-code"
    }
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    me: Option<Me>,
    csrf: String,
    message: Option<String>,
}

/// The code form, with a fresh double-submit CSRF token; `pending` sets the pending sign-in's cookie.
fn code_page(
    app: &App,
    status: StatusCode,
    message: Option<String>,
    pending: Option<&str>,
) -> Page {
    let csrf =
        random_hex().map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))?;
    let mut response = render(&CodePage {
        me: None,
        csrf: csrf.clone(),
        message,
    });
    *response.status_mut() = status;
    let tls = app.settings.tls;
    let max_age = PENDING_FOR.as_secs();
    let mut cookies = vec![set_cookie(
        login_cookie_name(tls),
        &csrf,
        tls,
        Some(max_age),
    )];
    if let Some(id) = pending {
        cookies.push(set_cookie(pending_cookie_name(tls), id, tls, Some(max_age)));
    }
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// The answer to a right password for a user with a second factor: the code form.
pub(crate) fn challenge(app: &App, user: String) -> Page {
    let id = app
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .start(user, Timestamp::now())
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))?;
    code_page(app, StatusCode::OK, None, Some(&id))
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

fn clear(response: &mut Response, tls: bool) {
    for name in [pending_cookie_name(tls), login_cookie_name(tls)] {
        if let Ok(v) = HeaderValue::from_str(&set_cookie(name, "", tls, Some(0))) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

pub(crate) async fn submit(
    State(app): State<App>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Page {
    let tls = app.settings.tls;
    let expected = cookie(&headers, login_cookie_name(tls)).unwrap_or_default();
    if expected.is_empty() || !same_secret(expected, &form.csrf) {
        return login_page(
            &app,
            StatusCode::FORBIDDEN,
            Some("The form expired or did not come from this console; sign in again.".into()),
        );
    }
    if throttled(&app, &addr) {
        return code_page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many sign-in attempts from this address; wait a minute.".into()),
            None,
        );
    }
    let id = cookie(&headers, pending_cookie_name(tls)).unwrap_or_default();
    let now = Timestamp::now();
    let user = app
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .try_code(id, now);
    let Some(user) = user else {
        return login_page(
            &app,
            StatusCode::UNAUTHORIZED,
            Some("The sign-in expired or had too many wrong codes; sign in again.".into()),
        );
    };
    let outcome = {
        let mut store = app.store();
        second_factor(
            &mut *store,
            &user,
            &form.code,
            &app.settings.lockout,
            &from(addr),
            now,
        )
        .map_err(|e| {
            tracing::error!("console: second factor: {e}");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The code could not be checked.",
                None,
            )
        })?
    };
    let end = |app: &App| {
        app.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .end(id)
    };
    match outcome {
        LoginOutcome::Accepted { session_id, .. } => {
            end(&app);
            let mut r = Redirect::to("/overview").into_response();
            clear(&mut r, tls);
            if let Ok(v) =
                HeaderValue::from_str(&set_cookie(cookie_name(tls), &session_id, tls, None))
            {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        LoginOutcome::Locked { until, locked } => {
            end(&app);
            let mut r = login_page(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                Some(locked_message(until, locked)),
            )?;
            clear(&mut r, tls);
            Ok(r)
        }
        LoginOutcome::Refused | LoginOutcome::SecondFactor { .. } => code_page(
            &app,
            StatusCode::UNAUTHORIZED,
            Some("Wrong or already used code; type the one your app shows now.".into()),
            None,
        ),
    }
}
