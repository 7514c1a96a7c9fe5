//! SARIF 2.1.0 output, shaped for code-scanning services such as GitHub's.
//!
//! * One `rule` per primary advisory id, with a `helpUri` to the advisory's page (osv.dev, or the
//!   MSRC update guide for Microsoft findings) and a `security-severity` score so dashboards rank
//!   it.
//! * One `result` per finding: `level` from the severity (critical, high and unrated → `error`,
//!   medium → `warning`, low and none → `note`; an unrated vulnerability is not a safe one),
//!   located at the file and line the package was read from, and carrying severity, CVSS, KEV,
//!   EPSS, due date, days overdue and fixed versions in `properties`.
//! * `partialFingerprints["vigilFinding/v1"]` identifies asset + package + file + advisory, so an
//!   alert keeps its identity across runs even when lines move or the version changes.
//! * Ignored findings are results with an external `suppression` carrying the ignore reason:
//!   dashboards show them as dismissed instead of forgetting them.
//! * Inputs that were not assessed become `toolExecutionNotifications` of the run's invocation.

use crate::fingerprint::finding_key;
use crate::{NotAssessed, ScanResult, days_overdue, distinct_cves, finite, links, primary_id};
use crate::{truncate, uri};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use vigil_model::{Finding, Severity};

pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key under which results carry vigil's stable fingerprint.
pub const FINGERPRINT_KEY: &str = "vigilFinding/v1";

/// The notification id of an input that was not assessed.
pub const NOT_ASSESSED_ID: &str = "vigil/not-assessed";

/// Code-scanning services cap description lengths; advisory summaries can be long or hostile.
const MAX_DESCRIPTION: usize = 1000;

/// How SARIF output is adjusted to where it will be uploaded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// The checkout root: package files under it are written relative to `%SRCROOT%`, so that the
    /// code-scanning service can link them to the repository.
    pub source_root: Option<&'a str>,
}

/// The SARIF level of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High | Severity::Unknown => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::None => "note",
    }
}

/// The `security-severity` score GitHub ranks alerts by: the CVSS score when known, else a score
/// in the middle of the severity's band.
fn security_severity(f: &Finding) -> String {
    let score = finite(f.cvss_score)
        .filter(|s| (0.0..=10.0).contains(s))
        .unwrap_or(match f.severity {
            Severity::Critical => 9.5,
            Severity::High | Severity::Unknown => 8.0,
            Severity::Medium => 5.5,
            Severity::Low => 2.0,
            Severity::None => 0.0,
        });
    format!("{score:.1}")
}

/// Renders with default [`Options`].
pub fn render(scan: &ScanResult) -> Value {
    render_with(scan, &Options::default())
}

pub fn render_with(scan: &ScanResult, options: &Options) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_index: HashMap<&str, usize> = HashMap::new();
    let mut results = Vec::new();
    let all = scan
        .findings
        .iter()
        .map(|f| (f, None))
        .chain(scan.ignored.iter().map(|(f, r)| (f, Some(r.as_str()))));
    for (f, ignore_reason) in all {
        let id = primary_id(f);
        let index = *rule_index.entry(id).or_insert_with(|| {
            rules.push(rule(f, id));
            rules.len() - 1
        });
        results.push(result(scan, options, f, id, index, ignore_reason));
    }

    let notifications: Vec<Value> = scan.not_assessed.iter().map(notification).collect();
    let assets: Vec<Value> = scan
        .assets
        .iter()
        .map(|a| json!({ "name": a.name, "tags": a.tags }))
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vigil",
                "version": scan.tool_version,
                "rules": rules,
                "notifications": [{
                    "id": NOT_ASSESSED_ID,
                    "shortDescription": { "text": "An input or ecosystem was not assessed." },
                    "fullDescription": { "text": "vigil could not check this input, so the \
                        absence of findings for it says nothing about its safety." },
                    "defaultConfiguration": { "level": "warning" }
                }]
            }},
            "invocations": [{
                "executionSuccessful": true,
                "endTimeUtc": scan.generated_at.to_string(),
                "toolExecutionNotifications": notifications
            }],
            "results": results,
            "properties": {
                "today": scan.today.to_string(),
                "assets": assets,
                "notAssessed": scan.not_assessed.len()
            }
        }]
    })
}

