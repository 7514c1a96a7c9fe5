//! `vigil serve` from the command line: what it refuses before it starts, live detection across
//! restarts, and its health on `/metrics`, `/health` and in `vigil status`.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::serve::{SASL_RULE, append, free_port};

fn serve(dir: &Path, config: &str) -> Output {
    let cfg = dir.join("vigil.toml");
    std::fs::write(&cfg, config).unwrap();
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--db")
        .arg(dir.join("vigil.db"))
        .arg("--config")
        .arg(&cfg)
        .arg("serve")
        .env_remove("VIGIL_CONFIG")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .expect("run vigil")
}

/// A configuration that watches nothing is refused, naming why, with nothing printed on stdout
/// (no readiness line) and without creating a store.
#[test]
fn a_configuration_without_watch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = serve(
        dir.path(),
        "[[alert.webhook]]\nurl = \"http://127.0.0.1:9000/hook\"\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("nothing to watch") && err.contains("[[watch]]"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(!dir.path().join("vigil.db").exists());
}

/// A misspelt table is an error naming it and its line, not a service watching nothing.
#[test]
fn a_misspelt_watch_table_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = serve(dir.path(), "[[wacth]]\npath = \"/var/log/mail.log\"\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("wacth") && err.contains("line 1"), "{err}");
    assert!(out.stdout.is_empty());
}

fn failures(from: usize, to: usize) -> String {
    support::serve::failures("2021-08-13", from, to, "192.0.2.7")
}

/// Writes the test rule and a `vigil.toml` of `tables` plus a `[serve]` table using the rule with
/// short polling; returns the store's path.
fn configure(dir: &Path, tables: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("rule.yml"), SASL_RULE).unwrap();
    std::fs::write(
        dir.join("vigil.toml"),
        format!(
            "{tables}\n[serve]\nrules = [{:?}]\npoll_ms = 20\nmetrics = \"off\"\n",
            dir.join("rule.yml").display().to_string()
        ),
    )
    .unwrap();
    dir.join("vigil.db")
}

/// Stops the service with SIGTERM; it must exit 0.
fn terminate(mut child: std::process::Child) {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Starts `vigil serve` and waits for its readiness line.
fn start(dir: &Path) -> std::process::Child {
    start_ready(dir).0
}

/// Starts `vigil serve`; the child and its readiness line.
fn start_ready(dir: &Path) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--db")
        .arg(dir.join("vigil.db"))
        .arg("--config")
        .arg(dir.join("vigil.toml"))
        .arg("serve")
        .env_remove("VIGIL_CONFIG")
        .env("NO_COLOR", "1")
        .env("VIGIL_NO_CACHE", "1")
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start vigil serve");
    let out = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line).unwrap();
    assert!(line.starts_with("READY=1"), "{line:?}");
    (child, line)
}

/// What `view` takes of each stored detection, sorted, waiting until `want` are there.
fn stored<T: Ord>(
    db: &Path,
    want: usize,
    view: impl Fn(&vigil_store::StoredDetection) -> Option<T>,
) -> Vec<T> {
    use vigil_store::CaseStore;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let store = vigil_store::SqliteStore::open(db).unwrap();
        let mut got: Vec<T> = store
            .detections()
            .unwrap()
            .iter()
            .filter_map(&view)
            .collect();
        got.sort();
        if got.len() >= want || std::time::Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Detections stored for the test rule, as (line) numbers, waiting until `want` are there.
fn stored_lines(db: &Path, want: usize) -> Vec<u64> {
    stored(db, want, |d| match d.detection.sources.first()?.record {
        vigil_model::RecordRef::Line(n) => Some(n),
        _ => None,
    })
}

/// The minimal configuration (plus short polling and a test rule): lines appended to the
/// watched file are detected live; after SIGKILL, a restart resumes with no lost and no
/// duplicated detection; SIGTERM exits 0.
#[test]
fn live_detection_survives_sigkill_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let db = configure(
        d,
        &format!(
            "[[watch]]\npath = {:?}\nformat = \"syslog\"\n",
            log.display().to_string()
        ),
    );

    let mut child = start(d);
    append(&log, &failures(0, 5));
    assert_eq!(stored_lines(&db, 5), vec![1, 2, 3, 4, 5]);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // Written while the service was down, then more once it is back.
    append(&log, &failures(5, 8));
    let mut child = start(d);
    append(&log, &failures(8, 10));
    assert_eq!(stored_lines(&db, 10), (1..=10).collect::<Vec<u64>>());

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    // Nothing was stored twice.
    assert_eq!(stored_lines(&db, 10).len(), 10);
}

