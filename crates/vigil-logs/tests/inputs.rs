//! Inputs that are not plain files: FIFOs, pipes, and directory trees with links, loops, special
//! files and vigil's own report folders. Nothing may hang, lose bytes, or be left out silently.

#![cfg(unix)]

mod common;

use common::fixture;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vigil_logs::{FileStats, Format, LogError, ReadOptions, ReadStats};
use vigil_model::Event;

const SYSLOG: &str = "Aug 12 23:50:41 mx1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n\
Aug 12 23:50:42 mx1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n";

/// Runs `f` on another thread and fails the test if it takes longer than `limit` (a hang).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("the read did not finish: it hangs")
}

fn read_all(path: &Path, opts: &ReadOptions) -> (Result<ReadStats, LogError>, Vec<Event>) {
    let mut events = Vec::new();
    let r = vigil_logs::read_path(path, opts, &mut |e| events.push(e));
    (r, events)
}

/// Makes a FIFO with the system's `mkfifo`; `None` (and a message) where there is none.
fn mkfifo(path: &Path) -> Option<()> {
    match std::process::Command::new("mkfifo").arg(path).status() {
        Ok(s) if s.success() => Some(()),
        other => {
            eprintln!("skipped: mkfifo unavailable ({other:?})");
            None
        }
    }
}

fn quick_fifo() -> ReadOptions {
    ReadOptions {
        fifo_wait: Duration::from_millis(200),
        ..ReadOptions::default()
    }
}

#[test]
fn a_fifo_without_a_writer_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("p.log");
    if mkfifo(&fifo).is_none() {
        return;
    }
    let start = Instant::now();
    let (r, events) = within(Duration::from_secs(20), move || {
        let out = read_all(&fifo, &quick_fifo());
        (out.0.map_err(|e| e.to_string()), out.1.len())
    });
    let err = r.unwrap_err();
    assert!(err.contains("FIFO") && err.contains("nothing"), "{err}");
    assert_eq!(events, 0);
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_fifo_with_a_writer_is_read_once_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("feed");
    if mkfifo(&fifo).is_none() {
        return;
    }
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new()
            .write(true)
            .open(&writer_path)
            .unwrap();
        w.write_all(SYSLOG.as_bytes()).unwrap();
    });
    let opts = ReadOptions {
        fifo_wait: Duration::from_secs(10),
        ..ReadOptions::default()
    };
    let (r, events) = within(Duration::from_secs(20), move || {
        let (r, ev) = read_all(&fifo, &opts);
        (r.map_err(|e| e.to_string()), ev)
    });
    writer.join().unwrap();
    let stats = r.unwrap();
    assert_eq!(stats.files[0].format, Some(Format::Syslog));
    assert_eq!(events.len(), 2);
    // A stream has no modification time: the year's source says so.
    assert!(
        stats.files[0]
            .notes
            .iter()
            .any(|n| n.contains("time of reading")),
        "{:?}",
        stats.files[0].notes
    );
}

/// A pipe given by path, as `<(cat mail.log)` gives `/dev/fd/63`: writes `bytes` into it from
/// another thread and reads the path.
fn read_through_pipe(bytes: Vec<u8>, opts: ReadOptions) -> (Result<FileStats, String>, Vec<Event>) {
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().unwrap();
    let path = PathBuf::from(format!("/dev/fd/{}", reader.as_raw_fd()));
    if !path.exists() {
        eprintln!("skipped: no /dev/fd on this system");
        return (Err("no /dev/fd".into()), Vec::new());
    }
    let feeder = std::thread::spawn(move || {
        // The reader may refuse the rest (a size limit): a broken pipe is then expected.
        let _ = writer.write_all(&bytes);
    });
    let (r, events) = within(Duration::from_secs(30), move || {
        let mut events = Vec::new();
        let r = vigil_logs::read_path(&path, &opts, &mut |e| events.push(e));
        drop(reader);
        (
            r.map(|mut s| s.files.remove(0)).map_err(|e| e.to_string()),
            events,
        )
    });
    feeder.join().unwrap();
    (r, events)
}

