//! CycloneDX 1.5 VEX: what vigil concluded about each vulnerability of each affected package.
//!
//! * `components` holds each affected package once, its `bom-ref` being its purl (the one it came
//!   with, or one built from ecosystem, name and version); the assets it was found on are listed as
//!   `vigil:asset` properties.
//! * `vulnerabilities` holds one entry per finding — or, for a missing Microsoft security update,
//!   one per CVE the update fixes, since VEX consumers match on CVE ids, with the update named in
//!   `recommendation` and `advisories`. Each entry `affects` its component by `bom-ref` and names
//!   its asset in a `vigil:asset` property.
//! * `analysis.state` is chosen so that vigil never claims more safety than it knows:
//!   - an open finding is `exploitable` (the version is in the affected range), with response
//!     `update` when a fix exists;
//!   - an ignored finding is `not_affected` only when its ignore reason starts with one of
//!     CycloneDX's justifications (`code_not_reachable: …`, `requires_configuration: …`, …), and
//!     `false_positive` when it starts with `false_positive`/`false positive`; any other reason is
//!     a triage decision without a machine-readable justification, so it is `in_triage`. The
//!     reason is always quoted in `analysis.detail`.
//! * Inputs that were not assessed are listed as `vigil:not-assessed` properties in `metadata`.

use crate::fingerprint::uuid;
use crate::{ScanResult, days_overdue, distinct_cves, finite, links, primary_id, purl};
use serde_json::{Value, json};
use std::collections::HashMap;
use vigil_model::{Finding, Severity};

pub const SPEC_VERSION: &str = "1.5";

/// CycloneDX's `not_affected` justifications, as they may start an ignore reason.
const JUSTIFICATIONS: [&str; 9] = [
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

/// The analysis vigil states for an ignored finding, from its ignore reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoredState {
    NotAffected(&'static str),
    FalsePositive,
    InTriage,
}

/// Reads a CycloneDX justification (or a false-positive claim) from the start of an ignore reason.
pub fn ignored_state(reason: &str) -> IgnoredState {
    let r = reason.trim_start().to_ascii_lowercase();
    let starts_with_word = |w: &str| {
        r.strip_prefix(w).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with([':', ' ', '\t', '-', ',', ';', '.', '\n'])
        })
    };
    if let Some(j) = JUSTIFICATIONS.iter().find(|j| starts_with_word(j)) {
        return IgnoredState::NotAffected(j);
    }
    if starts_with_word("false_positive") || starts_with_word("false positive") {
        return IgnoredState::FalsePositive;
    }
    IgnoredState::InTriage
}

/// CycloneDX's rating method for a CVSS vector.
fn rating_method(vector: &str) -> &'static str {
    let v = vector.trim();
    if v.starts_with("CVSS:4.") {
        "CVSSv4"
    } else if v.starts_with("CVSS:3.1/") {
        "CVSSv31"
    } else if v.starts_with("CVSS:3.0/") {
        "CVSSv3"
    } else if v.contains("Au:") && v.starts_with("AV:") {
        "CVSSv2"
    } else {
        "other"
    }
}

fn severity_word(s: Severity) -> &'static str {
    // CycloneDX's severities are vigil's, with `none` and `unknown` spelled the same.
    s.as_str()
}

fn component_type(f: &Finding) -> &'static str {
    if links::is_microsoft(f) {
        "application"
    } else {
        "library"
    }
}

