//! Agreement with cargo-audit: real Cargo.lock files scanned against the same RustSec advisories give the
//! same advisory ids that `cargo audit --db … --no-fetch -f Cargo.lock --json` reported (vulnerabilities and
//! informational warnings together; see `docs/peers.md` for how the two tools present them).

mod common;

use common::*;
use jiff::civil::date;
use std::collections::BTreeSet;
use vigil_scan::{IgnoreFile, Policy, scan};

#[test]
fn vigil_finds_what_cargo_audit_finds() {
    let dir = fixtures().join("cargo-audit");
    let store = store_with(&[dir.join("rustsec")]);
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("lock") {
            continue;
        }
        let expected_path = path.with_extension("expected");
        let expected: BTreeSet<String> = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()))
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        // Cargo.lock is recognised by its file name; the fixtures carry the crate's name.
        let tmp = tempfile_dir();
        let lock = tmp.join("Cargo.lock");
        std::fs::copy(&path, &lock).unwrap();
        let inv = vigil_inventory::collect_file(&lock).unwrap();
        assert!(!inv.packages.is_empty(), "{}", path.display());
        let report = scan(
            &store,
            &input("peer", inv.packages, date(2026, 1, 1)),
            &Policy::default(),
            &IgnoreFile::default(),
        )
        .unwrap();
        let got: BTreeSet<String> = report
            .findings
            .iter()
            .map(|f| f.finding.advisories[0].clone())
            .collect();
        assert_eq!(got, expected, "{}", path.display());
        checked += 1;
    }
    assert_eq!(checked, 3);
}

fn tempfile_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vigil-scan-peer-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
