//! Each channel delivers to a real server started by the test: SMTP with STARTTLS and implicit TLS and
//! authentication, an HTTP receiver that checks the HMAC signature, UDP and TCP syslog collectors.

mod common;

use common::*;
use hmac::{KeyInit, Mac};
use vigil_alert::config::{Framing, Preset, SyslogTransport, TlsMode};
use vigil_alert::{AlertConfig, DeliveryOutcome, EscalationConfig};
use vigil_model::Level;
use vigil_store::{AlertEvent, AlertStore};
use vigil_testkit::http::HttpReceiver;
use vigil_testkit::smtp::{SmtpServer, SmtpTls};
use vigil_testkit::syslog::SyslogReceiver;

#[test]
fn email_over_starttls_with_authentication() {
    let server = SmtpServer::start(SmtpTls::Starttls, Some(("vigil", "s3cret")));
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = email(
        server.port(),
        TlsMode::Starttls,
        Some(file(&dir, "ca.pem", &server.ca_pem)),
    );
    cfg.user = Some("vigil".into());
    cfg.password_file = Some(file(&dir, "smtp.pw", "s3cret\n"));
    let config = AlertConfig {
        email: vec![cfg],
        ..AlertConfig::default()
    };
    let clock = clock();
    let mut alerter = alerter(&config, &EscalationConfig::default(), &clock);
    let out = alerter.raise(&incident("INC-1", Level::Critical)).unwrap();
    assert!(out.opened && !out.undelivered(), "{:?}", out.deliveries);

    let mails = server.wait_for(1, WAIT);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.tls, "sent after STARTTLS");
    assert_eq!(mail.user.as_deref(), Some("vigil"));
    assert_eq!(mail.from, "vigil@clinic.example");
    assert_eq!(mail.to, ["it@clinic.example"]);
    let subject = mail.header("Subject").unwrap();
    assert!(
        subject.starts_with("[vigil] CRITICAL alert #1: ProxyShell exploitation on MAIL01"),
        "{subject}"
    );
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert!(
        mail.header("Message-ID")
            .unwrap()
            .starts_with("<vigil.alert.1@")
    );
    let text = mail.text();
    assert!(text.contains("Exchange ProxyShell URL pattern"), "{text}");
    assert!(
        text.contains("vigil alerts ack --token v1.1.acknowledge."),
        "{text}"
    );

    let history = alerter.store().alert_history(1, 100).unwrap();
    assert!(history.events.iter().any(|e| matches!(
        e,
        AlertEvent::Delivery(d) if d.outcome == DeliveryOutcome::Delivered && d.channel == "email-1"
            && d.recipient == "it@clinic.example"
    )));
}

#[test]
fn email_over_implicit_tls_and_a_plain_local_relay() {
    let tls = SmtpServer::start(SmtpTls::Implicit, None);
    let relay = SmtpServer::start(SmtpTls::None, None);
    let dir = tempfile::tempdir().unwrap();
    let mut plain = email(relay.port(), TlsMode::None, None);
    plain.name = Some("relay".into());
    let config = AlertConfig {
        email: vec![
            email(
                tls.port(),
                TlsMode::Implicit,
                Some(file(&dir, "ca.pem", &tls.ca_pem)),
            ),
            plain,
        ],
        ..AlertConfig::default()
    };
    let clock = clock();
    let mut alerter = alerter(&config, &EscalationConfig::default(), &clock);
    let out = alerter.raise(&incident("INC-1", Level::High)).unwrap();
    assert_eq!(out.deliveries.len(), 2, "{:?}", out.deliveries);
    assert!(tls.wait_for(1, WAIT)[0].tls);
    assert!(!relay.wait_for(1, WAIT)[0].tls);
}

