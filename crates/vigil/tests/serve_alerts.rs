//! `vigil serve` end to end with real receivers: attack lines written into a watched log become one
//! alert per incident, delivered by webhook (a real HTTP receiver) and by e-mail (a real SMTP server
//! with STARTTLS), escalated while nobody acknowledges it, and no longer once `vigil alerts ack` is run.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};
use support::serve::{SASL_RULE, append, failures, start, stop, vigil};
use vigil_testkit::http::HttpReceiver;
use vigil_testkit::smtp::{SmtpServer, SmtpTls};

fn alerts(dir: &Path) -> Vec<serde_json::Value> {
    let out = vigil(dir)
        .args(["alerts", "list", "--state", "all", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["alerts"].as_array().cloned().unwrap_or_default()
}

fn events(hook: &HttpReceiver) -> Vec<String> {
    hook.requests()
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            v["event"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

fn config(dir: &Path, log: &Path, hook: &HttpReceiver, smtp: &SmtpServer) {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &smtp.ca_pem).unwrap();
    std::fs::write(dir.join("rule.yml"), SASL_RULE).unwrap();
    std::fs::write(
        dir.join("vigil.toml"),
        format!(
            r#"[[watch]]
path = {log:?}
format = "syslog"

[[alert.webhook]]
url = {hook:?}

[[alert.email]]
server = "127.0.0.1"
port = {port}
tls = "starttls"
ca_file = {ca:?}
from = "vigil <vigil@clinic.example>"
to = ["it@clinic.example"]

[escalation]
high = "2s"

[serve]
rules = [{rule:?}]
poll_ms = 20
metrics = "off"
"#,
            log = log.display().to_string(),
            hook = hook.url("/hook"),
            port = smtp.port(),
            ca = ca.display().to_string(),
            rule = dir.join("rule.yml").display().to_string(),
        ),
    )
    .unwrap();
}

#[test]
fn an_attack_in_a_watched_log_is_alerted_escalated_and_stops_on_ack() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::Starttls, None);
    config(d, &log, &hook, &smtp);
    let child = start(d);

    // Fifty detections of one attack: one alert, on both channels, within a second or two.
    let written = Instant::now();
    append(&log, &failures("2021-08-13", 0, 50, "192.0.2.7"));
    let got = hook.wait_for(1, Duration::from_secs(10));
    let latency = written.elapsed();
    assert_eq!(events(&hook)[0], "new", "{:?}", events(&hook));
    assert!(latency < Duration::from_secs(5), "{latency:?}");
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["alert"]["subject"], "incident", "{body:#}");
    let mails = smtp.wait_for(1, Duration::from_secs(10));
    assert!(
        mails[0].text().contains("Test SASL failure"),
        "{}",
        mails[0].text()
    );

    // Nobody acknowledges: it is escalated (every 2 s here), on every channel.
    let escalated = vigil_testkit::wait_for(Duration::from_secs(15), || {
        events(&hook).iter().any(|e| e == "escalated").then_some(())
    });
    assert!(escalated.is_some(), "{:?}", events(&hook));
    let listed = alerts(d);
    assert_eq!(listed.len(), 1, "one alert per incident: {listed:#?}");
    let id = listed[0]["id"].as_i64().unwrap();
    assert!(listed[0]["escalation_level"].as_u64().unwrap() >= 1);

    // Acknowledged: no escalation after that.
    let ack = vigil(d)
        .args([
            "alerts",
            "ack",
            &id.to_string(),
            "--by",
            "dana",
            "--note",
            "isolating mx1",
        ])
        .output()
        .unwrap();
    assert!(
        ack.status.success(),
        "{}",
        String::from_utf8_lossy(&ack.stderr)
    );
    let after_ack = events(&hook).len();
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        events(&hook).len(),
        after_ack,
        "escalated after ack: {:?}",
        events(&hook)
    );

    // More of the same incident updates the alert, silently.
    append(&log, &failures("2021-08-13", 50, 60, "192.0.2.7"));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(events(&hook).len(), after_ack);
    // A new wave of the same attacker, after more than the 30-day gap: news, even though the alert
    // is acknowledged.
    append(&log, &failures("2021-09-20", 0, 3, "192.0.2.7"));
    let wave = vigil_testkit::wait_for(Duration::from_secs(10), || {
        events(&hook).iter().any(|e| e == "progress").then_some(())
    });
    assert!(wave.is_some(), "{:?}", events(&hook));
    let listed = alerts(d);
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["state"], "acknowledged");
    stop(child);

    // The breach notice cites the alert history: raised at T, acknowledged by whom at T2 (not
    // "unknown"), and the alert the audit trail records it under.
    let incident = listed[0]["reference"].as_str().unwrap();
    let out = vigil(d)
        .args(["report", "breach", incident])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerted = md
        .lines()
        .find(|l| l.starts_with("- Alerted:"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        alerted.contains("first alert raised at") && alerted.contains("acknowledged by dana at"),
        "{alerted}"
    );
    assert!(
        alerted.contains(&format!("alert {id}, recorded in vigil's audit trail")),
        "{alerted}"
    );
    assert!(!alerted.contains("never"), "{alerted}");
    // A service watched, and no self-test had run before the incident: the chain says so.
    assert!(
        md.contains("No self-test had proven vigil's detection working"),
        "{md}"
    );
}

