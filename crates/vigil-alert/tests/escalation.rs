//! The life of an alert against real servers and an injected clock: delivered on every channel,
//! escalated along the chain while nobody acknowledges it, silent once acknowledged; deduplicated per
//! incident; acknowledged once by its signed link, which is refused when tampered with or expired.

mod common;

use common::*;
use jiff::SignedDuration;
use vigil_alert::config::{Contact, Framing, Preset, SyslogTransport, TlsMode};
use vigil_alert::{
    AlertConfig, AlertError, AlertState, AssetDigest, Digest, DigestFinding, EscalationConfig,
    LinkError,
};
use vigil_model::{Level, Severity};
use vigil_store::{AlertEvent, AlertStore, StoreError};
use vigil_testkit::http::HttpReceiver;
use vigil_testkit::smtp::{SmtpServer, SmtpTls};
use vigil_testkit::syslog::SyslogReceiver;

struct Rig {
    smtp: SmtpServer,
    hook: HttpReceiver,
    syslog: SyslogReceiver,
    config: AlertConfig,
    _dir: tempfile::TempDir,
}

fn rig() -> Rig {
    let smtp = SmtpServer::start(SmtpTls::Starttls, Some(("vigil", "pw")));
    let hook = HttpReceiver::start();
    let syslog = SyslogReceiver::udp();
    let dir = tempfile::tempdir().unwrap();
    let mut mail = email(
        smtp.port(),
        TlsMode::Starttls,
        Some(file(&dir, "ca.pem", &smtp.ca_pem)),
    );
    mail.user = Some("vigil".into());
    mail.password = Some("pw".into());
    let config = AlertConfig {
        email: vec![mail],
        webhook: vec![webhook(hook.url("/hook"), Preset::Vigil, Some("k"))],
        syslog: vec![common::syslog(
            syslog.address(),
            SyslogTransport::Udp,
            Framing::OctetCounting,
        )],
        ..AlertConfig::default()
    };
    Rig {
        smtp,
        hook,
        syslog,
        config,
        _dir: dir,
    }
}

fn chain() -> EscalationConfig {
    EscalationConfig {
        contact: vec![
            Contact {
                name: "On call".into(),
                email: vec!["oncall@provider.example".into()],
                via: None,
            },
            Contact {
                name: "Practice manager".into(),
                email: vec!["manager@clinic.example".into()],
                via: None,
            },
        ],
        ..EscalationConfig::default()
    }
}

