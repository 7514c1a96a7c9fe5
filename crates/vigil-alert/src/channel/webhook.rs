//! Webhooks: a JSON POST per notice, in vigil's own shape or as a Slack or Microsoft Teams message,
//! signed with HMAC-SHA256 when a secret is configured (see [`crate::signature`]).
//!
//! Redirects are not followed (a signed alert must not be forwarded elsewhere), connection errors, HTTP
//! 429 and 5xx are retried with back-off, and any other status is a permanent failure. Only the URL's
//! scheme and authority appear in the history: the path of a Slack or Teams webhook URL is its secret.

use super::{Failure, Retry, attempt, name_of, secret};
use crate::clock::Clock;
use crate::config::{Preset, WebhookConfig};
use crate::error::AlertError;
use crate::escape::{one_line, slack};
use crate::notice::Notice;
use crate::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use serde_json::{Value, json};
use std::fmt;
use vigil_model::Level;
use vigil_model::text::markdown;
use vigil_store::Delivery;

/// Slack's limit for a header block's text.
const SLACK_HEADER: usize = 150;
/// Slack's limit for a section's text.
const SLACK_SECTION: usize = 3000;

pub struct WebhookChannel {
    name: String,
    url: String,
    /// `scheme://host:port`, what the history shows.
    label: String,
    secret: Option<Vec<u8>>,
    preset: Preset,
    agent: ureq::Agent,
    retry: Retry,
    min_severity: Level,
}

impl fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("name", &self.name)
            .field("to", &self.label)
            .field("preset", &self.preset)
            .field("signed", &self.secret.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookChannel {
    pub fn new(cfg: &WebhookConfig, index: usize) -> Result<Self, AlertError> {
        let name = name_of(cfg.name.as_deref(), "webhook", index);
        let entry = format!("[[alert.webhook]] \"{name}\"");
        let uri: ureq::http::Uri = cfg
            .url
            .trim()
            .parse()
            .map_err(|e| AlertError::config(&entry, format!("url is not a URL: {e}")))?;
        let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(AlertError::config(
                &entry,
                "url must start with http:// or https://",
            ));
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| AlertError::config(&entry, "url has no host"))?;
        let label = match uri.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };
        let secret = secret(
            &entry,
            cfg.secret.as_deref(),
            cfg.secret_file.as_deref(),
            "secret",
        )?
        .map(String::into_bytes);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(cfg.timeout.std()))
            .max_redirects(0)
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(WebhookChannel {
            name,
            url: cfg.url.trim().to_string(),
            label,
            secret,
            preset: cfg.preset,
            agent,
            retry: Retry::new(cfg.attempts, cfg.retry_delay),
            min_severity: cfg.min_severity,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn min_severity(&self) -> Level {
        self.min_severity
    }

    pub fn notify(&self, notice: &Notice<'_>, clock: &dyn Clock) -> Vec<Delivery> {
        let body = payload(self.preset, notice).to_string();
        attempt(
            &self.name,
            &self.label,
            notice.level(),
            self.retry,
            clock,
            || self.post(&body, clock),
        )
    }

    fn post(&self, body: &str, clock: &dyn Clock) -> Result<(), Failure> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if let Some(secret) = &self.secret {
            // Signed per attempt, so a retry carries a fresh timestamp.
            let ts = clock.now().as_second();
            req = req
                .header(TIMESTAMP_HEADER, ts.to_string())
                .header(SIGNATURE_HEADER, sign(secret, ts, body.as_bytes()));
        }
        let resp = req.send(body.as_bytes()).map_err(|e| {
            // ureq's messages may quote the URL; only its label may be shown.
            Failure::Transient(format!(
                "{}: {}",
                self.label,
                e.to_string().replace(&self.url, &self.label)
            ))
        })?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(()),
            429 | 500..=599 => Err(Failure::Transient(format!(
                "{} answered HTTP {status}",
                self.label
            ))),
            _ => Err(Failure::Permanent(format!(
                "{} answered HTTP {status}",
                self.label
            ))),
        }
    }
}

/// The JSON body of a notice in `preset`'s shape.
pub fn payload(preset: Preset, notice: &Notice<'_>) -> Value {
    match preset {
        Preset::Vigil => vigil(notice),
        Preset::Slack => slack_message(notice),
        Preset::Teams => teams_message(notice),
    }
}

