//! `[[listen]]`: a syslog listener of the standing watch, receiving logs that other hosts forward
//! (RFC 3164 and RFC 5424 over UDP, TCP, or TCP with TLS).
//!
//! Values are checked when the file is read (addresses, the certificate and key given together,
//! a time zone), so that `vigil serve` refuses to start rather than listen on less than the
//! administrator believes. The certificate and key files themselves are read when the service
//! starts, which names them if they cannot be used.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Largest message size a listener may be configured with (RFC 5425 asks for at least 2048).
pub const MAX_LISTEN_MESSAGE: usize = 1 << 20;

/// One syslog listener.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// UDP address to receive on (`0.0.0.0:514`): one message a datagram.
    #[serde(default)]
    pub udp: Option<String>,
    /// TCP address to accept on (`0.0.0.0:514`, or `0.0.0.0:6514` with TLS): RFC 6587 framing.
    #[serde(default)]
    pub tcp: Option<String>,
    /// PEM certificate chain: serve the TCP address over TLS (RFC 5425). Needs `tls_key`.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// The server of messages that name none; the sender's address when unset.
    #[serde(default)]
    pub host: Option<String>,
    /// The zone of RFC 3164 timestamps (which carry none); UTC when unset.
    #[serde(default)]
    pub tz: Option<String>,
    /// Largest message accepted, in bytes (default 8192); larger ones are dropped and counted.
    #[serde(default)]
    pub max_message: Option<usize>,
    /// A label for the source in logs and health; `syslog` and the addresses when unset.
    #[serde(default)]
    pub source: Option<String>,
}

impl Listen {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.udp.is_none() && self.tcp.is_none() {
            return Err("neither `udp` nor `tcp` is set: it would listen on nothing".into());
        }
        self.udp_addr()?;
        self.tcp_addr()?;
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => return Err("`tls_cert` is set without `tls_key`".into()),
            (None, Some(_)) => return Err("`tls_key` is set without `tls_cert`".into()),
            (Some(_), Some(_)) if self.tcp.is_none() => {
                return Err(
                    "`tls_cert` and `tls_key` need a `tcp` address (TLS runs over TCP)".into(),
                );
            }
            _ => {}
        }
        if let Some(tz) = &self.tz {
            vigil_logs::parse_time_zone(tz).map_err(|e| format!("time zone {tz:?}: {e}"))?;
        }
        if let Some(n) = self.max_message
            && !(480..=MAX_LISTEN_MESSAGE).contains(&n)
        {
            // RFC 3164 §4.1 and RFC 5424 §6.1: every receiver takes 480 octets.
            return Err(format!(
                "max_message = {n}: must be 480 to {MAX_LISTEN_MESSAGE}"
            ));
        }
        Ok(())
    }

    /// The UDP address, `None` when not set.
    pub fn udp_addr(&self) -> Result<Option<SocketAddr>, String> {
        addr("udp", self.udp.as_deref())
    }

    /// The TCP address, `None` when not set.
    pub fn tcp_addr(&self) -> Result<Option<SocketAddr>, String> {
        addr("tcp", self.tcp.as_deref())
    }

    /// The name this source goes by in logs and health.
    pub fn label(&self) -> String {
        if let Some(s) = &self.source {
            return s.clone();
        }
        let mut out = String::from("syslog");
        for (proto, a) in [("udp", &self.udp), ("tcp", &self.tcp)] {
            if let Some(a) = a {
                out.push_str(&format!(" {proto}:{a}"));
            }
        }
        out
    }
}

fn addr(key: &str, value: Option<&str>) -> Result<Option<SocketAddr>, String> {
    let Some(v) = value else { return Ok(None) };
    v.parse()
        .map(Some)
        .map_err(|_| format!("{key} = {v:?}: not an address like 0.0.0.0:514 or [::]:514"))
}

#[cfg(test)]
mod tests {
    use crate::Config;

    /// A service with only `[[listen]]` is a valid configuration.
    #[test]
    fn listen_entries_are_read_and_checked() {
        let c = Config::parse(
            "[[listen]]\nudp = \"0.0.0.0:514\"\ntcp = \"127.0.0.1:6514\"\ntls_cert = \"/etc/vigil/c.pem\"\n\
             tls_key = \"/etc/vigil/k.pem\"\nhost = \"relay1\"\ntz = \"+01:00\"\nmax_message = 4096\n",
        )
        .unwrap();
        assert!(c.watch.is_empty());
        let l = &c.listen[0];
        assert_eq!(l.udp_addr().unwrap().unwrap().port(), 514);
        assert_eq!(l.tcp_addr().unwrap().unwrap().port(), 6514);
        assert_eq!(l.label(), "syslog udp:0.0.0.0:514 tcp:127.0.0.1:6514");
        assert_eq!(
            Config::parse("[[listen]]\nudp = \"[::]:514\"\nsource = \"relay\"\n")
                .unwrap()
                .listen[0]
                .label(),
            "relay"
        );
        for (text, expect) in [
            ("[[listen]]\nhost = \"x\"\n", "neither `udp` nor `tcp`"),
            (
                "[[listen]]\nudp = \"localhost:514\"\n",
                "udp = \"localhost:514\"",
            ),
            ("[[listen]]\ntcp = \"0.0.0.0\"\n", "tcp = \"0.0.0.0\""),
            (
                "[[listen]]\ntcp = \"0.0.0.0:514\"\ntls_cert = \"/c\"\n",
                "without `tls_key`",
            ),
            (
                "[[listen]]\ntcp = \"0.0.0.0:514\"\ntls_key = \"/k\"\n",
                "without `tls_cert`",
            ),
            (
                "[[listen]]\nudp = \"0.0.0.0:514\"\ntls_cert = \"/c\"\ntls_key = \"/k\"\n",
                "need a `tcp` address",
            ),
            (
                "[[listen]]\nudp = \"0.0.0.0:514\"\ntz = \"Mars/Olympus\"\n",
                "Mars/Olympus",
            ),
            (
                "[[listen]]\nudp = \"0.0.0.0:514\"\nmax_message = 10\n",
                "max_message = 10",
            ),
        ] {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(
                err.contains(expect) && err.contains("[[listen]] entry 1"),
                "{text:?}: {err}"
            );
        }
    }

    /// An unknown key is named with its line.
    #[test]
    fn an_unknown_listen_key_is_named_with_its_line() {
        let err = Config::parse("[[listen]]\nudp = \"0.0.0.0:514\"\nport = 514\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("port") && err.contains("line 3"), "{err}");
    }
}
