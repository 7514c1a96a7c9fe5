//! Errors that stop a whole file from being read. Errors in single records are not these: they
//! are counted in [`crate::FileStats`] and reading goes on.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a log format vigil recognises ({reason})")]
    UnknownFormat { path: String, reason: String },
    #[error("{path}: cannot read as EVTX: {reason}")]
    Evtx { path: String, reason: String },
    #[error("{path}: {reason}")]
    TooLarge { path: String, reason: String },
}
