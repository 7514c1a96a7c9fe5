//! Why an input could not be read as a whole.
//!
//! Every message is `location: reason`, with the path said once: callers that print the location and
//! the reason separately use [`InventoryError::location`] and [`InventoryError::reason`], which are the
//! two halves of the `Display` text.

use std::fmt;

/// An input that could not be read or parsed at all. Entries that fail inside an otherwise readable
/// input are not errors: they become [`crate::NotAssessed`] items and the rest of the input is kept.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{path}: {}", io_reason(.source))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A directory, FIFO, socket or device where a file was expected; never opened (opening a FIFO
    /// waits for a writer).
    #[error("{path}: {what}, not a regular file: not opened")]
    NotAFile { path: String, what: &'static str },
    #[error("{path}: {size} bytes is over the {limit}-byte limit for one input")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{}: not valid UTF-8", Where(path, *line))]
    NotUtf8 { path: String, line: Option<u32> },
    #[error("{}: {reason}", Where(path, *line))]
    Parse {
        path: String,
        line: Option<u32>,
        reason: String,
    },
    #[error("{path}: not a format vigil can inventory")]
    Unrecognised { path: String },
}

impl InventoryError {
    pub(crate) fn parse(path: &str, line: Option<u32>, reason: impl Into<String>) -> Self {
        InventoryError::Parse {
            path: path.to_string(),
            line,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: &str, source: std::io::Error) -> Self {
        InventoryError::Io {
            path: path.to_string(),
            source,
        }
    }

    /// The file (and line, when known) the error is about, as `file:line`.
    pub fn location(&self) -> String {
        match self {
            InventoryError::Io { path, .. }
            | InventoryError::NotAFile { path, .. }
            | InventoryError::TooLarge { path, .. }
            | InventoryError::Unrecognised { path } => path.clone(),
            InventoryError::NotUtf8 { path, line } | InventoryError::Parse { path, line, .. } => {
                Where(path, *line).to_string()
            }
        }
    }

    /// The reason without the location.
    pub fn reason(&self) -> String {
        match self {
            InventoryError::Io { source, .. } => io_reason(source),
            InventoryError::NotAFile { what, .. } => {
                format!("{what}, not a regular file: not opened")
            }
            InventoryError::TooLarge { size, limit, .. } => {
                format!("{size} bytes is over the {limit}-byte limit for one input")
            }
            InventoryError::NotUtf8 { .. } => "not valid UTF-8".to_string(),
            InventoryError::Parse { reason, .. } => reason.clone(),
            InventoryError::Unrecognised { .. } => "not a format vigil can inventory".to_string(),
        }
    }

    /// Whether the input does not exist at all.
    pub fn is_not_found(&self) -> bool {
        matches!(self, InventoryError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// An I/O error in plain words, without the OS error number: `no such file or directory`,
/// `permission denied`, `path too long`.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file or directory".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::IsADirectory => "is a directory".to_string(),
        ErrorKind::NotADirectory => "a part of the path is not a directory".to_string(),
        // ENAMETOOLONG: a name or the whole path is over the system's limit.
        ErrorKind::InvalidFilename => "path too long for the system".to_string(),
        _ => {
            let text = e.to_string();
            let text = match text.rfind(" (os error ") {
                Some(i) => text.get(..i).unwrap_or(&text).to_string(),
                None => text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => "input/output error".to_string(),
            }
        }
    }
}

/// `file:line`, or `file` when the line is unknown.
pub(crate) struct Where<'a>(pub &'a str, pub Option<u32>);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(l) => write!(f, "{}:{}", self.0, l),
            None => f.write_str(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_location_then_reason_once() {
        let errs = [
            InventoryError::io("a.lock", std::io::Error::from(std::io::ErrorKind::NotFound)),
            InventoryError::io(
                "b.lock",
                std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            ),
            InventoryError::io("c.lock", std::io::Error::from_raw_os_error(40)),
            InventoryError::NotAFile {
                path: "fifo.json".into(),
                what: "a FIFO (named pipe)",
            },
            InventoryError::TooLarge {
                path: "big.lock".into(),
                size: 2,
                limit: 1,
            },
            InventoryError::NotUtf8 {
                path: "bad.lock".into(),
                line: Some(3),
            },
            InventoryError::parse("x.json", Some(4), "invalid JSON: EOF"),
            InventoryError::Unrecognised {
                path: "notes.json".into(),
            },
        ];
        for e in &errs {
            assert_eq!(e.to_string(), format!("{}: {}", e.location(), e.reason()));
            assert!(!e.reason().contains(&e.location()), "{e}");
            assert!(!e.to_string().contains("os error"), "{e}");
        }
        assert_eq!(errs[0].to_string(), "a.lock: no such file or directory");
        assert!(errs[0].is_not_found());
        assert_eq!(errs[1].to_string(), "b.lock: permission denied");
    }
}
