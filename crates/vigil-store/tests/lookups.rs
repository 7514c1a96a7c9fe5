//! Look-ups: packages (ecosystem rules, name normalisation), aliases, KEV, EPSS, Microsoft fixes.

mod common;

use common::*;
use vigil_model::Ecosystem;
use vigil_store::prelude::*;
use vigil_store::{ProductMatch, SourceUpdate, SqliteStore, StoreError};

fn eco(s: &str) -> Ecosystem {
    Ecosystem::new(s)
}

#[test]
fn pypi_names_are_normalised_on_both_sides() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut u = SourceUpdate::new("osv:PyPI", "PyPI/all.zip", true);
    u.advisories = vec![
        advisory(
            "PYSEC-2021-10",
            "osv",
            "2021-01-01T00:00:00Z",
            &[("PyPI", "Flask_SQLAlchemy")],
        ),
        advisory(
            "PYSEC-2021-11",
            "osv",
            "2021-01-01T00:00:00Z",
            &[("PyPI", "zope.interface")],
        ),
    ];
    store.import(u).unwrap();
    for name in [
        "flask-sqlalchemy",
        "FLASK.sqlalchemy",
        "Flask__SQLAlchemy",
        " flask_sqlalchemy ",
    ] {
        assert_eq!(
            ids(&store.advisories_for(&eco("PyPI"), name).unwrap()),
            ["PYSEC-2021-10"],
            "{name}"
        );
    }
    assert_eq!(
        ids(&store
            .advisories_for(&eco("PyPI"), "Zope-Interface")
            .unwrap()),
        ["PYSEC-2021-11"]
    );
    assert!(
        store
            .advisories_for(&eco("PyPI"), "flasksqlalchemy")
            .unwrap()
            .is_empty()
    );
    // npm names are case-sensitive and not folded.
    assert!(
        store
            .advisories_for(&eco("npm"), "flask-sqlalchemy")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn language_ecosystems_match_exactly() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut u = SourceUpdate::new("ghsa", "ghsa", true);
    u.advisories = vec![
        advisory(
            "GHSA-78wr-2p64-hpwj",
            "ghsa",
            "2021-01-01T00:00:00Z",
            &[("npm", "ua-parser-js")],
        ),
        advisory(
            "GHSA-vh95-rmgr-6w4m",
            "ghsa",
            "2021-01-01T00:00:00Z",
            &[("npm", "minimist")],
        ),
        advisory(
            "GHSA-goog-0000-0000",
            "ghsa",
            "2021-01-01T00:00:00Z",
            &[("Maven:https://maven.google.com", "androidx.core:core")],
        ),
    ];
    store.import(u).unwrap();
    assert_eq!(
        ids(&store.advisories_for(&eco("npm"), "ua-parser-js").unwrap()),
        ["GHSA-78wr-2p64-hpwj"]
    );
    assert!(
        store
            .advisories_for(&eco("npm"), "UA-Parser-JS")
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .advisories_for(&eco("Maven"), "androidx.core:core")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(&store
            .advisories_for(&eco("Maven:https://maven.google.com"), "androidx.core:core")
            .unwrap()),
        ["GHSA-goog-0000-0000"]
    );
}

