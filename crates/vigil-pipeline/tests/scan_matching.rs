//! The matcher against real advisories: alias merging, distro source packages, what cannot be assessed.

mod common;

use common::*;
use jiff::civil::date;
use vigil_model::{
    Advisory, Affected, AffectedPackage, Ecosystem, Range, RangeEvent, RangeKind, Severity,
};
use vigil_scan::matcher::{MatchOutput, Matcher};
use vigil_scan::{IgnoreFile, NotAssessedKind, Policy, scan};
use vigil_store::prelude::*;
use vigil_store::{SourceUpdate, SqliteStore};

fn matched(store: &SqliteStore, packages: &[vigil_model::Package]) -> MatchOutput {
    let mut m = Matcher::new(store);
    let mut out = MatchOutput::default();
    for p in packages {
        m.match_package("host", p, &mut out).unwrap();
    }
    out
}

#[test]
fn ghsa_and_pysec_for_one_cve_are_one_finding() {
    let f = fixtures();
    let store = store_with(&[
        f.join("PYSEC-2019-217.yaml"),
        f.join("GHSA-462w-v97r-4m45.json"),
    ]);
    let out = matched(&store, &[pkg("PyPI", "Jinja2", "2.10")]);
    assert_eq!(out.findings.len(), 1, "{:#?}", out.findings);
    let fi = &out.findings[0];
    assert_eq!(fi.advisories, vec!["PYSEC-2019-217", "GHSA-462w-v97r-4m45"]);
    assert_eq!(fi.aliases, vec!["CVE-2019-10906"]);
    assert_eq!(fi.fixed_versions, vec!["2.10.1"]);
    // CVSS from the GHSA vector (8.6), the PYSEC record has none.
    assert_eq!(fi.severity, Severity::High);
    assert_eq!(fi.cvss_score, Some(8.6));
    // The earliest publication is taken as the fix's release day.
    assert_eq!(fi.fix_released, Some(date(2019, 4, 7)));
    assert!(fi.summary.as_deref().unwrap().contains("sandbox escape"));
    assert!(out.not_assessed.is_empty());

    // The fixed version and later are not affected; an earlier spelling of the name still matches.
    assert!(
        matched(&store, &[pkg("PyPI", "jinja2", "2.10.1")])
            .findings
            .is_empty()
    );
    assert!(
        matched(&store, &[pkg("PyPI", "jinja2", "3.0.0")])
            .findings
            .is_empty()
    );
    assert_eq!(
        matched(&store, &[pkg("PyPI", "JINJA2", "2.0rc1")])
            .findings
            .len(),
        1
    );
}

#[test]
fn distro_packages_match_on_their_source_package() {
    let f = fixtures();
    let store = store_with(&[f.join("DSA-4963-1.json"), f.join("DSA-5103-1.json")]);
    let mut libssl = pkg("Debian:11", "libssl1.1", "1.1.1k-1");
    // Without the source package, the binary name finds nothing: Debian files advisories on sources.
    assert!(
        matched(&store, std::slice::from_ref(&libssl))
            .findings
            .is_empty()
    );
    libssl.source_name = Some("openssl".into());
    let openssl = pkg("Debian:11", "openssl", "1.1.1k-1");
    let other_release = {
        let mut p = libssl.clone();
        p.ecosystem = Ecosystem::new("Debian:12");
        p
    };
    let fixed = {
        let mut p = libssl.clone();
        p.version = "1.1.1k-1+deb11u2".into();
        p
    };
    let report = scan(
        &store,
        &input(
            "mx1",
            vec![libssl, openssl, other_release, fixed],
            date(2022, 4, 13),
        ),
        &Policy::default(),
        &IgnoreFile::default(),
    )
    .unwrap();
    let got: Vec<(String, String, Option<i64>)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.finding.package.name.clone(),
                f.finding.advisories[0].clone(),
                f.days_overdue,
            )
        })
        .collect();
    // Expected numbers of examples/README.md (scenario 2): 218 and 15 days overdue at awareness.
    assert_eq!(
        got,
        vec![
            ("libssl1.1".to_string(), "DSA-4963-1".to_string(), Some(218)),
            ("openssl".to_string(), "DSA-4963-1".to_string(), Some(218)),
            ("libssl1.1".to_string(), "DSA-5103-1".to_string(), Some(15)),
            ("openssl".to_string(), "DSA-5103-1".to_string(), Some(15)),
        ]
    );
    let dsa = &report.findings[0].finding;
    assert_eq!(dsa.due, Some(date(2021, 9, 7)));
    assert_eq!(dsa.fixed_versions, vec!["1.1.1k-1+deb11u1"]);
    assert_eq!(dsa.aliases, vec!["CVE-2021-3711", "CVE-2021-3712"]);
    // Unrated: the policy treats it like high (14 days).
    assert_eq!(dsa.severity, Severity::Unknown);
    assert_eq!(report.summary.overdue, 4);
}

