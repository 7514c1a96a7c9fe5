//! Errors of the coverage library.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoverageError {
    /// An input path that does not exist.
    #[error("{0}: no such file or directory")]
    NoSuchInput(String),
}
