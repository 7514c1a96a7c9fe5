//! Go module versions, ordered like `golang.org/x/mod/semver`: SemVer 2.0 with a `v` prefix,
//! the shorthands `v1` and `v1.2`, `+incompatible` (build metadata, ignored), and
//! pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`), which are ordinary pre-releases.
//!
//! OSV writes Go versions without the `v` (`1.2.3`); both spellings are accepted. Go itself
//! orders invalid versions below valid ones; here they are errors, so a typo in an inventory is
//! reported instead of silently matching every range.

use crate::semver::{Version, cmp_parsed, parse_with};
use crate::{Scheme, VersionError};
use std::cmp::Ordering;

/// Parses a Go module version (with or without the `v`).
pub fn parse(input: &str) -> Result<Version<'_>, VersionError> {
    parse_with(input, Scheme::Go, true)
}

/// Compares two Go module versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_parsed(&parse(a)?, &parse(b)?))
}

/// True when the version is a pseudo-version (a commit, not a tag): `vX.Y.Z-[0.]yyyymmddhhmmss-abcdefabcdef`.
pub fn is_pseudo(input: &str) -> bool {
    let Ok(v) = parse(input) else {
        return false;
    };
    let Some(pre) = v.pre else {
        return false;
    };
    let mut ids = pre.rsplit('.');
    let Some(last) = ids.next() else {
        return false;
    };
    let Some((stamp, rev)) = last.split_once('-') else {
        return false;
    };
    stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && rev.len() == 12
        && rev
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn go_rules() {
        assert_eq!(compare("v1", "v1.0.0").unwrap(), Equal);
        assert_eq!(compare("v1.2", "1.2.0").unwrap(), Equal);
        assert_eq!(compare("v2.0.0+incompatible", "v2.0.0").unwrap(), Equal);
        assert_eq!(
            compare(
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa"
            )
            .unwrap(),
            Less
        );
        assert_eq!(
            compare("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3").unwrap(),
            Greater
        );
        assert_eq!(
            compare("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4").unwrap(),
            Less
        );
        assert!(parse("v1.2-pre").is_err());
        assert!(parse("v01.2.3").is_err());
        assert!(is_pseudo("v0.0.0-20191109021931-daa7c04131f5"));
        assert!(is_pseudo("v1.2.4-0.20191109021931-daa7c04131f5"));
        assert!(!is_pseudo("v1.2.4-rc.1"));
    }
}