#[test]
fn distro_releases_see_their_own_and_release_less_advisories() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut u = SourceUpdate::new("osv:Debian", "Debian/all.zip", true);
    u.advisories = vec![
        advisory(
            "DSA-5000-1",
            "osv",
            "2023-01-01T00:00:00Z",
            &[("Debian:12", "openssl")],
        ),
        advisory(
            "DSA-4000-1",
            "osv",
            "2023-01-01T00:00:00Z",
            &[("Debian:11", "openssl")],
        ),
        advisory(
            "DEBIAN-CVE-2023-0001",
            "osv",
            "2023-01-01T00:00:00Z",
            &[("Debian", "openssl")],
        ),
        advisory(
            "DSA-5001-1",
            "osv",
            "2023-01-01T00:00:00Z",
            &[("Debian:12", "OpenSSH")],
        ),
    ];
    store.import(u).unwrap();
    let mut u = SourceUpdate::new("osv:Ubuntu", "Ubuntu/all.zip", true);
    u.advisories = vec![
        advisory(
            "USN-6000-1",
            "osv",
            "2023-01-01T00:00:00Z",
            &[("Ubuntu:22.04:LTS", "curl"), ("Ubuntu:20.04:LTS", "curl")],
        ),
        advisory(
            "UBUNTU-CVE-2023-9",
            "osv",
            "2023-01-01T00:00:00Z",
            &[("Ubuntu:Pro:22.04:LTS", "curl")],
        ),
    ];
    store.import(u).unwrap();
    let mut u = SourceUpdate::new("osv:Alpine", "Alpine/all.zip", true);
    u.advisories = vec![advisory(
        "ALPINE-CVE-2023-5",
        "osv",
        "2023-01-01T00:00:00Z",
        &[("Alpine:v3.18", "busybox")],
    )];
    store.import(u).unwrap();
    let mut u = SourceUpdate::new("osv:AlmaLinux", "AlmaLinux/all.zip", true);
    u.advisories = vec![advisory(
        "ALSA-2023:0001",
        "osv",
        "2023-01-01T00:00:00Z",
        &[("AlmaLinux:9", "kernel")],
    )];
    store.import(u).unwrap();

    assert_eq!(
        ids(&store.advisories_for(&eco("Debian:12"), "openssl").unwrap()),
        ["DEBIAN-CVE-2023-0001", "DSA-5000-1"]
    );
    assert_eq!(
        ids(&store.advisories_for(&eco("Debian:11"), "OpenSSL").unwrap()),
        ["DEBIAN-CVE-2023-0001", "DSA-4000-1"]
    );
    assert_eq!(
        ids(&store.advisories_for(&eco("Debian:10"), "openssl").unwrap()),
        ["DEBIAN-CVE-2023-0001"]
    );
    assert_eq!(
        ids(&store.advisories_for(&eco("Debian"), "openssl").unwrap()),
        ["DEBIAN-CVE-2023-0001"]
    );
    assert_eq!(
        ids(&store.advisories_for(&eco("Debian:12"), "openssh").unwrap()),
        ["DSA-5001-1"]
    );
    assert!(
        store
            .advisories_for(&eco("Ubuntu:12"), "openssl")
            .unwrap()
            .is_empty()
    );

    for jammy in ["Ubuntu:22.04:LTS", "Ubuntu:22.04"] {
        assert_eq!(
            ids(&store.advisories_for(&eco(jammy), "curl").unwrap()),
            ["UBUNTU-CVE-2023-9", "USN-6000-1"],
            "{jammy}"
        );
    }
    assert_eq!(
        ids(&store
            .advisories_for(&eco("Ubuntu:20.04:LTS"), "curl")
            .unwrap()),
        ["USN-6000-1"]
    );
    assert_eq!(
        ids(&store
            .advisories_for(&eco("Alpine:3.18"), "busybox")
            .unwrap()),
        ["ALPINE-CVE-2023-5"]
    );
    assert!(
        store
            .advisories_for(&eco("Alpine:v3.17"), "busybox")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(&store.advisories_for(&eco("AlmaLinux:9"), "Kernel").unwrap()),
        ["ALSA-2023:0001"]
    );

    let stats = store.stats().unwrap();
    let per = |e: &str| {
        stats
            .by_ecosystem
            .iter()
            .find(|(k, _)| k == e)
            .map(|(_, n)| *n)
    };
    assert_eq!(per("Debian:12"), Some(2));
    assert_eq!(per("Ubuntu:20.04:LTS"), Some(1));
    assert_eq!(per("Alpine:v3.18"), Some(1));
}