#[test]
fn email_retries_a_temporary_refusal_and_refuses_an_untrusted_server() {
    let server = SmtpServer::start(SmtpTls::Starttls, None);
    server.fail_next(1);
    let dir = tempfile::tempdir().unwrap();
    let config = AlertConfig {
        email: vec![email(
            server.port(),
            TlsMode::Starttls,
            Some(file(&dir, "ca.pem", &server.ca_pem)),
        )],
        ..AlertConfig::default()
    };
    let clock = clock();
    let mut alerter = alerter(&config, &EscalationConfig::default(), &clock);
    let out = alerter.raise(&incident("INC-1", Level::High)).unwrap();
    let outcomes: Vec<_> = out
        .deliveries
        .iter()
        .map(|d| (d.attempt, &d.outcome))
        .collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(matches!(outcomes[0], (1, DeliveryOutcome::Failed(e)) if e.contains("451")));
    assert_eq!(outcomes[1], (2, &DeliveryOutcome::Delivered));
    // The back-off went through the injected clock.
    assert_eq!(
        out.deliveries[1].at.duration_since(t0()).as_secs(),
        5,
        "waited retry_delay before the second attempt"
    );
    assert_eq!(server.wait_for(1, WAIT).len(), 1);

    // The same server without its CA: the public roots do not trust it, nothing is sent, and the
    // outcome says the alert reached nobody.
    let config = AlertConfig {
        email: vec![email(server.port(), TlsMode::Starttls, None)],
        ..AlertConfig::default()
    };
    let mut alerter = alerter_with(&config, &clock);
    let out = alerter.raise(&incident("INC-2", Level::High)).unwrap();
    assert!(out.undelivered(), "{:?}", out.deliveries);
    assert_eq!(
        out.deliveries.len(),
        1,
        "a certificate failure is not retried: {:?}",
        out.deliveries
    );
    assert_eq!(server.mails().len(), 1);
}

fn alerter_with(
    config: &AlertConfig,
    clock: &std::sync::Arc<vigil_alert::ManualClock>,
) -> vigil_alert::Alerter<vigil_store::SqliteStore> {
    alerter(config, &EscalationConfig::default(), clock)
}

fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(message);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn webhook_posts_signed_json_and_retries_server_errors() {
    let receiver = HttpReceiver::start();
    receiver.respond_with(&[503]);
    let config = AlertConfig {
        webhook: vec![webhook(
            receiver.url("/hook"),
            Preset::Vigil,
            Some("hook-secret"),
        )],
        ..AlertConfig::default()
    };
    let clock = clock();
    let mut alerter = alerter(&config, &EscalationConfig::default(), &clock);
    let out = alerter.raise(&incident("INC-1", Level::Critical)).unwrap();
    assert!(!out.undelivered());
    assert_eq!(out.deliveries.len(), 2);
    assert!(
        matches!(&out.deliveries[0].outcome, DeliveryOutcome::Failed(e) if e.contains("HTTP 503"))
    );
    assert_eq!(out.deliveries[0].recipient, receiver.url(""));

    let requests = receiver.wait_for(2, WAIT);
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/hook"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        // The receiver's own check, independent of vigil's code: HMAC-SHA256 over "timestamp.body".
        let ts = r.header("X-Vigil-Timestamp").unwrap();
        let mut signed = format!("{ts}.").into_bytes();
        signed.extend_from_slice(&r.body);
        assert_eq!(
            r.header("X-Vigil-Signature").unwrap(),
            format!("sha256={}", hmac_hex(b"hook-secret", &signed))
        );
        assert_eq!(
            vigil_alert::signature::verify(
                b"hook-secret",
                ts,
                r.header("X-Vigil-Signature").unwrap(),
                &r.body,
                vigil_alert::Clock::now(clock.as_ref()),
                vigil_alert::signature::DEFAULT_TOLERANCE,
            ),
            Ok(())
        );
    }
    // The retry was signed afresh after the back-off.
    assert_ne!(
        requests[0].header("X-Vigil-Timestamp"),
        requests[1].header("X-Vigil-Timestamp")
    );
    let body: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(body["schema"], "vigil.alert/1");
    assert_eq!(body["event"], "new");
    assert_eq!(body["alert"]["id"], 1);
    assert_eq!(body["alert"]["severity"], "critical");
    assert_eq!(body["alert"]["reference"], "INC-1");

    // A client error is not retried.
    receiver.respond_with(&[404]);
    let out = alerter.raise(&incident("INC-2", Level::Critical)).unwrap();
    assert!(out.undelivered());
    assert_eq!(out.deliveries.len(), 1);
}

