//! Opening one log: each input is opened once and read through one chain of readers — gzip is
//! decompressed transparently, the format is sniffed from a head of whole records held in memory
//! (peeked, never re-read), and the head followed by the rest of the stream goes to the format's
//! reader. So a FIFO or a pipe (`<(zcat mail.log.gz)`) is read exactly once, from its first byte.
//!
//! A FIFO blocks its reader's `open` until a writer comes: the open is made on a helper thread and
//! given up after `ReadOptions::fifo_wait`. EVTX needs to seek, so an EVTX stream (a pipe, a gzip)
//! is read into memory within `ReadOptions::max_gz_evtx_bytes`; a regular EVTX file is handed to the
//! EVTX reader by path.

use crate::lines::{self, LineParser};
use crate::sniff;
use crate::stats::FileStats;
use crate::syslog::YearBasis;
use crate::{Format, LogError, ReadOptions};
use flate2::read::MultiGzDecoder;
use std::fs::{File, Metadata};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use vigil_model::{Event, RecordRef};

/// The first bytes read to sniff a format; more are read, up to `ReadOptions::max_sniff_bytes`,
/// while they hold too few whole records.
const HEAD: usize = 16 * 1024;

/// What kind of file system object an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Regular,
    Directory,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Other,
}

impl Kind {
    pub(crate) fn of(meta: &Metadata) -> Kind {
        let ft = meta.file_type();
        if ft.is_file() {
            return Kind::Regular;
        }
        if ft.is_dir() {
            return Kind::Directory;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                return Kind::Fifo;
            }
            if ft.is_char_device() {
                return Kind::CharDevice;
            }
            if ft.is_block_device() {
                return Kind::BlockDevice;
            }
            if ft.is_socket() {
                return Kind::Socket;
            }
        }
        Kind::Other
    }

    /// The kind in words, for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Kind::Regular => "a regular file",
            Kind::Directory => "a directory",
            Kind::Fifo => "a FIFO (named pipe)",
            Kind::CharDevice => "a character device",
            Kind::BlockDevice => "a block device",
            Kind::Socket => "a socket",
            Kind::Other => "a special file",
        }
    }
}

/// Counts the bytes read through it, to name the compressed offset where a gzip stream broke.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Adds the compressed offset to an error from the gzip decoder.
struct GzErrors<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for GzErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let at = self.count.load(Ordering::Relaxed);
            let what = if e.kind() == io::ErrorKind::UnexpectedEof {
                "gzip stream truncated".to_string()
            } else {
                format!("gzip stream corrupt: {e}")
            };
            io::Error::new(e.kind(), format!("{what} (compressed offset {at})"))
        })
    }
}

/// A reader that fails with `err` once the bytes before it are read.
struct FailAfter(Option<io::Error>);

impl Read for FailAfter {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Bytes read from the start of a stream.
struct Head {
    bytes: Vec<u8>,
    /// The stream ended within these bytes.
    eof: bool,
    /// The read error that ended the head early, to be raised after its bytes are used.
    err: Option<io::Error>,
}

impl Head {
    /// The head's bytes, then its error (if any), then the rest of `rest`.
    fn chain<'a>(self, rest: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
        Box::new(
            Cursor::new(self.bytes)
                .chain(FailAfter(self.err))
                .chain(rest),
        )
    }
}

/// Append bytes from `reader` to `head` until it holds `want` bytes, the stream ends or fails.
fn fill(reader: &mut dyn Read, head: &mut Head, want: usize) {
    if head.eof || head.err.is_some() {
        return;
    }
    let mut buf = [0u8; 16 * 1024];
    while head.bytes.len() < want {
        let room = (want - head.bytes.len()).min(buf.len());
        let Some(dst) = buf.get_mut(..room) else {
            break;
        };
        match reader.read(dst) {
            Ok(0) => {
                head.eof = true;
                break;
            }
            Ok(n) => head
                .bytes
                .extend_from_slice(dst.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                head.err = Some(e);
                break;
            }
        }
    }
}

/// The sniffing head: [`HEAD`] bytes, doubled while they hold too few whole records, up to `max`.
fn sniff_head(reader: &mut dyn Read, max: usize) -> Head {
    let mut head = Head {
        bytes: Vec::new(),
        eof: false,
        err: None,
    };
    let mut want = HEAD.min(max.max(1));
    loop {
        fill(reader, &mut head, want);
        let complete = head.eof || head.err.is_some();
        if complete || want >= max || sniff::head_is_enough(&head.bytes, false) {
            return head;
        }
        want = want.saturating_mul(2).min(max);
    }
}

