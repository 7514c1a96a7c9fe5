//! The numbers a regulator and a board ask for: how long the attacker was inside before anyone could
//! know, how long until the notification is due, how long fixes waited, and how long each vulnerability
//! stayed open.

use crate::asset::same_asset;
use crate::evidence::finding_key;
use crate::incident::Incident;
use crate::rootcause::AlertRecord;
use crate::time::{days_between, utc_date};
use crate::timeline::{InventoryObservation, ObservationKind};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Hours from awareness within which the regulator must be notified (GDPR Art. 33(1); Data Protection
/// (Bailiwick of Guernsey) Law 2017 s.42).
pub const NOTIFICATION_HOURS: i64 = 72;

/// The notification deadline: awareness + 72 hours.
pub fn notification_deadline(aware_at: Timestamp) -> Option<Timestamp> {
    aware_at
        .checked_add(SignedDuration::from_hours(NOTIFICATION_HOURS))
        .ok()
}

/// Facts the dwell time is measured from, beyond the incident's detections.
#[derive(Debug, Clone, Copy, Default)]
pub struct DwellInput<'a> {
    /// The first malicious event when an investigator established it; otherwise the incident's first
    /// detection is taken.
    pub first_malicious: Option<Timestamp>,
    /// When the organisation became aware (incident record).
    pub aware_at: Option<Timestamp>,
    /// When the regulator was notified, if it was.
    pub notified_at: Option<Timestamp>,
    /// Alerts raised at the time (by vigil or by a security product) and their acknowledgement.
    pub alerts: Option<&'a [AlertRecord]>,
}

/// How the first malicious event was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstEventBasis {
    /// Given by the investigator.
    Stated,
    /// The earliest evidence of the incident's detections: the first detection, or for a correlation the
    /// earliest event it counted.
    FirstDetection,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DwellTime {
    pub first_malicious: Timestamp,
    pub basis: FirstEventBasis,
    /// The first detection vigil made in the logs (retrospectively or live).
    pub first_detection: Timestamp,
    pub to_first_detection: SignedDuration,
    /// Whether an alert history was consulted: without one, "no alert" means "not known".
    #[serde(default)]
    pub alerts_known: bool,
    /// The first alert raised at the time; `None` if no alert records were given or none was raised.
    pub first_alert: Option<Timestamp>,
    pub to_first_alert: Option<SignedDuration>,
    pub first_acknowledged: Option<Timestamp>,
    pub to_first_acknowledged: Option<SignedDuration>,
    /// The first acknowledgement's author and alert number (vigil's alert history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_acknowledged_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_acknowledged_alert: Option<i64>,
    pub aware_at: Option<Timestamp>,
    /// First malicious event → awareness: the dwell time regulators quote.
    pub to_awareness: Option<SignedDuration>,
    pub notification_deadline: Option<Timestamp>,
    pub notified_at: Option<Timestamp>,
    /// Awareness → notification, when it happened.
    pub to_notification: Option<SignedDuration>,
    /// Whether the notification came after the deadline (`None` until it is made).
    pub notified_late: Option<bool>,
}

/// Dwell time and notification clock of an incident.
pub fn dwell_time(incident: &Incident, input: &DwellInput<'_>) -> DwellTime {
    // A correlation fires after the events it counts; the activity began with the earliest of them.
    let earliest_evidence = incident
        .detections
        .iter()
        .filter_map(|d| d.first_seen.or(d.timestamp))
        .min()
        .map_or(incident.first_seen, |t| t.min(incident.first_seen));
    let (first_malicious, basis) = match input.first_malicious {
        Some(t) => (t, FirstEventBasis::Stated),
        None => (earliest_evidence, FirstEventBasis::FirstDetection),
    };
    let since = |t: Timestamp| first_malicious.duration_until(t);
    let related: Vec<&AlertRecord> = input
        .alerts
        .unwrap_or(&[])
        .iter()
        .filter(|a| incident.detections.iter().any(|d| a.concerns(d)))
        .collect();
    let first_alert = related.iter().filter_map(|a| a.raised_at).min();
    let first_ack_record = related
        .iter()
        .filter(|a| a.acknowledged_at.is_some())
        .min_by_key(|a| a.acknowledged_at);
    let first_ack = first_ack_record.and_then(|a| a.acknowledged_at);
    let deadline = input.aware_at.and_then(notification_deadline);
    DwellTime {
        first_malicious,
        basis,
        alerts_known: input.alerts.is_some(),
        first_detection: incident.first_seen,
        to_first_detection: since(incident.first_seen),
        first_alert,
        to_first_alert: first_alert.map(since),
        first_acknowledged: first_ack,
        to_first_acknowledged: first_ack.map(since),
        first_acknowledged_by: first_ack_record.and_then(|a| a.acknowledged_by.clone()),
        first_acknowledged_alert: first_ack_record.and_then(|a| a.alert_id),
        aware_at: input.aware_at,
        to_awareness: input.aware_at.map(since),
        notification_deadline: deadline,
        notified_at: input.notified_at,
        to_notification: input
            .aware_at
            .zip(input.notified_at)
            .map(|(a, n)| a.duration_until(n)),
        notified_late: deadline.zip(input.notified_at).map(|(d, n)| n > d),
    }
}

