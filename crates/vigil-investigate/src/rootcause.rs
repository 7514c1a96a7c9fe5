//! The root-cause chain of an incident: how the attacker got in, which vulnerability that used, whether
//! the fix had been available and for how long, and what else was missing (other overdue updates, silent
//! log sources, alerts nobody acknowledged).
//!
//! Every link cites its evidence; a link the data cannot settle is [`LinkStatus::Unknown`] and names the
//! data that would settle it.

use crate::asset::same_asset;
use crate::cvemap::{CveMap, CveSource, cves_for_detection};
use crate::evidence::{Evidence, Link, LinkStatus, finding_key};
use crate::incident::Incident;
use crate::tactics::{Tactic, detection_tactics, detection_techniques, is_entry_candidate};
use crate::time::{days_between, format_ts, utc_date};
use crate::timeline::{InventoryObservation, ObservationKind};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use vigil_model::{Detection, Finding, SourceRef};

/// A log source that should be feeding vigil, with the times of its first and last event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedSource {
    /// `IIS W3SVC1`, `Microsoft-Windows-Sysmon/Operational`, `mail.log`, …
    pub name: String,
    /// The asset it belongs to; `None` for a source that concerns every asset.
    #[serde(default)]
    pub asset: Option<String>,
    #[serde(default)]
    pub first_seen: Option<Timestamp>,
    #[serde(default)]
    pub last_seen: Option<Timestamp>,
}

/// An alert raised for a detection (by vigil or by the product that logged it, e.g. Defender), and whether a
/// person acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub rule_id: String,
    /// The record the alert was raised on (one of the detection's sources).
    pub source: SourceRef,
    #[serde(default)]
    pub raised_at: Option<Timestamp>,
    #[serde(default)]
    pub acknowledged_at: Option<Timestamp>,
}

impl AlertRecord {
    pub fn concerns(&self, d: &Detection) -> bool {
        self.rule_id == d.rule_id && d.sources.contains(&self.source)
    }

    fn evidence(&self) -> Evidence {
        Evidence::Alert {
            rule_id: self.rule_id.clone(),
            source: self.source.clone(),
            raised_at: self.raised_at,
            acknowledged_at: self.acknowledged_at,
        }
    }
}

/// What the root cause is worked out from. `None` for source health or alerts means "no such records":
/// the corresponding links are then unknown rather than silently empty.
#[derive(Debug, Clone, Copy)]
pub struct RootCauseInput<'a> {
    pub findings: &'a [Finding],
    pub observations: &'a [InventoryObservation],
    pub cve_map: &'a CveMap,
    pub expected_sources: Option<&'a [ExpectedSource]>,
    pub alerts: Option<&'a [AlertRecord]>,
}

/// A finding as it stood at the moment of exploitation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingAtTime {
    pub key: String,
    pub advisories: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb: Option<String>,
    pub package: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_released: Option<Date>,
    /// Days from the fix's release to the exploitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_available_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// Days past the deadline on the day of exploitation (negative: still within the deadline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<i64>,
    pub known_exploited: bool,
    /// Whether the asset ran the vulnerable version then: established, inferred or unknown.
    pub vulnerable_then: LinkStatus,
}

/// A vulnerability the incident's detections are evidence of exploiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExploitedCve {
    pub cve: String,
    /// The first detection tied to this CVE.
    pub first_detected: Timestamp,
    /// Whether a detection of initial access or exploitation names it (rather than only a later step such
    /// as a web shell or privilege escalation).
    pub at_entry: bool,
    pub rule_ids: Vec<String>,
    /// Open findings on the asset that include this CVE, earliest fix first.
    pub findings: Vec<FindingAtTime>,
    pub links: Vec<Link>,
}

/// The root-cause chain of one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    pub incident_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_rule_id: Option<String>,
    pub entry_point: Link,
    pub exploited: Vec<ExploitedCve>,
    pub other_overdue: Vec<Link>,
    pub silent_sources: Vec<Link>,
    pub unacknowledged: Vec<Link>,
}

