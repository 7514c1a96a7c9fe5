//! Semantic Versioning 2.0.0 (<https://semver.org>), as npm's `semver` package and Cargo apply it:
//! `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, precedence per section 11, build metadata ignored.
//!
//! Leniencies, all harmless for ordering: surrounding whitespace and a leading `v`/`V` are
//! accepted (OSV's Go data and git tags carry one), and numbers may be of any length (npm caps
//! them at 2^53; here they compare as digit strings). Anything else the specification forbids
//! (leading zeros, empty identifiers, missing components) is an error.

use crate::num::{cmp_digits, is_digits};
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// A parsed semantic version, borrowing from its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    pub major: &'a str,
    pub minor: &'a str,
    pub patch: &'a str,
    /// Dot-separated pre-release identifiers, without the leading `-`.
    pub pre: Option<&'a str>,
    /// Build metadata, without the leading `+`; never affects precedence.
    pub build: Option<&'a str>,
}

/// Parses a full SemVer 2.0 version (a leading `v` and surrounding whitespace are allowed).
pub fn parse(input: &str) -> Result<Version<'_>, VersionError> {
    parse_with(input, Scheme::Semver, false)
}

/// Shared by the Go scheme, which also allows the shorthands `v1` and `v1.2` (no suffixes).
pub(crate) fn parse_with(
    input: &str,
    scheme: Scheme,
    allow_short: bool,
) -> Result<Version<'_>, VersionError> {
    let err = |reason| invalid(scheme, input, reason);
    let s = input.trim();
    let s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    if s.is_empty() {
        return Err(err("empty version"));
    }
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let mut parts = core.split('.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next();
    let patch = parts.next();
    if parts.next().is_some() {
        return Err(err("more than three numeric components"));
    }
    let (minor, patch) = match (minor, patch) {
        (Some(mi), Some(pa)) => (mi, pa),
        (mi, None) if allow_short && pre.is_none() && build.is_none() => (mi.unwrap_or("0"), "0"),
        _ => return Err(err("expected MAJOR.MINOR.PATCH")),
    };
    for n in [major, minor, patch] {
        if !is_digits(n) {
            return Err(err("numeric component is not a number"));
        }
        if n.len() > 1 && n.starts_with('0') {
            return Err(err("numeric component has a leading zero"));
        }
    }
    if let Some(pre) = pre {
        for id in pre.split('.') {
            check_ident(id).map_err(err)?;
            if id.len() > 1 && id.starts_with('0') && is_digits(id) {
                return Err(err("numeric pre-release identifier has a leading zero"));
            }
        }
    }
    if let Some(build) = build {
        for id in build.split('.') {
            check_ident(id).map_err(err)?;
        }
    }
    Ok(Version {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

fn check_ident(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        return Err("empty identifier");
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("identifier has a character outside [0-9A-Za-z-]");
    }
    Ok(())
}

/// Compares two versions by SemVer precedence.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_parsed(&parse(a)?, &parse(b)?))
}

/// Precedence of two parsed versions (section 11 of the specification).
pub fn cmp_parsed(a: &Version<'_>, b: &Version<'_>) -> Ordering {
    cmp_digits(a.major, b.major)
        .then_with(|| cmp_digits(a.minor, b.minor))
        .then_with(|| cmp_digits(a.patch, b.patch))
        .then_with(|| match (a.pre, b.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => cmp_prerelease(x, y, false),
        })
}

/// Compares dot-separated pre-release identifiers: numeric ones by value and below alphanumeric
/// ones, alphanumeric ones by ASCII (or ASCII case-insensitively, for NuGet), and a shorter list
/// below a longer one that it prefixes.
pub(crate) fn cmp_prerelease(a: &str, b: &str, ignore_case: bool) -> Ordering {
    let mut ia = a.split('.');
    let mut ib = b.split('.');
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (is_digits(x), is_digits(y)) {
                    (true, true) => cmp_digits(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) if ignore_case => x
                        .bytes()
                        .map(|c| c.to_ascii_lowercase())
                        .cmp(y.bytes().map(|c| c.to_ascii_lowercase())),
                    (false, false) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn precedence_chain_from_the_spec() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(compare("1.0.0+build.1", "1.0.0+other").unwrap(), Equal);
        assert_eq!(compare("v1.2.3", "1.2.3").unwrap(), Equal);
        assert_eq!(
            compare("99999999999999999999.0.0", "9.0.0").unwrap(),
            Greater
        );
    }

    #[test]
    fn rejects_what_the_spec_forbids() {
        for bad in [
            "",
            "1",
            "1.2",
            "01.2.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3.4",
            "1.2.x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
