//! The scheduler of the standing watch: updates the knowledge (through a [`KnowledgeUpdate`] the
//! caller provides: fetching is the binary's), re-scans every `[[inventory]]` source, re-evaluates
//! open findings against their deadlines and sends the daily digest, on its own thread with its own store
//! connection and alerter, so that a slow scan never delays detection.
//!
//! Time comes from a [`Clock`]: tests move a [`vigil_alert::ManualClock`] past a deadline or past the
//! digest hour and call [`Scheduler::run_due`]. A job that fails is logged and raised as a
//! source-health alert (resolved when the job succeeds again); it never stops the service.

use crate::findings::{digest_finding, finding_alert, finding_news};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use vigil_alert::{
    AlertState, AlertStore, Alerter, AssetDigest, Clock, Digest, digest::MAX_ALERTS,
};
use vigil_config::{Config, InventorySource};
use vigil_model::Level;
use vigil_pipeline::scan::{ScanRequest, scan_asset};
use vigil_scan::{IgnoreFile, IgnoreState, Policy};
use vigil_store::{AlertSubject, AssetStore, Evidence, KnowledgeStore, NewAlert};

/// Alerts under one key looked at to decide whether a person closed a finding's alert.
const KEY_HISTORY: usize = 64;
/// Live alerts read per state when looking for findings that are gone.
const LIVE_ALERTS: usize = 10_000;
/// How often the thread looks at the clock.
const TICK: Duration = Duration::from_secs(1);

/// The knowledge update job: fetches and imports every configured source (what `vigil db update`
/// does) and returns how many sources failed, or why nothing could be updated.
pub type KnowledgeUpdate = Box<dyn FnMut() -> Result<usize, String> + Send>;

/// When the jobs run and what they work on.
#[derive(Debug, Clone)]
pub struct ScheduleOptions {
    /// Interval between scans of every inventory source; `None`: never.
    pub scan: Option<SignedDuration>,
    /// Interval between knowledge updates; `None`: never (or no [`KnowledgeUpdate`] given).
    pub db_update: Option<SignedDuration>,
    /// Interval between re-evaluations of every open finding's deadline; `None`: never.
    pub deadlines: Option<SignedDuration>,
    /// Local time of the daily digest; `None`: no digest.
    pub digest: Option<Time>,
    /// The zone the digest time is read in (`[schedule] time_zone`, else the system's).
    pub tz: TimeZone,
    /// The ignore file applied to the scans, read again before every round of scans (with the
    /// exceptions made in the console, read from the store at each scan and review).
    pub ignore_file: Option<PathBuf>,
    pub inventory: Vec<InventorySource>,
    pub policy: Policy,
    /// Knowledge older than this is reported as stale by scans.
    pub max_age: SignedDuration,
}

impl ScheduleOptions {
    /// The options of `[schedule]`, `[[inventory]]`, `[policy]` and `[knowledge]`.
    pub fn from_config(config: &Config) -> ScheduleOptions {
        ScheduleOptions {
            scan: config.schedule.scan.map(|i| i.0),
            db_update: config.schedule.db_update.map(|i| i.0),
            deadlines: config.schedule.deadlines.map(|i| i.0),
            digest: config.schedule.digest,
            // The configuration checked the zone when it was read.
            tz: config
                .schedule
                .time_zone
                .as_deref()
                .and_then(|z| vigil_logs::parse_time_zone(z).ok())
                .unwrap_or_else(TimeZone::system),
            ignore_file: config.schedule.ignore_file.clone(),
            inventory: config.inventory.clone(),
            policy: config.policy.clone(),
            max_age: config.knowledge.max_age(),
        }
    }
}

/// What the jobs have done since the scheduler started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScheduleStats {
    pub scans: u64,
    pub db_updates: u64,
    pub failed_jobs: u64,
    /// Finding alerts opened, and notices of existing ones (overdue, newly in KEV).
    pub findings_opened: u64,
    pub findings_notices: u64,
    /// Finding alerts resolved because a scan no longer found the finding.
    pub findings_resolved: u64,
    pub digests: u64,
}

