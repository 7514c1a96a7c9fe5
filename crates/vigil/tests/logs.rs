//! `vigil logs show`: events as the rules see them, files that could not be read said plainly, and
//! special inputs (FIFOs, process substitution) that neither hang nor lose bytes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn vigil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.env_remove("VIGIL_DB")
        .env_remove("VIGIL_CONFIG")
        .env("NO_COLOR", "1");
    c
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-logs/tests/fixtures")
        .join(name)
}

fn run(args: &[&str], paths: &[&Path]) -> Output {
    vigil()
        .args(["logs", "show"])
        .args(paths)
        .args(args)
        .output()
        .expect("run vigil")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const SSHD: &str =
    "Aug 12 23:50:41 mx1 sshd[812]: Failed password for root from 192.0.2.1 port 40222 ssh2\n";

#[test]
fn shows_format_evidence_logsource_fields_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(&log, SSHD.repeat(3)).unwrap();
    let out = run(&["--fields", "--log-time", "2021-08-13T00:00:00Z"], &[&log]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("logsource  product: linux, service: sshd"),
        "{text}"
    );
    assert!(text.contains("time       2021-08-12T23:50:41Z"), "{text}");
    assert!(text.contains("host       mx1"), "{text}");
    // The field, its value, and the Sigma names that reach it through the syslog mapping.
    let program = text
        .lines()
        .find(|l| l.trim_start().starts_with("program"))
        .unwrap();
    assert!(
        program.contains("\"sshd\"") && program.contains("Sigma: Image, program"),
        "{program}"
    );
    assert!(
        text.contains("syslog (3 of 3 first lines are syslog); 3 events, 0 records failed"),
        "{text}"
    );
    assert!(
        text.contains("note: year 2021 assumed from --log-time (2021-08-13)"),
        "{text}"
    );
}

#[test]
fn jsonl_has_one_object_per_event_then_one_per_file() {
    let out = run(
        &["--format", "jsonl", "--limit", "2", "--fields"],
        &[&fixture("otrf_proxylogon_sample.json")],
    );
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    let ev = &lines[0];
    assert_eq!(ev["type"], "event");
    assert_eq!(ev["logsource"]["product"], "windows");
    assert!(ev["fields"]["EventID"].is_number());
    assert!(ev["raw"].as_str().unwrap().starts_with('{'));
    assert!(
        ev["sigma_fields"]["EventID"]
            .as_array()
            .unwrap()
            .contains(&"EventID".into())
    );
    let file = &lines[2];
    assert_eq!(file["type"], "file");
    assert_eq!(file["format"], "winjson");
    assert!(
        file["format_evidence"]
            .as_str()
            .unwrap()
            .contains("Windows events")
    );
    assert_eq!(file["events"], 2);
}

#[test]
fn hostile_text_cannot_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil\u{1b}]0;pwned\u{7}.log");
    std::fs::write(
        &log,
        "Aug 12 23:50:41 mx1 sshd[1]: user \u{1b}[2J\u{9b}31m gone\n",
    )
    .unwrap();
    for format in ["table", "jsonl"] {
        let out = run(&["--format", format], &[&log]);
        let bytes = &out.stdout;
        assert!(!bytes.contains(&0x1b), "{format}: raw ESC in output");
        assert!(!bytes.contains(&0x07), "{format}: raw BEL in output");
        assert!(
            !stdout(&out).contains('\u{9b}'),
            "{format}: raw CSI in output"
        );
    }
}

#[test]
fn a_file_that_cannot_be_read_is_said_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "just some words\n").unwrap();
    let out = run(&[], &[&notes]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("not read: not a log format vigil recognises"),
        "{text}"
    );
    // Said once: the path is not repeated inside the reason.
    assert_eq!(text.matches("notes.txt").count(), 1, "{text}");

    // An empty log is no all-clear either.
    let empty = dir.path().join("mail.log");
    std::fs::write(&empty, "").unwrap();
    let out = run(&[], &[&empty]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("no event was read"));
}

#[test]
fn limit_stops_reading() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(&log, SSHD.repeat(50)).unwrap();
    let out = run(&["--limit", "3"], &[&log]);
    let text = stdout(&out);
    assert_eq!(text.matches("logsource  ").count(), 3, "{text}");
    assert!(text.contains("only the first 3 events were read"), "{text}");
    let out = run(&["--limit", "0", "--format", "jsonl"], &[&log]);
    assert_eq!(stdout(&out).lines().count(), 51);
}

#[test]
fn read_as_overrides_sniffing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("data.txt");
    std::fs::write(&log, "{\"ts\":\"2021-08-12T10:00:00Z\",\"user\":\"a\"}\n").unwrap();
    let out = run(&["--read-as", "jsonl", "--format", "jsonl"], &[&log]);
    let last: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().last().unwrap()).unwrap();
    assert_eq!(last["format_evidence"], "given");
    let out = run(&["--read-as", "nonsense"], &[&log]);
    assert_eq!(out.status.code(), Some(2));
}

fn mkfifo(path: &Path) -> bool {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: mkfifo unavailable");
    }
    ok
}

/// `mkfifo p.log; vigil hunt p.log` blocked forever: no writer must mean a message and an exit.
#[test]
fn a_fifo_without_writer_ends_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("p.log");
    if !mkfifo(&fifo) {
        return;
    }
    for args in [vec!["logs", "show"], vec!["hunt", "--parse-only"]] {
        let start = Instant::now();
        let mut child = vigil()
            .args(&args)
            .arg(&fifo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{args:?} on a FIFO without a writer hangs");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = child.wait_with_output().unwrap();
        let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        assert_ne!(status.code(), Some(0), "{args:?}: {all}");
        assert!(all.contains("FIFO"), "{args:?}: {all}");
    }
}

#[test]
fn a_fifo_with_a_writer_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("feed.log");
    if !mkfifo(&fifo) {
        return;
    }
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        w.write_all(SSHD.repeat(2).as_bytes()).unwrap();
    });
    let out = run(&["--log-time", "2021-08-13T00:00:00Z"], &[&fifo]);
    writer.join().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("2 events, 0 records failed"), "{text}");
}

/// `vigil logs show <(cat auth.log)`: the pipe is read once, from its first byte.
#[test]
fn process_substitution_keeps_the_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(&log, SSHD.repeat(2)).unwrap();
    let script = format!(
        "'{}' logs show --log-time 2021-08-13T00:00:00Z <(cat '{}')",
        env!("CARGO_BIN_EXE_vigil"),
        log.display()
    );
    let Ok(out) = Command::new("bash").arg("-c").arg(&script).output() else {
        eprintln!("skipped: no bash");
        return;
    };
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("2 events, 0 records failed"), "{text}");
    assert!(text.contains("raw        Aug 12 23:50:41"), "{text}");
}
