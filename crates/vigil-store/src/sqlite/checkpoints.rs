//! Checkpoints in SQLite: one immediate transaction per commit, holding the detections, the
//! checkpoints and the state together (see [`crate::checkpoints`]).

use super::SqliteStore;
use super::investigation::insert_detections;
use crate::checkpoints::{CheckpointStore, IngestCommit, IngestCommitted};
use crate::error::{Context, StoreError};
use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use vigil_model::{Checkpoint, Detection, FileIdentity, Position};

/// Longest watch name, key, path, fingerprint or state name accepted.
const MAX_TEXT: usize = 4096;

/// Largest state value accepted (correlation windows are bounded by their owner well below).
const MAX_STATE: usize = 64 * 1024 * 1024;

const WHAT: &str = "checkpoint";

fn invalid(what: &str, reason: impl Into<String>) -> StoreError {
    StoreError::InvalidValue {
        what: what.to_string(),
        reason: reason.into(),
    }
}

fn int(what: &str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| invalid(what, format!("{v} is too large to store")))
}

fn text<'a>(what: &str, s: &'a str) -> Result<&'a str, StoreError> {
    if s.len() > MAX_TEXT {
        return Err(invalid(what, format!("longer than {MAX_TEXT} bytes")));
    }
    Ok(s)
}

fn unsigned(key: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        what: WHAT,
        id: key.to_string(),
        reason: format!("negative position {v}"),
    })
}

fn decode(row: &Row<'_>) -> rusqlite::Result<Result<Checkpoint, StoreError>> {
    let key: String = row.get(1)?;
    let kind: String = row.get(7)?;
    let nums: [i64; 7] = [
        row.get(3)?,
        row.get(4)?,
        row.get(6)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
    ];
    let (watch, path, fingerprint): (String, String, String) =
        (row.get(0)?, row.get(2)?, row.get(5)?);
    let (gzip, done): (bool, bool) = (row.get(12)?, row.get(13)?);
    Ok((|| {
        let [
            device,
            inode,
            fp_len,
            offset,
            line,
            file_record,
            event_record,
        ] = nums;
        let position = match kind.as_str() {
            "text" => Position::Text {
                offset: unsigned(&key, offset)?,
                line: unsigned(&key, line)?,
            },
            "evtx" => Position::Evtx {
                file_record: unsigned(&key, file_record)?,
                event_record: unsigned(&key, event_record)?,
            },
            other => {
                return Err(StoreError::Corrupt {
                    what: WHAT,
                    id: key.clone(),
                    reason: format!("unknown position kind '{other}'"),
                });
            }
        };
        Ok(Checkpoint {
            identity: FileIdentity {
                device: unsigned(&key, device)?,
                inode: unsigned(&key, inode)?,
                fingerprint,
                fingerprint_len: unsigned(&key, fp_len)?,
            },
            watch,
            key,
            path,
            position,
            gzip,
            done,
        })
    })())
}

