//! RubyGems versions, ordered like `Gem::Version#<=>` (RubyGems 3.x).
//!
//! A version is numbers and letters separated by dots; a `-` stands for `.pre.`. It is split
//! into segments (digit runs and letter runs); any letter segment makes it a pre-release, which
//! sorts before the release it prefixes (`1.0.a` < `1.0`). Trailing zero segments are ignored,
//! separately in the numeric part and in the part from the first letter segment on, so
//! `1.0.a` equals `1.a`. Strings that `Gem::Version.correct?` rejects are errors; an empty string
//! is version `0`, as RubyGems has it.

use crate::num::{cmp_digits, is_zero};
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// Checks `input` against RubyGems' version pattern
/// (`[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, surrounded by optional
/// whitespace) and returns it trimmed.
pub fn parse(input: &str) -> Result<&str, VersionError> {
    let err = |reason| invalid(Scheme::RubyGems, input, reason);
    let s = input.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if s.is_empty() {
        return Ok(s);
    }
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first = parts.next().unwrap_or_default();
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("must start with a number"));
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err(err(
            "segments must be letters and digits separated by single dots",
        ));
    }
    if let Some(pre) = pre
        && !pre
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(err("malformed pre-release part"));
    }
    Ok(s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    Num(&'a str),
    Str(&'a str),
}

impl Seg<'_> {
    fn is_zero(self) -> bool {
        matches!(self, Seg::Num(n) if is_zero(n))
    }
}

/// The segments of a version as `Gem::Version#segments` yields them after `-` became `.pre.`.
fn segments(s: &str) -> impl Iterator<Item = Seg<'_>> + Clone {
    let bytes = s.as_bytes();
    let mut i = 0usize;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let c = bytes[i];
            let start = i;
            if c.is_ascii_digit() {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                return Some(Seg::Num(&s[start..i]));
            }
            if c.is_ascii_alphabetic() {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                return Some(Seg::Str(&s[start..i]));
            }
            i += 1;
            if c == b'-' {
                return Some(Seg::Str("pre"));
            }
        }
        None
    })
}

/// `Gem::Version#canonical_segments` without allocating: the numeric part and the string part
/// each lose their trailing zeros.
fn canonical(s: &str) -> impl Iterator<Item = Seg<'_>> {
    let segs = segments(s);
    let mut first_str = usize::MAX;
    let mut last_num_nz: Option<usize> = None;
    let mut last_str_nz: Option<usize> = None;
    for (i, seg) in segs.clone().enumerate() {
        if matches!(seg, Seg::Str(_)) && first_str == usize::MAX {
            first_str = i;
        }
        if !seg.is_zero() {
            if i < first_str {
                last_num_nz = Some(i);
            } else {
                last_str_nz = Some(i);
            }
        }
    }
    segs.enumerate()
        .filter(move |(i, _)| {
            if *i < first_str {
                last_num_nz.is_some_and(|l| *i <= l)
            } else {
                last_str_nz.is_some_and(|l| *i <= l)
            }
        })
        .map(|(_, s)| s)
}

/// Compares two RubyGems versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    let (mut ia, mut ib) = (canonical(a), canonical(b));
    loop {
        let (x, y) = match (ia.next(), ib.next()) {
            (None, None) => return Ok(Ordering::Equal),
            (x, y) => (x.unwrap_or(Seg::Num("0")), y.unwrap_or(Seg::Num("0"))),
        };
        let o = match (x, y) {
            (Seg::Num(p), Seg::Num(q)) => cmp_digits(p, q),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
            (Seg::Str(p), Seg::Str(q)) => p.as_bytes().cmp(q.as_bytes()),
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn gem_version_rules() {
        assert_eq!(c("1.0.a", "1.a"), Equal);
        assert_eq!(c("1.0.0", "1"), Equal);
        assert_eq!(c("1.0.a", "1.0"), Less);
        assert_eq!(c("1.0.b1", "1.0.a2"), Greater);
        assert_eq!(c("1.0-1", "1.0.pre.1"), Equal);
        assert_eq!(c("1.0.rc1", "1.0.RC1"), Greater);
        assert_eq!(c("", "0"), Equal);
        assert_eq!(c("1.8.2", "1.8.10"), Less);
        for bad in ["junk", "1..2", "1.2.", ".1", "1.2 3", "1-", "1-a..b"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
