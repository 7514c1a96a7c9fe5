//! Advisory sources: parse and normalise OSV, RustSec, CISA KEV, EPSS and Microsoft CVRF into vigil's model.
//!
//! Everything here is pure: bytes or files in, `vigil-model` values out. Fetching (HTTP, ETags, progress)
//! belongs to the binary and persistence to the store, so each source can be imported the same way from
//! a download or from an air-gapped copy on disk.

pub mod batch;
pub mod cvss;
pub mod epss;
pub mod error;
pub mod exchange;
pub mod import;
pub mod kev;
pub mod msrc;
pub mod osv;
pub mod rustsec;
mod text;

pub use batch::{Batch, Limits, Skipped};
pub use error::KnowledgeError;
pub use import::{SourceKind, load_bytes, load_path};