#[test]
fn aliases_are_indexed_both_ways() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut u = SourceUpdate::new("ghsa", "ghsa", true);
    u.advisories = vec![
        with_aliases(
            advisory(
                "GHSA-jfh8-c2jp-5v3q",
                "ghsa",
                "2021-12-10T00:00:00Z",
                &[("Maven", "org.apache.logging.log4j:log4j-core")],
            ),
            &["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q", ""],
        ),
        with_aliases(
            advisory(
                "GHSA-7rjr-3q55-vv33",
                "ghsa",
                "2021-12-15T00:00:00Z",
                &[("Maven", "org.apache.logging.log4j:log4j-core")],
            ),
            &["CVE-2021-45046"],
        ),
    ];
    store.import(u).unwrap();
    let mut u = SourceUpdate::new("nvd", "nvd", true);
    u.advisories = vec![with_aliases(
        advisory("CVE-2021-44228", "nvd", "2021-12-10T00:00:00Z", &[]),
        &["GHSA-jfh8-c2jp-5v3q"],
    )];
    store.import(u).unwrap();

    assert_eq!(
        store.aliases("GHSA-jfh8-c2jp-5v3q").unwrap(),
        ["CVE-2021-44228"]
    );
    assert_eq!(
        store.aliases("CVE-2021-44228").unwrap(),
        ["GHSA-jfh8-c2jp-5v3q"]
    );
    assert_eq!(
        store.aliases("CVE-2021-45046").unwrap(),
        ["GHSA-7rjr-3q55-vv33"]
    );
    assert!(store.aliases("CVE-1999-0001").unwrap().is_empty());
    assert_eq!(
        ids(&store.advisories_for_alias("CVE-2021-44228").unwrap()),
        ["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"]
    );
    assert_eq!(
        ids(&store.advisories_for_alias("CVE-2021-45046").unwrap()),
        ["GHSA-7rjr-3q55-vv33"]
    );
    assert_eq!(store.stats().unwrap().aliases, 3);
    // The full record round-trips.
    let stored = store.advisory("GHSA-jfh8-c2jp-5v3q").unwrap().unwrap();
    assert_eq!(
        stored.aliases,
        ["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q", ""]
    );
    assert_eq!(stored.affected[0].ranges[0].events.len(), 2);
}

#[test]
fn kev_round_trip_and_replacement() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut u = SourceUpdate::new("kev", "known_exploited_vulnerabilities.json", true);
    u.kev = vec![
        kev("CVE-2021-34473", "Exchange Server"),
        kev("cve-2021-34523", "Exchange Server"),
    ];
    let summary = store.import(u).unwrap();
    assert_eq!(summary.kev, 2);
    let entry = store.kev("cve-2021-34473").unwrap().unwrap();
    assert_eq!(entry, kev("CVE-2021-34473", "Exchange Server"));
    assert!(
        store.kev("CVE-2021-34523").unwrap().is_some(),
        "stored under the canonical CVE"
    );

    let mut u = SourceUpdate::new("kev", "known_exploited_vulnerabilities.json", true);
    u.kev = vec![kev("CVE-2021-34473", "Exchange Server")];
    store.import(u).unwrap();
    assert!(
        store.kev("CVE-2021-34523").unwrap().is_none(),
        "dropped from the catalog"
    );
    assert_eq!(store.stats().unwrap().kev, 1);
}

#[test]
fn epss_round_trip_and_invalid_scores() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut u = SourceUpdate::new("epss", "epss_scores-current.csv.gz", true);
    u.epss = vec![
        epss("CVE-2021-34473", 0.94358, 0.99952),
        epss("CVE-2021-44228", 0.9, 0.5),
    ];
    store.import(u).unwrap();
    assert_eq!(
        store.epss("cve-2021-34473").unwrap().unwrap(),
        epss("CVE-2021-34473", 0.94358, 0.99952)
    );
    assert!(store.epss("CVE-1999-0001").unwrap().is_none());

    let mut u = SourceUpdate::new("epss", "epss_scores-current.csv.gz", true);
    u.epss = vec![
        epss("CVE-2021-34473", 0.5, 0.5),
        epss("CVE-2021-44228", f64::NAN, 0.5),
    ];
    let err = store.import(u).unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidRecord { index: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("CVE-2021-44228"), "{err}");
    assert_eq!(store.epss("CVE-2021-34473").unwrap().unwrap().epss, 0.94358);
    assert_eq!(store.stats().unwrap().epss, 2);
}

