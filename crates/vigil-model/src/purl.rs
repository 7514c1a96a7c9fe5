//! Package URLs (<https://github.com/package-url/purl-spec>) derived from a package's ecosystem, name and
//! version, for packages that came without one: every report format identifies components by purl.

use crate::package::Ecosystem;

/// Percent-encodes a purl component: unreserved characters and `:` stay (the spec forbids encoding
/// the colon), everything else is encoded as UTF-8 bytes.
pub fn encode(s: &str) -> String {
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

/// The purl of a package of `ecosystem`: the purl type OSV's ecosystems map to, the namespace split out of
/// the name where the ecosystem has one (npm scopes, Go module paths, Maven groups, Packagist vendors),
/// `?distro=` for distro packages. Ecosystems without a purl type become `pkg:generic/...`.
pub fn derive(ecosystem: &Ecosystem, name: &str, version: &str) -> String {
    let eco = ecosystem.base();
    let name = name.trim();
    let release = ecosystem.release();
    let mut distro = None;
    let (ty, namespace, name): (&str, Vec<String>, String) = match eco {
        "PyPI" => ("pypi", vec![], ecosystem.normalize_name(name)),
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
    let version = version.trim();
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

    #[test]
    fn derived_purls() {
        let eco = Ecosystem::new;
        assert_eq!(
            derive(&eco("PyPI"), "Flask_SQLAlchemy", "2.5"),
            "pkg:pypi/flask-sqlalchemy@2.5"
        );
        assert_eq!(
            derive(&eco("npm"), "@types/node", "1.0"),
            "pkg:npm/%40types/node@1.0"
        );
        assert_eq!(
            derive(&eco("Go"), "github.com/gorilla/mux", "v1.8.0"),
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
        assert_eq!(
            derive(&eco("Debian:12"), "openssl", "3.0.11-1~deb12u1"),
            "pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12"
        );
        assert_eq!(derive(&eco("Unknown"), "a b", ""), "pkg:generic/a%20b");
    }
}
