//! Output to pipes that close early: vigil must end quietly, as Unix tools do, never with a panic.

use std::io::Read;
use std::process::{Command, Stdio};

fn vigil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.env_remove("VIGIL_DB").env_remove("VIGIL_CONFIG");
    c
}

/// `vigil rules list | head -c 100`: the reader goes away while vigil still writes (the list of the
/// bundled rules is far larger than a pipe's buffer).
#[test]
fn stdout_closed_by_the_reader_is_a_quiet_exit() {
    let mut child = vigil()
        .args(["rules", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigil");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "stderr: {stderr}");
}

/// Errors go to a closed stderr: the error cannot be shown, but vigil must not panic (exit 101).
#[test]
fn closed_stderr_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let child = vigil()
        .args(["--db"])
        .arg(dir.path().join("v.db"))
        .arg("audit")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigil");
    // Close the read end before vigil writes its error.
    let mut child = child;
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    assert_ne!(status.code(), Some(101), "vigil panicked");
    assert!(status.code().is_some_and(|c| c != 0));
}

/// A full disk is an error, said on stderr, not a quiet exit and not a panic.
#[test]
fn full_disk_is_an_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full on this system");
        return;
    };
    let out = vigil()
        .args(["rules", "list"])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("run vigil");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