fn git_only(id: &str) -> Advisory {
    Advisory {
        id: id.into(),
        source: "osv".into(),
        modified: jiff::Timestamp::UNIX_EPOCH,
        published: None,
        withdrawn: None,
        aliases: vec![],
        related: vec![],
        summary: Some("fixed in a commit".into()),
        details: None,
        severity: vec![],
        source_severity: None,
        affected: vec![Affected {
            package: AffectedPackage {
                ecosystem: Ecosystem::new("crates.io"),
                name: "gitonly".into(),
                purl: None,
            },
            ranges: vec![Range {
                kind: RangeKind::Git,
                repo: Some("https://example.invalid/repo".into()),
                events: vec![
                    RangeEvent::Introduced("0".into()),
                    RangeEvent::Fixed("abc123".into()),
                ],
            }],
            versions: vec![],
            ecosystem_specific: None,
            database_specific: None,
        }],
        references: vec![],
        database_specific: None,
    }
}

#[test]
fn what_cannot_be_decided_is_not_assessed() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut u = SourceUpdate::new("osv:crates.io", "test", true);
    u.advisories = vec![git_only("RUSTSEC-2099-0001")];
    store.import(u).unwrap();
    let out = matched(
        &store,
        &[
            pkg("crates.io", "gitonly", "1.0.0"),
            pkg("CRAN", "ggplot2", "3.4.0"),
            pkg("crates.io", "serde", "not-a-version"),
        ],
    );
    assert!(out.findings.is_empty());
    let kinds: Vec<NotAssessedKind> = out.not_assessed.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![
            NotAssessedKind::NotEvaluable,
            NotAssessedKind::UnknownEcosystem,
            NotAssessedKind::InvalidVersion
        ]
    );
    assert!(out.not_assessed[0].reason.contains("RUSTSEC-2099-0001"));
    assert!(
        out.not_assessed[0]
            .location
            .contains("gitonly@1.0.0 (test.lock:1)")
    );
}

#[test]
fn an_empty_knowledge_base_is_never_silent() {
    let store = SqliteStore::open_in_memory().unwrap();
    let report = scan(
        &store,
        &input(
            "web1",
            vec![pkg("npm", "lodash", "4.17.20")],
            date(2024, 1, 1),
        ),
        &Policy::default(),
        &IgnoreFile::default(),
    )
    .unwrap();
    assert!(report.findings.is_empty());
    assert_eq!(report.not_assessed.len(), 1);
    assert_eq!(report.not_assessed[0].kind, NotAssessedKind::NoKnowledge);
    assert!(report.not_assessed[0].reason.contains("empty"));

    // With knowledge for another ecosystem only, npm is reported as unchecked; so is missing KEV data.
    let f = fixtures();
    let store = store_with(&[f.join("PYSEC-2019-217.yaml")]);
    let report = scan(
        &store,
        &input(
            "web1",
            vec![pkg("npm", "lodash", "4.17.20")],
            date(2024, 1, 1),
        ),
        &Policy::default(),
        &IgnoreFile::default(),
    )
    .unwrap();
    let reasons: Vec<&str> = report
        .not_assessed
        .iter()
        .map(|n| n.reason.as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("no advisories for npm")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("no CISA KEV data")),
        "{reasons:?}"
    );
}

#[test]
fn stale_knowledge_is_reported() {
    let f = fixtures();
    let store = store_with(&[f.join("PYSEC-2019-217.yaml")]);
    let mut inp = input(
        "web1",
        vec![pkg("PyPI", "jinja2", "2.10")],
        date(2024, 1, 1),
    );
    inp.max_age = jiff::SignedDuration::from_hours(1);
    inp.now = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let report = scan(&store, &inp, &Policy::default(), &IgnoreFile::default()).unwrap();
    assert!(
        report
            .not_assessed
            .iter()
            .any(|n| n.kind == NotAssessedKind::StaleKnowledge && n.reason.contains("older than")),
        "{:?}",
        report.not_assessed
    );
    assert_eq!(report.findings.len(), 1, "stale knowledge is still used");
}
