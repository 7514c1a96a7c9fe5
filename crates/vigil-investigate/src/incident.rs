//! Grouping detections into incidents.
//!
//! The rule: detections are split by asset (host names compared with [`asset_key`], so
//! `MAIL01.clinic.example.org` and `MAIL01` are one asset), sorted by time, and chained: a detection joins the
//! current incident of its asset when it comes no later than `gap` after that incident's last detection;
//! a longer silence opens a new incident. The default gap is 30 days: a server with a web shell stays
//! compromised until it is cleaned, and the traces of that (a re-dropped web shell quarantined by the
//! antivirus, a return visit months later) arrive weeks apart — in the bundled Exchange scenario 18 to 25
//! days. A shorter gap splits one intrusion into pieces an investigator then has to join by hand.
//!
//! Detections without a timestamp cannot be placed and detections triaged as false positives are kept
//! aside in [`Grouping`], never dropped silently.

use crate::asset::asset_key;
use crate::tactics::{Tactic, detection_tactics, primary_tactic};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::{Detection, Level, SourceRef};

/// Identifies one detection for triage decisions: its rule and its first record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DetectionKey {
    pub rule_id: String,
    pub source: SourceRef,
}

impl DetectionKey {
    pub fn of(d: &Detection) -> Option<DetectionKey> {
        d.sources.first().map(|s| DetectionKey {
            rule_id: d.rule_id.clone(),
            source: s.clone(),
        })
    }

    fn matches(&self, d: &Detection) -> bool {
        self.rule_id == d.rule_id && d.sources.contains(&self.source)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupOptions {
    /// Longest silence between two detections of one incident.
    pub gap: SignedDuration,
    /// Detections triaged as false positives (e.g. a planned mailbox export by an administrator).
    #[serde(default)]
    pub dismissed: Vec<DetectionKey>,
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            gap: SignedDuration::from_hours(30 * 24),
            dismissed: Vec::new(),
        }
    }
}

/// Detections on one asset that belong together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `INC-MAIL01-20210812T211403Z`: the asset and the first detection's time, so the same data gives the
    /// same id on every run (it changes only if an earlier detection is added).
    pub id: String,
    /// The host name as the first detection spelled it; `None` when the detections named no host.
    pub asset: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Ordered by time, then by kill-chain tactic, then rule id.
    pub detections: Vec<Detection>,
    pub highest_level: Level,
    /// Every tactic seen, in kill-chain order.
    pub tactics: Vec<Tactic>,
}

impl Incident {
    /// The detections per primary tactic, in kill-chain order; detections without any ATT&CK tag last.
    pub fn by_tactic(&self) -> Vec<(Option<Tactic>, Vec<&Detection>)> {
        let mut groups: BTreeMap<(bool, Option<Tactic>), Vec<&Detection>> = BTreeMap::new();
        for d in &self.detections {
            let t = primary_tactic(d);
            groups.entry((t.is_none(), t)).or_default().push(d);
        }
        groups.into_iter().map(|((_, t), v)| (t, v)).collect()
    }

    /// Whether a host or asset name denotes this incident's asset.
    pub fn is_on(&self, name: &str) -> bool {
        self.asset
            .as_deref()
            .is_some_and(|a| asset_key(a) == asset_key(name))
    }
}

/// The result of grouping: incidents, plus what could not be grouped and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    /// Ordered by first detection, then id.
    pub incidents: Vec<Incident>,
    /// Detections without a timestamp: they cannot be placed in time.
    pub untimed: Vec<Detection>,
    /// Detections matching a dismissal.
    pub dismissed: Vec<Detection>,
}

