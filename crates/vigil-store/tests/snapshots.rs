//! Scan snapshots: findings first seen, kept, resolved and reopened across snapshots of an asset.

use jiff::Timestamp;
use jiff::civil::date;
use vigil_model::{Asset, Ecosystem, Finding, Package, PackageLocation, Severity};
use vigil_store::prelude::*;
use vigil_store::{Snapshot, SqliteStore, StoreError, finding_key};

fn pkg(name: &str, version: &str) -> Package {
    Package {
        ecosystem: Ecosystem::new("PyPI"),
        name: name.into(),
        version: version.into(),
        purl: None,
        source_name: None,
        location: PackageLocation {
            file: "requirements.txt".into(),
            line: Some(1),
        },
    }
}

fn finding(name: &str, cve: &str) -> Finding {
    Finding {
        asset: "web1".into(),
        package: pkg(name, "1.0"),
        advisories: vec![format!("GHSA-{cve}")],
        aliases: vec![cve.into()],
        summary: None,
        severity: Severity::High,
        cvss_score: Some(7.5),
        cvss_vector: None,
        known_exploited: false,
        kev_due: None,
        epss: None,
        fixed_versions: vec!["2.0".into()],
        kb: None,
        fix_released: Some(date(2024, 1, 1)),
        due: Some(date(2024, 1, 15)),
    }
}

fn snap(at: &str, findings: Vec<Finding>) -> Snapshot {
    Snapshot {
        asset: Asset {
            name: "web1".into(),
            tags: vec!["internet-facing".into()],
        },
        taken_at: at.parse::<Timestamp>().unwrap(),
        inputs: vec!["requirements.txt".into()],
        packages: vec![pkg("a", "1.0"), pkg("b", "1.0")],
        findings,
        last_update: Some(date(2024, 1, 20)),
    }
}

#[test]
fn findings_are_tracked_across_snapshots() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let s1 = store
        .save_snapshot(&snap(
            "2024-02-01T00:00:00Z",
            vec![finding("a", "CVE-2024-1"), finding("b", "CVE-2024-2")],
        ))
        .unwrap();
    assert_eq!((s1.new, s1.still_open, s1.resolved), (2, 0, 0));

    // b is fixed; a stays; c appears.
    let s2 = store
        .save_snapshot(&snap(
            "2024-02-10T00:00:00Z",
            vec![finding("a", "CVE-2024-1"), finding("c", "CVE-2024-3")],
        ))
        .unwrap();
    assert_eq!((s2.new, s2.still_open, s2.resolved), (1, 1, 1));

    let open = store.findings("web1", false).unwrap();
    assert_eq!(open.len(), 2);
    let a = open.iter().find(|f| f.key == "PyPI/a#CVE-2024-1").unwrap();
    assert_eq!(
        a.first_seen,
        "2024-02-01T00:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(
        a.last_seen,
        "2024-02-10T00:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(a.finding.due, Some(date(2024, 1, 15)));

    let all = store.findings("web1", true).unwrap();
    let b = all.iter().find(|f| f.key == "PyPI/b#CVE-2024-2").unwrap();
    assert_eq!(b.resolved_at, Some("2024-02-10T00:00:00Z".parse().unwrap()));

    // b comes back: a new occurrence, the resolved one stays resolved.
    let s3 = store
        .save_snapshot(&snap(
            "2024-03-01T00:00:00Z",
            vec![finding("b", "CVE-2024-2")],
        ))
        .unwrap();
    assert_eq!((s3.new, s3.still_open, s3.resolved), (1, 0, 2));
    let all = store.findings("web1", true).unwrap();
    assert_eq!(
        all.iter().filter(|f| f.key == "PyPI/b#CVE-2024-2").count(),
        2
    );
    assert_eq!(store.findings("web1", false).unwrap().len(), 1);

    let snaps = store.snapshots("web1").unwrap();
    assert_eq!(snaps.len(), 3);
    assert_eq!(snaps[0].packages, 2);
    assert_eq!(snaps[0].last_update, Some(date(2024, 1, 20)));
    let asset = store.asset("web1").unwrap().unwrap();
    assert_eq!(asset.asset.tags, vec!["internet-facing"]);
    assert!(store.asset("nope").unwrap().is_none());
    assert_eq!(store.assets().unwrap().len(), 1);
}

#[test]
fn duplicate_keys_in_one_snapshot_are_one_finding() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut other_file = finding("a", "CVE-2024-1");
    other_file.package.location.file = "other/requirements.txt".into();
    assert_eq!(
        finding_key(&other_file),
        finding_key(&finding("a", "CVE-2024-1"))
    );
    let s = store
        .save_snapshot(&snap(
            "2024-02-01T00:00:00Z",
            vec![finding("a", "CVE-2024-1"), other_file],
        ))
        .unwrap();
    assert_eq!(s.new, 1);
}

