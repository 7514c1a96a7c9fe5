//! Passwords: Argon2id with the OWASP parameters (19 MiB of memory, 2 passes, 1 lane), kept as PHC
//! strings so that the parameters travel with each hash and can be raised later without a migration.

use crate::error::ConsoleError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

/// Memory cost in KiB (OWASP Password Storage Cheat Sheet, Argon2id first option).
pub const MEMORY_KIB: u32 = 19_456;
/// Passes over memory.
pub const PASSES: u32 = 2;
/// Lanes.
pub const LANES: u32 = 1;
/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (hashing is costly enough without megabyte inputs).
pub const MAX_LEN: usize = 1024;

fn hasher() -> Result<Argon2<'static>, ConsoleError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| ConsoleError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Refuses a password too short or too long to be used.
pub fn check_strength(password: &str) -> Result<(), ConsoleError> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(ConsoleError::WeakPassword(format!(
            "is too short: at least {MIN_LEN} characters"
        )));
    }
    if password.len() > MAX_LEN {
        return Err(ConsoleError::WeakPassword(format!(
            "is too long: at most {MAX_LEN} bytes"
        )));
    }
    Ok(())
}

/// The PHC string of `password`'s Argon2id hash with a fresh random salt.
pub fn hash(password: &str) -> Result<String, ConsoleError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ConsoleError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ConsoleError::Hash(e.to_string()))?;
    Ok(hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| ConsoleError::Hash(e.to_string()))?
        .to_string())
}

/// Whether `password` matches the stored PHC string (with the parameters it names). A damaged hash
/// matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_LEN {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, for a login with an unknown name, so that the answer's timing
/// does not tell which names exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash("not a password of anyone").ok()) {
        let _ = verify(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_with_owasp_parameters_round_trips() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterz", &phc));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength(&"x".repeat(MAX_LEN + 1)).is_err());
        assert!(check_strength("long enough pw").is_ok());
    }
}
