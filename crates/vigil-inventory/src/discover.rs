//! Finding every input in a directory tree by file name, with `.gitignore`-style excludes.
//!
//! Excludes are hand-rolled rather than taken from the `ignore` crate: vigil needs only pattern matching
//! on paths it walks itself (not `.gitignore` discovery, git config or parallel walking), and the subset
//! below is small, exact and dependency-free. Pattern rules, as in gitignore: a pattern without a `/`
//! (other than a trailing one) matches a file or directory name at any depth; one with a `/` is anchored
//! at the scanned directory (a leading `/` is dropped); a trailing `/` matches directories only; `*` and
//! `?` do not cross `/`, `**` matches any number of directories, `[abc]`/`[a-z]`/`[!x]` match one
//! character; `!pattern` re-includes what an earlier pattern excluded; the last matching pattern wins.
//! An excluded directory is not entered.
//!
//! The walk says what it could not read, as a single-file read does: every directory that cannot be
//! listed, every entry that cannot be examined, every recognised file that cannot be read, and a
//! directory in which nothing was recognised, become not-assessed items naming the path and the reason;
//! a [`WalkSummary`] counts what was found. Symbolic links to files and folders are followed (a
//! lockfile is often a link into a shared folder), loop-safe: every folder and file is entered once,
//! known by its device and inode (its canonical path where there are no inodes). FIFOs, sockets and
//! devices are never opened (opening a FIFO waits for a writer). `.git` is skipped, and so is a folder
//! holding the marker file [`REPORT_MARKER`] (vigil's own report output), with a note. The walk stops
//! [`MAX_DEPTH`] levels down and after [`MAX_ENTRIES`] entries, saying so, and visits entries in sorted
//! order; files are read in parallel and the result is sorted, so output is the same on every run.

use crate::collect::read_input;
use crate::detect::{self, Kind, kind_by_name};
use crate::error::io_reason;
use crate::input::describe_type;
use crate::outcome::{NotAssessedKind, SAMPLE, WalkSummary};
use crate::{Inventory, windows};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub const MAX_DEPTH: usize = 64;
/// Entries looked at in one walk; past this the walk stops and says so.
pub const MAX_ENTRIES: usize = 2_000_000;
/// A folder holding this file is a vigil report folder: never read as input.
pub use vigil_model::REPORT_MARKER;

/// One exclude pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    segs: Vec<String>,
    anchored: bool,
    dir_only: bool,
    negate: bool,
}

impl Pattern {
    pub fn new(raw: &str) -> Option<Pattern> {
        let mut p = raw.trim();
        if p.is_empty() || p.starts_with('#') {
            return None;
        }
        let negate = match p.strip_prefix('!') {
            Some(r) => {
                p = r;
                true
            }
            None => false,
        };
        let dir_only = p.ends_with('/');
        let p = p.trim_end_matches('/');
        let anchored = p.contains('/');
        let p = p.trim_start_matches('/');
        if p.is_empty() {
            return None;
        }
        Some(Pattern {
            segs: p.split('/').map(str::to_string).collect(),
            anchored,
            dir_only,
            negate,
        })
    }

    /// Whether the pattern matches `rel` (a `/`-separated path relative to the scanned directory).
    pub fn matches(&self, rel: &str, is_dir: bool) -> bool {
        if self.dir_only && !is_dir {
            return false;
        }
        let parts: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        let segs: Vec<&str> = self.segs.iter().map(String::as_str).collect();
        if self.anchored {
            match_segs(&segs, &parts)
        } else {
            parts
                .last()
                .is_some_and(|name| segs.first().is_some_and(|s| glob(s, name)))
        }
    }
}

/// Whether the exclude list excludes `rel`.
pub fn excluded(patterns: &[Pattern], rel: &str, is_dir: bool) -> bool {
    let mut out = false;
    for p in patterns {
        if p.matches(rel, is_dir) {
            out = !p.negate;
        }
    }
    out
}

