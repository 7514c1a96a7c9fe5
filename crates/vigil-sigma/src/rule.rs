//! What a parsed rule file holds: detection rules, correlation rules and filters.
//!
//! These are plain data, independent of any field mapping; [`crate::Engine::compile`] turns
//! them into matchers.

use crate::cidr::Cidr;
use crate::condition::CondExpr;
use crate::sigmastr::SigmaString;
use serde::{Deserialize, Serialize};
use vigil_model::{Level, LogSource};

/// A `related` entry: another rule this one derives from, obsoletes, …
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Related {
    pub id: String,
    pub kind: String,
}

/// The descriptive part shared by rules, correlations and filters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RuleMeta {
    pub id: Option<String>,
    pub name: Option<String>,
    pub title: String,
    pub status: Option<String>,
    pub description: Option<String>,
    pub level: Option<Level>,
    pub tags: Vec<String>,
    /// (Serialized as a plain tuple: `LogSource`'s own serde form omits empty keys, which the
    /// binary rule cache cannot read back.)
    #[serde(with = "logsource_tuple")]
    pub logsource: LogSource,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    pub related: Vec<Related>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub modified: Option<String>,
    pub fields: Vec<String>,
    /// Where the rule came from: `file` or `file#document`.
    pub origin: String,
}

impl RuleMeta {
    /// The identifier detections carry: the `id`, else the `name`, else the origin.
    pub fn key(&self) -> String {
        self.id
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.origin.clone())
    }
}

/// A single-event detection rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Rule {
    pub meta: RuleMeta,
    pub detection: DetectionSpec,
}

/// A rule's `detection` section: named searches and the condition over them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DetectionSpec {
    pub names: Vec<String>,
    pub searches: Vec<Search>,
    pub condition: CondExpr,
}

/// A search identifier's body: a map is an AND of field tests, a list an OR of its items.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Search {
    And(Vec<FieldTest>),
    Or(Vec<Search>),
}

/// One `field|modifiers: values` entry, or a keyword list when `field` is `None`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldTest {
    /// The Sigma field name; `None` for keyword searches over the whole event.
    pub field: Option<String>,
    /// The key as written, for messages and match reports.
    pub key: String,
    /// One group per authored value; a group's alternatives are ORed (they come from
    /// `windash`, `base64offset` or `expand`). Groups are ORed, or ANDed when `all` is set.
    pub groups: Vec<Vec<ValuePattern>>,
    pub all: bool,
}

/// How a value compares: `lt`, `lte`, `gt`, `gte` or equality.
#[derive(Debug, Clone, Serialize, Deserialize, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
    Eq,
}

impl CmpOp {
    pub fn test(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Lte => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Gte => a >= b,
            CmpOp::Eq => a == b,
        }
    }
}

/// The time modifiers: which part of a timestamp field is compared.
#[derive(Debug, Clone, Serialize, Deserialize, Copy, PartialEq, Eq)]
pub enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// Where a literal must sit in the field for `fieldref` comparisons.
#[derive(Debug, Clone, Serialize, Deserialize, Copy, PartialEq, Eq)]
pub enum Position {
    Whole,
    Start,
    End,
    Anywhere,
}

/// One value a field is compared with, after all modifiers were applied.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum ValuePattern {
    /// Text match with wildcards; case-insensitive unless `cased`.
    Str {
        pattern: SigmaString,
        cased: bool,
    },
    /// A plain number: equal as a number, or equal to its text.
    Num {
        value: f64,
        text: String,
    },
    /// `lt`/`lte`/`gt`/`gte` against a numeric field (or text that parses as a number).
    Cmp {
        op: CmpOp,
        value: f64,
    },
    /// A boolean: matches booleans and the words `true`/`false`.
    Bool(bool),
    /// `null`: the field is missing or null.
    Null,
    /// `exists: true/false`.
    Exists(bool),
    /// `re` with its flags already folded into the pattern (`(?i)` …).
    Regex(String),
    Cidr(Cidr),
    /// `fieldref`: compare with the value of another field of the same event.
    FieldRef {
        other: String,
        position: Position,
        cased: bool,
    },
    /// A time modifier: extract a part of the field's timestamp and compare it.
    Time {
        part: TimePart,
        op: CmpOp,
        value: f64,
    },
    /// `neq`: the inner value does not match.
    Not(Box<ValuePattern>),
}

/// Correlation types of the specification, and vigil's extensions (`vigil_*`, see
/// [`crate::extensions`]).
#[derive(Debug, Clone, Serialize, Deserialize, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    ValueSum,
    ValueAvg,
    ValuePercentile,
    /// vigil extension: a group's first sight of a value, once the group has history.
    VigilNewValue,
    /// vigil extension: a group's count in a window against its own previous windows.
    VigilBaseline,
    /// vigil extension: events of a group that an earlier detection marked, for as long as the
    /// mark is remembered, reported once per wave.
    VigilMarked,
}

