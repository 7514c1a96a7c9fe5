//! Imports into SQLite: one immediate transaction per import, prepared statements held for its whole
//! length, and nothing re-parsed.

use crate::error::{Context, StoreError};
use crate::matching::AffectedKey;
use crate::store::{ImportSink, Producer, canonical_cve, canonical_kb};
use crate::types::{ImportSummary, SourceHeader};
use jiff::Timestamp;
use rusqlite::{CachedStatement, Connection, OptionalExtension, TransactionBehavior, params};
use vigil_model::{Advisory, EpssScore, KevEntry, MicrosoftFix};

/// Longest accepted identifier (advisory id, alias, CVE, KB, source key), in bytes.
const MAX_ID_LEN: usize = 256;
/// Longest failure message kept for a source.
const MAX_ERROR_LEN: usize = 4000;

/// Checks an identifier: present, short, one token.
fn check_id(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        return Err("the identifier is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("the identifier is longer than {MAX_ID_LEN} bytes"));
    }
    if id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("the identifier contains white space or control characters".into());
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), StoreError> {
    let reason = if key.trim().is_empty() {
        "it is empty"
    } else if key.len() > MAX_ID_LEN {
        "it is too long"
    } else if key.chars().any(char::is_control) {
        "it contains control characters"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidSourceKey {
        key: key.chars().take(MAX_ID_LEN).collect(),
        reason: reason.into(),
    })
}

/// Runs one import: everything `producer` hands over, or nothing.
pub(crate) fn run(
    conn: &mut Connection,
    header: &SourceHeader,
    producer: &mut Producer<'_>,
    now: Timestamp,
) -> Result<ImportSummary, StoreError> {
    check_key(&header.key)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting an import")?;
    let summary = {
        let mut importer = Importer::begin(&tx, header, now)?;
        producer(&mut importer).map_err(|error| match error {
            StoreError::Aborted { key, reason } if key.is_empty() => StoreError::Aborted {
                key: header.key.clone(),
                reason,
            },
            other => other,
        })?;
        if let Some(reason) = importer.poisoned.take() {
            // The producer carried on after a failed write: the import is incomplete.
            return Err(StoreError::Aborted {
                key: header.key.clone(),
                reason: format!("a write failed part-way: {reason}"),
            });
        }
        importer.finish()?
    };
    tx.commit().context("committing an import")?;
    Ok(summary)
}

/// Records a failed update of `key`; its data and last success stay as they were.
pub(crate) fn record_failure(
    conn: &mut Connection,
    key: &str,
    origin: &str,
    error: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    check_key(key)?;
    let mut message: String = error.chars().take(MAX_ERROR_LEN).collect();
    if message.len() < error.len() {
        message.push('…');
    }
    conn.prepare_cached(
        "INSERT INTO sources (key, origin, status, last_error, last_attempt_at)
         VALUES (?1, ?2, 'failed', ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET
             origin = CASE WHEN excluded.origin = '' THEN origin ELSE excluded.origin END,
             status = 'failed', last_error = excluded.last_error,
             last_attempt_at = excluded.last_attempt_at",
    )
    .and_then(|mut stmt| stmt.execute(params![key, origin, message, now.as_microsecond()]))
    .context("recording a failed source update")?;
    Ok(())
}

/// Marks a source that was found unchanged as current. A source never imported before has nothing to be
/// current about, so that is an error rather than a silent "ok".
pub(crate) fn record_unchanged(
    conn: &mut Connection,
    key: &str,
    origin: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    check_key(key)?;
    let changed = conn
        .prepare_cached(
            "UPDATE sources SET status = 'ok', last_error = NULL, last_attempt_at = ?3,
                 last_success_at = ?3,
                 origin = CASE WHEN ?2 = '' THEN origin ELSE ?2 END
             WHERE key = ?1 AND last_success_at IS NOT NULL",
        )
        .and_then(|mut stmt| stmt.execute(params![key, origin, now.as_microsecond()]))
        .context("recording an unchanged source")?;
    if changed == 0 {
        return Err(StoreError::abort(format!(
            "source {key} was reported unchanged but has never been imported"
        )));
    }
    Ok(())
}

/// The sink of one import, holding its prepared statements.
struct Importer<'t> {
    header: &'t SourceHeader,
    now: Timestamp,
    summary: ImportSummary,
    /// Set when a write failed part-way: the transaction must not be committed even if the producer
    /// ignores the error.
    poisoned: Option<String>,
    counts: [usize; 4],
    add_member: CachedStatement<'t>,
    find: CachedStatement<'t>,
    stored_json: CachedStatement<'t>,
    insert: CachedStatement<'t>,
    update: CachedStatement<'t>,
    clear_affected: CachedStatement<'t>,
    clear_aliases: CachedStatement<'t>,
    add_alias: CachedStatement<'t>,
    add_affected: CachedStatement<'t>,
    put_kev: CachedStatement<'t>,
    put_epss: CachedStatement<'t>,
    put_microsoft: CachedStatement<'t>,
    tx: &'t Connection,
}

