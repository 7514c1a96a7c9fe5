//! The scheduler against real components: a SQLite store holding the bundled Exchange 2021 knowledge
//! (imported as `vigil db import` does), a drop folder the PowerShell collector writes inventory files
//! to, a webhook receiver and an SMTP server. Time is a manual clock.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use vigil_alert::config::{EmailConfig, Interval, Preset, Resend, TlsMode, WebhookConfig};
use vigil_alert::{AlertConfig, Alerter, EscalationConfig, ManualClock};
use vigil_config::InventorySource;
use vigil_model::Level;
use vigil_serve::{ScheduleOptions, Scheduler};
use vigil_store::SqliteStore;
use vigil_testkit::http::{HttpReceiver, Request};
use vigil_testkit::smtp::{SmtpServer, SmtpTls};

const WAIT: Duration = Duration::from_secs(10);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn store_with_knowledge(db: &Path) -> SqliteStore {
    let mut store = SqliteStore::open(db).unwrap();
    let k = repo().join("examples/exchange-2021/knowledge");
    let (_, failed) = vigil_pipeline::audit::import_knowledge(
        &mut store,
        &[k.join("msrc-cvrf"), k.join("kev")],
        &mut Vec::new(),
    );
    assert!(!failed, "the bundled knowledge imports");
    store
}

fn channels(hook: &HttpReceiver, smtp: &SmtpServer) -> AlertConfig {
    AlertConfig {
        webhook: vec![WebhookConfig {
            name: None,
            url: hook.url("/hook"),
            secret: None,
            secret_file: None,
            preset: Preset::Vigil,
            timeout: Interval::secs(5),
            attempts: 1,
            retry_delay: Interval::secs(1),
            min_severity: Level::Informational,
        }],
        email: vec![EmailConfig {
            name: None,
            server: "127.0.0.1".into(),
            port: Some(smtp.port()),
            tls: TlsMode::None,
            user: None,
            password: None,
            password_file: None,
            ca_file: None,
            from: "vigil <vigil@clinic.example>".into(),
            to: vec!["it@clinic.example".into()],
            digest: true,
            timeout: Interval::secs(5),
            attempts: 1,
            retry_delay: Interval::secs(1),
            min_severity: Level::Critical,
        }],
        ..AlertConfig::default()
    }
}

/// No escalation: the test counts first notices and the notices of news only.
fn no_escalation() -> EscalationConfig {
    EscalationConfig {
        critical: Resend(None),
        high: Resend(None),
        medium: Resend(None),
        ..EscalationConfig::default()
    }
}

fn alerter(
    db: &Path,
    hook: &HttpReceiver,
    smtp: &SmtpServer,
    clock: &Arc<ManualClock>,
) -> Alerter<SqliteStore> {
    Alerter::new(
        &channels(hook, smtp),
        &no_escalation(),
        SqliteStore::open(db).unwrap(),
        clock.clone(),
    )
    .unwrap()
}

/// Every job every 6 hours (deadlines daily), one inventory source, knowledge never stale.
fn options(path: PathBuf, asset: Option<&str>) -> ScheduleOptions {
    ScheduleOptions {
        scan: Some(SignedDuration::from_hours(6)),
        db_update: Some(SignedDuration::from_hours(6)),
        deadlines: Some(SignedDuration::from_hours(24)),
        digest: Some(Time::constant(8, 0, 0, 0)),
        tz: TimeZone::UTC,
        ignore_file: None,
        inventory: vec![InventorySource {
            path: Some(path),
            root: None,
            asset: asset.map(str::to_string),
            tags: Vec::new(),
        }],
        policy: vigil_scan::Policy::default(),
        max_age: SignedDuration::from_hours(24 * 365 * 100),
    }
}

fn texts(requests: &[Request]) -> Vec<String> {
    requests.iter().map(Request::body_text).collect()
}

/// Waits until the receiver has `n` requests in all, and checks that no more arrive.
fn exactly(hook: &HttpReceiver, n: usize) -> Vec<Request> {
    let got = hook.wait_for(n, WAIT);
    assert_eq!(got.len(), n, "{:#?}", texts(&got));
    std::thread::sleep(Duration::from_millis(200));
    let all = hook.requests();
    assert_eq!(all.len(), n, "{:#?}", texts(&all));
    all
}

