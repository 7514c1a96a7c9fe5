//! Version schemes of every ecosystem vigil knows, and OSV range evaluation.
//!
//! Each scheme lives in its own module and follows its ecosystem's reference implementation
//! (dpkg, rpm, apk-tools, `packaging`, node-semver, Maven's `ComparableVersion`, Go's
//! `x/mod/semver`, `Gem::Version`, NuGet.Versioning). A version that the reference tool rejects
//! gives an error here rather than a guessed order: a wrong order would silently hide a
//! vulnerability. Comparison parses without allocating (except Maven's nested item lists), so
//! matching thousands of packages against thousands of ranges stays cheap.

mod num;

pub mod apk;
pub mod debian;
pub mod go;
pub mod maven;
pub mod msbuild;
pub mod nuget;
pub mod osv;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

pub use osv::affects;

/// The version orderings vigil implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// SemVer 2.0 precedence (npm, crates.io, Hex, Pub, OSV `SEMVER` ranges).
    Semver,
    /// PEP 440 (PyPI).
    Pep440,
    /// dpkg (Debian, Ubuntu).
    Debian,
    /// rpm's `rpmvercmp` over epoch:version-release (Red Hat, AlmaLinux, Rocky, SUSE, …).
    Rpm,
    /// apk-tools (Alpine, Wolfi, Chainguard).
    Apk,
    /// Maven's `ComparableVersion`.
    Maven,
    /// Go modules (`x/mod/semver`: `v` prefix, `+incompatible`, pseudo-versions).
    Go,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// NuGet's SemVer 2.0 with a fourth numeric part.
    NuGet,
    /// Microsoft build numbers (`15.2.792.13`).
    MsBuild,
}

impl Scheme {
    /// Every scheme, for callers that iterate (tests, diagnostics).
    pub const ALL: [Scheme; 10] = [
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Debian,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Maven,
        Scheme::Go,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::MsBuild,
    ];

    /// A short stable name (`semver`, `pep440`, …) used in messages and vector file names.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Semver => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Debian => "debian",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Maven => "maven",
            Scheme::Go => "go",
            Scheme::RubyGems => "rubygems",
            Scheme::NuGet => "nuget",
            Scheme::MsBuild => "msbuild",
        }
    }

    /// Checks that `version` is valid in this scheme.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        compare(self, version, version).map(|_| ())
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a version could not be compared or an advisory entry could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is not a version of this scheme.
    #[error("invalid {scheme} version {version:?}: {reason}")]
    Invalid {
        scheme: Scheme,
        version: String,
        reason: &'static str,
    },
    /// The ecosystem has no version scheme that vigil implements.
    #[error("unknown ecosystem {0:?}: no version ordering known")]
    UnknownEcosystem(String),
    /// The entry cannot be decided from a version string (only GIT ranges, or nothing at all):
    /// callers must report it as not assessed, never as not affected.
    #[error("cannot evaluate {package} ({ecosystem}) by version: {reason}")]
    NotEvaluable {
        ecosystem: String,
        package: String,
        reason: &'static str,
    },
    /// An OSV range is malformed (no `introduced` event, or an event version the scheme rejects).
    #[error("malformed range #{range} for {package}: {reason}")]
    BadRange {
        package: String,
        range: usize,
        reason: String,
    },
}

/// Shorthand for building [`VersionError::Invalid`]; the version is cut to keep messages bounded.
pub(crate) fn invalid(scheme: Scheme, version: &str, reason: &'static str) -> VersionError {
    let mut v: String = version.chars().take(200).collect();
    if v.len() < version.len() {
        v.push('…');
    }
    VersionError::Invalid {
        scheme,
        version: v,
        reason,
    }
}

/// Compares two versions under a scheme. Both must be valid in that scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        Scheme::Semver => semver::compare(a, b),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::Debian => debian::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::Go => go::compare(a, b),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::NuGet => nuget::compare(a, b),
        Scheme::MsBuild => msbuild::compare(a, b),
    }
}

