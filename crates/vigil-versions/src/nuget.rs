//! NuGet package versions, ordered like NuGet.Versioning's `VersionComparer.Default`:
//! `Major[.Minor[.Patch[.Revision]]][-Label.Label…][+Metadata]`, one to four numeric parts
//! (missing ones are zero, leading zeros allowed), pre-release labels compared case-insensitively
//! (numeric labels by value and below alphanumeric ones), metadata ignored.
//!
//! NuGet caps numeric parts at 2^31-1; here they compare by value at any length.

use crate::num::cmp_digits;
use crate::num::is_digits;
use crate::semver::cmp_prerelease;
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// A parsed NuGet version, borrowing from its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    /// One to four dot-separated digit runs.
    pub numbers: &'a str,
    pub release: Option<&'a str>,
    pub metadata: Option<&'a str>,
}

/// Parses like `NuGetVersion.TryParse`.
pub fn parse(input: &str) -> Result<Version<'_>, VersionError> {
    let err = |reason| invalid(Scheme::NuGet, input, reason);
    let s = input.trim();
    let cut = s.find(['-', '+']).unwrap_or(s.len());
    let numbers = &s[..cut];
    let rest = &s[cut..];
    let (release, metadata) = if let Some(r) = rest.strip_prefix('-') {
        match r.split_once('+') {
            Some((rel, meta)) => (Some(rel), Some(meta)),
            None => (Some(r), None),
        }
    } else if let Some(m) = rest.strip_prefix('+') {
        (None, Some(m))
    } else {
        (None, None)
    };
    let count = numbers.split('.').count();
    if !(1..=4).contains(&count) || !numbers.split('.').all(is_digits) {
        return Err(err("expected one to four dot-separated numbers"));
    }
    if let Some(rel) = release {
        for label in rel.split('.') {
            check_part(label).map_err(err)?;
            if label.len() > 1 && label.starts_with('0') && is_digits(label) {
                return Err(err("numeric release label has a leading zero"));
            }
        }
    }
    if let Some(meta) = metadata {
        for part in meta.split('.') {
            check_part(part).map_err(err)?;
        }
    }
    Ok(Version {
        numbers,
        release,
        metadata,
    })
}

fn check_part(p: &str) -> Result<(), &'static str> {
    if p.is_empty() {
        return Err("empty label");
    }
    if !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("label has a character outside [0-9A-Za-z-]");
    }
    Ok(())
}

/// Compares two NuGet versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_parsed(&parse(a)?, &parse(b)?))
}

/// Orders two parsed versions: the four numbers, then release labels (none is highest).
pub fn cmp_parsed(a: &Version<'_>, b: &Version<'_>) -> Ordering {
    let (mut ia, mut ib) = (a.numbers.split('.'), b.numbers.split('.'));
    for _ in 0..4 {
        let o = cmp_digits(ia.next().unwrap_or(""), ib.next().unwrap_or(""));
        if o != Ordering::Equal {
            return o;
        }
    }
    match (a.release, b.release) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => cmp_prerelease(x, y, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn nuget_rules() {
        assert_eq!(compare("1.0", "1.0.0.0").unwrap(), Equal);
        assert_eq!(compare("1.0.01", "1.0.1.0").unwrap(), Equal);
        assert_eq!(compare("1.0.0-BETA", "1.0.0-beta").unwrap(), Equal);
        assert_eq!(compare("1.0.0+AA", "1.0.0").unwrap(), Equal);
        assert_eq!(compare("1.0.0-beta2", "1.0.0-BETA").unwrap(), Greater);
        assert_eq!(compare("1.0.0.1-alpha", "1.0.0").unwrap(), Greater);
        assert!(parse("1.0.0.0.0").is_err());
        assert!(parse("1.0.0-01").is_err());
        assert!(parse("1.0.0-").is_err());
    }
}