/// Indices into `Importer::counts`, the record positions for error messages.
const ADVISORY: usize = 0;
const KEV: usize = 1;
const EPSS: usize = 2;
const MICROSOFT: usize = 3;

impl<'t> Importer<'t> {
    fn begin(
        tx: &'t Connection,
        header: &'t SourceHeader,
        now: Timestamp,
    ) -> Result<Self, StoreError> {
        let key = header.key.as_str();
        tx.prepare_cached(
            "INSERT INTO sources (key, origin, status, last_attempt_at) VALUES (?1, ?2, 'failed', ?3)
             ON CONFLICT (key) DO NOTHING",
        )
        .and_then(|mut s| s.execute(params![key, header.origin, now.as_microsecond()]))
        .context("registering the source of an import")?;
        if header.replace {
            // Remember what the source had: those of its advisories it no longer has and no other source
            // provides are removed at the end.
            tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS replaced (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
                 DELETE FROM temp.replaced;",
            )
            .context("preparing a replacing import")?;
            for sql in [
                "INSERT INTO temp.replaced (id) SELECT advisory_id FROM advisory_sources WHERE source_key = ?1",
                "DELETE FROM advisory_sources WHERE source_key = ?1",
                "DELETE FROM kev WHERE source_key = ?1",
                "DELETE FROM epss WHERE source_key = ?1",
                "DELETE FROM microsoft_fixes WHERE source_key = ?1",
            ] {
                tx.prepare_cached(sql)
                    .and_then(|mut s| s.execute([key]))
                    .context("clearing the previous data of a replaced source")?;
            }
        }
        let prep = |sql: &str| {
            tx.prepare_cached(sql)
                .context("preparing the import statements")
        };
        Ok(Importer {
            header,
            now,
            summary: ImportSummary {
                key: header.key.clone(),
                replace: header.replace,
                ..ImportSummary::default()
            },
            poisoned: None,
            counts: [0; 4],
            add_member: prep(
                "INSERT INTO advisory_sources (source_key, advisory_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
            )?,
            find: prep("SELECT pk, modified, source_key FROM advisories WHERE id = ?1")?,
            stored_json: prep("SELECT json FROM advisories WHERE pk = ?1")?,
            insert: prep(
                "INSERT INTO advisories
                     (id, source_key, source, modified, published, withdrawn, summary, json, core)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING pk",
            )?,
            update: prep(
                "UPDATE advisories SET source_key = ?2, source = ?3, modified = ?4, published = ?5,
                     withdrawn = ?6, summary = ?7, json = ?8, core = ?9
                 WHERE id = ?1",
            )?,
            clear_affected: prep("DELETE FROM affected WHERE advisory = ?1")?,
            clear_aliases: prep("DELETE FROM advisory_aliases WHERE advisory = ?1")?,
            add_alias: prep("INSERT OR IGNORE INTO advisory_aliases (advisory, alias) VALUES (?1, ?2)")?,
            add_affected: prep(
                "INSERT INTO affected (base, name, ecosystem, advisory, release_key, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            put_kev: prep(
                "INSERT INTO kev (cve, source_key, date_added, due_date, known_ransomware, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (cve) DO UPDATE SET source_key = excluded.source_key,
                     date_added = excluded.date_added, due_date = excluded.due_date,
                     known_ransomware = excluded.known_ransomware, json = excluded.json",
            )?,
            put_epss: prep(
                "INSERT INTO epss (cve, source_key, epss, percentile, date) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (cve) DO UPDATE SET source_key = excluded.source_key,
                     epss = excluded.epss, percentile = excluded.percentile, date = excluded.date",
            )?,
            put_microsoft: prep(
                "INSERT INTO microsoft_fixes (cve, product, product_id, kb, source_key, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (cve, product_id, kb) DO UPDATE SET product = excluded.product,
                     source_key = excluded.source_key, json = excluded.json",
            )?,
            tx,
        })
    }

    /// The position of the next record of `kind`, counting it.
    fn next_index(&mut self, kind: usize) -> usize {
        let slot = self.counts.get_mut(kind);
        match slot {
            Some(count) => {
                let index = *count;
                *count += 1;
                index
            }
            None => 0,
        }
    }

    fn invalid(&self, index: usize, what: &'static str, id: &str, reason: String) -> StoreError {
        StoreError::InvalidRecord {
            key: self.header.key.clone(),
            index,
            what,
            id: id.chars().take(MAX_ID_LEN).collect(),
            reason,
        }
    }

