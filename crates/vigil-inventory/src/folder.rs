//! What a server's folder holds, sorted the way `vigil audit` and `vigil doctor` read it: knowledge
//! folders, root filesystems (whose `var/log` is a log folder), inventory files the collectors
//! recognise, incident records, documentation that is neither, and everything else as logs.
//!
//! Nothing is dropped silently: a path that cannot be looked at (missing, unreadable, a special file,
//! a folder too deep) is sorted among the logs, whose readers say why it was not read; only vigil's
//! own report folders, hidden folders and documentation are set aside, and those are listed. Symlinks
//! are followed, each folder and file at most once (a link to an ancestor ends there), within a depth
//! and a file budget.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// Deepest folder level walked, and most files looked at.
const MAX_DEPTH: usize = 12;
const MAX_FILES: usize = 200_000;

/// The paths of a folder, by what they hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FolderParts {
    /// Folders named `knowledge`.
    pub knowledge: Vec<PathBuf>,
    /// Files an inventory reader recognises.
    pub inventory: Vec<PathBuf>,
    /// Root filesystems (an `etc/os-release` or a package database under them).
    pub roots: Vec<PathBuf>,
    /// Log files and folders, and whatever could not be looked at.
    pub logs: Vec<PathBuf>,
    /// `incident.toml` files, in walk order.
    pub incident_records: Vec<PathBuf>,
    /// Set aside on purpose: vigil's report folders and documentation (`*.md`, licences, scripts).
    pub set_aside: Vec<PathBuf>,
    /// Files beyond the file budget, not looked at.
    pub over_budget: usize,
}

/// Sorts `inputs`; paths whose canonical form is in `explicit` (given by the caller as something
/// specific) are left out.
pub fn sort_folder(inputs: &[PathBuf], explicit: &BTreeSet<PathBuf>) -> FolderParts {
    let mut w = Walk {
        explicit,
        parts: FolderParts::default(),
        budget: MAX_FILES,
        seen_dirs: HashSet::new(),
        seen_files: HashSet::new(),
    };
    for p in inputs {
        w.walk(p, 0);
    }
    w.parts
}

/// Whether `dir` is a vigil report folder (input walks set it aside).
pub fn is_report_dir(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(vigil_model::REPORT_MARKER)).is_ok_and(|m| m.is_file())
}

fn is_root(dir: &Path) -> bool {
    dir.join("etc/os-release").is_file()
        || dir.join("var/lib/dpkg/status").is_file()
        || dir.join("lib/apk/db/installed").is_file()
}

struct Walk<'a> {
    explicit: &'a BTreeSet<PathBuf>,
    parts: FolderParts,
    budget: usize,
    seen_dirs: HashSet<PathBuf>,
    seen_files: HashSet<PathBuf>,
}

impl Walk<'_> {
    fn walk(&mut self, p: &Path, depth: usize) {
        let canonical = std::fs::canonicalize(p).ok();
        if canonical
            .as_ref()
            .is_some_and(|c| self.explicit.contains(c))
        {
            return;
        }
        let Ok(meta) = std::fs::metadata(p) else {
            // Left to the log readers, which say why it cannot be read.
            self.parts.logs.push(p.to_path_buf());
            return;
        };
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if meta.is_dir() {
            self.dir(p, depth, &name, canonical);
            return;
        }
        if let Some(c) = canonical
            && !self.seen_files.insert(c)
        {
            // The same file through a link: read once.
            return;
        }
        if self.budget == 0 {
            self.parts.over_budget += 1;
            return;
        }
        self.budget -= 1;
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name == "incident.toml" {
            self.parts.incident_records.push(p.to_path_buf());
        } else if matches!(ext.as_str(), "md" | "toml" | "py" | "pyc")
            || name.starts_with("license")
        {
            self.parts.set_aside.push(p.to_path_buf());
        } else if meta.is_file() && crate::detect::kind_of(p).is_ok() {
            self.parts.inventory.push(p.to_path_buf());
        } else {
            // Special files too: the log readers refuse them with the reason, never hang.
            self.parts.logs.push(p.to_path_buf());
        }
    }

    fn dir(&mut self, p: &Path, depth: usize, name: &str, canonical: Option<PathBuf>) {
        if is_report_dir(p) {
            self.parts.set_aside.push(p.to_path_buf());
            return;
        }
        if depth > 0 && (name.starts_with('.') || name == "__pycache__") {
            return;
        }
        if let Some(c) = canonical
            && !self.seen_dirs.insert(c)
        {
            // Reached again through a link: read once.
            return;
        }
        if name == "knowledge" {
            self.parts.knowledge.push(p.to_path_buf());
            return;
        }
        if is_root(p) {
            self.parts.roots.push(p.to_path_buf());
            let logs = p.join("var/log");
            if logs.is_dir() {
                self.parts.logs.push(logs);
            }
            return;
        }
        let rd = match std::fs::read_dir(p) {
            Ok(rd) if depth < MAX_DEPTH => rd,
            // Too deep, or not listable: the log readers walk it with their own bounds, or say why not.
            _ => {
                self.parts.logs.push(p.to_path_buf());
                return;
            }
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            self.walk(&e, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_folder_sorted() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("knowledge")).unwrap();
        std::fs::write(d.join("knowledge/kev.json"), "{}").unwrap();
        std::fs::write(d.join("README.md"), "# x").unwrap();
        std::fs::write(d.join("incident.toml"), "").unwrap();
        std::fs::write(d.join("mail.log"), "x").unwrap();
        std::fs::create_dir_all(d.join("report")).unwrap();
        std::fs::write(d.join("report").join(vigil_model::REPORT_MARKER), "").unwrap();
        std::fs::create_dir_all(d.join("img/etc")).unwrap();
        std::fs::write(d.join("img/etc/os-release"), "ID=debian\n").unwrap();
        std::fs::create_dir_all(d.join("img/var/log")).unwrap();
        let s = sort_folder(&[d.to_path_buf()], &BTreeSet::new());
        assert_eq!(s.knowledge, vec![d.join("knowledge")]);
        assert_eq!(s.roots, vec![d.join("img")]);
        assert_eq!(s.logs, vec![d.join("img/var/log"), d.join("mail.log")]);
        assert_eq!(s.incident_records, vec![d.join("incident.toml")]);
        assert_eq!(s.set_aside, vec![d.join("README.md"), d.join("report")]);
    }

    /// Links are followed, a link back to an ancestor ends the walk there, and what cannot be looked
    /// at (a dangling link, a missing input) goes to the logs, whose readers say why.
    #[test]
    fn links_followed_once_and_nothing_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("logs")).unwrap();
        std::fs::write(d.join("logs/mail.log"), "x").unwrap();
        std::os::unix::fs::symlink(d, d.join("logs/loop")).unwrap();
        std::os::unix::fs::symlink(d.join("logs/mail.log"), d.join("linked.log")).unwrap();
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling.log")).unwrap();
        let missing = d.join("missing");
        let s = sort_folder(&[d.to_path_buf(), missing.clone()], &BTreeSet::new());
        assert_eq!(
            s.logs,
            vec![
                d.join("dangling.log"),
                d.join("linked.log"),
                // logs/mail.log was reached already, through linked.log.
                missing
            ]
        );
    }
}
