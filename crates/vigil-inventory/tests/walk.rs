//! Directory scans say what they could not read, as a single-file read does: nothing recognised,
//! missing paths, special files, links (followed, loop-safe), over-long paths, depth bounds, and
//! vigil's own report folders.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;
use vigil_inventory::{
    Inventory, NotAssessedKind, collect_file, collect_inputs, discover::REPORT_MARKER,
};

fn write(p: &Path, text: &str) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

/// Runs `collect_inputs` on another thread, so that a walk that blocks (opening a FIFO) fails the test
/// instead of hanging it.
fn collect_within(paths: Vec<PathBuf>) -> (Inventory, bool) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(collect_inputs(&paths, &[]));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the scan blocked (a special file was opened?)")
}

fn reasons(inv: &Inventory) -> Vec<String> {
    inv.not_assessed.iter().map(|n| n.to_string()).collect()
}

#[test]
fn a_directory_with_nothing_recognised_is_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("exports");
    write(&root.join("a.json"), "{\"name\": \"not an inventory\"}");
    write(&root.join("b.json"), "[1, 2, 3]");
    write(&root.join("notes.txt"), "hello\n");
    let (inv, failed) = collect_inputs(std::slice::from_ref(&root), &[]);
    assert!(failed, "a directory with no input must not pass as read");
    assert!(inv.packages.is_empty());
    let walk = &inv.walks[0];
    assert_eq!(
        (walk.files, walk.recognised, walk.not_recognised),
        (3, 0, 3)
    );
    let note = inv
        .not_assessed
        .iter()
        .find(|n| n.location == root.display().to_string())
        .unwrap_or_else(|| panic!("{:?}", reasons(&inv)));
    assert_eq!(note.kind, NotAssessedKind::Unread);
    assert_eq!(
        note.reason,
        "0 inputs recognised: 3 files not recognised (a.json, b.json, notes.txt)"
    );
    assert_eq!(
        walk.to_string(),
        format!(
            "0 inputs recognised in {}: 3 files not recognised (a.json, b.json, notes.txt)",
            root.display()
        )
    );

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (inv, failed) = collect_inputs(std::slice::from_ref(&empty), &[]);
    assert!(failed);
    assert_eq!(inv.not_assessed[0].reason, "0 inputs recognised: no files");
}

#[test]
fn a_directory_with_inputs_and_unrelated_files_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("requirements.txt"), "django==3.2.4\n");
    write(
        &dir.path().join("tsconfig.json"),
        "{\"compilerOptions\": {}}",
    );
    write(&dir.path().join("src/main.py"), "print(1)\n");
    let (inv, failed) = collect_inputs(&[dir.path().to_path_buf()], &[]);
    assert!(!failed, "{:?}", reasons(&inv));
    assert_eq!(inv.packages.len(), 1);
    let walk = &inv.walks[0];
    assert_eq!((walk.recognised, walk.not_recognised), (1, 2));
    assert_eq!(inv.inputs.len(), 1);
    assert_eq!(inv.inputs[0].format, "requirements.txt");
}

#[test]
fn missing_paths_say_no_such_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("Cargo.lock");
    let shown = missing.display().to_string();
    let e = collect_file(&missing).unwrap_err();
    assert_eq!(e.to_string(), format!("{shown}: no such file or directory"));
    // Not "not a format vigil can inventory", also for names that are no known format.
    let e = collect_file(&dir.path().join("inventory")).unwrap_err();
    assert!(
        e.to_string().ends_with(": no such file or directory"),
        "{e}"
    );

    let (inv, failed) = collect_inputs(std::slice::from_ref(&missing), &[]);
    assert!(failed);
    assert_eq!(
        reasons(&inv),
        [format!("{shown}: no such file or directory")]
    );

    let e = collect_file(dir.path()).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("a directory, not a regular file: not opened"),
        "{e}"
    );
}

#[cfg(unix)]
fn mkfifo(p: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn special_files_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("package-lock.json");
    if !mkfifo(&fifo) {
        eprintln!("mkfifo unavailable: skipping");
        return;
    }
    let other = dir.path().join("pipe");
    assert!(mkfifo(&other));
    write(&dir.path().join("requirements.txt"), "flask==2.0.0\n");
    let (inv, failed) = collect_within(vec![dir.path().to_path_buf()]);
    assert!(failed, "the FIFO named like a lockfile was not read");
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.walks[0].special, 2);
    let notes = reasons(&inv);
    assert_eq!(
        notes,
        [format!(
            "{}: a FIFO (named pipe), not a regular file: not opened",
            fifo.display()
        )],
        "only the FIFO named like an input is a note"
    );
    // Named directly.
    let (inv, failed) = collect_within(vec![fifo.clone()]);
    assert!(failed);
    assert_eq!(reasons(&inv), notes);
}

