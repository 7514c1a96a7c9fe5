//! The text of a detection shared by the hunt renderers: its time, the record it cites, its rule's
//! author. Values come from logs and rules and stay untrusted: each renderer escapes them for where
//! they go.

use jiff::Timestamp;
use vigil_hunt::RuleMeta;
use vigil_model::Detection;

/// A time as the hunt renderers print it (UTC, seconds), or `-`.
pub(crate) fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into())
}

/// The record a detection cites: `file:line 12`, with how many more for a correlation.
pub(crate) fn evidence(d: &Detection) -> String {
    match d.sources.as_slice() {
        [] => String::new(),
        [one] => format!("{}:{}", one.file, one.record),
        [first, rest @ ..] => format!("{}:{} (+{} more)", first.file, first.record, rest.len()),
    }
}

/// The rule's author, or an empty string.
pub(crate) fn author(rule: Option<&RuleMeta>) -> &str {
    rule.and_then(|m| m.author.as_deref()).unwrap_or("")
}
