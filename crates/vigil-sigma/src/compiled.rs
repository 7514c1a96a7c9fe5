//! Rules compiled against field mappings: what the engine evaluates.

use crate::cidr::Cidr;
use crate::condition::CondExpr;
use crate::glob::StrMatcher;
use crate::rule::{CmpOp, Position, RuleMeta, TimePart};
use std::sync::Arc;
use vigil_model::{Level, LogSource};

/// Index of a Sigma field name in the engine's field table.
pub type SlotId = u32;
/// Index of an event field name in the engine's field table.
pub type FieldId = u32;

/// A compiled value comparison.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Case-insensitive text match (literals folded).
    Folded(StrMatcher),
    /// A case-insensitive substring answered by the field's Aho-Corasick prefilter.
    AcNeedle(u32),
    /// Case-sensitive text match.
    Cased(StrMatcher),
    Num {
        value: f64,
        text: String,
    },
    Cmp {
        op: CmpOp,
        value: f64,
    },
    Bool(bool),
    Null,
    Exists(bool),
    Regex(regex::bytes::Regex),
    Cidr(Cidr),
    FieldRef {
        other: SlotId,
        position: Position,
        cased: bool,
    },
    Time {
        part: TimePart,
        op: CmpOp,
        value: f64,
    },
    Not(Box<Matcher>),
}

/// A compiled field test (or keyword test when `slot` is `None`).
#[derive(Debug, Clone)]
pub struct Test {
    pub slot: Option<SlotId>,
    pub key: String,
    pub groups: Vec<Vec<Matcher>>,
    pub all: bool,
}

#[derive(Debug, Clone)]
pub enum CSearch {
    And(Vec<Test>),
    Or(Vec<CSearch>),
}

/// A compiled detection: its searches and condition.
#[derive(Debug, Clone)]
pub struct CDetection {
    pub searches: Vec<CSearch>,
    pub condition: CondExpr,
}

#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub meta: Arc<RuleMeta>,
    pub key: String,
    pub level: Level,
    pub detection: CDetection,
    /// Indices of the filters that may suppress this rule.
    pub filters: Vec<usize>,
    /// False for correlation building blocks that do not `generate`.
    pub reported: bool,
    /// Literals of which at least one must occur in the event for the rule to possibly match
    /// (`None`: no such set could be derived, always evaluate).
    pub prefilter: Option<Prefilter>,
}

/// Per Sigma field (or [`KEYWORD_SLOT`]), needle ids of which at least one must be present.
pub type Prefilter = Box<[(SlotId, Box<[u32]>)]>;

/// The slot standing for keyword searches in prefilter atoms.
pub const KEYWORD_SLOT: SlotId = SlotId::MAX;

#[derive(Debug, Clone)]
pub struct CompiledFilter {
    pub logsource: LogSource,
    pub detection: CDetection,
}
