mod common;

use common::*;
use serde_json::Value;
use vigil_report::sarif;

fn schema_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid(doc: &Value) {
    let v = schema_validator();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().unwrap()
}

fn result_for<'a>(doc: &'a Value, rule: &str) -> &'a Value {
    results(doc)
        .iter()
        .find(|r| r["ruleId"] == rule)
        .unwrap_or_else(|| panic!("no result for {rule}"))
}

#[test]
fn output_validates_against_the_sarif_2_1_0_schema() {
    let fx = fixture();
    let doc = sarif::render(&fx.scan());
    assert_eq!(doc["version"], "2.1.0");
    assert_valid(&doc);
    // The schema check itself can fail: a wrong level is rejected.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!schema_validator().is_valid(&broken));
    let mut broken = doc;
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] =
        serde_json::json!({ "startLine": 0 });
    assert!(!schema_validator().is_valid(&broken));
}

#[test]
fn levels_locations_and_properties() {
    let fx = fixture();
    let doc = sarif::render(&fx.scan());

    let ex = result_for(&doc, "KB5001779");
    assert_eq!(ex["level"], "error");
    let phys = &ex["locations"][0]["physicalLocation"];
    assert_eq!(
        phys["artifactLocation"]["uri"],
        "inventory/MAIL01-exchange.json"
    );
    assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert!(phys.get("region").is_none(), "no line, no region");
    let p = &ex["properties"];
    assert_eq!(p["severity"], "critical");
    assert_eq!(p["cvssScore"], 9.1);
    assert_eq!(p["knownExploited"], true);
    assert_eq!(p["kevDueDate"], "2021-11-17");
    assert_eq!(p["epss"], 0.97466);
    assert_eq!(p["dueDate"], "2021-04-27");
    assert_eq!(p["daysOverdue"], 108);
    assert_eq!(p["overdue"], true);
    assert_eq!(p["kb"], "KB5001779");
    assert_eq!(p["fixedVersions"], serde_json::json!(["15.2.792.13"]));
    assert_eq!(
        p["cves"],
        serde_json::json!(["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-33766"])
    );
    let text = ex["message"]["text"].as_str().unwrap();
    assert!(text.contains("KB5001779"), "{text}");
    assert!(text.contains("passed 108 days ago"), "{text}");

    let jinja = result_for(&doc, "GHSA-462w-v97r-4m45");
    assert_eq!(jinja["level"], "error");
    let phys = &jinja["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "app/requirements.txt");
    assert_eq!(phys["region"]["startLine"], 7);
    assert_eq!(jinja["properties"]["fixedVersions"][0], "2.10.1");
    assert_eq!(jinja["properties"]["purl"], "pkg:pypi/jinja2@2.10");

    let urllib3 = result_for(&doc, "GHSA-r64q-w8jr-g9qp");
    assert_eq!(urllib3["level"], "warning");
    assert_eq!(urllib3["properties"]["daysOverdue"], -19);
    assert_eq!(urllib3["properties"]["overdue"], false);
}

#[test]
fn one_rule_per_advisory_with_help_links_and_security_severity() {
    let fx = fixture();
    let doc = sarif::render(&fx.scan());
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "KB5001779",
            "GHSA-462w-v97r-4m45",
            "GHSA-r64q-w8jr-g9qp",
            "GHSA-x84v-xcm2-53pg",
            "DSA-5532-1"
        ]
    );
    assert_eq!(
        rules[0]["helpUri"],
        "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-34473"
    );
    assert_eq!(
        rules[1]["helpUri"],
        "https://osv.dev/vulnerability/GHSA-462w-v97r-4m45"
    );
    assert_eq!(rules[0]["properties"]["security-severity"], "9.1");
    // No CVSS score: the middle of the severity band.
    assert_eq!(rules[4]["properties"]["security-severity"], "8.0");
    // Every result points at its own rule.
    for r in results(&doc) {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    // A second finding of the same advisory on another asset reuses the rule.
    let mut fx2 = fixture();
    let mut other = jinja2();
    other.asset = "web02".into();
    fx2.findings.push(other);
    let doc2 = sarif::render(&fx2.scan());
    assert_eq!(
        doc2["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(results(&doc2).len(), 6);
}

#[test]
fn fingerprints_are_stable_and_distinguish_assets() {
    let fx = fixture();
    let fp = |doc: &Value, rule: &str| {
        result_for(doc, rule)["partialFingerprints"][sarif::FINGERPRINT_KEY]
            .as_str()
            .unwrap()
            .to_string()
    };
    let a = sarif::render(&fx.scan());
    let b = sarif::render(&fx.scan());
    assert_eq!(a, b, "rendering is deterministic");
    let jinja_fp = fp(&a, "GHSA-462w-v97r-4m45");
    assert_eq!(jinja_fp.len(), 16);
    // Pinned: the fingerprint must not change between releases, or every alert would reopen.
    // (FNV-1a 64 over the length-prefixed asset, ecosystem, name, file and advisory.)
    assert_eq!(jinja_fp, "06a7aeb527c9424d");

    // Same problem after a version bump and a moved line: same alert.
    let mut moved = fixture();
    moved.findings[1].package.version = "2.10.0".into();
    moved.findings[1].package.location.line = Some(30);
    assert_eq!(
        fp(&sarif::render(&moved.scan()), "GHSA-462w-v97r-4m45"),
        jinja_fp
    );

    // Same package and advisory on another asset: another alert.
    let mut other = fixture();
    other.findings[1].asset = "web02".into();
    assert_ne!(
        fp(&sarif::render(&other.scan()), "GHSA-462w-v97r-4m45"),
        jinja_fp
    );

    let all: Vec<String> = results(&a)
        .iter()
        .map(|r| r["partialFingerprints"][sarif::FINGERPRINT_KEY].to_string())
        .collect();
    let mut dedup = all.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(all.len(), dedup.len());
}

#[test]
fn ignored_findings_are_suppressed_not_dropped() {
    let fx = fixture();
    let doc = sarif::render(&fx.scan());
    let r = result_for(&doc, "GHSA-x84v-xcm2-53pg");
    assert_eq!(r["suppressions"][0]["kind"], "external");
    assert_eq!(r["suppressions"][0]["status"], "accepted");
    assert_eq!(r["suppressions"][0]["justification"], REQUESTS_REASON);
    assert!(result_for(&doc, "KB5001779").get("suppressions").is_none());
    // Absolute paths become file URIs.
    let deb = result_for(&doc, "DSA-5532-1");
    let loc = &deb["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "file:///var/lib/dpkg/status"
    );
    assert_eq!(loc["region"]["startLine"], 4211);
}

#[test]
fn not_assessed_inputs_are_tool_notifications() {
    let fx = fixture();
    let doc = sarif::render(&fx.scan());
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["descriptor"]["id"], sarif::NOT_ASSESSED_ID);
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["message"]["text"],
        concat!(
            "Not assessed: /srv/app/frontend/yarn.lock: ",
            "yarn.lock format v8 (Yarn Berry) is not supported"
        )
    );
    assert_eq!(notes[1]["properties"]["location"], "FILESRV02");
    assert_eq!(doc["runs"][0]["properties"]["notAssessed"], 2);
}

