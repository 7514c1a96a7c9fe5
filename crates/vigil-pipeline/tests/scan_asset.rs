//! `scan_asset`: the inventory read, matched and stored as a snapshot, as `vigil scan` and the
//! service's scheduled scans run it.

mod common;

use common::*;
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use vigil_pipeline::PipelineError;
use vigil_pipeline::scan::{ScanRequest, scan_asset};
use vigil_scan::{IgnoreFile, Policy};

fn request<'a>(policy: &'a Policy, ignores: &'a IgnoreFile) -> ScanRequest<'a> {
    ScanRequest {
        targets: vec![repo().join("examples/exchange-2021/inventory/MAIL01.json")],
        excludes: Vec::new(),
        roots: Vec::new(),
        host: false,
        asset: None,
        tags: Vec::new(),
        today: Some(date(2021, 8, 2)),
        now: "2021-08-02T09:00:00Z".parse::<Timestamp>().unwrap(),
        max_age: SignedDuration::from_hours(24 * 365 * 100),
        policy,
        ignores,
        store: true,
    }
}

#[test]
fn a_scan_is_stored_and_a_second_one_finds_nothing_new() {
    let k = repo().join("examples/exchange-2021/knowledge");
    let mut store = store_with(&[k.join("msrc-cvrf"), k.join("kev")]);
    let (policy, ignores) = (Policy::default(), IgnoreFile::default());
    let req = request(&policy, &ignores);
    let first = scan_asset(&mut store, &req).unwrap();
    assert_eq!(
        first.asset.name, "MAIL01",
        "named after the inventory's computer"
    );
    assert!(!first.report.findings.is_empty());
    let saved = first.stored.unwrap().unwrap();
    assert_eq!(saved.new, first.report.findings.len());
    let again = scan_asset(&mut store, &req).unwrap();
    let saved = again.stored.unwrap().unwrap();
    assert_eq!((saved.new, saved.resolved), (0, 0));
    assert_eq!(saved.still_open, first.report.findings.len());
}

#[test]
fn nothing_to_scan_is_an_input_error_and_no_store_stores_nothing() {
    let k = repo().join("examples/exchange-2021/knowledge");
    let mut store = store_with(&[k.join("kev")]);
    let (policy, ignores) = (Policy::default(), IgnoreFile::default());
    let mut req = request(&policy, &ignores);
    req.store = false;
    assert!(scan_asset(&mut store, &req).unwrap().stored.is_none());
    req.targets.clear();
    let err = scan_asset(&mut store, &req).unwrap_err();
    assert!(matches!(err, PipelineError::Input(_)), "{err}");
}
