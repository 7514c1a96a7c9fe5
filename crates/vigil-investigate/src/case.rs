//! The incident record a person keeps: who the controller is, when the organisation became aware, what
//! it already knows (`examples/*/incident.toml`).
//!
//! Values in angle brackets (`<data protection officer name, phone, e-mail>`) are placeholders the
//! organisation has not filled in yet; they are treated as absent, so the breach draft asks for them
//! instead of printing the placeholder as a fact.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentRecord {
    pub id: Option<String>,
    pub title: Option<String>,
    /// The controller (the organisation responsible for the personal data).
    pub organisation: Option<String>,
    pub jurisdiction: Option<String>,
    pub controller_contact: Option<String>,
    pub dpo_contact: Option<String>,
    /// When the organisation became aware of the breach: the 72-hour clock starts here.
    pub aware_at: Option<Timestamp>,
    pub reported_by: Option<String>,
    pub assets: Vec<String>,
    pub data_categories: Vec<String>,
    /// Mailboxes the organisation knows were taken (in addition to what the logs show).
    pub mailboxes_exfiltrated: Vec<String>,
    /// Optional facts a person adds as the investigation goes on.
    pub first_malicious_event: Option<Timestamp>,
    pub notified_at: Option<Timestamp>,
    pub data_subjects: Option<String>,
    pub records: Option<String>,
    pub measures_taken: Vec<String>,
    pub subjects_informed: Option<String>,
    pub consequences: Option<String>,
}

/// The value if a person filled it in: not empty and not an `<…>` placeholder.
pub fn provided(v: &Option<String>) -> Option<&str> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !is_placeholder(s))
}

/// `<practice manager name, phone, e-mail>`.
pub fn is_placeholder(s: &str) -> bool {
    let s = s.trim();
    s.starts_with('<') && s.ends_with('>')
}

/// The text inside a placeholder, to reuse as the prompt.
pub fn placeholder_hint(v: &Option<String>) -> Option<&str> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| is_placeholder(s))
        .and_then(|s| s.strip_prefix('<'))
        .and_then(|s| s.strip_suffix('>'))
}

/// The list without placeholders and blanks.
pub fn provided_list(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && !is_placeholder(s))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_absent() {
        let p = Some("<dpo name, phone>".to_string());
        assert_eq!(provided(&p), None);
        assert_eq!(placeholder_hint(&p), Some("dpo name, phone"));
        assert_eq!(provided(&Some(" Jane ".into())), Some("Jane"));
        assert_eq!(provided(&Some("  ".into())), None);
        assert_eq!(
            provided_list(&["<x>".into(), "a".into(), "".into()]),
            vec!["a"]
        );
    }
}
