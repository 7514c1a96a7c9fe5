//! Package URLs (<https://github.com/package-url/purl-spec>) for packages that came without one, so
//! that every component in a VEX document has a purl-based identity.

use vigil_model::Package;

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
    vigil_model::purl::derive(&p.ecosystem, &p.name, &p.version)
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