#[test]
fn scheduled_scans_raise_finding_alerts_once_then_overdue_notices_and_a_digest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let store = store_with_knowledge(&db);
    drop(store);
    let inbox = dir.path().join("inventory");
    std::fs::create_dir(&inbox).unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::None, None);

    // 12 May 2021: the March and April Exchange updates are overdue, May's (due 25 May) is not.
    let t0: Timestamp = "2021-05-12T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let alerter = alerter(&db, &hook, &smtp, &clock);
    let opts = options(inbox.clone(), None);
    let mut sched = Scheduler::new(alerter, clock.clone(), opts);

    // The drop folder is empty: nothing was assessed, and that is said, not taken for an all-clear.
    sched.run_due();
    let got = exactly(&hook, 1);
    let body = got[0].body_text();
    assert!(
        body.contains("no inventory file in the folder yet") && body.contains("source_health"),
        "{body}"
    );
    assert_eq!(sched.stats().failed_jobs, 1);

    // The collector drops MAIL01's inventory; the next scan raises one alert per missing update.
    std::fs::copy(
        repo().join("examples/exchange-2021/inventory/MAIL01.json"),
        inbox.join("MAIL01.json"),
    )
    .unwrap();
    clock.advance(SignedDuration::from_hours(6));
    sched.run_due();
    let got = exactly(&hook, 4);
    let new: Vec<String> = texts(&got[1..]);
    for kb in ["KB5000871", "KB5001779", "KB5003435"] {
        assert_eq!(
            new.iter().filter(|b| b.contains(kb)).count(),
            1,
            "one alert for {kb}: {new:#?}"
        );
    }
    assert!(new.iter().all(|b| b.contains("\"finding\"")), "{new:#?}");
    let may = new.iter().find(|b| b.contains("KB5003435")).unwrap();
    assert!(may.contains("patch by 2021-05-25"), "{may}");
    assert_eq!(sched.stats().findings_opened, 3);

    // The digest went out at 08:00 by e-mail: the asset, its open findings, the overdue ones.
    clock.advance(SignedDuration::from_hours(1));
    sched.run_due();
    // The mailbox also has the critical alerts; the digest is the one mail that says so.
    let digest = || {
        smtp.mails()
            .into_iter()
            .filter(|m| {
                m.header("Subject")
                    .is_some_and(|s| s.contains("Daily digest"))
            })
            .collect::<Vec<_>>()
    };
    let mails = vigil_testkit::wait_for(WAIT, || Some(digest()).filter(|d| !d.is_empty())).unwrap();
    assert_eq!(mails.len(), 1);
    let subject = mails[0].header("Subject").unwrap_or_default();
    assert!(
        subject.contains("Daily digest 2021-05-12")
            && subject.contains("2 overdue, 3 open findings"),
        "{subject}"
    );
    assert!(mails[0].text().contains("MAIL01"));
    assert_eq!(sched.stats().digests, 1);

    // A second scan finds the same: no alert is sent again.
    clock.advance(SignedDuration::from_hours(6));
    sched.run_due();
    exactly(&hook, 4);
    assert_eq!(sched.stats().scans, 3);

    // Past 25 May the May update is overdue: its alert is updated with its severity raised and
    // sent again; the others, overdue from the start, are not.
    clock.set("2021-05-26T12:00:00Z".parse().unwrap());
    sched.run_due();
    let got = exactly(&hook, 5);
    let overdue = got[4].body_text();
    assert!(
        overdue.contains("KB5003435") && overdue.contains("has passed"),
        "{overdue}"
    );
    assert!(
        overdue.contains("\"critical\""),
        "raised from high: {overdue}"
    );
    assert_eq!(sched.stats().findings_notices, 1);

    // The May security update is installed (build 15.2.792.15 includes March's and April's): the
    // next scan no longer finds the three, and their alerts are resolved, escalating no more.
    let inventory = std::fs::read_to_string(inbox.join("MAIL01.json"))
        .unwrap()
        .replace("\"15.2.792.3\"", "\"15.2.792.15\"")
        .replace("(Build 792.3)", "(Build 792.15)");
    std::fs::write(inbox.join("MAIL01.json"), inventory).unwrap();
    clock.advance(SignedDuration::from_hours(6));
    sched.run_due();
    assert_eq!(sched.stats().findings_resolved, 3, "{:?}", sched.stats());
    let live = vigil_store::AlertStore::alerts(
        sched.alerter().store(),
        Some(vigil_store::AlertState::Open),
        100,
    )
    .unwrap();
    assert!(
        live.iter()
            .all(|a| a.subject != vigil_store::AlertSubject::Finding),
        "{live:#?}"
    );
}

#[test]
fn a_missing_inventory_path_is_a_failed_job_not_a_silent_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    drop(store_with_knowledge(&db));
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::None, None);
    let clock = Arc::new(ManualClock::new("2021-05-12T01:00:00Z".parse().unwrap()));
    let alerter = alerter(&db, &hook, &smtp, &clock);
    let mut opts = options(dir.path().join("absent"), Some("web1"));
    (opts.deadlines, opts.digest) = (None, None);
    opts.max_age = SignedDuration::from_hours(24);
    let mut sched = Scheduler::new(alerter, clock.clone(), opts);
    sched.run_due();
    let got = exactly(&hook, 1);
    assert!(got[0].body_text().contains("no such file or folder"));
    // The same failure again updates the alert; it is not sent twice.
    clock.advance(SignedDuration::from_hours(6));
    sched.run_due();
    exactly(&hook, 1);
    assert_eq!(sched.stats().failed_jobs, 2);
}

