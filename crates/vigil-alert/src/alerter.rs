//! The alerting engine: raises alerts (deduplicated in the store), sends them on every channel,
//! escalates the ones nobody acknowledges, takes acknowledgements (directly or by signed link), and sends
//! the daily digest. The service calls [`Alerter::raise`] as detections and findings arrive and
//! [`Alerter::tick`] periodically (every minute is plenty); time comes from the injected [`Clock`].
//!
//! Escalation: a new alert is sent on every channel (level 0). If it is still open when its severity's
//! interval has passed, it is escalated: level 1 goes to the first contact of the chain (by e-mail, with
//! the usual recipients in copy) and again on every channel, level 2 to the second contact, and every
//! later level to the last one, each after another interval, until someone acknowledges or resolves it.
//! A level is claimed in the store before it is sent, so two service processes never send it twice.

use crate::channel::{self, Channel};
use crate::clock::Clock;
use crate::config::{AlertConfig, EscalationConfig, LinkConfig};
use crate::digest::Digest;
use crate::error::{AlertError, random_bytes};
use crate::links::{LinkSigner, link_text};
use crate::notice::{Notice, NoticeKind};
use std::sync::Arc;
use vigil_store::{
    Alert, AlertAction, AlertChange, AlertState, AlertStore, Delivery, DeliveryOutcome, NewAlert,
    Raised,
};

/// Escalations handled per tick; the rest wait for the next one.
const ESCALATIONS_PER_TICK: usize = 100;

/// What raising an alert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaiseOutcome {
    pub alert: Alert,
    /// A new alert was opened (false: an existing one was updated).
    pub opened: bool,
    /// Every delivery attempt made (none for an update that did not raise the severity).
    pub deliveries: Vec<Delivery>,
}

impl RaiseOutcome {
    /// Whether a notice was due and no channel delivered it: the caller must report this, since an alert
    /// nobody received is no alert.
    pub fn undelivered(&self) -> bool {
        let notified = self.opened || !self.deliveries.is_empty();
        notified && !delivered(&self.deliveries)
    }
}

/// One escalation sent by [`Alerter::tick`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub alert: i64,
    pub level: u32,
    pub contact: Option<String>,
    pub deliveries: Vec<Delivery>,
}

fn delivered(deliveries: &[Delivery]) -> bool {
    deliveries
        .iter()
        .any(|d| d.outcome == DeliveryOutcome::Delivered)
}

/// The signer of acknowledgement links for a store: its secret is created (randomly) on first use and
/// kept in the store, so the service, the console and the CLI all verify the same links.
pub fn link_signer<S: AlertStore + ?Sized>(store: &mut S) -> Result<LinkSigner, AlertError> {
    let candidate = random_bytes::<32>()?;
    let secret = store.alert_link_secret(&candidate)?;
    LinkSigner::new(&secret)
}

/// Acknowledges or resolves an alert through a signed link's token: the token must be genuine and not
/// expired at `now`, and works once. `by` is who used it (the console's user, or the `--by` of the CLI).
pub fn redeem_link<S: AlertStore + ?Sized>(
    store: &mut S,
    token: &str,
    by: &str,
    note: Option<&str>,
    now: jiff::Timestamp,
) -> Result<Alert, AlertError> {
    let claims = link_signer(store)?.verify(token, now)?;
    Ok(store.change_alert(
        claims.alert,
        &AlertChange {
            action: claims.action,
            by: by.to_string(),
            at: now,
            note: note.map(str::to_string),
            token_nonce: Some(claims.nonce),
        },
    )?)
}

/// The alerting engine over a store `S`.
pub struct Alerter<S> {
    store: S,
    channels: Vec<Channel>,
    escalation: EscalationConfig,
    link: LinkConfig,
    signer: LinkSigner,
    clock: Arc<dyn Clock>,
}

