//! `vigil serve`: the standing watch in the foreground. Wiring only: the configuration's rules,
//! watches and store are handed to `vigil-serve`'s runtime; logs go to stderr, one readiness
//! line to stdout, SIGTERM/SIGINT stop it after committing what was read.

use super::Context;
use crate::Outcome;
use crate::cli::RuleArgs;
use anyhow::{Context as _, Result, bail};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use vigil_serve::{
    AlertTiming, Detector, LiveAlerting, LiveIncidents, LiveOptions, Service, ServiceOptions,
    Source,
};

pub const LONG_ABOUT: &str = "The standing watch, in the foreground: follow logs, detect with the same rules as \
`vigil hunt`, group detections into incidents, and raise one alert per incident that is sent again \
(escalated) until a person runs `vigil alerts ack`.\n\n\
Everything comes from vigil.toml (--config). A minimal one:\n\n  \
[[watch]]\n  path = \"/var/log/mail.log\"        # a file, a glob or a folder\n\n  \
[[alert.webhook]]\n  url = \"http://127.0.0.1:9000/hook\"\n\n\
More: [[listen]] (syslog over UDP/TCP/TLS), [[alert.email]], [escalation], [[inventory]] and \
[schedule] (re-scans, finding alerts, knowledge updates, daily digest), [selftest] (canaries), \
[serve] (rules, poll_ms, metrics, silent_after), [http] (the web console and API over TLS; users \
with `vigil user add`, see docs/console.md). docs/serve.md describes every key.\n\n\
It prints one line on stdout when every source has been read once (READY=1 …), logs to stderr, and \
stops cleanly on SIGTERM or SIGINT (exit 0). Detections are stored with the position they were read \
at: a restart after a crash loses and repeats nothing. `vigil status` says whether it is running; \
`vigil selftest` proves it detects and alerts.";

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(ctx: &Context, _args: ServeArgs) -> Result<Outcome> {
    let config = &ctx.config;
    // Checked before anything is opened: a service that watches nothing must not look like one
    // that found nothing.
    if config.watch.is_empty() && config.listen.is_empty() {
        if !config.inventory.is_empty() {
            return inventory_only(ctx);
        }
        bail!(
            "nothing to watch: the configuration has no [[watch]] entry (add one naming a log \
             file, glob or folder, a [[listen]] syslog listener, or an [[inventory]] to re-scan; \
             see docs/serve.md)"
        );
    }
    let rule_args = RuleArgs {
        rules: config.serve.rules.clone(),
        with_bundled: false,
        rule_status: Vec::new(),
        no_cache: false,
        cache_dir: None,
    };
    let mut rule_source = rule_args.to_source();
    // The canary rule is always loaded: self-tests must work with a site's own rules too.
    rule_source.extra.push((
        "vigil self-test canary (built in)".into(),
        vigil_serve::selftest::CANARY_RULE.into(),
    ));
    let loaded = vigil_pipeline::rules::load(&rule_source)?;
    for e in &loaded.errors {
        tracing::warn!("rule not used: {e}");
    }
    let store = ctx.open_store()?;
    let sources = sources(config, &store)?;
    let opts = ServiceOptions {
        poll: std::time::Duration::from_millis(config.serve.poll_ms),
        heartbeat: std::time::Duration::from_secs(config.serve.heartbeat_secs),
        ..ServiceOptions::default()
    };
    // The correlation windows open when the service last stopped (or last saved them).
    let saved = {
        use vigil_store::CheckpointStore;
        store
            .ingest_state(vigil_serve::CORRELATION_STATE)
            .context("cannot read the saved correlation windows")?
    };
    let (detector, refused) = Detector::resume(loaded.engine, saved.as_deref());
    if let Some(why) = refused {
        tracing::warn!("the saved correlation windows were set aside ({why}); they start empty");
    }
    let alerting = live_alerting(ctx)?;
    let mut service = Service::new(store, detector, sources, opts)?.with_alerting(alerting);
    // Bound before the readiness line, so a busy port stops the service instead of a service
    // running without its health; stopped when dropped, after the loop.
    // The console takes the metrics routes into its router when both are asked on one address.
    let metrics_addr = config.serve.metrics_addr().map_err(anyhow::Error::msg)?;
    let console_addr = config
        .http
        .as_ref()
        .map(|h| h.addr().map_err(anyhow::Error::msg))
        .transpose()?;
    let shared = metrics_addr.is_some() && metrics_addr == console_addr;
    let metrics = match metrics_addr {
        Some(addr) if !shared => Some(vigil_serve::MetricsServer::start(
            addr,
            service.health().clone(),
        )?),
        _ => None,
    };
    let console = start_console(
        ctx,
        shared.then(|| vigil_serve::router(service.health().clone())),
    )?;
    let metrics_at = match (&metrics, &console) {
        (Some(m), _) => m.local_addr().to_string(),
        (None, Some(c)) if shared => c.local_addr().to_string(),
        _ => "off".to_string(),
    };
    let console_at = console
        .as_ref()
        .map(|c| format!(" console={}", c.local_addr()))
        .unwrap_or_default();

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let schedule = super::schedule::spawn(ctx, &stop)?;
    let watches = config.watch.len();
    let rules = service.rule_count();
    service.run(&stop, || {
        // The one line a Type=notify-style wrapper waits for; everything else goes to stderr.
        println!("READY=1 watches={watches} rules={rules} metrics={metrics_at}{console_at}");
    })?;
    if let Some(s) = schedule
        && s.join().is_err()
    {
        tracing::error!("the scheduler thread stopped abnormally");
    }
    Ok(Outcome::Success)
}

