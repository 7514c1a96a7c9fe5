//! vigil's own JSON report, schema `vigil.scan/1` (documented with an example in the crate docs).
//!
//! The document is written field by field here rather than by serialising the model types, so
//! that the published schema changes only when this module — and the schema name — change.

use crate::{ScanResult, days_overdue, distinct_cves, finite};
use serde_json::{Value, json};
use vigil_model::{Finding, Severity};

pub const SCHEMA: &str = "vigil.scan/1";

pub fn render(scan: &ScanResult) -> Value {
    let count = |s: Severity| scan.findings.iter().filter(|f| f.severity == s).count();
    json!({
        "schema": SCHEMA,
        "tool": { "name": "vigil", "version": scan.tool_version },
        "generated_at": scan.generated_at.to_string(),
        "today": scan.today.to_string(),
        "summary": {
            "findings": scan.findings.len(),
            "by_severity": {
                "critical": count(Severity::Critical),
                "high": count(Severity::High),
                "medium": count(Severity::Medium),
                "low": count(Severity::Low),
                "none": count(Severity::None),
                "unknown": count(Severity::Unknown)
            },
            "overdue": scan.overdue_count(),
            "known_exploited": scan.findings.iter().filter(|f| f.known_exploited).count(),
            "ignored": scan.ignored.len(),
            "not_assessed": scan.not_assessed.len()
        },
        "assets": scan.assets.iter()
            .map(|a| json!({ "name": a.name, "tags": a.tags }))
            .collect::<Vec<_>>(),
        "findings": scan.findings.iter().map(|f| finding(scan, f)).collect::<Vec<_>>(),
        "ignored": scan.ignored.iter()
            .map(|(f, reason)| json!({ "finding": finding(scan, f), "reason": reason }))
            .collect::<Vec<_>>(),
        "not_assessed": scan.not_assessed.iter()
            .map(|n| json!({ "location": n.location, "reason": n.reason }))
            .collect::<Vec<_>>()
    })
}

fn finding(scan: &ScanResult, f: &Finding) -> Value {
    let p = &f.package;
    let overdue = days_overdue(f, scan.today);
    json!({
        "asset": f.asset,
        "package": {
            "ecosystem": p.ecosystem.as_str(),
            "name": p.name,
            "version": p.version,
            "purl": p.purl,
            "source_name": p.source_name,
            "location": { "file": p.location.file, "line": p.location.line }
        },
        "advisories": f.advisories,
        "aliases": f.aliases,
        "cves": distinct_cves(f),
        "summary": f.summary,
        "severity": f.severity.as_str(),
        "cvss_score": finite(f.cvss_score),
        "cvss_vector": f.cvss_vector,
        "known_exploited": f.known_exploited,
        "kev_due": f.kev_due.map(|d| d.to_string()),
        "epss": finite(f.epss),
        "fixed_versions": f.fixed_versions,
        "kb": f.kb,
        "fix_released": f.fix_released.map(|d| d.to_string()),
        "due": f.due.map(|d| d.to_string()),
        "days_overdue": overdue,
        "overdue": overdue.is_some_and(|d| d > 0)
    })
}
