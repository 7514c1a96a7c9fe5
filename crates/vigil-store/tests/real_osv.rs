//! Real OSV records (Go, RustSec, AlmaLinux) through the store: look-ups, aliases, withdrawn flags and a
//! lossless round trip.

use std::path::Path;
use vigil_model::{Advisory, Ecosystem};
use vigil_store::prelude::*;
use vigil_store::{SourceUpdate, SqliteStore};

/// Reads an OSV file into the model (OSV has no `source`; the reader sets it).
fn load(file: &str) -> Advisory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osv")
        .join(file);
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    value["source"] = "osv".into();
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ids(advisories: &[Advisory]) -> Vec<&str> {
    advisories.iter().map(|a| a.id.as_str()).collect()
}

fn store() -> (SqliteStore, Vec<Advisory>) {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut all = Vec::new();
    for (key, files) in [
        ("osv:Go", &["GO-2022-0956.json", "GO-2022-0617.json"][..]),
        (
            "osv:crates.io",
            &["RUSTSEC-2020-0070.json", "RUSTSEC-2020-0053.json"][..],
        ),
        ("osv:AlmaLinux", &["ALSA-2023-2367.json"][..]),
    ] {
        let mut update = SourceUpdate::new(key, format!("{key}/all.zip"), true);
        update.advisories = files.iter().map(|f| load(f)).collect();
        all.extend(update.advisories.iter().cloned());
        store.import(update).unwrap();
    }
    (store, all)
}

#[test]
fn real_records_round_trip_losslessly() {
    let (store, all) = store();
    for advisory in &all {
        assert_eq!(
            store.advisory(&advisory.id).unwrap().as_ref(),
            Some(advisory)
        );
    }
    // The Go record's `modified` is year 1: stored and compared fine.
    let go = store.advisory("GO-2022-0956").unwrap().unwrap();
    assert_eq!(go.modified.to_string(), "0001-01-01T00:00:00Z");
}

#[test]
fn real_records_are_found_by_package_and_alias() {
    let (store, _) = store();
    assert_eq!(
        ids(&store
            .advisories_for(&Ecosystem::new("Go"), "gopkg.in/yaml.v2")
            .unwrap()),
        ["GO-2022-0956"]
    );
    assert_eq!(
        store.aliases("GO-2022-0956").unwrap(),
        ["CVE-2022-3064", "GHSA-6q6q-88xp-6f2r"]
    );
    assert_eq!(
        ids(&store.advisories_for_alias("GHSA-6q6q-88xp-6f2r").unwrap()),
        ["GO-2022-0956"]
    );

    assert_eq!(
        ids(&store
            .advisories_for(&Ecosystem::new("crates.io"), "lock_api")
            .unwrap()),
        ["RUSTSEC-2020-0070"]
    );
    // crates.io names are not folded.
    assert!(
        store
            .advisories_for(&Ecosystem::new("crates.io"), "lock-api")
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .aliases("RUSTSEC-2020-0070")
            .unwrap()
            .contains(&"CVE-2020-35910".to_string())
    );

    assert_eq!(
        ids(&store
            .advisories_for(
                &Ecosystem::new("AlmaLinux:9"),
                "ContainerNetworking-Plugins"
            )
            .unwrap()),
        ["ALSA-2023:2367"]
    );
    assert!(
        store
            .advisories_for(
                &Ecosystem::new("AlmaLinux:8"),
                "containernetworking-plugins"
            )
            .unwrap()
            .is_empty()
    );
}

#[test]
fn real_withdrawn_records_are_kept_but_not_matched() {
    let (store, _) = store();
    assert!(
        store
            .advisories_for(&Ecosystem::new("Go"), "k8s.io/kubernetes")
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .advisories_for(&Ecosystem::new("crates.io"), "dirs")
            .unwrap()
            .is_empty()
    );
    let go = store.advisory("GO-2022-0617").unwrap().unwrap();
    assert_eq!(go.withdrawn.unwrap().to_string(), "2024-08-21T16:25:56Z");
    // Still reachable by its aliases, flagged.
    let by_alias = store.advisories_for_alias("CVE-2020-8562").unwrap();
    assert_eq!(ids(&by_alias), ["GO-2022-0617"]);
    assert!(by_alias[0].withdrawn.is_some());
    let stats = store.stats().unwrap();
    assert_eq!((stats.advisories, stats.withdrawn), (5, 2));
    assert_eq!(
        stats.by_ecosystem,
        [
            ("AlmaLinux:9".to_string(), 1),
            ("Go".to_string(), 1),
            ("crates.io".to_string(), 1)
        ]
    );
    let summary_withdrawn: Vec<u64> = store
        .sources()
        .unwrap()
        .iter()
        .map(|s| s.withdrawn)
        .collect();
    assert_eq!(summary_withdrawn, [0, 1, 1]);
}
