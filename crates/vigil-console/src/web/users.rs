//! `/users`: administrators manage the console's accounts and API tokens in the browser, as
//! `vigil user` and `vigil token` do on the server: invite a user (the link shown once), disable,
//! enable, unlock; create a token (shown once) and revoke one. Every change is one transaction with
//! its trail entry, by the administrator signed in.

use super::App;
use super::breach::segment;
use super::pages::{CsrfForm, Me, Page, acting_as, refuse, render, signed_in, when};
use super::session::Session;
use crate::accounts;
use crate::permissions::{Permission, allows};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use vigil_store::{AccountStore, Role, SecondFactorStore, TrailDraft};

const REFUSED: &str = "Only administrators manage users and tokens.";

struct UserLine {
    name: String,
    path: String,
    role: String,
    state: String,
    last: String,
    disabled: bool,
    locked: bool,
    /// Enrolled in a second factor.
    totp: bool,
}

struct TokenLine {
    id: i64,
    name: String,
    role: String,
    state: String,
    last: String,
    usable: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    me: Option<Me>,
    me_name: String,
    csrf: String,
    users: Vec<UserLine>,
    tokens: Vec<TokenLine>,
    /// A secret just made (an invitation link, a token), shown this once.
    shown: Option<(String, String)>,
    errors: Vec<String>,
}

