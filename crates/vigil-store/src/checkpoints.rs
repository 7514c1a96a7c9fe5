//! Checkpoints of live log reading, committed together with the detections their records produced.
//!
//! Exactly once across crashes rests on one rule: a checkpoint is never stored without the
//! detections of the records before it, and detections never without their checkpoint. So the one
//! write is [`CheckpointStore::commit_ingest`], a single transaction taking both (and the live
//! detection's own state, such as correlation windows, which must move in step with them). After a
//! crash, reading resumes from the last commit: records after it are read again and their
//! detections, never stored, are produced again.

use crate::error::StoreError;
use vigil_model::{Checkpoint, Detection};

/// One all-or-nothing commit of live reading.
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestCommit<'a> {
    /// Detections produced since the last commit (stored as `save_detections` stores them).
    pub detections: &'a [Detection],
    /// Checkpoints to store (replacing the stored one of the same watch and key).
    pub checkpoints: &'a [Checkpoint],
    /// Checkpoints to drop, as (watch, key): files forgotten after their retention.
    pub forget: &'a [(&'a str, &'a str)],
    /// Named state of the live detection to store (`Some`, replacing) or drop (`None`), e.g.
    /// correlation windows serialised by their owner; opaque to the store.
    pub state: &'a [(&'a str, Option<&'a str>)],
}

/// What a commit stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCommitted {
    /// Detections stored.
    pub detections_new: usize,
    /// Detections already stored under the same rule and first record, not stored again.
    pub detections_known: usize,
    pub checkpoints: usize,
}

/// Where the service's readers stand.
pub trait CheckpointStore {
    /// The stored checkpoints of `watch` (all watches with `None`), ordered by watch and key.
    fn checkpoints(&self, watch: Option<&str>) -> Result<Vec<Checkpoint>, StoreError>;

    /// Stores detections, checkpoints and state in one transaction (see the module doc).
    fn commit_ingest(&mut self, commit: &IngestCommit<'_>) -> Result<IngestCommitted, StoreError>;

    /// A piece of named state stored by [`CheckpointStore::commit_ingest`].
    fn ingest_state(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// The stored detections (not dismissed) no more than `reach` older than the newest one (ignoring
    /// any dated after `not_after`, which a hostile log may forge), at most the `limit` latest, in
    /// time order: what a restarted service groups into incidents again. Measured from the newest
    /// detection, not from the clock, so that logs replayed from the past are regrouped alike.
    fn recent_detections(
        &self,
        reach: jiff::SignedDuration,
        not_after: jiff::Timestamp,
        limit: usize,
    ) -> Result<Vec<Detection>, StoreError>;
}
