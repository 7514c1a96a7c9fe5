//! What a read produced: events per file and format, and every record that failed, with where and
//! why, so that an investigator can tell "nothing happened" from "nothing was read".

use crate::Format;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use vigil_model::RecordRef;

/// A record that could not be turned into an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseFailure {
    pub file: String,
    pub record: RecordRef,
    pub reason: String,
}

impl fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.record, self.reason)
    }
}

/// The outcome of reading one file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileStats {
    pub path: String,
    /// The format the file was read as; `None` when it was not read (skipped, or an entry that
    /// only carries notes, such as a folder left out on purpose).
    pub format: Option<Format>,
    /// Why that format: the sniffer's evidence ("EVTX file header", "8 of 8 first lines are
    /// syslog", …), or "given" when the caller named the format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_evidence: Option<String>,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
    pub events: u64,
    /// Records (lines, EVTX records or chunks, JSON objects) that failed to parse.
    pub failed: u64,
    /// The first failures with their location (see `ReadOptions::max_failures_kept`).
    pub failures: Vec<ParseFailure>,
    /// Text lines that were not valid UTF-8 and were decoded lossily.
    pub lossy_lines: u64,
    /// Why the file was not read at all, when it was not.
    pub skipped: Option<String>,
    /// What the reader had to assume to read the file, for the user to check: a year taken from the
    /// file's modification time, a format guessed on weak evidence, a truncated log.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl FileStats {
    pub(crate) fn new(path: &str) -> Self {
        FileStats {
            path: path.to_string(),
            ..FileStats::default()
        }
    }

    pub(crate) fn skipped(path: &Path, reason: String) -> Self {
        FileStats {
            path: path.display().to_string(),
            skipped: Some(reason),
            ..FileStats::default()
        }
    }

    /// An entry that was not read and is no failure: something left out on purpose, with why.
    pub(crate) fn noted(path: &Path, note: String) -> Self {
        FileStats {
            path: path.display().to_string(),
            notes: vec![note],
            ..FileStats::default()
        }
    }

    /// Whether the file was read (it has a format); skipped files and note-only entries were not.
    pub fn was_read(&self) -> bool {
        self.format.is_some()
    }

    /// Records an assumption the reader made (see [`FileStats::notes`]); each is kept once.
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) && self.notes.len() < 32 {
            self.notes.push(note);
        }
    }

    /// Count a failed record, keeping its details while under `keep`.
    pub(crate) fn fail(&mut self, record: RecordRef, reason: impl Into<String>, keep: usize) {
        self.failed += 1;
        if self.failures.len() < keep {
            self.failures.push(ParseFailure {
                file: self.path.clone(),
                record,
                reason: reason.into(),
            });
        }
    }
}

/// The outcome of a [`crate::read_path`] call.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadStats {
    pub files: Vec<FileStats>,
}

impl ReadStats {
    pub fn events(&self) -> u64 {
        self.files.iter().map(|f| f.events).sum()
    }

    pub fn failed(&self) -> u64 {
        self.files.iter().map(|f| f.failed).sum()
    }

    /// Events read per format.
    pub fn events_by_format(&self) -> BTreeMap<Format, u64> {
        let mut out = BTreeMap::new();
        for f in &self.files {
            if let Some(fmt) = f.format {
                *out.entry(fmt).or_insert(0) += f.events;
            }
        }
        out
    }

    /// Every kept failure, in file order.
    pub fn failures(&self) -> impl Iterator<Item = &ParseFailure> {
        self.files.iter().flat_map(|f| f.failures.iter())
    }

    /// Files not read, with the reason.
    pub fn skipped(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .filter_map(|f| f.skipped.as_deref().map(|r| (f.path.as_str(), r)))
    }
}
