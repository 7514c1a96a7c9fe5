//! `/account`: what signed-in users change of their own account, whatever their role.
//!
//! - **Password**: the current one first. A wrong one counts towards the lock-out as at sign-in, and a
//!   locked account is not checked at all, so a stolen session cannot be used to guess it. Every
//!   other session of the user ends with the change.
//! - **Second factor (TOTP)**: enrolling shows a new secret once and activates it only when a code
//!   from the app proves it was copied. Until then the secret is kept here, in memory, for this
//!   session only, bounded and short-lived. Removing it needs a current code, which is then used up,
//!   and a wrong code counts towards the lock-out.
//!
//! Every change is a trail entry: `user.password`, `user.totp.enrol`, `user.totp.remove`. An
//! administrator removes another user's second factor from `/users` (a lost phone).

use super::App;
use super::pages::{CsrfForm, Me, Page, acting_as, render, signed_in};
use super::session::Session;
use crate::password;
use crate::permissions::Permission;
use crate::totp;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use std::collections::HashMap;
use vigil_store::{AccountStore, SecondFactorStore, TrailDraft};

/// Enrolments waiting for their first code kept at once; the oldest goes first beyond it.
pub const MAX_ENROLLING: usize = 256;
/// Time to add the secret to an app and type its code.
pub const ENROL_FOR: SignedDuration = SignedDuration::from_mins(10);
/// Codes tried per enrolment before it must be started again.
pub const ENROL_TRIES: u32 = 5;

struct Enrolment {
    user: String,
    secret_hex: String,
    expires: Timestamp,
    tries: u32,
}

/// New secrets waiting for a code from the app, by the session that asked for them.
#[derive(Default)]
pub(crate) struct Enrolments {
    by_session: HashMap<String, Enrolment>,
}

impl Enrolments {
    fn start(&mut self, s: &Session, secret_hex: String, now: Timestamp) {
        self.by_session.retain(|_, e| e.expires > now);
        if self.by_session.len() >= MAX_ENROLLING
            && let Some(oldest) = self
                .by_session
                .iter()
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone())
        {
            self.by_session.remove(&oldest);
        }
        self.by_session.insert(
            s.id_hash.clone(),
            Enrolment {
                user: s.user.clone(),
                secret_hex,
                expires: now + ENROL_FOR,
                tries: 0,
            },
        );
    }

    /// The secret waiting for session `s`, if it is still valid.
    fn secret(&self, s: &Session, now: Timestamp) -> Option<&str> {
        self.by_session
            .get(&s.id_hash)
            .filter(|e| e.expires > now && e.user == s.user)
            .map(|e| e.secret_hex.as_str())
    }

    /// Counts a wrong code; the enrolment ends after [`ENROL_TRIES`].
    fn wrong_code(&mut self, s: &Session) -> bool {
        let ended = match self.by_session.get_mut(&s.id_hash) {
            Some(e) => {
                e.tries += 1;
                e.tries >= ENROL_TRIES
            }
            None => true,
        };
        if ended {
            self.by_session.remove(&s.id_hash);
        }
        ended
    }

    fn end(&mut self, s: &Session) {
        self.by_session.remove(&s.id_hash);
    }
}

/// A secret being enrolled, as shown.
struct Shown {
    secret: String,
    uri: String,
    /// The URI as an SVG QR code; empty when it cannot be encoded (the text still shows).
    qr: String,
}

/// `uri` drawn as an SVG QR code (the encoder's own markup: modules as paths, no text of the URI).
fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // The XML declaration has no place inside HTML.
            svg.find("<svg")
                .and_then(|at| svg.get(at..))
                .unwrap_or_default()
                .to_string()
        }
        Err(e) => {
            tracing::warn!("console: no QR code for an enrolment: {e}");
            String::new()
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    me: Option<Me>,
    name: String,
    role: String,
    csrf: String,
    totp: bool,
    enrolling: Option<Shown>,
    notice: String,
    errors: Vec<String>,
    min_len: usize,
}

fn page(app: &App, s: &Session, notice: &str, errors: Vec<String>) -> Page {
    let now = Timestamp::now();
    let totp = app.store().totp(&s.user)?.is_some();
    let enrolling = app
        .enrolling()
        .secret(s, now)
        .and_then(|hex| {
            let uri = totp::otpauth_uri("vigil", &s.user, hex)?;
            Some(Shown {
                secret: totp::secret_base32(hex)?,
                qr: qr_svg(&uri),
                uri,
            })
        })
        .filter(|_| !totp);
    Ok(render(&AccountPage {
        me: Some(Me::of(s)),
        name: s.user.clone(),
        role: s.role.to_string(),
        csrf: s.csrf.clone(),
        totp,
        enrolling,
        notice: notice.to_string(),
        errors,
        min_len: password::MIN_LEN,
    }))
}

/// The page with a notice of what was done.
fn told(app: &App, s: &Session, notice: &str) -> Page {
    page(app, s, notice, Vec::new())
}

/// The page with why nothing was done.
fn refused(app: &App, s: &Session, error: impl Into<String>) -> Page {
    page(app, s, "", vec![error.into()])
}

/// The account page.
pub(crate) async fn show(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    told(&app, &s, "")
}