pub(crate) fn read_one(
    path: &Path,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<FileStats, LogError> {
    let display = path.display().to_string();
    let io_err = |source| LogError::Io {
        path: display.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    let kind = Kind::of(&meta);
    let file = match kind {
        Kind::Regular | Kind::CharDevice | Kind::BlockDevice | Kind::Other => {
            File::open(path).map_err(io_err)?
        }
        Kind::Fifo => open_fifo(path, opts.fifo_wait).map_err(io_err)?,
        Kind::Directory | Kind::Socket => {
            return Err(LogError::NotAFile {
                path: display,
                reason: format!("{}, not a log file", kind.describe()),
            });
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let regular = kind == Kind::Regular;
    let input = Input {
        name: &name,
        display: &display,
        path,
        // A regular file can be opened again by the EVTX reader, which seeks.
        evtx_path: regular.then_some(path),
        basis: YearBasis::new(opts, regular.then_some(&meta)),
        stream: (!regular).then_some(kind),
    };
    read_input(input, Box::new(file), opts, sink)
}

pub(crate) fn read_bytes(
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<FileStats, LogError> {
    let opts = ReadOptions {
        format: format.or(opts.format),
        ..opts.clone()
    };
    let input = Input {
        name,
        display: name,
        path: Path::new(name),
        evtx_path: None,
        basis: YearBasis::new(&opts, None),
        stream: None,
    };
    read_input(input, Box::new(bytes), &opts, sink)
}

/// One input, however it was given.
struct Input<'a> {
    /// The file name, for sniffing by name conventions.
    name: &'a str,
    /// The path as shown in events and messages.
    display: &'a str,
    /// The path (Exchange logs are named by their folder).
    path: &'a Path,
    /// Where the EVTX reader may open the file itself (an uncompressed regular file).
    evtx_path: Option<&'a Path>,
    /// The reference for year-less syslog timestamps.
    basis: YearBasis,
    /// What kind of stream, when the input is not a regular file.
    stream: Option<Kind>,
}

fn read_input(
    input: Input<'_>,
    mut raw: Box<dyn Read + '_>,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<FileStats, LogError> {
    let display = input.display;
    let mut stats = FileStats::new(display);

    // Peek at the magic, then go on from the same stream.
    let mut magic = Head {
        bytes: Vec::with_capacity(2),
        eof: false,
        err: None,
    };
    fill(&mut raw, &mut magic, 2);
    if magic.bytes.is_empty()
        && let Some(source) = magic.err
    {
        return Err(LogError::Io {
            path: display.to_string(),
            source,
        });
    }
    let gz = magic.bytes.starts_with(&[0x1f, 0x8b]);
    let raw = magic.chain(raw);
    let (mut body, name, evtx_path): (Box<dyn Read + '_>, &str, Option<&Path>) = if gz {
        stats.gzip = true;
        let count = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: raw,
            count: Arc::clone(&count),
        };
        let decoder = GzErrors {
            inner: MultiGzDecoder::new(BufReader::with_capacity(64 * 1024, counting)),
            count,
        };
        let inner = input
            .name
            .strip_suffix(".gz")
            .or_else(|| input.name.strip_suffix(".GZ"))
            .unwrap_or(input.name);
        (Box::new(decoder), inner, None)
    } else {
        (raw, input.name, input.evtx_path)
    };

    let head = sniff_head(&mut body, opts.max_sniff_bytes.max(HEAD));
    if head.bytes.is_empty()
        && input.stream == Some(Kind::Fifo)
        && let Some(source) = head.err
    {
        return Err(LogError::Io {
            path: display.to_string(),
            source,
        });
    }
    let format = match opts.format {
        Some(f) => {
            stats.format_evidence = Some("given".to_string());
            f
        }
        None => {
            let complete = head.eof || head.err.is_some();
            let sniffed = sniff::sniff_head(name, &head.bytes, complete).map_err(|reason| {
                LogError::UnknownFormat {
                    path: display.to_string(),
                    reason,
                }
            })?;
            stats.format_evidence = Some(sniffed.evidence);
            if let Some(weak) = sniffed.weak {
                stats.note(weak);
            }
            sniffed.format
        }
    };
    stats.format = Some(format);

    // Only the first `max_events` events go on (the EVTX reader cannot be stopped early).
    let mut passed = 0u64;
    let max = opts.max_events.unwrap_or(u64::MAX);
    let mut limited = |ev: Event| {
        if passed < max {
            passed += 1;
            sink(ev);
        }
    };

    if format == Format::Evtx {
        match evtx_path {
            Some(p) => crate::evtx::read_evtx_path(p, display, opts, &mut stats, &mut limited)?,
            None => {
                let all = evtx_in_memory(head, body, input.stream, display, opts, &mut stats)?;
                crate::evtx::read_evtx_buffer(all, display, opts, &mut stats, &mut limited)?;
            }
        }
    } else {
        let mut chained = BufReader::with_capacity(64 * 1024, head.chain(body));
        read_text(format, &input, &mut chained, opts, &mut stats, &mut limited);
    }
    if let Some(max) = opts.max_events
        && stats.events >= max
    {
        stats.note(format!("only the first {max} events were read (limit)"));
    }
    Ok(stats)
}

/// The EVTX parser needs to seek: a compressed or streamed EVTX file is held in memory, within
/// `ReadOptions::max_gz_evtx_bytes`.
fn evtx_in_memory(
    head: Head,
    body: Box<dyn Read + '_>,
    stream: Option<Kind>,
    display: &str,
    opts: &ReadOptions,
    stats: &mut FileStats,
) -> Result<Vec<u8>, LogError> {
    let limit = opts.max_gz_evtx_bytes;
    let mut all = Vec::new();
    let mut rest = head.chain(body).take(limit.saturating_add(1));
    if let Err(e) = rest.read_to_end(&mut all) {
        stats.fail(
            RecordRef::Offset(all.len() as u64),
            e.to_string(),
            opts.max_failures_kept,
        );
    }
    if all.len() as u64 > limit {
        let what = match stream {
            Some(kind) => format!("EVTX read from {}", kind.describe()),
            None => "decompressed EVTX".to_string(),
        };
        return Err(LogError::TooLarge {
            path: display.to_string(),
            reason: format!(
                "{what} larger than {limit} bytes (it must be held in memory); copy it to a \
                 regular file"
            ),
        });
    }
    if let Some(kind) = stream {
        stats.note(format!(
            "EVTX read from {} into memory ({} bytes)",
            kind.describe(),
            all.len()
        ));
    }
    Ok(all)
}

/// Open a FIFO for reading without blocking forever: `open` waits for a writer, so it runs on a
/// helper thread and is given up after `wait`. The helper is then released by connecting a writer
/// that goes away at once, so no thread stays blocked.
fn open_fifo(path: &Path, wait: Duration) -> io::Result<File> {
    use std::sync::mpsc::{self, RecvTimeoutError};
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::Builder::new()
        .name("vigil-fifo-open".into())
        .spawn(move || {
            let _ = tx.send(File::open(&p));
        })?;
    match rx.recv_timeout(wait) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => {
            let p = path.to_path_buf();
            // This open returns at once: the helper is a reader waiting for it.
            let _ = std::thread::Builder::new()
                .name("vigil-fifo-release".into())
                .spawn(move || drop(std::fs::OpenOptions::new().write(true).open(&p)));
            // Whatever the helper opened now is dropped unread.
            let _ = rx.recv_timeout(Duration::from_secs(1));
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "a FIFO (named pipe) that no process opened for writing within {} s; nothing \
                     was read",
                    wait.as_secs_f64()
                ),
            ))
        }
        Err(RecvTimeoutError::Disconnected) => Err(io::Error::other(
            "a FIFO (named pipe) that could not be opened",
        )),
    }
}

