//! Import semantics: all-or-nothing, replace vs upsert, newest copy wins, failures recorded.

mod common;

use common::*;
use jiff::SignedDuration;
use vigil_model::Ecosystem;
use vigil_store::prelude::*;
use vigil_store::{ImportSink, SourceHeader, SourceState, SourceUpdate, SqliteStore, StoreError};

fn pypi() -> Ecosystem {
    Ecosystem::new("PyPI")
}

fn osv_pypi(advisories: Vec<vigil_model::Advisory>) -> SourceUpdate {
    let mut u = SourceUpdate::new(
        "osv:PyPI",
        "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
        true,
    );
    u.etag = Some("\"abc\"".into());
    u.sha256 = Some("00ff".into());
    u.advisories = advisories;
    u
}

fn baseline(store: &mut SqliteStore) {
    let summary = store
        .import(osv_pypi(vec![
            advisory(
                "PYSEC-2021-1",
                "osv",
                "2021-06-01T00:00:00Z",
                &[("PyPI", "jinja2")],
            ),
            advisory(
                "PYSEC-2021-2",
                "osv",
                "2021-06-02T00:00:00Z",
                &[("PyPI", "django")],
            ),
        ]))
        .unwrap();
    assert_eq!(summary.advisories, 2);
}

#[test]
fn invalid_record_mid_way_rolls_back_everything() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    baseline(&mut store);
    let before = store.source("osv:PyPI").unwrap().unwrap();
    let stats_before = store.stats().unwrap();

    // A replacing import that first writes new records, then hits a record it cannot store.
    let mut bad = osv_pypi(vec![
        advisory(
            "PYSEC-2022-9",
            "osv",
            "2022-01-01T00:00:00Z",
            &[("PyPI", "flask")],
        ),
        advisory(
            "PYSEC-2021-1",
            "osv",
            "2022-01-01T00:00:00Z",
            &[("PyPI", "jinja2")],
        ),
        advisory("BAD ID", "osv", "2022-01-01T00:00:00Z", &[("PyPI", "x")]),
    ]);
    bad.etag = Some("\"new\"".into());
    let err = store.import(bad).unwrap_err();
    match &err {
        StoreError::InvalidRecord {
            key, index, what, ..
        } => {
            assert_eq!(key, "osv:PyPI");
            assert_eq!(*index, 2);
            assert_eq!(*what, "advisory");
        }
        other => panic!("expected InvalidRecord, got {other:?}"),
    }
    assert!(err.to_string().contains("record 2"), "{err}");

    // Nothing of the failed import is visible: not the new advisory, not the newer copy, not the removal.
    assert_eq!(
        ids(&store.advisories_for(&pypi(), "flask").unwrap()),
        Vec::<&str>::new()
    );
    let jinja = store.advisory("PYSEC-2021-1").unwrap().unwrap();
    assert_eq!(jinja.modified, ts("2021-06-01T00:00:00Z"));
    assert!(store.advisory("PYSEC-2021-2").unwrap().is_some());
    assert_eq!(store.stats().unwrap(), stats_before);

    // The failure is recorded; the last success and its validators stay.
    let after = store.source("osv:PyPI").unwrap().unwrap();
    assert_eq!(after.status, SourceState::Failed);
    assert!(after.last_error.as_deref().unwrap().contains("BAD ID"));
    assert_eq!(after.last_success_at, before.last_success_at);
    assert_eq!(after.etag.as_deref(), Some("\"abc\""));
    assert_eq!(after.imported, 2);
    assert!(after.last_attempt_at >= before.last_attempt_at);
}

#[test]
fn producer_error_part_way_rolls_back_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("vigil.db")).unwrap();
    baseline(&mut store);
    let mut kev_update = SourceUpdate::new("kev", "known_exploited_vulnerabilities.json", true);
    kev_update.kev = vec![kev("CVE-2021-34473", "Exchange Server")];
    store.import(kev_update).unwrap();

    let header = SourceHeader {
        key: "osv:PyPI".into(),
        origin: "all.zip".into(),
        replace: true,
        ..SourceHeader::default()
    };
    let mut producer = |sink: &mut dyn ImportSink| {
        sink.advisory(&advisory(
            "PYSEC-2023-1",
            "osv",
            "2023-01-01T00:00:00Z",
            &[("PyPI", "requests")],
        ))?;
        sink.kev(&kev("CVE-2099-0001", "Nothing"))?;
        Err(StoreError::abort("all.zip: entry 3 is truncated"))
    };
    let err = store.import_with(&header, &mut producer).unwrap_err();
    assert_eq!(
        err.to_string(),
        "import of source osv:PyPI aborted: all.zip: entry 3 is truncated"
    );
    assert!(store.advisory("PYSEC-2023-1").unwrap().is_none());
    assert!(store.kev("CVE-2099-0001").unwrap().is_none());
    assert!(store.kev("CVE-2021-34473").unwrap().is_some());
    assert_eq!(store.stats().unwrap().advisories, 2);
    let status = store.source("osv:PyPI").unwrap().unwrap();
    assert_eq!(status.status, SourceState::Failed);
    assert!(status.last_error.unwrap().contains("entry 3 is truncated"));
    assert!(status.last_success_at.is_some());
}

