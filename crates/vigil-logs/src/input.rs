//! Opening one log: gzip is decompressed transparently, the format is sniffed from the name and
//! the first bytes, and the bytes go to the format's reader.

use crate::lines::{self, LineParser};
use crate::sniff;
use crate::stats::FileStats;
use crate::{Format, LogError, ReadOptions};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use vigil_model::Event;

/// How much of a file the sniffer looks at.
const HEAD: usize = 16 * 1024;

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

fn read_head(reader: &mut dyn Read) -> io::Result<(Vec<u8>, Option<io::Error>)> {
    let mut head = vec![0u8; HEAD];
    let mut filled = 0;
    while filled < HEAD {
        let Some(dst) = head.get_mut(filled..) else {
            break;
        };
        match reader.read(dst) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Keep what was read; the error is reported after the head is processed.
            Err(e) => {
                head.truncate(filled);
                return Ok((head, Some(e)));
            }
        }
    }
    head.truncate(filled);
    Ok((head, None))
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
    let mut file = File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 2];
    let n = read_full(&mut file, &mut magic).map_err(io_err)?;
    let gz = n == 2 && magic == [0x1f, 0x8b];
    drop(file);
    let file = File::open(path).map_err(io_err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stats = FileStats::new(&display);
    stats.gzip = gz;

    if !gz {
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        let (head, err) = read_head(&mut reader).map_err(io_err)?;
        let format = match opts.format {
            Some(f) => f,
            None => sniff::sniff(&name, &head).map_err(|reason| LogError::UnknownFormat {
                path: display.clone(),
                reason,
            })?,
        };
        stats.format = Some(format);
        if format == Format::Evtx {
            crate::evtx::read_evtx_path(path, &display, opts, &mut stats, sink)?;
            return Ok(stats);
        }
        let mut chained = BufReader::with_capacity(
            64 * 1024,
            Cursor::new(head).chain(FailAfter(err)).chain(reader),
        );
        read_text(format, &display, path, &mut chained, opts, &mut stats, sink);
        return Ok(stats);
    }

    let count = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: BufReader::new(file),
        count: Arc::clone(&count),
    };
    let mut decoder = GzErrors {
        inner: MultiGzDecoder::new(BufReader::new(counting)),
        count,
    };
    let (head, err) = read_head(&mut decoder).map_err(io_err)?;
    let inner_name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".GZ"))
        .unwrap_or(&name)
        .to_string();
    let format = match opts.format {
        Some(f) => f,
        None => sniff::sniff(&inner_name, &head).map_err(|reason| LogError::UnknownFormat {
            path: display.clone(),
            reason,
        })?,
    };
    stats.format = Some(format);
    if format == Format::Evtx {
        // The EVTX parser needs to seek: hold the decompressed file in memory, within a bound.
        let limit = opts.max_gz_evtx_bytes;
        let mut all = head;
        if let Some(e) = err {
            stats.fail(
                vigil_model::RecordRef::Offset(all.len() as u64),
                e.to_string(),
                opts.max_failures_kept,
            );
        } else {
            let mut rest = decoder.take(limit.saturating_sub(all.len() as u64).saturating_add(1));
            if let Err(e) = rest.read_to_end(&mut all) {
                stats.fail(
                    vigil_model::RecordRef::Offset(all.len() as u64),
                    e.to_string(),
                    opts.max_failures_kept,
                );
            }
            if all.len() as u64 > limit {
                return Err(LogError::TooLarge {
                    path: display,
                    reason: format!("decompressed EVTX larger than {limit} bytes"),
                });
            }
        }
        crate::evtx::read_evtx_buffer(all, &display, opts, &mut stats, sink)?;
        return Ok(stats);
    }
    let mut chained = BufReader::with_capacity(
        64 * 1024,
        Cursor::new(head).chain(FailAfter(err)).chain(decoder),
    );
    read_text(format, &display, path, &mut chained, opts, &mut stats, sink);
    Ok(stats)
}

pub(crate) fn read_bytes(
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<FileStats, LogError> {
    let mut stats = FileStats::new(name);
    let head = bytes.get(..HEAD.min(bytes.len())).unwrap_or_default();
    if head.starts_with(&[0x1f, 0x8b]) {
        let dir = gunzip_lossy(bytes, opts, &mut stats);
        let inner = name.strip_suffix(".gz").unwrap_or(name);
        stats.gzip = true;
        let mut sub = read_bytes(inner, &dir, format, opts, sink)?;
        sub.path = name.to_string();
        sub.gzip = true;
        sub.failed += stats.failed;
        sub.failures.extend(stats.failures);
        return Ok(sub);
    }
    let format = match format.or(opts.format) {
        Some(f) => f,
        None => sniff::sniff(name, head).map_err(|reason| LogError::UnknownFormat {
            path: name.to_string(),
            reason,
        })?,
    };
    stats.format = Some(format);
    if format == Format::Evtx {
        crate::evtx::read_evtx_buffer(bytes.to_vec(), name, opts, &mut stats, sink)?;
        return Ok(stats);
    }
    let mut reader = BufReader::new(bytes);
    read_text(
        format,
        name,
        Path::new(name),
        &mut reader,
        opts,
        &mut stats,
        sink,
    );
    Ok(stats)
}

/// Decompress an in-memory gzip, keeping what decompresses before an error.
fn gunzip_lossy(bytes: &[u8], opts: &ReadOptions, stats: &mut FileStats) -> Vec<u8> {
    let mut out = Vec::new();
    let mut dec = MultiGzDecoder::new(bytes).take(opts.max_gz_evtx_bytes);
    if let Err(e) = dec.read_to_end(&mut out) {
        let what = if e.kind() == io::ErrorKind::UnexpectedEof {
            "gzip stream truncated".to_string()
        } else {
            format!("gzip stream corrupt: {e}")
        };
        stats.fail(
            vigil_model::RecordRef::Offset(out.len() as u64),
            format!("{what} after {} decompressed bytes", out.len()),
            opts.max_failures_kept,
        );
    }
    out
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let Some(dst) = buf.get_mut(n..) else { break };
        match r.read(dst) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_text(
    format: Format,
    display: &str,
    path: &Path,
    reader: &mut dyn BufRead,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    match format {
        Format::WinJson | Format::Jsonl => {
            crate::json_stream::read_objects(format, display, reader, opts, stats, sink);
        }
        _ => {
            let mut parser: Box<dyn LineParser> = match format {
                Format::W3c => Box::new(crate::w3c::W3cParser::new(display)),
                Format::ExchangeCsv => {
                    Box::new(crate::exchange_csv::CsvParser::new(display, path, opts))
                }
                Format::Access => Box::new(crate::access::AccessParser::new(display)),
                _ => Box::new(crate::syslog::SyslogParser::new(display, path, opts)),
            };
            lines::drive(reader, parser.as_mut(), opts, stats, sink);
        }
    }
}
