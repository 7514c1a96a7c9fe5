//! The detection pipeline behind `vigil hunt`: log files → events → Sigma → detections.
//!
//! Files are read in parallel (one file per task; the Sigma engine is shared read-only). Single-event
//! detections are collected per file. Correlation rules need one time-ordered stream, so every event
//! that matched a rule feeding a correlation is kept aside and, once all files are read, fed to one
//! [`Correlator`] in timestamp order: memory grows with the matches, never with the logs.

pub mod coverage;
pub mod mapping;

use jiff::Timestamp;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use vigil_logs::{FileStats, ReadOptions};
use vigil_model::{Detection, Event, Level};
use vigil_sigma::{Correlator, Engine, RuleSet};

/// What to read and what to report.
#[derive(Debug, Clone, Default)]
pub struct HuntOptions {
    pub read: ReadOptions,
    /// Detections below this level are not reported.
    pub min_level: Option<Level>,
    /// Events before this instant are not evaluated (events without a timestamp always are).
    pub since: Option<Timestamp>,
    /// Events after this instant are not evaluated.
    pub until: Option<Timestamp>,
    /// Read and count events without evaluating rules: the parse-only floor of the benchmark.
    pub parse_only: bool,
}

/// The outcome of a hunt.
#[derive(Debug, Default, Serialize)]
pub struct HuntReport {
    /// Detections in time order (untimed last), then by file and record.
    pub detections: Vec<Detection>,
    /// Per file: format, events, failures with their location, or why it was skipped.
    pub files: Vec<FileStats>,
    /// Events evaluated (inside `--since`/`--until`).
    pub events_evaluated: u64,
    /// Events that arrived after their correlation window had moved on, or had no timestamp.
    pub correlation_late_events: u64,
    pub correlation_untimed_events: u64,
}

impl HuntReport {
    pub fn events_read(&self) -> u64 {
        self.files.iter().map(|f| f.events).sum()
    }

    pub fn records_failed(&self) -> u64 {
        self.files.iter().map(|f| f.failed).sum()
    }
}

/// Keeps only rules whose status is allowed: `deprecated` and `unsupported` rules are left out unless
/// asked for, as the Sigma specification intends them not to run by default.
pub fn filter_status(rules: &mut RuleSet, allowed: Option<&[String]>) {
    let keep = |status: Option<&str>| {
        let status = status.unwrap_or("experimental").to_ascii_lowercase();
        match allowed {
            Some(list) => list.iter().any(|s| s.eq_ignore_ascii_case(&status)),
            None => status != "deprecated" && status != "unsupported",
        }
    };
    rules.rules.retain(|r| keep(r.meta.status.as_deref()));
}

/// Expands the inputs into the files to read, in a stable order. Directories that could not be listed
/// come back as skipped file stats.
pub fn input_files(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileStats>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        let (f, stats) = vigil_logs::log_files(input);
        files.extend(f);
        skipped.extend(stats.files);
    }
    (files, skipped)
}

