//! OSV records, directories and `all.zip` archives, on real records from PyPA, Go, AlmaLinux and GHSA.

use std::io::{Cursor, Write};
use std::path::PathBuf;

use vigil_knowledge::{KnowledgeError, Limits, osv};
use vigil_model::{RangeEvent, RangeKind, Severity};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

#[test]
fn pypa_yaml_with_git_and_ecosystem_ranges() {
    let a = osv::parse_yaml(&read("osv/PYSEC-2018-12.yaml"), "osv").unwrap();
    assert_eq!(a.id, "PYSEC-2018-12");
    assert_eq!(a.source, "osv");
    assert_eq!(a.aliases, ["CVE-2018-19787", "GHSA-xp26-p53h-6h2p"]);
    assert_eq!(a.published.unwrap().to_string(), "2018-12-02T10:29:00Z");
    assert_eq!(a.modified.to_string(), "2021-06-16T00:03:23.627691Z");
    assert!(a.withdrawn.is_none());
    let aff = &a.affected[0];
    assert_eq!(aff.package.ecosystem.as_str(), "PyPI");
    assert_eq!(aff.package.name, "lxml");
    assert_eq!(aff.package.purl.as_deref(), Some("pkg:pypi/lxml"));
    assert_eq!(aff.ranges.len(), 2);
    assert_eq!(aff.ranges[0].kind, RangeKind::Git);
    assert_eq!(
        aff.ranges[0].repo.as_deref(),
        Some("https://github.com/lxml/lxml")
    );
    assert_eq!(aff.ranges[1].kind, RangeKind::Ecosystem);
    assert_eq!(
        aff.ranges[1].events,
        [
            RangeEvent::Introduced("0".into()),
            RangeEvent::Fixed("4.2.5".into())
        ]
    );
    // Quoted and unquoted YAML versions both stay strings, exactly as written.
    assert_eq!(aff.versions.len(), 128);
    assert_eq!(aff.versions[0], "0.9");
    assert!(aff.versions.contains(&"1.0.beta".to_string()));
    assert!(aff.versions.contains(&"4.2.4".to_string()));
    assert_eq!(a.references.len(), 6);
    assert_eq!(a.references[0].kind, "FIX");
    assert_eq!(a.cves().collect::<Vec<_>>(), ["CVE-2018-19787"]);
}

#[test]
fn withdrawn_records_are_kept_and_marked() {
    let py = osv::parse_yaml(&read("osv/PYSEC-2020-221.yaml"), "osv").unwrap();
    assert_eq!(py.withdrawn.unwrap().to_string(), "2023-05-30T03:49:00Z");
    let go = osv::parse_json(&read("osv/GO-2022-0617.json"), "osv").unwrap();
    assert_eq!(go.withdrawn.unwrap().to_string(), "2024-08-21T16:25:56Z");
    // The Go database writes the zero time for records it never dated.
    assert_eq!(go.modified.to_string(), "0001-01-01T00:00:00Z");
    assert_eq!(go.affected[0].package.ecosystem.as_str(), "Go");
    assert_eq!(go.affected[0].ranges[0].kind, RangeKind::Semver);
    assert_eq!(
        go.affected[0].ecosystem_specific,
        Some(serde_json::json!({}))
    );
}

