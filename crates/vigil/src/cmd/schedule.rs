//! The scheduled jobs of `vigil serve`: `[schedule]` and `[[inventory]]` handed to vigil-serve's
//! scheduler, with the knowledge update of `vigil db update` as its update job. Started on a thread
//! of its own beside the log watch; stops with the same flag.

use super::Context;
use anyhow::{Context as _, Result};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use vigil_serve::{ScheduleOptions, Scheduler};

/// Starts the scheduler, or returns `None` when no job is configured.
pub fn spawn(ctx: &Context, stop: &Arc<AtomicBool>) -> Result<Option<JoinHandle<()>>> {
    let config = &ctx.config;
    let opts = ScheduleOptions::from_config(config);
    let scans = opts.scan.is_some() && !config.inventory.is_empty();
    if !scans && opts.db_update.is_none() && opts.digest.is_none() {
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
    let handle = scheduler
        .spawn(Arc::clone(stop))
        .context("cannot start the scheduler thread")?;
    Ok(Some(handle))
}
