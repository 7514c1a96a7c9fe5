//! The scheduled jobs of `vigil serve`: `[schedule]` and `[[inventory]]` handed to vigil-serve's
//! scheduler, with the knowledge update of `vigil db update` as its update job. Started on a thread
//! of its own beside the log watch; stops with the same flag.

use super::Context;
use anyhow::{Context as _, Result};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use vigil_serve::{ScheduleOptions, Scheduler};

/// Starts the scheduler, or returns `None` when no job is configured. With the service's `rules`,
/// the watched logs are checked for logging gaps on `[schedule] doctor`.
pub fn spawn(
    ctx: &Context,
    stop: &Arc<AtomicBool>,
    rules: Option<Arc<vigil_sigma::RuleSet>>,
) -> Result<Option<JoinHandle<()>>> {
    let config = &ctx.config;
    let opts = ScheduleOptions::from_config(config);
    let scans = opts.scan.is_some() && !config.inventory.is_empty();
    let doctor = config
        .schedule
        .doctor
        .filter(|_| !config.watch.is_empty())
        .zip(rules);
    if !scans && opts.db_update.is_none() && opts.digest.is_none() && doctor.is_none() {
        return Ok(None);
    }
    if config.inventory.is_empty() {
        tracing::info!("no [[inventory]] configured: no asset is re-scanned on schedule");
    }
    let clock: Arc<dyn vigil_alert::Clock> = Arc::new(vigil_alert::SystemClock);
    let alerter = vigil_alert::Alerter::new(
        &config.alert,
        &config.escalation,
        ctx.open_store()?,
        clock.clone(),
    )
    .context("cannot set up alerting for the scheduled jobs")?;
    let mut scheduler = Scheduler::new(alerter, clock, opts);
    if config.schedule.db_update.is_some() {
        let update_ctx = Context {
            config: config.clone(),
            config_path: ctx.config_path.clone(),
            db_path: ctx.db_path.clone(),
            progress: false,
        };
        scheduler = scheduler.with_knowledge_update(Box::new(move || {
            super::db::update_sources(&update_ctx, &[], false, &mut |key, line| {
                tracing::info!(source = key, "{line}");
                Ok(())
            })
            .map_err(|e| format!("{e:#}"))
        }));
    }
    if let Some((every, rules)) = doctor {
        scheduler = scheduler.with_job(
            "doctor",
            "logging check",
            // The first check an hour after the start, once the watched logs have been read.
            (every.0.min(jiff::SignedDuration::from_hours(1)), every.0),
            vigil_serve::doctor::doctor_job(
                doctor_targets(config),
                rules,
                vigil_coverage::CheckOptions::default(),
            ),
        );
    }
    let handle = scheduler
        .spawn(Arc::clone(stop))
        .context("cannot start the scheduler thread")?;
    Ok(Some(handle))
}

/// The watched logs grouped by the server they come from (a watch's `host`, else this machine).
pub(crate) fn doctor_targets(
    config: &vigil_config::Config,
) -> Vec<vigil_serve::doctor::DoctorTarget> {
    let mut by_host: std::collections::BTreeMap<String, Vec<std::path::PathBuf>> =
        std::collections::BTreeMap::new();
    let here = vigil_serve::selftest::this_host();
    for w in &config.watch {
        let (path, _) = vigil_serve::split_glob(&w.path);
        let paths = by_host
            .entry(w.host.clone().unwrap_or_else(|| here.clone()))
            .or_default();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    by_host
        .into_iter()
        .map(|(asset, paths)| vigil_serve::doctor::DoctorTarget { asset, paths })
        .collect()
}
