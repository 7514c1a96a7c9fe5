//! Times the knowledge-base side of matching on real data: import the shared advisory sets into a fresh
//! store, then answer 10,000 (ecosystem, name, version) questions — look up the package's advisories and
//! evaluate every affected range against the version, as a scan does.
//!
//! `cargo run --release -p vigil-pipeline --example lookup_bench -- DIR...` (OSV directories, RustSec
//! checkouts, …). bench/knowledge.sh runs it on ../shared/data.

use std::path::PathBuf;
use std::time::Instant;
use vigil_knowledge::{Limits, load_path};
use vigil_model::RangeEvent;
use vigil_store::prelude::*;
use vigil_store::{SourceUpdate, SqliteStore};

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: lookup_bench DIR...");
        std::process::exit(2);
    }
    let tmp = std::env::temp_dir().join(format!("vigil-lookup-bench-{}.db", std::process::id()));
    let mut store = SqliteStore::open(&tmp).expect("open store");

    let t = Instant::now();
    let mut batches = Vec::new();
    for d in &dirs {
        batches.extend(load_path(d, &Limits::default()).expect("load"));
    }
    let parse = t.elapsed();
    let mut questions = Vec::new();
    let mut advisories = 0usize;
    let t = Instant::now();
    for (i, b) in batches.into_iter().enumerate() {
        for a in &b.advisories {
            for aff in &a.affected {
                let version = aff.versions.first().cloned().or_else(|| {
                    aff.ranges
                        .iter()
                        .flat_map(|r| r.events.iter())
                        .find_map(|e| match e {
                            RangeEvent::Introduced(v) | RangeEvent::Fixed(v) if v != "0" => {
                                Some(v.clone())
                            }
                            _ => None,
                        })
                });
                if let Some(v) = version {
                    questions.push((aff.package.ecosystem.clone(), aff.package.name.clone(), v));
                }
            }
        }
        advisories += b.advisories.len();
        let mut u = SourceUpdate::new(format!("bench:{i}"), b.origin.clone(), true);
        u.advisories = b.advisories;
        u.kev = b.kev;
        u.microsoft = b.microsoft;
        store.import(u).expect("import");
    }
    let import = t.elapsed();
    println!(
        "parsed {advisories} advisories in {:.3}s ({:.0}/s); stored in {:.3}s ({:.0}/s)",
        parse.as_secs_f64(),
        advisories as f64 / parse.as_secs_f64(),
        import.as_secs_f64(),
        advisories as f64 / import.as_secs_f64()
    );

    let n = 10_000;
    let t = Instant::now();
    for i in 0..n {
        let (eco, name, _) = &questions[i % questions.len()];
        store.advisories_for(eco, name).expect("lookup");
    }
    let fetch = t.elapsed();
    println!(
        "{n} look-ups (store only) in {:.3}s ({:.1} µs each)",
        fetch.as_secs_f64(),
        fetch.as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    let (mut affected, mut unknown) = (0usize, 0usize);
    for i in 0..n {
        let (eco, name, version) = &questions[i % questions.len()];
        let wanted = eco.normalize_name(name);
        for a in store.advisories_for(eco, name).expect("lookup") {
            for aff in a
                .affected
                .iter()
                .filter(|f| f.package.ecosystem.normalize_name(&f.package.name) == wanted)
            {
                match vigil_versions::affects(aff, version) {
                    Ok(true) => affected += 1,
                    Ok(false) => {}
                    Err(_) => unknown += 1,
                }
            }
        }
    }
    let look = t.elapsed();
    println!(
        "{n} look-ups with range evaluation in {:.3}s ({:.1} µs each): {affected} affected, {unknown} not evaluable",
        look.as_secs_f64(),
        look.as_secs_f64() * 1e6 / n as f64
    );
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_file(tmp.with_extension("db-wal"));
    let _ = std::fs::remove_file(tmp.with_extension("db-shm"));
}
