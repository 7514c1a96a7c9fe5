//! The tailer on real files in a temporary folder: appends, partial lines, rotation by rename
//! and copy-truncate, folders receiving files, logrotate's `.gz`, restarts from checkpoints, EVTX.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use vigil_ingest::{Tailer, TailerConfig, Watch};
use vigil_logs::Format;
use vigil_model::{Checkpoint, Event, FieldValue};

fn line(n: u32) -> String {
    format!(
        "Dec  4 10:00:{:02} mx1 sshd[{n}]: Failed password for user{n} from 192.0.2.{} port 22 ssh2\n",
        n % 60,
        n % 250
    )
}

fn lines(range: std::ops::Range<u32>) -> String {
    range.map(line).collect()
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn config() -> TailerConfig {
    TailerConfig {
        partial_timeout: Duration::from_millis(50),
        ..TailerConfig::default()
    }
}

fn watch(path: &Path, pattern: Option<&str>) -> Watch {
    let mut w = Watch::new("mail", path);
    w.pattern = pattern.map(str::to_string);
    w.format = Some(Format::Syslog);
    w
}

/// The pid of each event (each test line has a distinct one).
fn pids(events: &[Event]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match e.get("pid").or_else(|| e.get("ProcessId")) {
            Some(FieldValue::Str(s)) => s.parse().ok(),
            Some(FieldValue::Int(n)) => u32::try_from(*n).ok(),
            _ => None,
        })
        .collect()
}

fn poll(t: &mut Tailer) -> Vec<Event> {
    let mut out = Vec::new();
    t.poll(&mut |e| out.push(e)).unwrap();
    out
}

fn poll_all(t: &mut Tailer) -> Vec<Event> {
    let mut out = Vec::new();
    for _ in 0..4 {
        out.extend(poll(t));
    }
    out
}

#[test]
fn appends_are_read_once_and_partial_lines_held() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    append(&log, &lines(1..4));
    let mut t = Tailer::new(watch(&log, None), config(), Vec::new());
    let first = poll(&mut t);
    assert_eq!(pids(&first).len(), 3, "{first:?}");
    assert_eq!(pids(&first), vec![1, 2, 3]);
    assert!(poll(&mut t).is_empty(), "nothing new, nothing read");

    // Half a line: held until its newline.
    let l4 = line(4);
    let (a, b) = l4.split_at(20);
    append(&log, a);
    assert!(poll(&mut t).is_empty());
    append(&log, b);
    assert_eq!(pids(&poll(&mut t)), vec![4]);

    // A last line that never gets its newline is passed on after the timeout.
    append(&log, line(5).trim_end());
    assert!(poll(&mut t).is_empty());
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(pids(&poll(&mut t)), vec![5]);
    assert_eq!(t.health().events, 5);
    assert_eq!(t.health().bytes_read, fs::metadata(&log).unwrap().len());
}

#[test]
fn rotation_by_rename_finishes_the_old_file_then_reads_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    append(&log, &lines(1..3));
    let mut t = Tailer::new(watch(&log, None), config(), Vec::new());
    assert_eq!(pids(&poll(&mut t)), vec![1, 2]);
    // Written after the last poll, just before the rename: must not be lost.
    append(&log, &line(3));
    fs::rename(&log, dir.path().join("mail.log.1")).unwrap();
    append(&log, &lines(4..6));
    let got = pids(&poll_all(&mut t));
    assert_eq!(got, vec![3, 4, 5]);
    assert_eq!(t.health().rotations, 1);
}

#[test]
fn copy_truncate_restarts_from_zero_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    append(&log, &lines(1..4));
    let mut t = Tailer::new(watch(&log, None), config(), Vec::new());
    assert_eq!(pids(&poll(&mut t)).len(), 3);
    fs::copy(&log, dir.path().join("mail.log.1")).unwrap();
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, &lines(10..12));
    assert_eq!(pids(&poll_all(&mut t)), vec![10, 11]);
    assert_eq!(t.health().truncations, 1);
    assert!(
        t.health()
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("truncated")
    );
}