fn rule(f: &Finding, id: &str) -> Value {
    let cves = distinct_cves(f);
    let title = match (&f.summary, &f.kb) {
        (Some(s), _) if !s.trim().is_empty() => truncate(s.trim(), MAX_DESCRIPTION),
        (_, Some(kb)) => format!("Missing security update KB{kb}"),
        _ => format!("Known vulnerability {id}"),
    };
    let mut full = title.clone();
    if !cves.is_empty() {
        full.push_str(&format!(" ({})", cves.join(", ")));
    }
    let url = links::advisory_page(f, id);
    let mut tags = vec![
        "security".to_string(),
        "vulnerability".into(),
        f.package.ecosystem.base().to_string(),
    ];
    if f.known_exploited {
        tags.push("known-exploited".into());
    }
    json!({
        "id": id,
        "shortDescription": { "text": title },
        "fullDescription": { "text": truncate(&full, MAX_DESCRIPTION) },
        "helpUri": url,
        "help": {
            "text": format!("{full}\nDetails: {url}"),
            "markdown": format!("{}\n\nDetails: <{url}>", crate::markdown::escape_text(&full))
        },
        "defaultConfiguration": { "level": level(f.severity) },
        "properties": {
            "security-severity": security_severity(f),
            "tags": tags
        }
    })
}

fn message(f: &Finding, id: &str, overdue: Option<i64>) -> String {
    let p = &f.package;
    let mut m = format!(
        "{} {} on {} is affected by {id}",
        p.name, p.version, f.asset
    );
    let cves = distinct_cves(f);
    if !cves.is_empty() && !cves.contains(&id) {
        m.push_str(&format!(" ({})", cves.join(", ")));
    }
    m.push_str(&format!(" [{}]", f.severity));
    if f.known_exploited {
        m.push_str(", known to be exploited");
    }
    m.push('.');
    if let Some(kb) = &f.kb {
        m.push_str(&format!(" Install security update KB{kb}."));
    }
    if f.fixed_versions.is_empty() {
        m.push_str(" No fixed version is known.");
    } else {
        m.push_str(&format!(" Fixed in {}.", f.fixed_versions.join(", ")));
    }
    match (f.due, overdue) {
        (Some(due), Some(d)) if d > 0 => {
            m.push_str(&format!(" Patch deadline {due} passed {d} days ago."))
        }
        (Some(due), _) => m.push_str(&format!(" Patch deadline {due}.")),
        _ => {}
    }
    truncate(&m, 4 * MAX_DESCRIPTION)
}

fn result(
    scan: &ScanResult,
    options: &Options,
    f: &Finding,
    id: &str,
    rule_index: usize,
    ignore_reason: Option<&str>,
) -> Value {
    let overdue = days_overdue(f, scan.today);
    let p = &f.package;

    let mut location = Map::new();
    if let Some(artifact) = uri::artifact_location(&p.location.file, options.source_root) {
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), artifact);
        if let Some(line) = p.location.line.filter(|l| *l >= 1) {
            physical.insert("region".into(), json!({ "startLine": line }));
        }
        location.insert("physicalLocation".into(), Value::Object(physical));
    }
    location.insert(
        "logicalLocations".into(),
        json!([{ "name": p.name, "fullyQualifiedName": format!("{}/{}", f.asset, p.name) }]),
    );

    let properties = json!({
        "asset": f.asset,
        "ecosystem": p.ecosystem.as_str(),
        "package": p.name,
        "installedVersion": p.version,
        "purl": crate::purl::of(p),
        "advisories": f.advisories,
        "aliases": f.aliases,
        "cves": distinct_cves(f),
        "severity": f.severity.as_str(),
        "cvssScore": finite(f.cvss_score),
        "cvssVector": f.cvss_vector,
        "knownExploited": f.known_exploited,
        "kevDueDate": f.kev_due.map(|d| d.to_string()),
        "epss": finite(f.epss),
        "fixedVersions": f.fixed_versions,
        "kb": f.kb.as_ref().map(|kb| format!("KB{kb}")),
        "fixReleased": f.fix_released.map(|d| d.to_string()),
        "dueDate": f.due.map(|d| d.to_string()),
        "daysOverdue": overdue,
        "overdue": overdue.is_some_and(|d| d > 0),
        "tags": ["security"]
    });

    let mut result = json!({
        "ruleId": id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": level(f.severity),
        "message": { "text": message(f, id, overdue) },
        "locations": [Value::Object(location)],
        "partialFingerprints": { FINGERPRINT_KEY: finding_key(f, id) },
        "properties": properties
    });
    if let (Some(reason), Some(obj)) = (ignore_reason, result.as_object_mut()) {
        obj.insert(
            "suppressions".into(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": reason
            }]),
        );
    }
    result
}

fn notification(n: &NotAssessed) -> Value {
    json!({
        "descriptor": { "id": NOT_ASSESSED_ID },
        "level": "warning",
        "message": { "text": format!("Not assessed: {}: {}", n.location, n.reason) },
        "properties": { "location": n.location, "reason": n.reason }
    })
}
