//! Directory walking: every file under a directory, depth-first in sorted name order, so that two
//! reads of the same tree yield the same events in the same order.
//!
//! Symbolic links to files and folders are followed — logs are often linked into place — but each
//! file and folder is visited once (by device and inode, or canonical path where those are not
//! available), so a link loop or a second link to the same log costs nothing and reads nothing
//! twice. Nothing is dropped silently: an entry that cannot be listed or inspected, a broken link, a
//! special file (FIFO, socket, device: opening a FIFO blocks until a writer comes), a folder nested
//! too deep and the files beyond the count limit are recorded in the stats with the reason. vigil's
//! own report folders (marked by a [`REPORT_MARKER`] file) are left out with a note: a report
//! written inside a log folder must not be read back as logs. Paths are kept as given; showing
//! them safely is the caller's job.

use crate::ReadOptions;
use crate::error::describe_io;
use crate::input::Kind;
use crate::stats::{FileStats, ReadStats};
use std::collections::HashSet;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// The file vigil writes into each report folder it creates.
pub use vigil_model::REPORT_MARKER;

/// What identifies a file or folder whatever the path it is reached by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Canonical(PathBuf),
}

fn identity(path: &Path, meta: &Metadata) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        std::fs::canonicalize(path).ok().map(Identity::Canonical)
    }
}

struct Walker<'a> {
    opts: &'a ReadOptions,
    stats: &'a mut ReadStats,
    seen: HashSet<Identity>,
    out: Vec<PathBuf>,
    /// Entries (files, folders, left-out entries) examined so far, against `max_walk_files`.
    visited: usize,
    /// Set once `max_walk_files` is reached: the rest is reported once, not examined.
    full: bool,
}

pub(crate) fn files_sorted(root: &Path, opts: &ReadOptions, stats: &mut ReadStats) -> Vec<PathBuf> {
    let mut w = Walker {
        opts,
        stats,
        seen: HashSet::new(),
        out: Vec::new(),
        visited: 0,
        full: false,
    };
    match std::fs::metadata(root) {
        Ok(meta) => {
            if let Some(id) = identity(root, &meta) {
                w.seen.insert(id);
            }
            w.dir(root, 0);
        }
        Err(e) => w.skip(root, format!("cannot inspect: {}", describe_io(&e))),
    }
    w.out
}

impl Walker<'_> {
    fn skip(&mut self, path: &Path, reason: String) {
        self.stats.files.push(FileStats::skipped(path, reason));
    }

    fn dir(&mut self, dir: &Path, depth: usize) {
        if depth > self.opts.max_walk_depth {
            self.skip(
                dir,
                format!(
                    "folder nested deeper than {} levels; not read",
                    self.opts.max_walk_depth
                ),
            );
            return;
        }
        if dir.join(REPORT_MARKER).exists() {
            self.stats.files.push(FileStats::noted(
                dir,
                format!("vigil's own report folder (it holds {REPORT_MARKER}); not read as logs"),
            ));
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.skip(dir, format!("cannot list folder: {}", describe_io(&e)));
                return;
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            // Memory stays bounded in a folder of millions of entries; `entry` reports the excess.
            if paths.len() > self.opts.max_walk_files {
                break;
            }
            match entry {
                Ok(e) => paths.push(e.path()),
                Err(e) => self.skip(
                    dir,
                    format!(
                        "an entry of this folder cannot be read: {}",
                        describe_io(&e)
                    ),
                ),
            }
        }
        paths.sort();
        for p in paths {
            self.entry(&p, depth);
        }
    }

    fn entry(&mut self, p: &Path, depth: usize) {
        if self.full {
            return;
        }
        self.visited += 1;
        if self.visited > self.opts.max_walk_files {
            self.full = true;
            self.skip(
                p,
                format!(
                    "more than {} files and folders under the folder given; this one and the rest \
                     were not read",
                    self.opts.max_walk_files
                ),
            );
            return;
        }
        let link = std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
        // `metadata` follows links: a link is what it points to.
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) if link => {
                self.skip(p, format!("broken symbolic link: {}", describe_io(&e)));
                return;
            }
            Err(e) => {
                self.skip(p, format!("cannot inspect: {}", describe_io(&e)));
                return;
            }
        };
        let kind = Kind::of(&meta);
        if matches!(kind, Kind::Directory | Kind::Regular)
            && let Some(id) = identity(p, &meta)
            && !self.seen.insert(id)
        {
            // A link loop, or a second link to something already read: read once.
            let what = if kind == Kind::Directory {
                "folder"
            } else {
                "file"
            };
            let how = if link { "symbolic link" } else { "hard link" };
            self.stats.files.push(FileStats::noted(
                p,
                format!("{how} to a {what} already read; not read twice"),
            ));
            return;
        }
        match kind {
            Kind::Directory => self.dir(p, depth + 1),
            Kind::Regular => self.out.push(p.to_path_buf()),
            special => self.skip(
                p,
                format!(
                    "{}: not opened inside a folder (it could block or never end); give it as an \
                     input of its own to read it",
                    special.describe()
                ),
            ),
        }
    }
}
