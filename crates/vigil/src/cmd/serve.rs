//! `vigil serve`: the standing watch in the foreground. Wiring only: the configuration's rules,
//! watches and store are handed to `vigil-serve`'s runtime; logs go to stderr, one readiness
//! line to stdout, SIGTERM/SIGINT stop it after committing what was read.

use super::Context;
use crate::Outcome;
use crate::cmd::rules::{self, RuleArgs};
use anyhow::{Context as _, Result, bail};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use vigil_serve::{Detector, Service, ServiceOptions, Source};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(ctx: &Context, _args: ServeArgs) -> Result<Outcome> {
    let config = &ctx.config;
    // Checked before anything is opened: a service that watches nothing must not look like one
    // that found nothing.
    if config.watch.is_empty() {
        bail!(
            "nothing to watch: the configuration has no [[watch]] entry (add one naming a log \
             file, glob or folder; see docs/serve.md)"
        );
    }
    let rule_args = RuleArgs {
        rules: config.serve.rules.clone(),
        with_bundled: false,
        rule_status: Vec::new(),
        no_cache: false,
        cache_dir: None,
    };
    let loaded = rules::load(&rule_args)?;
    for e in &loaded.errors {
        tracing::warn!("rule not used: {e}");
    }
    let sources = watch_sources(&config.watch)?;
    let store = ctx.open_store()?;
    let opts = ServiceOptions {
        poll: std::time::Duration::from_millis(config.serve.poll_ms),
    };
    let mut service = Service::new(store, Detector::new(loaded.engine), sources, opts)?;

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let watches = config.watch.len();
    let rules = service.rule_count();
    service.run(&stop, || {
        // The one line a Type=notify-style wrapper waits for; everything else goes to stderr.
        println!("READY=1 watches={watches} rules={rules}");
    })?;
    Ok(Outcome::Success)
}

/// The readers of the configured watches. Following files is `vigil-ingest`'s tailer, which this
/// build does not include yet: refused by name rather than started watching nothing.
fn watch_sources(watches: &[vigil_config::Watch]) -> Result<Vec<Box<dyn Source>>> {
    let names: Vec<&str> = watches.iter().map(|w| w.label()).collect();
    bail!(
        "cannot follow {}: this build has no log tailer yet (vigil-ingest is not merged)",
        names.join(", ")
    )
}
