//! The entry points for what a user names: one file, or files and directories together. Each input is
//! read into its own inventory with a record of how far it was read; the Windows facts of all inputs
//! are merged and turned into packages once, at the end, so that five PowerShell outputs of one server
//! make one Windows/Exchange inventory.

use crate::detect::{self, Kind};
use crate::discover::walk_into;
use crate::error::{InventoryError, io_reason};
use crate::outcome::{InputRecord, InputStatus, NotAssessedKind};
use crate::{Inventory, windows};
use std::path::{Path, PathBuf};

/// Reads one recognised input, recording how far it got; a failure is a not-assessed item.
pub(crate) fn read_input(path: &Path, kind: Kind) -> Inventory {
    let shown = path.display().to_string();
    let (mut inv, status) = match detect::collect(path, kind) {
        Ok(inv) => {
            let partial = inv.not_assessed.iter().any(|n| n.kind.is_gap());
            let status = if partial {
                InputStatus::Partial
            } else {
                InputStatus::Read
            };
            (inv, status)
        }
        Err(e) => {
            let mut inv = Inventory::default();
            inv.error(&e);
            (inv, InputStatus::Unread)
        }
    };
    let packages = inv.packages.len();
    inv.inputs.push(InputRecord {
        path: shown,
        format: kind.name().to_string(),
        status,
        packages,
    });
    inv
}

/// Reads one file: the format is chosen by file name (`Cargo.lock`, `package-lock.json`, …, and the
/// OS databases by their path inside a root), else by content (`.json`/`.xml`/`.csv`/`.txt` files holding
/// an SBOM, a Windows inventory or PowerShell output, or `rpm -qa` output). A file that does not exist,
/// is not a regular file, cannot be read or parsed, or is no format vigil knows, is an error; bad
/// entries inside a readable file are [`crate::NotAssessed`] items of the returned inventory.
pub fn collect_file(path: &Path) -> Result<Inventory, InventoryError> {
    let kind = detect::kind_of(path)?;
    let mut inv = detect::collect(path, kind)?;
    let status = if inv.not_assessed.iter().any(|n| n.kind.is_gap()) {
        InputStatus::Partial
    } else {
        InputStatus::Read
    };
    inv.inputs.push(InputRecord {
        path: path.display().to_string(),
        format: kind.name().to_string(),
        status,
        packages: inv.packages.len(),
    });
    windows::finish::finish(&mut inv);
    inv.normalise();
    Ok(inv)
}

/// Reads what a user named: each directory is walked (see [`crate::discover`], with `excludes`), each
/// file read (see [`collect_file`]); Windows facts from all of them are merged into one Windows/Exchange
/// inventory. Nothing stops at a failure: an input that does not exist, cannot be read, is not
/// recognised, or is read only in part becomes a not-assessed item naming it, and a directory in which
/// nothing was recognised is reported with what it held. The flag is [`Inventory::incomplete`]: true
/// when anything named was not read whole.
pub fn collect_inputs(paths: &[PathBuf], excludes: &[String]) -> (Inventory, bool) {
    let mut inv = Inventory::default();
    for path in paths {
        collect_one(path, excludes, &mut inv);
    }
    windows::finish::finish(&mut inv);
    inv.normalise();
    let incomplete = inv.incomplete();
    (inv, incomplete)
}

fn collect_one(path: &Path, excludes: &[String], inv: &mut Inventory) {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            // A dangling symbolic link says more than "no such file".
            let reason = match std::fs::symlink_metadata(path) {
                Ok(l) if l.file_type().is_symlink() => {
                    format!("symbolic link to a missing target ({})", io_reason(&e))
                }
                _ => io_reason(&e),
            };
            inv.note(NotAssessedKind::Unread, shown, reason);
            return;
        }
    };
    if meta.is_dir() {
        walk_into(path, excludes, inv);
        return;
    }
    match detect::kind_of(path) {
        Ok(kind) => inv.merge(read_input(path, kind)),
        Err(e) => inv.error(&e),
    }
}
