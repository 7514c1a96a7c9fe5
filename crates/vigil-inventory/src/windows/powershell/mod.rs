//! The outputs of Microsoft's documented commands, saved with `ConvertTo-Json` (one module per
//! command): what administrators have when they have no vigil script.
//!
//! What Windows PowerShell 5.1 writes, and what is accepted: UTF-8 with a byte-order mark
//! (`Out-File -Encoding utf8`) or UTF-16 (`>`), CRLF line ends, pretty-printing with 2- or 4-space
//! indents (5.1 aligns values oddly; any valid JSON is read), `\u0027`/`\u003c`/`\u003e`/`\u0026`
//! escapes, dates as `"\/Date(ms)\/"` (see [`super::dates`]), a single object when one record was
//! piped and an array otherwise, and property names in any letter case. `ConvertTo-Json`'s default
//! depth (2) writes objects nested deeper as their type name (`"System.Collections.Hashtable"`,
//! `"Microsoft.Exchange.Data.ServerVersion"`): such a value is reported as truncated, never read as
//! data. Files are recognised by their property names, not by their file names (see
//! [`crate::detect`]).

pub(crate) mod computer_info;
pub(crate) mod current_version;
pub(crate) mod exchange_server;
pub(crate) mod exsetup;
pub(crate) mod hotfix;

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{JsonLines, Seg, scan};
use crate::lockfile::{json, type_name};
use serde_json::{Map, Value};

/// How deep lines are recorded: records (in an array), their properties, and one level below.
const LINE_DEPTH: usize = 4;

/// A parsed output: the document and the lines of its keys.
pub(crate) struct Output {
    pub doc: Value,
    pub lines: JsonLines,
}

impl Output {
    pub(crate) fn parse(text: &str, sink: &mut Sink<'_>) -> Result<Output, InventoryError> {
        let doc = json(text, sink)?;
        let lines = scan(text, |p| p.len() <= LINE_DEPTH);
        Ok(Output { doc, lines })
    }

    /// The records: the top-level object, or each object of the top-level array. Elements that are
    /// not objects are warnings; a document that is neither is an error.
    pub(crate) fn records(&self, sink: &mut Sink<'_>) -> Result<Vec<Record<'_>>, InventoryError> {
        match &self.doc {
            Value::Object(obj) => Ok(vec![Record {
                obj,
                path: Vec::new(),
                lines: &self.lines,
            }]),
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(obj) => out.push(Record {
                            obj,
                            path: vec![Seg::Index(i)],
                            lines: &self.lines,
                        }),
                        Value::String(s) if is_type_name(s) => sink.warn(
                            None,
                            format!("record {} is only the type name `{s}`: {TRUNCATED}", i + 1),
                        ),
                        other => sink.warn(
                            None,
                            format!("record {} is {}, not an object", i + 1, type_name(other)),
                        ),
                    }
                }
                Ok(out)
            }
            other => Err(InventoryError::parse(
                sink.file(),
                Some(1),
                format!(
                    "the output is {}, not an object or an array of objects",
                    type_name(other)
                ),
            )),
        }
    }
}

/// Why a type name stands where a value should be.
pub(crate) const TRUNCATED: &str =
    "ConvertTo-Json's depth cut the value off (run it with -Depth 4)";

/// One object of an output.
pub(crate) struct Record<'v> {
    pub obj: &'v Map<String, Value>,
    pub path: Vec<Seg>,
    lines: &'v JsonLines,
}

impl<'v> Record<'v> {
    /// A property, by name in any letter case (PowerShell property names are case-insensitive).
    pub(crate) fn get(&self, name: &str) -> Option<&'v Value> {
        self.obj.get(name).or_else(|| {
            self.obj
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    }

    fn key(&self, name: &str) -> Option<&'v str> {
        self.obj
            .keys()
            .find(|k| k.as_str() == name)
            .or_else(|| self.obj.keys().find(|k| k.eq_ignore_ascii_case(name)))
            .map(String::as_str)
    }

    /// The line of a property (or of the record, when the property is absent and the record has a key).
    pub(crate) fn line(&self, name: &str) -> Option<u32> {
        let mut p = self.path.clone();
        match self.key(name) {
            Some(k) => p.push(Seg::Key(k.to_string())),
            None => {
                let first = self.obj.keys().next()?;
                p.push(Seg::Key(first.clone()));
            }
        }
        self.lines.line(&p)
    }

    pub(crate) fn line_usize(&self, name: &str) -> Option<usize> {
        self.line(name).map(|l| l as usize)
    }

    /// A scalar property as text (strings trimmed, numbers and booleans written out); `None` for
    /// absent, `null`, empty, object and array values, and for type names left by a depth cut.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        scalar_text(self.get(name)?)
    }

    /// Like [`Record::text`], but a type name left by the depth cut is a note at the property's line.
    pub(crate) fn text_or_note(&self, name: &str, sink: &mut Sink<'_>) -> Option<String> {
        if let Some(Value::String(s)) = self.get(name)
            && is_type_name(s.trim())
        {
            sink.not_assessed(
                self.line_usize(name),
                format!("`{name}` is only the type name `{}`: {TRUNCATED}", s.trim()),
            );
            return None;
        }
        self.text(name)
    }

    /// A non-negative integer property (a number, or a string of digits).
    pub(crate) fn number(&self, name: &str) -> Option<u64> {
        number(self.get(name)?)
    }
}

/// A scalar as text; see [`Record::text`].
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && !is_type_name(t)).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A non-negative integer: a JSON number, or a string of digits.
pub(crate) fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether a string is a .NET type name that `ConvertTo-Json` wrote for an object nested too deep:
/// `System.Object[]`, `Microsoft.Exchange.Data.ServerVersion`, `Deserialized.Microsoft.…`.
pub(crate) fn is_type_name(s: &str) -> bool {
    ["System.", "Microsoft.", "Deserialized."]
        .iter()
        .any(|p| s.starts_with(p))
        && s.len() > 8
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '`' | '[' | ']' | '+' | ',')
        })
}

/// `MAIL01.corp.example.org` → `MAIL01`: the NetBIOS-style name hosts are compared by.
pub(crate) fn short_name(name: &str) -> &str {
    let t = name.trim();
    t.split('.').next().unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert!(is_type_name("System.Collections.Hashtable"));
        assert!(is_type_name("System.Object[]"));
        assert!(is_type_name("Microsoft.Exchange.Data.ServerVersion"));
        assert!(is_type_name(
            "System.Collections.ObjectModel.Collection`1[System.Management.Automation.PSDriveInfo]"
        ));
        assert!(!is_type_name("Microsoft Windows Server 2016 Datacenter"));
        assert!(!is_type_name(
            "Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE"
        ));
        assert!(!is_type_name("KB5001779"));
        assert_eq!(short_name("MAIL01.corp.example.org"), "MAIL01");
    }
}
