//! RPM versions, ordered exactly as rpm orders them: `[epoch:]version[-release]` split like
//! rpm's `parseEVR`, parts compared with `rpmvercmp` (rpm 4.18, `rpmio/rpmvercmp.c` and
//! `rpmio/rpmver.c`), including `~` (sorts before everything, even the end) and `^` (sorts after
//! the end but before anything else).
//!
//! rpm accepts any non-empty string; the only error here is an empty version or one containing a
//! NUL byte (which a C string would silently cut short).

use crate::num::{cmp_digits, digit_prefix_len};
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// A parsed epoch:version-release, borrowing from its input. Absent parts are `None`, as in rpm:
/// an absent epoch counts as `0`; an absent release sorts before any present one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evr<'a> {
    pub epoch: Option<&'a str>,
    pub version: &'a str,
    pub release: Option<&'a str>,
}

/// Splits an EVR string like rpm's `parseEVR`.
pub fn parse(input: &str) -> Result<Evr<'_>, VersionError> {
    if input.is_empty() {
        return Err(invalid(Scheme::Rpm, input, "empty version"));
    }
    if input.as_bytes().contains(&0) {
        return Err(invalid(Scheme::Rpm, input, "NUL byte in version"));
    }
    let bytes = input.as_bytes();
    let s = digit_prefix_len(bytes);
    let se = input[s..].rfind('-').map(|i| i + s);
    let (epoch, vstart) = if bytes.get(s) == Some(&b':') {
        let e = &input[..s];
        (Some(if e.is_empty() { "0" } else { e }), s + 1)
    } else {
        (None, 0)
    };
    let (version, release) = match se {
        Some(se) => (&input[vstart..se], Some(&input[se + 1..])),
        None => (&input[vstart..], None),
    };
    Ok(Evr {
        epoch,
        version,
        release,
    })
}

/// Compares two EVR strings like rpm's `rpmverCmp` (what `rpm.vercmp` in rpm's Lua does).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = parse(a)?;
    let b = parse(b)?;
    Ok(cmp_evr(&a, &b))
}

/// Orders two parsed EVRs: epoch (absent = `0`), version, then release (absent < present).
pub fn cmp_evr(a: &Evr<'_>, b: &Evr<'_>) -> Ordering {
    rpmvercmp(a.epoch.unwrap_or("0"), b.epoch.unwrap_or("0"))
        .then_with(|| rpmvercmp(a.version, b.version))
        .then_with(|| match (a.release, b.release) {
            (Some(x), Some(y)) => rpmvercmp(x, y),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        })
}

/// rpm's `rpmvercmp` on one part: alternating alphabetic and numeric segments, separators
/// ignored, numeric segments newer than alphabetic ones, then `~`/`^` rules.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(first), Some(_)) = (ca, cb) else {
            break;
        };
        let isnum = first.is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let ea = i + a[i..].iter().take_while(|c| class(c)).count();
        let eb = j + b[j..].iter().take_while(|c| class(c)).count();
        if ea == i {
            return Ordering::Less; // cannot happen: rpm's "arbitrary" branch
        }
        if eb == j {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (&a[i..ea], &b[j..eb]);
        let rc = if isnum {
            // Digit runs are ASCII, so the str conversion cannot fail.
            cmp_digits(
                std::str::from_utf8(sa).unwrap_or(""),
                std::str::from_utf8(sb).unwrap_or(""),
            )
        } else {
            sa.cmp(sb)
        };
        if rc != Ordering::Equal {
            return rc;
        }
        i = ea;
        j = eb;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn rpmvercmp_rules() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Greater);
        assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Less);
        assert_eq!(rpmvercmp("1.0a", "1.0.1"), Less);
        assert_eq!(rpmvercmp("1.0", "1_0"), Equal);
        assert_eq!(rpmvercmp("1.0", "1.0."), Equal);
        assert_eq!(rpmvercmp("2.0.1", "2.0.01"), Equal);
        assert_eq!(
            rpmvercmp("18446744073709551616", "18446744073709551615"),
            Greater
        );
    }

    #[test]
    fn evr_split_and_order() {
        let e = parse("3:4.4.20-1.el9_0").unwrap();
        assert_eq!(
            (e.epoch, e.version, e.release),
            (Some("3"), "4.4.20", Some("1.el9_0"))
        );
        assert_eq!(compare("1:1.0", "2.0").unwrap(), Greater);
        assert_eq!(compare("1.0-1", "1.0").unwrap(), Greater);
        assert_eq!(compare("0:1.0", "1.0").unwrap(), Equal);
        assert_eq!(compare(":1.0", "0:1.0").unwrap(), Equal);
        assert_eq!(compare("1.0-1-2", "1.0-2").unwrap(), Greater);
        assert!(compare("", "1").is_err());
    }
}
