//! Which stored advisories a package look-up may see: the ecosystem rules shared by every back end.
//!
//! Language ecosystems (`PyPI`, `npm`, `Maven`, …) match exactly. A distro ecosystem scopes a package to a
//! release (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`); a package of such a release is affected by the
//! advisories filed for that release and by those filed for the distro without a release (OSV allows a bare
//! `Debian`, meaning every release). Releases are compared in a canonical form so that the spellings an
//! inventory finds on a host (`/etc/os-release` says `22.04`, `3.18`) meet the ones advisories use
//! (`22.04:LTS`, `v3.18`).

use crate::Ecosystem;

/// OSV ecosystems whose suffix after the colon names a release of an operating system distribution.
const DISTROS: &[&str] = &[
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Chainguard",
    "Debian",
    "Echo",
    "Mageia",
    "MinimOS",
    "openEuler",
    "openSUSE",
    "Photon OS",
    "Red Hat",
    "Rocky Linux",
    "SUSE",
    "TuxCare",
    "Ubuntu",
    "Wolfi",
];

/// Whether `base` (an ecosystem without its release) is a distro ecosystem.
pub fn is_distro(base: &str) -> bool {
    DISTROS.contains(&base)
}

/// The canonical release of a distro ecosystem, the form releases are compared in: lower case, Ubuntu's
/// `LTS` and `Pro` markers dropped (a `22.04` host is affected by both the `22.04:LTS` and the
/// `Pro:22.04:LTS` advisories; which fix it can get is the version matcher's business), Alpine's `v` prefix
/// dropped. `None` for language ecosystems and for a distro without a release.
pub fn release_key(ecosystem: &Ecosystem) -> Option<String> {
    let base = ecosystem.base();
    if !is_distro(base) {
        return None;
    }
    let release = ecosystem.release()?;
    let mut parts: Vec<String> = Vec::new();
    for part in release.split(':') {
        let part = part.trim().to_lowercase();
        if base == "Ubuntu" && (part == "lts" || part == "pro") {
            continue;
        }
        let part = match part.strip_prefix('v') {
            Some(rest) if base == "Alpine" && rest.starts_with(|c: char| c.is_ascii_digit()) => {
                rest.to_string()
            }
            _ => part,
        };
        parts.push(part);
    }
    let key = parts.join(":");
    (!key.is_empty()).then_some(key)
}

/// The columns an affected package is stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedKey {
    /// The ecosystem exactly as filed.
    pub ecosystem: String,
    pub base: String,
    pub release_key: Option<String>,
    /// The package name normalised for its ecosystem.
    pub name: String,
}

impl AffectedKey {
    pub fn new(ecosystem: &Ecosystem, name: &str) -> Self {
        AffectedKey {
            ecosystem: ecosystem.as_str().to_string(),
            base: ecosystem.base().to_string(),
            release_key: release_key(ecosystem),
            name: ecosystem.normalize_name(name),
        }
    }
}

/// A package look-up, resolved into what stored rows it may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Rows with this exact ecosystem and normalised name.
    Exact { ecosystem: String, name: String },
    /// Rows of this distro base and normalised name whose release key is this one or absent.
    DistroRelease {
        base: String,
        release_key: String,
        name: String,
    },
}

impl Lookup {
    pub fn new(ecosystem: &Ecosystem, name: &str) -> Self {
        let name = ecosystem.normalize_name(name);
        match release_key(ecosystem) {
            Some(release_key) => Lookup::DistroRelease {
                base: ecosystem.base().to_string(),
                release_key,
                name,
            },
            None => Lookup::Exact {
                ecosystem: ecosystem.as_str().to_string(),
                name,
            },
        }
    }

    /// Whether a stored row falls under this look-up (the rule the SQL queries implement).
    pub fn matches(&self, row: &AffectedKey) -> bool {
        match self {
            Lookup::Exact { ecosystem, name } => row.ecosystem == *ecosystem && row.name == *name,
            Lookup::DistroRelease {
                base,
                release_key,
                name,
            } => {
                row.base == *base
                    && row.name == *name
                    && row.release_key.as_ref().is_none_or(|r| r == release_key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(e: &str) -> Option<String> {
        release_key(&Ecosystem::new(e))
    }

    #[test]
    fn release_keys() {
        assert_eq!(key("Debian:12").as_deref(), Some("12"));
        assert_eq!(key("Debian"), None);
        assert_eq!(key("Debian:"), None);
        assert_eq!(key("Ubuntu:22.04:LTS").as_deref(), Some("22.04"));
        assert_eq!(key("Ubuntu:Pro:18.04:LTS").as_deref(), Some("18.04"));
        assert_eq!(key("Ubuntu:23.10").as_deref(), Some("23.10"));
        assert_eq!(key("Alpine:v3.18").as_deref(), Some("3.18"));
        assert_eq!(key("Alpine:3.18").as_deref(), Some("3.18"));
        assert_eq!(
            key("Red Hat:enterprise_linux:9::appstream").as_deref(),
            Some("enterprise_linux:9::appstream")
        );
        assert_eq!(key("AlmaLinux:9").as_deref(), Some("9"));
        assert_eq!(key("Maven:https://maven.google.com"), None);
        assert_eq!(key("PyPI"), None);
    }

    #[test]
    fn lookups() {
        let row = |e: &str, n: &str| AffectedKey::new(&Ecosystem::new(e), n);
        let deb12 = Lookup::new(&Ecosystem::new("Debian:12"), "OpenSSL");
        assert!(deb12.matches(&row("Debian:12", "openssl")));
        assert!(deb12.matches(&row("Debian", "openssl")));
        assert!(!deb12.matches(&row("Debian:11", "openssl")));
        assert!(!deb12.matches(&row("Ubuntu:12", "openssl")));
        assert!(!deb12.matches(&row("Debian:12", "openssh")));

        let jammy = Lookup::new(&Ecosystem::new("Ubuntu:22.04"), "curl");
        assert!(jammy.matches(&row("Ubuntu:22.04:LTS", "curl")));
        assert!(jammy.matches(&row("Ubuntu:Pro:22.04:LTS", "curl")));
        assert!(!jammy.matches(&row("Ubuntu:20.04:LTS", "curl")));

        let pypi = Lookup::new(&Ecosystem::new("PyPI"), "Flask_SQLAlchemy");
        assert!(pypi.matches(&row("PyPI", "flask-sqlalchemy")));
        assert!(!pypi.matches(&row("npm", "flask-sqlalchemy")));

        let maven = Lookup::new(&Ecosystem::new("Maven"), "org.apache:x");
        assert!(!maven.matches(&row("Maven:https://maven.google.com", "org.apache:x")));

        // A bare distro look-up (release unknown) only sees advisories filed without a release.
        let debian = Lookup::new(&Ecosystem::new("Debian"), "openssl");
        assert!(debian.matches(&row("Debian", "openssl")));
        assert!(!debian.matches(&row("Debian:12", "openssl")));
    }
}
