//! Alerts in SQLite: raising with deduplication, transitions, escalation steps and the delivery history,
//! each one immediate transaction so that two processes (the service and a person's `vigil alerts ack`)
//! never interleave a read and a write of the same alert.

use super::SqliteStore;
use super::investigation::{decode, encode, instant, level};
use crate::alerts::{
    Alert, AlertAction, AlertChange, AlertEvent, AlertHistory, AlertState, AlertStore, Delivery,
    DeliveryOutcome, Evidence, Mark, NewAlert, Raised, check_text,
};
use crate::error::{Context, StoreError};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

const COLUMNS: &str = "id, dedup_key, subject, reference, severity, title, asset, evidence, state, \
    created_at, updated_at, updates, acknowledged_by, acknowledged_at, acknowledged_note, resolved_by, \
    resolved_at, resolved_note, escalation_level, next_escalation_at";

/// The name the link-signing secret is kept under.
const LINK_SECRET: &str = "alert-links";

/// An alert row as read, before its fields are decoded (decoding errors name the alert).
struct RawAlert {
    id: i64,
    dedup_key: String,
    subject: String,
    reference: String,
    severity: String,
    title: String,
    asset: Option<String>,
    evidence: String,
    state: String,
    created_at: i64,
    updated_at: i64,
    updates: i64,
    acknowledged: (Option<String>, Option<i64>, Option<String>),
    resolved: (Option<String>, Option<i64>, Option<String>),
    escalation_level: i64,
    next_escalation_at: Option<i64>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawAlert> {
    Ok(RawAlert {
        id: row.get(0)?,
        dedup_key: row.get(1)?,
        subject: row.get(2)?,
        reference: row.get(3)?,
        severity: row.get(4)?,
        title: row.get(5)?,
        asset: row.get(6)?,
        evidence: row.get(7)?,
        state: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        updates: row.get(11)?,
        acknowledged: (row.get(12)?, row.get(13)?, row.get(14)?),
        resolved: (row.get(15)?, row.get(16)?, row.get(17)?),
        escalation_level: row.get(18)?,
        next_escalation_at: row.get(19)?,
    })
}

const WHAT: &str = "alert";

fn corrupt(id: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        what: WHAT,
        id: id.to_string(),
        reason: reason.into(),
    }
}

fn mark(
    id: &str,
    (by, at, note): (Option<String>, Option<i64>, Option<String>),
) -> Result<Option<Mark>, StoreError> {
    match (by, at) {
        (Some(by), Some(at)) => Ok(Some(Mark {
            by,
            at: instant(WHAT, id, at)?,
            note,
        })),
        (None, None) => Ok(None),
        _ => Err(corrupt(id, "half of a mark is missing")),
    }
}

impl RawAlert {
    fn decode(self) -> Result<Alert, StoreError> {
        let id = self.id.to_string();
        let evidence: Vec<Evidence> = decode(WHAT, &id, &self.evidence)?;
        Ok(Alert {
            id: self.id,
            subject: self.subject.parse().map_err(|e: String| corrupt(&id, e))?,
            severity: level(WHAT, &id, &self.severity)?,
            state: self.state.parse().map_err(|e: String| corrupt(&id, e))?,
            created_at: instant(WHAT, &id, self.created_at)?,
            updated_at: instant(WHAT, &id, self.updated_at)?,
            updates: u32::try_from(self.updates).map_err(|e| corrupt(&id, e.to_string()))?,
            acknowledged: mark(&id, self.acknowledged)?,
            resolved: mark(&id, self.resolved)?,
            escalation_level: u32::try_from(self.escalation_level)
                .map_err(|e| corrupt(&id, e.to_string()))?,
            next_escalation_at: self
                .next_escalation_at
                .map(|us| instant(WHAT, &id, us))
                .transpose()?,
            dedup_key: self.dedup_key,
            reference: self.reference,
            title: self.title,
            asset: self.asset,
            evidence,
        })
    }
}

fn read_one(conn: &Connection, id: i64) -> Result<Option<Alert>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"))
        .context("preparing the alert look-up")?
        .query_row([id], raw)
        .optional()
        .context("reading an alert")?
        .map(RawAlert::decode)
        .transpose()
}

