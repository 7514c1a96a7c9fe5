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
    rule_source.extra.extend(
        vigil_serve::selftest::CANARY_RULES
            .iter()
            .map(|(name, yaml)| (name.to_string(), yaml.to_string())),
    );
    let loaded = vigil_pipeline::rules::load(&rule_source)?;
    for e in &loaded.errors {
        tracing::warn!("rule not used: {e}");
    }
    // The logging check judges the logs against the rules the service applies.
    let rule_set = Arc::new(loaded.set.clone());
    rule_tests(ctx)?;
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
    let saved_pace = {
        use vigil_store::CheckpointStore;
        store
            .ingest_state(vigil_serve::CADENCE_STATE)
            .context("cannot read the sources' learnt pace")?
    };
    let (cadence, refused) = vigil_serve::cadence::Cadence::resume(
        vigil_serve::cadence::CadenceOptions::default(),
        saved_pace.as_deref(),
    );
    if let Some(why) = refused {
        tracing::warn!("the sources' learnt pace was set aside ({why}); learning starts again");
    }
    let alerting = live_alerting(ctx)?;
    let mut service = Service::new(store, detector, sources, opts)?
        .with_alerting(alerting)
        .with_cadence(cadence);
    // Bound before the readiness line, so a busy port stops the service instead of a service
    // running without its health; stopped when dropped, after the loop.
    let endpoints = Endpoints::start(ctx, service.health(), Some(Arc::clone(&rule_set)))?;

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let schedule = super::schedule::spawn(ctx, &stop, Some(rule_set))?;
    let watches = config.watch.len();
    let rules = service.rule_count();
    service.run(&stop, || {
        // The one line a Type=notify-style wrapper waits for; everything else goes to stderr.
        println!(
            "READY=1 watches={watches} rules={rules}{}",
            endpoints.ready_text()
        );
    })?;
    if let Some(s) = schedule
        && s.join().is_err()
    {
        tracing::error!("the scheduler thread stopped abnormally");
    }
    Ok(Outcome::Success)
}

/// The HTTP endpoints of the service: `/metrics` and `/health`, and the console of `[http]`, which
/// takes the metrics routes into its router when both are asked on one address. Stopped when
/// dropped.
struct Endpoints {
    metrics: Option<vigil_serve::MetricsServer>,
    console: Option<vigil_console::ConsoleServer>,
    shared: bool,
}

impl Endpoints {
    /// `rules`: those the service applies, for the console's coverage of the watched logs.
    fn start(
        ctx: &Context,
        board: &vigil_serve::HealthBoard,
        rules: Option<Arc<vigil_sigma::RuleSet>>,
    ) -> Result<Endpoints> {
        let config = &ctx.config;
        let metrics_addr = config.serve.metrics_addr().map_err(anyhow::Error::msg)?;
        let console_addr = config
            .http
            .as_ref()
            .map(|h| h.addr().map_err(anyhow::Error::msg))
            .transpose()?;
        let shared = metrics_addr.is_some() && metrics_addr == console_addr;
        let metrics = match metrics_addr {
            Some(addr) if !shared => Some(vigil_serve::MetricsServer::start(addr, board.clone())?),
            _ => None,
        };
        let console = start_console(
            ctx,
            shared.then(|| vigil_serve::router(board.clone())),
            rules,
        )?;
        Ok(Endpoints {
            metrics,
            console,
            shared,
        })
    }

    /// ` metrics=ADDR|off[ console=ADDR]`, for the readiness line.
    fn ready_text(&self) -> String {
        let metrics = match (&self.metrics, &self.console) {
            (Some(m), _) => m.local_addr().to_string(),
            (None, Some(c)) if self.shared => c.local_addr().to_string(),
            _ => "off".to_string(),
        };
        let console = self
            .console
            .as_ref()
            .map(|c| format!(" console={}", c.local_addr()))
            .unwrap_or_default();
        format!(" metrics={metrics}{console}")
    }
}

