//! Which format a file holds: by its name first (lockfiles have fixed names, OS databases fixed paths
//! inside a root), then, for generic names, by its content.

use crate::error::InventoryError;
use crate::input::{lossy_text, read_bytes, read_text, text_from_bytes};
use crate::os::{self, ecosystem::Family};
use crate::{Inventory, Sink, lockfile, sbom, windows};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    CargoLock,
    NpmLock,
    YarnLock,
    PnpmLock,
    Requirements,
    PoetryLock,
    PipfileLock,
    UvLock,
    GoMod,
    GemfileLock,
    ComposerLock,
    NugetLock,
    MavenPom,
    CycloneDxJson,
    CycloneDxXml,
    SpdxJson,
    WindowsJson,
    WindowsCsv,
    DpkgStatus,
    ApkInstalled,
    RpmDb,
    RpmQa,
}

/// The format a file name (and, for OS databases, its place in a root) implies.
pub fn kind_by_name(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let parents: Vec<&str> = path
        .parent()
        .into_iter()
        .flat_map(|p| p.iter().rev().take(3))
        .filter_map(|c| c.to_str())
        .collect();
    let under = |want: &[&str]| {
        parents.len() >= want.len() && parents.iter().zip(want).all(|(a, b)| a == b)
    };
    Some(match name {
        "Cargo.lock" => Kind::CargoLock,
        "package-lock.json" | "npm-shrinkwrap.json" => Kind::NpmLock,
        "yarn.lock" => Kind::YarnLock,
        "pnpm-lock.yaml" => Kind::PnpmLock,
        "poetry.lock" => Kind::PoetryLock,
        "Pipfile.lock" => Kind::PipfileLock,
        "uv.lock" => Kind::UvLock,
        "go.mod" => Kind::GoMod,
        "Gemfile.lock" | "gems.locked" => Kind::GemfileLock,
        "composer.lock" => Kind::ComposerLock,
        "packages.lock.json" => Kind::NugetLock,
        "pom.xml" => Kind::MavenPom,
        "rpmdb.sqlite" => Kind::RpmDb,
        "status" if under(&["dpkg", "lib", "var"]) => Kind::DpkgStatus,
        "installed" if under(&["db", "apk", "lib"]) => Kind::ApkInstalled,
        _ if under(&["status.d", "dpkg"]) && !lower.ends_with(".md5sums") => Kind::DpkgStatus,
        _ if lower.ends_with(".txt")
            && (lower.starts_with("requirements")
                || lower.ends_with("-requirements.txt")
                || lower.ends_with("_requirements.txt")
                || lower.starts_with("constraints")) =>
        {
            Kind::Requirements
        }
        _ if lower.starts_with("rpm-qa") && lower.ends_with(".txt") => Kind::RpmQa,
        _ if lower == "bom.json"
            || lower.ends_with(".cdx.json")
            || lower.ends_with(".bom.json") =>
        {
            Kind::CycloneDxJson
        }
        _ if lower == "bom.xml" || lower.ends_with(".cdx.xml") || lower.ends_with(".bom.xml") => {
            Kind::CycloneDxXml
        }
        _ if lower.ends_with(".spdx.json") => Kind::SpdxJson,
        _ if lower.starts_with("vigil-inventory") || lower.contains(".vigil-inventory.") => {
            if lower.ends_with(".json") {
                Kind::WindowsJson
            } else if lower.ends_with(".csv") {
                Kind::WindowsCsv
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

/// The format of a file: by name, else by looking at the start of a `.json`, `.xml`, `.csv` or `.txt`.
pub fn kind_of(path: &Path) -> Result<Kind, InventoryError> {
    if let Some(k) = kind_by_name(path) {
        return Ok(k);
    }
    let shown = path.display().to_string();
    let unknown = || InventoryError::Unrecognised {
        path: shown.clone(),
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .ok_or_else(unknown)?;
    if !matches!(ext.as_str(), "json" | "xml" | "csv" | "txt") {
        return Err(unknown());
    }
    let bytes = read_bytes(path)?;
    let head = lossy_text(bytes.get(..bytes.len().min(4096)).unwrap_or(&bytes));
    let head_trim = head.trim_start();
    let k = match ext.as_str() {
        "json" if head.contains("\"bomFormat\"") => Kind::CycloneDxJson,
        "json" if head.contains("\"spdxVersion\"") => Kind::SpdxJson,
        "json" if head.contains("\"VigilInventory\"") => Kind::WindowsJson,
        "xml" if head.contains("cyclonedx.org/schema/bom") || head.contains("<bom") => {
            Kind::CycloneDxXml
        }
        "xml" if head.contains("<project") => Kind::MavenPom,
        "csv" if windows::csv::looks_like(head_trim) => Kind::WindowsCsv,
        "txt" if head_trim.starts_with("# vigil-rpm-qa") => Kind::RpmQa,
        _ => return Err(unknown()),
    };
    Ok(k)
}

/// The root filesystem a database path sits in (`<root>/var/lib/dpkg/status` → `<root>`).
fn root_of(path: &Path, depth: usize) -> PathBuf {
    path.ancestors()
        .nth(depth)
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// Parses in-memory text of a lockfile, manifest or SBOM format (not the OS databases, which need their
/// root, nor requirements includes, which need the file system). `file` names the input in locations.
pub fn collect_text(kind: Kind, file: &str, text: &str) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::default();
    let mut sink = Sink::new(file, &mut inv);
    match kind {
        Kind::CargoLock => lockfile::cargo_lock::parse(text, &mut sink)?,
        Kind::NpmLock => lockfile::npm_lock::parse(text, &mut sink)?,
        Kind::YarnLock => lockfile::yarn_lock::parse(text, &mut sink)?,
        Kind::PnpmLock => lockfile::pnpm_lock::parse(text, &mut sink)?,
        Kind::PoetryLock => lockfile::poetry_lock::parse(text, &mut sink)?,
        Kind::PipfileLock => lockfile::pipfile_lock::parse(text, &mut sink)?,
        Kind::UvLock => lockfile::uv_lock::parse(text, &mut sink)?,
        Kind::GemfileLock => lockfile::gemfile_lock::parse(text, &mut sink)?,
        Kind::ComposerLock => lockfile::composer_lock::parse(text, &mut sink)?,
        Kind::NugetLock => lockfile::nuget_lock::parse(text, &mut sink)?,
        Kind::MavenPom => lockfile::maven_pom::parse(text, &mut sink)?,
        Kind::GoMod => lockfile::go_mod::parse(text, &mut sink)?,
        Kind::Requirements => {
            let _includes = lockfile::requirements::parse(text, &mut sink);
        }
        Kind::CycloneDxJson => sbom::cyclonedx_json::parse(text, &mut sink)?,
        Kind::CycloneDxXml => sbom::cyclonedx_xml::parse(text, &mut sink)?,
        Kind::SpdxJson => sbom::spdx_json::parse(text, &mut sink)?,
        Kind::WindowsJson => windows::json::parse(text, &mut sink)?,
        Kind::WindowsCsv => windows::csv::parse(text, &mut sink)?,
        Kind::DpkgStatus | Kind::ApkInstalled | Kind::RpmDb | Kind::RpmQa => {
            return Err(InventoryError::Unrecognised {
                path: file.to_string(),
            });
        }
    }
    Ok(inv)
}

/// Reads `path` as `kind`.
pub fn collect(path: &Path, kind: Kind) -> Result<Inventory, InventoryError> {
    let shown = path.display().to_string();
    let mut inv = Inventory::default();
    match kind {
        Kind::DpkgStatus | Kind::ApkInstalled | Kind::RpmDb => {
            let depth = match kind {
                Kind::DpkgStatus
                    if path.parent().and_then(Path::file_name) == Some("status.d".as_ref()) =>
                {
                    5
                }
                Kind::RpmDb
                    if path
                        .parent()
                        .and_then(Path::parent)
                        .and_then(Path::file_name)
                        == Some("sysimage".as_ref()) =>
                {
                    5
                }
                _ => 4,
            };
            let root = root_of(path, depth);
            let osr = os::root::read_os_release(&root);
            let family = match kind {
                Kind::DpkgStatus => Family::Dpkg,
                Kind::ApkInstalled => Family::Apk,
                _ => Family::Rpm,
            };
            let alpine = os::root::read_alpine_release(&root);
            os::root::read_database(path, family, osr.as_ref(), alpine.as_deref(), &mut inv)?;
            inv.os = osr;
        }
        Kind::RpmQa => {
            let text = lossy_text(&read_bytes(path)?);
            let osr = os::rpm_qa::header(&text);
            let mut sink = Sink::new(&shown, &mut inv);
            let eco = os::root::ecosystem_or_note(Family::Rpm, osr.as_ref(), None, &mut sink);
            os::rpm_qa::parse(&text, &eco, &mut sink);
            inv.os = osr;
        }
        Kind::WindowsJson => {
            let text = text_from_bytes(read_bytes(path)?, &shown)?;
            windows::json::parse(&text, &mut Sink::new(&shown, &mut inv))?;
        }
        Kind::WindowsCsv => {
            let text = text_from_bytes(read_bytes(path)?, &shown)?;
            windows::csv::parse(&text, &mut Sink::new(&shown, &mut inv))?;
        }
        Kind::Requirements => lockfile::requirements::collect(path, &mut inv)?,
        Kind::GoMod => {
            let text = read_text(path)?;
            lockfile::go_mod::parse(&text, &mut Sink::new(&shown, &mut inv))?;
            let has_requires = !inv.packages.is_empty();
            if has_requires && !path.with_file_name("go.sum").is_file() {
                inv.not_assessed.push(crate::NotAssessed {
                    location: shown.clone(),
                    reason:
                        "no go.sum beside go.mod: the module graph was never resolved here, so \
                             indirect dependencies may be missing from this list"
                            .to_string(),
                });
            }
        }
        _ => {
            let text = read_text(path)?;
            inv = collect_text(kind, &shown, &text)?;
        }
    }
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let k = |p: &str| kind_by_name(Path::new(p));
        assert_eq!(k("a/Cargo.lock"), Some(Kind::CargoLock));
        assert_eq!(k("x/var/lib/dpkg/status"), Some(Kind::DpkgStatus));
        assert_eq!(k("x/etc/status"), None);
        assert_eq!(k("var/lib/dpkg/status.d/base"), Some(Kind::DpkgStatus));
        assert_eq!(k("var/lib/dpkg/status.d/base.md5sums"), None);
        assert_eq!(k("lib/apk/db/installed"), Some(Kind::ApkInstalled));
        assert_eq!(k("requirements-dev.txt"), Some(Kind::Requirements));
        assert_eq!(k("test_requirements.txt"), Some(Kind::Requirements));
        assert_eq!(k("app.cdx.json"), Some(Kind::CycloneDxJson));
        assert_eq!(k("app.spdx.json"), Some(Kind::SpdxJson));
        assert_eq!(k("vigil-inventory-MAIL01.json"), Some(Kind::WindowsJson));
        assert_eq!(k("vigil-inventory-MAIL01.csv"), Some(Kind::WindowsCsv));
        assert_eq!(k("package.json"), None);
    }
}
