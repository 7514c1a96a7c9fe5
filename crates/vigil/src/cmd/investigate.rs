//! `vigil investigate`: incidents from the stored detections, each with its entry point, root cause and
//! dwell time; and the investigation steps `vigil audit` and `vigil report breach` share.
//!
//! The grouping policy (strong detections open incidents, waves joined by shared entities, precursors,
//! context) lives in `vigil_investigate::incident`; this module only maps the flags onto it.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Context as _, Result, bail};
use clap::Args;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use vigil_investigate::incident::DetectionKey;
use vigil_investigate::mailbox::{MailboxExports, Phishing, mailbox_exports, phishing};
use vigil_investigate::measures::DwellInput;
use vigil_investigate::support::UnsupportedProduct;
use vigil_investigate::timeline::{
    InventoryObservation, ObservationKind, TimelineEntry, TimelineInput, incident_timeline,
};
use vigil_investigate::{
    CveMap, DwellTime, GroupOptions, Grouping, Incident, IncidentRecord, RootCause, RootCauseInput,
    dwell_time, group_incidents, root_cause,
};
use vigil_model::{Detection, Finding, KevEntry, Level, RecordRef, SourceRef};
use vigil_store::{IncidentRow, Store};

#[derive(Debug, Args)]
pub struct InvestigateArgs {
    /// Only incidents on this asset
    #[arg(long, value_name = "NAME")]
    pub asset: Option<String>,
    /// Longest silence, in days, between two detections of one wave (later waves join by shared entities)
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub gap: u32,
    /// Detections at or above this level open incidents; lower ones (not informational) only join one
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = parse_level)]
    pub min_level: Level,
    /// How many days before an incident lower-level detections sharing an address, network or account
    /// with it are its precursors (they move its start and the dwell time)
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub lookback: u32,
    /// The incident record (incident.toml): awareness time for dwell time and the 72-hour deadline
    #[arg(long, value_name = "FILE")]
    pub incident: Option<PathBuf>,
    /// Machine-readable output (schema `vigil.investigate/1`)
    #[arg(long)]
    pub json: bool,
}

pub fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

/// One investigated incident.
pub struct Case {
    pub incident: Incident,
    pub root_cause: RootCause,
    pub dwell: DwellTime,
    pub timeline: Vec<TimelineEntry>,
    /// Mailboxes exported or downloaded, and phishing sent, as the detections show.
    pub taken: MailboxExports,
    pub phishing: Vec<Phishing>,
}

/// What an investigation works from, beyond the detections.
pub struct Knowledge {
    pub findings: Vec<Finding>,
    pub observations: Vec<InventoryObservation>,
    pub kev: Vec<KevEntry>,
    pub cve_map: CveMap,
    /// Products the scan found out of vendor support (known to `vigil audit`, not kept in the store).
    pub unsupported: Vec<UnsupportedProduct>,
}

/// `rules/cve-map.yml` beside the bundled rules; an empty map (with a warning) when it is missing.
pub fn load_cve_map() -> CveMap {
    let Some(dir) = crate::cmd::rules::bundled_rules_dir() else {
        tracing::warn!(
            "rules/cve-map.yml not found: detections are tied to CVEs by their tags only"
        );
        return CveMap::default();
    };
    let path = dir.join("cve-map.yml");
    match std::fs::read_to_string(&path) {
        Ok(text) => match CveMap::parse(&text, &path.display().to_string()) {
            Ok((map, issues)) => {
                for i in issues {
                    tracing::warn!("{}: {i:?}", path.display());
                }
                map
            }
            Err(e) => {
                tracing::warn!("{}: {e}", path.display());
                CveMap::default()
            }
        },
        Err(e) => {
            tracing::warn!("{}: {e}", path.display());
            CveMap::default()
        }
    }
}

/// Reads an incident record (incident.toml).
pub fn read_record(path: &Path) -> Result<IncidentRecord> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{} is not a valid incident record", path.display()))
}

/// The open findings of every stored asset, with inventory observations derived from when each was first
/// seen (vulnerable version seen) and resolved (fix applied), and the KEV entries of their CVEs.
pub fn knowledge(store: &dyn Store) -> Result<Knowledge> {
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
        cve_map: load_cve_map(),
        unsupported: Vec::new(),
    })
}

