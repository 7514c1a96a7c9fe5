//! Which format a file holds: by its name first (lockfiles have fixed names, OS databases fixed paths
//! inside a root), then, for generic names (`.json`, `.xml`, `.csv`, `.txt`), by its content: the
//! first [`SNIFF_BYTES`](crate::input::SNIFF_BYTES) are read and, for JSON, the keys of the first
//! record decide (administrators save PowerShell outputs under any name).

use crate::error::InventoryError;
use crate::input::{SNIFF_BYTES, head_text, lossy_text, read_bytes, read_head, read_text};
use crate::json_lines::first_record_keys;
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
    /// `Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo } | ConvertTo-Json`.
    ExSetupVersionJson,
    /// `Get-ExchangeServer | ConvertTo-Json`.
    ExchangeServerJson,
    /// `Get-HotFix | ConvertTo-Json`.
    HotFixJson,
    /// `Get-ComputerInfo | ConvertTo-Json`.
    ComputerInfoJson,
    /// `Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' | ConvertTo-Json`.
    CurrentVersionJson,
    DpkgStatus,
    ApkInstalled,
    RpmDb,
    RpmQa,
}

impl Kind {
    /// The format's name, as messages and [`crate::InputRecord`]s give it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CargoLock => "Cargo.lock",
            Kind::NpmLock => "package-lock.json",
            Kind::YarnLock => "yarn.lock",
            Kind::PnpmLock => "pnpm-lock.yaml",
            Kind::Requirements => "requirements.txt",
            Kind::PoetryLock => "poetry.lock",
            Kind::PipfileLock => "Pipfile.lock",
            Kind::UvLock => "uv.lock",
            Kind::GoMod => "go.mod",
            Kind::GemfileLock => "Gemfile.lock",
            Kind::ComposerLock => "composer.lock",
            Kind::NugetLock => "packages.lock.json",
            Kind::MavenPom => "pom.xml",
            Kind::CycloneDxJson => "CycloneDX JSON",
            Kind::CycloneDxXml => "CycloneDX XML",
            Kind::SpdxJson => "SPDX JSON",
            Kind::WindowsJson => "vigil Windows inventory (JSON)",
            Kind::WindowsCsv => "vigil Windows inventory (CSV)",
            Kind::ExSetupVersionJson => "ExSetup.exe FileVersionInfo (JSON)",
            Kind::ExchangeServerJson => "Get-ExchangeServer (JSON)",
            Kind::HotFixJson => "Get-HotFix (JSON)",
            Kind::ComputerInfoJson => "Get-ComputerInfo (JSON)",
            Kind::CurrentVersionJson => "Windows NT CurrentVersion registry key (JSON)",
            Kind::DpkgStatus => "dpkg status",
            Kind::ApkInstalled => "apk installed database",
            Kind::RpmDb => "rpm database",
            Kind::RpmQa => "rpm -qa export",
        }
    }
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

/// Extensions whose files are recognised by content.
const SNIFFED: &[&str] = &["json", "xml", "csv", "txt"];

/// Whether a file of this name is looked at by content (it has a generic extension).
pub fn sniffable(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SNIFFED.iter().any(|s| e.eq_ignore_ascii_case(s)))
}

/// The format of a file: by name, else by looking at the start of a `.json`, `.xml`, `.csv` or `.txt`.
/// A path that does not exist, or that is a directory, FIFO, socket or device, is an error saying so;
/// such files are never opened.
pub fn kind_of(path: &Path) -> Result<Kind, InventoryError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| InventoryError::io(&shown, e))?;
    if !meta.is_file() {
        return Err(InventoryError::NotAFile {
            path: shown,
            what: crate::input::describe_type(meta.file_type()),
        });
    }
    if let Some(k) = kind_by_name(path) {
        return Ok(k);
    }
    kind_by_content(path)?.ok_or(InventoryError::Unrecognised { path: shown })
}

/// The format a generic file holds, from its first bytes; `None` when it is none vigil reads.
pub fn kind_by_content(path: &Path) -> Result<Option<Kind>, InventoryError> {
    let Some(ext) = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| SNIFFED.contains(&e.as_str()))
    else {
        return Ok(None);
    };
    let head = head_text(&read_head(path, SNIFF_BYTES)?);
    Ok(kind_of_text(&ext, &head))
}

/// The format of a text by its start, for a file with extension `ext` (lower case).
pub fn kind_of_text(ext: &str, head: &str) -> Option<Kind> {
    let head_trim = head.trim_start_matches('\u{feff}').trim_start();
    let json_like = head_trim.starts_with(['{', '[']);
    if matches!(ext, "json" | "txt")
        && json_like
        && let Some(k) = json_kind(&first_record_keys(head_trim))
    {
        return Some(k);
    }
    Some(match ext {
        "json" if head.contains("\"bomFormat\"") => Kind::CycloneDxJson,
        "json" if head.contains("\"spdxVersion\"") => Kind::SpdxJson,
        "json" if head.contains("\"VigilInventory\"") => Kind::WindowsJson,
        "xml" if head.contains("cyclonedx.org/schema/bom") || head.contains("<bom") => {
            Kind::CycloneDxXml
        }
        "xml" if head.contains("<project") => Kind::MavenPom,
        "csv" if windows::csv::looks_like(head_trim) => Kind::WindowsCsv,
        "txt" if head_trim.starts_with("# vigil-rpm-qa") => Kind::RpmQa,
        _ => return None,
    })
}

