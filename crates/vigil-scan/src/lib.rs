//! From an inventory to findings with deadlines.
//!
//! [`matcher`] puts packages against the advisories of the store through the version schemes, merging
//! advisories that describe the same vulnerability; [`microsoft`] checks Exchange builds and Windows
//! updates, where the unit is the missing security update; [`policy`] turns the day a fix was released into
//! a patch deadline; [`ignore`] applies the expiring, reasoned exceptions of `.vigilignore.toml`; [`scan`]
//! runs them in order and gives a [`ScanReport`], which always ends with what was *not assessed*: an
//! ecosystem without a version scheme, an advisory that cannot be decided from a version, stale or empty
//! knowledge. Silence must never look like safety.

pub mod enrich;
pub mod error;
pub mod ignore;
pub mod matcher;
pub mod merge;
pub mod microsoft;
pub mod notes;
pub mod policy;
pub mod posture;
pub mod report;
pub mod scan;

pub use error::ScanError;
pub use ignore::{IgnoreEntry, IgnoreFile, IgnoreState};
pub use matcher::Matcher;
pub use microsoft::HostUpdates;
pub use notes::{NotAssessed, NotAssessedKind};
pub use policy::{Policy, Window};
pub use report::{ReportFinding, ScanReport, Summary};
pub use scan::{ScanInput, scan};
