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