    /// Marks the import as failed after a write error.
    fn poison(&mut self, error: StoreError) -> StoreError {
        if self.poisoned.is_none() {
            self.poisoned = Some(error.to_string());
        }
        error
    }

    fn write_advisory(&mut self, advisory: &Advisory) -> Result<(), StoreError> {
        let key = self.header.key.as_str();
        let id = advisory.id.as_str();
        let modified = advisory.modified.as_microsecond();
        self.add_member
            .execute(params![key, id])
            .context("recording an advisory's source")?;
        let existing: Option<(i64, i64, String)> = self
            .find
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .context("looking up a stored advisory")?;
        if let Some((_, stored, _)) = &existing
            && *stored > modified
        {
            self.summary.superseded += 1;
            return Ok(());
        }
        let json = serde_json::to_string(advisory).map_err(|source| StoreError::Encode {
            what: "advisory",
            id: id.to_string(),
            source,
        })?;
        let core =
            crate::sqlite::narrow::core_json(advisory).map_err(|source| StoreError::Encode {
                what: "advisory",
                id: id.to_string(),
                source,
            })?;
        let row = params![
            id,
            key,
            advisory.source,
            modified,
            advisory.published.map(|t| t.as_microsecond()),
            advisory.withdrawn.map(|t| t.as_microsecond()),
            advisory.summary,
            json,
            core,
        ];
        let pk = match existing {
            Some((pk, stored, owner)) => {
                if stored == modified && owner == key {
                    let same: String = self
                        .stored_json
                        .query_row([pk], |r| r.get(0))
                        .context("reading a stored advisory")?;
                    if same == json {
                        self.summary.advisories += 1;
                        return Ok(());
                    }
                }
                self.update.execute(row).context("updating an advisory")?;
                self.clear_affected
                    .execute([pk])
                    .context("updating an advisory's packages")?;
                self.clear_aliases
                    .execute([pk])
                    .context("updating an advisory's aliases")?;
                pk
            }
            None => self
                .insert
                .query_row(row, |r| r.get::<_, i64>(0))
                .context("inserting an advisory")?,
        };
        for alias in &advisory.aliases {
            let alias = alias.trim();
            if alias.is_empty() || alias == id || check_id(alias).is_err() {
                continue;
            }
            self.add_alias
                .execute(params![pk, alias])
                .context("inserting an advisory alias")?;
        }
        // One row per package, holding the JSON of that package's entries (usually one).
        let mut groups: Vec<(AffectedKey, Vec<&vigil_model::Affected>)> = Vec::new();
        for affected in &advisory.affected {
            let package = &affected.package;
            let k = AffectedKey::new(&package.ecosystem, &package.name);
            if k.name.is_empty() || k.ecosystem.trim().is_empty() {
                continue;
            }
            match groups.iter_mut().find(|(g, _)| *g == k) {
                Some((_, entries)) => entries.push(affected),
                None => groups.push((k, vec![affected])),
            }
        }
        for (k, entries) in groups {
            let entries_json =
                serde_json::to_string(&entries).map_err(|source| StoreError::Encode {
                    what: "advisory",
                    id: id.to_string(),
                    source,
                })?;
            self.add_affected
                .execute(params![
                    k.base,
                    k.name,
                    k.ecosystem,
                    pk,
                    k.release_key,
                    entries_json
                ])
                .context("inserting an affected package")?;
        }
        self.summary.advisories += 1;
        Ok(())
    }

    fn finish(self) -> Result<ImportSummary, StoreError> {
        let key = self.header.key.as_str();
        let mut summary = self.summary;
        let tx = self.tx;
        drop((
            self.add_member,
            self.find,
            self.stored_json,
            self.insert,
            self.update,
            self.clear_affected,
            self.clear_aliases,
            self.add_alias,
            self.add_affected,
            self.put_kev,
            self.put_epss,
            self.put_microsoft,
        ));
        if self.header.replace {
            summary.removed = tx
                .prepare_cached(
                    "DELETE FROM advisories WHERE id IN (
                         SELECT r.id FROM temp.replaced r WHERE NOT EXISTS (
                             SELECT 1 FROM advisory_sources s WHERE s.advisory_id = r.id))",
                )
                .and_then(|mut s| s.execute([]))
                .context("removing advisories a source no longer has")?;
            // Rows this source wrote but no longer provides, still provided by another source, now
            // belong to that one.
            tx.prepare_cached(
                "UPDATE advisories SET source_key = COALESCE(
                     (SELECT min(s.source_key) FROM advisory_sources s WHERE s.advisory_id = advisories.id),
                     source_key)
                 WHERE id IN (SELECT id FROM temp.replaced) AND source_key = ?1 AND NOT EXISTS (
                     SELECT 1 FROM advisory_sources s
                     WHERE s.source_key = ?1 AND s.advisory_id = advisories.id)",
            )
            .and_then(|mut s| s.execute([key]))
            .context("handing over advisories a source no longer has")?;
            tx.execute("DELETE FROM temp.replaced", [])
                .context("finishing a replacing import")?;
        }
        let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        tx.prepare_cached(
            "UPDATE sources SET origin = ?2, etag = ?3, last_modified = ?4, sha256 = ?5,
                 last_attempt_at = ?6, last_success_at = ?6, status = 'ok', last_error = NULL,
                 imported = ?7, skipped = ?8, withdrawn = ?9, removed = ?10
             WHERE key = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                key,
                self.header.origin,
                self.header.etag,
                self.header.last_modified,
                self.header.sha256,
                self.now.as_microsecond(),
                as_i64(summary.imported()),
                as_i64(summary.skipped),
                as_i64(summary.withdrawn),
                as_i64(summary.removed),
            ])
        })
        .context("recording a successful import")?;
        Ok(summary)
    }
}

