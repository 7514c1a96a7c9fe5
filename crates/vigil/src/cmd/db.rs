//! `vigil db update | import | status`.

use crate::Outcome;
use crate::cli::{DbCommand, SourceName};
use crate::cmd::Context;
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::render::human_age;
use anyhow::{Context as _, Result, bail};
use jiff::Timestamp;
use std::time::Duration;
use tracing::{info, warn};
use vigil_knowledge::{Batch, Limits, SourceKind};
use vigil_store::prelude::*;
use vigil_store::{SourceState, SourceUpdate, SqliteStore, StoreStats};

pub fn run(ctx: &Context, cmd: DbCommand) -> Result<Outcome> {
    match cmd {
        DbCommand::Update { sources, force } => update(ctx, &sources, force),
        DbCommand::Import { paths } => import(ctx, &paths),
        DbCommand::Status { json } => status(ctx, json),
    }
}

/// One thing to fetch: a store key, a URL and how to read what comes back.
struct Job {
    key: String,
    url: String,
    kind: SourceKind,
    accept: Option<&'static str>,
}

fn update(ctx: &Context, only: &[SourceName], force: bool) -> Result<Outcome> {
    let failed = update_sources(ctx, only, force, &mut |key, line| {
        crate::out!("{key:<24} {line}")?;
        Ok(())
    })?;
    if failed > 0 {
        warn!("{failed} source(s) failed; their previous data is kept and marked stale");
        return Ok(Outcome::Partial);
    }
    Ok(Outcome::Success)
}

/// Fetches and imports every wanted source, telling `report` each source's result line; returns
/// how many sources failed (their failure is recorded in the store). `vigil db update` prints the
/// lines; the service's scheduled update logs them.
pub fn update_sources(
    ctx: &Context,
    only: &[SourceName],
    force: bool,
    report: &mut dyn FnMut(&str, &str) -> Result<()>,
) -> Result<usize> {
    let cfg = &ctx.config;
    let wanted = |s: SourceName| only.is_empty() || only.contains(&s);
    let fetcher = Fetcher::new(
        cfg.knowledge.max_download_mb.saturating_mul(1024 * 1024),
        Duration::from_secs(cfg.knowledge.timeout_secs),
        ctx.progress,
    );
    let mut store = ctx.open_store()?;
    let mut failed = 0usize;
    let mut jobs = Vec::new();

    if wanted(SourceName::Osv) && cfg.sources.osv.enabled {
        let base = cfg.sources.osv.url.trim_end_matches('/');
        let ecosystems = if cfg.sources.osv.ecosystems.iter().any(|e| e == "*") {
            match osv_ecosystem_list(&fetcher, base) {
                Ok(list) => list,
                Err(e) => {
                    report_failure(&mut store, "osv", base, &e)?;
                    failed += 1;
                    Vec::new()
                }
            }
        } else {
            cfg.sources.osv.ecosystems.clone()
        };
        for eco in ecosystems {
            jobs.push(Job {
                key: format!("osv:{eco}"),
                url: format!("{base}/{}/all.zip", encode_path_segment(&eco)),
                kind: SourceKind::Osv,
                accept: None,
            });
        }
    }
    if wanted(SourceName::Kev) && cfg.sources.kev.enabled {
        let url = cfg.sources.kev.url_or(vigil_config::KEV_URL).to_string();
        jobs.push(Job {
            key: "kev".into(),
            url,
            kind: SourceKind::Kev,
            accept: None,
        });
    }
    if wanted(SourceName::Epss) && cfg.sources.epss.enabled {
        let url = cfg.sources.epss.url_or(vigil_config::EPSS_URL).to_string();
        jobs.push(Job {
            key: "epss".into(),
            url,
            kind: SourceKind::Epss,
            accept: None,
        });
    }
    if wanted(SourceName::Msrc) && cfg.sources.msrc.enabled {
        let base = cfg.sources.msrc.url.trim_end_matches('/');
        match msrc_documents(&fetcher, base, cfg.sources.msrc.months) {
            Ok(docs) => {
                for (id, url) in docs {
                    jobs.push(Job {
                        key: format!("msrc:{id}"),
                        url,
                        kind: SourceKind::Msrc,
                        accept: Some("application/json"),
                    });
                }
            }
            Err(e) => {
                report_failure(&mut store, "msrc", base, &e)?;
                failed += 1;
            }
        }
    }
    if jobs.is_empty() && failed == 0 {
        bail!("no source is enabled: check [sources] in the configuration and --source");
    }

    let limits = Limits::default();
    for job in &jobs {
        match update_one(&fetcher, &mut store, job, force, &limits) {
            Ok(line) => report(&job.key, &line)?,
            Err(e) => {
                report_failure(&mut store, &job.key, &job.url, &e)?;
                report(&job.key, &format!("FAILED: {e:#}"))?;
                failed += 1;
            }
        }
    }
    Ok(failed)
}

fn report_failure(store: &mut SqliteStore, key: &str, url: &str, e: &anyhow::Error) -> Result<()> {
    warn!("{key}: {e:#}");
    store
        .record_failure(key, url, &format!("{e:#}"))
        .with_context(|| format!("cannot record the failure of {key}"))
}

