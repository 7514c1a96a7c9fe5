//! The one error type of the crate: every variant says where (file, zip entry, record) and why.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input as a whole is unusable (corrupt archive, not the expected format, …).
    #[error("{location}: {reason}")]
    Invalid { location: String, reason: String },
    /// A configured size limit was reached; the input is refused rather than read unbounded.
    #[error("{location}: {reason}")]
    Limit { location: String, reason: String },
    /// The path is none of the formats this crate knows.
    #[error("{location}: not a known advisory source ({reason})")]
    Unrecognised { location: String, reason: String },
}

impl KnowledgeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        KnowledgeError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(location: impl Into<String>, reason: impl Into<String>) -> Self {
        KnowledgeError::Invalid {
            location: location.into(),
            reason: reason.into(),
        }
    }
}