fn read_many(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Alert>, StoreError> {
    let mut stmt = conn
        .prepare_cached(sql)
        .context("preparing an alert query")?;
    let rows = stmt
        .query_map(params, raw)
        .context("listing alerts")?
        .collect::<Result<Vec<_>, _>>()
        .context("reading alerts")?;
    rows.into_iter().map(RawAlert::decode).collect()
}

/// One history row to append; the columns a kind does not use stay `None`.
#[derive(Default)]
struct EventRow<'a> {
    kind: &'a str,
    severity: Option<&'a str>,
    actor: Option<&'a str>,
    via_link: Option<bool>,
    channel: Option<&'a str>,
    recipient: Option<&'a str>,
    attempt: Option<u32>,
    level: Option<u32>,
    detail: Option<&'a str>,
}

fn append(
    tx: &Transaction<'_>,
    id: i64,
    at: Timestamp,
    e: &EventRow<'_>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO alert_events (alert, at, kind, severity, actor, via_link, channel, recipient,
                                   attempt, level, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .context("preparing the alert history insert")?
    .execute(params![
        id,
        at.as_microsecond(),
        e.kind,
        e.severity,
        e.actor,
        e.via_link,
        e.channel,
        e.recipient,
        e.attempt,
        e.level,
        e.detail
    ])
    .context("appending to an alert's history")?;
    Ok(())
}

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting an alert transaction")
}

fn raise(
    conn: &mut Connection,
    alert: &NewAlert,
    at: Timestamp,
    next_escalation: Option<Timestamp>,
) -> Result<Raised, StoreError> {
    let alert = alert.bounded()?;
    let evidence = encode(WHAT, &alert.dedup_key, &alert.evidence)?;
    let now = at.as_microsecond();
    let tx = immediate(conn)?;
    let live: Option<Alert> = {
        let mut stmt = tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE dedup_key = ?1 AND state <> 'resolved'"
            ))
            .context("preparing the dedup look-up")?;
        stmt.query_row([&alert.dedup_key], raw)
            .optional()
            .context("looking up a live alert of the key")?
            .map(RawAlert::decode)
            .transpose()?
    };
    let raised = match live {
        None => {
            tx.prepare_cached(
                "INSERT INTO alerts (dedup_key, subject, reference, severity, title, asset, evidence,
                                     state, created_at, updated_at, next_escalation_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?8, ?9)",
            )
            .context("preparing the alert insert")?
            .execute(params![
                alert.dedup_key,
                alert.subject.as_str(),
                alert.reference,
                alert.severity.as_str(),
                alert.title,
                alert.asset,
                evidence,
                now,
                next_escalation.map(|t| t.as_microsecond()),
            ])
            .context("opening an alert")?;
            let id = tx.last_insert_rowid();
            append(
                &tx,
                id,
                at,
                &EventRow {
                    kind: "raised",
                    severity: Some(alert.severity.as_str()),
                    ..EventRow::default()
                },
            )?;
            let stored = read_one(&tx, id)?.ok_or(StoreError::NoSuchAlert { id })?;
            Raised::Opened(stored)
        }
        Some(existing) => {
            let severity_raised = alert.severity > existing.severity;
            let severity = existing.severity.max(alert.severity);
            // A rise in severity on an alert nobody has acknowledged brings its escalation forward; an
            // acknowledged alert has a person on it and is not escalated again.
            let next = match (existing.state, severity_raised) {
                (AlertState::Open, true) => match (existing.next_escalation_at, next_escalation) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
                _ => existing.next_escalation_at,
            };
            tx.prepare_cached(
                "UPDATE alerts SET severity = ?2, title = ?3, asset = ?4, evidence = ?5,
                                   updated_at = ?6, updates = updates + 1, next_escalation_at = ?7
                 WHERE id = ?1",
            )
            .context("preparing the alert update")?
            .execute(params![
                existing.id,
                severity.as_str(),
                alert.title,
                alert.asset,
                evidence,
                now,
                next.map(|t| t.as_microsecond()),
            ])
            .context("updating an alert")?;
            append(
                &tx,
                existing.id,
                at,
                &EventRow {
                    kind: "updated",
                    severity: Some(severity.as_str()),
                    ..EventRow::default()
                },
            )?;
            let stored =
                read_one(&tx, existing.id)?.ok_or(StoreError::NoSuchAlert { id: existing.id })?;
            Raised::Updated {
                alert: stored,
                severity_raised,
                previous: Box::new(existing),
            }
        }
    };
    tx.commit().context("committing an alert")?;
    Ok(raised)
}