#[cfg(unix)]
#[test]
fn links_are_followed_once_and_broken_ones_reported() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    write(
        &shared.join("Cargo.lock"),
        "[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    write(&shared.join("py/requirements.txt"), "django==3.2.4\n");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    // A linked lockfile, a linked folder, a second link to the same folder, a loop, a dangling link.
    symlink(shared.join("Cargo.lock"), tree.join("Cargo.lock")).unwrap();
    symlink(shared.join("py"), tree.join("py")).unwrap();
    symlink(shared.join("py"), tree.join("py-again")).unwrap();
    symlink(&tree, tree.join("loop")).unwrap();
    symlink(dir.path().join("nowhere.lock"), tree.join("yarn.lock")).unwrap();

    let (inv, failed) = collect_within(vec![tree.clone()]);
    let mut names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["django", "smallvec"], "{:?}", inv.packages);
    let walk = &inv.walks[0];
    assert_eq!(walk.links_followed, 4);
    assert_eq!(walk.already_seen, 2, "the second link and the loop");
    assert!(
        failed,
        "the dangling link is an input that could not be read"
    );
    assert_eq!(
        reasons(&inv),
        [format!(
            "{}: symbolic link to a missing target",
            tree.join("yarn.lock").display()
        )]
    );
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("a/Cargo.lock");
    write(&lock, "version = 3\n");
    let closed = dir.path().join("closed");
    write(&closed.join("requirements.txt"), "flask==2.0.0\n");
    write(&dir.path().join("requirements.txt"), "django==3.2.4\n");
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&lock).is_ok() {
        eprintln!("running with privileges that ignore permissions: skipping");
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let (inv, failed) = collect_inputs(&[dir.path().to_path_buf()], &[]);
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(failed);
    assert_eq!(inv.packages.len(), 1);
    let notes = reasons(&inv);
    assert!(
        notes.contains(&format!("{}: permission denied", lock.display())),
        "{notes:?}"
    );
    assert!(
        notes.contains(&format!(
            "{}: cannot list directory: permission denied",
            closed.display()
        )),
        "{notes:?}"
    );
}

#[cfg(unix)]
#[test]
fn over_long_paths_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Build a tree deeper than PATH_MAX (4096 bytes) with relative steps, as a shell can.
    let name = "d".repeat(250);
    let script = format!(
        "set -e; cd \"$1\"; for i in $(seq 20); do mkdir {name}; cd -P {name}; done; echo 'django==3.2.4' > requirements.txt"
    );
    let ok = std::process::Command::new("sh")
        .args(["-c", &script, "sh"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("cannot build a deep tree here: skipping");
        return;
    }
    write(&dir.path().join("requirements.txt"), "flask==2.0.0\n");
    let (inv, failed) = collect_inputs(&[dir.path().to_path_buf()], &[]);
    assert!(failed);
    assert_eq!(inv.packages.len(), 1);
    assert!(
        inv.not_assessed
            .iter()
            .any(|n| n.kind == NotAssessedKind::Unread
                && n.reason.ends_with("path too long for the system")),
        "{:?}",
        reasons(&inv)
    );
}

#[test]
fn depth_bound_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().to_path_buf();
    for _ in 0..70 {
        deep.push("d");
    }
    write(&deep.join("requirements.txt"), "django==3.2.4\n");
    write(&dir.path().join("requirements.txt"), "flask==2.0.0\n");
    let (inv, failed) = collect_inputs(&[dir.path().to_path_buf()], &[]);
    assert!(failed);
    assert_eq!(inv.packages.len(), 1);
    assert!(
        reasons(&inv)
            .iter()
            .any(|r| r.ends_with("more than 64 directories deep; not entered")),
        "{:?}",
        reasons(&inv)
    );
}

#[test]
fn vigil_report_folders_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("audit-mail01");
    write(&report.join(REPORT_MARKER), "");
    write(&report.join("package-lock.json"), "{not json");
    write(&dir.path().join("requirements.txt"), "django==3.2.4\n");
    let (inv, failed) = collect_inputs(&[dir.path().to_path_buf()], &[]);
    assert!(
        !failed,
        "a skipped report folder is not a gap: {:?}",
        reasons(&inv)
    );
    assert_eq!(inv.walks[0].reports_skipped, 1);
    let note = &inv.not_assessed[0];
    assert_eq!(note.kind, NotAssessedKind::Skipped);
    assert_eq!(note.location, report.display().to_string());
    // The report folder itself, named directly: skipped, and then nothing was recognised.
    let (inv, failed) = collect_inputs(std::slice::from_ref(&report), &[]);
    assert!(failed);
    assert!(
        inv.not_assessed
            .iter()
            .any(|n| n.kind == NotAssessedKind::Skipped)
    );
}
