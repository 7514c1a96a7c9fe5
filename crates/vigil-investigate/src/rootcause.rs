//! The root-cause chain of an incident: how the attacker got in, which vulnerability that used, whether
//! the fix had been available and for how long, and what else was missing (other overdue updates, silent
//! log sources, alerts nobody acknowledged).
//!
//! Every link cites its evidence; a link the data cannot settle is [`LinkStatus::Unknown`] and names the
//! data that would settle it.
//!
//! Evidence is ranked. The entry point is the earliest detection of getting in whose rule is not curated
//! as post-exploitation ([`crate::cvemap::CveRole`]); detections of the same request (the same record, or
//! the same instant) are the entry-point detections. Their CVEs are the root cause ([`CveBasis::EntryPoint`]).
//! CVEs of later detections whose rules match exploitation are vulnerabilities also exploited during the
//! incident ([`CveBasis::Exploitation`]); CVEs of detections that only show post-exploitation activity (a
//! web shell in use, reconnaissance, a mailbox export) are "consistent with" and never a root cause on
//! their own. An update released after the exploitation cannot have prevented it and is never named as
//! the missing fix. When no CVE is tied to the entry, a successful login tied to failed-login detections
//! is a credential compromise ([`crate::takeover`]).

use crate::asset::same_asset;
use crate::cvemap::{CveMap, CveRole, CveSource, cves_for_detection, detection_role};
use crate::evidence::{Evidence, Link, LinkStatus, finding_key};
use crate::incident::Incident;
use crate::support::{UnsupportedProduct, support_links};
use crate::tactics::is_entry_candidate;
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
    /// Who acknowledged it, and the alert's number in vigil's alert history (the audit trail
    /// records the acknowledgement under it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<i64>,
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

/// A self-test that proved detection working: its canary went through `source` and every alert
/// channel at `passed_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfTestRecord {
    pub source: String,
    pub passed_at: Timestamp,
}

/// Longest time between the last passed self-test and an incident's start for detection to count as
/// tested "at regular intervals" (the service's default schedule is weekly).
const SELFTEST_STALE_DAYS: i64 = 30;

/// What the root cause is worked out from. `None` for source health or alerts means "no such records":
/// the corresponding links are then unknown rather than silently empty.
#[derive(Debug, Clone, Copy)]
pub struct RootCauseInput<'a> {
    pub findings: &'a [Finding],
    pub observations: &'a [InventoryObservation],
    pub cve_map: &'a CveMap,
    pub expected_sources: Option<&'a [ExpectedSource]>,
    pub alerts: Option<&'a [AlertRecord]>,
    /// Self-tests of vigil's detection; `None` when no service history was given (no claim is made).
    pub selftests: Option<&'a [SelfTestRecord]>,
    /// Products the scan found out of vendor support (empty when none or not known).
    pub unsupported: &'a [UnsupportedProduct],
}

impl FindingAtTime {
    /// Whether its fix had been released by the day of exploitation.
    pub fn available_then(&self) -> bool {
        self.fix_available_days.is_some_and(|d| d >= 0)
    }
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

/// How strongly the incident's detections tie a CVE to the breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CveBasis {
    /// Named by the entry-point detection, whose rule matches the exploitation: the root cause.
    EntryPoint,
    /// Named by a later detection whose rule matches an exploitation (e.g. privilege escalation).
    Exploitation,
}

/// A vulnerability the incident's detections are evidence of exploiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExploitedCve {
    pub cve: String,
    /// The first detection tied to this CVE.
    pub first_detected: Timestamp,
    /// Whether the entry-point detection names it (the root cause), rather than only a later step.
    pub at_entry: bool,
    #[serde(default = "entry_basis")]
    pub basis: CveBasis,
    pub rule_ids: Vec<String>,
    /// Open findings on the asset that include this CVE, earliest fix first.
    pub findings: Vec<FindingAtTime>,
    pub links: Vec<Link>,
}