/// A watched glob: a file rotated by rename and a new file appearing while serving are both
/// followed, each line detected once (the new `mail.log`'s lines 1-2 are not taken for the rotated
/// file's: a detection's source names its file generation).
#[test]
fn a_watched_glob_follows_rotation_and_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let logs = d.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = logs.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let db = configure(
        d,
        &format!(
            "[[watch]]\npath = {:?}\nformat = \"syslog\"\nsource = \"mail\"\n",
            logs.join("mail.log*").display().to_string()
        ),
    );
    let child = start(d);
    append(&log, &failures(0, 3));
    assert_eq!(stored_lines(&db, 3).len(), 3);
    // logrotate's default: rename, then a new file under the old name.
    std::fs::rename(&log, logs.join("mail.log.1")).unwrap();
    append(&log, &failures(3, 5));
    let got = stored_lines(&db, 5);
    terminate(child);
    assert_eq!(
        got,
        vec![1, 1, 2, 2, 3],
        "lines 1-3 of the first file, 1-2 of the new one"
    );
}

/// Rotation by copy-truncate: the watched file is emptied in place and written again; its new
/// lines 1-2 are detected, once each, besides the first generation's lines 1-3.
#[test]
fn a_copy_truncated_file_is_detected_again_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    let db = configure(
        d,
        &format!(
            "[[watch]]\npath = {:?}\nformat = \"syslog\"\n",
            log.display().to_string()
        ),
    );
    let child = start(d);
    append(&log, &failures(0, 3));
    assert_eq!(stored_lines(&db, 3).len(), 3);
    // logrotate's copytruncate: copy (not watched here), then truncate in place.
    std::fs::copy(&log, d.join("mail.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    // The program goes on writing; the service sees the file shorter than its position.
    std::thread::sleep(std::time::Duration::from_millis(300));
    append(&log, &failures(3, 5));
    let got = stored_lines(&db, 5);
    terminate(child);
    assert_eq!(got, vec![1, 1, 2, 2, 3]);
    // Nothing more arrives later, nothing was stored twice.
    assert_eq!(stored_lines(&db, 5).len(), 5);
}

/// Detections stored for the test rule as (file, host), waiting until `want` are there.
fn stored_sources(db: &Path, want: usize) -> Vec<(String, String)> {
    stored(db, want, |d| {
        let s = d.detection.sources.first()?;
        Some((s.file.clone(), d.detection.host.clone().unwrap_or_default()))
    })
}

/// A service with only a `[[listen]]`: RFC 5424 and RFC 3164 messages forwarded over UDP and
/// over TCP (octet-counted and newline-framed) are detected and stored, each once.
#[test]
fn forwarded_syslog_over_udp_and_tcp_is_detected() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (udp, tcp) = (free_port(false), free_port(true));
    let db = configure(
        d,
        &format!(
            "[[listen]]\nudp = \"127.0.0.1:{udp}\"\ntcp = \"127.0.0.1:{tcp}\"\nsource = \"relay\"\n"
        ),
    );
    let child = start(d);
    let tail = "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6";
    let rfc5424 = |host: &str| {
        format!("<22>1 2021-08-13T00:00:01.000000Z {host} postfix/smtpd 3100 - - {tail}")
    };
    let rfc3164 = |host: &str| format!("<22>Aug 13 00:00:02 {host} postfix/smtpd[3100]: {tail}");
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for m in [rfc5424("udp5424"), rfc3164("udp3164")] {
        sender.send_to(m.as_bytes(), ("127.0.0.1", udp)).unwrap();
    }
    let mut c = std::net::TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    let counted = rfc5424("tcp5424");
    write!(c, "{} {counted}", counted.len()).unwrap();
    writeln!(c, "{}", rfc3164("tcp3164")).unwrap();
    c.flush().unwrap();
    let got = stored_sources(&db, 4);
    terminate(child);
    assert_eq!(
        got,
        vec![
            ("syslog/tcp".to_string(), "tcp3164".to_string()),
            ("syslog/tcp".to_string(), "tcp5424".to_string()),
            ("syslog/udp".to_string(), "udp3164".to_string()),
            ("syslog/udp".to_string(), "udp5424".to_string()),
        ]
    );
}

/// A listener whose address is taken stops the start, naming it, with no readiness line.
#[test]
fn a_listen_address_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rule.yml"), SASL_RULE).unwrap();
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = serve(
        d,
        &format!(
            "[[listen]]\nudp = \"{addr}\"\n\n[serve]\nrules = [{:?}]\nmetrics = \"off\"\n",
            d.join("rule.yml").display().to_string()
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains(&addr.to_string()), "{err}");
    assert!(out.stdout.is_empty());
}