/// The console of `[http]`, if configured: over TLS with the configured certificate or the
/// self-signed one kept beside the store (its fingerprint printed on stderr, to be checked once in
/// the browser), on its own store connection; `metrics` are served by it too when given.
fn start_console(
    ctx: &Context,
    metrics: Option<axum::Router>,
    rules: Option<Arc<vigil_sigma::RuleSet>>,
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
        // Computed once, on a thread of its own: the page says "being computed" until it is done.
        coverage: match rules {
            Some(rules) => vigil_console::coverage::CoverageBoard::spawn(
                super::schedule::doctor_targets(&ctx.config),
                rules,
            )
            .context("cannot start computing the console's coverage")?,
            None => vigil_console::coverage::CoverageBoard::default(),
        },
        configuration: super::console_settings::configuration(
            &ctx.config,
            ctx.config_path.as_deref(),
        ),
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

/// The rule tests of the site's own rule folders (`tests/manifest.yml` in a `[serve] rules`
/// folder), run at every start: a rule that no longer fires on its positive sample, or fires on its
/// negative one, is an alert (the service still starts: the other rules watch). The alert is
/// resolved by the next start whose tests pass.
fn rule_tests(ctx: &Context) -> Result<()> {
    use vigil_store::{AlertState, AlertStore, AlertSubject, Evidence, NewAlert};
    let folders: Vec<&std::path::PathBuf> = ctx
        .config
        .serve
        .rules
        .iter()
        .filter(|p| p.join("tests/manifest.yml").is_file())
        .collect();
    if folders.is_empty() {
        return Ok(());
    }
    let mut alerter = vigil_alert::Alerter::new(
        &ctx.config.alert,
        &ctx.config.escalation,
        ctx.open_store()?,
        Arc::new(vigil_alert::SystemClock),
    )
    .context("cannot set up alerting")?;
    for dir in folders {
        let manifest = dir.join("tests/manifest.yml");
        let dedup_key = vigil_serve::proof::rule_tests_key(&dir.display().to_string());
        let failures: Vec<String> = match vigil_hunt::samples::load_manifest(&manifest)
            .and_then(|m| vigil_hunt::samples::verify(dir, &manifest, &m))
        {
            Ok(results) => {
                tracing::info!(
                    folder = %dir.display(),
                    rules = results.len(),
                    "rule tests run"
                );
                results
                    .iter()
                    .flat_map(|r| r.failures.iter().map(move |f| format!("{}: {f}", r.rule)))
                    .collect()
            }
            Err(e) => vec![e.to_string()],
        };
        if failures.is_empty() {
            let live = alerter
                .store()
                .alerts_with_key(&dedup_key, 16)
                .ok()
                .and_then(|h| h.into_iter().rfind(|a| a.state != AlertState::Resolved));
            if let Some(a) = live {
                alerter.resolve(a.id, "vigil", Some("the rule tests pass again"))?;
            }
            continue;
        }
        for f in &failures {
            tracing::error!(folder = %dir.display(), "rule test failed: {f}");
        }
        let mut evidence: Vec<Evidence> = failures
            .iter()
            .take(20)
            .map(|f| Evidence::new("failure", f.as_str()))
            .collect();
        if failures.len() > 20 {
            evidence.push(Evidence::new(
                "more",
                format!("{} more", failures.len() - 20),
            ));
        }
        alerter.raise(&NewAlert {
            dedup_key,
            subject: AlertSubject::SourceHealth,
            reference: dir.display().to_string(),
            severity: vigil_model::Level::High,
            title: format!(
                "rule tests failed in {}: detection by these rules cannot be trusted",
                dir.display()
            ),
            asset: None,
            evidence,
        })?;
    }
    Ok(())
}

/// Patch tracking without logs: only `[[inventory]]`, so only the scheduled jobs run (scans,
/// finding alerts, escalation of those, the digest). Said at start: no log is watched.
fn inventory_only(ctx: &Context) -> Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let Some(schedule) = super::schedule::spawn(ctx, &stop, None)? else {
        bail!(
            "nothing to do: the configuration has [[inventory]] but [schedule] scan, db_update \
             and digest are all off, and no [[watch]] or [[listen]]"
        );
    };
    tracing::warn!(
        "no [[watch]] or [[listen]]: no log is watched, only inventories are re-scanned"
    );
    let config = &ctx.config;
    let mut idle = vigil_serve::IdleService::new(
        ctx.open_store()?,
        std::time::Duration::from_secs(config.serve.heartbeat_secs),
    );
    let endpoints = Endpoints::start(ctx, idle.health(), None)?;
    idle.run(&stop, || {
        println!(
            "READY=1 watches=0 rules=0 inventories={}{}",
            config.inventory.len(),
            endpoints.ready_text()
        );
    });
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
    // Watches whose canaries a task on the server writes are tested that way.
    let scheduled = config
        .watch
        .iter()
        .filter(|w| w.canary_every.is_some_and(|r| r.0.is_some()))
        .count();
    let untested = config.watch.len().saturating_sub(files + scheduled);
    if untested > 0 {
        tracing::warn!(
            "{untested} of {} watched logs are not self-tested: vigil appends canary lines only \
             to single syslog files; give the others `canary_every` and schedule their canary on \
             the server (see docs/serve.md)",
            config.watch.len()
        );
    }
    let selftests = vigil_serve::selftest::SelfTests::new(
        vigil_serve::selftest::SelfTestOptions {
            every: config.selftest.every.0.map(|i| i.0),
            timeout: config.selftest.timeout.0,
            targets,
            scheduled: config
                .watch
                .iter()
                .filter_map(|w| {
                    let every = w.canary_every.and_then(|r| r.0)?;
                    Some((w.label().to_string(), every.0))
                })
                .collect(),
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
