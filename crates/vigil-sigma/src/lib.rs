//! The Sigma engine: rule parsing, compilation, evaluation and correlation.
//!
//! - [`load_rules`] / [`parse_rules_str`] read Sigma v2.1 rule files (multi-document YAML,
//!   detection rules, correlation rules, meta filters, legacy 1.x collections) and list every
//!   rule that could not be loaded with the file, YAML path and reason; [`load_rules_cached`]
//!   does the same through a cache of parsed rule files keyed by their content hashes.
//! - [`Engine::compile`] applies [`Mappings`] (Sigma field names → event field names per log
//!   source), indexes rules by log source and builds literal prefilters.
//! - [`Engine::matches`] evaluates one [`vigil_model::Event`]; the engine is `Send + Sync`, so
//!   callers may evaluate files in parallel.
//! - [`Correlator`] keeps correlation windows for one time-ordered stream of matches.
//!
//! The engine knows nothing of files or storage: events in, detections out.
//!
//! ```
//! use vigil_sigma::{Engine, Mappings, parse_rules_str};
//! use vigil_model::{Event, LogSource, RecordRef, SourceRef};
//!
//! let (rules, errors) = parse_rules_str(
//!     "title: Whoami\nid: r1\nlogsource: {category: process_creation, product: windows}\n\
//!      detection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\nlevel: high\n",
//!     "inline.yml",
//! );
//! assert!(errors.is_empty());
//! let (engine, errors) = Engine::compile(&rules, &Mappings::new());
//! assert!(errors.is_empty());
//! let mut ev = Event {
//!     timestamp: None,
//!     host: None,
//!     logsource: LogSource::new(Some("windows"), Some("process_creation"), None),
//!     source: SourceRef { file: "x.evtx".into(), record: RecordRef::EvtxRecord(1), generation: None },
//!     fields: Default::default(),
//!     raw: None,
//! };
//! ev.fields.insert("Image".into(), "C:\\Windows\\System32\\WHOAMI.EXE".into());
//! let mut out = Vec::new();
//! engine.matches(&ev, &mut out);
//! assert_eq!(out[0].rule_id, "r1");
//! ```

mod cache;
mod cidr;
mod compiled;
mod condition;
mod correlation;
mod encoding;
mod engine;
mod error;
pub mod extensions;
mod glob;
mod load;
mod mapping;
mod modifiers;
mod parse;
mod rule;
mod sigmastr;

pub use cache::{CacheOptions, CacheReport, load_rules_cached};
pub use cidr::Cidr;
pub use condition::CondExpr;
pub use correlation::{Correlator, MAX_SNAPSHOT_BYTES, MAX_SOURCES, SnapshotError};
pub use engine::Engine;
pub use error::RuleError;
pub use load::load_rules;
pub use mapping::{FieldMapping, MappingError, Mappings};
pub use parse::{LoadOptions, parse_rules_str, parse_rules_str_with};
pub use rule::{
    CmpOp, Correlation, CorrelationCondition, CorrelationType, DetectionSpec, FieldTest, Filter,
    Position, Related, Rule, RuleMeta, RuleSet, Search, TimePart, ValuePattern,
};
pub use sigmastr::{Piece, SigmaString};
