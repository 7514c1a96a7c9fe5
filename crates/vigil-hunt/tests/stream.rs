//! The streaming hunt: detections reach the sink in record order as they are found, the per-rule
//! cap holds back and counts, correlations see every file's events in time order whatever order the
//! files are given in, and the spilled correlation input gives exactly what the in-memory one gives.

use std::io;
use std::path::{Path, PathBuf};
use vigil_hunt::{DetectionSink, HuntOptions, HuntPlan, HuntSummary, hunt, hunt_into};
use vigil_logs::FileStats;
use vigil_model::{Detection, RecordRef};
use vigil_sigma::{Correlator, Engine, RuleMeta, parse_rules_str};

/// A Postfix SMTP AUTH failure, a burst of them per client address (reported with its building
/// block), and a spread of addresses per SASL method (aggregated field values).
const RULES: &str = r#"
title: SASL failure
id: 4b3f0f8e-0000-4000-8000-00000000000a
name: sasl_failed
status: test
author: test author
logsource:
    product: linux
    service: postfix
detection:
    selection:
        event_action: sasl_auth_failed
    condition: selection
level: low
---
title: SASL burst from one address
id: 4b3f0f8e-0000-4000-8000-00000000000b
status: test
correlation:
    type: event_count
    rules:
        - sasl_failed
    group-by:
        - client_ip
    timespan: 1m
    condition:
        gte: 3
    generate: true
level: high
---
title: SASL failures from many addresses
id: 4b3f0f8e-0000-4000-8000-00000000000c
status: test
correlation:
    type: value_count
    rules:
        - sasl_failed
    group-by:
        - sasl_method
    timespan: 30s
    condition:
        field: client_ip
        gte: 4
level: medium
"#;

fn engine() -> Engine {
    let (set, errors) = parse_rules_str(RULES, "test rules");
    assert!(errors.is_empty(), "{errors:?}");
    let mappings = vigil_hunt::mapping::reader_mappings().unwrap();
    let (engine, errors) = Engine::compile(&set, &mappings);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(engine.correlation_count(), 2);
    engine
}

/// A failed SMTP AUTH line `secs` seconds after 2021-08-13T00:00:00Z.
fn failure(secs: u64, ip: &str, method: &str) -> String {
    format!(
        "2021-08-13T{:02}:{:02}:{:02}.000000+00:00 mx1 postfix/smtpd[3100]: warning: unknown[{ip}]: \
         SASL {method} authentication failed: UGFzc3dvcmQ6\n",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.concat()).unwrap();
    path
}

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Begin(usize),
    Detection {
        rule: String,
        line: u64,
        author: Option<String>,
    },
    FileDone(String),
    Finish,
}

#[derive(Default)]
struct Recorder {
    calls: Vec<Call>,
    detections: Vec<Detection>,
}

impl DetectionSink for Recorder {
    fn begin(&mut self, plan: &HuntPlan) -> io::Result<()> {
        self.calls.push(Call::Begin(plan.files));
        Ok(())
    }
    fn detection(&mut self, d: &Detection, rule: Option<&RuleMeta>) -> io::Result<()> {
        let line = match d.sources.first().map(|s| s.record) {
            Some(RecordRef::Line(n)) => n,
            _ => 0,
        };
        self.calls.push(Call::Detection {
            rule: d.rule_title.clone(),
            line,
            author: rule.and_then(|m| m.author.clone()),
        });
        self.detections.push(d.clone());
        Ok(())
    }
    fn file_done(&mut self, stats: &FileStats) -> io::Result<()> {
        self.calls.push(Call::FileDone(stats.path.clone()));
        Ok(())
    }
    fn finish(&mut self, _summary: &HuntSummary) -> io::Result<()> {
        self.calls.push(Call::Finish);
        Ok(())
    }
}

fn stream(engine: &Engine, files: &[PathBuf], opts: &HuntOptions) -> (Recorder, HuntSummary) {
    let mut sink = Recorder::default();
    let summary = hunt_into(engine, files, Vec::new(), opts, &mut |_| {}, &mut sink).unwrap();
    (sink, summary)
}

