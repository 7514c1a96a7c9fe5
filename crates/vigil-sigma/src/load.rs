//! Loading rule files and directories.

use crate::error::RuleError;
use crate::parse::{LoadOptions, parse_rules_str_with};
use crate::rule::RuleSet;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Deepest directory nesting followed when collecting rule files.
const MAX_DIR_DEPTH: usize = 32;

/// Loads every `.yml`/`.yaml` file under the given files and directories (recursively, in
/// sorted order). Rules that cannot be read or parsed are listed with their reason; the
/// others load.
pub fn load_rules(paths: &[PathBuf], opts: &LoadOptions) -> (RuleSet, Vec<RuleError>) {
    let (files, errors) = collect_files(paths);
    // Files are parsed in parallel (YAML parsing is most of the load time) and merged in their
    // sorted order, so the result does not depend on scheduling.
    let parsed: Vec<(RuleSet, Vec<RuleError>)> = files
        .par_iter()
        .map(|f| {
            let origin = f.display().to_string();
            match read_rule_file(f, &origin, opts) {
                Ok(bytes) => parse_rule_bytes(bytes, &origin, opts),
                Err(e) => (RuleSet::default(), vec![e]),
            }
        })
        .collect();
    merge(errors, parsed)
}

/// The rule files under `paths` in load order (sorted, each once), and the paths that could not
/// be listed.
pub(crate) fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<RuleError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        collect(p, 0, &mut files, &mut errors);
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// One set from the per-file results, in file order, after the listing errors.
pub(crate) fn merge(
    mut errors: Vec<RuleError>,
    parsed: Vec<(RuleSet, Vec<RuleError>)>,
) -> (RuleSet, Vec<RuleError>) {
    let mut set = RuleSet::default();
    for (s, e) in parsed {
        set.extend(s);
        errors.extend(e);
    }
    (set, errors)
}

/// The bytes of one rule file, within the size limit.
pub(crate) fn read_rule_file(
    f: &Path,
    origin: &str,
    opts: &LoadOptions,
) -> Result<Vec<u8>, RuleError> {
    let fail = |reason: String| RuleError::new(origin, None, "", reason);
    match std::fs::metadata(f) {
        Ok(m) if m.len() > opts.max_file_size => {
            return Err(fail(format!(
                "rule file larger than {} bytes",
                opts.max_file_size
            )));
        }
        Err(e) => return Err(fail(format!("cannot read: {e}"))),
        Ok(_) => {}
    }
    std::fs::read(f).map_err(|e| fail(format!("cannot read: {e}")))
}

/// Parses the bytes of one rule file (UTF-8, an optional byte-order mark).
pub(crate) fn parse_rule_bytes(
    bytes: Vec<u8>,
    origin: &str,
    opts: &LoadOptions,
) -> (RuleSet, Vec<RuleError>) {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            return (
                RuleSet::default(),
                vec![RuleError::new(origin, None, "", "file is not valid UTF-8")],
            );
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    parse_rules_str_with(text, origin, opts)
}

fn is_rule_file(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

fn collect(p: &Path, depth: usize, files: &mut Vec<PathBuf>, errors: &mut Vec<RuleError>) {
    let origin = p.display().to_string();
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            errors.push(RuleError::new(
                &origin,
                None,
                "",
                format!("cannot read: {e}"),
            ));
            return;
        }
    };
    if meta.is_file() {
        files.push(p.to_path_buf());
        return;
    }
    if !meta.is_dir() {
        return;
    }
    if depth > MAX_DIR_DEPTH {
        errors.push(RuleError::new(
            &origin,
            None,
            "",
            "directory nesting too deep; skipped",
        ));
        return;
    }
    let entries = match std::fs::read_dir(p) {
        Ok(e) => e,
        Err(e) => {
            errors.push(RuleError::new(
                &origin,
                None,
                "",
                format!("cannot list: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            collect(&path, depth + 1, files, errors);
        } else if ft.is_file() && is_rule_file(&path) {
            files.push(path);
        }
    }
}
