//! E-mail through SMTP (`lettre`, rustls): STARTTLS or implicit TLS with authentication, or plain SMTP
//! to a relay when configured explicitly. Each notice is one `multipart/alternative` message (plain text
//! and HTML), threaded per alert (`Message-ID`/`References`), marked `Auto-Submitted` so that
//! out-of-office replies do not answer it.

use super::{Failure, Retry, attempt, name_of, secret};
use crate::clock::Clock;
use crate::config::{EmailConfig, TlsMode};
use crate::error::AlertError;
use crate::escape::one_line;
use crate::notice::Notice;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use std::fmt;
use vigil_model::Level;
use vigil_model::text::{html, terminal};
use vigil_store::Delivery;

/// Longest subject line, in bytes.
const MAX_SUBJECT: usize = 200;

/// A rendered message: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct EmailChannel {
    name: String,
    transport: SmtpTransport,
    /// `server:port`, for error messages.
    server: String,
    from: Mailbox,
    to: Vec<Mailbox>,
    digest: bool,
    retry: Retry,
    min_severity: Level,
    /// The domain part of Message-IDs.
    host: String,
}

impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailChannel")
            .field("name", &self.name)
            .field("server", &self.server)
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

/// Parses an address as given in the configuration.
pub(crate) fn mailbox(entry: &str, what: &str, s: &str) -> Result<Mailbox, AlertError> {
    s.trim().parse::<Mailbox>().map_err(|e| {
        AlertError::config(entry, format!("{what} '{s}' is not an e-mail address: {e}"))
    })
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl EmailChannel {
    pub fn new(cfg: &EmailConfig, index: usize) -> Result<Self, AlertError> {
        let name = name_of(cfg.name.as_deref(), "email", index);
        let entry = format!("[[alert.email]] \"{name}\"");
        let server = cfg.server.trim();
        if server.is_empty() {
            return Err(AlertError::config(&entry, "server is empty"));
        }
        let from = mailbox(&entry, "from", &cfg.from)?;
        let to = cfg
            .to
            .iter()
            .map(|s| mailbox(&entry, "to", s))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(AlertError::config(&entry, "to lists nobody"));
        }
        let password = secret(
            &entry,
            cfg.password.as_deref(),
            cfg.password_file.as_deref(),
            "password",
        )?;
        let port = cfg.port.unwrap_or(match cfg.tls {
            TlsMode::Starttls => 587,
            TlsMode::Implicit => 465,
            TlsMode::None => 25,
        });
        let mut builder = SmtpTransport::builder_dangerous(server)
            .port(port)
            .timeout(Some(cfg.timeout.std()));
        let tls = || -> Result<TlsParameters, AlertError> {
            let mut params = TlsParameters::builder(server.to_string());
            match &cfg.ca_file {
                Some(path) => {
                    let pem = std::fs::read(path).map_err(|source| AlertError::ReadFile {
                        entry: entry.clone(),
                        path: path.clone(),
                        source,
                    })?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        AlertError::config(&entry, format!("ca_file {}: {e}", path.display()))
                    })?;
                    params = params
                        .certificate_store(CertificateStore::None)
                        .add_root_certificate(cert);
                }
                None => params = params.certificate_store(CertificateStore::WebpkiRoots),
            }
            params
                .build_rustls()
                .map_err(|e| AlertError::config(&entry, format!("TLS set-up: {e}")))
        };
        builder = match cfg.tls {
            TlsMode::Starttls => builder.tls(Tls::Required(tls()?)),
            TlsMode::Implicit => builder.tls(Tls::Wrapper(tls()?)),
            TlsMode::None => {
                if cfg.ca_file.is_some() {
                    return Err(AlertError::config(
                        &entry,
                        "ca_file is set but tls = \"none\"",
                    ));
                }
                builder.tls(Tls::None)
            }
        };
        match (&cfg.user, password) {
            (Some(user), Some(password)) => {
                if cfg.tls == TlsMode::None && !is_loopback(server) {
                    return Err(AlertError::config(
                        &entry,
                        "credentials would cross the network unencrypted (tls = \"none\"); use \
                         starttls or implicit",
                    ));
                }
                builder = builder
                    .credentials(Credentials::new(user.clone(), password))
                    .authentication(vec![Mechanism::Plain, Mechanism::Login]);
            }
            (Some(_), None) => {
                return Err(AlertError::config(
                    &entry,
                    "user is set without password or password_file",
                ));
            }
            (None, Some(_)) => {
                return Err(AlertError::config(&entry, "a password is set without user"));
            }
            (None, None) => {}
        }
        Ok(EmailChannel {
            transport: builder.build(),
            server: format!("{server}:{port}"),
            from,
            to,
            digest: cfg.digest,
            retry: Retry::new(cfg.attempts, cfg.retry_delay),
            min_severity: cfg.min_severity,
            host: message_id_host(),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn min_severity(&self) -> Level {
        self.min_severity
    }

    /// Whether this channel's recipients get the daily digest.
    pub fn wants_digest(&self) -> bool {
        self.digest
    }

    /// Sends a notice to the channel's recipients, and to `extra` (an escalation contact, in `To`, with
    /// the usual recipients in `Cc`).
    pub fn notify(
        &self,
        notice: &Notice<'_>,
        extra: &[String],
        clock: &dyn Clock,
    ) -> Vec<Delivery> {
        let extra: Vec<Mailbox> = extra.iter().filter_map(|s| s.parse().ok()).collect();
        let rendered = render(notice);
        let id = notice.alert.id;
        let thread = format!("<vigil.alert.{id}@{}>", self.host);
        let message_id = match notice.kind {
            crate::notice::NoticeKind::New => thread.clone(),
            _ => format!(
                "<vigil.alert.{id}.{}.{}.{}@{}>",
                notice.event(),
                notice.level(),
                notice.at.as_second(),
                self.host
            ),
        };
        let (to, cc) = if extra.is_empty() {
            (self.to.clone(), Vec::new())
        } else {
            (extra, self.to.clone())
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(rendered.subject.clone())
            .message_id(Some(message_id))
            .date(notice.at.into());
        if !matches!(notice.kind, crate::notice::NoticeKind::New) {
            builder = builder.in_reply_to(thread.clone()).references(thread);
        }
        self.deliver(builder, &to, &cc, rendered, notice.level(), clock)
    }

    /// Sends a message rendered elsewhere (the daily digest) to the channel's recipients.
    pub fn send_rendered(&self, rendered: Rendered, clock: &dyn Clock) -> Vec<Delivery> {
        let builder = Message::builder()
            .from(self.from.clone())
            .subject(rendered.subject.clone())
            .date(clock.now().into());
        self.deliver(builder, &self.to, &[], rendered, 0, clock)
    }

    fn deliver(
        &self,
        builder: lettre::message::MessageBuilder,
        to: &[Mailbox],
        cc: &[Mailbox],
        rendered: Rendered,
        level: u32,
        clock: &dyn Clock,
    ) -> Vec<Delivery> {
        let mut builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
        for m in to {
            builder = builder.to(m.clone());
        }
        for m in cc {
            builder = builder.cc(m.clone());
        }
        let recipients = to
            .iter()
            .chain(cc)
            .map(|m| m.email.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let message = builder.multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ));
        attempt(&self.name, &recipients, level, self.retry, clock, || {
            let message = message
                .as_ref()
                .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))?;
            self.transport.send(message).map(|_| ()).map_err(|e| {
                let text = format!("{}: {e}", self.server);
                if e.is_permanent() || e.is_client() || e.is_tls() || tls_refused(&e) {
                    Failure::Permanent(text)
                } else {
                    Failure::Transient(text)
                }
            })
        })
    }
}

