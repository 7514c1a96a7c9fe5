//! Language lockfiles and manifests: one module per format.

pub mod cargo_lock;
pub mod composer_lock;
pub mod gemfile_lock;
pub mod go_mod;
pub mod maven_pom;
pub mod npm_lock;
pub mod nuget_lock;
pub mod pipfile_lock;
pub mod pnpm_lock;
pub mod poetry_lock;
pub mod requirements;
pub mod uv_lock;
pub mod yarn_lock;

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, dotted, scan};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A parser's error text without its ` at line N column M` (the location says where).
pub(crate) fn without_position(message: &str) -> String {
    let mut out = message.to_string();
    while let Some(i) = out.find(" at line ") {
        let rest = out.get(i + " at line ".len()..).unwrap_or_default();
        let line_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = rest.get(line_digits..).unwrap_or_default();
        let Some(col) = after.strip_prefix(" column ") else {
            break;
        };
        let col_digits = col.bytes().take_while(u8::is_ascii_digit).count();
        if line_digits == 0 || col_digits == 0 {
            break;
        }
        let end = i + " at line ".len() + line_digits + " column ".len() + col_digits;
        out.replace_range(i..end, "");
    }
    out
}

/// Parses JSON, turning serde_json's error into one naming the file and line. Keys that an object
/// holds twice are warnings: serde_json keeps only the last value, so what the first said is lost.
pub(crate) fn json(text: &str, sink: &mut Sink<'_>) -> Result<Value, InventoryError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let column = if e.line() > 0 {
            format!(" (column {})", e.column())
        } else {
            String::new()
        };
        InventoryError::parse(
            sink.file(),
            u32::try_from(e.line()).ok().filter(|l| *l > 0),
            format!("invalid JSON: {}{column}", without_position(&msg)),
        )
    })?;
    for d in scan(text, |_| false).duplicates {
        let (parent, key) = match d.path.split_last() {
            Some((Seg::Key(k), parent)) => (parent, k.as_str()),
            _ => continue,
        };
        let within = if parent.is_empty() {
            "the top-level object".to_string()
        } else {
            format!("`{}`", dotted(parent))
        };
        sink.warn(
            Some(d.line as usize),
            format!(
                "duplicate key `{key}` in {within} (first at line {}): only this last value is read, \
                 what the first one said is not assessed",
                d.first_line
            ),
        );
    }
    Ok(doc)
}

/// A JSON value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The object under `key`: `None` when absent (or `null`); a value of another type is a warning
/// (its content is not read) and also `None`.
pub(crate) fn object_at<'v>(
    doc: &'v Value,
    key: &str,
    sink: &mut Sink<'_>,
    line: Option<usize>,
) -> Option<&'v Map<String, Value>> {
    match doc.get(key)? {
        Value::Object(o) => Some(o),
        Value::Null => None,
        other => {
            sink.warn(
                line,
                format!(
                    "`{key}` is {}, not an object: nothing in it is read",
                    type_name(other)
                ),
            );
            None
        }
    }
}

/// The array under `key`, like [`object_at`].
pub(crate) fn array_at<'v>(
    doc: &'v Value,
    key: &str,
    sink: &mut Sink<'_>,
    line: Option<usize>,
) -> Option<&'v Vec<Value>> {
    match doc.get(key)? {
        Value::Array(a) => Some(a),
        Value::Null => None,
        other => {
            sink.warn(
                line,
                format!(
                    "`{key}` is {}, not an array: nothing in it is read",
                    type_name(other)
                ),
            );
            None
        }
    }
}

/// A string field of an entry: `Ok(None)` when absent or `null`, `Err(type)` for another type.
pub(crate) fn str_field<'v>(entry: &'v Value, key: &str) -> Result<Option<&'v str>, &'static str> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(type_name(other)),
    }
}

/// The line of a top-level key.
pub(crate) fn top_key_line(text: &str, key: &str) -> Option<usize> {
    let want = [Seg::Key(key.to_string())];
    scan(text, |p| p == want.as_slice())
        .line(&want)
        .map(|l| l as usize)
}

/// Lockfile entries that must be unique (one `[[package]]` per name and version in Cargo.lock): the
/// first line of each, and a warning for every repeat.
#[derive(Default)]
pub(crate) struct Unique {
    seen: HashMap<String, Option<usize>>,
}

impl Unique {
    /// Whether `key` is new; a repeat is a warning at `line` naming the first occurrence.
    pub(crate) fn first(
        &mut self,
        key: String,
        what: &str,
        line: Option<usize>,
        sink: &mut Sink<'_>,
    ) -> bool {
        match self.seen.get(&key) {
            Some(first) => {
                let at = first.map_or(String::new(), |l| format!(" (first at line {l})"));
                sink.warn(line, format!("{what} is listed twice{at}; read once"));
                false
            }
            None => {
                self.seen.insert(key, line);
                true
            }
        }
    }
}

/// Parses TOML, turning the error into one naming the file and line.
pub(crate) fn toml_table(text: &str, sink: &Sink<'_>) -> Result<toml::Table, InventoryError> {
    toml::from_str::<toml::Table>(text).map_err(|e| {
        InventoryError::parse(
            sink.file(),
            crate::lines::toml_error_line(text, &e),
            format!("invalid TOML: {}", e.message().trim_end()),
        )
    })
}