/// A past audit stored after a recent scan is a normal workflow: snapshots are ordered by the time they
/// were taken, so the older one slots in before the newer and the findings' history stays true.
#[test]
fn an_older_snapshot_stored_later_takes_its_place_in_time() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    // This week's scan: `a` is fixed, `b` is open.
    store
        .save_snapshot(&snap(
            "2024-03-10T00:00:00Z",
            vec![finding("b", "CVE-2024-2")],
        ))
        .unwrap();
    // Then last month's inventory is audited: `a` was open then.
    let saved = store
        .save_snapshot(&snap(
            "2024-02-01T00:00:00Z",
            vec![finding("a", "CVE-2024-1"), finding("b", "CVE-2024-2")],
        ))
        .unwrap();
    // Against the snapshot before it (none), both are new.
    assert_eq!((saved.new, saved.still_open, saved.resolved), (2, 0, 0));
    let all = store.findings("web1", true).unwrap();
    let a = all.iter().find(|f| f.finding.package.name == "a").unwrap();
    let b = all.iter().find(|f| f.finding.package.name == "b").unwrap();
    assert_eq!(a.first_seen.to_string(), "2024-02-01T00:00:00Z");
    assert_eq!(
        a.resolved_at.map(|t| t.to_string()).as_deref(),
        Some("2024-03-10T00:00:00Z"),
        "a was gone by the later scan"
    );
    assert_eq!(b.first_seen.to_string(), "2024-02-01T00:00:00Z");
    assert_eq!(b.last_seen.to_string(), "2024-03-10T00:00:00Z");
    assert!(b.resolved_at.is_none());
    assert_eq!(store.findings("web1", false).unwrap().len(), 1);
    let snaps = store.snapshots("web1").unwrap();
    assert_eq!(snaps.len(), 2);
    assert!(snaps[0].taken_at < snaps[1].taken_at);
    let asset = store.asset("web1").unwrap().unwrap();
    assert_eq!(asset.last_seen.to_string(), "2024-03-10T00:00:00Z");
}

#[test]
fn bad_asset_names_are_refused_without_changes() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut bad = snap("2024-03-01T00:00:00Z", vec![]);
    bad.asset.name = "  ".into();
    assert!(matches!(
        store.save_snapshot(&bad),
        Err(StoreError::Snapshot { .. })
    ));
    bad.asset.name = "a\u{1b}[2J".into();
    assert!(store.save_snapshot(&bad).is_err());
    assert!(store.snapshots("  ").unwrap().is_empty());
}

/// Two scans of one asset into one store at once: both are stored, whatever order they commit in.
#[test]
fn concurrent_snapshots_of_one_asset_are_all_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    drop(SqliteStore::open(&path).unwrap());
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = SqliteStore::open(&path).unwrap();
                let at = format!("2024-02-{:02}T00:00:00Z", 10 - i);
                store
                    .save_snapshot(&snap(&at, vec![finding("a", "CVE-2024-1")]))
                    .unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.snapshots("web1").unwrap().len(), 6);
    let open = store.findings("web1", false).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].first_seen.to_string(), "2024-02-05T00:00:00Z");
    assert_eq!(open[0].last_seen.to_string(), "2024-02-10T00:00:00Z");
}

#[test]
fn a_knowledge_only_database_gains_the_snapshot_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let mut raw = rusqlite::Connection::open(&path).unwrap();
        vigil_store::sqlite::migrations::apply(
            &mut raw,
            "v1.db",
            &vigil_store::sqlite::migrations::MIGRATIONS[..1],
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        vigil_store::sqlite::migrations::latest_version()
    );
    store
        .save_snapshot(&snap(
            "2024-02-10T00:00:00Z",
            vec![finding("a", "CVE-2024-1")],
        ))
        .unwrap();
}

/// A store written before version 5 keeps its findings' history: the backfill gives every old snapshot
/// the findings whose occurrence spanned it, and a new snapshot continues that history.
#[test]
fn history_written_before_version_5_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    {
        let mut raw = rusqlite::Connection::open(&path).unwrap();
        let m = &vigil_store::sqlite::migrations::MIGRATIONS;
        vigil_store::sqlite::migrations::apply(&mut raw, "v4.db", &m[..4]).unwrap();
        let day = |d: &str| d.parse::<Timestamp>().unwrap().as_microsecond();
        raw.execute_batch(
            "INSERT INTO assets (name, tags, first_seen, last_seen) VALUES ('web1', '[]', 0, 0)",
        )
        .unwrap();
        for (pk, d) in [(1, "2024-01-01T00:00:00Z"), (2, "2024-02-01T00:00:00Z")] {
            raw.execute(
                "INSERT INTO snapshots (pk, asset, taken_at, inputs, packages, findings) VALUES (?1, 'web1', ?2, '[]', 1, 1)",
                rusqlite::params![pk, day(d)],
            )
            .unwrap();
        }
        let f = finding("a", "CVE-2024-1");
        raw.execute(
            "INSERT INTO findings (asset, key, first_seen, last_seen, first_snapshot, last_snapshot, severity, json)
             VALUES ('web1', ?1, ?2, ?3, 1, 2, 'high', ?4)",
            rusqlite::params![
                finding_key(&f),
                day("2024-01-01T00:00:00Z"),
                day("2024-02-01T00:00:00Z"),
                serde_json::to_string(&f).unwrap()
            ],
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    let saved = store
        .save_snapshot(&snap(
            "2024-03-01T00:00:00Z",
            vec![finding("a", "CVE-2024-1")],
        ))
        .unwrap();
    assert_eq!((saved.new, saved.still_open), (0, 1));
    let open = store.findings("web1", false).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].first_seen.to_string(), "2024-01-01T00:00:00Z");
}
