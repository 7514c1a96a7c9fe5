//! CISA KEV (JSON and CSV, real subset of catalog 2025.08.25) and EPSS CSV (plain and gzip).

use std::io::Write;
use std::path::PathBuf;

use vigil_knowledge::{epss, kev};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

#[test]
fn kev_json_catalog() {
    let bytes = std::fs::read(fixture("kev/known_exploited_vulnerabilities.json")).unwrap();
    let (info, batch) = kev::parse_json(&bytes, "kev.json").unwrap();
    assert_eq!(info.version.as_deref(), Some("2025.08.25"));
    assert_eq!(
        info.released.unwrap().to_string(),
        "2025-08-25T17:04:19.9796Z"
    );
    assert_eq!(info.count, Some(6));
    assert_eq!(batch.version.as_deref(), Some("2025.08.25"));
    assert_eq!(batch.kev.len(), 6);
    let proxyshell = batch
        .kev
        .iter()
        .find(|e| e.cve == "CVE-2021-34473")
        .unwrap();
    assert_eq!(proxyshell.vendor, "Microsoft");
    assert_eq!(proxyshell.product, "Exchange Server");
    assert_eq!(proxyshell.date_added.to_string(), "2021-11-03");
    assert_eq!(proxyshell.due_date.unwrap().to_string(), "2021-11-17");
    assert!(proxyshell.known_ransomware);
    let git = batch
        .kev
        .iter()
        .find(|e| e.cve == "CVE-2025-48384")
        .unwrap();
    assert!(!git.known_ransomware);
    assert!(
        git.required_action
            .as_deref()
            .unwrap()
            .starts_with("Apply mitigations")
    );
}

#[test]
fn kev_csv_equals_json() {
    let json = std::fs::read(fixture("kev/known_exploited_vulnerabilities.json")).unwrap();
    let csv = std::fs::read(fixture("kev/known_exploited_vulnerabilities.csv")).unwrap();
    let (_, from_json) = kev::parse_json(&json, "kev.json").unwrap();
    let from_csv = kev::parse_csv(&csv, "kev.csv").unwrap();
    assert!(from_csv.skipped.is_empty());
    assert_eq!(from_json.kev, from_csv.kev);
}

#[test]
fn kev_bad_entries_are_skipped_with_position() {
    let json = br#"{"catalogVersion":"x","vulnerabilities":[
        {"cveID":"CVE-2021-34473","vendorProject":"Microsoft","product":"Exchange Server","vulnerabilityName":"n","dateAdded":"2021-11-03","dueDate":"2021-11-17","knownRansomwareCampaignUse":"Known"},
        {"cveID":"CVE-2021-1","dateAdded":"2021-11-03"},
        {"cveID":"CVE-2021-34523","dateAdded":"03/11/2021"},
        {"vendorProject":"no id"},
        {"cveID":"CVE-2021-31207","dateAdded":"2021-11-03","knownRansomwareCampaignUse":"Maybe"}
    ]}"#;
    let (_, batch) = kev::parse_json(json, "kev.json").unwrap();
    assert_eq!(batch.kev.len(), 1);
    let locations: Vec<_> = batch.skipped.iter().map(|s| s.location.as_str()).collect();
    assert_eq!(
        locations,
        [
            "kev.json#vulnerabilities[1]",
            "kev.json#vulnerabilities[2]",
            "kev.json#vulnerabilities[3]",
            "kev.json#vulnerabilities[4]"
        ]
    );
    assert!(batch.skipped[1].reason.contains("dateAdded"));
    assert!(kev::parse_json(b"[]", "kev.json").is_err());
    assert!(kev::parse_csv(b"a,b\n1,2\n", "kev.csv").is_err());
    let csv = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\nCVE-2021-34473,Microsoft,Exchange,n,2021-11-03,d,a,2021-11-17,Known,,\nCVE-2021-34523,Microsoft,Exchange,n,not-a-date,d,a,,Known,,\n";
    let batch = kev::parse_csv(csv.as_bytes(), "kev.csv").unwrap();
    assert_eq!(batch.kev.len(), 1);
    assert_eq!(batch.skipped[0].location, "kev.csv:3");
}

#[test]
fn epss_plain_and_gzip() {
    let plain = std::fs::read(fixture("epss/epss_scores-2025-08-25.csv")).unwrap();
    let batch = epss::parse(&plain, "epss.csv").unwrap();
    assert_eq!(batch.version.as_deref(), Some("v2025.03.14"));
    assert_eq!(batch.epss.len(), 6);
    let s = batch
        .epss
        .iter()
        .find(|s| s.cve == "CVE-2021-34473")
        .unwrap();
    assert_eq!(s.epss, 0.94330);
    assert_eq!(s.percentile, 0.99940);
    assert_eq!(s.date.to_string(), "2025-08-25");

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let from_gz = epss::parse(&gz, "epss.csv.gz").unwrap();
    assert_eq!(from_gz.epss, batch.epss);

    // Streaming hands rows over one by one.
    let mut n = 0;
    let (header, skipped) = epss::stream(&gz[..], "epss.csv.gz", |_| n += 1).unwrap();
    assert_eq!(n, 6);
    assert!(skipped.is_empty());
    assert_eq!(header.score_date.to_string(), "2025-08-25");

    // A truncated download is refused as a whole.
    let err = epss::parse(&gz[..gz.len() - 12], "epss.csv.gz").unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn epss_bad_rows_and_headers() {
    let text = "#model_version:v1,score_date:2024-02-01T00:00:00+0000\ncve,epss,percentile\nCVE-2024-0001,0.5,0.9\nCVE-2024-0002,1.5,0.9\nCVE-2024-0003,abc\nnot-a-cve,0.1,0.1\n";
    let batch = epss::parse(text.as_bytes(), "e.csv").unwrap();
    assert_eq!(batch.epss.len(), 1);
    let locs: Vec<_> = batch.skipped.iter().map(|s| s.location.as_str()).collect();
    assert_eq!(locs, ["e.csv:4", "e.csv:5", "e.csv:6"]);
    // Old files without the comment line take the day from the file name.
    let old = epss::parse(
        b"cve,epss,percentile\nCVE-2021-1,0.1,0.2\n",
        "epss_scores-2021-04-14.csv",
    )
    .unwrap();
    assert_eq!(old.epss[0].date.to_string(), "2021-04-14");
    assert!(epss::parse(b"cve,epss,percentile\n", "epss.csv").is_err());
    assert!(epss::parse(b"hello,world\n", "x.csv").is_err());
    assert!(epss::parse(b"", "x.csv").is_err());
}
