//! `pnpm-lock.yaml`. The `packages` map's keys changed shape across lockfile versions:
//!
//! - 5.x: `/name/1.2.3`, `/@scope/name/1.2.3_peer@2.0.0` (peer suffix after `_`), and
//!   `registry.example.com/name/1.2.3` for other registries;
//! - 6.x: `/name@1.2.3`, `/@scope/name@1.2.3(peer@2.0.0)`;
//! - 9.x: `name@1.2.3`, `'@scope/name@1.2.3'` (peer variants move to `snapshots`).
//!
//! Entries with explicit `name`/`version` fields (tarball and git dependencies) use those. Keys that
//! are not `name` + registry version (`link:`, `file:`) are reported as not assessed.

use crate::Sink;
use crate::error::InventoryError;
use std::collections::HashMap;
use yaml_serde::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc: Value = yaml_serde::from_str(text).map_err(|e| {
        InventoryError::parse(
            sink.file(),
            e.location().map(|l| crate::lines::u32_line(l.line())),
            format!(
                "invalid YAML: {}",
                crate::lockfile::without_position(&e.to_string())
            ),
        )
    })?;
    let version = match doc.get("lockfileVersion") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.parse::<f64>().unwrap_or(0.0),
        _ => {
            return Err(InventoryError::parse(
                sink.file(),
                None,
                "no lockfileVersion: not a pnpm lockfile",
            ));
        }
    };
    let pkgs = match doc.get("packages") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Mapping(m)) => m,
        Some(_) => {
            let line = text
                .lines()
                .position(|l| l.starts_with("packages:"))
                .map(|i| i + 1);
            sink.warn(line, "`packages` is not a mapping: nothing in it is read");
            return Ok(());
        }
    };
    let lines = key_lines(text, "packages");
    for (k, entry) in pkgs {
        let Some(key) = k.as_str() else {
            sink.warn(None, "a `packages` key that is not a string: not read");
            continue;
        };
        let line = lines.get(key).copied();
        let explicit = (
            entry.get("name").and_then(Value::as_str),
            entry.get("version").and_then(Value::as_str),
        );
        let parsed = if let (Some(n), Some(v)) = explicit {
            Some((n.to_string(), v.to_string()))
        } else if version < 6.0 {
            parse_v5_key(key)
        } else {
            parse_at_key(key)
        };
        match parsed {
            Some((name, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                sink.package("npm", &name, &v, line);
            }
            _ => sink.not_assessed(line, format!("`{key}` is not a name and registry version")),
        }
    }
    Ok(())
}

/// v5: `/name/version[_peers]`, `/@scope/name/version`, `host/name/version`.
fn parse_v5_key(key: &str) -> Option<(String, String)> {
    let k = match key.strip_prefix('/') {
        Some(k) => k,
        None => key.split_once('/').map(|(_, r)| r)?,
    };
    let segs: Vec<&str> = k.split('/').collect();
    let (name, version) = if k.starts_with('@') {
        (format!("{}/{}", segs.first()?, segs.get(1)?), segs.get(2)?)
    } else {
        ((*segs.first()?).to_string(), segs.get(1)?)
    };
    let version = version.split('_').next()?;
    Some((name, version.to_string()))
}

/// v6 and v9: `[/]name@version[(peers)]`.
fn parse_at_key(key: &str) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next()?;
    let at = k.get(1..)?.rfind('@')? + 1;
    Some((k.get(..at)?.to_string(), k.get(at + 1..)?.to_string()))
}

