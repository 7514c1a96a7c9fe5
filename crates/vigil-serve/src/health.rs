//! The service's own health: per source what arrived and when, how far behind it is and what
//! failed; for the service its start, its last poll, what it stored and the alerts it raised.
//!
//! The loop keeps a [`HealthTracker`] and publishes a [`HealthSnapshot`] to a [`HealthBoard`]
//! after every round; the board is shared with the HTTP thread (`/metrics`, `/health`) and with
//! whoever raises alerts, so a slow reader only ever holds the board's lock for a copy.

use crate::source::Source;
use jiff::Timestamp;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use vigil_ingest::Rate;
use vigil_model::{Event, HealthSnapshot, SourceSnapshot};

/// The latest health of the service, shared between threads.
#[derive(Debug, Clone, Default)]
pub struct HealthBoard {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    snapshot: Mutex<HealthSnapshot>,
    /// Counted apart from the snapshot: alerts are raised outside the polling loop.
    alerts: AtomicU64,
}

impl HealthBoard {
    /// A copy of the latest snapshot, with the alerts counted through [`Self::count_alerts`]
    /// added to those the loop raised.
    pub fn snapshot(&self) -> HealthSnapshot {
        let mut s = self
            .shared
            .snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        s.alerts_raised += self.shared.alerts.load(Ordering::Relaxed);
        s
    }

    /// Counts `n` alerts raised outside the loop's own alerting.
    pub fn count_alerts(&self, n: u64) {
        self.shared.alerts.fetch_add(n, Ordering::Relaxed);
    }

    fn publish(&self, snapshot: &HealthSnapshot) {
        self.shared
            .snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone_from(snapshot);
    }
}

/// What one poll of a source brought, counted as its events stream past.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Arrived {
    pub events: u64,
    /// The newest event time among them.
    pub newest: Option<Timestamp>,
}

impl Arrived {
    pub(crate) fn count(&mut self, ev: &Event) {
        self.events += 1;
        if let Some(t) = ev.timestamp
            && self.newest.is_none_or(|n| t > n)
        {
            self.newest = Some(t);
        }
    }
}

/// What the loop tracks between rounds.
#[derive(Debug)]
pub(crate) struct HealthTracker {
    snapshot: HealthSnapshot,
    /// Per source: the events-per-minute window and the events of the current round.
    rates: Vec<(Rate, u64)>,
    board: HealthBoard,
}

impl HealthTracker {
    pub(crate) fn new(sources: &[Box<dyn Source>], heartbeat_secs: u64) -> HealthTracker {
        let now = Timestamp::now();
        let snapshot = HealthSnapshot {
            started_at: now,
            updated_at: now,
            heartbeat_secs,
            pid: std::process::id(),
            sources: sources
                .iter()
                .map(|s| SourceSnapshot {
                    name: s.name().to_string(),
                    kind: s.kind().to_string(),
                    ..SourceSnapshot::default()
                })
                .collect(),
            ..HealthSnapshot::default()
        };
        let board = HealthBoard::default();
        board.publish(&snapshot);
        HealthTracker {
            rates: sources.iter().map(|_| (Rate::default(), 0)).collect(),
            snapshot,
            board,
        }
    }

    pub(crate) fn board(&self) -> &HealthBoard {
        &self.board
    }

    /// Source `index` handed over `events`, of which `late` came after their correlation windows.
    pub(crate) fn arrived(&mut self, index: usize, arrived: &Arrived, late: u64) {
        let (Some(s), Some((_, round))) = (
            self.snapshot.sources.get_mut(index),
            self.rates.get_mut(index),
        ) else {
            return;
        };
        if arrived.events == 0 {
            return;
        }
        let now = Timestamp::now();
        *round += arrived.events;
        s.events += arrived.events;
        s.late_events += late;
        s.last_arrival = Some(now);
        if let Some(newest) = arrived.newest {
            s.lag_seconds = Some(now.duration_since(newest).as_secs());
            if s.last_event.is_none_or(|t| newest > t) {
                s.last_event = Some(newest);
            }
        }
    }

    /// Ends a round: the readers' own figures merged in, the service's counters set, and the
    /// snapshot published.
    pub(crate) fn round_done(&mut self, sources: &[Box<dyn Source>], totals: RoundTotals) {
        let now = Timestamp::now();
        let tick = Instant::now();
        for ((s, source), (rate, round)) in self
            .snapshot
            .sources
            .iter_mut()
            .zip(sources)
            .zip(&mut self.rates)
        {
            s.events_per_min = rate.add(tick, std::mem::take(round));
            if let Some(h) = source.health() {
                s.files = h.files as u64;
                s.bytes_read = h.bytes_read;
                s.bytes_behind = h.bytes_behind;
                s.errors = h.errors;
                s.last_error.clone_from(&h.last_error);
                s.rotations = h.rotations;
                s.truncations = h.truncations;
            }
        }
        let h = &mut self.snapshot;
        h.updated_at = now;
        h.last_poll = Some(now);
        h.events = totals.events;
        h.detections_stored = totals.detections_stored;
        h.detections_known = totals.detections_known;
        h.late_events = totals.late_events;
        h.alerts_raised = totals.alerts_raised;
        h.alerts_undelivered = totals.alerts_undelivered;
        self.board.publish(h);
    }

    /// A heartbeat write failed: counted, and shown on the next snapshot.
    pub(crate) fn heartbeat_failed(&mut self) {
        self.snapshot.heartbeat_errors += 1;
        self.board.publish(&self.snapshot);
    }

    /// The last snapshot, marked as that of a service that has stopped.
    pub(crate) fn stopped(&mut self) -> HealthSnapshot {
        let now = Timestamp::now();
        self.snapshot.updated_at = now;
        self.snapshot.stopped_at = Some(now);
        self.board.publish(&self.snapshot);
        self.board.snapshot()
    }
}

/// The service's running totals at the end of a round.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RoundTotals {
    pub events: u64,
    pub detections_stored: u64,
    pub detections_known: u64,
    pub late_events: u64,
    pub alerts_raised: u64,
    pub alerts_undelivered: u64,
}
