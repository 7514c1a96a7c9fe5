//! Alpine package versions, ordered exactly like apk-tools (`src/version.c`, 2.x):
//! `{number}{.number}…{letter}{_suffix{number}}…{-rN}`, with the pre-release suffixes
//! `_alpha` < `_beta` < `_pre` < `_rc` < (none) < the post-release suffixes `_cvs` < `_svn` <
//! `_git` < `_hg` < `_p`, and the package revision `-rN` last. A part with leading zeros after a
//! dot (`1.05`) sorts by its zeros first, as apk does.
//!
//! apk still orders strings that `apk_version_validate` rejects (its token walk stops at the
//! first invalid character); the same walk is reproduced here so that the order matches apk's.
//! [`validate`] tells callers whether apk considers a version well formed. Numbers of any length
//! compare by value (apk's C `int` would overflow).

use crate::num::cmp_digits;
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

/// A token value: apk uses one `int` for all of them; here big numbers stay digit strings.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    Small(i64),
    Digits(&'a str),
}

impl Val<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Val::Small(a), Val::Small(b)) => a.cmp(b),
            (Val::Digits(a), Val::Digits(b)) => cmp_digits(a, b),
            (Val::Small(a), Val::Digits(b)) => cmp_small_digits(*a, b),
            (Val::Digits(a), Val::Small(b)) => cmp_small_digits(*b, a).reverse(),
        }
    }
}

fn cmp_small_digits(a: i64, d: &str) -> Ordering {
    let t = d.trim_start_matches('0');
    if t.len() > 18 {
        return Ordering::Less;
    }
    a.cmp(&t.parse::<i64>().unwrap_or(0))
}

struct Blob<'a> {
    s: &'a str,
    pos: usize,
}

impl Blob<'_> {
    fn len(&self) -> usize {
        self.s.len() - self.pos
    }
    fn at(&self, k: usize) -> u8 {
        self.s.as_bytes().get(self.pos + k).copied().unwrap_or(0)
    }
}

fn next_token(ty: &mut Tok, b: &mut Blob<'_>) {
    let mut n = Tok::Invalid;
    let c = b.at(0);
    if b.len() == 0 || c == 0 {
        n = Tok::End;
    } else if matches!(*ty, Tok::Digit | Tok::DigitOrZero) && c.is_ascii_lowercase() {
        n = Tok::Letter;
    } else if *ty == Tok::Letter && c.is_ascii_digit() {
        n = Tok::Digit;
    } else if *ty == Tok::Suffix && c.is_ascii_digit() {
        n = Tok::SuffixNo;
    } else {
        match c {
            b'.' => n = Tok::DigitOrZero,
            b'_' => n = Tok::Suffix,
            b'-' if b.len() > 1 && b.at(1) == b'r' => {
                n = Tok::RevisionNo;
                b.pos += 1;
            }
            _ => {}
        }
        b.pos += 1;
    }
    if n < *ty
        && !((n == Tok::DigitOrZero && *ty == Tok::Digit)
            || (n == Tok::Suffix && *ty == Tok::SuffixNo)
            || (n == Tok::Digit && *ty == Tok::Letter))
    {
        n = Tok::Invalid;
    }
    *ty = n;
}

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

