//! pip requirements files (`requirements.txt`, `requirements-dev.txt`, constraints files).
//!
//! Only exact pins (`name==1.2.3`, `name===1.2.3`) say what is installed; any other specifier
//! (`>=`, `~=`, a bare name, a `==1.*` wildcard) is reported as not assessed, as are direct URL and
//! editable requirements. Backslash continuations are joined, comments (`#` at line start or after
//! whitespace) dropped, `--hash` options ignored. A requirement with an environment marker
//! (`; python_version < "3.8"`) is listed regardless of the marker, since vigil cannot know the
//! interpreter that will install it and an unlisted package would look safe. `-r`/`--requirement` and
//! `-c`/`--constraint` includes are followed relative to the including file (depth-bounded, each file
//! once).

use crate::error::InventoryError;
use crate::input::read_text;
use crate::{Inventory, NotAssessedKind, Sink};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

const MAX_INCLUDE_DEPTH: usize = 8;

/// Reads `path` and the files it includes.
pub fn collect(path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
    let mut seen = HashSet::new();
    collect_inner(path, inv, &mut seen, 0)
}

fn collect_inner(
    path: &Path,
    inv: &mut Inventory,
    seen: &mut HashSet<PathBuf>,
    depth: usize,
) -> Result<(), InventoryError> {
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if !seen.insert(key) {
        return Ok(());
    }
    let text = read_text(path)?;
    let shown = path.display().to_string();
    let includes = parse(&text, &mut Sink::new(&shown, inv));
    for (line, inc) in includes {
        let target = path.parent().unwrap_or(Path::new(".")).join(&inc);
        if depth + 1 > MAX_INCLUDE_DEPTH {
            inv.note(
                NotAssessedKind::Unread,
                format!("{shown}:{line}"),
                format!("include `{inc}` not followed: more than {MAX_INCLUDE_DEPTH} levels deep"),
            );
            continue;
        }
        if let Err(e) = collect_inner(&target, inv, seen, depth + 1) {
            inv.note(
                NotAssessedKind::Unread,
                format!("{shown}:{line}"),
                format!("include `{inc}` could not be read: {}", e.reason()),
            );
        }
    }
    Ok(())
}

/// Parses one file's text; returns its includes as `(line, path)`.
pub fn parse(text: &str, sink: &mut Sink<'_>) -> Vec<(usize, String)> {
    let mut includes = Vec::new();
    let mut logical = String::new();
    let mut start = 0usize;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i + 1;
        }
        let line = strip_comment(raw);
        match line.strip_suffix('\\') {
            Some(cont) => {
                logical.push_str(cont);
                logical.push(' ');
                continue;
            }
            None => logical.push_str(line),
        }
        let l = std::mem::take(&mut logical);
        one(l.trim(), start, sink, &mut includes);
    }
    if !logical.trim().is_empty() {
        one(logical.trim(), start, sink, &mut includes);
    }
    includes
}

fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    let b = line.as_bytes();
    let cut = (1..b.len())
        .find(|&i| b.get(i) == Some(&b'#') && b.get(i - 1).is_some_and(u8::is_ascii_whitespace));
    match cut {
        Some(i) => line.get(..i).unwrap_or(line).trim_end(),
        None => line.trim_end(),
    }
}

fn one(l: &str, line: usize, sink: &mut Sink<'_>, includes: &mut Vec<(usize, String)>) {
    if l.is_empty() {
        return;
    }
    if l.starts_with('-') {
        let (opt, arg) = match l.split_once(['=', ' ', '\t']) {
            Some((o, a)) => (o, a.trim()),
            None => (l, ""),
        };
        match opt {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                if arg.is_empty() {
                    sink.not_assessed(Some(line), format!("`{opt}` without a file"));
                } else {
                    includes.push((line, arg.to_string()));
                }
            }
            "-e" | "--editable" => sink.not_assessed(
                Some(line),
                format!("editable requirement `{arg}` has no released version"),
            ),
            _ => {} // index, find-links, trusted-host, global --hash lines: not packages.
        }
        return;
    }
    // Drop per-requirement options (`--hash=…`) and split off environment markers.
    let spec = l.split(" --").next().unwrap_or(l).trim();
    let (req, _marker) = match spec.split_once(';') {
        Some((r, m)) => (r.trim(), Some(m.trim())),
        None => (spec, None),
    };
    let name_end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    let name = req.get(..name_end).unwrap_or_default();
    let mut rest = req.get(name_end..).unwrap_or_default().trim_start();
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        sink.not_assessed(
            Some(line),
            format!("`{req}` is a path or URL, not a named requirement"),
        );
        return;
    }
    if let Some(r) = rest.strip_prefix('[') {
        rest = r
            .split_once(']')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    if rest.starts_with('@') {
        sink.not_assessed(Some(line), format!("`{name}` is installed from a URL"));
        return;
    }
    let pinned = rest
        .strip_prefix("===")
        .or_else(|| rest.strip_prefix("=="))
        .map(str::trim)
        .filter(|v| !v.contains([',', '*', ' ', '<', '>', '!', '~', '=']) && !v.is_empty());
    match pinned {
        Some(v) => {
            sink.package("PyPI", name, v, Some(line));
        }
        None => sink.not_assessed(
            Some(line),
            format!("`{name}{rest}` is not pinned with `==`: the installed version is unknown",),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_markers_hashes_includes() {
        let t = "# app deps\n-r base.txt\n--index-url https://pypi.org/simple\nDjango==3.2.4  # pinned\n\
requests[security]==2.25.1 ; python_version >= \"3.6\"\nflask>=1.0\n\
cryptography==3.3.2 \\\n    --hash=sha256:aaa \\\n    --hash=sha256:bbb\nnumpy==1.*\n\
-e git+https://github.com/x/y.git#egg=y\nhttps://example.com/pkg.whl\nurllib3 @ https://x/u.whl\n\
Jinja2===2.11.3\n-c constraints.txt\n";
        let mut inv = crate::Inventory::default();
        let inc = parse(t, &mut Sink::new("requirements.txt", &mut inv));
        assert_eq!(
            inc,
            vec![
                (2, "base.txt".to_string()),
                (15, "constraints.txt".to_string())
            ]
        );
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Django", "3.2.4", Some(4)),
                ("requests", "2.25.1", Some(5)),
                ("cryptography", "3.3.2", Some(7)),
                ("Jinja2", "2.11.3", Some(14)),
            ]
        );
        assert_eq!(
            inv.packages[0].purl.as_deref(),
            Some("pkg:pypi/django@3.2.4")
        );
        let na: Vec<&str> = inv
            .not_assessed
            .iter()
            .map(|n| n.location.as_str())
            .collect();
        assert_eq!(
            na,
            vec![
                "requirements.txt:6",
                "requirements.txt:10",
                "requirements.txt:11",
                "requirements.txt:12",
                "requirements.txt:13"
            ]
        );
        assert!(inv.not_assessed[0].reason.contains("not pinned"));
    }

    #[test]
    fn includes_followed_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "-r base.txt\nflask==2.0.1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("base.txt"),
            "-r requirements.txt\nclick==8.0.1\n-r missing.txt\n",
        )
        .unwrap();
        let mut inv = crate::Inventory::default();
        collect(&dir.path().join("requirements.txt"), &mut inv).unwrap();
        let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["flask", "click"]);
        assert_eq!(inv.not_assessed.len(), 1);
        assert!(inv.not_assessed[0].location.ends_with("base.txt:3"));
    }
}
