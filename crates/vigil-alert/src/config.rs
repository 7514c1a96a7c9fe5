//! The alerting configuration as the service embeds it in `vigil.toml`: `[[alert.webhook]]`,
//! `[[alert.email]]`, `[[alert.syslog]]`, `[alert.link]` and `[escalation]`.
//!
//! Every table refuses unknown keys (a misspelt `pasword_file` must not silently send mail without
//! authentication). Every key but the address of a channel has a default, so the minimal
//!
//! ```toml
//! [[alert.webhook]]
//! url = "http://127.0.0.1:9000/hook"
//! ```
//!
//! means: every alert, of every severity, is POSTed as vigil's JSON to that URL (unsigned, 10 s timeout,
//! 3 attempts with back-off); an alert nobody acknowledges is sent again after 30 minutes when critical,
//! 4 hours when high and 24 hours when medium, until someone acknowledges it.

use jiff::{SignedDuration, Span, SpanRelativeTo};
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::str::FromStr;
use vigil_model::Level;

/// `[alert]`: the channels alerts go out on, and the acknowledgement links.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    #[serde(default)]
    pub webhook: Vec<WebhookConfig>,
    #[serde(default)]
    pub email: Vec<EmailConfig>,
    #[serde(default)]
    pub syslog: Vec<SyslogConfig>,
    #[serde(default)]
    pub link: LinkConfig,
}

impl AlertConfig {
    /// Whether no channel is configured (alerts would reach nobody).
    pub fn has_no_channel(&self) -> bool {
        self.webhook.is_empty() && self.email.is_empty() && self.syslog.is_empty()
    }
}

/// A length of time written as `30s`, `30m`, `4h`, `1d`, `2h 30m` or ISO 8601 (`PT30M`); a day is 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval(pub SignedDuration);

impl Interval {
    pub fn secs(s: i64) -> Self {
        Interval(SignedDuration::from_secs(s))
    }

    pub fn std(self) -> std::time::Duration {
        std::time::Duration::try_from(self.0).unwrap_or_default()
    }
}

impl FromStr for Interval {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let span: Span = s
            .trim()
            .parse()
            .map_err(|e| format!("'{s}' is not a length of time like 30m, 4h or 1d: {e}"))?;
        let d = span
            .to_duration(SpanRelativeTo::days_are_24_hours())
            .map_err(|e| format!("'{s}': {e}"))?;
        if d.is_negative() || d.is_zero() {
            return Err(format!("'{s}' must be longer than zero"));
        }
        Ok(Interval(d))
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn level<'de, D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

fn informational() -> Level {
    Level::Informational
}

/// The payload shape of a webhook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// vigil's own JSON document (`vigil.alert/1`).
    #[default]
    Vigil,
    /// A Slack incoming-webhook message (`text` and `blocks`).
    Slack,
    /// A Microsoft Teams workflow message carrying an Adaptive Card.
    Teams,
}

/// `[[alert.webhook]]`: a JSON POST per notice.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The name deliveries are recorded under (default `webhook-N`).
    pub name: Option<String>,
    /// `http://` or `https://`.
    pub url: String,
    /// Signs every body with HMAC-SHA256 (headers `X-Vigil-Timestamp` and `X-Vigil-Signature`).
    pub secret: Option<String>,
    /// The same, read from a file (trailing white space ignored).
    pub secret_file: Option<PathBuf>,
    #[serde(default)]
    pub preset: Preset,
    /// Whole-request time limit.
    #[serde(default = "ten_seconds")]
    pub timeout: Interval,
    /// Attempts per notice (1: no retry). Connection errors, HTTP 429 and 5xx are retried.
    #[serde(default = "three")]
    pub attempts: u32,
    /// Wait before the first retry; doubled before each further one.
    #[serde(default = "one_second")]
    pub retry_delay: Interval,
    /// Alerts below this severity are not sent here.
    #[serde(default = "informational", deserialize_with = "level")]
    pub min_severity: Level,
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, which the server must offer (port 587 by default).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465 by default).
    Implicit,
    /// No encryption (port 25 by default): only for a relay on the same machine or network, and only
    /// when written explicitly. Credentials are refused on such a connection unless it is to loopback.
    None,
}