#[test]
fn producer_that_ignores_a_sink_error_can_skip_invalid_records() {
    // Validation errors write nothing, so a producer may count them as skipped and go on.
    let mut store = SqliteStore::open_in_memory().unwrap();
    let header = SourceHeader {
        key: "import:files".into(),
        origin: "./advisories".into(),
        ..SourceHeader::default()
    };
    let mut producer = |sink: &mut dyn ImportSink| {
        for a in [
            advisory("", "osv", "2021-01-01T00:00:00Z", &[("npm", "a")]),
            advisory(
                "GHSA-aaaa-bbbb-cccc",
                "ghsa",
                "2021-01-01T00:00:00Z",
                &[("npm", "a")],
            ),
        ] {
            if sink.advisory(&a).is_err() {
                sink.skipped(1);
            }
        }
        Ok(())
    };
    let summary = store.import_with(&header, &mut producer).unwrap();
    assert_eq!((summary.advisories, summary.skipped), (1, 1));
    assert_eq!(store.source("import:files").unwrap().unwrap().skipped, 1);
}

#[test]
fn replacing_import_drops_what_the_source_no_longer_has() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    baseline(&mut store);
    let summary = store
        .import(osv_pypi(vec![
            advisory(
                "PYSEC-2021-2",
                "osv",
                "2021-06-02T00:00:00Z",
                &[("PyPI", "django")],
            ),
            advisory(
                "PYSEC-2021-3",
                "osv",
                "2021-07-01T00:00:00Z",
                &[("PyPI", "flask")],
            ),
        ]))
        .unwrap();
    assert_eq!(summary.advisories, 2);
    assert_eq!(summary.removed, 1);
    assert!(store.advisory("PYSEC-2021-1").unwrap().is_none());
    assert!(store.advisories_for(&pypi(), "jinja2").unwrap().is_empty());
    assert_eq!(
        ids(&store.advisories_for(&pypi(), "flask").unwrap()),
        ["PYSEC-2021-3"]
    );
    let status = store.source("osv:PyPI").unwrap().unwrap();
    assert_eq!((status.imported, status.removed), (2, 1));
    assert_eq!(status.status, SourceState::Ok);
}

#[test]
fn upsert_import_adds_and_updates_but_keeps_the_rest() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    baseline(&mut store);
    let mut update = SourceUpdate::new("osv:PyPI", "./PYSEC-2021-1.json", false);
    let mut newer = advisory(
        "PYSEC-2021-1",
        "osv",
        "2021-09-01T00:00:00Z",
        &[("PyPI", "markupsafe")],
    );
    newer.summary = Some("moved to markupsafe".into());
    update.advisories = vec![
        newer,
        // Older than the stored copy: kept as stored.
        advisory(
            "PYSEC-2021-2",
            "osv",
            "2020-01-01T00:00:00Z",
            &[("PyPI", "old-django")],
        ),
    ];
    let summary = store.import(update).unwrap();
    assert_eq!(
        (summary.advisories, summary.superseded, summary.removed),
        (1, 1, 0)
    );
    let a = store.advisory("PYSEC-2021-1").unwrap().unwrap();
    assert_eq!(a.summary.as_deref(), Some("moved to markupsafe"));
    // The old affected package is gone with the old copy; the new one is indexed.
    assert!(store.advisories_for(&pypi(), "jinja2").unwrap().is_empty());
    assert_eq!(
        ids(&store.advisories_for(&pypi(), "MarkupSafe").unwrap()),
        ["PYSEC-2021-1"]
    );
    assert_eq!(
        ids(&store.advisories_for(&pypi(), "django").unwrap()),
        ["PYSEC-2021-2"]
    );
    assert!(
        store
            .advisories_for(&pypi(), "old-django")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn equal_modified_replaces() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    baseline(&mut store);
    let mut again = advisory(
        "PYSEC-2021-1",
        "osv",
        "2021-06-01T00:00:00Z",
        &[("PyPI", "jinja2")],
    );
    again.details = Some("corrected details".into());
    let mut update = SourceUpdate::new("import:local", "./fix.json", false);
    update.advisories = vec![again];
    let summary = store.import(update).unwrap();
    assert_eq!(summary.advisories, 1);
    let a = store.advisory("PYSEC-2021-1").unwrap().unwrap();
    assert_eq!(a.details.as_deref(), Some("corrected details"));
}

