//! Package URLs (<https://github.com/package-url/purl-spec>) for packages that came without one, so
//! that every component in a VEX document has a purl-based identity.

use vigil_model::Package;

/// Percent-encodes a purl component: unreserved characters and `:` stay (the spec forbids encoding
/// the colon), everything else is encoded as UTF-8 bytes.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The purl of a package: the one it carries when it has one, else one built from its ecosystem,
/// name and version. Ecosystems without a purl type become `pkg:generic/...`.
pub(crate) fn of(p: &Package) -> String {
    if let Some(purl) = p
        .purl
        .as_deref()
        .map(str::trim)
        .filter(|s| s.starts_with("pkg:"))
    {
        return purl.to_string();
    }
    build(p)
}

fn build(p: &Package) -> String {
    let eco = p.ecosystem.base();
    let name = p.name.trim();
    let release = p.ecosystem.release();
    let mut distro = None;
    let (ty, namespace, name): (&str, Vec<String>, String) = match eco {
        "PyPI" => ("pypi", vec![], p.ecosystem.normalize_name(name)),
        "npm" => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => ("npm", vec![format!("@{scope}")], n.to_string()),
            None => ("npm", vec![], name.to_string()),
        },
        "crates.io" => ("cargo", vec![], name.to_string()),
        "Go" => split_last("golang", name, '/'),
        "Maven" => split_last("maven", name, ':'),
        "NuGet" => ("nuget", vec![], name.to_string()),
        "RubyGems" => ("gem", vec![], name.to_string()),
        "Packagist" => {
            let (t, ns, n) = split_last("composer", name, '/');
            (
                t,
                ns.into_iter().map(|s| s.to_lowercase()).collect(),
                n.to_lowercase(),
            )
        }
        "Hex" => ("hex", vec![], name.to_lowercase()),
        "Pub" => ("pub", vec![], name.to_lowercase()),
        "Hackage" => ("hackage", vec![], name.to_string()),
        "CRAN" => ("cran", vec![], name.to_string()),
        "Debian" | "Ubuntu" => {
            distro = release.map(|r| format!("{}-{r}", eco.to_lowercase()));
            ("deb", vec![eco.to_lowercase()], name.to_string())
        }
        "Alpine" => {
            distro = release.map(|r| format!("alpine-{}", r.trim_start_matches('v')));
            ("apk", vec!["alpine".into()], name.to_lowercase())
        }
        "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" => {
            let vendor = match eco {
                "AlmaLinux" => "almalinux",
                "Rocky Linux" => "rocky-linux",
                "Red Hat" => "redhat",
                "openSUSE" => "opensuse",
                _ => "suse",
            };
            distro = release.map(|r| format!("{vendor}-{r}"));
            ("rpm", vec![vendor.into()], name.to_string())
        }
        "Microsoft" | "Windows" => ("generic", vec!["microsoft".into()], name.to_string()),
        _ => ("generic", vec![], name.to_string()),
    };
    let mut out = format!("pkg:{ty}/");
    for ns in namespace.iter().filter(|s| !s.is_empty()) {
        out.push_str(&encode(ns));
        out.push('/');
    }
    out.push_str(&encode(&name));
    let version = p.version.trim();
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    if let Some(d) = distro {
        out.push_str("?distro=");
        out.push_str(&encode(&d));
    }
    out
}

/// `github.com/gorilla/mux` → namespace `github.com`, `gorilla`; name `mux`.
fn split_last(ty: &'static str, name: &str, sep: char) -> (&'static str, Vec<String>, String) {
    match name.rsplit_once(sep) {
        Some((ns, n)) => (
            ty,
            ns.split(sep).map(str::to_string).collect(),
            n.to_string(),
        ),
        None => (ty, vec![], name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Ecosystem, PackageLocation};

    fn pkg(eco: &str, name: &str, version: &str) -> Package {
        Package {
            ecosystem: Ecosystem::new(eco),
            name: name.into(),
            version: version.into(),
            purl: None,
            source_name: None,
            location: PackageLocation::default(),
        }
    }

    #[test]
    fn builds_purls_per_the_spec() {
        assert_eq!(of(&pkg("PyPI", "Jinja2", "2.10")), "pkg:pypi/jinja2@2.10");
        assert_eq!(
            of(&pkg("npm", "@angular/core", "12.3.1")),
            "pkg:npm/%40angular/core@12.3.1"
        );
        assert_eq!(
            of(&pkg(
                "Maven",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1"
            )),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(
            of(&pkg("Go", "github.com/gorilla/mux", "v1.8.0")),
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
        assert_eq!(
            of(&pkg("Debian:12", "openssl", "3.0.11-1~deb12u2")),
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12"
        );
        assert_eq!(
            of(&pkg("Debian:12", "curl", "1:7.88.1+dfsg")),
            "pkg:deb/debian/curl@1:7.88.1%2Bdfsg?distro=debian-12"
        );
        assert_eq!(
            of(&pkg("Microsoft", "Exchange Server 2019", "15.2.792.3")),
            "pkg:generic/microsoft/Exchange%20Server%202019@15.2.792.3"
        );
    }

    #[test]
    fn keeps_a_given_purl_and_encodes_hostile_names() {
        let mut p = pkg("PyPI", "x", "1");
        p.purl = Some("pkg:pypi/x@1".into());
        assert_eq!(of(&p), "pkg:pypi/x@1");
        assert_eq!(
            of(&pkg("weird", "a/b?c#d", "1 2")),
            "pkg:generic/a%2Fb%3Fc%23d@1%202"
        );
    }
}