impl<S: AlertStore> Alerter<S> {
    /// Builds every channel (reading password and secret files), checks the escalation chain against
    /// them, and loads the link secret from the store.
    pub fn new(
        config: &AlertConfig,
        escalation: &EscalationConfig,
        mut store: S,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AlertError> {
        let channels = channel::build(config)?;
        for (i, contact) in escalation.contact.iter().enumerate() {
            let entry = format!("[[escalation.contact]] #{} \"{}\"", i + 1, contact.name);
            if contact.name.trim().is_empty() {
                return Err(AlertError::config(entry, "name is empty"));
            }
            for address in &contact.email {
                channel::email::mailbox(&entry, "email", address)?;
            }
            let via = channels.iter().find(|c| match (&contact.via, c) {
                (Some(name), c) => c.name() == name,
                (None, Channel::Email(_)) => true,
                (None, _) => false,
            });
            match via {
                Some(Channel::Email(_)) => {}
                Some(_) => {
                    return Err(AlertError::config(
                        entry,
                        "via must name an [[alert.email]] entry",
                    ));
                }
                None if contact.email.is_empty() => {}
                None => {
                    return Err(AlertError::config(
                        entry,
                        match &contact.via {
                            Some(v) => format!("via names no [[alert.email]] entry \"{v}\""),
                            None => {
                                "has e-mail addresses but no [[alert.email]] is configured".into()
                            }
                        },
                    ));
                }
            }
        }
        if let Some(base) = &config.link.base_url
            && !(base.starts_with("https://") || base.starts_with("http://"))
        {
            return Err(AlertError::config(
                "[alert.link]",
                "base_url must start with https:// or http://",
            ));
        }
        let signer = link_signer(&mut store)?;
        Ok(Alerter {
            store,
            channels,
            escalation: escalation.clone(),
            link: config.link.clone(),
            signer,
            clock,
        })
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    fn next_escalation(&self, alert_severity: vigil_model::Level) -> Option<jiff::Timestamp> {
        let interval = self.escalation.interval(alert_severity)?;
        self.clock.now().checked_add(interval.0).ok()
    }

    /// A signed link (or command) acknowledging alert `id`, valid for the configured time.
    pub fn ack_link(&self, id: i64) -> Result<String, AlertError> {
        let expires = self
            .clock
            .now()
            .checked_add(self.link.valid_for.0)
            .map_err(|e| AlertError::config("[alert.link]", e.to_string()))?;
        let token = self.signer.sign(id, AlertAction::Acknowledge, expires)?;
        Ok(link_text(self.link.base_url.as_deref(), &token))
    }

    /// Sends a notice on every channel; the contact's addresses go through their `via` channel.
    fn send(&mut self, alert: &Alert, kind: NoticeKind) -> Result<Vec<Delivery>, AlertError> {
        let contact = match &kind {
            NoticeKind::Escalated { level, .. } => self.escalation.contact_for(*level).cloned(),
            _ => None,
        };
        let notice = Notice {
            alert,
            kind,
            at: self.clock.now(),
            ack: Some(self.ack_link(alert.id)?),
        };
        let mut via_used = false;
        let mut deliveries = Vec::new();
        for c in &self.channels {
            let extra: &[String] = match (&contact, c) {
                (Some(contact), Channel::Email(e)) if !via_used => {
                    let chosen = contact.via.as_deref().is_none_or(|v| v == e.name());
                    if chosen {
                        via_used = true;
                        &contact.email
                    } else {
                        &[]
                    }
                }
                _ => &[],
            };
            deliveries.extend(c.send(&notice, extra, self.clock.as_ref()));
        }
        self.store.record_deliveries(alert.id, &deliveries)?;
        Ok(deliveries)
    }

    /// Raises an alert: opens it and sends it on every channel, or, when an alert of the same dedup key
    /// is live, updates it — and sends it again only if its severity rose.
    pub fn raise(&mut self, alert: &NewAlert) -> Result<RaiseOutcome, AlertError> {
        self.raise_with_news(alert, |_, _| None)
    }

    /// Raises an alert like [`Alerter::raise`]; when it updates a live alert, `news` is shown the alert
    /// as it stood before and after, and what it returns is sent as a [`NoticeKind::Progress`] notice
    /// (to an acknowledged alert too: a person on an incident must hear that the attacker is back).
    pub fn raise_with_news(
        &mut self,
        alert: &NewAlert,
        news: impl FnOnce(&Alert, &Alert) -> Option<String>,
    ) -> Result<RaiseOutcome, AlertError> {
        let now = self.clock.now();
        let raised = self
            .store
            .raise_alert(alert, now, self.next_escalation(alert.severity))?;
        let (stored, kind) = match raised {
            Raised::Opened(a) => (a, Some(NoticeKind::New)),
            Raised::Updated {
                alert,
                severity_raised,
                previous,
            } => {
                let kind = match news(&previous, &alert) {
                    Some(text) => Some(NoticeKind::Progress(text)),
                    None => (severity_raised && alert.state == AlertState::Open)
                        .then_some(NoticeKind::SeverityRaised),
                };
                (alert, kind)
            }
        };
        let opened = kind == Some(NoticeKind::New);
        let deliveries = match kind {
            Some(kind) => self.send(&stored, kind)?,
            None => Vec::new(),
        };
        let outcome = RaiseOutcome {
            alert: stored,
            opened,
            deliveries,
        };
        if outcome.undelivered() {
            tracing::error!(
                alert = outcome.alert.id,
                "no channel delivered the alert; it stays open and is sent again on escalation"
            );
        }
        Ok(outcome)
    }

    /// Escalates every open alert whose time has come; returns what was sent.
    pub fn tick(&mut self) -> Result<Vec<Escalation>, AlertError> {
        let now = self.clock.now();
        let due = self.store.due_escalations(now, ESCALATIONS_PER_TICK)?;
        let mut done = Vec::new();
        for alert in due {
            let level = alert.escalation_level.saturating_add(1);
            let contact = self.escalation.contact_for(level).map(|c| c.name.clone());
            let next = self.next_escalation(alert.severity);
            if !self.store.escalate_alert(
                alert.id,
                alert.escalation_level,
                now,
                contact.as_deref(),
                next,
            )? {
                continue;
            }
            let escalated = self.store.alert(alert.id)?.unwrap_or(alert);
            let deliveries = self.send(
                &escalated,
                NoticeKind::Escalated {
                    level,
                    contact: contact.clone(),
                },
            )?;
            if !delivered(&deliveries) {
                tracing::error!(
                    alert = escalated.id,
                    level,
                    "no channel delivered the escalation"
                );
            }
            done.push(Escalation {
                alert: escalated.id,
                level,
                contact,
                deliveries,
            });
        }
        Ok(done)
    }

    fn change(
        &mut self,
        id: i64,
        action: AlertAction,
        by: &str,
        note: Option<&str>,
    ) -> Result<Alert, AlertError> {
        Ok(self.store.change_alert(
            id,
            &AlertChange {
                action,
                by: by.to_string(),
                at: self.clock.now(),
                note: note.map(str::to_string),
                token_nonce: None,
            },
        )?)
    }

    /// Acknowledges an alert: escalation stops.
    pub fn acknowledge(
        &mut self,
        id: i64,
        by: &str,
        note: Option<&str>,
    ) -> Result<Alert, AlertError> {
        self.change(id, AlertAction::Acknowledge, by, note)
    }

    pub fn resolve(&mut self, id: i64, by: &str, note: Option<&str>) -> Result<Alert, AlertError> {
        self.change(id, AlertAction::Resolve, by, note)
    }

    /// Acknowledges (or resolves) through a signed link's token; see [`redeem_link`].
    pub fn redeem(
        &mut self,
        token: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<Alert, AlertError> {
        let now = self.clock.now();
        redeem_link(&mut self.store, token, by, note, now)
    }

    /// Sends the daily digest to every e-mail channel that wants it. Returns the deliveries (empty when
    /// no e-mail channel takes the digest: the caller should say so).
    pub fn send_digest(&self, digest: &Digest) -> Vec<Delivery> {
        let rendered = digest.render();
        self.channels
            .iter()
            .filter_map(|c| match c {
                Channel::Email(e) if e.wants_digest() => {
                    Some(e.send_rendered(rendered.clone(), self.clock.as_ref()))
                }
                _ => None,
            })
            .flatten()
            .collect()
    }
}
