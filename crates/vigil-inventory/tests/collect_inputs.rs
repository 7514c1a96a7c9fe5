//! What a user names on the command line: files read, directories walked, failures kept as not assessed.

use vigil_inventory::collect_inputs;

#[test]
fn files_and_directories_with_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("project");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("requirements.txt"), "jinja2==2.10\n").unwrap();
    let broken = dir.path().join("Cargo.lock");
    std::fs::write(&broken, "[[package]\nname = ").unwrap();
    let lock = dir.path().join("requirements.txt");
    std::fs::write(&lock, "django==1.11.0\n").unwrap();

    let (inv, failed) = collect_inputs(&[tree, broken.clone(), lock], &[]);
    assert!(failed, "the broken Cargo.lock is a failed input");
    let mut names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["django", "jinja2"]);
    // Said once: the location names the file (and line), the reason does not repeat it.
    let shown = broken.display().to_string();
    let note = inv
        .not_assessed
        .iter()
        .find(|n| n.location.starts_with(&shown))
        .unwrap_or_else(|| panic!("{:?}", inv.not_assessed));
    assert_eq!(note.location, format!("{shown}:1"));
    assert!(!note.reason.contains(&shown), "{note}");
    assert!(note.reason.starts_with("invalid TOML"), "{note}");

    let (_, failed) = collect_inputs(&[dir.path().join("requirements.txt")], &[]);
    assert!(!failed);
}
