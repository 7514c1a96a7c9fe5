//! Log events as every reader yields them, and the detections Sigma rules raise on them.

use crate::severity::Level;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Sigma's `logsource`: which rules apply to an event. Values are lowercase, as in SigmaHQ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct LogSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl LogSource {
    pub fn new(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> Self {
        LogSource {
            product: product.map(str::to_string),
            category: category.map(str::to_string),
            service: service.map(str::to_string),
        }
    }
}

/// Where in its file a record was: the evidence a detection cites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordRef {
    /// EVTX `EventRecordID`.
    EvtxRecord(u64),
    /// 1-based line number in a text log.
    Line(u64),
    /// Byte offset, for formats with neither.
    Offset(u64),
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::EvtxRecord(n) => write!(f, "record {n}"),
            RecordRef::Line(n) => write!(f, "line {n}"),
            RecordRef::Offset(n) => write!(f, "offset {n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    pub file: String,
    pub record: RecordRef,
}

/// A field value. Logs are mostly strings; EVTX and JSON also carry numbers, booleans, nulls and lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// The value as text, the way Sigma compares strings against it (`None` for null and lists).
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            FieldValue::Str(s) => Some(Cow::Borrowed(s)),
            FieldValue::Int(i) => Some(Cow::Owned(i.to_string())),
            FieldValue::Float(x) => Some(Cow::Owned(x.to_string())),
            FieldValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            FieldValue::Null | FieldValue::List(_) => None,
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Str(s.to_string())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Str(s)
    }
}

/// One log record, normalised: a field map plus where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub logsource: LogSource,
    pub source: SourceRef,
    pub fields: BTreeMap<String, FieldValue>,
    /// The original text of a line-based record, for keyword searches and evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl Event {
    pub fn get(&self, field: &str) -> Option<&FieldValue> {
        self.fields.get(field)
    }
}

/// A rule matched an event (or a correlation matched a group of events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub rule_id: String,
    pub rule_title: String,
    pub level: Level,
    /// Tags as written in the rule: `attack.t1190`, `cve.2021-34473`, …
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// For a correlation: the time of the earliest event behind it (`timestamp` is when it fired). An
    /// investigation dates the start of the activity from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The records behind the detection: one for a single-event rule, several for a correlation.
    pub sources: Vec<SourceRef>,
    /// The fields the rule tested, with the values that matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<(String, String)>,
}
