//! A real ProxyLogon exploitation (OTRF Security-Datasets, MIT) hunted with the bundled rules: the
//! detections must be exactly the ones checked by hand in `fixtures/otrf/expected.yml` (true
//! positives and the known false positives), on the records named there.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use vigil_hunt::{HuntOptions, filter_status, hunt, mapping::reader_mappings};
use vigil_logs::Format;
use vigil_model::RecordRef;
use vigil_sigma::{Engine, LoadOptions, load_rules};

#[derive(Debug, Deserialize)]
struct Expected {
    detections: Vec<ExpectedDetection>,
    #[serde(default)]
    gaps: Vec<Gap>,
}

#[derive(Debug, Deserialize)]
struct ExpectedDetection {
    line: u64,
    rule: String,
    verdict: String,
}

#[derive(Debug, Deserialize)]
struct Gap {
    line: u64,
}

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn proxylogon_exploitation_is_surfaced_with_the_verified_detections() {
    let dir = here().join("tests/fixtures/otrf");
    let expected: Expected = yaml_serde::from_str(
        &std::fs::read_to_string(dir.join("expected.yml")).expect("expected.yml"),
    )
    .expect("expected.yml parses");

    let rules = here().join("../../rules");
    let (mut set, errors) = load_rules(
        &[rules.join("sigmahq"), rules.join("vigil")],
        &LoadOptions::default(),
    );
    assert!(set.rules.len() > 2500, "bundled rules not found");
    assert!(errors.len() < 50, "{} rule load errors", errors.len());
    filter_status(&mut set, None);
    let (engine, _) = Engine::compile(&set, &reader_mappings().expect("mappings"));

    let file = dir.join("proxylogon_ssrf_rce_poc_subset.json");
    let report = hunt(&engine, &[file], &HuntOptions::default(), &|_, _| {});
    let stats = &report.files[0];
    assert_eq!(stats.format, Some(Format::WinJson), "{stats:?}");
    assert_eq!(report.events_read(), 27);
    assert_eq!(report.records_failed(), 0);

    let got: BTreeSet<(u64, String)> = report
        .detections
        .iter()
        .flat_map(|d| {
            d.sources.iter().filter_map(|s| match s.record {
                RecordRef::Line(n) => Some((n, d.rule_id.clone())),
                _ => None,
            })
        })
        .collect();
    let want: BTreeSet<(u64, String)> = expected
        .detections
        .iter()
        .map(|d| (d.line, d.rule.clone()))
        .collect();
    let gap_lines: BTreeSet<u64> = expected.gaps.iter().map(|g| g.line).collect();

    let missing: Vec<_> = want.difference(&got).collect();
    let unexpected: Vec<_> = got
        .difference(&want)
        .filter(|(line, _)| !gap_lines.contains(line))
        .collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "missing detections {missing:?}\nunexpected detections {unexpected:?}"
    );

    // The exploitation itself is surfaced: the CVE-2021-27065 cmdlet, the web shell on disk and
    // the web shell running commands, each at high level or above.
    let true_lines: BTreeSet<u64> = expected
        .detections
        .iter()
        .filter(|d| d.verdict == "true")
        .map(|d| d.line)
        .collect();
    for line in [25, 6, 9] {
        assert!(true_lines.contains(&line));
        assert!(
            report.detections.iter().any(|d| {
                d.level >= vigil_model::Level::High
                    && d.sources.iter().any(|s| s.record == RecordRef::Line(line))
            }),
            "no high-level detection on line {line}"
        );
    }
}

#[test]
fn fixture_lines_are_unmodified_otrf_json() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/otrf/proxylogon_ssrf_rce_poc_subset.json"),
    )
    .expect("fixture");
    let mut hosts = BTreeSet::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        hosts.insert(v["Hostname"].as_str().unwrap_or("").to_string());
    }
    assert_eq!(
        hosts,
        BTreeSet::from(["MXS01.azsentinel.local".to_string()])
    );
}