fn get_token<'a>(ty: &mut Tok, b: &mut Blob<'a>) -> Val<'a> {
    if b.len() == 0 {
        *ty = Tok::End;
        return Val::Small(0);
    }
    let rest = &b.s[b.pos..];
    let bytes = rest.as_bytes();
    let mut i = 0usize;
    let mut nt = Tok::Invalid;
    let v;
    match *ty {
        Tok::DigitOrZero if bytes[0] == b'0' => {
            while i < bytes.len() && bytes[i] == b'0' {
                i += 1;
            }
            nt = Tok::Digit;
            v = Val::Small(-(i.min(i64::MAX as usize) as i64));
        }
        Tok::DigitOrZero | Tok::Digit | Tok::SuffixNo | Tok::RevisionNo => {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            v = Val::Digits(&rest[..i]);
        }
        Tok::Letter => {
            v = Val::Small(i64::from(bytes[0]));
            i = 1;
        }
        Tok::Suffix => {
            if let Some(k) = PRE_SUFFIXES.iter().position(|p| rest.starts_with(p)) {
                i = PRE_SUFFIXES[k].len();
                v = Val::Small(k as i64 - PRE_SUFFIXES.len() as i64);
            } else if let Some(k) = POST_SUFFIXES.iter().position(|p| rest.starts_with(p)) {
                i = POST_SUFFIXES[k].len();
                v = Val::Small(k as i64);
            } else {
                *ty = Tok::Invalid;
                return Val::Small(-1);
            }
        }
        Tok::Invalid | Tok::End => {
            *ty = Tok::Invalid;
            return Val::Small(-1);
        }
    }
    b.pos += i;
    if b.len() == 0 {
        *ty = Tok::End;
    } else if nt != Tok::Invalid {
        *ty = nt;
    } else {
        next_token(ty, b);
    }
    v
}

fn is_negative(v: &Val<'_>) -> bool {
    matches!(v, Val::Small(x) if *x < 0)
}

/// True when apk-tools considers the version well formed (`apk_version_validate`).
pub fn validate(version: &str) -> bool {
    let mut t = Tok::Digit;
    let mut b = Blob { s: version, pos: 0 };
    while t != Tok::End && t != Tok::Invalid {
        get_token(&mut t, &mut b);
    }
    t == Tok::End
}

/// Compares two apk versions like `apk version -t` (`apk_version_compare`). Only an empty
/// version is an error.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for v in [a, b] {
        if v.is_empty() {
            return Err(invalid(Scheme::Apk, v, "empty version"));
        }
    }
    let (mut at, mut bt) = (Tok::Digit, Tok::Digit);
    let (mut av, mut bv) = (Val::Small(0), Val::Small(0));
    let mut ab = Blob { s: a, pos: 0 };
    let mut bb = Blob { s: b, pos: 0 };
    while at == bt && at != Tok::End && at != Tok::Invalid && av.cmp(&bv) == Ordering::Equal {
        av = get_token(&mut at, &mut ab);
        bv = get_token(&mut bt, &mut bb);
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        o => return Ok(o),
    }
    if at == bt {
        return Ok(Ordering::Equal);
    }
    let mut tt = at;
    if at == Tok::Suffix && is_negative(&get_token(&mut tt, &mut ab)) {
        return Ok(Ordering::Less);
    }
    let mut tt = bt;
    if bt == Tok::Suffix && is_negative(&get_token(&mut tt, &mut bb)) {
        return Ok(Ordering::Greater);
    }
    Ok(if at > bt {
        Ordering::Less
    } else if bt > at {
        Ordering::Greater
    } else {
        Ordering::Equal
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn apk_rules() {
        assert_eq!(c("1.0_alpha1", "1.0_beta1"), Less);
        assert_eq!(c("1.1_rc1", "1.1"), Less);
        assert_eq!(c("1.0_rc1-r0", "1.0-r0"), Less);
        // apk-tools' quirk: after a zero part the walk stops early, so a bare `1.0_rc1` sorts
        // above `1.0`. Alpine's own versions always carry `-rN`, where the order is right.
        assert_eq!(c("1.0_rc1", "1.0"), Greater);
        assert_eq!(c("1.0", "1.0_p1"), Less);
        assert_eq!(c("1.0_git20200101", "1.0_p1"), Less);
        assert_eq!(c("1.0-r1", "1.0-r10"), Less);
        assert_eq!(c("1.0a", "1.0b"), Less);
        assert_eq!(c("1.0-r0", "1.0"), Greater);
        assert_eq!(
            c("1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0"),
            Less
        );
        assert!(validate("1.2.3_rc1-r0"));
        assert!(!validate("1.0bc"));
        assert!(compare("", "1").is_err());
    }
}
