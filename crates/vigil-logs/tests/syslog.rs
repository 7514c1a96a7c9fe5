mod common;

use common::{fixture, read, s};
use vigil_logs::{Format, ReadOptions};
use vigil_model::{Event, RecordRef};

/// fail2ban's tests run with "now" = 2005-08-14 10:00 UTC; its year-less lines are dated from it.
/// Its tests run in time zone Europe/Zurich, and state times in it.
fn f2b_opts() -> ReadOptions {
    ReadOptions {
        syslog_reference_time: Some("2005-08-14T10:00:00Z".parse().unwrap()),
        syslog_time_zone: zurich(),
        ..ReadOptions::default()
    }
}

fn zurich() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/Zurich").unwrap()
}

struct Vector {
    line: u64,
    time: Option<String>,
    host: Option<String>,
}

/// The `# failJSON:` vectors: each describes the next log line.
fn vectors(name: &str) -> Vec<Vector> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut out = Vec::new();
    let mut pending: Option<serde_json::Value> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(j) = line.strip_prefix("# failJSON:") {
            pending = serde_json::from_str(j.trim()).ok();
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(v) = pending.take() {
            out.push(Vector {
                line: i as u64 + 1,
                time: v.get("time").and_then(|t| t.as_str()).map(str::to_string),
                host: v.get("host").and_then(|t| t.as_str()).map(str::to_string),
            });
        }
    }
    out
}

/// fail2ban writes `2005-03-7T02:09:33` too: normalise to `2005-03-07T02:09:33`.
fn norm_time(t: &str) -> String {
    let (date, time) = t.split_once('T').unwrap();
    let mut p = date.split('-');
    let (y, m, d) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
    let time = time.split('.').next().unwrap();
    format!("{y}-{m:0>2}-{d:0>2}T{time}")
}

fn check_vectors(name: &str) -> (usize, usize, usize) {
    let (events, stats) = read(name, &f2b_opts());
    assert_eq!(stats.format, Some(Format::Syslog), "{name}");
    let by_line = |n: u64| {
        events
            .iter()
            .find(|e| e.source.record == RecordRef::Line(n))
    };
    let (mut times, mut hosts, mut host_total) = (0, 0, 0);
    for v in vectors(name) {
        let Some(e) = by_line(v.line) else {
            panic!(
                "{name}:{}: no event ({:?})",
                v.line,
                stats
                    .failures
                    .iter()
                    .find(|f| f.record == RecordRef::Line(v.line))
            );
        };
        if let Some(t) = &v.time {
            let raw = e.raw.as_deref().unwrap();
            let got = e.timestamp.unwrap().to_zoned(zurich()).datetime();
            let want: jiff::civil::DateTime = norm_time(t).parse().unwrap();
            let diff = (got.to_zoned(zurich()).unwrap().timestamp()
                - want.to_zoned(zurich()).unwrap().timestamp())
            .total(jiff::Unit::Second)
            .unwrap()
            .abs();
            // TAI64N labels (`@4000…`) are TAI, 10 s ahead of the Unix time fail2ban reads them as.
            let tolerance = if raw.starts_with('@') { 10.0 } else { 0.999 };
            assert!(
                diff <= tolerance,
                "{name}:{}: got {got} want {want}: {raw}",
                v.line
            );
            times += 1;
        }
        if let Some(h) = &v.host {
            // Some vectors name a host from an earlier line of a multi-line failure.
            if h.parse::<std::net::IpAddr>().is_ok()
                && e.raw.as_deref().unwrap().contains(h.as_str())
            {
                host_total += 1;
                if s(e, "src_ip") == Some(h.as_str()) {
                    hosts += 1;
                } else {
                    eprintln!(
                        "{name}:{}: src_ip {:?} != {h}: {}",
                        v.line,
                        s(e, "src_ip"),
                        e.raw.as_deref().unwrap()
                    );
                }
            }
        }
    }
    (times, hosts, host_total)
}

#[test]
fn fail2ban_postfix_vectors() {
    let (times, hosts, total) = check_vectors("postfix.log");
    assert!(times > 50, "{times}");
    assert_eq!(hosts, total, "client address found on every matched line");
}

