mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use vigil_report::vex::{self, IgnoredState};

fn vulns(doc: &Value) -> &Vec<Value> {
    doc["vulnerabilities"].as_array().unwrap()
}

fn vuln<'a>(doc: &'a Value, id: &str) -> &'a Value {
    vulns(doc)
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vulnerability {id}"))
}

/// Where both documents have a key, the values have the same JSON type, recursively (arrays are
/// compared element by element against the example's first element).
fn same_shape(ours: &Value, example: &Value, path: &str, errors: &mut Vec<String>) {
    match (ours, example) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if let Some(e) = b.get(k) {
                    same_shape(v, e, &format!("{path}.{k}"), errors);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let Some(e) = b.first() {
                for (i, v) in a.iter().enumerate() {
                    same_shape(v, e, &format!("{path}[{i}]"), errors);
                }
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => {}
        (a, b) => errors.push(format!("{path}: ours {a}, example {b}")),
    }
}

#[test]
fn structure_matches_the_cyclonedx_vex_example() {
    let fx = fixture();
    let doc = vex::render(&fx.scan());
    let example: Value =
        serde_json::from_str(include_str!("fixtures/cyclonedx-vex-example.json")).unwrap();
    assert_eq!(doc["bomFormat"], example["bomFormat"]);
    assert_eq!(doc["specVersion"], "1.5");
    assert_eq!(doc["version"], 1);
    let mut errors = Vec::new();
    for (i, v) in vulns(&doc).iter().enumerate() {
        same_shape(
            v,
            &example["vulnerabilities"][0],
            &format!("vulnerabilities[{i}]"),
            &mut errors,
        );
    }
    assert!(errors.is_empty(), "{errors:#?}");
    // And our checker notices a wrong shape.
    let mut broken = vulns(&doc)[0].clone();
    broken["analysis"]["response"] = "update".into();
    same_shape(&broken, &example["vulnerabilities"][0], "x", &mut errors);
    assert_eq!(errors.len(), 1);
}

/// The CycloneDX 1.5 vocabulary for the fields vigil writes.
#[test]
fn only_cyclonedx_1_5_keys_and_enum_values() {
    let fx = fixture();
    let doc = vex::render(&fx.scan());
    let vuln_keys: BTreeSet<&str> = [
        "bom-ref",
        "id",
        "source",
        "references",
        "ratings",
        "cwes",
        "description",
        "detail",
        "recommendation",
        "workaround",
        "proofOfConcept",
        "advisories",
        "created",
        "published",
        "updated",
        "rejected",
        "credits",
        "tools",
        "analysis",
        "affects",
        "properties",
    ]
    .into();
    let states = [
        "resolved",
        "resolved_with_pedigree",
        "exploitable",
        "in_triage",
        "false_positive",
        "not_affected",
    ];
    let justifications = [
        "code_not_present",
        "code_not_reachable",
        "requires_configuration",
        "requires_dependency",
        "requires_environment",
        "protected_by_compiler",
        "protected_at_runtime",
        "protected_at_perimeter",
        "protected_by_mitigating_control",
    ];
    let responses = [
        "can_not_fix",
        "will_not_fix",
        "update",
        "rollback",
        "workaround_available",
    ];
    let methods = [
        "CVSSv2", "CVSSv3", "CVSSv31", "CVSSv4", "OWASP", "SSVC", "other",
    ];
    let severities = [
        "critical", "high", "medium", "low", "info", "none", "unknown",
    ];
    let statuses = ["affected", "unaffected", "unknown"];
    for v in vulns(&doc) {
        for k in v.as_object().unwrap().keys() {
            assert!(
                vuln_keys.contains(k.as_str()),
                "unknown vulnerability key {k}"
            );
        }
        let a = &v["analysis"];
        assert!(states.contains(&a["state"].as_str().unwrap()));
        if let Some(j) = a.get("justification") {
            assert!(justifications.contains(&j.as_str().unwrap()));
        }
        for r in a
            .get("response")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            assert!(responses.contains(&r.as_str().unwrap()));
        }
        for r in v["ratings"].as_array().unwrap() {
            assert!(methods.contains(&r["method"].as_str().unwrap()));
            assert!(severities.contains(&r["severity"].as_str().unwrap()));
        }
        for af in v["affects"].as_array().unwrap() {
            for ver in af["versions"].as_array().unwrap() {
                assert!(statuses.contains(&ver["status"].as_str().unwrap()));
            }
        }
        for p in v["properties"].as_array().unwrap() {
            assert!(p["name"].is_string() && p["value"].is_string());
        }
    }
    for c in doc["components"].as_array().unwrap() {
        assert!(["application", "library"].contains(&c["type"].as_str().unwrap()));
    }
    let serial = doc["serialNumber"].as_str().unwrap();
    let uuid = serial.strip_prefix("urn:uuid:").unwrap();
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12]);
    assert!(
        uuid.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    assert_eq!(doc["metadata"]["timestamp"], "2021-08-13T09:30:00Z");
    assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "vigil");
}

