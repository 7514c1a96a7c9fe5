//! The investigation stage over the store: the knowledge an investigation works from (open findings,
//! inventory observations, KEV entries), grouping options, stored detections with their triage, and the
//! cases kept as stored incidents. The investigation itself is `vigil_investigate::investigate`.

use crate::PipelineError;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use vigil_investigate::incident::DetectionKey;
use vigil_investigate::mailbox::{MailboxAccess, Phishing};
use vigil_investigate::rootcause::FindingAtTime;
use vigil_investigate::timeline::{InventoryObservation, ObservationKind};
use vigil_investigate::{
    Case, CveMap, DwellTime, Entity, GroupOptions, Grouping, IncidentRecord, Knowledge, Link,
    RootCause, Tactic, Wave, group_incidents, investigate,
};
use vigil_model::{Detection, Level};
use vigil_store::{AlertStore, HealthStore, IncidentRow, Store};

/// Reads an incident record (incident.toml).
pub fn read_record(path: &Path) -> Result<IncidentRecord, PipelineError> {
    let text = std::fs::read_to_string(path).map_err(|error| PipelineError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    toml::from_str(&text).map_err(|e| PipelineError::Record {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The open findings of every stored asset, with inventory observations derived from when each was first
/// seen (vulnerable version seen) and resolved (fix applied), and the KEV entries of their CVEs; `cve_map`
/// ties rules to CVEs (see [`crate::rules::load_cve_map`]).
pub fn knowledge(store: &dyn Store, cve_map: CveMap) -> Result<Knowledge, PipelineError> {
    let mut findings = Vec::new();
    let mut observations = Vec::new();
    let mut kev = Vec::new();
    let mut seen_cves = BTreeSet::new();
    for a in store.assets()? {
        for sf in store.findings(&a.asset.name, true)? {
            let f = &sf.finding;
            let ids: Vec<String> = f
                .advisories
                .iter()
                .chain(f.aliases.iter())
                .cloned()
                .collect();
            observations.push(InventoryObservation {
                asset: f.asset.clone(),
                package: f.package.name.clone(),
                version: f.package.version.clone(),
                observed_at: sf.first_seen,
                kind: ObservationKind::VulnerableSeen,
                advisories: ids.clone(),
                file: f.package.location.file.clone(),
            });
            if let Some(at) = sf.resolved_at {
                observations.push(InventoryObservation {
                    asset: f.asset.clone(),
                    package: f.package.name.clone(),
                    version: String::from("(fixed)"),
                    observed_at: at,
                    kind: ObservationKind::FixApplied,
                    advisories: ids,
                    file: f.package.location.file.clone(),
                });
                continue;
            }
            for c in f.cves() {
                if seen_cves.insert(c.to_string())
                    && let Some(k) = store.kev(c)?
                {
                    kev.push(k);
                }
            }
            findings.push(sf.finding);
        }
    }
    Ok(Knowledge {
        findings,
        observations,
        kev,
        cve_map,
        unsupported: Vec::new(),
        alerts: None,
        selftests: None,
    })
}

/// How detections are grouped: `--gap`, `--min-level`, `--lookback` and the triage.
pub fn group_options(
    dismissed: &[DetectionKey],
    gap_days: u32,
    min: Level,
    lookback_days: u32,
    cve_map: &CveMap,
) -> GroupOptions {
    GroupOptions {
        gap: SignedDuration::from_hours(i64::from(gap_days) * 24),
        dismissed: dismissed.to_vec(),
        min_level: min,
        lookback: SignedDuration::from_hours(i64::from(lookback_days) * 24),
        post_exploitation_rules: cve_map.post_exploitation_rules(),
        ..GroupOptions::default()
    }
}

/// Groups detections into incidents with the library's policy and the default lookback.
pub fn group(
    detections: &[Detection],
    dismissed: &[DetectionKey],
    gap_days: u32,
    min: Level,
    cve_map: &CveMap,
) -> Grouping {
    let lookback = GroupOptions::default().lookback.as_hours() / 24;
    let lookback = u32::try_from(lookback).unwrap_or(14);
    group_incidents(
        detections,
        &group_options(dismissed, gap_days, min, lookback, cve_map),
    )
}

/// The summary of a case kept with the stored incident (schema `vigil.incident/1`): what
/// `vigil investigate` prints, what the console shows and what its API gives, so that a case read back
/// from a store or from a remote service is printed as one investigated here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub schema: String,
    pub id: String,
    pub asset: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub highest_level: Level,
    pub tactics: Vec<Tactic>,
    /// How many detections the incident holds.
    pub detections: usize,
    #[serde(default)]
    pub waves: Vec<Wave>,
    /// The first [`SUMMARY_ENTITIES`] linking entities.
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub mailboxes_taken: Vec<MailboxAccess>,
    #[serde(default)]
    pub phishing: Vec<Phishing>,
    pub entry_point: Link,
    #[serde(default)]
    pub missing_fixes: Vec<FindingAtTime>,
    pub root_cause: RootCause,
    pub dwell: DwellTime,
}

/// How many linking entities a summary keeps.
pub const SUMMARY_ENTITIES: usize = 20;

impl CaseSummary {
    pub const SCHEMA: &'static str = "vigil.incident/1";

    pub fn of(c: &Case) -> CaseSummary {
        CaseSummary {
            schema: Self::SCHEMA.to_string(),
            id: c.incident.id.clone(),
            asset: c.incident.asset.clone(),
            first_seen: c.incident.first_seen,
            last_seen: c.incident.last_seen,
            highest_level: c.incident.highest_level,
            tactics: c.incident.tactics.clone(),
            detections: c.incident.detections.len(),
            waves: c.incident.waves.clone(),
            entities: c
                .incident
                .entities
                .iter()
                .take(SUMMARY_ENTITIES)
                .cloned()
                .collect(),
            mailboxes_taken: c.taken.exported.clone(),
            phishing: c.phishing.clone(),
            entry_point: c.root_cause.entry_point.clone(),
            missing_fixes: c.root_cause.missing_fixes().into_iter().cloned().collect(),
            root_cause: c.root_cause.clone(),
            dwell: c.dwell.clone(),
        }
    }
}

/// The summary of a case kept with the stored incident, as JSON.
pub fn summary_json(c: &Case) -> serde_json::Value {
    serde_json::to_value(CaseSummary::of(c)).unwrap_or(serde_json::Value::Null)
}

/// What an investigation of the stored detections is asked: `vigil investigate`'s options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestigateOptions {
    /// Only incidents on this asset.
    pub asset: Option<String>,
    /// Longest silence, in days, between two detections of one wave.
    pub gap_days: u32,
    /// Detections at or above this level open incidents.
    pub min_level: Level,
    /// Days before an incident in which lower-level detections linked to it are its precursors.
    pub lookback_days: u32,
}

impl Default for InvestigateOptions {
    fn default() -> Self {
        InvestigateOptions {
            asset: None,
            gap_days: 30,
            min_level: Level::High,
            lookback_days: 14,
        }
    }
}

/// An investigation of everything stored.
pub struct Investigation {
    pub cases: Vec<Case>,
    /// Stored detections considered (all of them; the triage decides which count).
    pub detections: usize,
    /// Detections left out as dismissed false positives.
    pub dismissed: usize,
    /// Detections without a usable time.
    pub untimed: usize,
}

/// Investigates the stored detections: groups them into incidents, builds each case with what the
/// store knows (findings, KEV, the alerts raised and acknowledged, the service's self-tests), and
/// stores the cases as incidents (the console lists those). `record` gives the awareness time.
pub fn run<S>(
    store: &mut S,
    opts: &InvestigateOptions,
    record: Option<&IncidentRecord>,
) -> Result<Investigation, PipelineError>
where
    S: Store + AlertStore + HealthStore,
{
    let (dets, dismissed) = stored(store)?;
    let cve_map = crate::rules::load_cve_map();
    let mut grouping = group_incidents(
        &dets,
        &group_options(
            &dismissed,
            opts.gap_days,
            opts.min_level,
            opts.lookback_days,
            &cve_map,
        ),
    );
    if let Some(a) = &opts.asset {
        grouping.incidents.retain(|i| i.is_on(a));
    }
    let mut k = knowledge(store, cve_map)?;
    // The alert history says when each incident was first alerted and whether anyone acknowledged it.
    k.alerts = Some(crate::alert_history::alert_records(
        store,
        &grouping.incidents,
    )?);
    // Self-tests are only claimed about where a service has watched (it leaves a heartbeat).
    let tests = crate::alert_history::selftest_records(store)?;
    if !tests.is_empty() || HealthStore::heartbeat(store)?.is_some() {
        k.selftests = Some(tests);
    }
    let cases = investigate(&grouping, &k, record);
    save_cases(store, &cases)?;
    Ok(Investigation {
        cases,
        detections: dets.len(),
        dismissed: grouping.dismissed.len(),
        untimed: grouping.untimed.len(),
    })
}

/// Stores (or refreshes) the incidents of an investigation.
pub fn save_cases(store: &mut dyn Store, cases: &[Case]) -> Result<(), PipelineError> {
    let now = Timestamp::now();
    for c in cases {
        let entry = c.root_cause.entry_rule_id.as_ref().map(|_| {
            c.root_cause
                .entry_point
                .evidence
                .first()
                .and_then(|e| match e {
                    vigil_investigate::Evidence::Detection {
                        rule_title,
                        timestamp,
                        ..
                    } => Some(format!(
                        "{rule_title} at {}",
                        timestamp.map_or_else(String::new, vigil_investigate::time::format_ts)
                    )),
                    _ => None,
                })
                .unwrap_or_else(|| c.root_cause.entry_point.claim.clone())
        });
        store.save_incident(&IncidentRow {
            id: c.incident.id.clone(),
            asset: c.incident.asset.clone(),
            first_seen: c.incident.first_seen,
            last_seen: c.incident.last_seen,
            level: c.incident.highest_level,
            detections: c.incident.detections.len(),
            entry_point: entry,
            status: "open".into(),
            opened_at: now,
            updated_at: now,
            summary: summary_json(c),
        })?;
    }
    Ok(())
}

/// Stored detections, the keys of those dismissed, for grouping.
pub fn stored(store: &dyn Store) -> Result<(Vec<Detection>, Vec<DetectionKey>), PipelineError> {
    let mut dets = Vec::new();
    let mut dismissed = Vec::new();
    for s in store.detections()? {
        if s.dismissed.is_some()
            && let Some(k) = DetectionKey::of(&s.detection)
        {
            dismissed.push(k);
        }
        dets.push(s.detection);
    }
    Ok((dets, dismissed))
}
