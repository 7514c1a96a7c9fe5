//! The phishing a regulator reads about, counted once per mailbox on the bundled Linux example (the
//! counting across rules and episode parts is tested in vigil-investigate's `mailbox` and `incident`
//! modules).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn notice(example: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_CONFIG")
        .arg("--db")
        .arg(dir.path().join("v.db"))
        .args(["-q", "audit", "--out"])
        .arg(dir.path().join("report"))
        .arg(example)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.path().join("report/breach-notice.md")).unwrap()
}

#[test]
fn linux_example_phishing_counts_delivered_recipients() {
    let text = notice("examples/linux-mail");
    assert!(
        text.contains("8 message(s) to 174 distinct external recipient(s) from mailbox reception@physio.example.com"),
        "{text}"
    );
}