#[test]
fn a_folder_receiving_new_files_reads_each_once() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("u_a.log"), &lines(1..3));
    append(&dir.path().join("ignored.txt"), &lines(90..92));
    let mut t = Tailer::new(watch(dir.path(), Some("u_*.log")), config(), Vec::new());
    assert_eq!(pids(&poll(&mut t)), vec![1, 2]);
    append(&dir.path().join("u_b.log"), &lines(3..5));
    append(&dir.path().join("u_a.log"), &line(5));
    let mut got = pids(&poll_all(&mut t));
    got.sort_unstable();
    assert_eq!(got, vec![3, 4, 5]);
    assert_eq!(t.health().files, 2);
}

fn gzip(path: &Path, content: &[u8]) {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(content).unwrap();
    fs::write(path, enc.finish().unwrap()).unwrap();
}

#[test]
fn logrotate_with_gz_reads_nothing_twice_but_a_new_gz_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("mail.log");
    append(&log, &lines(1..4));
    let mut t = Tailer::new(watch(d, Some("mail.log*")), config(), Vec::new());
    let mut seen = pids(&poll_all(&mut t));
    // Rotate: mail.log -> mail.log.1, new mail.log; then mail.log.1 compressed to mail.log.2.gz
    // (with delaycompress, one cycle later) and removed.
    fs::rename(&log, d.join("mail.log.1")).unwrap();
    append(&log, &lines(4..6));
    seen.extend(pids(&poll_all(&mut t)));
    let old = fs::read(d.join("mail.log.1")).unwrap();
    gzip(&d.join("mail.log.2.gz"), &old);
    fs::remove_file(d.join("mail.log.1")).unwrap();
    fs::rename(&log, d.join("mail.log.1")).unwrap();
    append(&log, &line(6));
    seen.extend(pids(&poll_all(&mut t)));
    assert_eq!(seen, vec![1, 2, 3, 4, 5, 6], "each line once");

    // A genuinely new archive dropped in is read whole.
    gzip(&d.join("mail.log.9.gz"), lines(20..22).as_bytes());
    assert_eq!(pids(&poll_all(&mut t)), vec![20, 21]);
}

#[test]
fn a_truncated_gzip_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gzip(&d.join("old.log.gz"), lines(1..200).as_bytes());
    let bytes = fs::read(d.join("old.log.gz")).unwrap();
    fs::write(d.join("old.log.gz"), &bytes[..bytes.len() / 2]).unwrap();
    let mut t = Tailer::new(watch(d, None), config(), Vec::new());
    let _ = poll_all(&mut t);
    assert!(t.health().errors >= 1);
    let err = t.health().last_error.clone().unwrap_or_default();
    assert!(err.contains("old.log.gz") && err.contains("gzip"), "{err}");
}

#[test]
fn a_restart_from_checkpoints_loses_nothing_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    append(&log, &lines(1..4));
    let mut committed: Vec<u32> = Vec::new();
    let mut stored: Vec<Checkpoint> = Vec::new();

    let mut t = Tailer::new(watch(&log, None), config(), stored.clone());
    committed.extend(pids(&poll(&mut t)));
    stored = t.checkpoints(); // committed with the detections of lines 1..3
    append(&log, &lines(4..6));
    let uncommitted = pids(&poll(&mut t));
    assert_eq!(uncommitted, vec![4, 5]);
    drop(t); // crash before the commit: 4 and 5 must come again

    append(&log, &line(6));
    let mut t = Tailer::new(watch(&log, None), config(), stored);
    committed.extend(pids(&poll(&mut t)));
    let stored = t.checkpoints();
    drop(t);
    // A clean restart at the end reads nothing again.
    let mut t = Tailer::new(watch(&log, None), config(), stored);
    committed.extend(pids(&poll(&mut t)));
    assert_eq!(committed, vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_growing_evtx_file_is_read_again_after_its_last_record() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-logs/tests/fixtures/security_4624_ntlm_cme.evtx");
    let full = fs::read(&fixture).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("Security.evtx");
    // Windows writes the first chunk, then a second one.
    fs::write(&log, &full[..4096 + 65536]).unwrap();
    let mut w = Watch::new("security", &log);
    w.format = None;
    let mut t = Tailer::new(w, config(), Vec::new());
    let first = poll_all(&mut t);
    assert!(!first.is_empty());
    let mut f = OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(&full[4096 + 65536..]).unwrap();
    drop(f);
    let second = poll_all(&mut t);
    let mut all: Vec<_> = first
        .iter()
        .chain(&second)
        .map(|e| e.source.record)
        .collect();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n, "no record twice");
    let whole = vigil_logs::read_file_as(&fixture, Format::Evtx, &Default::default(), &mut |_| {})
        .map(|s| s.events)
        .unwrap();
    assert_eq!(n as u64, whole, "every record once");
}