/// A restart (after SIGKILL) neither raises the same incident again nor forgets it: its later
/// detections still update the one alert.
#[test]
fn a_restart_keeps_one_alert_per_incident() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::Starttls, None);
    config(d, &log, &hook, &smtp);
    let mut child = start(d);
    append(&log, &failures("2021-08-13", 0, 5, "192.0.2.7"));
    hook.wait_for(1, Duration::from_secs(10));
    child.kill().unwrap();
    child.wait().unwrap();

    append(&log, &failures("2021-08-13", 5, 10, "192.0.2.7"));
    let child = start(d);
    append(&log, &failures("2021-08-13", 10, 12, "192.0.2.7"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = alerts(d);
        assert_eq!(listed.len(), 1, "{listed:#?}");
        let detections = listed[0]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["label"] == "detections")
            .map(|e| e["value"].as_str().unwrap().to_string());
        if detections.as_deref() == Some("12") {
            break;
        }
        assert!(Instant::now() < deadline, "{listed:#?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        events(&hook).iter().filter(|e| *e == "new").count(),
        1,
        "{:?}",
        events(&hook)
    );
    stop(child);
}

fn selftest(dir: &Path) -> std::process::Output {
    vigil(dir)
        .args(["selftest", "--timeout", "20"])
        .output()
        .unwrap()
}

/// `vigil selftest` proves the path end to end: the canary is read, matched, alerted on both
/// channels and closed; with the webhook failing, the self-test fails and the failure reaches the
/// channel that works.
#[test]
fn a_selftest_passes_end_to_end_and_fails_when_a_channel_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, failures("2021-08-13", 0, 1, "192.0.2.7")).unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::Starttls, None);
    config(d, &log, &hook, &smtp);
    let child = start(d);
    hook.wait_for(1, Duration::from_secs(10)); // the incident of the one failure line
    let before = hook.requests().len();

    let out = selftest(d);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("PASS  "), "{text}");
    assert!(text.contains("delivered on 2 channel(s)"), "{text}");
    let canary = &hook.requests()[before..];
    assert_eq!(canary.len(), 1, "one notice for the canary");
    let body: serde_json::Value = serde_json::from_slice(&canary[0].body).unwrap();
    assert_eq!(body["alert"]["subject"], "self_test", "{body:#}");
    // The canary never became part of an incident: still one incident alert.
    let incidents: Vec<_> = alerts(d)
        .into_iter()
        .filter(|a| a["subject"] == "incident")
        .collect();
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        incidents[0]["evidence"][3]["value"], "1",
        "{:#?}",
        incidents[0]
    );

    // The webhook answers 500 from now on: the self-test fails, and says so by e-mail.
    hook.respond_with(&[500; 20]);
    let mails = smtp.mails().len();
    let out = selftest(d);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("FAIL  ") && text.contains("not delivered on webhook-1"),
        "{text}"
    );
    let mailed = vigil_testkit::wait_for(Duration::from_secs(15), || {
        smtp.mails()
            .iter()
            .skip(mails)
            .any(|m| m.text().contains("not delivered on webhook-1"))
            .then_some(())
    });
    assert!(
        mailed.is_some(),
        "{:?}",
        smtp.mails()
            .iter()
            .map(|m| m.header("Subject"))
            .collect::<Vec<_>>()
    );
    stop(child);
}