/// The console of `[http]`, if configured: over TLS with the configured certificate or the
/// self-signed one kept beside the store (its fingerprint printed on stderr, to be checked once in
/// the browser), on its own store connection; `metrics` are served by it too when given.
fn start_console(
    ctx: &Context,
    metrics: Option<axum::Router>,
) -> Result<Option<vigil_console::ConsoleServer>> {
    use vigil_store::AccountStore;
    let Some(http) = &ctx.config.http else {
        return Ok(None);
    };
    let addr = http.addr().map_err(anyhow::Error::msg)?;
    let store = ctx.open_store()?;
    if store.users()?.is_empty() {
        tracing::warn!(
            "the console has no user yet: add one with `vigil user add NAME --role admin`"
        );
    }
    let tls = if http.tls {
        let dir = ctx
            .db_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let configured = http.cert.as_deref().zip(http.key.as_deref());
        let cert = vigil_console::tls::certificate(configured, dir, addr.ip())?;
        crate::note!(
            "console certificate {}{}: SHA-256 fingerprint {}",
            cert.cert_path.display(),
            if cert.created {
                " (self-signed, made now)"
            } else {
                ""
            },
            cert.fingerprint
        );
        Some(cert.config)
    } else {
        None
    };
    let settings = vigil_console::ConsoleSettings {
        tls: http.tls,
        idle: jiff::SignedDuration::from_mins(
            i64::try_from(http.session_idle_minutes).unwrap_or(30),
        ),
        absolute: jiff::SignedDuration::from_hours(
            i64::try_from(http.session_max_hours).unwrap_or(12),
        ),
        lockout: vigil_store::LockoutPolicy::default(),
        throttle: vigil_console::throttle::ThrottlePolicy::default(),
    };
    let mut router = vigil_console::router(store, settings);
    if let Some(m) = metrics {
        router = router.merge(m);
    }
    let server = vigil_console::ConsoleServer::start(addr, router, tls)?;
    tracing::info!(
        "console served on {}://{}",
        if http.tls { "https" } else { "http" },
        server.local_addr()
    );
    Ok(Some(server))
}

/// Patch tracking without logs: only `[[inventory]]`, so only the scheduled jobs run (scans,
/// finding alerts, escalation of those, the digest). Said at start: no log is watched.
fn inventory_only(ctx: &Context) -> Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let Some(schedule) = super::schedule::spawn(ctx, &stop)? else {
        bail!(
            "nothing to do: the configuration has [[inventory]] but [schedule] scan, db_update \
             and digest are all off, and no [[watch]] or [[listen]]"
        );
    };
    tracing::warn!(
        "no [[watch]] or [[listen]]: no log is watched, only inventories are re-scanned"
    );
    let console = start_console(ctx, None)?;
    println!(
        "READY=1 watches=0 rules=0 inventories={} metrics=off{}",
        ctx.config.inventory.len(),
        console
            .as_ref()
            .map(|c| format!(" console={}", c.local_addr()))
            .unwrap_or_default()
    );
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    if schedule.join().is_err() {
        tracing::error!("the scheduler thread stopped abnormally");
    }
    Ok(Outcome::Success)
}