/// vigil's own document: the alert as data (JSON escaping is the escaping), plus the event.
fn vigil(notice: &Notice<'_>) -> Value {
    let contact = match &notice.kind {
        crate::notice::NoticeKind::Escalated { contact, .. } => contact.clone(),
        _ => None,
    };
    json!({
        "schema": "vigil.alert/1",
        "event": notice.event(),
        "escalation_level": notice.level(),
        "contact": contact,
        "sent_at": notice.at.to_string(),
        "headline": notice.headline(),
        "alert": notice.alert,
    })
}

/// A header block's text: escaped, and cut to Slack's limit without splitting an entity.
fn slack_header(s: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in one_line(s, 4 * SLACK_HEADER).chars() {
        let piece = slack(c.encode_utf8(&mut [0; 4]));
        count += piece.chars().count();
        if count > SLACK_HEADER {
            break;
        }
        out.push_str(&piece);
    }
    out
}

/// A Slack incoming-webhook message: `text` (the notification's fallback) and Block Kit blocks.
fn slack_message(notice: &Notice<'_>) -> Value {
    let headline = notice.headline();
    let mut facts = String::new();
    for (label, value) in notice.facts() {
        let line = format!("*{}:* {}\n", slack(&label), slack(&value));
        if facts.len() + line.len() > SLACK_SECTION {
            break;
        }
        facts.push_str(&line);
    }
    json!({
        "text": slack(&one_line(&headline, SLACK_SECTION)),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": slack_header(&headline)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
        ],
    })
}

/// A Microsoft Teams message for a workflow's "when a webhook request is received" trigger: an
/// Adaptive Card whose texts (which Teams renders as Markdown) are Markdown-escaped.
fn teams_message(notice: &Notice<'_>) -> Value {
    let facts: Vec<Value> = notice
        .facts()
        .iter()
        .map(|(label, value)| json!({"title": markdown(label), "value": markdown(value)}))
        .collect();
    let color = match notice.alert.severity {
        Level::Critical | Level::High => "Attention",
        Level::Medium => "Warning",
        _ => "Default",
    };
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": markdown(&notice.headline()), "weight": "Bolder",
                     "size": "Medium", "color": color, "wrap": true},
                    {"type": "FactSet", "facts": facts},
                ],
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::email::tests::alert;
    use crate::config::Interval;
    use crate::notice::NoticeKind;

    fn notice(a: &vigil_store::Alert) -> Notice<'_> {
        Notice {
            alert: a,
            kind: NoticeKind::Escalated {
                level: 2,
                contact: Some("Practice <manager>".into()),
            },
            at: a.created_at + jiff::SignedDuration::from_hours(1),
            ack: None,
        }
    }

    #[test]
    fn presets_escape_for_their_medium() {
        let mut a = alert();
        a.title = "<!channel> <https://evil.example|click> **bold** [x](http://e)".into();
        let n = notice(&a);
        let v = payload(Preset::Vigil, &n);
        assert_eq!(v["schema"], "vigil.alert/1");
        assert_eq!(v["event"], "escalated");
        assert_eq!(v["escalation_level"], 2);
        assert_eq!(v["alert"]["id"], 17);
        assert_eq!(v["alert"]["title"], a.title.as_str());

        let s = payload(Preset::Slack, &n);
        let all = s.to_string();
        assert!(
            !all.contains("<!channel>") && !all.contains("<https://"),
            "{all}"
        );
        assert!(
            s["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= SLACK_HEADER
        );

        let t = payload(Preset::Teams, &n);
        let text = t["attachments"][0]["content"]["body"][0]["text"]
            .as_str()
            .unwrap();
        assert!(
            text.contains("\\[x\\]") && text.contains("\\*\\*bold"),
            "{text}"
        );
        assert_eq!(
            t["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
    }

    fn config(url: &str) -> WebhookConfig {
        WebhookConfig {
            name: None,
            url: url.into(),
            secret: None,
            secret_file: None,
            preset: Preset::Vigil,
            timeout: Interval::secs(1),
            attempts: 1,
            retry_delay: Interval::secs(1),
            min_severity: Level::Informational,
        }
    }

    #[test]
    fn urls_are_checked_and_only_their_authority_is_recorded() {
        let c = WebhookChannel::new(&config("https://hooks.slack.com/services/T0/B0/SECRET"), 1)
            .unwrap();
        assert_eq!(c.label, "https://hooks.slack.com");
        assert!(!format!("{c:?}").contains("SECRET"));
        let c = WebhookChannel::new(&config("http://127.0.0.1:9000/hook"), 1).unwrap();
        assert_eq!(c.label, "http://127.0.0.1:9000");
        for bad in ["ftp://x/y", "not a url", "/relative"] {
            let e = WebhookChannel::new(&config(bad), 3)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("[[alert.webhook]] \"webhook-3\""), "{e}");
        }
    }
}