/// The service's own schedule: a canary every second here, each closed after delivery.
#[test]
fn the_service_runs_self_tests_on_its_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::Starttls, None);
    config(d, &log, &hook, &smtp);
    append(
        &d.join("vigil.toml"),
        "\n[selftest]\nevery = \"1s\"\ntimeout = \"10s\"\n",
    );
    let child = start(d);
    let passed = vigil_testkit::wait_for(Duration::from_secs(15), || {
        let closed = alerts(d)
            .into_iter()
            .filter(|a| a["subject"] == "self_test" && a["state"] == "resolved")
            .count();
        (closed >= 2).then_some(closed)
    });
    assert!(passed.is_some(), "{:#?}", alerts(d));
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(
        lines.lines().all(|l| l.contains("vigil-selftest[")),
        "{lines}"
    );
    // `vigil status` says when each watch was last proven to work.
    let out = vigil(d).arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("self-test"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("last passed") && line.contains("ago"),
        "{line}"
    );
    assert!(!line.contains("FAILING"), "{line}");
    stop(child);
}

/// A watched log that stops bringing events raises a silence alert, and the service resolves it
/// when events come back.
#[test]
fn a_silent_source_is_alerted_and_resolved_when_it_speaks_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let hook = HttpReceiver::start();
    let smtp = SmtpServer::start(SmtpTls::Starttls, None);
    config(d, &log, &hook, &smtp);
    let cfg = std::fs::read_to_string(d.join("vigil.toml")).unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        cfg.replace("[serve]\n", "[serve]\nsilent_after = \"2s\"\n"),
    )
    .unwrap();
    let child = start(d);
    let silent = vigil_testkit::wait_for(Duration::from_secs(15), || {
        alerts(d)
            .into_iter()
            .find(|a| a["subject"] == "source_health" && a["state"] == "open")
    });
    let silent = silent.unwrap_or_else(|| panic!("{:#?}", alerts(d)));
    assert!(
        silent["title"]
            .as_str()
            .unwrap()
            .contains("is configured but has produced no event since vigil started at"),
        "{silent:#}"
    );
    hook.wait_for(1, Duration::from_secs(10));
    assert_eq!(events(&hook)[0], "new");

    append(&log, &failures("2021-08-13", 0, 1, "192.0.2.7"));
    let resolved = vigil_testkit::wait_for(Duration::from_secs(15), || {
        alerts(d).into_iter().find(|a| {
            a["subject"] == "source_health" && a["state"] == "resolved" && a["id"] == silent["id"]
        })
    });
    assert!(resolved.is_some(), "{:#?}", alerts(d));
    stop(child);
}

