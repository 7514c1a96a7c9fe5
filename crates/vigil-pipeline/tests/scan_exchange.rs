//! The bundled Exchange 2021 example: MAIL01 on Exchange Server 2019 CU8 (15.2.792.3) without the 2021
//! security updates, checked against the real MSRC documents and KEV entries of the example.

mod common;

use common::*;
use jiff::civil::date;
use vigil_model::Severity;
use vigil_scan::{IgnoreFile, IgnoreState, NotAssessedKind, Policy, ScanReport, scan};
use vigil_store::SqliteStore;

fn knowledge() -> SqliteStore {
    let k = repo().join("examples/exchange-2021/knowledge");
    store_with(&[k.join("msrc-cvrf"), k.join("kev")])
}

fn exchange(build: &str) -> vigil_model::Package {
    pkg("Microsoft", "Exchange Server", build)
}

fn run(
    store: &SqliteStore,
    build: &str,
    today: jiff::civil::Date,
    ignores: &IgnoreFile,
) -> ScanReport {
    scan(
        store,
        &input("MAIL01", vec![exchange(build)], today),
        &Policy::default(),
        ignores,
    )
    .unwrap()
}

#[test]
fn mail01_misses_the_march_april_and_may_2021_updates() {
    let store = knowledge();
    let report = run(
        &store,
        "15.2.792.3",
        date(2021, 8, 2),
        &IgnoreFile::default(),
    );
    let mut rows: Vec<(String, String, Option<i64>, usize)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.finding.kb.clone().unwrap(),
                f.finding.fixed_versions.join(","),
                f.days_overdue,
                f.finding.aliases.len(),
            )
        })
        .collect();
    rows.sort();
    // examples/README.md: 139, 97 and 69 days overdue at the inventory (2021-08-02); 18 CVEs.
    assert_eq!(
        rows,
        vec![
            ("5000871".into(), "15.2.792.10".into(), Some(139), 7),
            ("5001779".into(), "15.2.792.13".into(), Some(97), 7),
            ("5003435".into(), "15.2.792.15".into(), Some(69), 4),
        ]
    );
    let by_kb = |kb: &str| {
        report
            .findings
            .iter()
            .find(|f| f.finding.kb.as_deref() == Some(kb))
            .unwrap()
    };
    let mar = &by_kb("5000871").finding;
    for cve in [
        "CVE-2021-26855",
        "CVE-2021-26857",
        "CVE-2021-26858",
        "CVE-2021-27065",
    ] {
        assert!(
            mar.aliases.iter().any(|a| a == cve),
            "{cve} in {:?}",
            mar.aliases
        );
    }
    assert_eq!(mar.fix_released, Some(date(2021, 3, 2)));
    assert_eq!(
        mar.due,
        Some(date(2021, 3, 16)),
        "KEV's 2021-04-16 is later"
    );
    assert!(mar.known_exploited);
    let apr = &by_kb("5001779").finding;
    for cve in [
        "CVE-2021-34473",
        "CVE-2021-34523",
        "CVE-2021-33766",
        "CVE-2021-28480",
    ] {
        assert!(
            apr.aliases.iter().any(|a| a == cve),
            "{cve} in {:?}",
            apr.aliases
        );
    }
    assert_eq!(apr.due, Some(date(2021, 4, 27)));
    assert_eq!(apr.kev_due, Some(date(2021, 11, 17)));
    assert_eq!(apr.severity, Severity::Critical);
    assert_eq!(apr.advisories, vec!["KB5001779"]);
    let may = &by_kb("5003435").finding;
    assert!(may.aliases.iter().any(|a| a == "CVE-2021-31207"));
    assert_eq!(
        may.severity,
        Severity::High,
        "max vendor rating over its CVEs"
    );
    assert_eq!(may.due, Some(date(2021, 5, 25)));

    // CU8 gets no July fixes: reported as out of support, not as safe.
    let unsupported = report
        .not_assessed
        .iter()
        .find(|n| n.kind == NotAssessedKind::Unsupported)
        .expect("CU8 is out of support");
    assert!(
        unsupported.reason.contains("KB5004780"),
        "{}",
        unsupported.reason
    );
    assert!(unsupported.reason.contains("CVE-2021-31196"));
    assert!(unsupported.reason.contains("CVE-2021-34470"));

    // ProxyShell day: 108 days overdue on the April update.
    let report = run(
        &store,
        "15.2.792.3",
        date(2021, 8, 13),
        &IgnoreFile::default(),
    );
    let apr = report
        .findings
        .iter()
        .find(|f| f.finding.kb.as_deref() == Some("5001779"))
        .unwrap();
    assert_eq!(apr.days_overdue, Some(108));
}

