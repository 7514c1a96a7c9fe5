#![allow(dead_code)]

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};
use vigil_model::{Asset, Ecosystem, Package, PackageLocation};
use vigil_scan::ScanInput;
use vigil_store::prelude::*;
use vigil_store::{SourceUpdate, SqliteStore};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Imports every file or directory into a fresh in-memory store, one source key per batch.
pub fn store_with(paths: &[PathBuf]) -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().unwrap();
    for (i, path) in paths.iter().enumerate() {
        let batches =
            vigil_knowledge::load_path(path, &vigil_knowledge::Limits::default()).unwrap();
        for (j, b) in batches.into_iter().enumerate() {
            let mut u = SourceUpdate::new(format!("test:{i}:{j}:{}", b.source), &b.origin, false);
            u.advisories = b.advisories;
            u.kev = b.kev;
            u.epss = b.epss;
            u.microsoft = b.microsoft;
            store.import(u).unwrap();
        }
    }
    store
}

pub fn pkg(eco: &str, name: &str, version: &str) -> Package {
    Package {
        ecosystem: Ecosystem::new(eco),
        name: name.into(),
        version: version.into(),
        purl: None,
        source_name: None,
        location: PackageLocation {
            file: "test.lock".into(),
            line: Some(1),
        },
    }
}

pub fn input(asset: &str, packages: Vec<Package>, today: Date) -> ScanInput {
    ScanInput {
        asset: Asset {
            name: asset.into(),
            tags: vec![],
        },
        inputs: vec!["test".into()],
        packages,
        host: None,
        notes: vec![],
        today,
        max_age: SignedDuration::from_hours(24 * 365 * 100),
        now: Timestamp::now(),
    }
}
