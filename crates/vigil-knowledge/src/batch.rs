//! What an import yields: the normalised records of one source, plus what was skipped and why.

use std::io::Read;
use std::path::Path;

use vigil_model::{Advisory, EpssScore, KevEntry, MicrosoftFix};

use crate::error::KnowledgeError;

/// Bounds on what an import will read, so that a hostile or broken archive cannot exhaust memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest single file or archive entry, uncompressed.
    pub max_entry_bytes: u64,
    /// Largest total of uncompressed bytes read from one archive or directory.
    pub max_total_bytes: u64,
    /// Most files or archive entries looked at in one import.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_bytes: 16 * 1024 * 1024,
            max_total_bytes: 8 * 1024 * 1024 * 1024,
            max_entries: 2_000_000,
        }
    }
}

/// One item that was not imported, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file, zip entry (`all.zip!GHSA-….json`) or record (`catalog.json#vulnerabilities[3]`).
    pub location: String,
    pub reason: String,
}

impl Skipped {
    pub fn new(location: impl Into<String>, reason: impl Into<String>) -> Self {
        Skipped {
            location: location.into(),
            reason: reason.into(),
        }
    }
}

/// The records read from one source input (a file, an archive or a directory).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// `osv`, `rustsec`, `kev`, `epss` or `msrc`.
    pub source: String,
    /// The path or name the records came from.
    pub origin: String,
    /// The source's own version of the data, when it states one: KEV `catalogVersion`, EPSS
    /// `model_version`, the CVRF document id.
    pub version: Option<String>,
    pub advisories: Vec<Advisory>,
    pub kev: Vec<KevEntry>,
    pub epss: Vec<EpssScore>,
    pub microsoft: Vec<MicrosoftFix>,
    pub skipped: Vec<Skipped>,
    /// Advisories that are withdrawn (they are in `advisories` too, marked, and never matched).
    pub withdrawn: usize,
}

impl Batch {
    pub fn new(source: &str, origin: impl Into<String>) -> Self {
        Batch {
            source: source.to_string(),
            origin: origin.into(),
            ..Batch::default()
        }
    }

    /// How many records were imported, all kinds together.
    pub fn imported(&self) -> usize {
        self.advisories.len() + self.kev.len() + self.epss.len() + self.microsoft.len()
    }

    pub(crate) fn push_advisory(&mut self, advisory: Advisory) {
        if advisory.withdrawn.is_some() {
            self.withdrawn += 1;
        }
        self.advisories.push(advisory);
    }
}

/// Reads at most `limit` bytes; more than that is an error rather than a silent truncation.
pub(crate) fn read_bounded(
    reader: impl Read,
    limit: u64,
    location: &str,
) -> Result<Vec<u8>, KnowledgeError> {
    let mut buf = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| KnowledgeError::invalid(location, format!("read failed: {e}")))?;
    if buf.len() as u64 > limit {
        return Err(KnowledgeError::Limit {
            location: location.to_string(),
            reason: format!("larger than the limit of {limit} bytes"),
        });
    }
    Ok(buf)
}

/// Reads a whole file, refusing files larger than `limit`.
pub(crate) fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, KnowledgeError> {
    let file = std::fs::File::open(path).map_err(|e| KnowledgeError::io(path, e))?;
    read_bounded(file, limit, &path.display().to_string())
}
