//! PEP 440 versions (PyPI), parsed and ordered like Python's `packaging.version.Version`.
//!
//! Every spelling that `packaging` normalises is accepted (`1.0a1`, `1.0-alpha-1`, `1.0.post`,
//! `1.0-1`, `1.0.dev`, `v1.0`, `1.0RC1`, implicit zeros, local versions in any case); anything it
//! rejects (legacy versions such as `1.0-SNAPSHOT` or `2004d`) is an error, never a guessed order.
//! Numbers of any length compare by value.

use crate::num::cmp_digits;
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// Pre-release phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Alpha,
    Beta,
    Rc,
}

/// A parsed PEP 440 version, borrowing from its input. Number fields are digit strings; an empty
/// one means the implicit `0` (`1.0a` is `1.0a0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    pub epoch: &'a str,
    /// Dot-separated release numbers (`1.2.0`).
    pub release: &'a str,
    pub pre: Option<(Phase, &'a str)>,
    pub post: Option<&'a str>,
    pub dev: Option<&'a str>,
    /// The local label after `+`, as written (its separators `-`, `_`, `.` are equivalent).
    pub local: Option<&'a str>,
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }
    fn digits(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }
    fn sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'-' | b'_' | b'.')) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Consumes the first label (case-insensitively) that the input starts with.
    fn label(&mut self, labels: &[&'static str]) -> Option<&'static str> {
        let rest = &self.s.as_bytes()[self.pos..];
        let found = labels.iter().find(|l| {
            rest.len() >= l.len() && rest[..l.len()].eq_ignore_ascii_case(l.as_bytes())
        })?;
        self.pos += found.len();
        Some(found)
    }
    /// `[-_.]?LABEL[-_.]?[0-9]*`, all or nothing.
    fn labelled(&mut self, labels: &[&'static str]) -> Option<(&'static str, &'a str)> {
        let save = self.pos;
        self.sep();
        let Some(l) = self.label(labels) else {
            self.pos = save;
            return None;
        };
        self.sep();
        Some((l, self.digits()))
    }
}

/// Parses like `packaging.version.Version`.
pub fn parse(input: &str) -> Result<Version<'_>, VersionError> {
    let err = |reason| invalid(Scheme::Pep440, input, reason);
    let s = input.trim();
    let mut c = Cursor { s, pos: 0 };
    if matches!(c.peek(), Some(b'v' | b'V')) {
        c.pos += 1;
    }
    let start = c.pos;
    let mut epoch = "";
    let first = c.digits();
    if first.is_empty() {
        return Err(err("does not start with a release number"));
    }
    if c.peek() == Some(b'!') {
        epoch = first;
        c.pos += 1;
        if c.digits().is_empty() {
            return Err(err("no release number after the epoch"));
        }
    }
    let rstart = if epoch.is_empty() {
        start
    } else {
        start + epoch.len() + 1
    };
    while c.peek() == Some(b'.')
        && s.as_bytes()
            .get(c.pos + 1)
            .is_some_and(|b| b.is_ascii_digit())
    {
        c.pos += 1;
        c.digits();
    }
    let release = &s[rstart..c.pos];

    let pre = c
        .labelled(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"])
        .map(|(l, n)| {
            let phase = match l {
                "alpha" | "a" => Phase::Alpha,
                "beta" | "b" => Phase::Beta,
                _ => Phase::Rc,
            };
            (phase, n)
        });

    let mut post = None;
    if c.peek() == Some(b'-')
        && s.as_bytes()
            .get(c.pos + 1)
            .is_some_and(|b| b.is_ascii_digit())
    {
        c.pos += 1;
        post = Some(c.digits());
    } else if let Some((_, n)) = c.labelled(&["post", "rev", "r"]) {
        post = Some(n);
    }

    let dev = c.labelled(&["dev"]).map(|(_, n)| n);

    let mut local = None;
    if c.peek() == Some(b'+') {
        c.pos += 1;
        let lstart = c.pos;
        loop {
            let seg = c.pos;
            while c.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
                c.pos += 1;
            }
            if c.pos == seg {
                return Err(err("empty segment in local version"));
            }
            if !c.sep() {
                break;
            }
            if !c.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
                return Err(err("empty segment in local version"));
            }
        }
        local = Some(&s[lstart..c.pos]);
    }

    if c.pos != s.len() {
        return Err(err("not a PEP 440 version"));
    }
    Ok(Version {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// Compares two versions like `packaging.version.Version`'s ordering.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_parsed(&parse(a)?, &parse(b)?))
}

/// Where a pre-release key sits: a bare `.devN` sorts before every pre-release of its release.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum PreKey<'a> {
    DevOnly,
    Pre(Phase, Num<'a>),
    Final,
}

/// A digit string ordered by value.
#[derive(PartialEq, Eq)]
struct Num<'a>(&'a str);

impl PartialOrd for Num<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.0, other.0)
    }
}