/// A job of another module run on the schedule (the logging check): it raises its own alerts
/// through the scheduler's alerter; an error is a failed job like any other.
pub type Job<S> = Box<dyn FnMut(&mut Alerter<S>) -> Result<(), String> + Send>;

struct ExtraJob<S: KnowledgeStore + AssetStore + AlertStore> {
    key: String,
    what: String,
    every: SignedDuration,
    next: Timestamp,
    run: Job<S>,
}

/// When each job runs next; `None`: switched off.
#[derive(Debug, Clone, Copy)]
struct Next {
    scan: Option<Timestamp>,
    db_update: Option<Timestamp>,
    deadlines: Option<Timestamp>,
    digest: Option<Timestamp>,
}

/// The scheduled jobs over one store connection `S` (knowledge, assets and alerts).
pub struct Scheduler<S: KnowledgeStore + AssetStore + AlertStore> {
    alerter: Alerter<S>,
    clock: Arc<dyn Clock>,
    opts: ScheduleOptions,
    ignores: IgnoreFile,
    update: Option<KnowledgeUpdate>,
    next: Next,
    /// Why an asset's (or an inventory source's) picture is incomplete, from its last scan.
    incomplete: BTreeMap<String, Vec<String>>,
    stats: ScheduleStats,
    jobs: Vec<ExtraJob<S>>,
}

impl<S: KnowledgeStore + AssetStore + AlertStore> Scheduler<S> {
    /// A scheduler whose first scan is due at once (when there is an inventory to scan), whose
    /// first deadline review follows one interval later and whose digest goes out at the next
    /// digest time.
    pub fn new(alerter: Alerter<S>, clock: Arc<dyn Clock>, opts: ScheduleOptions) -> Self {
        let now = clock.now();
        let next = Next {
            scan: opts
                .scan
                .filter(|_| !opts.inventory.is_empty())
                .map(|_| now),
            db_update: None,
            deadlines: opts.deadlines.map(|d| after(now, d)),
            digest: opts.digest.map(|t| next_daily(now, t, &opts.tz)),
        };
        Scheduler {
            alerter,
            clock,
            opts,
            ignores: IgnoreFile::default(),
            update: None,
            next,
            incomplete: BTreeMap::new(),
            stats: ScheduleStats::default(),
            jobs: Vec::new(),
        }
    }

    /// Updates the knowledge with `update` every `db_update` interval, the first time one interval
    /// after the start (a restart must not download everything again; a new installation runs
    /// `vigil db update` first). A scan of every inventory follows each update, so a CVE newly in
    /// KEV reaches its finding's alert.
    pub fn with_knowledge_update(mut self, update: KnowledgeUpdate) -> Self {
        let now = self.clock.now();
        self.next.db_update = self.opts.db_update.map(|d| after(now, d));
        self.update = Some(update);
        self
    }

    pub fn stats(&self) -> ScheduleStats {
        self.stats
    }

    /// Adds a job run first `first` after now, then every `every`, under `key` (its failure
    /// alert's key).
    pub fn with_job(
        mut self,
        key: &str,
        what: &str,
        (first, every): (SignedDuration, SignedDuration),
        run: Job<S>,
    ) -> Self {
        let next = after(self.clock.now(), first);
        self.jobs.push(ExtraJob {
            key: key.to_string(),
            what: what.to_string(),
            every,
            next,
            run,
        });
        self
    }

    pub fn alerter(&self) -> &Alerter<S> {
        &self.alerter
    }

