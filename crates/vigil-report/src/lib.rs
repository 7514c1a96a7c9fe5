//! Renderers for scan results: a terminal table, SARIF for code-scanning dashboards, CycloneDX VEX for supply-chain
//! tooling, Markdown for people, and vigil's own versioned JSON for scripts.
//!
//! Every renderer is a pure function over a [`ScanResult`]: the same input gives byte-identical
//! output, so reports can be diffed, committed and compared across runs. Every renderer carries the
//! "not assessed" list through to its output, because a report that silently drops what was not
//! checked looks like a clean bill of health — exactly the false comfort vigil exists to prevent.
//!
//! All text that comes from advisories, inventories or configuration (summaries, package names,
//! ignore reasons) is treated as hostile: JSON outputs rely on JSON escaping, and the Markdown
//! renderer escapes every cell so that a summary cannot break a table or inject HTML.
//!
//! A finished scan goes to a [`ScanSink`] ([`ScanWriter`] in a [`ScanFormat`]: the terminal table of
//! `scan_table`, or the renderers above).
//!
//! An audit's report folder (Markdown, HTML, timeline, SARIF, breach notices) goes file by file to a
//! [`ReportSink`] (module `audit_folder`).
//!
//! Hunt results are rendered as they are found: [`TableSink`], [`CsvSink`], [`JsonlSink`] and
//! [`JsonSink`] implement `vigil_hunt::DetectionSink` (modules `hunt_*`), and every one of them ends
//! with a row per rule whose detections the per-rule cap held back.
//!
//! # The `vigil.scan/1` JSON schema
//!
//! [`json::render`] produces the document below. Within `vigil.scan/1` keys are only ever added,
//! never removed or retyped; a breaking change gets a new schema name (`vigil.scan/2`).
//! Every key is always present; absent values are `null` (scalars) or `[]` (lists).
//!
//! ```json
//! {
//!   "schema": "vigil.scan/1",
//!   "tool": { "name": "vigil", "version": "0.1.0" },
//!   "generated_at": "2021-08-13T09:30:00Z",
//!   "today": "2021-08-13",
//!   "summary": {
//!     "findings": 2,
//!     "by_severity": { "critical": 1, "high": 1, "medium": 0, "low": 0, "none": 0, "unknown": 0 },
//!     "overdue": 1,
//!     "known_exploited": 1,
//!     "ignored": 1,
//!     "not_assessed": 2
//!   },
//!   "assets": [ { "name": "MAIL01", "tags": ["mail", "internet-facing"] } ],
//!   "findings": [
//!     {
//!       "asset": "MAIL01",
//!       "package": {
//!         "ecosystem": "Microsoft", "name": "Exchange Server 2019", "version": "15.2.792.3",
//!         "purl": null, "source_name": null,
//!         "location": { "file": "inventory/MAIL01.json", "line": null }
//!       },
//!       "advisories": ["KB5001779"],
//!       "aliases": ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-33766"],
//!       "cves": ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-33766"],
//!       "summary": "Security update for Exchange Server 2019 CU8 (ProxyShell)",
//!       "severity": "critical",
//!       "cvss_score": 9.1,
//!       "cvss_vector": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/E:U/RL:O/RC:C",
//!       "known_exploited": true,
//!       "kev_due": "2021-11-17",
//!       "epss": 0.97466,
//!       "fixed_versions": ["15.2.792.13"],
//!       "kb": "5001779",
//!       "fix_released": "2021-04-13",
//!       "due": "2021-04-27",
//!       "days_overdue": 108,
//!       "overdue": true
//!     }
//!   ],
//!   "ignored": [
//!     { "finding": { "asset": "...", "...": "same shape as above" }, "reason": "..." }
//!   ],
//!   "not_assessed": [
//!     { "location": "FILESRV02", "reason": "host did not answer (WinRM timeout)" }
//!   ]
//! }
//! ```
//!
//! Field notes: `days_overdue` is days past `due` as of `today` (zero or negative when not yet due,
//! `null` when there is no deadline); `overdue` is `days_overdue > 0`. `epss` is the EPSS
//! probability in `[0, 1]`. `cves` is derived from `advisories` and `aliases`. Non-finite numbers
//! are written as `null`.

