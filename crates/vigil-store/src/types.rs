//! The plain values that go in and out of a [`Store`](crate::Store): no database types, so that another back
//! end (PostgreSQL) can take and give the same.

use jiff::{SignedDuration, Timestamp};
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

/// Whether a source's last update worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceState {
    Ok,
    Failed,
}

impl SourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Ok => "ok",
            SourceState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for SourceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the store knows about one source: when it was last updated, whether that worked, and what the
/// last successful import brought.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub key: String,
    pub origin: String,
    pub status: SourceState,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    /// Why the last attempt failed; `None` once an update succeeds again.
    pub last_error: Option<String>,
    /// Counts of the last successful import.
    pub imported: u64,
    pub skipped: u64,
    pub withdrawn: u64,
    pub removed: u64,
    /// Time since the last successful update, when it was read: knowledge older than the policy allows
    /// must be called stale, not trusted silently. `None` if the source never succeeded.
    pub age: Option<SignedDuration>,
}

impl SourceStatus {
    /// Time since the last successful update as of `now`.
    pub fn age_at(&self, now: Timestamp) -> Option<SignedDuration> {
        self.last_success_at.map(|t| now.duration_since(t))
    }

    /// Whether the source's knowledge is older than `max_age` at `now` (or was never loaded).
    pub fn is_stale(&self, now: Timestamp, max_age: SignedDuration) -> bool {
        self.age_at(now).is_none_or(|age| age > max_age)
    }
}

/// How [`Store::microsoft_fixes_for_product`](crate::Store::microsoft_fixes_for_product) compares product
/// names. Both ignore ASCII case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductMatch {
    Exact,
    Substring,
}

/// What the store holds for one source key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCounts {
    pub key: String,
    /// Advisories this source provides (some may be stored from a newer copy of another source).
    pub advisories: u64,
    /// Advisories whose stored copy came from this source.
    pub stored: u64,
    pub kev: u64,
    pub epss: u64,
    pub microsoft: u64,
}

/// Totals for `vigil db status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub advisories: u64,
    pub withdrawn: u64,
    pub aliases: u64,
    pub kev: u64,
    pub epss: u64,
    pub microsoft: u64,
    pub by_source: Vec<SourceCounts>,
    /// Advisories (not withdrawn) per ecosystem as filed (`Debian:12`, `PyPI`), by name.
    pub by_ecosystem: Vec<(String, u64)>,
}
