//! Bounded line reading shared by the text readers: lines longer than the cap are skipped (and
//! reported) without being held in memory, invalid UTF-8 is decoded lossily (and counted), and an
//! I/O error mid-file (such as a truncated gzip stream) ends the read with what was read so far.

use crate::ReadOptions;
use crate::stats::FileStats;
use std::borrow::Cow;
use std::io::{self, BufRead};
use vigil_model::{Event, RecordRef};

/// Where a line starts: 1-based line number and byte offset (of the decompressed text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Loc {
    pub line: u64,
    pub offset: u64,
}

impl Loc {
    pub fn record(self) -> RecordRef {
        RecordRef::Line(self.line)
    }
}

/// One text format's line parser.
pub(crate) trait LineParser {
    /// Parse one line (without its line ending). `Ok(None)` for lines that carry no record
    /// (directives, comments, blank lines, parts of a record continued on later lines).
    fn parse_line(&mut self, line: &str, loc: Loc) -> Result<Option<Event>, String>;

    /// Called at end of input: a record still pending, or an error for an unfinished one.
    fn finish(&mut self) -> Result<Option<Event>, (Loc, String)> {
        Ok(None)
    }

    /// Called last: record what the parser had to assume (see [`FileStats::notes`]).
    fn annotate(&self, _stats: &mut FileStats) {}

    /// The instant year-less timestamps are placed before from now on: a parser fed a live log
    /// for months must not keep the year of the moment it was created.
    fn set_reference_time(&mut self, _time: jiff::Timestamp) {}
}

/// Whether `ReadOptions::max_events` events have been read: the reader stops there.
pub(crate) fn limit_reached(opts: &ReadOptions, stats: &FileStats) -> bool {
    opts.max_events.is_some_and(|max| stats.events >= max)
}

enum Item {
    Line { loc: Loc, len: usize },
    TooLong { loc: Loc, len: u64 },
}

/// Reads lines of at most `max` bytes into an internal buffer.
struct BoundedLines<R> {
    inner: R,
    max: usize,
    buf: Vec<u8>,
    line: u64,
    offset: u64,
    eof: bool,
}

impl<R: BufRead> BoundedLines<R> {
    fn new(inner: R, max: usize) -> Self {
        BoundedLines {
            inner,
            max,
            buf: Vec::new(),
            line: 0,
            offset: 0,
            eof: false,
        }
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        if self.eof {
            return Ok(None);
        }
        self.buf.clear();
        let start = self.offset;
        let mut total: u64 = 0;
        let mut too_long = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.eof = true;
                    return Err(e);
                }
            };
            if avail.is_empty() {
                self.eof = true;
                if total == 0 {
                    return Ok(None);
                }
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(pos) => (pos + 1, true),
                None => (avail.len(), false),
            };
            let content = if done {
                &avail[..take - 1]
            } else {
                &avail[..take]
            };
            if !too_long {
                if self.buf.len() + content.len() > self.max {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(content);
                }
            }
            total += take as u64;
            self.inner.consume(take);
            if done {
                break;
            }
        }
        self.line += 1;
        self.offset += total;
        let loc = Loc {
            line: self.line,
            offset: start,
        };
        if too_long {
            return Ok(Some(Item::TooLong { loc, len: total }));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some(Item::Line {
            loc,
            len: self.buf.len(),
        }))
    }
}

/// Feed every line of `reader` to `parser`, events to `sink`, failures to `stats`.
pub(crate) fn drive(
    reader: &mut dyn BufRead,
    parser: &mut dyn LineParser,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    let keep = opts.max_failures_kept;
    let mut lines = BoundedLines::new(reader, opts.max_line_bytes.max(1));
    loop {
        if limit_reached(opts, stats) {
            parser.annotate(stats);
            return;
        }
        let item = match lines.next_item() {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => {
                let at = RecordRef::Offset(lines.offset);
                stats.fail(at, format!("read stopped: {e}"), keep);
                break;
            }
        };
        match item {
            Item::TooLong { loc, len } => stats.fail(
                loc.record(),
                format!(
                    "line of {len} bytes exceeds the {} byte limit; skipped",
                    opts.max_line_bytes
                ),
                keep,
            ),
            Item::Line { loc, len } => {
                let bytes = lines.buf.get(..len).unwrap_or_default();
                let text = match std::str::from_utf8(bytes) {
                    Ok(s) => Cow::Borrowed(s),
                    Err(_) => {
                        stats.lossy_lines += 1;
                        String::from_utf8_lossy(bytes)
                    }
                };
                match parser.parse_line(&text, loc) {
                    Ok(Some(ev)) => {
                        stats.events += 1;
                        sink(ev);
                    }
                    Ok(None) => {}
                    Err(reason) => stats.fail(loc.record(), reason, keep),
                }
            }
        }
    }
    match parser.finish() {
        Ok(Some(ev)) => {
            stats.events += 1;
            sink(ev);
        }
        Ok(None) => {}
        Err((loc, reason)) => stats.fail(loc.record(), reason, keep),
    }
    parser.annotate(stats);
}

/// Shorten text for error messages.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