fn read_text(
    format: Format,
    input: &Input<'_>,
    reader: &mut dyn BufRead,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    let display = input.display;
    match format {
        Format::WinJson | Format::Jsonl => {
            crate::json_stream::read_objects(format, display, reader, opts, stats, sink);
        }
        _ => {
            let mut parser = line_parser(format, display, input.path, input.basis, opts);
            lines::drive(reader, parser.as_mut(), opts, stats, sink);
        }
    }
}

/// The line parser of a text format (JSON formats as JSON lines); EVTX, which is not line-based,
/// gets the syslog parser and must be routed elsewhere by the caller.
pub(crate) fn line_parser(
    format: Format,
    display: &str,
    path: &Path,
    basis: YearBasis,
    opts: &ReadOptions,
) -> Box<dyn LineParser> {
    match format {
        Format::W3c => Box::new(crate::w3c::W3cParser::new(display)),
        Format::ExchangeCsv => Box::new(crate::exchange_csv::CsvParser::new(display, path, opts)),
        Format::Access => Box::new(crate::access::AccessParser::new(display)),
        Format::WinJson | Format::Jsonl => {
            crate::json_stream::json_lines_parser(format, display, opts)
        }
        Format::Syslog | Format::Evtx => {
            Box::new(crate::syslog::SyslogParser::new(display, basis, opts))
        }
    }
}
