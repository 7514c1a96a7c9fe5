//! Errors of a scan: a knowledge or asset look-up failing, or a policy or ignore file that cannot be used.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Store(#[from] vigil_model::LookupError),
    /// The ignore file cannot be read or parsed, or an entry lacks what it needs.
    #[error("ignore file {path}: {reason}")]
    IgnoreFile { path: PathBuf, reason: String },
    /// The `[policy]` section is inconsistent.
    #[error("invalid [policy]: {0}")]
    Policy(String),
}
