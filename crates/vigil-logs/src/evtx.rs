//! Windows EVTX files, parsed by the `evtx` crate (chunks in parallel on its thread pool) and
//! flattened to Sigma's Windows field names (see `flatten`). Logsource: product `windows`, the
//! channel's `service`, and a `category` for Sysmon, PowerShell, Security 4688 and Defender
//! detection events (see [`crate::windows`]). Values are normalised as Windows analysts read them
//! (see [`crate::windows::normalise_fields`]).
//!
//! Each record is rendered as JSON text by the crate and read into a borrowed tree
//! (`json_tree`), not into the crate's `serde_json::Value`, which parses the same text into owned
//! maps and costs about three times the rendering.
//!
//! A corrupt chunk or record is counted with its location (chunk → file offset, record → its
//! `EventRecordID`) and the rest of the file is still read. A file that holds fewer chunks or
//! records than its header counts (cut short, possibly exactly at a chunk boundary) is reported
//! too: a cut log is evidence of tampering or loss.

use crate::flatten::{Json, flatten_evtx_json};
use crate::json_tree::Node;
use crate::stats::FileStats;
use crate::{LogError, ReadOptions};
use ::evtx::err::EvtxError;
use ::evtx::{EvtxParser, ParserSettings};
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Arc;
use vigil_model::{Event, FieldValue, RecordRef, SourceRef};

pub(crate) const FILE_HEADER_SIZE: u64 = 4096;
pub(crate) const CHUNK_SIZE: u64 = 65536;

/// Counts from [`parse_only`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOnlyStats {
    pub records: u64,
    pub errors: u64,
}

/// Iterate the records of an EVTX file as the `evtx` crate renders them (JSON text, the form the
/// reader takes), without flattening or building events: the floor against which the reader's
/// own cost is measured.
pub fn parse_only(path: &Path, threads: usize) -> Result<ParseOnlyStats, LogError> {
    let mut parser = EvtxParser::from_path(path)
        .map_err(|e| evtx_err(&path.display().to_string(), &e))?
        .with_configuration(settings(threads, false));
    let mut stats = ParseOnlyStats::default();
    for r in parser.records_json_bytes() {
        match r {
            Ok(_) => stats.records += 1,
            Err(_) => stats.errors += 1,
        }
    }
    Ok(stats)
}

pub(crate) fn settings(threads: usize, validate: bool) -> ParserSettings {
    ParserSettings::new()
        .num_threads(threads)
        .validate_checksums(validate)
        .separate_json_attributes(false)
        .indent(false)
}

pub(crate) fn evtx_err(path: &str, e: &EvtxError) -> LogError {
    LogError::Evtx {
        path: path.to_string(),
        reason: chain(e),
    }
}

/// An error with its causes, since the outer `evtx` messages alone say little.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    let mut depth = 0;
    while let Some(c) = cur {
        if depth > 8 {
            break;
        }
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
        depth += 1;
    }
    s
}

/// Where an `evtx` error happened, as precisely as it says.
pub(crate) fn locate(e: &EvtxError) -> RecordRef {
    match e {
        EvtxError::FailedToParseChunk { chunk_id, .. } => {
            RecordRef::Offset(FILE_HEADER_SIZE.saturating_add(chunk_id.saturating_mul(CHUNK_SIZE)))
        }
        EvtxError::FailedToParseRecord { record_id, .. } => RecordRef::EvtxRecord(*record_id),
        EvtxError::FailedToReadRecordAt { chunk, offset, .. } => RecordRef::Offset(
            chunk
                .unwrap_or(0)
                .saturating_mul(CHUNK_SIZE)
                .saturating_add(FILE_HEADER_SIZE)
                .saturating_add(*offset),
        ),
        _ => RecordRef::Offset(0),
    }
}

