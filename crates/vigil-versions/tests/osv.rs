//! OSV range evaluation against real advisories (tests/fixtures, see LICENSES.md) and constructed
//! cases for the shapes the real data does not contain.

use serde_json::json;
use vigil_model::Affected;
use vigil_versions::{VersionError, affects};

fn entries(doc: &str) -> Vec<Affected> {
    let v: serde_json::Value = serde_json::from_str(doc).expect("fixture is JSON");
    serde_json::from_value(v["affected"].clone()).expect("affected entries parse")
}

fn entry(v: serde_json::Value) -> Affected {
    serde_json::from_value(v).expect("affected entry parses")
}

fn any_affects(list: &[Affected], version: &str) -> bool {
    list.iter().any(|a| affects(a, version).expect("evaluable"))
}

#[test]
fn pypi_introduced_fixed_and_versions_list() {
    let a = entries(include_str!("fixtures/PYSEC-2019-1.json"));
    assert!(affects(&a[0], "0.10.2").unwrap());
    assert!(affects(&a[0], "0.2").unwrap());
    assert!(
        affects(&a[0], "0.10.3rc1").unwrap(),
        "a pre-release of the fix is still before it"
    );
    assert!(!affects(&a[0], "0.10.3").unwrap());
    assert!(!affects(&a[0], "0.10.3.post1").unwrap());
    assert!(!affects(&a[0], "1.0").unwrap());
    assert!(affects(&a[0], "0.10.2+local").unwrap());
    assert!(affects(&a[0], "not a version").is_err());
}

#[test]
fn pypi_git_range_plus_ecosystem_range_and_versions() {
    let a = entries(include_str!("fixtures/PYSEC-2017-72.json"));
    // introduced 3.0 without a fix: everything from 3.0 on.
    assert!(affects(&a[0], "3.2").unwrap());
    assert!(affects(&a[0], "3.2.0a1").unwrap());
    assert!(affects(&a[0], "4.0").unwrap());
    assert!(!affects(&a[0], "2.9").unwrap());
}

#[test]
fn go_semver_range_with_v_prefixed_and_pseudo_versions() {
    let a = entries(include_str!("fixtures/GO-2022-0378.json"));
    assert!(affects(&a[0], "0.5.0").unwrap());
    assert!(affects(&a[0], "v0.5.1").unwrap());
    assert!(!affects(&a[0], "v0.5.2").unwrap());
    assert!(!affects(&a[0], "v0.4.9").unwrap());
    assert!(affects(&a[0], "v0.5.2-0.20220101000000-abcdefabcdef").unwrap());
    assert!(!affects(&a[0], "v0.5.0-rc.1").unwrap());
}

#[test]
fn almalinux_rpm_epoch_range() {
    let a = entries(include_str!("fixtures/ALSA-2022-5527.json"));
    assert!(affects(&a[0], "7:5.2-1.el9").unwrap());
    assert!(!affects(&a[0], "7:5.2-1.el9_0.1").unwrap());
    assert!(!affects(&a[0], "7:5.2-1.el9_1").unwrap());
    assert!(!affects(&a[0], "7:5.5-1.el9").unwrap());
    // Without the epoch, rpm counts epoch 0: older than 7:anything.
    assert!(affects(&a[0], "5.9-1.el9").unwrap());
}

#[test]
fn maven_log4shell_multiple_entries() {
    let a = entries(include_str!("fixtures/GHSA-jfh8-c2jp-5v3q.json"));
    assert!(any_affects(&a, "2.14.1"));
    assert!(any_affects(&a, "2.0-beta9"));
    assert!(any_affects(&a, "2.12.1"));
    assert!(!any_affects(&a, "2.12.2"));
    assert!(!any_affects(&a, "2.3.1"));
    assert!(!any_affects(&a, "2.15.0"));
    assert!(!any_affects(&a, "2.17.1"));
    assert!(
        any_affects(&a, "2.15.0-rc1"),
        "an rc of the fix is before it in Maven's order"
    );
}

#[test]
fn last_affected_is_inclusive() {
    // Constructed: the shared data has no last_affected record.
    let a = entry(json!({
        "package": {"ecosystem": "npm", "name": "example"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"last_affected": "1.4.2"}]}]
    }));
    assert!(affects(&a, "1.4.2").unwrap());
    assert!(affects(&a, "1.4.2+build.5").unwrap());
    assert!(!affects(&a, "1.4.3-alpha").unwrap());
    assert!(!affects(&a, "0.9.9").unwrap());
}

#[test]
fn limit_bounds_the_range() {
    // Constructed: limit events appear in no shared record.
    let a = entry(json!({
        "package": {"ecosystem": "PyPI", "name": "example"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"limit": "2.0"}]}]
    }));
    assert!(affects(&a, "1.9").unwrap());
    assert!(!affects(&a, "2.0").unwrap());
    assert!(!affects(&a, "2.1").unwrap());
    let star = entry(json!({
        "package": {"ecosystem": "PyPI", "name": "example"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"limit": "*"}]}]
    }));
    assert!(affects(&star, "99.0").unwrap());
    assert!(!affects(&star, "0.9").unwrap());
}

