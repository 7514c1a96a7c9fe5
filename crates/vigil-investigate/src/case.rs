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
    #[serde(deserialize_with = "when::deserialize")]
    pub aware_at: Option<Timestamp>,
    pub reported_by: Option<String>,
    pub assets: Vec<String>,
    pub data_categories: Vec<String>,
    /// Mailboxes the organisation knows were taken (in addition to what the logs show).
    pub mailboxes_exfiltrated: Vec<String>,
    /// Optional facts a person adds as the investigation goes on.
    #[serde(deserialize_with = "when::deserialize")]
    pub first_malicious_event: Option<Timestamp>,
    #[serde(deserialize_with = "when::deserialize")]
    pub notified_at: Option<Timestamp>,
    pub data_subjects: Option<String>,
    pub records: Option<String>,
    pub measures_taken: Vec<String>,
    pub subjects_informed: Option<String>,
    pub consequences: Option<String>,
}

/// A moment in an incident record, written as a person writes it in TOML: quoted
/// (`"2021-11-29T10:40:00Z"`) or as TOML's own date-time (`2021-11-29T10:40:00Z`). Either must carry
/// its offset: a local time would move the 72-hour deadline by the server's distance from UTC.
mod when {
    use jiff::Timestamp;
    use serde::de::{Deserialize, Deserializer, Error};

    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum When {
        Text(String),
        Toml(toml::value::Datetime),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let text = match Option::<When>::deserialize(d)? {
            None => return Ok(None),
            Some(When::Text(s)) => s,
            Some(When::Toml(dt)) => dt.to_string(),
        };
        text.trim().parse::<Timestamp>().map(Some).map_err(|_| {
            D::Error::custom(format!(
                "{text:?} is not a date and time with its offset from UTC: write it as \
                 2021-11-29T10:40:00Z or 2021-11-29T11:40:00+01:00"
            ))
        })
    }
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

    /// TOML's own date-times are accepted as well as quoted ones; a local time is refused, naming it.
    #[test]
    fn moments_quoted_or_native() {
        let quoted: IncidentRecord =
            toml::from_str("aware_at = \"2021-11-29T10:40:00Z\"\n").unwrap();
        let native: IncidentRecord = toml::from_str(
            "aware_at = 2021-11-29T11:40:00+01:00\nnotified_at = 2021-12-01T09:00:00Z\n",
        )
        .unwrap();
        assert_eq!(quoted.aware_at, native.aware_at);
        assert_eq!(native.notified_at, "2021-12-01T09:00:00Z".parse().ok());
        for text in [
            "aware_at = 2021-11-29T10:40:00\n",
            "aware_at = 2021-11-29\n",
            "aware_at = \"soon\"\n",
        ] {
            let err = toml::from_str::<IncidentRecord>(text)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("with its offset from UTC") && err.contains("line 1"),
                "{text}: {err}"
            );
        }
        let none: IncidentRecord = toml::from_str("title = \"x\"\n").unwrap();
        assert_eq!(none.aware_at, None);
    }

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
