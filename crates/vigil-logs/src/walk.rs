//! Directory walking: every regular file under a directory, depth-first in sorted name order, so
//! that two reads of the same tree yield the same events in the same order. Symbolic links to
//! directories are not followed (no cycles); unreadable directories are recorded and skipped.

use crate::stats::{FileStats, ReadStats};
use std::path::{Path, PathBuf};

/// Deepest directory nesting walked.
const MAX_DEPTH: usize = 64;

pub(crate) fn files_sorted(root: &Path, stats: &mut ReadStats) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(root, 0, stats, &mut out);
    out
}

fn walk(dir: &Path, depth: usize, stats: &mut ReadStats, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        stats.files.push(FileStats::skipped(
            dir,
            format!("directory nested deeper than {MAX_DEPTH} levels"),
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            stats.files.push(FileStats::skipped(
                dir,
                format!("cannot list directory: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            walk(&p, depth + 1, stats, out);
        } else if meta.is_file() || (meta.file_type().is_symlink() && p.is_file()) {
            out.push(p);
        }
    }
}
