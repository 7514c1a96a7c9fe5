//! The shared nouns of vigil.
//!
//! Every stage of the pipeline (knowledge, inventory, logs, Sigma, store, investigation, reports) takes these
//! plain types in and gives them out; no stage reaches into another's internals. The types are deliberately
//! plain data with `serde` so that they can be stored, exported and compared in tests.

pub mod advisory;
pub mod checkpoint;
pub mod event;
pub mod finding;
pub mod health;
pub mod index;
pub mod matching;
pub mod package;
pub mod purl;
pub mod severity;
pub mod snapshots;
pub mod sources;
pub mod text;

pub use advisory::{
    Advisory, Affected, AffectedPackage, EpssScore, KevEntry, MicrosoftFix, Range, RangeEvent,
    RangeKind, Reference, SeverityScore,
};
pub use checkpoint::{Checkpoint, FileIdentity, Position};
pub use event::{Detection, Event, FieldValue, LogSource, RawRecord, RecordRef, SourceRef};
pub use finding::{Asset, Finding};
pub use health::{HealthSnapshot, Liveness, SourceSnapshot};
pub use index::{AssetIndex, KnowledgeIndex, LookupError};
pub use package::{Ecosystem, Package, PackageLocation};
pub use severity::{Level, Severity};

/// The file that marks a folder as a vigil report: the audit writes it, and every input walk (logs,
/// inventory, audit input sorting) leaves such folders out, so vigil never reads its own output back.
pub const REPORT_MARKER: &str = ".vigil-report";

/// Instants are UTC timestamps; calendar days (release dates, deadlines) are civil dates.
pub use jiff::Timestamp;
pub use jiff::civil::Date;
