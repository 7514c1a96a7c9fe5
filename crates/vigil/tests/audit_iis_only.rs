//! `vigil audit` of a server that kept only its IIS logs (no inventory, no Exchange logs): the
//! Exchange cumulative update comes from Outlook on the web's resource folders, is assessed, and the
//! unknown security-update level keeps the audit from passing as complete.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn the_cumulative_update_is_inferred_from_owa_resource_paths() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let example = repo().join("examples/exchange-2021");
    copy_dir(&example.join("logs/iis"), &case.join("logs/iis"));
    copy_dir(&example.join("knowledge"), &case.join("knowledge"));
    std::fs::copy(example.join("incident.toml"), case.join("incident.toml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_CONFIG")
        .arg("--db")
        .arg(dir.path().join("v.db"))
        .args(["audit", "--out"])
        .arg(dir.path().join("report"))
        .arg(&case)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Exchange cumulative update 15.2.792 (its security-update level cannot be told from it) inferred from logs")
            && stderr.contains("/owa/auth/15.2.792/"),
        "{stderr}"
    );
    for kb in ["KB5000871", "KB5001779", "KB5003435"] {
        assert!(stdout.contains(kb), "{kb}: {stdout}");
    }
    let report = std::fs::read_to_string(dir.path().join("report/report.md")).unwrap();
    assert!(
        report.contains("only the cumulative update is known"),
        "{report}"
    );
    assert!(
        report.contains("Exchange Server 2019 CU8 is out of support"),
        "{report}"
    );
}
