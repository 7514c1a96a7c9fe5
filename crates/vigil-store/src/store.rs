//! The storage interface every back end implements: plain model values in and out, nothing of SQLite.

use crate::error::StoreError;
use crate::investigation::{IncidentRow, NewAction, RemedialAction, StoredDetection};
use crate::snapshots::{AssetRecord, SavedSnapshot, Snapshot, SnapshotRecord, StoredFinding};
use crate::types::{
    ImportSummary, ProductMatch, SourceHeader, SourceStatus, SourceUpdate, StoreStats,
};
use jiff::Timestamp;
use vigil_model::{Advisory, Detection, Ecosystem, EpssScore, KevEntry, MicrosoftFix, SourceRef};

/// Where an import's producer puts records. Every record goes into the one transaction of the import; the
/// records are only borrowed, so a reader can stream a large file (an OSV `all.zip`, the EPSS CSV) without
/// holding it in memory.
pub trait ImportSink {
    /// Stores an advisory (withdrawn ones too: they are kept, flagged, and never matched). When the store
    /// already holds a newer copy of the same id, from this source or another, the newer one stays.
    fn advisory(&mut self, advisory: &Advisory) -> Result<(), StoreError>;
    fn kev(&mut self, entry: &KevEntry) -> Result<(), StoreError>;
    fn epss(&mut self, score: &EpssScore) -> Result<(), StoreError>;
    fn microsoft(&mut self, fix: &MicrosoftFix) -> Result<(), StoreError>;
    /// Counts records the reader could not use.
    fn skipped(&mut self, count: usize);
    /// Counts withdrawn records the reader dropped without handing them over.
    fn withdrawn(&mut self, count: usize);
}

/// The producer of an import: called once with the sink; returning an error (see [`StoreError::abort`])
/// rolls the whole import back.
pub type Producer<'a> = dyn FnMut(&mut dyn ImportSink) -> Result<(), StoreError> + 'a;

/// vigil's store. Every import is one transaction: after an error or a crash part-way, the previous data is
/// untouched. Reads never see a half-done import.
pub trait Store {
    /// Imports what `producer` hands over as one transaction for source `header.key`. On success the source
    /// is recorded as updated now; on any error the import is rolled back, the failure is recorded against
    /// the source (its previous data stays), and the error is returned.
    fn import_with(
        &mut self,
        header: &SourceHeader,
        producer: &mut Producer<'_>,
    ) -> Result<ImportSummary, StoreError>;

    /// Imports an update held in memory; see [`Store::import_with`].
    fn import(&mut self, update: SourceUpdate) -> Result<ImportSummary, StoreError> {
        let header = update.header();
        let mut producer = |sink: &mut dyn ImportSink| {
            for advisory in &update.advisories {
                sink.advisory(advisory)?;
            }
            for entry in &update.kev {
                sink.kev(entry)?;
            }
            for score in &update.epss {
                sink.epss(score)?;
            }
            for fix in &update.microsoft {
                sink.microsoft(fix)?;
            }
            sink.skipped(update.skipped);
            sink.withdrawn(update.withdrawn);
            Ok(())
        };
        self.import_with(&header, &mut producer)
    }

    /// Records that updating `key` from `origin` failed (download error, bad checksum). The source keeps
    /// its previous data and its last successful update time, so its age keeps growing.
    fn record_failure(&mut self, key: &str, origin: &str, error: &str) -> Result<(), StoreError>;

    /// Records that `key` was checked and is unchanged since its last successful import (the server
    /// answered 304, or sent identical content): its data is current as of now, so its age restarts.
    fn record_unchanged(&mut self, key: &str, origin: &str) -> Result<(), StoreError>;

    /// Every source the store has heard of, by key, with its age as of now.
    fn sources(&self) -> Result<Vec<SourceStatus>, StoreError>;

    fn source(&self, key: &str) -> Result<Option<SourceStatus>, StoreError>;

