//! Errors of the coverage library.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoverageError {
    /// The readers' field mappings (data shipped with `vigil-logs`) do not load.
    #[error("the log readers' field mappings do not load: {0}")]
    Mappings(#[from] vigil_sigma::MappingError),
}
