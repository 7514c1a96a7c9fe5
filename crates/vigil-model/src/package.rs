//! Software found on an asset.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An OSV ecosystem name, as OSV spells it: `PyPI`, `npm`, `crates.io`, `Go`, `Maven`, `Debian:12`,
/// `AlmaLinux:9`, … A distro ecosystem carries its release after the colon.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ecosystem(pub String);

impl Ecosystem {
    pub fn new(s: impl Into<String>) -> Self {
        Ecosystem(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ecosystem without its release: `Debian:12` → `Debian`.
    pub fn base(&self) -> &str {
        self.0.split_once(':').map_or(self.0.as_str(), |(b, _)| b)
    }

    /// A package name in the form advisories and inventories are matched on: PyPI names per PEP 503
    /// (case-insensitive, runs of `-`, `_`, `.` equal), NuGet, Packagist and distro names case-insensitive;
    /// other ecosystems compare names exactly.
    pub fn normalize_name(&self, name: &str) -> String {
        match self.base() {
            "PyPI" => {
                let mut out = String::with_capacity(name.len());
                let mut sep = false;
                for c in name.trim().chars() {
                    if matches!(c, '-' | '_' | '.') {
                        sep = true;
                    } else {
                        if sep && !out.is_empty() {
                            out.push('-');
                        }
                        sep = false;
                        out.extend(c.to_lowercase());
                    }
                }
                out
            }
            "NuGet" | "Packagist" | "Debian" | "Ubuntu" | "Alpine" | "AlmaLinux"
            | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" => name.trim().to_lowercase(),
            _ => name.trim().to_string(),
        }
    }

    /// The release part of a distro ecosystem: `Debian:12` → `Some("12")`.
    pub fn release(&self) -> Option<&str> {
        self.0
            .split_once(':')
            .map(|(_, r)| r)
            .filter(|r| !r.is_empty())
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Ecosystem {
    fn from(s: &str) -> Self {
        Ecosystem(s.to_string())
    }
}

/// Where a package was seen: the evidence behind every finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct PackageLocation {
    /// The file (lockfile, SBOM, package database, inventory) the package was read from.
    pub file: String,
    /// 1-based line in that file, when the format has lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// One installed or locked piece of software.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// Package URL when known (from an SBOM, or derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// For distro packages: the source package that advisories are filed against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    #[serde(default)]
    pub location: PackageLocation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_parts() {
        let e = Ecosystem::new("Debian:12");
        assert_eq!(e.base(), "Debian");
        assert_eq!(e.release(), Some("12"));
        let p = Ecosystem::new("PyPI");
        assert_eq!(p.base(), "PyPI");
        assert_eq!(p.release(), None);
        assert_eq!(p.normalize_name("Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(p.normalize_name("zope.interface"), "zope-interface");
        assert_eq!(p.normalize_name("a--_b"), "a-b");
        assert_eq!(Ecosystem::new("npm").normalize_name("React"), "React");
    }
}
