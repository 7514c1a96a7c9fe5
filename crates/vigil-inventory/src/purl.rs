//! Package URLs (<https://github.com/package-url/purl-spec>): parsing, building, and the mapping from
//! purl types to OSV ecosystems.
//!
//! SBOMs identify components by purl, so the purl decides which advisories apply. The parser follows the
//! specification's parsing steps: the scheme is `pkg:` (case-insensitive, slashes after it ignored), the
//! subpath follows the last `#`, qualifiers the last `?` (keys lowercased, values percent-decoded, empty
//! values dropped), the version the last `@` of the remainder, the type its first segment (lowercased) and
//! the name its last segment; every component is percent-decoded.

use vigil_model::Ecosystem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
    pub subpath: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    #[error("purl does not start with `pkg:`")]
    Scheme,
    #[error("purl has no type")]
    NoType,
    #[error("purl type `{0}` has characters outside [a-z0-9.+-]")]
    BadType(String),
    #[error("purl has no name")]
    NoName,
    #[error("purl has an invalid percent-encoding in `{0}`")]
    BadEscape(String),
    #[error("purl qualifier `{0}` has no `=`")]
    BadQualifier(String),
}

/// A distro package's identity derived from a purl: its OSV ecosystem, name, version and source package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: Option<String>,
    pub source_name: Option<String>,
}

impl Purl {
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let s = s.trim();
        let rest = s
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("pkg:"))
            .and_then(|_| s.get(4..))
            .ok_or(PurlError::Scheme)?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.rsplit_once('#') {
            Some((r, sp)) => {
                let segs: Vec<String> = sp
                    .split('/')
                    .filter(|x| !x.is_empty() && *x != "." && *x != "..")
                    .map(decode)
                    .collect::<Result<_, _>>()?;
                (r, (!segs.is_empty()).then(|| segs.join("/")))
            }
            None => (rest, None),
        };
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((r, q)) => (r, parse_qualifiers(q)?),
            None => (rest, Vec::new()),
        };
        let rest = rest.trim_end_matches('/');
        let (ty, rest) = rest.split_once('/').ok_or(if rest.is_empty() {
            PurlError::NoType
        } else {
            PurlError::NoName
        })?;
        let ty = ty.to_ascii_lowercase();
        if ty.is_empty() {
            return Err(PurlError::NoType);
        }
        if !ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
            || ty.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(PurlError::BadType(ty));
        }
        let (rest, version) = match rest.rsplit_once('@') {
            Some((r, v)) if !r.is_empty() && !r.ends_with('/') => (r, Some(decode(v)?)),
            _ => (rest, None),
        };
        let rest = rest.trim_start_matches('/');
        let (namespace, name) = match rest.rsplit_once('/') {
            Some((ns, n)) => {
                let segs: Vec<String> = ns
                    .split('/')
                    .filter(|x| !x.is_empty())
                    .map(decode)
                    .collect::<Result<_, _>>()?;
                (Some(segs.join("/")).filter(|s| !s.is_empty()), decode(n)?)
            }
            None => (None, decode(rest)?),
        };
        if name.is_empty() {
            return Err(PurlError::NoName);
        }
        let mut purl = Purl {
            ty,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
            subpath,
        };
        purl.normalise();
        Ok(purl)
    }

    /// Type-specific canonical forms from the purl type definitions.
    fn normalise(&mut self) {
        match self.ty.as_str() {
            "pypi" => self.name = self.name.to_lowercase().replace('_', "-"),
            "github" | "bitbucket" | "composer" => {
                self.name = self.name.to_lowercase();
                self.namespace = self.namespace.take().map(|n| n.to_lowercase());
            }
            "deb" | "apk" | "alpm" => {
                self.name = self.name.to_lowercase();
                self.namespace = self.namespace.take().map(|n| n.to_lowercase());
            }
            "rpm" => self.namespace = self.namespace.take().map(|n| n.to_lowercase()),
            _ => {}
        }
    }

    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The OSV ecosystem and package name this purl denotes, or why it cannot be mapped.
    pub fn to_package(&self) -> Result<PurlPackage, String> {
        let ns_name = |sep: &str| match &self.namespace {
            Some(ns) => format!("{ns}{sep}{}", self.name),
            None => self.name.clone(),
        };
        let plain = |eco: &str, name: String| PurlPackage {
            ecosystem: Ecosystem::new(eco),
            name,
            version: self.version.clone(),
            source_name: None,
        };
        Ok(match self.ty.as_str() {
            "cargo" => plain("crates.io", self.name.clone()),
            "npm" => plain("npm", ns_name("/")),
            "pypi" => plain("PyPI", self.name.clone()),
            "golang" => plain("Go", ns_name("/")),
            "maven" => {
                let Some(ns) = &self.namespace else {
                    return Err("maven purl without a groupId namespace".to_string());
                };
                plain("Maven", format!("{ns}:{}", self.name))
            }
            "gem" => plain("RubyGems", self.name.clone()),
            "composer" => plain("Packagist", ns_name("/")),
            "nuget" => plain("NuGet", self.name.clone()),
            "hex" => plain("Hex", self.name.clone()),
            "pub" => plain("Pub", self.name.clone()),
            "swift" => plain("SwiftURL", ns_name("/")),
            "deb" => self.distro_package(deb_ecosystem)?,
            "apk" => self.distro_package(apk_ecosystem)?,
            "rpm" => {
                let mut p = self.distro_package(rpm_ecosystem)?;
                if let (Some(v), Some(e)) = (&p.version, self.qualifier("epoch"))
                    && e != "0"
                    && !v.contains(':')
                {
                    p.version = Some(format!("{e}:{v}"));
                }
                p
            }
            other => {
                return Err(format!(
                    "purl type `{other}` has no OSV ecosystem known to vigil"
                ));
            }
        })
    }

    fn distro_package(
        &self,
        eco: fn(Option<&str>, Option<&str>) -> Result<String, String>,
    ) -> Result<PurlPackage, String> {
        let ecosystem = eco(self.namespace.as_deref(), self.qualifier("distro"))?;
        // `upstream` names the source package (`openssl` or `openssl@3.0.11-1`; for RPMs the source RPM file).
        let source_name = self.qualifier("upstream").map(|u| {
            let u = u
                .strip_suffix(".src.rpm")
                .map_or(u, crate::os::rpm_name_from_nvr);
            let name = u.split_once('@').map_or(u, |(n, _)| n);
            // Debian's signed kernels are filed under the kernel source.
            match crate::os::debian_kernel::signed_kernel_source(name, None) {
                Some((kernel, _)) if ecosystem.starts_with("Debian") => kernel,
                _ => name.to_string(),
            }
        });
        Ok(PurlPackage {
            ecosystem: Ecosystem::new(ecosystem),
            name: self.name.clone(),
            version: self.version.clone(),
            source_name: source_name.or_else(|| Some(self.name.clone())),
        })
    }
}

