//! Collectors: what software an asset runs, read from the files that record it.
//!
//! One module per input format turns a file (or a root filesystem) into [`vigil_model::Package`]s, each
//! with the file and, where the format has lines, the 1-based line it was read from. Whatever could not be
//! evaluated (an unreadable input, an entry without a version, an unpinned requirement, an ecosystem vigil
//! does not know) is reported as [`NotAssessed`] with its reason: silence must never look like safety.
//!
//! Entry points: [`collect_file`] for one file (format chosen by file name, then by content),
//! [`scan_root`] for a mounted root filesystem or container export (the OS package databases),
//! [`scan_host`] for the running host, and [`discover`] for a directory tree.

pub mod detect;
pub mod discover;
mod error;
pub mod input;
mod json_lines;
mod lines;
pub(crate) mod lockfile;
pub mod os;
pub mod purl;
pub(crate) mod sbom;
pub mod windows;
mod xml_tree;

pub use detect::{Kind, collect_text};
pub use discover::discover;
pub use error::InventoryError;
pub use os::os_release::OsRelease;
pub use os::root::{scan_host, scan_root};
pub use windows::{ExchangeInfo, HotFix, WindowsInventory};

use serde::{Deserialize, Serialize};
use std::path::Path;
use vigil_model::{Ecosystem, Package, PackageLocation};

/// Something that was looked at but could not be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NotAssessed {
    /// `file:line`, `file`, or `file (record)` when the format has records but no lines.
    pub location: String,
    pub reason: String,
}

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
}

impl Inventory {
    /// Adds another inventory's findings; the first `windows`/`os` seen is kept.
    pub fn merge(&mut self, other: Inventory) {
        self.packages.extend(other.packages);
        self.not_assessed.extend(other.not_assessed);
        if self.windows.is_none() {
            self.windows = other.windows;
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
    }

    pub(crate) fn error(&mut self, e: &InventoryError) {
        self.not_assessed.push(NotAssessed {
            location: e.location(),
            reason: e.reason(),
        });
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

    pub(crate) fn not_assessed(&mut self, line: Option<usize>, reason: impl Into<String>) {
        let location = error::Where(&self.file, line.map(lines::u32_line)).to_string();
        self.not_assessed_at(location, reason);
    }

    pub(crate) fn not_assessed_at(&mut self, location: String, reason: impl Into<String>) {
        self.inv.not_assessed.push(NotAssessed {
            location,
            reason: reason.into(),
        });
    }

    pub(crate) fn set_windows(&mut self, w: WindowsInventory) {
        self.inv.windows = Some(w);
    }

    pub(crate) fn file(&self) -> &str {
        &self.file
    }
}

/// Reads one file: the format is chosen by file name (`Cargo.lock`, `package-lock.json`, …, and the
/// OS databases by their path inside a root), else by content (`.json`/`.xml`/`.csv`/`.txt` files holding
/// an SBOM, a Windows inventory, or `rpm -qa` output). An unreadable or unparseable file is an error;
/// bad entries inside a readable file are [`NotAssessed`] items of the returned inventory.
pub fn collect_file(path: &Path) -> Result<Inventory, InventoryError> {
    let kind = detect::kind_of(path)?;
    let mut inv = detect::collect(path, kind)?;
    inv.normalise();
    Ok(inv)
}

/// Reads what a user named: each directory is walked ([`discover`], with `excludes`), each file read
/// ([`collect_file`]). A file that cannot be read or parsed becomes a [`NotAssessed`] item and the rest
/// goes on; the flag says whether that happened to any named file.
pub fn collect_inputs(paths: &[std::path::PathBuf], excludes: &[String]) -> (Inventory, bool) {
    let mut inv = Inventory::default();
    let mut failed = false;
    for path in paths {
        if path.is_dir() {
            inv.merge(discover(path, excludes));
            continue;
        }
        match collect_file(path) {
            Ok(found) => inv.merge(found),
            Err(e) => {
                failed = true;
                inv.not_assessed.push(NotAssessed {
                    location: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        }
    }
    (inv, failed)
}