/// Whether a network error is rustls refusing the server (an unknown issuer, a wrong name): rustls
/// reports these as `InvalidData` I/O errors, and retrying cannot change the server's certificate.
fn tls_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// The host part of Message-IDs: this machine's name if it is a plain DNS name.
fn message_id_host() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 253
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .unwrap_or_else(|| "vigil.invalid".into())
}

/// The message of a notice: one subject line, plain text with control characters made visible, and
/// HTML with everything escaped.
pub fn render(notice: &Notice<'_>) -> Rendered {
    let headline = notice.headline();
    let facts = notice.facts();
    let width = facts
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let mut text = format!("{}\n\n", terminal(&headline));
    for (label, value) in &facts {
        text.push_str(&format!(
            "  {:<width$}  {}\n",
            format!("{}:", terminal(label)),
            terminal(value),
            width = width + 1
        ));
    }
    let mut body = format!(
        "<p><strong>{}</strong></p>\n<table cellpadding=\"4\" style=\"border-collapse:collapse\">\n",
        html(&headline)
    );
    for (label, value) in &facts {
        body.push_str(&format!(
            "<tr><th align=\"left\" valign=\"top\">{}</th><td>{}</td></tr>\n",
            html(label),
            html(value)
        ));
    }
    body.push_str("</table>\n");
    if let Some(ack) = &notice.ack {
        text.push_str(&format!(
            "\nTo acknowledge (this stops escalation):\n  {}\n",
            terminal(ack)
        ));
        if ack.starts_with("https://") || ack.starts_with("http://") {
            body.push_str(&format!(
                "<p><a href=\"{0}\">Acknowledge alert #{1}</a> (this stops escalation)</p>\n",
                html(ack),
                notice.alert.id
            ));
        } else {
            body.push_str(&format!(
                "<p>To acknowledge (this stops escalation):<br><code>{}</code></p>\n",
                html(ack)
            ));
        }
    }
    let footer = format!(
        "Sent by vigil at {}. Until someone acknowledges it, this alert is sent again on its \
         escalation schedule.",
        notice.at
    );
    text.push_str(&format!("\n-- \n{footer}\n"));
    body.push_str(&format!("<p><small>{}</small></p>\n", html(&footer)));
    Rendered {
        subject: one_line(&format!("[vigil] {headline}"), MAX_SUBJECT),
        text,
        html: format!("<!DOCTYPE html>\n<html><body>\n{body}</body></html>\n"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::Interval;
    use crate::notice::NoticeKind;
    use vigil_store::{Alert, AlertState, AlertSubject, Evidence};

    pub(crate) fn alert() -> Alert {
        Alert {
            id: 17,
            dedup_key: "incident:INC-1".into(),
            subject: AlertSubject::Incident,
            reference: "INC-1".into(),
            severity: Level::Critical,
            title: "ProxyShell <script>alert(1)</script>\r\nBcc: victim@example.org".into(),
            asset: Some("MAIL01\u{1b}]0;owned\u{7}".into()),
            evidence: vec![Evidence::new("rule", "<b>x</b>")],
            state: AlertState::Open,
            created_at: "2026-03-01T10:00:00Z".parse().unwrap(),
            updated_at: "2026-03-01T10:00:00Z".parse().unwrap(),
            updates: 0,
            acknowledged: None,
            resolved: None,
            escalation_level: 0,
            next_escalation_at: None,
        }
    }

    fn config() -> EmailConfig {
        EmailConfig {
            name: None,
            server: "smtp.example.org".into(),
            port: None,
            tls: TlsMode::Starttls,
            user: None,
            password: None,
            password_file: None,
            ca_file: None,
            from: "vigil@example.org".into(),
            to: vec!["it@example.org".into()],
            digest: true,
            timeout: Interval::secs(5),
            attempts: 1,
            retry_delay: Interval::secs(1),
            min_severity: Level::Informational,
        }
    }

    #[test]
    fn hostile_text_cannot_inject_headers_markup_or_terminal_codes() {
        let a = alert();
        let n = Notice {
            alert: &a,
            kind: NoticeKind::New,
            at: a.created_at,
            ack: Some("https://v.example/alerts/ack?token=a\"b".into()),
        };
        let r = render(&n);
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
        assert!(
            r.subject
                .starts_with("[vigil] CRITICAL alert #17: ProxyShell")
        );
        assert!(
            !r.html.contains("<script>") && !r.html.contains("<b>x"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("href=\"https://v.example/alerts/ack?token=a&quot;b\"")
        );
        assert!(!r.text.contains('\u{1b}') && r.text.contains("MAIL01\\e]0;owned"));
        assert!(r.text.contains("To acknowledge"));
    }

    #[test]
    fn configuration_is_checked() {
        assert_eq!(EmailChannel::new(&config(), 1).unwrap().name(), "email-1");
        let mut c = config();
        c.to = vec![];
        assert!(
            EmailChannel::new(&c, 1)
                .unwrap_err()
                .to_string()
                .contains("nobody")
        );
        let mut c = config();
        c.from = "not an address".into();
        let e = EmailChannel::new(&c, 2).unwrap_err().to_string();
        assert!(e.starts_with("[[alert.email]] \"email-2\": from"), "{e}");
        let mut c = config();
        c.tls = TlsMode::None;
        c.user = Some("u".into());
        c.password = Some("p".into());
        let e = EmailChannel::new(&c, 1).unwrap_err().to_string();
        assert!(e.contains("unencrypted"), "{e}");
        c.server = "127.0.0.1".into();
        assert!(
            EmailChannel::new(&c, 1).is_ok(),
            "a local relay may take credentials"
        );
        let mut c = config();
        c.user = Some("u".into());
        assert!(
            EmailChannel::new(&c, 1)
                .unwrap_err()
                .to_string()
                .contains("without password")
        );
    }
}
