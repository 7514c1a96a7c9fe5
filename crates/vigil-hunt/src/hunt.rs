//! The streaming hunt: file workers → bounded channel → one consumer that counts, caps and hands
//! detections to the sink, and keeps the correlation input in the spool; then the correlation pass.

use crate::HuntOptions;
use crate::correlate::{self, Live, Stop};
use crate::read::{Msg, RecordBatch, Work};
use crate::record::Schema;
use crate::sink::{DetectionSink, HuntPlan};
use crate::spool::Spool;
use crate::summary::HuntSummary;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use vigil_logs::FileStats;
use vigil_model::{Detection, Level};
use vigil_sigma::{Engine, RuleMeta};

/// Messages in flight per worker: enough to keep both sides busy, few enough to bound memory
/// (a message holds at most about 256 KiB of results, see `read`).
const CHANNEL_PER_WORKER: usize = 4;

/// Hunts through `files`, streaming detections to `sink` as they are found (see
/// [`DetectionSink`] for their order). `unlisted` are inputs that could not even be listed (from
/// [`crate::input_files`]); they are reported as skipped. `progress` is called on this thread
/// once per finished file. Returns the summary also given to [`DetectionSink::finish`]; an error
/// is the sink's, and stops the hunt.
///
/// Memory is bounded whatever the input: results travel in bounded batches over a bounded
/// channel, the summary grows with files and rules only, reported detections are capped per rule
/// ([`HuntOptions::max_per_rule`]), and the correlation input is held in
/// [`HuntOptions::correlation_memory`] bytes, spilled to sorted runs on disk beyond it.
pub fn hunt_into(
    engine: &Engine,
    files: &[PathBuf],
    unlisted: Vec<FileStats>,
    opts: &HuntOptions,
    progress: &mut dyn FnMut(&FileStats),
    sink: &mut dyn DetectionSink,
) -> io::Result<HuntSummary> {
    let correlate = engine.correlation_count() > 0 && !opts.parse_only;
    let schema = correlate.then(|| Schema::new(engine));
    let threads = worker_threads(files.len());
    // With at least two files per thread, each thread reading its own files keeps every core
    // busy; splitting each EVTX file's chunks over the shared pool as well only adds hand-offs
    // (measured: a quarter of the wall time on the EVTX samples). Few large files keep the pool.
    let mut opts_local;
    let opts = if opts.read.evtx_threads == 0 && files.len() >= threads * 2 {
        opts_local = opts.clone();
        opts_local.read.evtx_threads = 1;
        &opts_local
    } else {
        opts
    };
    sink.begin(&HuntPlan {
        files: files.len(),
        rules: engine.rule_count(),
        correlations: if correlate {
            engine.correlation_count()
        } else {
            0
        },
        min_level: opts.min_level,
        since: opts.since,
        until: opts.until,
        max_per_rule: opts.max_per_rule,
        parse_only: opts.parse_only,
    })?;
    let summary = HuntSummary::new(
        opts.max_per_rule,
        if correlate {
            engine.correlation_count()
        } else {
            0
        },
    );
    for s in &unlisted {
        sink.file_done(s)?;
    }

    let mut consumer = Consumer {
        out: Out {
            engine,
            opts,
            summary,
            sink,
        },
        progress,
        slots: (0..files.len()).map(|_| None).collect(),
        names: vec![String::new(); files.len()],
        schema: schema.as_ref(),
        spool: schema
            .as_ref()
            .map(|_| Spool::new(opts.correlation_memory, opts.spill_dir.clone())),
        live: schema
            .as_ref()
            .map(|_| Live::new(engine, opts.max_per_rule)),
    };
    let work = Work {
        engine,
        schema: schema.as_ref(),
        opts,
        files,
        next: AtomicUsize::new(0),
        cancel: AtomicBool::new(false),
    };
    let started = std::time::Instant::now();
    let (tx, rx) = sync_channel(threads * CHANNEL_PER_WORKER);
    // Plain threads, not rayon: the EVTX reader parses chunks on rayon's pool and waits for them,
    // and a rayon worker that waits on work queued behind itself deadlocks when all do the same.
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let work = &work;
            scope.spawn(move || work.run(&tx));
        }
        drop(tx);
        let consumed = consumer.consume(rx);
        if consumed.is_err() {
            work.cancel.store(true, Ordering::Relaxed);
        }
        consumed
    })?;

    let Consumer {
        mut out,
        slots,
        names,
        spool,
        live,
        ..
    } = consumer;
    tracing::debug!("files read in {:.2?}", started.elapsed());
    let live = live.and_then(|l| l.finish(engine, opts.min_level));
    if let Some(done) = live {
        // Every matching event came in time order: the live run is the result (the spool, needed
        // had one come out of order, is not).
        let c = &mut out.summary.correlation;
        c.in_order = true;
        c.failed = None;
        c.events = done.events;
        c.late += done.late;
        c.untimed += done.untimed;
        c.overflow += done.overflow;
        if let Some(spool) = &spool {
            c.spilled_runs = spool.spilled_runs;
            c.spilled_bytes = spool.spilled_bytes;
        }
        out.summary.absorb(done.tally);
        for d in &done.held {
            out.sink.detection(d, engine.rule_meta(&d.rule_id))?;
        }
    } else if let (Some(schema), Some(spool)) = (&schema, spool) {
        let started = std::time::Instant::now();
        let mut stats = std::mem::take(&mut out.summary.correlation);
        let outcome = correlate::from_spool(engine, schema, spool, &names, &mut stats, &mut |d| {
            out.detection(&d)
        });
        out.summary.correlation = stats;
        tracing::debug!(
            "correlations evaluated from the spool in {:.2?}",
            started.elapsed()
        );
        match outcome {
            Ok(()) => {}
            Err(Stop::Sink(e)) => return Err(e),
            Err(Stop::Spool(why)) => out.summary.correlation.failed = Some(why),
        }
    }
    let Out {
        mut summary, sink, ..
    } = out;
    summary.files = slots.into_iter().flatten().chain(unlisted).collect();
    summary.sort_rules();
    sink.finish(&summary)?;
    Ok(summary)
}