impl RootCause {
    /// Every link in reading order: entry point, exploited vulnerabilities, other overdue updates, silent
    /// sources, unacknowledged alerts.
    pub fn links(&self) -> Vec<&Link> {
        let mut v = vec![&self.entry_point];
        v.extend(self.exploited.iter().flat_map(|c| c.links.iter()));
        v.extend(self.other_overdue.iter());
        v.extend(self.silent_sources.iter());
        v.extend(self.unacknowledged.iter());
        v
    }

    /// The updates (KB or advisory) whose absence let the entry point succeed, earliest fix first.
    pub fn missing_fixes(&self) -> Vec<&FindingAtTime> {
        let mut v: Vec<&FindingAtTime> = Vec::new();
        for c in self.exploited.iter().filter(|c| c.at_entry) {
            for f in &c.findings {
                if !v.iter().any(|x| x.key == f.key) {
                    v.push(f);
                }
            }
        }
        v.sort_by(|a, b| {
            a.fix_released
                .cmp(&b.fix_released)
                .then_with(|| a.key.cmp(&b.key))
        });
        v
    }

    /// The chain as Markdown (a numbered list of links with their evidence).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        for (i, l) in self.links().iter().enumerate() {
            s.push_str(&format!("{}. {}\n", i + 1, l.to_markdown()));
        }
        s
    }
}

/// Works out the root-cause chain of an incident.
pub fn root_cause(incident: &Incident, input: &RootCauseInput<'_>) -> RootCause {
    let asset_name = incident
        .asset
        .clone()
        .unwrap_or_else(|| "the asset".to_string());
    let entry = incident
        .detections
        .iter()
        .filter(|d| d.timestamp.is_some() && is_entry_candidate(d))
        .min_by_key(|d| d.timestamp);
    let entry_point = match entry {
        Some(d) => Link::established(
            format!(
                "Entry point: '{}' at {} on {} (earliest detection of initial access or exploitation)",
                d.rule_title,
                d.timestamp.map_or_else(String::new, format_ts),
                asset_name
            ),
            vec![Evidence::detection(d)],
        ),
        None => Link::unknown(
            format!("How the attacker first got into {asset_name}"),
            format!(
                "no detection in the incident shows initial access or exploitation; logs of {asset_name}'s \
                 internet-facing services (web server, mail, VPN, remote access) covering the time before {}",
                format_ts(incident.first_seen)
            ),
            Vec::new(),
        ),
    };

    let mut exploited = collect_cves(incident, entry, input.cve_map);
    for c in &mut exploited {
        build_cve_links(c, incident, input, &asset_name);
    }
    if let Some(d) = entry
        && !exploited.iter().any(|c| c.at_entry)
    {
        exploited.insert(0, no_cve_at_entry(d, incident));
    }

    let reference = entry
        .and_then(|d| d.timestamp)
        .unwrap_or(incident.first_seen);
    let other_overdue = other_overdue(incident, input, &exploited, reference, &asset_name);
    let silent_sources = silent_sources(incident, input.expected_sources, &asset_name);
    let unacknowledged = unacknowledged(incident, input.alerts);

    RootCause {
        incident_id: incident.id.clone(),
        asset: incident.asset.clone(),
        entry_time: entry.and_then(|d| d.timestamp),
        entry_rule_id: entry.map(|d| d.rule_id.clone()),
        entry_point,
        exploited,
        other_overdue,
        silent_sources,
        unacknowledged,
    }
}