impl CheckpointStore for SqliteStore {
    fn checkpoints(&self, watch: Option<&str>) -> Result<Vec<Checkpoint>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT watch, key, path, device, inode, fingerprint, fingerprint_len, kind,
                        offset, line, file_record, event_record, gzip, done
                 FROM ingest_checkpoints WHERE ?1 IS NULL OR watch = ?1 ORDER BY watch, key",
            )
            .context("preparing the checkpoint look-up")?;
        let rows = stmt
            .query_map([watch], decode)
            .context("reading checkpoints")?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.context("reading a checkpoint")??);
        }
        Ok(out)
    }

    fn commit_ingest(&mut self, commit: &IngestCommit<'_>) -> Result<IngestCommitted, StoreError> {
        let now = Timestamp::now().as_microsecond();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("starting an ingest commit")?;
        let detections_new = insert_detections(&tx, commit.detections, Timestamp::now())?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO ingest_checkpoints (watch, key, path, device, inode, fingerprint,
                         fingerprint_len, kind, offset, line, file_record, event_record, gzip, done,
                         updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                     ON CONFLICT (watch, key) DO UPDATE SET path = excluded.path,
                         device = excluded.device, inode = excluded.inode,
                         fingerprint = excluded.fingerprint,
                         fingerprint_len = excluded.fingerprint_len, kind = excluded.kind,
                         offset = excluded.offset, line = excluded.line,
                         file_record = excluded.file_record, event_record = excluded.event_record,
                         gzip = excluded.gzip, done = excluded.done,
                         updated_at = excluded.updated_at",
                )
                .context("preparing the checkpoint write")?;
            for c in commit.checkpoints {
                let id = &c.identity;
                let (kind, a, b) = match c.position {
                    Position::Text { offset, line } => ("text", [offset, line], [0, 0]),
                    Position::Evtx {
                        file_record,
                        event_record,
                    } => ("evtx", [0, 0], [file_record, event_record]),
                };
                put.execute(params![
                    text("checkpoint watch", &c.watch)?,
                    text("checkpoint key", &c.key)?,
                    text("checkpoint path", &c.path)?,
                    int("device number", id.device)?,
                    int("inode", id.inode)?,
                    text("fingerprint", &id.fingerprint)?,
                    int("fingerprint length", id.fingerprint_len)?,
                    kind,
                    int("offset", a[0])?,
                    int("line number", a[1])?,
                    int("record number", b[0])?,
                    int("record id", b[1])?,
                    c.gzip,
                    c.done,
                    now,
                ])
                .context("storing a checkpoint")?;
            }
            let mut drop = tx
                .prepare_cached("DELETE FROM ingest_checkpoints WHERE watch = ?1 AND key = ?2")
                .context("preparing the checkpoint removal")?;
            for (watch, key) in commit.forget {
                drop.execute(params![watch, key])
                    .context("removing a checkpoint")?;
            }
            let mut set = tx
                .prepare_cached(
                    "INSERT INTO ingest_state (name, value, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value,
                         updated_at = excluded.updated_at",
                )
                .context("preparing the state write")?;
            let mut unset = tx
                .prepare_cached("DELETE FROM ingest_state WHERE name = ?1")
                .context("preparing the state removal")?;
            for (name, value) in commit.state {
                text("state name", name)?;
                match value {
                    Some(v) if v.len() > MAX_STATE => {
                        return Err(invalid(
                            &format!("state {name}"),
                            format!("larger than {MAX_STATE} bytes"),
                        ));
                    }
                    Some(v) => set.execute(params![name, v, now]),
                    None => unset.execute([name]),
                }
                .context("storing ingest state")?;
            }
        }
        tx.commit().context("committing ingest")?;
        Ok(IngestCommitted {
            detections_new,
            detections_known: commit.detections.len().saturating_sub(detections_new),
            checkpoints: commit.checkpoints.len(),
        })
    }

    fn ingest_state(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM ingest_state WHERE name = ?1")
            .context("preparing the state look-up")?
            .query_row([name], |row| row.get(0))
            .optional()
            .context("reading ingest state")
    }

    fn recent_detections(
        &self,
        reach: jiff::SignedDuration,
        not_after: Timestamp,
        limit: usize,
    ) -> Result<Vec<Detection>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let reach = i64::try_from(reach.as_micros()).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rule_id, json FROM (
                     SELECT rule_id, json, timestamp, pk FROM detections
                     WHERE dismissed IS NULL AND timestamp <= ?1 AND timestamp >= (
                         SELECT MAX(timestamp) FROM detections
                         WHERE dismissed IS NULL AND timestamp <= ?1) - ?3
                     ORDER BY timestamp DESC, pk DESC LIMIT ?2)
                 ORDER BY timestamp, pk",
            )
            .context("preparing the recent detection query")?;
        let rows = stmt
            .query_map(params![not_after.as_microsecond(), limit, reach], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .context("reading recent detections")?;
        let mut out = Vec::new();
        for row in rows {
            let (rule, json) = row.context("reading a detection")?;
            out.push(super::investigation::decode("detection", &rule, &json)?);
        }
        Ok(out)
    }
}
