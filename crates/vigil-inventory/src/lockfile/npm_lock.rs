//! npm's `package-lock.json` / `npm-shrinkwrap.json`.
//!
//! Version 1 nests `dependencies` objects keyed by name; versions 2 and 3 list every installed package
//! in a flat `packages` object keyed by its `node_modules/…` path (version 2 keeps the v1 tree too, for
//! old npm; the flat list is read when present). The installed name is the path after the last
//! `node_modules/`, unless the entry's own `name` says otherwise (an alias such as
//! `"node_modules/sw": {"name": "string-width"}`). Workspace folders and `link` entries are the project's
//! own code and are skipped; git, file and URL dependencies have no registry version and are reported
//! as not assessed. Values of the wrong type (`"packages": [1, 2]`, an entry that is not an object, a
//! version that is not a string) are warnings, never a silent empty result; a key given twice is one
//! too (see [`super::json`]).

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::{json, object_at, str_field, top_key_line, type_name};
use serde_json::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    if !doc.is_object() {
        return Err(InventoryError::parse(
            sink.file(),
            Some(1),
            format!("the lockfile is {}, not an object", type_name(&doc)),
        ));
    }
    let packages = object_at(&doc, "packages", sink, top_key_line(text, "packages"));
    if let Some(pkgs) = packages {
        let lines = scan(text, |p| {
            p.len() == 2 && p.first() == Some(&Seg::Key("packages".into()))
        });
        for (key, entry) in pkgs {
            let Some(idx) = key.rfind("node_modules/") else {
                continue; // "" is the project; other keys are workspace folders.
            };
            let line = lines
                .line(&[Seg::Key("packages".into()), Seg::Key(key.clone())])
                .map(|l| l as usize);
            if !entry.is_object() {
                sink.warn(
                    line,
                    format!("`{key}` is {}, not an object: not read", type_name(entry)),
                );
                continue;
            }
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let path_name = key.get(idx + "node_modules/".len()..).unwrap_or_default();
            let Some((name, version)) = name_version(entry, key, path_name, line, sink) else {
                continue;
            };
            add(sink, name, version, line);
        }
        return Ok(());
    }
    let dependencies = object_at(
        &doc,
        "dependencies",
        sink,
        top_key_line(text, "dependencies"),
    );
    if let Some(deps) = dependencies {
        let lines = scan(text, |p| {
            p.len() % 2 == 0
                && p.iter()
                    .step_by(2)
                    .all(|s| *s == Seg::Key("dependencies".into()))
        });
        let mut path = vec![Seg::Key("dependencies".into())];
        walk_v1(deps, &mut path, &lines, sink);
        return Ok(());
    }
    if doc.get("lockfileVersion").is_none() {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no lockfileVersion, packages or dependencies: not an npm lockfile",
        ));
    }
    Ok(())
}

fn walk_v1(
    deps: &serde_json::Map<String, Value>,
    path: &mut Vec<Seg>,
    lines: &crate::json_lines::JsonLines,
    sink: &mut Sink<'_>,
) {
    for (name, entry) in deps {
        path.push(Seg::Key(name.clone()));
        let line = lines.line(path).map(|l| l as usize);
        if !entry.is_object() {
            sink.warn(
                line,
                format!("`{name}` is {}, not an object: not read", type_name(entry)),
            );
            path.pop();
            continue;
        }
        if let Some((n, v)) = name_version(entry, name, name, line, sink) {
            add(sink, n, v, line);
        }
        if let Some(sub) = object_at(entry, "dependencies", sink, line) {
            path.push(Seg::Key("dependencies".into()));
            walk_v1(sub, path, lines, sink);
            path.pop();
        }
        path.pop();
    }
}

/// An entry's name (its own `name`, else `default`) and version; a missing version is not assessed, a
/// value of the wrong type a warning.
fn name_version<'v>(
    entry: &'v Value,
    key: &str,
    default: &'v str,
    line: Option<usize>,
    sink: &mut Sink<'_>,
) -> Option<(&'v str, &'v str)> {
    let name = match str_field(entry, "name") {
        Ok(n) => n.unwrap_or(default),
        Err(ty) => {
            sink.warn(line, format!("the name of `{key}` is {ty}, not a string"));
            default
        }
    };
    match str_field(entry, "version") {
        Ok(Some(v)) => Some((name, v)),
        Ok(None) => {
            sink.not_assessed(line, format!("`{key}` has no version"));
            None
        }
        Err(ty) => {
            sink.warn(
                line,
                format!("the version of `{key}` is {ty}, not a string: not read"),
            );
            None
        }
    }
}

