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
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        collect(p, 0, &mut files, &mut errors);
    }
    files.sort();
    files.dedup();
    // Files are parsed in parallel (YAML parsing is most of the load time) and merged in their
    // sorted order, so the result does not depend on scheduling.
    let parsed: Vec<(RuleSet, Vec<RuleError>)> =
        files.par_iter().map(|f| load_file(f, opts)).collect();
    let mut set = RuleSet::default();
    for (s, e) in parsed {
        set.extend(s);
        errors.extend(e);
    }
    (set, errors)
}

/// Reads and parses one rule file.
fn load_file(f: &Path, opts: &LoadOptions) -> (RuleSet, Vec<RuleError>) {
    let origin = f.display().to_string();
    let fail = |reason: String| {
        (
            RuleSet::default(),
            vec![RuleError::new(&origin, None, "", reason)],
        )
    };
    match std::fs::metadata(f) {
        Ok(m) if m.len() > opts.max_file_size => {
            return fail(format!(
                "rule file larger than {} bytes",
                opts.max_file_size
            ));
        }
        Err(e) => return fail(format!("cannot read: {e}")),
        Ok(_) => {}
    }
    let text = match std::fs::read(f) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return fail("file is not valid UTF-8".to_string()),
        },
        Err(e) => return fail(format!("cannot read: {e}")),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    parse_rules_str_with(text, &origin, opts)
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