/// Where detections go: counted (and capped) in the summary, then to the sink.
struct Out<'a, 's> {
    engine: &'a Engine,
    opts: &'a HuntOptions,
    summary: HuntSummary,
    sink: &'s mut dyn DetectionSink,
}

impl Out<'_, '_> {
    fn detection(&mut self, d: &Detection) -> io::Result<()> {
        match admit(self.engine, self.opts.min_level, &mut self.summary, d) {
            Some(meta) => self.sink.detection(d, meta),
            None => Ok(()),
        }
    }
}

/// Counts a detection at or above the minimum level in `summary`; `Some` (with its rule's
/// metadata) when it is to be reported, `None` when below the level or held back by the cap.
pub(crate) fn admit<'e>(
    engine: &'e Engine,
    min_level: Option<Level>,
    summary: &mut HuntSummary,
    d: &Detection,
) -> Option<Option<&'e RuleMeta>> {
    if min_level.is_some_and(|m| d.level < m) {
        return None;
    }
    let meta = engine.rule_meta(&d.rule_id);
    summary
        .admit(d, meta.and_then(|m| m.author.as_deref()))
        .then_some(meta)
}

/// The consumer: runs on the calling thread while the workers read.
struct Consumer<'a, 's, 'p> {
    out: Out<'a, 's>,
    progress: &'p mut dyn FnMut(&FileStats),
    /// Per file, its stats once finished (kept in input order whatever the finishing order).
    slots: Vec<Option<FileStats>>,
    /// Per file, the name its events carry (correlation records store it once per file).
    names: Vec<String>,
    schema: Option<&'a Schema>,
    /// The correlation input; `None` without correlations, or once it failed.
    spool: Option<Spool>,
    /// The live correlation run; `None` without correlations, or once an event came out of order.
    live: Option<Live>,
}

impl Consumer<'_, '_, '_> {
    fn consume(&mut self, rx: Receiver<Msg>) -> io::Result<()> {
        for msg in rx {
            match msg {
                Msg::Detections(batch) => {
                    for d in &batch {
                        self.out.detection(d)?;
                    }
                }
                Msg::Records(batch) => self.correlation_input(batch),
                Msg::Done(done) => {
                    self.out.summary.add_file(&done.stats, done.evaluated);
                    self.out.summary.correlation.untimed += done.untimed;
                    (self.progress)(&done.stats);
                    self.out.sink.file_done(&done.stats)?;
                    if let Some(slot) = self.slots.get_mut(done.file) {
                        *slot = Some(done.stats);
                    }
                }
            }
        }
        Ok(())
    }

    /// Feeds the live run and spools each record.
    fn correlation_input(&mut self, batch: RecordBatch) {
        let Some(schema) = self.schema else { return };
        let engine = self.out.engine;
        if let Some(name) = self.names.get_mut(batch.file as usize)
            && name.is_empty()
        {
            *name = batch.name;
        }
        let name = self
            .names
            .get(batch.file as usize)
            .map_or("", String::as_str);
        let mut start = 0;
        for (key, end) in batch.records {
            let body = batch.bytes.get(start..end).unwrap_or_default();
            start = end;
            if let Some(live) = self.live.as_mut()
                && !live.feed(engine, schema, self.out.opts.min_level, (key, body, name))
            {
                tracing::debug!("matching events out of time order: correlating from the spool");
                self.live = None;
            }
            if let Some(spool) = self.spool.as_mut()
                && let Err(e) = spool.push(key, body)
            {
                let dir = self
                    .out
                    .opts
                    .spill_dir
                    .clone()
                    .unwrap_or_else(std::env::temp_dir);
                self.out.summary.correlation.failed = Some(format!(
                    "cannot spill the correlation input to {}: {e}",
                    dir.display()
                ));
                self.spool = None;
            }
        }
    }
}

/// Threads used for `n` files: one per core, at most one per file.
fn worker_threads(n: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |c| c.get())
        .min(n)
        .max(1)
}

/// For callers that report progress with the path.
pub(crate) fn path_of(stats: &FileStats) -> &Path {
    Path::new(&stats.path)
}
