//! The EVTX parse floor: the `evtx` crate alone over a set of files, with no flattening, no
//! events and no rules. `bench/hunt.sh` compares `vigil hunt` against it.
//!
//! Usage: `evtx_floor [--json] [--chunk-threads N] PATH…` (files or directories, searched for
//! `*.evtx`). Files are spread over one thread per core, each parsing its file's chunks serially
//! (as `vigil hunt` does when it has more files than cores); `--chunk-threads 0` instead parses
//! each file's chunks on the `evtx` crate's pool, one file at a time. Records are rendered as
//! `serde_json::Value`s (the crate's own parsed form); `--json` renders JSON text instead, as
//! `evtx_dump -o jsonl` does and as vigil's reader takes them. Prints files, bytes, records and
//! errors on one line.

use evtx::{EvtxParser, ParserSettings};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default, Clone, Copy)]
struct Counts {
    files: u64,
    bytes: u64,
    records: u64,
    errors: u64,
}

fn main() {
    let mut json_text = false;
    let mut chunk_threads = 1usize;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json_text = true,
            "--chunk-threads" => {
                chunk_threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    let mut files = Vec::new();
    for p in &paths {
        collect(p, 0, &mut files);
    }
    files.sort();
    let workers = if chunk_threads == 1 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    };
    let next = AtomicUsize::new(0);
    let total = Mutex::new(Counts::default());
    std::thread::scope(|s| {
        for _ in 0..workers.min(files.len()).max(1) {
            s.spawn(|| {
                let mut mine = Counts::default();
                while let Some(f) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    parse(f, chunk_threads, json_text, &mut mine);
                }
                if let Ok(mut t) = total.lock() {
                    t.files += mine.files;
                    t.bytes += mine.bytes;
                    t.records += mine.records;
                    t.errors += mine.errors;
                }
            });
        }
    });
    let t = total.into_inner().unwrap_or_default();
    println!(
        "files {} bytes {} records {} errors {}",
        t.files, t.bytes, t.records, t.errors
    );
}

fn parse(path: &Path, chunk_threads: usize, json_text: bool, c: &mut Counts) {
    let Ok(parser) = EvtxParser::from_path(path) else {
        c.errors += 1;
        return;
    };
    c.files += 1;
    c.bytes += std::fs::metadata(path).map_or(0, |m| m.len());
    let settings = ParserSettings::new()
        .num_threads(chunk_threads)
        .separate_json_attributes(false)
        .indent(false);
    let mut parser = parser.with_configuration(settings);
    let mut count = |ok: bool| {
        if ok {
            c.records += 1;
        } else {
            c.errors += 1;
        }
    };
    if json_text {
        for r in parser.records_json() {
            count(r.is_ok());
        }
    } else {
        for r in parser.records_json_value() {
            count(r.is_ok());
        }
    }
}

fn collect(p: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        if p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        {
            out.push(p.to_path_buf());
        }
        return;
    }
    if depth > 32 {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(p) {
        for e in entries.flatten() {
            collect(&e.path(), depth + 1, out);
        }
    }
}
