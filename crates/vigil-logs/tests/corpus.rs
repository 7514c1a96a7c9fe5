//! Reads every .evtx of the shared corpus (set VIGIL_SHARED_DATA to the data folder, e.g.
//! /work/shared/data) without panicking, and prints records per second for the reader and for
//! the `evtx` crate's own parsing (the floor). Skipped when the variable is unset.

use std::path::{Path, PathBuf};
use std::time::Instant;
use vigil_logs::ReadOptions;

fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            evtx_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        {
            out.push(p);
        }
    }
}

#[test]
fn shared_evtx_corpus() {
    let Ok(root) = std::env::var("VIGIL_SHARED_DATA") else {
        eprintln!("VIGIL_SHARED_DATA not set: corpus test skipped");
        return;
    };
    let root = PathBuf::from(root);
    let mut files = Vec::new();
    for sub in [
        "evtx-attack-samples",
        "hayabusa-sample-evtx",
        "sigma/regression_data",
    ] {
        evtx_files(&root.join(sub), &mut files);
    }
    assert!(!files.is_empty(), "no .evtx under {}", root.display());
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();

    let opts = ReadOptions::default();
    let start = Instant::now();
    let (mut events, mut failed, mut unreadable) = (0u64, 0u64, Vec::new());
    for f in &files {
        match vigil_logs::read_file_as(f, vigil_logs::Format::Evtx, &opts, &mut |_| {}) {
            Ok(stats) => {
                events += stats.events;
                failed += stats.failed;
                for x in stats.failures.iter().take(2) {
                    eprintln!("  {x}");
                }
            }
            Err(e) => unreadable.push(format!("{e}")),
        }
    }
    let read_secs = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut floor = 0u64;
    for f in &files {
        if let Ok(s) = vigil_logs::evtx::parse_only(f, 0) {
            floor += s.records;
        }
    }
    let floor_secs = start.elapsed().as_secs_f64();

    eprintln!(
        "{} files, {:.1} MB: {events} events, {failed} failed records, {} unreadable files",
        files.len(),
        bytes as f64 / 1e6,
        unreadable.len()
    );
    for u in &unreadable {
        eprintln!("  unreadable: {u}");
    }
    eprintln!(
        "read_file_as: {read_secs:.2} s, {:.0} events/s; parse_only (evtx crate): {floor_secs:.2} s, {:.0} records/s",
        events as f64 / read_secs,
        floor as f64 / floor_secs
    );
    assert!(events > 0);
    assert!(events + failed >= floor, "the reader lost records silently");
}