#[test]
fn detections_stream_in_record_order_and_the_cap_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..30)
        .map(|i| failure(i * 5, &format!("198.51.100.{}", i % 3), "LOGIN"))
        .collect();
    let file = write(dir.path(), "mail.log", &lines);
    let opts = HuntOptions {
        max_per_rule: 10,
        ..HuntOptions::default()
    };
    let (sink, summary) = stream(&engine(), &[file], &opts);

    assert_eq!(sink.calls.first(), Some(&Call::Begin(1)));
    assert_eq!(sink.calls.last(), Some(&Call::Finish));
    let done = sink
        .calls
        .iter()
        .position(|c| matches!(c, Call::FileDone(_)))
        .unwrap();
    // The building block's detections come while the file is read, in line order, the first ten.
    let base: Vec<u64> = sink
        .calls
        .iter()
        .filter_map(|c| match c {
            Call::Detection { rule, line, .. } if rule == "SASL failure" => Some(*line),
            _ => None,
        })
        .collect();
    assert_eq!(base, (1..=10).collect::<Vec<u64>>());
    assert!(sink.calls[..done].iter().all(|c| !matches!(
        c, Call::Detection { rule, .. } if rule != "SASL failure"
    )));
    // Correlations come after every file is read.
    assert!(sink.calls[done..].iter().any(|c| matches!(
        c, Call::Detection { rule, .. } if rule == "SASL burst from one address"
    )));
    assert!(sink.calls.iter().all(|c| match c {
        Call::Detection { rule, author, .. } if rule == "SASL failure" =>
            author.as_deref() == Some("test author"),
        _ => true,
    }));

    let tally = summary
        .rules
        .iter()
        .find(|r| r.rule_title == "SASL failure")
        .unwrap();
    assert_eq!(
        (tally.found, tally.reported, tally.suppressed()),
        (30, 10, 20)
    );
    let at = |secs: u64| -> Option<jiff::Timestamp> {
        Some(jiff::Timestamp::from_second(1_628_812_800 + secs as i64).unwrap())
    };
    assert_eq!(tally.suppressed_first, at(50), "line 11");
    assert_eq!(tally.suppressed_last, at(145), "line 30");
    assert_eq!(summary.capped().count(), 1);
    assert_eq!(summary.events_read, 30);
    assert_eq!(summary.correlation.events, 30);
}

/// The same attack split over a rotated pair of logs: `mail.log` (newer) and `mail.log.1`
/// (older). A burst straddles the rotation, so it is only seen when both files' events are merged
/// in time order.
#[test]
fn correlations_span_files_given_in_reverse_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let older: Vec<String> = (0..40)
        .map(|i| failure(i * 7, &format!("203.0.113.{}", i % 4), "PLAIN"))
        .chain([failure(590, "192.0.2.9", "LOGIN")])
        .collect();
    let newer: Vec<String> = [failure(600, "192.0.2.9", "LOGIN")]
        .into_iter()
        .chain([failure(610, "192.0.2.9", "LOGIN")])
        .chain((0..40).map(|i| failure(900 + i * 7, &format!("203.0.113.{}", i % 4), "PLAIN")))
        .collect();
    let older = write(dir.path(), "mail.log.1", &older);
    let newer = write(dir.path(), "mail.log", &newer);
    let engine = engine();
    let opts = HuntOptions::default();

    let correlations = |files: &[PathBuf]| -> Vec<String> {
        let report = hunt(&engine, files, &opts, &|_, _| {});
        report
            .detections
            .iter()
            .filter(|d| d.rule_title != "SASL failure")
            .map(|d| serde_json::to_string(d).unwrap())
            .collect()
    };
    let newest_first = correlations(&[newer.clone(), older.clone()]);
    let oldest_first = correlations(&[older.clone(), newer.clone()]);
    assert_eq!(newest_first, oldest_first);

    let report = hunt(&engine, &[newer, older], &opts, &|_, _| {});
    let straddling: Vec<&Detection> = report
        .detections
        .iter()
        .filter(|d| {
            d.rule_title == "SASL burst from one address"
                && d.matched.iter().any(|(_, v)| v == "192.0.2.9")
        })
        .collect();
    assert_eq!(straddling.len(), 1, "{straddling:?}");
    let files: Vec<&str> = straddling[0]
        .sources
        .iter()
        .map(|s| s.file.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(files, ["mail.log.1", "mail.log", "mail.log"]);
    let mut sorted = oldest_first;
    sorted.sort();
    let expected = expected_correlations(
        &engine,
        &[dir.path().join("mail.log.1"), dir.path().join("mail.log")],
    );
    assert!(
        expected == sorted,
        "differs from feeding whole events in time order"
    );
}

