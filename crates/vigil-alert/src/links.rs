//! Signed acknowledgement links: a token bound to (alert id, action, expiry, nonce), signed with the
//! server's secret (HMAC-SHA256) and verified in constant time.
//!
//! Format: `v1.<alert id>.<action>.<expiry, Unix seconds>.<nonce, 32 hex>.<MAC, 64 hex>` — only
//! characters that need no escaping in a URL. The MAC covers every field before it, under a domain label,
//! so a token cannot be re-targeted at another alert or action, or made to live longer. Verification
//! checks the form, then the MAC, then the expiry; single use is the store's job (the nonce is recorded
//! with the acknowledgement, in one transaction).

use crate::error::{hex, random_bytes};
use hmac::{KeyInit, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use vigil_store::AlertAction;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Longest token looked at; anything longer is refused before parsing.
const MAX_TOKEN: usize = 256;

const DOMAIN: &[u8] = b"vigil-alert-link/v1";

/// Why a token was refused. The messages say what is wrong without echoing the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the token is not a vigil acknowledgement token")]
    Malformed,
    #[error("the token's signature does not match (tampered with, or signed by another vigil)")]
    BadSignature,
    #[error("the token expired at {0}")]
    Expired(Timestamp),
}

/// What a valid token allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub alert: i64,
    pub action: AlertAction,
    pub expires: Timestamp,
    /// Recorded when the token is used, so that it works once.
    pub nonce: String,
}

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct LinkSigner {
    key: HmacSha256,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

impl LinkSigner {
    /// A signer over `secret` (at least 16 bytes; the store keeps a random 32-byte one).
    pub fn new(secret: &[u8]) -> Result<Self, crate::AlertError> {
        if secret.len() < 16 {
            return Err(crate::AlertError::config(
                "acknowledgement links",
                "the signing secret is shorter than 16 bytes",
            ));
        }
        let key = HmacSha256::new_from_slice(secret)
            .map_err(|e| crate::AlertError::config("acknowledgement links", e.to_string()))?;
        Ok(LinkSigner { key })
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        let mut mac = self.key.clone();
        mac.update(DOMAIN);
        mac.update(b"|");
        mac.update(payload.as_bytes());
        mac
    }

    /// A new token for `action` on alert `alert`, usable until `expires`.
    pub fn sign(
        &self,
        alert: i64,
        action: AlertAction,
        expires: Timestamp,
    ) -> Result<String, crate::AlertError> {
        let nonce = hex(&random_bytes::<16>()?);
        let payload = format!(
            "v1.{alert}.{}.{}.{nonce}",
            action.as_str(),
            expires.as_second()
        );
        let tag = hex(&self.mac(&payload).finalize().into_bytes());
        Ok(format!("{payload}.{tag}"))
    }

    /// Checks a token's form, signature (in constant time) and expiry at `now`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<LinkClaims, LinkError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN || !token.is_ascii() {
            return Err(LinkError::Malformed);
        }
        let (payload, tag) = token.rsplit_once('.').ok_or(LinkError::Malformed)?;
        let fields: Vec<&str> = payload.split('.').collect();
        let [version, alert, action, expires, nonce] = fields.as_slice() else {
            return Err(LinkError::Malformed);
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let lower_hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if *version != "v1" || !digits(alert) || !digits(expires) || !lower_hex(nonce, 32) {
            return Err(LinkError::Malformed);
        }
        if !lower_hex(tag, 64) {
            return Err(LinkError::Malformed);
        }
        let tag = unhex(tag).ok_or(LinkError::Malformed)?;
        self.mac(payload)
            .verify_slice(&tag)
            .map_err(|_| LinkError::BadSignature)?;
        // Only a genuine token's fields are interpreted.
        let alert: i64 = alert.parse().map_err(|_| LinkError::Malformed)?;
        let action: AlertAction = action.parse().map_err(|_| LinkError::Malformed)?;
        let expires = expires
            .parse::<i64>()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or(LinkError::Malformed)?;
        if now >= expires {
            return Err(LinkError::Expired(expires));
        }
        Ok(LinkClaims {
            alert,
            action,
            expires,
            nonce: (*nonce).to_string(),
        })
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    bytes
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// The link a person follows, or the command they run when no console address is configured.
pub fn link_text(base_url: Option<&str>, token: &str) -> String {
    match base_url {
        Some(base) => format!("{}/alerts/ack?token={token}", base.trim_end_matches('/')),
        None => format!("vigil alerts ack --token {token} --by YOUR-NAME"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let signer = LinkSigner::new(&[7u8; 32]).unwrap();
        let now = t("2026-03-01T10:00:00Z");
        let exp = now + SignedDuration::from_hours(24);
        let token = signer.sign(17, AlertAction::Acknowledge, exp).unwrap();
        assert!(token.len() < MAX_TOKEN);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        );
        let claims = signer.verify(&token, now).unwrap();
        assert_eq!(
            (claims.alert, claims.action, claims.expires),
            (17, AlertAction::Acknowledge, exp)
        );
        assert_eq!(signer.verify(&token, exp), Err(LinkError::Expired(exp)));
        let other = signer.sign(17, AlertAction::Acknowledge, exp).unwrap();
        assert_ne!(
            signer.verify(&other, now).unwrap().nonce,
            claims.nonce,
            "each token has its own nonce"
        );
    }

    #[test]
    fn tampering_is_refused() {
        let signer = LinkSigner::new(&[7u8; 32]).unwrap();
        let now = t("2026-03-01T10:00:00Z");
        let exp = now + SignedDuration::from_hours(24);
        let token = signer.sign(17, AlertAction::Acknowledge, exp).unwrap();
        let retarget = token.replacen("v1.17.", "v1.18.", 1);
        assert_eq!(signer.verify(&retarget, now), Err(LinkError::BadSignature));
        let promote = token.replacen(".acknowledge.", ".resolve.", 1);
        assert_eq!(signer.verify(&promote, now), Err(LinkError::BadSignature));
        let later = format!("{}", exp.as_second() + 86_400);
        let extend = token.replacen(&exp.as_second().to_string(), &later, 1);
        assert_eq!(signer.verify(&extend, now), Err(LinkError::BadSignature));
        let mut flipped = token.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(signer.verify(&flipped, now), Err(LinkError::BadSignature));
        let foreign = LinkSigner::new(&[8u8; 32]).unwrap();
        assert_eq!(foreign.verify(&token, now), Err(LinkError::BadSignature));
        for junk in [
            "",
            "v1",
            "v1.1.acknowledge.1.00.00",
            &"a".repeat(10_000),
            "v1.x.y.z.w.é",
        ] {
            assert_eq!(
                signer.verify(junk, now),
                Err(LinkError::Malformed),
                "{junk}"
            );
        }
        assert!(LinkSigner::new(b"short").is_err());
    }

    #[test]
    fn links_and_commands() {
        assert_eq!(
            link_text(Some("https://v.example:8443/"), "T"),
            "https://v.example:8443/alerts/ack?token=T"
        );
        assert!(link_text(None, "T").starts_with("vigil alerts ack --token T"));
    }
}