/// Five failures from one address within an hour, over a restart: three before a clean stop, two
/// after. The correlation window is saved with the checkpoints and resumed, so it fires.
#[test]
fn correlation_windows_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let rules = d.join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("fail.yml"),
        "title: Test SASL failure\nid: 0f6a4f54-0000-4000-8000-0000000000dd\nname: test_sasl_failed\n\
         status: test\nlogsource:\n    product: linux\n    service: postfix\ndetection:\n    \
         selection:\n        event_action: sasl_auth_failed\n    condition: selection\nlevel: low\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("burst.yml"),
        "title: Test SASL burst\nid: 0f6a4f54-0000-4000-8000-0000000000ee\nstatus: test\n\
         correlation:\n    type: event_count\n    rules:\n        - test_sasl_failed\n    \
         group-by:\n        - client_ip\n    timespan: 1h\n    condition:\n        gte: 5\nlevel: high\n",
    )
    .unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {:?}\nformat = \"syslog\"\n\n[serve]\nrules = [{:?}]\npoll_ms = 20\nmetrics = \"off\"\n",
            log.display().to_string(),
            rules.display().to_string()
        ),
    )
    .unwrap();
    let burst = |d: &Path| {
        use vigil_store::CaseStore;
        let store = vigil_store::SqliteStore::open(&d.join("vigil.db")).unwrap();
        store
            .detections()
            .unwrap()
            .iter()
            .filter(|s| s.detection.rule_title == "Test SASL burst")
            .count()
    };
    let child = start(d);
    append(&log, &failures("2021-08-13", 0, 3, "192.0.2.7"));
    // The base rule is not reported (a correlation uses it): wait until the lines are read.
    let size = std::fs::metadata(&log).unwrap().len();
    let three = vigil_testkit::wait_for(Duration::from_secs(10), || {
        use vigil_store::CheckpointStore;
        let store = vigil_store::SqliteStore::open(&d.join("vigil.db")).ok()?;
        let read = store.checkpoints(None).ok()?.iter().any(
            |c| matches!(c.position, vigil_model::Position::Text { offset, .. } if offset >= size),
        );
        read.then_some(())
    });
    assert!(three.is_some());
    stop(child);
    assert_eq!(burst(d), 0);

    let child = start(d);
    append(&log, &failures("2021-08-13", 3, 5, "192.0.2.7"));
    let fired = vigil_testkit::wait_for(Duration::from_secs(10), || (burst(d) == 1).then_some(()));
    stop(child);
    assert!(
        fired.is_some(),
        "the window of three did not survive the restart"
    );
}

/// Forwarded syslog is self-tested too: the canary is sent to the service's own listener, over UDP
/// and over TCP, and must come back through detection and the channels.
#[test]
fn a_selftest_reaches_the_syslog_listeners() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hook = HttpReceiver::start();
    let (udp, tcp) = (
        support::serve::free_port(false),
        support::serve::free_port(true),
    );
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[listen]]\nudp = \"127.0.0.1:{udp}\"\ntcp = \"127.0.0.1:{tcp}\"\nsource = \"forwarded\"\n\n\
             [[alert.webhook]]\nurl = {:?}\n\n[serve]\nrules = []\npoll_ms = 20\nmetrics = \"off\"\n\n\
             [selftest]\nevery = \"off\"\n",
            hook.url("/hook")
        ),
    )
    .unwrap();
    let child = start(d);
    let out = selftest(d);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("udp://127.0.0.1:{udp}")), "{text}");
    assert!(text.contains(&format!("tcp://127.0.0.1:{tcp}")), "{text}");
    assert_eq!(text.matches("PASS").count(), 2, "{text}");
    stop(child);
}

/// Nothing to test is not a pass: a configuration whose only watch is an IIS log folder gives
/// exit 3 and says why.
#[test]
fn a_selftest_with_nothing_to_test_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("iis")).unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {:?}\n",
            d.join("iis").display().to_string()
        ),
    )
    .unwrap();
    let out = vigil(d).arg("selftest").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("nothing to self-test"), "{err}");
    assert!(out.stdout.is_empty());
}

