//! Why a configuration could not be used, naming the file and, from the TOML parser, the line and key.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("invalid configuration{}: {reason}", path.as_ref().map(|p| format!(" {}", p.display())).unwrap_or_default())]
    Invalid {
        path: Option<PathBuf>,
        reason: String,
    },
}

impl ConfigError {
    /// The same error, naming the file it came from.
    pub(crate) fn in_file(self, file: &Path) -> ConfigError {
        match self {
            ConfigError::Invalid { reason, .. } => ConfigError::Invalid {
                path: Some(file.to_path_buf()),
                reason,
            },
            other => other,
        }
    }
}

/// An I/O error in the words a user expects ("no such file"), without the error number.
pub(crate) fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::InvalidData => "not UTF-8 text".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}