    /// Runs every job whose time has come. Errors are the jobs' own: logged, alerted, not returned.
    pub fn run_due(&mut self) {
        let now = self.clock.now();
        if let (Some(at), Some(every)) = (self.next.db_update, self.opts.db_update)
            && at <= now
        {
            self.next.db_update = Some(after(now, every));
            let result = self.update_knowledge(now);
            self.job_done("db-update", "knowledge update", result);
            if self.next.scan.is_some() {
                self.next.scan = Some(now);
            }
        }
        if let (Some(at), Some(every)) = (self.next.scan, self.opts.scan)
            && at <= now
        {
            self.next.scan = Some(after(now, every));
            self.scan_all(now);
        }
        if let (Some(at), Some(every)) = (self.next.deadlines, self.opts.deadlines)
            && at <= now
        {
            self.next.deadlines = Some(after(now, every));
            let result = self.review_all(today(now));
            self.job_done("deadlines", "deadline review", result);
        }
        if let (Some(at), Some(time)) = (self.next.digest, self.opts.digest)
            && at <= now
        {
            self.next.digest = Some(next_daily(now, time, &self.opts.tz));
            let result = self.send_digest(now);
            self.job_done("digest", "daily digest", result);
        }
        let mut jobs = std::mem::take(&mut self.jobs);
        for job in jobs.iter_mut().filter(|j| j.next <= now) {
            job.next = after(now, job.every);
            let result = (job.run)(&mut self.alerter);
            self.job_done(&job.key, &job.what, result);
        }
        self.jobs = jobs;
        if let Err(e) = self.alerter.tick() {
            tracing::error!("escalation of scheduled alerts failed: {e}");
        }
    }

