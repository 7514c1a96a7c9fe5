//! The read side of a store, as narrow traits over plain model values: what a scan needs to look
//! advisories up ([`KnowledgeIndex`]) and to judge an asset's posture ([`AssetIndex`]).
//!
//! They live here, not in the store crate, so that matching and posture depend on an interface rather
//! than on SQLite: the embedded store implements them, and another back end (PostgreSQL) can implement
//! them later without touching the pipeline. Writes (imports, snapshots, detections) stay with the
//! back end's own traits.

use crate::snapshots::{AssetRecord, SnapshotRecord, StoredFinding};
use crate::sources::{ProductMatch, SourceStatus, StoreStats};
use crate::{Advisory, Ecosystem, EpssScore, KevEntry, MicrosoftFix};
use std::error::Error;
use std::fmt;

/// A look-up the back end could not answer. It carries the back end's own error and shows exactly that
/// error's message and cause, so a message is printed once whichever layer reports it.
#[derive(Debug)]
pub struct LookupError(Box<dyn Error + Send + Sync + 'static>);

impl LookupError {
    /// Wraps a back end's error.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        LookupError(Box::new(error))
    }

    /// The back end's error, for callers that know the back end (to match on its variants).
    pub fn backend(&self) -> &(dyn Error + Send + Sync + 'static) {
        self.0.as_ref()
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for LookupError {
    // Transparent: the wrapped error's message is already this one's, so its cause is the next link.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// Read access to vulnerability knowledge: advisories, KEV, EPSS, Microsoft fixes and the state of the
/// sources they came from.
pub trait KnowledgeIndex {
    /// Every source the store has heard of, by key, with its age as of now.
    fn sources(&self) -> Result<Vec<SourceStatus>, LookupError>;

    fn source(&self, key: &str) -> Result<Option<SourceStatus>, LookupError>;

    /// The advisories (not withdrawn) that name the package `name` of `ecosystem`, by id. The name is
    /// normalised for the ecosystem (PEP 503 for PyPI); a distro release also sees the advisories filed
    /// for the distro without a release (see [`crate::matching`]). Each advisory's `affected` list holds only
    /// the entries of this package (a distro advisory may list dozens of others); use
    /// [`KnowledgeIndex::advisory`] for the whole record.
    fn advisories_for(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<Advisory>, LookupError>;

    /// One advisory by id, withdrawn or not.
    fn advisory(&self, id: &str) -> Result<Option<Advisory>, LookupError>;

    /// The other names of an advisory: its own aliases and the ids of advisories that give it as an
    /// alias.
    fn aliases(&self, id: &str) -> Result<Vec<String>, LookupError>;

    /// The advisories known by `alias` (as id or alias), withdrawn ones included: every record about
    /// `CVE-2021-44228`, say.
    fn advisories_for_alias(&self, alias: &str) -> Result<Vec<Advisory>, LookupError>;

    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, LookupError>;

    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, LookupError>;

    fn microsoft_fixes_for_cve(&self, cve: &str) -> Result<Vec<MicrosoftFix>, LookupError>;

    /// Fixes shipped by a KB article (with or without the `KB` prefix).
    fn microsoft_fixes_for_kb(&self, kb: &str) -> Result<Vec<MicrosoftFix>, LookupError>;

    fn microsoft_fixes_for_product(
        &self,
        product: &str,
        how: ProductMatch,
    ) -> Result<Vec<MicrosoftFix>, LookupError>;

    /// Totals per kind, per source and per ecosystem, for `vigil db status`.
    fn stats(&self) -> Result<StoreStats, LookupError>;
}

/// Read access to assets, their scan snapshots and the findings tracked across them.
pub trait AssetIndex {
    fn asset(&self, name: &str) -> Result<Option<AssetRecord>, LookupError>;

    /// Every asset, by name.
    fn assets(&self) -> Result<Vec<AssetRecord>, LookupError>;

    /// The snapshots of an asset, oldest first.
    fn snapshots(&self, asset: &str) -> Result<Vec<SnapshotRecord>, LookupError>;

    /// The findings of an asset, open ones only or with the resolved ones, by first seen.
    fn findings(
        &self,
        asset: &str,
        include_resolved: bool,
    ) -> Result<Vec<StoredFinding>, LookupError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("inner cause")
        }
    }
    impl Error for Inner {}

    #[derive(Debug)]
    struct Outer(Inner);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the store failed")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_lookup_error_is_transparent() {
        let e = LookupError::new(Outer(Inner));
        assert_eq!(e.to_string(), "the store failed");
        // The chain goes straight to the back end's cause: the back end's message is not repeated.
        assert_eq!(
            e.source().map(|s| s.to_string()).as_deref(),
            Some("inner cause")
        );
        assert!(e.backend().downcast_ref::<Outer>().is_some());
    }
}
