//! The channels alerts go out on — e-mail, webhook, syslog; one module each — and the retry loop they
//! share. A channel never fails a notice silently: every attempt becomes a [`Delivery`] in the alert's
//! history, with its outcome.
//!
//! Sending is blocking I/O (SMTP, HTTP, sockets) bounded by each channel's timeout and attempts; an
//! async service runs it on a blocking thread.

pub mod email;
pub mod syslog;
pub mod webhook;

use crate::clock::Clock;
use crate::config::{AlertConfig, Interval};
use crate::error::AlertError;
use crate::notice::Notice;
use std::time::Duration;
use vigil_model::Level;
use vigil_store::{Delivery, DeliveryOutcome};

/// Longest back-off between two attempts, whatever the doubling reaches.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Why one attempt failed, and whether another could succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Connection refused, timeout, HTTP 5xx or 429, SMTP 4xx: worth another attempt.
    Transient(String),
    /// Refused for good (HTTP 4xx, SMTP 5xx, a message that cannot be built): no retry.
    Permanent(String),
}

/// How many attempts, and the wait before the first retry (doubled before each further one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    pub attempts: u32,
    pub delay: Duration,
}

impl Retry {
    pub fn new(attempts: u32, delay: Interval) -> Self {
        Retry {
            attempts: attempts.max(1),
            delay: delay.std(),
        }
    }
}

/// Runs `send` until it succeeds, fails for good, or the attempts are spent; one [`Delivery`] per attempt.
pub(crate) fn attempt(
    channel: &str,
    recipient: &str,
    level: u32,
    retry: Retry,
    clock: &dyn Clock,
    mut send: impl FnMut() -> Result<(), Failure>,
) -> Vec<Delivery> {
    let mut out = Vec::new();
    let mut delay = retry.delay;
    for n in 1..=retry.attempts {
        if n > 1 {
            clock.sleep(delay);
            delay = delay.saturating_mul(2).min(MAX_BACKOFF);
        }
        let result = send();
        let (outcome, stop) = match result {
            Ok(()) => (DeliveryOutcome::Delivered, true),
            Err(Failure::Permanent(e)) => (DeliveryOutcome::Failed(e), true),
            Err(Failure::Transient(e)) => (DeliveryOutcome::Failed(e), false),
        };
        if let DeliveryOutcome::Failed(e) = &outcome {
            tracing::warn!(channel, recipient, attempt = n, error = %e, "alert delivery failed");
        }
        out.push(Delivery {
            channel: channel.to_string(),
            recipient: recipient.to_string(),
            at: clock.now(),
            attempt: n,
            level,
            outcome,
        });
        if stop {
            break;
        }
    }
    out
}

/// One configured channel.
#[derive(Debug)]
pub enum Channel {
    Email(email::EmailChannel),
    Webhook(webhook::WebhookChannel),
    Syslog(syslog::SyslogChannel),
}

impl Channel {
    pub fn name(&self) -> &str {
        match self {
            Channel::Email(c) => c.name(),
            Channel::Webhook(c) => c.name(),
            Channel::Syslog(c) => c.name(),
        }
    }

    fn min_severity(&self) -> Level {
        match self {
            Channel::Email(c) => c.min_severity(),
            Channel::Webhook(c) => c.min_severity(),
            Channel::Syslog(c) => c.min_severity(),
        }
    }

    /// Sends a notice; `extra` are the addresses of an escalation contact whose mail goes through this
    /// channel (ignored by channels that do not address people). Alerts below the channel's minimum
    /// severity are not sent (and no delivery is recorded).
    pub fn send(&self, notice: &Notice<'_>, extra: &[String], clock: &dyn Clock) -> Vec<Delivery> {
        if notice.alert.severity < self.min_severity() {
            return Vec::new();
        }
        match self {
            Channel::Email(c) => c.notify(notice, extra, clock),
            Channel::Webhook(c) => c.notify(notice, clock),
            Channel::Syslog(c) => c.notify(notice, clock),
        }
    }
}

