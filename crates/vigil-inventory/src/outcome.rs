//! What a collection looked at and how far it got: the not-assessed items, one record per input read,
//! and one summary per directory walked. These are what let a caller say "every input was read" only
//! when it is true, and say plainly what was not.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Something that was looked at but could not be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NotAssessed {
    /// `file:line`, `file`, or `file (record)` when the format has records but no lines.
    pub location: String,
    pub reason: String,
    #[serde(default)]
    pub kind: NotAssessedKind,
}

/// How much a not-assessed item takes away from the inventory.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum NotAssessedKind {
    /// Read correctly, but cannot be matched: an entry without a registry version (a git or path
    /// dependency, an unpinned requirement), packages of a distribution no advisory source covers.
    #[default]
    Entry,
    /// The input is malformed here (merged records, a duplicate key, a value of the wrong type, a cut-off
    /// file): what it says at this place may be lost or misread, so the input was only partly read.
    Malformed,
    /// A whole input (a file, a directory, a database) could not be read, or held nothing vigil knows.
    Unread,
    /// Two inputs disagree about one fact (two different builds of one product); both are reported and
    /// neither is preferred silently.
    Conflict,
    /// Deliberately left out, and said so: vigil's own report folders.
    Skipped,
}

impl NotAssessedKind {
    /// Whether the inventory is incomplete because of it: an input that was not read, or not read
    /// whole, or that contradicts another.
    pub fn is_gap(self) -> bool {
        matches!(
            self,
            NotAssessedKind::Malformed | NotAssessedKind::Unread | NotAssessedKind::Conflict
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NotAssessedKind::Entry => "entry",
            NotAssessedKind::Malformed => "malformed",
            NotAssessedKind::Unread => "unread",
            NotAssessedKind::Conflict => "conflict",
            NotAssessedKind::Skipped => "skipped",
        }
    }
}

impl NotAssessed {
    pub fn new(
        kind: NotAssessedKind,
        location: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        NotAssessed {
            location: location.into(),
            reason: reason.into(),
            kind,
        }
    }
}

impl fmt::Display for NotAssessed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// How far one input was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputStatus {
    /// Read whole.
    Read,
    /// Read, but malformed in places (see the `malformed` not-assessed items at its location).
    Partial,
    /// Recognised but could not be read or parsed at all.
    Unread,
}

/// One input file: the format it was read as and how far.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InputRecord {
    pub path: String,
    /// The format, as named by [`crate::Kind::name`] (`package-lock.json`, `Get-HotFix JSON`).
    pub format: String,
    pub status: InputStatus,
    /// Packages read from it (Windows/Exchange facts give packages only once all inputs are merged).
    pub packages: usize,
}

/// Paths kept as examples in a walk summary, so that a message can name a few of them.
pub const SAMPLE: usize = 3;

/// What one directory walk found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkSummary {
    /// The directory as the caller named it.
    pub root: String,
    /// Regular files looked at (after excludes).
    pub files: usize,
    /// Files recognised as an input and read (whole, in part, or failing: see [`InputRecord`]s).
    pub recognised: usize,
    /// Files that are no format vigil reads (source code, documents, unrelated JSON).
    pub not_recognised: usize,
    /// Files and directories that could not be opened, listed or examined.
    pub unreadable: usize,
    /// FIFOs, sockets and devices: never opened (opening a FIFO waits for a writer).
    pub special: usize,
    /// Entries left out by exclude patterns.
    pub excluded: usize,
    /// Symbolic links followed.
    pub links_followed: usize,
    /// Links that lead to a folder or file already walked (loops, or a second name for the same data).
    pub already_seen: usize,
    /// vigil's own report folders, skipped.
    pub reports_skipped: usize,
    /// A bound that stopped the walk early (depth, entry count), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// A few of the files not recognised, for messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_recognised_sample: Vec<String>,
}

impl WalkSummary {
    /// Whether the walk found no input at all: the caller must not take its empty result as clean.
    pub fn nothing_recognised(&self) -> bool {
        self.recognised == 0
    }

    /// Whether something under the directory could not be read (not counting unrecognised files).
    pub fn incomplete(&self) -> bool {
        self.nothing_recognised() || self.unreadable > 0 || self.stopped.is_some()
    }

    /// What was found, without the directory: `0 inputs recognised: 3 files not recognised (…)`.
    pub fn findings(&self) -> String {
        let mut s = plural(self.recognised, "input", "inputs") + " recognised";
        let details = self.details();
        if !details.is_empty() {
            s.push_str(": ");
            s.push_str(&details);
        }
        s
    }

    fn details(&self) -> String {
        let mut parts = Vec::new();
        if self.files == 0 && self.unreadable == 0 && self.special == 0 {
            parts.push("no files".to_string());
        }
        if self.not_recognised > 0 {
            let mut s = plural(self.not_recognised, "file", "files") + " not recognised";
            if !self.not_recognised_sample.is_empty() {
                let more = if self.not_recognised > self.not_recognised_sample.len() {
                    ", …"
                } else {
                    ""
                };
                s.push_str(&format!(
                    " ({}{more})",
                    self.not_recognised_sample.join(", ")
                ));
            }
            parts.push(s);
        }
        if self.unreadable > 0 {
            parts.push(format!("{} unreadable", self.unreadable));
        }
        if self.special > 0 {
            parts.push(plural(self.special, "special file", "special files") + " not opened");
        }
        if self.excluded > 0 {
            parts.push(format!("{} excluded", self.excluded));
        }
        if self.reports_skipped > 0 {
            parts.push(
                plural(
                    self.reports_skipped,
                    "vigil report folder",
                    "vigil report folders",
                ) + " skipped",
            );
        }
        if let Some(why) = &self.stopped {
            parts.push(format!("stopped early: {why}"));
        }
        parts.join(", ")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for WalkSummary {
    /// `0 inputs recognised in DIR: 3 files not recognised (a.json, b.json, c.txt), 1 unreadable`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} recognised in {}",
            plural(self.recognised, "input", "inputs"),
            self.root
        )?;
        let details = self.details();
        if !details.is_empty() {
            write!(f, ": {details}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_message() {
        let s = WalkSummary {
            root: "DIR".into(),
            files: 3,
            not_recognised: 3,
            unreadable: 1,
            not_recognised_sample: vec!["a.json".into(), "b.json".into()],
            ..WalkSummary::default()
        };
        assert_eq!(
            s.to_string(),
            "0 inputs recognised in DIR: 3 files not recognised (a.json, b.json, …), 1 unreadable"
        );
        assert!(s.nothing_recognised() && s.incomplete());
        assert_eq!(
            s.findings(),
            "0 inputs recognised: 3 files not recognised (a.json, b.json, …), 1 unreadable"
        );
        let empty = WalkSummary {
            root: "E".into(),
            ..WalkSummary::default()
        };
        assert_eq!(empty.to_string(), "0 inputs recognised in E: no files");
    }
}