/// The CVEs of the entry point first, then those of later detections, each with its first detection.
fn collect_cves(incident: &Incident, entry: Option<&Detection>, map: &CveMap) -> Vec<ExploitedCve> {
    let mut out: Vec<ExploitedCve> = Vec::new();
    let mut ordered: Vec<&Detection> = Vec::new();
    if let Some(e) = entry {
        ordered.push(e);
    }
    ordered.extend(
        incident
            .detections
            .iter()
            .filter(|d| entry.is_none_or(|e| !std::ptr::eq(*d, e))),
    );
    for d in ordered {
        let Some(ts) = d.timestamp else { continue };
        let is_entry = is_entry_candidate(d);
        for (cve, sources) in cves_for_detection(d, map) {
            let via: Vec<Evidence> = sources
                .iter()
                .map(|s| Evidence::RuleCve {
                    rule_id: d.rule_id.clone(),
                    cve: cve.clone(),
                    via: match s {
                        CveSource::Tag { tag } => format!("tag {tag}"),
                        CveSource::CveMap { confidence } => format!(
                            "rules/cve-map.yml (confidence {})",
                            confidence.as_deref().unwrap_or("not given")
                        ),
                    },
                })
                .collect();
            match out.iter_mut().find(|c| c.cve == cve) {
                Some(c) => {
                    c.at_entry |= is_entry;
                    if !c.rule_ids.contains(&d.rule_id) {
                        c.rule_ids.push(d.rule_id.clone());
                    }
                    if ts < c.first_detected {
                        c.first_detected = ts;
                    }
                }
                None => {
                    let mut evidence = vec![Evidence::detection(d)];
                    evidence.extend(via);
                    out.push(ExploitedCve {
                        cve: cve.clone(),
                        first_detected: ts,
                        at_entry: is_entry,
                        rule_ids: vec![d.rule_id.clone()],
                        findings: Vec::new(),
                        links: vec![Link::established(
                            format!(
                                "'{}' at {} is evidence of exploiting {cve}",
                                d.rule_title,
                                format_ts(ts)
                            ),
                            evidence,
                        )],
                    });
                }
            }
        }
    }
    out
}

/// The entry point names no CVE: say so, and what the incident shows instead.
fn no_cve_at_entry(d: &Detection, incident: &Incident) -> ExploitedCve {
    let guessing: Vec<&Detection> = incident
        .detections
        .iter()
        .filter(|x| x.timestamp <= d.timestamp && !std::ptr::eq(*x, d))
        .filter(|x| {
            detection_tactics(x).contains(&Tactic::CredentialAccess)
                && detection_techniques(x)
                    .iter()
                    .any(|t| t == "T1110" || t.starts_with("T1110."))
        })
        .collect();
    let link = if guessing.is_empty() {
        Link::unknown(
            format!("Which weakness '{}' used", d.rule_title),
            "the rule carries no cve.* tag and is not in rules/cve-map.yml; an analysis of the matched \
             requests (or a rule → CVE mapping) would show whether a software vulnerability or valid \
             credentials were used",
            vec![Evidence::detection(d)],
        )
    } else {
        let mut ev: Vec<Evidence> = guessing.iter().map(|x| Evidence::detection(x)).collect();
        ev.push(Evidence::detection(d));
        Link::established(
            format!(
                "No software vulnerability is tied to the entry point; it followed password guessing \
                 (ATT&CK T1110) detected {} time(s) before it: access with guessed credentials",
                guessing.len()
            ),
            ev,
        )
    };
    ExploitedCve {
        cve: String::new(),
        first_detected: d.timestamp.unwrap_or(incident.first_seen),
        at_entry: true,
        rule_ids: vec![d.rule_id.clone()],
        findings: Vec::new(),
        links: vec![link],
    }
}

fn build_cve_links(
    c: &mut ExploitedCve,
    incident: &Incident,
    input: &RootCauseInput<'_>,
    asset: &str,
) {
    let when = c.first_detected;
    let day = utc_date(when);
    let on_asset: Vec<&Finding> = input
        .findings
        .iter()
        .filter(|f| {
            incident
                .asset
                .as_deref()
                .is_some_and(|a| same_asset(a, &f.asset))
        })
        .filter(|f| f.cves().any(|x| x.eq_ignore_ascii_case(&c.cve)))
        .collect();
    if on_asset.is_empty() {
        c.links.push(Link::unknown(
            format!("Whether {asset} was vulnerable to {} at {}", c.cve, format_ts(when)),
            format!(
                "no vulnerability finding on {asset} names {}; a scan of {asset}'s inventory as it was at \
                 {day} (or earlier) against advisories that cover {} would settle it",
                c.cve, c.cve
            ),
            Vec::new(),
        ));
        return;
    }
    let mut found: Vec<FindingAtTime> = on_asset
        .iter()
        .map(|f| {
            let (status, mut ev) = vulnerable_at(f, input.observations, when);
            ev.insert(0, Evidence::finding(f));
            let fat = finding_at(f, day, status.clone());
            c.links.push(Link {
                claim: vulnerable_claim(f, &c.cve, asset, when, &status),
                status,
                evidence: ev.clone(),
            });
            c.links.push(fix_link(f, &fat, &c.cve, day));
            fat
        })
        .collect();
    found.sort_by(|a, b| {
        a.fix_released
            .cmp(&b.fix_released)
            .then_with(|| a.key.cmp(&b.key))
    });
    c.findings = found;
}