#[test]
fn an_over_long_line_is_skipped_without_being_held() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let mut w = watch(&log, None);
    w.options.max_line_bytes = 200;
    append(&log, &line(1));
    let mut t = Tailer::new(w, config(), Vec::new());
    assert_eq!(pids(&poll(&mut t)), vec![1]);
    append(&log, &"x".repeat(150));
    assert!(poll(&mut t).is_empty());
    append(&log, &"y".repeat(150));
    assert!(poll(&mut t).is_empty());
    append(&log, &format!("z\n{}", line(2)));
    assert_eq!(pids(&poll(&mut t)), vec![2]);
    assert_eq!(t.health().errors, 1);
    let Some(vigil_model::Position::Text { offset, line }) =
        t.checkpoints().first().map(|c| c.position)
    else {
        panic!("a text position")
    };
    assert_eq!(offset, fs::metadata(&log).unwrap().len());
    assert_eq!(line, 3);
}

#[test]
fn lines_of_an_unrecognised_format_are_errors_not_silence() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("notes.bin");
    append(&log, "\u{1}\u{2}\u{3} not a log format at all\n");
    let mut t = Tailer::new(Watch::new("x", &log), config(), Vec::new());
    assert!(poll(&mut t).is_empty());
    assert!(t.health().errors >= 1);
    let err = t.health().last_error.clone().unwrap_or_default();
    assert!(err.contains("notes.bin"), "{err}");
}

fn generations(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            e.source
                .generation
                .clone()
                .expect("a followed file's record has a generation")
        })
        .collect()
}

/// Line 1 of a file rotated in under the same path, or written again after a copy-truncate, is
/// not line 1 of the file before it: the generation tells them apart, and is the same for every
/// record of one file, before and after a restart.
#[test]
fn each_file_generation_is_named_and_stable_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    append(&log, &lines(1..3));
    let mut t = Tailer::new(watch(&log, None), config(), Vec::new());
    let first = generations(&poll(&mut t));
    assert_eq!(first.len(), 2);
    assert_eq!(first[0], first[1]);
    let stored = t.checkpoints();
    append(&log, &line(3));
    let mut t = Tailer::new(watch(&log, None), config(), stored);
    assert_eq!(generations(&poll(&mut t)), vec![first[0].clone()]);

    // Rotation by rename: a new inode.
    fs::rename(&log, dir.path().join("mail.log.1")).unwrap();
    append(&log, &lines(4..7));
    let renamed = poll_all(&mut t);
    assert_eq!(pids(&renamed), vec![4, 5, 6]);
    let second = generations(&renamed);
    assert_ne!(second[0], first[0]);
    assert_eq!(second[0], second[1]);
    assert!(renamed.iter().all(|e| e.source.file.ends_with("mail.log")));

    // Copy-truncate: the same inode, written again from the start (shorter than before: the
    // truncation is seen by the size).
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, &lines(10..12));
    let again = poll_all(&mut t);
    assert_eq!(pids(&again), vec![10, 11]);
    let third = generations(&again);
    assert_ne!(third[0], second[0]);
    assert_eq!(third[0], third[1]);
}