#[test]
fn every_affects_ref_resolves_to_a_component() {
    let fx = fixture();
    let doc = vex::render(&fx.scan());
    let components = doc["components"].as_array().unwrap();
    let refs: Vec<&str> = components
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = refs.iter().copied().collect();
    assert_eq!(refs.len(), unique.len(), "bom-refs are unique");
    assert_eq!(
        refs,
        [
            "pkg:generic/microsoft/Exchange%20Server%202019@15.2.792.3",
            "pkg:pypi/jinja2@2.10",
            "pkg:pypi/urllib3@1.24.1",
            "pkg:pypi/requests@2.19.1",
            "pkg:deb/debian/openssl@3.0.9-1?distro=debian-12",
        ]
    );
    for c in components {
        assert_eq!(c["purl"], c["bom-ref"]);
    }
    for v in vulns(&doc) {
        for af in v["affects"].as_array().unwrap() {
            let r = af["ref"].as_str().unwrap();
            assert!(unique.contains(r), "dangling ref {r}");
        }
    }
    // The same package on two assets is one component listing both.
    let mut fx2 = fixture();
    let mut other = jinja2();
    other.asset = "web02".into();
    fx2.findings.push(other);
    let doc2 = vex::render(&fx2.scan());
    let comps = doc2["components"].as_array().unwrap();
    assert_eq!(comps.len(), 5);
    assert_eq!(
        comps[1]["properties"],
        serde_json::json!([
            { "name": "vigil:asset", "value": "web01" },
            { "name": "vigil:asset", "value": "web02" }
        ])
    );
}

#[test]
fn security_update_is_split_into_its_cves() {
    let fx = fixture();
    let doc = vex::render(&fx.scan());
    let ids: Vec<&str> = vulns(&doc)
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "CVE-2021-34473",
            "CVE-2021-34523",
            "CVE-2021-33766",
            "GHSA-462w-v97r-4m45",
            "GHSA-r64q-w8jr-g9qp",
            "GHSA-x84v-xcm2-53pg",
            "DSA-5532-1",
        ]
    );
    let v = vuln(&doc, "CVE-2021-34523");
    assert_eq!(v["source"]["name"], "Microsoft");
    assert_eq!(
        v["source"]["url"],
        "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-34523"
    );
    assert_eq!(v["analysis"]["state"], "exploitable");
    assert_eq!(v["analysis"]["response"], serde_json::json!(["update"]));
    assert_eq!(
        v["recommendation"],
        "Install security update KB5001779 (build 15.2.792.13)."
    );
    assert_eq!(
        v["advisories"][0]["url"],
        "https://support.microsoft.com/help/5001779"
    );
    // The update's score is not presented as each CVE's own score.
    let rating = &v["ratings"][0];
    assert_eq!(rating["severity"], "critical");
    assert_eq!(rating["method"], "other");
    assert!(rating.get("score").is_none());
    assert!(
        rating["justification"]
            .as_str()
            .unwrap()
            .contains("CVSS 9.1")
    );
    let props = v["properties"].as_array().unwrap();
    let prop = |n: &str| {
        props
            .iter()
            .find(|p| p["name"] == n)
            .map(|p| p["value"].clone())
    };
    assert_eq!(prop("vigil:asset").unwrap(), "MAIL01");
    assert_eq!(prop("vigil:days-overdue").unwrap(), "108");
    assert_eq!(prop("vigil:known-exploited").unwrap(), "true");
    assert_eq!(prop("vigil:kev-due").unwrap(), "2021-11-17");
}