fn entry_basis() -> CveBasis {
    CveBasis::EntryPoint
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
    /// How credentials were compromised when the entry was a login tied to failed logins and no CVE:
    /// `password spraying`, `brute force`, `credential stuffing`, `password guessing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_compromise: Option<String>,
    pub exploited: Vec<ExploitedCve>,
    /// CVEs that only post-exploitation detections name: consistent with the activity, not shown to be
    /// how the attacker got in. One link per rule.
    #[serde(default)]
    pub consistent_with: Vec<Link>,
    /// Whether the products at the entry point were still supported by their vendor.
    #[serde(default)]
    pub support: Vec<Link>,
    pub other_overdue: Vec<Link>,
    pub silent_sources: Vec<Link>,
    pub unacknowledged: Vec<Link>,
    /// Detection not proven working by a self-test before the incident (or long before it).
    #[serde(default)]
    pub untested: Vec<Link>,
}

impl RootCause {
    /// Every link in reading order: entry point, exploited vulnerabilities, other overdue updates, silent
    /// sources, unacknowledged alerts.
    pub fn links(&self) -> Vec<&Link> {
        let mut v = vec![&self.entry_point];
        v.extend(self.exploited.iter().flat_map(|c| c.links.iter()));
        v.extend(self.support.iter());
        v.extend(self.consistent_with.iter());
        v.extend(self.other_overdue.iter());
        v.extend(self.silent_sources.iter());
        v.extend(self.unacknowledged.iter());
        v.extend(self.untested.iter());
        v
    }

