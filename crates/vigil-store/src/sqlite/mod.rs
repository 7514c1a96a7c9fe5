//! The embedded back end: one SQLite file in WAL mode, so that look-ups (a scan, the dashboard) go on while
//! an update writes, and a crash never leaves a half-written import.

mod access;
mod alerts;
mod checkpoints;
mod exceptions;
mod health;
mod import;
mod investigation;
pub mod migrations;
mod narrow;
mod query;
mod records;
mod second_factor;
mod snapshot;
mod trail;

use crate::error::{Context, StoreError};
use crate::investigation::{
    FindingException, IncidentRow, NewAction, RemedialAction, StoredDetection, StoredRecord,
};
use crate::snapshots::{AssetRecord, SavedSnapshot, Snapshot, SnapshotRecord, StoredFinding};
use crate::store::{AssetStore, CaseStore, KnowledgeStore, Producer};
use crate::types::{ImportSummary, ProductMatch, SourceHeader, SourceStatus, StoreStats};
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;
use vigil_model::{
    Advisory, AssetIndex, Detection, Ecosystem, EpssScore, KevEntry, KnowledgeIndex, LookupError,
    MicrosoftFix, SourceRef,
};

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Size the WAL file is truncated to after a checkpoint.
const WAL_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// Page cache per connection, in KiB.
const CACHE_KIB: i64 = 64 * 1024;

/// Enough cached statements for every query and import statement of the store.
const STATEMENT_CACHE: usize = 64;

/// The SQLite store. One value holds one connection; open one per thread.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    /// The file, for error messages (`:memory:` for an in-memory store).
    path: String,
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the database at `path` and brings its schema up to
    /// date. Refuses a database of a newer vigil or of another application.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.exists()
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::setup(conn, path.display().to_string(), true)
    }

    /// A private, empty store in memory (tests, one-shot scans with `--db :memory:`).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::setup(conn, ":memory:".to_string(), false)
    }

    fn setup(mut conn: Connection, path: String, wal: bool) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.clone().into(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        // A page cache large enough for the indices of a whole knowledge base keeps imports from
        // thrashing (the default is 2 MiB); memory is only taken as pages are used.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)
            .map_err(open_err)?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(open_err)?;
        migrations::check(&conn, &path)?;
        if wal {
            // WAL lets readers proceed during an import; NORMAL sync is durable across application crashes
            // and keeps the database consistent across power loss (the last commit may be lost).
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(open_err)?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(path = %path, mode = %mode, "SQLite refused WAL mode");
            }
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(open_err)?;
            // A full import writes its whole size to the WAL; cap what stays on disk afterwards.
            conn.pragma_update(None, "journal_size_limit", WAL_LIMIT_BYTES)
                .map_err(open_err)?;
        }
        migrations::migrate(&mut conn, &path)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteStore { conn, path })
    }

    /// The database file (or `:memory:`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .context("reading the schema version")
    }
}

impl KnowledgeStore for SqliteStore {
    fn import_with(
        &mut self,
        header: &SourceHeader,
        producer: &mut Producer<'_>,
    ) -> Result<ImportSummary, StoreError> {
        let now = Timestamp::now();
        match import::run(&mut self.conn, header, producer, now) {
            Ok(summary) => Ok(summary),
            Err(error) => {
                if !matches!(error, StoreError::InvalidSourceKey { .. })
                    && let Err(also) = import::record_failure(
                        &mut self.conn,
                        &header.key,
                        &header.origin,
                        &error.to_string(),
                        now,
                    )
                {
                    tracing::warn!(key = %header.key, error = %also, "could not record the failed import");
                }
                Err(error)
            }
        }
    }

    fn record_failure(&mut self, key: &str, origin: &str, error: &str) -> Result<(), StoreError> {
        import::record_failure(&mut self.conn, key, origin, error, Timestamp::now())
    }

    fn record_unchanged(&mut self, key: &str, origin: &str) -> Result<(), StoreError> {
        import::record_unchanged(&mut self.conn, key, origin, Timestamp::now())
    }
}

impl KnowledgeIndex for SqliteStore {
    fn sources(&self) -> Result<Vec<SourceStatus>, LookupError> {
        Ok(query::sources(&self.conn, None, Timestamp::now())?)
    }

    fn source(&self, key: &str) -> Result<Option<SourceStatus>, LookupError> {
        Ok(query::sources(&self.conn, Some(key), Timestamp::now())?
            .into_iter()
            .next())
    }

