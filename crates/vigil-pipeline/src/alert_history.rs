//! The alert history an investigation cites: which of vigil's own alerts (raised by `vigil serve`)
//! concern each incident, when they were raised and whether anyone acknowledged them — what a breach
//! report states as "first alerted at T, acknowledged at T2" or "never acknowledged".

use crate::PipelineError;
use jiff::Timestamp;
use vigil_investigate::asset::asset_key;
use vigil_investigate::{AlertRecord, Incident, SelfTestRecord};
use vigil_store::{Alert, AlertState, AlertStore, AlertSubject};

/// Alerts read at most (the newest): far more than incidents a store holds.
const MAX_ALERTS: usize = 10_000;

/// The incident alerts of the store matched to `incidents`: an alert concerns an incident when it was
/// raised about it (same id) or about the same asset with a first detection inside the incident's span
/// (a live alert sees a window of the incident, so its id may differ). Each is recorded against the
/// incident's first strong detection, the one an alert is raised on.
pub fn alert_records(
    store: &dyn AlertStore,
    incidents: &[Incident],
) -> Result<Vec<AlertRecord>, PipelineError> {
    let alerts: Vec<Alert> = store
        .alerts(None, MAX_ALERTS)?
        .into_iter()
        .filter(|a| a.subject == AlertSubject::Incident)
        .collect();
    let mut out = Vec::new();
    for inc in incidents {
        let Some(opener) = inc
            .detections
            .iter()
            .find(|d| d.level >= inc.open_level)
            .or(inc.detections.first())
        else {
            continue;
        };
        let Some(source) = opener.sources.first() else {
            continue;
        };
        for a in alerts.iter().filter(|a| concerns(a, inc)) {
            out.push(AlertRecord {
                rule_id: opener.rule_id.clone(),
                source: source.clone(),
                raised_at: Some(a.created_at),
                acknowledged_at: a.acknowledged.as_ref().map(|m| m.at),
                acknowledged_by: a.acknowledged.as_ref().map(|m| m.by.clone()),
                alert_id: Some(a.id),
            });
        }
    }
    Ok(out)
}

fn concerns(a: &Alert, inc: &Incident) -> bool {
    if a.reference == inc.id {
        return true;
    }
    let same_asset = match (&a.asset, &inc.asset) {
        (Some(x), Some(y)) => asset_key(x) == asset_key(y),
        (None, None) => true,
        _ => false,
    };
    let first: Option<Timestamp> = a
        .evidence
        .iter()
        .find(|e| e.label == "first seen")
        .and_then(|e| e.value.parse().ok());
    same_asset && first.is_some_and(|t| t >= inc.first_seen && t <= inc.last_seen)
}

/// The self-tests that passed, from the alerts `vigil serve` closed for its canaries (a canary's
/// alert is resolved by the service only once every channel took it).
pub fn selftest_records(store: &dyn AlertStore) -> Result<Vec<SelfTestRecord>, PipelineError> {
    Ok(store
        .alerts(Some(AlertState::Resolved), MAX_ALERTS)?
        .into_iter()
        .filter(|a| a.subject == AlertSubject::SelfTest && a.dedup_key.starts_with("selftest:"))
        .filter_map(|a| {
            Some(SelfTestRecord {
                source: a.reference,
                passed_at: a.resolved?.at,
            })
        })
        .collect())
}
