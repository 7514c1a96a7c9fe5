//! RustSec Markdown advisories, checked against RustSec's own OSV export of the same ids.

use std::path::PathBuf;

use vigil_knowledge::rustsec::{self, Collection};
use vigil_knowledge::{Limits, osv};
use vigil_model::RangeEvent;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

#[test]
fn conversion_equals_the_official_osv_export() {
    let batch = rustsec::read_repo(&fixture("rustsec"), &Limits::default()).unwrap();
    assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
    let mut compared = 0;
    for a in batch
        .advisories
        .iter()
        .filter(|a| a.id.starts_with("RUSTSEC-"))
    {
        let official = std::fs::read(fixture(&format!("rustsec-osv/{}.json", a.id))).unwrap();
        let mut official = osv::parse_json(&official, "rustsec").unwrap();
        // The export takes `modified` from git history, which a checkout without .git lacks.
        official.modified = a.modified;
        assert_eq!(a, &official, "{} differs from RustSec's export", a.id);
        compared += 1;
    }
    assert_eq!(compared, 9);
}

#[test]
fn fields_of_one_advisory() {
    let text =
        std::fs::read_to_string(fixture("rustsec/crates/claxon/RUSTSEC-2018-0004.md")).unwrap();
    let a = rustsec::parse_advisory(&text, Collection::Crates).unwrap();
    assert_eq!(a.id, "RUSTSEC-2018-0004");
    assert_eq!(a.source, "rustsec");
    assert_eq!(a.aliases, ["CVE-2018-20992", "GHSA-8c6g-4xc5-w96c"]);
    assert_eq!(a.published.unwrap().to_string(), "2018-08-25T12:00:00Z");
    assert_eq!(a.severity[0].kind, "CVSS_V3");
    assert!(
        a.summary
            .as_deref()
            .unwrap()
            .starts_with("Malicious input could cause uninitialized"),
        "{:?}",
        a.summary
    );
    assert!(a.details.as_deref().unwrap().len() > 50);
    let aff = &a.affected[0];
    assert_eq!(aff.package.ecosystem.as_str(), "crates.io");
    assert_eq!(aff.package.purl.as_deref(), Some("pkg:cargo/claxon"));
    // patched = ["^0.3.2", ">= 0.4.1"]
    assert_eq!(
        aff.ranges[0].events,
        [
            RangeEvent::Introduced("0.0.0-0".into()),
            RangeEvent::Fixed("0.3.2".into()),
            RangeEvent::Introduced("0.4.0-0".into()),
            RangeEvent::Fixed("0.4.1".into()),
        ]
    );
}

#[test]
fn withdrawn_and_informational() {
    let text =
        std::fs::read_to_string(fixture("rustsec/crates/daemonize/RUSTSEC-2021-0147.md")).unwrap();
    let a = rustsec::parse_advisory(&text, Collection::Crates).unwrap();
    assert_eq!(a.withdrawn.unwrap().to_string(), "2023-02-19T12:00:00Z");
    assert_eq!(
        a.affected[0].database_specific.as_ref().unwrap()["informational"],
        "unmaintained"
    );
    let batch = rustsec::read_repo(&fixture("rustsec"), &Limits::default()).unwrap();
    assert_eq!(batch.withdrawn, 1);
    assert_eq!(batch.advisories.len(), 10);
}

#[test]
fn toolchain_advisories_are_not_crates() {
    let text = std::fs::read_to_string(fixture("rustsec/rust/std/CVE-2021-29922.md")).unwrap();
    let a = rustsec::parse_advisory(&text, Collection::Rust).unwrap();
    assert_eq!(a.id, "CVE-2021-29922");
    assert_eq!(a.affected[0].package.ecosystem.as_str(), "Rust");
    assert_eq!(a.affected[0].package.name, "std");
    assert_eq!(a.affected[0].package.purl, None);
    assert_eq!(
        a.affected[0].ecosystem_specific.as_ref().unwrap()["affects"]["functions"][0],
        "std::net::IpAddr::from_str"
    );
}

#[test]
fn malformed_advisories_are_explained() {
    let err = rustsec::parse_advisory("# just markdown", Collection::Crates).unwrap_err();
    assert!(err.contains("front-matter"), "{err}");
    let err = rustsec::parse_advisory(
        "```toml\n[advisory]\nid = 1\n```\n# t\n",
        Collection::Crates,
    )
    .unwrap_err();
    assert!(err.contains("invalid TOML"), "{err}");
    let bad_versions = "```toml\n[advisory]\nid = \"RUSTSEC-0000-0001\"\npackage = \"x\"\ndate = \"2020-01-01\"\n[versions]\npatched = [\">= 1.0\"]\nunaffected = [\">= 1.5\"]\n```\n# t\n";
    let err = rustsec::parse_advisory(bad_versions, Collection::Crates).unwrap_err();
    assert!(
        err.contains("RUSTSEC-0000-0001") && err.contains("overlap"),
        "{err}"
    );
    let bad_date = bad_versions
        .replace("2020-01-01", "someday")
        .replace("\nunaffected = [\">= 1.5\"]", "");
    let err = rustsec::parse_advisory(&bad_date, Collection::Crates).unwrap_err();
    assert!(err.contains("invalid date"), "{err}");
}

#[test]
fn a_bad_file_in_a_checkout_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("rustsec/crates/claxon/RUSTSEC-2018-0004.md")).unwrap();
    std::fs::create_dir_all(dir.path().join("crates/claxon")).unwrap();
    std::fs::create_dir_all(dir.path().join("crates/broken")).unwrap();
    std::fs::write(dir.path().join("crates/claxon/RUSTSEC-2018-0004.md"), good).unwrap();
    std::fs::write(
        dir.path().join("crates/broken/RUSTSEC-2099-0001.md"),
        "```toml\n[advisory]\n```\n",
    )
    .unwrap();
    assert!(rustsec::is_repo(dir.path()));
    let batch = rustsec::read_repo(dir.path(), &Limits::default()).unwrap();
    assert_eq!(batch.advisories.len(), 1);
    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].location.ends_with("RUSTSEC-2099-0001.md"));
}
