//! The ground truth a generator returns with the folder it wrote: what happened on the server, in the
//! terms an investigation has to answer (entry point, first malicious event, dwell time, root cause,
//! mailboxes taken, phishing sent, waves), each event cited by the file and line it was written to.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// Everything an audit of the folder should conclude.
#[derive(Debug, Clone, Serialize)]
pub struct GroundTruth {
    /// The scenario and its variant, e.g. `exchange/owassrf`.
    pub scenario: String,
    /// The asset name the folder describes (computer name / host name).
    pub asset: String,
    /// `None`: nothing malicious happened; an audit must open no incident.
    pub incident: Option<IncidentTruth>,
    /// When the organisation became aware (the `aware_at` of `incident.toml`), if an incident record
    /// was written.
    pub aware_at: Option<Timestamp>,
    /// Inputs that the knowledge written with the folder cannot assess (an audit must say so and exit
    /// with the "partial" status).
    pub not_assessable: Vec<String>,
    /// Benign events that look like attacks, for the reader of a failing test.
    pub lookalikes: Vec<EventRef>,
}

/// One malicious episode on the server: a single incident, however many waves it had.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentTruth {
    /// The earliest attacker event in the logs (dwell time runs from it).
    pub first_malicious: EventRef,
    /// How the attacker got in.
    pub entry: Entry,
    /// `aware_at - first_malicious.time`.
    pub dwell: SignedDuration,
    pub root_cause: RootCause,
    /// Mailboxes whose content was exported or downloaded in bulk (lowercase addresses).
    pub mailboxes_exported: Vec<String>,
    /// Mail rules that forward a mailbox's mail outside (mailbox → external address).
    pub forwarding_rules: Vec<(String, String)>,
    pub phishing: Option<Phishing>,
    /// The waves of activity, in order; a wave after the first starts after a quiet period.
    pub waves: Vec<Wave>,
    /// Addresses the attacker used.
    pub attacker_addresses: Vec<String>,
    /// Accounts the attacker used (lowercase).
    pub accounts: Vec<String>,
}

/// The entry point.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The event at which the attacker gained access.
    pub event: EventRef,
    /// ATT&CK technique ids that describe the entry, the most specific first (e.g. `T1190`; for a
    /// login with guessed credentials `T1110.003` and `T1078`).
    pub techniques: Vec<String>,
    /// In words.
    pub description: String,
}

/// Why the entry succeeded.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RootCause {
    /// A missing update: the KB that would have prevented the entry, and the CVEs it fixes that the
    /// entry used.
    MissingUpdate {
        kb: String,
        cves: Vec<String>,
        /// The package the finding is on (`Exchange Server`).
        package: String,
        /// The build that was installed.
        installed_build: String,
        /// The cumulative update in use was no longer supported when the update came out: the remedy is
        /// to move to a supported cumulative update, then install the latest security update.
        cu_out_of_support: bool,
    },
    /// Valid credentials obtained by guessing; no software vulnerability used.
    CredentialCompromise {
        /// `password spraying`, `credential stuffing`.
        method: String,
    },
}

/// Phishing sent from the server.
#[derive(Debug, Clone, Serialize)]
pub struct Phishing {
    /// The internal mailbox it was sent from (lowercase).
    pub sender: String,
    /// Messages sent (distinct message ids).
    pub messages: usize,
    /// Distinct external recipients.
    pub distinct_external_recipients: usize,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Days with at least one phishing message.
    pub days: usize,
}

/// One wave of attacker activity.
#[derive(Debug, Clone, Serialize)]
pub struct Wave {
    pub start: Timestamp,
    pub end: Timestamp,
    /// What ties this wave to the earlier ones (the shared entry point or artefact), empty for the first.
    pub linked_by: String,
    /// The first event of the wave.
    pub first_event: EventRef,
}

/// An event as written: when, where (file relative to the scenario folder, 1-based line), what.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EventRef {
    pub time: Timestamp,
    pub file: String,
    pub line: u64,
    pub what: String,
}

impl GroundTruth {
    /// The truth as pretty JSON (for `examples/gen.rs` and failing-test messages).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
