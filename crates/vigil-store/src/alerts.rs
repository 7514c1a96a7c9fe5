//! Alerts that demand acknowledgement, as the store keeps them: the alert itself (what it is about, its
//! evidence, its state and escalation), and a history of every transition and delivery attempt.
//!
//! The state machine is `open → acknowledged → resolved`; resolving an open alert acknowledges it in the
//! same step (a person who resolves it has seen it), and every other move is refused. The history is what a
//! breach report cites ("raised at T, acknowledged by X at T2"), so it is only ever appended to.
//!
//! Deduplication lives here, in one transaction: while an alert of a dedup key is not resolved, raising
//! the same key again updates it (new evidence, severity raised if higher) instead of opening another.

use crate::error::StoreError;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use vigil_model::Level;

/// Longest title kept; longer ones (from hostile logs) are cut at a character boundary.
pub const MAX_TITLE: usize = 512;
/// Evidence items kept per alert; the caller's first ones are kept.
pub const MAX_EVIDENCE: usize = 32;
/// Longest evidence label kept.
pub const MAX_LABEL: usize = 128;
/// Longest evidence value kept.
pub const MAX_VALUE: usize = 1024;
/// Longest name, note, dedup key, reference or recipient accepted from a person or a caller.
pub const MAX_TEXT: usize = 4096;

/// `Display` as the name `as_str` gives, for the enums stored and shown by name.
macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(AlertSubject, AlertState, AlertAction);

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSubject {
    /// A vulnerability finding on an asset (new with a deadline, overdue, newly in CISA KEV).
    Finding,
    /// An incident (or a new wave of one).
    Incident,
    /// A log or knowledge source that stopped delivering or failed.
    SourceHealth,
    /// A detection self-test that failed.
    SelfTest,
}

impl AlertSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSubject::Finding => "finding",
            AlertSubject::Incident => "incident",
            AlertSubject::SourceHealth => "source_health",
            AlertSubject::SelfTest => "self_test",
        }
    }
}

impl FromStr for AlertSubject {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "finding" => Ok(AlertSubject::Finding),
            "incident" => Ok(AlertSubject::Incident),
            "source_health" => Ok(AlertSubject::SourceHealth),
            "self_test" => Ok(AlertSubject::SelfTest),
            other => Err(format!("unknown alert subject '{other}'")),
        }
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Acknowledged,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }

    /// Whether `action` may be taken from this state.
    pub fn allows(self, action: AlertAction) -> bool {
        matches!(
            (self, action),
            (AlertState::Open, _) | (AlertState::Acknowledged, AlertAction::Resolve)
        )
    }
}

impl FromStr for AlertState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(AlertState::Open),
            "acknowledged" => Ok(AlertState::Acknowledged),
            "resolved" => Ok(AlertState::Resolved),
            other => Err(format!("unknown alert state '{other}'")),
        }
    }
}

/// What a person does to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertAction {
    Acknowledge,
    Resolve,
}

impl AlertAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertAction::Acknowledge => "acknowledge",
            AlertAction::Resolve => "resolve",
        }
    }
}

impl FromStr for AlertAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "acknowledge" | "ack" => Ok(AlertAction::Acknowledge),
            "resolve" => Ok(AlertAction::Resolve),
            other => Err(format!("unknown alert action '{other}'")),
        }
    }
}

/// One short, structured piece of evidence: `("rule", "ProxyShell URL pattern")`, `("first seen", …)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub label: String,
    pub value: String,
}

