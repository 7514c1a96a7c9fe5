//! Opening databases: fresh, reopened, newer, foreign.

mod common;

use common::*;
use rusqlite::Connection;
use vigil_model::Ecosystem;
use vigil_store::prelude::*;
use vigil_store::sqlite::migrations::{APPLICATION_ID, MIGRATIONS, latest_version};
use vigil_store::{SourceUpdate, SqliteStore, StoreError};

#[test]
fn fresh_database_gets_the_whole_schema_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("vigil.db");
    let store = SqliteStore::open(&path).unwrap();
    assert!(path.exists(), "open creates the folder and the file");
    assert_eq!(store.schema_version().unwrap(), latest_version());
    assert_eq!(latest_version(), MIGRATIONS.len() as i64);
    drop(store);

    let raw = Connection::open(&path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let app: i64 = raw
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in [
        "advisories",
        "advisory_aliases",
        "advisory_sources",
        "affected",
        "epss",
        "kev",
        "microsoft_fixes",
        "sources",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "missing table {table}: {tables:?}"
        );
    }
}

#[test]
fn foreign_keys_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    drop(SqliteStore::open(&path).unwrap());
    // The store's own connection has foreign keys on; check the schema declares them by turning them on in a
    // raw connection and breaking one.
    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "foreign_keys", true).unwrap();
    let err = raw
        .execute(
            "INSERT INTO kev (cve, source_key, date_added, known_ransomware, json)
             VALUES ('CVE-1', 'no-such-source', '2021-01-01', 0, '{}')",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

#[test]
fn reopening_keeps_data_and_does_not_migrate_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let mut update =
            SourceUpdate::new("osv:PyPI", "https://example.invalid/PyPI/all.zip", true);
        update.advisories = vec![advisory(
            "PYSEC-2021-1",
            "osv",
            "2021-06-01T00:00:00Z",
            &[("PyPI", "jinja2")],
        )];
        store.import(update).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let found = store
        .advisories_for(&Ecosystem::new("PyPI"), "Jinja2")
        .unwrap();
    assert_eq!(ids(&found), ["PYSEC-2021-1"]);
    assert_eq!(store.sources().unwrap().len(), 1);
}

#[test]
fn database_of_a_newer_vigil_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    drop(SqliteStore::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", latest_version() + 1)
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(&path).unwrap_err();
    match &err {
        StoreError::SchemaTooNew {
            found, supported, ..
        } => {
            assert_eq!(*found, latest_version() + 1);
            assert_eq!(*supported, latest_version());
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("upgrade vigil"), "{message}");
    assert!(message.contains("vigil.db"), "{message}");
    // Refusing did not touch the version.
    let raw = Connection::open(&path).unwrap();
    let v: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, latest_version() + 1);
}

#[test]
fn database_of_another_application_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE things (x INTEGER);")
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NotVigilDatabase { .. }),
        "{err:?}"
    );

    let path = dir.path().join("app.db");
    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "application_id", 1234).unwrap();
    drop(raw);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("not a vigil database"), "{err}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(
        &path,
        b"this is not an SQLite database, just some text that is long enough",
    )
    .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("garbage.db"), "{err}");
}

#[test]
fn in_memory_store_is_migrated() {
    let store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    assert_eq!(store.path(), ":memory:");
    assert!(store.sources().unwrap().is_empty());
}

#[test]
fn steps_are_applied_in_order_each_in_its_own_transaction() {
    use vigil_store::sqlite::migrations::apply;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let mut update = SourceUpdate::new("kev", "kev.json", true);
        update.kev = vec![kev("CVE-2021-34473", "Exchange Server")];
        store.import(update).unwrap();
    }
    let mut raw = Connection::open(&path).unwrap();
    let base = latest_version();
    // A later release adds a table (applied), then ships a broken step (rolled back, version kept).
    let mut steps: Vec<&str> = MIGRATIONS.to_vec();
    steps.push("CREATE TABLE later_things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);");
    steps.push("CREATE TABLE later_broken (id INTEGER PRIMARY KEY); THIS IS NOT SQL;");
    let err = apply(&mut raw, "vigil.db", &steps).unwrap_err();
    match err {
        StoreError::Migration { version, .. } => assert_eq!(version, base + 2),
        other => panic!("expected a migration error, got {other:?}"),
    }
    let v: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        v,
        base + 1,
        "the good step stays applied, the bad one is rolled back"
    );
    let findings: i64 = raw
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'later_broken'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(findings, 0);
    let kev_rows: i64 = raw
        .query_row("SELECT count(*) FROM kev", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kev_rows, 1, "existing data survives migrations");
    // Applying the same steps again is a no-op for those already done.
    steps.pop();
    apply(&mut raw, "vigil.db", &steps).unwrap();
}