/// How detections are grouped: `--gap`, `--min-level`, `--lookback` and the triage.
pub fn group_options(
    dismissed: &[DetectionKey],
    gap_days: u32,
    min: Level,
    lookback_days: u32,
) -> GroupOptions {
    GroupOptions {
        gap: SignedDuration::from_hours(i64::from(gap_days) * 24),
        dismissed: dismissed.to_vec(),
        min_level: min,
        lookback: SignedDuration::from_hours(i64::from(lookback_days) * 24),
        post_exploitation_rules: load_cve_map().post_exploitation_rules(),
        ..GroupOptions::default()
    }
}

/// Groups detections into incidents with the library's policy and the default lookback.
pub fn group(
    detections: &[Detection],
    dismissed: &[DetectionKey],
    gap_days: u32,
    min: Level,
) -> Grouping {
    let lookback = GroupOptions::default().lookback.as_hours() / 24;
    let lookback = u32::try_from(lookback).unwrap_or(14);
    group_incidents(
        detections,
        &group_options(dismissed, gap_days, min, lookback),
    )
}

/// Root cause, dwell time and timeline of each incident.
pub fn investigate(
    grouping: &Grouping,
    k: &Knowledge,
    record: Option<&IncidentRecord>,
) -> Vec<Case> {
    grouping
        .incidents
        .iter()
        .map(|inc| {
            let rc = root_cause(
                inc,
                &RootCauseInput {
                    findings: &k.findings,
                    observations: &k.observations,
                    cve_map: &k.cve_map,
                    expected_sources: None,
                    alerts: None,
                    unsupported: &k.unsupported,
                },
            );
            // The record's awareness time belongs to the incident it names (by asset), or to the only one.
            let applies = record.is_some_and(|r| {
                r.assets.is_empty()
                    || r.assets.iter().any(|a| inc.is_on(a))
                    || grouping.incidents.len() == 1
            });
            let rec = record.filter(|_| applies);
            let dwell = dwell_time(
                inc,
                &DwellInput {
                    first_malicious: rec.and_then(|r| r.first_malicious_event),
                    aware_at: rec.and_then(|r| r.aware_at),
                    notified_at: rec.and_then(|r| r.notified_at),
                    alerts: None,
                },
            );
            let timeline = incident_timeline(
                inc,
                &TimelineInput {
                    detections: &inc.detections,
                    events: &[],
                    observations: &k.observations,
                    findings: &k.findings,
                    kev: &k.kev,
                },
            );
            Case {
                incident: inc.clone(),
                root_cause: rc,
                dwell,
                timeline,
                taken: mailbox_exports(&inc.detections),
                phishing: phishing(&inc.detections),
            }
        })
        .collect()
}

/// The summary of a case kept with the stored incident.
pub fn summary_json(c: &Case) -> serde_json::Value {
    serde_json::json!({
        "schema": "vigil.incident/1",
        "id": c.incident.id,
        "asset": c.incident.asset,
        "first_seen": c.incident.first_seen,
        "last_seen": c.incident.last_seen,
        "highest_level": c.incident.highest_level,
        "tactics": c.incident.tactics.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "detections": c.incident.detections.len(),
        "waves": c.incident.waves,
        "entities": c.incident.entities.iter().take(20).collect::<Vec<_>>(),
        "mailboxes_taken": c.taken.exported,
        "phishing": c.phishing,
        "entry_point": c.root_cause.entry_point,
        "missing_fixes": c.root_cause.missing_fixes(),
        "root_cause": c.root_cause,
        "dwell": c.dwell,
    })
}

/// Stores (or refreshes) the incidents of an investigation.
pub fn save_cases(store: &mut dyn Store, cases: &[Case]) -> Result<()> {
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

/// A triage decision: `RULE@FILE:RECORD` (`RULE` may be `*` for every rule on that record; `FILE` matches
/// the end of the detection's file path on a `/` boundary; `RECORD` is the line, EVTX record id or offset
/// vigil cites as evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dismissal {
    pub rule: String,
    pub file: String,
    pub record: u64,
    pub reason: String,
}

impl Dismissal {
    pub fn parse(s: &str, reason: &str) -> Result<Dismissal> {
        let (rule, rest) = s
            .split_once('@')
            .with_context(|| format!("--dismiss {s:?}: expected RULE@FILE:RECORD"))?;
        let (file, record) = rest
            .rsplit_once(':')
            .with_context(|| format!("--dismiss {s:?}: expected RULE@FILE:RECORD"))?;
        let record: u64 = record
            .trim()
            .trim_start_matches("line ")
            .trim_start_matches("record ")
            .parse()
            .with_context(|| format!("--dismiss {s:?}: the record must be a number"))?;
        if rule.trim().is_empty() || file.trim().is_empty() {
            bail!("--dismiss {s:?}: expected RULE@FILE:RECORD");
        }
        Ok(Dismissal {
            rule: rule.trim().to_string(),
            file: file.trim().replace('\\', "/"),
            record,
            reason: reason.to_string(),
        })
    }

