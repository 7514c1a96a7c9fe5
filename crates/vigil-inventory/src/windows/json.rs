//! The JSON form, as `ConvertTo-Json -Depth 4` writes it (PowerShell 7 or Windows PowerShell 5.1).
//!
//! Windows PowerShell 5.1 differs in ways real files show: it writes UTF-8 with a byte-order mark when
//! redirected with `Out-File -Encoding utf8`, serialises dates as `"\/Date(1620691200000)\/"` and, for
//! `DateTime` values that carry extended properties (those from `Get-HotFix`), as an object
//! `{"value": "\/Date(…)\/", "DateTime": "Tuesday, May 11, 2021 …"}`; and a one-element list is written
//! as a bare object. All of these are accepted.

use super::fields::{self, Fields};
use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::json;
use serde_json::Value;

const MAX_DEPTH: usize = 8;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    let marker = doc
        .as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("VigilInventory"))
        })
        .map(|(_, v)| v);
    match marker {
        Some(v) if v.as_u64() == Some(1) || v.as_str() == Some("1") => {}
        Some(v) => {
            return Err(InventoryError::parse(
                sink.file(),
                None,
                format!("VigilInventory format {v} is not supported (1 is)"),
            ));
        }
        None => {
            return Err(InventoryError::parse(
                sink.file(),
                None,
                "no `VigilInventory` marker: not a vigil Windows inventory",
            ));
        }
    }
    let lines = scan(text, |p| p.len() <= MAX_DEPTH);
    let mut out = Fields::new();
    let mut path = Vec::new();
    flatten(&doc, &mut path, &lines, &mut out);
    fields::build(&out, sink);
    Ok(())
}

fn dotted(path: &[Seg]) -> String {
    crate::json_lines::dotted(path).to_ascii_lowercase()
}

/// The line of the nearest key on the path (array elements have none of their own).
fn line_of(path: &[Seg], lines: &crate::json_lines::JsonLines) -> Option<u32> {
    (1..=path.len()).rev().find_map(|n| {
        let p = path.get(..n)?;
        matches!(p.last(), Some(Seg::Key(_)))
            .then(|| lines.line(p))
            .flatten()
    })
}

fn flatten(v: &Value, path: &mut Vec<Seg>, lines: &crate::json_lines::JsonLines, out: &mut Fields) {
    if path.len() > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(o) => {
            // Windows PowerShell 5.1's DateTime with extended properties: the instant is in `value`,
            // the local date and time as text in `DateTime`.
            if let Some(Value::String(s)) = o.get("value")
                && let Some(display) = o.get("DateTime")
            {
                let line = line_of(path, lines);
                out.insert(dotted(path), (s.clone(), line));
                if let Value::String(d) = display {
                    out.insert(format!("{}.datetime", dotted(path)), (d.clone(), line));
                }
                return;
            }
            for (k, child) in o {
                path.push(Seg::Key(k.clone()));
                flatten(child, path, lines, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                flatten(child, path, lines, out);
                path.pop();
            }
        }
        Value::Null => {}
        Value::String(s) => {
            out.insert(dotted(path), (s.clone(), line_of(path, lines)));
        }
        other => {
            out.insert(dotted(path), (other.to_string(), line_of(path, lines)));
        }
    }
}
