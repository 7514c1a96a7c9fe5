//! Scan snapshots in SQLite: storing one is a single immediate transaction that records the snapshot and
//! its packages, refreshes the findings still present, opens new ones and resolves the missing ones.

use crate::error::{Context, StoreError};
use crate::snapshots::{
    AssetRecord, SavedSnapshot, Snapshot, SnapshotRecord, StoredFinding, finding_key,
};
use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::BTreeMap;
use vigil_model::{Asset, Finding};

/// Longest asset name accepted.
const MAX_NAME: usize = 256;

pub(super) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(super) fn instant(what: &'static str, id: &str, us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt {
        what,
        id: id.to_string(),
        reason: e.to_string(),
    })
}

fn date(what: &'static str, id: &str, s: Option<String>) -> Result<Option<Date>, StoreError> {
    s.map(|s| {
        s.parse::<Date>().map_err(|e| StoreError::Corrupt {
            what,
            id: id.to_string(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

fn json<T: serde::Serialize>(what: &'static str, id: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|source| StoreError::Encode {
        what,
        id: id.to_string(),
        source,
    })
}

fn decode<T: serde::de::DeserializeOwned>(
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

pub(crate) fn save(conn: &mut Connection, snap: &Snapshot) -> Result<SavedSnapshot, StoreError> {
    let name = snap.asset.name.trim();
    let refuse = |reason: String| StoreError::Snapshot {
        asset: snap.asset.name.clone(),
        reason,
    };
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(refuse(format!(
            "the asset name must be 1 to {MAX_NAME} bytes without control characters"
        )));
    }
    let taken = micros(snap.taken_at);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting a snapshot")?;
    let tags = json("asset", name, &snap.asset.tags)?;
    tx.execute(
        "INSERT INTO assets (name, tags, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (name) DO UPDATE SET tags = excluded.tags,
             first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen)",
        params![name, tags, taken],
    )
    .context("recording the asset")?;

    // One finding per key: a package found in two files is one finding of the asset.
    let mut by_key: BTreeMap<String, &Finding> = BTreeMap::new();
    for f in &snap.findings {
        by_key.entry(finding_key(f)).or_insert(f);
    }
    tx.execute(
        "INSERT INTO snapshots (asset, taken_at, inputs, packages, findings, last_update)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            name,
            taken,
            json("snapshot", name, &snap.inputs)?,
            i64::try_from(snap.packages.len()).unwrap_or(i64::MAX),
            i64::try_from(by_key.len()).unwrap_or(i64::MAX),
            snap.last_update.map(|d| d.to_string()),
        ],
    )
    .context("recording the snapshot")?;
    let snapshot = tx.last_insert_rowid();
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO snapshot_packages (snapshot, ecosystem, name, version, source_name, file, line)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .context("recording the snapshot's packages")?;
        for p in &snap.packages {
            ins.execute(params![
                snapshot,
                p.ecosystem.as_str(),
                p.name,
                p.version,
                p.source_name,
                p.location.file,
                p.location.line,
            ])
            .context("recording the snapshot's packages")?;
        }
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO snapshot_findings (snapshot, key, severity, fix_released, due, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .context("recording the snapshot's findings")?;
        for (key, f) in &by_key {
            ins.execute(params![
                snapshot,
                key,
                f.severity.as_str(),
                f.fix_released.map(|d| d.to_string()),
                f.due.map(|d| d.to_string()),
                json("finding", key, f)?,
            ])
            .context("recording the snapshot's findings")?;
        }
    }
    let saved = rebuild_findings(&tx, name, snapshot)?;
    tx.commit().context("committing the snapshot")?;
    Ok(saved)
}

/// One row of `snapshot_findings`, as the replay needs it.
struct Present {
    severity: String,
    fix_released: Option<String>,
    due: Option<String>,
    json: String,
}

/// An occurrence of a finding while the replay builds it.
struct Occurrence {
    first_seen: i64,
    first_snapshot: i64,
    last_seen: i64,
    last_snapshot: i64,
    latest: Present,
}

/// Derives the asset's findings (occurrences with first seen, last seen and resolution) by replaying its
/// snapshots in the order they were taken, and counts what `stored` changed against the snapshot taken
/// just before it.
fn rebuild_findings(
    tx: &rusqlite::Transaction<'_>,
    asset: &str,
    stored: i64,
) -> Result<SavedSnapshot, StoreError> {
    const CONTEXT: &str = "replaying the asset's snapshots";
    let mut rows: Vec<(i64, i64, Option<String>, Option<Present>)> = Vec::new();
    {
        let mut stmt = tx
            .prepare_cached(
                "SELECT s.pk, s.taken_at, f.key, f.severity, f.fix_released, f.due, f.json
                 FROM snapshots s LEFT JOIN snapshot_findings f ON f.snapshot = s.pk
                 WHERE s.asset = ?1 ORDER BY s.taken_at, s.pk, f.key",
            )
            .context(CONTEXT)?;
        let mapped = stmt
            .query_map(params![asset], |r| {
                let key: Option<String> = r.get(2)?;
                let present = match key {
                    Some(_) => Some(Present {
                        severity: r.get(3)?,
                        fix_released: r.get(4)?,
                        due: r.get(5)?,
                        json: r.get(6)?,
                    }),
                    None => None,
                };
                Ok((r.get(0)?, r.get(1)?, key, present))
            })
            .context(CONTEXT)?;
        for row in mapped {
            rows.push(row.context(CONTEXT)?);
        }
    }
    tx.execute("DELETE FROM findings WHERE asset = ?1", params![asset])
        .context(CONTEXT)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO findings (asset, key, first_seen, last_seen, first_snapshot, last_snapshot,
                 resolved_at, resolved_snapshot, severity, fix_released, due, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .context(CONTEXT)?;
    let mut write = |key: &str, o: &Occurrence, resolved: Option<(i64, i64)>| {
        insert
            .execute(params![
                asset,
                key,
                o.first_seen,
                o.last_seen,
                o.first_snapshot,
                o.last_snapshot,
                resolved.map(|r| r.0),
                resolved.map(|r| r.1),
                o.latest.severity,
                o.latest.fix_released,
                o.latest.due,
                o.latest.json,
            ])
            .map(|_| ())
            .context(CONTEXT)
    };

    let mut open: BTreeMap<String, Occurrence> = BTreeMap::new();
    let mut saved = SavedSnapshot {
        snapshot: stored,
        ..SavedSnapshot::default()
    };
    let mut rows = rows.into_iter().peekable();
    while let Some((pk, taken, key, present)) = rows.next() {
        // Gather this snapshot's findings.
        let mut here: BTreeMap<String, Present> = BTreeMap::new();
        if let (Some(k), Some(p)) = (key, present) {
            here.insert(k, p);
        }
        while let Some((next_pk, ..)) = rows.peek() {
            if *next_pk != pk {
                break;
            }
            if let Some((_, _, Some(k), Some(p))) = rows.next() {
                here.insert(k, p);
            }
        }
        let counting = pk == stored;
        // Occurrences absent from this snapshot are resolved at its time.
        let gone: Vec<String> = open
            .keys()
            .filter(|k| !here.contains_key(*k))
            .cloned()
            .collect();
        for k in gone {
            if let Some(o) = open.remove(&k) {
                write(&k, &o, Some((taken, pk)))?;
                if counting {
                    saved.resolved += 1;
                }
            }
        }
        for (k, p) in here {
            match open.get_mut(&k) {
                Some(o) => {
                    o.last_seen = taken;
                    o.last_snapshot = pk;
                    o.latest = p;
                    if counting {
                        saved.still_open += 1;
                    }
                }
                None => {
                    open.insert(
                        k,
                        Occurrence {
                            first_seen: taken,
                            first_snapshot: pk,
                            last_seen: taken,
                            last_snapshot: pk,
                            latest: p,
                        },
                    );
                    if counting {
                        saved.new += 1;
                    }
                }
            }
        }
    }
    for (k, o) in &open {
        write(k, o, None)?;
    }
    Ok(saved)
}

fn asset_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, i64, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn asset_record(row: (String, String, i64, i64)) -> Result<AssetRecord, StoreError> {
    let (name, tags, first, last) = row;
    Ok(AssetRecord {
        first_seen: instant("asset", &name, first)?,
        last_seen: instant("asset", &name, last)?,
        asset: Asset {
            tags: decode("asset", &name, &tags)?,
            name,
        },
    })
}

pub(crate) fn assets(
    conn: &Connection,
    name: Option<&str>,
) -> Result<Vec<AssetRecord>, StoreError> {
    const CONTEXT: &str = "reading assets";
    let mut stmt = conn
        .prepare_cached(
            "SELECT name, tags, first_seen, last_seen FROM assets
             WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
        )
        .context(CONTEXT)?;
    let rows = stmt.query_map(params![name], asset_row).context(CONTEXT)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(asset_record(row.context(CONTEXT)?)?);
    }
    Ok(out)
}

pub(crate) fn snapshots(conn: &Connection, asset: &str) -> Result<Vec<SnapshotRecord>, StoreError> {
    const CONTEXT: &str = "reading snapshots";
    let mut stmt = conn
        .prepare_cached(
            "SELECT pk, taken_at, inputs, packages, findings, last_update FROM snapshots
             WHERE asset = ?1 ORDER BY taken_at, pk",
        )
        .context(CONTEXT)?;
    let rows = stmt
        .query_map(params![asset], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })
        .context(CONTEXT)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, taken, inputs, packages, findings, last_update) = row.context(CONTEXT)?;
        let label = format!("{asset} #{id}");
        out.push(SnapshotRecord {
            id,
            asset: asset.to_string(),
            taken_at: instant("snapshot", &label, taken)?,
            inputs: decode("snapshot", &label, &inputs)?,
            packages: usize::try_from(packages).unwrap_or(0),
            findings: usize::try_from(findings).unwrap_or(0),
            last_update: date("snapshot", &label, last_update)?,
        });
    }
    Ok(out)
}