    /// The advisories (not withdrawn) that name the package `name` of `ecosystem`, by id. The name is
    /// normalised for the ecosystem (PEP 503 for PyPI); a distro release also sees the advisories filed for
    /// the distro without a release (see [`crate::matching`]). Each advisory's `affected` list holds only
    /// the entries of this package (a distro advisory may list dozens of others); use [`Store::advisory`]
    /// for the whole record.
    fn advisories_for(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<Advisory>, StoreError>;

    /// One advisory by id, withdrawn or not.
    fn advisory(&self, id: &str) -> Result<Option<Advisory>, StoreError>;

    /// The other names of an advisory: its own aliases and the ids of advisories that give it as an alias.
    fn aliases(&self, id: &str) -> Result<Vec<String>, StoreError>;

    /// The advisories known by `alias` (as id or alias), withdrawn ones included: every record about
    /// `CVE-2021-44228`, say.
    fn advisories_for_alias(&self, alias: &str) -> Result<Vec<Advisory>, StoreError>;

    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, StoreError>;

    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, StoreError>;

    fn microsoft_fixes_for_cve(&self, cve: &str) -> Result<Vec<MicrosoftFix>, StoreError>;

    /// Fixes shipped by a KB article (with or without the `KB` prefix).
    fn microsoft_fixes_for_kb(&self, kb: &str) -> Result<Vec<MicrosoftFix>, StoreError>;

    fn microsoft_fixes_for_product(
        &self,
        product: &str,
        how: ProductMatch,
    ) -> Result<Vec<MicrosoftFix>, StoreError>;

    /// Totals per kind, per source and per ecosystem, for `vigil db status`.
    fn stats(&self) -> Result<StoreStats, StoreError>;

    /// Stores a scan of an asset as one transaction: the asset (its tags replaced by the snapshot's), the
    /// snapshot and its packages; findings still present get `last_seen` (their `first_seen` stays), new
    /// ones are opened, and open findings of the asset absent from the snapshot are resolved at its time.
    /// A snapshot older than the asset's latest stored one is refused.
    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<SavedSnapshot, StoreError>;

    fn asset(&self, name: &str) -> Result<Option<AssetRecord>, StoreError>;

    /// Every asset, by name.
    fn assets(&self) -> Result<Vec<AssetRecord>, StoreError>;

    /// The snapshots of an asset, oldest first.
    fn snapshots(&self, asset: &str) -> Result<Vec<SnapshotRecord>, StoreError>;

    /// The findings of an asset, open ones only or with the resolved ones, by first seen.
    fn findings(
        &self,
        asset: &str,
        include_resolved: bool,
    ) -> Result<Vec<StoredFinding>, StoreError>;

    /// Stores detections (one transaction), each identified by its rule and first record: a detection
    /// already stored is left as it is (its triage included). Returns how many were new.
    fn save_detections(&mut self, detections: &[Detection]) -> Result<usize, StoreError>;

    /// Dismisses the stored detection of `rule_id` on `source` as a false positive, with the reason
    /// (`None` reinstates it). Returns whether such a detection is stored.
    fn dismiss_detection(
        &mut self,
        rule_id: &str,
        source: &SourceRef,
        reason: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// Every stored detection, in time order (untimed last).
    fn detections(&self) -> Result<Vec<StoredDetection>, StoreError>;

    /// Stores an incident, or refreshes a stored one of the same id (its opening time and status stay).
    fn save_incident(&mut self, incident: &IncidentRow) -> Result<(), StoreError>;

    /// Every stored incident, by first detection.
    fn incidents(&self) -> Result<Vec<IncidentRow>, StoreError>;

    fn incident(&self, id: &str) -> Result<Option<IncidentRow>, StoreError>;

    /// Records a remedial action (open); returns its id.
    fn add_action(&mut self, action: &NewAction) -> Result<i64, StoreError>;

    /// Marks an open action done at `at`; returns false when no open action has that id.
    fn complete_action(
        &mut self,
        id: i64,
        at: Timestamp,
        note: Option<&str>,
    ) -> Result<bool, StoreError>;

    fn action(&self, id: i64) -> Result<Option<RemedialAction>, StoreError>;

    /// Remedial actions, open ones first by due date; done ones too when asked.
    fn actions(&self, include_done: bool) -> Result<Vec<RemedialAction>, StoreError>;
}

/// A CVE id in the form it is stored under: trimmed, upper case.
pub(crate) fn canonical_cve(cve: &str) -> String {
    cve.trim().to_ascii_uppercase()
}

/// A KB number without its `KB` prefix.
pub(crate) fn canonical_kb(kb: &str) -> String {
    let kb = kb.trim();
    match (kb.get(..2), kb.get(2..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("kb") => rest.trim().to_string(),
        _ => kb.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_cve(" cve-2021-34473 "), "CVE-2021-34473");
        assert_eq!(canonical_kb("KB5001779"), "5001779");
        assert_eq!(canonical_kb("kb 5001779"), "5001779");
        assert_eq!(canonical_kb("5001779"), "5001779");
        assert_eq!(canonical_kb("K"), "K");
        assert_eq!(canonical_kb("é"), "é");
    }

    #[test]
    fn the_store_is_usable_as_a_trait_object() {
        fn takes(_: &mut dyn Store) {}
        let mut store = crate::SqliteStore::open_in_memory().unwrap();
        takes(&mut store);
        let boxed: Box<dyn Store> = Box::new(store);
        assert!(boxed.sources().unwrap().is_empty());
    }
}
