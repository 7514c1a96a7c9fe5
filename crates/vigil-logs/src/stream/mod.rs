//! Reading a log that is still being written, for callers that hold the bytes themselves: a tailer
//! that follows a growing file from a saved position, a syslog listener that receives one message
//! at a time. The file readers ([`crate::read_path`]) read a whole input in one call; these entry
//! points keep a format's parser alive between calls, so a W3C `#Fields:` header or a Postfix
//! message's queue id seen in one call still applies to the lines of the next.
//!
//! - [`LineDecoder`]: one text log (syslog, W3C, Exchange CSV, access logs, JSON lines), fed line by
//!   line with the line's number and byte offset, which the caller tracks (it knows where it
//!   resumed).
//! - [`evtx::read_evtx_since`]: the records of an EVTX file after the last one read, skipping the
//!   chunks that hold nothing newer.

pub mod evtx;

use crate::lines::{LineParser, Loc};
use crate::stats::FileStats;
use crate::syslog::YearBasis;
use crate::{Format, ReadOptions};
use jiff::Timestamp;
use std::borrow::Cow;
use std::path::Path;
use vigil_model::{Event, RecordRef};

/// Where a line starts in its file: 1-based line number and byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePos {
    pub line: u64,
    pub offset: u64,
}

/// Decodes the lines of one text log into events, keeping the format's state between lines.
///
/// Failures (unparsable lines, over-long lines) are counted in [`LineDecoder::stats`] with their
/// location, as the file readers count them.
pub struct LineDecoder {
    format: Format,
    parser: Box<dyn LineParser>,
    stats: FileStats,
    max_line: usize,
    keep: usize,
}

impl std::fmt::Debug for LineDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineDecoder")
            .field("format", &self.format)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl LineDecoder {
    /// A decoder for the lines of `path` (shown as `display` in events) in `format`. `None` for
    /// EVTX, which is not line-based (see [`evtx::read_evtx_since`]). Year-less syslog timestamps
    /// are placed before `ReadOptions::syslog_reference_time`, or before the time of decoding
    /// when it is not set (see [`LineDecoder::set_reference_time`]).
    pub fn new(
        format: Format,
        display: &str,
        path: &Path,
        opts: &ReadOptions,
    ) -> Option<LineDecoder> {
        if format == Format::Evtx {
            return None;
        }
        let basis = YearBasis::new(opts, None);
        let mut stats = FileStats::new(display);
        stats.format = Some(format);
        Some(LineDecoder {
            format,
            parser: crate::input::line_parser(format, display, path, basis, opts),
            stats,
            max_line: opts.max_line_bytes.max(1),
            keep: opts.max_failures_kept,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Places year-less timestamps of the lines decoded from now on before `time`: a live log
    /// is decoded with the current time, so a log followed across New Year gets the new year.
    pub fn set_reference_time(&mut self, time: Timestamp) {
        self.parser.set_reference_time(time);
    }

    /// Decodes one line (without its line ending; a trailing `\r` is dropped). Lines that carry
    /// no record (comments, directives, blank lines) give `None`, as do lines that fail, which
    /// are counted with their location.
    pub fn decode(&mut self, line: &[u8], at: LinePos) -> Option<Event> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > self.max_line {
            self.too_long(at, line.len() as u64);
            return None;
        }
        let text = match std::str::from_utf8(line) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.stats.lossy_lines += 1;
                String::from_utf8_lossy(line)
            }
        };
        let loc = Loc {
            line: at.line,
            offset: at.offset,
        };
        match self.parser.parse_line(&text, loc) {
            Ok(Some(ev)) => {
                self.stats.events += 1;
                Some(ev)
            }
            Ok(None) => None,
            Err(reason) => {
                self.stats.fail(loc.record(), reason, self.keep);
                None
            }
        }
    }

    /// Counts a line of `len` bytes that was longer than `ReadOptions::max_line_bytes` and was
    /// skipped by the caller without being held in memory.
    pub fn too_long(&mut self, at: LinePos, len: u64) {
        self.stats.fail(
            RecordRef::Line(at.line),
            format!(
                "line of {len} bytes exceeds the {} byte limit; skipped",
                self.max_line
            ),
            self.keep,
        );
    }

    /// Counts a failure that is not one line's: a read error, a truncated stream.
    pub fn fail(&mut self, at: RecordRef, reason: impl Into<String>) {
        self.stats.fail(at, reason, self.keep);
    }

    /// The end of the input: a record the parser still held, if any. Assumptions the parser
    /// made are recorded in the stats' notes.
    pub fn finish(&mut self) -> Option<Event> {
        let out = match self.parser.finish() {
            Ok(Some(ev)) => {
                self.stats.events += 1;
                Some(ev)
            }
            Ok(None) => None,
            Err((loc, reason)) => {
                self.stats.fail(loc.record(), reason, self.keep);
                None
            }
        };
        self.parser.annotate(&mut self.stats);
        out
    }

    /// What was decoded so far: events, failures with their location.
    pub fn stats(&self) -> &FileStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u64) -> LinePos {
        LinePos { line, offset: 0 }
    }

    #[test]
    fn keeps_w3c_fields_between_calls() {
        let opts = ReadOptions::default();
        let path = Path::new("u_ex210812.log");
        let mut d = LineDecoder::new(Format::W3c, "u_ex210812.log", path, &opts).unwrap();
        assert!(
            d.decode(b"#Fields: date time cs-method cs-uri-stem", pos(1))
                .is_none()
        );
        let ev = d
            .decode(
                b"2021-08-12 23:50:41 GET /autodiscover/autodiscover.json\r",
                pos(2),
            )
            .unwrap();
        assert_eq!(
            ev.get("cs-uri-stem").and_then(|v| v.as_text()).as_deref(),
            Some("/autodiscover/autodiscover.json")
        );
        assert_eq!(ev.source.record, RecordRef::Line(2));
        assert_eq!(d.stats().events, 1);
    }

    #[test]
    fn counts_failures_and_over_long_lines() {
        let opts = ReadOptions {
            max_line_bytes: 64,
            ..ReadOptions::default()
        };
        let mut d = LineDecoder::new(Format::Syslog, "m", Path::new("m"), &opts).unwrap();
        assert!(d.decode(b"not syslog at all", pos(1)).is_none());
        assert!(d.decode(&[b'x'; 65], pos(2)).is_none());
        assert_eq!(d.stats().failed, 2);
        assert_eq!(d.stats().failures[1].record, RecordRef::Line(2));
    }

    #[test]
    fn the_reference_time_moves_the_year() {
        let opts = ReadOptions::default();
        let mut d = LineDecoder::new(Format::Syslog, "m", Path::new("m"), &opts).unwrap();
        d.set_reference_time("2027-01-01T00:10:00Z".parse().unwrap());
        let ev = d
            .decode(b"Jan  1 00:00:05 mx1 sshd[1]: Accepted password", pos(1))
            .unwrap();
        assert_eq!(ev.timestamp.unwrap().to_string(), "2027-01-01T00:00:05Z");
        d.set_reference_time("2027-12-31T23:59:00Z".parse().unwrap());
        let ev = d
            .decode(b"Dec 31 23:58:00 mx1 sshd[1]: Accepted password", pos(2))
            .unwrap();
        assert_eq!(ev.timestamp.unwrap().to_string(), "2027-12-31T23:58:00Z");
    }

    #[test]
    fn evtx_is_not_line_based() {
        let opts = ReadOptions::default();
        assert!(LineDecoder::new(Format::Evtx, "x", Path::new("x"), &opts).is_none());
    }
}
