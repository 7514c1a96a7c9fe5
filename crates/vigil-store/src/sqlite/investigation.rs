//! Detections, incidents and remedial actions in SQLite. Each write is one transaction.

use crate::error::{Context, StoreError};
use crate::investigation::{ActionStatus, IncidentRow, NewAction, RemedialAction, StoredDetection};
use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use vigil_model::{Detection, Level, SourceRef};

/// Longest free text accepted for an action, owner, note or dismissal reason.
const MAX_TEXT: usize = 4096;

pub(super) fn instant(what: &'static str, id: &str, us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt {
        what,
        id: id.to_string(),
        reason: e.to_string(),
    })
}

pub(super) fn encode<T: serde::Serialize>(
    what: &'static str,
    id: &str,
    v: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|source| StoreError::Encode {
        what,
        id: id.to_string(),
        source,
    })
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    id: &str,
    s: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt {
        what,
        id: id.to_string(),
        reason: e.to_string(),
    })
}

pub(super) fn level(what: &'static str, id: &str, s: &str) -> Result<Level, StoreError> {
    s.parse().map_err(|e: String| StoreError::Corrupt {
        what,
        id: id.to_string(),
        reason: e,
    })
}

fn check_text(what: &str, s: &str) -> Result<(), StoreError> {
    if s.len() > MAX_TEXT {
        return Err(StoreError::InvalidValue {
            what: what.to_string(),
            reason: format!("longer than {MAX_TEXT} bytes"),
        });
    }
    Ok(())
}

/// The `record` column of a detection's key: the record reference as JSON (`{"line":12}`), followed
/// by the file generation for records of followed logs (`{"line":12} 2049:1312:9f86d081884c7d65`).
/// The generation keeps line 1 of a file rotated in under the same path (or written again after a
/// copy-truncate) apart from line 1 of the file before it; files read whole have none, so the keys
/// of `vigil hunt` and `vigil audit` detections are those stored before generations existed.
fn record_key(rule_id: &str, source: &SourceRef) -> Result<String, StoreError> {
    let record = encode("detection", rule_id, &source.record)?;
    Ok(match &source.generation {
        Some(g) => format!("{record} {g}"),
        None => record,
    })
}

/// Stores detections not yet known (by rule and first record); returns how many were new.
pub(crate) fn save_detections(
    conn: &mut Connection,
    detections: &[Detection],
    now: Timestamp,
) -> Result<usize, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting to store detections")?;
    let new = insert_detections(&tx, detections, now)?;
    tx.commit().context("committing detections")?;
    Ok(new)
}

/// Inserts detections not yet known inside the caller's transaction; returns how many were new.
pub(super) fn insert_detections(
    tx: &rusqlite::Transaction<'_>,
    detections: &[Detection],
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut new = 0usize;
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO detections (rule_id, file, record, host, timestamp, level, stored_at, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (rule_id, file, record) DO NOTHING",
            )
            .context("preparing the detection insert")?;
        for d in detections {
            let Some(src) = d.sources.first() else {
                continue;
            };
            let record = record_key(&d.rule_id, src)?;
            let json = encode("detection", &d.rule_id, d)?;
            new += ins
                .execute(params![
                    d.rule_id,
                    src.file,
                    record,
                    d.host,
                    d.timestamp.map(|t| t.as_microsecond()),
                    d.level.as_str(),
                    now.as_microsecond(),
                    json
                ])
                .context("storing a detection")?;
        }
    }
    Ok(new)
}

/// Marks the detection of `rule_id` on `source` as dismissed (or clears it with `None`).
pub(crate) fn dismiss_detection(
    conn: &mut Connection,
    rule_id: &str,
    source: &SourceRef,
    reason: Option<&str>,
) -> Result<bool, StoreError> {
    if let Some(r) = reason {
        check_text("dismissal reason", r)?;
    }
    let record = record_key(rule_id, source)?;
    let n = conn
        .execute(
            "UPDATE detections SET dismissed = ?4 WHERE rule_id = ?1 AND file = ?2 AND record = ?3",
            params![rule_id, source.file, record, reason],
        )
        .context("dismissing a detection")?;
    Ok(n > 0)
}

pub(crate) fn detections(conn: &Connection) -> Result<Vec<StoredDetection>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT rule_id, json, stored_at, dismissed FROM detections
             ORDER BY timestamp IS NULL, timestamp, file, record, rule_id",
        )
        .context("preparing the detection query")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .context("reading detections")?;
    let mut out = Vec::new();
    for row in rows {
        let (rule, json, stored_at, dismissed) = row.context("reading a detection")?;
        out.push(StoredDetection {
            detection: decode("detection", &rule, &json)?,
            stored_at: instant("detection", &rule, stored_at)?,
            dismissed,
        });
    }
    Ok(out)
}