    /// Runs [`Scheduler::run_due`] every second on a thread of its own until `stop` is set.
    pub fn spawn(mut self, stop: Arc<AtomicBool>) -> std::io::Result<JoinHandle<()>>
    where
        S: Send + 'static,
    {
        std::thread::Builder::new()
            .name("vigil-schedule".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    self.run_due();
                    crate::service::sleep_unless(&stop, TICK);
                }
            })
    }

    /// Runs the update, then warns about every source whose last success is older than
    /// `max_age` (or that never succeeded): its knowledge is stale, and scans say so.
    fn update_knowledge(&mut self, now: Timestamp) -> Result<(), String> {
        let Some(update) = self.update.as_mut() else {
            return Ok(());
        };
        let failed = update()?;
        self.stats.db_updates += 1;
        let sources = self.alerter.store().sources().map_err(|e| e.to_string())?;
        let mut stale = Vec::new();
        for s in &sources {
            let old = s
                .last_success_at
                .is_none_or(|t| now.duration_since(t) > self.opts.max_age);
            if old && s.last_error.is_some() {
                stale.push(format!(
                    "{} has failed since {} ({})",
                    s.key,
                    s.last_success_at
                        .map_or_else(|| "it was added".to_string(), |t| t.to_string()),
                    s.last_error.as_deref().unwrap_or_default()
                ));
            }
        }
        if !stale.is_empty() {
            stale.truncate(vigil_alert::digest::MAX_FINDINGS_PER_ASSET);
            return Err(format!(
                "knowledge older than [knowledge] max_age_hours: {}",
                stale.join("; ")
            ));
        }
        if failed > 0 {
            tracing::warn!("{failed} knowledge source(s) failed; their previous data is kept");
        }
        Ok(())
    }

    /// Reads the ignore file again. When it cannot be read, the scans go on with the entries read
    /// last (never with none: that would re-raise every ignored finding), and the failure is a
    /// job failure like any other, alerted until the file reads again.
    fn reload_ignores(&mut self) {
        let Some(path) = self.opts.ignore_file.clone() else {
            return;
        };
        let result = IgnoreFile::load(&path)
            .map(|f| self.ignores = f)
            .map_err(|e| format!("{e}; the scans apply the entries read last"));
        self.job_done(
            "ignore-file",
            &format!("reading of the ignore file {}", path.display()),
            result,
        );
    }

    fn scan_all(&mut self, now: Timestamp) {
        self.reload_ignores();
        for source in self.opts.inventory.clone() {
            let label = source.label();
            let result = self.scan_one(&source, now);
            self.stats.scans += 1;
            self.job_done(
                &format!("inventory:{label}"),
                &format!("scan of {label}"),
                result,
            );
        }
    }

    /// Scans one source, stores its snapshot and raises the alerts of its open findings.
    fn scan_one(&mut self, source: &InventorySource, now: Timestamp) -> Result<(), String> {
        let label = source.label();
        if let Some(p) = &source.path {
            check_inventory_path(p).inspect_err(|e| {
                self.incomplete.insert(label.clone(), vec![e.clone()]);
            })?;
        }
        // The file's entries and the exceptions made in the console, read now: one made since the
        // last round applies to this scan.
        let ignores =
            vigil_pipeline::exceptions::with_stored(self.alerter.store(), &self.ignores, None)
                .map_err(|e| format!("reading the exceptions: {e}"))?;
        let req = ScanRequest {
            targets: source.path.iter().cloned().collect(),
            excludes: Vec::new(),
            roots: source.root.iter().cloned().collect(),
            host: false,
            asset: source.asset.clone(),
            tags: source.tags.clone(),
            today: None,
            now,
            max_age: self.opts.max_age,
            policy: &self.opts.policy,
            ignores: &ignores,
            store: true,
        };
        let done = scan_asset(self.alerter.store_mut(), &req).map_err(|e| e.to_string())?;
        let asset = done.asset.name.clone();
        let mut notes: Vec<String> = done
            .report
            .not_assessed
            .iter()
            .map(|n| format!("{}: {}", n.location, n.reason))
            .collect();
        notes.truncate(vigil_alert::digest::MAX_FINDINGS_PER_ASSET);
        self.incomplete.remove(&label);
        self.incomplete.insert(asset.clone(), notes);
        match done.stored {
            Some(Ok(saved)) => tracing::info!(
                asset = %asset,
                new = saved.new,
                resolved = saved.resolved,
                "scheduled scan stored"
            ),
            Some(Err(e)) => return Err(format!("the scan of {asset} was not stored: {e}")),
            None => {}
        }
        self.review(&asset, today(now))?;
        if done.inputs_failed {
            return Err(format!(
                "{label}: some inventory input could not be read; {asset} is not fully assessed"
            ));
        }
        Ok(())
    }

    fn review_all(&mut self, today: Date) -> Result<(), String> {
        let assets = self.alerter.store().assets().map_err(|e| e.to_string())?;
        for a in assets {
            self.review(&a.asset.name, today)?;
        }
        Ok(())
    }

    /// Raises (or updates) the alert of every open finding with a deadline on `asset`. A finding
    /// whose alert a person resolved after the finding was first seen stays quiet. The live alert
    /// of a finding the last scan no longer finds (fixed, or the software removed) is resolved by
    /// the service, saying so: an alert that escalates over a fixed finding teaches people to
    /// ignore alerts.
    fn review(&mut self, asset: &str, today: Date) -> Result<(), String> {
        let ignores = vigil_pipeline::exceptions::with_stored(
            self.alerter.store(),
            &self.ignores,
            Some(asset),
        )
        .map_err(|e| format!("reading the exceptions: {e}"))?;
        let open = self
            .alerter
            .store()
            .findings(asset, false)
            .map_err(|e| e.to_string())?;
        let open_keys: std::collections::HashSet<String> = open
            .iter()
            .map(|f| vigil_store::finding_alert_key(&f.asset, &f.key))
            .collect();
        let mut live = Vec::new();
        for state in [AlertState::Open, AlertState::Acknowledged] {
            live.extend(
                self.alerter
                    .store()
                    .alerts(Some(state), LIVE_ALERTS)
                    .map_err(|e| e.to_string())?,
            );
        }
        for a in live {
            let fixed = a.subject == AlertSubject::Finding
                && a.asset.as_deref() == Some(asset)
                && !open_keys.contains(&a.dedup_key);
            if fixed {
                self.alerter
                    .resolve(
                        a.id,
                        "vigil",
                        Some("the latest scan of the asset no longer finds it (fixed or removed)"),
                    )
                    .map_err(|e| e.to_string())?;
                self.stats.findings_resolved += 1;
                tracing::info!(
                    alert = a.id,
                    asset,
                    "finding alert resolved: no longer found"
                );
            }
        }
        for f in open {
            let Some(alert) = finding_alert(&f, today) else {
                continue;
            };
            let history = self
                .alerter
                .store()
                .alerts_with_key(&alert.dedup_key, KEY_HISTORY)
                .map_err(|e| e.to_string())?;
            // An exception in force is a decision someone made: no alert, and a live one is closed
            // citing it. Once it expires the finding is alerted again.
            if let Some(IgnoreState::Ignored { reason, expires }) = ignores.state(&f.finding, today)
            {
                if let Some(a) = history.iter().rfind(|a| a.state != AlertState::Resolved) {
                    let note = format!("ignored until {expires}: {reason}");
                    self.alerter
                        .resolve(a.id, "vigil", Some(&note))
                        .map_err(|e| e.to_string())?;
                }
                continue;
            }
            let closed_since = history.last().is_some_and(|a| {
                a.state == AlertState::Resolved
                    && a.resolved.as_ref().is_some_and(|m| m.at >= f.first_seen)
            });
            if closed_since {
                continue;
            }
            let out = self
                .alerter
                .raise_with_news(&alert, finding_news)
                .map_err(|e| e.to_string())?;
            if out.opened {
                self.stats.findings_opened += 1;
                tracing::info!(alert = out.alert.id, title = %out.alert.title, "finding alert opened");
            } else if !out.deliveries.is_empty() {
                self.stats.findings_notices += 1;
            }
        }
        Ok(())
    }

    fn send_digest(&mut self, now: Timestamp) -> Result<(), String> {
        let store = self.alerter.store();
        let mut assets = Vec::new();
        for a in store.assets().map_err(|e| e.to_string())? {
            let name = a.asset.name;
            let last_scan = store
                .snapshots(&name)
                .map_err(|e| e.to_string())?
                .last()
                .map(|s| s.taken_at);
            let findings = store
                .findings(&name, false)
                .map_err(|e| e.to_string())?
                .iter()
                .map(|f| digest_finding(&f.finding))
                .collect();
            let not_assessed = self.incomplete.get(&name).cloned().unwrap_or_default();
            assets.push(AssetDigest {
                asset: name,
                last_scan,
                findings,
                not_assessed,
            });
        }
        // Inventory sources that never produced an asset: listed so their silence is not read
        // as an all-clear.
        for (label, why) in &self.incomplete {
            if !assets.iter().any(|a| &a.asset == label) {
                assets.push(AssetDigest {
                    asset: label.clone(),
                    last_scan: None,
                    findings: Vec::new(),
                    not_assessed: why.clone(),
                });
            }
        }
        let mut alerts = store
            .alerts(Some(AlertState::Open), MAX_ALERTS)
            .map_err(|e| e.to_string())?;
        alerts.extend(
            store
                .alerts(Some(AlertState::Acknowledged), MAX_ALERTS)
                .map_err(|e| e.to_string())?,
        );
        alerts.truncate(MAX_ALERTS);
        let digest = Digest {
            date: now.to_zoned(self.opts.tz.clone()).date(),
            assets,
            alerts,
        };
        let deliveries = self.alerter.send_digest(&digest);
        if deliveries.is_empty() {
            tracing::warn!("no [[alert.email]] channel takes the digest (digest = true): not sent");
            return Ok(());
        }
        if !deliveries
            .iter()
            .any(|d| d.outcome == vigil_store::DeliveryOutcome::Delivered)
        {
            return Err("no recipient received the daily digest".into());
        }
        self.stats.digests += 1;
        Ok(())
    }

    /// Logs a job's failure and raises it as a source-health alert; resolves that alert when the
    /// job succeeds again.
    fn job_done(&mut self, key: &str, what: &str, result: Result<(), String>) {
        let dedup_key = format!("schedule:{key}");
        match result {
            Ok(()) => {
                let live = self
                    .alerter
                    .store()
                    .alerts_with_key(&dedup_key, KEY_HISTORY)
                    .ok()
                    .and_then(|h| h.into_iter().rfind(|a| a.state != AlertState::Resolved));
                if let Some(a) = live
                    && let Err(e) = self
                        .alerter
                        .resolve(a.id, "vigil", Some("the job succeeded"))
                {
                    tracing::warn!("cannot resolve alert {}: {e}", a.id);
                }
            }
            Err(reason) => {
                self.stats.failed_jobs += 1;
                tracing::error!("{what} failed: {reason}");
                let alert = NewAlert {
                    dedup_key,
                    subject: AlertSubject::SourceHealth,
                    reference: key.to_string(),
                    severity: Level::Medium,
                    title: format!("scheduled {what} failed"),
                    asset: None,
                    evidence: vec![Evidence::new("reason", reason)],
                };
                if let Err(e) = self.alerter.raise(&alert) {
                    tracing::error!("cannot raise the alert about the failed {what}: {e}");
                }
            }
        }
    }
}

