//! Who may use the console and the API: user accounts (role, Argon2id password hash, lock-out state),
//! API tokens (kept as SHA-256 hashes, with role, expiry and revocation) and console sessions (kept as
//! hashes of their ids). Every change is recorded in the audit trail in the same transaction, so a
//! change and its trail entry are never one without the other.
//!
//! The store keeps hashes only; making them (Argon2id, SHA-256, random ids) is the console's.

use crate::error::StoreError;
use crate::trail::TrailDraft;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// What a person or token may do, each role including the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything but the audit trail.
    Viewer,
    /// Also acknowledges and resolves alerts.
    Responder,
    /// Also manages users and tokens and reads the audit trail.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "responder" => Ok(Role::Responder),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role '{other}' (viewer, responder or admin)"
            )),
        }
    }
}

/// A user to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    /// The PHC string of the password's Argon2id hash.
    pub password_hash: String,
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: Timestamp,
    /// Wrong passwords since the last successful login.
    pub failed_logins: u32,
    /// No login is tried before this instant (back-off or lock-out).
    pub locked_until: Option<Timestamp>,
    pub last_login: Option<Timestamp>,
}

/// When wrong passwords slow down and then lock an account. Plain data, documented in `docs/console.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Wrong passwords allowed before each further try must wait.
    pub free_attempts: u32,
    /// The first wait; it doubles with each further wrong password.
    pub base_delay: SignedDuration,
    /// The longest wait of the back-off.
    pub max_delay: SignedDuration,
    /// Wrong passwords in a row that lock the account.
    pub lock_after: u32,
    /// How long a locked account stays locked (`vigil user unlock` ends it sooner).
    pub lock_for: SignedDuration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            free_attempts: 3,
            base_delay: SignedDuration::from_secs(1),
            max_delay: SignedDuration::from_secs(60),
            lock_after: 10,
            lock_for: SignedDuration::from_secs(30 * 60),
        }
    }
}

impl LockoutPolicy {
    /// Until when the account waits after its `failures`-th wrong password in a row at `now`.
    pub fn locked_until(&self, failures: u32, now: Timestamp) -> Option<Timestamp> {
        if failures >= self.lock_after {
            return now.checked_add(self.lock_for).ok();
        }
        if failures <= self.free_attempts {
            return None;
        }
        let doublings = (failures - self.free_attempts - 1).min(30);
        let delay = self
            .base_delay
            .checked_mul(1i32 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        if delay.is_zero() {
            return None;
        }
        now.checked_add(delay).ok()
    }

    /// Whether `failures` wrong passwords lock the account (rather than only slow it down).
    pub fn is_locked(&self, failures: u32) -> bool {
        failures >= self.lock_after
    }
}

/// An API token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    /// SHA-256 of the secret, lower-case hex.
    pub hash: String,
    pub expires_at: Option<Timestamp>,
}

/// A token as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
}

impl TokenRecord {
    /// Whether the token may be used at `now`.
    pub fn is_valid(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// A console session as stored, with its user's current role and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: String,
    pub role: Role,
    pub disabled: bool,
    /// The synchronizer token every state-changing form of this session must carry.
    pub csrf: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
}

/// A session to open at a successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the session id, lower-case hex.
    pub id_hash: String,
    pub csrf: String,
}

/// What a wrong password did to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    pub failures: u32,
    pub locked_until: Option<Timestamp>,
    pub locked: bool,
}

/// The password hash of a user invited but not yet signed up: not a PHC string, so no password
/// verifies against it.
pub const INVITED: &str = "!invited";

/// Accounts, tokens and sessions. Every method is one transaction; the ones that change something take
/// the trail entry that records it.
pub trait AccountStore {
    /// Adds a user; refuses a name already taken.
    fn add_user(
        &mut self,
        user: &NewUser,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError>;
    fn users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Disables or enables a user; disabling ends their sessions. Errors on an unknown name.
    fn set_user_disabled(
        &mut self,
        name: &str,
        disabled: bool,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Replaces a user's password hash and ends every session of theirs but `keep` (the id hash of
    /// the session changing it, if any), with the trail entry, in one transaction. Errors on an
    /// unknown name.
    fn set_password(
        &mut self,
        name: &str,
        password_hash: &str,
        keep: Option<&str>,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Clears the wrong-password count and any lock of a user.
    fn unlock_user(
        &mut self,
        name: &str,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Counts a wrong password for `name` (atomically, so parallel tries all count) and records it.
    fn record_failed_login(
        &mut self,
        name: &str,
        policy: &LockoutPolicy,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<LoginFailure, StoreError>;
    /// A successful login: clears the failure count and opens the session.
    fn record_login(
        &mut self,
        name: &str,
        session: &NewSession,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    fn touch_session(&mut self, id_hash: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Ends a session (logout, timeout); recorded when `trail` is given.
    fn end_session(
        &mut self,
        id_hash: &str,
        trail: Option<&TrailDraft>,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Adds a user who has no password yet ([`INVITED`] in its place) and the invitation that lets
    /// them choose one (the SHA-256 of its secret), valid until `expires_at`: one transaction.
    fn add_invited_user(
        &mut self,
        user: &NewUser,
        invite_hash: &str,
        expires_at: Timestamp,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// The user an invitation is for and when it expires, while it can still be accepted (not used,
    /// not expired at `at`, the user not disabled).
    fn invite(
        &self,
        invite_hash: &str,
        at: Timestamp,
    ) -> Result<Option<(String, Timestamp)>, StoreError>;
    /// Accepts an invitation: the user's password becomes `password_hash`, the invitation is used up,
    /// and the trail records it (`user.invite.accept`, by the user), in one transaction. The user's
    /// name, or `None` when the invitation cannot be accepted (unknown, used, expired, user disabled).
    fn accept_invite(
        &mut self,
        invite_hash: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> Result<Option<String>, StoreError>;

    fn add_token(
        &mut self,
        token: &NewToken,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<i64, StoreError>;
    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// The token whose secret hashes to `hash` (valid or not), and notes its use.
    fn token_by_hash(
        &mut self,
        hash: &str,
        at: Timestamp,
    ) -> Result<Option<TokenRecord>, StoreError>;
    /// Revokes a token; false when it was already revoked. Errors on an unknown id.
    fn revoke_token(
        &mut self,
        id: i64,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_then_ten_wrong_passwords_lock() {
        let p = LockoutPolicy::default();
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        assert_eq!(p.locked_until(3, now), None);
        assert_eq!(
            p.locked_until(4, now),
            Some(now + SignedDuration::from_secs(1))
        );
        assert_eq!(
            p.locked_until(6, now),
            Some(now + SignedDuration::from_secs(4))
        );
        assert_eq!(
            p.locked_until(9, now),
            Some(now + SignedDuration::from_secs(32))
        );
        assert!(!p.is_locked(9));
        assert!(p.is_locked(10));
        assert_eq!(
            p.locked_until(10, now),
            Some(now + SignedDuration::from_secs(1800))
        );
    }

    #[test]
    fn roles_are_ordered_and_named() {
        assert!(Role::Viewer < Role::Responder && Role::Responder < Role::Admin);
        for r in [Role::Viewer, Role::Responder, Role::Admin] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
