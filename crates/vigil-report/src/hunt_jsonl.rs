//! Hunt results as JSON lines: one object per detection as it is found (the model's `Detection`
//! with `"type": "detection"` and the rule's author), then one `"type": "suppressed"` object per rule
//! whose detections the per-rule cap held back. JSON escaping makes log content safe.

use crate::hunt_fields::author;
use serde_json::{Value, json};
use std::io::{self, Write};
use vigil_hunt::{DetectionSink, HuntSummary, RuleMeta, RuleTally};
use vigil_model::Detection;

/// Writes JSON lines to `out`.
pub struct JsonlSink<W: Write> {
    out: W,
}

impl<W: Write> JsonlSink<W> {
    pub fn new(out: W) -> Self {
        JsonlSink { out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> DetectionSink for JsonlSink<W> {
    fn detection(&mut self, d: &Detection, rule: Option<&RuleMeta>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &detection_json(d, rule))?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self, summary: &HuntSummary) -> io::Result<()> {
        for tally in summary.capped() {
            serde_json::to_writer(&mut self.out, &suppressed_json(tally, summary.max_per_rule))?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }
}

/// A detection as vigil's hunt JSON shows it.
pub(crate) fn detection_json(d: &Detection, rule: Option<&RuleMeta>) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("type".into(), Value::from("detection"));
        obj.insert("rule_author".into(), Value::from(author(rule)));
    }
    v
}

/// The row of a rule whose detections the cap held back.
pub(crate) fn suppressed_json(t: &RuleTally, max_per_rule: usize) -> Value {
    json!({
        "type": "suppressed",
        "rule_id": t.rule_id,
        "rule_title": t.rule_title,
        "rule_author": t.rule_author.as_deref().unwrap_or(""),
        "level": t.level,
        "found": t.found,
        "reported": t.reported,
        "suppressed": t.suppressed(),
        "max_per_rule": max_per_rule,
        "first_seen": t.suppressed_first.map(|x| x.to_string()),
        "last_seen": t.suppressed_last.map(|x| x.to_string()),
    })
}