fn match_segs(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => {
            (0..=path.len()).any(|skip| match_segs(rest, path.get(skip..).unwrap_or_default()))
        }
        Some((p, rest)) => match path.split_first() {
            Some((s, prest)) => glob(p, s) && match_segs(rest, prest),
            None => false,
        },
    }
}

/// One path segment against a glob (`*`, `?`, `[…]`), iteratively with single-star backtracking.
fn glob(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let tc = t.get(ti).copied();
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => {
                pi += 1;
                ti += 1;
                continue;
            }
            Some('[') => {
                if let Some(c) = tc {
                    match class(&p, pi, c) {
                        Some((true, next)) => {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                        Some((false, _)) => {}
                        None if c == '[' => {
                            pi += 1;
                            ti += 1;
                            continue;
                        }
                        None => {}
                    }
                }
            }
            Some(c) if Some(*c) == tc => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|c| *c == '*')
}

/// A `[…]` class at `p[start]`: whether `c` is in it and the index after `]`; `None` if unterminated.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|e| *e != ']') {
            let hi = *p.get(i + 2)?;
            hit |= ch <= c && c <= hi;
            i += 3;
        } else {
            hit |= ch == c;
            i += 1;
        }
    }
}

/// Every input under `path` (or `path` itself when it is a file), collected into one inventory.
/// Unreadable directories and files, and files that do not parse, are reported as not assessed; the
/// rest of the tree is still read. The walk's [`WalkSummary`] is in [`Inventory::walks`].
pub fn discover(path: &Path, excludes: &[String]) -> Inventory {
    let mut inv = Inventory::default();
    if path.is_file() {
        match detect::kind_of(path) {
            Ok(k) => inv.merge(read_input(path, k)),
            Err(e) => inv.error(&e),
        }
    } else {
        walk_into(path, excludes, &mut inv);
    }
    windows::finish::finish(&mut inv);
    inv.normalise();
    inv
}

/// Walks `root` and reads every input found into `inv` (Windows facts left unmerged).
pub(crate) fn walk_into(root: &Path, excludes: &[String], inv: &mut Inventory) {
    walk_bounded(root, excludes, inv, MAX_ENTRIES);
}

fn walk_bounded(root: &Path, excludes: &[String], inv: &mut Inventory, max_entries: usize) {
    let patterns: Vec<Pattern> = excludes.iter().filter_map(|e| Pattern::new(e)).collect();
    let mut w = Walker {
        patterns: &patterns,
        summary: WalkSummary {
            root: root.display().to_string(),
            ..WalkSummary::default()
        },
        found: Vec::new(),
        seen_dirs: HashSet::new(),
        seen_files: HashSet::new(),
        entries: 0,
        max_entries,
        inv,
    };
    w.walk(root);
    let Walker {
        mut summary, found, ..
    } = w;
    summary.recognised = found.len();
    let results: Vec<Inventory> = found.par_iter().map(|(p, k)| read_input(p, *k)).collect();
    for r in results {
        inv.merge(r);
    }
    if summary.nothing_recognised() {
        inv.note(
            NotAssessedKind::Unread,
            summary.root.clone(),
            summary.findings(),
        );
    }
    inv.walks.push(summary);
}

/// What identifies a file or folder however it is reached: device and inode.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn file_id(_path: &Path, meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path, _meta: &std::fs::Metadata) -> Option<FileId> {
    std::fs::canonicalize(path).ok()
}

struct Walker<'a> {
    patterns: &'a [Pattern],
    summary: WalkSummary,
    found: Vec<(PathBuf, Kind)>,
    seen_dirs: HashSet<FileId>,
    seen_files: HashSet<FileId>,
    entries: usize,
    max_entries: usize,
    inv: &'a mut Inventory,
}

