//! A login: the lock-out first (a locked account is not even checked, so guessing on gains nothing),
//! then the password, then — for a user enrolled in TOTP — a code from their app ([`second_factor`]),
//! then a new session with a new id — never one the browser brought, so a planted id is useless.
//! A wrong or reused code counts towards the lock-out as a wrong password does. Every outcome is an
//! audit-trail entry.

use crate::error::ConsoleError;
use crate::password;
use crate::secret::{random_hex, sha256_hex};
use jiff::Timestamp;
use vigil_store::{
    AccountStore, LockoutPolicy, NewSession, Role, SecondFactorStore, TrailDraft, TrailStore,
};

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
    /// The password was right and the user has a second factor: no session until a code is given
    /// ([`second_factor`]).
    SecondFactor { user: String },
}

/// Counts a failed try (`why`, in the trail) and says what it did to the account; `may_lock` false
/// (an unknown or disabled account) always answers [`LoginOutcome::Refused`], so the answer tells
/// nothing of the account.
fn failed<S: AccountStore + TrailStore>(
    store: &mut S,
    name: &str,
    why: &str,
    may_lock: bool,
    policy: &LockoutPolicy,
    from: &str,
    now: Timestamp,
) -> Result<LoginOutcome, ConsoleError> {
    let failure = store.record_failed_login(
        name,
        policy,
        &TrailDraft::new(
            name,
            "login.failed",
            format!("user:{name}"),
            format!("{why}, from {from}"),
        ),
        now,
    )?;
    Ok(match failure.locked_until.filter(|_| may_lock) {
        Some(until) => LoginOutcome::Locked {
            until,
            locked: failure.locked,
        },
        None => LoginOutcome::Refused,
    })
}

/// The answer to a try on a locked account, recorded.
fn refused_locked<S: TrailStore>(
    store: &mut S,
    name: &str,
    until: Timestamp,
    locked: bool,
    from: &str,
    now: Timestamp,
) -> Result<LoginOutcome, ConsoleError> {
    store.append_trail(
        &TrailDraft::new(
            name,
            "login.refused",
            format!("user:{name}"),
            format!("locked until {until}, from {from}"),
        ),
        now,
    )?;
    Ok(LoginOutcome::Locked { until, locked })
}

/// Opens a session for `name`, recorded with `detail`.
fn open_session<S: AccountStore + TrailStore>(
    store: &mut S,
    name: &str,
    role: Role,
    detail: String,
    now: Timestamp,
) -> Result<LoginOutcome, ConsoleError> {
    let session_id = random_hex()?;
    let csrf = random_hex()?;
    store.record_login(
        name,
        &NewSession {
            id_hash: sha256_hex(&session_id),
            csrf: csrf.clone(),
        },
        &TrailDraft::new(name, "login", format!("user:{name}"), detail),
        now,
    )?;
    Ok(LoginOutcome::Accepted {
        user: name.to_string(),
        role,
        session_id,
        csrf,
    })
}

/// Tries `name` / `password` at `now`; `from` (the client's address) goes into the trail.
pub fn login<S: AccountStore + TrailStore + SecondFactorStore>(
    store: &mut S,
    name: &str,
    password: &str,
    policy: &LockoutPolicy,
    from: &str,
    now: Timestamp,
) -> Result<LoginOutcome, ConsoleError> {
    let user = store.user(name)?;
    let Some(user) = user else {
        password::verify_nothing(password);
        return failed(store, name, "unknown user", false, policy, from, now);
    };
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        let locked = policy.is_locked(user.failed_logins);
        return refused_locked(store, name, until, locked, from, now);
    }
    if user.disabled || !password::verify(password, &user.password_hash) {
        let why = if user.disabled {
            "account disabled"
        } else {
            "wrong password"
        };
        return failed(store, name, why, !user.disabled, policy, from, now);
    }
    if store.totp(name)?.is_some() {
        return Ok(LoginOutcome::SecondFactor { user: user.name });
    }
    open_session(store, &user.name, user.role, format!("from {from}"), now)
}

/// The second step of a login for `name`, whose password was right: the code from their app. A
/// wrong code, or one already used (each code opens one session), counts as a failed login.
pub fn second_factor<S: AccountStore + TrailStore + SecondFactorStore>(
    store: &mut S,
    name: &str,
    code: &str,
    policy: &LockoutPolicy,
    from: &str,
    now: Timestamp,
) -> Result<LoginOutcome, ConsoleError> {
    let (Some(user), Some(totp)) = (store.user(name)?, store.totp(name)?) else {
        return Ok(LoginOutcome::Refused);
    };
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        let locked = policy.is_locked(user.failed_logins);
        return refused_locked(store, name, until, locked, from, now);
    }
    if user.disabled {
        return failed(store, name, "account disabled", false, policy, from, now);
    }
    let Some(step) = crate::totp::verify(&totp.secret_hex, code, now) else {
        return failed(
            store,
            name,
            "wrong second-factor code",
            false,
            policy,
            from,
            now,
        );
    };
    if !store.take_totp_step(name, step)? {
        return failed(
            store,
            name,
            "second-factor code already used",
            true,
            policy,
            from,
            now,
        );
    }
    open_session(
        store,
        &user.name,
        user.role,
        format!("from {from}, with a second factor"),
        now,
    )
}