fn finding_at(f: &Finding, day: Date, status: LinkStatus) -> FindingAtTime {
    FindingAtTime {
        key: finding_key(f),
        advisories: f.advisories.clone(),
        kb: f.kb.clone(),
        package: f.package.name.clone(),
        version: f.package.version.clone(),
        fix_released: f.fix_released,
        fix_available_days: f.fix_released.and_then(|r| days_between(r, day)),
        due: f.due,
        days_overdue: f.days_overdue(day),
        known_exploited: f.known_exploited,
        vulnerable_then: status,
    }
}

fn fix_name(f: &Finding) -> String {
    match &f.kb {
        Some(kb) => format!("KB{}", kb.trim_start_matches("KB")),
        None => f
            .advisories
            .first()
            .cloned()
            .unwrap_or_else(|| "the fix".into()),
    }
}

fn vulnerable_claim(
    f: &Finding,
    cve: &str,
    asset: &str,
    when: Timestamp,
    status: &LinkStatus,
) -> String {
    let pkg = format!("{} {}", f.package.name, f.package.version);
    match status {
        LinkStatus::Established | LinkStatus::Inferred { .. } => {
            format!(
                "{asset} ran {pkg}, vulnerable to {cve} (missing {}), at {}",
                fix_name(f),
                format_ts(when)
            )
        }
        LinkStatus::Unknown { .. } => {
            format!(
                "Whether {asset} still ran {pkg} (vulnerable to {cve}) at {}",
                format_ts(when)
            )
        }
    }
}

/// Whether the finding's vulnerable version was in place at `when`, from dated inventory observations.
fn vulnerable_at(
    f: &Finding,
    obs: &[InventoryObservation],
    when: Timestamp,
) -> (LinkStatus, Vec<Evidence>) {
    let rel: Vec<&InventoryObservation> = obs.iter().filter(|o| o.concerns(f)).collect();
    let fixed_before = rel
        .iter()
        .filter(|o| o.kind == ObservationKind::FixApplied && o.observed_at <= when)
        .max_by_key(|o| o.observed_at);
    let vuln_before = rel
        .iter()
        .filter(|o| o.kind == ObservationKind::VulnerableSeen && o.observed_at <= when)
        .max_by_key(|o| o.observed_at);
    match (vuln_before, fixed_before) {
        (Some(v), None) => (LinkStatus::Established, vec![v.evidence()]),
        (Some(v), Some(fx)) if fx.observed_at < v.observed_at => {
            (LinkStatus::Established, vec![v.evidence()])
        }
        (_, Some(fx)) => (
            LinkStatus::Unknown {
                settle_with: format!(
                    "the inventory of {} shows the fix applied before the exploitation; the installed version \
                     at the moment of exploitation (an inventory snapshot taken then) would settle whether \
                     the finding is stale",
                    format_ts(fx.observed_at)
                ),
            },
            vec![fx.evidence()],
        ),
        (None, None) => {
            let later = rel
                .iter()
                .filter(|o| o.kind == ObservationKind::VulnerableSeen && o.observed_at > when)
                .min_by_key(|o| o.observed_at);
            match later {
                Some(o) => (
                    LinkStatus::Inferred {
                        gap: format!(
                            "the vulnerable version was first recorded after the exploitation ({}); an \
                             inventory from before would prove it",
                            format_ts(o.observed_at)
                        ),
                    },
                    vec![o.evidence()],
                ),
                None => {
                    let file = f.package.location.file.trim();
                    let file = if file.is_empty() {
                        "inventory file not named"
                    } else {
                        file
                    };
                    (
                        LinkStatus::Inferred {
                            gap: format!(
                                "the finding is open in the latest scan ({file}), but no dated inventory \
                                 observation shows the version at the time; an inventory snapshot from \
                                 before {} would prove it",
                                format_ts(when)
                            ),
                        },
                        Vec::new(),
                    )
                }
            }
        }
    }
}

