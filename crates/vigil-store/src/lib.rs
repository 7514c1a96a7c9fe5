//! The store of vigil: the vulnerability knowledge (advisories, KEV, EPSS, Microsoft fixes), the state
//! of its sources, and the scan snapshots of assets with the findings tracked across them; persisted so
//! that scans work offline and every import or snapshot is all-or-nothing.
//!
//! [`Store`] is the interface the rest of vigil uses, made of narrow traits ([`KnowledgeStore`],
//! [`AssetStore`], [`CaseStore`] over the model's read traits [`KnowledgeIndex`] and [`AssetIndex`];
//! alerts and checkpoints beside them); they take and give plain `vigil-model` values so that a
//! PostgreSQL back end can implement them later. [`SqliteStore`] is the embedded default: one SQLite file,
//! WAL mode, foreign keys on, a busy timeout, and a versioned schema brought forward on open.

pub mod access;
pub mod alerts;
pub mod checkpoints;
pub mod error;
pub mod health;
pub mod investigation;
pub mod paths;
pub mod second_factor;
pub mod sqlite;
pub mod store;
pub mod trail;
pub mod types;

pub use access::{
    AccountStore, INVITED, LockoutPolicy, LoginFailure, NewSession, NewToken, NewUser, Role,
    SessionRecord, TokenRecord, UserRecord,
};
pub use alerts::{
    Alert, AlertAction, AlertChange, AlertEvent, AlertHistory, AlertState, AlertStore,
    AlertSubject, Delivery, DeliveryOutcome, Evidence, Mark, NewAlert, Raised, finding_alert_key,
    incident_alert_key,
};
pub use checkpoints::{CheckpointStore, IngestCommit, IngestCommitted};
pub use error::StoreError;
pub use health::HealthStore;
pub use investigation::{
    ActionStatus, FindingException, IncidentRow, NewAction, NewException, RemedialAction,
    StoredDetection, StoredRecord,
};
pub use paths::default_db_path;
pub use second_factor::{SecondFactorStore, TotpRecord};
// The plain values and read traits a back end shares live in the model; re-exported here so that
// users of the store find them where they always were.
pub use snapshots::{
    AssetRecord, SavedSnapshot, Snapshot, SnapshotRecord, StoredFinding, finding_key,
};
pub use sqlite::SqliteStore;
pub use store::{AssetStore, CaseStore, ImportSink, KnowledgeStore, Producer, Store};
pub use trail::{TrailBreak, TrailDraft, TrailEntry, TrailHead, TrailStore, TrailVerdict};
pub use types::{
    ImportSummary, ProductMatch, SourceCounts, SourceHeader, SourceState, SourceStatus,
    SourceUpdate, StoreStats,
};
pub use vigil_model::index::{AssetIndex, KnowledgeIndex, LookupError};
pub use vigil_model::{matching, snapshots};

/// Every store trait, for `use vigil_store::prelude::*;`: a method of a narrow trait can only be
/// called where that trait is in scope.
pub mod prelude {
    pub use crate::{
        AccountStore, AlertStore, AssetIndex, AssetStore, CaseStore, CheckpointStore,
        KnowledgeIndex, KnowledgeStore, SecondFactorStore, Store, TrailStore,
    };
}
