//! NuGet's `packages.lock.json`: `dependencies` → target framework → package → `{type, resolved, …}`.
//! `Project` entries are other projects of the same solution, not packages. A package locked for
//! several frameworks at the same version is listed once (at its first line). A framework or entry
//! that is not an object, and a package without its resolved version, are warnings.

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::{json, type_name};
use serde_json::Value;
use std::collections::HashSet;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    let Some(tfms) = doc.get("dependencies").and_then(Value::as_object) else {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no `dependencies`: not a packages.lock.json",
        ));
    };
    let lines = scan(text, |p| {
        (2..=3).contains(&p.len()) && p.first() == Some(&Seg::Key("dependencies".into()))
    });
    let mut seen = HashSet::new();
    for (tfm, deps) in tfms {
        let Some(deps) = deps.as_object() else {
            let line = lines
                .line(&[Seg::Key("dependencies".into()), Seg::Key(tfm.clone())])
                .map(|l| l as usize);
            sink.warn(
                line,
                format!(
                    "framework `{tfm}` is {}, not an object: not read",
                    type_name(deps)
                ),
            );
            continue;
        };
        for (name, entry) in deps {
            let line = lines
                .line(&[
                    Seg::Key("dependencies".into()),
                    Seg::Key(tfm.clone()),
                    Seg::Key(name.clone()),
                ])
                .map(|l| l as usize);
            if !entry.is_object() {
                sink.warn(
                    line,
                    format!(
                        "`{name}` ({tfm}) is {}, not an object: not read",
                        type_name(entry)
                    ),
                );
                continue;
            }
            if entry.get("type").and_then(Value::as_str) == Some("Project") {
                continue;
            }
            let Some(version) = entry.get("resolved").and_then(Value::as_str) else {
                sink.warn(line, format!("`{name}` ({tfm}) has no resolved version"));
                continue;
            };
            if seen.insert((name.to_lowercase(), version.to_string())) {
                sink.package("NuGet", name, version, line);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn nuget() {
        let t = r#"{
  "version": 1,
  "dependencies": {
    "net6.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[12.0.3, )",
        "resolved": "12.0.3",
        "contentHash": "6mgjfnRB4jKMlzHSl+VD+oUc1IebOZabkbyWj2RiTgWwYPPuaK1H97G1sHqGwPlS5npiF5Q0OrxN1wni2n5QWg=="
      },
      "System.Text.Encodings.Web": {
        "type": "Transitive",
        "resolved": "4.7.1"
      },
      "MyLib": {
        "type": "Project"
      }
    },
    "net8.0": {
      "Newtonsoft.Json": {"type": "Direct", "resolved": "12.0.3"}
    }
  }
}"#;
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("packages.lock.json", &mut inv)).unwrap();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Newtonsoft.Json", "12.0.3", Some(5)),
                ("System.Text.Encodings.Web", "4.7.1", Some(11))
            ]
        );
        assert_eq!(
            inv.packages[0].purl.as_deref(),
            Some("pkg:nuget/Newtonsoft.Json@12.0.3")
        );
    }
}
