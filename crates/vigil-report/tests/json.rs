mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use vigil_report::json;

/// The example document in the crate docs, so that the documentation cannot drift from the output.
fn documented_example() -> Value {
    let src = include_str!("../src/lib.rs");
    let start = src.find("//! ```json\n").unwrap() + "//! ```json\n".len();
    let end = start + src[start..].find("//! ```\n").unwrap();
    let text: String = src[start..end]
        .lines()
        .map(|l| l.strip_prefix("//!").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&text).unwrap()
}

fn key_paths(v: &Value, path: &str, out: &mut BTreeSet<String>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            let p = format!("{path}.{k}");
            out.insert(p.clone());
            key_paths(child, &p, out);
        }
    }
}

#[test]
fn documented_example_has_the_same_keys_as_the_output() {
    let fx = fixture();
    let doc = json::render(&fx.scan());
    let example = documented_example();
    let (mut ours, mut documented) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&doc, "", &mut ours);
    key_paths(&example, "", &mut documented);
    assert_eq!(ours, documented, "top-level and summary keys");
    let (mut ours, mut documented) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&doc["findings"][0], "", &mut ours);
    key_paths(&example["findings"][0], "", &mut documented);
    assert_eq!(ours, documented, "finding keys");
    // The example's finding is the fixture's Exchange finding: values agree too.
    for k in [
        "asset",
        "advisories",
        "cves",
        "severity",
        "known_exploited",
        "kb",
        "due",
        "days_overdue",
        "overdue",
    ] {
        assert_eq!(doc["findings"][0][k], example["findings"][0][k], "{k}");
    }
}

#[test]
fn versioned_schema_summary_and_findings() {
    let fx = fixture();
    let doc = json::render(&fx.scan());
    assert_eq!(doc["schema"], "vigil.scan/1");
    assert_eq!(doc["tool"]["version"], "0.1.0");
    assert_eq!(doc["generated_at"], "2021-08-13T09:30:00Z");
    assert_eq!(doc["today"], "2021-08-13");
    let s = &doc["summary"];
    assert_eq!(s["findings"], 3);
    assert_eq!(s["by_severity"]["critical"], 1);
    assert_eq!(s["by_severity"]["high"], 1);
    assert_eq!(s["by_severity"]["medium"], 1);
    assert_eq!(s["by_severity"]["unknown"], 0);
    assert_eq!(s["overdue"], 2);
    assert_eq!(s["known_exploited"], 1);
    assert_eq!(s["ignored"], 2);
    assert_eq!(s["not_assessed"], 2);

    let ex = &doc["findings"][0];
    assert_eq!(ex["days_overdue"], 108);
    assert_eq!(ex["overdue"], true);
    assert_eq!(ex["cves"].as_array().unwrap().len(), 3);
    assert_eq!(ex["package"]["location"]["line"], Value::Null);
    assert_eq!(ex["package"]["purl"], Value::Null);
    let jinja = &doc["findings"][1];
    assert_eq!(
        jinja["package"]["location"],
        serde_json::json!({ "file": "app/requirements.txt", "line": 7 })
    );
    assert_eq!(jinja["kb"], Value::Null);
    assert_eq!(jinja["kev_due"], Value::Null);
    assert_eq!(doc["findings"][2]["days_overdue"], -19);
    assert_eq!(doc["findings"][2]["overdue"], false);
    assert_eq!(
        doc["findings"][2]["summary"], HOSTILE_SUMMARY,
        "JSON keeps the exact text"
    );

    assert_eq!(doc["ignored"][0]["reason"], REQUESTS_REASON);
    assert_eq!(
        doc["ignored"][0]["finding"]["advisories"][0],
        "GHSA-x84v-xcm2-53pg"
    );
    assert_eq!(doc["ignored"][1]["finding"]["due"], Value::Null);
    assert_eq!(doc["ignored"][1]["finding"]["days_overdue"], Value::Null);
    assert_eq!(doc["not_assessed"][1]["location"], "FILESRV02");
    assert_eq!(
        doc["assets"][0],
        serde_json::json!({ "name": "MAIL01", "tags": ["mail", "internet-facing"] })
    );

    // The output survives a text round trip unchanged.
    let text = serde_json::to_string(&doc).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), doc);
}

#[test]
fn non_finite_numbers_become_null() {
    let mut fx = fixture();
    fx.findings[0].cvss_score = Some(f64::NAN);
    fx.findings[0].epss = Some(f64::NEG_INFINITY);
    let doc = json::render(&fx.scan());
    assert_eq!(doc["findings"][0]["cvss_score"], Value::Null);
    assert_eq!(doc["findings"][0]["epss"], Value::Null);
    assert!(serde_json::to_string(&doc).is_ok());
}
