//! `vigil alerts` end to end: alerts raised by the alerting engine (as `vigil serve` will) into a store
//! file, delivered to real servers started by the test, then listed, shown, acknowledged and resolved
//! with the command line — and escalation stops once `vigil alerts ack` ran.

use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;
use vigil_alert::config::{
    Contact, EmailConfig, Framing, Interval, Preset, SyslogConfig, SyslogTransport, TlsMode,
    WebhookConfig,
};
use vigil_alert::{AlertConfig, Alerter, EscalationConfig, ManualClock};
use vigil_model::Level;
use vigil_store::{AlertStore, AlertSubject, Evidence, NewAlert, SqliteStore};
use vigil_testkit::http::HttpReceiver;
use vigil_testkit::smtp::{SmtpServer, SmtpTls};
use vigil_testkit::syslog::SyslogReceiver;

const WAIT: Duration = Duration::from_secs(10);

fn vigil(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("VIGIL_CONFIG")
        .env("XDG_CONFIG_HOME", db.parent().unwrap())
        .env("NO_COLOR", "1")
        .env("USER", "tester")
        .current_dir(db.parent().unwrap())
        .output()
        .expect("run vigil")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn incident(id: &str, severity: Level, title: &str) -> NewAlert {
    NewAlert {
        dedup_key: vigil_store::incident_alert_key(id),
        subject: AlertSubject::Incident,
        reference: id.into(),
        severity,
        title: title.into(),
        asset: Some("MAIL01".into()),
        evidence: vec![Evidence::new("rule", "Exchange ProxyShell URL pattern")],
    }
}

struct Rig {
    smtp: SmtpServer,
    hook: HttpReceiver,
    syslog: SyslogReceiver,
    config: AlertConfig,
    dir: tempfile::TempDir,
    db: PathBuf,
}

fn rig() -> Rig {
    let smtp = SmtpServer::start(SmtpTls::Starttls, Some(("vigil", "pw")));
    let hook = HttpReceiver::start();
    let syslog = SyslogReceiver::udp();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &smtp.ca_pem).unwrap();
    let config = AlertConfig {
        email: vec![EmailConfig {
            name: None,
            server: "127.0.0.1".into(),
            port: Some(smtp.port()),
            tls: TlsMode::Starttls,
            user: Some("vigil".into()),
            password: Some("pw".into()),
            password_file: None,
            ca_file: Some(ca),
            from: "vigil@clinic.example".into(),
            to: vec!["it@clinic.example".into()],
            digest: true,
            timeout: Interval::secs(5),
            attempts: 2,
            retry_delay: Interval::secs(1),
            min_severity: Level::Informational,
        }],
        webhook: vec![WebhookConfig {
            name: None,
            url: hook.url("/hook"),
            secret: Some("k".into()),
            secret_file: None,
            preset: Preset::Vigil,
            timeout: Interval::secs(5),
            attempts: 2,
            retry_delay: Interval::secs(1),
            min_severity: Level::Informational,
        }],
        syslog: vec![SyslogConfig {
            name: None,
            address: syslog.address(),
            transport: SyslogTransport::Udp,
            framing: Framing::OctetCounting,
            facility: "local0".into(),
            app_name: "vigil".into(),
            hostname: None,
            sd_id: "vigil@32473".into(),
            max_message: 2048,
            timeout: Interval::secs(5),
            attempts: 1,
            retry_delay: Interval::secs(1),
            min_severity: Level::Informational,
        }],
        ..AlertConfig::default()
    };
    let db = dir.path().join("vigil.db");
    Rig {
        smtp,
        hook,
        syslog,
        config,
        dir,
        db,
    }
}

fn escalation() -> EscalationConfig {
    EscalationConfig {
        contact: vec![Contact {
            name: "On call".into(),
            email: vec!["oncall@provider.example".into()],
            via: None,
        }],
        ..EscalationConfig::default()
    }
}

fn alerter(rig: &Rig, clock: &Arc<ManualClock>) -> Alerter<SqliteStore> {
    Alerter::new(
        &rig.config,
        &escalation(),
        SqliteStore::open(&rig.db).unwrap(),
        clock.clone(),
    )
    .unwrap()
}

fn token_in(text: &str) -> String {
    let start = text.find("--token ").expect("a token in the mail") + "--token ".len();
    text[start..].split_whitespace().next().unwrap().to_string()
}

