//! Collectors: what software an asset runs, read from the files that record it.
//!
//! One module per input format turns a file (or a root filesystem) into [`vigil_model::Package`]s, each
//! with the file and, where the format has lines, the 1-based line it was read from. Whatever could not be
//! evaluated (an unreadable input, an entry without a version, an unpinned requirement, an ecosystem vigil
//! does not know) is reported as [`NotAssessed`] with its reason: silence must never look like safety.
//!
//! Entry points: [`collect_inputs`] for what a user names (files and directories: the one callers
//! should use), [`collect_file`] for one file (format chosen by file name, then by content),
//! [`discover`] for one directory tree, [`scan_root`] for a mounted root filesystem or container export
//! (the OS package databases) and [`scan_host`] for the running host. Each input read is recorded as
//! an [`InputRecord`], each directory walked as a [`WalkSummary`]; [`Inventory::incomplete`] says
//! whether anything given was not read whole.

mod collect;
pub mod detect;
pub mod discover;
mod error;
pub mod folder;
pub mod input;
mod json_lines;
mod lines;
pub(crate) mod lockfile;
pub mod os;
mod outcome;
pub mod purl;
pub(crate) mod sbom;
pub mod windows;
mod xml_tree;

pub use collect::{collect_file, collect_inputs};
pub use detect::{Kind, collect_text};
pub use discover::discover;
pub use error::InventoryError;
pub use os::os_release::OsRelease;
pub use os::root::{scan_host, scan_root};
pub use outcome::{InputRecord, InputStatus, NotAssessed, NotAssessedKind, WalkSummary};
pub use windows::facts::{Fact, FactKind, FactSource, Origin};
pub use windows::{ExchangeInfo, HotFix, WindowsInventory};

use serde::{Deserialize, Serialize};
use vigil_model::{Ecosystem, Package, PackageLocation};

/// What a collector found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub packages: Vec<Package>,
    pub not_assessed: Vec<NotAssessed>,
    /// A Windows/Exchange inventory, with the installed updates the matcher needs beyond packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<WindowsInventory>,
    /// The distribution of a scanned root filesystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    /// Every input file read: its format and how far it was read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputRecord>,
    /// Every directory walked: what was found in it, and what could not be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub walks: Vec<WalkSummary>,
}

impl Inventory {
    /// Adds another inventory's findings. Windows facts of both are kept side by side (see
    /// [`WindowsInventory::absorb`]); the first `os` seen is kept.
    pub fn merge(&mut self, other: Inventory) {
        self.packages.extend(other.packages);
        self.not_assessed.extend(other.not_assessed);
        self.inputs.extend(other.inputs);
        self.walks.extend(other.walks);
        match (&mut self.windows, other.windows) {
            (Some(mine), Some(theirs)) => mine.absorb(theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
        if self.os.is_none() {
            self.os = other.os;
        }
    }

    /// Sorts by file, line and identity, and drops exact duplicates (a file reached twice, a package
    /// listed under several frameworks), so that output is the same on every run.
    pub fn normalise(&mut self) {
        self.packages.sort_by(|a, b| {
            (
                &a.location.file,
                a.location.line,
                &a.ecosystem,
                &a.name,
                &a.version,
            )
                .cmp(&(
                    &b.location.file,
                    b.location.line,
                    &b.ecosystem,
                    &b.name,
                    &b.version,
                ))
        });
        self.packages.dedup();
        self.not_assessed.sort();
        self.not_assessed.dedup();
        self.inputs.sort();
        self.inputs.dedup();
    }

    /// Whether something given was not read whole: an input that could not be read or was malformed,
    /// inputs that contradict each other, a directory in which nothing was recognised or something could
    /// not be read. A caller must not call an inventory with gaps "every input read".
    pub fn incomplete(&self) -> bool {
        self.not_assessed.iter().any(|n| n.kind.is_gap())
            || self.walks.iter().any(WalkSummary::incomplete)
    }

    /// The not-assessed items that make the inventory [`incomplete`](Self::incomplete).
    pub fn gaps(&self) -> impl Iterator<Item = &NotAssessed> {
        self.not_assessed.iter().filter(|n| n.kind.is_gap())
    }

    pub(crate) fn error(&mut self, e: &InventoryError) {
        self.note(NotAssessedKind::Unread, e.location(), e.reason());
    }

    pub(crate) fn note(
        &mut self,
        kind: NotAssessedKind,
        location: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.not_assessed
            .push(NotAssessed::new(kind, location, reason));
    }
}

/// Collects packages of one file into an inventory, naming the file in every location.
pub(crate) struct Sink<'a> {
    file: String,
    inv: &'a mut Inventory,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &str, inv: &'a mut Inventory) -> Self {
        Sink {
            file: file.to_string(),
            inv,
        }
    }

    /// Adds a package; its purl is derived when the ecosystem has a purl type.
    pub(crate) fn package(
        &mut self,
        ecosystem: &str,
        name: &str,
        version: &str,
        line: Option<usize>,
    ) -> &mut Package {
        self.inv.packages.push(Package {
            ecosystem: Ecosystem::new(ecosystem),
            name: name.to_string(),
            version: version.to_string(),
            purl: purl::for_package(ecosystem, name, version),
            source_name: None,
            location: PackageLocation {
                file: self.file.clone(),
                line: line.map(lines::u32_line),
            },
        });
        let last = self.inv.packages.len() - 1;
        &mut self.inv.packages[last]
    }

    /// An entry that was read but cannot be matched (no registry version, a local dependency).
    pub(crate) fn not_assessed(&mut self, line: Option<usize>, reason: impl Into<String>) {
        self.note(NotAssessedKind::Entry, line, reason);
    }

    /// A place where the input is malformed: the input counts as partly read.
    pub(crate) fn warn(&mut self, line: Option<usize>, reason: impl Into<String>) {
        self.note(NotAssessedKind::Malformed, line, reason);
    }

    pub(crate) fn note(
        &mut self,
        kind: NotAssessedKind,
        line: Option<usize>,
        reason: impl Into<String>,
    ) {
        let location = error::Where(&self.file, line.map(lines::u32_line)).to_string();
        self.inv.note(kind, location, reason);
    }

    /// A malformed record where the format has records but no lines (`file (record)`).
    pub(crate) fn warn_at(&mut self, location: String, reason: impl Into<String>) {
        self.inv.note(NotAssessedKind::Malformed, location, reason);
    }

    /// Records one fact about a Windows machine, with this file as its source.
    pub(crate) fn fact(&mut self, fact: windows::facts::Fact) {
        self.inv
            .windows
            .get_or_insert_with(WindowsInventory::default)
            .facts
            .push(fact);
    }

    pub(crate) fn file(&self) -> &str {
        &self.file
    }
}

impl Inventory {
    /// Adds the Exchange build the logs state (see [`windows::from_logs`]) as the `Exchange Server`
    /// package, located at the log line that states it, when the inventory names none.
    pub fn infer_exchange_from_logs(&mut self, b: &windows::from_logs::LogBuild) -> bool {
        let known = self
            .packages
            .iter()
            .any(|p| p.ecosystem.base() == "Microsoft" && p.name == "Exchange Server");
        if known {
            return false;
        }
        Sink::new(&b.file, self).package("Microsoft", "Exchange Server", &b.build, Some(b.line));
        true
    }
}