#[test]
fn slack_and_teams_presets_reach_their_receivers() {
    let receiver = HttpReceiver::start();
    let config = AlertConfig {
        webhook: vec![
            webhook(receiver.url("/slack"), Preset::Slack, None),
            webhook(receiver.url("/teams"), Preset::Teams, None),
        ],
        ..AlertConfig::default()
    };
    let clock = clock();
    let mut alerter = alerter(&config, &EscalationConfig::default(), &clock);
    let mut alert = incident("INC-1", Level::High);
    alert.title = "<!channel> look *here*".into();
    alerter.raise(&alert).unwrap();
    let requests = receiver.wait_for(2, WAIT);
    let by_path = |p: &str| {
        let r = requests.iter().find(|r| r.path == p).unwrap();
        assert!(
            r.header("X-Vigil-Signature").is_none(),
            "no secret, no signature"
        );
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()
    };
    let slack = by_path("/slack");
    assert!(slack["text"].as_str().unwrap().contains("&lt;!channel&gt;"));
    assert_eq!(slack["blocks"][0]["type"], "header");
    let teams = by_path("/teams");
    let card = &teams["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert!(
        card["body"][0]["text"]
            .as_str()
            .unwrap()
            .contains("\\*here\\*")
    );
}

#[test]
fn syslog_over_udp_and_tcp() {
    let udp = SyslogReceiver::udp();
    let tcp = SyslogReceiver::tcp();
    let lines = SyslogReceiver::tcp();
    let config = AlertConfig {
        syslog: vec![
            syslog(udp.address(), SyslogTransport::Udp, Framing::OctetCounting),
            syslog(tcp.address(), SyslogTransport::Tcp, Framing::OctetCounting),
            syslog(lines.address(), SyslogTransport::Tcp, Framing::Newline),
        ],
        ..AlertConfig::default()
    };
    let clock = clock();
    let mut alerter = alerter(&config, &EscalationConfig::default(), &clock);
    let out = alerter.raise(&incident("INC-1", Level::High)).unwrap();
    assert_eq!(out.deliveries.len(), 3);
    assert!(!out.undelivered());
    for received in [
        udp.wait_for(1, WAIT),
        tcp.wait_for(1, WAIT),
        lines.wait_for(1, WAIT),
    ] {
        assert_eq!(received.len(), 1, "{received:?}");
        let m = &received[0];
        // local0 * 8 + err (high)
        assert!(
            m.starts_with("<131>1 2026-03-02T09:00:00.000000Z monitor vigil - ALERT_NEW [vigil@32473 id=\"1\" severity=\"high\" subject=\"incident\" ref=\"INC-1\""),
            "{m}"
        );
        assert!(
            m.ends_with(
                "\u{feff}HIGH alert #1: ProxyShell exploitation on MAIL01 (INC-1) [MAIL01]"
            ),
            "{m}"
        );
    }

    // Nobody listening: TCP attempts fail and are recorded as such.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = dead.local_addr().unwrap().to_string();
    drop(dead);
    let config = AlertConfig {
        syslog: vec![syslog(
            address,
            SyslogTransport::Tcp,
            Framing::OctetCounting,
        )],
        ..AlertConfig::default()
    };
    let mut alerter = alerter_with(&config, &clock);
    let out = alerter.raise(&incident("INC-2", Level::High)).unwrap();
    assert!(out.undelivered());
    assert_eq!(out.deliveries.len(), 2, "both attempts recorded");
}
