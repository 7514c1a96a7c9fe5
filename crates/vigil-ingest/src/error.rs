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
    /// A TLS certificate or key file could not be used.
    #[error("{path}: {reason}")]
    Tls { path: String, reason: String },
}
