//! Scanning a root filesystem: a mounted disk, a container export, or `/` itself.
//!
//! Paths are resolved inside the root: in an image, `etc/os-release` is usually a symlink to
//! `../usr/lib/os-release` and may be an absolute one (`/usr/lib/os-release`) that must mean the image's
//! file, not the scanning host's. Symlinks are followed by hand, relative to the root, a bounded number of
//! times.

use super::ecosystem::{self, Family};
use super::os_release::{self, OsRelease};
use super::{apk, dpkg, rpmdb};
use crate::error::InventoryError;
use crate::input::{lossy_text, read_bytes};
use crate::{Inventory, NotAssessedKind, Sink};
use std::path::{Component, Path, PathBuf};

const MAX_LINKS: usize = 32;

/// `rel` (a path inside the root, like `etc/os-release`) resolved inside `root`, following symlinks as
/// the root's own system would. `None` when it does not exist or links loop.
pub fn resolve_in_root(root: &Path, rel: &Path) -> Option<PathBuf> {
    let mut done: Vec<std::ffi::OsString> = Vec::new();
    let mut links = 0usize;
    // Components still to walk, last-to-first so that pop() yields the next one.
    let mut todo: Vec<std::ffi::OsString> = rel
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    while let Some(c) = todo.pop() {
        if c == ".." {
            done.pop();
            continue;
        }
        let mut here = root.to_path_buf();
        here.extend(&done);
        here.push(&c);
        let meta = std::fs::symlink_metadata(&here).ok()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let target = std::fs::read_link(&here).ok()?;
            if target.is_absolute() {
                done.clear();
            }
            for tc in target.components().rev() {
                match tc {
                    Component::Normal(s) => todo.push(s.to_os_string()),
                    Component::ParentDir => todo.push("..".into()),
                    _ => {}
                }
            }
        } else {
            done.push(c);
        }
    }
    let mut out = root.to_path_buf();
    out.extend(&done);
    out.exists().then_some(out)
}

/// `etc/os-release`, else `usr/lib/os-release`, of the root.
pub fn read_os_release(root: &Path) -> Option<OsRelease> {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|rel| {
            let p = resolve_in_root(root, Path::new(rel))?;
            let bytes = read_bytes(&p).ok()?;
            Some(os_release::parse(&lossy_text(&bytes)))
        })
}

/// `etc/alpine-release` of the root (`3.18.4`).
pub fn read_alpine_release(root: &Path) -> Option<String> {
    let p = resolve_in_root(root, Path::new("etc/alpine-release"))?;
    let bytes = read_bytes(&p).ok()?;
    Some(lossy_text(&bytes).trim().to_string()).filter(|s| !s.is_empty())
}

/// The database's ecosystem; when there is none, the package manager's name and a not-assessed note.
pub(crate) fn ecosystem_or_note(
    family: Family,
    os: Option<&OsRelease>,
    alpine: Option<&str>,
    sink: &mut Sink<'_>,
) -> String {
    match ecosystem::for_distro(family, os, alpine) {
        Ok(e) => e,
        Err(reason) => {
            sink.not_assessed(
                None,
                format!(
                    "{reason}; its packages are listed but cannot be matched against advisories"
                ),
            );
            family.fallback().to_string()
        }
    }
}

/// Reads one package database file into `inv`.
pub(crate) fn read_database(
    path: &Path,
    family: Family,
    os: Option<&OsRelease>,
    alpine: Option<&str>,
    inv: &mut Inventory,
) -> Result<(), InventoryError> {
    let shown = path.display().to_string();
    let mut sink = Sink::new(&shown, inv);
    let eco = ecosystem_or_note(family, os, alpine, &mut sink);
    match family {
        Family::Rpm => rpmdb::read(path, &eco, &mut sink)?,
        Family::Dpkg => dpkg::parse(&lossy_text(&read_bytes(path)?), &eco, &mut sink),
        Family::Apk => apk::parse(&lossy_text(&read_bytes(path)?), &eco, &mut sink),
    }
    Ok(())
}