/// The JSON formats told apart by the property names of their first record. PowerShell property
/// names are case-insensitive, so the comparison is too.
fn json_kind(keys: &[String]) -> Option<Kind> {
    let has = |k: &str| keys.iter().any(|x| x.eq_ignore_ascii_case(k));
    let any = |ks: &[&str]| ks.iter().any(|k| has(k));
    if has("VigilInventory") {
        return Some(Kind::WindowsJson);
    }
    if has("bomFormat") {
        return Some(Kind::CycloneDxJson);
    }
    if has("spdxVersion") {
        return Some(Kind::SpdxJson);
    }
    if has("HotFixID") && any(&["InstalledOn", "CSName", "Description", "InstalledBy"]) {
        return Some(Kind::HotFixJson);
    }
    if has("FileVersion")
        && has("ProductVersion")
        && any(&[
            "FileMajorPart",
            "OriginalFilename",
            "FileName",
            "InternalName",
        ])
    {
        return Some(Kind::ExSetupVersionJson);
    }
    if has("AdminDisplayVersion") && any(&["ServerRole", "Fqdn", "Edition", "ExchangeVersion"]) {
        return Some(Kind::ExchangeServerJson);
    }
    let computer_info = [
        "CsName",
        "OsName",
        "OsVersion",
        "OsBuildNumber",
        "OsHotFixes",
        "WindowsProductName",
        "WindowsVersion",
        "WindowsBuildLabEx",
    ];
    if computer_info.iter().filter(|k| has(k)).count() >= 2 {
        return Some(Kind::ComputerInfoJson);
    }
    if any(&["CurrentBuild", "CurrentBuildNumber"])
        && any(&[
            "UBR",
            "ProductName",
            "EditionID",
            "CurrentMajorVersionNumber",
        ])
    {
        return Some(Kind::CurrentVersionJson);
    }
    None
}

/// The root filesystem a database path sits in (`<root>/var/lib/dpkg/status` → `<root>`).
fn root_of(path: &Path, depth: usize) -> PathBuf {
    path.ancestors()
        .nth(depth)
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// Parses in-memory text of a lockfile, manifest, SBOM or Windows format (not the OS databases, which
/// need their root, nor requirements includes, which need the file system). `file` names the input in
/// locations. Windows facts are left as facts (see [`windows::finish`]).
pub(crate) fn collect_text_raw(
    kind: Kind,
    file: &str,
    text: &str,
) -> Result<Inventory, InventoryError> {
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
        Kind::ExSetupVersionJson => windows::powershell::exsetup::parse(text, &mut sink)?,
        Kind::ExchangeServerJson => windows::powershell::exchange_server::parse(text, &mut sink)?,
        Kind::HotFixJson => windows::powershell::hotfix::parse(text, &mut sink)?,
        Kind::ComputerInfoJson => windows::powershell::computer_info::parse(text, &mut sink)?,
        Kind::CurrentVersionJson => windows::powershell::current_version::parse(text, &mut sink)?,
        Kind::DpkgStatus | Kind::ApkInstalled | Kind::RpmDb | Kind::RpmQa => {
            return Err(InventoryError::Unrecognised {
                path: file.to_string(),
            });
        }
    }
    Ok(inv)
}

/// [`collect_text_raw`] with the Windows facts turned into packages, as a single input.
pub fn collect_text(kind: Kind, file: &str, text: &str) -> Result<Inventory, InventoryError> {
    let mut inv = collect_text_raw(kind, file, text)?;
    windows::finish::finish(&mut inv);
    Ok(inv)
}

/// Reads `path` as `kind`. Windows facts are left as facts, to be merged with other inputs' facts
/// and turned into packages once (see [`windows::finish`]).
pub(crate) fn collect(path: &Path, kind: Kind) -> Result<Inventory, InventoryError> {
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
        Kind::Requirements => lockfile::requirements::collect(path, &mut inv)?,
        Kind::GoMod => {
            let text = read_text(path)?;
            lockfile::go_mod::parse(&text, &mut Sink::new(&shown, &mut inv))?;
            let has_requires = !inv.packages.is_empty();
            if has_requires && !path.with_file_name("go.sum").is_file() {
                inv.note(
                    crate::NotAssessedKind::Entry,
                    shown.clone(),
                    "no go.sum beside go.mod: the module graph was never resolved here, so \
                     indirect dependencies may be missing from this list",
                );
            }
        }
        _ => {
            let text = read_text(path)?;
            inv = collect_text_raw(kind, &shown, &text)?;
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
