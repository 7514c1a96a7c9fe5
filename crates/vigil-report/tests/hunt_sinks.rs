//! The hunt renderers: each writes detections as given and ends with the rows of the rules the
//! per-rule cap held back; the JSON document is valid however many detections were streamed into
//! it; hostile log text cannot reach a terminal or a spreadsheet as control sequences or formulas.

use jiff::Timestamp;
use vigil_hunt::{DetectionSink, FileStats, HuntPlan, HuntSummary, RuleMeta, RuleTally};
use vigil_model::{Detection, Level, RecordRef, SourceRef};
use vigil_report::{CsvSink, JsonSink, JsonlSink, TableSink};

fn hostile_detection(n: u64) -> Detection {
    Detection {
        rule_id: "rule-1".into(),
        rule_title: "Title\u{1b}]0;pwned\u{7}".into(),
        level: Level::High,
        tags: vec!["attack.t1110".into(), "cve.2021-34473".into()],
        timestamp: Timestamp::from_second(1_628_812_800 + n as i64).ok(),
        first_seen: None,
        host: Some("-2+3\n2021-01-01 forged line".into()),
        sources: vec![SourceRef {
            file: "logs/\u{1b}[2Jmail.log".into(),
            record: RecordRef::Line(n),
            generation: None,
        }],
        matched: vec![("user".into(), "=HYPERLINK(\"http://x\")\u{1b}[31m".into())],
    }
}

fn meta() -> RuleMeta {
    RuleMeta {
        author: Some("Jane Doe".into()),
        ..RuleMeta::default()
    }
}

fn summary() -> HuntSummary {
    let mut s = HuntSummary::default();
    s.max_per_rule = 2;
    s.events_read = 7;
    s.rules.push(RuleTally {
        rule_id: "rule-1".into(),
        rule_title: "Title".into(),
        rule_author: Some("Jane Doe".into()),
        level: Level::High,
        found: 7,
        reported: 2,
        first: Timestamp::from_second(1_628_812_801).ok(),
        last: Timestamp::from_second(1_628_812_807).ok(),
        suppressed_first: Timestamp::from_second(1_628_812_803).ok(),
        suppressed_last: Timestamp::from_second(1_628_812_807).ok(),
    });
    s.files.push(FileStats {
        path: "mail.log".into(),
        events: 7,
        notes: vec!["year 2021 assumed from --log-time".into()],
        ..FileStats::default()
    });
    s
}

fn render(sink: &mut dyn DetectionSink, detections: u64) {
    let m = meta();
    sink.begin(&HuntPlan::default()).unwrap();
    for n in 1..=detections {
        sink.detection(&hostile_detection(n), Some(&m)).unwrap();
    }
    sink.finish(&summary()).unwrap();
}

#[test]
fn json_document_is_valid_for_zero_one_and_many_detections() {
    for n in [0, 1, 2] {
        let mut sink = JsonSink::new(Vec::new(), Some(vec!["bad.yml: no detection".into()]));
        render(&mut sink, n);
        let text = String::from_utf8(sink.into_inner()).unwrap();
        let doc: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(doc["schema"], "vigil.hunt/1");
        assert_eq!(doc["detections"].as_array().unwrap().len(), n as usize);
        assert_eq!(doc["suppressed"][0]["suppressed"], 5);
        assert_eq!(doc["suppressed"][0]["first_seen"], "2021-08-13T00:00:03Z");
        assert_eq!(
            doc["files"][0]["notes"][0],
            "year 2021 assumed from --log-time"
        );
        assert_eq!(doc["events_read"], 7);
        assert_eq!(doc["rules_not_loaded"][0], "bad.yml: no detection");
        assert_eq!(doc["summary"]["max_per_rule"], 2);
        assert!(doc["summary"].get("files").is_none());
        if n > 0 {
            assert_eq!(doc["detections"][0]["rule_author"], "Jane Doe");
            assert_eq!(doc["detections"][0]["type"], "detection");
        }
    }
}

#[test]
fn json_lines_end_with_the_suppressed_rows() {
    let mut sink = JsonlSink::new(Vec::new());
    render(&mut sink, 2);
    let text = String::from_utf8(sink.into_inner()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["type"], "detection");
    assert_eq!(lines[0]["sources"][0]["record"]["line"], 1);
    assert_eq!(lines[2]["type"], "suppressed");
    assert_eq!(lines[2]["suppressed"], 5);
    assert_eq!(lines[2]["last_seen"], "2021-08-13T00:00:07Z");
}

#[test]
fn csv_rows_are_defused_and_the_suppressed_row_counts() {
    let mut sink = CsvSink::new(Vec::new());
    render(&mut sink, 1);
    let text = String::from_utf8(sink.into_inner()).unwrap();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows.len(),
        3,
        "header, a detection, a suppressed row: {text}"
    );
    assert!(rows[0].ends_with("first_seen,suppressed"));
    assert!(
        rows[1].contains(",'-2+3 2021-01-01 forged line,"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains(",\"user==HYPERLINK(\"\"http://x\"\")[31m\","),
        "{}",
        rows[1]
    );
    assert!(rows[1].contains("Jane Doe"));
    assert!(rows[2].starts_with("2021-08-13T00:00:07Z,high,rule-1,Title,Jane Doe,"));
    assert!(rows[2].ends_with(",2021-08-13T00:00:03Z,5"), "{}", rows[2]);
}

#[test]
fn table_escapes_log_text_and_colours_only_when_asked() {
    let mut sink = TableSink::new(Vec::new(), false);
    render(&mut sink, 1);
    let text = String::from_utf8(sink.into_inner()).unwrap();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains('\u{7}'));
    assert_eq!(
        text.lines().count(),
        3,
        "two lines per detection, one per capped rule: {text}"
    );
    assert!(text.contains("[-2+3\\n2021-01-01 forged line]"), "{text}");
    assert!(text.contains("(rule by Jane Doe)"));
    assert!(text.contains("5 more held back (at most 2 per rule)"));

    let mut sink = TableSink::new(Vec::new(), true);
    render(&mut sink, 1);
    let text = String::from_utf8(sink.into_inner()).unwrap();
    assert!(text.contains("\u{1b}[1;31mhigh"), "{text:?}");
}
