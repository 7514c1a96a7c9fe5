//! Optional corpus check: every OSV JSON advisory in the shared data sets (Go, AlmaLinux,
//! RustSec) must evaluate without error for each of its own event versions. Runs only when
//! `VIGIL_SHARED_DATA` points at the data folder.

use std::path::Path;
use vigil_model::Affected;
use vigil_versions::{VersionError, affects};

fn json_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn shared_osv_advisories_evaluate() {
    let Ok(root) = std::env::var("VIGIL_SHARED_DATA") else {
        println!("VIGIL_SHARED_DATA unset: shared corpus check skipped");
        return;
    };
    let mut files = Vec::new();
    for sub in [
        "golang-vulndb/data/osv",
        "almalinux-osv/advisories",
        "rustsec-advisory-db/osv-branch",
    ] {
        json_files(&Path::new(&root).join(sub), &mut files);
    }
    let (mut checked, mut failures) = (0usize, Vec::new());
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let Ok(list) = serde_json::from_value::<Vec<Affected>>(doc["affected"].clone()) else {
            continue;
        };
        for a in &list {
            let versions = a
                .ranges
                .iter()
                .flat_map(|r| r.events.iter())
                .filter_map(|e| match e {
                    vigil_model::RangeEvent::Introduced(v) | vigil_model::RangeEvent::Fixed(v)
                        if v != "0" =>
                    {
                        Some(v.clone())
                    }
                    _ => None,
                });
            for v in versions {
                checked += 1;
                match affects(a, &v) {
                    Ok(_) | Err(VersionError::NotEvaluable { .. }) => {}
                    Err(e) => failures.push(format!("{}: {v}: {e}", f.display())),
                }
            }
        }
    }
    println!(
        "{} files, {checked} event versions evaluated, {} errors",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
