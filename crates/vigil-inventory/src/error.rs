//! Why an input could not be read as a whole.

use std::fmt;

/// An input that could not be read or parsed at all. Entries that fail inside an otherwise readable
/// input are not errors: they become [`crate::NotAssessed`] items and the rest of the input is kept.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
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

    /// The file (and line, when known) the error is about, as `file:line`.
    pub fn location(&self) -> String {
        match self {
            InventoryError::Io { path, .. }
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
            InventoryError::Io { source, .. } => format!("cannot read: {source}"),
            InventoryError::TooLarge { size, limit, .. } => {
                format!("{size} bytes is over the {limit}-byte limit for one input")
            }
            InventoryError::NotUtf8 { .. } => "not valid UTF-8".to_string(),
            InventoryError::Parse { reason, .. } => reason.clone(),
            InventoryError::Unrecognised { .. } => "not a format vigil can inventory".to_string(),
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