fn change(conn: &mut Connection, id: i64, change: &AlertChange) -> Result<Alert, StoreError> {
    check_text("name", &change.by, false)?;
    if let Some(note) = &change.note {
        check_text("note", note, true)?;
    }
    if let Some(nonce) = &change.token_nonce {
        check_text("link nonce", nonce, false)?;
    }
    let tx = immediate(conn)?;
    let stored = change_in(&tx, id, change)?;
    tx.commit().context("committing an alert change")?;
    Ok(stored)
}

/// The change inside a transaction the caller commits (with the trail entry that records it).
pub(super) fn change_in(
    tx: &Transaction<'_>,
    id: i64,
    change: &AlertChange,
) -> Result<Alert, StoreError> {
    let current = read_one(tx, id)?.ok_or(StoreError::NoSuchAlert { id })?;
    // A used link is refused as such, before the state is looked at; on any refusal the transaction
    // rolls back, so a genuine link refused for another reason stays usable.
    if let Some(nonce) = &change.token_nonce {
        let fresh = tx
            .prepare_cached(
                "INSERT INTO alert_links_used (nonce, alert, used_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (nonce) DO NOTHING",
            )
            .context("preparing the link record")?
            .execute(params![nonce, id, change.at.as_microsecond()])
            .context("recording a used link")?;
        if fresh == 0 {
            return Err(StoreError::AlertTokenUsed { id });
        }
    }
    if !current.state.allows(change.action) {
        let by = match (&current.resolved, &current.acknowledged) {
            (Some(m), _) | (None, Some(m)) => format!(" by {} at {}", m.by, m.at),
            (None, None) => String::new(),
        };
        return Err(StoreError::AlertTransition {
            id,
            action: change.action,
            state: current.state,
            by,
        });
    }
    let at = change.at.as_microsecond();
    let via_link = change.token_nonce.is_some();
    let ack = |tx: &Transaction<'_>| -> Result<(), StoreError> {
        tx.execute(
            "UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?2, acknowledged_at = ?3,
                               acknowledged_note = ?4, next_escalation_at = NULL
             WHERE id = ?1",
            params![id, change.by, at, change.note],
        )
        .context("acknowledging an alert")?;
        append(
            tx,
            id,
            change.at,
            &EventRow {
                kind: "acknowledged",
                actor: Some(&change.by),
                via_link: Some(via_link),
                detail: change.note.as_deref(),
                ..EventRow::default()
            },
        )
    };
    match change.action {
        AlertAction::Acknowledge => ack(tx)?,
        AlertAction::Resolve => {
            // Whoever resolves an alert nobody acknowledged has seen it: record both, at once.
            if current.state == AlertState::Open {
                ack(tx)?;
            }
            tx.execute(
                "UPDATE alerts SET state = 'resolved', resolved_by = ?2, resolved_at = ?3,
                                   resolved_note = ?4, next_escalation_at = NULL
                 WHERE id = ?1",
                params![id, change.by, at, change.note],
            )
            .context("resolving an alert")?;
            append(
                tx,
                id,
                change.at,
                &EventRow {
                    kind: "resolved",
                    actor: Some(&change.by),
                    via_link: Some(via_link),
                    detail: change.note.as_deref(),
                    ..EventRow::default()
                },
            )?;
        }
    }
    read_one(tx, id)?.ok_or(StoreError::NoSuchAlert { id })
}

