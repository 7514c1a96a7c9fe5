//! `vigil doctor` inside the standing watch: on the schedule, each watched server's logs are
//! profiled as `vigil doctor` profiles them, and the logging gaps that make detections impossible
//! (no Sysmon, 4688 without command lines, IIS fields missing, Dovecot without `auth_verbose`,
//! retention shorter than the patch cycle…) become one source-health alert per server, listing
//! each gap with the rules it blinds and its fix. The alert is updated (with a notice) when a new
//! gap appears and resolved by the service when none is left, so a logging policy that drifts is
//! seen as it drifts, not at the next audit.

use crate::schedule::Job;
use std::path::PathBuf;
use std::sync::Arc;
use vigil_alert::Alerter;
use vigil_coverage::{CheckOptions, Gap};
use vigil_model::Level;
use vigil_sigma::RuleSet;
use vigil_store::{AlertState, AlertStore, AlertSubject, Evidence, NewAlert};

/// One server's watched logs.
#[derive(Debug, Clone)]
pub struct DoctorTarget {
    /// The server's name (the watch's `host`, or "this server").
    pub asset: String,
    /// The files and folders its watches follow.
    pub paths: Vec<PathBuf>,
}

/// The dedup key of a server's logging-gap alert.
pub fn gap_key(asset: &str) -> String {
    format!("doctor:{asset}")
}

/// The alert listing a server's logging gaps (`gaps` not empty).
pub fn gaps_alert(asset: &str, gaps: &[Gap]) -> NewAlert {
    let blind: usize = gaps.iter().map(|g| g.blind.len()).sum();
    let evidence = gaps
        .iter()
        .map(|g| {
            let mut v = format!("{} ({})", g.title, g.evidence);
            if !g.blind.is_empty() {
                v.push_str(&format!("; blinds {} rule(s)", g.blind.len()));
            }
            if !g.techniques.is_empty() {
                v.push_str(&format!(" [{}]", g.techniques.join(", ")));
            }
            if let Some(fix) = &g.fix {
                v.push_str(&format!("; fix: {}", fix.summary));
            }
            Evidence::new(g.id, v)
        })
        .collect();
    NewAlert {
        dedup_key: gap_key(asset),
        subject: AlertSubject::SourceHealth,
        reference: format!("doctor:{asset}"),
        severity: Level::Low,
        title: format!(
            "{asset}: {} logging gap(s) make detections impossible ({blind} rule(s) blind); see `vigil doctor`",
            gaps.len()
        ),
        asset: Some(asset.to_string()),
        evidence,
    }
}

/// A notice when a gap appears that the live alert did not list.
fn new_gap_news(old: &vigil_store::Alert, new: &vigil_store::Alert) -> Option<String> {
    let added: Vec<&str> = new
        .evidence
        .iter()
        .filter(|e| !old.evidence.iter().any(|o| o.label == e.label))
        .map(|e| e.label.as_str())
        .collect();
    (!added.is_empty()).then(|| format!("new logging gap(s): {}", added.join(", ")))
}

/// The scheduled job: assesses every target and raises, updates or resolves its alert.
pub fn doctor_job<S: AlertStore + Send + 'static>(
    targets: Vec<DoctorTarget>,
    rules: Arc<RuleSet>,
    opts: CheckOptions,
) -> Job<S> {
    Box::new(move |alerter: &mut Alerter<S>| {
        let mut failures = Vec::new();
        for t in &targets {
            let assessed = match vigil_coverage::assess(
                &t.paths,
                Some(t.asset.clone()),
                &rules,
                &vigil_logs::ReadOptions::default(),
                &opts,
            ) {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("{}: {e}", t.asset));
                    continue;
                }
            };
            if assessed.is_empty() {
                // Nothing read yet (a new log): nothing to judge; silence alerts cover a log
                // that stays empty.
                tracing::info!(asset = %t.asset, "logging check: no event read yet");
                continue;
            }
            if assessed.gaps.is_empty() {
                let live = alerter
                    .store()
                    .alerts_with_key(&gap_key(&t.asset), 16)
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .rfind(|a| a.state != AlertState::Resolved);
                if let Some(a) = live {
                    alerter
                        .resolve(a.id, "vigil", Some("no logging gap is left"))
                        .map_err(|e| e.to_string())?;
                }
                continue;
            }
            tracing::warn!(
                asset = %t.asset,
                gaps = assessed.gaps.len(),
                "logging gaps make detections impossible"
            );
            alerter
                .raise_with_news(&gaps_alert(&t.asset, &assessed.gaps), new_gap_news)
                .map_err(|e| e.to_string())?;
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    })
}