/// A site's rule folder with rule tests: a rule changed so that it no longer fires on its positive
/// sample is reported by `vigil rules verify` (exit 1) and alerted by `vigil serve` at start (the
/// service still watches); once the rule is fixed, the next start resolves the alert.
#[test]
fn a_rule_that_fails_its_tests_is_alerted_at_start_and_resolved_once_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rules = d.join("rules");
    std::fs::create_dir_all(rules.join("tests")).unwrap();
    let broken = SASL_RULE.replace("sasl_auth_failed", "sasl_auth_refused");
    std::fs::write(rules.join("sasl.yml"), &broken).unwrap();
    std::fs::write(
        rules.join("tests/sasl.positive.log"),
        failures("2026-12-01", 0, 2, "192.0.2.7"),
    )
    .unwrap();
    std::fs::write(
        rules.join("tests/sasl.negative.log"),
        "2026-12-01T10:00:00+00:00 mx1 postfix/smtpd[1]: connect from unknown[192.0.2.7]\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("tests/manifest.yml"),
        "samples:\n- rule: sasl\n  positive: sasl.positive.log\n  negative: sasl.negative.log\n  format: syslog\n  positive_matches: 2\n",
    )
    .unwrap();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let hook = HttpReceiver::start();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {log:?}\nformat = \"syslog\"\n\n[[alert.webhook]]\nurl = {hook:?}\n\n\
             [serve]\nrules = [{rules:?}]\npoll_ms = 20\nmetrics = \"off\"\n\n[selftest]\nevery = \"off\"\n",
            log = log.display().to_string(),
            hook = hook.url("/hook"),
            rules = rules.display().to_string(),
        ),
    )
    .unwrap();

    let verify = vigil(d)
        .args(["rules", "verify"])
        .arg(&rules)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL sasl: positive sample: 0 detections, expected 2"),
        "{text}"
    );

    let child = start(d);
    let got = hook.wait_for(1, Duration::from_secs(20));
    stop(child);
    assert_eq!(got.len(), 1);
    let body = got[0].body_text();
    assert!(
        body.contains("rule tests failed") && body.contains("0 detections, expected 2"),
        "{body}"
    );

    std::fs::write(rules.join("sasl.yml"), SASL_RULE).unwrap();
    let verify = vigil(d)
        .args(["rules", "verify"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(verify.status.success());
    let child = start(d);
    stop(child);
    let all = alerts(d);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["state"], "resolved", "{:#}", all[0]);
}

