//! Damaged inputs are never misread silently: each damage is a located warning, the input counts as
//! partly read, and no package disappears without a word.

use std::path::Path;
use vigil_inventory::{InputStatus, Inventory, NotAssessedKind, collect_inputs};

/// Writes `text` at `rel` under a fresh root with a Debian 12 os-release, and collects that file.
fn collect_in_root(rel: &str, text: &str) -> (Inventory, bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    )
    .unwrap();
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    let (inv, failed) = collect_inputs(std::slice::from_ref(&p), &[]);
    (inv, failed, p.display().to_string())
}

fn collect_one(name: &str, text: &str) -> (Inventory, bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    let (inv, failed) = collect_inputs(std::slice::from_ref(&p), &[]);
    (inv, failed, p.display().to_string())
}

fn notes(inv: &Inventory, file: &str) -> Vec<String> {
    inv.not_assessed
        .iter()
        .map(|n| {
            format!(
                "{} {}: {}",
                n.kind.as_str(),
                n.location.strip_prefix(file).unwrap_or(&n.location),
                n.reason
            )
        })
        .collect()
}

fn names(inv: &Inventory) -> Vec<(String, String)> {
    inv.packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn assert_partial(inv: &Inventory, failed: bool) {
    assert!(failed, "a damaged input must not pass as read");
    assert_eq!(inv.inputs.len(), 1);
    assert_eq!(inv.inputs[0].status, InputStatus::Partial);
}

const STATUS: &str = "var/lib/dpkg/status";

#[test]
fn dpkg_stanzas_without_a_blank_line_are_read_as_two() {
    let text = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\
Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u4\n\n";
    let (inv, failed, file) = collect_in_root(STATUS, text);
    assert_eq!(
        names(&inv),
        [
            ("libssl3".to_string(), "3.0.11-1~deb12u2".to_string()),
            ("curl".to_string(), "7.88.1-10+deb12u4".to_string())
        ]
    );
    assert_partial(&inv, failed);
    assert_eq!(
        notes(&inv, &file),
        [
            "malformed :6: a `Package:` field inside a paragraph that has one: two paragraphs run together without the blank line between them; read as two"
        ]
    );
}

#[test]
fn dpkg_duplicate_version_is_not_guessed() {
    let text = "Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nVersion: 3.0.9-1\n\n\
Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nVersion: 1:1.2.13.dfsg-1\nPriority: required\nPriority: optional\n\n";
    let (inv, failed, file) = collect_in_root(STATUS, text);
    assert_eq!(
        names(&inv),
        [("zlib1g".to_string(), "1:1.2.13.dfsg-1".to_string())]
    );
    assert_partial(&inv, failed);
    assert_eq!(
        notes(&inv, &file),
        [
            "malformed :11: `Priority` is given twice for `zlib1g` (first at line 10); the first is used",
            "malformed :4: `openssl` has two versions, `3.0.11-1~deb12u2` (line 3) and `3.0.9-1` (line 4): which one is installed cannot be told; not assessed",
            "malformed :9: `Version` is given twice for `zlib1g` (`1:1.2.13.dfsg-1` (line 8) and `1:1.2.13.dfsg-1` (line 9)); read once",
        ]
    );
}

#[test]
fn dpkg_invalid_and_cut_off_versions_are_warnings() {
    let text = "Package: a\nStatus: install ok installed\nVersion: 1.0-\n\n\
Package: b\nStatus: install ok installed\nVersion: 2:\n\n\
Package: c\nStatus: install ok installed\nVersion: 3.0.1";
    let (inv, failed, file) = collect_in_root(STATUS, text);
    assert!(inv.packages.is_empty(), "{:?}", names(&inv));
    assert_partial(&inv, failed);
    assert_eq!(
        notes(&inv, &file),
        [
            "malformed :11: the file ends in the middle of this line (`Version: 3.0.1`): the paragraph of `c` may be cut off; not assessed",
            "malformed :3: `a` has a version dpkg would refuse, `1.0-` (revision number is empty); not assessed",
            "malformed :7: `b` has a version dpkg would refuse, `2:` (nothing after colon in version number); not assessed",
        ]
    );
    // Cut off in a field that does not make the package: still read, still a warning.
    let (inv, failed, _) = collect_in_root(
        STATUS,
        "Package: d\nStatus: install ok installed\nVersion: 1.0-1\nDescription: cut",
    );
    assert_eq!(names(&inv), [("d".to_string(), "1.0-1".to_string())]);
    assert!(failed);
}

#[test]
fn apk_entries_without_a_blank_line_are_read_as_two() {
    let text = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nC:Q1def=\nP:zlib\nV:1.3.1-r0\n\nC:Q1x=\nP:odd\nV:1.0-r0\nV:1.1-r0\n\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/alpine-release"), "3.19.1\n").unwrap();
    let p = dir.path().join("lib/apk/db/installed");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    let (inv, failed) = collect_inputs(std::slice::from_ref(&p), &[]);
    let file = p.display().to_string();
    assert_eq!(
        names(&inv),
        [
            ("musl".to_string(), "1.2.4-r2".to_string()),
            ("zlib".to_string(), "1.3.1-r0".to_string())
        ]
    );
    assert_partial(&inv, failed);
    assert_eq!(
        notes(&inv, &file),
        [
            "malformed :12: `odd` has two versions, `1.0-r0` and `1.1-r0`: which one is installed cannot be told; not assessed",
            "malformed :5: a new package (`C:`) inside a paragraph: two paragraphs run together without the blank line between them; read as two",
        ]
    );
}

#[test]
fn package_lock_duplicate_key_keeps_the_vulnerable_package_visible() {
    let text = r#"{
  "name": "web",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "web" },
    "node_modules/ua-parser-js": { "version": "0.7.29" },
    "node_modules/ua-parser-js": { "version": "0.7.31" }
  }
}
"#;
    let (inv, failed, file) = collect_one("package-lock.json", text);
    assert_eq!(
        names(&inv),
        [("ua-parser-js".to_string(), "0.7.31".to_string())]
    );
    assert_partial(&inv, failed);
    assert_eq!(
        notes(&inv, &file),
        [
            "malformed :7: duplicate key `node_modules/ua-parser-js` in `packages` (first at line 6): only this last value is read, what the first one said is not assessed"
        ]
    );
}