#[test]
fn escalates_along_the_chain_until_acknowledged() {
    let rig = rig();
    let clock = clock();
    let mut alerter = alerter(&rig.config, &chain(), &clock);
    let out = alerter.raise(&incident("INC-1", Level::Critical)).unwrap();
    assert!(out.opened);
    let id = out.alert.id;
    assert_eq!(
        out.alert.next_escalation_at,
        Some(t0() + SignedDuration::from_mins(30))
    );
    assert_eq!(rig.smtp.wait_for(1, WAIT).len(), 1);
    assert_eq!(rig.hook.wait_for(1, WAIT).len(), 1);
    assert_eq!(rig.syslog.wait_for(1, WAIT).len(), 1);

    // Not yet due.
    clock.set(t0() + SignedDuration::from_mins(29));
    assert!(alerter.tick().unwrap().is_empty());

    // 30 minutes: level 1, to the first contact, with the usual recipients in copy, and again on the
    // other channels.
    clock.set(t0() + SignedDuration::from_mins(30));
    let done = alerter.tick().unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].alert, done[0].level, done[0].contact.as_deref()),
        (id, 1, Some("On call"))
    );
    let mails = rig.smtp.wait_for(2, WAIT);
    let escalated = &mails[1];
    assert_eq!(
        escalated.to,
        ["oncall@provider.example", "it@clinic.example"]
    );
    assert_eq!(
        escalated.header("To").as_deref(),
        Some("oncall@provider.example")
    );
    assert_eq!(escalated.header("Cc").as_deref(), Some("it@clinic.example"));
    let subject = escalated.header("Subject").unwrap();
    assert!(
        subject.starts_with(
            "[vigil] Unacknowledged for 30m (escalation 1, to On call): CRITICAL alert #1"
        ),
        "{subject}"
    );
    assert!(
        escalated
            .header("References")
            .unwrap()
            .starts_with("<vigil.alert.1@")
    );
    let hooks = rig.hook.wait_for(2, WAIT);
    let body: serde_json::Value = serde_json::from_slice(&hooks[1].body).unwrap();
    assert_eq!(
        (&body["event"], &body["escalation_level"], &body["contact"]),
        (
            &serde_json::json!("escalated"),
            &serde_json::json!(1),
            &serde_json::json!("On call")
        )
    );
    let logs = rig.syslog.wait_for(2, WAIT);
    assert!(logs[1].contains("ALERT_ESCALATED") && logs[1].contains("contact=\"On call\""));

    // A tick at the same instant sends nothing more.
    assert!(alerter.tick().unwrap().is_empty());

    // 60 minutes: level 2, the second contact; 90 minutes: level 3, still the last contact.
    clock.set(t0() + SignedDuration::from_mins(60));
    assert_eq!(
        alerter.tick().unwrap()[0].contact.as_deref(),
        Some("Practice manager")
    );
    clock.set(t0() + SignedDuration::from_mins(90));
    let third = alerter.tick().unwrap();
    assert_eq!(
        (third[0].level, third[0].contact.as_deref()),
        (3, Some("Practice manager"))
    );
    let mails = rig.smtp.wait_for(4, WAIT);
    assert_eq!(mails.len(), 4);
    assert_eq!(mails[3].to[0], "manager@clinic.example");

    // Acknowledged: no more escalation, however long we wait.
    clock.set(t0() + SignedDuration::from_mins(100));
    let acked = alerter
        .acknowledge(id, "dana", Some("isolating MAIL01"))
        .unwrap();
    assert_eq!(acked.state, AlertState::Acknowledged);
    for hours in [2, 5, 24, 72] {
        clock.set(t0() + SignedDuration::from_hours(hours));
        assert!(alerter.tick().unwrap().is_empty());
    }
    assert_eq!(rig.smtp.mails().len(), 4);
    assert_eq!(rig.hook.requests().len(), 4);

    // The history says who was told what, when, and who took it.
    let h = alerter.store().alert_history(id, 1000).unwrap();
    let escalations: Vec<u32> = h
        .events
        .iter()
        .filter_map(|e| match e {
            AlertEvent::Escalated { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(escalations, [1, 2, 3]);
    let deliveries = h
        .events
        .iter()
        .filter(|e| matches!(e, AlertEvent::Delivery(_)))
        .count();
    assert_eq!(deliveries, 12, "3 channels × 4 notices");
    assert!(matches!(
        h.events.last(),
        Some(AlertEvent::Acknowledged { by, note: Some(n), link: false, .. }) if by == "dana" && n == "isolating MAIL01"
    ));
}

#[test]
fn one_alert_per_incident_with_updates() {
    let rig = rig();
    let clock = clock();
    let mut alerter = alerter(&rig.config, &EscalationConfig::default(), &clock);
    let first = alerter.raise(&incident("INC-1", Level::High)).unwrap();
    for minute in 1..=5 {
        clock.set(t0() + SignedDuration::from_mins(minute));
        let mut later = incident("INC-1", Level::High);
        later.evidence = vec![vigil_store::Evidence::new(
            "detections",
            format!("{}", minute + 1),
        )];
        let out = alerter.raise(&later).unwrap();
        assert!(!out.opened);
        assert_eq!(out.alert.id, first.alert.id);
        assert!(
            out.deliveries.is_empty(),
            "an update at the same severity is not sent again"
        );
        assert!(!out.undelivered());
    }
    let stored = alerter.store().alert(first.alert.id).unwrap().unwrap();
    assert_eq!(stored.updates, 5);
    assert_eq!(stored.evidence[0].value, "6");
    assert_eq!(alerter.store().alerts(None, 100).unwrap().len(), 1);
    assert_eq!(rig.smtp.wait_for(1, WAIT).len(), 1);

    // A detection that makes it critical is news: sent again, and the escalation comes sooner.
    clock.set(t0() + SignedDuration::from_mins(10));
    let raised = alerter.raise(&incident("INC-1", Level::Critical)).unwrap();
    assert!(!raised.opened);
    assert_eq!(raised.alert.severity, Level::Critical);
    assert_eq!(
        raised.alert.next_escalation_at,
        Some(t0() + SignedDuration::from_mins(40))
    );
    let mails = rig.smtp.wait_for(2, WAIT);
    assert!(
        mails[1]
            .header("Subject")
            .unwrap()
            .starts_with("[vigil] Severity raised: CRITICAL alert #1")
    );

    // Another incident is another alert.
    let other = alerter.raise(&incident("INC-2", Level::Low)).unwrap();
    assert!(other.opened && other.alert.id != first.alert.id);
    assert_eq!(
        other.alert.next_escalation_at, None,
        "low is not escalated by default"
    );
}

#[test]
fn the_signed_link_in_the_mail_acknowledges_once() {
    let rig = rig();
    let clock = clock();
    let mut alerter = alerter(&rig.config, &chain(), &clock);
    let id = alerter
        .raise(&incident("INC-1", Level::Critical))
        .unwrap()
        .alert
        .id;
    let second = alerter
        .raise(&incident("INC-2", Level::Critical))
        .unwrap()
        .alert
        .id;
    let mails = rig.smtp.wait_for(2, WAIT);
    let token = token_in(&mails[0].text());
    let other_token = token_in(&mails[1].text());

    // Tampered: pointed at the other alert, or with a flipped signature character.
    let retargeted = token.replacen(&format!("v1.{id}."), &format!("v1.{second}."), 1);
    let e = alerter.redeem(&retargeted, "mallory", None).unwrap_err();
    assert!(
        matches!(e, AlertError::Link(LinkError::BadSignature)),
        "{e}"
    );
    let mut flipped = token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert!(matches!(
        alerter.redeem(&flipped, "mallory", None),
        Err(AlertError::Link(LinkError::BadSignature))
    ));
    assert_eq!(
        alerter.store().alert(second).unwrap().unwrap().state,
        AlertState::Open
    );

    clock.set(t0() + SignedDuration::from_mins(12));
    let acked = alerter.redeem(&token, "dana (link)", Some("seen")).unwrap();
    assert_eq!((acked.id, acked.state), (id, AlertState::Acknowledged));
    let mark = acked.acknowledged.unwrap();
    assert_eq!(mark.at, t0() + SignedDuration::from_mins(12));

    // Once only.
    let again = alerter.redeem(&token, "dana", None).unwrap_err();
    assert!(
        matches!(again, AlertError::Store(StoreError::AlertTokenUsed { .. })),
        "{again}"
    );

    // Expired: links are valid for 7 days by default.
    clock.set(t0() + SignedDuration::from_hours(7 * 24));
    let expired = alerter.redeem(&other_token, "dana", None).unwrap_err();
    assert!(
        matches!(expired, AlertError::Link(LinkError::Expired(_))),
        "{expired}"
    );
    // Meanwhile the unacknowledged one kept escalating; the acknowledged one did not.
    let escalations = alerter.tick().unwrap();
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0].alert, second);
}

