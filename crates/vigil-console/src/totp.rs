//! Time-based one-time passwords (RFC 6238 over HOTP, RFC 4226): HMAC-SHA-1, 30-second steps,
//! 6 digits — what every authenticator app reads from an `otpauth://` URI — with one step of clock
//! drift allowed either side. HMAC comes from `ring`, already the TLS provider.
//!
//! Whether a code was used before is the store's to say ([`vigil_store::SecondFactorStore`]):
//! this module only says which step a code belongs to.

use crate::error::ConsoleError;
use jiff::Timestamp;
use ring::hmac;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one (clock drift, a code typed as it changed).
pub const WINDOW: i64 = 1;
/// Bytes of a new secret: 160 bits, the HMAC-SHA-1 block RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// A new random secret, lower-case hex.
pub fn new_secret() -> Result<String, ConsoleError> {
    let mut buf = [0u8; SECRET_BYTES];
    getrandom::fill(&mut buf).map_err(|e| ConsoleError::Random(e.to_string()))?;
    Ok(vigil_store::trail::hex(&buf))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// The time step of `t`.
pub fn step_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(STEP_SECS)
}

/// The HOTP value of `key` at `counter` (RFC 4226 section 5.3).
fn hotp(key: &[u8], counter: u64) -> u32 {
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
        &counter.to_be_bytes(),
    );
    let mac = tag.as_ref();
    // Dynamic truncation: the low nibble of the last byte picks four bytes.
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u32::from_be_bytes(b) & 0x7fff_ffff);
    word % 10u32.pow(DIGITS)
}

/// The code of `secret_hex` at step `step`, as typed (zero-padded); `None` for a secret that is not hex.
pub fn code_at(secret_hex: &str, step: i64) -> Option<String> {
    let key = unhex(secret_hex)?;
    let counter = u64::try_from(step).ok()?;
    Some(format!(
        "{:0width$}",
        hotp(&key, counter),
        width = DIGITS as usize
    ))
}

/// The step whose code `code` is, within [`WINDOW`] of `now`'s; `None` when it is none of them.
/// Spaces in the code are ignored (apps show `123 456`).
pub fn verify(secret_hex: &str, code: &str, now: Timestamp) -> Option<i64> {
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_of(now);
    let mut found = None;
    // Every step is computed and compared in constant time, so timing says nothing of which matched.
    for step in current - WINDOW..=current + WINDOW {
        if let Some(expected) = code_at(secret_hex, step)
            && crate::secret::same_secret(&expected, &typed)
        {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base32, no padding: how authenticator apps take the secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The secret in base32, for typing into an app by hand.
pub fn secret_base32(secret_hex: &str) -> Option<String> {
    unhex(secret_hex).map(|k| base32(&k))
}

/// The `otpauth://totp/` URI (Key Uri Format) an app reads from a QR code or a paste.
pub fn otpauth_uri(issuer: &str, account: &str, secret_hex: &str) -> Option<String> {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    Some(format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        secret_base32(secret_hex)?,
        enc(issuer)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (the 8-digit values' last 6 digits).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = vigil_store::trail::hex(b"12345678901234567890");
        for (t, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            let at = Timestamp::from_second(t).unwrap();
            assert_eq!(code_at(&secret, step_of(at)).unwrap(), expected, "{t}");
            assert_eq!(verify(&secret, expected, at), Some(step_of(at)));
        }
    }

    #[test]
    fn one_step_of_drift_either_side_and_no_more() {
        let secret = new_secret().unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let s = step_of(now);
        for d in [-1, 0, 1] {
            let code = code_at(&secret, s + d).unwrap();
            assert_eq!(verify(&secret, &code, now), Some(s + d));
        }
        for d in [-2, 2] {
            let code = code_at(&secret, s + d).unwrap();
            // A code two steps away may collide with a near one only by chance (1 in 10^6).
            if ![-1, 0, 1]
                .iter()
                .any(|n| code_at(&secret, s + n).unwrap() == code)
            {
                assert_eq!(verify(&secret, &code, now), None);
            }
        }
        let code = code_at(&secret, s).unwrap();
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(&secret, &spaced, now), Some(s));
        assert_eq!(verify(&secret, "12345", now), None);
        assert_eq!(verify(&secret, "abcdef", now), None);
        assert_eq!(verify("zz", "123456", now), None);
    }

    #[test]
    fn base32_and_the_uri_follow_rfc_4648_and_the_key_uri_format() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        let uri =
            otpauth_uri("vigil", "ada lovelace", &vigil_store::trail::hex(b"foobar")).unwrap();
        assert_eq!(
            uri,
            "otpauth://totp/vigil:ada%20lovelace?secret=MZXW6YTBOI&issuer=vigil&algorithm=SHA1&digits=6&period=30"
        );
    }
}