/// Signs in the user acting on their own account (any role), with the form's CSRF token checked.
fn own(
    app: &App,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Result<Session, axum::response::Response>, super::pages::PageError> {
    acting_as(
        app,
        headers,
        csrf,
        Permission::Read,
        "Sign in to change your account.",
    )
}

/// Checks a secret of the account (`right` says whether it is), unless the account is locked: then
/// nothing is checked. A wrong secret counts as a failed sign-in. `Err` holds what to tell the user.
fn check_secret(
    app: &App,
    s: &Session,
    right: impl FnOnce() -> bool,
    what: &str,
) -> Result<(), String> {
    let now = Timestamp::now();
    let user = app.store().user(&s.user).ok().flatten();
    if let Some(until) = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|t| *t > now)
    {
        return Err(format!(
            "Too many wrong tries: nothing can be checked before {}.",
            super::pages::when(until)
        ));
    }
    // Checked without the store held: a password hash takes a while to verify.
    if right() {
        return Ok(());
    }
    let counted = app.store().record_failed_login(
        &s.user,
        &app.settings.lockout,
        &TrailDraft::new(
            &s.user,
            "login.failed",
            format!("user:{}", s.user),
            format!("wrong {what} on the account page"),
        ),
        now,
    );
    Err(match counted {
        Ok(f) if f.locked_until.is_some() => {
            format!("The {what} is wrong. Too many wrong tries: the account is locked for a while.")
        }
        _ => format!("The {what} is wrong; it counts as a failed sign-in."),
    })
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

/// Changes the signed-in user's password; their other sessions end.
pub(crate) async fn change_password(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Page {
    let s = match own(&app, &headers, &f.csrf)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let hash = app.store().user(&s.user)?.map(|u| u.password_hash);
    let right = || hash.is_some_and(|h| password::verify(&f.current, &h));
    if let Err(e) = check_secret(&app, &s, right, "current password") {
        return refused(&app, &s, e);
    }
    let mut errors = Vec::new();
    if f.new != f.again {
        errors.push("The two new passwords differ.".to_string());
    }
    if let Err(e) = password::check_strength(&f.new) {
        errors.push(format!("{e}."));
    }
    if f.new == f.current {
        errors.push("The new password is the current one.".to_string());
    }
    if !errors.is_empty() {
        return page(&app, &s, "", errors);
    }
    let phc = password::hash(&f.new)?;
    app.store().set_password(
        &s.user,
        &phc,
        Some(&s.id_hash),
        &TrailDraft::new(
            &s.user,
            "user.password",
            format!("user:{}", s.user),
            "changed on the account page; the user's other sessions ended",
        ),
        Timestamp::now(),
    )?;
    told(
        &app,
        &s,
        "Your password is changed; every other session of yours has ended.",
    )
}

/// Starts enrolling a second factor: a new secret, shown once, not active yet.
pub(crate) async fn totp_start(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Page {
    let s = match own(&app, &headers, &f.csrf)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if app.store().totp(&s.user)?.is_some() {
        return refused(
            &app,
            &s,
            "A second factor is set up already: remove it first to set up another.",
        );
    }
    let secret = totp::new_secret()?;
    app.enrolling().start(&s, secret, Timestamp::now());
    told(&app, &s, "")
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// Activates the enrolment with a code from the app (which is then used up).
pub(crate) async fn totp_confirm(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Page {
    let s = match own(&app, &headers, &f.csrf)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let now = Timestamp::now();
    let Some(secret) = app.enrolling().secret(&s, now).map(str::to_string) else {
        return refused(
            &app,
            &s,
            "There is no set-up waiting for a code (it lasts 10 minutes): start again.",
        );
    };
    let Some(step) = totp::verify(&secret, &f.code, now) else {
        let ended = app.enrolling().wrong_code(&s);
        let e = if ended {
            "The code is wrong, too many times: start again with a new secret."
        } else {
            "The code is wrong: check the app's clock and that the secret was typed as shown."
        };
        return refused(&app, &s, e);
    };
    {
        let mut store = app.store();
        store.set_totp(
            &s.user,
            Some(&secret),
            &TrailDraft::new(
                &s.user,
                "user.totp.enrol",
                format!("user:{}", s.user),
                "on the account page, confirmed with a code",
            ),
            now,
        )?;
        // The code that confirmed it cannot also open a session.
        store.take_totp_step(&s.user, step)?;
    }
    app.enrolling().end(&s);
    told(
        &app,
        &s,
        "The second factor is set up: a code from your app is asked for at every sign-in.",
    )
}

/// Removes the signed-in user's second factor, with a current code.
pub(crate) async fn totp_remove(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Page {
    let s = match own(&app, &headers, &f.csrf)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let now = Timestamp::now();
    let Some(record) = app.store().totp(&s.user)? else {
        return refused(&app, &s, "No second factor is set up.");
    };
    let step = totp::verify(&record.secret_hex, &f.code, now);
    if let Err(e) = check_secret(&app, &s, || step.is_some(), "code") {
        return refused(&app, &s, e);
    }
    let mut store = app.store();
    if let Some(step) = step
        && !store.take_totp_step(&s.user, step)?
    {
        drop(store);
        return refused(
            &app,
            &s,
            "That code was used already: wait for the next one.",
        );
    }
    store.set_totp(
        &s.user,
        None,
        &TrailDraft::new(
            &s.user,
            "user.totp.remove",
            format!("user:{}", s.user),
            "on the account page, with a code",
        ),
        now,
    )?;
    drop(store);
    told(
        &app,
        &s,
        "The second factor is removed: only your password protects this account now.",
    )
}
