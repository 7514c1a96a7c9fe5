//! Exchange Server CSV logs: HttpProxy (`Logging\HttpProxy\<Protocol>\HttpProxy_*.LOG`), ECP,
//! EWS, message tracking and the other logs Exchange writes as comma-separated values under a
//! `#Fields:` directive (or, failing that, a plain header line). Values may be quoted, with `""`
//! for a quote and commas or line breaks inside quotes. Column sets differ between builds, so
//! columns are always taken by name.
//!
//! Logsource: HttpProxy logs record each HTTP request the front end received, so they are
//! `category: webserver` (SigmaHQ's webserver rules apply through the mapping file), with
//! `product: windows` and `service: msexchange-httpproxy` for Exchange-specific rules. Other logs:
//! `product: windows`, `service: msexchange-<log type>` (e.g. `msexchange-messagetracking`).
//! HttpProxy records get the derived `c-uri` (`UrlStem` + `?` + `UrlQuery`) as IIS records do,
//! and `ClientIpNetwork`, the `/24` or `/64` network of `ClientIpAddress` (see [`crate::net`]).
//! Message tracking records get the fields of [`crate::exchange_msgtrk`].

use crate::ReadOptions;
use crate::lines::{LineParser, Loc, excerpt};
use std::collections::BTreeMap;
use std::path::Path;
use vigil_model::{Event, FieldValue, LogSource, RecordRef, SourceRef};

/// Longest record (possibly spanning lines through quoted line breaks) accepted.
const MAX_RECORD: usize = 4 * 1024 * 1024;

pub(crate) struct CsvParser {
    file: String,
    fields: Option<Vec<String>>,
    log_type: Option<String>,
    /// A record whose quoted value continues on the next line.
    pending: Option<(Loc, String)>,
    tz: jiff::tz::TimeZone,
}

impl CsvParser {
    pub(crate) fn new(file: &str, path: &Path, opts: &ReadOptions) -> Self {
        // The folder names the log when no `#Log-type:` does (HttpProxy\Owa\HttpProxy_….LOG).
        let lower = path.to_string_lossy().to_ascii_lowercase();
        let log_type = if lower.contains("httpproxy") {
            Some("HttpProxy Logs".to_string())
        } else if lower.contains("messagetracking") || lower.contains("msgtrk") {
            Some("Message Tracking Log".to_string())
        } else {
            None
        };
        CsvParser {
            file: file.to_string(),
            fields: None,
            log_type,
            pending: None,
            tz: opts.syslog_time_zone.clone(),
        }
    }

    fn logsource(&self) -> LogSource {
        let t = self.log_type.as_deref().unwrap_or("").to_ascii_lowercase();
        if t.contains("httpproxy") {
            return LogSource::new(
                Some("windows"),
                Some("webserver"),
                Some("msexchange-httpproxy"),
            );
        }
        let slug: String = t
            .trim_end_matches(" logs")
            .trim_end_matches(" log")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let service = if slug.is_empty() {
            "msexchange".to_string()
        } else {
            format!("msexchange-{slug}")
        };
        LogSource::new(Some("windows"), None, Some(&service))
    }

    fn is_message_tracking(&self) -> bool {
        self.log_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("message tracking"))
    }

    fn record(&self, values: Vec<String>, loc: Loc, raw: &str) -> Result<Option<Event>, String> {
        let Some(names) = &self.fields else {
            return Err("record before any #Fields: header".to_string());
        };
        if values.len() > names.len() {
            return Err(format!(
                "{} values for {} #Fields: columns: {}",
                values.len(),
                names.len(),
                excerpt(raw)
            ));
        }
        let mut fields = BTreeMap::new();
        for (name, value) in names.iter().zip(values) {
            if !value.is_empty() {
                fields.insert(name.clone(), FieldValue::Str(value));
            }
        }
        let text = |k: &str| match fields.get(k) {
            Some(FieldValue::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let timestamp = [
            "DateTime",
            "date-time",
            "TimeStamp",
            "Timestamp",
            "DateTimeUtc",
        ]
        .iter()
        .find_map(|k| text(k))
        .map(|t| crate::time::parse_iso(t, &self.tz).ok_or_else(|| format!("bad timestamp {t:?}")))
        .transpose()?;
        let host = ["ServerHostName", "ServerName", "server-hostname"]
            .iter()
            .find_map(|k| text(k))
            .map(str::to_string);
        let net = text("ClientIpAddress").and_then(crate::net::network_of);
        if fields.contains_key("UrlStem")
            && let Some(uri) = crate::w3c::join_uri(text("UrlStem"), text("UrlQuery"))
        {
            fields.insert("c-uri".to_string(), FieldValue::Str(uri));
        }
        if let Some(net) = net {
            fields.insert("ClientIpNetwork".to_string(), FieldValue::Str(net));
        }
        if self.is_message_tracking() {
            crate::exchange_msgtrk::derive(&mut fields);
        }
        Ok(Some(Event {
            timestamp,
            host,
            logsource: self.logsource(),
            source: SourceRef {
                file: self.file.clone(),
                record: RecordRef::Line(loc.line),
                generation: None,
            },
            fields,
            raw: Some(raw.into()),
        }))
    }
}

/// Split one CSV record. `None` when a quoted value is still open at the end of `line`.
pub(crate) fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
            continue;
        } else if c == '"' && at_start {
            in_quotes = true;
        } else {
            cur.push(c);
        }
        at_start = false;
    }
    if in_quotes {
        return None;
    }
    out.push(cur);
    Some(out)
}

impl LineParser for CsvParser {
    fn parse_line(&mut self, line: &str, loc: Loc) -> Result<Option<Event>, String> {
        if let Some((start, mut acc)) = self.pending.take() {
            acc.push('\n');
            acc.push_str(line);
            if acc.len() > MAX_RECORD {
                return Err(format!(
                    "quoted value opened on line {} still open after {MAX_RECORD} bytes; record skipped",
                    start.line
                ));
            }
            return match split_csv(&acc) {
                Some(values) => self.record(values, start, &acc),
                None => {
                    self.pending = Some((start, acc));
                    Ok(None)
                }
            };
        }
        if let Some(d) = line.strip_prefix('#') {
            if let Some(f) = d.strip_prefix("Fields:") {
                let names = split_csv(f.trim()).ok_or("unbalanced quotes in #Fields:")?;
                self.fields = Some(names.into_iter().map(|n| n.trim().to_string()).collect());
            } else if let Some(t) = d.strip_prefix("Log-type:") {
                self.log_type = Some(t.trim().to_string());
            }
            return Ok(None);
        }
        if line.trim().is_empty() {
            return Ok(None);
        }
        match split_csv(line) {
            None => {
                self.pending = Some((loc, line.to_string()));
                Ok(None)
            }
            Some(values) if self.fields.is_none() => {
                // No `#Fields:` directive: the first line is the header.
                self.fields = Some(values.into_iter().map(|n| n.trim().to_string()).collect());
                Ok(None)
            }
            Some(values) => self.record(values, loc, line),
        }
    }

    fn finish(&mut self) -> Result<Option<Event>, (Loc, String)> {
        match self.pending.take() {
            Some((loc, _)) => Err((
                loc,
                "quoted value not closed before end of file".to_string(),
            )),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn csv_quotes_commas_and_escaped_quotes() {
        assert_eq!(
            split_csv(r#"a,"b,c","say ""hi""",,d"#).unwrap(),
            vec!["a", "b,c", "say \"hi\"", "", "d"]
        );
        assert_eq!(split_csv(r#"a,"open"#), None);
        assert_eq!(split_csv("").unwrap(), vec![""]);
    }
}
