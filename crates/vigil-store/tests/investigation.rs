//! Detections, incidents and remedial actions kept across runs (schema step 3).

use jiff::Timestamp;
use jiff::civil::date;
use vigil_model::{Detection, Level, RecordRef, SourceRef};
use vigil_store::prelude::*;
use vigil_store::{ActionStatus, IncidentRow, NewAction, SqliteStore};

fn det(rule: &str, line: u64, at: &str) -> Detection {
    Detection {
        rule_id: rule.into(),
        rule_title: format!("rule {rule}"),
        level: Level::High,
        tags: vec!["attack.initial-access".into()],
        timestamp: Some(at.parse().unwrap()),
        first_seen: None,
        host: Some("MAIL01".into()),
        sources: vec![SourceRef {
            file: "logs/u_ex210813.log".into(),
            record: RecordRef::Line(line),
            generation: None,
        }],
        matched: vec![("cs-uri-query".into(), "/autodiscover".into())],
    }
}

/// Line 1 of a followed file's new generation (rotated in under the same path, or written again
/// after a copy-truncate) is another record than line 1 of the file before it; the same record
/// of the same generation is still kept once, and dismissed by its own source.
#[test]
fn the_file_generation_is_part_of_a_detections_identity() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("v.db")).unwrap();
    let of = |generation: Option<&str>| {
        let mut d = det("a", 1, "2021-08-13T03:02:14Z");
        d.sources[0].generation = generation.map(str::to_string);
        d
    };
    let (old, new) = (of(Some("2049:12:aa")), of(Some("2049:13:bb")));
    assert_eq!(
        store.save_detections(&[old.clone(), new.clone()]).unwrap(),
        2
    );
    assert_eq!(
        store.save_detections(std::slice::from_ref(&new)).unwrap(),
        0
    );
    // A file read whole (hunt, audit) is keyed as before generations existed.
    assert_eq!(store.save_detections(&[of(None)]).unwrap(), 1);
    assert_eq!(store.save_detections(&[of(None)]).unwrap(), 0);
    assert!(
        store
            .dismiss_detection("a", &new.sources[0], Some("test"))
            .unwrap()
    );
    let all = store.detections().unwrap();
    assert_eq!(all.len(), 3);
    let dismissed: Vec<_> = all
        .iter()
        .filter(|d| d.dismissed.is_some())
        .map(|d| d.detection.sources[0].generation.clone())
        .collect();
    assert_eq!(dismissed, vec![Some("2049:13:bb".to_string())]);
    // Reports show the real path.
    assert!(
        all.iter()
            .all(|d| d.detection.sources[0].file == "logs/u_ex210813.log")
    );
}

#[test]
fn detections_are_kept_once_and_can_be_dismissed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("v.db")).unwrap();
    let a = det("a", 15, "2021-08-13T03:02:14Z");
    let b = det("b", 13, "2021-08-13T03:02:11Z");
    assert_eq!(store.save_detections(&[a.clone(), b.clone()]).unwrap(), 2);
    assert_eq!(
        store.save_detections(std::slice::from_ref(&a)).unwrap(),
        0,
        "same rule and record"
    );
    let all = store.detections().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].detection, b, "time order");
    assert!(all.iter().all(|d| d.dismissed.is_none()));
    assert!(
        store
            .dismiss_detection("a", &a.sources[0], Some("planned export"))
            .unwrap()
    );
    assert!(
        !store
            .dismiss_detection("zz", &a.sources[0], Some("x"))
            .unwrap()
    );
    let all = store.detections().unwrap();
    assert_eq!(all[1].dismissed.as_deref(), Some("planned export"));
    // Storing it again keeps the triage.
    store.save_detections(&[a]).unwrap();
    assert_eq!(
        store.detections().unwrap()[1].dismissed.as_deref(),
        Some("planned export")
    );
}

#[test]
fn incidents_keep_their_opening_and_status() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let t: Timestamp = "2021-08-12T21:14:03Z".parse().unwrap();
    let mut row = IncidentRow {
        id: "INC-MAIL01-20210812T211403Z".into(),
        asset: Some("MAIL01".into()),
        first_seen: t,
        last_seen: t,
        level: Level::Critical,
        detections: 3,
        entry_point: Some("ProxyShell".into()),
        status: "open".into(),
        opened_at: "2021-12-01T00:00:00Z".parse().unwrap(),
        updated_at: "2021-12-01T00:00:00Z".parse().unwrap(),
        summary: serde_json::json!({"root_cause": ["KB5001779"]}),
    };
    store.save_incident(&row).unwrap();
    row.detections = 40;
    row.opened_at = "2022-01-01T00:00:00Z".parse().unwrap();
    store.save_incident(&row).unwrap();
    let got = store.incident(&row.id).unwrap().unwrap();
    assert_eq!(got.detections, 40);
    assert_eq!(
        got.opened_at,
        "2021-12-01T00:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(got.summary["root_cause"][0], "KB5001779");
    assert_eq!(store.incidents().unwrap().len(), 1);
    assert!(store.incident("INC-NONE").unwrap().is_none());
}

#[test]
fn remedial_actions_open_overdue_and_done() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let id = store
        .add_action(&NewAction {
            action: "Install KB5001779 on MAIL01".into(),
            owner: Some("MSP".into()),
            due: Some(date(2021, 12, 3)),
            incident: Some("INC-1".into()),
            asset: Some("MAIL01".into()),
        })
        .unwrap();
    let later = store
        .add_action(&NewAction {
            action: "Enable MFA".into(),
            ..NewAction::default()
        })
        .unwrap();
    assert!(
        store.add_action(&NewAction::default()).is_err(),
        "empty action refused"
    );
    let open = store.actions(false).unwrap();
    assert_eq!(
        open.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![id, later]
    );
    assert_eq!(open[0].days_overdue(date(2021, 12, 10)), Some(7));
    assert_eq!(open[1].days_overdue(date(2021, 12, 10)), None);
    assert!(
        store
            .complete_action(
                id,
                "2021-12-05T00:00:00Z".parse().unwrap(),
                Some("done by MSP")
            )
            .unwrap()
    );
    assert!(
        !store.complete_action(id, Timestamp::now(), None).unwrap(),
        "already done"
    );
    assert_eq!(store.actions(false).unwrap().len(), 1);
    let done = store.action(id).unwrap().unwrap();
    assert_eq!(done.status, ActionStatus::Done);
    assert_eq!(done.note.as_deref(), Some("done by MSP"));
    assert_eq!(done.days_overdue(date(2022, 1, 1)), None);
    assert_eq!(store.actions(true).unwrap().len(), 2);
}
