//! Log readers: EVTX, Windows JSON, IIS W3C, Exchange CSV, syslog, web access logs; format sniffing.
//!
//! Every reader turns the bytes of one log file into [`vigil_model::Event`]s: a flat field map named
//! the way Sigma rules expect, the Sigma `logsource` the record belongs to, and where it came from
//! (file plus EVTX record id, line or byte offset). Readers stream: a text log is read line by line
//! with a cap on line length, so a 100 GB file or a 100 MB line costs bounded memory.
//!
//! Bad input never stops a read silently: each record that fails to parse is counted in
//! [`FileStats`] with its file, location and reason, and reading goes on with the next record.
//!
//! Entry points: [`read_path`] (a file or a directory of mixed logs; the format of each file is
//! sniffed) and [`read_file_as`] (a file in a known format). Field mappings (Sigma field name →
//! event field name) ship as YAML per reader, see [`field_mapping`].

pub mod access;
pub mod error;
pub mod evtx;
pub mod exchange_csv;
pub mod exchange_msgtrk;
mod flatten;
mod input;
mod json_stream;
mod json_tree;
pub mod jsonl;
mod lines;
pub mod mail;
pub mod net;
pub mod sniff;
pub mod stats;
pub mod stream;
pub mod syslog;
mod time;
pub mod w3c;
mod walk;
pub mod windows;
pub mod winjson;

pub use error::LogError;
pub use sniff::Sniffed;
pub use stats::{FileStats, ParseFailure, ReadStats};
pub use time::parse_time_zone;
pub use walk::REPORT_MARKER;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::fmt;
use std::path::Path;
use std::time::Duration;
use vigil_model::Event;

/// The log formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Windows event log files (`.evtx`).
    Evtx,
    /// Windows events exported as JSON (Winlogbeat/ECS, `Get-WinEvent | ConvertTo-Json`,
    /// OTRF Security-Datasets, `evtx_dump` JSON).
    WinJson,
    /// IIS W3C extended logs (`u_exYYMMDD.log`).
    W3c,
    /// Exchange CSV logs with a `#Fields:` header (HttpProxy, ECP, EWS, message tracking, …).
    ExchangeCsv,
    /// Syslog lines (RFC 3164 and RFC 5424), with Postfix, Dovecot, sshd and sudo messages parsed.
    Syslog,
    /// Apache/nginx access logs (combined and common log format).
    Access,
    /// Any other JSON lines, flattened with dotted keys.
    Jsonl,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Evtx,
        Format::WinJson,
        Format::W3c,
        Format::ExchangeCsv,
        Format::Syslog,
        Format::Access,
        Format::Jsonl,
    ];

    /// The reader's name, also the stem of its mapping file under `mappings/`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::WinJson => "winjson",
            Format::W3c => "w3c",
            Format::ExchangeCsv => "exchange_csv",
            Format::Syslog => "syslog",
            Format::Access => "access",
            Format::Jsonl => "jsonl",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl serde::Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The YAML field mapping of a reader: Sigma field name → the event field name(s) holding it.
///
/// The mappings are data so that the Sigma engine, and users, can read and extend them; each
/// target is checked by this crate's tests to be a field the reader really produces.
pub fn field_mapping(format: Format) -> &'static str {
    match format {
        Format::Evtx => include_str!("../mappings/evtx.yml"),
        Format::WinJson => include_str!("../mappings/winjson.yml"),
        Format::W3c => include_str!("../mappings/w3c.yml"),
        Format::ExchangeCsv => include_str!("../mappings/exchange_csv.yml"),
        Format::Syslog => include_str!("../mappings/syslog.yml"),
        Format::Access => include_str!("../mappings/access.yml"),
        Format::Jsonl => include_str!("../mappings/jsonl.yml"),
    }
}

/// Field mappings for narrower log sources of a reader's events, each a YAML document in the
/// format of [`field_mapping`] with a `logsource:` saying where it applies, on top of the
/// reader's own map (and of any overlay for a wider log source): Windows Defender events name
/// their fields with spaces, and its detections are Sigma's `category: antivirus`.
pub fn field_mapping_overlays(format: Format) -> &'static [&'static str] {
    const WINDOWS: &[&str] = &[
        include_str!("../mappings/windows_windefend.yml"),
        include_str!("../mappings/windows_antivirus.yml"),
    ];
    match format {
        Format::Evtx | Format::WinJson => WINDOWS,
        _ => &[],
    }
}