#[test]
fn single_advisory_findings_carry_cvss_ratings_and_references() {
    let fx = fixture();
    let doc = vex::render(&fx.scan());
    let v = vuln(&doc, "GHSA-462w-v97r-4m45");
    assert_eq!(
        v["source"]["url"],
        "https://osv.dev/vulnerability/GHSA-462w-v97r-4m45"
    );
    let r = &v["ratings"][0];
    assert_eq!(r["score"], 8.6);
    assert_eq!(r["severity"], "high");
    assert_eq!(r["method"], "CVSSv3");
    assert_eq!(r["vector"], "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N");
    assert_eq!(
        vuln(&doc, "GHSA-r64q-w8jr-g9qp")["ratings"][0]["method"],
        "CVSSv31"
    );
    let refs: Vec<(&str, &str)> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["source"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(refs, [("PYSEC-2019-217", "OSV"), ("CVE-2019-10906", "NVD")]);
    assert_eq!(
        v["affects"][0]["versions"][0],
        serde_json::json!({ "version": "2.10", "status": "affected" })
    );
    assert!(
        v["analysis"]["detail"]
            .as_str()
            .unwrap()
            .contains("app/requirements.txt:7")
    );
    assert_eq!(v["recommendation"], "Upgrade Jinja2 to 2.10.1.");
}

#[test]
fn ignored_findings_claim_no_more_than_their_reason() {
    let fx = fixture();
    let doc = vex::render(&fx.scan());
    let req = vuln(&doc, "GHSA-x84v-xcm2-53pg");
    assert_eq!(req["analysis"]["state"], "not_affected");
    assert_eq!(req["analysis"]["justification"], "code_not_reachable");
    assert!(
        req["analysis"]["detail"]
            .as_str()
            .unwrap()
            .contains(REQUESTS_REASON)
    );
    assert_eq!(req["affects"][0]["versions"][0]["status"], "unaffected");

    let ssl = vuln(&doc, "DSA-5532-1");
    assert_eq!(ssl["analysis"]["state"], "in_triage");
    assert!(ssl["analysis"].get("justification").is_none());
    assert!(
        ssl["analysis"]["detail"]
            .as_str()
            .unwrap()
            .contains(OPENSSL_REASON)
    );
    assert_eq!(ssl["affects"][0]["versions"][0]["status"], "unknown");
    // No CVSS: a severity-only rating.
    assert_eq!(
        ssl["ratings"][0],
        serde_json::json!({ "severity": "high", "method": "other" })
    );

    assert_eq!(
        vex::ignored_state("protected_at_perimeter - WAF rule 942100"),
        IgnoredState::NotAffected("protected_at_perimeter")
    );
    assert_eq!(
        vex::ignored_state("False positive: backported fix"),
        IgnoredState::FalsePositive
    );
    assert_eq!(
        vex::ignored_state("code_not_reachableish"),
        IgnoredState::InTriage
    );
    assert_eq!(vex::ignored_state(""), IgnoredState::InTriage);
}

#[test]
fn not_assessed_inputs_are_kept_in_metadata() {
    let fx = fixture();
    let doc = vex::render(&fx.scan());
    let values: Vec<&str> = doc["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "vigil:not-assessed")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            "/srv/app/frontend/yarn.lock: yarn.lock format v8 (Yarn Berry) is not supported",
            "FILESRV02: host did not answer the Windows inventory query (WinRM timeout)",
        ]
    );
    assert_eq!(
        vex::render(&fx.scan()),
        doc,
        "deterministic, serial number included"
    );
}
