//! `[http]`: where the console of `vigil serve` listens, its certificate, and its session limits.
//!
//! TLS is the default; plain HTTP is accepted only when asked for (`tls = false`) *and* on a loopback
//! address (behind a reverse proxy on the same host), since the console carries passwords and session
//! cookies. Anything else is an error naming the line of `listen`.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use toml::Spanned;

/// `[http]`: the console and its API. Absent: no console.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// The address served, `"127.0.0.1:8443"`.
    pub listen: Spanned<String>,
    /// Serve over TLS (the default). `false` is accepted only on a loopback address.
    #[serde(default = "yes")]
    pub tls: bool,
    /// PEM certificate chain; with `key`. Without both, a self-signed certificate is made on the first
    /// start and kept beside the store.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// PEM private key of `cert`.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// A session unused this long ends (minutes).
    #[serde(default = "idle_minutes")]
    pub session_idle_minutes: u64,
    /// A session ends this long after its login whatever its use (hours).
    #[serde(default = "max_hours")]
    pub session_max_hours: u64,
}

fn yes() -> bool {
    true
}

fn idle_minutes() -> u64 {
    30
}

fn max_hours() -> u64 {
    12
}

impl Http {
    /// The address, checked; errors name the line of `listen` in `text`.
    pub fn addr(&self) -> Result<SocketAddr, String> {
        self.listen.get_ref().parse().map_err(|_| {
            format!(
                "listen = {:?}: not an address like 127.0.0.1:8443",
                self.listen.get_ref()
            )
        })
    }

    pub(crate) fn check(&self, text: &str) -> Result<(), String> {
        let line = line_of(text, self.listen.span().start);
        let addr = self.addr().map_err(|e| format!("line {line}: {e}"))?;
        if !self.tls && !addr.ip().is_loopback() {
            return Err(format!(
                "line {line}: listen = {:?} with tls = false: plain HTTP would carry passwords and \
                 session cookies over the network; it is allowed on a loopback address only",
                self.listen.get_ref()
            ));
        }
        if self.cert.is_some() != self.key.is_some() {
            return Err(
                "cert and key go together: give both, or neither for a self-signed \
                        certificate"
                    .into(),
            );
        }
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            return Err(format!(
                "session_idle_minutes = {}: must be 1 to 1440",
                self.session_idle_minutes
            ));
        }
        if !(1..=24 * 30).contains(&self.session_max_hours) {
            return Err(format!(
                "session_max_hours = {}: must be 1 to 720",
                self.session_max_hours
            ));
        }
        Ok(())
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn tls_by_default_and_plain_only_on_loopback() {
        let c = Config::parse("[http]\nlisten = \"127.0.0.1:8443\"\n").unwrap();
        let http = c.http.unwrap();
        assert!(http.tls);
        assert_eq!(http.addr().unwrap().port(), 8443);
        assert!(Config::parse("[http]\nlisten = \"127.0.0.1:8080\"\ntls = false\n").is_ok());
        let e = Config::parse("# site\n\n[http]\nlisten = \"0.0.0.0:8080\"\ntls = false\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 4") && e.contains("loopback"), "{e}");
        let e = Config::parse("[http]\nlisten = \"127.0.0.1:1\"\ncert = \"c.pem\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cert and key"), "{e}");
        let e = Config::parse("[http]\nlisten = \"127.0.0.1:1\"\nport = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("port"), "{e}");
    }
}