#[test]
fn same_id_from_two_sources_keeps_one_newest_row() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let ghsa = |modified: &str, summary: &str| {
        let mut a = with_aliases(
            advisory(
                "GHSA-jfh8-c2jp-5v3q",
                "osv",
                modified,
                &[("Maven", "org.apache.logging.log4j:log4j-core")],
            ),
            &["CVE-2021-44228"],
        );
        a.summary = Some(summary.into());
        a
    };
    let mut maven = SourceUpdate::new("osv:Maven", "Maven/all.zip", true);
    maven.advisories = vec![ghsa("2024-01-01T00:00:00Z", "from osv:Maven")];
    store.import(maven).unwrap();
    let mut gh = SourceUpdate::new("ghsa", "advisory-database", true);
    gh.advisories = vec![
        ghsa("2022-01-01T00:00:00Z", "older from ghsa"),
        advisory(
            "GHSA-36p3-wjmg-h94x",
            "ghsa",
            "2022-04-01T00:00:00Z",
            &[("Maven", "org.springframework:spring-beans")],
        ),
    ];
    let summary = store.import(gh).unwrap();
    assert_eq!((summary.advisories, summary.superseded), (1, 1));

    let log4j = Ecosystem::new("Maven");
    let found = store
        .advisories_for(&log4j, "org.apache.logging.log4j:log4j-core")
        .unwrap();
    assert_eq!(found.len(), 1, "one row per id");
    assert_eq!(found[0].summary.as_deref(), Some("from osv:Maven"));
    let stats = store.stats().unwrap();
    assert_eq!(stats.advisories, 2);
    let by = |key: &str| {
        stats
            .by_source
            .iter()
            .find(|s| s.key == key)
            .unwrap()
            .advisories
    };
    assert_eq!(
        (by("osv:Maven"), by("ghsa")),
        (1, 2),
        "both sources provide the GHSA"
    );
    let stored = |stats: &vigil_store::StoreStats, key: &str| {
        stats
            .by_source
            .iter()
            .find(|s| s.key == key)
            .unwrap()
            .stored
    };
    assert_eq!(
        (stored(&stats, "osv:Maven"), stored(&stats, "ghsa")),
        (1, 1),
        "the GHSA row is osv:Maven's newer copy"
    );

    // osv:Maven drops it: ghsa still provides it, so the row stays (and now belongs to ghsa).
    store
        .import(SourceUpdate::new("osv:Maven", "Maven/all.zip", true))
        .unwrap();
    assert!(store.advisory("GHSA-jfh8-c2jp-5v3q").unwrap().is_some());
    let stats = store.stats().unwrap();
    assert_eq!(
        (stored(&stats, "osv:Maven"), stored(&stats, "ghsa")),
        (0, 2)
    );
    // ghsa drops it too: now it goes.
    let mut gh = SourceUpdate::new("ghsa", "advisory-database", true);
    gh.advisories = vec![advisory(
        "GHSA-36p3-wjmg-h94x",
        "ghsa",
        "2022-04-01T00:00:00Z",
        &[("Maven", "org.springframework:spring-beans")],
    )];
    let summary = store.import(gh).unwrap();
    assert_eq!(summary.removed, 1);
    assert!(store.advisory("GHSA-jfh8-c2jp-5v3q").unwrap().is_none());
    assert!(store.aliases("CVE-2021-44228").unwrap().is_empty());
}

#[test]
fn withdrawn_advisories_are_stored_flagged_and_never_matched() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut gone = advisory(
        "PYSEC-2020-99",
        "osv",
        "2021-01-01T00:00:00Z",
        &[("PyPI", "numpy")],
    );
    gone.withdrawn = Some(ts("2021-01-01T00:00:00Z"));
    let mut update = osv_pypi(vec![
        gone,
        advisory(
            "PYSEC-2021-5",
            "osv",
            "2021-01-01T00:00:00Z",
            &[("PyPI", "numpy")],
        ),
    ]);
    update.withdrawn = 3; // dropped by the reader
    let summary = store.import(update).unwrap();
    assert_eq!(summary.withdrawn, 4);
    assert_eq!(summary.advisories, 2);
    assert_eq!(
        ids(&store.advisories_for(&pypi(), "numpy").unwrap()),
        ["PYSEC-2021-5"]
    );
    let stored = store.advisory("PYSEC-2020-99").unwrap().unwrap();
    assert_eq!(stored.withdrawn, Some(ts("2021-01-01T00:00:00Z")));
    let stats = store.stats().unwrap();
    assert_eq!((stats.advisories, stats.withdrawn), (2, 1));
    assert_eq!(stats.by_ecosystem, vec![("PyPI".to_string(), 1)]);
    assert_eq!(store.source("osv:PyPI").unwrap().unwrap().withdrawn, 4);
}