/// "The fix had been available for N days; the deadline was D; M days overdue."
fn fix_link(f: &Finding, fat: &FindingAtTime, cve: &str, day: Date) -> Link {
    let ev = vec![Evidence::finding(f)];
    let name = fix_name(f);
    let Some(released) = f.fix_released else {
        return Link::unknown(
            format!("Since when a fix for {cve} ({name}) was available"),
            "the knowledge base gives no release date for the fix; the vendor's advisory or update \
             release date would settle it",
            ev,
        );
    };
    let avail = fat.fix_available_days.unwrap_or_default();
    let mut claim = format!(
        "{name} (fixes {cve}) was released on {released}, {avail} days before the exploitation on {day}"
    );
    match (f.due, fat.days_overdue) {
        (Some(due), Some(n)) if n > 0 => {
            claim.push_str(&format!("; the patch deadline was {due}: {n} days overdue"));
            Link::established(claim, ev)
        }
        (Some(due), Some(n)) => {
            claim.push_str(&format!(
                "; the patch deadline {due} had not passed ({} days left)",
                -n
            ));
            Link::established(claim, ev)
        }
        _ => Link::unknown(
            claim,
            "no patch deadline for this finding; the patch policy applied to the finding's severity \
             would settle whether it was overdue",
            ev,
        ),
    }
}

