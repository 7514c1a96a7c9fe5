//! What can go wrong when configuring alerting, raising an alert or using an acknowledgement link.

use std::path::PathBuf;
use vigil_store::StoreError;

/// An error of alerting. Each variant names the configuration entry, file or alert concerned.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A configuration entry is unusable (`[[alert.email]] "email-1": ...`).
    #[error("{entry}: {reason}")]
    Config { entry: String, reason: String },
    /// A secret or certificate file named by the configuration could not be read.
    #[error("{entry}: cannot read {}: {source}", path.display())]
    ReadFile {
        entry: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An acknowledgement link that is malformed, forged, tampered with or expired.
    #[error("acknowledgement link refused: {0}")]
    Link(#[from] crate::links::LinkError),
    /// The operating system gave no randomness for a secret or a nonce.
    #[error("no randomness available: {0}")]
    Random(String),
}

impl AlertError {
    pub(crate) fn config(entry: impl Into<String>, reason: impl Into<String>) -> Self {
        AlertError::Config {
            entry: entry.into(),
            reason: reason.into(),
        }
    }
}

/// `n` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AlertError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AlertError::Random(e.to_string()))?;
    Ok(buf)
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