#[test]
fn the_ignore_file_is_applied_and_a_broken_one_is_alerted_without_dropping_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    drop(store_with_knowledge(&db));
    let inbox = dir.path().join("inventory");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(
        repo().join("examples/exchange-2021/inventory/MAIL01.json"),
        inbox.join("MAIL01.json"),
    )
    .unwrap();
    let ignore = dir.path().join("ignore.toml");
    std::fs::write(
        &ignore,
        "[[ignore]]\nid = \"KB5001779\"\nreason = \"compensating control: OWA not published\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::None, None);
    let clock = Arc::new(ManualClock::new("2021-05-12T01:00:00Z".parse().unwrap()));
    let alerter = alerter(&db, &hook, &smtp, &clock);
    let mut opts = options(inbox, None);
    (opts.deadlines, opts.digest, opts.db_update) = (None, None, None);
    opts.ignore_file = Some(ignore.clone());
    let mut sched = Scheduler::new(alerter, clock.clone(), opts);
    sched.run_due();
    let got = texts(&exactly(&hook, 2));
    assert!(
        got.iter().all(|b| !b.contains("KB5001779")),
        "an ignored finding raises no alert: {got:#?}"
    );
    // The file is edited into something unreadable: the failure is alerted, the decision it held
    // still applies (no alert for the ignored update appears), and the other alerts are not re-sent.
    std::fs::write(&ignore, "[[ignore]]\nid = \"KB5001779\"\n").unwrap();
    clock.advance(SignedDuration::from_hours(6));
    sched.run_due();
    let got = texts(&exactly(&hook, 3));
    assert!(
        got[2].contains("ignore file") && got[2].contains("entries read last"),
        "{:#?}",
        got[2]
    );
    assert!(
        got.iter()
            .filter(|b| b.contains("\"subject\":\"finding\""))
            .all(|b| !b.contains("KB5001779")),
        "{got:#?}"
    );
}

/// An exception made in the console (kept in the store) is applied by the next round as the ignore
/// file's are: the live alert of its finding is resolved citing it, and no new one is raised.
#[test]
fn an_exception_made_in_the_console_resolves_its_findings_alert_at_the_next_round() {
    use vigil_store::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    drop(store_with_knowledge(&db));
    let inbox = dir.path().join("inventory");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(
        repo().join("examples/exchange-2021/inventory/MAIL01.json"),
        inbox.join("MAIL01.json"),
    )
    .unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::None, None);
    let clock = Arc::new(ManualClock::new("2021-05-12T01:00:00Z".parse().unwrap()));
    let alerter = alerter(&db, &hook, &smtp, &clock);
    let mut opts = options(inbox, None);
    (opts.deadlines, opts.digest, opts.db_update) = (None, None, None);
    let mut sched = Scheduler::new(alerter, clock.clone(), opts);
    sched.run_due();
    let mut store = SqliteStore::open(&db).unwrap();
    let live = |store: &SqliteStore| -> Vec<vigil_store::Alert> {
        store
            .alerts(Some(vigil_store::AlertState::Open), 100)
            .unwrap()
            .into_iter()
            .filter(|a| a.title.contains("KB5001779"))
            .collect()
    };
    assert_eq!(live(&store).len(), 1, "the finding is alerted first");
    let finding = store
        .findings("MAIL01", false)
        .unwrap()
        .into_iter()
        .find(|f| f.key.contains("KB5001779"))
        .unwrap();
    let (advisory, package) = vigil_pipeline::exceptions::target(&finding.finding);
    store
        .add_exception_recorded(
            &vigil_store::NewException {
                asset: "MAIL01".into(),
                advisory,
                package: Some(package),
                reason: "OWA is not published".into(),
                expires: "2021-08-01".parse().unwrap(),
            },
            Timestamp::now(),
            "rita",
        )
        .unwrap();
    clock.advance(SignedDuration::from_hours(6));
    sched.run_due();
    assert!(live(&store).is_empty(), "{:#?}", live(&store));
    let alert = store
        .alerts(Some(vigil_store::AlertState::Resolved), 100)
        .unwrap()
        .into_iter()
        .find(|a| a.title.contains("KB5001779"))
        .unwrap();
    let note = alert.resolved.and_then(|m| m.note).unwrap_or_default();
    assert!(
        note.contains("ignored until 2021-08-01") && note.contains("by rita in the console"),
        "{note}"
    );
}

