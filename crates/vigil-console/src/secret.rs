//! Random secrets (session ids, CSRF tokens, API tokens) and how they are kept: only their SHA-256.

use crate::error::ConsoleError;
use sha2::{Digest, Sha256};
use vigil_store::trail::hex;

/// The prefix of an API token, so that one pasted by mistake (in a log, a ticket) is recognisable.
pub const TOKEN_PREFIX: &str = "vgl_";

/// 256 random bits from the operating system, as lower-case hex.
pub fn random_hex() -> Result<String, ConsoleError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| ConsoleError::Random(e.to_string()))?;
    Ok(hex(&buf))
}

/// A new API token: `vgl_` and 256 random bits in hex. Shown once; only [`sha256_hex`] of it is kept.
pub fn new_api_token() -> Result<String, ConsoleError> {
    Ok(format!("{TOKEN_PREFIX}{}", random_hex()?))
}

/// SHA-256 of `s`, lower-case hex: what the store keeps of a token or a session id. A fast hash is
/// enough here (unlike passwords): the secrets are 256 random bits, so there is nothing to guess.
pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = new_api_token().unwrap();
        let b = new_api_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(sha256_hex(&a).len(), 64);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same_secret("x1", "x1") && !same_secret("x1", "x2") && !same_secret("x", "xx"));
    }
}
