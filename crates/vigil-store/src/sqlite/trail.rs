//! The audit trail in SQLite: appends inside the caller's transaction (so a change and its entry commit
//! together), the head row written with each append, and verification streaming the rows in order.

use super::SqliteStore;
use super::investigation::instant;
use crate::alerts::{Alert, AlertChange};
use crate::error::{Context, StoreError};
use crate::trail::{
    ChainCheck, GENESIS, TrailDraft, TrailEntry, TrailHead, TrailStore, TrailVerdict, entry_hash,
};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

const COLUMNS: &str = "seq, at, actor, action, subject, detail, prev_hash, hash";

type RawEntry = (i64, i64, String, String, String, String, String, String);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawEntry> {
    RawEntry::try_from(row)
}

fn decode(r: RawEntry) -> Result<TrailEntry, StoreError> {
    let (seq, at, actor, action, subject, detail, prev_hash, hash) = r;
    Ok(TrailEntry {
        seq,
        at: instant("trail entry", &seq.to_string(), at)?,
        actor,
        action,
        subject,
        detail,
        prev_hash,
        hash,
    })
}

fn head(conn: &Connection) -> Result<TrailHead, StoreError> {
    let head = conn
        .prepare_cached("SELECT count, hash FROM trail_head WHERE id = 1")
        .context("preparing the trail head look-up")?
        .query_row([], |row| {
            Ok(TrailHead {
                count: row.get(0)?,
                hash: row.get(1)?,
            })
        })
        .optional()
        .context("reading the trail head")?;
    Ok(head.unwrap_or(TrailHead {
        count: 0,
        hash: GENESIS.to_string(),
    }))
}

