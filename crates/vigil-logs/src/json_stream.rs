//! Streaming JSON records: JSON lines (one object per line, read with the bounded line reader),
//! or a JSON array / concatenated pretty-printed objects (what `ConvertTo-Json` writes), split
//! into top-level objects by a byte scanner that never holds more than one object.

use crate::lines::{self, LineParser, Loc};
use crate::stats::FileStats;
use crate::{Format, ReadOptions};
use serde_json::Value;
use std::io::{self, BufRead};
use vigil_model::{Event, RawRecord, RecordRef};

/// A JSON format's record builder.
pub(crate) trait ObjectParser {
    fn parse_object(&mut self, v: &Value, loc: Loc) -> Result<Event, String>;
}

fn parser_for(format: Format, file: &str, opts: &ReadOptions) -> Box<dyn ObjectParser> {
    match format {
        Format::WinJson => Box::new(crate::winjson::WinJsonParser::new(file, opts)),
        _ => Box::new(crate::jsonl::JsonlParser::new(file, opts)),
    }
}

struct JsonLines {
    inner: Box<dyn ObjectParser>,
}

impl LineParser for JsonLines {
    fn parse_line(&mut self, line: &str, loc: Loc) -> Result<Option<Event>, String> {
        let t = line.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let v: Value = serde_json::from_str(t)
            .map_err(|e| format!("invalid JSON ({e}): {}", lines::excerpt(t)))?;
        if !v.is_object() {
            return Err(format!("not a JSON object: {}", lines::excerpt(t)));
        }
        let mut ev = self.inner.parse_object(&v, loc)?;
        ev.raw = Some(RawRecord::new(t));
        Ok(Some(ev))
    }
}

/// A parser of JSON lines (one object per line) for `format`, for callers that feed lines.
pub(crate) fn json_lines_parser(
    format: Format,
    file: &str,
    opts: &ReadOptions,
) -> Box<dyn LineParser> {
    Box::new(JsonLines {
        inner: parser_for(format, file, opts),
    })
}

pub(crate) fn read_objects(
    format: Format,
    file: &str,
    reader: &mut dyn BufRead,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    let parser = parser_for(format, file, opts);
    let split = match reader.fill_buf() {
        Ok(head) => wants_splitter(head),
        Err(_) => false,
    };
    if split {
        split_objects(parser, reader, opts, stats, sink);
    } else {
        let mut lp = JsonLines { inner: parser };
        lines::drive(reader, &mut lp, opts, stats, sink);
    }
}

/// A top-level array, or an object whose first line is just `{` (pretty-printed).
fn wants_splitter(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(rest) = start.and_then(|s| head.get(s..)) else {
        return false;
    };
    if rest.first() == Some(&b'[') {
        return true;
    }
    let first_line = rest.split(|b| *b == b'\n').next().unwrap_or_default();
    first_line.trim_ascii() == b"{"
}

/// Where a byte falls relative to the top-level JSON objects of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// Between objects.
    Outside,
    /// The `{` that opens a top-level object.
    Start,
    /// Inside an object.
    Inside,
    /// The `}` that closes a top-level object.
    End,
}

/// Tracks object nesting byte by byte, aware of strings and escapes, so that top-level objects can be
/// cut out of a stream (an array, pretty-printed objects, JSON lines) without parsing it.
#[derive(Debug, Default)]
pub(crate) struct Depth {
    depth: usize,
    in_str: bool,
    esc: bool,
}

impl Depth {
    pub(crate) fn feed(&mut self, b: u8) -> Edge {
        if self.depth == 0 {
            if b == b'{' {
                *self = Depth {
                    depth: 1,
                    in_str: false,
                    esc: false,
                };
                return Edge::Start;
            }
            return Edge::Outside;
        }
        if self.in_str {
            if self.esc {
                self.esc = false;
            } else if b == b'\\' {
                self.esc = true;
            } else if b == b'"' {
                self.in_str = false;
            }
            return Edge::Inside;
        }
        match b {
            b'"' => self.in_str = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Edge::End;
                }
            }
            _ => {}
        }
        Edge::Inside
    }

    /// Whether an object is open.
    pub(crate) fn inside(&self) -> bool {
        self.depth > 0
    }
}

