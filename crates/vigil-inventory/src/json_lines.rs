//! Lines of keys in a JSON text, and the keys an object holds twice.
//!
//! `serde_json` gives values but not where they were; findings must name the line. This scanner walks the
//! same text once, tracking the path of object keys and array indices, and records the line of the keys a
//! collector asks for. It also records every key that appears twice in one object: JSON readers keep only
//! one of the two values (serde_json the last), so a duplicated `node_modules/x` entry of a lockfile would
//! otherwise make a package disappear without a word. It does not validate (serde_json does that) and it
//! never recurses, so hostile nesting costs memory proportional to the depth only, capped at
//! [`MAX_DEPTH`].

use std::collections::HashMap;

/// Deeper paths are not recorded (serde_json refuses nesting past 128 anyway).
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

#[cfg(test)]
pub fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// A key found twice in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The path of the key (including it).
    pub path: Vec<Seg>,
    /// The line of the repeated key, and of its first occurrence.
    pub line: u32,
    pub first_line: u32,
}

/// Lines of the recorded keys, by path (the path includes the key itself), and the duplicated keys.
#[derive(Debug, Default)]
pub struct JsonLines {
    map: HashMap<Vec<Seg>, u32>,
    pub duplicates: Vec<Duplicate>,
}

impl JsonLines {
    pub fn line(&self, path: &[Seg]) -> Option<u32> {
        self.map.get(path).copied()
    }
}

enum Frame {
    /// An object: whether a key comes next, and the keys seen so far with their lines.
    Object {
        expect_key: bool,
        keys: HashMap<String, u32>,
    },
    Array {
        index: usize,
    },
}

/// `a.b[2].c`: a path as JSON users write it.
pub fn dotted(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Scans `text`, recording the line of every object key whose full path satisfies `keep`.
pub fn scan(text: &str, keep: impl FnMut(&[Seg]) -> bool) -> JsonLines {
    scan_inner(text, keep, false)
}

/// The keys of the first record of a text, sorted: the members of its top-level object, or of the
/// first element of its top-level array. Reading stops at the end of the first top-level value, so JSON-lines
/// texts and truncated heads work too.
pub fn first_record_keys(text: &str) -> Vec<String> {
    let lines = scan_inner(
        text,
        |p| matches!(p, [Seg::Key(_)] | [Seg::Index(0), Seg::Key(_)]),
        true,
    );
    let mut keys: Vec<String> = lines
        .map
        .into_keys()
        .filter_map(|mut p| match p.pop() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        })
        .collect();
    keys.sort();
    keys
}

fn scan_inner(text: &str, mut keep: impl FnMut(&[Seg]) -> bool, first_only: bool) -> JsonLines {
    let mut out = JsonLines::default();
    let mut stack: Vec<Frame> = Vec::new();
    // The path of the value being read: keys of enclosing objects and indices of enclosing arrays.
    let mut path: Vec<Seg> = Vec::new();
    let mut line: u32 = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line = line.saturating_add(1),
            '{' | '[' => {
                if stack.len() >= MAX_DEPTH {
                    return out;
                }
                if let Some(Frame::Array { index }) = stack.last() {
                    path.push(Seg::Index(*index));
                }
                stack.push(if c == '{' {
                    Frame::Object {
                        expect_key: true,
                        keys: HashMap::new(),
                    }
                } else {
                    Frame::Array { index: 0 }
                });
            }
            '}' | ']' => {
                stack.pop();
                // Leave the value this container was: its key (object member) or index (array element).
                path.pop();
                if first_only && stack.is_empty() {
                    return out;
                }
            }
            ',' => match stack.last_mut() {
                Some(Frame::Object { expect_key, .. }) => {
                    *expect_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            ':' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            '"' => {
                let start_line = line;
                let mut s = String::new();
                while let Some(ch) = chars.next() {
                    match ch {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some('b') => s.push('\u{8}'),
                            Some('f') => s.push('\u{c}'),
                            Some('u') => {
                                let hex: String = chars.by_ref().take(4).collect();
                                let ch = u32::from_str_radix(&hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .unwrap_or('\u{FFFD}');
                                s.push(ch);
                            }
                            Some(other) => s.push(other),
                            None => break,
                        },
                        '\n' => {
                            line = line.saturating_add(1);
                            s.push(ch);
                        }
                        _ => s.push(ch),
                    }
                }
                if let Some(Frame::Object {
                    expect_key: expect_key @ true,
                    keys,
                }) = stack.last_mut()
                {
                    // A member's key: the path now names this member until the next `,` or `}`.
                    *expect_key = false;
                    match keys.get(&s) {
                        Some(&first_line) => {
                            let mut p = path.clone();
                            p.push(Seg::Key(s.clone()));
                            out.duplicates.push(Duplicate {
                                path: p,
                                line: start_line,
                                first_line,
                            });
                        }
                        None => {
                            keys.insert(s.clone(), start_line);
                        }
                    }
                    path.push(Seg::Key(s));
                    if keep(&path) {
                        out.map.insert(path.clone(), start_line);
                    }
                    // A scalar member value does not push; pop the key when the member ends.
                    pop_after_scalar(&mut chars, &mut line, &mut stack, &mut path);
                }
            }
            _ => {}
        }
    }
    out
}

