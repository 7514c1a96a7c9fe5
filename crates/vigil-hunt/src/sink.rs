//! The seam between the hunt and what is done with its results, as ripgrep's `Searcher` calls a
//! `Sink`: the hunt calls a [`DetectionSink`] once at the start, once per detection as it is found,
//! once per file read, and once at the end with the summary. Renderers (vigil-report), a collector
//! for the audit, and later the store of the standing watch implement it.

use crate::summary::HuntSummary;
use jiff::Timestamp;
use serde::Serialize;
use std::io;
use vigil_logs::FileStats;
use vigil_model::{Detection, Level};
use vigil_sigma::RuleMeta;

/// What a hunt is about to do, given to [`DetectionSink::begin`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct HuntPlan {
    /// Files to read (inputs that could not even be listed are not counted).
    pub files: usize,
    /// Detection rules and correlation rules in use.
    pub rules: usize,
    pub correlations: usize,
    /// Detections below this level are left out.
    pub min_level: Option<Level>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Detections reported per rule; further ones are counted in the summary (0: no cap).
    pub max_per_rule: usize,
    /// Events are read and counted, no rule is evaluated.
    pub parse_only: bool,
}

/// Receives a hunt's results as they are found. Every method is called on the thread that called
/// [`crate::hunt_into`], in this order: `begin`, then `detection` and `file_done` interleaved,
/// then `finish`. An error stops the hunt and is returned by `hunt_into`.
///
/// Order of detections: single-event detections of one file come in record order; files read in
/// parallel interleave. Correlation detections come after every file was read (a correlation
/// needs every file's events in time order), in time order.
pub trait DetectionSink {
    fn begin(&mut self, plan: &HuntPlan) -> io::Result<()> {
        let _ = plan;
        Ok(())
    }

    /// One detection, with the metadata of its rule (its author, which the Detection Rule License
    /// asks reports of matches to show).
    fn detection(&mut self, detection: &Detection, rule: Option<&RuleMeta>) -> io::Result<()>;

    /// One input is finished (read, or skipped with the reason in `stats.skipped`).
    fn file_done(&mut self, stats: &FileStats) -> io::Result<()> {
        let _ = stats;
        Ok(())
    }

    /// The hunt is over; `summary` counts everything, including what the caps held back.
    fn finish(&mut self, summary: &HuntSummary) -> io::Result<()> {
        let _ = summary;
        Ok(())
    }
}

impl<S: DetectionSink + ?Sized> DetectionSink for &mut S {
    fn begin(&mut self, plan: &HuntPlan) -> io::Result<()> {
        (**self).begin(plan)
    }
    fn detection(&mut self, detection: &Detection, rule: Option<&RuleMeta>) -> io::Result<()> {
        (**self).detection(detection, rule)
    }
    fn file_done(&mut self, stats: &FileStats) -> io::Result<()> {
        (**self).file_done(stats)
    }
    fn finish(&mut self, summary: &HuntSummary) -> io::Result<()> {
        (**self).finish(summary)
    }
}

/// Collects detections in memory, for callers that need them all (the audit, `rules test`). The
/// hunt's per-rule cap bounds what it receives.
#[derive(Debug, Default)]
pub struct VecSink {
    pub detections: Vec<Detection>,
}

impl DetectionSink for VecSink {
    fn detection(&mut self, detection: &Detection, _rule: Option<&RuleMeta>) -> io::Result<()> {
        self.detections.push(detection.clone());
        Ok(())
    }
}

/// Edits each detection before passing it on: tags from a curated table, a default host name.
pub struct Decorate<S, F> {
    inner: S,
    edit: F,
}

impl<S: DetectionSink, F: FnMut(&mut Detection)> Decorate<S, F> {
    pub fn new(inner: S, edit: F) -> Self {
        Decorate { inner, edit }
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: DetectionSink, F: FnMut(&mut Detection)> DetectionSink for Decorate<S, F> {
    fn begin(&mut self, plan: &HuntPlan) -> io::Result<()> {
        self.inner.begin(plan)
    }
    fn detection(&mut self, detection: &Detection, rule: Option<&RuleMeta>) -> io::Result<()> {
        let mut d = detection.clone();
        (self.edit)(&mut d);
        self.inner.detection(&d, rule)
    }
    fn file_done(&mut self, stats: &FileStats) -> io::Result<()> {
        self.inner.file_done(stats)
    }
    fn finish(&mut self, summary: &HuntSummary) -> io::Result<()> {
        self.inner.finish(summary)
    }
}
