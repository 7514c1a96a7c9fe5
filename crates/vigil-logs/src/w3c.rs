//! IIS W3C extended logs (`u_exYYMMDD.log`): `#Fields:` names the space-separated columns and may
//! change mid-file (after a restart or configuration change), so every record is read with the
//! latest `#Fields:`. `-` is an empty value (kept as null), `+` stands for a space in
//! `cs(User-Agent)` and `cs(Cookie)`, and `date`/`time` are UTC.
//!
//! Fields keep their W3C names. Two fields are derived: `c-net`, the `/24` or `/64` network of
//! `c-ip` (see [`crate::net`]), and `c-uri`, the whole request target
//! (`cs-uri-stem` + `?` + `cs-uri-query`), because SigmaHQ's webserver rules match paths in
//! `cs-uri-query` (the full URI in Sigma's taxonomy) while IIS splits them; the mapping file maps
//! Sigma's `cs-uri-query` to `c-uri`.
//!
//! Logsource: `category: webserver`, as all SigmaHQ webserver rules use (they name no product).

use crate::lines::{LineParser, Loc, excerpt};
use std::collections::BTreeMap;
use vigil_model::{Event, FieldValue, LogSource, RawRecord, RecordRef, SourceRef};

pub(crate) struct W3cParser {
    file: String,
    fields: Option<Vec<String>>,
    /// The `#Date:` directive's date, for records without a `date` column.
    date: Option<String>,
}

impl W3cParser {
    pub(crate) fn new(file: &str) -> Self {
        W3cParser {
            file: file.to_string(),
            fields: None,
            date: None,
        }
    }
}

/// The Sigma logsource of web server access logs.
pub fn logsource() -> LogSource {
    LogSource::new(None, Some("webserver"), None)
}

/// Whole request target from stem and query (either may be missing or `-`).
pub(crate) fn join_uri(stem: Option<&str>, query: Option<&str>) -> Option<String> {
    let stem = stem.filter(|s| *s != "-");
    // HttpProxy's UrlQuery keeps the leading `?` of the request; IIS's cs-uri-query does not.
    let query = query
        .map(|q| q.strip_prefix('?').unwrap_or(q))
        .filter(|q| *q != "-" && !q.is_empty());
    match (stem, query) {
        (Some(s), Some(q)) => Some(format!("{s}?{q}")),
        (Some(s), None) => Some(s.to_string()),
        (None, Some(q)) => Some(format!("?{q}")),
        (None, None) => None,
    }
}

/// IIS writes a space as `+`, and leaves a literal `+` as is: `; +http` becomes `;++http`. So
/// `++` is a space and a plus, and any other `+` a space.
fn unplus(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '+' {
            out.push(' ');
            if chars.peek() == Some(&'+') {
                chars.next();
                out.push('+');
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl LineParser for W3cParser {
    fn parse_line(&mut self, line: &str, loc: Loc) -> Result<Option<Event>, String> {
        if let Some(d) = line.strip_prefix('#') {
            if let Some(f) = d.strip_prefix("Fields:") {
                let names: Vec<String> = f.split_ascii_whitespace().map(str::to_string).collect();
                if names.is_empty() {
                    return Err("empty #Fields: directive".to_string());
                }
                self.fields = Some(names);
            } else if let Some(date) = d.strip_prefix("Date:") {
                self.date = date.split_ascii_whitespace().next().map(str::to_string);
            }
            return Ok(None);
        }
        if line.trim().is_empty() {
            return Ok(None);
        }
        let Some(names) = &self.fields else {
            return Err("record before any #Fields: directive".to_string());
        };
        let values: Vec<&str> = line.split_ascii_whitespace().collect();
        if values.len() > names.len() {
            return Err(format!(
                "{} values for {} #Fields: columns: {}",
                values.len(),
                names.len(),
                excerpt(line)
            ));
        }
        let mut fields = BTreeMap::new();
        for (name, value) in names.iter().zip(values.iter()) {
            let fv = if *value == "-" {
                FieldValue::Null
            } else if name == "cs(User-Agent)" || name == "cs(Cookie)" {
                FieldValue::Str(unplus(value))
            } else {
                FieldValue::Str((*value).to_string())
            };
            fields.insert(name.clone(), fv);
        }
        let text = |k: &str| match fields.get(k) {
            Some(FieldValue::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let date = text("date")
            .map(str::to_string)
            .or_else(|| self.date.clone());
        let timestamp = match (date, text("time")) {
            (Some(d), Some(t)) => Some(
                crate::time::parse_date_time_utc(&d, t)
                    .ok_or_else(|| format!("bad date/time {d:?} {t:?}"))?,
            ),
            _ => None,
        };
        let uri = join_uri(text("cs-uri-stem"), text("cs-uri-query"));
        let host = text("s-computername").map(str::to_string);
        let net = text("c-ip").and_then(crate::net::network_of);
        if let Some(uri) = uri {
            fields.insert("c-uri".to_string(), FieldValue::Str(uri));
        }
        if let Some(net) = net {
            fields.insert("c-net".to_string(), FieldValue::Str(net));
        }
        Ok(Some(Event {
            timestamp,
            host,
            logsource: logsource(),
            source: SourceRef {
                file: self.file.clone(),
                record: RecordRef::Line(loc.line),
                generation: None,
            },
            fields,
            raw: Some(RawRecord::new(line)),
        }))
    }
}

#[cfg(test)]
mod join_tests {
    use super::join_uri;

    #[test]
    fn one_question_mark_between_stem_and_query() {
        assert_eq!(join_uri(Some("/a"), Some("x=1")).as_deref(), Some("/a?x=1"));
        assert_eq!(
            join_uri(Some("/a"), Some("?x=1")).as_deref(),
            Some("/a?x=1")
        );
        assert_eq!(join_uri(Some("/a"), Some("-")).as_deref(), Some("/a"));
        assert_eq!(join_uri(Some("/a"), Some("?")).as_deref(), Some("/a"));
        assert_eq!(join_uri(None, None), None);
    }
}