impl CorrelationType {
    pub fn parse(s: &str) -> Option<CorrelationType> {
        Some(match s {
            "event_count" => CorrelationType::EventCount,
            "value_count" => CorrelationType::ValueCount,
            "temporal" => CorrelationType::Temporal,
            "temporal_ordered" => CorrelationType::TemporalOrdered,
            "value_sum" => CorrelationType::ValueSum,
            "value_avg" => CorrelationType::ValueAvg,
            "value_percentile" => CorrelationType::ValuePercentile,
            "vigil_new_value" => CorrelationType::VigilNewValue,
            "vigil_baseline" => CorrelationType::VigilBaseline,
            "vigil_marked" => CorrelationType::VigilMarked,
            _ => return None,
        })
    }

    /// The name as written in rules.
    pub fn name(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
            CorrelationType::ValueSum => "value_sum",
            CorrelationType::ValueAvg => "value_avg",
            CorrelationType::ValuePercentile => "value_percentile",
            CorrelationType::VigilNewValue => "vigil_new_value",
            CorrelationType::VigilBaseline => "vigil_baseline",
            CorrelationType::VigilMarked => "vigil_marked",
        }
    }

    /// True for vigil's own types, which other Sigma engines do not know.
    pub fn is_vigil_extension(self) -> bool {
        matches!(
            self,
            CorrelationType::VigilNewValue
                | CorrelationType::VigilBaseline
                | CorrelationType::VigilMarked
        )
    }

    /// Types whose condition needs a `field`.
    pub fn needs_field(self) -> bool {
        matches!(
            self,
            CorrelationType::ValueCount
                | CorrelationType::ValueSum
                | CorrelationType::ValueAvg
                | CorrelationType::ValuePercentile
        )
    }
}

/// A correlation condition: one or two bounds, all of which must hold.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct CorrelationCondition {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub eq: Option<f64>,
    pub neq: Option<f64>,
    /// The field(s) `value_*` types aggregate; several fields form one combined value.
    pub field: Vec<String>,
}

impl CorrelationCondition {
    pub fn holds(&self, x: f64) -> bool {
        self.gt.is_none_or(|v| x > v)
            && self.gte.is_none_or(|v| x >= v)
            && self.lt.is_none_or(|v| x < v)
            && self.lte.is_none_or(|v| x <= v)
            && self.eq.is_none_or(|v| x == v)
            && self.neq.is_none_or(|v| x != v)
    }

    /// True when the condition can hold for a window that later grows (only lower bounds):
    /// such conditions are decided as soon as an event arrives.
    pub fn only_lower_bounds(&self) -> bool {
        self.lt.is_none() && self.lte.is_none() && self.eq.is_none() && self.neq.is_none()
    }

    pub fn has_bounds(&self) -> bool {
        self.gt.is_some()
            || self.gte.is_some()
            || self.lt.is_some()
            || self.lte.is_some()
            || self.eq.is_some()
            || self.neq.is_some()
    }
}

/// A correlation rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Correlation {
    pub meta: RuleMeta,
    pub kind: CorrelationType,
    /// Referenced rules or correlations, by id or name.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    /// Window length in seconds.
    pub timespan_secs: i64,
    pub condition: CorrelationCondition,
    /// alias → (rule id or name → field).
    pub aliases: Vec<(String, Vec<(String, String)>)>,
    /// Whether the referenced rules also report their own matches.
    pub generate: bool,
    /// The parameters of a vigil extension type (`None` for the Sigma types).
    pub extension: Option<crate::extensions::ExtensionParams>,
}

/// A meta filter: excludes matches of the named rules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Filter {
    pub meta: RuleMeta,
    /// Rule ids or names the filter applies to.
    pub rules: Vec<String>,
    pub detection: DetectionSpec,
}

/// Everything loaded from rule files.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub correlations: Vec<Correlation>,
    pub filters: Vec<Filter>,
}

impl RuleSet {
    pub fn len(&self) -> usize {
        self.rules.len() + self.correlations.len() + self.filters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds the contents of another set (for example rules parsed from a string).
    pub fn extend(&mut self, other: RuleSet) {
        self.rules.extend(other.rules);
        self.correlations.extend(other.correlations);
        self.filters.extend(other.filters);
    }
}

/// `LogSource` as `(product, category, service)`, for formats that cannot skip fields.
mod logsource_tuple {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use vigil_model::LogSource;

    type Tuple = (Option<String>, Option<String>, Option<String>);

    pub fn serialize<S: Serializer>(ls: &LogSource, s: S) -> Result<S::Ok, S::Error> {
        (&ls.product, &ls.category, &ls.service).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LogSource, D::Error> {
        let (product, category, service) = Tuple::deserialize(d)?;
        Ok(LogSource {
            product,
            category,
            service,
        })
    }
}