impl Evidence {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Evidence {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// An alert to raise (or, when one of the same dedup key is live, to update).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// One alert per key while it is not resolved: `incident:<id>`, `finding:<asset>:<key>`, …
    pub dedup_key: String,
    pub subject: AlertSubject,
    /// The id of what it is about (incident id, finding key, source name).
    pub reference: String,
    pub severity: Level,
    pub title: String,
    pub asset: Option<String>,
    pub evidence: Vec<Evidence>,
}

/// The dedup key of the alert about incident `id`: one alert per incident.
pub fn incident_alert_key(id: &str) -> String {
    format!("incident:{id}")
}

/// The dedup key of the alert about finding `key` on `asset`.
pub fn finding_alert_key(asset: &str, key: &str) -> String {
    format!("finding:{asset}:{key}")
}

impl NewAlert {
    /// The alert as it will be stored: title and evidence cut to their limits (they come from logs and
    /// may be hostile or huge); refuses an empty or over-long key, reference or asset name.
    pub fn bounded(&self) -> Result<NewAlert, StoreError> {
        check_text("alert dedup key", &self.dedup_key, false)?;
        check_text("alert reference", &self.reference, true)?;
        if let Some(asset) = &self.asset {
            check_text("alert asset", asset, false)?;
        }
        Ok(NewAlert {
            dedup_key: self.dedup_key.clone(),
            subject: self.subject,
            reference: self.reference.clone(),
            severity: self.severity,
            title: clip(&self.title, MAX_TITLE),
            asset: self.asset.clone(),
            evidence: self
                .evidence
                .iter()
                .take(MAX_EVIDENCE)
                .map(|e| Evidence {
                    label: clip(&e.label, MAX_LABEL),
                    value: clip(&e.value, MAX_VALUE),
                })
                .collect(),
        })
    }
}

/// Who did something to an alert, when, and what they said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub by: String,
    pub at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An alert as stored (and as the console's API gives it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    pub dedup_key: String,
    pub subject: AlertSubject,
    pub reference: String,
    pub severity: Level,
    pub title: String,
    pub asset: Option<String>,
    pub evidence: Vec<Evidence>,
    pub state: AlertState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How many times a later raise of the same key updated it.
    pub updates: u32,
    pub acknowledged: Option<Mark>,
    pub resolved: Option<Mark>,
    /// 0 until the first escalation; then the number of escalations so far.
    pub escalation_level: u32,
    /// When it is escalated next if nobody acknowledges it; `None` once acknowledged, or when its
    /// severity is not escalated.
    pub next_escalation_at: Option<Timestamp>,
}

/// A person's acknowledgement or resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertChange {
    pub action: AlertAction,
    pub by: String,
    pub at: Timestamp,
    pub note: Option<String>,
    /// The nonce of the signed link used, if any: a link works once, so its nonce is recorded in the same
    /// transaction and a second use is refused ([`StoreError::AlertTokenUsed`]).
    pub token_nonce: Option<String>,
}

/// What raising an alert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raised {
    /// A new alert was opened.
    Opened(Alert),
    /// A live alert of the same key was updated; `severity_raised` when the new severity is higher.
    /// `previous` is the alert as it stood before, so the caller can tell what is news (a new wave
    /// of an incident) from a mere refresh.
    Updated {
        alert: Alert,
        severity_raised: bool,
        previous: Box<Alert>,
    },
}

impl Raised {
    pub fn alert(&self) -> &Alert {
        match self {
            Raised::Opened(alert) | Raised::Updated { alert, .. } => alert,
        }
    }
}

/// Whether a delivery attempt reached its channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "error")]
pub enum DeliveryOutcome {
    Delivered,
    Failed(String),
}

/// One attempt to deliver an alert to one recipient over one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The channel's name (`email-1`, `webhook-1`, or the name given in the configuration).
    pub channel: String,
    /// The address, URL host or collector it went to.
    pub recipient: String,
    pub at: Timestamp,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// The escalation level the message was sent at (0: first notice).
    pub level: u32,
    pub outcome: DeliveryOutcome,
}

/// One entry of an alert's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum AlertEvent {
    Raised {
        at: Timestamp,
        severity: Level,
    },
    /// A later raise of the same key.
    Updated {
        at: Timestamp,
        severity: Level,
    },
    Acknowledged {
        at: Timestamp,
        by: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// Whether it was done through a signed link.
        link: bool,
    },
    Resolved {
        at: Timestamp,
        by: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        link: bool,
    },
    /// Not acknowledged in time: escalated to `level`, and to `contact` when the chain names one.
    Escalated {
        at: Timestamp,
        level: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        contact: Option<String>,
    },
    Delivery(Delivery),
}

impl AlertEvent {
    pub fn at(&self) -> Timestamp {
        match self {
            AlertEvent::Raised { at, .. }
            | AlertEvent::Updated { at, .. }
            | AlertEvent::Acknowledged { at, .. }
            | AlertEvent::Resolved { at, .. }
            | AlertEvent::Escalated { at, .. } => *at,
            AlertEvent::Delivery(d) => d.at,
        }
    }
}

/// An alert's history, oldest first, possibly only its latest part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertHistory {
    pub events: Vec<AlertEvent>,
    /// How many older entries were left out to respect the limit asked for.
    pub omitted: u64,
}

/// The store of alerts. Every method is one transaction.
pub trait AlertStore {
    /// Opens an alert, or updates the live (not resolved) alert of the same dedup key: its title, asset
    /// and evidence are replaced by the new ones and its severity raised if the new one is higher.
    /// `next_escalation` is when a new alert is escalated if not acknowledged; on an update of an open
    /// alert whose severity rises it brings the next escalation forward (never later).
    fn raise_alert(
        &mut self,
        alert: &NewAlert,
        at: Timestamp,
        next_escalation: Option<Timestamp>,
    ) -> Result<Raised, StoreError>;

    fn alert(&self, id: i64) -> Result<Option<Alert>, StoreError>;