/// Groups detections into incidents (see the module documentation for the rule).
pub fn group_incidents(detections: &[Detection], opts: &GroupOptions) -> Grouping {
    let mut out = Grouping::default();
    let gap = if opts.gap.is_negative() {
        SignedDuration::ZERO
    } else {
        opts.gap
    };
    let mut per_asset: BTreeMap<Option<String>, Vec<(Timestamp, &Detection)>> = BTreeMap::new();
    for d in detections {
        if opts.dismissed.iter().any(|k| k.matches(d)) {
            out.dismissed.push(d.clone());
            continue;
        }
        let Some(ts) = d.timestamp else {
            out.untimed.push(d.clone());
            continue;
        };
        let key = d.host.as_deref().map(asset_key).filter(|k| !k.is_empty());
        per_asset.entry(key).or_default().push((ts, d));
    }
    for (key, mut list) in per_asset {
        list.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| tactic_rank(a.1).cmp(&tactic_rank(b.1)))
                .then_with(|| a.1.rule_id.cmp(&b.1.rule_id))
                .then_with(|| first_source(a.1).cmp(&first_source(b.1)))
        });
        let mut current: Vec<(Timestamp, &Detection)> = Vec::new();
        for item in list {
            let joins = current
                .last()
                .is_none_or(|(last, _)| last.duration_until(item.0) <= gap);
            if !joins {
                out.incidents
                    .push(make_incident(key.as_deref(), std::mem::take(&mut current)));
            }
            current.push(item);
        }
        if !current.is_empty() {
            out.incidents.push(make_incident(key.as_deref(), current));
        }
    }
    out.incidents.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

fn tactic_rank(d: &Detection) -> (bool, Option<Tactic>) {
    let t = primary_tactic(d);
    (t.is_none(), t)
}

fn first_source(d: &Detection) -> Option<(String, String)> {
    d.sources
        .first()
        .map(|s| (s.file.clone(), format!("{:?}", s.record)))
}

/// Builds one incident from a non-empty, time-ordered run of detections.
fn make_incident(key: Option<&str>, run: Vec<(Timestamp, &Detection)>) -> Incident {
    let first_seen = run.first().map_or(Timestamp::UNIX_EPOCH, |r| r.0);
    let last_seen = run.last().map_or(first_seen, |r| r.0);
    let asset = run.iter().find_map(|(_, d)| d.host.clone());
    let highest_level = run
        .iter()
        .map(|(_, d)| d.level)
        .max()
        .unwrap_or(Level::Informational);
    let mut tactics: Vec<Tactic> = run.iter().flat_map(|(_, d)| detection_tactics(d)).collect();
    tactics.sort();
    tactics.dedup();
    Incident {
        id: incident_id(key, first_seen),
        asset,
        first_seen,
        last_seen,
        detections: run.into_iter().map(|(_, d)| d.clone()).collect(),
        highest_level,
        tactics,
    }
}