/// Hunts through `files`. `progress` is called once per finished file (from worker threads).
pub fn hunt(
    engine: &Engine,
    files: &[PathBuf],
    opts: &HuntOptions,
    progress: &(dyn Fn(&Path, &FileStats) + Sync),
) -> HuntReport {
    let correlate = engine.correlation_count() > 0 && !opts.parse_only;
    // With at least two files per thread, each thread reading its own files keeps every core
    // busy; splitting each EVTX file's chunks over the shared pool as well only adds hand-offs
    // (measured: a quarter of the wall time on the EVTX samples). Few large files keep the pool.
    let mut opts_local;
    let opts = if opts.read.evtx_threads == 0 && files.len() >= worker_threads(files.len()) * 2 {
        opts_local = opts.clone();
        opts_local.read.evtx_threads = 1;
        &opts_local
    } else {
        opts
    };
    let per_file = in_parallel(files, |file| {
        let out = hunt_file(engine, file, opts, correlate);
        progress(file, &out.stats);
        out
    });

    let mut report = HuntReport::default();
    let mut pending: Vec<(Event, Vec<Detection>)> = Vec::new();
    for f in per_file {
        report.detections.extend(f.detections);
        report.events_evaluated += f.evaluated;
        report.files.push(f.stats);
        pending.extend(f.pending);
    }

    if correlate {
        // Stable sort: events with equal timestamps keep file order; untimed events go last (the
        // correlator counts and ignores them).
        pending.sort_by_key(|a| order_key(a.0.timestamp));
        let mut correlator = Correlator::new(engine);
        let mut out = Vec::new();
        for (event, matches) in &pending {
            correlator.feed(event, matches, &mut out);
        }
        correlator.finish(&mut out);
        report.correlation_late_events = correlator.late_events();
        report.correlation_untimed_events = correlator.untimed_events();
        // The correlator itself leaves out correlations that are not to be reported (`generate`).
        report.detections.extend(out);
    }

    if let Some(min) = opts.min_level {
        report.detections.retain(|d| d.level >= min);
    }
    report.detections.sort_by(|a, b| {
        order_key(a.timestamp)
            .cmp(&order_key(b.timestamp))
            .then_with(|| {
                a.sources
                    .first()
                    .map(source_key)
                    .cmp(&b.sources.first().map(source_key))
            })
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    report
}

/// Threads used for `n` files: one per core, at most one per file.
fn worker_threads(n: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |c| c.get())
        .min(n)
        .max(1)
}

/// Runs `work` over `files` on plain threads, results in input order.
///
/// Not rayon: the EVTX reader parses chunks on rayon's pool and waits for them, and a rayon worker
/// that waits on work queued behind itself deadlocks when every worker does the same.
fn in_parallel<T: Send>(files: &[PathBuf], work: impl Fn(&Path) -> T + Sync) -> Vec<T> {
    let threads = worker_threads(files.len());
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<T>>> = Mutex::new((0..files.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let out = work(file);
                    if let Ok(mut slots) = slots.lock()
                        && let Some(slot) = slots.get_mut(i)
                    {
                        *slot = Some(out);
                    }
                }
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

fn order_key(t: Option<Timestamp>) -> (bool, Timestamp) {
    match t {
        Some(t) => (false, t),
        None => (true, Timestamp::UNIX_EPOCH),
    }
}

fn source_key(s: &vigil_model::SourceRef) -> (&str, u64) {
    use vigil_model::RecordRef;
    let n = match s.record {
        RecordRef::EvtxRecord(n) | RecordRef::Line(n) | RecordRef::Offset(n) => n,
    };
    (s.file.as_str(), n)
}

struct FileOutcome {
    stats: FileStats,
    detections: Vec<Detection>,
    pending: Vec<(Event, Vec<Detection>)>,
    evaluated: u64,
}

fn hunt_file(engine: &Engine, file: &Path, opts: &HuntOptions, correlate: bool) -> FileOutcome {
    let mut detections = Vec::new();
    let mut pending = Vec::new();
    let mut evaluated = 0u64;
    let mut buf = Vec::new();
    let mut sink = |ev: Event| {
        if let Some(t) = ev.timestamp
            && (opts.since.is_some_and(|s| t < s) || opts.until.is_some_and(|u| t > u))
        {
            return;
        }
        evaluated += 1;
        if opts.parse_only {
            return;
        }
        buf.clear();
        if correlate {
            engine.all_matches(&ev, &mut buf);
        } else {
            engine.matches(&ev, &mut buf);
        }
        if buf.is_empty() {
            return;
        }
        detections.extend(
            buf.iter()
                .filter(|d| !correlate || engine.is_reported(&d.rule_id))
                .cloned(),
        );
        if correlate {
            pending.push((ev, std::mem::take(&mut buf)));
        }
    };
    let stats = match vigil_logs::read_path(file, &opts.read, &mut sink) {
        Ok(mut s) if s.files.len() == 1 => s.files.remove(0),
        Ok(s) => {
            // read_path on one file yields one entry; anything else is folded into one record.
            let mut fs = FileStats {
                path: file.display().to_string(),
                ..FileStats::default()
            };
            for f in s.files {
                fs.events += f.events;
                fs.failed += f.failed;
                fs.failures.extend(f.failures);
                fs.format = fs.format.or(f.format);
            }
            fs
        }
        Err(e) => FileStats {
            path: file.display().to_string(),
            skipped: Some(e.to_string()),
            ..FileStats::default()
        },
    };
    FileOutcome {
        stats,
        detections,
        pending,
        evaluated,
    }
}