/// What the correlator gives when fed every whole event in time order (stable, in file order):
/// the reference the compact, spilled path must reproduce.
fn expected_correlations(engine: &Engine, files_in_order: &[PathBuf]) -> Vec<String> {
    let mut pending = Vec::new();
    for f in files_in_order {
        // Files that are not logs are skipped, as the hunt skips them.
        let _ = vigil_logs::read_path(f, &Default::default(), &mut |ev| {
            let mut m = Vec::new();
            engine.all_matches(&ev, &mut m);
            if !m.is_empty() {
                pending.push((ev, m));
            }
        });
    }
    pending.sort_by_key(|(ev, _)| ev.timestamp);
    let mut correlator = Correlator::new(engine);
    let mut out = Vec::new();
    for (ev, m) in &pending {
        correlator.feed(ev, m, &mut out);
    }
    correlator.finish(&mut out);
    let mut out: Vec<String> = out
        .iter()
        .map(|d| serde_json::to_string(d).unwrap())
        .collect();
    out.sort();
    out
}

fn many_files(dir: &Path) -> Vec<PathBuf> {
    // Three files, read in parallel, whose times interleave: each holds every third second.
    (0..3u64)
        .map(|f| {
            let lines: Vec<String> = (0..700u64)
                .map(|i| {
                    let t = i * 3 + f;
                    let ip = format!("198.51.100.{}", (t * 7 + t / 50) % 11);
                    failure(t, &ip, if t % 5 == 0 { "PLAIN" } else { "LOGIN" })
                })
                .collect();
            write(dir, &format!("mail-{f}.log"), &lines)
        })
        .collect()
}

#[test]
fn spilled_correlation_input_gives_the_same_detections_as_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let files = many_files(dir.path());
    let engine = engine();
    let in_memory = HuntOptions {
        max_per_rule: 0,
        ..HuntOptions::default()
    };
    let spill = tempfile::tempdir().unwrap();
    let tiny = HuntOptions {
        correlation_memory: 2048,
        spill_dir: Some(spill.path().to_path_buf()),
        ..in_memory.clone()
    };
    let a = hunt(&engine, &files, &in_memory, &|_, _| {});
    let b = hunt(&engine, &files, &tiny, &|_, _| {});
    assert_eq!(a.summary.correlation.spilled_runs, 0);
    assert!(
        b.summary.correlation.spilled_runs > 10,
        "{:?}",
        b.summary.correlation
    );
    assert!(b.summary.correlation.spilled_bytes > 0);
    assert_eq!(a.summary.correlation.events, 2100);
    assert_eq!(b.summary.correlation.events, 2100);
    let json = |r: &vigil_hunt::HuntReport| -> Vec<String> {
        let mut v: Vec<String> = r
            .detections
            .iter()
            .map(|d| serde_json::to_string(d).unwrap())
            .collect();
        v.sort();
        v
    };
    assert!(json(&a) == json(&b), "spilled and in-memory differ");
    let correlations: Vec<String> = json(&a)
        .into_iter()
        .filter(|d| !d.contains("\"SASL failure\""))
        .collect();
    assert!(correlations.len() > 20, "{}", correlations.len());
    assert!(correlations.iter().any(|d| d.contains("many addresses")));
    assert!(
        correlations == expected_correlations(&engine, &files),
        "differs from feeding whole events in time order"
    );
    assert_eq!(
        std::fs::read_dir(spill.path()).unwrap().count(),
        0,
        "the spill directory is removed"
    );
}

