//! The records of an EVTX file after the last one read: what a watch over a log that Windows keeps
//! writing (or that is exported again and again to the same path) needs on each re-read.
//!
//! An EVTX file is a 4 KiB header and 64 KiB chunks; each chunk header names the first and last
//! record identifier it holds. Chunks whose records were all read before are presented to the
//! parser as zeros, which it skips as empty chunks (a dirty log has such chunks): only the chunks
//! holding newer records are parsed, so a re-read costs what is new, not the whole file. The chunk
//! with the newest records is always parsed, since Windows may update its header after its records.
//!
//! Two numbers say where a reader stands: the record identifier in the file's own record headers
//! (exact within one file, but an exported log renumbers its records from 1) and the event's
//! `EventRecordID` (kept by exports, what events cite). Within the same file the first is used;
//! when the file was replaced (a new export at the same path), records whose `EventRecordID` is
//! not above the last one read are passed over.

use crate::evtx::{
    CHUNK_SIZE, FILE_HEADER_SIZE, build_from_tree, chain, evtx_err, locate, settings,
};
use crate::stats::FileStats;
use crate::{LogError, ReadOptions};
use ::evtx::EvtxParser;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use vigil_model::{Event, RecordRef};

const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";

/// Where a reader of an EVTX file stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvtxSince {
    /// The highest record identifier of the file's record headers read (0: none).
    pub file_record: u64,
    /// The highest `EventRecordID` read (0: none).
    pub event_record: u64,
    /// Whether the file is the one `file_record` was read from (same device and inode, not
    /// shrunk). Otherwise only `event_record` is trusted.
    pub same_file: bool,
}

/// What one call read.
#[derive(Debug, Clone, Default)]
pub struct EvtxRead {
    pub stats: FileStats,
    /// Where the reader stands after the call (unchanged when nothing new was read).
    pub since: EvtxSince,
    /// Chunks with newer records remain beyond the call's chunk budget: call again.
    pub more: bool,
    /// The highest record identifier any chunk header of the file names; below
    /// `EvtxSince::file_record` the log was cleared or replaced in place.
    pub highest_in_file: Option<u64>,
}

/// One chunk header's range.
#[derive(Debug, Clone, Copy)]
struct ChunkRange {
    number: u64,
    first: u64,
    last: u64,
}

/// Reads the record ranges of every chunk header (one small read per chunk). A chunk without the
/// chunk magic is `None` (empty, or damaged: the parser reports a damaged one).
fn chunk_ranges(file: &mut File, chunks: u64) -> io::Result<Vec<Option<ChunkRange>>> {
    let mut out = Vec::new();
    let mut head = [0u8; 40];
    for number in 0..chunks {
        let at = FILE_HEADER_SIZE.saturating_add(number.saturating_mul(CHUNK_SIZE));
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut head)?;
        let u64_at = |i: usize| {
            head.get(i..i + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_le_bytes)
        };
        out.push(head.starts_with(CHUNK_MAGIC).then(|| ChunkRange {
            number,
            first: u64_at(24),
            last: u64_at(32),
        }));
    }
    Ok(out)
}

/// A file whose chunks outside `visible` read as zeros.
struct Masked {
    file: File,
    len: u64,
    pos: u64,
    /// Sorted chunk numbers served as they are.
    visible: Vec<u64>,
}

impl Read for Masked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        // Serve at most up to the end of the current region (header or one chunk).
        let (region_end, real) = if self.pos < FILE_HEADER_SIZE {
            (FILE_HEADER_SIZE, true)
        } else {
            let chunk = (self.pos - FILE_HEADER_SIZE) / CHUNK_SIZE;
            let end =
                FILE_HEADER_SIZE.saturating_add(chunk.saturating_add(1).saturating_mul(CHUNK_SIZE));
            (end, self.visible.binary_search(&chunk).is_ok())
        };
        let room = region_end.min(self.len).saturating_sub(self.pos);
        let n = usize::try_from(room).unwrap_or(usize::MAX).min(buf.len());
        let Some(dst) = buf.get_mut(..n) else {
            return Ok(0);
        };
        let got = if real {
            self.file.seek(SeekFrom::Start(self.pos))?;
            self.file.read(dst)?
        } else {
            dst.fill(0);
            n
        };
        self.pos = self.pos.saturating_add(got as u64);
        Ok(got)
    }
}

