//! The detection pipeline behind `vigil hunt`: log files → events → Sigma → detections, streamed.
//!
//! Files are read in parallel, one file per worker thread (the Sigma engine is shared read-only).
//! Workers send what they find in batches over a bounded channel to one consumer on the calling
//! thread, which counts it in the [`HuntSummary`], applies the per-rule cap and hands each
//! detection to a [`DetectionSink`] at once: renderers write it out as it is found.
//!
//! Correlation rules need every file's matching events in one time-ordered stream, whatever the
//! order the files are read in (rotated logs read in parallel, newest first). Of each such event the
//! hunt keeps a compact record — time, host, log source, source, the values of the fields the
//! correlations read, the matched rules — in memory up to a budget and in sorted runs on disk beyond
//! it; once every file is read, the runs are merged and fed to one correlator. Memory does not grow
//! with the input; disk use grows with the matching events (a few dozen bytes each).

mod correlate;
pub mod coverage;
mod hunt;
pub mod mapping;
mod read;
mod record;
pub mod samples;
pub mod sink;
mod spool;
pub mod summary;

pub use hunt::hunt_into;
pub use sink::{Decorate, DetectionSink, HuntPlan, VecSink};
pub use summary::{CorrelationSummary, HuntSummary, RuleTally};
// The types a sink sees, so that implementing one needs only this crate.
pub use vigil_logs::FileStats;
pub use vigil_sigma::RuleMeta;

use jiff::Timestamp;
use serde::Serialize;
use std::path::{Path, PathBuf};
use vigil_logs::ReadOptions;
use vigil_model::{Detection, Level};
use vigil_sigma::{Engine, RuleSet};

/// Detections reported per rule unless told otherwise; further ones are counted in the summary.
pub const DEFAULT_MAX_PER_RULE: usize = 1000;
/// Bytes of correlation input held in memory before sorted runs are written to disk.
pub const DEFAULT_CORRELATION_MEMORY: usize = 64 * 1024 * 1024;

/// What to read and what to report.
#[derive(Debug, Clone)]
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
    /// Detections reported per rule; further ones are only counted (0: no cap).
    pub max_per_rule: usize,
    /// Bytes of correlation input held in memory; beyond it, sorted runs go to disk.
    pub correlation_memory: usize,
    /// Where the temporary directory for those runs is made [default: the system's].
    pub spill_dir: Option<PathBuf>,
}

impl Default for HuntOptions {
    fn default() -> Self {
        HuntOptions {
            read: ReadOptions::default(),
            min_level: None,
            since: None,
            until: None,
            parse_only: false,
            max_per_rule: DEFAULT_MAX_PER_RULE,
            correlation_memory: DEFAULT_CORRELATION_MEMORY,
            spill_dir: None,
        }
    }
}

/// The outcome of a hunt collected in memory ([`hunt`]).
#[derive(Debug, Default, Serialize)]
pub struct HuntReport {
    /// Detections in time order (untimed last), then by file and record; at most
    /// [`HuntOptions::max_per_rule`] per rule.
    pub detections: Vec<Detection>,
    /// Per file: format, events, failures with their location, notes, or why it was skipped (the
    /// same as `summary.files`).
    pub files: Vec<FileStats>,
    pub summary: HuntSummary,
}

impl HuntReport {
    pub fn events_read(&self) -> u64 {
        self.summary.events_read
    }

    pub fn records_failed(&self) -> u64 {
        self.summary.records_failed
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

/// Hunts through `files` and collects the detections, sorted by time: for callers that need them
/// all at once. `progress` is called once per finished file.
pub fn hunt(
    engine: &Engine,
    files: &[PathBuf],
    opts: &HuntOptions,
    progress: &(dyn Fn(&Path, &FileStats) + Sync),
) -> HuntReport {
    let mut sink = VecSink::default();
    let mut on_file = |s: &FileStats| progress(hunt::path_of(s), s);
    // A `VecSink` never fails, so neither does the hunt.
    let summary =
        hunt_into(engine, files, Vec::new(), opts, &mut on_file, &mut sink).unwrap_or_default();
    let mut detections = sink.detections;
    detections.sort_by(|a, b| {
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
    HuntReport {
        detections,
        files: summary.files.clone(),
        summary,
    }
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
