//! Any bytes as an OSV record (JSON and YAML) and as a file of every advisory source: OSV (records
//! and zip archives), RustSec markdown, CISA KEV (JSON/CSV), FIRST EPSS CSV and MSRC CVRF.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_knowledge::{Limits, SourceKind, load_bytes, osv};

const SOURCES: &[(SourceKind, &[&str])] = &[
    (
        SourceKind::Osv,
        &["GHSA-xxxx-xxxx-xxxx.json", "PYSEC-2020-1.yaml", "all.zip"],
    ),
    (
        SourceKind::RustSec,
        &["RUSTSEC-2021-0001.md", "RUSTSEC-2021-0001.json"],
    ),
    (
        SourceKind::Kev,
        &[
            "known_exploited_vulnerabilities.json",
            "known_exploited_vulnerabilities.csv",
        ],
    ),
    (SourceKind::Epss, &["epss_scores-2025-08-25.csv"]),
    (
        SourceKind::Msrc,
        &["cvrfDocument-2021-Apr.xml", "cvrf-2021-Jul.json"],
    ),
];

fuzz_target!(|data: &[u8]| {
    let _ = osv::parse_json(data, "fuzz.json");
    let _ = osv::parse_yaml(data, "fuzz.yaml");
    let limits = Limits {
        max_entry_bytes: 16 << 20,
        max_total_bytes: 64 << 20,
        max_entries: 10_000,
    };
    for (kind, names) in SOURCES {
        for name in *names {
            let _ = load_bytes(*kind, name, data, &limits);
        }
    }
});
