//! Reading the files in parallel: each worker reads whole files, evaluates every event and sends
//! what it found to the one consumer over a bounded channel, in batches. A worker that finds the
//! channel full waits, so a slow sink slows the readers instead of piling results up in memory.

use crate::HuntOptions;
use crate::record::{EncodeCache, Key, Schema};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use vigil_logs::FileStats;
use vigil_model::{Detection, Event};
use vigil_sigma::Engine;

/// A batch is sent once it holds about this many bytes of detections and records.
const BATCH_BYTES: usize = 256 * 1024;
/// … or this many detections.
const BATCH_DETECTIONS: usize = 1024;

/// What a worker sends the consumer.
pub(crate) enum Msg {
    /// Detections to report, of one file, in record order.
    Detections(Vec<Detection>),
    /// Correlation input records of one file.
    Records(RecordBatch),
    /// A file is finished.
    Done(Box<FileDone>),
}

pub(crate) struct RecordBatch {
    pub file: u32,
    /// The file name the file's events carry (records store it once per file).
    pub name: String,
    /// Per record: its key and the end of its body in `bytes`.
    pub records: Vec<(Key, usize)>,
    pub bytes: Vec<u8>,
}

pub(crate) struct FileDone {
    pub file: usize,
    pub stats: FileStats,
    pub evaluated: u64,
    /// Events that fed a correlation but had no timestamp.
    pub untimed: u64,
}

/// What every worker shares.
pub(crate) struct Work<'a> {
    pub engine: &'a Engine,
    /// `None` when no correlation is in use.
    pub schema: Option<&'a Schema>,
    pub opts: &'a HuntOptions,
    pub files: &'a [PathBuf],
    pub next: AtomicUsize,
    /// Set when the consumer stopped (its sink failed): workers stop evaluating and reading.
    pub cancel: AtomicBool,
}

impl Work<'_> {
    /// A worker's loop: takes the next unread file until none is left.
    pub(crate) fn run(&self, tx: &SyncSender<Msg>) {
        while !self.cancel.load(Ordering::Relaxed) {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = self.files.get(i) else { break };
            let done = self.read_file(i, path, tx);
            if tx.send(Msg::Done(Box::new(done))).is_err() {
                self.cancel.store(true, Ordering::Relaxed);
            }
        }
    }

    fn read_file(&self, index: usize, path: &Path, tx: &SyncSender<Msg>) -> FileDone {
        let mut state = FileState {
            work: self,
            tx,
            file: u32::try_from(index).unwrap_or(u32::MAX),
            name: None,
            seq: 0,
            evaluated: 0,
            untimed: 0,
            matches: Vec::new(),
            cache: EncodeCache::default(),
            detections: Vec::new(),
            detection_bytes: 0,
            records: Vec::new(),
            bytes: Vec::new(),
        };
        let result = vigil_logs::read_path(path, &self.opts.read, &mut |ev| state.event(ev));
        state.flush();
        let stats = match result {
            Ok(mut s) if s.files.len() == 1 => s.files.swap_remove(0),
            Ok(s) => {
                // read_path on one file yields one entry; anything else is folded into one record.
                let mut fs = FileStats {
                    path: path.display().to_string(),
                    ..FileStats::default()
                };
                for f in s.files {
                    fs.events += f.events;
                    fs.failed += f.failed;
                    fs.failures.extend(f.failures);
                    fs.notes.extend(f.notes);
                    fs.format = fs.format.or(f.format);
                }
                fs
            }
            Err(e) => FileStats {
                path: path.display().to_string(),
                skipped: Some(e.reason()),
                ..FileStats::default()
            },
        };
        FileDone {
            file: index,
            stats,
            evaluated: state.evaluated,
            untimed: state.untimed,
        }
    }
}

/// One file being read.
struct FileState<'w, 'a> {
    work: &'w Work<'a>,
    tx: &'w SyncSender<Msg>,
    file: u32,
    name: Option<String>,
    seq: u64,
    evaluated: u64,
    untimed: u64,
    matches: Vec<Detection>,
    cache: EncodeCache<'a>,
    detections: Vec<Detection>,
    detection_bytes: usize,
    records: Vec<(Key, usize)>,
    bytes: Vec<u8>,
}

impl<'a> FileState<'_, 'a> {
    fn event(&mut self, ev: Event) {
        let work = self.work;
        if work.cancel.load(Ordering::Relaxed) {
            return;
        }
        self.seq += 1;
        let opts = work.opts;
        if let Some(t) = ev.timestamp
            && (opts.since.is_some_and(|s| t < s) || opts.until.is_some_and(|u| t > u))
        {
            return;
        }
        self.evaluated += 1;
        if opts.parse_only {
            return;
        }
        self.matches.clear();
        match work.schema {
            Some(_) => work.engine.all_matches(&ev, &mut self.matches),
            None => work.engine.matches(&ev, &mut self.matches),
        }
        if self.matches.is_empty() {
            return;
        }
        if let Some(schema) = work.schema {
            self.record(schema, &ev);
        }
        let min = opts.min_level;
        for d in self.matches.drain(..) {
            let reported = work.schema.is_none() || work.engine.is_reported(&d.rule_id);
            if reported && min.is_none_or(|m| d.level >= m) {
                self.detection_bytes += approx_size(&d);
                self.detections.push(d);
            }
        }
        if self.detection_bytes + self.bytes.len() >= BATCH_BYTES
            || self.detections.len() >= BATCH_DETECTIONS
        {
            self.flush();
        }
    }

    /// Keeps the compact record of an event one of whose matches feeds a correlation.
    fn record(&mut self, schema: &'a Schema, ev: &Event) {
        let Some(t) = ev.timestamp else {
            if self.matches.iter().any(|d| schema.feeds(&d.rule_id)) {
                self.untimed += 1;
            }
            return;
        };
        let name = self.name.get_or_insert_with(|| ev.source.file.clone());
        let start = self.bytes.len();
        let engine = self.work.engine;
        if schema.encode(
            engine,
            ev,
            &self.matches,
            name,
            &mut self.cache,
            &mut self.bytes,
        ) {
            self.records
                .push((Key::new(t, self.file, self.seq), self.bytes.len()));
        } else {
            self.bytes.truncate(start);
        }
    }

    fn flush(&mut self) {
        if !self.detections.is_empty() {
            let batch = std::mem::take(&mut self.detections);
            self.detection_bytes = 0;
            self.send(Msg::Detections(batch));
        }
        if !self.records.is_empty() {
            let batch = RecordBatch {
                file: self.file,
                name: self.name.clone().unwrap_or_default(),
                records: std::mem::take(&mut self.records),
                bytes: std::mem::take(&mut self.bytes),
            };
            self.send(Msg::Records(batch));
        }
    }

    fn send(&self, msg: Msg) {
        if self.tx.send(msg).is_err() {
            self.work.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Roughly the heap bytes of a detection, to bound a batch by size (matched values come from the
/// log and may be long).
pub(crate) fn approx_size(d: &Detection) -> usize {
    let matched: usize = d.matched.iter().map(|(k, v)| k.len() + v.len() + 48).sum();
    let sources: usize = d.sources.iter().map(|s| s.file.len() + 40).sum();
    let tags: usize = d.tags.iter().map(|t| t.len() + 24).sum();
    256 + d.rule_id.len() + d.rule_title.len() + matched + sources + tags
}
