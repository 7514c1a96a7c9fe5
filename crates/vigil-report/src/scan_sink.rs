//! Where a finished scan goes, as hunt detections go to a `DetectionSink`: the caller picks a
//! [`ScanFormat`] and hands the report to a [`ScanSink`]; [`ScanWriter`] writes it to any `Write`,
//! [`render`] gives it as text (the audit report folder embeds the Markdown and SARIF forms).
//!
//! The table is [`crate::scan_table`]; JSON, SARIF, CycloneDX VEX and Markdown are the
//! [`ScanResult`](crate::ScanResult) renderers, fed from the scan with what the scan knows beyond
//! findings: ignores in force become the ignored list, expired ignores and every not-assessed note
//! (tagged with its kind) the not-assessed list.

use std::io::{self, Write};
use vigil_model::Finding;
use vigil_scan::{IgnoreState, ScanReport};

/// The forms a scan is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFormat {
    /// For a terminal; `colour` adds ANSI colours (only for a terminal, without `NO_COLOR`).
    Table {
        colour: bool,
    },
    /// vigil's versioned JSON (`vigil.scan/1`).
    Json,
    Markdown,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX VEX.
    Vex,
}

/// Receives a finished scan.
pub trait ScanSink {
    fn scan(&mut self, report: &ScanReport) -> io::Result<()>;
}

impl<S: ScanSink + ?Sized> ScanSink for &mut S {
    fn scan(&mut self, report: &ScanReport) -> io::Result<()> {
        (**self).scan(report)
    }
}

/// Writes each scan to `out` in one format.
pub struct ScanWriter<W: Write> {
    out: W,
    format: ScanFormat,
}

impl<W: Write> ScanWriter<W> {
    pub fn new(out: W, format: ScanFormat) -> Self {
        ScanWriter { out, format }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> ScanSink for ScanWriter<W> {
    fn scan(&mut self, report: &ScanReport) -> io::Result<()> {
        let text = render(report, self.format).map_err(io::Error::other)?;
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

/// Renders the report in the chosen format.
pub fn render(report: &ScanReport, format: ScanFormat) -> Result<String, serde_json::Error> {
    if let ScanFormat::Table { colour } = format {
        return Ok(crate::scan_table::render(report, colour));
    }
    let findings: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.is_open())
        .map(|f| f.finding.clone())
        .collect();
    let ignored: Vec<(Finding, String)> = report
        .findings
        .iter()
        .filter_map(|f| match &f.ignore {
            Some(IgnoreState::Ignored { reason, expires }) => {
                Some((f.finding.clone(), format!("{reason} (until {expires})")))
            }
            _ => None,
        })
        .collect();
    let mut notes: Vec<crate::NotAssessed> = report
        .not_assessed
        .iter()
        .map(|n| crate::NotAssessed {
            location: n.location.clone(),
            reason: format!("[{}] {}", n.kind.as_str(), n.reason),
        })
        .collect();
    for f in report.findings.iter() {
        if let Some(IgnoreState::Expired { reason, expired }) = &f.ignore {
            notes.push(crate::NotAssessed {
                location: f.finding.advisories.first().cloned().unwrap_or_default(),
                reason: format!(
                    "[expired-ignore] the exception \"{reason}\" expired on {expired}: the finding is reported again"
                ),
            });
        }
    }
    let result = crate::ScanResult {
        tool_version: env!("CARGO_PKG_VERSION"),
        generated_at: report.generated_at,
        today: report.today,
        assets: vec![report.asset.clone()],
        findings: &findings,
        ignored: &ignored,
        not_assessed: &notes,
    };
    Ok(match format {
        ScanFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::json::render(&result))?
        ),
        ScanFormat::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::sarif::render(&result))?
        ),
        ScanFormat::Vex => format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::vex::render(&result))?
        ),
        ScanFormat::Markdown => crate::markdown::render(&result),
        ScanFormat::Table { colour } => crate::scan_table::render(report, colour),
    })
}