fn escalate(
    conn: &mut Connection,
    id: i64,
    from_level: u32,
    at: Timestamp,
    contact: Option<&str>,
    next: Option<Timestamp>,
) -> Result<bool, StoreError> {
    let tx = immediate(conn)?;
    let to_level = from_level.saturating_add(1);
    let changed = tx
        .execute(
            "UPDATE alerts SET escalation_level = ?3, next_escalation_at = ?4
             WHERE id = ?1 AND state = 'open' AND escalation_level = ?2",
            params![id, from_level, to_level, next.map(|t| t.as_microsecond())],
        )
        .context("escalating an alert")?;
    if changed == 0 {
        return Ok(false);
    }
    append(
        &tx,
        id,
        at,
        &EventRow {
            kind: "escalated",
            level: Some(to_level),
            detail: contact,
            ..EventRow::default()
        },
    )?;
    tx.commit().context("committing an escalation")?;
    Ok(true)
}

fn record(conn: &mut Connection, id: i64, deliveries: &[Delivery]) -> Result<(), StoreError> {
    let tx = immediate(conn)?;
    if read_one(&tx, id)?.is_none() {
        return Err(StoreError::NoSuchAlert { id });
    }
    for d in deliveries {
        let (kind, error) = match &d.outcome {
            DeliveryOutcome::Delivered => ("delivered", None),
            DeliveryOutcome::Failed(e) => ("delivery_failed", Some(crate::alerts::clip(e, 1024))),
        };
        append(
            &tx,
            id,
            d.at,
            &EventRow {
                kind,
                channel: Some(&d.channel),
                recipient: Some(&d.recipient),
                attempt: Some(d.attempt),
                level: Some(d.level),
                detail: error.as_deref(),
                ..EventRow::default()
            },
        )?;
    }
    tx.commit().context("committing deliveries")?;
    Ok(())
}

type EventFields = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<String>,
    Option<String>,
    Option<u32>,
    Option<u32>,
    Option<String>,
);

fn event(id: i64, row: EventFields) -> Result<AlertEvent, StoreError> {
    let sid = id.to_string();
    let (at, kind, severity, actor, via_link, channel, recipient, attempt, lvl, detail) = row;
    let at = instant(WHAT, &sid, at)?;
    let missing = |what: &str| corrupt(&sid, format!("a {kind} entry has no {what}"));
    let severity = || -> Result<_, StoreError> {
        level(
            WHAT,
            &sid,
            severity.as_deref().ok_or_else(|| missing("severity"))?,
        )
    };
    Ok(match kind.as_str() {
        "raised" => AlertEvent::Raised {
            at,
            severity: severity()?,
        },
        "updated" => AlertEvent::Updated {
            at,
            severity: severity()?,
        },
        "acknowledged" | "resolved" => {
            let by = actor.ok_or_else(|| missing("actor"))?;
            let link = via_link.unwrap_or(false);
            if kind == "acknowledged" {
                AlertEvent::Acknowledged {
                    at,
                    by,
                    note: detail,
                    link,
                }
            } else {
                AlertEvent::Resolved {
                    at,
                    by,
                    note: detail,
                    link,
                }
            }
        }
        "escalated" => AlertEvent::Escalated {
            at,
            level: lvl.ok_or_else(|| missing("level"))?,
            contact: detail,
        },
        "delivered" | "delivery_failed" => AlertEvent::Delivery(Delivery {
            channel: channel.ok_or_else(|| missing("channel"))?,
            recipient: recipient.ok_or_else(|| missing("recipient"))?,
            at,
            attempt: attempt.ok_or_else(|| missing("attempt"))?,
            level: lvl.ok_or_else(|| missing("level"))?,
            outcome: if kind == "delivered" {
                DeliveryOutcome::Delivered
            } else {
                DeliveryOutcome::Failed(detail.unwrap_or_default())
            },
        }),
        other => return Err(corrupt(&sid, format!("unknown history entry '{other}'"))),
    })
}