#[test]
fn fail2ban_dovecot_vectors() {
    let (times, hosts, total) = check_vectors("dovecot.log");
    assert!(times > 40, "{times}");
    assert_eq!(hosts, total);
}

#[test]
fn fail2ban_sshd_vectors() {
    let (times, hosts, total) = check_vectors("sshd.log");
    assert!(times > 80, "{times}");
    assert_eq!(hosts, total);
}

fn find<'a>(events: &'a [Event], needle: &str) -> &'a Event {
    events
        .iter()
        .find(|e| e.raw.as_deref().is_some_and(|r| r.contains(needle)))
        .unwrap_or_else(|| panic!("no line with {needle}"))
}

#[test]
fn mail_server_lines() {
    let opts = ReadOptions {
        syslog_reference_time: Some("2021-08-13T12:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    let (events, stats) = read("mail_server_synthetic.log", &opts);
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 11);
    let e = &events[0];
    assert_eq!(e.timestamp.unwrap().to_string(), "2021-08-12T23:50:41Z");
    assert_eq!(e.host.as_deref(), Some("mx1"));
    assert_eq!(s(e, "program"), Some("dovecot"));
    assert_eq!(s(e, "auth_result"), Some("failure"));
    assert_eq!(s(e, "auth_attempts"), Some("3"));
    assert_eq!(s(e, "user"), Some("reception@clinic.example"));
    assert_eq!(s(e, "src_ip"), Some("198.51.100.23"));
    assert_eq!(e.logsource.product.as_deref(), Some("linux"));
    assert_eq!(e.logsource.service.as_deref(), Some("dovecot"));

    let sasl = find(&events, "sasl_username=");
    assert_eq!(sasl.logsource.service.as_deref(), Some("postfix"));
    assert_eq!(s(sasl, "pid"), Some("3140"));
    assert_eq!(s(sasl, "postfix_daemon"), Some("smtpd"));
    assert_eq!(s(sasl, "sasl_username"), Some("reception@clinic.example"));
    assert_eq!(s(sasl, "queue_id"), Some("4Gq7Rk2ZxTz1Q"));
    let qmgr = find(&events, "nrcpt=48");
    assert_eq!(s(qmgr, "nrcpt"), Some("48"));
    assert_eq!(s(qmgr, "from"), Some("reception@clinic.example"));

    let out = find(&events, "Logged out");
    assert_eq!(s(out, "out"), Some("734009812"));
    assert_eq!(out.timestamp.unwrap().to_string(), "2021-08-13T00:07:12Z");

    let ssh = find(&events, "Accepted publickey");
    assert_eq!(ssh.logsource.service.as_deref(), Some("sshd"));
    assert_eq!(s(ssh, "auth_method"), Some("publickey"));
    assert_eq!(s(ssh, "auth_result"), Some("success"));
    assert_eq!(s(ssh, "user"), Some("admin"));
    assert_eq!(s(ssh, "src_ip"), Some("192.0.2.60"));

    let sudo = find(&events, "COMMAND=/usr/bin/tail");
    assert_eq!(sudo.logsource.service.as_deref(), Some("sudo"));
    assert_eq!(
        s(sudo, "command"),
        Some("/usr/bin/tail -n 100 /var/log/mail.log")
    );
    assert_eq!(s(sudo, "run_as"), Some("root"));
    let bad = find(&events, "incorrect password");
    assert_eq!(s(bad, "sudo_error"), Some("3 incorrect password attempts"));
    assert_eq!(s(bad, "auth_result"), Some("failure"));

    let r5424 = events.last().unwrap();
    assert_eq!(
        r5424.timestamp.unwrap().to_string(),
        "2021-08-12T22:11:02.003Z"
    );
    assert_eq!(s(r5424, "facility"), None);
    assert_eq!(
        r5424.fields.get("facility"),
        Some(&vigil_model::FieldValue::Int(10))
    );
    assert_eq!(s(r5424, "sd.meta.note"), Some("a \"quoted\" ] bracket"));
    assert_eq!(s(r5424, "sd.origin.ip"), Some("192.0.2.5"));
    assert_eq!(s(r5424, "user"), Some("root"));
    assert_eq!(
        s(r5424, "message"),
        Some("Failed password for root from 203.0.113.9 port 40222 ssh2")
    );
}

#[test]
fn year_less_timestamps_span_new_year() {
    let log =
        "Dec 31 23:59:58 h prog: a\nJan  1 00:00:01 h prog: b\nFeb 29 12:00:00 h prog: leap\n";
    let opts = ReadOptions {
        syslog_reference_time: Some("2025-01-02T00:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes("syslog", log.as_bytes(), None, &opts, &mut |e| {
        events.push(e)
    })
    .unwrap();
    assert_eq!(
        events[0].timestamp.unwrap().to_string(),
        "2024-12-31T23:59:58Z"
    );
    assert_eq!(
        events[1].timestamp.unwrap().to_string(),
        "2025-01-01T00:00:01Z"
    );
    // Feb 29 does not exist in 2025; 2024 had one.
    assert_eq!(
        events[2].timestamp.unwrap().to_string(),
        "2024-02-29T12:00:00Z"
    );
    assert_eq!(stats.failed, 0);
    // A time zone for offset-less stamps.
    let opts = ReadOptions {
        syslog_time_zone: jiff::tz::TimeZone::get("Europe/London").unwrap(),
        ..opts
    };
    let mut events = Vec::new();
    vigil_logs::read_bytes(
        "syslog",
        b"Aug 12 23:50:41 mx1 dovecot: x\n",
        None,
        &opts,
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(
        events[0].timestamp.unwrap().to_string(),
        "2024-08-12T22:50:41Z"
    );
}

fn notes_of(log: &[u8], opts: &ReadOptions) -> Vec<String> {
    vigil_logs::read_bytes("syslog", log, None, opts, &mut |_| {})
        .unwrap()
        .notes
}

#[test]
fn the_year_assumed_is_noted_with_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(
        &path,
        "Feb 27 10:00:00 mx1 postfix/smtpd[1]: connect from x[192.0.2.1]\n",
    )
    .unwrap();
    let modified: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified.into())
        .unwrap();
    let mut events = Vec::new();
    let stats =
        vigil_logs::read_path(&path, &ReadOptions::default(), &mut |e| events.push(e)).unwrap();
    let notes = &stats.files[0].notes;
    assert!(
        notes.contains(
            &"year 2026 assumed from the file's modification time (2026-03-01); use --log-time \
              if the log was copied"
                .to_string()
        ),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("times without a UTC offset read as UTC; use --tz")),
        "{notes:?}"
    );
    assert_eq!(
        events[0].timestamp.unwrap().to_string(),
        "2026-02-27T10:00:00Z"
    );

    // With --log-time, the note names it.
    let opts = ReadOptions {
        syslog_reference_time: Some("2021-08-13T00:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    let stats = vigil_logs::read_path(&path, &opts, &mut |_| {}).unwrap();
    assert!(
        stats.files[0]
            .notes
            .contains(&"year 2021 assumed from --log-time (2021-08-13)".to_string()),
        "{:?}",
        stats.files[0].notes
    );
}

#[test]
fn a_log_spanning_new_year_notes_both_years() {
    let opts = ReadOptions {
        syslog_reference_time: Some("2025-01-02T00:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    let notes = notes_of(
        b"Dec 31 23:59:58 h prog: a\nJan  1 00:00:01 h prog: b\n",
        &opts,
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("years 2024–2025 assumed from --log-time")),
        "{notes:?}"
    );
}

#[test]
fn stamps_with_a_year_and_an_offset_assume_nothing() {
    let opts = ReadOptions::default();
    let notes = notes_of(
        b"<34>1 2021-08-12T23:50:41.123+02:00 mx1 sshd 1 - - x\n2021-08-12T23:50:42Z mx1 sshd[1]: y\n",
        &opts,
    );
    assert!(notes.is_empty(), "{notes:?}");
    // Dovecot's own log has a year but no offset: only the zone is noted, in the zone given.
    let opts = ReadOptions {
        syslog_time_zone: zurich(),
        ..ReadOptions::default()
    };
    let notes = notes_of(b"2013-08-11 03:56:40 auth-worker(1): Info: x\n", &opts);
    assert_eq!(
        notes,
        vec!["times without a UTC offset read in Europe/Zurich".to_string()]
    );
}