/// How long one fix waited: from its release to its installation (or to `today` while still missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchLatency {
    pub finding: String,
    pub asset: String,
    /// KB or primary advisory.
    pub fix: String,
    pub fix_released: Option<Date>,
    /// When the fix was first seen installed (inventory observation).
    pub fixed_at: Option<Timestamp>,
    pub open: bool,
    /// Days from release to installation, or to `today` while open; `None` without a release date.
    pub days: Option<i64>,
    pub due: Option<Date>,
    /// Days past the deadline at installation, or `today` while open.
    pub days_overdue: Option<i64>,
}

/// The day a finding's fix was first seen installed.
fn fixed_at(f: &vigil_model::Finding, obs: &[InventoryObservation]) -> Option<Timestamp> {
    obs.iter()
        .filter(|o| o.kind == ObservationKind::FixApplied && o.concerns(f))
        .map(|o| o.observed_at)
        .min()
}

/// Patch latency of every finding.
pub fn patch_latency(
    findings: &[vigil_model::Finding],
    obs: &[InventoryObservation],
    today: Date,
) -> Vec<PatchLatency> {
    let mut out: Vec<PatchLatency> = findings
        .iter()
        .map(|f| {
            let fixed = fixed_at(f, obs);
            let end = fixed.map_or(today, utc_date);
            PatchLatency {
                finding: finding_key(f),
                asset: f.asset.clone(),
                fix: f.kb.as_ref().map_or_else(
                    || f.advisories.first().cloned().unwrap_or_default(),
                    |k| format!("KB{}", k.trim_start_matches("KB")),
                ),
                fix_released: f.fix_released,
                fixed_at: fixed,
                open: fixed.is_none(),
                days: f.fix_released.and_then(|r| days_between(r, end)),
                due: f.due,
                days_overdue: f.days_overdue(end),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.asset
            .cmp(&b.asset)
            .then_with(|| b.days.cmp(&a.days))
            .then_with(|| a.finding.cmp(&b.finding))
    });
    out
}

/// Patch latency summed up per asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetPatchLatency {
    pub asset: String,
    pub findings: usize,
    pub open: usize,
    pub overdue: usize,
    /// Longest wait, in days.
    pub max_days: Option<i64>,
    /// Mean wait over findings with a release date, in whole days (rounded down).
    pub mean_days: Option<i64>,
}

pub fn patch_latency_by_asset(rows: &[PatchLatency]) -> Vec<AssetPatchLatency> {
    let mut out: Vec<AssetPatchLatency> = Vec::new();
    let mut sums: Vec<(i64, i64)> = Vec::new();
    for r in rows {
        let i = match out.iter().position(|a| same_asset(&a.asset, &r.asset)) {
            Some(i) => i,
            None => {
                out.push(AssetPatchLatency {
                    asset: r.asset.clone(),
                    findings: 0,
                    open: 0,
                    overdue: 0,
                    max_days: None,
                    mean_days: None,
                });
                sums.push((0, 0));
                out.len() - 1
            }
        };
        let (Some(a), Some(s)) = (out.get_mut(i), sums.get_mut(i)) else {
            continue;
        };
        a.findings += 1;
        a.open += usize::from(r.open);
        a.overdue += usize::from(r.days_overdue.is_some_and(|d| d > 0));
        if let Some(d) = r.days {
            a.max_days = Some(a.max_days.map_or(d, |m| m.max(d)));
            s.0 = s.0.saturating_add(d);
            s.1 += 1;
        }
    }
    for (a, (sum, n)) in out.iter_mut().zip(sums) {
        a.mean_days = (n > 0).then(|| sum / n);
    }
    out
}

/// How long one vulnerability stayed open on one asset: from the fix's release to its installation (or
/// `today`). A vulnerability fixed by several findings' updates counts from the earliest release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureWindow {
    pub cve: String,
    pub asset: String,
    pub from: Date,
    pub to: Date,
    pub open: bool,
    pub days: i64,
    pub findings: Vec<String>,
}

pub fn exposure_windows(
    findings: &[vigil_model::Finding],
    obs: &[InventoryObservation],
    today: Date,
) -> Vec<ExposureWindow> {
    let mut out: Vec<ExposureWindow> = Vec::new();
    for f in findings {
        let Some(released) = f.fix_released else {
            continue;
        };
        let fixed = fixed_at(f, obs);
        let end = fixed.map_or(today, utc_date);
        for cve in f.cves() {
            match out
                .iter_mut()
                .find(|w| w.cve == cve && same_asset(&w.asset, &f.asset))
            {
                Some(w) => {
                    w.from = w.from.min(released);
                    if fixed.is_none() {
                        w.open = true;
                    }
                    w.to = if w.open { today } else { w.to.max(end) };
                    w.findings.push(finding_key(f));
                }
                None => out.push(ExposureWindow {
                    cve: cve.to_string(),
                    asset: f.asset.clone(),
                    from: released,
                    to: end,
                    open: fixed.is_none(),
                    days: 0,
                    findings: vec![finding_key(f)],
                }),
            }
        }
    }
    for w in &mut out {
        w.days = days_between(w.from, w.to).unwrap_or_default();
    }
    out.sort_by(|a, b| {
        a.asset
            .cmp(&b.asset)
            .then_with(|| b.days.cmp(&a.days))
            .then_with(|| a.cve.cmp(&b.cve))
    });
    out
}