/// Windows event logs and web server logs are not written by vigil: a task on the server writes
/// their canaries (an `eventcreate` event read back through an exported log, a request to
/// `/vigil-selftest` logged by IIS). A watch whose canaries stop coming fails its self-test; one
/// that comes back is read, matched, alerted and closes the failure.
#[test]
fn scheduled_canaries_of_windows_and_web_logs_are_expected_and_credited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let events = d.join("application.json");
    std::fs::write(&events, "").unwrap();
    let iis = d.join("u_ex261204.log");
    std::fs::write(
        &iis,
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-12-04 00:00:00\n\
         #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
    )
    .unwrap();
    let hook = HttpReceiver::start();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {events:?}\nformat = \"winjson\"\nsource = \"application\"\ncanary_every = \"2s\"\n\n\
             [[watch]]\npath = {iis:?}\nformat = \"w3c\"\nhost = \"MAIL01\"\nsource = \"owa\"\ncanary_every = \"2s\"\n\n\
             [[alert.webhook]]\nurl = {hook:?}\n\n\
             [selftest]\nevery = \"off\"\ntimeout = \"1s\"\n\n\
             [serve]\npoll_ms = 20\nmetrics = \"off\"\nsilent_after = \"off\"\n",
            events = events.display().to_string(),
            iis = iis.display().to_string(),
            hook = hook.url("/hook"),
        ),
    )
    .unwrap();
    let child = start(d);
    let missed = hook.wait_for(2, Duration::from_secs(20));
    let titles = |reqs: &[vigil_testkit::http::Request]| -> Vec<String> {
        reqs.iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                v["alert"]["title"].as_str().unwrap_or_default().to_string()
            })
            .collect()
    };
    let t = titles(&missed);
    for w in ["application", "owa"] {
        assert!(
            t.iter()
                .any(|t| t.starts_with(&format!("Self-test of {w} failed: no scheduled canary"))),
            "{t:#?}"
        );
    }
    // The server's tasks run: an eventcreate event exported by Get-WinEvent, and a request.
    append(
        &events,
        "{\"Id\":999,\"LogName\":\"Application\",\"ProviderName\":\"vigil-selftest\",\"MachineName\":\"MAIL01\",\
         \"TimeCreated\":\"2026-12-04T08:00:00Z\",\"RecordId\":42,\
         \"Message\":\"VIGIL-SELFTEST canary=20261204T0800-app watch=application\",\
         \"Properties\":[{\"Value\":\"VIGIL-SELFTEST canary=20261204T0800-app watch=application\"}]}\n",
    );
    append(
        &iis,
        "2026-12-04 08:00:01 192.0.2.10 GET /vigil-selftest canary=20261204T0800-owa&watch=owa 443 - 127.0.0.1 curl/8.0 - 404 0 2 1\n",
    );
    let start_wait = Instant::now();
    let mut back = Vec::new();
    while start_wait.elapsed() < Duration::from_secs(20) {
        back = titles(&hook.requests());
        if ["application", "owa"].iter().all(|w| {
            back.iter()
                .any(|t| t == &format!("Self-test of {w}: canary read, matched and alerted"))
        }) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop(child);
    for w in ["application", "owa"] {
        assert!(
            back.iter()
                .any(|t| t == &format!("Self-test of {w}: canary read, matched and alerted")),
            "{back:#?}"
        );
    }
    let all = alerts(d);
    for w in ["application", "owa"] {
        assert!(
            all.iter()
                .any(|a| a["dedup_key"] == format!("selftest-failed:{w}")
                    && a["state"] == "resolved"),
            "{all:#?}"
        );
    }
}

/// A Windows event log that was cleared (a real EVTX: System 104 from EVTX-ATTACK-SAMPLES) is a
/// source-health alert naming the file and the record, beside whatever the rules detect: clearing a
/// log blinds the rules that would have told.
#[test]
fn a_cleared_event_log_is_a_source_health_alert() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let evtx = d.join("evtx");
    std::fs::create_dir(&evtx).unwrap();
    let hook = HttpReceiver::start();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {evtx:?}\nsource = \"system\"\n\n[[alert.webhook]]\nurl = {hook:?}\n\n\
             [selftest]\nevery = \"off\"\n\n[serve]\npoll_ms = 20\nmetrics = \"off\"\nsilent_after = \"off\"\n",
            evtx = evtx.display().to_string(),
            hook = hook.url("/hook"),
        ),
    )
    .unwrap();
    let child = start(d);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../vigil-logs/tests/fixtures/system_104_log_cleared.evtx"),
        evtx.join("System.evtx"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut bodies = Vec::new();
    while Instant::now() < deadline {
        bodies = hook
            .requests()
            .iter()
            .map(|r| r.body_text())
            .collect::<Vec<_>>();
        if bodies
            .iter()
            .any(|b| b.contains("an event log was cleared"))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop(child);
    let cleared = bodies
        .iter()
        .find(|b| b.contains("an event log was cleared"))
        .unwrap_or_else(|| panic!("no log-cleared alert: {bodies:#?}"));
    let v: serde_json::Value = serde_json::from_str(cleared).unwrap();
    assert_eq!(v["alert"]["subject"], "source_health", "{v:#}");
    assert_eq!(v["alert"]["severity"], "high", "{v:#}");
    let evidence = v["alert"]["evidence"].to_string();
    assert!(
        evidence.contains("System.evtx") && evidence.contains("System 104"),
        "{evidence}"
    );
}

/// A sender that numbers its RFC 5424 messages (`meta sequenceId`) and loses some on the way (UDP):
/// the numbers missing are a source-health alert naming the sender.
#[test]
fn forwarded_messages_lost_on_the_way_are_alerted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let udp = support::serve::free_port(false);
    let hook = HttpReceiver::start();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[listen]]\nudp = \"127.0.0.1:{udp}\"\nsource = \"relay\"\n\n[[alert.webhook]]\nurl = {hook:?}\n\n\
             [selftest]\nevery = \"off\"\n\n[serve]\npoll_ms = 20\nmetrics = \"off\"\nsilent_after = \"off\"\n",
            hook = hook.url("/hook"),
        ),
    )
    .unwrap();
    let child = start(d);
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for seq in [1, 2, 3, 7, 8] {
        let m = format!(
            "<38>1 2026-12-04T10:00:0{}Z mx9 sshd 4242 - [meta sequenceId=\"{seq}\"] Accepted publickey for admin from 192.0.2.1 port 50000 ssh2",
            seq % 10
        );
        sender.send_to(m.as_bytes(), ("127.0.0.1", udp)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = hook.wait_for(1, Duration::from_secs(20));
    stop(child);
    let bodies: Vec<String> = got.iter().map(|r| r.body_text()).collect();
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("3 syslog message(s) from mx9 never arrived (sequenceId 4 to 6)")),
        "{bodies:#?}"
    );
}