/// The OS packages of a root filesystem: dpkg (`var/lib/dpkg/status` and `status.d/`), apk
/// (`lib/apk/db/installed`) and rpm (`var/lib/rpm/rpmdb.sqlite` or `usr/lib/sysimage/rpm/rpmdb.sqlite`).
/// rpm databases in the older BerkeleyDB (`Packages`) or ndb (`Packages.db`) formats are reported as not
/// assessed, with the `rpm -qa` export as the way to read them. A root without any database is itself
/// reported, so that an empty result is never mistaken for a clean one.
pub fn scan_root(root: &Path) -> Inventory {
    let mut inv = Inventory::default();
    let os = read_os_release(root);
    let alpine = read_alpine_release(root);
    let mut found = false;
    let mut read = |rel: &str, family: Family, inv: &mut Inventory| {
        if let Some(p) = resolve_in_root(root, Path::new(rel)).filter(|p| p.is_file()) {
            found = true;
            if let Err(e) = read_database(&p, family, os.as_ref(), alpine.as_deref(), inv) {
                inv.error(&e);
            }
        }
    };
    read("var/lib/dpkg/status", Family::Dpkg, &mut inv);
    if let Some(dir) = resolve_in_root(root, Path::new("var/lib/dpkg/status.d")) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md5sums"))
            .collect();
        files.sort();
        for f in files {
            if let Ok(rel) = f.strip_prefix(root) {
                read(&rel.to_string_lossy(), Family::Dpkg, &mut inv);
            }
        }
    }
    read("lib/apk/db/installed", Family::Apk, &mut inv);
    let sqlite = [
        "var/lib/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
    ]
    .iter()
    .find_map(|r| resolve_in_root(root, Path::new(r)).filter(|p| p.is_file()));
    if let Some(p) = sqlite {
        found = true;
        if let Err(e) = read_database(&p, Family::Rpm, os.as_ref(), alpine.as_deref(), &mut inv) {
            inv.error(&e);
        }
    } else {
        for old in [
            "var/lib/rpm/Packages",
            "var/lib/rpm/Packages.db",
            "usr/lib/sysimage/rpm/Packages.db",
        ] {
            if let Some(p) = resolve_in_root(root, Path::new(old)).filter(|p| p.is_file()) {
                found = true;
                inv.note(
                    NotAssessedKind::Unread,
                    p.display().to_string(),
                    "rpm database in the BerkeleyDB/ndb format is not read; export it with \
                     `rpm -qa` in vigil's query format (see the rpm_qa collector)",
                );
            }
        }
    }
    if !found {
        inv.note(
            NotAssessedKind::Unread,
            root.display().to_string(),
            "no dpkg, apk or rpm package database found under this root",
        );
    }
    inv.os = os;
    inv.normalise();
    inv
}

/// The running host's OS packages.
pub fn scan_host() -> Inventory {
    scan_root(Path::new("/"))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn absolute_symlinks_stay_in_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(
            root.join("usr/lib/os-release"),
            "ID=debian\nVERSION_ID=\"12\"\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        let os = read_os_release(root).unwrap();
        assert_eq!(os.id, "debian");
        std::os::unix::fs::symlink("loop", root.join("etc/loop")).unwrap();
        assert!(resolve_in_root(root, Path::new("etc/loop")).is_none());
        std::os::unix::fs::symlink("../../../../etc/passwd", root.join("etc/escape")).unwrap();
        // `..` never climbs above the root.
        assert!(resolve_in_root(root, Path::new("etc/escape")).is_none());
    }

    #[test]
    fn empty_root_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let inv = scan_root(dir.path());
        assert!(inv.packages.is_empty());
        assert_eq!(inv.not_assessed.len(), 1);
        assert!(inv.not_assessed[0].reason.contains("no dpkg, apk or rpm"));
    }
}
