//! npm's `package-lock.json` / `npm-shrinkwrap.json`.
//!
//! Version 1 nests `dependencies` objects keyed by name; versions 2 and 3 list every installed package
//! in a flat `packages` object keyed by its `node_modules/…` path (version 2 keeps the v1 tree too, for
//! old npm; the flat list is read when present). The installed name is the path after the last
//! `node_modules/`, unless the entry's own `name` says otherwise (an alias such as
//! `"node_modules/sw": {"name": "string-width"}`). Workspace folders and `link` entries are the project's
//! own code and are skipped; git, file and URL dependencies have no registry version and are reported
//! as not assessed.

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::json;
use serde_json::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    if let Some(pkgs) = doc.get("packages").and_then(Value::as_object) {
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
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let path_name = key.get(idx + "node_modules/".len()..).unwrap_or_default();
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(path_name);
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                sink.not_assessed(line, format!("`{key}` has no version"));
                continue;
            };
            add(sink, name, version, line);
        }
        return Ok(());
    }
    if let Some(deps) = doc.get("dependencies").and_then(Value::as_object) {
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
        match entry.get("version").and_then(Value::as_str) {
            Some(v) => add(sink, name, v, line),
            None => sink.not_assessed(line, format!("`{name}` has no version")),
        }
        if let Some(sub) = entry.get("dependencies").and_then(Value::as_object) {
            path.push(Seg::Key("dependencies".into()));
            walk_v1(sub, path, lines, sink);
            path.pop();
        }
        path.pop();
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
