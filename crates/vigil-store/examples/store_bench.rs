//! Times the store on synthetic knowledge of realistic shape: importing N advisories (default 20,000) in
//! one transaction, re-importing them unchanged, 10,000 package look-ups, 300,000 EPSS scores, and
//! alias/KEV look-ups. Run with `cargo run --release -p vigil-store --example store_bench [N]`.

use jiff::Timestamp;
use jiff::civil::Date;
use std::time::Instant;
use vigil_model::{
    Advisory, Affected, AffectedPackage, Ecosystem, EpssScore, Range, RangeEvent, RangeKind,
    Reference, SeverityScore,
};
use vigil_store::prelude::*;
use vigil_store::{SourceUpdate, SqliteStore};

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ECOSYSTEMS: &[&str] = &[
    "PyPI",
    "npm",
    "Maven",
    "crates.io",
    "Go",
    "Debian:12",
    "Ubuntu:22.04:LTS",
];
const PACKAGES: usize = 5_000;

fn package(eco: &str, i: usize) -> String {
    match eco {
        "Maven" => format!("org.example.group{}:artifact-{i}", i % 50),
        "Go" => format!("github.com/example/module{i}"),
        "PyPI" => format!("Package_{i}"),
        _ => format!("package-{i}"),
    }
}

fn synthetic(n: usize, rng: &mut Rng) -> Vec<Advisory> {
    let base: Timestamp = "2020-01-01T00:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    (0..n)
        .map(|i| {
            let affected = (0..1 + rng.below(3))
                .map(|_| {
                    let eco = ECOSYSTEMS[rng.below(ECOSYSTEMS.len())];
                    Affected {
                        package: AffectedPackage {
                            ecosystem: Ecosystem::new(eco),
                            name: package(eco, rng.below(PACKAGES)),
                            purl: None,
                        },
                        ranges: vec![Range {
                            kind: RangeKind::Ecosystem,
                            repo: None,
                            events: vec![
                                RangeEvent::Introduced("0".into()),
                                RangeEvent::Fixed(format!(
                                    "{}.{}.{}",
                                    rng.below(9),
                                    rng.below(20),
                                    rng.below(30)
                                )),
                            ],
                        }],
                        versions: Vec::new(),
                        ecosystem_specific: None,
                        database_specific: None,
                    }
                })
                .collect();
            Advisory {
                id: format!("GHSA-{i:04x}-bench-{:04x}", rng.below(65_536)),
                source: "osv".into(),
                modified: base + jiff::SignedDuration::from_secs(i as i64 * 60),
                published: Some(base),
                withdrawn: None,
                aliases: vec![format!("CVE-{}-{}", 2015 + i % 10, 10_000 + i)],
                related: Vec::new(),
                summary: Some(format!("Synthetic vulnerability number {i} in a package")),
                details: Some("A crafted request lets a remote attacker run code. ".repeat(6)),
                severity: vec![SeverityScore {
                    kind: "CVSS_V3".into(),
                    score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                }],
                source_severity: None,
                affected,
                references: vec![Reference {
                    kind: "ADVISORY".into(),
                    url: format!("https://example.invalid/advisories/{i}"),
                }],
                database_specific: None,
            }
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20_000);
    let dir = tempfile::tempdir()?;
    let mut store = if std::env::var_os("BENCH_MEMORY").is_some() {
        SqliteStore::open_in_memory()?
    } else {
        SqliteStore::open(&dir.path().join("vigil.db"))?
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let advisories = synthetic(n, &mut rng);

    let mut update = SourceUpdate::new("osv:bench", "synthetic", true);
    update.advisories = advisories.clone();
    let t = Instant::now();
    let summary = store.import(update)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "import {} advisories (fresh):      {:8.1} ms  {:>9.0} advisories/s",
        summary.advisories,
        secs * 1e3,
        summary.advisories as f64 / secs
    );

    let mut update = SourceUpdate::new("osv:bench", "synthetic", true);
    update.advisories = advisories.clone();
    let t = Instant::now();
    let summary = store.import(update)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "re-import {} advisories (same):   {:8.1} ms  {:>9.0} advisories/s",
        summary.advisories,
        secs * 1e3,
        summary.advisories as f64 / secs
    );

    let mut update = SourceUpdate::new("osv:bench", "synthetic", true);
    update.advisories = advisories
        .iter()
        .cloned()
        .map(|mut a| {
            a.modified += jiff::SignedDuration::from_secs(1);
            a
        })
        .collect();
    let t = Instant::now();
    let summary = store.import(update)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "re-import {} advisories (changed): {:8.1} ms  {:>9.0} advisories/s",
        summary.advisories,
        secs * 1e3,
        summary.advisories as f64 / secs
    );

    let queries: Vec<(Ecosystem, String)> = (0..10_000)
        .map(|_| {
            let eco = ECOSYSTEMS[rng.below(ECOSYSTEMS.len())];
            (Ecosystem::new(eco), package(eco, rng.below(PACKAGES)))
        })
        .collect();
    let t = Instant::now();
    let mut hits = 0usize;
    for (eco, name) in &queries {
        hits += store.advisories_for(eco, name)?.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "10,000 advisories_for look-ups:      {:8.1} ms  ({hits} advisories returned, {:.1} µs each)",
        secs * 1e3,
        secs * 1e6 / 10_000.0
    );

    let t = Instant::now();
    let mut found = 0usize;
    for i in 0..10_000 {
        found += store
            .aliases(&format!("CVE-{}-{}", 2015 + i % 10, 10_000 + i))?
            .len();
    }
    println!(
        "10,000 alias look-ups:               {:8.1} ms  ({found} found)",
        t.elapsed().as_secs_f64() * 1e3
    );

    let date = Date::new(2025, 8, 25)?;
    let mut update = SourceUpdate::new("epss", "epss_scores-current.csv.gz", true);
    update.epss = (0..300_000)
        .map(|i| EpssScore {
            cve: format!("CVE-{}-{}", 1999 + i % 27, 1_000 + i),
            epss: (i % 1000) as f64 / 1000.0,
            percentile: (i % 997) as f64 / 997.0,
            date,
        })
        .collect();
    let t = Instant::now();
    let summary = store.import(update.clone())?;
    println!(
        "import {} EPSS scores (fresh):    {:8.1} ms",
        summary.epss,
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let summary = store.import(update)?;
    println!(
        "import {} EPSS scores (replace):  {:8.1} ms",
        summary.epss,
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let mut found = 0usize;
    for i in 0..10_000 {
        found += usize::from(
            store
                .epss(&format!("CVE-{}-{}", 1999 + i % 27, 1_000 + i))?
                .is_some(),
        );
    }
    println!(
        "10,000 EPSS look-ups:                {:8.1} ms  ({found} found)",
        t.elapsed().as_secs_f64() * 1e3
    );
    let stats = store.stats()?;
    println!(
        "store: {} advisories, {} aliases, {} EPSS scores, {} ecosystems",
        stats.advisories,
        stats.aliases,
        stats.epss,
        stats.by_ecosystem.len()
    );
    Ok(())
}
