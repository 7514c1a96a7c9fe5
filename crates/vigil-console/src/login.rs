//! A login: the lock-out first (a locked account is not even checked, so guessing on gains nothing),
//! then the password, then a new session with a new id — never one the browser brought, so a planted
//! id is useless. Every outcome is an audit-trail entry.

use crate::error::ConsoleError;
use crate::password;
use crate::secret::{random_hex, sha256_hex};
use jiff::Timestamp;
use vigil_store::{AccountStore, LockoutPolicy, NewSession, Role, TrailDraft, TrailStore};

/// What a login attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// A session was opened: `session_id` goes in the cookie (only its hash is stored).
    Accepted {
        user: String,
        role: Role,
        session_id: String,
        csrf: String,
    },
    /// Unknown name, wrong password or disabled account: one answer for all, so names cannot be probed.
    Refused,
    /// Too many wrong passwords: no try is checked before `until`.
    Locked { until: Timestamp, locked: bool },
}

/// Tries `name` / `password` at `now`; `from` (the client's address) goes into the trail.
pub fn login<S: AccountStore + TrailStore>(
    store: &mut S,
    name: &str,
    password: &str,
    policy: &LockoutPolicy,
    from: &str,
    now: Timestamp,
) -> Result<LoginOutcome, ConsoleError> {
    let subject = format!("user:{name}");
    let user = store.user(name)?;
    let Some(user) = user else {
        password::verify_nothing(password);
        store.record_failed_login(
            name,
            policy,
            &TrailDraft::new(
                name,
                "login.failed",
                &subject,
                format!("unknown user, from {from}"),
            ),
            now,
        )?;
        return Ok(LoginOutcome::Refused);
    };
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        store.append_trail(
            &TrailDraft::new(
                name,
                "login.refused",
                &subject,
                format!("locked until {until}, from {from}"),
            ),
            now,
        )?;
        return Ok(LoginOutcome::Locked {
            until,
            locked: policy.is_locked(user.failed_logins),
        });
    }
    if user.disabled || !password::verify(password, &user.password_hash) {
        let why = if user.disabled {
            "account disabled"
        } else {
            "wrong password"
        };
        let failure = store.record_failed_login(
            name,
            policy,
            &TrailDraft::new(
                name,
                "login.failed",
                &subject,
                format!("{why}, from {from}"),
            ),
            now,
        )?;
        if let Some(until) = failure.locked_until.filter(|_| !user.disabled) {
            return Ok(LoginOutcome::Locked {
                until,
                locked: failure.locked,
            });
        }
        return Ok(LoginOutcome::Refused);
    }
    let session_id = random_hex()?;
    let csrf = random_hex()?;
    store.record_login(
        name,
        &NewSession {
            id_hash: sha256_hex(&session_id),
            csrf: csrf.clone(),
        },
        &TrailDraft::new(name, "login", &subject, format!("from {from}")),
        now,
    )?;
    Ok(LoginOutcome::Accepted {
        user: user.name,
        role: user.role,
        session_id,
        csrf,
    })
}