pub(crate) fn read_evtx_path(
    path: &Path,
    display: &str,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) -> Result<(), LogError> {
    let file = std::fs::File::open(path).map_err(|source| LogError::Io {
        path: display.to_string(),
        source,
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let parser = EvtxParser::from_read_seek(file).map_err(|e| evtx_err(display, &e))?;
    read_parser(parser, display, len, opts, stats, sink, build_from_tree);
    Ok(())
}

pub(crate) fn read_evtx_buffer(
    bytes: Vec<u8>,
    display: &str,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) -> Result<(), LogError> {
    let len = bytes.len() as u64;
    let parser = EvtxParser::from_buffer(bytes).map_err(|e| evtx_err(display, &e))?;
    read_parser(parser, display, len, opts, stats, sink, build_from_tree);
    Ok(())
}

/// The parser reads whole 64 KiB chunks only: bytes after the last whole chunk (a file cut short
/// by a copy or a full disk) would be dropped without a word, so they are reported.
fn check_length(len: u64, opts: &ReadOptions, stats: &mut FileStats) {
    let tail = len.saturating_sub(FILE_HEADER_SIZE) % CHUNK_SIZE;
    if len > FILE_HEADER_SIZE && tail != 0 {
        let at = len - tail;
        stats.fail(
            RecordRef::Offset(at),
            format!("file truncated: last chunk has {tail} of {CHUNK_SIZE} bytes; not read"),
            opts.max_failures_kept,
        );
    }
}

/// What the file header counts, to be compared with what the file holds and what was read.
#[derive(Debug, Clone, Copy)]
struct HeaderCounts {
    /// Chunks in use (the header's chunk count).
    chunks: u64,
    /// The record id the next record written would get.
    next_record_id: u64,
}

/// A file cut exactly at a chunk boundary parses without a single error: only the header still
/// counts the chunks and records that were lost. Both shortfalls are failures (the read is not
/// complete), located at the end of what the file holds.
///
/// A header that lags behind its chunks (a log copied while Windows was writing it, flagged
/// dirty) counts fewer, never more, so it is not reported. `last_record` is the highest record
/// number of the file's record headers (`u64::MAX` when chunks could not be parsed: their
/// records are reported with them).
fn check_header(
    header: HeaderCounts,
    len: u64,
    last_record: Option<u64>,
    opts: &ReadOptions,
    stats: &mut FileStats,
) {
    let keep = opts.max_failures_kept;
    let whole_chunks = len.saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE;
    let end = FILE_HEADER_SIZE.saturating_add(whole_chunks.saturating_mul(CHUNK_SIZE));
    if header.chunks > whole_chunks {
        stats.fail(
            RecordRef::Offset(end),
            format!(
                "file cut short: the header counts {} chunks, the file holds {whole_chunks} \
                 ({} missing, {} bytes); the log was truncated or not copied whole",
                header.chunks,
                header.chunks - whole_chunks,
                (header.chunks - whole_chunks).saturating_mul(CHUNK_SIZE)
            ),
            keep,
        );
    }
    // Record numbers of the file's own record headers: an exported log renumbers them from 1,
    // while each event keeps its original EventRecordID.
    let expected_last = header.next_record_id.saturating_sub(1);
    match last_record {
        Some(last) if last < expected_last => stats.fail(
            RecordRef::Offset(end),
            format!(
                "the file's records {}..={expected_last} are missing: its header's next record \
                 number is {}, the last record in the file is {last}",
                last.saturating_add(1),
                header.next_record_id
            ),
            keep,
        ),
        None if expected_last > 0 => stats.fail(
            RecordRef::Offset(end),
            format!(
                "no record read, but the file's header counts {expected_last} written (next record \
                 number {})",
                header.next_record_id
            ),
            keep,
        ),
        _ => {}
    }
}

/// A record turned into an event on a worker thread, or why it could not be.
pub(crate) type Built = Result<Event, (RecordRef, String)>;

/// How a record becomes an event (see [`build_from_tree`]).
type BuildFn = fn(::evtx::EvtxRecord<'_>, &str, usize) -> Built;

/// The reader's path: JSON text from the crate, read into a borrowed tree, flattened.
pub(crate) fn build_from_tree(rec: ::evtx::EvtxRecord<'_>, file: &str, max_depth: usize) -> Built {
    let id = rec.event_record_id;
    let header_time = rec.timestamp;
    let ser = rec
        .into_json_bytes()
        .map_err(|e| (RecordRef::EvtxRecord(id), chain(&e)))?;
    let tree = Node::parse(&ser.data).map_err(|e| {
        (
            RecordRef::EvtxRecord(id),
            format!("rendered record is not valid JSON: {e}"),
        )
    })?;
    to_event(&tree, id, header_time, file, max_depth)
}

fn read_parser<T: Read + Seek + Send>(
    parser: EvtxParser<T>,
    display: &str,
    len: u64,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
    build: BuildFn,
) {
    let header = HeaderCounts {
        chunks: u64::from(parser.header().chunk_count),
        next_record_id: parser.header().next_record_id,
    };
    let mut parser =
        parser.with_configuration(settings(opts.evtx_threads, opts.evtx_validate_checksums));
    let file: Arc<str> = Arc::from(display);
    let max_depth = opts.max_json_depth;
    let keep = opts.max_failures_kept;
    // Flattening runs inside the parser's workers, in parallel with chunk parsing.
    let work = move |rec: ::evtx::err::Result<::evtx::EvtxRecord<'_>>| {
        let rec = rec?;
        Ok((rec.event_record_id, build(rec, &file, max_depth)))
    };
    // The highest record number of the file's record headers, built or not.
    let mut last_record: Option<u64> = None;
    let mut unreadable_chunks = false;
    for item in parser.serialized_records(work) {
        if let Ok((id, _)) = &item {
            last_record = Some(last_record.map_or(*id, |l| l.max(*id)));
        }
        match item {
            Ok((_, Ok(ev))) => {
                stats.events += 1;
                sink(ev);
            }
            Ok((_, Err((at, reason)))) => stats.fail(at, reason, keep),
            Err(e) => {
                unreadable_chunks = true;
                stats.fail(locate(&e), chain(&e), keep);
            }
        }
    }
    check_length(len, opts, stats);
    // Records of a chunk that could not be parsed are missing too, and already reported with it.
    let last_record = if unreadable_chunks {
        Some(u64::MAX)
    } else {
        last_record
    };
    check_header(header, len, last_record, opts, stats);
}

fn to_event<J: Json>(
    value: &J,
    record_id: u64,
    header_time: jiff::Timestamp,
    file: &str,
    max_depth: usize,
) -> Built {
    let Some(mut flat) = flatten_evtx_json(value, max_depth) else {
        return Err((
            RecordRef::EvtxRecord(record_id),
            "record has no <Event> element".to_string(),
        ));
    };
    crate::windows::normalise_fields(&mut flat.fields);
    // Again, on the normalised values (`Computer`, `Channel`).
    flat.summarise();
    let event_type = flat.fields.get("EventType").and_then(|v| v.as_text());
    let logsource = crate::windows::logsource(
        flat.channel.as_deref(),
        flat.event_id,
        event_type.as_deref(),
    );
    flat.fields
        .entry("EventRecordID".to_string())
        .or_insert(FieldValue::Int(
            i64::try_from(record_id).unwrap_or(i64::MAX),
        ));
    Ok(Event {
        timestamp: flat.timestamp.or(Some(header_time)),
        host: flat.computer,
        logsource,
        source: SourceRef {
            file: file.to_string(),
            record: RecordRef::EvtxRecord(flat.record_id.unwrap_or(record_id)),
            generation: None,
        },
        fields: flat.fields,
        raw: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The path before the borrowed tree: the crate's `serde_json::Value`, flattened.
    fn build_from_value(rec: ::evtx::EvtxRecord<'_>, file: &str, max_depth: usize) -> Built {
        let id = rec.event_record_id;
        let header_time = rec.timestamp;
        let ser = rec
            .into_json_value()
            .map_err(|e| (RecordRef::EvtxRecord(id), chain(&e)))?;
        to_event(&ser.data, id, header_time, file, max_depth)
    }

    fn read_with(path: &Path, build: BuildFn) -> (Vec<Event>, FileStats) {
        let bytes = std::fs::read(path).unwrap();
        let len = bytes.len() as u64;
        let display = path.display().to_string();
        let mut stats = FileStats::new(&display);
        let mut events = Vec::new();
        let opts = ReadOptions {
            evtx_threads: 1,
            ..ReadOptions::default()
        };
        match EvtxParser::from_buffer(bytes) {
            Ok(parser) => read_parser(
                parser,
                &display,
                len,
                &opts,
                &mut stats,
                &mut |e| events.push(e),
                build,
            ),
            Err(e) => stats.skipped = Some(chain(&e)),
        }
        (events, stats)
    }

    fn evtx_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && depth < 16 {
                evtx_files(&p, depth + 1, out);
            } else if p
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("evtx"))
            {
                out.push(p);
            }
        }
    }

    /// Both paths give the same events (fields, logsource, time, host, record) and failures.
    fn assert_same(files: &[PathBuf]) -> (usize, u64) {
        let mut events = 0;
        let mut fields = 0u64;
        for f in files {
            let (new, new_stats) = read_with(f, build_from_tree);
            let (old, old_stats) = read_with(f, build_from_value);
            assert_eq!(new.len(), old.len(), "{}", f.display());
            for (n, o) in new.iter().zip(&old) {
                assert_eq!(n, o, "{}", f.display());
                fields += n.fields.len() as u64;
            }
            assert_eq!(new_stats.failures, old_stats.failures, "{}", f.display());
            events += new.len();
        }
        (events, fields)
    }

    #[test]
    fn tree_and_value_paths_give_the_same_events_on_the_fixtures() {
        let mut files = Vec::new();
        evtx_files(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
            0,
            &mut files,
        );
        assert!(files.len() >= 3, "{files:?}");
        let (events, fields) = assert_same(&files);
        assert!(events > 0 && fields > events as u64);
    }

    #[test]
    fn tree_and_value_paths_give_the_same_events_on_the_shared_corpus() {
        let Some(data) = std::env::var_os("VIGIL_SHARED_DATA") else {
            eprintln!("skipped: VIGIL_SHARED_DATA is not set");
            return;
        };
        let data = PathBuf::from(data);
        let mut files = Vec::new();
        for set in ["evtx-attack-samples", "hayabusa-sample-evtx"] {
            evtx_files(&data.join(set), 0, &mut files);
        }
        files.sort();
        let (events, fields) = assert_same(&files);
        eprintln!(
            "{} EVTX files, {events} events, {fields} fields: identical",
            files.len()
        );
        assert!(events > 0);
    }
}