/// `INC-<ASSET>-<YYYYMMDDTHHMMSSZ>`; the asset part keeps letters, digits, `.`, `_` and `-` (at most 64).
pub fn incident_id(asset_key: Option<&str>, first_seen: Timestamp) -> String {
    let asset: String = asset_key
        .unwrap_or("unknown-host")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect::<String>()
        .to_ascii_uppercase();
    let asset = if asset.is_empty() {
        "UNNAMED".to_string()
    } else {
        asset
    };
    format!("INC-{asset}-{}", first_seen.strftime("%Y%m%dT%H%M%SZ"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::RecordRef;

    fn det(
        rule: &str,
        host: Option<&str>,
        ts: Option<&str>,
        tags: &[&str],
        level: Level,
    ) -> Detection {
        Detection {
            rule_id: rule.into(),
            rule_title: rule.into(),
            level,
            tags: tags.iter().map(|s| s.to_string()).collect(),
            timestamp: ts.map(|t| t.parse().unwrap()),
            first_seen: None,
            host: host.map(str::to_string),
            sources: vec![SourceRef {
                file: format!("{rule}.log"),
                record: RecordRef::Line(1),
            }],
            matched: vec![],
        }
    }

    #[test]
    fn chains_by_gap_per_asset() {
        let ds = vec![
            det(
                "c",
                Some("MAIL01"),
                Some("2021-08-20T00:00:00Z"),
                &["attack.collection"],
                Level::Medium,
            ),
            det(
                "a",
                Some("MAIL01.clinic.example.org"),
                Some("2021-08-13T03:02:11Z"),
                &["attack.initial-access"],
                Level::Critical,
            ),
            det(
                "p",
                Some("mail01"),
                Some("2021-08-13T03:02:11Z"),
                &["attack.persistence"],
                Level::High,
            ),
            det(
                "x",
                Some("MAIL02"),
                Some("2021-08-13T04:00:00Z"),
                &[],
                Level::Low,
            ),
            det(
                "late",
                Some("MAIL01"),
                Some("2021-10-01T00:00:00Z"),
                &["attack.t1505.003"],
                Level::High,
            ),
            det("untimed", Some("MAIL01"), None, &[], Level::High),
        ];
        let opts = GroupOptions {
            gap: SignedDuration::from_hours(7 * 24),
            dismissed: vec![],
        };
        let g = group_incidents(&ds, &opts);
        assert_eq!(g.incidents.len(), 3);
        assert_eq!(g.untimed.len(), 1);
        let first = &g.incidents[0];
        assert_eq!(first.id, "INC-MAIL01-20210813T030211Z");
        assert_eq!(first.asset.as_deref(), Some("MAIL01.clinic.example.org"));
        let rules: Vec<&str> = first
            .detections
            .iter()
            .map(|d| d.rule_id.as_str())
            .collect();
        assert_eq!(
            rules,
            vec!["a", "p", "c"],
            "same second: initial access before persistence"
        );
        assert_eq!(first.highest_level, Level::Critical);
        assert_eq!(
            first.tactics,
            vec![
                Tactic::InitialAccess,
                Tactic::Persistence,
                Tactic::Collection
            ]
        );
        assert!(first.is_on("mail01"));
        assert_eq!(g.incidents[1].id, "INC-MAIL02-20210813T040000Z");
        assert_eq!(
            g.incidents[2].detections.len(),
            1,
            "a 42-day silence opens a new incident"
        );

        let wide = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(
            wide.incidents.len(),
            3,
            "42 days is longer than the 30-day default too"
        );
        let mut ds2 = ds.clone();
        ds2.push(det(
            "mid",
            Some("MAIL01"),
            Some("2021-09-10T00:00:00Z"),
            &[],
            Level::Low,
        ));
        assert_eq!(
            group_incidents(&ds2, &GroupOptions::default())
                .incidents
                .len(),
            2,
            "two 21-day silences chain under the default"
        );
        let by = wide.incidents[0].by_tactic();
        assert_eq!(by.first().map(|g| g.0), Some(Some(Tactic::InitialAccess)));
    }

    #[test]
    fn dismissed_and_hostless_detections() {
        let benign = det(
            "export",
            Some("MAIL01"),
            Some("2021-08-11T14:22:37Z"),
            &[],
            Level::Critical,
        );
        let hostless = det("h", None, Some("2021-08-11T00:00:00Z"), &[], Level::Low);
        let key = DetectionKey::of(&benign).unwrap();
        let g = group_incidents(
            &[benign, hostless],
            &GroupOptions {
                dismissed: vec![key],
                ..GroupOptions::default()
            },
        );
        assert_eq!(g.dismissed.len(), 1);
        assert_eq!(g.incidents.len(), 1);
        assert_eq!(g.incidents[0].asset, None);
        assert_eq!(g.incidents[0].id, "INC-UNKNOWN-HOST-20210811T000000Z");
        assert!(!g.incidents[0].is_on("MAIL01"));
    }

    #[test]
    fn ids_are_sanitised() {
        let ts: Timestamp = "2021-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(incident_id(Some("a b/c"), ts), "INC-ABC-20210102T030405Z");
        assert_eq!(incident_id(Some("//"), ts), "INC-UNNAMED-20210102T030405Z");
    }
}