#[test]
fn ghsa_severity_vector_and_source_rating() {
    let a = osv::parse_json(&read("osv/GHSA-jfh8-c2jp-5v3q.json"), "osv").unwrap();
    assert_eq!(a.id, "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(a.source_severity, Some(Severity::Critical));
    assert_eq!(a.severity.len(), 1);
    assert_eq!(a.severity[0].kind, "CVSS_V3");
    assert_eq!(
        a.severity[0].score,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
    );
    assert_eq!(a.affected.len(), 3);
    assert_eq!(a.affected[0].package.ecosystem.as_str(), "Maven");
    assert_eq!(
        a.affected[0].package.name,
        "org.apache.logging.log4j:log4j-core"
    );
    assert_eq!(
        a.affected[0].ranges[0].events,
        [
            RangeEvent::Introduced("2.13.0".into()),
            RangeEvent::Fixed("2.15.0".into())
        ]
    );
    let db = a.database_specific.as_ref().unwrap();
    assert_eq!(db["github_reviewed"], serde_json::json!(true));
    assert_eq!(a.references.len(), 62);
}

#[test]
fn almalinux_rates_by_summary_and_keeps_related() {
    let a = osv::parse_json(&read("osv/ALSA-2023:2367.json"), "osv").unwrap();
    assert_eq!(a.related, ["CVE-2022-41717", "CVE-2022-30629"]);
    assert_eq!(a.source_severity, Some(Severity::Medium));
    let aff = &a.affected[0];
    assert_eq!(aff.package.ecosystem.release(), Some("9"));
    assert_eq!(
        aff.ranges[0].events[1],
        RangeEvent::Fixed("1:1.2.0-1.el9".into())
    );
}

#[test]
fn malformed_records_name_the_problem() {
    let err = osv::parse_json(br#"{"id":"X-1"}"#, "osv").unwrap_err();
    assert!(err.contains("X-1") && err.contains("modified"), "{err}");
    let err = osv::parse_json(
        br#"{"id":"X-2","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}"#,
        "osv",
    )
    .unwrap_err();
    assert!(err.contains("affected[0].ranges[0].events[0]"), "{err}");
    let err = osv::parse_json(br#"{"id":"X-3","modified":"last tuesday"}"#, "osv").unwrap_err();
    assert!(err.contains("invalid timestamp"), "{err}");
    assert!(osv::parse_json(b"\xff\xfe", "osv").is_err());
    assert!(osv::parse_yaml(b"id: [unclosed", "osv").is_err());
    // A YAML record whose version numbers are typed as numbers.
    let a = osv::parse_yaml(
        b"id: Y-1\nmodified: 2021-01-01T00:00:00Z\naffected:\n- package: {ecosystem: PyPI, name: x}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.5\n",
        "osv",
    )
    .unwrap();
    assert_eq!(
        a.affected[0].ranges[0].events,
        [
            RangeEvent::Introduced("0".into()),
            RangeEvent::Fixed("1.5".into())
        ]
    );
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn all_zip_archive_with_hostile_entries() {
    let go = read("osv/GO-2022-0617.json");
    let ghsa = read("osv/GHSA-jfh8-c2jp-5v3q.json");
    let bytes = zip_of(&[
        ("GHSA-jfh8-c2jp-5v3q.json", &ghsa),
        ("GO-2022-0617.json", &go),
        ("../evil.json", &ghsa),
        ("/etc/abs.json", &ghsa),
        ("README.txt", b"not an advisory"),
        ("broken.json", b"{\"id\": "),
    ]);
    let batch = osv::read_zip(Cursor::new(&bytes), "all.zip", &Limits::default()).unwrap();
    assert_eq!(batch.source, "osv");
    let ids: Vec<_> = batch.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-jfh8-c2jp-5v3q", "GO-2022-0617"]);
    assert_eq!(batch.withdrawn, 1);
    let skipped: Vec<_> = batch.skipped.iter().map(|s| s.location.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "all.zip!../evil.json",
            "all.zip!/etc/abs.json",
            "all.zip!broken.json"
        ]
    );
    assert!(batch.skipped[0].reason.contains("unsafe entry path"));
    assert!(batch.skipped[2].reason.contains("invalid OSV JSON"));
}

#[test]
fn zip_limits_per_entry_and_total() {
    let ghsa = read("osv/GHSA-jfh8-c2jp-5v3q.json");
    let go = read("osv/GO-2022-0617.json");
    let bytes = zip_of(&[("a.json", &ghsa), ("b.json", &go)]);
    // The GHSA record is 12 kB: over a 4 kB entry limit it is skipped, the Go record is read.
    let small = Limits {
        max_entry_bytes: 4096,
        ..Limits::default()
    };
    let batch = osv::read_zip(Cursor::new(&bytes), "all.zip", &small).unwrap();
    assert_eq!(batch.advisories.len(), 1);
    assert_eq!(batch.skipped[0].location, "all.zip!a.json");
    assert!(batch.skipped[0].reason.contains("limit"));
    // A total limit below the archive's content refuses the whole archive.
    let total = Limits {
        max_total_bytes: 13_000,
        ..Limits::default()
    };
    let err = osv::read_zip(Cursor::new(&bytes), "all.zip", &total).unwrap_err();
    assert!(matches!(err, KnowledgeError::Limit { .. }), "{err}");
}

#[test]
fn corrupt_and_truncated_zips_are_errors() {
    let ghsa = read("osv/GHSA-jfh8-c2jp-5v3q.json");
    let bytes = zip_of(&[("a.json", &ghsa)]);
    let truncated = &bytes[..bytes.len() / 2];
    let err = osv::read_zip(Cursor::new(truncated), "all.zip", &Limits::default()).unwrap_err();
    assert!(err.to_string().starts_with("all.zip:"), "{err}");
    let err = osv::read_zip(Cursor::new(b"not a zip"), "x.zip", &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("not a readable zip"), "{err}");
    // Damage inside the compressed data of an entry.
    let mut damaged = bytes.clone();
    for b in damaged.iter_mut().skip(60).take(200) {
        *b ^= 0x5a;
    }
    assert!(osv::read_zip(Cursor::new(&damaged), "all.zip", &Limits::default()).is_err());
}

#[test]
fn directory_is_read_recursively_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("b/nested")).unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("b/nested/PYSEC-2018-12.yaml"),
        read("osv/PYSEC-2018-12.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("a.json"), read("osv/GO-2022-0617.json")).unwrap();
    std::fs::write(dir.path().join("b/bad.yml"), b"id: [").unwrap();
    std::fs::write(dir.path().join("b/notes.txt"), b"ignored").unwrap();
    std::fs::write(dir.path().join(".git/x.json"), b"ignored").unwrap();
    let batch = osv::read_dir(dir.path(), &Limits::default()).unwrap();
    let ids: Vec<_> = batch.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["GO-2022-0617", "PYSEC-2018-12"]);
    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].location.ends_with("b/bad.yml"));
    assert_eq!(batch.withdrawn, 1);
}