impl Seek for Masked {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(t) => {
                self.pos = t;
                Ok(t)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

/// Reads the records of the EVTX file at `path` (shown as `display`) that come after `since`, at
/// most `max_chunks` chunks of them per call, oldest first, passing each event and its record
/// header identifier to `sink`. A file that does not start with an EVTX header is an error;
/// damaged chunks and records are counted in the stats as the file reader counts them.
pub fn read_evtx_since(
    path: &Path,
    display: &str,
    since: EvtxSince,
    max_chunks: usize,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event, u64),
) -> Result<EvtxRead, LogError> {
    let io_err = |source| LogError::Io {
        path: display.to_string(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let chunks = len.saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE;
    let ranges = chunk_ranges(&mut file, chunks).map_err(io_err)?;
    let highest_in_file = ranges.iter().flatten().map(|r| r.last).max();
    let newest = ranges
        .iter()
        .flatten()
        .max_by_key(|r| r.first)
        .map(|r| r.number);

    // Chunks worth parsing, in record order; damaged headers only on a first read (the parser
    // reports them, once).
    let first_read = !since.same_file || since.file_record == 0;
    let mut wanted: Vec<(u64, u64)> = Vec::new();
    for (number, range) in (0u64..).zip(ranges.iter()) {
        match range {
            Some(r) if !since.same_file || r.last > since.file_record || newest == Some(number) => {
                wanted.push((r.first, number));
            }
            Some(_) => {}
            None if first_read => wanted.push((u64::MAX, number)),
            None => {}
        }
    }
    wanted.sort_unstable();
    let more = wanted.len() > max_chunks.max(1);
    wanted.truncate(max_chunks.max(1));
    let mut visible: Vec<u64> = wanted.into_iter().map(|(_, n)| n).collect();
    visible.sort_unstable();

    let mut out = EvtxRead {
        stats: FileStats::new(display),
        since,
        more,
        highest_in_file,
    };
    out.stats.format = Some(crate::Format::Evtx);
    if visible.is_empty() {
        return Ok(out);
    }
    let masked = Masked {
        file,
        len,
        pos: 0,
        visible,
    };
    let mut parser = EvtxParser::from_read_seek(masked)
        .map_err(|e| evtx_err(display, &e))?
        .with_configuration(settings(opts.evtx_threads, opts.evtx_validate_checksums));
    let file_name: std::sync::Arc<str> = std::sync::Arc::from(display);
    let max_depth = opts.max_json_depth;
    let keep = opts.max_failures_kept;
    let work = move |rec: ::evtx::err::Result<::evtx::EvtxRecord<'_>>| {
        let rec = rec?;
        Ok((
            rec.event_record_id,
            build_from_tree(rec, &file_name, max_depth),
        ))
    };
    let stats = &mut out.stats;
    let pos = &mut out.since;
    // Another file's record numbers say nothing about this one's.
    if !since.same_file {
        pos.file_record = 0;
    }
    for item in parser.serialized_records(work) {
        match item {
            Ok((id, built)) => {
                if since.same_file && id <= since.file_record {
                    continue;
                }
                pos.file_record = pos.file_record.max(id);
                match built {
                    Ok(ev) => {
                        let event_record = match ev.source.record {
                            RecordRef::EvtxRecord(n) => n,
                            _ => id,
                        };
                        // A replaced file (a new export) repeats the records already read.
                        if !since.same_file && event_record <= since.event_record {
                            continue;
                        }
                        pos.event_record = pos.event_record.max(event_record);
                        stats.events += 1;
                        sink(ev, id);
                    }
                    Err((at, reason)) => stats.fail(at, reason, keep),
                }
            }
            Err(e) => stats.fail(locate(&e), chain(&e), keep),
        }
    }
    pos.same_file = true;
    Ok(out)
}
