//! SPDX 2.3 JSON (2.2 reads the same way). Each entry of `packages` is identified by its
//! `externalRefs` entry with `referenceType: purl` (category `PACKAGE-MANAGER`, spelled
//! `PACKAGE_MANAGER` in 2.3); `versionInfo` is used when the purl has no version. A `packages` that is
//! not an array and a package that is not an object are warnings.

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::{array_at, json, top_key_line, type_name};
use serde_json::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    let Some(ver) = doc.get("spdxVersion").and_then(Value::as_str) else {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no `spdxVersion`: not an SPDX JSON document",
        ));
    };
    if !ver.starts_with("SPDX-2.") {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            format!("`{ver}` is not supported (SPDX 2.x JSON is)"),
        ));
    }
    let lines = scan(text, |p| {
        p.len() == 3
            && p.first() == Some(&Seg::Key("packages".into()))
            && matches!(p.get(2), Some(Seg::Key(k)) if k == "name" || k == "SPDXID")
    });
    let Some(pkgs) = array_at(&doc, "packages", sink, top_key_line(text, "packages")) else {
        return Ok(());
    };
    for (i, p) in pkgs.iter().enumerate() {
        let at = |k: &str| {
            lines.line(&[
                Seg::Key("packages".into()),
                Seg::Index(i),
                Seg::Key(k.into()),
            ])
        };
        let line = at("name").or_else(|| at("SPDXID")).map(|l| l as usize);
        if !p.is_object() {
            sink.warn(
                line,
                format!(
                    "package {} is {}, not an object: not read",
                    i + 1,
                    type_name(p)
                ),
            );
            continue;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator"))
            .and_then(Value::as_str);
        let name = p.get("name").and_then(Value::as_str);
        let version = p.get("versionInfo").and_then(Value::as_str);
        super::component(sink, purl, name, version, line);
    }
    Ok(())
}