/// `vigil status` on the store of `dir`: exit code and stdout.
fn status(dir: &Path, json: bool) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.arg("--db").arg(dir.join("vigil.db")).arg("status");
    if json {
        cmd.arg("--json");
    }
    let out = cmd
        .env_remove("VIGIL_CONFIG")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .expect("run vigil status");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn http_get(url: &str) -> (u16, String) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .build(),
    );
    let mut resp = agent.get(url).call().expect(url);
    let body = resp.body_mut().read_to_string().unwrap();
    (resp.status().as_u16(), body)
}

/// A metric or label name: `[a-zA-Z_:][a-zA-Z0-9_:]*` (labels without `:`).
fn is_name(s: &str, colon: bool) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':');
    s.chars()
        .next()
        .is_some_and(|c| ok(c) && !c.is_ascii_digit())
        && s.chars().all(ok)
}

/// One sample of an exposition: metric name, labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// Label pairs from `body` (just after `{`): the labels and what follows the closing `}`.
fn parse_labels<'a>(body: &'a str, at: &str) -> (Vec<(String, String)>, &'a str) {
    let mut labels = Vec::new();
    let mut rest = body;
    loop {
        let eq = rest.find('=').unwrap_or_else(|| panic!("{at}: no '='"));
        let label = &rest[..eq];
        assert!(is_name(label, false), "{at}: label {label:?}");
        let mut chars = rest[eq + 1..]
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("{at}: unquoted value"))
            .chars();
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('"') => break,
                Some('\\') => value.push(match chars.next() {
                    Some('\\') => '\\',
                    Some('"') => '"',
                    Some('n') => '\n',
                    e => panic!("{at}: bad escape {e:?}"),
                }),
                Some('\n') | None => panic!("{at}: value not closed"),
                Some(c) => value.push(c),
            }
        }
        labels.push((label.to_string(), value));
        rest = chars.as_str();
        if let Some(more) = rest.strip_prefix(',') {
            rest = more;
        } else if let Some(after) = rest.strip_prefix('}') {
            return (labels, after);
        } else {
            panic!("{at}: labels not closed");
        }
    }
}

/// Checks one exposition against the text format (0.0.4): HELP and TYPE before a family's
/// samples, names and labels well formed, label values quoted with only `\\`, `\"`, `\n`
/// escapes, values numbers, counters named `_total`. Returns the samples.
fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(
        text.ends_with('\n'),
        "the last line must end with a line feed"
    );
    let mut typed = std::collections::HashMap::new();
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("line {}: {line:?}", n + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kw, name, tail) = (parts.next(), parts.next().unwrap_or(""), parts.next());
            assert!(is_name(name, true), "{at}");
            match kw {
                Some("HELP") => assert!(tail.is_some_and(|t| !t.is_empty()), "{at}"),
                Some("TYPE") => {
                    let kind = tail.unwrap_or("");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "{at}"
                    );
                    assert_eq!(kind == "counter", name.ends_with("_total"), "{at}");
                    assert!(
                        typed.insert(name.to_string(), kind).is_none(),
                        "{at}: typed twice"
                    );
                }
                _ => panic!("{at}: unknown comment"),
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("{at}"));
        let name = &line[..name_end];
        assert!(is_name(name, true), "{at}");
        assert!(typed.contains_key(name), "{at}: sample before its TYPE");
        let (labels, rest) = match line[name_end..].strip_prefix('{') {
            Some(body) => parse_labels(body, &at),
            None => (Vec::new(), &line[name_end..]),
        };
        let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("{at}"));
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("{at}: value {value:?}"));
        samples.push((name.to_string(), labels, v));
    }
    samples
}

/// The value of `name` for the source labelled `source`.
fn source_value(samples: &[Sample], name: &str, source: &str) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l.iter().any(|(k, v)| k == "source" && v == source))
        .map(|s| s.2)
}