    /// The newest `limit` alerts in `state` (all states with `None`), newest first.
    fn alerts(&self, state: Option<AlertState>, limit: usize) -> Result<Vec<Alert>, StoreError>;

    /// Every alert ever raised under `dedup_key` (a resolved one and the ones opened after it), oldest
    /// first, at most `limit`: what a breach report cites ("raised at T, acknowledged at T2").
    fn alerts_with_key(&self, dedup_key: &str, limit: usize) -> Result<Vec<Alert>, StoreError>;

    /// The latest `limit` entries of an alert's history, oldest first.
    fn alert_history(&self, id: i64, limit: usize) -> Result<AlertHistory, StoreError>;

    /// Acknowledges or resolves an alert (and stops its escalation). Refuses a move the state machine
    /// does not allow ([`StoreError::AlertTransition`]), an unknown id ([`StoreError::NoSuchAlert`]) and a
    /// link nonce already used.
    fn change_alert(&mut self, id: i64, change: &AlertChange) -> Result<Alert, StoreError>;

    /// Open alerts whose escalation is due at `now`, the most overdue first, at most `limit`.
    fn due_escalations(&self, now: Timestamp, limit: usize) -> Result<Vec<Alert>, StoreError>;

    /// Moves an open alert from escalation level `from_level` to the next, with its next escalation time,
    /// and records it in its history. Returns false (and changes nothing) when the alert is no longer open
    /// or another process escalated it first, so each level is sent once.
    fn escalate_alert(
        &mut self,
        id: i64,
        from_level: u32,
        at: Timestamp,
        contact: Option<&str>,
        next_escalation: Option<Timestamp>,
    ) -> Result<bool, StoreError>;

    /// Appends delivery attempts to the history of an alert.
    fn record_deliveries(&mut self, id: i64, deliveries: &[Delivery]) -> Result<(), StoreError>;

    /// The secret that signs acknowledgement links: `candidate` is kept if none is stored yet, and the
    /// stored one is returned (so every process of one store signs with the same key).
    fn alert_link_secret(&mut self, candidate: &[u8]) -> Result<Vec<u8>, StoreError>;
}

/// `s` cut to at most `max` bytes at a character boundary, with `…` when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s.get(..end).unwrap_or_default().to_string();
    out.push('…');
    out
}

/// Refuses over-long (and, unless `may_be_empty`, blank) text.
pub(crate) fn check_text(what: &str, s: &str, may_be_empty: bool) -> Result<(), StoreError> {
    if !may_be_empty && s.trim().is_empty() {
        return Err(StoreError::InvalidValue {
            what: what.to_string(),
            reason: "it is empty".into(),
        });
    }
    if s.len() > MAX_TEXT {
        return Err(StoreError::InvalidValue {
            what: what.to_string(),
            reason: format!("longer than {MAX_TEXT} bytes"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_machine() {
        use AlertAction::*;
        use AlertState::*;
        assert!(Open.allows(Acknowledge));
        assert!(Open.allows(Resolve));
        assert!(Acknowledged.allows(Resolve));
        assert!(!Acknowledged.allows(Acknowledge));
        assert!(!Resolved.allows(Acknowledge));
        assert!(!Resolved.allows(Resolve));
    }

    #[test]
    fn names_round_trip() {
        for s in [
            AlertSubject::Finding,
            AlertSubject::Incident,
            AlertSubject::SourceHealth,
            AlertSubject::SelfTest,
        ] {
            assert_eq!(s.as_str().parse::<AlertSubject>().unwrap(), s);
        }
        for s in [
            AlertState::Open,
            AlertState::Acknowledged,
            AlertState::Resolved,
        ] {
            assert_eq!(s.as_str().parse::<AlertState>().unwrap(), s);
        }
        assert_eq!(
            "ack".parse::<AlertAction>().unwrap(),
            AlertAction::Acknowledge
        );
        assert!("close".parse::<AlertAction>().is_err());
    }

    #[test]
    fn hostile_sizes_are_cut_not_refused() {
        let alert = NewAlert {
            dedup_key: "incident:1".into(),
            subject: AlertSubject::Incident,
            reference: "1".into(),
            severity: Level::High,
            title: "é".repeat(MAX_TITLE),
            asset: None,
            evidence: vec![Evidence::new("l".repeat(500), "v".repeat(5000)); 100],
        };
        let b = alert.bounded().unwrap();
        assert!(b.title.len() <= MAX_TITLE && b.title.ends_with('…'));
        assert_eq!(b.evidence.len(), MAX_EVIDENCE);
        assert!(b.evidence.iter().all(|e| e.label.len() <= MAX_LABEL));
        assert!(b.evidence.iter().all(|e| e.value.len() <= MAX_VALUE));
        let empty = NewAlert {
            dedup_key: " ".into(),
            ..alert
        };
        assert!(empty.bounded().is_err());
    }
}
