//! An audit's report folder through `ReportSink`: every file in a fixed order, hostile text
//! escaped, and a sink that cannot take a file stops the report with the sink's own message.

mod common;

use common::{reported, scan_finding, scan_report};
use std::io;
use vigil_model::{Asset, Severity};
use vigil_report::{AuditReportError, AuditView, ReportSink, audit_folder};
use vigil_scan::ScanReport;

/// Keeps the files in memory, or fails on the file named `fail_on`.
#[derive(Default)]
struct Memory {
    files: Vec<(String, Vec<u8>)>,
    fail_on: Option<&'static str>,
}

impl ReportSink for Memory {
    fn file(&mut self, name: &str, body: &[u8]) -> io::Result<()> {
        if self.fail_on == Some(name) {
            return Err(io::Error::other(format!(
                "cannot write out/{name}: disk full"
            )));
        }
        self.files.push((name.to_string(), body.to_vec()));
        Ok(())
    }
}

fn text<'a>(sink: &'a Memory, name: &str) -> &'a str {
    let body = &sink.files.iter().find(|(n, _)| n == name).unwrap().1;
    std::str::from_utf8(body).unwrap()
}

/// An audit of `asset` with `scan` and no detection, incident or notice.
fn view<'a>(asset: &'a Asset, scan: &'a ScanReport) -> AuditView<'a> {
    AuditView {
        asset,
        today: scan.today,
        generated_at: scan.generated_at,
        scan,
        detections: &[],
        dismissed: &[],
        cases: &[],
        drafts: &[],
        record: None,
    }
}

#[test]
fn every_file_of_the_folder_goes_to_the_sink() {
    let asset = Asset {
        name: "web1<script>alert(1)</script>".into(),
        tags: vec![],
    };
    let scan = scan_report(
        vec![reported(
            scan_finding("PYSEC-1", Severity::Critical, "remote code execution"),
            None,
        )],
        1,
    );
    let view = view(&asset, &scan);
    let mut sink = Memory::default();
    audit_folder::write(&view, &mut sink).unwrap();
    let names: Vec<&str> = sink.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "report.md",
            "report.html",
            "timeline.csv",
            "timeline.jsonl",
            "findings.sarif"
        ]
    );
    assert!(text(&sink, "report.md").contains("PYSEC-1"));
    // The page has a script of its own; the asset's name must not add one.
    let html = text(&sink, "report.html");
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("web1&#60;script&#62;alert(1)"), "{html}");
    let sarif: serde_json::Value = serde_json::from_str(text(&sink, "findings.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn a_sink_that_cannot_take_a_file_stops_the_report_with_its_message() {
    let asset = Asset {
        name: "web1".into(),
        tags: vec![],
    };
    let scan = scan_report(vec![], 1);
    let view = view(&asset, &scan);
    let mut sink = Memory {
        fail_on: Some("report.html"),
        ..Memory::default()
    };
    let err = audit_folder::write(&view, &mut sink).unwrap_err();
    assert!(matches!(err, AuditReportError::Write(_)), "{err:?}");
    assert_eq!(err.to_string(), "cannot write out/report.html: disk full");
    assert_eq!(sink.files.len(), 1, "nothing after the failed file");
}
