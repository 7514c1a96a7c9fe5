//! Microsoft CVRF documents, on the Exchange part of the real 2021-Mar (ProxyLogon), 2021-Apr,
//! 2021-May and 2021-Jul (ProxyShell) documents, and a JSON rendering of the 2021-Jul one.

use std::path::PathBuf;

use vigil_knowledge::msrc;
use vigil_model::{MicrosoftFix, Severity};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/msrc")
        .join(rel)
}

fn fixes_of(file: &str) -> Vec<MicrosoftFix> {
    let bytes = std::fs::read(fixture(file)).unwrap();
    let batch = msrc::parse(&bytes, file).unwrap();
    assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
    batch.microsoft
}

fn find<'a>(fixes: &'a [MicrosoftFix], cve: &str, product_id: &str) -> &'a MicrosoftFix {
    fixes
        .iter()
        .find(|f| f.cve == cve && f.product_id == product_id)
        .unwrap_or_else(|| panic!("no fix for {cve} on {product_id}"))
}

#[test]
fn proxylogon_out_of_band_fix_is_dated_march_2() {
    let bytes = std::fs::read(fixture("cvrfDocument-2021-Mar-exchange.xml")).unwrap();
    let doc = msrc::parse_xml(&bytes, "mar").unwrap();
    assert_eq!(doc.id, "2021-Mar");
    assert_eq!(
        doc.initial_release.unwrap().to_string(),
        "2021-03-09T08:00:00Z"
    );
    // Products appear in the branch tree and in the flat list; each is kept once.
    assert_eq!(doc.products.len(), 26);
    let fixes = fixes_of("cvrfDocument-2021-Mar-exchange.xml");
    assert_eq!(fixes.len(), 24);
    assert!(
        fixes
            .iter()
            .all(|f| f.kb == "5000871" && f.cve == "CVE-2021-26855")
    );
    let cu8 = find(&fixes, "CVE-2021-26855", "11857");
    assert_eq!(
        cu8.product,
        "Microsoft Exchange Server 2019 Cumulative Update 8"
    );
    // The document is dated March 9, but the fix went out of band on March 2: the earliest entry of
    // the vulnerability's (unordered) revision history.
    assert_eq!(cu8.release_date.to_string(), "2021-03-02");
    assert_eq!(cu8.supersedes, ["4602269"]);
    assert_eq!(cu8.severity, Some(Severity::Critical));
    assert_eq!(cu8.cvss_score, Some(9.1));
    assert_eq!(
        cu8.cvss_vector.as_deref(),
        Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/E:F/RL:O/RC:C")
    );
    assert_eq!(cu8.fixed_build, None);
    assert_eq!(cu8.document, "2021-Mar");
}

#[test]
fn april_fixes_and_fixed_builds_per_product() {
    let fixes = fixes_of("cvrfDocument-2021-Apr-exchange.xml");
    assert_eq!(fixes.len(), 20);
    assert!(fixes.iter().all(|f| f.kb == "5001779"));
    assert!(
        fixes
            .iter()
            .all(|f| f.release_date.to_string() == "2021-04-13")
    );
    // CVE-2021-28480's remediation names the Exchange 2013 build for all five products: it is kept
    // for Exchange 2013 only.
    let e2013 = find(&fixes, "CVE-2021-28480", "11682");
    assert_eq!(e2013.fixed_build.as_deref(), Some("15.00.1497.015"));
    let e2019 = find(&fixes, "CVE-2021-28480", "11857");
    assert_eq!(e2019.fixed_build, None);
    let cu9 = find(&fixes, "CVE-2021-28481", "11887");
    assert_eq!(
        cu9.product,
        "Microsoft Exchange Server 2019 Cumulative Update 9"
    );
    assert_eq!(cu9.fixed_build.as_deref(), Some("15.02.0858.010"));
    assert_eq!(cu9.cvss_score, Some(9.8));
}

#[test]
fn proxyshell_in_july_document_is_dated_april() {
    let fixes = fixes_of("cvrfDocument-2021-Jul-exchange.xml");
    assert_eq!(fixes.len(), 15);
    let f = find(&fixes, "CVE-2021-34473", "11857");
    assert_eq!(f.kb, "5001779");
    assert_eq!(f.document, "2021-Jul");
    // "This CVE was addressed by updates that were released in April 2021" → April's update Tuesday.
    assert_eq!(f.release_date.to_string(), "2021-04-13");
    assert_eq!(
        find(&fixes, "CVE-2021-34523", "11682")
            .release_date
            .to_string(),
        "2021-04-13"
    );
    assert_eq!(
        find(&fixes, "CVE-2021-34523", "11682").severity,
        Some(Severity::High)
    );
}

#[test]
fn reconciling_documents_dates_a_kb_by_its_first_release() {
    let mut all = fixes_of("cvrfDocument-2021-Apr-exchange.xml");
    let july = fixes_of("cvrfDocument-2021-Jul-exchange.xml");
    let proxytoken_july = find(&july, "CVE-2021-33766", "11857").release_date;
    all.extend(july);
    all.extend(fixes_of("cvrfDocument-2021-May-exchange.xml"));
    msrc::reconcile_release_dates(&mut all);
    for f in all.iter().filter(|f| f.kb == "5001779") {
        assert_eq!(
            f.release_date.to_string(),
            "2021-04-13",
            "{} {}",
            f.cve,
            f.product
        );
    }
    assert!(proxytoken_july.to_string().as_str() >= "2021-04-13");
    let may = all.iter().find(|f| f.cve == "CVE-2021-31207").unwrap();
    assert_eq!(may.kb, "5003435");
    assert_eq!(may.release_date.to_string(), "2021-05-11");
    assert_eq!(may.severity, Some(Severity::Medium));
}

#[test]
fn json_form_gives_the_same_fixes_as_xml() {
    let from_xml = fixes_of("cvrfDocument-2021-Jul-exchange.xml");
    let json = std::fs::read(fixture("cvrf-2021-Jul-exchange.json")).unwrap();
    let doc = msrc::parse_json(&json, "jul.json").unwrap();
    assert_eq!(doc.id, "2021-Jul");
    let (from_json, skipped) = msrc::fixes(&doc, "jul.json");
    assert!(skipped.is_empty());
    assert_eq!(from_json, from_xml);
}

#[test]
fn broken_documents_are_errors_with_location() {
    let bytes = std::fs::read(fixture("cvrfDocument-2021-Apr-exchange.xml")).unwrap();
    let truncated = &bytes[..bytes.len() / 2];
    let err = msrc::parse(truncated, "apr.xml").unwrap_err().to_string();
    assert!(err.starts_with("apr.xml"), "{err}");
    let err = msrc::parse(b"<html><body/></html>", "x.xml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a CVRF document"), "{err}");
    let err = msrc::parse(b"{\"foo\": 1}", "x.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a CVRF JSON"), "{err}");
    let err = msrc::parse(b"<a><b></a>", "x.xml").unwrap_err().to_string();
    assert!(err.contains("x.xml"), "{err}");
}