#[test]
fn failure_keeps_old_data_and_age_grows_until_the_next_success() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    baseline(&mut store);
    let ok = store.source("osv:PyPI").unwrap().unwrap();
    assert_eq!(ok.status, SourceState::Ok);
    assert!(ok.last_error.is_none());
    let age = ok.age.unwrap();
    assert!(
        age >= SignedDuration::ZERO && age < SignedDuration::from_secs(60),
        "{age:?}"
    );

    store
        .record_failure(
            "osv:PyPI",
            "https://example.invalid/all.zip",
            "HTTP 503 Service Unavailable",
        )
        .unwrap();
    let failed = store.source("osv:PyPI").unwrap().unwrap();
    assert_eq!(failed.status, SourceState::Failed);
    assert_eq!(
        failed.last_error.as_deref(),
        Some("HTTP 503 Service Unavailable")
    );
    assert_eq!(failed.last_success_at, ok.last_success_at);
    assert_eq!(failed.origin, "https://example.invalid/all.zip");
    assert_eq!(store.advisories_for(&pypi(), "jinja2").unwrap().len(), 1);

    // Staleness is judged from the last success.
    let later = ok.last_success_at.unwrap() + SignedDuration::from_hours(24 * 6);
    assert!(failed.is_stale(later, SignedDuration::from_hours(24 * 5)));
    assert!(!failed.is_stale(later, SignedDuration::from_hours(24 * 7)));

    // A source that never succeeded has no age and is stale.
    store.record_failure("epss", "", "timed out").unwrap();
    let epss = store.source("epss").unwrap().unwrap();
    assert_eq!(
        (epss.status, epss.age, epss.last_success_at),
        (SourceState::Failed, None, None)
    );
    assert!(epss.is_stale(later, SignedDuration::from_hours(1_000)));

    // The next success clears the error.
    baseline(&mut store);
    let again = store.source("osv:PyPI").unwrap().unwrap();
    assert_eq!(again.status, SourceState::Ok);
    assert!(again.last_error.is_none());
    assert!(again.last_success_at >= ok.last_success_at);
    let keys: Vec<String> = store
        .sources()
        .unwrap()
        .into_iter()
        .map(|s| s.key)
        .collect();
    assert_eq!(keys, ["epss", "osv:PyPI"]);
}

#[test]
fn hostile_keys_and_messages_are_bounded() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let err = store.import(SourceUpdate::new("", "x", true)).unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidSourceKey { .. }),
        "{err:?}"
    );
    let err = store
        .record_failure(&"k".repeat(10_000), "x", "boom")
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidSourceKey { .. }));
    store
        .record_failure("msrc", "x", &"é".repeat(100_000))
        .unwrap();
    let msg = store.source("msrc").unwrap().unwrap().last_error.unwrap();
    assert!(msg.chars().count() <= 4001, "{}", msg.len());
    let mut update = SourceUpdate::new("import:x", "x", false);
    update.advisories = vec![advisory(
        &"A".repeat(300),
        "osv",
        "2021-01-01T00:00:00Z",
        &[],
    )];
    assert!(matches!(
        store.import(update).unwrap_err(),
        StoreError::InvalidRecord { .. }
    ));
}

#[test]
fn unchanged_source_becomes_current_without_touching_its_data() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    assert!(
        store.record_unchanged("osv:PyPI", "x").is_err(),
        "a source never imported cannot be current"
    );
    baseline(&mut store);
    let before = store.source("osv:PyPI").unwrap().unwrap();
    store.record_failure("osv:PyPI", "", "timeout").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    store.record_unchanged("osv:PyPI", "").unwrap();
    let after = store.source("osv:PyPI").unwrap().unwrap();
    assert_eq!(after.status, SourceState::Ok);
    assert_eq!(after.last_error, None);
    assert!(after.last_success_at > before.last_success_at);
    assert_eq!(after.imported, before.imported);
    assert_eq!(
        after.etag, before.etag,
        "validators are kept for the next conditional request"
    );
    assert_eq!(store.advisories_for(&pypi(), "jinja2").unwrap().len(), 1);
}