pub(crate) fn findings(
    conn: &Connection,
    asset: &str,
    include_resolved: bool,
) -> Result<Vec<StoredFinding>, StoreError> {
    const CONTEXT: &str = "reading findings";
    let mut stmt = conn
        .prepare_cached(
            "SELECT key, first_seen, last_seen, resolved_at, json FROM findings
             WHERE asset = ?1 AND (?2 OR resolved_at IS NULL) ORDER BY first_seen, key, pk",
        )
        .context(CONTEXT)?;
    let rows = stmt
        .query_map(params![asset, include_resolved], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .context(CONTEXT)?;
    let mut out = Vec::new();
    for row in rows {
        let (key, first, last, resolved, body) = row.context(CONTEXT)?;
        out.push(StoredFinding {
            asset: asset.to_string(),
            first_seen: instant("finding", &key, first)?,
            last_seen: instant("finding", &key, last)?,
            resolved_at: resolved.map(|r| instant("finding", &key, r)).transpose()?,
            finding: decode("finding", &key, &body)?,
            key,
        });
    }
    Ok(out)
}

/// Whether an asset exists (used to tell "no such asset" from "no findings").
pub(crate) fn has_asset(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT 1 FROM assets WHERE name = ?1",
        params![name],
        |_| Ok(()),
    )
    .optional()
    .context("reading assets")
    .map(|r| r.is_some())
}