fn update_one(
    fetcher: &Fetcher,
    store: &mut SqliteStore,
    job: &Job,
    force: bool,
    limits: &Limits,
) -> Result<String> {
    let previous = store.source(&job.key)?;
    let known = match (&previous, force) {
        (Some(p), false) => Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        },
        _ => Validators::default(),
    };
    info!("fetching {}", job.url);
    let download = match fetcher.get(&job.url, &known, job.accept)? {
        Fetched::NotModified => {
            store.record_unchanged(&job.key, &job.url)?;
            return Ok("unchanged (not modified since the last update)".to_string());
        }
        Fetched::Body(d) => d,
    };
    if !force
        && previous.as_ref().and_then(|p| p.sha256.as_deref()) == Some(download.sha256.as_str())
    {
        store.record_unchanged(&job.key, &job.url)?;
        return Ok("unchanged (same content as the last update)".to_string());
    }
    let name = job.url.rsplit('/').next().unwrap_or(&job.url);
    let batch = vigil_knowledge::load_bytes(job.kind, name, &download.bytes, limits)
        .with_context(|| format!("cannot read {}", job.url))?;
    warn_skipped(&batch);
    let update = SourceUpdate {
        key: job.key.clone(),
        origin: job.url.clone(),
        etag: download.validators.etag,
        last_modified: download.validators.last_modified,
        sha256: Some(download.sha256),
        replace: true,
        advisories: batch.advisories,
        kev: batch.kev,
        epss: batch.epss,
        microsoft: batch.microsoft,
        skipped: batch.skipped.len(),
        // The batch's withdrawn advisories are among `advisories`; the store counts those itself.
        withdrawn: 0,
    };
    let summary = store.import(update)?;
    Ok(format!(
        "updated: {} imported, {} skipped, {} withdrawn",
        summary.imported(),
        summary.skipped,
        summary.withdrawn
    ))
}

fn warn_skipped(batch: &Batch) {
    const SHOWN: usize = 20;
    for s in batch.skipped.iter().take(SHOWN) {
        warn!("skipped {}: {}", s.location, s.reason);
    }
    if batch.skipped.len() > SHOWN {
        warn!(
            "… and {} more skipped in {}",
            batch.skipped.len() - SHOWN,
            batch.origin
        );
    }
}

/// `ecosystems.txt` at the OSV bucket's root lists every ecosystem it exports.
fn osv_ecosystem_list(fetcher: &Fetcher, base: &str) -> Result<Vec<String>> {
    let url = format!("{base}/ecosystems.txt");
    match fetcher.get(&url, &Validators::default(), None)? {
        Fetched::Body(d) => {
            let text = String::from_utf8(d.bytes).context("ecosystems.txt is not UTF-8")?;
            Ok(text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect())
        }
        Fetched::NotModified => bail!("{url} answered 304 to an unconditional request"),
    }
}