#[test]
fn unsorted_events_and_multiple_ranges() {
    // Constructed: events written out of order, as the schema allows.
    let a = entry(json!({
        "package": {"ecosystem": "Debian:12", "name": "example"},
        "ranges": [{"type": "ECOSYSTEM", "events": [
            {"fixed": "2.0-3"}, {"introduced": "3.0-1"}, {"introduced": "1.0-1"}, {"fixed": "3.1-1~deb12u1"}
        ]}]
    }));
    for (v, want) in [
        ("0.9-1", false),
        ("1.0-1", true),
        ("1.5-2", true),
        ("2.0-3", false),
        ("2.5-1", false),
        ("3.0-1", true),
        ("3.1-1~deb11u1", true),
        ("3.1-1~deb12u1", false),
        ("3.1-1", false),
        ("1:0.1-1", false),
    ] {
        assert_eq!(affects(&a, v).unwrap(), want, "{v}");
    }
    // Same version introduced and fixed: the written order decides (a stable sort).
    let empty = entry(json!({
        "package": {"ecosystem": "PyPI", "name": "example"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.0"}]}]
    }));
    assert!(!affects(&empty, "1.0").unwrap());
}

#[test]
fn git_only_is_not_evaluable_and_unknown_ecosystem_errors() {
    let git = entry(json!({
        "package": {"ecosystem": "OSS-Fuzz", "name": "libfoo"},
        "ranges": [{"type": "GIT", "repo": "https://example.invalid/libfoo.git",
                    "events": [{"introduced": "0"}, {"fixed": "d7759d3ddae5fe99a340c88a1d370d65cfa73fd6"}]}]
    }));
    assert!(matches!(
        affects(&git, "1.0"),
        Err(VersionError::NotEvaluable { .. })
    ));
    // With a versions list the entry can be answered from the list alone.
    let listed = entry(json!({
        "package": {"ecosystem": "OSS-Fuzz", "name": "libfoo"},
        "ranges": [{"type": "GIT", "repo": "https://example.invalid/libfoo.git",
                    "events": [{"introduced": "0"}]}],
        "versions": ["1.0", "1.1"]
    }));
    assert!(affects(&listed, "1.1").unwrap());
    assert!(!affects(&listed, "1.2").unwrap());
    let nothing = entry(json!({"package": {"ecosystem": "PyPI", "name": "x"}}));
    assert!(matches!(
        affects(&nothing, "1.0"),
        Err(VersionError::NotEvaluable { .. })
    ));
    let unknown = entry(json!({
        "package": {"ecosystem": "CRAN", "name": "x"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2-3"}]}]
    }));
    assert!(matches!(
        affects(&unknown, "1.0"),
        Err(VersionError::UnknownEcosystem(_))
    ));
    // An explicit match still counts for an unknown ecosystem.
    let unknown_listed = entry(json!({
        "package": {"ecosystem": "CRAN", "name": "x"},
        "versions": ["1.0-1"]
    }));
    assert!(affects(&unknown_listed, "1.0-1").unwrap());
}

#[test]
fn malformed_ranges_are_errors_not_false() {
    let no_intro = entry(json!({
        "package": {"ecosystem": "PyPI", "name": "x"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}]
    }));
    assert!(matches!(
        affects(&no_intro, "0.5"),
        Err(VersionError::BadRange { .. })
    ));
    let bad_event = entry(json!({
        "package": {"ecosystem": "PyPI", "name": "x"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-SNAPSHOT"}]}]
    }));
    assert!(matches!(
        affects(&bad_event, "0.5"),
        Err(VersionError::BadRange { .. })
    ));
    // One good range proving "affected" wins over a broken sibling.
    let mixed = entry(json!({
        "package": {"ecosystem": "PyPI", "name": "x"},
        "ranges": [
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "junk!"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
        ]
    }));
    assert!(affects(&mixed, "1.0").unwrap());
}

#[test]
fn ten_thousand_lookups_are_fast() {
    let a = entries(include_str!("fixtures/PYSEC-2019-1.json"));
    let go = entries(include_str!("fixtures/GO-2022-0378.json"));
    let alma = entries(include_str!("fixtures/ALSA-2022-5527.json"));
    let start = std::time::Instant::now();
    let mut hits = 0;
    for i in 0..10_000u32 {
        let py = format!("0.{}.{}", i % 13, i % 7);
        let gv = format!("v0.{}.{}", i % 7, i % 5);
        let rv = format!("7:5.{}-1.el9_{}", i % 4, i % 3);
        hits += usize::from(affects(&a[0], &py).unwrap());
        hits += usize::from(affects(&go[0], &gv).unwrap());
        hits += usize::from(affects(&alma[0], &rv).unwrap());
    }
    let took = start.elapsed();
    assert!(hits > 0);
    // Debug builds are slower; the budget holds with a wide margin either way.
    assert!(took.as_secs_f64() < 2.0, "30,000 look-ups took {took:?}");
}
