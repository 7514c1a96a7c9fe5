//! Debian package versions, ordered exactly as dpkg orders them (`[epoch:]upstream[-revision]`,
//! `verrevcmp` from dpkg's `lib/dpkg/version.c`).
//!
//! Syntax errors that make dpkg refuse a version (empty parts, a bad or too large epoch, embedded
//! spaces) are errors here too. Versions dpkg only warns about (a first character that is not a
//! digit, unusual punctuation) are compared the way dpkg compares them, because packages with
//! such versions exist and dpkg orders them. Control characters and non-ASCII bytes are refused:
//! dpkg's order for them depends on the C library's `char` signedness.

use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// A parsed Debian version, borrowing from its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    pub epoch: u32,
    pub upstream: &'a str,
    /// Empty when absent; dpkg treats a missing revision as empty, which equals `0`.
    pub revision: &'a str,
}

/// Parses like dpkg's `parseversion`.
pub fn parse(input: &str) -> Result<Version<'_>, VersionError> {
    let err = |reason| invalid(Scheme::Debian, input, reason);
    let s = input.trim_start_matches([' ', '\t']).trim_end();
    if s.is_empty() {
        return Err(err("version string is empty"));
    }
    if s.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(err("version string has embedded spaces"));
    }
    if s.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(err("control or non-ASCII character"));
    }
    let (epoch, rest) = match s.split_once(':') {
        Some((e, rest)) => {
            let digits = e.strip_prefix('+').unwrap_or(e);
            if e.starts_with('-') && e.len() > 1 && e[1..].bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("epoch in version is negative"));
            }
            if digits.is_empty() || !digits.as_bytes()[0].is_ascii_digit() {
                return Err(err("epoch in version is empty"));
            }
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("epoch in version is not number"));
            }
            let trimmed = digits.trim_start_matches('0');
            let epoch = if trimmed.is_empty() {
                0
            } else if trimmed.len() > 10 {
                return Err(err("epoch in version is too big"));
            } else {
                match trimmed.parse::<u64>() {
                    Ok(n) if n <= i32::MAX as u64 => n as u32,
                    _ => return Err(err("epoch in version is too big")),
                }
            };
            if rest.is_empty() {
                return Err(err("nothing after colon in version number"));
            }
            (epoch, rest)
        }
        None => (0, s),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => {
            if r.is_empty() {
                return Err(err("revision number is empty"));
            }
            (u, r)
        }
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err("version number is empty"));
    }
    Ok(Version {
        epoch,
        upstream,
        revision,
    })
}

/// Compares two Debian versions like `dpkg --compare-versions`.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = parse(a)?;
    let b = parse(b)?;
    Ok(cmp_parsed(&a, &b))
}

/// Orders two parsed versions: epoch, then upstream, then revision, each with `verrevcmp`.
pub fn cmp_parsed(a: &Version<'_>, b: &Version<'_>) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream.as_bytes(), b.upstream.as_bytes()))
        .then_with(|| verrevcmp(a.revision.as_bytes(), b.revision.as_bytes()))
}

/// dpkg's character weight: `~` before the end of the string, the end before letters, letters
/// before everything else.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs; digit runs compare by value (at any
/// length, where dpkg's own loop does the same digit by digit).
pub(crate) fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        loop {
            let ca = a.get(i).copied().filter(|c| !c.is_ascii_digit());
            let cb = b.get(j).copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let (oa, ob) = (order(ca), order(cb));
            if oa != ob {
                return oa.cmp(&ob);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
            if !(x.is_ascii_digit() && y.is_ascii_digit()) {
                break;
            }
            if first_diff == Ordering::Equal {
                first_diff = x.cmp(y);
            }
            i += 1;
            j += 1;
        }
        if a.get(i).is_some_and(u8::is_ascii_digit) {
            return Ordering::Greater;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn dpkg_rules() {
        assert_eq!(c("1.0~rc1", "1.0"), Less);
        assert_eq!(c("1.0", "1.0-0"), Equal);
        assert_eq!(c("1:0.1", "2.0"), Greater);
        assert_eq!(c("1.0a", "1.0+"), Less);
        assert_eq!(c("1.0~~", "1.0~"), Less);
        assert_eq!(c("2:1.2-3ubuntu1", "2:1.2-3"), Greater);
        assert_eq!(c("1.2.3-1", "1.2.3-1~deb12u1"), Greater);
        assert_eq!(c("1:1:2", "1:1:10"), Less);
        assert_eq!(c("00:1", "0:1"), Equal);
        assert_eq!(
            c("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn dpkg_errors() {
        for bad in [
            "",
            "1.0-",
            ":1",
            "a:1",
            "1:",
            "1:-1",
            "1 0",
            "2147483648:1",
            "-1:1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(parse("2147483647:1").unwrap().epoch, i32::MAX as u32);
        assert_eq!(parse("+1:2").unwrap().epoch, 1);
    }
}
