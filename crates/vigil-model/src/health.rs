//! The health of the standing watch as plain data: what `vigil serve` publishes on `/metrics` and
//! `/health`, writes to the store as its heartbeat, and `vigil status` reads back.
//!
//! A heartbeat that stops moving means nobody is watching: the snapshot carries its own interval so
//! that a reader can tell a quiet service from a dead one without knowing the configuration.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Heartbeats missed before the service counts as down.
pub const MISSED_HEARTBEATS: i64 = 3;

/// The service as a whole at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSnapshot {
    /// When the service started.
    pub started_at: Timestamp,
    /// When this snapshot was taken (the heartbeat's time once stored).
    pub updated_at: Timestamp,
    /// When the service last finished a round of polling its sources.
    pub last_poll: Option<Timestamp>,
    /// Set when the service stopped cleanly (SIGTERM, SIGINT): nobody is watching any more, on purpose.
    pub stopped_at: Option<Timestamp>,
    /// How often the heartbeat is written, in seconds.
    pub heartbeat_secs: u64,
    /// The service's process id.
    pub pid: u32,
    /// Events evaluated since the start.
    pub events: u64,
    /// Detections stored since the start.
    pub detections_stored: u64,
    /// Detections the store already held (records read again after a restart).
    pub detections_known: u64,
    /// Alerts raised since the start (one per incident; updates and escalations not counted).
    pub alerts_raised: u64,
    /// Alert notices (first sends, news, escalations) that no channel delivered.
    pub alerts_undelivered: u64,
    /// Events that arrived after their correlation windows had closed (not correlated).
    pub late_events: u64,
    /// Failed heartbeat writes since the start.
    pub heartbeat_errors: u64,
    pub sources: Vec<SourceSnapshot>,
}

/// One watched source at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSnapshot {
    /// The source's label (`[[watch]] source`, else its path).
    pub name: String,
    /// What reads it: `file`, `syslog`, `channel`.
    pub kind: String,
    /// Files currently followed (0 for sources that read no files).
    pub files: u64,
    /// Time of the newest event, by its own timestamp.
    pub last_event: Option<Timestamp>,
    /// Wall-clock time at which the last events arrived.
    pub last_arrival: Option<Timestamp>,
    /// Events since the service started.
    pub events: u64,
    /// Events in the last minute (sliding).
    pub events_per_min: u64,
    /// Bytes of text logs read since the service started (decompressed for `.gz`; not EVTX).
    pub bytes_read: u64,
    /// Bytes of the followed files not read yet.
    pub bytes_behind: u64,
    /// How far behind its events the source was when they arrived: arrival minus event time of
    /// the newest event, in seconds (large for a log read from its beginning).
    pub lag_seconds: Option<i64>,
    /// Read errors and unparsable records.
    pub errors: u64,
    /// The most recent error, with its file.
    pub last_error: Option<String>,
    /// Files rotated away while followed.
    pub rotations: u64,
    /// Files truncated in place and read again from the start.
    pub truncations: u64,
    /// Truncations of logs whose writers never truncate them (IIS, Exchange): edited, not rotated.
    #[serde(default)]
    pub tampered: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tampered: Option<String>,
    /// Events of this source that arrived after their correlation windows had closed.
    pub late_events: u64,
}

/// Whether the service behind a snapshot is running, as seen at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    /// The heartbeat is recent.
    Running,
    /// The service said it was stopping.
    Stopped,
    /// No heartbeat for [`MISSED_HEARTBEATS`] intervals, and no clean stop: crashed, killed or hung.
    Stale,
}

impl HealthSnapshot {
    /// The age past which the heartbeat counts as stale.
    pub fn stale_after(&self) -> SignedDuration {
        let secs = i64::try_from(self.heartbeat_secs.max(1)).unwrap_or(i64::MAX / 4);
        SignedDuration::from_secs(secs.saturating_mul(MISSED_HEARTBEATS))
    }

    /// Age of the heartbeat at `now` (zero when its time is in the future).
    pub fn age(&self, now: Timestamp) -> SignedDuration {
        now.duration_since(self.updated_at)
            .max(SignedDuration::ZERO)
    }

    pub fn liveness(&self, now: Timestamp) -> Liveness {
        if self.stopped_at.is_some() {
            Liveness::Stopped
        } else if self.age(now) > self.stale_after() {
            Liveness::Stale
        } else {
            Liveness::Running
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_follows_the_heartbeat_interval() {
        let t0: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let mut h = HealthSnapshot {
            updated_at: t0,
            heartbeat_secs: 5,
            ..HealthSnapshot::default()
        };
        let at = |s: i64| t0 + SignedDuration::from_secs(s);
        assert_eq!(h.liveness(at(15)), Liveness::Running);
        assert_eq!(h.liveness(at(16)), Liveness::Stale);
        assert_eq!(h.liveness(at(-60)), Liveness::Running, "clock skew");
        h.stopped_at = Some(t0);
        assert_eq!(h.liveness(at(3600)), Liveness::Stopped);
    }
}
