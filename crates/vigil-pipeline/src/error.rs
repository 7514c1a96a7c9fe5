//! What a pipeline stage can fail on; each message names the file or the input and the reason once.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A file could not be read.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// An incident record that is not valid TOML for its schema.
    #[error("{} is not a valid incident record: {message}", path.display())]
    Record { path: PathBuf, message: String },
    /// The `dismissed` list of an incident record.
    #[error("{}: the `dismissed` list: {message}", path.display())]
    RecordDismissals { path: PathBuf, message: String },
    /// A dismissal that is not `RULE@FILE:RECORD`.
    #[error("--dismiss {given:?}: {reason}")]
    Dismissal { given: String, reason: String },
    /// Rules that cannot be loaded at all.
    #[error("{0}")]
    Rules(String),
    /// Inputs that cannot be used (a path that does not exist, nothing given).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    /// A read of knowledge or assets through the back-end-neutral traits.
    #[error(transparent)]
    Lookup(#[from] vigil_model::LookupError),
    /// A store write with what was being stored.
    #[error("{what}: {error}")]
    Storing {
        what: &'static str,
        error: vigil_store::StoreError,
    },
    #[error(transparent)]
    Scan(#[from] vigil_scan::ScanError),
}
