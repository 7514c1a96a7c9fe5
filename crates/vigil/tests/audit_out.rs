//! `vigil audit --out`: reports go only into folders vigil owns; a second run replaces the first; a report
//! inside an input folder is never read back as logs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A copy of the Linux scenario (small, fast) to write reports into.
fn scenario(dir: &Path) -> PathBuf {
    let src = repo().join("examples/linux-mail");
    let dst = dir.join("linux-mail");
    copy_dir(&src, &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

fn audit(db: &Path, out: &Path, extra: &[&str], input: &Path) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_CONFIG")
        .arg("--db")
        .arg(db)
        .arg("audit")
        .arg("--out")
        .arg(out)
        .args(extra)
        .arg(input)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn the_same_command_twice_replaces_the_report_and_never_reads_it_back() {
    let tmp = tempfile::tempdir().unwrap();
    let input = scenario(tmp.path());
    // The report folder inside the input folder: the worst case for reading it back.
    let out = input.join("report");
    let db = tmp.path().join("v.db");
    let (code1, text1) = audit(&db, &out, &[], &input);
    assert!(out.join("report.md").is_file(), "{text1}");
    assert!(out.join(".vigil-report").is_file());
    let (code2, text2) = audit(&db, &out, &[], &input);
    assert_eq!(code1, code2, "{text1}\n---\n{text2}");
    let logs = |t: &str| {
        t.lines()
            .find(|l| l.trim_start().starts_with("logs:"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(!logs(&text2).contains("report"), "{text2}");
    assert_eq!(logs(&text1), logs(&text2));
}

#[test]
fn a_folder_of_other_files_is_refused_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let input = scenario(tmp.path());
    let out = tmp.path().join("documents");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("minutes.txt"), "keep").unwrap();
    let db = tmp.path().join("v.db");
    let (code, text) = audit(&db, &out, &[], &input);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("refusing to write the report"), "{text}");
    assert!(!out.join("report.md").exists());
    let (_, text) = audit(&db, &out, &["--force"], &input);
    assert!(out.join("report.md").is_file(), "{text}");
    assert_eq!(
        std::fs::read_to_string(out.join("minutes.txt")).unwrap(),
        "keep"
    );
}
