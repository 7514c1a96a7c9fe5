//! CycloneDX JSON. Components are read from `components` and, recursively, each component's own
//! `components` (assemblies); `metadata.component` is the subject of the BOM (the product itself) and is
//! not listed as a dependency of itself. A `components` that is not an array, a component that is not
//! an object, and a `purl`, `name` or `version` that is not a string are warnings.

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::{array_at, json, str_field, top_key_line, type_name};
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
    if let Some(list) = array_at(&doc, "components", sink, top_key_line(text, "components")) {
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
        if !c.is_object() {
            sink.warn(
                line,
                format!(
                    "component {} is {}, not an object: not read",
                    i + 1,
                    type_name(c)
                ),
            );
            path.pop();
            continue;
        }
        let mut wrong = Vec::new();
        let mut s = |k: &str| match str_field(c, k) {
            Ok(v) => v,
            Err(ty) => {
                wrong.push(format!("`{k}` is {ty}"));
                None
            }
        };
        let (group, n, purl, version) = (s("group"), s("name"), s("purl"), s("version"));
        if !wrong.is_empty() {
            sink.warn(
                line,
                format!("component {}: {}, not a string", i + 1, wrong.join(", ")),
            );
        }
        let name = match (group, n) {
            (Some(g), Some(n)) if !g.is_empty() => Some(format!("{g}/{n}")),
            (_, n) => n.map(str::to_string),
        };
        super::component(sink, purl, name.as_deref(), version, line);
        let sub = match c.get("components") {
            Some(Value::Array(a)) => Some(a),
            None | Some(Value::Null) => None,
            Some(other) => {
                sink.warn(
                    line,
                    format!(
                        "the `components` of component {} is {}, not an array: not read",
                        i + 1,
                        type_name(other)
                    ),
                );
                None
            }
        };
        if let Some(sub) = sub {
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
