//! Sigma string values: literal text with `*` and `?` wildcards and the spec's backslash escapes.
//!
//! A rule value is parsed once into pieces so that later stages (modifiers, matcher compilation)
//! never have to reason about escaping again.

use serde::{Deserialize, Serialize};

/// The dash-like characters `windash` makes interchangeable.
pub const WINDASH_CHARS: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// One piece of a Sigma string.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Piece {
    /// Plain text.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
    /// Exactly one character out of a set (used by `windash` when expanding would explode).
    Class(Vec<char>),
}

/// A parsed Sigma string value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct SigmaString {
    pub pieces: Vec<Piece>,
}

impl SigmaString {
    /// Parses a rule value, honouring `\*`, `\?` and `\\` escapes; any other backslash is literal.
    pub fn parse(s: &str) -> SigmaString {
        let mut out = SigmaString::default();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        out.push_char(n);
                    }
                    _ => out.push_char('\\'),
                },
                '*' => out.pieces.push(Piece::Star),
                '?' => out.pieces.push(Piece::One),
                other => out.push_char(other),
            }
        }
        out
    }

    /// A string without any wildcard interpretation.
    pub fn literal(s: &str) -> SigmaString {
        let mut out = SigmaString::default();
        if !s.is_empty() {
            out.pieces.push(Piece::Lit(s.to_string()));
        }
        out
    }

    fn push_char(&mut self, c: char) {
        if let Some(Piece::Lit(s)) = self.pieces.last_mut() {
            s.push(c);
        } else {
            self.pieces.push(Piece::Lit(c.to_string()));
        }
    }

    fn push_str(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        if let Some(Piece::Lit(s)) = self.pieces.last_mut() {
            s.push_str(t);
        } else {
            self.pieces.push(Piece::Lit(t.to_string()));
        }
    }

    /// True when the value holds a wildcard or character class.
    pub fn has_wildcards(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Lit(_)))
    }

    /// The plain text, if the value has no wildcards.
    pub fn as_plain(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.pieces {
            match p {
                Piece::Lit(t) => s.push_str(t),
                _ => return None,
            }
        }
        Some(s)
    }

    pub fn starts_with_star(&self) -> bool {
        matches!(self.pieces.first(), Some(Piece::Star))
    }

    pub fn ends_with_star(&self) -> bool {
        matches!(self.pieces.last(), Some(Piece::Star))
    }

    pub fn prepend_star(&mut self) {
        if !self.starts_with_star() {
            self.pieces.insert(0, Piece::Star);
        }
    }

    pub fn append_star(&mut self) {
        if !self.ends_with_star() {
            self.pieces.push(Piece::Star);
        }
    }

    /// Concatenates another Sigma string.
    pub fn extend(&mut self, other: &SigmaString) {
        for p in &other.pieces {
            match p {
                Piece::Lit(t) => self.push_str(t),
                other => self.pieces.push(other.clone()),
            }
        }
    }

    /// `windash`: every `-` or `/` that starts a command-line flag (not preceded by a word
    /// character, followed by one — pySigma's `\B[-/]\b`) may be written with any dash-like
    /// character. Expands into variants while their number stays small, else uses a class.
    pub fn windash(&self, max_variants: usize) -> Vec<SigmaString> {
        // Positions (piece index, char index) of the flag dashes.
        let mut slots = 0usize;
        let mut marked: Vec<Vec<bool>> = Vec::with_capacity(self.pieces.len());
        for (i, p) in self.pieces.iter().enumerate() {
            let Piece::Lit(t) = p else {
                marked.push(Vec::new());
                continue;
            };
            let chars: Vec<char> = t.chars().collect();
            let mut m = vec![false; chars.len()];
            for (j, &c) in chars.iter().enumerate() {
                if c != '-' && c != '/' {
                    continue;
                }
                let prev_word = if j > 0 {
                    chars.get(j - 1).is_some_and(|&p| is_word(p))
                } else {
                    // Previous piece is a wildcard or nothing: treat as non-word boundary.
                    i > 0 && matches!(self.pieces.get(i - 1), Some(Piece::Lit(_)))
                };
                let next_word = chars.get(j + 1).is_some_and(|&n| is_word(n));
                if !prev_word && next_word {
                    m[j] = true;
                    slots += 1;
                }
            }
            marked.push(m);
        }
        if slots == 0 {
            return vec![self.clone()];
        }
        let variants = WINDASH_CHARS
            .len()
            .checked_pow(u32::try_from(slots).unwrap_or(u32::MAX));
        let expand = variants.is_some_and(|v| v <= max_variants);
        if !expand {
            let mut out = SigmaString::default();
            for (p, m) in self.pieces.iter().zip(&marked) {
                match p {
                    Piece::Lit(t) => {
                        for (c, &is_slot) in t.chars().zip(m) {
                            if is_slot {
                                out.pieces.push(Piece::Class(WINDASH_CHARS.to_vec()));
                            } else {
                                out.push_char(c);
                            }
                        }
                    }
                    other => out.pieces.push(other.clone()),
                }
            }
            return vec![out];
        }
        let mut acc = vec![SigmaString::default()];
        for (p, m) in self.pieces.iter().zip(&marked) {
            match p {
                Piece::Lit(t) => {
                    for (c, &is_slot) in t.chars().zip(m) {
                        if is_slot {
                            let mut next = Vec::with_capacity(acc.len() * WINDASH_CHARS.len());
                            for a in &acc {
                                for d in WINDASH_CHARS {
                                    let mut v = a.clone();
                                    v.push_char(d);
                                    next.push(v);
                                }
                            }
                            acc = next;
                        } else {
                            for a in &mut acc {
                                a.push_char(c);
                            }
                        }
                    }
                }
                other => {
                    for a in &mut acc {
                        a.pieces.push(other.clone());
                    }
                }
            }
        }
        acc
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_spec() {
        assert_eq!(
            SigmaString::parse(r"a\*b").as_plain().as_deref(),
            Some("a*b")
        );
        assert_eq!(
            SigmaString::parse(r"a\?b").as_plain().as_deref(),
            Some("a?b")
        );
        assert_eq!(
            SigmaString::parse(r"C:\Windows\").as_plain().as_deref(),
            Some(r"C:\Windows\")
        );
        assert_eq!(
            SigmaString::parse(r"\\\\srv").as_plain().as_deref(),
            Some(r"\\srv")
        );
        let s = SigmaString::parse(r"a\\*");
        assert_eq!(s.pieces, vec![Piece::Lit(r"a\".into()), Piece::Star]);
        let s = SigmaString::parse(r"a\\\*");
        assert_eq!(s.as_plain().as_deref(), Some(r"a\*"));
        let s = SigmaString::parse("a*b?c");
        assert_eq!(
            s.pieces,
            vec![
                Piece::Lit("a".into()),
                Piece::Star,
                Piece::Lit("b".into()),
                Piece::One,
                Piece::Lit("c".into())
            ]
        );
    }

    #[test]
    fn windash_only_touches_flags() {
        let v = SigmaString::parse(" -enc ").windash(125);
        assert_eq!(v.len(), 5);
        assert!(v.iter().any(|s| s.as_plain().as_deref() == Some(" /enc ")));
        assert!(
            v.iter()
                .any(|s| s.as_plain().as_deref() == Some(" \u{2015}enc "))
        );
        // Not a flag: the dash is inside a word.
        assert_eq!(SigmaString::parse("a-b").windash(125).len(), 1);
        // Too many flags: a class instead of 5^4 variants.
        let v = SigmaString::parse("-a -b -c -d").windash(125);
        assert_eq!(v.len(), 1);
        assert!(v[0].has_wildcards());
    }
}
