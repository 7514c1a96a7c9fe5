//! The result of a scan. Its published JSON form (schema `vigil.scan/1`) is written by `vigil-report`
//! from the findings and notes held here.

use crate::ignore::IgnoreState;
use crate::notes::NotAssessed;
use crate::policy::{Policy, Window};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::{Asset, Finding, Severity};

/// A finding as reported: the model's finding plus its standing on the report's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFinding {
    #[serde(flatten)]
    pub finding: Finding,
    /// Which policy window applied.
    pub window: Window,
    /// Days past `due` on the report's day (negative: days left); absent without a deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<i64>,
    pub overdue: bool,
    /// Set when an ignore entry matched (in force or expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<IgnoreState>,
}

impl ReportFinding {
    /// Whether the finding counts (not hidden by an ignore entry in force).
    pub fn is_open(&self) -> bool {
        !matches!(self.ignore, Some(IgnoreState::Ignored { .. }))
    }

    /// The severity used by `--fail-on`: an unrated finding counts as high, as the patch policy treats it.
    pub fn gate_severity(&self) -> Severity {
        match self.finding.severity {
            Severity::Unknown => Severity::High,
            s => s,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub packages: usize,
    pub findings: usize,
    /// Findings not hidden by an ignore entry in force.
    pub open: usize,
    pub ignored: usize,
    pub expired_ignores: usize,
    /// Open findings past their deadline.
    pub overdue: usize,
    /// Open findings per severity (`critical`, `high`, …).
    pub by_severity: BTreeMap<String, usize>,
    pub not_assessed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    pub generated_at: Timestamp,
    /// The day deadlines are measured against.
    pub today: Date,
    pub asset: Asset,
    /// The files, directories or roots scanned.
    pub inputs: Vec<String>,
    pub policy: Policy,
    pub summary: Summary,
    /// Most severe first, then most overdue.
    pub findings: Vec<ReportFinding>,
    /// What could not be evaluated, and why: always present, possibly empty.
    pub not_assessed: Vec<NotAssessed>,
}

impl ScanReport {
    /// Whether an open finding at or above `threshold` exists (the `--fail-on` gate).
    pub fn trips(&self, threshold: Severity) -> bool {
        self.findings
            .iter()
            .any(|f| f.is_open() && f.gate_severity() >= threshold)
    }

    pub(crate) fn summarise(&mut self, packages: usize) {
        let mut s = Summary {
            packages,
            findings: self.findings.len(),
            not_assessed: self.not_assessed.len(),
            ..Summary::default()
        };
        for f in &self.findings {
            match &f.ignore {
                Some(IgnoreState::Ignored { .. }) => s.ignored += 1,
                Some(IgnoreState::Expired { .. }) => s.expired_ignores += 1,
                None => {}
            }
            if f.is_open() {
                s.open += 1;
                if f.overdue {
                    s.overdue += 1;
                }
                *s.by_severity
                    .entry(f.finding.severity.as_str().to_string())
                    .or_default() += 1;
            }
        }
        self.summary = s;
    }
}
