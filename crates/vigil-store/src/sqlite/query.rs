//! Look-ups against the SQLite store, each a cached prepared statement over an index.

use crate::error::{Context, StoreError};
use crate::matching::Lookup;
use crate::store::{canonical_cve, canonical_kb};
use crate::types::{ProductMatch, SourceCounts, SourceState, SourceStatus, StoreStats};
use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::de::DeserializeOwned;
use vigil_model::{Advisory, Ecosystem, EpssScore, KevEntry, MicrosoftFix};

fn decode<T: DeserializeOwned>(what: &'static str, id: &str, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what,
        id: id.to_string(),
        reason: e.to_string(),
    })
}

fn timestamp(
    what: &'static str,
    key: &str,
    micros: Option<i64>,
) -> Result<Option<Timestamp>, StoreError> {
    micros
        .map(|us| {
            Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt {
                what,
                id: key.to_string(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// Decodes rows of `(id, json)` advisories.
fn advisories(
    conn: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    context: &'static str,
) -> Result<Vec<Advisory>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).context(context)?;
    let rows = stmt
        .query_map(params, |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .context(context)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, json) = row.context(context)?;
        out.push(decode("advisory", &id, &json)?);
    }
    Ok(out)
}

type LookupRow = (String, Option<String>, Option<String>, Option<String>);

fn lookup_row(r: &Row<'_>) -> rusqlite::Result<LookupRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

pub(crate) fn advisories_for(
    conn: &Connection,
    ecosystem: &Ecosystem,
    name: &str,
) -> Result<Vec<Advisory>, StoreError> {
    const CONTEXT: &str = "looking up the advisories of a package";
    let lookup = Lookup::new(ecosystem, name);
    let mut stmt = match &lookup {
        Lookup::Exact { .. } => conn.prepare_cached(
            "SELECT a.id, a.core, f.json,
                    CASE WHEN a.core IS NULL OR f.json IS NULL THEN a.json END
             FROM affected f JOIN advisories a ON a.pk = f.advisory
             WHERE a.withdrawn IS NULL AND f.base = ?1 AND f.name = ?2 AND f.ecosystem = ?3
             ORDER BY a.id",
        ),
        Lookup::DistroRelease { .. } => conn.prepare_cached(
            "SELECT a.id, a.core, f.json,
                    CASE WHEN a.core IS NULL OR f.json IS NULL THEN a.json END
             FROM affected f JOIN advisories a ON a.pk = f.advisory
             WHERE a.withdrawn IS NULL AND f.base = ?1 AND f.name = ?2
                 AND (f.release_key IS NULL OR f.release_key = ?3)
             ORDER BY a.id",
        ),
    }
    .context(CONTEXT)?;
    let rows = match &lookup {
        Lookup::Exact {
            ecosystem: eco,
            name,
        } => stmt.query_map(params![ecosystem.base(), name, eco], lookup_row),
        Lookup::DistroRelease {
            base,
            release_key,
            name,
        } => stmt.query_map(params![base, name, release_key], lookup_row),
    }
    .context(CONTEXT)?;
    let corrupt = |id: &str, e: serde_json::Error| StoreError::Corrupt {
        what: "advisory",
        id: id.to_string(),
        reason: e.to_string(),
    };
    let mut out: Vec<Advisory> = Vec::new();
    for row in rows {
        let (id, core, entries, json) = row.context(CONTEXT)?;
        // A distro package can match an advisory through two rows (with and without a release).
        if let Some(last) = out.last_mut().filter(|a| a.id == id) {
            if let Some(entries) = entries {
                let more: Vec<vigil_model::Affected> =
                    serde_json::from_str(&entries).map_err(|e| corrupt(&id, e))?;
                last.affected.extend(more);
            }
            continue;
        }
        let advisory = match (core, entries) {
            (Some(core), Some(entries)) => {
                let mut a: Advisory = serde_json::from_str(&core).map_err(|e| corrupt(&id, e))?;
                a.affected = serde_json::from_str(&entries).map_err(|e| corrupt(&id, e))?;
                a
            }
            // Rows written before schema version 4 hold only the full JSON.
            _ => super::narrow::decode_for(json.as_deref().unwrap_or_default(), &lookup)
                .map_err(|e| corrupt(&id, e))?,
        };
        out.push(advisory);
    }
    Ok(out)
}

pub(crate) fn advisory(conn: &Connection, id: &str) -> Result<Option<Advisory>, StoreError> {
    Ok(advisories(
        conn,
        "SELECT id, json FROM advisories WHERE id = ?1",
        params![id.trim()],
        "reading an advisory",
    )?
    .into_iter()
    .next())
}

pub(crate) fn advisories_for_alias(
    conn: &Connection,
    alias: &str,
) -> Result<Vec<Advisory>, StoreError> {
    advisories(
        conn,
        "SELECT id, json FROM advisories WHERE id = ?1
         UNION
         SELECT a.id, a.json FROM advisory_aliases al JOIN advisories a ON a.pk = al.advisory
         WHERE al.alias = ?1
         ORDER BY 1",
        params![alias.trim()],
        "looking up advisories by alias",
    )
}

pub(crate) fn aliases(conn: &Connection, id: &str) -> Result<Vec<String>, StoreError> {
    const CONTEXT: &str = "looking up the aliases of an advisory";
    let mut stmt = conn
        .prepare_cached(
            "SELECT al.alias FROM advisory_aliases al JOIN advisories a ON a.pk = al.advisory
             WHERE a.id = ?1
             UNION
             SELECT a.id FROM advisory_aliases al JOIN advisories a ON a.pk = al.advisory
             WHERE al.alias = ?1
             ORDER BY 1",
        )
        .context(CONTEXT)?;
    let rows = stmt
        .query_map([id.trim()], |r| r.get::<_, String>(0))
        .context(CONTEXT)?;
    rows.collect::<Result<Vec<_>, _>>().context(CONTEXT)
}

pub(crate) fn kev(conn: &Connection, cve: &str) -> Result<Option<KevEntry>, StoreError> {
    let cve = canonical_cve(cve);
    let json: Option<String> = conn
        .prepare_cached("SELECT json FROM kev WHERE cve = ?1")
        .and_then(|mut s| s.query_row([&cve], |r| r.get(0)).optional())
        .context("reading a KEV entry")?;
    json.map(|j| decode("KEV entry", &cve, &j)).transpose()
}

pub(crate) fn epss(conn: &Connection, cve: &str) -> Result<Option<EpssScore>, StoreError> {
    let cve = canonical_cve(cve);
    let row: Option<(f64, f64, String)> = conn
        .prepare_cached("SELECT epss, percentile, date FROM epss WHERE cve = ?1")
        .and_then(|mut s| {
            s.query_row([&cve], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .context("reading an EPSS score")?;
    row.map(|(epss, percentile, date)| {
        let date: Date = date.parse().map_err(|e: jiff::Error| StoreError::Corrupt {
            what: "EPSS score",
            id: cve.clone(),
            reason: e.to_string(),
        })?;
        Ok(EpssScore {
            cve: cve.clone(),
            epss,
            percentile,
            date,
        })
    })
    .transpose()
}

fn microsoft_fixes(
    conn: &Connection,
    sql: &str,
    param: &str,
) -> Result<Vec<MicrosoftFix>, StoreError> {
    const CONTEXT: &str = "looking up Microsoft fixes";
    let mut stmt = conn.prepare_cached(sql).context(CONTEXT)?;
    let rows = stmt
        .query_map([param], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .context(CONTEXT)?;
    let mut out = Vec::new();
    for row in rows {
        let (cve, json) = row.context(CONTEXT)?;
        out.push(decode("Microsoft fix", &cve, &json)?);
    }
    Ok(out)
}

const MICROSOFT_ORDER: &str = " ORDER BY cve, product COLLATE NOCASE, kb";

pub(crate) fn microsoft_fixes_for_cve(
    conn: &Connection,
    cve: &str,
) -> Result<Vec<MicrosoftFix>, StoreError> {
    microsoft_fixes(
        conn,
        &format!("SELECT cve, json FROM microsoft_fixes WHERE cve = ?1{MICROSOFT_ORDER}"),
        &canonical_cve(cve),
    )
}

pub(crate) fn microsoft_fixes_for_kb(
    conn: &Connection,
    kb: &str,
) -> Result<Vec<MicrosoftFix>, StoreError> {
    microsoft_fixes(
        conn,
        &format!("SELECT cve, json FROM microsoft_fixes WHERE kb = ?1{MICROSOFT_ORDER}"),
        &canonical_kb(kb),
    )
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn microsoft_fixes_for_product(
    conn: &Connection,
    product: &str,
    how: ProductMatch,
) -> Result<Vec<MicrosoftFix>, StoreError> {
    let product = product.trim();
    match how {
        ProductMatch::Exact => microsoft_fixes(
            conn,
            &format!(
                "SELECT cve, json FROM microsoft_fixes WHERE product = ?1 COLLATE NOCASE{MICROSOFT_ORDER}"
            ),
            product,
        ),
        ProductMatch::Substring => microsoft_fixes(
            conn,
            &format!(
                "SELECT cve, json FROM microsoft_fixes
                 WHERE product LIKE '%' || ?1 || '%' ESCAPE '\\'{MICROSOFT_ORDER}"
            ),
            &like_escape(product),
        ),
    }
}

fn source_status(r: &Row<'_>) -> rusqlite::Result<(SourceStatusRow, String)> {
    Ok((
        SourceStatusRow {
            origin: r.get(1)?,
            etag: r.get(2)?,
            last_modified: r.get(3)?,
            sha256: r.get(4)?,
            last_attempt_at: r.get(5)?,
            last_success_at: r.get(6)?,
            status: r.get(7)?,
            last_error: r.get(8)?,
            counts: [r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?],
        },
        r.get(0)?,
    ))
}

struct SourceStatusRow {
    origin: String,
    etag: Option<String>,
    last_modified: Option<String>,
    sha256: Option<String>,
    last_attempt_at: Option<i64>,
    last_success_at: Option<i64>,
    status: String,
    last_error: Option<String>,
    counts: [i64; 4],
}

pub(crate) fn sources(
    conn: &Connection,
    key: Option<&str>,
    now: Timestamp,
) -> Result<Vec<SourceStatus>, StoreError> {
    const CONTEXT: &str = "reading the sources";
    let mut stmt = conn
        .prepare_cached(
            "SELECT key, origin, etag, last_modified, sha256, last_attempt_at, last_success_at, status,
                 last_error, imported, skipped, withdrawn, removed
             FROM sources WHERE ?1 IS NULL OR key = ?1 ORDER BY key",
        )
        .context(CONTEXT)?;
    let rows = stmt.query_map([key], source_status).context(CONTEXT)?;
    let mut out = Vec::new();
    for row in rows {
        let (row, key) = row.context(CONTEXT)?;
        let status = match row.status.as_str() {
            "ok" => SourceState::Ok,
            "failed" => SourceState::Failed,
            other => {
                return Err(StoreError::Corrupt {
                    what: "source",
                    id: key,
                    reason: format!("unknown status {other:?}"),
                });
            }
        };
        let last_success_at = timestamp("source", &key, row.last_success_at)?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let [imported, skipped, withdrawn, removed] = row.counts;
        out.push(SourceStatus {
            origin: row.origin,
            status,
            etag: row.etag,
            last_modified: row.last_modified,
            sha256: row.sha256,
            last_attempt_at: timestamp("source", &key, row.last_attempt_at)?,
            last_success_at,
            last_error: row.last_error,
            imported: count(imported),
            skipped: count(skipped),
            withdrawn: count(withdrawn),
            removed: count(removed),
            age: last_success_at.map(|t| now.duration_since(t)),
            key,
        });
    }
    Ok(out)
}

fn count(conn: &Connection, sql: &str) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached(sql)
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .context("counting stored records")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn stats(conn: &Connection) -> Result<StoreStats, StoreError> {
    const CONTEXT: &str = "counting stored records per source";
    let mut stats = StoreStats {
        advisories: count(conn, "SELECT count(*) FROM advisories")?,
        withdrawn: count(
            conn,
            "SELECT count(*) FROM advisories WHERE withdrawn IS NOT NULL",
        )?,
        aliases: count(conn, "SELECT count(*) FROM advisory_aliases")?,
        kev: count(conn, "SELECT count(*) FROM kev")?,
        epss: count(conn, "SELECT count(*) FROM epss")?,
        microsoft: count(conn, "SELECT count(*) FROM microsoft_fixes")?,
        ..StoreStats::default()
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT s.key,
                 (SELECT count(*) FROM advisory_sources m WHERE m.source_key = s.key),
                 (SELECT count(*) FROM advisories a WHERE a.source_key = s.key),
                 (SELECT count(*) FROM kev k WHERE k.source_key = s.key),
                 (SELECT count(*) FROM epss e WHERE e.source_key = s.key),
                 (SELECT count(*) FROM microsoft_fixes f WHERE f.source_key = s.key)
             FROM sources s ORDER BY s.key",
        )
        .context(CONTEXT)?;
    let rows = stmt
        .query_map([], |r| {
            let n = |i: usize| -> rusqlite::Result<u64> {
                Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
            };
            Ok(SourceCounts {
                key: r.get(0)?,
                advisories: n(1)?,
                stored: n(2)?,
                kev: n(3)?,
                epss: n(4)?,
                microsoft: n(5)?,
            })
        })
        .context(CONTEXT)?;
    stats.by_source = rows.collect::<Result<_, _>>().context(CONTEXT)?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT f.ecosystem, count(DISTINCT f.advisory) FROM affected f
             JOIN advisories a ON a.pk = f.advisory WHERE a.withdrawn IS NULL
             GROUP BY f.ecosystem ORDER BY f.ecosystem",
        )
        .context(CONTEXT)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            ))
        })
        .context(CONTEXT)?;
    stats.by_ecosystem = rows.collect::<Result<_, _>>().context(CONTEXT)?;
    Ok(stats)
}
