//! The storage interface every back end implements: plain model values in and out, nothing of SQLite.
//! The read side of knowledge and assets is `vigil-model`'s [`KnowledgeIndex`] and [`AssetIndex`] (a
//! scan needs only those); the writes and the cases are the narrow traits here, and [`Store`] is all
//! of them together.

use crate::error::StoreError;
use crate::investigation::{
    FindingException, IncidentRow, NewAction, RemedialAction, StoredDetection, StoredRecord,
};
use crate::snapshots::{SavedSnapshot, Snapshot};
use crate::types::{ImportSummary, SourceHeader, SourceUpdate};
use jiff::Timestamp;
use vigil_model::{
    Advisory, AssetIndex, Detection, EpssScore, KevEntry, KnowledgeIndex, MicrosoftFix, SourceRef,
};

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

/// Writes to the vulnerability knowledge; reads are [`KnowledgeIndex`]. Every import is one transaction:
/// after an error or a crash part-way, the previous data is untouched. Reads never see a half-done import.
pub trait KnowledgeStore: KnowledgeIndex {
    /// Imports what `producer` hands over as one transaction for source `header.key`. On success the source
    /// is recorded as updated now; on any error the import is rolled back, the failure is recorded against
    /// the source (its previous data stays), and the error is returned.
    fn import_with(
        &mut self,
        header: &SourceHeader,
        producer: &mut Producer<'_>,
    ) -> Result<ImportSummary, StoreError>;

    /// Imports an update held in memory; see [`KnowledgeStore::import_with`].
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
}

/// Writes of assets and their scans; reads are [`AssetIndex`].
pub trait AssetStore: AssetIndex {
    /// Stores a scan of an asset as one transaction: the asset (its tags replaced by the snapshot's), the
    /// snapshot and its packages; findings still present get `last_seen` (their `first_seen` stays), new
    /// ones are opened, and open findings of the asset absent from the snapshot are resolved at its time.
    /// A snapshot older than the asset's latest stored one is refused.
    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<SavedSnapshot, StoreError>;

    /// The exceptions made in the console (all of an asset's, or every one), expired ones included,
    /// oldest first. Making one is a [`TrailStore`](crate::TrailStore) change, always recorded.
    fn exceptions(&self, asset: Option<&str>) -> Result<Vec<FindingException>, StoreError>;
}

/// Detections with their triage, the incidents grouped from them and the remedial actions they led to.
pub trait CaseStore {
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

    /// The incident record saved for `incident` (compared without case), if any. Saving one is a
    /// [`TrailStore`](crate::TrailStore) change: it is always recorded in the audit trail.
    fn incident_record(&self, incident: &str) -> Result<Option<StoredRecord>, StoreError>;

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

/// The whole store, for the commands that use every part of it: knowledge, assets, and cases. Any
/// back end that implements the narrow traits is one; code that needs less takes the narrow trait
/// (a scan takes only a [`KnowledgeIndex`]). Alerts and ingest checkpoints have their own traits
/// ([`AlertStore`](crate::AlertStore), [`CheckpointStore`](crate::CheckpointStore)).
pub trait Store: KnowledgeStore + AssetStore + CaseStore {}

impl<T: KnowledgeStore + AssetStore + CaseStore + ?Sized> Store for T {}

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
