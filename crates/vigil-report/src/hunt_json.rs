//! Hunt results as one JSON document, schema `vigil.hunt/1`, written as the hunt goes: the
//! `detections` array element by element as they are found, everything else once the hunt is over.
//!
//! ```json
//! {
//!   "schema": "vigil.hunt/1",
//!   "detections": [
//!     { "type": "detection", "rule_id": "…", "rule_title": "…", "rule_author": "…", "level": "high",
//!       "timestamp": "…", "host": "…", "sources": [{ "file": "…", "record": { "line": 12 } }],
//!       "matched": [["client_ip", "203.0.113.7"]] }
//!   ],
//!   "suppressed": [
//!     { "type": "suppressed", "rule_id": "…", "rule_title": "…", "level": "low", "found": 5000,
//!       "reported": 1000, "suppressed": 4000, "max_per_rule": 1000,
//!       "first_seen": "…", "last_seen": "…" }
//!   ],
//!   "files": [{ "path": "…", "format": "syslog", "events": 5000, "failed": 0, "notes": [] }],
//!   "events_read": 5000,
//!   "records_failed": 0,
//!   "rules_not_loaded": [],
//!   "summary": { "events_evaluated": 5000, "detections": 5000, "reported": 1000,
//!                "by_level": { "low": 5000 }, "rules": [ … ], "correlation": { … } }
//! }
//! ```
//!
//! Within `vigil.hunt/1` keys are only ever added. Detections are in the order the hunt found
//! them (see `vigil_hunt::DetectionSink`), not sorted.

use crate::hunt_jsonl::{detection_json, suppressed_json};
use serde_json::Value;
use std::io::{self, Write};
use vigil_hunt::{DetectionSink, HuntPlan, HuntSummary, RuleMeta};
use vigil_model::Detection;

pub const SCHEMA: &str = "vigil.hunt/1";

/// Writes the document to `out`.
pub struct JsonSink<W: Write> {
    out: W,
    rules_not_loaded: Option<Vec<String>>,
    detections: u64,
}

impl<W: Write> JsonSink<W> {
    /// `rules_not_loaded`: why rules could not be used (`None` when no rules were loaded at all,
    /// as in a parse-only run).
    pub fn new(out: W, rules_not_loaded: Option<Vec<String>>) -> Self {
        JsonSink {
            out,
            rules_not_loaded,
            detections: 0,
        }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn key(&mut self, name: &str, value: &Value) -> io::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        write!(self.out, ",\n  \"{name}\": {}", text.replace('\n', "\n  "))
    }
}

impl<W: Write> DetectionSink for JsonSink<W> {
    fn begin(&mut self, _plan: &HuntPlan) -> io::Result<()> {
        write!(
            self.out,
            "{{\n  \"schema\": \"{SCHEMA}\",\n  \"detections\": ["
        )
    }

    fn detection(&mut self, d: &Detection, rule: Option<&RuleMeta>) -> io::Result<()> {
        let sep = if self.detections == 0 {
            "\n    "
        } else {
            ",\n    "
        };
        self.out.write_all(sep.as_bytes())?;
        serde_json::to_writer(&mut self.out, &detection_json(d, rule))?;
        self.detections += 1;
        Ok(())
    }

    fn finish(&mut self, summary: &HuntSummary) -> io::Result<()> {
        let close = if self.detections == 0 { "]" } else { "\n  ]" };
        self.out.write_all(close.as_bytes())?;
        let suppressed: Vec<Value> = summary
            .capped()
            .map(|t| suppressed_json(t, summary.max_per_rule))
            .collect();
        self.key("suppressed", &Value::from(suppressed))?;
        self.key("files", &serde_json::to_value(&summary.files)?)?;
        self.key("events_read", &Value::from(summary.events_read))?;
        self.key("records_failed", &Value::from(summary.records_failed))?;
        let not_loaded = self.rules_not_loaded.clone().map(Value::from);
        self.key("rules_not_loaded", &not_loaded.unwrap_or(Value::Null))?;
        let mut rest = serde_json::to_value(summary)?;
        if let Some(obj) = rest.as_object_mut() {
            // Already above.
            for k in ["files", "events_read", "records_failed"] {
                obj.remove(k);
            }
        }
        self.key("summary", &rest)?;
        self.out.write_all(b"\n}\n")?;
        self.out.flush()
    }
}