/// Lines of the two-space-indented keys under a top-level `section:`.
fn key_lines(text: &str, section: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut inside = false;
    let header = format!("{section}:");
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            inside = line.trim_end() == header;
            continue;
        }
        if !inside {
            continue;
        }
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        if rest.starts_with([' ', '#']) {
            continue;
        }
        let key = rest.trim_end().strip_suffix(':').or_else(|| {
            // `key: {inline}` form.
            rest.rsplit_once(": ").map(|(k, _)| k)
        });
        if let Some(k) = key {
            let k = k.trim().trim_matches(|c| c == '\'' || c == '"');
            out.entry(k.to_string()).or_insert(i + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    fn run(t: &str) -> Inventory {
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("pnpm-lock.yaml", &mut inv)).unwrap();
        inv.normalise();
        inv
    }

    fn got(inv: &Inventory) -> Vec<(&str, &str, Option<u32>)> {
        inv.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect()
    }

    #[test]
    fn v5() {
        let t = "lockfileVersion: 5.4\n\nspecifiers:\n  react: ^17.0.2\n\ndependencies:\n  react: 17.0.2\n\npackages:\n\n  /@babel/core/7.12.3:\n    resolution: {integrity: sha512-x}\n    dev: true\n\n  /react-dom/17.0.2_react@17.0.2:\n    resolution: {integrity: sha512-y}\n\n  /local/link:../local:\n    resolution: {directory: ../local}\n";
        let inv = run(t);
        assert_eq!(
            got(&inv),
            vec![
                ("@babel/core", "7.12.3", Some(11)),
                ("react-dom", "17.0.2", Some(15))
            ]
        );
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "pnpm-lock.yaml:18");
    }

    #[test]
    fn v6() {
        let t = "lockfileVersion: '6.0'\n\npackages:\n\n  /@babel/core@7.12.3:\n    resolution: {integrity: sha512-x}\n\n  /react-dom@17.0.2(react@17.0.2):\n    resolution: {integrity: sha512-y}\n\n  github.com/user/repo/abc123:\n    resolution: {tarball: https://codeload.github.com/user/repo/tar.gz/abc123}\n    name: repo\n    version: 1.0.0\n";
        let inv = run(t);
        assert_eq!(
            got(&inv),
            vec![
                ("@babel/core", "7.12.3", Some(5)),
                ("react-dom", "17.0.2", Some(8)),
                ("repo", "1.0.0", Some(11)),
            ]
        );
    }

    #[test]
    fn v9() {
        let t = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      react:\n        specifier: ^18\n        version: 18.2.0\n\npackages:\n\n  '@babel/core@7.24.0':\n    resolution: {integrity: sha512-x}\n\n  react@18.2.0:\n    resolution: {integrity: sha512-y}\n\nsnapshots:\n\n  react@18.2.0: {}\n";
        let inv = run(t);
        assert_eq!(
            got(&inv),
            vec![
                ("@babel/core", "7.24.0", Some(12)),
                ("react", "18.2.0", Some(15))
            ]
        );
    }

    #[test]
    fn duplicate_keys_and_wrong_types_are_not_silent() {
        let mut inv = Inventory::default();
        let dup = parse(
            "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\n  a@1.0.0:\n    resolution: {integrity: y}\n",
            &mut Sink::new("pnpm-lock.yaml", &mut inv),
        );
        assert!(
            dup.is_err(),
            "a duplicate key is refused: {:?}",
            inv.packages
        );
        let mut inv = Inventory::default();
        parse(
            "lockfileVersion: '9.0'\npackages: [1, 2]\n",
            &mut Sink::new("pnpm-lock.yaml", &mut inv),
        )
        .unwrap();
        assert_eq!(
            inv.not_assessed[0].to_string(),
            "pnpm-lock.yaml:2: `packages` is not a mapping: nothing in it is read"
        );
    }

    #[test]
    fn yaml_error_line() {
        let mut inv = Inventory::default();
        let e = parse(
            "lockfileVersion: '9.0'\npackages:\n  a: [\n",
            &mut Sink::new("pnpm-lock.yaml", &mut inv),
        )
        .unwrap_err();
        assert!(e.location().starts_with("pnpm-lock.yaml:"), "{e}");
        let deep = format!(
            "lockfileVersion: 5\npackages: {}{}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(parse(&deep, &mut Sink::new("pnpm-lock.yaml", &mut inv)).is_err());
    }
}