/// The newest `months` documents of the Security Update Guide, from its `updates` index.
fn msrc_documents(fetcher: &Fetcher, base: &str, months: usize) -> Result<Vec<(String, String)>> {
    #[derive(serde::Deserialize)]
    struct Index {
        value: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Entry {
        #[serde(rename = "ID")]
        id: String,
        cvrf_url: Option<String>,
        initial_release_date: Option<String>,
    }
    let url = format!("{base}/updates");
    let body = match fetcher.get(&url, &Validators::default(), Some("application/json"))? {
        Fetched::Body(d) => d.bytes,
        Fetched::NotModified => bail!("{url} answered 304 to an unconditional request"),
    };
    let mut index: Index = serde_json::from_slice(&body)
        .with_context(|| format!("{url} is not the Security Update Guide's update index"))?;
    index
        .value
        .sort_by(|a, b| b.initial_release_date.cmp(&a.initial_release_date));
    Ok(index
        .value
        .into_iter()
        .filter(|e| is_safe_doc_id(&e.id))
        .take(months)
        .map(|e| {
            let url = e
                .cvrf_url
                .unwrap_or_else(|| format!("{base}/cvrf/{}", e.id));
            (e.id, url)
        })
        .collect())
}

/// Document ids become store keys and URL parts: accept only the `2021-Apr` shape.
fn is_safe_doc_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 16 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn import(ctx: &Context, paths: &[std::path::PathBuf]) -> Result<Outcome> {
    let mut store = ctx.open_store()?;
    let limits = Limits::default();
    let mut problems = 0usize;
    for path in paths {
        let batches = match vigil_knowledge::load_path(path, &limits) {
            Ok(b) => b,
            Err(e) => {
                warn!("{}: {e}", path.display());
                crate::out!("{:<40} FAILED: {e}", crate::term::path(path))?;
                problems += 1;
                continue;
            }
        };
        let origin = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        for batch in batches {
            warn_skipped(&batch);
            problems += batch.skipped.len();
            // Keyed by source and input name: importing the same input again updates its row.
            let name = origin
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let key = format!("import:{}:{name}", batch.source);
            let update = SourceUpdate {
                key: key.clone(),
                origin: origin.display().to_string(),
                etag: None,
                last_modified: None,
                sha256: None,
                replace: false,
                advisories: batch.advisories,
                kev: batch.kev,
                epss: batch.epss,
                microsoft: batch.microsoft,
                skipped: batch.skipped.len(),
                withdrawn: 0,
            };
            let s = match store.import(update) {
                Ok(s) => s,
                Err(e) => {
                    // The import rolled back and the failure is recorded; the other inputs go on.
                    warn!("{}: {e}", path.display());
                    crate::out!(
                        "{:<40} {}: FAILED: {e}",
                        crate::term::path(path),
                        batch.source
                    )?;
                    problems += 1;
                    continue;
                }
            };
            crate::out!(
                "{:<40} {}: {} imported, {} skipped, {} withdrawn",
                crate::term::path(path),
                batch.source,
                s.imported(),
                s.skipped,
                s.withdrawn
            )?;
        }
    }
    Ok(if problems > 0 {
        Outcome::Partial
    } else {
        Outcome::Success
    })
}

fn status(ctx: &Context, json: bool) -> Result<Outcome> {
    let store = ctx.open_store()?;
    let sources = store.sources()?;
    let max_age = jiff::SignedDuration::from_hours(ctx.config.knowledge.max_age_hours as i64);
    let now = Timestamp::now();
    let stale = |s: &vigil_store::SourceStatus| match s.last_success_at {
        Some(t) => now.duration_since(t) > max_age,
        None => true,
    };
    if json {
        let rows: Vec<_> = sources
            .iter()
            .map(|s| {
                serde_json::json!({
                    "source": s.key,
                    "origin": s.origin,
                    "status": s.status.as_str(),
                    "last_success_at": s.last_success_at,
                    "last_attempt_at": s.last_attempt_at,
                    "last_error": s.last_error,
                    "imported": s.imported,
                    "skipped": s.skipped,
                    "withdrawn": s.withdrawn,
                    "stale": stale(s),
                })
            })
            .collect();
        let doc = serde_json::json!({
            "schema": "vigil.db-status/1",
            "db": ctx.db_path,
            "max_age_hours": ctx.config.knowledge.max_age_hours,
            "sources": rows,
            "counts": counts_json(&store.stats()?),
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(Outcome::Success);
    }
    crate::out!("store: {}", crate::term::path(&ctx.db_path))?;
    if sources.is_empty() {
        crate::out!(
            "no knowledge yet: run 'vigil db update', or 'vigil db import PATH' on an air-gapped server"
        )?;
        return Ok(Outcome::Success);
    }
    let w = sources
        .iter()
        .map(|s| s.key.len())
        .max()
        .unwrap_or(6)
        .max(6);
    crate::out!(
        "{:<w$} {:>9} {:>8} {:>9}  {:<7} {:>6}  origin",
        "source",
        "imported",
        "skipped",
        "withdrawn",
        "status",
        "age"
    )?;
    let mut stale_count = 0;
    for s in &sources {
        let age = s
            .last_success_at
            .map(|t| human_age(now.duration_since(t)))
            .unwrap_or_else(|| "never".into());
        let is_stale = stale(s);
        stale_count += usize::from(is_stale);
        let status = match s.status {
            SourceState::Ok if is_stale => "stale",
            other => other.as_str(),
        };
        crate::out!(
            "{:<w$} {:>9} {:>8} {:>9}  {:<7} {:>6}  {}",
            s.key,
            s.imported,
            s.skipped,
            s.withdrawn,
            status,
            age,
            s.origin
        )?;
        if let Some(err) = &s.last_error {
            crate::out!("{:<w$} last error: {err}", "")?;
        }
    }
    let counts = store.stats()?;
    crate::out!()?;
    crate::out!(
        "{} advisories ({} withdrawn), {} known-exploited CVEs, {} EPSS scores, {} Microsoft fixes",
        counts.advisories,
        counts.withdrawn,
        counts.kev,
        counts.epss,
        counts.microsoft
    )?;
    if stale_count > 0 {
        warn!(
            "{stale_count} source(s) older than {} hours: stale knowledge means missed vulnerabilities; run 'vigil db update'",
            ctx.config.knowledge.max_age_hours
        );
    }
    Ok(Outcome::Success)
}

fn counts_json(stats: &StoreStats) -> serde_json::Value {
    serde_json::json!({
        "advisories": stats.advisories,
        "withdrawn": stats.withdrawn,
        "aliases": stats.aliases,
        "kev": stats.kev,
        "epss": stats.epss,
        "microsoft": stats.microsoft,
        "by_ecosystem": stats.by_ecosystem.iter().map(|(e, n)| serde_json::json!({"ecosystem": e, "advisories": n})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_and_ids() {
        assert_eq!(encode_path_segment("Rocky Linux"), "Rocky%20Linux");
        assert_eq!(encode_path_segment("crates.io"), "crates.io");
        assert!(is_safe_doc_id("2021-Apr"));
        assert!(!is_safe_doc_id("../etc"));
        assert_eq!(human_age(jiff::SignedDuration::from_hours(30)), "30h");
        assert_eq!(human_age(jiff::SignedDuration::from_hours(72)), "3d");
    }
}