#[test]
fn a_knowledge_update_is_followed_by_a_scan_and_a_source_failing_too_long_is_alerted() {
    use vigil_store::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    drop(store_with_knowledge(&db));
    let inbox = dir.path().join("inventory");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(
        repo().join("examples/exchange-2021/inventory/MAIL01.json"),
        inbox.join("MAIL01.json"),
    )
    .unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::None, None);
    let clock = Arc::new(ManualClock::new("2021-05-12T01:00:00Z".parse().unwrap()));
    let alerter = alerter(&db, &hook, &smtp, &clock);
    let mut opts = options(inbox, None);
    (opts.deadlines, opts.digest) = (None, None);
    // The update of a KEV source that has never succeeded: the fetch fails, as offline.
    let update_db = db.clone();
    let update = Box::new(move || {
        let mut store = SqliteStore::open(&update_db).map_err(|e| e.to_string())?;
        store
            .record_failure("kev", "https://kev.invalid/feed.json", "HTTP 503")
            .map_err(|e| e.to_string())?;
        Ok(1)
    });
    let mut sched = Scheduler::new(alerter, clock.clone(), opts).with_knowledge_update(update);
    sched.run_due();
    exactly(&hook, 3);
    assert_eq!(
        sched.stats().db_updates,
        0,
        "the first update comes one interval after start"
    );
    // The update finds a source failing for longer than max_age: said once, as source health;
    // the scan that follows finds nothing new.
    clock.advance(SignedDuration::from_hours(6));
    sched.run_due();
    let got = exactly(&hook, 4);
    let health = got[3].body_text();
    assert!(
        health.contains("knowledge update failed")
            && health.contains("kev has failed since it was added (HTTP 503)"),
        "{health}"
    );
    assert_eq!(sched.stats().db_updates, 1);
    assert_eq!(sched.stats().scans, 2);
    assert_eq!(sched.stats().findings_opened, 3);
}

/// The logging check on the schedule: the watched logs' gaps (here, logs covering two days, less
/// than the patch cycle) are one alert for the server, with the gap and its fix; when the check
/// finds no gap any more, the service resolves the alert.
#[test]
fn the_logging_check_alerts_the_gaps_of_a_watched_server_and_resolves_them() {
    use vigil_serve::doctor::{DoctorTarget, doctor_job, gap_key};
    use vigil_store::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    drop(store_with_knowledge(&db));
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::copy(
        repo().join("examples/linux-mail/logs/mail.log"),
        logs.join("mail.log"),
    )
    .unwrap();
    let (set, errors) = vigil_sigma::load_rules(
        &[repo().join("rules/vigil")],
        &vigil_sigma::LoadOptions::default(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let rules = Arc::new(set);
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::None, None);
    let clock = Arc::new(ManualClock::new("2026-04-14T00:00:00Z".parse().unwrap()));
    let target = DoctorTarget {
        asset: "mx1".into(),
        paths: vec![logs.clone()],
    };
    let quiet = |mut o: ScheduleOptions| {
        (o.scan, o.db_update, o.deadlines, o.digest) = (None, None, None, None);
        o
    };
    let mut sched = Scheduler::new(
        alerter(&db, &hook, &smtp, &clock),
        clock.clone(),
        quiet(options(logs.clone(), None)),
    )
    .with_job(
        "doctor",
        "logging check",
        (SignedDuration::ZERO, SignedDuration::from_hours(24)),
        doctor_job(
            vec![target.clone()],
            rules.clone(),
            vigil_coverage::CheckOptions::default(),
        ),
    );
    sched.run_due();
    let got = exactly(&hook, 1);
    let body = got[0].body_text();
    assert!(
        body.contains("mx1: 1 logging gap(s)") && body.contains("retention"),
        "{body}"
    );
    // Run again the next day: the same gap updates the alert quietly.
    clock.advance(SignedDuration::from_hours(24));
    sched.run_due();
    exactly(&hook, 1);

    // The logs are kept long enough now (here: the check's limit is met): the alert is resolved.
    let mut sched = Scheduler::new(
        alerter(&db, &hook, &smtp, &clock),
        clock.clone(),
        quiet(options(logs, None)),
    )
    .with_job(
        "doctor",
        "logging check",
        (SignedDuration::ZERO, SignedDuration::from_hours(24)),
        doctor_job(
            vec![target],
            rules,
            vigil_coverage::CheckOptions {
                min_retention_days: 1,
                ..vigil_coverage::CheckOptions::default()
            },
        ),
    );
    sched.run_due();
    let store = SqliteStore::open(&db).unwrap();
    let history = store.alerts_with_key(&gap_key("mx1"), 8).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].state,
        vigil_store::AlertState::Resolved,
        "{history:#?}"
    );
}
