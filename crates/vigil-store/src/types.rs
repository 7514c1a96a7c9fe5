//! The plain values that go in and out of a [`Store`](crate::Store): no database types, so that another back
//! end (PostgreSQL) can take and give the same.

use vigil_model::{Advisory, EpssScore, KevEntry, MicrosoftFix};

/// Where an import's data came from and how it relates to what the source key held before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceHeader {
    /// The source key: `osv:PyPI`, `rustsec`, `kev`, `epss`, `msrc`, `import:<file>`.
    pub key: String,
    /// The URL or file the data was read from.
    pub origin: String,
    /// HTTP validators of the download, kept so the next update can ask "changed since?".
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// SHA-256 of the downloaded file, hex.
    pub sha256: Option<String>,
    /// `true`: the import is everything the source key has now (an OSV `all.zip`), so whatever it held before
    /// and is not in this import disappears. `false`: the records are added or updated (a `db import` of a
    /// few files).
    pub replace: bool,
}

/// A whole import of one source, held in memory. For very large sources, stream the records with
/// [`Store::import_with`](crate::Store::import_with) instead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceUpdate {
    pub key: String,
    pub origin: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
    pub replace: bool,
    /// Withdrawn advisories belong here too: they are stored, flagged, and never matched.
    pub advisories: Vec<Advisory>,
    pub kev: Vec<KevEntry>,
    pub epss: Vec<EpssScore>,
    pub microsoft: Vec<MicrosoftFix>,
    /// Records the reader could not use (malformed, unknown ecosystem) and did not hand over.
    pub skipped: usize,
    /// Withdrawn records the reader dropped itself instead of handing them over (the store adds those it
    /// is given).
    pub withdrawn: usize,
}

impl SourceUpdate {
    /// An empty update for `key` read from `origin`.
    pub fn new(key: impl Into<String>, origin: impl Into<String>, replace: bool) -> Self {
        SourceUpdate {
            key: key.into(),
            origin: origin.into(),
            replace,
            ..SourceUpdate::default()
        }
    }

    /// The header of this update (everything but the records).
    pub fn header(&self) -> SourceHeader {
        SourceHeader {
            key: self.key.clone(),
            origin: self.origin.clone(),
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
            sha256: self.sha256.clone(),
            replace: self.replace,
        }
    }
}

/// What one import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub key: String,
    pub replace: bool,
    /// Advisories written (new, or newer than or as new as the stored copy).
    pub advisories: usize,
    /// Advisories not written because the store already held a newer copy (from this or another source).
    pub superseded: usize,
    /// Advisories this source no longer has, removed by a replacing import.
    pub removed: usize,
    pub kev: usize,
    pub epss: usize,
    pub microsoft: usize,
    /// Records the reader skipped.
    pub skipped: usize,
    /// Withdrawn advisories: stored and flagged, plus those the reader dropped.
    pub withdrawn: usize,
}

impl ImportSummary {
    /// Records of every kind written by the import.
    pub fn imported(&self) -> usize {
        self.advisories + self.kev + self.epss + self.microsoft
    }
}

pub use vigil_model::sources::{ProductMatch, SourceCounts, SourceState, SourceStatus, StoreStats};