impl std::fmt::Display for Purl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/') {
                write!(f, "{}/", encode(seg))?;
            }
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        let mut qs: Vec<&(String, String)> = self.qualifiers.iter().collect();
        qs.sort();
        for (i, (k, v)) in qs.into_iter().enumerate() {
            write!(f, "{}{k}={}", if i == 0 { '?' } else { '&' }, encode(v))?;
        }
        if let Some(sp) = &self.subpath {
            write!(
                f,
                "#{}",
                sp.split('/').map(encode).collect::<Vec<_>>().join("/")
            )?;
        }
        Ok(())
    }
}

fn parse_qualifiers(q: &str) -> Result<Vec<(String, String)>, PurlError> {
    let mut out = Vec::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| PurlError::BadQualifier(pair.to_string()))?;
        let v = decode(v)?;
        if !v.is_empty() {
            out.push((k.to_ascii_lowercase(), v));
        }
    }
    Ok(out)
}

/// Percent-decoding; an incomplete or non-hex escape, or bytes that are not UTF-8, is an error.
pub fn decode(s: &str) -> Result<String, PurlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| PurlError::BadEscape(s.to_string()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::BadEscape(s.to_string()))
}

pub use vigil_model::purl::encode;

/// The purl of a package from a language lockfile, when its ecosystem has a purl type.
pub fn for_package(ecosystem: &str, name: &str, version: &str) -> Option<String> {
    let has_purl_type = match ecosystem {
        "crates.io" | "npm" | "PyPI" | "Go" | "RubyGems" | "NuGet" => true,
        // A Maven coordinate needs its group, a Packagist name its vendor.
        "Maven" => name.contains(':'),
        "Packagist" => name.contains('/'),
        _ => false,
    };
    has_purl_type.then(|| vigil_model::purl::derive(&Ecosystem::new(ecosystem), name, version))
}

const DEBIAN_CODENAMES: &[(&str, &str)] = &[
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
];

