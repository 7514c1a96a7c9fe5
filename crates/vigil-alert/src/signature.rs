//! The webhook signature: HMAC-SHA256 over `"<timestamp>.<body>"` with the webhook's secret, sent as
//! `X-Vigil-Timestamp: <Unix seconds>` and `X-Vigil-Signature: sha256=<hex>`. Binding the timestamp
//! lets a receiver refuse a replayed request: [`verify`] checks the MAC in constant time and that the
//! timestamp is within a tolerance of its own clock.

use crate::error::hex;
use hmac::{KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

pub const TIMESTAMP_HEADER: &str = "X-Vigil-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Vigil-Signature";

/// A replay window receivers may use: five minutes either way.
pub const DEFAULT_TOLERANCE: SignedDuration = SignedDuration::from_secs(300);

type HmacSha256 = hmac::Hmac<Sha256>;

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature or timestamp header is malformed")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the timestamp is outside the accepted window (replayed or clock skew)")]
    Stale,
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; the error case cannot happen, but is not unwrapped.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => HmacSha256::new(&Default::default()),
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Vigil-Signature` value for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("sha256={}", hex(&tag))
}

/// Checks a received request: the signature header against the body and timestamp header, and the
/// timestamp against `now` within `tolerance`.
pub fn verify(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: Timestamp,
    tolerance: SignedDuration,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed)?;
    let hex_tag = signature
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    if hex_tag.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let tag: Vec<u8> = (0..32)
        .map(|i| {
            hex_tag
                .get(i * 2..i * 2 + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect::<Option<_>>()
        .ok_or(SignatureError::Malformed)?;
    mac(secret, &ts.to_string(), body)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)?;
    let skew = SignedDuration::from_secs(now.as_second().saturating_sub(ts)).abs();
    if skew > tolerance {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_bodies_verify_and_tampering_or_replay_does_not() {
        let now: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let ts = now.as_second();
        let sig = sign(b"k", ts, b"{\"a\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 71);
        let ok = verify(
            b"k",
            &ts.to_string(),
            &sig,
            b"{\"a\":1}",
            now,
            DEFAULT_TOLERANCE,
        );
        assert_eq!(ok, Ok(()));
        let body = verify(
            b"k",
            &ts.to_string(),
            &sig,
            b"{\"a\":2}",
            now,
            DEFAULT_TOLERANCE,
        );
        assert_eq!(body, Err(SignatureError::Mismatch));
        let key = verify(
            b"j",
            &ts.to_string(),
            &sig,
            b"{\"a\":1}",
            now,
            DEFAULT_TOLERANCE,
        );
        assert_eq!(key, Err(SignatureError::Mismatch));
        let moved = verify(
            b"k",
            &(ts + 1).to_string(),
            &sig,
            b"{\"a\":1}",
            now,
            DEFAULT_TOLERANCE,
        );
        assert_eq!(moved, Err(SignatureError::Mismatch));
        let later = now + SignedDuration::from_mins(10);
        let replay = verify(
            b"k",
            &ts.to_string(),
            &sig,
            b"{\"a\":1}",
            later,
            DEFAULT_TOLERANCE,
        );
        assert_eq!(replay, Err(SignatureError::Stale));
        for bad in [
            "",
            "sha256=zz",
            "md5=00",
            &format!("sha256={}", "g".repeat(64)),
        ] {
            let r = verify(b"k", &ts.to_string(), bad, b"", now, DEFAULT_TOLERANCE);
            assert_eq!(r, Err(SignatureError::Malformed), "{bad}");
        }
    }
}
