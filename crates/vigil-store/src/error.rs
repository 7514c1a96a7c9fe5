//! What can go wrong when opening, importing into or reading from the store.

use std::path::PathBuf;

/// An error of the store. Every variant says where (file, source key, record) and why, so that the CLI can
/// print it as is.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("cannot open the vigil database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The database's parent folder could not be created.
    #[error("cannot create the folder {path} for the vigil database: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer vigil whose schema this binary does not know. Opening it anyway
    /// could corrupt data the newer version relies on, so the binary refuses.
    #[error(
        "the vigil database {path} has schema version {found}, but this vigil only knows versions up to \
         {supported}: upgrade vigil, or point it at another database"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    /// The file is an SQLite database of some other application.
    #[error(
        "{path} is not a vigil database (SQLite application id {found:#x}, expected {expected:#x})"
    )]
    NotVigilDatabase {
        path: String,
        found: i64,
        expected: i64,
    },
    /// A schema migration step failed; the database stays at the previous version.
    #[error("migrating the vigil database {path} to schema version {version} failed: {source}")]
    Migration {
        path: String,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
    /// A record handed to an import cannot be stored. The whole import is rolled back.
    #[error("source {key}: record {index} ({what} {id:?}) cannot be stored: {reason}")]
    InvalidRecord {
        key: String,
        /// 0-based position of the record among the records of its kind in the import.
        index: usize,
        /// `advisory`, `KEV entry`, `EPSS score`, `Microsoft fix`.
        what: &'static str,
        id: String,
        reason: String,
    },
    /// The source key of an import or failure record is unusable.
    #[error("invalid source key {key:?}: {reason}")]
    InvalidSourceKey { key: String, reason: String },
    /// A value handed to the store that it refuses to keep (an empty action, an over-long text).
    #[error("cannot store the {what}: {reason}")]
    InvalidValue { what: String, reason: String },
    /// The producer of an import gave up part-way (download or parse error); the import was rolled back.
    #[error("import of source {key} aborted: {reason}")]
    Aborted { key: String, reason: String },
    /// A stored row could not be decoded (the database was edited by hand or is damaged).
    #[error("stored {what} {id:?} is damaged: {reason}")]
    Corrupt {
        what: &'static str,
        id: String,
        reason: String,
    },
    /// A record could not be encoded for storage.
    #[error("cannot encode {what} {id:?}: {source}")]
    Encode {
        what: &'static str,
        id: String,
        #[source]
        source: serde_json::Error,
    },
    /// A scan snapshot cannot be stored (the whole snapshot is rolled back).
    #[error("snapshot of asset {asset:?} cannot be stored: {reason}")]
    Snapshot { asset: String, reason: String },
    /// No alert has this id.
    #[error("no alert {id}")]
    NoSuchAlert { id: i64 },
    /// The alert's state does not allow the move (acknowledging an acknowledged alert, anything on a
    /// resolved one).
    #[error("alert {id} cannot be {action}d: it is already {state}{by}")]
    AlertTransition {
        id: i64,
        action: crate::alerts::AlertAction,
        state: crate::alerts::AlertState,
        /// " by NAME at TIME" when known.
        by: String,
    },
    /// No user has this name.
    #[error("no user {name:?}")]
    NoSuchUser { name: String },
    /// A user of this name exists already.
    #[error("a user {name:?} exists already")]
    UserExists { name: String },
    /// No API token has this id.
    #[error("no API token {id}")]
    NoSuchToken { id: i64 },
    /// The signed link was already used once.
    #[error("this link for alert {id} was already used")]
    AlertTokenUsed { id: i64 },
    /// A read through the back-end-neutral traits failed; the back end's error, as it was.
    #[error(transparent)]
    Lookup(#[from] vigil_model::LookupError),
    /// Any other SQLite error, with the operation that hit it.
    #[error("database error while {context}: {source}")]
    Sqlite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// The error a producer returns from inside an import to abort it (a download failed, a file is
    /// unreadable). The key is filled in by the store.
    pub fn abort(reason: impl std::fmt::Display) -> Self {
        StoreError::Aborted {
            key: String::new(),
            reason: reason.to_string(),
        }
    }
}

impl From<StoreError> for vigil_model::LookupError {
    fn from(error: StoreError) -> Self {
        match error {
            // Already a look-up error: unwrapped rather than boxed twice.
            StoreError::Lookup(inner) => inner,
            other => vigil_model::LookupError::new(other),
        }
    }
}

/// Attaches the operation being done to a SQLite error.
pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn context(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { context, source })
    }
}