#[test]
fn source_root_makes_absolute_paths_relative() {
    let mut fx = fixture();
    fx.findings[1].package.location.file = "/home/ci/work/app/requirements.txt".into();
    let doc = sarif::render_with(
        &fx.scan(),
        &sarif::Options {
            source_root: Some("/home/ci/work"),
        },
    );
    let loc = &result_for(&doc, "GHSA-462w-v97r-4m45")["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "app/requirements.txt");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_valid(&doc);
}

#[test]
fn degenerate_input_still_renders_valid_sarif() {
    let mut f = jinja2();
    f.advisories.clear();
    f.aliases.clear();
    f.cvss_score = Some(f64::NAN);
    f.epss = Some(f64::INFINITY);
    f.package.location = vigil_model::PackageLocation {
        file: String::new(),
        line: Some(0),
    };
    f.summary = Some("x".repeat(100_000));
    f.severity = vigil_model::Severity::Unknown;
    let findings = vec![f];
    let scan = vigil_report::ScanResult {
        tool_version: "0.1.0",
        generated_at: jiff::Timestamp::UNIX_EPOCH,
        today: jiff::civil::date(2021, 1, 1),
        assets: vec![],
        findings: &findings,
        ignored: &[],
        not_assessed: &[],
    };
    let doc = sarif::render(&scan);
    assert_valid(&doc);
    let r = &results(&doc)[0];
    assert_eq!(r["ruleId"], "UNIDENTIFIED");
    assert_eq!(
        r["level"], "error",
        "an unrated vulnerability is not a safe one"
    );
    assert!(r["locations"][0].get("physicalLocation").is_none());
    assert_eq!(r["properties"]["cvssScore"], Value::Null);
    let rule = &doc["runs"][0]["tool"]["driver"]["rules"][0];
    assert!(
        rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .chars()
            .count()
            <= 1001
    );
}
