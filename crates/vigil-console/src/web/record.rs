//! The fields of an incident record that the organisation fills in from the console (the controller,
//! the DPO, when it became aware, who and what is affected, what was done), as data: one table read by
//! the breach page's form, its read-only view and the API, with each field's kind and length bound.
//!
//! Values arrive as text (a form) or JSON (the API) and become a `vigil_investigate::IncidentRecord`
//! through its own deserialiser, so a moment is checked as `incident.toml` checks it. The record's
//! `id` and `assets` are not offered: a record saved here is keyed by its incident already, and an
//! asset list that missed the incident would keep its awareness time out of the draft.

use serde_json::{Map, Value};
use std::collections::HashMap;
use vigil_investigate::IncidentRecord;

/// How a field is entered and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One line of text.
    Line,
    /// A paragraph.
    Text,
    /// One item per line, stored as a list.
    List,
    /// A date and time with its offset from UTC.
    Moment,
}

/// One editable field of the record.
pub(crate) struct Spec {
    /// The record's key (as in `incident.toml`).
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    pub(crate) hint: &'static str,
    pub(crate) kind: Kind,
    /// Longest value, in characters.
    pub(crate) max: usize,
}

const LINE: usize = 500;
const TEXT: usize = 4_000;
const MOMENT: usize = 64;

/// The fields, in the order of the form.
#[rustfmt::skip]
pub(crate) const FIELDS: &[Spec] = &[
    Spec { key: "organisation", label: "Controller", hint: "name and address of the organisation responsible for the data", kind: Kind::Line, max: LINE },
    Spec { key: "controller_contact", label: "Controller's contact", hint: "contact person, phone and e-mail", kind: Kind::Line, max: LINE },
    Spec { key: "dpo_contact", label: "Data protection officer", hint: "name, phone and e-mail", kind: Kind::Line, max: LINE },
    Spec { key: "jurisdiction", label: "Jurisdiction", hint: "the law and supervisory authority that apply", kind: Kind::Line, max: LINE },
    Spec { key: "title", label: "Title", hint: "the incident in one line", kind: Kind::Line, max: LINE },
    Spec { key: "aware_at", label: "Aware of the breach at", hint: "starts the 72 hours: 2021-11-29T10:40:00Z, or with an offset (+01:00)", kind: Kind::Moment, max: MOMENT },
    Spec { key: "reported_by", label: "Reported by", hint: "who noticed it and how", kind: Kind::Line, max: LINE },
    Spec { key: "notified_at", label: "Authority notified at", hint: "when the notification was sent", kind: Kind::Moment, max: MOMENT },
    Spec { key: "first_malicious_event", label: "First malicious event", hint: "when known to be earlier than the logs show", kind: Kind::Moment, max: MOMENT },
    Spec { key: "data_categories", label: "Categories of personal data", hint: "one per line", kind: Kind::List, max: TEXT },
    Spec { key: "data_subjects", label: "People affected", hint: "categories and approximate number", kind: Kind::Text, max: TEXT },
    Spec { key: "records", label: "Records affected", hint: "approximate number of records", kind: Kind::Text, max: TEXT },
    Spec { key: "mailboxes_exfiltrated", label: "Mailboxes known to be taken", hint: "one per line, beyond what the logs show", kind: Kind::List, max: TEXT },
    Spec { key: "consequences", label: "Likely consequences", hint: "the controller's assessment of the risk to the people affected", kind: Kind::Text, max: TEXT },
    Spec { key: "measures_taken", label: "Measures taken", hint: "one per line", kind: Kind::List, max: TEXT },
    Spec { key: "subjects_informed", label: "People informed", hint: "whether, when and how the people affected were told", kind: Kind::Text, max: TEXT },
];

/// A field's value as text, the way the form shows it (a list one item per line).
pub(crate) fn text_of(record: &Value, key: &str) -> String {
    match record.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Every field's text, from a record.
pub(crate) fn texts(record: &IncidentRecord) -> HashMap<String, String> {
    let json = serde_json::to_value(record).unwrap_or(Value::Null);
    FIELDS
        .iter()
        .map(|f| (f.key.to_string(), text_of(&json, f.key)))
        .collect()
}

/// The record from the fields' texts (missing ones empty), or what is wrong, one message per field.
pub(crate) fn parse(texts: &HashMap<String, String>) -> Result<IncidentRecord, Vec<String>> {
    let mut map = Map::new();
    let mut wrong = Vec::new();
    for f in FIELDS {
        let raw = texts.get(f.key).map(String::as_str).unwrap_or_default();
        let chars = raw.chars().count();
        if chars > f.max {
            wrong.push(format!(
                "{}: {chars} characters, at most {} are kept",
                f.label, f.max
            ));
            continue;
        }
        // Browsers send a textarea's line ends as CR LF; other control characters (an escape
        // sequence sent through the API) have no place in a notice and become spaces.
        let value: String = raw
            .replace("\r\n", "\n")
            .chars()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect();
        let value = value.trim();
        let v = match f.kind {
            Kind::List => Value::Array(
                value
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_string()))
                    .collect(),
            ),
            _ if value.is_empty() => Value::Null,
            Kind::Line => Value::String(value.split_whitespace().collect::<Vec<_>>().join(" ")),
            Kind::Text => Value::String(value.to_string()),
            Kind::Moment => match value.parse::<jiff::Timestamp>() {
                Ok(t) => Value::String(t.to_string()),
                Err(_) => {
                    wrong.push(format!(
                        "{}: {value:?} is not a date and time with its offset from UTC; write it as \
                         2021-11-29T10:40:00Z or 2021-11-29T11:40:00+01:00",
                        f.label
                    ));
                    continue;
                }
            },
        };
        map.insert(f.key.to_string(), v);
    }
    if !wrong.is_empty() {
        return Err(wrong);
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| vec![e.to_string()])
}

