//! Errors that stop a whole file from being read. Errors in single records are not these: they
//! are counted in [`crate::FileStats`] and reading goes on.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LogError {
    #[error("{path}: {}", describe_io(source))]
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
    /// Not something that can be read as a log: a socket, a directory where a file was expected.
    #[error("{path}: {reason}")]
    NotAFile { path: String, reason: String },
}

impl LogError {
    /// The file the error is about.
    pub fn path(&self) -> &str {
        match self {
            LogError::Io { path, .. }
            | LogError::UnknownFormat { path, .. }
            | LogError::Evtx { path, .. }
            | LogError::TooLarge { path, .. }
            | LogError::NotAFile { path, .. } => path,
        }
    }

    /// The message without the path, for callers that show the path beside it (a skipped file's
    /// [`crate::FileStats`]), so that it is printed once.
    pub fn reason(&self) -> String {
        let full = self.to_string();
        let prefix = format!("{}: ", self.path());
        match full.strip_prefix(&prefix) {
            Some(rest) => rest.to_string(),
            None => full,
        }
    }
}

/// An I/O error in words a user expects ("no such file", not "No such file or directory (os
/// error 2)"); other errors as the system words them, without the error number.
pub(crate) fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s.get(..i).unwrap_or(&s).to_string(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_said_once() {
        let e = LogError::Io {
            path: "mail.log".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(e.to_string(), "mail.log: no such file");
        assert_eq!(e.reason(), "no such file");
    }
}
