//! The service loop: poll every source, evaluate what arrived, commit detections and checkpoints
//! together, sleep until the next poll, stop when asked.

use crate::alerting::LiveAlerting;
use crate::cadence::{Cadence, CadenceOptions};
use crate::detect::Detector;
use crate::error::ServeError;
use crate::health::{Arrived, HealthBoard, HealthTracker, RoundTotals};
use crate::source::Source;
use crate::tamper::{TamperOptions, TamperWatch};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vigil_model::Detection;
use vigil_store::{CheckpointStore, HealthStore, IngestCommit};

/// The name the correlation windows are stored under (`IngestCommit::state`).
pub const CORRELATION_STATE: &str = "correlation";
/// The name the sources' learnt pace is stored under.
pub const CADENCE_STATE: &str = "cadence";

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Time between polls of the sources.
    pub poll: Duration,
    /// Time between heartbeats written to the store (whole seconds, at least one).
    pub heartbeat: Duration,
    /// Time between saves of the correlation windows (with a commit; and always at a clean stop).
    pub state_every: Duration,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            poll: Duration::from_millis(250),
            heartbeat: Duration::from_secs(5),
            state_every: Duration::from_secs(30),
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
    /// Events the last round of the run loop brought (0: sleep before the next).
    last_round_events: u64,
    /// When the correlation windows were last saved.
    last_state_save: Option<Instant>,
    health: HealthTracker,
    alerting: Option<LiveAlerting>,
    tamper: TamperWatch,
    cadence: Cadence,
}

