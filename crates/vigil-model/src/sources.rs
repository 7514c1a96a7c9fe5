//! What a store knows about its knowledge sources (state, age, counts): plain values every back end
//! gives out, so that a scan can judge whether its knowledge is complete and fresh without knowing the
//! back end.

use jiff::{SignedDuration, Timestamp};

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

/// How [`KnowledgeIndex::microsoft_fixes_for_product`](crate::index::KnowledgeIndex::microsoft_fixes_for_product)
/// compares product names. Both ignore ASCII case.
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
