//! Corpus check against the shared reference data (not shipped): every OSV JSON record of the Go, RustSec
//! and AlmaLinux sets and the whole KEV catalog go through the store, and every affected package of every
//! live advisory finds it again. Runs only when `VIGIL_SHARED_DATA` points at the data folder.

use std::path::{Path, PathBuf};
use std::time::Instant;
use vigil_model::{Advisory, KevEntry};
use vigil_store::prelude::*;
use vigil_store::{SourceUpdate, SqliteStore};

fn shared() -> Option<PathBuf> {
    match std::env::var_os("VIGIL_SHARED_DATA") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("VIGIL_SHARED_DATA is not set: corpus check skipped");
            None
        }
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn shared_osv_and_kev_corpus() {
    let Some(root) = shared() else { return };
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut everything: Vec<Advisory> = Vec::new();
    for (key, dir) in [
        ("osv:Go", "golang-vulndb/data/osv"),
        ("osv:crates.io", "rustsec-advisory-db/osv-branch/crates"),
        ("osv:AlmaLinux", "almalinux-osv/advisories"),
    ] {
        let mut files = Vec::new();
        json_files(&root.join(dir), &mut files);
        let mut update = SourceUpdate::new(key, dir, true);
        for file in &files {
            let parsed = std::fs::read(file)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| e.to_string())
                })
                .and_then(|mut v| {
                    v["source"] = "osv".into();
                    serde_json::from_value::<Advisory>(v).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(a) => update.advisories.push(a),
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    update.skipped += 1;
                }
            }
        }
        everything.extend(update.advisories.iter().cloned());
        let t = Instant::now();
        let summary = store.import(update).unwrap();
        eprintln!("{key}: {summary:?} in {:?}", t.elapsed());
        assert!(summary.advisories > 100, "{key}: {summary:?}");
    }
    let t = Instant::now();
    let mut lookups = 0;
    let mut returned = 0;
    for advisory in everything.iter().filter(|a| a.withdrawn.is_none()) {
        for affected in &advisory.affected {
            let found = store
                .advisories_for(&affected.package.ecosystem, &affected.package.name)
                .unwrap();
            lookups += 1;
            returned += found.len();
            assert!(
                found.iter().any(|a| a.id == advisory.id),
                "{} not found via {} {}",
                advisory.id,
                affected.package.ecosystem,
                affected.package.name
            );
        }
    }
    eprintln!(
        "{lookups} look-ups returning {returned} advisories in {:?}",
        t.elapsed()
    );

    let catalog: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("kev-data/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let mut update = SourceUpdate::new("kev", "known_exploited_vulnerabilities.json", true);
    for v in catalog["vulnerabilities"].as_array().unwrap() {
        update.kev.push(KevEntry {
            cve: text(v, "cveID"),
            vendor: text(v, "vendorProject"),
            product: text(v, "product"),
            name: text(v, "vulnerabilityName"),
            date_added: text(v, "dateAdded").parse().unwrap(),
            due_date: text(v, "dueDate").parse().ok(),
            known_ransomware: text(v, "knownRansomwareCampaignUse") == "Known",
            required_action: Some(text(v, "requiredAction")),
        });
    }
    let expected = update.kev.clone();
    let summary = store.import(update).unwrap();
    assert_eq!(summary.kev, 1404);
    for entry in &expected {
        assert_eq!(store.kev(&entry.cve).unwrap().as_ref(), Some(entry));
    }
    assert!(
        store.kev("CVE-2021-34473").unwrap().is_some(),
        "ProxyShell is in the catalog"
    );
}