impl<S: CheckpointStore + HealthStore> Service<S> {
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
        let health = HealthTracker::new(&sources, opts.heartbeat.as_secs().max(1));
        Ok(Service {
            health,
            store,
            detector,
            sources,
            opts,
            stats: CommitStats::default(),
            last_round_events: 0,
            last_state_save: None,
            alerting: None,
            tamper: TamperWatch::new(TamperOptions::default()),
            cadence: Cadence::new(CadenceOptions::default()),
        })
    }

    /// Judges the sources' pace against what was learnt before (see [`Cadence::resume`]).
    pub fn with_cadence(mut self, cadence: Cadence) -> Service<S> {
        self.cadence = cadence;
        self
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

    /// The live health, shared with the metrics endpoint and with whoever raises alerts
    /// ([`HealthBoard::count_alerts`]).
    pub fn health(&self) -> &HealthBoard {
        self.health.board()
    }

    /// One round: every source polled once, what arrived evaluated and committed. A source's
    /// detections and checkpoints go into one transaction; when the store refuses it, the error
    /// stops the service before any later checkpoint could skip past those detections.
    pub fn poll_once(&mut self) -> Result<(), ServeError> {
        let mut found: Vec<Detection> = Vec::new();
        let mut paced = Vec::new();
        for (index, source) in self.sources.iter_mut().enumerate() {
            found.clear();
            let late_before = self.detector.late_events();
            // Each event is evaluated as the reader decodes it and dropped at once.
            let mut arrived = Arrived::default();
            let detector = &mut self.detector;
            let tamper = &mut self.tamper;
            let name = source.name().to_string();
            let now = jiff::Timestamp::now();
            let checkpoints = source.poll_each(&mut |ev| {
                arrived.count(&ev);
                tamper.observe(&name, &ev, now);
                detector.feed(&ev, &mut found);
            })?;
            paced.extend(self.cadence.record(&name, arrived.events, now));
            if arrived.events == 0 && checkpoints.is_empty() {
                continue;
            }
            let late = self.detector.late_events().saturating_sub(late_before);
            self.health.arrived(index, &arrived, late);
            // The correlation windows move with the checkpoints: saved in the same transaction,
            // at most every `state_every` (a crash loses at most that much of their contents).
            let due = self
                .last_state_save
                .is_none_or(|t| t.elapsed() >= self.opts.state_every);
            let state = state_due(
                &self.detector,
                &mut self.last_state_save,
                self.opts.state_every,
            );
            // The learnt pace of the sources goes with them.
            let pace = due.then(|| self.cadence.save().ok()).flatten();
            let mut named: Vec<(&str, Option<&str>)> = Vec::new();
            if let Some(s) = state.as_deref() {
                named.push((CORRELATION_STATE, Some(s)));
            }
            if let Some(p) = pace.as_deref() {
                named.push((CADENCE_STATE, Some(p)));
            }
            let done = self.store.commit_ingest(&IngestCommit {
                detections: &found,
                checkpoints: &checkpoints,
                forget: &[],
                state: &named,
            })?;
            if state.is_some() || pace.is_some() {
                self.last_state_save = Some(Instant::now());
            }
            self.stats.events += arrived.events;
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
        let signs = self.tamper.take();
        for s in &signs {
            tracing::error!(source = %s.reference, "{}", s.title);
        }
        if let Some(a) = &mut self.alerting {
            a.raise_health(&signs)?;
            a.pace(&paced)?;
            a.step()?;
        }
        let totals = RoundTotals {
            events: self.stats.events,
            detections_stored: self.stats.detections_new,
            detections_known: self.stats.detections_known,
            late_events: self.detector.late_events(),
            alerts_raised: self.alerting.as_ref().map_or(0, |a| a.stats().opened),
            alerts_undelivered: self.alerting.as_ref().map_or(0, |a| a.stats().undelivered),
        };
        self.health.round_done(&self.sources, totals);
        if let Some(a) = &mut self.alerting {
            // The snapshot is only taken when the (once a second) check is due.
            let board = self.health.board();
            a.check_sources(|| board.snapshot())?;
        }
        Ok(())
    }

    /// Saves the correlation windows now (at a clean stop), with no other change.
    fn save_state(&mut self) {
        self.last_state_save = None;
        if let Ok(p) = self.cadence.save()
            && let Err(e) = self.store.commit_ingest(&IngestCommit {
                state: &[(CADENCE_STATE, Some(&p))],
                ..IngestCommit::default()
            })
        {
            tracing::warn!("the sources' learnt pace was not saved at stop: {e}");
        }
        if let Some(s) = state_due(
            &self.detector,
            &mut self.last_state_save,
            self.opts.state_every,
        ) && let Err(e) = self.store.commit_ingest(&IngestCommit {
            state: &[(CORRELATION_STATE, Some(&s))],
            ..IngestCommit::default()
        }) {
            tracing::warn!("correlation windows not saved at stop: {e}");
        }
    }

    /// Writes the current health to the store. A failed write is counted and warned about but
    /// does not stop detection: `vigil status` will see the heartbeat go stale and say so.
    fn beat(&mut self, snapshot: &vigil_model::HealthSnapshot) {
        if let Err(e) = self.store.save_heartbeat(snapshot) {
            tracing::warn!("heartbeat not written: {e}");
            self.health.heartbeat_failed();
        }
    }

    /// Polls until `stop` is set, then commits what was read and returns. `ready` is called once,
    /// after the first round has run: every source is open and has been read once.
    pub fn run(&mut self, stop: &AtomicBool, ready: impl FnOnce()) -> Result<(), ServeError> {
        self.poll_once()?;
        self.beat(&self.health().snapshot());
        let mut last_beat = Instant::now();
        ready();
        while !stop.load(Ordering::SeqCst) {
            // Drain, then sleep: while a round brings events, more are probably waiting behind the
            // readers' per-poll budget, so the next round starts at once; the interval is for
            // idle logs. This keeps batches (and memory) small without capping throughput.
            let before = self.stats.events;
            if self.last_round_events == 0 {
                sleep_unless(stop, self.opts.poll);
            }
            self.poll_once()?;
            self.last_round_events = self.stats.events.saturating_sub(before);
            if last_beat.elapsed() >= self.opts.heartbeat {
                self.beat(&self.health().snapshot());
                last_beat = Instant::now();
            }
        }
        self.save_state();
        let last = self.health.stopped();
        self.beat(&last);
        tracing::info!(
            events = self.stats.events,
            detections = self.stats.detections_new,
            "stopped"
        );
        Ok(())
    }
}

/// The correlation state to save with this commit, when it is due (`last` is when it was last
/// saved or given up on).
fn state_due(detector: &Detector, last: &mut Option<Instant>, every: Duration) -> Option<String> {
    if last.is_some_and(|t| t.elapsed() < every) {
        return None;
    }
    match detector.state() {
        Ok(s) => Some(s),
        Err(why) => {
            tracing::warn!("correlation windows not saved: {why}");
            *last = Some(Instant::now());
            None
        }
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

/// A service with no log to read (`[[inventory]]` alone: the schedule's jobs run on their own
/// thread). It still publishes and stores its health, so that `/metrics` answers and `vigil status`
/// can tell a running patch watch from one that has died.
pub struct IdleService<S: HealthStore> {
    store: S,
    health: HealthTracker,
    heartbeat: Duration,
}

impl<S: HealthStore> IdleService<S> {
    pub fn new(store: S, heartbeat: Duration) -> IdleService<S> {
        IdleService {
            store,
            health: HealthTracker::new(&[], heartbeat.as_secs().max(1)),
            heartbeat,
        }
    }

    pub fn health(&self) -> &HealthBoard {
        self.health.board()
    }

    /// Beats until `stop` is set, then writes a last snapshot marked as stopped.
    pub fn run(&mut self, stop: &AtomicBool, ready: impl FnOnce()) {
        self.health.round_done(&[], RoundTotals::default());
        self.beat(&self.health().snapshot());
        ready();
        let mut last_beat = Instant::now();
        while !stop.load(Ordering::SeqCst) {
            sleep_unless(stop, Duration::from_millis(250));
            self.health.round_done(&[], RoundTotals::default());
            if last_beat.elapsed() >= self.heartbeat {
                self.beat(&self.health().snapshot());
                last_beat = Instant::now();
            }
        }
        let last = self.health.stopped();
        self.beat(&last);
    }

    fn beat(&mut self, snapshot: &vigil_model::HealthSnapshot) {
        if let Err(e) = self.store.save_heartbeat(snapshot) {
            tracing::warn!("heartbeat not written: {e}");
            self.health.heartbeat_failed();
        }
    }
}
