//! Who is asking: the session of the cookie (checked against its idle and absolute limits, its user
//! still enabled), or the bearer token of an API call; and the CSRF check of forms.

use super::App;
use crate::secret::{same_secret, sha256_hex};
use axum::http::HeaderMap;
use axum::http::header;
use jiff::Timestamp;
use vigil_store::{AccountStore, Role, StoreError};

/// A signed-in person.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub id_hash: String,
}

/// The session cookie's name: with TLS the `__Host-` prefix, which browsers only accept with `Secure`,
/// `Path=/` and no `Domain`, so no other host or path can set or shadow it.
pub(crate) fn cookie_name(tls: bool) -> &'static str {
    if tls { "__Host-vigil" } else { "vigil" }
}

/// The pre-login cookie of the login form's CSRF token (double submit: there is no session yet).
pub(crate) fn login_cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-vigil-login"
    } else {
        "vigil-login"
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure with TLS; `max_age` 0 clears it.
pub(crate) fn set_cookie(name: &str, value: &str, tls: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if tls {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// The value of cookie `name`, if the request carries it once.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl App {
    /// The live session of the request; an expired one is ended (and said so in the trail).
    pub(crate) fn session(&self, headers: &HeaderMap) -> Result<Option<Session>, StoreError> {
        let Some(id) = cookie(headers, cookie_name(self.settings.tls)) else {
            return Ok(None);
        };
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let id_hash = sha256_hex(id);
        let now = Timestamp::now();
        let mut store = self.store();
        let Some(rec) = store.session(&id_hash)? else {
            return Ok(None);
        };
        let idle = now.duration_since(rec.last_seen) > self.settings.idle;
        let old = now.duration_since(rec.created_at) > self.settings.absolute;
        if idle || old || rec.disabled {
            let why = if rec.disabled {
                "user disabled"
            } else if idle {
                "idle timeout"
            } else {
                "absolute timeout"
            };
            store.end_session(
                &id_hash,
                Some(&vigil_store::TrailDraft::new(
                    &rec.user,
                    "session.expired",
                    format!("user:{}", rec.user),
                    why,
                )),
                now,
            )?;
            return Ok(None);
        }
        store.touch_session(&id_hash, now)?;
        Ok(Some(Session {
            user: rec.user,
            role: rec.role,
            csrf: rec.csrf,
            id_hash,
        }))
    }

    /// The role and trail name of a valid bearer token; `None` for a missing, unknown, revoked or
    /// expired one.
    pub(crate) fn bearer(&self, headers: &HeaderMap) -> Result<Option<(Role, String)>, StoreError> {
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
        else {
            return Ok(None);
        };
        if token.len() > 256 {
            return Ok(None);
        }
        let now = Timestamp::now();
        let found = self.store().token_by_hash(&sha256_hex(token), now)?;
        Ok(found
            .filter(|t| t.is_valid(now))
            .map(|t| (t.role, format!("token:{} ({})", t.id, t.name))))
    }
}

/// Whether a form's CSRF token is the session's.
pub(crate) fn csrf_ok(session: &Session, sent: &str) -> bool {
    same_secret(&session.csrf, sent)
}