#[test]
fn escalation_stops_after_vigil_alerts_ack() {
    let rig = rig();
    let t0: Timestamp = Timestamp::now();
    let clock = Arc::new(ManualClock::new(t0));
    let mut alerter = alerter(&rig, &clock);
    let id = alerter
        .raise(&incident("INC-1", Level::Critical, "ProxyShell on MAIL01"))
        .unwrap()
        .alert
        .id;
    // Delivered on each channel.
    assert_eq!(rig.smtp.wait_for(1, WAIT).len(), 1);
    assert_eq!(rig.hook.wait_for(1, WAIT).len(), 1);
    assert_eq!(rig.syslog.wait_for(1, WAIT).len(), 1);

    // Nobody acknowledges within 30 minutes: escalated to the on-call contact.
    clock.set(t0 + SignedDuration::from_mins(30));
    let esc = alerter.tick().unwrap();
    assert_eq!(esc.len(), 1);
    let mails = rig.smtp.wait_for(2, WAIT);
    assert_eq!(mails[1].to[0], "oncall@provider.example");
    assert_eq!(rig.hook.wait_for(2, WAIT).len(), 2);

    // A person acknowledges from the command line, on the same store.
    let o = vigil(
        &rig.db,
        &[
            "alerts",
            "ack",
            &id.to_string(),
            "--by",
            "dana",
            "--note",
            "isolating MAIL01",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("alert 1 acknowledged by dana"),
        "{}",
        stdout(&o)
    );

    // The service's next ticks send nothing more.
    for mins in [60, 90, 240, 24 * 60] {
        clock.set(t0 + SignedDuration::from_mins(mins));
        assert!(
            alerter.tick().unwrap().is_empty(),
            "escalated after ack at +{mins}m"
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rig.smtp.mails().len(), 2);
    assert_eq!(rig.hook.requests().len(), 2);
    assert_eq!(rig.syslog.wait_for(2, WAIT).len(), 2);

    let o = vigil(&rig.db, &["alerts", "show", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Alert #1  CRITICAL  acknowledged (escalation level 1)"),
        "{out}"
    );
    assert!(out.contains("escalated to level 1 (On call)"), "{out}");
    assert!(
        out.contains("delivered  email-1 → oncall@provider.example, it@clinic.example"),
        "{out}"
    );
    assert!(
        out.contains("acknowledged by dana: isolating MAIL01"),
        "{out}"
    );
}

#[test]
fn list_show_ack_resolve_and_the_state_machine() {
    let rig = rig();
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let mut alerter = alerter(&rig, &clock);
    alerter
        .raise(&incident(
            "INC-1",
            Level::High,
            "Password spray \u{1b}]0;owned\u{7}",
        ))
        .unwrap();
    alerter
        .raise(&incident("INC-2", Level::Medium, "New inbox rule"))
        .unwrap();
    drop(alerter);

    let o = vigil(&rig.db, &["alerts", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("incident INC-1") && out.contains("incident INC-2"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "terminal escapes are neutralised: {out:?}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].trim_start().starts_with('2'),
        "newest first: {out}"
    );

    let o = vigil(&rig.db, &["alerts", "ack", "1", "--by", "dana"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = vigil(&rig.db, &["alerts", "ack", "1", "--by", "eli"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stderr(&o).contains("alert 1 cannot be acknowledged: it is already acknowledged by dana"),
        "{}",
        stderr(&o)
    );

    let o = vigil(
        &rig.db,
        &["alerts", "list", "--state", "open", "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["schema"], "vigil.alerts/1");
    let ids: Vec<i64> = doc["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [2]);
    let o = vigil(
        &rig.db,
        &[
            "alerts",
            "list",
            "--state",
            "acknowledged",
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["alerts"][0]["acknowledged"]["by"], "dana");

    // Resolving defaults the person to the login name; resolving an open alert acknowledges it too.
    let o = vigil(
        &rig.db,
        &[
            "alerts",
            "resolve",
            "2",
            "--note",
            "rule was the user's own",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("alert 2 resolved by tester"),
        "{}",
        stdout(&o)
    );
    let o = vigil(&rig.db, &["alerts", "show", "2", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["alert"]["state"], "resolved");
    assert_eq!(doc["alert"]["acknowledged"]["by"], "tester");
    let events: Vec<&str> = doc["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events.first().copied(),
        Some("raised"),
        "history starts with the raise: {events:?}"
    );
    assert_eq!(&events[events.len() - 2..], ["acknowledged", "resolved"]);

    let o = vigil(&rig.db, &["alerts", "resolve", "2", "--by", "dana"]);
    assert_eq!(o.status.code(), Some(4));
    let o = vigil(&rig.db, &["alerts", "show", "99"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("no alert 99"), "{}", stderr(&o));
    let o = vigil(&rig.db, &["alerts", "ack"]);
    assert_eq!(o.status.code(), Some(2), "an id or --token is required");
    let o = vigil(&rig.db, &["alerts", "list", "--state", "resolved"]);
    assert!(stdout(&o).contains("incident INC-2"));
    assert!(rig.dir.path().exists());
}

#[test]
fn the_token_from_the_mail_acknowledges_once_from_the_command_line() {
    let rig = rig();
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let mut alerter = alerter(&rig, &clock);
    alerter
        .raise(&incident("INC-1", Level::Critical, "ProxyShell"))
        .unwrap();
    let token = token_in(&rig.smtp.wait_for(1, WAIT)[0].text());

    let tampered = token.replacen("v1.1.", "v1.2.", 1);
    let o = vigil(
        &rig.db,
        &["alerts", "ack", "--token", &tampered, "--by", "mallory"],
    );
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stderr(&o).contains("signature does not match"),
        "{}",
        stderr(&o)
    );

    let o = vigil(
        &rig.db,
        &["alerts", "ack", "--token", &token, "--by", "dana"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("alert 1 acknowledged by dana"));
    assert!(alerter.tick().unwrap().is_empty());
    let o = vigil(
        &rig.db,
        &["alerts", "ack", "--token", &token, "--by", "dana"],
    );
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("already used"), "{}", stderr(&o));
    let history = alerter.store().alert_history(1, 100).unwrap();
    assert!(history.events.iter().any(|e| matches!(
        e,
        vigil_store::AlertEvent::Acknowledged { link: true, by, .. } if by == "dana"
    )));

    // A link mailed more than its validity ago is expired.
    clock.set(Timestamp::now() - SignedDuration::from_hours(8 * 24));
    alerter
        .raise(&incident("INC-2", Level::Critical, "Old"))
        .unwrap();
    let old = token_in(&rig.smtp.wait_for(2, WAIT)[1].text());
    let o = vigil(&rig.db, &["alerts", "ack", "--token", &old, "--by", "dana"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("expired"), "{}", stderr(&o));
}
