//! Errors of the investigation library.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum InvestigateError {
    /// The rule → CVE table could not be read as a whole.
    #[error("{file}: {reason}")]
    CveMap { file: String, reason: String },
    /// Serialising a timeline or draft failed (should not happen with vigil's own types).
    #[error("serialising {what}: {source}")]
    Serialise {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}