#[test]
fn microsoft_fixes_by_cve_kb_and_product() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let e19 = "Microsoft Exchange Server 2019 Cumulative Update 9";
    let e16 = "Microsoft Exchange Server 2016 Cumulative Update 20";
    let mut u = SourceUpdate::new("msrc", "2021-Jul.xml", false);
    u.microsoft = vec![
        ms_fix("CVE-2021-34473", e19, "11869", "5001779", "15.2.858.10"),
        ms_fix("CVE-2021-34473", e16, "11870", "KB5001779", "15.1.2242.8"),
        ms_fix("CVE-2021-31207", e19, "11869", "5003435", "15.2.858.12"),
        ms_fix(
            "CVE-2021-34527",
            "Windows Server 2019_x64",
            "11571",
            "5004947",
            "10.0.17763.2029",
        ),
    ];
    assert_eq!(store.import(u).unwrap().microsoft, 4);

    let by_cve = store.microsoft_fixes_for_cve("cve-2021-34473").unwrap();
    assert_eq!(by_cve.len(), 2);
    assert_eq!(by_cve[0].product, e16, "ordered by product");
    assert_eq!(
        by_cve[0].kb, "KB5001779",
        "the record itself is returned as imported"
    );
    assert_eq!(
        by_cve[1],
        ms_fix("CVE-2021-34473", e19, "11869", "5001779", "15.2.858.10")
    );

    assert_eq!(store.microsoft_fixes_for_kb("KB5001779").unwrap().len(), 2);
    assert_eq!(store.microsoft_fixes_for_kb("5003435").unwrap().len(), 1);
    assert_eq!(store.microsoft_fixes_for_kb("kb5003435").unwrap().len(), 1);

    let exact = store
        .microsoft_fixes_for_product(&e19.to_lowercase(), ProductMatch::Exact)
        .unwrap();
    assert_eq!(exact.len(), 2);
    assert!(
        store
            .microsoft_fixes_for_product("Exchange Server 2019", ProductMatch::Exact)
            .unwrap()
            .is_empty()
    );
    let sub = store
        .microsoft_fixes_for_product("exchange server", ProductMatch::Substring)
        .unwrap();
    assert_eq!(sub.len(), 3);
    // LIKE wildcards in the query are taken literally.
    assert_eq!(
        store
            .microsoft_fixes_for_product("2019_x64", ProductMatch::Substring)
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .microsoft_fixes_for_product("%", ProductMatch::Substring)
            .unwrap()
            .is_empty()
    );

    // The same (CVE, product, KB) again updates in place.
    let mut u = SourceUpdate::new("msrc", "2021-Jul.xml", false);
    let mut fix = ms_fix("CVE-2021-34473", e19, "11869", "5001779", "15.2.858.15");
    fix.document = "2021-Jul-v2".into();
    u.microsoft = vec![fix];
    store.import(u).unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(stats.microsoft, 4);
    let fixes = store.microsoft_fixes_for_kb("5001779").unwrap();
    assert!(
        fixes
            .iter()
            .any(|f| f.fixed_build.as_deref() == Some("15.2.858.15"))
    );
    let msrc = stats.by_source.iter().find(|s| s.key == "msrc").unwrap();
    assert_eq!(msrc.microsoft, 4);
}

#[test]
fn readers_see_the_previous_data_while_an_import_runs() {
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    let mut writer = SqliteStore::open(&path).unwrap();
    let mut u = SourceUpdate::new("kev", "kev.json", true);
    u.kev = vec![kev("CVE-2021-34473", "Exchange Server")];
    writer.import(u).unwrap();

    let (mid_tx, mid_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        let header = vigil_store::SourceHeader {
            key: "kev".into(),
            origin: "kev.json".into(),
            replace: true,
            ..Default::default()
        };
        let mut producer = |sink: &mut dyn vigil_store::ImportSink| {
            sink.kev(&kev("CVE-2021-26855", "Exchange Server"))?;
            mid_tx.send(()).map_err(StoreError::abort)?;
            go_rx.recv().map_err(StoreError::abort)?;
            Ok(())
        };
        writer.import_with(&header, &mut producer).unwrap();
    });
    let reader = SqliteStore::open(&path).unwrap();
    mid_rx.recv().unwrap();
    // Mid-import: the reader is not blocked and sees the old catalog only.
    assert!(reader.kev("CVE-2021-34473").unwrap().is_some());
    assert!(reader.kev("CVE-2021-26855").unwrap().is_none());
    go_tx.send(()).unwrap();
    handle.join().unwrap();
    assert!(reader.kev("CVE-2021-34473").unwrap().is_none());
    assert!(reader.kev("CVE-2021-26855").unwrap().is_some());
}
