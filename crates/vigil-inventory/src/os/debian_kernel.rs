//! Debian's signed kernels: which source package their advisories are filed under.
//!
//! Debian builds the kernel from the source package `linux` (and, for kernels backported to an older
//! release, `linux-5.10`, `linux-6.1`, …), then signs the images for Secure Boot in separate source
//! packages, `linux-signed-amd64`, `linux-signed-arm64` and `linux-signed-i386` (`linux-signed-5.10-amd64`
//! for a backport; plain `linux-signed` in older releases). The binary packages administrators have
//! installed, `linux-image-6.1.0-18-amd64` and the `linux-image-amd64` metapackage, name the signing
//! package as their `Source:`, but DSAs, DLAs and the security tracker (and so OSV's Debian records)
//! name `linux`: matched by their `Source:` the kernels would never be matched at all. As Debian's
//! tracker does, the signed sources are mapped to the kernel source they were built from.
//!
//! Versions: a signing package's version is the kernel's with its Debian revision joined by `+`
//! (`linux-signed-amd64` `6.1.76+1` signs `linux` `6.1.76-1`; `6.1.90+1~deb11u1` signs
//! `6.1.90-1~deb11u1`); upstream kernel versions hold no `+`, so the first `+` is the `-`. The binary
//! packages themselves carry the kernel's version (`6.1.76-1`), which is what is matched.

/// The architectures Debian signs kernels for.
const SIGNED_ARCHES: &[&str] = &["amd64", "arm64", "i386"];

/// The kernel source package (and its version, when `version` is given) that a signing source package
/// was built from; `None` when `source` is not one of Debian's kernel signing packages.
pub fn signed_kernel_source(
    source: &str,
    version: Option<&str>,
) -> Option<(String, Option<String>)> {
    let rest = source.strip_prefix("linux-signed")?;
    let flavour = if rest.is_empty() {
        ""
    } else {
        let rest = rest.strip_prefix('-')?;
        let base = SIGNED_ARCHES
            .iter()
            .find_map(|a| rest.strip_suffix(a))?
            .trim_end_matches('-');
        // A backport's kernel series (`5.10`), or nothing.
        if !base.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        base
    };
    let name = if flavour.is_empty() {
        "linux".to_string()
    } else {
        format!("linux-{flavour}")
    };
    let version = version.map(|v| v.replacen('+', "-", 1));
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str, v: Option<&str>) -> Option<(String, Option<String>)> {
        signed_kernel_source(s, v)
    }

    #[test]
    fn signed_sources_map_to_the_kernel_source() {
        assert_eq!(
            m("linux-signed-amd64", Some("6.1.76+1")),
            Some(("linux".into(), Some("6.1.76-1".into())))
        );
        assert_eq!(m("linux-signed-arm64", None), Some(("linux".into(), None)));
        assert_eq!(
            m("linux-signed-i386", Some("4.19.249+2")),
            Some(("linux".into(), Some("4.19.249-2".into())))
        );
        assert_eq!(m("linux-signed", None), Some(("linux".into(), None)));
        assert_eq!(
            m("linux-signed-6.1-amd64", Some("6.1.90+1~deb11u1")),
            Some(("linux-6.1".into(), Some("6.1.90-1~deb11u1".into())))
        );
        assert_eq!(m("linux", None), None);
        assert_eq!(m("linux-signedfoo", None), None);
        assert_eq!(m("linux-signed-foo-amd64", None), None);
        assert_eq!(m("linux-signed-riscv64", None), None);
        assert_eq!(m("openssl", None), None);
    }
}