    pub fn matches(&self, d: &Detection) -> Option<SourceRef> {
        if self.rule != "*" && !self.rule.eq_ignore_ascii_case(&d.rule_id) {
            return None;
        }
        d.sources
            .iter()
            .find(|s| {
                let n = match s.record {
                    RecordRef::Line(n) | RecordRef::EvtxRecord(n) | RecordRef::Offset(n) => n,
                };
                let file = s.file.replace('\\', "/");
                n == self.record
                    && (file == self.file || file.ends_with(&format!("/{}", self.file)))
            })
            .cloned()
    }
}

/// `dismissed = [{ detection = "RULE@FILE:RECORD", reason = "…" }]` in incident.toml (also plain strings).
pub fn record_dismissals(path: &Path) -> Result<Vec<Dismissal>> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Entry {
        Plain(String),
        Full {
            detection: String,
            #[serde(default)]
            reason: Option<String>,
        },
    }
    #[derive(serde::Deserialize, Default)]
    struct Extra {
        #[serde(default)]
        dismissed: Vec<Entry>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let extra: Extra = toml::from_str(&text)
        .with_context(|| format!("{}: the `dismissed` list", path.display()))?;
    extra
        .dismissed
        .into_iter()
        .map(|e| match e {
            Entry::Plain(s) => Dismissal::parse(&s, &format!("dismissed in {}", path.display())),
            Entry::Full { detection, reason } => Dismissal::parse(
                &detection,
                reason
                    .as_deref()
                    .unwrap_or("dismissed in the incident record"),
            ),
        })
        .collect()
}

