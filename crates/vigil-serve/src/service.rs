//! The service loop: poll every source, evaluate what arrived, commit detections and checkpoints
//! together, sleep until the next poll, stop when asked.

use crate::alerting::LiveAlerting;
use crate::detect::Detector;
use crate::error::ServeError;
use crate::source::Source;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vigil_model::Detection;
use vigil_store::{CheckpointStore, IngestCommit};

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Time between polls of the sources.
    pub poll: Duration,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            poll: Duration::from_millis(250),
        }
    }
}

/// What the service has committed since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub events: u64,
    pub detections_new: u64,
    /// Detections the store already held (records read again after a restart).
    pub detections_known: u64,
    pub commits: u64,
}

/// The running watch: sources, the detector and the store they commit to.
pub struct Service<S: CheckpointStore> {
    store: S,
    detector: Detector,
    sources: Vec<Box<dyn Source>>,
    opts: ServiceOptions,
    stats: CommitStats,
    alerting: Option<LiveAlerting>,
}

impl<S: CheckpointStore> Service<S> {
    /// A service over `sources`; refused when there is nothing to watch or no rule to apply.
    pub fn new(
        store: S,
        detector: Detector,
        sources: Vec<Box<dyn Source>>,
        opts: ServiceOptions,
    ) -> Result<Service<S>, ServeError> {
        if sources.is_empty() {
            return Err(ServeError::NothingWatched);
        }
        if detector.engine().rule_count() == 0 {
            return Err(ServeError::NoRules);
        }
        Ok(Service {
            store,
            detector,
            sources,
            opts,
            stats: CommitStats::default(),
            alerting: None,
        })
    }

    /// Raises alerts from what is stored: incidents grouped as detections arrive, one alert each.
    pub fn with_alerting(mut self, alerting: LiveAlerting) -> Service<S> {
        self.alerting = Some(alerting);
        self
    }

    pub fn alerting(&self) -> Option<&LiveAlerting> {
        self.alerting.as_ref()
    }

    pub fn stats(&self) -> CommitStats {
        self.stats
    }

    /// Rules the detector applies.
    pub fn rule_count(&self) -> usize {
        self.detector.engine().rule_count()
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// One round: every source polled once, what arrived evaluated and committed. A source's
    /// detections and checkpoints go into one transaction; when the store refuses it, the error
    /// stops the service before any later checkpoint could skip past those detections.
    pub fn poll_once(&mut self) -> Result<(), ServeError> {
        let mut found: Vec<Detection> = Vec::new();
        for source in &mut self.sources {
            let batch = source.poll()?;
            if batch.events.is_empty() && batch.checkpoints.is_empty() {
                continue;
            }
            found.clear();
            for ev in &batch.events {
                self.detector.feed(ev, &mut found);
            }
            let done = self.store.commit_ingest(&IngestCommit {
                detections: &found,
                checkpoints: &batch.checkpoints,
                forget: &[],
                state: &[],
            })?;
            self.stats.events += batch.events.len() as u64;
            self.stats.detections_new += done.detections_new as u64;
            self.stats.detections_known += done.detections_known as u64;
            self.stats.commits += 1;
            if done.detections_new > 0 {
                tracing::info!(
                    source = source.name(),
                    detections = done.detections_new,
                    "new detections stored"
                );
            }
            // Only once stored: an alert must never cite a detection a crash could lose.
            if let Some(a) = &mut self.alerting {
                a.offer(&found);
            }
        }
        if let Some(a) = &mut self.alerting {
            a.step()?;
        }
        Ok(())
    }

    /// Polls until `stop` is set, then commits what was read and returns. `ready` is called once,
    /// after the first round has run: every source is open and has been read once.
    pub fn run(&mut self, stop: &AtomicBool, ready: impl FnOnce()) -> Result<(), ServeError> {
        self.poll_once()?;
        ready();
        while !stop.load(Ordering::SeqCst) {
            sleep_unless(stop, self.opts.poll);
            self.poll_once()?;
        }
        tracing::info!(
            events = self.stats.events,
            detections = self.stats.detections_new,
            "stopped"
        );
        Ok(())
    }
}

/// Sleeps for `d`, waking early when `stop` is set, so a SIGTERM is honoured within a few
/// milliseconds whatever the poll interval.
pub(crate) fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let step = Duration::from_millis(10);
    let mut left = d;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) {
        let s = left.min(step);
        std::thread::sleep(s);
        left = left.saturating_sub(s);
    }
}
