//! Writing a scenario folder: log files collected record by record (in any order) and written sorted by
//! time, with their header directives, line ends, compression and modification times; whole documents
//! (inventory JSON, package database, incident record) written as they are. Records the generators mark
//! are resolved to the file and line they landed on, for the ground truth.

use crate::GenError;
use crate::truth::EventRef;
use flate2::Compression;
use flate2::write::GzEncoder;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A handle on a record whose final position the ground truth needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mark(usize);

/// Builds the header lines of a log file from the time of its first record.
pub type HeaderFn = Box<dyn Fn(Timestamp) -> Vec<String>>;

/// How a log file is laid out on disk.
pub struct FileSpec {
    /// Directive lines at the top of the file (W3C, Exchange CSV logs).
    pub header: Option<HeaderFn>,
    /// `"\r\n"` for Windows logs, `"\n"` for syslog.
    pub eol: &'static str,
    /// Write the file gzip-compressed (rotated syslog files).
    pub gzip: bool,
}

impl FileSpec {
    pub fn plain(eol: &'static str) -> FileSpec {
        FileSpec {
            header: None,
            eol,
            gzip: false,
        }
    }
}

struct Entry {
    at: Timestamp,
    seq: u64,
    /// One or more lines (joined with `\n`; the file's line end is applied when writing).
    text: String,
    mark: Option<Mark>,
}

struct LogFile {
    spec: FileSpec,
    entries: Vec<Entry>,
}

/// A whole file written as given.
struct Document {
    bytes: Vec<u8>,
    mtime: Option<Timestamp>,
}

/// Everything a generator writes into the scenario folder.
#[derive(Default)]
pub struct Folder {
    logs: BTreeMap<String, LogFile>,
    docs: BTreeMap<String, Document>,
    links: Vec<(String, String)>,
    marks: Vec<(String, String)>,
    /// Marks in whole documents, whose positions the caller knows.
    fixed: Vec<(Mark, EventRef)>,
    seq: u64,
}

/// Where each marked record was written.
#[derive(Debug, Default)]
pub struct Written {
    positions: Vec<Option<EventRef>>,
    /// Files written (relative paths), for callers and tests.
    pub files: Vec<String>,
}

impl Written {
    /// The file and line of a marked record.
    pub fn at(&self, mark: Mark) -> Result<EventRef, GenError> {
        self.positions
            .get(mark.0)
            .and_then(|p| p.clone())
            .ok_or_else(|| GenError::Internal(format!("mark {} was never written", mark.0)))
    }
}

impl Folder {
    pub fn new() -> Folder {
        Folder::default()
    }

    /// Declares a log file (its layout); records are added with [`Folder::push`]. Declaring the same
    /// file twice keeps the first layout.
    pub fn declare(&mut self, rel: &str, spec: impl FnOnce() -> FileSpec) {
        if !self.logs.contains_key(rel) {
            self.logs.insert(
                rel.to_string(),
                LogFile {
                    spec: spec(),
                    entries: Vec::new(),
                },
            );
        }
    }

    /// Adds a record (one or more lines) to a declared log file.
    pub fn push(&mut self, rel: &str, at: Timestamp, text: String) {
        self.push_entry(rel, at, text, None);
    }

    /// Adds a record and returns a mark that resolves to its file and first line once written.
    pub fn push_marked(&mut self, rel: &str, at: Timestamp, text: String, what: &str) -> Mark {
        let mark = Mark(self.marks.len());
        self.marks.push((rel.to_string(), what.to_string()));
        self.push_entry(rel, at, text, Some(mark));
        mark
    }

    fn push_entry(&mut self, rel: &str, at: Timestamp, text: String, mark: Option<Mark>) {
        self.seq += 1;
        let seq = self.seq;
        let file = self.logs.entry(rel.to_string()).or_insert_with(|| LogFile {
            spec: FileSpec::plain("\n"),
            entries: Vec::new(),
        });
        file.entries.push(Entry {
            at,
            seq,
            text,
            mark,
        });
    }

    /// Moves every record of the log files whose path starts with `base` to the file `route` names for
    /// its time (e.g. when the rotation schedule is only known after the records were added).
    pub fn refile(&mut self, base: &str, route: impl Fn(Timestamp) -> (String, FileSpec)) {
        let paths: Vec<String> = self
            .logs
            .keys()
            .filter(|p| p.starts_with(base))
            .cloned()
            .collect();
        let mut moved: Vec<Entry> = Vec::new();
        for p in paths {
            if let Some(f) = self.logs.remove(&p) {
                moved.extend(f.entries);
            }
        }
        for e in moved {
            let (path, spec) = route(e.at);
            let file = self.logs.entry(path).or_insert_with(|| LogFile {
                spec,
                entries: Vec::new(),
            });
            file.entries.push(e);
        }
    }

    /// A whole document (inventory, package database, knowledge, incident record).
    pub fn document(&mut self, rel: &str, bytes: Vec<u8>, mtime: Option<Timestamp>) {
        self.docs.insert(rel.to_string(), Document { bytes, mtime });
    }

    /// A whole document some of whose records the ground truth cites: `(line, time, what)` for each,
    /// lines counted by the caller (1-based). Returns their marks in the same order.
    pub fn document_marked(
        &mut self,
        rel: &str,
        bytes: Vec<u8>,
        mtime: Option<Timestamp>,
        cited: Vec<(u64, Timestamp, String)>,
    ) -> Vec<Mark> {
        self.document(rel, bytes, mtime);
        cited
            .into_iter()
            .map(|(line, time, what)| {
                let mark = Mark(self.marks.len());
                self.marks.push((rel.to_string(), what.clone()));
                self.fixed.push((
                    mark,
                    EventRef {
                        time,
                        file: rel.to_string(),
                        line,
                        what,
                    },
                ));
                mark
            })
            .collect()
    }