/// The complete top-level objects at the start of `bytes` (at most `max`), and whether an object
/// was still open where the bytes end.
pub(crate) fn leading_objects(bytes: &[u8], max: usize) -> (Vec<&[u8]>, bool) {
    let mut depth = Depth::default();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match depth.feed(b) {
            Edge::Start => start = i,
            Edge::End => {
                out.push(bytes.get(start..=i).unwrap_or_default());
                if out.len() >= max {
                    return (out, false);
                }
            }
            Edge::Outside | Edge::Inside => {}
        }
    }
    (out, depth.inside())
}

struct Scan {
    depth: Depth,
    buf: Vec<u8>,
    too_big: bool,
    start: Loc,
    line: u64,
    offset: u64,
    garbage_line: Option<u64>,
}

fn split_objects(
    mut parser: Box<dyn ObjectParser>,
    reader: &mut dyn BufRead,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    let keep = opts.max_failures_kept;
    let max = opts.max_json_object_bytes.max(2);
    let mut s = Scan {
        depth: Depth::default(),
        buf: Vec::new(),
        too_big: false,
        start: Loc { line: 1, offset: 0 },
        line: 1,
        offset: 0,
        garbage_line: None,
    };
    loop {
        let chunk = match reader.fill_buf() {
            Ok([]) => break,
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                stats.fail(
                    RecordRef::Offset(s.offset),
                    format!("read stopped: {e}"),
                    keep,
                );
                break;
            }
        };
        let mut n = chunk.len();
        for (i, &b) in chunk.iter().enumerate() {
            step(&mut s, b, max, parser.as_mut(), opts, stats, sink);
            if lines::limit_reached(opts, stats) {
                n = i + 1;
                break;
            }
        }
        reader.consume(n);
        if lines::limit_reached(opts, stats) {
            return;
        }
    }
    if s.depth.inside() {
        stats.fail(
            s.start.record(),
            "JSON object not closed before end of input",
            keep,
        );
    }
}

fn step(
    s: &mut Scan,
    b: u8,
    max: usize,
    parser: &mut dyn ObjectParser,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    let keep = opts.max_failures_kept;
    let at = Loc {
        line: s.line,
        offset: s.offset,
    };
    s.offset += 1;
    if b == b'\n' {
        s.line += 1;
    }
    match s.depth.feed(b) {
        Edge::Start => {
            s.too_big = false;
            s.buf.clear();
            s.buf.push(b);
            s.start = at;
        }
        Edge::Outside => match b {
            b'[' | b']' | b',' => {}
            _ if b.is_ascii_whitespace() => {}
            0xef | 0xbb | 0xbf if at.offset < 3 => {}
            _ => {
                if s.garbage_line != Some(at.line) {
                    s.garbage_line = Some(at.line);
                    stats.fail(
                        at.record(),
                        format!("unexpected byte {b:#04x} between JSON objects"),
                        keep,
                    );
                }
            }
        },
        edge @ (Edge::Inside | Edge::End) => {
            if !s.too_big {
                if s.buf.len() >= max {
                    s.too_big = true;
                    s.buf = Vec::new();
                } else {
                    s.buf.push(b);
                }
            }
            if edge == Edge::End {
                object_done(s, max, parser, opts, stats, sink);
            }
        }
    }
}

/// A top-level object has closed: parse it, or say why not.
fn object_done(
    s: &mut Scan,
    max: usize,
    parser: &mut dyn ObjectParser,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    let keep = opts.max_failures_kept;
    if s.too_big {
        stats.fail(
            s.start.record(),
            format!("JSON object larger than {max} bytes; skipped"),
            keep,
        );
        return;
    }
    let text = String::from_utf8_lossy(&s.buf);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        stats.lossy_lines += 1;
    }
    let result = serde_json::from_str::<Value>(&text)
        .map_err(|e| format!("invalid JSON: {e}"))
        .and_then(|v| parser.parse_object(&v, s.start));
    match result {
        Ok(mut ev) => {
            ev.raw = Some(RawRecord::new(&text));
            stats.events += 1;
            sink(ev);
        }
        Err(reason) => stats.fail(s.start.record(), reason, keep),
    }
}