pub fn render(scan: &ScanResult) -> Value {
    let entries = scan
        .findings
        .iter()
        .map(|f| (f, None))
        .chain(scan.ignored.iter().map(|(f, r)| (f, Some(r.as_str()))));

    let mut components: Vec<(Value, Vec<String>)> = Vec::new();
    let mut component_index: HashMap<String, usize> = HashMap::new();
    let mut vulnerabilities = Vec::new();
    for (f, ignore_reason) in entries {
        let bom_ref = purl::of(&f.package);
        let i = *component_index.entry(bom_ref.clone()).or_insert_with(|| {
            components.push((component(f, &bom_ref), Vec::new()));
            components.len() - 1
        });
        if let Some((_, assets)) = components.get_mut(i)
            && !assets.contains(&f.asset)
        {
            assets.push(f.asset.clone());
        }
        vulnerabilities.extend(vulnerability_entries(scan, f, &bom_ref, ignore_reason));
    }
    let components: Vec<Value> = components
        .into_iter()
        .map(|(mut c, assets)| {
            let props: Vec<Value> = assets
                .iter()
                .map(|a| json!({ "name": "vigil:asset", "value": a }))
                .collect();
            if let Some(obj) = c.as_object_mut() {
                obj.insert("properties".into(), Value::Array(props));
            }
            c
        })
        .collect();

    let mut metadata_props: Vec<Value> = scan
        .not_assessed
        .iter()
        .map(|n| {
            let value = format!("{}: {}", n.location, n.reason);
            json!({ "name": "vigil:not-assessed", "value": value })
        })
        .collect();
    metadata_props.push(json!({ "name": "vigil:today", "value": scan.today.to_string() }));

    let generated = scan.generated_at.to_string();
    let serial_parts: Vec<&str> = [scan.tool_version, generated.as_str()]
        .into_iter()
        .chain(scan.findings.iter().map(primary_id))
        .chain(scan.findings.iter().map(|f| f.asset.as_str()))
        .collect();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": format!("urn:uuid:{}", uuid(&serial_parts)),
        "version": 1,
        "metadata": {
            "timestamp": generated,
            "tools": { "components": [{
                "type": "application",
                "name": "vigil",
                "version": scan.tool_version
            }]},
            "properties": metadata_props
        },
        "components": components,
        "vulnerabilities": vulnerabilities
    })
}

fn component(f: &Finding, bom_ref: &str) -> Value {
    let p = &f.package;
    json!({
        "type": component_type(f),
        "bom-ref": bom_ref,
        "name": p.name,
        "version": p.version,
        "purl": bom_ref
    })
}

/// The vulnerability entries of one finding: one per CVE for a Microsoft security update that
/// fixes several, otherwise one for the finding's primary advisory.
fn vulnerability_entries(
    scan: &ScanResult,
    f: &Finding,
    bom_ref: &str,
    ignore_reason: Option<&str>,
) -> Vec<Value> {
    let cves = distinct_cves(f);
    let per_cve = f.kb.is_some() && !cves.is_empty();
    let ids: Vec<&str> = if per_cve {
        cves.clone()
    } else {
        vec![primary_id(f)]
    };
    let shared_rating = per_cve && cves.len() > 1;
    ids.into_iter()
        .map(|id| vulnerability(scan, f, id, bom_ref, ignore_reason, shared_rating))
        .collect()
}

fn rating(f: &Finding, shared: bool) -> Value {
    let mut r = serde_json::Map::new();
    r.insert("severity".into(), json!(severity_word(f.severity)));
    if shared {
        // The finding's score belongs to the security update as a whole (the highest among its
        // CVEs); attaching it to every CVE as that CVE's own score would overstate some of them.
        r.insert("method".into(), json!("other"));
        let mut why = format!(
            "Rating of security update KB{} as a whole (the highest among the CVEs it fixes)",
            f.kb.as_deref().unwrap_or_default()
        );
        if let Some(score) = finite(f.cvss_score) {
            why.push_str(&format!(": CVSS {score}"));
            if let Some(v) = &f.cvss_vector {
                why.push_str(&format!(" {v}"));
            }
        }
        r.insert("justification".into(), json!(why));
        return Value::Object(r);
    }
    if let Some(score) = finite(f.cvss_score) {
        r.insert("score".into(), json!(score));
    }
    match &f.cvss_vector {
        Some(v) => {
            r.insert("method".into(), json!(rating_method(v)));
            r.insert("vector".into(), json!(v));
        }
        None => {
            r.insert("method".into(), json!("other"));
        }
    }
    Value::Object(r)
}

