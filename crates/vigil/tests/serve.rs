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

/// Detections stored for the test rule, as (line) numbers, waiting until `want` are there.
fn stored_lines(db: &Path, want: usize) -> Vec<u64> {
    use vigil_store::CaseStore;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let store = vigil_store::SqliteStore::open(db).unwrap();
        let mut lines: Vec<u64> = store
            .detections()
            .unwrap()
            .iter()
            .filter_map(|d| match d.detection.sources.first()?.record {
                vigil_model::RecordRef::Line(n) => Some(n),
                _ => None,
            })
            .collect();
        lines.sort_unstable();
        if lines.len() >= want || std::time::Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The minimal configuration (plus short polling and a test rule): lines appended to the
/// watched file are detected live; after SIGKILL, a restart resumes with no lost and no
/// duplicated detection; SIGTERM exits 0.
#[test]
fn live_detection_survives_sigkill_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rule.yml"), SASL_RULE).unwrap();
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {:?}\nformat = \"syslog\"\n\n[serve]\nrules = [{:?}]\npoll_ms = 20\nmetrics = \"off\"\n",
            log.display().to_string(),
            d.join("rule.yml").display().to_string()
        ),
    )
    .unwrap();
    let db = d.join("vigil.db");

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
/// followed, each line detected once.
///
/// Ignored: it finds a loss. The store keeps one detection per (rule, file path, record), so the
/// new `mail.log`'s lines 1-2 are taken for the rotated file's lines 1-2 and not stored. The key
/// must include the file's identity (vigil-store/vigil-ingest); run with `--ignored` once it does.
#[test]
#[ignore = "detections of a rotated-in file collide with the old file's (store key has no file identity)"]
fn a_watched_glob_follows_rotation_and_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rule.yml"), SASL_RULE).unwrap();
    let logs = d.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = logs.join("mail.log");
    std::fs::write(&log, "").unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[[watch]]\npath = {:?}\nformat = \"syslog\"\nsource = \"mail\"\n\n[serve]\nrules = [{:?}]\npoll_ms = 20\nmetrics = \"off\"\n",
            logs.join("mail.log*").display().to_string(),
            d.join("rule.yml").display().to_string()
        ),
    )
    .unwrap();
    let db = d.join("vigil.db");
    let mut child = start(d);
    append(&log, &failures(0, 3));
    assert_eq!(stored_lines(&db, 3).len(), 3);
    // logrotate's default: rename, then a new file under the old name.
    std::fs::rename(&log, logs.join("mail.log.1")).unwrap();
    append(&log, &failures(3, 5));
    let got = stored_lines(&db, 5);
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(
        got,
        vec![1, 1, 2, 2, 3],
        "lines 1-3 of the first file, 1-2 of the new one"
    );
}