#[test]
fn an_unwritable_spill_directory_fails_the_correlations_not_the_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let files = many_files(dir.path());
    let opts = HuntOptions {
        correlation_memory: 1024,
        spill_dir: Some(dir.path().join("no such directory")),
        ..HuntOptions::default()
    };
    let (sink, summary) = stream(&engine(), &files, &opts);
    let why = summary.correlation.failed.as_deref().unwrap_or_default();
    assert!(why.contains("cannot spill"), "{why}");
    assert!(summary.correlation_incomplete());
    assert!(
        sink.detections
            .iter()
            .any(|d| d.rule_title == "SASL failure")
    );
    assert_eq!(summary.events_read, 2100);
}

#[test]
fn events_outside_the_time_bounds_are_read_but_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mail.log", &[failure(5, "192.0.2.1", "LOGIN")]);
    let opts = HuntOptions {
        since: Some("2022-01-01T00:00:00Z".parse().unwrap()),
        ..HuntOptions::default()
    };
    let (sink, summary) = stream(&engine(), &[file], &opts);
    assert_eq!((summary.events_read, summary.events_evaluated), (1, 0));
    assert!(sink.detections.is_empty());
}

/// A log in time order is correlated while it is read; the same log with two lines swapped is
/// correlated from the spool after. Both give what whole events fed in time order give.
#[test]
fn in_order_logs_are_correlated_live_and_others_from_the_spool_alike() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..900u64)
        .map(|t| {
            let ip = format!("198.51.100.{}", (t * 7 + t / 50) % 11);
            failure(t, &ip, if t % 5 == 0 { "PLAIN" } else { "LOGIN" })
        })
        .collect();
    let engine = engine();
    let opts = HuntOptions {
        max_per_rule: 0,
        ..HuntOptions::default()
    };
    let correlations = |r: &vigil_hunt::HuntReport| -> Vec<String> {
        let mut v: Vec<String> = r
            .detections
            .iter()
            .filter(|d| d.rule_title != "SASL failure")
            .map(|d| serde_json::to_string(d).unwrap())
            .collect();
        v.sort();
        v
    };

    let sorted = write(dir.path(), "sorted.log", &lines);
    let live = hunt(&engine, std::slice::from_ref(&sorted), &opts, &|_, _| {});
    assert!(live.summary.correlation.in_order);
    assert!(correlations(&live).len() > 20);
    assert!(correlations(&live) == expected_correlations(&engine, &[sorted]));

    lines.swap(100, 700);
    let shuffled = write(dir.path(), "shuffled.log", &lines);
    let spooled = hunt(&engine, std::slice::from_ref(&shuffled), &opts, &|_, _| {});
    assert!(!spooled.summary.correlation.in_order);
    assert!(correlations(&spooled) == expected_correlations(&engine, &[shuffled]));
}

/// Every sample log of vigil's own rules (rules/tests), hunted with every own rule: the compact
/// records the hunt keeps give the correlations that whole events give — for every correlation
/// type, the extensions included (list fields, extra fields). A correlation type that reads a
/// field `Engine::correlation_fields` does not name fails here.
#[test]
fn compact_records_correlate_every_own_sample_as_whole_events_do() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (set, errors) = vigil_sigma::load_rules(&[rules.join("vigil")], &Default::default());
    assert!(errors.is_empty(), "{errors:?}");
    let (engine, errors) = Engine::compile(&set, &vigil_hunt::mapping::reader_mappings().unwrap());
    assert!(errors.is_empty(), "{errors:?}");
    let opts = HuntOptions {
        max_per_rule: 0,
        correlation_memory: 4096,
        ..HuntOptions::default()
    };
    let mut samples: Vec<PathBuf> = std::fs::read_dir(rules.join("tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "yml"))
        .collect();
    samples.sort();
    let mut compared = 0;
    for sample in &samples {
        let report = hunt(&engine, std::slice::from_ref(sample), &opts, &|_, _| {});
        let mut got: Vec<String> = report
            .detections
            .iter()
            .filter(|d| !engine.is_reported(&d.rule_id))
            .map(|d| serde_json::to_string(d).unwrap())
            .collect();
        got.sort();
        let expected = expected_correlations(&engine, std::slice::from_ref(sample));
        assert!(
            got == expected,
            "{}: the hunt gives {} correlation detections, whole events {}",
            sample.display(),
            got.len(),
            expected.len()
        );
        compared += expected.len();
    }
    assert!(compared > 20, "{compared} correlation detections compared");
}
