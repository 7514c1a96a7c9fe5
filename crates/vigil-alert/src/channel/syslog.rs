//! Syslog: each notice as one RFC 5424 message to a collector, over UDP (RFC 5426, one datagram) or TCP
//! (RFC 6587, octet-counting or newline framing), so that a SIEM records every alert and escalation.
//!
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [SD-ID id=… severity=…] BOM headline`: PRI from the
//! configured facility and the alert's severity, MSGID the event (`ALERT_NEW`, `ALERT_SEVERITY_RAISED`,
//! `ALERT_ESCALATED`), the facts as structured data (escaped per §6.3.3), the message in UTF-8 with its
//! BOM (§6.4). Over UDP the message is cut to `max_message` bytes at a character boundary.

use super::{Failure, Retry, attempt, name_of};
use crate::clock::Clock;
use crate::config::{Framing, SyslogConfig, SyslogTransport};
use crate::error::AlertError;
use crate::escape::{header_field, one_line, sd_param};
use crate::notice::Notice;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;
use vigil_model::Level;
use vigil_store::Delivery;

/// Facility names and numbers (RFC 5424 §6.2.1, with the names syslog implementations use).
const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("ntp", 12),
    ("audit", 13),
    ("alert", 14),
    ("clock", 15),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// Longest message over TCP (a collector's usual limit is 8 KiB or more).
const MAX_TCP_MESSAGE: usize = 8192;

#[derive(Debug)]
pub struct SyslogChannel {
    name: String,
    address: String,
    transport: SyslogTransport,
    framing: Framing,
    facility: u8,
    app_name: String,
    hostname: String,
    sd_id: String,
    max_message: usize,
    timeout: Duration,
    retry: Retry,
    min_severity: Level,
}

/// The syslog severity of an alert severity (RFC 5424 table 2).
fn syslog_severity(level: Level) -> u8 {
    match level {
        Level::Critical => 2,
        Level::High => 3,
        Level::Medium => 4,
        Level::Low => 5,
        Level::Informational => 6,
    }
}

impl SyslogChannel {
    pub fn new(cfg: &SyslogConfig, index: usize) -> Result<Self, AlertError> {
        let name = name_of(cfg.name.as_deref(), "syslog", index);
        let entry = format!("[[alert.syslog]] \"{name}\"");
        let facility = FACILITIES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(cfg.facility.trim()))
            .map(|&(_, f)| f)
            .ok_or_else(|| {
                AlertError::config(&entry, format!("unknown facility '{}'", cfg.facility))
            })?;
        let address = cfg.address.trim().to_string();
        if address
            .rsplit_once(':')
            .is_none_or(|(_, p)| p.parse::<u16>().is_err())
        {
            return Err(AlertError::config(&entry, "address must be host:port"));
        }
        if cfg.sd_id.is_empty() || header_field(&cfg.sd_id, 32, true) != cfg.sd_id {
            return Err(AlertError::config(
                &entry,
                "sd_id must be 1 to 32 printable ASCII characters without space, =, ] or \"",
            ));
        }
        if cfg.max_message < 480 {
            return Err(AlertError::config(
                &entry,
                "max_message must be at least 480 (RFC 5426)",
            ));
        }
        let hostname = cfg.hostname.clone().unwrap_or_else(|| {
            hostname::get()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_default()
        });
        Ok(SyslogChannel {
            address,
            transport: cfg.transport,
            framing: cfg.framing,
            facility,
            app_name: header_field(&cfg.app_name, 48, false),
            hostname: header_field(&hostname, 255, false),
            sd_id: cfg.sd_id.clone(),
            max_message: cfg.max_message,
            timeout: cfg.timeout.std(),
            retry: Retry::new(cfg.attempts, cfg.retry_delay),
            min_severity: cfg.min_severity,
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn min_severity(&self) -> Level {
        self.min_severity
    }

    /// The RFC 5424 message of a notice.
    pub fn format(&self, notice: &Notice<'_>) -> String {
        let a = notice.alert;
        let pri = u16::from(self.facility) * 8 + u16::from(syslog_severity(a.severity));
        let msgid = header_field(
            &format!("ALERT_{}", notice.event().to_uppercase()),
            32,
            false,
        );
        let mut sd = format!(
            "[{} id=\"{}\" severity=\"{}\" subject=\"{}\" ref=\"{}\" state=\"{}\" level=\"{}\"",
            self.sd_id,
            a.id,
            a.severity.as_str(),
            a.subject.as_str(),
            sd_param(&a.reference),
            a.state.as_str(),
            notice.level()
        );
        if let Some(asset) = &a.asset {
            sd.push_str(&format!(" asset=\"{}\"", sd_param(asset)));
        }
        if let crate::notice::NoticeKind::Escalated {
            contact: Some(c), ..
        } = &notice.kind
        {
            sd.push_str(&format!(" contact=\"{}\"", sd_param(c)));
        }
        sd.push(']');
        let limit = match self.transport {
            SyslogTransport::Udp => self.max_message,
            SyslogTransport::Tcp => MAX_TCP_MESSAGE,
        };
        let header = format!(
            "<{pri}>1 {} {} {} - {msgid} {sd} \u{feff}",
            notice.at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"),
            self.hostname,
            self.app_name,
        );
        let room = limit.saturating_sub(header.len());
        format!("{header}{}", one_line(&notice.headline(), room))
    }

    pub fn notify(&self, notice: &Notice<'_>, clock: &dyn Clock) -> Vec<Delivery> {
        let message = self.format(notice);
        let recipient = match self.transport {
            SyslogTransport::Udp => format!("udp://{}", self.address),
            SyslogTransport::Tcp => format!("tcp://{}", self.address),
        };
        attempt(
            &self.name,
            &recipient,
            notice.level(),
            self.retry,
            clock,
            || {
                self.send(&message)
                    .map_err(|e| Failure::Transient(format!("{recipient}: {e}")))
            },
        )
    }

    fn resolve(&self) -> std::io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = self.address.to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the name resolves to no address",
            ));
        }
        Ok(addrs)
    }

    fn send(&self, message: &str) -> std::io::Result<()> {
        let mut last = None;
        for addr in self.resolve()? {
            let result = match self.transport {
                SyslogTransport::Udp => self.send_udp(addr, message),
                SyslogTransport::Tcp => self.send_tcp(addr, message),
            };
            match result {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no address to send to")))
    }

    fn send_udp(&self, addr: SocketAddr, message: &str) -> std::io::Result<()> {
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.set_write_timeout(Some(self.timeout))?;
        socket.send_to(message.as_bytes(), addr)?;
        Ok(())
    }

    fn send_tcp(&self, addr: SocketAddr, message: &str) -> std::io::Result<()> {
        let mut stream = TcpStream::connect_timeout(&addr, self.timeout)?;
        stream.set_write_timeout(Some(self.timeout))?;
        let frame = match self.framing {
            Framing::OctetCounting => format!("{} {message}", message.len()),
            Framing::Newline => format!("{message}\n"),
        };
        stream.write_all(frame.as_bytes())?;
        stream.flush()?;
        stream.shutdown(std::net::Shutdown::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::email::tests::alert;
    use crate::config::Interval;
    use crate::notice::NoticeKind;

    fn config() -> SyslogConfig {
        SyslogConfig {
            name: None,
            address: "127.0.0.1:514".into(),
            transport: SyslogTransport::Udp,
            framing: Framing::OctetCounting,
            facility: "local0".into(),
            app_name: "vigil".into(),
            hostname: Some("mon 01".into()),
            sd_id: "vigil@32473".into(),
            max_message: 480,
            timeout: Interval::secs(1),
            attempts: 1,
            retry_delay: Interval::secs(1),
            min_severity: Level::Informational,
        }
    }

    #[test]
    fn messages_follow_rfc_5424_and_escape_hostile_values() {
        let c = SyslogChannel::new(&config(), 1).unwrap();
        let mut a = alert();
        a.reference = "INC\"] [evil x=\"1".into();
        a.title = "x".repeat(2000);
        let n = Notice {
            alert: &a,
            kind: NoticeKind::Escalated {
                level: 1,
                contact: Some("On call".into()),
            },
            at: "2026-03-01T10:30:00Z".parse().unwrap(),
            ack: None,
        };
        let m = c.format(&n);
        // local0 (16) * 8 + crit (2)
        assert!(
            m.starts_with("<130>1 2026-03-01T10:30:00.000000Z mon_01 vigil - ALERT_ESCALATED [vigil@32473 id=\"17\""),
            "{m}"
        );
        assert!(m.contains("ref=\"INC\\\"\\] [evil x=\\\"1\""), "{m}");
        assert!(
            m.contains("contact=\"On call\"] \u{feff}Unacknowledged for 30m"),
            "{m}"
        );
        assert!(m.len() <= 480, "{}", m.len());
        assert!(!m.contains('\n') && !m.contains('\u{1b}'));
    }

    #[test]
    fn configuration_is_checked() {
        let mut c = config();
        c.facility = "local9".into();
        assert!(
            SyslogChannel::new(&c, 1)
                .unwrap_err()
                .to_string()
                .contains("local9")
        );
        let mut c = config();
        c.address = "collector".into();
        assert!(SyslogChannel::new(&c, 1).is_err());
        let mut c = config();
        c.sd_id = "bad id".into();
        assert!(SyslogChannel::new(&c, 1).is_err());
        let mut c = config();
        c.max_message = 100;
        assert!(SyslogChannel::new(&c, 1).is_err());
    }
}
