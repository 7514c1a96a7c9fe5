//! Checks against the full shared data sets, when `VIGIL_SHARED_DATA` points at them:
//! `VIGIL_SHARED_DATA=/work/shared/data cargo test -p vigil-knowledge --release --test corpus -- --nocapture`

use std::path::PathBuf;
use std::time::Instant;

use vigil_knowledge::{Limits, load_path, osv};

fn shared() -> Option<PathBuf> {
    match std::env::var_os("VIGIL_SHARED_DATA") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("VIGIL_SHARED_DATA is not set: corpus checks skipped");
            None
        }
    }
}

#[test]
fn whole_corpus_imports_without_unexpected_skips() {
    let Some(root) = shared() else { return };
    let limits = Limits::default();
    let mut total_advisories = 0usize;
    let start_all = Instant::now();
    for set in [
        "pypa-advisory-database",
        "rustsec-advisory-db/main",
        "golang-vulndb",
        "almalinux-osv",
        "ghsa-subset",
        "kev-data",
        "msrc-cvrf",
    ] {
        let start = Instant::now();
        let batches = load_path(&root.join(set), &limits).expect(set);
        let elapsed = start.elapsed();
        for b in &batches {
            println!(
                "{set}: source={} imported={} (advisories={} kev={} epss={} microsoft={}) withdrawn={} skipped={} version={:?} in {:.3}s",
                b.source,
                b.imported(),
                b.advisories.len(),
                b.kev.len(),
                b.epss.len(),
                b.microsoft.len(),
                b.withdrawn,
                b.skipped.len(),
                b.version,
                elapsed.as_secs_f64()
            );
            for s in b.skipped.iter().take(5) {
                println!("  skipped {}: {}", s.location, s.reason);
            }
            total_advisories += b.advisories.len();
            // PyPA keeps non-advisory triage notes (`triage/false_positives.yaml`) beside the
            // records; they are rightly skipped, everything else must import.
            let unexpected: Vec<_> = b
                .skipped
                .iter()
                .filter(|s| !s.location.contains("/triage/"))
                .collect();
            assert!(
                unexpected.is_empty(),
                "{set}: unexpected skips {unexpected:?}"
            );
            assert!(b.imported() > 0, "{set}: nothing imported");
        }
    }
    let secs = start_all.elapsed().as_secs_f64();
    println!(
        "total advisories {total_advisories} in {secs:.3}s ({:.0}/s, all sets)",
        total_advisories as f64 / secs
    );
}

/// Every RustSec advisory converts exactly as RustSec's own OSV export has it (apart from
/// `modified`, which the export takes from git history).
#[test]
fn rustsec_matches_official_osv_export() {
    let Some(root) = shared() else { return };
    let limits = Limits::default();
    let batches = load_path(&root.join("rustsec-advisory-db/main"), &limits).unwrap();
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for a in &batches[0].advisories {
        let path = root.join(format!(
            "rustsec-advisory-db/osv-branch/crates/{}.json",
            a.id
        ));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let mut official = osv::parse_json(&bytes, "rustsec").unwrap();
        official.modified = a.modified;
        // One title in the database has two spaces after `#`; the export keeps the extra one.
        official.summary = official.summary.map(|s| s.trim().to_string());
        compared += 1;
        if &official != a {
            mismatches.push(a.id.clone());
            if mismatches.len() <= 3 {
                println!("mine:     {}", serde_json::to_string(a).unwrap());
                println!("official: {}", serde_json::to_string(&official).unwrap());
            }
        }
    }
    println!(
        "compared {compared}, mismatches {}: {:?}",
        mismatches.len(),
        mismatches
    );
    assert!(compared >= 300);
    assert!(mismatches.is_empty());
}

/// Parse throughput on records already in memory (reading from disk is measured above).
#[test]
fn parse_throughput() {
    let Some(root) = shared() else { return };
    let mut files = Vec::new();
    for set in [
        "pypa-advisory-database/vulns",
        "golang-vulndb/data",
        "almalinux-osv/advisories",
    ] {
        let mut stack = vec![root.join(set)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "json" || x == "yaml") {
                    let name = p.display().to_string();
                    files.push((name, std::fs::read(&p).unwrap()));
                }
            }
        }
    }
    let start = Instant::now();
    let mut ok = 0usize;
    for (name, bytes) in &files {
        if osv::parse_named(name, bytes, "osv").is_ok() {
            ok += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let yaml: Vec<_> = files.iter().filter(|(n, _)| n.ends_with(".yaml")).collect();
    let start = Instant::now();
    for (name, bytes) in &yaml {
        let _ = osv::parse_named(name, bytes, "osv");
    }
    let yaml_secs = start.elapsed().as_secs_f64();
    println!(
        "parsed {ok} of {} OSV records in {secs:.3}s ({:.0}/s); YAML alone {} in {yaml_secs:.3}s ({:.0}/s)",
        files.len(),
        ok as f64 / secs,
        yaml.len(),
        yaml.len() as f64 / yaml_secs
    );
    assert_eq!(ok, files.len());
}