/// `[[alert.email]]`: an SMTP server and the people who receive alerts through it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// The name deliveries are recorded under (default `email-N`); escalation contacts may name it.
    pub name: Option<String>,
    /// The SMTP server's host name (checked against its certificate).
    pub server: String,
    /// Default: 587 for STARTTLS, 465 for implicit TLS, 25 without TLS.
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    /// A PEM file of the certificate authority to trust instead of the public roots (an internal relay).
    pub ca_file: Option<PathBuf>,
    /// The sender, `vigil@clinic.example` or `vigil <vigil@clinic.example>`.
    pub from: String,
    /// Who receives every alert.
    pub to: Vec<String>,
    /// Whether these recipients get the daily digest.
    #[serde(default = "yes")]
    pub digest: bool,
    #[serde(default = "thirty_seconds")]
    pub timeout: Interval,
    /// Attempts per message (1: no retry); temporary SMTP failures and connection errors are retried.
    #[serde(default = "three")]
    pub attempts: u32,
    #[serde(default = "five_seconds")]
    pub retry_delay: Interval,
    #[serde(default = "informational", deserialize_with = "level")]
    pub min_severity: Level,
}

/// The transport to a syslog collector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogTransport {
    /// RFC 5426: one datagram per message.
    #[default]
    Udp,
    /// RFC 6587: a TCP connection per notice, framed as `framing` says.
    Tcp,
}

/// How messages are delimited on a TCP stream (RFC 6587).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    /// `LENGTH SP MESSAGE` (RFC 6587 §3.4.1), safe whatever the message holds.
    #[default]
    OctetCounting,
    /// Each message ends with LF (§3.4.2); vigil's messages never contain one.
    Newline,
}

/// `[[alert.syslog]]`: RFC 5424 messages to a collector.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    pub name: Option<String>,
    /// `host:port` of the collector.
    pub address: String,
    #[serde(default)]
    pub transport: SyslogTransport,
    #[serde(default)]
    pub framing: Framing,
    /// Facility name (`local0` … `local7`, `auth`, `authpriv`, `daemon`, …).
    #[serde(default = "local0")]
    pub facility: String,
    #[serde(default = "vigil")]
    pub app_name: String,
    /// HOSTNAME field; default: this machine's name.
    pub hostname: Option<String>,
    /// SD-ID of vigil's structured data (`name@enterprise-number`); the default uses the number
    /// reserved for documentation (RFC 5612) since vigil has no registered one.
    #[serde(default = "sd_id")]
    pub sd_id: String,
    /// Longest message sent over UDP, in bytes (RFC 5426 asks receivers to take 2048).
    #[serde(default = "two_kib")]
    pub max_message: usize,
    #[serde(default = "ten_seconds")]
    pub timeout: Interval,
    #[serde(default = "three")]
    pub attempts: u32,
    #[serde(default = "one_second")]
    pub retry_delay: Interval,
    #[serde(default = "informational", deserialize_with = "level")]
    pub min_severity: Level,
}

/// `[alert.link]`: acknowledgement links in e-mails.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// The console's address (`https://vigil.clinic.example:8443`); links are `BASE/alerts/ack?token=…`.
    /// Without it, e-mails give the `vigil alerts ack --token …` command instead.
    pub base_url: Option<String>,
    /// How long a link stays usable.
    #[serde(default = "seven_days")]
    pub valid_for: Interval,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            base_url: None,
            valid_for: seven_days(),
        }
    }
}

/// When an unacknowledged alert is sent again: an interval, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resend(pub Option<Interval>);

