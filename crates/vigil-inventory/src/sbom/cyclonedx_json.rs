//! CycloneDX JSON. Components are read from `components` and, recursively, each component's own
//! `components` (assemblies); `metadata.component` is the subject of the BOM (the product itself) and is
//! not listed as a dependency of itself.

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::json;
use serde_json::Value;

/// Deeper assemblies are reported rather than walked.
const MAX_NESTING: usize = 32;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    if doc.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "`bomFormat` is not `CycloneDX`",
        ));
    }
    let lines = scan(text, |p| {
        matches!(p.last(), Some(Seg::Key(k)) if k == "purl" || k == "name")
            && p.first() == Some(&Seg::Key("components".into()))
    });
    if let Some(list) = doc.get("components").and_then(Value::as_array) {
        let mut path = vec![Seg::Key("components".into())];
        walk(list, &mut path, &lines, sink);
    }
    Ok(())
}

fn walk(
    list: &[Value],
    path: &mut Vec<Seg>,
    lines: &crate::json_lines::JsonLines,
    sink: &mut Sink<'_>,
) {
    for (i, c) in list.iter().enumerate() {
        path.push(Seg::Index(i));
        let line_of = |k: &str, path: &mut Vec<Seg>| {
            path.push(Seg::Key(k.into()));
            let l = lines.line(path);
            path.pop();
            l
        };
        let line = line_of("purl", path)
            .or_else(|| line_of("name", path))
            .map(|l| l as usize);
        let s = |k: &str| c.get(k).and_then(Value::as_str);
        let name = match (s("group"), s("name")) {
            (Some(g), Some(n)) if !g.is_empty() => Some(format!("{g}/{n}")),
            (_, n) => n.map(str::to_string),
        };
        super::component(sink, s("purl"), name.as_deref(), s("version"), line);
        if let Some(sub) = c.get("components").and_then(Value::as_array) {
            if path.len() / 2 >= MAX_NESTING {
                sink.not_assessed(
                    line,
                    format!("components nested more than {MAX_NESTING} deep"),
                );
            } else {
                path.push(Seg::Key("components".into()));
                walk(sub, path, lines, sink);
                path.pop();
            }
        }
        path.pop();
    }
}
