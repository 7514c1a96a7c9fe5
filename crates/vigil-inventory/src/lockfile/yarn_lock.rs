//! `yarn.lock`, both the classic (v1) format and Berry's (v2+, YAML).
//!
//! Both are read line by line: an unindented `specs:` line opens an entry, and its indented `version`
//! line (`version "1.2.3"` in classic, `version: 1.2.3` in Berry) gives the installed version. The name is
//! taken from the first spec (`name@range`, `@scope/name@range`; for npm aliases `alias@npm:real@range`
//! the real name), or in Berry from `resolution: "name@npm:1.2.3"`. Berry workspace entries
//! (`@workspace:`, `linkType: soft`) are the project itself and are skipped; entries resolved from git,
//! files or URLs have no registry version and are reported as not assessed. An entry header repeated
//! (yarn refuses such a file) is a warning, and the entry is read once.

use crate::Sink;
use crate::error::InventoryError;
use crate::lockfile::Unique;

struct Entry {
    line: usize,
    spec: String,
    version: Option<String>,
    resolution: Option<String>,
    soft_link: bool,
}

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let mut cur: Option<Entry> = None;
    let mut saw_entry_or_header = false;
    let mut unique = Unique::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.is_empty() || line.trim_start().starts_with('#') {
            if line.starts_with("# yarn lockfile") {
                saw_entry_or_header = true;
            }
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            if let Some(e) = cur.take() {
                emit(e, sink);
            }
            let Some(specs) = line.strip_suffix(':') else {
                return Err(InventoryError::parse(
                    sink.file(),
                    Some(crate::lines::u32_line(i + 1)),
                    format!("expected an entry header ending in `:`, found `{line}`"),
                ));
            };
            saw_entry_or_header = true;
            if specs == "__metadata" {
                continue;
            }
            if !unique.first(specs.to_string(), &format!("`{specs}`"), Some(i + 1), sink) {
                continue;
            }
            let first = specs
                .trim_matches('"')
                .split(", ")
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_string();
            cur = Some(Entry {
                line: i + 1,
                spec: first,
                version: None,
                resolution: None,
                soft_link: false,
            });
            continue;
        }
        let Some(e) = cur.as_mut() else {
            continue;
        };
        let t = line.trim_start();
        // Only the entry's own fields (two-space indent), not those of nested `dependencies:` maps.
        if line.len() - t.len() != 2 {
            continue;
        }
        let (key, value) = match t.split_once(':') {
            Some((k, v)) if !k.contains(' ') && !k.contains('"') => (k, v.trim()),
            _ => match t.split_once(' ') {
                Some((k, v)) => (k, v.trim()),
                None => continue,
            },
        };
        let value = value.trim_matches('"').to_string();
        match key {
            "version" => e.version = Some(value),
            "resolution" => e.resolution = Some(value),
            "linkType" => e.soft_link = value == "soft",
            _ => {}
        }
    }
    if let Some(e) = cur.take() {
        emit(e, sink);
    }
    if !saw_entry_or_header && !text.trim().is_empty() {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no yarn.lock entries",
        ));
    }
    Ok(())
}

/// `name@range` → `name`, keeping a leading `@scope/`.
fn name_of(spec: &str) -> &str {
    match spec.get(1..).and_then(|r| r.find('@')) {
        Some(i) => spec.get(..i + 1).unwrap_or(spec),
        None => spec,
    }
}

fn emit(e: Entry, sink: &mut Sink<'_>) {
    let line = Some(e.line);
    if e.soft_link || e.spec.contains("@workspace:") {
        return;
    }
    let spec_name = name_of(&e.spec);
    let after = e.spec.get(spec_name.len() + 1..).unwrap_or_default();
    // Classic alias `alias@npm:real@^1`: the installed package is `real`.
    let mut name = match after.strip_prefix("npm:") {
        Some(real) if real.get(1..).is_some_and(|r| r.contains('@')) => name_of(real),
        _ => spec_name,
    };
    if let Some(res) = &e.resolution {
        let rname = name_of(res);
        let rest = res.get(rname.len() + 1..).unwrap_or_default();
        if rest.starts_with("workspace:") {
            return;
        }
        if !(rest.starts_with("npm:") || rest.starts_with("patch:")) {
            sink.not_assessed(
                line,
                format!("`{rname}` resolves to `{rest}`, not a registry version"),
            );
            return;
        }
        name = rname;
    }
    let Some(version) = e.version.filter(|v| !v.is_empty()) else {
        sink.not_assessed(line, format!("`{name}` has no version"));
        return;
    };
    let name = name.to_string();
    sink.package("npm", &name, &version, line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    fn got(inv: &Inventory) -> Vec<(&str, &str, Option<u32>)> {
        inv.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect()
    }

    #[test]
    fn classic() {
        let t = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826beef65e75c50e21d3837d7d95798dd658\"\n  integrity sha512-HV1Cm0Q3ZrpCR93tkWOYiuYIgLxZXZFVG2VgK+MBWjUqZTundupbfx2aXarXuw5Ko5aMcjtJgbSs4vUGBS5v6g==\n  dependencies:\n    \"@babel/highlight\" \"^7.12.13\"\n\nminimist@^1.2.0, minimist@^1.2.5:\n  version \"1.2.5\"\n\nstring-width-cjs@npm:string-width@^4.2.0:\n  version \"4.2.3\"\n";
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("yarn.lock", &mut inv)).unwrap();
        assert_eq!(
            got(&inv),
            vec![
                ("@babel/code-frame", "7.12.13", Some(5)),
                ("minimist", "1.2.5", Some(12)),
                ("string-width", "4.2.3", Some(15)),
            ]
        );
    }

    #[test]
    fn berry() {
        let t = "# This file is generated by running \"yarn install\" inside your project.\n\n__metadata:\n  version: 6\n  cacheKey: 8\n\n\"@babel/code-frame@npm:^7.0.0, @babel/code-frame@npm:^7.10.4\":\n  version: 7.12.13\n  resolution: \"@babel/code-frame@npm:7.12.13\"\n  dependencies:\n    \"@babel/highlight\": ^7.12.13\n  checksum: 471532bb7c\n  languageName: node\n  linkType: hard\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  languageName: unknown\n  linkType: soft\n\n\"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>\":\n  version: 1.22.1\n  resolution: \"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b\"\n  languageName: node\n  linkType: hard\n\n\"mylib@git+https://github.com/x/mylib.git\":\n  version: 2.0.0\n  resolution: \"mylib@https://github.com/x/mylib.git#commit=abc\"\n  linkType: hard\n";
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("yarn.lock", &mut inv)).unwrap();
        assert_eq!(
            got(&inv),
            vec![
                ("@babel/code-frame", "7.12.13", Some(7)),
                ("resolve", "1.22.1", Some(22))
            ]
        );
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "yarn.lock:28");
    }

    #[test]
    fn garbage() {
        let mut inv = Inventory::default();
        let e = parse("hello world\n", &mut Sink::new("yarn.lock", &mut inv)).unwrap_err();
        assert_eq!(e.location(), "yarn.lock:1");
    }
}