fn users_page(
    app: &App,
    s: &Session,
    shown: Option<(String, String)>,
    errors: Vec<String>,
) -> Page {
    let now = Timestamp::now();
    let store = app.store();
    let users = store
        .users()?
        .into_iter()
        .map(|u| {
            let locked = u.locked_until.is_some_and(|t| t > now);
            let state = if u.disabled {
                "disabled".to_string()
            } else if u.password_hash == vigil_store::INVITED {
                "invited (no password yet)".to_string()
            } else if let Some(until) = u.locked_until.filter(|t| *t > now) {
                format!("locked until {}", when(until))
            } else {
                "active".to_string()
            };
            UserLine {
                totp: store.totp(&u.name).ok().flatten().is_some(),
                path: segment(&u.name),
                role: u.role.to_string(),
                last: u.last_login.map_or_else(|| "never".into(), when),
                disabled: u.disabled,
                locked,
                state,
                name: u.name,
            }
        })
        .collect();
    let tokens = store
        .tokens()?
        .into_iter()
        .map(|t| {
            let usable = t.is_valid(now);
            let state = match (t.revoked_at, t.expires_at) {
                (Some(at), _) => format!("revoked {}", when(at)),
                (None, Some(e)) if e <= now => format!("expired {}", when(e)),
                (None, Some(e)) => format!("valid until {}", when(e)),
                (None, None) => "valid, no expiry".into(),
            };
            TokenLine {
                id: t.id,
                name: t.name,
                role: t.role.to_string(),
                last: t.last_used.map_or_else(|| "never".into(), when),
                state,
                usable,
            }
        })
        .collect();
    drop(store);
    let refused = !errors.is_empty();
    let mut r = render(&UsersPage {
        me: Some(Me::of(s)),
        me_name: s.user.clone(),
        csrf: s.csrf.clone(),
        users,
        tokens,
        shown,
        errors,
    });
    if refused {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

pub(crate) async fn users(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !allows(s.role, Permission::ManageAccounts) {
        return Err(refuse(StatusCode::FORBIDDEN, REFUSED, Some(&s)));
    }
    users_page(&app, &s, None, Vec::new())
}

/// The console's address as the administrator's browser reached it (the `Host` it sent, when it is
/// a plain host and port), for the invitation link; empty (a relative link) otherwise.
fn base(headers: &HeaderMap, tls: bool) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    match host {
        Some(h) => format!("{}://{h}", if tls { "https" } else { "http" }),
        None => String::new(),
    }
}

fn role_of(text: &str) -> Option<Role> {
    text.parse().ok()
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    hours: String,
}

/// Invites a user; the page shows the link once.
pub(crate) async fn invite(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<InviteForm>,
) -> Page {
    let s = match acting_as(&app, &headers, &f.csrf, Permission::ManageAccounts, REFUSED)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let Some(role) = role_of(&f.role) else {
        return users_page(&app, &s, None, vec!["Choose a role.".into()]);
    };
    let Ok(hours) = f.hours.trim().parse::<i64>() else {
        return users_page(&app, &s, None, vec!["Give the validity in hours.".into()]);
    };
    let now = Timestamp::now();
    let made = accounts::invite(
        &mut *app.store(),
        f.name.trim(),
        role,
        SignedDuration::from_hours(hours.clamp(0, 10_000)),
        &s.user,
        now,
    );
    match made {
        Ok((secret, expires)) => {
            let link = format!("{}/invite?token={secret}", base(&headers, app.settings.tls));
            let what = format!(
                "Invitation for {} ({role}), valid until {}: send them this link.",
                f.name.trim(),
                when(expires)
            );
            users_page(&app, &s, Some((what, link)), Vec::new())
        }
        Err(e) => users_page(&app, &s, None, vec![e.to_string()]),
    }
}

/// Disables, enables or unlocks a user, or turns their second factor off (not oneself: an
/// administrator cannot lock themselves out, and turns their own factor off with a code).
pub(crate) async fn change(
    State(app): State<App>,
    headers: HeaderMap,
    Path((name, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Page {
    let s = match acting_as(&app, &headers, &f.csrf, Permission::ManageAccounts, REFUSED)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if name == s.user && action != "unlock" {
        let why = if action == "totp-remove" {
            "Turn your own second factor off on your account page, with a code."
        } else {
            "You cannot disable or enable yourself here."
        };
        return users_page(&app, &s, None, vec![why.into()]);
    }
    let now = Timestamp::now();
    let subject = format!("user:{name}");
    let mut store = app.store();
    if store.user(&name)?.is_none() {
        drop(store);
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "There is no such user.",
            Some(&s),
        ));
    }
    match action.as_str() {
        "disable" | "enable" => store.set_user_disabled(
            &name,
            action == "disable",
            &TrailDraft::new(&s.user, format!("user.{action}"), subject, ""),
            now,
        )?,
        "unlock" => store.unlock_user(
            &name,
            &TrailDraft::new(&s.user, "user.unlock", subject, ""),
            now,
        )?,
        // A lost phone: the user signs in with the password alone until they set up a new one.
        "totp-remove" if store.totp(&name)?.is_some() => store.set_totp(
            &name,
            None,
            &TrailDraft::new(&s.user, "user.totp.remove", subject, "by an administrator"),
            now,
        )?,
        _ => {
            drop(store);
            return Err(refuse(StatusCode::NOT_FOUND, "No such change.", Some(&s)));
        }
    }
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    days: String,
}

/// Longest a token made in the browser may last, in days (0: no expiry).
const MAX_TOKEN_DAYS: i64 = 3650;

/// Creates an API token; the page shows it once.
pub(crate) async fn create_token(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Page {
    let s = match acting_as(&app, &headers, &f.csrf, Permission::ManageAccounts, REFUSED)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let Some(role) = role_of(&f.role) else {
        return users_page(&app, &s, None, vec!["Choose a role.".into()]);
    };
    let days = match f.days.trim().parse::<i64>() {
        Ok(d) if (0..=MAX_TOKEN_DAYS).contains(&d) => d,
        _ => {
            return users_page(
                &app,
                &s,
                None,
                vec![format!(
                    "Give the expiry in days, 0 to {MAX_TOKEN_DAYS} (0: never)."
                )],
            );
        }
    };
    let now = Timestamp::now();
    let expires_at = (days > 0)
        .then(|| now.checked_add(SignedDuration::from_hours(days * 24)).ok())
        .flatten();
    let made = accounts::create_token(
        &mut *app.store(),
        f.name.trim(),
        role,
        expires_at,
        &s.user,
        now,
    );
    match made {
        Ok((id, token)) => users_page(
            &app,
            &s,
            Some((
                format!("Token {id} ({}, {role}) created.", f.name.trim()),
                token,
            )),
            Vec::new(),
        ),
        Err(e) => users_page(&app, &s, None, vec![e.to_string()]),
    }
}

/// Revokes a token.
pub(crate) async fn revoke_token(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Page {
    let s = match acting_as(&app, &headers, &f.csrf, Permission::ManageAccounts, REFUSED)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let revoked = app.store().revoke_token(
        id,
        &TrailDraft::new(&s.user, "token.revoke", format!("token:{id}"), ""),
        Timestamp::now(),
    );
    match revoked {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(vigil_store::StoreError::NoSuchToken { .. }) => Err(refuse(
            StatusCode::NOT_FOUND,
            "There is no such token.",
            Some(&s),
        )),
        Err(e) => Err(e.into()),
    }
}