fn other_overdue(
    incident: &Incident,
    input: &RootCauseInput<'_>,
    exploited: &[ExploitedCve],
    when: Timestamp,
    asset: &str,
) -> Vec<Link> {
    let day = utc_date(when);
    let linked: Vec<&str> = exploited
        .iter()
        .flat_map(|c| c.findings.iter().map(|f| f.key.as_str()))
        .collect();
    let on_asset: Vec<&Finding> = input
        .findings
        .iter()
        .filter(|f| {
            incident
                .asset
                .as_deref()
                .is_some_and(|a| same_asset(a, &f.asset))
        })
        .collect();
    if on_asset.is_empty() {
        return vec![Link::unknown(
            format!(
                "Which other updates were missing on {asset} at {}",
                format_ts(when)
            ),
            format!(
                "no vulnerability findings for {asset} were given; a scan of its inventory would settle it"
            ),
            Vec::new(),
        )];
    }
    let mut rows: Vec<(i64, Link)> = Vec::new();
    for f in on_asset {
        let key = finding_key(f);
        if linked.contains(&key.as_str()) {
            continue;
        }
        let Some(n) = f.days_overdue(day).filter(|n| *n > 0) else {
            continue;
        };
        let (status, mut ev) = vulnerable_at(f, input.observations, when);
        if matches!(status, LinkStatus::Unknown { .. }) {
            continue; // a fix was recorded before: not missing then
        }
        ev.insert(0, Evidence::finding(f));
        let cves: Vec<&str> = f.cves().collect();
        let claim = format!(
            "Also missing at {}: {} on {} {} ({}), released {}, {n} days overdue{}",
            format_ts(when),
            fix_name(f),
            f.package.name,
            f.package.version,
            if cves.is_empty() {
                f.advisories.join(", ")
            } else {
                cves.join(", ")
            },
            f.fix_released
                .map_or("on an unknown date".into(), |d| d.to_string()),
            if f.known_exploited {
                "; listed in CISA KEV"
            } else {
                ""
            }
        );
        rows.push((
            -n,
            Link {
                claim,
                status,
                evidence: ev,
            },
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.claim.cmp(&b.1.claim)));
    rows.into_iter().map(|(_, l)| l).collect()
}

fn silent_sources(
    incident: &Incident,
    expected: Option<&[ExpectedSource]>,
    asset: &str,
) -> Vec<Link> {
    let Some(expected) = expected else {
        return vec![Link::unknown(
            format!("Whether {asset}'s log sources were collected during the incident"),
            "no log-source health records were given; the list of expected sources with the times of \
             their first and last events would settle it",
            Vec::new(),
        )];
    };
    let (start, end) = (incident.first_seen, incident.last_seen);
    let mut out = Vec::new();
    for s in expected {
        if let Some(a) = &s.asset
            && !incident.is_on(a)
        {
            continue;
        }
        let ev = vec![Evidence::LogSource {
            name: s.name.clone(),
            first_seen: s.first_seen,
            last_seen: s.last_seen,
        }];
        let claim = match (s.first_seen, s.last_seen) {
            (None, None) => Some(format!(
                "Log source '{}' never produced an event: never configured or never collected",
                s.name
            )),
            (Some(f), _) if f > start => Some(format!(
                "Log source '{}' was not collected when the incident began ({}); its first event is from {}",
                s.name,
                format_ts(start),
                format_ts(f)
            )),
            (_, Some(l)) if l < start => Some(format!(
                "Log source '{}' was silent from {} on: it recorded nothing during the incident ({} – {})",
                s.name,
                format_ts(l),
                format_ts(start),
                format_ts(end)
            )),
            (_, Some(l)) if l < end => Some(format!(
                "Log source '{}' fell silent at {}, during the incident (which lasted until {})",
                s.name,
                format_ts(l),
                format_ts(end)
            )),
            _ => None,
        };
        if let Some(claim) = claim {
            out.push(Link::established(claim, ev));
        }
    }
    out
}

fn unacknowledged(incident: &Incident, alerts: Option<&[AlertRecord]>) -> Vec<Link> {
    let Some(alerts) = alerts else {
        return vec![Link::unknown(
            "Whether alerts were raised during the incident and whether anyone looked at them",
            "no alert records were given; the alert history of vigil and of the security products on the \
             asset (e.g. the antivirus console) would settle it",
            Vec::new(),
        )];
    };
    // One link per rule: "fired N times between A and B, never acknowledged".
    let mut per_rule: Vec<(String, String, Vec<&AlertRecord>, Vec<&Detection>)> = Vec::new();
    for d in &incident.detections {
        for a in alerts
            .iter()
            .filter(|a| a.concerns(d) && a.raised_at.is_some() && a.acknowledged_at.is_none())
        {
            match per_rule.iter_mut().find(|r| r.0 == d.rule_id) {
                Some(r) => {
                    if !r.2.contains(&a) {
                        r.2.push(a);
                    }
                    if !r.3.iter().any(|x| std::ptr::eq(*x, d)) {
                        r.3.push(d);
                    }
                }
                None => per_rule.push((d.rule_id.clone(), d.rule_title.clone(), vec![a], vec![d])),
            }
        }
    }
    per_rule
        .into_iter()
        .map(|(_, title, recs, dets)| {
            let times: Vec<Timestamp> = recs.iter().filter_map(|a| a.raised_at).collect();
            let first = times.iter().min().copied();
            let last = times.iter().max().copied();
            let span = match (first, last) {
                (Some(f), Some(l)) if f != l => {
                    format!("between {} and {}", format_ts(f), format_ts(l))
                }
                (Some(f), _) => format!("at {}", format_ts(f)),
                _ => String::new(),
            };
            let mut ev: Vec<Evidence> = recs
                .iter()
                .take(crate::evidence::MAX_CITED_SOURCES)
                .map(|a| a.evidence())
                .collect();
            ev.extend(
                dets.iter()
                    .take(crate::evidence::MAX_CITED_SOURCES)
                    .map(|d| Evidence::detection(d)),
            );
            Link::established(
                format!(
                    "Alert '{title}' was raised {} time(s) {span} and never acknowledged",
                    recs.len()
                ),
                ev,
            )
        })
        .collect()
}