/// Incidents and the alerts they raise, through the configured channels; primed with what the store
/// holds of the recent past, so a restart neither forgets an open incident nor raises it twice.
fn live_alerting(ctx: &Context) -> Result<LiveAlerting> {
    use vigil_store::CheckpointStore;
    let config = &ctx.config;
    if config.alert.has_no_channel() {
        tracing::warn!(
            "no alert channel is configured ([[alert.webhook]], [[alert.email]] or \
             [[alert.syslog]]): alerts are stored (`vigil alerts list`) but nobody is told"
        );
    }
    let alerter = vigil_alert::Alerter::new(
        &config.alert,
        &config.escalation,
        ctx.open_store()?,
        Arc::new(vigil_alert::SystemClock),
    )
    .context("cannot set up alerting")?;
    let options = LiveOptions::default();
    let not_after = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap_or(jiff::Timestamp::MAX);
    let stored = ctx
        .open_store()?
        .recent_detections(options.reach(), not_after, options.max_detections)
        .context("cannot read the recent detections")?;
    let mut live = LiveAlerting::new(
        LiveIncidents::new(options),
        Box::new(alerter),
        AlertTiming::default(),
    );
    live.prime(&stored)?;
    let targets = canary_targets(config);
    let files = targets
        .iter()
        .filter(|t| matches!(t.via, vigil_serve::selftest::CanaryVia::File(_)))
        .count();
    if files < config.watch.len() {
        tracing::warn!(
            "{} of {} watched logs cannot be self-tested by a canary line (only single syslog \
             files can); see docs/serve.md",
            config.watch.len() - files,
            config.watch.len()
        );
    }
    let selftests = vigil_serve::selftest::SelfTests::new(
        vigil_serve::selftest::SelfTestOptions {
            every: config.selftest.every.0.map(|i| i.0),
            timeout: config.selftest.timeout.0,
            targets,
        },
        jiff::Timestamp::now(),
    );
    let limits = config
        .watch
        .iter()
        .filter_map(|w| {
            w.silent_after
                .map(|r| (w.label().to_string(), r.0.map(|i| i.0)))
        })
        .collect();
    let silence =
        vigil_serve::silence::SilenceWatch::new(config.serve.silent_after.0.map(|i| i.0), limits);
    Ok(live.with_selftests(selftests).with_silence(silence))
}

/// The sources a canary can be sent through: watched single syslog files (see
/// `vigil_serve::selftest::canary_target`) and every syslog listener.
pub(crate) fn canary_targets(
    config: &vigil_config::Config,
) -> Vec<vigil_serve::selftest::CanaryTarget> {
    let mut out: Vec<_> = config
        .watch
        .iter()
        .filter_map(|w| {
            vigil_serve::selftest::canary_target(
                w.label(),
                &w.path,
                w.format.as_deref(),
                w.host.as_deref(),
            )
        })
        .collect();
    for l in &config.listen {
        out.extend(vigil_serve::selftest::listener_targets(
            &l.label(),
            l.udp_addr().ok().flatten(),
            l.tcp_addr().ok().flatten(),
            l.host.as_deref(),
        ));
    }
    out
}

/// The readers of the configured watches, each resumed from its stored checkpoints, and the
/// syslog listeners (bound here: an address in use stops the start).
fn sources(
    config: &vigil_config::Config,
    store: &vigil_store::SqliteStore,
) -> Result<Vec<Box<dyn Source>>> {
    use vigil_store::CheckpointStore;
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for l in &config.listen {
        out.push(Box::new(listen_source(l)?));
    }
    for w in &config.watch {
        let (path, pattern) = vigil_serve::split_glob(&w.path);
        let mut watch = vigil_ingest::Watch::new(w.label(), path);
        watch.pattern = pattern;
        watch.format = w.format.as_deref().and_then(vigil_logs::Format::from_name);
        watch.host = w.host.clone();
        if let Some(tz) = &w.tz {
            // Checked when the configuration was read; an error here is not expected.
            watch.options.syslog_time_zone = vigil_logs::parse_time_zone(tz)
                .map_err(|e| anyhow::anyhow!("[[watch]] {}: time zone {tz:?}: {e}", w.path))?;
        }
        let resume = store
            .checkpoints(Some(w.label()))
            .with_context(|| format!("cannot read the checkpoints of {}", w.label()))?;
        out.push(Box::new(vigil_serve::TailSource::new(
            watch,
            // 4 MiB a file per round (the service drains without sleeping while data keeps
            // coming): a round's events are held in memory until they are committed.
            vigil_ingest::TailerConfig {
                read_budget: 4 << 20,
                ..vigil_ingest::TailerConfig::default()
            },
            resume,
        )));
    }
    Ok(out)
}

/// One `[[listen]]` entry as a running listener; its values were checked when the configuration
/// was read, its certificate and key are read here.
fn listen_source(l: &vigil_config::Listen) -> Result<vigil_serve::ListenSource> {
    let label = l.label();
    let bad = |e: String| anyhow::anyhow!("[[listen]] {label}: {e}");
    let mut cfg = vigil_ingest::ListenerConfig {
        host: l.host.clone(),
        ..Default::default()
    };
    if let Some(n) = l.max_message {
        cfg.max_message = n;
    }
    if let Some(tz) = &l.tz {
        cfg.options.syslog_time_zone =
            vigil_logs::parse_time_zone(tz).map_err(|e| bad(format!("time zone {tz:?}: {e}")))?;
    }
    if let (Some(cert), Some(key)) = (&l.tls_cert, &l.tls_key) {
        cfg.tls = Some(vigil_ingest::tls_config(cert, key).map_err(|e| bad(e.to_string()))?);
    }
    let source = vigil_serve::ListenSource::start(
        label.clone(),
        l.udp_addr().map_err(bad)?,
        l.tcp_addr().map_err(bad)?,
        cfg,
    )?;
    tracing::info!(source = %label, udp = ?source.udp_addr(), tcp = ?source.tcp_addr(), "listening");
    Ok(source)
}