impl<'de> Deserialize<'de> for Resend {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if matches!(s.trim(), "off" | "never") {
            return Ok(Resend(None));
        }
        s.parse()
            .map(|i| Resend(Some(i)))
            .map_err(serde::de::Error::custom)
    }
}

/// `[escalation]`: how long each severity may stay unacknowledged, and who is told next.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    #[serde(default = "critical")]
    pub critical: Resend,
    #[serde(default = "high")]
    pub high: Resend,
    #[serde(default = "medium")]
    pub medium: Resend,
    #[serde(default = "off")]
    pub low: Resend,
    #[serde(default = "off")]
    pub informational: Resend,
    /// The escalation chain: the first escalation goes to the first contact, the next to the second, and
    /// every later one to the last, until someone acknowledges. Each escalation is also sent again on
    /// every channel. Without contacts, escalations are reminders on the channels.
    #[serde(default)]
    pub contact: Vec<Contact>,
}

impl Default for EscalationConfig {
    fn default() -> Self {
        EscalationConfig {
            critical: critical(),
            high: high(),
            medium: medium(),
            low: off(),
            informational: off(),
            contact: Vec::new(),
        }
    }
}

impl EscalationConfig {
    /// The resend interval of a severity (`None`: not escalated).
    pub fn interval(&self, severity: Level) -> Option<Interval> {
        match severity {
            Level::Critical => self.critical.0,
            Level::High => self.high.0,
            Level::Medium => self.medium.0,
            Level::Low => self.low.0,
            Level::Informational => self.informational.0,
        }
    }

    /// The contact an escalation to `level` (1, 2, …) goes to.
    pub fn contact_for(&self, level: u32) -> Option<&Contact> {
        let index = usize::try_from(level.saturating_sub(1)).unwrap_or(usize::MAX);
        self.contact.get(index).or(self.contact.last())
    }
}

/// A person in the escalation chain.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    /// Their addresses; mailed through `via`.
    #[serde(default)]
    pub email: Vec<String>,
    /// The `[[alert.email]]` entry (by name) their mail goes through; default: the first.
    pub via: Option<String>,
}