    fn advisories_for(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<Advisory>, LookupError> {
        Ok(query::advisories_for(&self.conn, ecosystem, name)?)
    }

    fn advisory(&self, id: &str) -> Result<Option<Advisory>, LookupError> {
        Ok(query::advisory(&self.conn, id)?)
    }

    fn aliases(&self, id: &str) -> Result<Vec<String>, LookupError> {
        Ok(query::aliases(&self.conn, id)?)
    }

    fn advisories_for_alias(&self, alias: &str) -> Result<Vec<Advisory>, LookupError> {
        Ok(query::advisories_for_alias(&self.conn, alias)?)
    }

    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, LookupError> {
        Ok(query::kev(&self.conn, cve)?)
    }

    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, LookupError> {
        Ok(query::epss(&self.conn, cve)?)
    }

    fn microsoft_fixes_for_cve(&self, cve: &str) -> Result<Vec<MicrosoftFix>, LookupError> {
        Ok(query::microsoft_fixes_for_cve(&self.conn, cve)?)
    }

    fn microsoft_fixes_for_kb(&self, kb: &str) -> Result<Vec<MicrosoftFix>, LookupError> {
        Ok(query::microsoft_fixes_for_kb(&self.conn, kb)?)
    }

    fn microsoft_fixes_for_product(
        &self,
        product: &str,
        how: ProductMatch,
    ) -> Result<Vec<MicrosoftFix>, LookupError> {
        Ok(query::microsoft_fixes_for_product(
            &self.conn, product, how,
        )?)
    }

    fn stats(&self) -> Result<StoreStats, LookupError> {
        Ok(query::stats(&self.conn)?)
    }
}

impl AssetStore for SqliteStore {
    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<SavedSnapshot, StoreError> {
        snapshot::save(&mut self.conn, snapshot)
    }

    fn exceptions(&self, asset: Option<&str>) -> Result<Vec<FindingException>, StoreError> {
        exceptions::list(&self.conn, asset)
    }
}

impl AssetIndex for SqliteStore {
    fn asset(&self, name: &str) -> Result<Option<AssetRecord>, LookupError> {
        if !snapshot::has_asset(&self.conn, name)? {
            return Ok(None);
        }
        Ok(snapshot::assets(&self.conn, Some(name))?.into_iter().next())
    }

    fn assets(&self) -> Result<Vec<AssetRecord>, LookupError> {
        Ok(snapshot::assets(&self.conn, None)?)
    }

    fn snapshots(&self, asset: &str) -> Result<Vec<SnapshotRecord>, LookupError> {
        Ok(snapshot::snapshots(&self.conn, asset)?)
    }

    fn findings(
        &self,
        asset: &str,
        include_resolved: bool,
    ) -> Result<Vec<StoredFinding>, LookupError> {
        Ok(snapshot::findings(&self.conn, asset, include_resolved)?)
    }
}

impl CaseStore for SqliteStore {
    fn save_detections(&mut self, detections: &[Detection]) -> Result<usize, StoreError> {
        investigation::save_detections(&mut self.conn, detections, Timestamp::now())
    }

    fn dismiss_detection(
        &mut self,
        rule_id: &str,
        source: &SourceRef,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        investigation::dismiss_detection(&mut self.conn, rule_id, source, reason)
    }

    fn detections(&self) -> Result<Vec<StoredDetection>, StoreError> {
        investigation::detections(&self.conn)
    }

    fn save_incident(&mut self, incident: &IncidentRow) -> Result<(), StoreError> {
        investigation::save_incident(&mut self.conn, incident)
    }

    fn incidents(&self) -> Result<Vec<IncidentRow>, StoreError> {
        investigation::incidents(&self.conn, None)
    }

    fn incident(&self, id: &str) -> Result<Option<IncidentRow>, StoreError> {
        if !investigation::has_incident(&self.conn, id)? {
            return Ok(None);
        }
        Ok(investigation::incidents(&self.conn, Some(id))?
            .into_iter()
            .next())
    }

    fn incident_record(&self, incident: &str) -> Result<Option<StoredRecord>, StoreError> {
        records::get(&self.conn, incident)
    }

    fn add_action(&mut self, action: &NewAction) -> Result<i64, StoreError> {
        investigation::add_action(&self.conn, action, Timestamp::now())
    }

    fn complete_action(
        &mut self,
        id: i64,
        at: Timestamp,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        investigation::complete_action(&self.conn, id, at, note)
    }

    fn action(&self, id: i64) -> Result<Option<RemedialAction>, StoreError> {
        investigation::action(&self.conn, id)
    }

    fn actions(&self, include_done: bool) -> Result<Vec<RemedialAction>, StoreError> {
        investigation::actions(&self.conn, include_done)
    }
}