impl Walker<'_> {
    fn unreadable(&mut self, path: &Path, reason: String) {
        self.summary.unreadable += 1;
        self.inv
            .note(NotAssessedKind::Unread, path.display().to_string(), reason);
    }

    /// Whether a folder (or file) was reached before, through another name or a loop; counted.
    fn seen_before(&mut self, dir: bool, p: &Path, meta: &std::fs::Metadata) -> bool {
        let Some(id) = file_id(p, meta) else {
            return false;
        };
        let set = if dir {
            &mut self.seen_dirs
        } else {
            &mut self.seen_files
        };
        if set.insert(id) {
            return false;
        }
        self.summary.already_seen += 1;
        true
    }

    /// Whether `dir` is a vigil report folder (then it is skipped with a note).
    fn report_folder(&mut self, dir: &Path) -> bool {
        if std::fs::symlink_metadata(dir.join(REPORT_MARKER)).is_err() {
            return false;
        }
        self.summary.reports_skipped += 1;
        self.inv.note(
            NotAssessedKind::Skipped,
            dir.display().to_string(),
            format!("a vigil report folder (it holds {REPORT_MARKER}): not read as input"),
        );
        true
    }

    fn walk(&mut self, root: &Path) {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => return self.unreadable(root, io_reason(&e)),
        };
        if let Some(id) = file_id(root, &meta) {
            self.seen_dirs.insert(id);
        }
        if self.report_folder(root) {
            return;
        }
        // (directory, its path relative to root, depth)
        let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
        while let Some((dir, rel, depth)) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    self.unreadable(&dir, format!("cannot list directory: {}", io_reason(&e)));
                    continue;
                }
            };
            let mut list: Vec<(String, PathBuf, std::fs::FileType)> = Vec::new();
            for entry in entries {
                match entry.and_then(|e| Ok((e.file_type()?, e))) {
                    Ok((ft, e)) => {
                        list.push((e.file_name().to_string_lossy().into_owned(), e.path(), ft))
                    }
                    Err(e) => self.unreadable(
                        &dir,
                        format!("an entry could not be examined: {}", io_reason(&e)),
                    ),
                }
            }
            list.sort_by(|a, b| a.0.cmp(&b.0));
            let mut subdirs = Vec::new();
            for (name, p, ft) in list {
                self.entries += 1;
                if self.entries > self.max_entries {
                    let why = format!(
                        "more than {} entries; the rest of the tree was not read",
                        self.max_entries
                    );
                    self.summary.stopped = Some(why.clone());
                    self.inv.note(
                        NotAssessedKind::Unread,
                        self.summary.root.clone(),
                        format!("walk stopped: {why}"),
                    );
                    return;
                }
                let child_rel = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                // What the entry is, following a symbolic link to its target.
                let meta = if ft.is_symlink() {
                    match std::fs::metadata(&p) {
                        Ok(m) => {
                            self.summary.links_followed += 1;
                            m
                        }
                        Err(e) => {
                            let why = if e.kind() == std::io::ErrorKind::NotFound {
                                "symbolic link to a missing target".to_string()
                            } else {
                                format!("symbolic link cannot be followed: {}", io_reason(&e))
                            };
                            self.unreadable(&p, why);
                            continue;
                        }
                    }
                } else {
                    match std::fs::symlink_metadata(&p) {
                        Ok(m) => m,
                        Err(e) => {
                            self.unreadable(&p, io_reason(&e));
                            continue;
                        }
                    }
                };
                if meta.is_dir() {
                    if name == ".git" || excluded(self.patterns, &child_rel, true) {
                        self.summary.excluded += 1;
                        continue;
                    }
                    if self.seen_before(true, &p, &meta) {
                        continue;
                    }
                    if self.report_folder(&p) {
                        continue;
                    }
                    if depth + 1 >= MAX_DEPTH {
                        self.unreadable(
                            &p,
                            format!("more than {MAX_DEPTH} directories deep; not entered"),
                        );
                        continue;
                    }
                    subdirs.push((p, child_rel, depth + 1));
                } else if meta.is_file() {
                    if excluded(self.patterns, &child_rel, false) {
                        self.summary.excluded += 1;
                        continue;
                    }
                    if self.seen_before(false, &p, &meta) {
                        continue;
                    }
                    self.summary.files += 1;
                    self.file(p, child_rel);
                } else {
                    if excluded(self.patterns, &child_rel, false) {
                        self.summary.excluded += 1;
                        continue;
                    }
                    self.summary.special += 1;
                    // Named like an input: say why it was not read. Other sockets and FIFOs are
                    // counted only.
                    if kind_by_name(&p).is_some() || detect::sniffable(&p) {
                        self.inv.note(
                            NotAssessedKind::Unread,
                            p.display().to_string(),
                            format!(
                                "{}, not a regular file: not opened",
                                describe_type(meta.file_type())
                            ),
                        );
                    }
                }
            }
            // Reverse so that popping visits subdirectories in sorted order.
            stack.extend(subdirs.into_iter().rev());
        }
    }

    /// A regular file: recognised by name, else by content when its extension is a generic one.
    fn file(&mut self, p: PathBuf, rel: String) {
        let kind = match kind_by_name(&p) {
            Some(k) => Some(k),
            None if detect::sniffable(&p) => match detect::kind_by_content(&p) {
                Ok(k) => k,
                Err(e) => {
                    self.summary.unreadable += 1;
                    self.inv.error(&e);
                    return;
                }
            },
            None => None,
        };
        match kind {
            Some(k) => self.found.push((p, k)),
            None => {
                self.summary.not_recognised += 1;
                if self.summary.not_recognised_sample.len() < SAMPLE {
                    self.summary.not_recognised_sample.push(rel);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_bound_stops_the_walk_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..8 {
            std::fs::write(
                dir.path().join(format!("requirements-{i}.txt")),
                "django==3.2.4\n",
            )
            .unwrap();
        }
        let mut inv = Inventory::default();
        walk_bounded(dir.path(), &[], &mut inv, 5);
        assert_eq!(inv.packages.len(), 5);
        let walk = &inv.walks[0];
        assert_eq!(
            walk.stopped.as_deref(),
            Some("more than 5 entries; the rest of the tree was not read")
        );
        assert!(inv.incomplete());
        assert_eq!(
            inv.not_assessed[0].reason,
            "walk stopped: more than 5 entries; the rest of the tree was not read"
        );
    }

    fn ex(pats: &[&str], rel: &str, dir: bool) -> bool {
        let ps: Vec<Pattern> = pats.iter().filter_map(|p| Pattern::new(p)).collect();
        excluded(&ps, rel, dir)
    }

    #[test]
    fn gitignore_semantics() {
        assert!(ex(&["node_modules"], "a/b/node_modules", true));
        assert!(ex(&["node_modules/"], "node_modules", true));
        assert!(!ex(&["node_modules/"], "node_modules", false));
        assert!(ex(&["*.lock"], "x/Cargo.lock", false));
        assert!(ex(&["/vendor"], "vendor", true));
        assert!(!ex(&["/vendor"], "a/vendor", true));
        assert!(ex(&["a/**/c"], "a/c", true));
        assert!(ex(&["a/**/c"], "a/b/x/c", true));
        assert!(ex(&["**/test/*.json"], "x/test/p.json", false));
        assert!(!ex(&["**/test/*.json"], "x/test/y/p.json", false));
        assert!(ex(&["req?.txt"], "req1.txt", false));
        assert!(ex(&["[ab]*.txt"], "b1.txt", false));
        assert!(!ex(&["[!ab]*.txt"], "b1.txt", false));
        assert!(ex(&["[a-c]x"], "bx", false));
        assert!(!ex(&["*.lock", "!Cargo.lock"], "Cargo.lock", false));
        assert!(ex(&["*.lock", "!Cargo.lock"], "yarn.lock", false));
        assert!(!ex(&["# comment", ""], "x", false));
        assert!(glob("*a*b*c", "xxaxxbxxc"));
        assert!(!glob("*a*b*c", "xxaxxbxx"));
    }
}
