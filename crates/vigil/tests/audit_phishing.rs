//! The phishing a regulator reads about, counted once per mailbox on the bundled examples (the
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

/// The Exchange example's stolen mailbox sent its phishing from the attacker's address on the two
/// days message tracking covers: no history to compare with, a few dozen a day. The campaign alone
/// is counted (24 and 22 messages, one patient each), not the mailbox owner's own mail of those days.
#[test]
fn exchange_example_phishing_from_a_new_network_is_counted_without_history() {
    let text = notice("examples/exchange-2021");
    assert!(
        text.contains(
            "46 message(s) to 46 distinct external recipient(s) from mailbox reception@clinic.example.org"
        ),
        "{text}"
    );
}