fn vulnerability(
    scan: &ScanResult,
    f: &Finding,
    id: &str,
    bom_ref: &str,
    ignore_reason: Option<&str>,
    shared_rating: bool,
) -> Value {
    let (source_name, source_url) = if links::is_microsoft(f) {
        ("Microsoft", links::advisory_page(f, id))
    } else {
        ("OSV", links::osv(id))
    };
    let references: Vec<Value> = f
        .advisories
        .iter()
        .chain(f.aliases.iter())
        .map(String::as_str)
        .filter(|other| *other != id)
        .fold(Vec::<&str>::new(), |mut acc, x| {
            if !acc.contains(&x) {
                acc.push(x);
            }
            acc
        })
        .into_iter()
        .map(|other| {
            let (name, url) = links::alias_source(f, other);
            json!({ "id": other, "source": { "name": name, "url": url } })
        })
        .collect();

    let p = &f.package;
    let mut where_found = p.location.file.clone();
    if let Some(line) = p.location.line {
        where_found.push_str(&format!(":{line}"));
    }
    let (analysis, version_status) = match ignore_reason {
        None => {
            let mut a = json!({
                "state": "exploitable",
                "detail": format!(
                    "{} {} on {} is in the affected range{}.",
                    p.name,
                    p.version,
                    f.asset,
                    if where_found.is_empty() {
                        String::new()
                    } else {
                        format!(" (found in {where_found})")
                    }
                )
            });
            if (!f.fixed_versions.is_empty() || f.kb.is_some())
                && let Some(obj) = a.as_object_mut()
            {
                obj.insert("response".into(), json!(["update"]));
            }
            (a, "affected")
        }
        Some(reason) => match ignored_state(reason) {
            IgnoredState::NotAffected(j) => (
                json!({ "state": "not_affected", "justification": j,
                        "detail": format!("Ignored in vigil's configuration: {reason}") }),
                "unaffected",
            ),
            IgnoredState::FalsePositive => (
                json!({ "state": "false_positive",
                        "detail": format!("Ignored in vigil's configuration: {reason}") }),
                "unaffected",
            ),
            IgnoredState::InTriage => (
                json!({ "state": "in_triage",
                        "detail": format!("Ignored in vigil's configuration: {reason}. The reason \
                            names no CycloneDX justification, so vigil does not claim the \
                            component is not affected.") }),
                "unknown",
            ),
        },
    };

    let mut recommendation = String::new();
    if let Some(kb) = &f.kb {
        recommendation.push_str(&format!("Install security update KB{kb}"));
        if !f.fixed_versions.is_empty() {
            recommendation.push_str(&format!(" (build {})", f.fixed_versions.join(", ")));
        }
        recommendation.push('.');
    } else if !f.fixed_versions.is_empty() {
        recommendation = format!("Upgrade {} to {}.", p.name, f.fixed_versions.join(" or "));
    }

    let overdue = days_overdue(f, scan.today);
    let mut props = vec![json!({ "name": "vigil:asset", "value": f.asset })];
    let mut prop = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            props.push(json!({ "name": name, "value": v }));
        }
    };
    prop("vigil:known-exploited", Some(f.known_exploited.to_string()));
    prop("vigil:kev-due", f.kev_due.map(|d| d.to_string()));
    prop("vigil:epss", finite(f.epss).map(|e| e.to_string()));
    prop("vigil:fix-released", f.fix_released.map(|d| d.to_string()));
    prop("vigil:due", f.due.map(|d| d.to_string()));
    prop("vigil:days-overdue", overdue.map(|d| d.to_string()));
    prop(
        "vigil:fixed-versions",
        (!f.fixed_versions.is_empty()).then(|| f.fixed_versions.join(", ")),
    );

    let mut v = json!({
        "id": id,
        "source": { "name": source_name, "url": source_url },
        "ratings": [rating(f, shared_rating)],
        "analysis": analysis,
        "affects": [{
            "ref": bom_ref,
            "versions": [{ "version": p.version, "status": version_status }]
        }],
        "properties": props
    });
    if let Some(obj) = v.as_object_mut() {
        if !references.is_empty() {
            obj.insert("references".into(), Value::Array(references));
        }
        if let Some(s) = f.summary.as_deref().filter(|s| !s.trim().is_empty()) {
            obj.insert("description".into(), json!(s));
        }
        if !recommendation.is_empty() {
            obj.insert("recommendation".into(), json!(recommendation));
        }
        if let Some(kb) = &f.kb {
            obj.insert(
                "advisories".into(),
                json!([{ "title": format!("KB{kb}"), "url": links::kb_article(kb) }]),
            );
        }
    }
    v
}