impl ImportSink for Importer<'_> {
    fn advisory(&mut self, advisory: &Advisory) -> Result<(), StoreError> {
        let index = self.next_index(ADVISORY);
        check_id(&advisory.id).map_err(|r| self.invalid(index, "advisory", &advisory.id, r))?;
        if advisory.withdrawn.is_some() {
            self.summary.withdrawn += 1;
        }
        self.write_advisory(advisory).map_err(|e| self.poison(e))
    }

    fn kev(&mut self, entry: &KevEntry) -> Result<(), StoreError> {
        let index = self.next_index(KEV);
        check_id(&entry.cve).map_err(|r| self.invalid(index, "KEV entry", &entry.cve, r))?;
        let json = serde_json::to_string(entry).map_err(|source| StoreError::Encode {
            what: "KEV entry",
            id: entry.cve.clone(),
            source,
        })?;
        let result = self
            .put_kev
            .execute(params![
                canonical_cve(&entry.cve),
                self.header.key,
                entry.date_added.to_string(),
                entry.due_date.map(|d| d.to_string()),
                entry.known_ransomware,
                json,
            ])
            .context("storing a KEV entry");
        match result {
            Ok(_) => {
                self.summary.kev += 1;
                Ok(())
            }
            Err(e) => Err(self.poison(e)),
        }
    }

    fn epss(&mut self, score: &EpssScore) -> Result<(), StoreError> {
        let index = self.next_index(EPSS);
        check_id(&score.cve).map_err(|r| self.invalid(index, "EPSS score", &score.cve, r))?;
        for (what, value) in [("epss", score.epss), ("percentile", score.percentile)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(self.invalid(
                    index,
                    "EPSS score",
                    &score.cve,
                    format!("{what} {value} is not a probability between 0 and 1"),
                ));
            }
        }
        let result = self
            .put_epss
            .execute(params![
                canonical_cve(&score.cve),
                self.header.key,
                score.epss,
                score.percentile,
                score.date.to_string(),
            ])
            .context("storing an EPSS score");
        match result {
            Ok(_) => {
                self.summary.epss += 1;
                Ok(())
            }
            Err(e) => Err(self.poison(e)),
        }
    }

    fn microsoft(&mut self, fix: &MicrosoftFix) -> Result<(), StoreError> {
        let index = self.next_index(MICROSOFT);
        check_id(&fix.cve).map_err(|r| self.invalid(index, "Microsoft fix", &fix.cve, r))?;
        let kb = canonical_kb(&fix.kb);
        // A fix shipped by version (no KB) is stored with an empty KB.
        (if kb.is_empty() { Ok(()) } else { check_id(&kb) })
            .map_err(|r| self.invalid(index, "Microsoft fix", &fix.cve, format!("its KB: {r}")))?;
        let json = serde_json::to_string(fix).map_err(|source| StoreError::Encode {
            what: "Microsoft fix",
            id: fix.cve.clone(),
            source,
        })?;
        let result = self
            .put_microsoft
            .execute(params![
                canonical_cve(&fix.cve),
                fix.product,
                fix.product_id,
                kb,
                self.header.key,
                json,
            ])
            .context("storing a Microsoft fix");
        match result {
            Ok(_) => {
                self.summary.microsoft += 1;
                Ok(())
            }
            Err(e) => Err(self.poison(e)),
        }
    }

    fn skipped(&mut self, count: usize) {
        self.summary.skipped = self.summary.skipped.saturating_add(count);
    }

    fn withdrawn(&mut self, count: usize) {
        self.summary.withdrawn = self.summary.withdrawn.saturating_add(count);
    }
}
