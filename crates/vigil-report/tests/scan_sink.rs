//! A finished scan through `ScanSink`: the terminal table (findings by severity, ignores, the
//! not-assessed list always, hostile text kept on one line) and the document formats fed with the
//! scan's ignores and notes.

mod common;

use common::{reported, scan_finding as finding, scan_report as report};
use jiff::civil::date;
use vigil_model::Severity;
use vigil_report::{ScanFormat, ScanSink, ScanWriter, scan_sink, scan_table};
use vigil_scan::IgnoreState;

#[test]
fn the_table_groups_by_severity_and_always_lists_what_was_not_assessed() {
    let r = report(
        vec![reported(
            finding("PYSEC-1", Severity::Critical, "bad\x1b[2J\nthing"),
            None,
        )],
        1,
    );
    let text = scan_table::render(&r, false);
    assert!(text.starts_with("web1 — 1 package(s), 1 finding(s) open, 1 overdue, 0 ignored"));
    assert!(text.contains("\nCRITICAL (1)\n"));
    assert!(text.contains("  PYSEC-1              example 1.0 → 2.0  CVSS 9.8  KEV  EPSS 50.0%"));
    assert!(text.contains("fix released 2024-01-01 · due 2024-01-15 · 17 days overdue"));
    assert!(text.contains("      at requirements.txt:3\n"));
    assert!(text.contains("NOT ASSESSED (1)\n  [unknown-ecosystem] Cargo.lock: no advisories"));
    // Hostile text stays on one line and cannot drive the terminal; no colour unless asked.
    assert!(text.contains("      bad [2J thing\n"));
    assert!(!text.contains('\x1b'));
    assert!(scan_table::render(&r, true).contains("\x1b[1;35mCRITICAL (1)\x1b[0m"));
}

#[test]
fn an_empty_scan_says_nothing_was_assessed() {
    let text = scan_table::render(&report(vec![], 0), false);
    assert!(text.contains("Nothing was assessed: no package was found in the inputs."));
    assert!(!text.contains("No known vulnerabilities"));
}

#[test]
fn the_writer_feeds_ignores_and_notes_to_the_document_formats() {
    let r = report(
        vec![
            reported(
                finding("PYSEC-1", Severity::High, "in force"),
                Some(IgnoreState::Ignored {
                    reason: "mitigated by WAF".into(),
                    expires: date(2024, 6, 1),
                }),
            ),
            reported(
                finding("PYSEC-2", Severity::High, "expired"),
                Some(IgnoreState::Expired {
                    reason: "old exception".into(),
                    expired: date(2024, 1, 1),
                }),
            ),
        ],
        1,
    );
    let mut writer = ScanWriter::new(Vec::new(), ScanFormat::Json);
    writer.scan(&r).unwrap();
    let written = String::from_utf8(writer.into_inner()).unwrap();
    assert_eq!(written, scan_sink::render(&r, ScanFormat::Json).unwrap());
    let doc: serde_json::Value = serde_json::from_str(&written).unwrap();
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["advisories"][0].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PYSEC-2"], "an ignore in force hides its finding");
    assert_eq!(
        doc["ignored"][0]["reason"],
        "mitigated by WAF (until 2024-06-01)"
    );
    let notes: Vec<&str> = doc["not_assessed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["reason"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0], "[unknown-ecosystem] no advisories for crates.io");
    assert!(notes[1].starts_with("[expired-ignore] the exception \"old exception\" expired"));
    let md = scan_sink::render(&r, ScanFormat::Markdown).unwrap();
    assert!(md.contains("expired-ignore"));
}