/// Inserts or refreshes an incident; its `opened_at` and `status` stay as first stored.
pub(crate) fn save_incident(conn: &mut Connection, inc: &IncidentRow) -> Result<(), StoreError> {
    let json = encode("incident", &inc.id, &inc.summary)?;
    conn.execute(
        "INSERT INTO incidents (id, asset, first_seen, last_seen, level, detections, entry_point, status,
                                opened_at, updated_at, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET asset = excluded.asset, last_seen = excluded.last_seen,
             level = excluded.level, detections = excluded.detections, entry_point = excluded.entry_point,
             updated_at = excluded.updated_at, json = excluded.json",
        params![
            inc.id,
            inc.asset,
            inc.first_seen.as_microsecond(),
            inc.last_seen.as_microsecond(),
            inc.level.as_str(),
            i64::try_from(inc.detections).unwrap_or(i64::MAX),
            inc.entry_point,
            inc.status,
            inc.opened_at.as_microsecond(),
            inc.updated_at.as_microsecond(),
            json
        ],
    )
    .context("storing an incident")?;
    Ok(())
}

pub(crate) fn incidents(
    conn: &Connection,
    id: Option<&str>,
) -> Result<Vec<IncidentRow>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, asset, first_seen, last_seen, level, detections, entry_point, status, opened_at,
                    updated_at, json
             FROM incidents WHERE (?1 IS NULL OR id = ?1) ORDER BY first_seen, id",
        )
        .context("preparing the incident query")?;
    type Row = (
        String,
        Option<String>,
        i64,
        i64,
        String,
        i64,
        Option<String>,
        String,
        i64,
        i64,
        String,
    );
    let rows = stmt
        .query_map(params![id], |r| {
            Ok::<Row, rusqlite::Error>((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            ))
        })
        .context("reading incidents")?;
    let mut out = Vec::new();
    for row in rows {
        let (id, asset, first, last, lvl, n, entry, status, opened, updated, json) =
            row.context("reading an incident")?;
        out.push(IncidentRow {
            first_seen: instant("incident", &id, first)?,
            last_seen: instant("incident", &id, last)?,
            level: level("incident", &id, &lvl)?,
            detections: usize::try_from(n).unwrap_or(0),
            opened_at: instant("incident", &id, opened)?,
            updated_at: instant("incident", &id, updated)?,
            summary: decode("incident", &id, &json)?,
            asset,
            entry_point: entry,
            status,
            id,
        });
    }
    Ok(out)
}

pub(crate) fn add_action(
    conn: &Connection,
    a: &NewAction,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let text = a.action.trim();
    if text.is_empty() {
        return Err(StoreError::InvalidValue {
            what: "remedial action".into(),
            reason: "the action text is empty".into(),
        });
    }
    check_text("action", text)?;
    for t in [&a.owner, &a.incident, &a.asset].into_iter().flatten() {
        check_text("action field", t)?;
    }
    conn.execute(
        "INSERT INTO remedial_actions (incident, asset, action, owner, due, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6)",
        params![
            a.incident,
            a.asset,
            text,
            a.owner,
            a.due.map(|d| d.to_string()),
            now.as_microsecond()
        ],
    )
    .context("storing a remedial action")?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn complete_action(
    conn: &Connection,
    id: i64,
    at: Timestamp,
    note: Option<&str>,
) -> Result<bool, StoreError> {
    if let Some(n) = note {
        check_text("note", n)?;
    }
    let n = conn
        .execute(
            "UPDATE remedial_actions SET status = 'done', done_at = ?2, note = coalesce(?3, note)
             WHERE id = ?1 AND status = 'open'",
            params![id, at.as_microsecond(), note],
        )
        .context("completing a remedial action")?;
    Ok(n > 0)
}

pub(crate) fn action(conn: &Connection, id: i64) -> Result<Option<RemedialAction>, StoreError> {
    Ok(actions_where(conn, Some(id), true)?.into_iter().next())
}

pub(crate) fn actions(
    conn: &Connection,
    include_done: bool,
) -> Result<Vec<RemedialAction>, StoreError> {
    actions_where(conn, None, include_done)
}

fn actions_where(
    conn: &Connection,
    id: Option<i64>,
    include_done: bool,
) -> Result<Vec<RemedialAction>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, incident, asset, action, owner, due, status, created_at, done_at, note
             FROM remedial_actions
             WHERE (?1 IS NULL OR id = ?1) AND (?2 OR status = 'open')
             ORDER BY status = 'done', due IS NULL, due, id",
        )
        .context("preparing the action query")?;
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        String,
        i64,
        Option<i64>,
        Option<String>,
    );
    let rows = stmt
        .query_map(params![id, include_done], |r| {
            Ok::<Row, rusqlite::Error>((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })
        .context("reading remedial actions")?;
    let mut out = Vec::new();
    for row in rows {
        let (id, incident, asset, action, owner, due, status, created, done, note) =
            row.context("reading a remedial action")?;
        let key = id.to_string();
        let due = due
            .map(|s| {
                s.parse::<Date>().map_err(|e| StoreError::Corrupt {
                    what: "remedial action",
                    id: key.clone(),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        let status = match status.as_str() {
            "done" => ActionStatus::Done,
            _ => ActionStatus::Open,
        };
        out.push(RemedialAction {
            id,
            action,
            owner,
            due,
            incident,
            asset,
            status,
            created_at: instant("remedial action", &key, created)?,
            done_at: done
                .map(|d| instant("remedial action", &key, d))
                .transpose()?,
            note,
        });
    }
    Ok(out)
}

/// Whether a stored incident exists.
pub(crate) fn has_incident(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row("SELECT 1 FROM incidents WHERE id = ?1", params![id], |_| {
            Ok(())
        })
        .optional()
        .context("looking up an incident")?
        .is_some())
}