/// After a key: skip to its value. A container value keeps the key on the path until the container
/// closes; a scalar value pops it right away.
fn pop_after_scalar(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    line: &mut u32,
    stack: &mut [Frame],
    path: &mut Vec<Seg>,
) {
    // Skip whitespace and the colon.
    while let Some(&c) = chars.peek() {
        if c == '\n' {
            *line = line.saturating_add(1);
        }
        if c.is_whitespace() || c == ':' {
            chars.next();
        } else {
            break;
        }
    }
    if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
        *expect_key = false;
    }
    match chars.peek() {
        Some('{') | Some('[') => {
            // The container's own frame is pushed by the main loop; the key stays on the path and the
            // closing bracket pops it. Array frames push their index, so mark objects likewise.
        }
        Some('"') => {
            chars.next();
            while let Some(ch) = chars.next() {
                match ch {
                    '"' => break,
                    '\\' => {
                        chars.next();
                    }
                    '\n' => *line = line.saturating_add(1),
                    _ => {}
                }
            }
            path.pop();
        }
        _ => {
            // Number, true, false, null: read up to the delimiter.
            while let Some(&c) = chars.peek() {
                if matches!(c, ',' | '}' | ']') || c.is_whitespace() {
                    break;
                }
                chars.next();
            }
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_nested_keys_and_indices() {
        let t = "{\n  \"a\": {\n    \"b\": 1,\n    \"c\": [\n      {\"name\": \"x\"},\n      {\n        \"name\": \"y\\\"z\"\n      }\n    ]\n  },\n  \"d\": \"e\"\n}";
        let l = scan(t, |_| true);
        assert_eq!(l.line(&[key("a")]), Some(2));
        assert_eq!(l.line(&[key("a"), key("b")]), Some(3));
        assert_eq!(
            l.line(&[key("a"), key("c"), Seg::Index(0), key("name")]),
            Some(5)
        );
        assert_eq!(
            l.line(&[key("a"), key("c"), Seg::Index(1), key("name")]),
            Some(7)
        );
        assert_eq!(l.line(&[key("d")]), Some(11));
    }

    #[test]
    fn arrays_of_arrays_and_empty_containers() {
        let t = "{\"a\": [[1,2],[{}],{\"k\":[]}], \"b\": {}, \"c\": {\"x\": 1}}";
        let l = scan(t, |_| true);
        assert_eq!(l.line(&[key("a"), Seg::Index(2), key("k")]), Some(1));
        assert_eq!(l.line(&[key("c"), key("x")]), Some(1));
        assert!(l.line(&[key("b"), key("x")]).is_none());
    }

    #[test]
    fn duplicate_keys_and_first_records() {
        let t = "{\n \"a\": {\"x\": 1, \"y\": 2},\n \"b\": [{\"x\": 1}, {\"x\": 2}],\n \"a\": {\"x\": 1, \"x\": 3}\n}";
        let l = scan(t, |_| false);
        assert_eq!(
            l.duplicates,
            vec![
                Duplicate {
                    path: vec![key("a")],
                    line: 4,
                    first_line: 2
                },
                Duplicate {
                    path: vec![key("a"), key("x")],
                    line: 4,
                    first_line: 4
                },
            ]
        );
        assert_eq!(dotted(&[key("a"), Seg::Index(2), key("b")]), "a[2].b");
        assert_eq!(
            first_record_keys("[{\"B\": {\"z\": 1}, \"A\": 2}, {\"C\": 3}]"),
            ["A", "B"]
        );
        assert_eq!(
            first_record_keys("{\"E\": 1, \"F\": [1]}\n{\"G\": 1}\n"),
            ["E", "F"]
        );
        // A cut-off head still gives the keys read so far.
        assert_eq!(first_record_keys("{\"H\": \"x\", \"I\": {\"J"), ["H", "I"]);
    }

    #[test]
    fn hostile_depth_is_bounded() {
        let t = "[".repeat(100_000);
        let l = scan(&t, |_| true);
        assert!(l.line(&[key("a")]).is_none());
    }
}