/// The fields' texts from an API body: an object of the fields, each a string, a list of strings
/// (for lists) or null; any other key, or shape, is refused naming it.
pub(crate) fn texts_of_json(body: &Value) -> Result<HashMap<String, String>, String> {
    let Some(obj) = body.as_object() else {
        return Err("the body is not a JSON object of the record's fields".into());
    };
    let mut out = HashMap::new();
    for (key, v) in obj {
        let Some(f) = FIELDS.iter().find(|f| f.key == key) else {
            return Err(format!(
                "{key:?} is not a field of the record (fields: {})",
                FIELDS.iter().map(|f| f.key).collect::<Vec<_>>().join(", ")
            ));
        };
        let text = match (v, f.kind) {
            (Value::Null, _) => String::new(),
            (Value::String(s), _) => s.clone(),
            (Value::Array(items), Kind::List) => {
                let mut lines = Vec::with_capacity(items.len());
                for i in items {
                    match i.as_str() {
                        // An item is one line: a line end inside it would split it in two.
                        Some(s) => lines.push(s.replace(['\r', '\n'], " ")),
                        None => return Err(format!("{key}: every item must be a string")),
                    }
                }
                lines.join("\n")
            }
            _ => {
                return Err(format!(
                    "{key}: expected {}",
                    if f.kind == Kind::List {
                        "a list of strings"
                    } else {
                        "a string or null"
                    }
                ));
            }
        };
        out.insert(key.clone(), text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn texts_become_a_record_and_back() {
        let r = parse(&form(&[
            ("organisation", "  Harbour   Clinic\r\n"),
            ("aware_at", "2021-11-29T11:40:00+01:00"),
            ("measures_taken", "reset passwords\r\n\r\n patched \r\n"),
            ("consequences", "line one\r\nline\u{1b}[31m two"),
        ]))
        .unwrap();
        assert_eq!(r.organisation.as_deref(), Some("Harbour Clinic"));
        assert_eq!(r.aware_at, "2021-11-29T10:40:00Z".parse().ok());
        assert_eq!(r.measures_taken, ["reset passwords", "patched"]);
        assert_eq!(r.consequences.as_deref(), Some("line one\nline [31m two"));
        assert_eq!(r.dpo_contact, None);
        let t = texts(&r);
        assert_eq!(t["measures_taken"], "reset passwords\npatched");
        assert_eq!(t["aware_at"], "2021-11-29T10:40:00Z");
        assert_eq!(parse(&t).unwrap(), r);
    }

    #[test]
    fn overlong_and_unreadable_values_are_named() {
        let long = "x".repeat(LINE + 1);
        let err = parse(&form(&[
            ("dpo_contact", &long),
            ("aware_at", "yesterday"),
            ("notified_at", "2021-11-29T10:40:00"),
        ]))
        .unwrap_err();
        assert_eq!(err.len(), 3, "{err:?}");
        assert!(
            err[0].starts_with("Data protection officer: 501 characters"),
            "{err:?}"
        );
        assert!(err[1].contains("\"yesterday\""), "{err:?}");
        // Characters, not bytes: 500 two-byte letters fit.
        assert!(parse(&form(&[("title", &"é".repeat(LINE))])).is_ok());
    }

    #[test]
    fn api_bodies_name_what_is_wrong() {
        let ok = texts_of_json(&serde_json::json!({
            "organisation": "A", "dpo_contact": null, "measures_taken": ["a", "b\nc"]
        }))
        .unwrap();
        assert_eq!(ok["measures_taken"], "a\nb c");
        assert_eq!(ok["dpo_contact"], "");
        for (body, want) in [
            (
                serde_json::json!({"assets": ["x"]}),
                "\"assets\" is not a field",
            ),
            (
                serde_json::json!({"organisation": 3}),
                "organisation: expected a string",
            ),
            (
                serde_json::json!({"measures_taken": [1]}),
                "every item must be a string",
            ),
            (serde_json::json!([1]), "not a JSON object"),
        ] {
            let err = texts_of_json(&body).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }
}