#[test]
fn a_pipe_keeps_its_first_bytes() {
    let (r, events) = read_through_pipe(SYSLOG.as_bytes().to_vec(), quick_fifo());
    if r.as_ref().is_err_and(|e| e == "no /dev/fd") {
        return;
    }
    let stats = r.unwrap();
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 2);
    assert!(events[0].raw.as_deref().unwrap().starts_with("Aug 12"));
}

#[test]
fn a_gzip_stream_through_a_pipe_is_decompressed() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(SYSLOG.as_bytes()).unwrap();
    let (r, events) = read_through_pipe(enc.finish().unwrap(), quick_fifo());
    if r.as_ref().is_err_and(|e| e == "no /dev/fd") {
        return;
    }
    let stats = r.unwrap();
    assert!(stats.gzip);
    assert_eq!(events.len(), 2);
}

#[test]
fn evtx_through_a_pipe_is_read_in_memory_within_the_bound() {
    let bytes = std::fs::read(fixture("sysmon_1_revshell.evtx")).unwrap();
    let (_, from_file) = read_all(&fixture("sysmon_1_revshell.evtx"), &ReadOptions::default());
    let (r, events) = read_through_pipe(bytes.clone(), quick_fifo());
    if r.as_ref().is_err_and(|e| e == "no /dev/fd") {
        return;
    }
    let stats = r.unwrap();
    assert_eq!(stats.format, Some(Format::Evtx));
    assert_eq!(events.len(), from_file.len());
    assert!(stats.notes.iter().any(|n| n.contains("into memory")));

    let small = ReadOptions {
        max_gz_evtx_bytes: 40_000,
        ..quick_fifo()
    };
    let (r, events) = read_through_pipe(bytes, small);
    let err = r.unwrap_err();
    assert!(err.contains("larger than 40000 bytes"), "{err}");
    assert!(events.is_empty());
}

#[test]
fn a_socket_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("s.log");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let (r, _) = read_all(&sock, &ReadOptions::default());
    let err = r.unwrap_err();
    assert!(err.to_string().contains("a socket"), "{err}");
    // Inside a folder it is left out, with the reason.
    let (r, _) = read_all(dir.path(), &ReadOptions::default());
    let stats = r.unwrap();
    let (_, why) = stats.skipped().next().unwrap();
    assert!(why.contains("a socket"), "{why}");
}

#[test]
fn a_missing_file_says_no_such_file_once() {
    let (r, _) = read_all(Path::new("/nonexistent/mail.log"), &ReadOptions::default());
    let err = r.unwrap_err();
    assert_eq!(err.to_string(), "/nonexistent/mail.log: no such file");
    assert_eq!(err.reason(), "no such file");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn skipped_reason<'a>(stats: &'a ReadStats, suffix: &str) -> Option<&'a str> {
    stats
        .skipped()
        .find(|(p, _)| p.ends_with(suffix))
        .map(|(_, why)| why)
}