/// Which scheme an OSV ecosystem uses (PyPI, npm, crates.io, Go, Maven, RubyGems, NuGet, Hex,
/// Pub, Debian:*, Ubuntu:*, Alpine:*, AlmaLinux:*, Rocky Linux:*, Red Hat:*, openSUSE/SUSE:*, …).
/// `None` if unknown: Packagist (Composer's own ordering), CRAN, Hackage, opam and others are not
/// implemented, and guessing would give wrong answers.
pub fn scheme_for(ecosystem: &vigil_model::Ecosystem) -> Option<Scheme> {
    let full = ecosystem.as_str().trim();
    let mut parts = full.split(':');
    let base = parts.next().unwrap_or_default().trim();
    // Root's images carry the underlying ecosystem next: `Root:Alpine:3.18`, `Root:PyPI`.
    if base.eq_ignore_ascii_case("Root") {
        return parts.next().and_then(|inner| scheme_for_base(inner.trim()));
    }
    scheme_for_base(base)
}

fn scheme_for_base(base: &str) -> Option<Scheme> {
    const TABLE: &[(&str, Scheme)] = &[
        ("PyPI", Scheme::Pep440),
        ("npm", Scheme::Semver),
        ("crates.io", Scheme::Semver),
        ("Hex", Scheme::Semver),
        ("Pub", Scheme::Semver),
        ("SwiftURL", Scheme::Semver),
        ("Bitnami", Scheme::Semver),
        ("Go", Scheme::Go),
        ("Kubernetes", Scheme::Go),
        ("Maven", Scheme::Maven),
        ("RubyGems", Scheme::RubyGems),
        ("NuGet", Scheme::NuGet),
        ("Debian", Scheme::Debian),
        ("Ubuntu", Scheme::Debian),
        ("Alpine", Scheme::Apk),
        ("Wolfi", Scheme::Apk),
        ("Chainguard", Scheme::Apk),
        ("AlmaLinux", Scheme::Rpm),
        ("Rocky Linux", Scheme::Rpm),
        ("Red Hat", Scheme::Rpm),
        ("openSUSE", Scheme::Rpm),
        ("SUSE", Scheme::Rpm),
        ("Photon OS", Scheme::Rpm),
        ("Azure Linux", Scheme::Rpm),
        ("Mageia", Scheme::Rpm),
        ("openEuler", Scheme::Rpm),
        ("Microsoft", Scheme::MsBuild),
    ];
    TABLE
        .iter()
        .find(|(name, _)| *name == base)
        .or_else(|| {
            TABLE
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(base))
        })
        .map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Ecosystem;

    #[test]
    fn ecosystems_map_to_schemes() {
        let cases = [
            ("PyPI", Some(Scheme::Pep440)),
            ("npm", Some(Scheme::Semver)),
            ("crates.io", Some(Scheme::Semver)),
            ("Go", Some(Scheme::Go)),
            ("Maven", Some(Scheme::Maven)),
            ("Maven:https://maven.google.com", Some(Scheme::Maven)),
            ("RubyGems", Some(Scheme::RubyGems)),
            ("NuGet", Some(Scheme::NuGet)),
            ("Debian:12", Some(Scheme::Debian)),
            ("Ubuntu:Pro:18.04:LTS", Some(Scheme::Debian)),
            ("Alpine:v3.18", Some(Scheme::Apk)),
            ("AlmaLinux:9", Some(Scheme::Rpm)),
            ("Rocky Linux:8", Some(Scheme::Rpm)),
            ("Red Hat:rhel_aus:8.4::appstream", Some(Scheme::Rpm)),
            ("SUSE:Linux Enterprise Server 15 SP5", Some(Scheme::Rpm)),
            ("openSUSE:Tumbleweed", Some(Scheme::Rpm)),
            ("Root:Alpine:3.18", Some(Scheme::Apk)),
            ("Root:PyPI", Some(Scheme::Pep440)),
            ("pypi", Some(Scheme::Pep440)),
            ("Packagist", None),
            ("CRAN", None),
            ("OSS-Fuzz", None),
            ("", None),
        ];
        for (eco, want) in cases {
            assert_eq!(scheme_for(&Ecosystem::new(eco)), want, "{eco}");
        }
    }

    #[test]
    fn compare_dispatches_and_errors_name_the_scheme() {
        assert_eq!(
            compare(Scheme::Debian, "1.0~rc1", "1.0"),
            Ok(Ordering::Less)
        );
        assert_eq!(compare(Scheme::Pep440, "1.0rc1", "1.0"), Ok(Ordering::Less));
        let err = compare(Scheme::Pep440, "1.0-SNAPSHOT", "1.0").unwrap_err();
        assert!(err.to_string().contains("pep440"), "{err}");
        assert!(Scheme::Semver.validate("1.2.3").is_ok());
        assert!(Scheme::Semver.validate("1.2").is_err());
    }
}