/// How to read logs. `Default` suits most uses.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Read every file as this format instead of sniffing it.
    pub format: Option<Format>,
    /// Longest text line kept; the rest of a longer line is skipped and reported.
    pub max_line_bytes: usize,
    /// Worker threads for EVTX chunk parsing; 0 lets the pool decide.
    pub evtx_threads: usize,
    /// Skip EVTX chunks whose CRC32 does not match (reported) instead of parsing them anyway.
    pub evtx_validate_checksums: bool,
    /// Largest decompressed size of a gzip-compressed EVTX file (it must be held in memory).
    pub max_gz_evtx_bytes: u64,
    /// Deepest JSON nesting flattened; deeper values are kept as their JSON text.
    pub max_json_depth: usize,
    /// Largest single JSON object accepted (a pretty-printed one may span many lines).
    pub max_json_object_bytes: usize,
    /// Failures kept per file with their location; further ones are only counted.
    pub max_failures_kept: usize,
    /// For year-less syslog timestamps (RFC 3164): the time the log was last written. Events are
    /// put in this instant's year, or the year before when that would place them more than a day
    /// after it (a file spanning New Year). `None` uses the file's modification time.
    pub syslog_reference_time: Option<Timestamp>,
    /// Time zone of syslog timestamps without an offset (RFC 3164, Dovecot's own log). UTC unless
    /// set: the server's zone is not in the log.
    pub syslog_time_zone: TimeZone,
    /// Stop reading a file after this many events (previews such as `vigil logs show`); a note
    /// says so. `None` reads everything. An EVTX file is still parsed whole; only the first
    /// events are passed on.
    pub max_events: Option<u64>,
    /// Most bytes of a file's head read to sniff its format: enough whole records are wanted
    /// (a pretty-printed JSON record can be large), but no more than this.
    pub max_sniff_bytes: usize,
    /// How long to wait for a writer when a FIFO is given as input (opening a FIFO blocks until
    /// one comes); after that the FIFO is reported as not read.
    pub fifo_wait: Duration,
    /// Deepest directory nesting walked below a folder given as input.
    pub max_walk_depth: usize,
    /// Most entries (files and folders) examined below one folder given as input; the rest are
    /// reported as not read.
    pub max_walk_files: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            max_line_bytes: 1024 * 1024,
            evtx_threads: 0,
            evtx_validate_checksums: false,
            max_gz_evtx_bytes: 1 << 30,
            max_json_depth: 16,
            max_json_object_bytes: 16 * 1024 * 1024,
            max_failures_kept: 100,
            syslog_reference_time: None,
            syslog_time_zone: TimeZone::UTC,
            max_events: None,
            max_sniff_bytes: 1024 * 1024,
            fifo_wait: Duration::from_secs(5),
            max_walk_depth: 64,
            max_walk_files: 200_000,
        }
    }
}

/// Read a log file, or every file under a directory (recursively, in sorted order, following
/// symbolic links without looping), sniffing each file's format unless [`ReadOptions::format`] is
/// set. Events go to `sink` in file order.
///
/// A single file that cannot be opened or whose format is not recognised is an error; inside a
/// directory such files are recorded in the returned stats (with the reason) and skipped, as are
/// special files (FIFOs, sockets, devices: opening a FIFO blocks) and vigil's own report folders.
/// A FIFO or pipe given by itself is read once, as a stream.
pub fn read_path(
    path: &Path,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<ReadStats, LogError> {
    let meta = std::fs::metadata(path).map_err(|source| LogError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut stats = ReadStats::default();
    if meta.is_dir() {
        for file in walk::files_sorted(path, opts, &mut stats) {
            let fs = match input::read_one(&file, opts, sink) {
                Ok(fs) => fs,
                Err(err) => FileStats::skipped(&file, err.reason()),
            };
            stats.files.push(fs);
        }
    } else {
        stats.files.push(input::read_one(path, opts, sink)?);
    }
    Ok(stats)
}

/// Every file under `path` (or `path` itself when it is not a directory), in the order
/// [`read_path`] reads them, for callers that read files in parallel. Entries that could not be
/// listed or were left out (special files, report folders, links already seen, limits) are
/// recorded in the returned stats. Walk limits are [`ReadOptions`]' defaults.
pub fn log_files(path: &Path) -> (Vec<std::path::PathBuf>, ReadStats) {
    log_files_with(path, &ReadOptions::default())
}

/// [`log_files`] with the walk limits of `opts`.
pub fn log_files_with(path: &Path, opts: &ReadOptions) -> (Vec<std::path::PathBuf>, ReadStats) {
    let mut stats = ReadStats::default();
    if path.is_dir() {
        let files = walk::files_sorted(path, opts, &mut stats);
        (files, stats)
    } else {
        (vec![path.to_path_buf()], stats)
    }
}

/// Read one file in a known format (no sniffing). A gzip-compressed file is decompressed.
pub fn read_file_as(
    path: &Path,
    format: Format,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<FileStats, LogError> {
    let opts = ReadOptions {
        format: Some(format),
        ..opts.clone()
    };
    input::read_one(path, &opts, sink)
}

/// Read a log held in memory (`name` is used as the file name in events and errors). The format
/// is sniffed from `name` and the bytes unless given.
pub fn read_bytes(
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<FileStats, LogError> {
    input::read_bytes(name, bytes, format, opts, sink)
}
