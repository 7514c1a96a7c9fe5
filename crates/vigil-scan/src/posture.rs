//! Patch posture from stored snapshots: `vigil status` (assets by their worst overdue finding) and
//! `vigil report patching` (per asset: open findings by severity, overdue count, the oldest unapplied fix
//! and how long it has been available, time since the last update, mean time to remediate).
//!
//! Definitions, all measured on a given day so reports are reproducible:
//! - *overdue*: an open finding whose stored deadline (computed by the policy when it was last seen) is
//!   before the day. Findings hidden by an ignore entry are counted too: an exception is not a fix.
//! - *ignored*: open findings with an exception in force on the day (an ignore file's entry, or one
//!   made in the console), shown beside the counts so the decision is seen.
//! - *oldest unapplied fix*: among open findings with a fix, the earliest fix release day; "available for"
//!   counts the days from it to the day.
//! - *last update*: the latest evidence that the asset was patched — the newest update installation an
//!   inventory recorded (`Get-HotFix` dates of a Windows inventory), or the time of the latest snapshot
//!   that resolved a finding (the vulnerable version was gone). Without either, it is unknown, and the
//!   report says since when the asset has been watched without any update seen.
//! - *mean time to remediate*: over resolved findings, the mean of resolved − first seen (how long vigil
//!   saw the finding open); *mean patch latency*: the mean of resolved − fix released (how long the fix was
//!   available before it was applied), the figure the patch policy is about.

use crate::error::ScanError;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::Asset;
use vigil_model::AssetIndex;
use vigil_model::snapshots::StoredFinding;

fn day_of(t: Timestamp) -> Date {
    t.to_zoned(TimeZone::UTC).date()
}

fn days_between(from: Date, to: Date) -> i64 {
    from.until(to).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

fn overdue_days(f: &StoredFinding, today: Date) -> Option<i64> {
    f.finding.days_overdue(today).filter(|d| *d > 0)
}

/// One line of `vigil status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetPosture {
    pub asset: Asset,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_snapshot: Option<Timestamp>,
    pub open: usize,
    pub overdue: usize,
    /// Days the most overdue open finding is past its deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst_overdue_days: Option<i64>,
    /// That finding's key and summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<String>,
    /// Open findings with an exception in force (still counted in `open` and `overdue`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ignored: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Every stored asset, the most overdue first (then by overdue count, open count, name), with the
/// open findings `ignores` has an exception in force for on `today` counted.
pub fn status(
    store: &dyn AssetIndex,
    today: Date,
    ignores: &crate::IgnoreFile,
) -> Result<Vec<AssetPosture>, ScanError> {
    let mut out = Vec::new();
    for record in store.assets()? {
        let name = &record.asset.name;
        let open = store.findings(name, false)?;
        let last_snapshot = store.snapshots(name)?.last().map(|s| s.taken_at);
        let worst = open
            .iter()
            .filter_map(|f| overdue_days(f, today).map(|d| (d, f)))
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.key.cmp(&a.1.key)));
        out.push(AssetPosture {
            asset: record.asset.clone(),
            last_snapshot,
            open: open.len(),
            overdue: open
                .iter()
                .filter(|f| overdue_days(f, today).is_some())
                .count(),
            worst_overdue_days: worst.map(|(d, _)| d),
            worst: worst.map(|(_, f)| match &f.finding.summary {
                Some(s) => format!("{}: {s}", f.key),
                None => f.key.clone(),
            }),
            ignored: open
                .iter()
                .filter(|f| {
                    matches!(
                        ignores.state(&f.finding, today),
                        Some(crate::IgnoreState::Ignored { .. })
                    )
                })
                .count(),
        });
    }
    out.sort_by(|a, b| {
        b.worst_overdue_days
            .unwrap_or(i64::MIN)
            .cmp(&a.worst_overdue_days.unwrap_or(i64::MIN))
            .then_with(|| b.overdue.cmp(&a.overdue))
            .then_with(|| b.open.cmp(&a.open))
            .then_with(|| a.asset.name.cmp(&b.asset.name))
    });
    Ok(out)
}

/// The oldest fix not applied on an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldestFix {
    pub key: String,
    pub fix_released: Date,
    pub days_available: i64,
}

/// The last evidenced update of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUpdate {
    pub date: Date,
    /// `installed update` or `finding resolved`.
    pub evidence: String,
    pub days_ago: i64,
}

/// One asset of `vigil report patching`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchingReport {
    pub asset: Asset,
    pub snapshots: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_snapshot: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_snapshot: Option<Timestamp>,
    pub open: usize,
    pub open_by_severity: BTreeMap<String, usize>,
    pub overdue: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_unapplied_fix: Option<OldestFix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update: Option<LastUpdate>,
    pub resolved: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_days_to_remediate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_patch_latency_days: Option<f64>,
}

/// The patching report of one asset (`None` if the store does not know it) or of every asset.
pub fn patching(
    store: &dyn AssetIndex,
    asset: Option<&str>,
    today: Date,
) -> Result<Vec<PatchingReport>, ScanError> {
    let records = match asset {
        Some(name) => store.asset(name)?.into_iter().collect(),
        None => store.assets()?,
    };
    let mut out = Vec::new();
    for record in records {
        let name = &record.asset.name;
        let snapshots = store.snapshots(name)?;
        let all = store.findings(name, true)?;
        let open: Vec<&StoredFinding> = all.iter().filter(|f| f.resolved_at.is_none()).collect();
        let resolved: Vec<&StoredFinding> =
            all.iter().filter(|f| f.resolved_at.is_some()).collect();

        let mut by_sev = BTreeMap::new();
        for f in &open {
            *by_sev
                .entry(f.finding.severity.as_str().to_string())
                .or_insert(0) += 1;
        }
        let oldest = open
            .iter()
            .filter_map(|f| f.finding.fix_released.map(|d| (d, f)))
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key)))
            .map(|(d, f)| OldestFix {
                key: f.key.clone(),
                fix_released: d,
                days_available: days_between(d, today),
            });

        let installed = snapshots
            .iter()
            .filter_map(|s| s.last_update)
            .max()
            .map(|d| (d, "installed update"));
        let fixed = resolved
            .iter()
            .filter_map(|f| f.resolved_at)
            .max()
            .map(|t| (day_of(t), "finding resolved"));
        let last_update = match (installed, fixed) {
            (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
        .map(|(date, evidence)| LastUpdate {
            date,
            evidence: evidence.to_string(),
            days_ago: days_between(date, today),
        });

        let mean =
            |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
        let remediate = resolved
            .iter()
            .filter_map(|f| {
                let r = f.resolved_at?;
                Some(r.duration_since(f.first_seen).as_secs_f64() / 86_400.0)
            })
            .collect();
        let latency = resolved
            .iter()
            .filter_map(|f| {
                let r = day_of(f.resolved_at?);
                let released = f.finding.fix_released?;
                Some(days_between(released, r) as f64)
            })
            .collect();

        out.push(PatchingReport {
            asset: record.asset.clone(),
            snapshots: snapshots.len(),
            first_snapshot: snapshots.first().map(|s| s.taken_at),
            last_snapshot: snapshots.last().map(|s| s.taken_at),
            open: open.len(),
            open_by_severity: by_sev,
            overdue: open
                .iter()
                .filter(|f| overdue_days(f, today).is_some())
                .count(),
            oldest_unapplied_fix: oldest,
            last_update,
            resolved: resolved.len(),
            mean_days_to_remediate: mean(remediate),
            mean_patch_latency_days: mean(latency),
        });
    }
    Ok(out)
}
