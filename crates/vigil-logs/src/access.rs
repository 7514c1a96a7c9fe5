//! Apache/nginx access logs in the common and combined formats:
//! `host ident user [time] "request" status bytes ["referer" "user-agent" …]`.
//!
//! Fields take the W3C names SigmaHQ's webserver rules use: `c-ip`, `cs-username`, `cs-method`,
//! `cs-uri-query` (the whole request target, which is what those rules match), `cs-uri-stem`
//! (the path alone), `c-uri` (the whole target again, as for IIS), `cs-version`, `sc-status`,
//! `sc-bytes`, `cs-referer`, `cs-user-agent`; plus `request` (the request line as logged, which
//! may be garbage from scanners). `-` values are null. Logsource: `category: webserver`.

use crate::lines::{LineParser, Loc, excerpt};
use std::collections::BTreeMap;
use vigil_model::{Event, FieldValue, RawRecord, RecordRef, SourceRef};

pub(crate) struct AccessParser {
    file: String,
}

impl AccessParser {
    pub(crate) fn new(file: &str) -> Self {
        AccessParser {
            file: file.to_string(),
        }
    }
}

/// Tokens of an access log line: bare words, `[bracketed]` and `"quoted"` (with `\"` escapes).
fn tokens(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut tok = String::new();
        match c {
            '[' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(x) => tok.push(x),
                        None => return Err("unclosed [".to_string()),
                    }
                }
            }
            '"' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some('\\') => {
                            if let Some(x) = chars.next() {
                                if x != '"' && x != '\\' {
                                    tok.push('\\');
                                }
                                tok.push(x);
                            }
                        }
                        Some('"') => break,
                        Some(x) => tok.push(x),
                        None => return Err("unclosed quote".to_string()),
                    }
                }
            }
            _ => {
                while let Some(&x) = chars.peek() {
                    if x == ' ' {
                        break;
                    }
                    tok.push(x);
                    chars.next();
                }
            }
        }
        out.push(tok);
    }
    Ok(out)
}

fn put(fields: &mut BTreeMap<String, FieldValue>, name: &str, v: &str) {
    let fv = if v == "-" || v.is_empty() {
        FieldValue::Null
    } else {
        FieldValue::Str(v.to_string())
    };
    fields.insert(name.to_string(), fv);
}

impl LineParser for AccessParser {
    fn parse_line(&mut self, line: &str, loc: Loc) -> Result<Option<Event>, String> {
        if line.trim().is_empty() {
            return Ok(None);
        }
        let bad = |why: &str| format!("{why}: {}", excerpt(line));
        let toks = tokens(line).map_err(|e| bad(&e))?;
        if toks.len() < 7 {
            return Err(bad("fewer than 7 fields for the common log format"));
        }
        let mut fields = BTreeMap::new();
        let get = |i: usize| toks.get(i).map(String::as_str).unwrap_or("-");
        put(&mut fields, "c-ip", get(0));
        put(&mut fields, "remote-logname", get(1));
        put(&mut fields, "cs-username", get(2));
        let timestamp = jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", get(3))
            .and_then(|t| t.to_timestamp())
            .map_err(|_| bad("bad [time]"))?;
        let request = get(4);
        put(&mut fields, "request", request);
        let parts: Vec<&str> = request.split(' ').collect();
        let is_method = |m: &str| {
            !m.is_empty()
                && m.bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
        };
        if let [method, target, version] = parts.as_slice()
            && is_method(method)
            && version.starts_with("HTTP/")
        {
            put(&mut fields, "cs-method", method);
            put(&mut fields, "cs-uri-query", target);
            put(&mut fields, "c-uri", target);
            let stem = target.split('?').next().unwrap_or(target);
            put(&mut fields, "cs-uri-stem", stem);
            put(&mut fields, "cs-version", version);
        } else if let [method, target] = parts.as_slice()
            && is_method(method)
        {
            // HTTP/0.9 style request without a version.
            put(&mut fields, "cs-method", method);
            put(&mut fields, "cs-uri-query", target);
            put(&mut fields, "c-uri", target);
        }
        let status = get(5);
        if !status.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("status is not a number"));
        }
        put(&mut fields, "sc-status", status);
        put(&mut fields, "sc-bytes", get(6));
        if toks.len() > 7 {
            put(&mut fields, "cs-referer", get(7));
        }
        if toks.len() > 8 {
            put(&mut fields, "cs-user-agent", get(8));
        }
        Ok(Some(Event {
            timestamp: Some(timestamp),
            host: None,
            logsource: crate::w3c::logsource(),
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
