//! Streaming JSON records: JSON lines (one object per line, read with the bounded line reader),
//! or a JSON array / concatenated pretty-printed objects (what `ConvertTo-Json` writes), split
//! into top-level objects by a byte scanner that never holds more than one object.

use crate::lines::{self, LineParser, Loc};
use crate::stats::FileStats;
use crate::{Format, ReadOptions};
use serde_json::Value;
use std::io::{self, BufRead};
use vigil_model::{Event, RecordRef};

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
        self.inner.parse_object(&v, loc).map(Some)
    }
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

struct Scan {
    depth: usize,
    in_str: bool,
    esc: bool,
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
        depth: 0,
        in_str: false,
        esc: false,
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
        let n = chunk.len();
        for &b in chunk {
            step(&mut s, b, max, parser.as_mut(), opts, stats, sink);
        }
        reader.consume(n);
    }
    if s.depth > 0 {
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
    if s.depth == 0 {
        match b {
            b'{' => {
                s.depth = 1;
                s.in_str = false;
                s.esc = false;
                s.too_big = false;
                s.buf.clear();
                s.buf.push(b);
                s.start = at;
            }
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
        }
        return;
    }
    if !s.too_big {
        if s.buf.len() >= max {
            s.too_big = true;
            s.buf = Vec::new();
        } else {
            s.buf.push(b);
        }
    }
    if s.in_str {
        if s.esc {
            s.esc = false;
        } else if b == b'\\' {
            s.esc = true;
        } else if b == b'"' {
            s.in_str = false;
        }
        return;
    }
    match b {
        b'"' => s.in_str = true,
        b'{' | b'[' => s.depth += 1,
        b'}' | b']' => {
            s.depth -= 1;
            if s.depth == 0 {
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
                    Ok(ev) => {
                        stats.events += 1;
                        sink(ev);
                    }
                    Err(reason) => stats.fail(s.start.record(), reason, keep),
                }
            }
        }
        _ => {}
    }
}
