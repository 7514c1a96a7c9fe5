//! What an investigation keeps between runs: detections (and the triage that dismissed some), incidents,
//! and the remedial actions that follow. Plain values, shared by every back end.
//!
//! Detections are kept so that `vigil investigate` can regroup them later (with another window, after a
//! new hunt) without reading the logs again; incidents are kept so that their ids, once given to a
//! regulator or an insurer, stay stable, and so that their status can be tracked.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use vigil_model::{Detection, Level};

/// A detection as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDetection {
    pub detection: Detection,
    /// When it was first stored.
    pub stored_at: Timestamp,
    /// Why a person dismissed it as a false positive; `None` while it stands.
    pub dismissed: Option<String>,
}

/// An incident as stored: the facts a list needs, plus the investigation's summary as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub id: String,
    pub asset: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub level: Level,
    pub detections: usize,
    /// The entry point in one line (rule title and time), when one was found.
    pub entry_point: Option<String>,
    /// `open` until a person closes it.
    pub status: String,
    /// When the incident was first stored (kept across updates).
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub summary: serde_json::Value,
}

/// The incident record the organisation keeps for an incident (who the controller and DPO are, when it
/// became aware, how many people are affected), as the JSON object of `vigil_investigate::IncidentRecord`:
/// the store keeps it whole and compares it field by field, without knowing the fields.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub incident: String,
    /// A JSON object, one key per field.
    pub record: serde_json::Value,
    /// Who saved it last, as the trail names them.
    pub saved_by: String,
    pub saved_at: Timestamp,
}

/// Largest incident record kept, as JSON.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// The fields (top-level keys) whose values differ between two records, in key order. A key missing,
/// `null`, an empty string and an empty list are all an empty field: a first save names only the
/// fields filled in.
pub fn changed_fields(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    fn filled<'a>(m: Option<&'a serde_json::Map<String, Value>>, k: &str) -> Option<&'a Value> {
        m.and_then(|m| m.get(k)).filter(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        })
    }
    let (old, new) = (old.as_object(), new.as_object());
    let keys: std::collections::BTreeSet<&String> = old
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(new.into_iter().flat_map(|m| m.keys()))
        .collect();
    keys.into_iter()
        .filter(|k| filled(old, k) != filled(new, k))
        .map(|k| k.to_string())
        .collect()
}

/// An exception to be recorded: a finding of an asset ignored with a reason until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewException {
    pub asset: String,
    /// An advisory id, alias or KB (as an ignore file's `id`).
    pub advisory: String,
    /// Only this package, when given.
    pub package: Option<String>,
    pub reason: String,
    /// The first day it no longer applies.
    pub expires: Date,
}

/// An exception as stored, with who made it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingException {
    pub id: i64,
    pub asset: String,
    pub advisory: String,
    pub package: Option<String>,
    pub reason: String,
    pub expires: Date,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// Whether a remedial action is still to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    Done,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
        }
    }
}

/// A remedial action to record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewAction {
    pub action: String,
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub incident: Option<String>,
    pub asset: Option<String>,
}

/// A remedial action as stored (and as the console's API gives it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemedialAction {
    pub id: i64,
    pub action: String,
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub incident: Option<String>,
    pub asset: Option<String>,
    pub status: ActionStatus,
    pub created_at: Timestamp,
    pub done_at: Option<Timestamp>,
    pub note: Option<String>,
}

impl RemedialAction {
    /// Days past its due date on `today` (positive: overdue); `None` without a due date or once done.
    pub fn days_overdue(&self, today: Date) -> Option<i64> {
        if self.status == ActionStatus::Done {
            return None;
        }
        let due = self.due?;
        due.until(today).ok().map(|s| i64::from(s.get_days()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_fields_compare_values_and_treat_missing_as_null() {
        let old = json!({"organisation": "A", "dpo_contact": null, "measures_taken": ["x"]});
        let new = json!({"organisation": "A", "dpo_contact": "D", "measures_taken": ["x", "y"], "title": null});
        assert_eq!(
            changed_fields(&old, &new),
            ["dpo_contact", "measures_taken"]
        );
        assert!(changed_fields(&new, &new).is_empty());
        assert_eq!(
            changed_fields(
                &json!(null),
                &json!({"title": "t", "assets": [], "dpo_contact": ""})
            ),
            ["title"]
        );
    }
}