/// A path source must exist, and a folder must hold at least one file: an empty drop folder has
/// assessed nothing, which must not read as "no finding".
fn check_inventory_path(p: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{}: no such file or folder", p.display()),
        _ => format!("{}: {e}", p.display()),
    })?;
    if meta.is_dir() {
        let mut entries = std::fs::read_dir(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if entries.next().is_none() {
            return Err(format!(
                "{}: no inventory file in the folder yet",
                p.display()
            ));
        }
    }
    Ok(())
}

fn today(now: Timestamp) -> Date {
    now.to_zoned(TimeZone::UTC).date()
}

fn after(now: Timestamp, d: SignedDuration) -> Timestamp {
    now.checked_add(d).unwrap_or(Timestamp::MAX)
}

/// The next `time` of day in `tz` strictly after `now` (a day later when today's has passed; a
/// time skipped by a DST change falls on the next valid instant).
pub fn next_daily(now: Timestamp, time: Time, tz: &TimeZone) -> Timestamp {
    let local = now.to_zoned(tz.clone());
    let at = |d: Date| {
        d.to_datetime(time)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::MAX)
    };
    let today_at = at(local.date());
    if today_at > now {
        today_at
    } else {
        local.date().tomorrow().map(at).unwrap_or(Timestamp::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_time_is_read_in_the_configured_zone() {
        let config = Config::parse("[schedule]\ntime_zone = \"+05:30\"\ndigest = \"08:00\"\n")
            .expect("valid");
        let opts = ScheduleOptions::from_config(&config);
        let now: Timestamp = "2026-03-01T00:00:00Z".parse().expect("time");
        let at = next_daily(now, Time::constant(8, 0, 0, 0), &opts.tz);
        assert_eq!(at.to_string(), "2026-03-01T02:30:00Z");
    }

    #[test]
    fn the_digest_goes_out_at_the_next_local_time() {
        let tz = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::fixed(jiff::tz::offset(1)));
        let eight = Time::constant(8, 0, 0, 0);
        // 06:30 UTC is 07:30 in Berlin in winter: today at 08:00 local.
        let now: Timestamp = "2026-01-15T06:30:00Z".parse().unwrap();
        assert_eq!(
            next_daily(now, eight, &tz),
            "2026-01-15T07:00:00Z".parse::<Timestamp>().unwrap()
        );
        // At 08:00 local exactly: tomorrow's.
        let now: Timestamp = "2026-01-15T07:00:00Z".parse().unwrap();
        assert_eq!(
            next_daily(now, eight, &tz),
            "2026-01-16T07:00:00Z".parse::<Timestamp>().unwrap()
        );
    }
}