/// Ubuntu codenames with their release and whether it is a long-term-support release.
pub(crate) const UBUNTU_CODENAMES: &[(&str, &str, bool)] = &[
    ("xenial", "16.04", true),
    ("bionic", "18.04", true),
    ("focal", "20.04", true),
    ("jammy", "22.04", true),
    ("kinetic", "22.10", false),
    ("lunar", "23.04", false),
    ("mantic", "23.10", false),
    ("noble", "24.04", true),
    ("oracular", "24.10", false),
    ("plucky", "25.04", false),
    ("questing", "25.10", false),
];

/// The OSV Ubuntu ecosystem for a release: `Ubuntu:22.04:LTS` for LTS releases, `Ubuntu:23.10` otherwise.
pub(crate) fn ubuntu_ecosystem(release: &str, lts_hint: bool) -> String {
    let lts = lts_hint
        || UBUNTU_CODENAMES
            .iter()
            .any(|(_, r, lts)| *r == release && *lts);
    if lts {
        format!("Ubuntu:{release}:LTS")
    } else {
        format!("Ubuntu:{release}")
    }
}

pub(crate) fn debian_release_from_codename(code: &str) -> Option<&'static str> {
    DEBIAN_CODENAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, r)| *r)
}

/// `distro` qualifiers appear as `debian-12`, `bookworm`, `debian-12.4`, `ubuntu-22.04`, `jammy`.
fn deb_ecosystem(namespace: Option<&str>, distro: Option<&str>) -> Result<String, String> {
    let vendor = namespace.unwrap_or("debian");
    let release = distro.map(|d| {
        let d = d.to_lowercase();
        d.strip_prefix(&format!("{vendor}-"))
            .map_or(d.clone(), str::to_string)
    });
    match vendor {
        "debian" => Ok(match release {
            None => "Debian".to_string(),
            Some(r) => {
                let r = debian_release_from_codename(&r).map_or(r.clone(), str::to_string);
                let major = r.split('.').next().unwrap_or(&r).to_string();
                format!("Debian:{major}")
            }
        }),
        "ubuntu" => match release {
            None => Ok("Ubuntu".to_string()),
            Some(r) => {
                let r = UBUNTU_CODENAMES
                    .iter()
                    .find(|(c, _, _)| *c == r)
                    .map_or(r.clone(), |(_, v, _)| (*v).to_string());
                Ok(ubuntu_ecosystem(&r, false))
            }
        },
        other => Err(format!(
            "deb purl vendor `{other}` has no OSV ecosystem known to vigil"
        )),
    }
}

/// `distro` qualifiers appear as `alpine-3.18.4` or `3.18`.
fn apk_ecosystem(namespace: Option<&str>, distro: Option<&str>) -> Result<String, String> {
    match namespace.unwrap_or("alpine") {
        "alpine" => Ok(match distro {
            None => "Alpine".to_string(),
            Some(d) => {
                let d = d.to_lowercase();
                let r = d.strip_prefix("alpine-").unwrap_or(&d);
                match crate::os::alpine_branch(r) {
                    Some(b) => format!("Alpine:{b}"),
                    None => "Alpine".to_string(),
                }
            }
        }),
        other => Err(format!(
            "apk purl vendor `{other}` has no OSV ecosystem known to vigil"
        )),
    }
}