fn add(sink: &mut Sink<'_>, name: &str, version: &str, line: Option<usize>) {
    // v1 aliases: "version": "npm:string-width@4.2.3".
    let (name, version) = match version.strip_prefix("npm:").and_then(|r| {
        let at = r.get(1..)?.rfind('@')? + 1;
        Some((r.get(..at)?, r.get(at + 1..)?))
    }) {
        Some((n, v)) => (n, v),
        None => (name, version),
    };
    if !version.starts_with(|c: char| c.is_ascii_digit()) || version.contains(['/', ':']) {
        sink.not_assessed(
            line,
            format!("`{name}` is installed from `{version}`, not a registry version"),
        );
        return;
    }
    sink.package("npm", name, version, line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    const V3: &str = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "version": "1.0.0",
      "dependencies": { "minimist": "^1.2.5" }
    },
    "node_modules/@babel/code-frame": {
      "version": "7.12.13",
      "resolved": "https://registry.npmjs.org/@babel/code-frame/-/code-frame-7.12.13.tgz"
    },
    "node_modules/minimist": {
      "version": "1.2.5",
      "dev": true
    },
    "node_modules/a/node_modules/minimist": {
      "version": "0.0.8"
    },
    "node_modules/sw": {
      "name": "string-width",
      "version": "4.2.3"
    },
    "node_modules/local-lib": {
      "resolved": "packages/local-lib",
      "link": true
    },
    "packages/local-lib": {
      "version": "0.0.1"
    }
  }
}"#;

    #[test]
    fn v3_flat_packages() {
        let mut inv = Inventory::default();
        parse(V3, &mut Sink::new("package-lock.json", &mut inv)).unwrap();
        inv.normalise();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("@babel/code-frame", "7.12.13", Some(12)),
                ("minimist", "1.2.5", Some(16)),
                ("minimist", "0.0.8", Some(20)),
                ("string-width", "4.2.3", Some(23)),
            ]
        );
        assert_eq!(
            inv.packages[0].purl.as_deref(),
            Some("pkg:npm/%40babel/code-frame@7.12.13")
        );
        assert!(inv.not_assessed.is_empty());
    }

    #[test]
    fn v1_nested_tree() {
        let t = r#"{
  "name": "old",
  "lockfileVersion": 1,
  "dependencies": {
    "mkdirp": {
      "version": "0.5.1",
      "requires": { "minimist": "0.0.8" },
      "dependencies": {
        "minimist": { "version": "0.0.8" }
      }
    },
    "minimist": { "version": "1.2.0" },
    "sw": { "version": "npm:string-width@4.2.3" },
    "gitdep": { "version": "github:user/gitdep#abc123" }
  }
}"#;
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("package-lock.json", &mut inv)).unwrap();
        inv.normalise();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("mkdirp", "0.5.1", Some(5)),
                ("minimist", "0.0.8", Some(9)),
                ("minimist", "1.2.0", Some(12)),
                ("string-width", "4.2.3", Some(13)),
            ]
        );
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "package-lock.json:14");
    }

    #[test]
    fn duplicate_keys_and_wrong_types_are_warnings() {
        let t = r#"{
  "lockfileVersion": 3,
  "packages": {
    "node_modules/ua-parser-js": { "version": "0.7.28" },
    "node_modules/ua-parser-js": { "version": "0.7.31" },
    "node_modules/odd": 5,
    "node_modules/num": { "version": 1.2 }
  }
}"#;
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("package-lock.json", &mut inv)).unwrap();
        inv.normalise();
        let got: Vec<(&str, &str)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, [("ua-parser-js", "0.7.31")]);
        let notes: Vec<String> = inv.not_assessed.iter().map(|n| n.to_string()).collect();
        assert_eq!(
            notes,
            [
                "package-lock.json:5: duplicate key `node_modules/ua-parser-js` in `packages` (first at line 4): only this last value is read, what the first one said is not assessed",
                "package-lock.json:6: `node_modules/odd` is a number, not an object: not read",
                "package-lock.json:7: the version of `node_modules/num` is a number, not a string: not read",
            ]
        );
        assert!(
            inv.not_assessed
                .iter()
                .all(|n| n.kind == crate::NotAssessedKind::Malformed)
        );

        let mut inv = Inventory::default();
        parse(
            "{\"lockfileVersion\": 3,\n \"packages\": [1, 2, 3]}",
            &mut Sink::new("package-lock.json", &mut inv),
        )
        .unwrap();
        assert!(inv.packages.is_empty());
        assert_eq!(
            inv.not_assessed[0].to_string(),
            "package-lock.json:2: `packages` is an array, not an object: nothing in it is read"
        );
    }

    #[test]
    fn invalid_json_names_line() {
        let mut inv = Inventory::default();
        let e = parse(
            "{\n \"packages\": {\n  \"x\": \n}",
            &mut Sink::new("package-lock.json", &mut inv),
        )
        .unwrap_err();
        assert!(e.location().starts_with("package-lock.json:4"), "{e}");
    }
}