fn history(conn: &Connection, id: i64, limit: usize) -> Result<AlertHistory, StoreError> {
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM alert_events WHERE alert = ?1")
        .context("preparing the history count")?
        .query_row([id], |r| r.get(0))
        .context("counting an alert's history")?;
    let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn
        .prepare_cached(
            "SELECT at, kind, severity, actor, via_link, channel, recipient, attempt, level, detail
             FROM (SELECT * FROM alert_events WHERE alert = ?1 ORDER BY pk DESC LIMIT ?2)
             ORDER BY pk",
        )
        .context("preparing the history query")?;
    let rows = stmt
        .query_map(params![id, limit_sql], |r| EventFields::try_from(r))
        .context("reading an alert's history")?
        .collect::<Result<Vec<EventFields>, _>>()
        .context("reading an alert's history")?;
    let events = rows
        .into_iter()
        .map(|row| event(id, row))
        .collect::<Result<Vec<_>, _>>()?;
    let shown = i64::try_from(events.len()).unwrap_or(i64::MAX);
    Ok(AlertHistory {
        omitted: u64::try_from(total.saturating_sub(shown)).unwrap_or(0),
        events,
    })
}

impl AlertStore for SqliteStore {
    fn raise_alert(
        &mut self,
        alert: &NewAlert,
        at: Timestamp,
        next_escalation: Option<Timestamp>,
    ) -> Result<Raised, StoreError> {
        raise(&mut self.conn, alert, at, next_escalation)
    }

    fn alert(&self, id: i64) -> Result<Option<Alert>, StoreError> {
        read_one(&self.conn, id)
    }

    fn alerts(&self, state: Option<AlertState>, limit: usize) -> Result<Vec<Alert>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match state {
            Some(state) => read_many(
                &self.conn,
                &format!("SELECT {COLUMNS} FROM alerts WHERE state = ?1 ORDER BY id DESC LIMIT ?2"),
                params![state.as_str(), limit],
            ),
            None => read_many(
                &self.conn,
                &format!("SELECT {COLUMNS} FROM alerts ORDER BY id DESC LIMIT ?1"),
                params![limit],
            ),
        }
    }

    fn alerts_with_key(&self, dedup_key: &str, limit: usize) -> Result<Vec<Alert>, StoreError> {
        read_many(
            &self.conn,
            &format!("SELECT {COLUMNS} FROM alerts WHERE dedup_key = ?1 ORDER BY id LIMIT ?2"),
            params![dedup_key, i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    fn alert_history(&self, id: i64, limit: usize) -> Result<AlertHistory, StoreError> {
        history(&self.conn, id, limit)
    }

    fn change_alert(&mut self, id: i64, c: &AlertChange) -> Result<Alert, StoreError> {
        change(&mut self.conn, id, c)
    }

    fn due_escalations(&self, now: Timestamp, limit: usize) -> Result<Vec<Alert>, StoreError> {
        read_many(
            &self.conn,
            &format!(
                "SELECT {COLUMNS} FROM alerts
                 WHERE state = 'open' AND next_escalation_at IS NOT NULL AND next_escalation_at <= ?1
                 ORDER BY next_escalation_at, id LIMIT ?2"
            ),
            params![
                now.as_microsecond(),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
        )
    }

    fn escalate_alert(
        &mut self,
        id: i64,
        from_level: u32,
        at: Timestamp,
        contact: Option<&str>,
        next_escalation: Option<Timestamp>,
    ) -> Result<bool, StoreError> {
        escalate(&mut self.conn, id, from_level, at, contact, next_escalation)
    }

    fn record_deliveries(&mut self, id: i64, deliveries: &[Delivery]) -> Result<(), StoreError> {
        record(&mut self.conn, id, deliveries)
    }

    fn alert_link_secret(&mut self, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        if candidate.len() < 16 {
            return Err(StoreError::InvalidValue {
                what: "link secret".into(),
                reason: "shorter than 16 bytes".into(),
            });
        }
        let tx = immediate(&mut self.conn)?;
        tx.execute(
            "INSERT INTO alert_secrets (name, secret) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            params![LINK_SECRET, candidate],
        )
        .context("storing the link secret")?;
        let secret: Vec<u8> = tx
            .query_row(
                "SELECT secret FROM alert_secrets WHERE name = ?1",
                [LINK_SECRET],
                |r| r.get(0),
            )
            .context("reading the link secret")?;
        tx.commit().context("committing the link secret")?;
        Ok(secret)
    }
}