fn yes() -> bool {
    true
}
fn three() -> u32 {
    3
}
fn one_second() -> Interval {
    Interval::secs(1)
}
fn five_seconds() -> Interval {
    Interval::secs(5)
}
fn ten_seconds() -> Interval {
    Interval::secs(10)
}
fn thirty_seconds() -> Interval {
    Interval::secs(30)
}
fn seven_days() -> Interval {
    Interval::secs(7 * 86_400)
}
fn two_kib() -> usize {
    2048
}
fn local0() -> String {
    "local0".into()
}
fn vigil() -> String {
    "vigil".into()
}
fn sd_id() -> String {
    "vigil@32473".into()
}
fn critical() -> Resend {
    Resend(Some(Interval::secs(30 * 60)))
}
fn high() -> Resend {
    Resend(Some(Interval::secs(4 * 3600)))
}
fn medium() -> Resend {
    Resend(Some(Interval::secs(24 * 3600)))
}
fn off() -> Resend {
    Resend(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How the service embeds these tables.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Service {
        #[serde(default)]
        alert: AlertConfig,
        #[serde(default)]
        escalation: EscalationConfig,
        #[serde(default)]
        watch: Vec<toml::Value>,
    }

    #[test]
    fn the_minimal_example_of_the_issue_means_something_sensible() {
        let cfg: Service = toml::from_str(
            "[[watch]]\npath = \"/var/log/mail.log\"\n\n[[alert.webhook]]\nurl = \"http://127.0.0.1:9000/hook\"\n",
        )
        .unwrap();
        assert_eq!(cfg.watch.len(), 1);
        let hook = &cfg.alert.webhook[0];
        assert_eq!(hook.url, "http://127.0.0.1:9000/hook");
        assert_eq!(hook.preset, Preset::Vigil);
        assert_eq!((hook.secret.as_ref(), hook.attempts), (None, 3));
        assert_eq!(hook.min_severity, Level::Informational);
        assert_eq!(hook.timeout, Interval::secs(10));
        let e = &cfg.escalation;
        assert_eq!(e.interval(Level::Critical), Some(Interval::secs(1800)));
        assert_eq!(e.interval(Level::High), Some(Interval::secs(4 * 3600)));
        assert_eq!(e.interval(Level::Medium), Some(Interval::secs(86_400)));
        assert_eq!(e.interval(Level::Low), None);
        assert!(e.contact_for(1).is_none());
        assert!(!cfg.alert.has_no_channel());
        assert_eq!(cfg.alert.link.valid_for, Interval::secs(7 * 86_400));
    }

    #[test]
    fn a_full_configuration_parses() {
        let cfg: Service = toml::from_str(
            r#"
[[alert.webhook]]
name = "teams"
url = "https://example.invalid/workflows/hook"
secret_file = "/etc/vigil/hook.secret"
preset = "teams"
min_severity = "high"

[[alert.email]]
server = "smtp.clinic.example"
tls = "implicit"
user = "vigil"
password_file = "/etc/vigil/smtp.pw"
from = "vigil <vigil@clinic.example>"
to = ["it@clinic.example"]

[[alert.syslog]]
address = "10.0.0.5:6514"
transport = "tcp"
framing = "newline"
facility = "authpriv"

[alert.link]
base_url = "https://vigil.clinic.example:8443"
valid_for = "2d"

[escalation]
critical = "15m"
low = "1d"
medium = "off"

[[escalation.contact]]
name = "On call"
email = ["oncall@provider.example"]

[[escalation.contact]]
name = "Practice manager"
email = ["manager@clinic.example"]
"#,
        )
        .unwrap();
        assert_eq!(cfg.alert.webhook[0].preset, Preset::Teams);
        assert_eq!(cfg.alert.email[0].tls, TlsMode::Implicit);
        assert_eq!(cfg.alert.syslog[0].framing, Framing::Newline);
        assert_eq!(cfg.alert.link.valid_for, Interval::secs(2 * 86_400));
        let e = &cfg.escalation;
        assert_eq!(e.interval(Level::Critical), Some(Interval::secs(900)));
        assert_eq!(e.interval(Level::Medium), None);
        assert_eq!(e.interval(Level::Low), Some(Interval::secs(86_400)));
        assert_eq!(e.contact_for(1).unwrap().name, "On call");
        assert_eq!(e.contact_for(2).unwrap().name, "Practice manager");
        assert_eq!(e.contact_for(9).unwrap().name, "Practice manager");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_their_line() {
        let err = toml::from_str::<Service>(
            "[[alert.email]]\nserver = \"s\"\nfrom = \"a@b\"\nto = []\npasword_file = \"x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("pasword_file") && err.contains("line 5"),
            "{err}"
        );
        let err = toml::from_str::<Service>("[escalation]\nhigh = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("soon"), "{err}");
        assert!(toml::from_str::<Service>("[escalation]\nhigh = \"0s\"\n").is_err());
        assert!(
            toml::from_str::<Service>("[[alert.webhook]]\nurl = \"u\"\npreset = \"discord\"\n")
                .is_err()
        );
    }

    #[test]
    fn intervals() {
        assert_eq!("30m".parse::<Interval>().unwrap(), Interval::secs(1800));
        assert_eq!("2h 30m".parse::<Interval>().unwrap(), Interval::secs(9000));
        assert_eq!("PT30M".parse::<Interval>().unwrap(), Interval::secs(1800));
        assert_eq!("1d".parse::<Interval>().unwrap(), Interval::secs(86_400));
        assert!("-5m".parse::<Interval>().is_err());
        assert!("".parse::<Interval>().is_err());
    }
}