    /// A symbolic link (`etc/localtime` → the zoneinfo file); skipped where links cannot be made.
    pub fn symlink(&mut self, rel: &str, target: &str) {
        self.links.push((rel.to_string(), target.to_string()));
    }

    /// Writes everything under `dir` (created if missing) and resolves the marks.
    pub fn write(mut self, dir: &Path) -> Result<Written, GenError> {
        std::fs::create_dir_all(dir).map_err(|e| GenError::io(dir, e))?;
        let mut written = Written {
            positions: vec![None; self.marks.len()],
            files: Vec::new(),
        };
        for (rel, mut file) in std::mem::take(&mut self.logs) {
            if file.entries.is_empty() {
                continue;
            }
            file.entries.sort_by_key(|e| (e.at, e.seq));
            let mut text = String::new();
            let mut line: u64 = 0;
            let eol = file.spec.eol;
            let first = file.entries.first().map(|e| e.at).unwrap_or_default();
            if let Some(h) = &file.spec.header {
                for l in h(first) {
                    text.push_str(&l);
                    text.push_str(eol);
                    line += 1;
                }
            }
            let mut last = first;
            for e in &file.entries {
                if let Some(m) = e.mark
                    && let Some((_, what)) = self.marks.get(m.0)
                    && let Some(slot) = written.positions.get_mut(m.0)
                {
                    *slot = Some(EventRef {
                        time: e.at,
                        file: rel.clone(),
                        line: line + 1,
                        what: what.clone(),
                    });
                }
                for l in e.text.split('\n') {
                    text.push_str(l);
                    text.push_str(eol);
                    line += 1;
                }
                last = e.at;
            }
            let bytes = if file.spec.gzip {
                gzip(text.as_bytes()).map_err(|e| GenError::io(&dir.join(&rel), e))?
            } else {
                text.into_bytes()
            };
            put(dir, &rel, &bytes, Some(last))?;
            written.files.push(rel);
        }
        for (mark, at) in std::mem::take(&mut self.fixed) {
            if let Some(slot) = written.positions.get_mut(mark.0) {
                *slot = Some(at);
            }
        }
        for (rel, doc) in std::mem::take(&mut self.docs) {
            put(dir, &rel, &doc.bytes, doc.mtime)?;
            written.files.push(rel);
        }
        for (rel, target) in &self.links {
            link(dir, rel, target)?;
        }
        Ok(written)
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes)?;
    enc.finish()
}

fn put(dir: &Path, rel: &str, bytes: &[u8], mtime: Option<Timestamp>) -> Result<(), GenError> {
    let path: PathBuf = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| GenError::io(parent, e))?;
    }
    std::fs::write(&path, bytes).map_err(|e| GenError::io(&path, e))?;
    if let Some(t) = mtime {
        set_mtime(&path, t)?;
    }
    Ok(())
}

/// A log file's modification time is when its last line was written: readers of year-less syslog
/// timestamps depend on it.
fn set_mtime(path: &Path, t: Timestamp) -> Result<(), GenError> {
    let secs = u64::try_from(t.as_second()).unwrap_or(0);
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| GenError::io(path, e))?;
    f.set_modified(when).map_err(|e| GenError::io(path, e))
}

#[cfg(unix)]
fn link(dir: &Path, rel: &str, target: &str) -> Result<(), GenError> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| GenError::io(parent, e))?;
    }
    if std::fs::symlink_metadata(&path).is_ok() {
        return Ok(());
    }
    std::os::unix::fs::symlink(target, &path).map_err(|e| GenError::io(&path, e))
}

#[cfg(not(unix))]
fn link(_dir: &Path, _rel: &str, _target: &str) -> Result<(), GenError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap_or_default()
    }

    #[test]
    fn records_are_sorted_and_marks_resolve_to_lines_after_the_header() {
        let mut f = Folder::new();
        f.declare("a/log.txt", || FileSpec {
            header: Some(Box::new(|t| {
                vec![format!("#Date: {t}"), "#Fields: x".into()]
            })),
            eol: "\r\n",
            gzip: false,
        });
        f.push("a/log.txt", ts(20), "third".into());
        let m = f.push_marked("a/log.txt", ts(10), "second".into(), "the second");
        f.push("a/log.txt", ts(0), "first\nfirst-b".into());
        let dir = tempfile::tempdir().unwrap();
        let w = f.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("a/log.txt")).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[2], "first");
        assert_eq!(lines[4], "second");
        let at = w.at(m).unwrap();
        assert_eq!(at.line, 5);
        assert_eq!(at.file, "a/log.txt");
        assert_eq!(at.time, ts(10));
        let mtime = std::fs::metadata(dir.path().join("a/log.txt"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(
            mtime
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            1_700_000_020
        );
    }

    #[test]
    fn gzip_files_decompress_to_the_lines() {
        use std::io::Read;
        let mut f = Folder::new();
        f.declare("m.log.2.gz", || FileSpec {
            header: None,
            eol: "\n",
            gzip: true,
        });
        f.push("m.log.2.gz", ts(1), "hello".into());
        let dir = tempfile::tempdir().unwrap();
        f.write(dir.path()).unwrap();
        let bytes = std::fs::read(dir.path().join("m.log.2.gz")).unwrap();
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "hello\n");
    }
}