#[test]
fn package_lock_packages_of_the_wrong_type_is_not_an_empty_lockfile() {
    let (inv, failed, file) = collect_one(
        "package-lock.json",
        "{\"lockfileVersion\": 3, \"packages\": [1,2,3]}\n",
    );
    assert!(inv.packages.is_empty());
    assert_partial(&inv, failed);
    assert_eq!(
        notes(&inv, &file),
        ["malformed :1: `packages` is an array, not an object: nothing in it is read"]
    );
}

#[test]
fn cargo_lock_duplicated_stanza_is_reported_once() {
    let stanza = "[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n";
    let (inv, failed, file) =
        collect_one("Cargo.lock", &format!("version = 3\n\n{stanza}{stanza}"));
    assert_eq!(names(&inv), [("smallvec".to_string(), "0.6.9".to_string())]);
    assert_partial(&inv, failed);
    assert_eq!(
        notes(&inv, &file),
        ["malformed :8: `smallvec 0.6.9` is listed twice (first at line 3); read once"]
    );
}

#[test]
fn other_readers_report_wrong_types_and_duplicates() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "composer.lock",
            "{\"packages\": {\"name\": \"a/b\"}, \"packages-dev\": []}",
            "`packages` is an object, not an array: nothing in it is read",
        ),
        (
            "composer.lock",
            "{\"packages\": [{\"name\": \"a/b\", \"version\": \"1.0.0\"}, {\"name\": \"a/b\", \"version\": \"1.0.0\"}]}",
            "`a/b` is listed twice (first at line 1); read once",
        ),
        (
            "Pipfile.lock",
            "{\"_meta\": {}, \"default\": [\"django\"]}",
            "`default` is an array, not an object: nothing in it is read",
        ),
        (
            "packages.lock.json",
            "{\"version\": 1, \"dependencies\": {\"net6.0\": [1]}}",
            "framework `net6.0` is an array, not an object: not read",
        ),
        (
            "app.cdx.json",
            "{\"bomFormat\": \"CycloneDX\", \"components\": {\"purl\": \"pkg:npm/a@1\"}}",
            "`components` is an object, not an array: nothing in it is read",
        ),
        (
            "app.cdx.json",
            "{\"bomFormat\": \"CycloneDX\", \"components\": [{\"purl\": 5, \"name\": \"a\"}]}",
            "component 1: `purl` is a number, not a string",
        ),
        (
            "app.spdx.json",
            "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": {}}",
            "`packages` is an object, not an array: nothing in it is read",
        ),
        (
            "Gemfile.lock",
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n    rack (2.2.3)\n",
            "`rack (2.2.3)` is listed twice (first at line 4); read once",
        ),
        (
            "yarn.lock",
            "# yarn lockfile v1\n\nminimist@^1.2.0:\n  version \"1.2.5\"\n\nminimist@^1.2.0:\n  version \"1.2.0\"\n",
            "`minimist@^1.2.0` is listed twice (first at line 3); read once",
        ),
        (
            "go.mod",
            "module example.org/app\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/text v0.3.5\n\tgolang.org/x/text v0.3.8\n)\n",
            "`golang.org/x/text` is required twice (v0.3.5 at line 6, v0.3.8 here); both are assessed",
        ),
        (
            "poetry.lock",
            "[[package]]\nname = \"idna\"\nversion = \"3.6\"\n\n[[package]]\nname = \"idna\"\nversion = \"3.6\"\n",
            "`idna 3.6` is listed twice (first at line 1); read once",
        ),
    ];
    for (name, text, want) in cases {
        let (inv, failed, _) = collect_one(name, text);
        assert!(failed, "{name}: {text}");
        assert!(
            inv.not_assessed
                .iter()
                .any(|n| n.kind == NotAssessedKind::Malformed && n.reason == *want),
            "{name}: {:?}",
            inv.not_assessed
        );
    }
}

#[test]
fn errors_never_repeat_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("Cargo.lock", "[[package]\n"),
        ("package-lock.json", "{\n \"packages\": {\n"),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  a: [\n",
        ),
        ("yarn.lock", "garbage\n"),
        ("notes.json", "{}"),
    ];
    let mut paths = Vec::new();
    for (name, text) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    paths.push(dir.path().join("missing.lock"));
    let (inv, failed) = collect_inputs(&paths, &[]);
    assert!(failed);
    assert_eq!(inv.not_assessed.len(), paths.len());
    for n in &inv.not_assessed {
        let file = Path::new(n.location.split(':').next().unwrap_or_default());
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!n.reason.contains(&name), "{n}");
        assert!(!n.reason.contains(" at line "), "{n}");
    }
}