    /// The updates (KB or advisory) whose absence let the entry point succeed, earliest fix first. An
    /// update released after the exploitation is not one of them.
    pub fn missing_fixes(&self) -> Vec<&FindingAtTime> {
        let mut v: Vec<&FindingAtTime> = Vec::new();
        for c in self.exploited.iter().filter(|c| c.at_entry) {
            for f in c.findings.iter().filter(|f| f.available_then()) {
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

/// The entry point: the earliest detection of getting in whose rule is not curated as post-exploitation,
/// among the incident's strong detections when there is one ([`Incident::entry_candidates`]).
pub fn entry_detection<'a>(incident: &'a Incident, map: &CveMap) -> Option<&'a Detection> {
    incident
        .entry_candidates(|d| {
            map.get(&d.rule_id).and_then(|m| m.role) == Some(CveRole::PostExploitation)
        })
        .into_iter()
        .min_by_key(|d| d.timestamp)
}

/// Whether `d` records the same request as the entry point: a shared record, or an entry candidate at the
/// same instant (the IIS and HttpProxy lines of one request).
fn same_request(d: &Detection, entry: &Detection) -> bool {
    std::ptr::eq(d, entry)
        || d.sources.iter().any(|s| entry.sources.contains(s))
        || (d.timestamp == entry.timestamp && is_entry_candidate(d))
}

/// Works out the root-cause chain of an incident.
pub fn root_cause(incident: &Incident, input: &RootCauseInput<'_>) -> RootCause {
    let asset_name = incident
        .asset
        .clone()
        .unwrap_or_else(|| "the asset".to_string());
    let entry = entry_detection(incident, input.cve_map);
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

    let (mut exploited, consistent_with) = collect_cves(incident, entry, input.cve_map);
    for c in &mut exploited {
        build_cve_links(c, incident, input, &asset_name);
    }
    let mut credential_compromise = None;
    if let Some(d) = entry
        && !exploited.iter().any(|c| c.at_entry)
    {
        let (link, method) = crate::takeover::credential_link(d, incident);
        credential_compromise = method.map(str::to_string);
        exploited.insert(
            0,
            ExploitedCve {
                cve: String::new(),
                first_detected: d.timestamp.unwrap_or(incident.first_seen),
                at_entry: true,
                basis: CveBasis::EntryPoint,
                rule_ids: vec![d.rule_id.clone()],
                findings: Vec::new(),
                links: vec![link],
            },
        );
    }

    let reference = entry
        .and_then(|d| d.timestamp)
        .unwrap_or(incident.first_seen);
    let support = support_links(incident.asset.as_deref(), input.unsupported, reference);
    let other_overdue = other_overdue(incident, input, &exploited, reference, &asset_name);
    let silent_sources = silent_sources(incident, input.expected_sources, &asset_name);
    let unacknowledged = unacknowledged(incident, input.alerts);
    let untested = untested(incident, input.selftests);

    RootCause {
        incident_id: incident.id.clone(),
        asset: incident.asset.clone(),
        entry_time: entry.and_then(|d| d.timestamp),
        entry_rule_id: entry.map(|d| d.rule_id.clone()),
        entry_point,
        credential_compromise,
        exploited,
        consistent_with,
        support,
        other_overdue,
        silent_sources,
        unacknowledged,
        untested,
    }
}

/// Whether a self-test had proven detection working shortly before the incident began: the
/// regulator's "test security measures at regular intervals". No claim without self-test records.
fn untested(incident: &Incident, selftests: Option<&[SelfTestRecord]>) -> Vec<Link> {
    let Some(tests) = selftests else {
        return Vec::new();
    };
    let start = incident.first_seen;
    let before = tests
        .iter()
        .filter(|t| t.passed_at <= start)
        .max_by_key(|t| t.passed_at);
    let evidence = |t: &SelfTestRecord| {
        vec![Evidence::LogSource {
            name: format!("self-test of {}", t.source),
            first_seen: None,
            last_seen: Some(t.passed_at),
        }]
    };
    match before {
        None => vec![Link::established(
            format!(
                "No self-test had proven vigil's detection working before the incident began ({})",
                format_ts(start)
            ),
            tests
                .iter()
                .min_by_key(|t| t.passed_at)
                .map(evidence)
                .unwrap_or_default(),
        )],
        Some(t) => {
            let days = days_between(utc_date(t.passed_at), utc_date(start)).unwrap_or(0);
            if days > SELFTEST_STALE_DAYS {
                vec![Link::established(
                    format!(
                        "Detection was last proven working by a self-test {days} days before the \
                         incident began ({}, through '{}')",
                        format_ts(t.passed_at),
                        t.source
                    ),
                    evidence(t),
                )]
            } else {
                Vec::new()
            }
        }
    }
}

fn via(d: &Detection, cve: &str, sources: &[CveSource]) -> Vec<Evidence> {
    sources
        .iter()
        .map(|s| Evidence::RuleCve {
            rule_id: d.rule_id.clone(),
            cve: cve.to_string(),
            via: match s {
                CveSource::Tag { tag } => format!("tag {tag}"),
                CveSource::CveMap { confidence, role } => format!(
                    "rules/cve-map.yml (confidence {}{})",
                    confidence.as_deref().unwrap_or("not given"),
                    role.map_or(String::new(), |r| format!(", role {}", r.as_str()))
                ),
            },
        })
        .collect()
}

/// The CVEs the detections tie to the incident: those shown exploited (the entry point's first), and one
/// "consistent with" link per post-exploitation rule for CVEs nothing else ties to it.
fn collect_cves(
    incident: &Incident,
    entry: Option<&Detection>,
    map: &CveMap,
) -> (Vec<ExploitedCve>, Vec<Link>) {
    let mut out: Vec<ExploitedCve> = Vec::new();
    // Post-exploitation rules in first-seen order: (rule, first detection, CVEs with their sources).
    type Later<'a> = (&'a Detection, Vec<(String, Vec<CveSource>)>);
    let mut later: Vec<Later<'_>> = Vec::new();
    let mut ordered: Vec<&Detection> = incident
        .detections
        .iter()
        .filter(|d| entry.is_some_and(|e| same_request(d, e)))
        .collect();
    ordered.extend(
        incident
            .detections
            .iter()
            .filter(|d| entry.is_none_or(|e| !same_request(d, e))),
    );
    for d in ordered {
        let Some(ts) = d.timestamp else { continue };
        let cves = cves_for_detection(d, map);
        if cves.is_empty() {
            continue;
        }
        let basis = match detection_role(d, map) {
            CveRole::PostExploitation => None,
            CveRole::Exploit if entry.is_some_and(|e| same_request(d, e)) => {
                Some(CveBasis::EntryPoint)
            }
            CveRole::Exploit => Some(CveBasis::Exploitation),
        };
        let Some(basis) = basis else {
            match later.iter_mut().find(|l| l.0.rule_id == d.rule_id) {
                Some(l) => {
                    for c in cves {
                        if !l.1.iter().any(|x| x.0 == c.0) {
                            l.1.push(c);
                        }
                    }
                }
                None => later.push((d, cves)),
            }
            continue;
        };
        for (cve, sources) in cves {
            match out.iter_mut().find(|c| c.cve == cve) {
                Some(c) => {
                    c.basis = c.basis.min(basis);
                    c.at_entry = c.basis == CveBasis::EntryPoint;
                    if !c.rule_ids.contains(&d.rule_id) {
                        c.rule_ids.push(d.rule_id.clone());
                    }
                    if ts < c.first_detected {
                        c.first_detected = ts;
                    }
                }
                None => {
                    let mut evidence = vec![Evidence::detection(d)];
                    evidence.extend(via(d, &cve, &sources));
                    let claim = match basis {
                        CveBasis::EntryPoint => format!(
                            "'{}' at {} is evidence of exploiting {cve} at the entry point",
                            d.rule_title,
                            format_ts(ts)
                        ),
                        CveBasis::Exploitation => format!(
                            "'{}' at {} is evidence of exploiting {cve} after the entry point (not how the \
                             attacker got in)",
                            d.rule_title,
                            format_ts(ts)
                        ),
                    };
                    out.push(ExploitedCve {
                        cve: cve.clone(),
                        first_detected: ts,
                        at_entry: basis == CveBasis::EntryPoint,
                        basis,
                        rule_ids: vec![d.rule_id.clone()],
                        findings: Vec::new(),
                        links: vec![Link::established(claim, evidence)],
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.basis
            .cmp(&b.basis)
            .then_with(|| a.first_detected.cmp(&b.first_detected))
    });
    let consistent = later
        .into_iter()
        .filter_map(|(d, cves)| {
            let rest: Vec<(String, Vec<CveSource>)> = cves
                .into_iter()
                .filter(|(c, _)| !out.iter().any(|x| x.cve == *c))
                .collect();
            if rest.is_empty() {
                return None;
            }
            let names: Vec<&str> = rest.iter().map(|(c, _)| c.as_str()).collect();
            let mut ev = vec![Evidence::detection(d)];
            for (c, s) in &rest {
                ev.extend(via(d, c, s));
            }
            Some(Link::established(
                format!(
                    "'{}' at {} shows post-exploitation activity consistent with {}; it does not show how the \
                     attacker got in, so {} not named as the root cause",
                    d.rule_title,
                    d.timestamp.map_or_else(String::new, format_ts),
                    names.join(", "),
                    if names.len() == 1 { "it is" } else { "they are" }
                ),
                ev,
            ))
        })
        .collect();
    (out, consistent)
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
    if avail < 0 {
        // Released after the exploitation: no update could have prevented it then.
        return Link::established(
            format!(
                "No fix for {cve} was available at the exploitation on {day}: {name} was released on \
                 {released}, {} days later, so it is not a missing update at the entry point",
                -avail
            ),
            ev,
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{GroupOptions, group_incidents};
    use crate::testing::detection;
    use vigil_model::Level;

    fn incident() -> Incident {
        let d = detection(
            "webshell",
            Level::Critical,
            &[],
            Some("MAIL01"),
            Some("2021-08-13T10:00:00Z"),
            &[],
        );
        group_incidents(&[d], &GroupOptions::default())
            .incidents
            .remove(0)
    }

    fn passed(at: &str) -> SelfTestRecord {
        SelfTestRecord {
            source: "mail".into(),
            passed_at: at.parse().unwrap(),
        }
    }

    /// "Configure, monitor and test security measures at regular intervals": a claim only where
    /// self-test records exist, and only when none was recent before the incident.
    #[test]
    fn detection_not_proven_working_before_the_incident_is_a_link() {
        let inc = incident();
        assert!(untested(&inc, None).is_empty(), "no records: no claim");
        let never = untested(&inc, Some(&[]));
        assert!(
            never[0].claim.starts_with("No self-test had proven"),
            "{never:?}"
        );
        let after_only = untested(&inc, Some(&[passed("2021-09-01T00:00:00Z")]));
        assert!(
            after_only[0].claim.starts_with("No self-test"),
            "{after_only:?}"
        );
        let stale = untested(&inc, Some(&[passed("2021-06-01T00:00:00Z")]));
        assert!(stale[0].claim.contains("73 days before"), "{stale:?}");
        let recent = untested(&inc, Some(&[passed("2021-08-10T00:00:00Z")]));
        assert!(recent.is_empty(), "{recent:?}");
    }
}
