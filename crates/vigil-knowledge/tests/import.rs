//! `load_path` / `load_bytes`: recognising inputs and summarising what was imported.

use std::io::{Cursor, Write};
use std::path::PathBuf;

use vigil_knowledge::{KnowledgeError, Limits, SourceKind, load_bytes, load_path};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

#[test]
fn directory_of_osv_files() {
    let batches = load_path(&fixture("osv"), &Limits::default()).unwrap();
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    assert_eq!(b.source, "osv");
    assert_eq!(b.advisories.len(), 5);
    assert_eq!(b.withdrawn, 2);
    assert!(b.skipped.is_empty());
    assert_eq!(b.imported(), 5);
}

#[test]
fn rustsec_checkout_is_recognised() {
    let batches = load_path(&fixture("rustsec"), &Limits::default()).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].source, "rustsec");
    assert_eq!(batches[0].advisories.len(), 10);
}

#[test]
fn kev_directory_gives_one_batch_per_file() {
    let batches = load_path(&fixture("kev"), &Limits::default()).unwrap();
    assert_eq!(batches.len(), 2);
    assert!(
        batches
            .iter()
            .all(|b| b.source == "kev" && b.kev.len() == 6)
    );
    let json = load_path(
        &fixture("kev/known_exploited_vulnerabilities.json"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(json[0].version.as_deref(), Some("2025.08.25"));
}

#[test]
fn msrc_directory_is_reconciled_across_documents() {
    let batches = load_path(&fixture("msrc"), &Limits::default()).unwrap();
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    assert_eq!(b.source, "msrc");
    assert!(b.skipped.is_empty(), "{:?}", b.skipped);
    // 24 (Mar) + 20 (Apr) + 5 (May) + 15 (Jul XML) + 15 (Jul JSON).
    assert_eq!(b.microsoft.len(), 79);
    let proxytoken = b
        .microsoft
        .iter()
        .find(|f| f.cve == "CVE-2021-33766" && f.product_id == "11857")
        .unwrap();
    assert_eq!(proxytoken.release_date.to_string(), "2021-04-13");
}

#[test]
fn epss_files_plain_and_gzip() {
    let batches = load_path(
        &fixture("epss/epss_scores-2025-08-25.csv"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(batches[0].source, "epss");
    assert_eq!(batches[0].epss.len(), 6);
    let dir = tempfile::tempdir().unwrap();
    let gz_path = dir.path().join("epss_scores-current.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(fixture("epss/epss_scores-2025-08-25.csv")).unwrap())
        .unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let batches = load_path(&gz_path, &Limits::default()).unwrap();
    assert_eq!(batches[0].epss.len(), 6);
    assert_eq!(batches[0].version.as_deref(), Some("v2025.03.14"));
}

#[test]
fn osv_zip_on_disk_and_from_bytes() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("GO-2022-0617.json", opts).unwrap();
    w.write_all(&std::fs::read(fixture("osv/GO-2022-0617.json")).unwrap())
        .unwrap();
    w.start_file("GHSA-jfh8-c2jp-5v3q.json", opts).unwrap();
    w.write_all(&std::fs::read(fixture("osv/GHSA-jfh8-c2jp-5v3q.json")).unwrap())
        .unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.zip");
    std::fs::write(&path, &bytes).unwrap();
    let from_disk = load_path(&path, &Limits::default()).unwrap();
    assert_eq!(from_disk[0].advisories.len(), 2);
    assert_eq!(from_disk[0].withdrawn, 1);
    let from_bytes = load_bytes(SourceKind::Osv, "all.zip", &bytes, &Limits::default()).unwrap();
    assert_eq!(from_bytes.advisories, from_disk[0].advisories);
    // Truncated download.
    let err = load_bytes(
        SourceKind::Osv,
        "all.zip",
        &bytes[..bytes.len() - 30],
        &Limits::default(),
    );
    assert!(err.is_err());
}

#[test]
fn load_bytes_for_each_source() {
    let l = Limits::default();
    let one = load_bytes(
        SourceKind::Osv,
        "PYSEC-2018-12.yaml",
        &std::fs::read(fixture("osv/PYSEC-2018-12.yaml")).unwrap(),
        &l,
    )
    .unwrap();
    assert_eq!(one.advisories[0].id, "PYSEC-2018-12");
    let rs = load_bytes(
        SourceKind::RustSec,
        "crates/claxon/RUSTSEC-2018-0004.md",
        &std::fs::read(fixture("rustsec/crates/claxon/RUSTSEC-2018-0004.md")).unwrap(),
        &l,
    )
    .unwrap();
    assert_eq!(
        rs.advisories[0].affected[0].package.ecosystem.as_str(),
        "crates.io"
    );
    let kev_csv = load_bytes(
        SourceKind::Kev,
        "kev.csv",
        &std::fs::read(fixture("kev/known_exploited_vulnerabilities.csv")).unwrap(),
        &l,
    )
    .unwrap();
    assert_eq!(kev_csv.kev.len(), 6);
    let epss = load_bytes(
        SourceKind::Epss,
        "e.csv",
        &std::fs::read(fixture("epss/epss_scores-2025-08-25.csv")).unwrap(),
        &l,
    )
    .unwrap();
    assert_eq!(epss.epss.len(), 6);
    let ms = load_bytes(
        SourceKind::Msrc,
        "jul.json",
        &std::fs::read(fixture("msrc/cvrf-2021-Jul-exchange.json")).unwrap(),
        &l,
    )
    .unwrap();
    assert_eq!(ms.version.as_deref(), Some("2021-Jul"));
    assert_eq!(ms.microsoft.len(), 15);
    // A malformed single advisory is a skip naming the input, not an error.
    let bad = load_bytes(SourceKind::Osv, "bad.json", b"{}", &l).unwrap();
    assert_eq!(bad.skipped[0].location, "bad.json");
}

#[test]
fn unknown_and_missing_paths() {
    let err = load_path(&fixture("does-not-exist"), &Limits::default()).unwrap_err();
    assert!(matches!(err, KnowledgeError::Io { .. }));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let err = load_path(&dir.path().join("notes.txt"), &Limits::default()).unwrap_err();
    assert!(matches!(err, KnowledgeError::Unrecognised { .. }), "{err}");
    let err = load_path(dir.path(), &Limits::default()).unwrap_err();
    assert!(matches!(err, KnowledgeError::Unrecognised { .. }), "{err}");
}
