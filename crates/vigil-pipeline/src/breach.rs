//! The breach-notification draft of one stored incident, as `vigil report breach` and the console
//! give it: the stored detections grouped and investigated with the store's knowledge, the alert
//! history and the self-tests (claimed only where a service has watched), and the draft of the
//! incident asked for. The incident record (what only the organisation knows) is the file given, or
//! else the one saved for the incident in the store (the console's form), so the console and the CLI
//! draft alike.

use crate::PipelineError;
use crate::investigate as inv;
use jiff::Timestamp;
use vigil_investigate::{BreachDraft, IncidentRecord};
use vigil_model::Level;
use vigil_store::{CaseStore, SqliteStore, StoreError, TrailStore};

/// How the incidents are grouped (as `vigil investigate`'s options).
#[derive(Debug, Clone, Copy)]
pub struct BreachOptions {
    pub gap_days: u32,
    pub min_level: Level,
}

impl Default for BreachOptions {
    fn default() -> Self {
        BreachOptions {
            gap_days: 30,
            min_level: Level::High,
        }
    }
}

/// The incident record saved for `incident_id` (compared without case), with who saved it and when.
pub fn stored_record(
    store: &SqliteStore,
    incident_id: &str,
) -> Result<Option<(IncidentRecord, String, Timestamp)>, PipelineError> {
    let Some(row) = store.incident_record(incident_id)? else {
        return Ok(None);
    };
    let record = serde_json::from_value(row.record).map_err(|e| StoreError::Corrupt {
        what: "incident record",
        id: row.incident.clone(),
        reason: e.to_string(),
    })?;
    Ok(Some((record, row.saved_by, row.saved_at)))
}

/// Saves `record` as the incident record of `incident_id` for `actor`, recorded in the trail with
/// the names of the fields changed (returned; none changed: nothing written).
pub fn save_record(
    store: &mut SqliteStore,
    incident_id: &str,
    record: &IncidentRecord,
    actor: &str,
    at: Timestamp,
) -> Result<Vec<String>, PipelineError> {
    let json = serde_json::to_value(record).map_err(|e| StoreError::InvalidValue {
        what: "incident record".into(),
        reason: e.to_string(),
    })?;
    Ok(store.save_incident_record_recorded(incident_id, &json, actor, at)?)
}

/// The stored detections grouped into incidents as `vigil investigate` groups them with `opts` (the
/// dismissed ones set aside), and the CVE map the grouping used.
pub fn regroup(
    store: &SqliteStore,
    opts: BreachOptions,
) -> Result<(vigil_investigate::Grouping, vigil_investigate::CveMap), PipelineError> {
    let (dets, dismissed) = inv::stored(store)?;
    let cve_map = crate::rules::load_cve_map();
    let grouping = inv::group(&dets, &dismissed, opts.gap_days, opts.min_level, &cve_map);
    Ok((grouping, cve_map))
}

/// The draft of `incident_id` (compared without case), or the ids of the incidents there are.
/// `record` is the incident record given (a file); without one, the record saved for the incident in
/// the store is used, if any.
pub fn draft(
    store: &SqliteStore,
    incident_id: &str,
    record: Option<&IncidentRecord>,
    opts: BreachOptions,
    now: Timestamp,
) -> Result<Result<BreachDraft, Vec<String>>, PipelineError> {
    let saved = match record {
        Some(_) => None,
        None => stored_record(store, incident_id)?.map(|(r, _, _)| r),
    };
    let record = record.or(saved.as_ref());
    let (grouping, cve_map) = regroup(store, opts)?;
    let mut k = inv::knowledge(store, cve_map)?;
    k.alerts = Some(crate::alert_history::alert_records(
        store,
        &grouping.incidents,
    )?);
    let tests = crate::alert_history::selftest_records(store)?;
    if !tests.is_empty() || vigil_store::HealthStore::heartbeat(store)?.is_some() {
        k.selftests = Some(tests);
    }
    let cases = vigil_investigate::investigate(&grouping, &k, record);
    let Some(case) = cases
        .iter()
        .find(|c| c.incident.id.eq_ignore_ascii_case(incident_id))
    else {
        return Ok(Err(cases.iter().map(|c| c.incident.id.clone()).collect()));
    };
    let empty = IncidentRecord::default();
    Ok(Ok(vigil_investigate::draft_breach(
        &vigil_investigate::breach::BreachInput {
            record: record.unwrap_or(&empty),
            incident: &case.incident,
            root_cause: &case.root_cause,
            dwell: &case.dwell,
            findings: &k.findings,
            kev: &k.kev,
            drafted_at: Some(now),
            as_of: None,
            unsupported: &k.unsupported,
        },
    )))
}
