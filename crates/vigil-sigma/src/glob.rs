//! Compiled string matchers for Sigma values: literal fast paths (`equals`, prefix, suffix,
//! substring) and a linear-memory wildcard matcher for everything else.

use crate::sigmastr::{Piece, SigmaString};

/// One atom of a wildcard segment.
#[derive(Debug, Clone)]
enum Atom {
    Lit(String),
    One,
    Class(Vec<char>),
}

/// A wildcard pattern split at `*` into segments.
#[derive(Debug, Clone)]
pub struct Glob {
    segments: Vec<Vec<Atom>>,
    anchored_start: bool,
    anchored_end: bool,
}

/// How a string value is compared, with literals already case-folded when matching is
/// case-insensitive.
#[derive(Debug, Clone)]
pub enum StrMatcher {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Pattern `*`: any value, even empty.
    Any,
    Glob(Glob),
}

impl StrMatcher {
    /// Compiles a Sigma string; `fold` lowercases its literals.
    pub fn new(s: &SigmaString, fold: bool) -> StrMatcher {
        let f = |t: &str| {
            if fold {
                t.to_lowercase()
            } else {
                t.to_string()
            }
        };
        let p = &s.pieces;
        let lit_at = |i: usize| match p.get(i) {
            Some(Piece::Lit(t)) => Some(t.as_str()),
            _ => None,
        };
        match p.len() {
            0 => return StrMatcher::Exact(String::new()),
            1 => {
                if let Some(t) = lit_at(0) {
                    return StrMatcher::Exact(f(t));
                }
                if matches!(p.first(), Some(Piece::Star)) {
                    return StrMatcher::Any;
                }
            }
            2 => {
                if let (Some(t), Some(Piece::Star)) = (lit_at(0), p.get(1)) {
                    return StrMatcher::Prefix(f(t));
                }
                if let (Some(Piece::Star), Some(t)) = (p.first(), lit_at(1)) {
                    return StrMatcher::Suffix(f(t));
                }
            }
            3 => {
                if let (Some(Piece::Star), Some(t), Some(Piece::Star)) =
                    (p.first(), lit_at(1), p.get(2))
                {
                    return StrMatcher::Contains(f(t));
                }
            }
            _ => {}
        }
        let mut segments = vec![Vec::new()];
        for piece in p {
            match piece {
                Piece::Star => {
                    if segments.last().is_some_and(|s: &Vec<Atom>| !s.is_empty()) {
                        segments.push(Vec::new());
                    }
                }
                Piece::Lit(t) => {
                    if let Some(seg) = segments.last_mut() {
                        seg.push(Atom::Lit(f(t)));
                    }
                }
                Piece::One => {
                    if let Some(seg) = segments.last_mut() {
                        seg.push(Atom::One);
                    }
                }
                Piece::Class(cs) => {
                    if let Some(seg) = segments.last_mut() {
                        let cs = if fold {
                            cs.iter().flat_map(|c| c.to_lowercase()).collect()
                        } else {
                            cs.clone()
                        };
                        seg.push(Atom::Class(cs));
                    }
                }
            }
        }
        if segments.last().is_some_and(Vec::is_empty) {
            segments.pop();
        }
        StrMatcher::Glob(Glob {
            segments,
            anchored_start: !s.starts_with_star(),
            anchored_end: !s.ends_with_star(),
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self {
            StrMatcher::Exact(l) => text == l,
            StrMatcher::Prefix(l) => text.starts_with(l.as_str()),
            StrMatcher::Suffix(l) => text.ends_with(l.as_str()),
            StrMatcher::Contains(l) => {
                memchr::memmem::find(text.as_bytes(), l.as_bytes()).is_some()
            }
            StrMatcher::Any => true,
            StrMatcher::Glob(g) => g.is_match(text),
        }
    }
}

/// Matches a segment exactly at byte `pos`; returns the end position.
fn match_segment(seg: &[Atom], text: &str, mut pos: usize) -> Option<usize> {
    for atom in seg {
        let rest = text.get(pos..)?;
        match atom {
            Atom::Lit(l) => {
                if !rest.starts_with(l.as_str()) {
                    return None;
                }
                pos += l.len();
            }
            Atom::One => pos += rest.chars().next()?.len_utf8(),
            Atom::Class(cs) => {
                let c = rest.chars().next()?;
                if !cs.contains(&c) {
                    return None;
                }
                pos += c.len_utf8();
            }
        }
    }
    Some(pos)
}

/// Leftmost position ≥ `from` where the segment matches; returns (start, end).
fn find_segment(seg: &[Atom], text: &str, from: usize) -> Option<(usize, usize)> {
    let mut start = from;
    loop {
        if let Some(Atom::Lit(l)) = seg.first() {
            let off = memchr::memmem::find(text.get(start..)?.as_bytes(), l.as_bytes())?;
            start += off;
        }
        if let Some(end) = match_segment(seg, text, start) {
            return Some((start, end));
        }
        let c = text.get(start..)?.chars().next()?;
        start += c.len_utf8();
    }
}

impl Glob {
    /// The longest literal run every match must contain.
    pub fn longest_literal(&self) -> Option<&str> {
        self.segments
            .iter()
            .flatten()
            .filter_map(|a| match a {
                Atom::Lit(l) => Some(l.as_str()),
                _ => None,
            })
            .max_by_key(|l| l.len())
    }

    pub fn is_match(&self, text: &str) -> bool {
        let n = self.segments.len();
        if n == 0 {
            // Only stars: anything; no segment and anchored both ends: only the empty string.
            return !(self.anchored_start && self.anchored_end) || text.is_empty();
        }
        let mut pos = 0usize;
        for (i, seg) in self.segments.iter().enumerate() {
            let first = i == 0;
            let last = i + 1 == n;
            if first && self.anchored_start {
                match match_segment(seg, text, 0) {
                    Some(end) => {
                        if last && self.anchored_end {
                            return end == text.len();
                        }
                        pos = end;
                    }
                    None => return false,
                }
            } else if last && self.anchored_end {
                // Must end exactly at the end of the text: try each start from `pos`.
                let mut start = pos;
                loop {
                    if match_segment(seg, text, start) == Some(text.len()) {
                        return true;
                    }
                    match text.get(start..).and_then(|r| r.chars().next()) {
                        Some(c) => start += c.len_utf8(),
                        None => return false,
                    }
                }
            } else {
                match find_segment(seg, text, pos) {
                    Some((_, end)) => pos = end,
                    None => return false,
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, text: &str) -> bool {
        StrMatcher::new(&SigmaString::parse(p), true).is_match(&text.to_lowercase())
    }

    #[test]
    fn literal_fast_paths() {
        assert!(m("cmd.exe", "CMD.EXE"));
        assert!(!m("cmd.exe", "xcmd.exe"));
        assert!(m("cmd*", "cmd.exe"));
        assert!(m("*.exe", "cmd.exe"));
        assert!(m("*md.e*", "cmd.exe"));
        assert!(m("*", ""));
        assert!(m("", ""));
        assert!(!m("", "x"));
    }

    #[test]
    fn wildcards() {
        assert!(m("prog?.exe", "progA.exe"));
        assert!(!m("prog?.exe", "prog.exe"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYYcd"));
        assert!(m("a*b*c", "abcbc"));
        assert!(m("*a?c*", "zzabczz"));
        assert!(m("C:\\\\*\\evil.exe", "c:\\users\\x\\evil.exe"));
        assert!(!m("C:\\*\\evil.exe", "c:\\users\\x\\evil.exe"));
        assert!(m("a**b", "ab"));
        assert!(m("??", "éx"));
        assert!(!m("??", "x"));
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        assert!(m("*ab", "aab"));
        assert!(m("?*", "x"));
        assert!(!m("?*", ""));
    }
}
