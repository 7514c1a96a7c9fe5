//! Windows EVTX files, parsed by the `evtx` crate (chunks in parallel on its thread pool) and
//! flattened to Sigma's Windows field names (see `flatten`). Logsource: product `windows`, the
//! channel's `service`, and a `category` for Sysmon and PowerShell events (see [`crate::windows`]).
//!
//! A corrupt chunk or record is counted with its location (chunk → file offset, record → its
//! `EventRecordID`) and the rest of the file is still read.

use crate::flatten::flatten_evtx_json;
use crate::stats::FileStats;
use crate::{LogError, ReadOptions};
use ::evtx::err::EvtxError;
use ::evtx::{EvtxParser, ParserSettings};
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Arc;
use vigil_model::{Event, FieldValue, RecordRef, SourceRef};

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// Counts from [`parse_only`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOnlyStats {
    pub records: u64,
    pub errors: u64,
}

/// Iterate the records of an EVTX file as the `evtx` crate renders them (JSON values), without
/// flattening or building events: the floor against which the reader's own cost is measured.
pub fn parse_only(path: &Path, threads: usize) -> Result<ParseOnlyStats, LogError> {
    let mut parser = EvtxParser::from_path(path)
        .map_err(|e| evtx_err(&path.display().to_string(), &e))?
        .with_configuration(settings(threads, false));
    let mut stats = ParseOnlyStats::default();
    for r in parser.records_json_value() {
        match r {
            Ok(_) => stats.records += 1,
            Err(_) => stats.errors += 1,
        }
    }
    Ok(stats)
}

fn settings(threads: usize, validate: bool) -> ParserSettings {
    ParserSettings::new()
        .num_threads(threads)
        .validate_checksums(validate)
        .separate_json_attributes(false)
        .indent(false)
}

fn evtx_err(path: &str, e: &EvtxError) -> LogError {
    LogError::Evtx {
        path: path.to_string(),
        reason: chain(e),
    }
}

/// An error with its causes, since the outer `evtx` messages alone say little.
fn chain(e: &dyn std::error::Error) -> String {
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
fn locate(e: &EvtxError) -> RecordRef {
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
    read_parser(parser, display, opts, stats, sink);
    check_length(len, opts, stats);
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
    read_parser(parser, display, opts, stats, sink);
    check_length(len, opts, stats);
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

/// A record turned into an event on a worker thread, or why it could not be.
type Built = Result<Event, (RecordRef, String)>;

fn read_parser<T: Read + Seek + Send>(
    parser: EvtxParser<T>,
    display: &str,
    opts: &ReadOptions,
    stats: &mut FileStats,
    sink: &mut dyn FnMut(Event),
) {
    let mut parser =
        parser.with_configuration(settings(opts.evtx_threads, opts.evtx_validate_checksums));
    let file: Arc<str> = Arc::from(display);
    let max_depth = opts.max_json_depth;
    let keep = opts.max_failures_kept;
    // Flattening runs inside the parser's workers, in parallel with chunk parsing.
    let build = move |rec: ::evtx::err::Result<::evtx::EvtxRecord<'_>>| {
        let rec = rec?;
        let id = rec.event_record_id;
        let header_time = rec.timestamp;
        let built: Built = match rec.into_json_value() {
            Ok(ser) => to_event(&ser.data, id, header_time, &file, max_depth),
            Err(e) => Err((RecordRef::EvtxRecord(id), chain(&e))),
        };
        Ok(built)
    };
    for item in parser.serialized_records(build) {
        match item {
            Ok(Ok(ev)) => {
                stats.events += 1;
                sink(ev);
            }
            Ok(Err((at, reason))) => stats.fail(at, reason, keep),
            Err(e) => stats.fail(locate(&e), chain(&e), keep),
        }
    }
}

fn to_event(
    value: &serde_json::Value,
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
        },
        fields: flat.fields,
        raw: None,
    })
}
