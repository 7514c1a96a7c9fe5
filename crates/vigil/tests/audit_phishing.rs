//! The phishing a regulator reads about, counted once per mailbox, on both bundled examples: every
//! part of a campaign counted, two rules measuring one run stated once (never added up).

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
fn exchange_example_phishing_is_one_statement_with_every_part() {
    let text = notice("examples/exchange-2021");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Phishing was sent from the server"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    // The sender-volume rule's three parts (20 + 29 + 2, the owner's few own messages included: the
    // logs hold no history to tell them apart) speak; the same-subject rule's 46 stand beside them.
    assert!(
        lines[0].contains(
            "51 message(s) to 51 distinct external recipient(s) from mailbox reception@clinic.example.org"
        ) && lines[0].contains("Same Subject Sent To Many External Recipients - Message Tracking': 46 to 46"),
        "{}",
        lines[0]
    );
}

#[test]
fn linux_example_phishing_counts_delivered_recipients() {
    let text = notice("examples/linux-mail");
    assert!(
        text.contains("8 message(s) to 174 distinct external recipient(s) from mailbox reception@physio.example.com"),
        "{text}"
    );
}
