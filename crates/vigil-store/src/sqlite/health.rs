//! The heartbeat in SQLite: the service row and the source rows replaced in one immediate
//! transaction, so `vigil status` never reads sources of one heartbeat with the service of another.

use super::SqliteStore;
use super::snapshot::{instant, micros};
use crate::error::{Context, StoreError};
use crate::health::HealthStore;
use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use vigil_model::{HealthSnapshot, SourceSnapshot};

/// Longest source name or error message kept; health is a summary, not a log.
const MAX_TEXT: usize = 1024;

/// Most source rows kept: a configuration lists its watches by hand.
const MAX_SOURCES: usize = 4096;

/// Counters past `i64::MAX` are stored as `i64::MAX`: a health figure, not a key.
fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A negative count can only come from outside vigil; it reads as 0.
fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn opt_instant(
    what: &'static str,
    id: &str,
    v: Option<i64>,
) -> Result<Option<Timestamp>, StoreError> {
    v.map(|v| instant(what, id, v)).transpose()
}

/// `s` cut to at most [`MAX_TEXT`] bytes, on a character boundary.
fn clip(s: &str) -> &str {
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

struct SourceRow {
    name: String,
    kind: String,
    nums: [i64; 10],
    times: [Option<i64>; 2],
    lag: Option<i64>,
    last_error: Option<String>,
}

fn source_row(row: &Row<'_>) -> rusqlite::Result<SourceRow> {
    Ok(SourceRow {
        name: row.get(0)?,
        kind: row.get(1)?,
        nums: [
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
            row.get(6)?,
            row.get(7)?,
            row.get(8)?,
            row.get(9)?,
            row.get(10)?,
            row.get(11)?,
        ],
        times: [row.get(12)?, row.get(13)?],
        lag: row.get(14)?,
        last_error: row.get(15)?,
    })
}

impl SourceRow {
    fn decode(self) -> Result<SourceSnapshot, StoreError> {
        const WHAT: &str = "source health";
        let [
            files,
            events,
            events_per_min,
            bytes_behind,
            errors,
            rotations,
            truncations,
            late_events,
            _position,
            bytes_read,
        ] = self.nums;
        Ok(SourceSnapshot {
            last_event: opt_instant(WHAT, &self.name, self.times[0])?,
            last_arrival: opt_instant(WHAT, &self.name, self.times[1])?,
            name: self.name,
            kind: self.kind,
            files: count(files),
            events: count(events),
            events_per_min: count(events_per_min),
            bytes_read: count(bytes_read),
            bytes_behind: count(bytes_behind),
            lag_seconds: self.lag,
            errors: count(errors),
            last_error: self.last_error,
            rotations: count(rotations),
            truncations: count(truncations),
            late_events: count(late_events),
            // Not kept in the heartbeat: each one is raised as an alert, which is its record.
            tampered: 0,
            last_tampered: None,
        })
    }
}

impl HealthStore for SqliteStore {
    fn save_heartbeat(&mut self, h: &HealthSnapshot) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("starting a heartbeat write")?;
        tx.execute(
            "INSERT OR REPLACE INTO serve_heartbeat (id, started_at, updated_at, last_poll,
                 stopped_at, heartbeat_secs, pid, events, detections_stored, detections_known,
                 alerts_raised, late_events, heartbeat_errors, alerts_undelivered)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                micros(h.started_at),
                micros(h.updated_at),
                h.last_poll.map(micros),
                h.stopped_at.map(micros),
                int(h.heartbeat_secs),
                h.pid,
                int(h.events),
                int(h.detections_stored),
                int(h.detections_known),
                int(h.alerts_raised),
                int(h.late_events),
                int(h.heartbeat_errors),
                int(h.alerts_undelivered),
            ],
        )
        .context("writing the service heartbeat")?;
        tx.execute("DELETE FROM serve_source_health", [])
            .context("clearing the source health")?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO serve_source_health (name, position, kind, files,
                         last_event, last_arrival, events, events_per_min, bytes_behind,
                         lag_seconds, errors, last_error, rotations, truncations, late_events,
                         bytes_read)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                )
                .context("preparing the source health write")?;
            for (i, s) in h.sources.iter().take(MAX_SOURCES).enumerate() {
                put.execute(params![
                    clip(&s.name),
                    int(i as u64),
                    clip(&s.kind),
                    int(s.files),
                    s.last_event.map(micros),
                    s.last_arrival.map(micros),
                    int(s.events),
                    int(s.events_per_min),
                    int(s.bytes_behind),
                    s.lag_seconds,
                    int(s.errors),
                    s.last_error.as_deref().map(clip),
                    int(s.rotations),
                    int(s.truncations),
                    int(s.late_events),
                    int(s.bytes_read),
                ])
                .context("writing a source's health")?;
            }
        }
        tx.commit().context("committing the heartbeat")
    }

    fn heartbeat(&self) -> Result<Option<HealthSnapshot>, StoreError> {
        const WHAT: &str = "heartbeat";
        let service = self
            .conn
            .query_row(
                "SELECT started_at, updated_at, last_poll, stopped_at, heartbeat_secs, pid, events,
                        detections_stored, detections_known, alerts_raised, late_events,
                        heartbeat_errors, alerts_undelivered
                 FROM serve_heartbeat WHERE id = 1",
                [],
                |r| {
                    let times: [Option<i64>; 2] = [r.get(2)?, r.get(3)?];
                    let nums: [i64; 11] = [
                        r.get(0)?,
                        r.get(1)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                        r.get(12)?,
                    ];
                    Ok((times, nums))
                },
            )
            .optional()
            .context("reading the service heartbeat")?;
        let Some((times, nums)) = service else {
            return Ok(None);
        };
        let [
            started_at,
            updated_at,
            heartbeat_secs,
            pid,
            events,
            detections_stored,
            detections_known,
            alerts_raised,
            late_events,
            heartbeat_errors,
            alerts_undelivered,
        ] = nums;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, kind, files, events, events_per_min, bytes_behind, errors, rotations,
                        truncations, late_events, position, bytes_read, last_event, last_arrival,
                        lag_seconds, last_error
                 FROM serve_source_health ORDER BY position, name",
            )
            .context("preparing the source health look-up")?;
        let rows = stmt
            .query_map([], source_row)
            .context("reading the source health")?;
        let mut sources = Vec::new();
        for row in rows.take(MAX_SOURCES) {
            sources.push(row.context("reading a source's health")?.decode()?);
        }
        Ok(Some(HealthSnapshot {
            started_at: instant(WHAT, "started_at", started_at)?,
            updated_at: instant(WHAT, "updated_at", updated_at)?,
            last_poll: opt_instant(WHAT, "last_poll", times[0])?,
            stopped_at: opt_instant(WHAT, "stopped_at", times[1])?,
            heartbeat_secs: count(heartbeat_secs),
            pid: u32::try_from(pid).unwrap_or(0),
            events: count(events),
            detections_stored: count(detections_stored),
            detections_known: count(detections_known),
            alerts_raised: count(alerts_raised),
            alerts_undelivered: count(alerts_undelivered),
            late_events: count(late_events),
            heartbeat_errors: count(heartbeat_errors),
            sources,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(sources: &[&str]) -> HealthSnapshot {
        let t: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        HealthSnapshot {
            started_at: t,
            updated_at: t,
            last_poll: Some(t),
            heartbeat_secs: 5,
            pid: 42,
            events: 7,
            detections_stored: 3,
            alerts_raised: 1,
            alerts_undelivered: 2,
            sources: sources
                .iter()
                .map(|n| SourceSnapshot {
                    name: (*n).to_string(),
                    kind: "file".into(),
                    events: 7,
                    bytes_read: 700,
                    last_event: Some(t),
                    lag_seconds: Some(-2),
                    last_error: Some("é".repeat(MAX_TEXT)),
                    ..SourceSnapshot::default()
                })
                .collect(),
            ..HealthSnapshot::default()
        }
    }

    #[test]
    fn a_heartbeat_replaces_the_last_one_whole() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(store.heartbeat().unwrap(), None);
        store.save_heartbeat(&snapshot(&["mail", "owa"])).unwrap();
        let got = store.heartbeat().unwrap().unwrap();
        assert_eq!(
            got.sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["mail", "owa"],
            "in configuration order"
        );
        assert_eq!(got.sources[0].lag_seconds, Some(-2));
        // Long messages are cut on a character boundary.
        let err = got.sources[0].last_error.as_deref().unwrap();
        assert!(err.len() <= MAX_TEXT && err.chars().all(|c| c == 'é'));
        let mut want = snapshot(&["mail", "owa"]);
        for (w, g) in want.sources.iter_mut().zip(&got.sources) {
            w.last_error.clone_from(&g.last_error);
        }
        assert_eq!(got, want);

        // A source no longer configured disappears with the next heartbeat.
        let mut next = snapshot(&["owa"]);
        next.stopped_at = Some(next.updated_at);
        store.save_heartbeat(&next).unwrap();
        let got = store.heartbeat().unwrap().unwrap();
        assert_eq!(got.sources.len(), 1);
        assert_eq!(got.stopped_at, next.stopped_at);
    }
}