/// IIS only ever appends to its logs and rolls over to new files: one emptied in place was edited
/// (an intruder removing their requests), and is a high source-health alert. A syslog file emptied
/// by copy-truncate rotation is not.
#[test]
fn an_iis_log_emptied_in_place_is_alerted_and_a_copy_truncated_syslog_file_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let iis = d.join("iis");
    std::fs::create_dir(&iis).unwrap();
    let log = iis.join("u_ex261204.log");
    let header = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-12-04 00:00:00\n\
                  #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";
    let mut lines = String::from(header);
    for i in 0..50 {
        lines.push_str(&format!(
            "2026-12-04 08:{:02}:00 192.0.2.10 GET /owa/ - 443 - 198.51.100.{i} Mozilla/5.0 - 200 0 0 5\n",
            i % 60
        ));
    }
    std::fs::write(&log, &lines).unwrap();
    let mail = d.join("mail.log");
    std::fs::write(&mail, failures("2026-12-04", 0, 30, "192.0.2.9")).unwrap();
    let hook = HttpReceiver::start();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {iis:?}\nsource = \"owa\"\nhost = \"MAIL01\"\n\n\
             [[watch]]\npath = {mail:?}\nformat = \"syslog\"\nsource = \"mail\"\n\n\
             [[alert.webhook]]\nurl = {hook:?}\n\n\
             [selftest]\nevery = \"off\"\n\n[serve]\npoll_ms = 20\nmetrics = \"off\"\nsilent_after = \"off\"\n",
            iis = iis.display().to_string(),
            mail = mail.display().to_string(),
            hook = hook.url("/hook"),
        ),
    )
    .unwrap();
    let child = start(d);
    std::thread::sleep(Duration::from_millis(500));
    // Both emptied and written again from the start.
    std::fs::write(&log, header).unwrap();
    std::fs::write(&mail, failures("2026-12-04", 30, 31, "192.0.2.9")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && !hook
            .requests()
            .iter()
            .any(|r| r.body_text().contains("emptied in place"))
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Time for a wrong alert about the syslog file to arrive too.
    std::thread::sleep(Duration::from_millis(1500));
    let bodies: Vec<String> = hook.requests().iter().map(|r| r.body_text()).collect();
    stop(child);
    let emptied: Vec<&String> = bodies
        .iter()
        .filter(|b| b.contains("emptied in place"))
        .collect();
    assert_eq!(emptied.len(), 1, "{bodies:#?}");
    assert!(
        emptied[0].contains("owa") && emptied[0].contains("u_ex261204.log"),
        "{}",
        emptied[0]
    );
}
