//! The second factor of console accounts: a TOTP secret (RFC 6238) per user who enrolled, and the
//! last time step a code was accepted for, so that a code is accepted once.
//!
//! The secret is kept as it is: verifying a code needs it, and a key to encrypt it with would have to
//! live beside the store, readable by the same people. Whoever can read the store file can read the
//! secrets (as they can read the signing secret of alert links): the file must be readable by the
//! service's account only.

use crate::error::StoreError;
use crate::trail::TrailDraft;
use jiff::Timestamp;

/// A user's TOTP enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The shared secret, lower-case hex.
    pub secret_hex: String,
    /// The last time step (Unix time / 30 s) a code was accepted for.
    pub last_step: Option<i64>,
}

/// TOTP secrets of console users. Changes are recorded in the trail, in the same transaction.
pub trait SecondFactorStore {
    /// Enrols `name` with `secret_hex` (replacing an earlier secret), or removes the enrolment with
    /// `None`. Errors on an unknown name.
    fn set_totp(
        &mut self,
        name: &str,
        secret_hex: Option<&str>,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// The enrolment of `name`; `None` for a user without one (or no such user).
    fn totp(&self, name: &str) -> Result<Option<TotpRecord>, StoreError>;

    /// Takes time step `step` for `name`: true when it is later than every step accepted before
    /// (atomically, so one code cannot open two sessions), false when it was already used or a later
    /// one was.
    fn take_totp_step(&mut self, name: &str, step: i64) -> Result<bool, StoreError>;
}