#[test]
fn a_patched_cu_lacks_only_later_updates() {
    let store = knowledge();
    // CU8 with the May update: nothing missing for CU8, still out of support.
    let report = run(
        &store,
        "15.2.792.15",
        date(2021, 8, 2),
        &IgnoreFile::default(),
    );
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(
        report
            .not_assessed
            .iter()
            .any(|n| n.kind == NotAssessedKind::Unsupported)
    );
    // CU9 with the April update: May and July are missing, and CU9 is supported.
    let report = run(
        &store,
        "15.2.858.10",
        date(2021, 8, 2),
        &IgnoreFile::default(),
    );
    let mut kbs: Vec<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.finding.kb.as_deref())
        .collect();
    kbs.sort();
    assert_eq!(kbs, vec!["5003435", "5004780"]);
    assert!(
        !report
            .not_assessed
            .iter()
            .any(|n| n.kind == NotAssessedKind::Unsupported)
    );
    // A build that is not in the table is not assessed.
    let report = run(
        &store,
        "15.2.9999.1",
        date(2021, 8, 2),
        &IgnoreFile::default(),
    );
    assert!(report.findings.is_empty());
    assert!(
        report
            .not_assessed
            .iter()
            .any(|n| n.reason.contains("not in vigil's Exchange build table"))
    );
}

#[test]
fn ignores_hide_until_expiry_and_gates_follow() {
    let store = knowledge();
    let ignores = IgnoreFile::parse(
        "[[ignore]]\nid = \"CVE-2021-34473\"\nreason = \"mitigated by URL rewrite\"\nexpires = 2021-09-01\n\
         [[ignore]]\nid = \"KB5000871\"\nreason = \"accepted\"\nexpires = 2021-07-01\n",
    )
    .unwrap();
    let report = run(&store, "15.2.792.3", date(2021, 8, 2), &ignores);
    let state = |kb: &str| {
        report
            .findings
            .iter()
            .find(|f| f.finding.kb.as_deref() == Some(kb))
            .unwrap()
            .ignore
            .clone()
    };
    assert!(matches!(
        state("5001779"),
        Some(IgnoreState::Ignored { .. })
    ));
    assert!(matches!(
        state("5000871"),
        Some(IgnoreState::Expired { .. })
    ));
    assert_eq!(state("5003435"), None);
    assert_eq!(report.summary.ignored, 1);
    assert_eq!(report.summary.expired_ignores, 1);
    assert_eq!(report.summary.open, 2);
    assert_eq!(report.summary.overdue, 2);
    // The expired exception counts again: the critical March update trips a critical gate.
    assert!(report.trips(Severity::Critical));
    // After the April exception expires too, two criticals are open.
    let later = run(&store, "15.2.792.3", date(2021, 9, 1), &ignores);
    assert_eq!(later.summary.open, 3);

    // With only the high May update open, a critical gate passes and a high gate trips.
    let only_may = IgnoreFile::parse(
        "[[ignore]]\nid = \"KB5000871\"\nreason = \"r\"\nexpires = 2030-01-01\n\
         [[ignore]]\nid = \"KB5001779\"\nreason = \"r\"\nexpires = 2030-01-01\n",
    )
    .unwrap();
    let report = run(&store, "15.2.792.3", date(2021, 8, 2), &only_may);
    assert!(!report.trips(Severity::Critical));
    assert!(report.trips(Severity::High));
}

#[test]
fn internet_facing_assets_get_stricter_deadlines() {
    let store = knowledge();
    let policy: Policy = toml::from_str("[tags.internet-facing]\ncritical_days = 7\n").unwrap();
    let mut inp = input("MAIL01", vec![exchange("15.2.792.3")], date(2021, 8, 2));
    inp.asset.tags = vec!["internet-facing".into()];
    let report = scan(&store, &inp, &policy, &IgnoreFile::default()).unwrap();
    let apr = report
        .findings
        .iter()
        .find(|f| f.finding.kb.as_deref() == Some("5001779"))
        .unwrap();
    assert_eq!(apr.finding.due, Some(date(2021, 4, 20)));
    assert_eq!(apr.days_overdue, Some(104));
}

/// A cumulative update alone (`15.2.792`, as Outlook on the web's logon folder names it) is assessed
/// as that update's own build, saying that its security-update level is unknown; an unknown update is
/// not assessed.
#[test]
fn a_cumulative_update_alone_is_assessed_as_its_own_build() {
    let store = knowledge();
    let report = run(&store, "15.2.792", date(2021, 8, 2), &IgnoreFile::default());
    let mut kbs: Vec<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.finding.kb.as_deref())
        .collect();
    kbs.sort();
    assert_eq!(kbs, vec!["5000871", "5001779", "5003435"]);
    let note = report
        .not_assessed
        .iter()
        .find(|n| {
            n.kind == NotAssessedKind::UnknownUpdate
                && n.reason.contains("only the cumulative update")
        })
        .expect("the unknown security-update level is stated");
    assert!(
        note.reason.contains("Exchange Server 2019 CU8"),
        "{}",
        note.reason
    );
    assert!(
        report
            .not_assessed
            .iter()
            .any(|n| n.kind == NotAssessedKind::Unsupported),
        "CU8 is out of support in August 2021"
    );

    let report = run(
        &store,
        "15.2.9999",
        date(2021, 8, 2),
        &IgnoreFile::default(),
    );
    assert!(report.findings.is_empty());
    assert!(report.not_assessed.iter().any(|n| {
        n.reason
            .contains("cumulative update 15.2.9999 is not in vigil's Exchange build table")
    }));
}
