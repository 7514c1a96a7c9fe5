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
    /// Which generation of the file the record was read from, when its path is reused while it is
    /// followed (rotation by rename, copy-truncate): line 1 of today's `mail.log` is not line 1 of
    /// yesterday's. Set by the live tailer; `None` for files read whole, where the path and record
    /// identify the record. Not shown to users: reports cite `file` and `record`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
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
    /// The original text of a line-based record (a log line, a JSON object), for keyword searches
    /// and evidence, bounded to [`RawRecord::MAX_BYTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawRecord>,
}

impl Event {
    pub fn get(&self, field: &str) -> Option<&FieldValue> {
        self.fields.get(field)
    }
}

/// The original text of a record, kept with its event so that evidence can be cited without reading
/// the file again. At most [`RawRecord::MAX_BYTES`] of it are kept, cut on a character boundary: an
/// event's memory must not grow with a hostile line (a text log line may be up to a mebibyte). The
/// field map still holds every value in full, so searches lose nothing that lies within one field.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawRecord {
    text: Box<str>,
    /// Bytes of the original text left out after `text`.
    cut: u64,
}

impl RawRecord {
    /// Most bytes of a record's text kept.
    pub const MAX_BYTES: usize = 4096;

    /// The first [`RawRecord::MAX_BYTES`] of `text` (fewer when the limit falls inside a character).
    pub fn new(text: &str) -> RawRecord {
        if text.len() <= Self::MAX_BYTES {
            return RawRecord {
                text: Box::from(text),
                cut: 0,
            };
        }
        let mut end = Self::MAX_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let kept = text.get(..end).unwrap_or_default();
        RawRecord {
            text: Box::from(kept),
            cut: (text.len() - end) as u64,
        }
    }

    /// The text kept (without the cut marker): what keyword searches look at.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Bytes of the original record left out, 0 when it was kept whole.
    pub fn cut_bytes(&self) -> u64 {
        self.cut
    }
}

impl std::ops::Deref for RawRecord {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl From<&str> for RawRecord {
    fn from(s: &str) -> Self {
        RawRecord::new(s)
    }
}

impl From<String> for RawRecord {
    fn from(s: String) -> Self {
        if s.len() <= Self::MAX_BYTES {
            // Reuses the allocation when it holds no spare capacity.
            return RawRecord {
                text: s.into_boxed_str(),
                cut: 0,
            };
        }
        RawRecord::new(&s)
    }
}

/// The text, followed by `[… N bytes cut]` when the record was longer than the limit.
impl fmt::Display for RawRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        if self.cut > 0 {
            write!(f, " [… {} bytes cut]", self.cut)?;
        }
        Ok(())
    }
}

impl fmt::Debug for RawRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// Serialised as its [`Display`](fmt::Display) text, so a reader of the JSON sees that it was cut.
impl Serialize for RawRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RawRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(RawRecord::from(s))
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

#[cfg(test)]
mod tests {
    use super::RawRecord;

    #[test]
    fn short_text_is_kept_whole() {
        let r = RawRecord::new("Aug 12 23:50:41 mx1 sshd[1]: hello");
        assert_eq!(r.as_str(), "Aug 12 23:50:41 mx1 sshd[1]: hello");
        assert_eq!(r.cut_bytes(), 0);
        assert_eq!(r.to_string(), r.as_str());
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary_with_a_marker() {
        // 'é' is two bytes: the limit falls inside one at an odd offset.
        let text = format!("x{}", "é".repeat(RawRecord::MAX_BYTES));
        let r = RawRecord::new(&text);
        assert!(r.as_str().len() <= RawRecord::MAX_BYTES);
        assert!(text.starts_with(r.as_str()));
        assert_eq!(r.as_str().len() as u64 + r.cut_bytes(), text.len() as u64);
        assert!(
            r.to_string()
                .ends_with(&format!("[… {} bytes cut]", r.cut_bytes()))
        );
        let from_string = RawRecord::from(text.clone());
        assert_eq!(from_string, r);
    }

    #[test]
    fn serialises_as_its_displayed_text() {
        let r = RawRecord::new(&"a".repeat(RawRecord::MAX_BYTES + 10));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.ends_with("[… 10 bytes cut]\""));
        let back: RawRecord = serde_json::from_str(&json).unwrap();
        assert!(back.len() <= RawRecord::MAX_BYTES);
    }
}
