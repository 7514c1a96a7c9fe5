//! Investigation: from detections and findings to incidents, timelines, root causes, measures and the
//! breach-notification draft a regulator expects.
//!
//! Every function here is pure: the caller (the CLI, the store) hands in `vigil-model` data plus a few plain
//! input structs, and gets plain data back. Nothing reads files or the clock, except [`cvemap`], which parses
//! the text of `rules/cve-map.yml` it is given.
//!
//! - [`cvemap`]: rule id → CVEs (curated table) and a detection's own `cve.*` tags.
//! - [`tactics`]: ATT&CK tactics of a detection and the kill-chain order.
//! - [`incident`]: detections grouped into incidents per asset and time window.
//! - [`timeline`]: one ordered view of detections, events, inventory observations and advisory dates; CSV/JSONL.
//! - [`rootcause`]: the entry point, the exploited vulnerabilities and what else was missing, with evidence.
//! - [`measures`]: dwell time, notification deadline, patch latency, exposure windows.
//! - [`breach`]: the notification draft (GDPR Art. 33 / Data Protection (Bailiwick of Guernsey) Law 2017 s.42).

pub mod asset;
pub mod breach;
pub mod case;
pub mod cvemap;
pub mod error;
pub mod evidence;
pub mod incident;
pub mod measures;
pub mod rootcause;
pub mod tactics;
pub mod time;
pub mod timeline;

pub use breach::{BreachDraft, Field, draft_breach};
pub use case::IncidentRecord;
pub use cvemap::{CveMap, CveMapping, CveSource, cves_for_detection, cves_from_tags};
pub use error::InvestigateError;
pub use evidence::{Evidence, Link, LinkStatus};
pub use incident::{GroupOptions, Grouping, Incident, group_incidents};
pub use measures::{
    DwellTime, ExposureWindow, PatchLatency, dwell_time, exposure_windows, patch_latency,
};
pub use rootcause::{AlertRecord, ExpectedSource, RootCause, RootCauseInput, root_cause};
pub use tactics::{Tactic, detection_tactics, primary_tactic};
pub use timeline::{
    InventoryObservation, ObservationKind, TimelineEntry, TimelineInput, build_timeline,
};