#[test]
fn the_daily_digest_is_mailed() {
    let rig = rig();
    let clock = clock();
    let mut alerter = alerter(&rig.config, &EscalationConfig::default(), &clock);
    let open = alerter
        .raise(&incident("INC-1", Level::High))
        .unwrap()
        .alert;
    let digest = Digest {
        date: "2026-03-02".parse().unwrap(),
        assets: vec![AssetDigest {
            asset: "MAIL01".into(),
            last_scan: Some(t0()),
            findings: vec![DigestFinding {
                id: "CVE-2021-34473".into(),
                package: "Exchange Server 2019".into(),
                version: "15.2.858.5".into(),
                fixed: Some("15.2.858.10".into()),
                severity: Severity::Critical,
                due: Some("2026-02-20".parse().unwrap()),
                kev: true,
            }],
            not_assessed: vec![],
        }],
        alerts: vec![open],
    };
    let deliveries = alerter.send_digest(&digest);
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].outcome,
        vigil_store::DeliveryOutcome::Delivered
    );
    let mails = rig.smtp.wait_for(2, WAIT);
    let subject = mails[1].header("Subject").unwrap();
    assert!(
        subject.contains("Daily digest 2026-03-02: 1 overdue, 1 open findings on 1 assets, 1 alerts unacknowledged"),
        "{subject}"
    );
    let text = mails[1].text();
    assert!(
        text.contains("CVE-2021-34473 (KEV)") && text.contains("(10 days overdue)"),
        "{text}"
    );
    assert!(text.contains("#1 high open since"), "{text}");
}

#[test]
fn a_chain_that_cannot_be_reached_is_a_configuration_error() {
    let hook = HttpReceiver::start();
    let config = AlertConfig {
        webhook: vec![webhook(hook.url("/"), Preset::Vigil, None)],
        ..AlertConfig::default()
    };
    let store = vigil_store::SqliteStore::open_in_memory().unwrap();
    let e = vigil_alert::Alerter::new(&config, &chain(), store, clock())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("[[escalation.contact]] #1 \"On call\"") && e.contains("no [[alert.email]]"),
        "{e}"
    );
    let mut bad_via = chain();
    bad_via.contact[0].via = Some("webhook-1".into());
    let store = vigil_store::SqliteStore::open_in_memory().unwrap();
    let e = vigil_alert::Alerter::new(&config, &bad_via, store, clock())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("via must name an [[alert.email]]"), "{e}");
}