/// Builds every channel of the configuration, in order (e-mail, webhooks, syslog), checking names are
/// unique.
pub fn build(config: &AlertConfig) -> Result<Vec<Channel>, AlertError> {
    let mut channels = Vec::new();
    for (i, c) in config.email.iter().enumerate() {
        channels.push(Channel::Email(email::EmailChannel::new(c, i + 1)?));
    }
    for (i, c) in config.webhook.iter().enumerate() {
        channels.push(Channel::Webhook(webhook::WebhookChannel::new(c, i + 1)?));
    }
    for (i, c) in config.syslog.iter().enumerate() {
        channels.push(Channel::Syslog(syslog::SyslogChannel::new(c, i + 1)?));
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &channels {
        if !seen.insert(c.name()) {
            return Err(AlertError::config(
                format!("channel \"{}\"", c.name()),
                "two channels have this name",
            ));
        }
    }
    Ok(channels)
}

/// A channel's name: the configured one, or `KIND-N`.
pub(crate) fn name_of(configured: Option<&str>, kind: &str, index: usize) -> String {
    match configured.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => format!("{kind}-{index}"),
    }
}

/// Reads a secret (password, webhook key) given inline or as a file; trailing white space is not part of
/// it. Giving both is an error, since one would silently win.
pub(crate) fn secret(
    entry: &str,
    inline: Option<&str>,
    file: Option<&std::path::Path>,
    what: &str,
) -> Result<Option<String>, AlertError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(AlertError::config(
            entry,
            format!("give either {what} or {what}_file, not both"),
        )),
        (Some(s), None) => Ok(Some(s.to_string())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| AlertError::ReadFile {
                entry: entry.to_string(),
                path: path.to_path_buf(),
                source,
            })?;
            let text = text.trim_end().to_string();
            if text.is_empty() {
                return Err(AlertError::config(
                    entry,
                    format!("{what}_file {} is empty", path.display()),
                ));
            }
            Ok(Some(text))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use jiff::Timestamp;

    #[test]
    fn retries_back_off_and_stop_on_success_or_permanent_failure() {
        let t0: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let clock = ManualClock::new(t0);
        let retry = Retry {
            attempts: 4,
            delay: Duration::from_secs(2),
        };
        let mut results = vec![
            Ok(()),
            Err(Failure::Transient("503".into())),
            Err(Failure::Transient("refused".into())),
        ];
        let d = attempt("w", "r", 0, retry, &clock, || {
            results.pop().unwrap_or(Ok(()))
        });
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].outcome, DeliveryOutcome::Failed("refused".into()));
        assert_eq!(d[2].outcome, DeliveryOutcome::Delivered);
        // Waited 2 s, then 4 s.
        assert_eq!(d[1].at.duration_since(t0).as_secs(), 2);
        assert_eq!(d[2].at.duration_since(t0).as_secs(), 6);

        let d = attempt("w", "r", 1, retry, &clock, || {
            Err(Failure::Permanent("HTTP 404".into()))
        });
        assert_eq!(d.len(), 1);
        let d = attempt("w", "r", 1, retry, &clock, || {
            Err(Failure::Transient("down".into()))
        });
        assert_eq!(d.len(), 4);
        assert!(d.iter().all(|x| x.level == 1));
    }

    #[test]
    fn secrets_inline_or_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        assert_eq!(
            secret("e", None, Some(&file), "password")
                .unwrap()
                .as_deref(),
            Some("s3cret")
        );
        assert!(secret("e", Some("a"), Some(&file), "password").is_err());
        let missing = secret("e", None, Some(&dir.path().join("none")), "password")
            .unwrap_err()
            .to_string();
        assert!(missing.starts_with("e: cannot read"), "{missing}");
        std::fs::write(&file, " \n").unwrap();
        assert!(secret("e", None, Some(&file), "password").is_err());
    }
}
