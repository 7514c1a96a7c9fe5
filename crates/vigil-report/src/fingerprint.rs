//! Stable identities for report entries. They must not change between runs, Rust releases or
//! machines (code-scanning dashboards track alerts by them), so they use FNV-1a over a
//! length-prefixed encoding of the parts instead of the standard library's hasher, whose output is
//! not specified.

use vigil_model::Finding;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over the parts, each prefixed by its length so that `("ab", "c")` and `("a", "bc")`
/// differ.
fn fnv1a(seed: u64, parts: &[&str]) -> u64 {
    let mut h = FNV_OFFSET ^ seed;
    for p in parts {
        h = fnv1a_step(h, &(p.len() as u64).to_le_bytes());
        h = fnv1a_step(h, p.as_bytes());
    }
    h
}

fn fnv1a_step(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The identity of one problem: the asset, the package (by ecosystem, matching name and the file it
/// was found in) and the advisory. The version is left out on purpose: after an upgrade that is
/// still vulnerable, the alert stays the same alert.
pub(crate) fn finding_key(f: &Finding, advisory: &str) -> String {
    let name = f.package.ecosystem.normalize_name(&f.package.name);
    let parts = [
        f.asset.as_str(),
        f.package.ecosystem.as_str(),
        name.as_str(),
        f.package.location.file.as_str(),
        advisory,
    ];
    format!("{:016x}", fnv1a(0, &parts))
}

/// A UUID (RFC 9562 version 8, the custom-data variant) derived from the parts, so that the same
/// report always carries the same serial number.
pub(crate) fn uuid(parts: &[&str]) -> String {
    let hi = fnv1a(0, parts);
    let lo = fnv1a(0x9e37_79b9_7f4a_7c15, parts);
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_8000; // version 8
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // RFC variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        let raw = |s: &str| fnv1a_step(FNV_OFFSET, s.as_bytes());
        assert_eq!(raw(""), 0xcbf29ce484222325);
        assert_eq!(raw("a"), 0xaf63dc4c8601ec8c);
        assert_eq!(raw("foobar"), 0x85944171f73967e8);
        assert_ne!(fnv1a(0, &["ab", "c"]), fnv1a(0, &["a", "bc"]));
    }

    #[test]
    fn uuid_has_version_and_variant() {
        let u = uuid(&["x"]);
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'8');
        assert!(matches!(u.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(u, uuid(&["x"]));
        assert_ne!(u, uuid(&["y"]));
    }
}
