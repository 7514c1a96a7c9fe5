//! Errors of live reading.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum IngestError {
    /// The watched path itself could not be listed or read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
