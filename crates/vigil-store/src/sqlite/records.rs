//! The incident records in SQLite: one row per incident, its JSON replaced whole on each save, in the
//! same transaction as the trail entry that names the fields changed.

use super::investigation::{decode, instant};
use crate::error::{Context, StoreError};
use crate::investigation::{MAX_RECORD_BYTES, StoredRecord, changed_fields};
use crate::trail::TrailDraft;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

pub(super) fn get(conn: &Connection, incident: &str) -> Result<Option<StoredRecord>, StoreError> {
    let row: Option<(String, String, String, i64)> = conn
        .prepare_cached(
            "SELECT incident, json, saved_by, saved_at FROM incident_records WHERE incident = ?1",
        )
        .context("preparing the incident record look-up")?
        .query_row(params![incident], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()
        .context("reading an incident record")?;
    row.map(|(incident, json, saved_by, saved_at)| {
        Ok(StoredRecord {
            record: decode("incident record", &incident, &json)?,
            saved_at: instant("incident record", &incident, saved_at)?,
            incident,
            saved_by,
        })
    })
    .transpose()
}

/// Saves `record` for `incident` with its trail entry in one transaction; the fields changed (none:
/// nothing written, nothing recorded).
pub(super) fn save(
    conn: &mut Connection,
    incident: &str,
    record: &serde_json::Value,
    actor: &str,
    at: Timestamp,
) -> Result<Vec<String>, StoreError> {
    let invalid = |reason: String| StoreError::InvalidValue {
        what: "incident record".into(),
        reason,
    };
    if !record.is_object() {
        return Err(invalid("it is not a JSON object".into()));
    }
    let trimmed = incident.trim();
    if trimmed.is_empty() || trimmed.len() > crate::trail::MAX_FIELD {
        return Err(invalid(format!(
            "the incident id is empty or longer than {} bytes",
            crate::trail::MAX_FIELD
        )));
    }
    let json = serde_json::to_string(record).map_err(|source| StoreError::Encode {
        what: "incident record",
        id: trimmed.to_string(),
        source,
    })?;
    if json.len() > MAX_RECORD_BYTES {
        return Err(invalid(format!("longer than {MAX_RECORD_BYTES} bytes")));
    }
    let tx = super::trail::immediate(conn)?;
    let old = get(&tx, trimmed)?.map(|r| r.record);
    let changed = changed_fields(old.as_ref().unwrap_or(&serde_json::Value::Null), record);
    if changed.is_empty() {
        return Ok(changed);
    }
    tx.prepare_cached(
        "INSERT INTO incident_records (incident, json, saved_by, saved_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (incident) DO UPDATE SET
             json = excluded.json, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
    )
    .context("preparing the incident record save")?
    .execute(params![trimmed, json, actor, at.as_microsecond()])
    .context("saving an incident record")?;
    // The names of the fields, not their values: the values are personal data (names, phone numbers,
    // how many patients) that must stay correctable and erasable, which an append-only trail is not.
    super::trail::append(
        &tx,
        &TrailDraft::new(
            actor,
            "incident.record",
            format!("incident:{trimmed}"),
            format!("changed: {}", changed.join(", ")),
        ),
        at,
    )?;
    tx.commit().context("committing an incident record")?;
    Ok(changed)
}
