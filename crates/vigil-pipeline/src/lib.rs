//! The pipelines as a library: each stage takes a typed request and returns a typed result with its notes
//! (what was not assessed). Nothing here prints, parses arguments or chooses an exit code: the CLI does
//! that, and the service calls the same functions.
//!
//! - [`rules`]: the rule loading every detecting stage shares (bundled rules, the cache of parsed rules,
//!   the rule → CVE table);
//! - [`triage`]: dismissals (`RULE@FILE:RECORD`) from the command line and from the incident record;
//! - [`investigate`]: the knowledge an investigation works from, grouping options, stored cases;
//! - [`scan`]: one asset's inventory → findings → stored snapshot, for `vigil scan` and scheduled scans;
//! - [`exceptions`]: the exceptions made in the console as ignore entries beside the ignore file's;
//! - [`audit`]: input sorting and the whole chain on one server (import → inventory → hunt → scan →
//!   triage → investigation).

pub mod alert_history;
pub mod audit;
pub mod breach;
pub mod error;
pub mod exceptions;
pub mod investigate;
pub mod rules;
pub mod scan;
pub mod triage;

pub use error::PipelineError;
pub use vigil_investigate::{Case, Knowledge};
