//! Which OSV ecosystem the packages of a distribution's package database belong to.
//!
//! OSV scopes distro advisories by release: `Debian:12`, `Ubuntu:22.04:LTS` (the `:LTS` suffix is part of
//! the name for LTS releases), `Alpine:v3.18` (branch with `v`), `AlmaLinux:9`, `Rocky Linux:9` (major
//! release). Red Hat's OSV streams are CPE-derived (`Red Hat:enterprise_linux:9::baseos`) and depend on
//! the repository a package came from, which the rpm database does not record; vigil names RHEL packages
//! `Red Hat:enterprise_linux:<major>`, a prefix of every stream of that release, and the matcher compares
//! by that prefix. A distribution without an OSV ecosystem keeps its packages under the package manager's
//! name (`dpkg`, `apk`, `rpm`), which no advisory uses, and the database is reported as not assessed.

use super::os_release::OsRelease;
use crate::purl::{UBUNTU_CODENAMES, debian_release_from_codename, ubuntu_ecosystem};

/// The package manager whose database is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Dpkg,
    Apk,
    Rpm,
}

impl Family {
    pub fn fallback(self) -> &'static str {
        match self {
            Family::Dpkg => "dpkg",
            Family::Apk => "apk",
            Family::Rpm => "rpm",
        }
    }
}

/// The ecosystem of a database's packages, or why there is none.
pub fn for_distro(
    family: Family,
    os: Option<&OsRelease>,
    alpine_release: Option<&str>,
) -> Result<String, String> {
    if family == Family::Apk {
        let from = alpine_release.map(str::trim).or_else(|| {
            os.filter(|o| o.id == "alpine")
                .and_then(|o| o.version_id.as_deref())
        });
        return match from.and_then(alpine_branch) {
            Some(b) => Ok(format!("Alpine:{b}")),
            None => Err(
                "Alpine release unknown (no etc/alpine-release or os-release VERSION_ID)".into(),
            ),
        };
    }
    let Some(os) = os else {
        return Err("no etc/os-release: the distribution release is unknown".into());
    };
    let major = || {
        os.version_id
            .as_deref()
            .and_then(|v| v.split('.').next())
            .filter(|m| !m.is_empty())
            .map(str::to_string)
    };
    let unknown = || {
        Err(format!(
            "distribution `{}` {} has no OSV ecosystem known to vigil",
            os.id,
            os.version_id.as_deref().unwrap_or("")
        ))
    };
    match (family, os.id.as_str()) {
        (Family::Dpkg, "debian") => {
            if let Some(m) = major() {
                return Ok(format!("Debian:{m}"));
            }
            // testing and unstable have no VERSION_ID; OSV uses the release number when the codename has
            // one, else the series name (`Debian:sid`).
            match os.version_codename.as_deref().or_else(|| {
                os.pretty_name
                    .as_deref()
                    .and_then(|p| p.rsplit('/').next())
                    .filter(|s| *s == "sid")
            }) {
                Some(code) => Ok(format!(
                    "Debian:{}",
                    debian_release_from_codename(code).unwrap_or(code)
                )),
                None => Err("Debian release unknown (os-release has no VERSION_ID)".into()),
            }
        }
        (Family::Dpkg, "ubuntu") => {
            let release = os.version_id.clone().or_else(|| {
                let code = os.version_codename.as_deref()?;
                UBUNTU_CODENAMES
                    .iter()
                    .find(|(c, _, _)| *c == code)
                    .map(|(_, r, _)| (*r).to_string())
            });
            match release {
                Some(r) => {
                    let lts = os.version.as_deref().is_some_and(|v| v.contains("LTS"));
                    Ok(ubuntu_ecosystem(&r, lts))
                }
                None => Err("Ubuntu release unknown (os-release has no VERSION_ID)".into()),
            }
        }
        (Family::Rpm, "almalinux") => major()
            .map(|m| format!("AlmaLinux:{m}"))
            .map_or_else(unknown, Ok),
        (Family::Rpm, "rocky") => major()
            .map(|m| format!("Rocky Linux:{m}"))
            .map_or_else(unknown, Ok),
        (Family::Rpm, "rhel") => major()
            .map(|m| format!("Red Hat:enterprise_linux:{m}"))
            .map_or_else(unknown, Ok),
        _ => unknown(),
    }
}

/// The Alpine branch of a release: `3.18.4` → `v3.18`, `v3.19` → `v3.19`, `3.20_alpha2024` → `v3.20`.
pub fn alpine_branch(release: &str) -> Option<String> {
    let r = release.trim().trim_start_matches('v');
    let mut parts = r.split(['.', '_', '-']);
    let major = parts
        .next()
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))?;
    let minor = parts
        .next()
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))?;
    Some(format!("v{major}.{minor}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::os_release::parse;

    #[test]
    fn distro_ecosystems() {
        let deb = parse("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
        assert_eq!(
            for_distro(Family::Dpkg, Some(&deb), None).unwrap(),
            "Debian:12"
        );
        let sid = parse("ID=debian\nVERSION_CODENAME=trixie\n");
        assert_eq!(
            for_distro(Family::Dpkg, Some(&sid), None).unwrap(),
            "Debian:13"
        );
        let u =
            parse("ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\n");
        assert_eq!(
            for_distro(Family::Dpkg, Some(&u), None).unwrap(),
            "Ubuntu:22.04:LTS"
        );
        let u2 = parse("ID=ubuntu\nVERSION_ID=\"23.10\"\nVERSION=\"23.10 (Mantic Minotaur)\"\n");
        assert_eq!(
            for_distro(Family::Dpkg, Some(&u2), None).unwrap(),
            "Ubuntu:23.10"
        );
        let alma = parse("ID=\"almalinux\"\nVERSION_ID=\"9.2\"\n");
        assert_eq!(
            for_distro(Family::Rpm, Some(&alma), None).unwrap(),
            "AlmaLinux:9"
        );
        let rocky = parse("ID=\"rocky\"\nVERSION_ID=\"8.9\"\n");
        assert_eq!(
            for_distro(Family::Rpm, Some(&rocky), None).unwrap(),
            "Rocky Linux:8"
        );
        let rhel = parse("ID=\"rhel\"\nVERSION_ID=\"9.3\"\n");
        assert_eq!(
            for_distro(Family::Rpm, Some(&rhel), None).unwrap(),
            "Red Hat:enterprise_linux:9"
        );
        let fedora = parse("ID=fedora\nVERSION_ID=39\n");
        assert!(
            for_distro(Family::Rpm, Some(&fedora), None)
                .unwrap_err()
                .contains("fedora")
        );
        assert!(for_distro(Family::Dpkg, None, None).is_err());
        assert_eq!(
            for_distro(Family::Apk, None, Some("3.18.4\n")).unwrap(),
            "Alpine:v3.18"
        );
        let alp = parse("ID=alpine\nVERSION_ID=3.19.1\n");
        assert_eq!(
            for_distro(Family::Apk, Some(&alp), None).unwrap(),
            "Alpine:v3.19"
        );
        assert!(for_distro(Family::Apk, None, Some("edge")).is_err());
    }
}