/// Appends `draft` inside `tx`, chained to the recorded head.
pub(super) fn append(
    tx: &Transaction<'_>,
    draft: &TrailDraft,
    at: Timestamp,
) -> Result<TrailEntry, StoreError> {
    let d = draft.bounded();
    let prev = head(tx)?;
    let seq = prev.count + 1;
    let at_us = at.as_microsecond();
    let hash = entry_hash(
        seq, at_us, &d.actor, &d.action, &d.subject, &d.detail, &prev.hash,
    );
    tx.prepare_cached(&format!(
        "INSERT INTO trail ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))
    .context("preparing the trail append")?
    .execute(params![
        seq, at_us, d.actor, d.action, d.subject, d.detail, prev.hash, hash
    ])
    .context("appending to the audit trail")?;
    tx.prepare_cached(
        "INSERT INTO trail_head (id, count, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET count = excluded.count, hash = excluded.hash",
    )
    .context("preparing the trail head update")?
    .execute(params![seq, hash])
    .context("moving the trail head")?;
    Ok(TrailEntry {
        seq,
        at,
        actor: d.actor,
        action: d.action,
        subject: d.subject,
        detail: d.detail,
        prev_hash: prev.hash,
        hash,
    })
}

pub(super) fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting a transaction")
}

fn read(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<TrailEntry>, StoreError> {
    let mut stmt = conn
        .prepare_cached(sql)
        .context("preparing a trail query")?;
    let rows = stmt
        .query_map(p, raw)
        .context("reading the audit trail")?
        .collect::<Result<Vec<_>, _>>()
        .context("reading the audit trail")?;
    rows.into_iter().map(decode).collect()
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl TrailStore for SqliteStore {
    fn append_trail(
        &mut self,
        draft: &TrailDraft,
        at: Timestamp,
    ) -> Result<TrailEntry, StoreError> {
        let tx = immediate(&mut self.conn)?;
        let entry = append(&tx, draft, at)?;
        tx.commit().context("committing a trail entry")?;
        Ok(entry)
    }

    fn trail(&self, after_seq: i64, n: usize) -> Result<Vec<TrailEntry>, StoreError> {
        read(
            &self.conn,
            &format!("SELECT {COLUMNS} FROM trail WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
            params![after_seq, limit(n)],
        )
    }

    fn trail_latest(&self, n: usize) -> Result<Vec<TrailEntry>, StoreError> {
        read(
            &self.conn,
            &format!("SELECT {COLUMNS} FROM trail ORDER BY seq DESC LIMIT ?1"),
            params![limit(n)],
        )
    }

    fn verify_trail(&self) -> Result<TrailVerdict, StoreError> {
        // One read transaction, so the head and the rows are of the same moment.
        let tx = self
            .conn
            .unchecked_transaction()
            .context("starting the trail read")?;
        let head = head(&tx)?;
        let mut check = ChainCheck::default();
        {
            // Ordered by rowid as stored, not by seq, so that a reordering shows as one.
            let mut stmt = tx
                .prepare(&format!("SELECT {COLUMNS} FROM trail ORDER BY rowid"))
                .context("preparing the trail read")?;
            let mut rows = stmt.query([]).context("reading the audit trail")?;
            while let Some(row) = rows.next().context("reading the audit trail")? {
                let entry = decode(raw(row).context("reading the audit trail")?)?;
                check.push(&entry);
            }
        }
        Ok(check.finish(head))
    }

    fn trail_seq_of(&self, hash: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT seq FROM trail WHERE hash = ?1 ORDER BY seq LIMIT 1")
            .context("preparing the trail hash look-up")?
            .query_row([hash], |row| row.get(0))
            .optional()
            .context("looking up a trail hash")
    }

    fn change_alert_recorded(
        &mut self,
        id: i64,
        change: &AlertChange,
        actor: &str,
    ) -> Result<Alert, StoreError> {
        crate::alerts::check_text("name", &change.by, false)?;
        if let Some(note) = &change.note {
            crate::alerts::check_text("note", note, true)?;
        }
        let tx = immediate(&mut self.conn)?;
        let alert = super::alerts::change_in(&tx, id, change)?;
        append(
            &tx,
            &TrailDraft::new(
                actor,
                format!("alert.{}", change.action),
                format!("alert:{id}"),
                change.note.clone().unwrap_or_default(),
            ),
            change.at,
        )?;
        tx.commit().context("committing an alert change")?;
        Ok(alert)
    }

    fn complete_action_recorded(
        &mut self,
        id: i64,
        at: Timestamp,
        note: Option<&str>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let tx = immediate(&mut self.conn)?;
        if !super::investigation::complete_action(&tx, id, at, note)? {
            return Ok(false);
        }
        append(
            &tx,
            &TrailDraft::new(
                actor,
                "plan.done",
                format!("action:{id}"),
                note.unwrap_or_default(),
            ),
            at,
        )?;
        tx.commit().context("committing a remedial action")?;
        Ok(true)
    }

    fn add_action_recorded(
        &mut self,
        action: &crate::NewAction,
        at: Timestamp,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let tx = immediate(&mut self.conn)?;
        let id = super::investigation::add_action(&tx, action, at)?;
        let mut detail = action.action.trim().to_string();
        if let Some(owner) = &action.owner {
            detail.push_str(&format!("; owner {owner}"));
        }
        if let Some(due) = action.due {
            detail.push_str(&format!("; due {due}"));
        }
        if let Some(incident) = &action.incident {
            detail.push_str(&format!("; incident {incident}"));
        }
        append(
            &tx,
            &TrailDraft::new(actor, "plan.add", format!("action:{id}"), detail),
            at,
        )?;
        tx.commit().context("committing a remedial action")?;
        Ok(id)
    }

    fn add_exception_recorded(
        &mut self,
        exception: &crate::NewException,
        at: Timestamp,
        actor: &str,
    ) -> Result<i64, StoreError> {
        super::exceptions::add(&mut self.conn, exception, at, actor)
    }

    fn save_incident_record_recorded(
        &mut self,
        incident: &str,
        record: &serde_json::Value,
        actor: &str,
        at: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        super::records::save(&mut self.conn, incident, record, actor, at)
    }
}