/// Stored detections, the keys of those dismissed, for grouping.
pub fn stored(store: &dyn Store) -> Result<(Vec<Detection>, Vec<DetectionKey>)> {
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

pub fn run(ctx: &Context, args: InvestigateArgs) -> Result<Outcome> {
    let mut store = ctx.open_store()?;
    let (dets, dismissed) = stored(&store)?;
    if dets.is_empty() {
        crate::out!("No detections stored yet: run `vigil audit …` first.")?;
        return Ok(Outcome::Success);
    }
    let record = args.incident.as_deref().map(read_record).transpose()?;
    let mut grouping = group_incidents(
        &dets,
        &group_options(&dismissed, args.gap, args.min_level, args.lookback),
    );
    if let Some(a) = &args.asset {
        grouping.incidents.retain(|i| i.is_on(a));
    }
    let k = knowledge(&store)?;
    let cases = investigate(&grouping, &k, record.as_ref());
    save_cases(&mut store, &cases)?;
    if args.json {
        let doc = serde_json::json!({
            "schema": "vigil.investigate/1",
            "incidents": cases.iter().map(summary_json).collect::<Vec<_>>(),
            "dismissed": grouping.dismissed.len(),
            "untimed": grouping.untimed.len(),
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(Outcome::Success);
    }
    if cases.is_empty() {
        crate::out!(
            "No incident: no stored detection at or above {}.",
            args.min_level
        )?;
    }
    for c in &cases {
        crate::put!("{}", case_text(c))?;
    }
    if !grouping.dismissed.is_empty() {
        crate::out!(
            "({} detection(s) dismissed as false positives)",
            grouping.dismissed.len()
        )?;
    }
    Ok(Outcome::Success)
}

/// The terminal text of one case: entry point, missing fixes with days overdue, dwell time, deadline.
pub fn case_text(c: &Case) -> String {
    use crate::cmd::status::clip;
    use vigil_investigate::time::{format_duration, format_ts};
    let i = &c.incident;
    let mut o = format!(
        "{}  {}  {} → {}  {} detections, highest {}\n",
        i.id,
        clip(i.asset.as_deref().unwrap_or("-"), 40),
        format_ts(i.first_seen),
        format_ts(i.last_seen),
        i.detections.len(),
        i.highest_level
    );
    if !i.tactics.is_empty() {
        let t: Vec<&str> = i.tactics.iter().map(|t| t.label()).collect();
        o.push_str(&format!("  tactics:      {}\n", t.join(" → ")));
    }
    if i.waves.len() > 1 {
        for w in &i.waves {
            o.push_str(&format!(
                "  wave {}:       {} → {}  {} detection(s){}\n",
                w.number,
                format_ts(w.start),
                format_ts(w.end),
                w.detections,
                w.link_text()
                    .map_or(String::new(), |l| format!("; {}", clip(&l, 200)))
            ));
        }
    }
    o.push_str(&format!(
        "  entry point:  {}\n",
        clip(&c.root_cause.entry_point.claim, 200)
    ));
    let fixes = c.root_cause.missing_fixes();
    if fixes.is_empty() {
        for l in c
            .root_cause
            .exploited
            .iter()
            .filter(|x| x.at_entry)
            .flat_map(|x| x.links.iter())
        {
            o.push_str(&format!("  root cause:   {}\n", clip(&l.claim, 600)));
        }
    }
    for f in fixes {
        let name =
            f.kb.as_deref()
                .map(|k| format!("KB{}", k.trim_start_matches("KB")))
                .or_else(|| f.advisories.first().cloned())
                .unwrap_or_default();
        let overdue = match f.days_overdue {
            Some(n) if n > 0 => format!("{n} days overdue"),
            Some(n) => format!("within its deadline ({} days left)", -n),
            None => "no deadline known".into(),
        };
        o.push_str(&format!(
            "  root cause:   {name} missing ({} {}): released {}, due {}, {overdue} at the entry point\n",
            clip(&f.package, 60),
            clip(&f.version, 40),
            f.fix_released.map_or("?".into(), |d| d.to_string()),
            f.due.map_or("?".into(), |d| d.to_string()),
        ));
    }
    for l in c
        .root_cause
        .support
        .iter()
        .chain(&c.root_cause.consistent_with)
    {
        o.push_str(&format!("  note:         {}\n", clip(&l.claim, 320)));
    }
    for b in &c.taken.exported {
        o.push_str(&format!(
            "  mailbox taken: {}{}\n",
            clip(&b.mailbox, 120),
            if b.how.is_empty() {
                String::new()
            } else {
                format!(" ({})", clip(&b.how.join("; "), 200))
            }
        ));
    }
    for p in &c.phishing {
        o.push_str(&format!("  phishing:     {}\n", clip(&p.sentence(), 300)));
    }
    let d = &c.dwell;
    match d.to_awareness {
        Some(t) => o.push_str(&format!(
            "  dwell time:   {} (first malicious event {} → awareness {})\n",
            format_duration(t),
            format_ts(d.first_malicious),
            d.aware_at.map(format_ts).unwrap_or_default()
        )),
        None => o.push_str(&format!(
            "  dwell time:   unknown: no awareness time (give --incident incident.toml); first event {}\n",
            format_ts(d.first_malicious)
        )),
    }
    if let Some(dl) = d.notification_deadline {
        o.push_str(&format!(
            "  notify by:    {} (72 hours after awareness)\n",
            format_ts(dl)
        ));
    }
    o.push('\n');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(rule: &str, file: &str, rec: RecordRef) -> Detection {
        Detection {
            rule_id: rule.into(),
            rule_title: rule.into(),
            level: Level::High,
            tags: vec![],
            timestamp: None,
            first_seen: None,
            host: None,
            sources: vec![SourceRef {
                file: file.into(),
                record: rec,
            }],
            matched: vec![],
        }
    }

    #[test]
    fn dismissals_match_rule_file_suffix_and_record() {
        let d = Dismissal::parse("*@MSExchange_Management.jsonl:1", "leaver").unwrap();
        let hit = det(
            "x",
            "examples/logs/windows/MSExchange_Management.jsonl",
            RecordRef::Line(1),
        );
        assert!(d.matches(&hit).is_some());
        assert!(
            d.matches(&det(
                "x",
                "a/XMSExchange_Management.jsonl",
                RecordRef::Line(1)
            ))
            .is_none()
        );
        assert!(
            d.matches(&det("x", "MSExchange_Management.jsonl", RecordRef::Line(2)))
                .is_none()
        );
        let r = Dismissal::parse("516376b4@Security.evtx:8810", "").unwrap();
        assert!(
            r.matches(&det(
                "516376B4",
                "c:\\logs\\Security.evtx",
                RecordRef::EvtxRecord(8810)
            ))
            .is_some()
        );
        assert!(
            r.matches(&det("other", "Security.evtx", RecordRef::EvtxRecord(8810)))
                .is_none()
        );
        assert!(Dismissal::parse("no-at-sign", "").is_err());
        assert!(Dismissal::parse("r@file", "").is_err());
        assert!(Dismissal::parse("r@file:x", "").is_err());
        assert!(Dismissal::parse("@file:1", "").is_err());
    }
}