pub mod audit_folder;
pub mod breach_html;
#[cfg(feature = "pdf")]
pub mod breach_pdf;
pub mod coverage_html;
pub mod html;
pub mod hunt_csv;
pub mod hunt_json;
pub mod hunt_jsonl;
pub mod hunt_table;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod scan_sink;
pub mod scan_table;
pub mod vex;

pub use audit_folder::{AuditReportError, AuditView, ReportSink};

/// vigil's one look: the palette, type, cards, tables and severity colours shared by the web console
/// (which serves it before its own layout) and every standalone HTML report (which embeds it before
/// its own rules).
pub const STYLESHEET: &str = include_str!("../assets/vigil.css");

#[cfg(test)]
mod style_tests {
    /// The stylesheet goes into `<style>` unescaped: nothing in it may close that element (or open
    /// a comment or CDATA section an HTML parser would honour there).
    #[test]
    fn the_shared_stylesheet_cannot_end_its_style_element() {
        let css = super::STYLESHEET.to_ascii_lowercase();
        assert!(!css.contains("</") && !css.contains("<!--") && !css.contains("<![cdata["));
    }
}
pub use hunt_csv::CsvSink;
pub use hunt_json::JsonSink;
pub use hunt_jsonl::JsonlSink;
pub use hunt_table::TableSink;
pub use scan_sink::{ScanFormat, ScanSink, ScanWriter};

mod fingerprint;
mod hunt_fields;
mod links;
#[cfg(feature = "pdf")]
mod pdf;
mod purl;
mod uri;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use vigil_model::{Asset, Finding};

/// Something a scan could not check: an unreadable input, an unknown ecosystem, a host that did not
/// answer. Reports list these so that a gap in coverage is never mistaken for safety.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAssessed {
    /// What was not checked: a file path, an ecosystem, a host.
    pub location: String,
    pub reason: String,
}

/// Everything a report needs about one scan.
#[derive(Debug, Clone)]
pub struct ScanResult<'a> {
    pub tool_version: &'a str,
    /// When the report was produced.
    pub generated_at: Timestamp,
    /// The day deadlines are measured against.
    pub today: Date,
    pub assets: Vec<Asset>,
    pub findings: &'a [Finding],
    /// Findings suppressed by configuration, with the reason given there.
    pub ignored: &'a [(Finding, String)],
    pub not_assessed: &'a [NotAssessed],
}

impl ScanResult<'_> {
    /// The asset names to report on: the declared assets first, then any asset that only appears
    /// in a finding, so that no finding is ever dropped for lack of an asset entry.
    pub fn asset_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let declared = self.assets.iter().map(|a| a.name.as_str());
        let seen_in_findings = self
            .findings
            .iter()
            .chain(self.ignored.iter().map(|(f, _)| f))
            .map(|f| f.asset.as_str());
        for name in declared.chain(seen_in_findings) {
            if seen.insert(name) {
                names.push(name);
            }
        }
        names
    }

    /// The findings whose deadline has passed on [`ScanResult::today`].
    pub fn overdue_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| days_overdue(f, self.today).is_some_and(|d| d > 0))
            .count()
    }
}

/// Days past the deadline, or `None` when there is no deadline.
pub(crate) fn days_overdue(f: &Finding, today: Date) -> Option<i64> {
    f.days_overdue(today)
}

/// The id a finding is known by: its primary advisory, else its first alias.
pub(crate) fn primary_id(f: &Finding) -> &str {
    f.advisories
        .first()
        .or_else(|| f.aliases.first())
        .map_or("UNIDENTIFIED", String::as_str)
}

/// The distinct CVE ids of a finding, in order of first appearance.
pub(crate) fn distinct_cves(f: &Finding) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in f.cves() {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// A number for JSON output: non-finite values (hostile or broken input) become `null`.
pub(crate) fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Untrusted text for a template: cut to `max` characters, with control characters (an escape
/// sequence, a bell) shown as spaces; the template's escaping does the rest.
pub(crate) fn for_template(s: &str, max: usize) -> String {
    truncate(s, max)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Cuts untrusted text to at most `max` characters, marking the cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => {
            let mut out = s.get(..i).unwrap_or(s).to_string();
            out.push('…');
            out
        }
        None => s.to_string(),
    }
}
