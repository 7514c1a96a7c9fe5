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
//! The walk does not follow symbolic links (no loops, no escaping the tree), skips `.git`, stops
//! [`MAX_DEPTH`] levels down, and visits entries in sorted order; files are read in parallel and the
//! result is sorted, so output is the same on every run.

use crate::detect::{self, Kind, kind_by_name};
use crate::{Inventory, NotAssessed};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub const MAX_DEPTH: usize = 64;
/// Entries looked at in one walk; past this the walk stops and says so.
pub const MAX_ENTRIES: usize = 2_000_000;

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
/// rest of the tree is still read.
pub fn discover(path: &Path, excludes: &[String]) -> Inventory {
    let patterns: Vec<Pattern> = excludes.iter().filter_map(|e| Pattern::new(e)).collect();
    let mut inv = Inventory::default();
    let mut found: Vec<(PathBuf, Kind)> = Vec::new();
    if path.is_file() {
        match detect::kind_of(path) {
            Ok(k) => found.push((path.to_path_buf(), k)),
            Err(e) => inv.error(&e),
        }
    } else {
        walk(path, &patterns, &mut found, &mut inv);
    }
    let results: Vec<Inventory> = found
        .par_iter()
        .map(|(p, k)| match detect::collect(p, *k) {
            Ok(i) => i,
            Err(e) => {
                let mut i = Inventory::default();
                i.error(&e);
                i
            }
        })
        .collect();
    for r in results {
        inv.merge(r);
    }
    inv.normalise();
    inv
}

fn walk(root: &Path, patterns: &[Pattern], found: &mut Vec<(PathBuf, Kind)>, inv: &mut Inventory) {
    // (directory, its path relative to root, depth)
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    let mut seen = 0usize;
    while let Some((dir, rel, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                inv.not_assessed.push(NotAssessed {
                    location: dir.display().to_string(),
                    reason: format!("cannot read directory: {e}"),
                });
                continue;
            }
        };
        let mut list: Vec<(String, PathBuf, std::fs::FileType)> = entries
            .flatten()
            .filter_map(|e| {
                let ft = e.file_type().ok()?;
                Some((e.file_name().to_string_lossy().into_owned(), e.path(), ft))
            })
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (name, p, ft) in list {
            seen += 1;
            if seen > MAX_ENTRIES {
                inv.not_assessed.push(NotAssessed {
                    location: root.display().to_string(),
                    reason: format!("walk stopped after {MAX_ENTRIES} entries; the rest of the tree was not read"),
                });
                return;
            }
            if ft.is_symlink() {
                continue;
            }
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if ft.is_dir() {
                if name == ".git" || excluded(patterns, &child_rel, true) {
                    continue;
                }
                if depth + 1 >= MAX_DEPTH {
                    inv.not_assessed.push(NotAssessed {
                        location: p.display().to_string(),
                        reason: format!("more than {MAX_DEPTH} directories deep; not entered"),
                    });
                    continue;
                }
                subdirs.push((p, child_rel, depth + 1));
            } else if ft.is_file()
                && !excluded(patterns, &child_rel, false)
                && let Some(k) = kind_by_name(&p)
            {
                found.push((p, k));
            }
        }
        // Reverse so that popping visits subdirectories in sorted order.
        stack.extend(subdirs.into_iter().rev());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