/// `vigil serve` with health: `/metrics` counts the events of the named source in a
/// well-formed exposition, `/health` and `vigil status` say it is running; after SIGTERM status
/// says it stopped, after SIGKILL that it is down once three heartbeats are missed (exit 3 both).
#[test]
fn health_is_served_and_status_tells_when_nobody_watches() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rule.yml"), SASL_RULE).unwrap();
    // A label that needs escaping in Prometheus text.
    let label = "mail \"mx1\"\\log";
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    // A webhook nobody listens on: the incident's alert is raised but reaches no channel.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {:?}\nformat = \"syslog\"\nsource = {label:?}\n\n[[alert.webhook]]\nurl = \"http://{closed}/hook\"\n\n[serve]\nrules = [{:?}]\npoll_ms = 20\nmetrics = \"127.0.0.1:0\"\nheartbeat_secs = 1\n",
            log.display().to_string(),
            d.join("rule.yml").display().to_string()
        ),
    )
    .unwrap();
    let (child, ready) = start_ready(d);
    let addr = ready
        .trim()
        .rsplit_once("metrics=")
        .map(|(_, a)| a.to_string())
        .unwrap();
    // Scrapers that connect and never send a request hold the endpoint's connections; detection,
    // on its own thread, goes on regardless.
    let idle: Vec<std::net::TcpStream> = (0..24)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    let appended = std::time::Instant::now();
    append(&log, &failures(0, 5));
    assert_eq!(stored_lines(&d.join("vigil.db"), 5).len(), 5);
    assert!(
        appended.elapsed() < std::time::Duration::from_secs(3),
        "detection waited {:?}",
        appended.elapsed()
    );
    drop(idle);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let samples = loop {
        let (code, text) = http_get(&format!("http://{addr}/metrics"));
        assert_eq!(code, 200);
        let samples = parse_exposition(&text);
        let undelivered = samples
            .iter()
            .find(|(n, _, _)| n == "vigil_serve_alert_notices_undelivered_total")
            .map(|s| s.2);
        if (source_value(&samples, "vigil_source_events_total", label) == Some(5.0)
            && undelivered == Some(1.0))
            || std::time::Instant::now() > deadline
        {
            break samples;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(
        source_value(&samples, "vigil_source_events_total", label),
        Some(5.0)
    );
    assert_eq!(
        source_value(&samples, "vigil_source_files", label),
        Some(1.0)
    );
    assert!(source_value(&samples, "vigil_source_last_event_time_seconds", label).is_some());
    let stored = samples
        .iter()
        .find(|(n, _, _)| n == "vigil_serve_detections_stored_total")
        .map(|s| s.2);
    assert_eq!(stored, Some(5.0));
    // One incident, one alert, and its notice undelivered.
    let service = |name: &str| samples.iter().find(|(n, _, _)| n == name).map(|s| s.2);
    assert_eq!(service("vigil_serve_alerts_raised_total"), Some(1.0));
    assert_eq!(
        service("vigil_serve_alert_notices_undelivered_total"),
        Some(1.0)
    );
    assert!(
        samples
            .iter()
            .any(|(n, l, _)| n == "vigil_source_events_total"
                && l.contains(&("kind".to_string(), "file".to_string())))
    );

    let (code, body) = http_get(&format!("http://{addr}/health"));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (code, doc["status"].as_str()),
        (200, Some("running")),
        "{body}"
    );
    assert_eq!(doc["health"]["sources"][0]["name"], label);

    // Heartbeats reach the store: status sees the service and its source.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let (code, out) = status(d, false);
    // Detection runs, but no asset was ever scanned: no patch posture is known, so not 0.
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("no patch posture is known"), "{out}");
    assert!(out.starts_with("SERVICE running"), "{out}");
    assert!(out.contains("mail \"mx1\"\\log"), "{out}");
    assert!(out.contains("1 alert notices reached no channel"), "{out}");
    let (_, json) = status(d, true);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["service"]["status"], "running");
    assert_eq!(doc["service"]["health"]["sources"][0]["events"], 5);

    terminate(child);
    let (code, out) = status(d, false);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.starts_with("SERVICE STOPPED") && out.contains("nobody is watching"),
        "{out}"
    );

    // Killed without a word: stale after three missed heartbeats (1 s each).
    let mut child = start(d);
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let (code, out) = status(d, false);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.starts_with("SERVICE DOWN: no heartbeat for"), "{out}");
    let (code, json) = status(d, true);
    assert_eq!(code, Some(3));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["service"]["status"], "stale");
}

/// A metrics port already in use stops the service before its readiness line, naming the address.
#[test]
fn a_busy_metrics_port_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    std::fs::write(dir.path().join("rule.yml"), SASL_RULE).unwrap();
    let out = serve(
        dir.path(),
        &format!(
            "[[watch]]\npath = \"mail.log\"\n\n[serve]\nrules = [\"rule.yml\"]\nmetrics = \"{addr}\"\n"
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains(&addr.to_string()), "{err}");
    assert!(out.stdout.is_empty());
}