fn pre_key<'a>(v: &Version<'a>) -> PreKey<'a> {
    match (v.pre, v.post, v.dev) {
        (None, None, Some(_)) => PreKey::DevOnly,
        (None, _, _) => PreKey::Final,
        (Some((p, n)), _, _) => PreKey::Pre(p, Num(n)),
    }
}

/// `packaging`'s `_cmpkey` order: epoch, release (trailing zeros ignored), pre, post, dev, local.
pub fn cmp_parsed(a: &Version<'_>, b: &Version<'_>) -> Ordering {
    cmp_digits(a.epoch, b.epoch)
        .then_with(|| cmp_release(a.release, b.release))
        .then_with(|| pre_key(a).cmp(&pre_key(b)))
        .then_with(|| a.post.map(Num).cmp(&b.post.map(Num)))
        .then_with(|| match (a.dev, b.dev) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => cmp_digits(x, y),
        })
        .then_with(|| match (a.local, b.local) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_local(x, y),
        })
}

fn cmp_release(a: &str, b: &str) -> Ordering {
    let mut ia = a.split('.');
    let mut ib = b.split('.');
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            // A missing number is an implicit zero: `1.0` equals `1.0.0`.
            (x, y) => {
                let o = cmp_digits(x.unwrap_or(""), y.unwrap_or(""));
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Local labels: segment by segment, numeric segments above alphanumeric ones, alphanumeric
/// ones compared lower-cased, a shorter label below a longer one it prefixes.
fn cmp_local(a: &str, b: &str) -> Ordering {
    let seps: &[char] = &['-', '_', '.'];
    let mut ia = a.split(seps);
    let mut ib = b.split(seps);
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let dx = x.bytes().all(|c| c.is_ascii_digit());
                let dy = y.bytes().all(|c| c.is_ascii_digit());
                let o = match (dx, dy) {
                    (true, true) => cmp_digits(x, y),
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => x
                        .bytes()
                        .map(|c| c.to_ascii_lowercase())
                        .cmp(y.bytes().map(|c| c.to_ascii_lowercase())),
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

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn pep440_order() {
        let chain = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.1.dev1",
            "1!0.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn normalisation_forms() {
        assert_eq!(c("1.0a1", "1.0-alpha-1"), Equal);
        assert_eq!(c("1.0-post1", "1.0.post1"), Equal);
        assert_eq!(c("1.0-1", "1.0.post1"), Equal);
        assert_eq!(c("1.0.dev", "1.0.dev0"), Equal);
        assert_eq!(c("v1.0", "1.0.0"), Equal);
        assert_eq!(c("1.0RC1", "1.0c1"), Equal);
        assert_eq!(c("1.0+ABC-1", "1.0+abc.1"), Equal);
        assert_eq!(c(" 1.0\n", "1.0"), Equal);
        assert_eq!(c("1.0.post", "1.0.r0"), Equal);
    }

    #[test]
    fn legacy_versions_are_errors() {
        for bad in [
            "",
            "1.0-SNAPSHOT",
            "2004d",
            "1.0+",
            "1.0+a..b",
            "french toast",
            "1.0.",
            "!1",
            "1!",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
