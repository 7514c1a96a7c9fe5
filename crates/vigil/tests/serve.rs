//! `vigil serve` from the command line: what it refuses before it starts.

use std::path::Path;
use std::process::{Command, Output};

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

/// A rule that fires on every failed Postfix SMTP AUTH line.
const SASL_RULE: &str = "title: Test SASL failure
id: 0f6a4f54-0000-4000-8000-0000000000aa
status: test
author: tester
logsource:
    product: linux
    service: postfix
detection:
    selection:
        event_action: sasl_auth_failed
    condition: selection
level: high
";

fn failures(from: usize, to: usize) -> String {
    (from..to)
        .map(|i| {
            format!(
                "2021-08-13T00:{:02}:{:02}.000000+00:00 mx1 postfix/smtpd[3100]: warning: \
                 unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n",
                i / 60 % 60,
                i % 60
            )
        })
        .collect()
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
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
    child
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

/// A free loopback port for `proto`, found by binding port 0 and letting it go (a listener's
/// port 0 cannot be learnt from outside the service).
fn free_port(tcp: bool) -> u16 {
    if tcp {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
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
