//! Investigation: from detections and findings to incidents, timelines, root causes, measures and the
//! breach-notification draft a regulator expects.
//!
//! Every function here is pure: the caller (the CLI, the store) hands in `vigil-model` data plus a few plain
//! input structs, and gets plain data back. Nothing reads files or the clock, except [`cvemap`], which parses
//! the text of `rules/cve-map.yml` it is given.
//!
//! - [`cvemap`]: rule id → CVEs (curated table) and a detection's own `cve.*` tags.
//! - [`tactics`]: ATT&CK tactics of a detection and the kill-chain order.
//! - [`entity`]: addresses, accounts, mailboxes, paths, user agents named by detections; what is common.
//! - [`context`]: the identifying fields of the records behind a detection, attached by the caller.
//! - [`incident`]: detections grouped into incidents per asset: waves, entity links, precursors.
//! - [`timeline`]: one ordered view of detections, events, inventory observations and advisory dates; CSV/JSONL.
//! - [`rootcause`]: the entry point, the exploited vulnerabilities (ranked by evidence) and what else was
//!   missing, with evidence; [`takeover`]: credential compromise as a root cause; [`support`]: products
//!   out of vendor support.
//! - [`mailbox`]: mailboxes exported or downloaded, phishing sent from the organisation's mailboxes.
//! - [`measures`]: dwell time, notification deadline, patch latency, exposure windows.
//! - [`breach`]: the notification draft (GDPR Art. 33 / Data Protection (Bailiwick of Guernsey) Law 2017 s.42);
//!   [`breach_markdown`]: the draft as escaped Markdown.
//!
//! The policies are described for users in `docs/investigation.md`.

pub mod asset;
pub mod breach;
pub mod breach_markdown;
pub mod case;
pub mod context;
pub mod cvemap;
pub mod entity;
pub mod error;
pub mod evidence;
pub mod incident;
pub mod investigation;
pub mod mailbox;
pub mod measures;
pub mod rootcause;
pub mod support;
pub mod tactics;
pub mod takeover;
#[cfg(test)]
mod testing;
pub mod time;
pub mod timeline;

pub use breach::{BreachDraft, Field, draft_breach};
pub use case::IncidentRecord;
pub use cvemap::{CveMap, CveMapping, CveSource, cves_for_detection, cves_from_tags};
pub use entity::{Entity, EntityKind, LinkOptions};
pub use error::InvestigateError;
pub use evidence::{Evidence, Link, LinkStatus};
pub use incident::{GroupOptions, Grouping, Incident, Wave, group_incidents};
pub use investigation::{Case, Knowledge, investigate};
pub use measures::{
    DwellTime, ExposureWindow, PatchLatency, dwell_time, exposure_windows, patch_latency,
};
pub use rootcause::{
    AlertRecord, ExpectedSource, RootCause, RootCauseInput, SelfTestRecord, root_cause,
};
pub use tactics::{Tactic, detection_tactics, primary_tactic};
pub use timeline::{
    InventoryObservation, ObservationKind, TimelineEntry, TimelineInput, build_timeline,
};