#[test]
fn walks_follow_links_once_and_report_what_they_leave_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    write(&root.join("a/mail.log"), SYSLOG);
    let elsewhere = dir.path().join("elsewhere");
    write(&elsewhere.join("auth.log"), SYSLOG);
    write(&dir.path().join("single/secure"), SYSLOG);
    std::os::unix::fs::symlink(&elsewhere, root.join("linked-folder")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("single/secure"), root.join("linked-file")).unwrap();
    // A loop back to the root, and a second link to a file already read.
    std::os::unix::fs::symlink(&root, root.join("a/loop")).unwrap();
    std::os::unix::fs::symlink(root.join("a/mail.log"), root.join("z-again.log")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), root.join("broken")).unwrap();
    // vigil's own report folder.
    write(&root.join("report/.vigil-report"), "");
    write(&root.join("report/timeline.csv"), "not,a,log\n");
    let fifo = root.join("pipe.log");
    let have_fifo = mkfifo(&fifo).is_some();

    let walk_root = root.clone();
    let (stats, events) = within(Duration::from_secs(20), move || {
        let (r, ev) = read_all(&walk_root, &ReadOptions::default());
        (r.unwrap(), ev.len())
    });
    // a/mail.log, linked-folder/auth.log, linked-file: three files, each read once.
    assert_eq!(events, 6, "{:#?}", stats.files);
    let read: Vec<&str> = stats
        .files
        .iter()
        .filter(|f| f.was_read())
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(read.len(), 3, "{read:?}");
    assert!(read.iter().any(|p| p.ends_with("linked-folder/auth.log")));
    assert!(read.iter().any(|p| p.ends_with("linked-file")));
    let note = |suffix: &str| {
        stats
            .files
            .iter()
            .find(|f| f.path.ends_with(suffix))
            .map(|f| f.notes.join("; "))
            .unwrap_or_default()
    };
    assert!(
        note("a/loop").contains("already read"),
        "{}",
        note("a/loop")
    );
    assert!(note("z-again.log").contains("already read"));
    assert!(note("report").contains("report folder"));
    assert!(
        skipped_reason(&stats, "broken")
            .unwrap()
            .contains("broken symbolic link")
    );
    if have_fifo {
        let why = skipped_reason(&stats, "pipe.log").unwrap();
        assert!(why.contains("FIFO"), "{why}");
    }
    // The report folder and the links already read are notes, not failures.
    assert!(skipped_reason(&stats, "report").is_none());
}

#[test]
fn walks_are_bounded_in_depth_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().to_path_buf();
    for i in 0..5 {
        deep = deep.join(format!("d{i}"));
    }
    write(&deep.join("mail.log"), SYSLOG);
    for i in 0..4 {
        write(&dir.path().join(format!("f{i}/mail.log")), SYSLOG);
    }
    let opts = ReadOptions {
        max_walk_depth: 3,
        max_walk_files: 6,
        ..ReadOptions::default()
    };
    let (files, stats) = vigil_logs::log_files_with(dir.path(), &opts);
    // In name order: d0, d1, d2, d3 (too deep: left out), f0, f0/mail.log — six entries — then
    // f1 is one too many.
    assert_eq!(files, vec![dir.path().join("f0/mail.log")]);
    let reasons: Vec<&str> = stats.skipped().map(|(_, why)| why).collect();
    assert!(
        reasons.iter().any(|r| r.contains("deeper than 3")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("more than 6 files and folders")),
        "{reasons:?}"
    );
}

#[test]
fn an_unreadable_folder_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    write(&locked.join("mail.log"), SYSLOG);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_ok() {
        eprintln!("skipped: permissions are not enforced for this user (root)");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let (r, _) = read_all(dir.path(), &ReadOptions::default());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stats = r.unwrap();
    let why = skipped_reason(&stats, "locked").unwrap();
    assert_eq!(why, "cannot list folder: permission denied");
}

#[test]
fn an_over_long_path_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Folders nested until the full path exceeds what the system accepts (PATH_MAX, 4096 bytes on
    // Linux). Each is created relative to the last, which only a shell's `cd` makes simple.
    let name = "n".repeat(200);
    let levels = 4200 / (name.len() + 1) + 1;
    let ok = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd '{}' && for i in $(seq {levels}); do mkdir {name} && cd -P ./{name} || exit 1; done && \
             echo x > mail.log",
            dir.path().display()
        ))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: cannot build an over-long path here");
        return;
    }
    let (r, _) = read_all(dir.path(), &ReadOptions::default());
    let stats = r.unwrap();
    let reasons: Vec<&str> = stats.skipped().map(|(_, why)| why).collect();
    assert!(
        reasons.iter().any(|r| r.contains("name too long")),
        "{reasons:?}"
    );
}
