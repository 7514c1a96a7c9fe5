//! Exceptions to findings made in the console, in SQLite: appended with their trail entry in one
//! transaction, read per asset or all.

use super::investigation::instant;
use crate::error::{Context, StoreError};
use crate::investigation::{FindingException, NewException};
use crate::trail::TrailDraft;
use jiff::Timestamp;
use rusqlite::{Connection, params};

/// Longest reason kept.
pub const MAX_REASON: usize = 4096;
/// Longest asset, advisory or package name kept.
const MAX_NAME: usize = 256;

pub(super) fn add(
    conn: &mut Connection,
    e: &NewException,
    at: Timestamp,
    actor: &str,
) -> Result<i64, StoreError> {
    let invalid = |reason: String| StoreError::InvalidValue {
        what: "exception".into(),
        reason,
    };
    let (asset, advisory, reason) = (e.asset.trim(), e.advisory.trim(), e.reason.trim());
    let package = e
        .package
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if asset.is_empty() || advisory.is_empty() || reason.is_empty() {
        return Err(invalid(
            "the asset, the advisory and the reason are required".into(),
        ));
    }
    if [asset, advisory, package.unwrap_or_default()]
        .iter()
        .any(|s| s.len() > MAX_NAME)
    {
        return Err(invalid(format!("a name is longer than {MAX_NAME} bytes")));
    }
    if reason.len() > MAX_REASON {
        return Err(invalid(format!(
            "the reason is longer than {MAX_REASON} bytes"
        )));
    }
    let tx = super::trail::immediate(conn)?;
    tx.prepare_cached(
        "INSERT INTO finding_exceptions
             (asset, advisory, package, reason, expires, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .context("preparing the exception insert")?
    .execute(params![
        asset,
        advisory,
        package,
        reason,
        e.expires.to_string(),
        actor,
        at.as_microsecond()
    ])
    .context("storing an exception")?;
    let id = tx.last_insert_rowid();
    let what = match package {
        Some(p) => format!("{asset}: {advisory} in {p}"),
        None => format!("{asset}: {advisory}"),
    };
    super::trail::append(
        &tx,
        &TrailDraft::new(
            actor,
            "finding.ignore",
            format!("exception:{id}"),
            format!("{what}, until {}: {reason}", e.expires),
        ),
        at,
    )?;
    tx.commit().context("committing an exception")?;
    Ok(id)
}

pub(super) fn list(
    conn: &Connection,
    asset: Option<&str>,
) -> Result<Vec<FindingException>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, asset, advisory, package, reason, expires, created_by, created_at
             FROM finding_exceptions WHERE ?1 IS NULL OR asset = ?1 ORDER BY id",
        )
        .context("preparing the exceptions look-up")?;
    type Raw = (
        i64,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        i64,
    );
    let rows = stmt
        .query_map(params![asset], |r| Raw::try_from(r))
        .context("reading exceptions")?
        .collect::<Result<Vec<Raw>, _>>()
        .context("reading exceptions")?;
    rows.into_iter()
        .map(
            |(id, asset, advisory, package, reason, expires, created_by, at)| {
                let key = id.to_string();
                Ok(FindingException {
                    expires: expires
                        .parse()
                        .map_err(|e: jiff::Error| StoreError::Corrupt {
                            what: "exception",
                            id: key.clone(),
                            reason: e.to_string(),
                        })?,
                    created_at: instant("exception", &key, at)?,
                    id,
                    asset,
                    advisory,
                    package,
                    reason,
                    created_by,
                })
            },
        )
        .collect()
}