/// `distro` qualifiers appear as `almalinux-9.2`, `rocky-9`, `el9`, `rhel-9.2`.
fn rpm_ecosystem(namespace: Option<&str>, distro: Option<&str>) -> Result<String, String> {
    let vendor = namespace.unwrap_or("");
    let major = distro.and_then(|d| {
        d.rsplit(['-', 'l'])
            .next()
            .and_then(|v| v.split('.').next())
            .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string)
    });
    let with = |base: &str| match &major {
        Some(m) => format!("{base}:{m}"),
        None => base.to_string(),
    };
    match vendor {
        "almalinux" => Ok(with("AlmaLinux")),
        "rocky" | "rockylinux" => Ok(with("Rocky Linux")),
        "redhat" => Ok(match &major {
            Some(m) => format!("Red Hat:enterprise_linux:{m}"),
            None => "Red Hat".to_string(),
        }),
        other => Err(format!(
            "rpm purl vendor `{other}` has no OSV ecosystem known to vigil"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Purl {
        Purl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn spec_examples() {
        let m = p("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar");
        assert_eq!(m.ty, "maven");
        assert_eq!(m.namespace.as_deref(), Some("org.apache.logging.log4j"));
        assert_eq!(m.name, "log4j-core");
        assert_eq!(m.version.as_deref(), Some("2.14.1"));
        assert_eq!(m.qualifier("type"), Some("jar"));
        let pk = m.to_package().unwrap();
        assert_eq!(pk.ecosystem.as_str(), "Maven");
        assert_eq!(pk.name, "org.apache.logging.log4j:log4j-core");

        let n = p("pkg:npm/%40babel/core@7.12.3");
        assert_eq!(n.namespace.as_deref(), Some("@babel"));
        assert_eq!(n.to_package().unwrap().name, "@babel/core");

        let g = p("pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c#api");
        assert_eq!(g.namespace.as_deref(), Some("github.com/gorilla"));
        assert_eq!(g.subpath.as_deref(), Some("api"));
        assert_eq!(g.to_package().unwrap().name, "github.com/gorilla/context");

        let py = p("PKG:pypi/Django_Allauth@0.1");
        assert_eq!(py.name, "django-allauth");
        assert_eq!(py.to_package().unwrap().ecosystem.as_str(), "PyPI");
    }

    #[test]
    fn percent_decoding_and_qualifiers() {
        let d = p("pkg://deb/debian/curl@7.50.3-1%2Bdeb9u1?arch=i386&distro=jessie&empty=");
        assert_eq!(d.version.as_deref(), Some("7.50.3-1+deb9u1"));
        assert_eq!(d.qualifier("arch"), Some("i386"));
        assert_eq!(d.qualifier("empty"), None);
        let pk = d.to_package().unwrap();
        assert_eq!(pk.ecosystem.as_str(), "Debian:8");
        assert_eq!(pk.source_name.as_deref(), Some("curl"));
        assert_eq!(
            Purl::parse("pkg:npm/a%2x@1"),
            Err(PurlError::BadEscape("a%2x".into()))
        );
        assert_eq!(
            Purl::parse("pkg:npm/a%2"),
            Err(PurlError::BadEscape("a%2".into()))
        );
        assert_eq!(Purl::parse("npm/a@1"), Err(PurlError::Scheme));
        assert_eq!(Purl::parse("pkg:npm"), Err(PurlError::NoName));
        assert_eq!(Purl::parse("pkg:/a"), Err(PurlError::NoName));
        assert_eq!(Purl::parse("pkg:/a/"), Err(PurlError::NoName));
        assert_eq!(Purl::parse("pkg:"), Err(PurlError::NoType));
        assert!(matches!(
            Purl::parse("pkg:n_pm/a"),
            Err(PurlError::BadType(_))
        ));
        assert!(matches!(
            Purl::parse("pkg:npm/a?x"),
            Err(PurlError::BadQualifier(_))
        ));
    }

    #[test]
    fn distro_purls() {
        let u = p(
            "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04&upstream=openssl",
        );
        let pk = u.to_package().unwrap();
        assert_eq!(pk.ecosystem.as_str(), "Ubuntu:22.04:LTS");
        assert_eq!(pk.source_name.as_deref(), Some("openssl"));
        let a = p("pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=alpine-3.18.4");
        assert_eq!(a.to_package().unwrap().ecosystem.as_str(), "Alpine:v3.18");
        let r = p(
            "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=almalinux-9.2&upstream=openssl-3.0.7-24.el9.src.rpm",
        );
        let pk = r.to_package().unwrap();
        assert_eq!(pk.ecosystem.as_str(), "AlmaLinux:9");
        assert_eq!(pk.version.as_deref(), Some("1:3.0.7-24.el9"));
        assert_eq!(pk.source_name.as_deref(), Some("openssl"));
        assert!(p("pkg:rpm/fedora/curl@8.0.1-1.fc38").to_package().is_err());
        assert!(p("pkg:generic/openssl@3.0.7").to_package().is_err());
    }

    #[test]
    fn building_round_trips() {
        let s = for_package("npm", "@types/node", "20.1.0").unwrap();
        assert_eq!(s, "pkg:npm/%40types/node@20.1.0");
        assert_eq!(p(&s).to_package().unwrap().name, "@types/node");
        assert_eq!(
            for_package("Maven", "org.slf4j:slf4j-api", "1.7.36").unwrap(),
            "pkg:maven/org.slf4j/slf4j-api@1.7.36"
        );
        assert_eq!(
            for_package("PyPI", "Flask_SQLAlchemy", "2.5.1").unwrap(),
            "pkg:pypi/flask-sqlalchemy@2.5.1"
        );
        assert_eq!(
            for_package("Go", "golang.org/x/net", "v0.17.0").unwrap(),
            "pkg:golang/golang.org/x/net@v0.17.0"
        );
        assert_eq!(
            for_package("crates.io", "serde", "1.0.0+x").unwrap(),
            "pkg:cargo/serde@1.0.0%2Bx"
        );
        assert!(for_package("Debian:12", "curl", "1").is_none());
    }
}
