//! Alerts in the store: deduplication, the state machine, escalation steps, history, single-use links.

use jiff::{SignedDuration, Timestamp};
use vigil_model::Level;
use vigil_store::{
    AlertAction, AlertChange, AlertEvent, AlertState, AlertStore, AlertSubject, Delivery,
    DeliveryOutcome, Evidence, NewAlert, Raised, SqliteStore, StoreError,
};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn incident(id: &str, severity: Level) -> NewAlert {
    NewAlert {
        dedup_key: format!("incident:{id}"),
        subject: AlertSubject::Incident,
        reference: id.into(),
        severity,
        title: format!("Incident {id}"),
        asset: Some("MAIL01".into()),
        evidence: vec![Evidence::new("rule", "ProxyShell URL")],
    }
}

fn change(action: AlertAction, by: &str, at: &str) -> AlertChange {
    AlertChange {
        action,
        by: by.into(),
        at: t(at),
        note: Some("on it".into()),
        token_nonce: None,
    }
}

#[test]
fn one_alert_per_incident_later_raises_update_it() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let at = t("2026-03-01T10:00:00Z");
    let next = at + SignedDuration::from_hours(4);
    let first = store
        .raise_alert(&incident("INC-1", Level::High), at, Some(next))
        .unwrap();
    let Raised::Opened(a) = first else {
        panic!("{first:?}")
    };
    assert_eq!(a.state, AlertState::Open);
    assert_eq!(a.next_escalation_at, Some(next));

    let mut later = incident("INC-1", Level::High);
    later.evidence = vec![Evidence::new("detections", "7")];
    let second = store
        .raise_alert(&later, at + SignedDuration::from_mins(5), Some(next))
        .unwrap();
    let Raised::Updated {
        alert,
        severity_raised,
        previous,
    } = second
    else {
        panic!("{second:?}")
    };
    assert_eq!(alert.id, a.id);
    assert_eq!(
        previous.updates, 0,
        "the alert as it stood before the update"
    );
    assert_eq!(previous.evidence, a.evidence);
    assert!(!severity_raised);
    assert_eq!(alert.updates, 1);
    assert_eq!(alert.evidence, later.evidence);
    assert_eq!(alert.created_at, at);

    // A rise to critical brings the escalation forward, never later.
    let soon = at + SignedDuration::from_mins(35);
    let third = store
        .raise_alert(&incident("INC-1", Level::Critical), at, Some(soon))
        .unwrap();
    assert!(matches!(
        third,
        Raised::Updated {
            severity_raised: true,
            ..
        }
    ));
    assert_eq!(third.alert().severity, Level::Critical);
    assert_eq!(third.alert().next_escalation_at, Some(soon));
    // A lower severity later does not lower it.
    let fourth = store
        .raise_alert(&incident("INC-1", Level::Low), at, None)
        .unwrap();
    assert_eq!(fourth.alert().severity, Level::Critical);
    assert_eq!(fourth.alert().next_escalation_at, Some(soon));

    assert_eq!(store.alerts(None, 100).unwrap().len(), 1);
    let other = store
        .raise_alert(&incident("INC-2", Level::High), at, None)
        .unwrap();
    assert!(matches!(other, Raised::Opened(_)));
    assert_eq!(store.alerts(None, 100).unwrap().len(), 2);
}

#[test]
fn state_machine_is_enforced_and_stops_escalation() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let at = t("2026-03-01T10:00:00Z");
    let id = store
        .raise_alert(&incident("INC-1", Level::Critical), at, Some(at))
        .unwrap()
        .alert()
        .id;
    let acked = store
        .change_alert(
            id,
            &change(AlertAction::Acknowledge, "dana", "2026-03-01T10:20:00Z"),
        )
        .unwrap();
    assert_eq!(acked.state, AlertState::Acknowledged);
    assert_eq!(acked.next_escalation_at, None);
    let mark = acked.acknowledged.clone().unwrap();
    assert_eq!(
        (mark.by.as_str(), mark.at),
        ("dana", t("2026-03-01T10:20:00Z"))
    );
    assert!(
        store
            .due_escalations(t("2026-03-02T00:00:00Z"), 10)
            .unwrap()
            .is_empty()
    );

    let again = store
        .change_alert(
            id,
            &change(AlertAction::Acknowledge, "eli", "2026-03-01T10:21:00Z"),
        )
        .unwrap_err();
    assert!(
        matches!(again, StoreError::AlertTransition { .. }),
        "{again}"
    );
    assert!(
        again.to_string().contains("already acknowledged by dana"),
        "{again}"
    );

    let resolved = store
        .change_alert(
            id,
            &change(AlertAction::Resolve, "dana", "2026-03-01T12:00:00Z"),
        )
        .unwrap();
    assert_eq!(resolved.state, AlertState::Resolved);
    for action in [AlertAction::Acknowledge, AlertAction::Resolve] {
        let e = store
            .change_alert(id, &change(action, "eli", "2026-03-01T13:00:00Z"))
            .unwrap_err();
        assert!(matches!(e, StoreError::AlertTransition { .. }), "{e}");
    }
    assert!(matches!(
        store.change_alert(
            999,
            &change(AlertAction::Resolve, "eli", "2026-03-01T13:00:00Z")
        ),
        Err(StoreError::NoSuchAlert { id: 999 })
    ));

    // Once resolved, the same key opens a new alert (a new wave after the all-clear).
    let reopened = store
        .raise_alert(
            &incident("INC-1", Level::High),
            t("2026-03-05T00:00:00Z"),
            None,
        )
        .unwrap();
    assert!(matches!(reopened, Raised::Opened(ref a) if a.id != id));
}

#[test]
fn resolving_an_open_alert_records_the_acknowledgement_too() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let at = t("2026-03-01T10:00:00Z");
    let id = store
        .raise_alert(&incident("INC-1", Level::Medium), at, None)
        .unwrap()
        .alert()
        .id;
    let a = store
        .change_alert(
            id,
            &change(AlertAction::Resolve, "dana", "2026-03-01T11:00:00Z"),
        )
        .unwrap();
    assert_eq!(a.state, AlertState::Resolved);
    assert_eq!(a.acknowledged.as_ref().unwrap().by, "dana");
    let h = store.alert_history(id, 100).unwrap();
    let kinds: Vec<&str> = h
        .events
        .iter()
        .map(|e| match e {
            AlertEvent::Raised { .. } => "raised",
            AlertEvent::Acknowledged { .. } => "acknowledged",
            AlertEvent::Resolved { .. } => "resolved",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["raised", "acknowledged", "resolved"]);
}

#[test]
fn a_link_nonce_works_once() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let at = t("2026-03-01T10:00:00Z");
    let a = store
        .raise_alert(&incident("INC-1", Level::High), at, None)
        .unwrap()
        .alert()
        .id;
    let b = store
        .raise_alert(&incident("INC-2", Level::High), at, None)
        .unwrap()
        .alert()
        .id;
    let mut c = change(AlertAction::Acknowledge, "link", "2026-03-01T10:05:00Z");
    c.token_nonce = Some("n1".into());
    store.change_alert(a, &c).unwrap();
    let used = store.change_alert(b, &c).unwrap_err();
    assert!(matches!(used, StoreError::AlertTokenUsed { .. }), "{used}");
    // The refusal changed nothing.
    assert_eq!(store.alert(b).unwrap().unwrap().state, AlertState::Open);
    let h = store.alert_history(a, 10).unwrap();
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, AlertEvent::Acknowledged { link: true, .. }))
    );
}

#[test]
fn escalation_steps_are_claimed_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    let mut one = SqliteStore::open(&path).unwrap();
    let mut two = SqliteStore::open(&path).unwrap();
    let at = t("2026-03-01T10:00:00Z");
    let due = at + SignedDuration::from_mins(30);
    let id = one
        .raise_alert(&incident("INC-1", Level::Critical), at, Some(due))
        .unwrap()
        .alert()
        .id;
    assert!(one.due_escalations(at, 10).unwrap().is_empty());
    let found = two.due_escalations(due, 10).unwrap();
    assert_eq!(found.len(), 1);
    let next = due + SignedDuration::from_mins(30);
    assert!(
        one.escalate_alert(id, 0, due, Some("On call"), Some(next))
            .unwrap()
    );
    // The other process saw the same due alert but loses the race.
    assert!(
        !two.escalate_alert(id, 0, due, Some("On call"), Some(next))
            .unwrap()
    );
    let a = two.alert(id).unwrap().unwrap();
    assert_eq!((a.escalation_level, a.next_escalation_at), (1, Some(next)));

    two.record_deliveries(
        id,
        &[
            Delivery {
                channel: "webhook-1".into(),
                recipient: "127.0.0.1:9000".into(),
                at: due,
                attempt: 1,
                level: 1,
                outcome: DeliveryOutcome::Failed("HTTP 503".into()),
            },
            Delivery {
                channel: "webhook-1".into(),
                recipient: "127.0.0.1:9000".into(),
                at: due,
                attempt: 2,
                level: 1,
                outcome: DeliveryOutcome::Delivered,
            },
        ],
    )
    .unwrap();
    let h = one.alert_history(id, 100).unwrap();
    assert_eq!(h.omitted, 0);
    assert!(matches!(h.events[0], AlertEvent::Raised { .. }));
    assert!(matches!(
        &h.events[1],
        AlertEvent::Escalated { level: 1, contact: Some(c), .. } if c == "On call"
    ));
    assert!(matches!(
        &h.events[2],
        AlertEvent::Delivery(Delivery { outcome: DeliveryOutcome::Failed(e), attempt: 1, .. }) if e == "HTTP 503"
    ));
    let tail = one.alert_history(id, 1).unwrap();
    assert_eq!((tail.events.len(), tail.omitted), (1, 3));
    assert!(matches!(
        tail.events[0],
        AlertEvent::Delivery(Delivery { attempt: 2, .. })
    ));

    // Acknowledged alerts are never escalated, even by a stale view.
    one.change_alert(
        id,
        &change(AlertAction::Acknowledge, "dana", "2026-03-01T11:00:00Z"),
    )
    .unwrap();
    assert!(!two.escalate_alert(id, 1, next, None, None).unwrap());
    assert!(matches!(
        one.record_deliveries(42, &[]),
        Err(StoreError::NoSuchAlert { id: 42 })
    ));
}

#[test]
fn lists_filter_by_state_newest_first() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let at = t("2026-03-01T10:00:00Z");
    for i in 0..5 {
        store
            .raise_alert(&incident(&format!("INC-{i}"), Level::High), at, None)
            .unwrap();
    }
    store
        .change_alert(
            2,
            &change(AlertAction::Acknowledge, "dana", "2026-03-01T11:00:00Z"),
        )
        .unwrap();
    let open = store.alerts(Some(AlertState::Open), 100).unwrap();
    assert_eq!(open.iter().map(|a| a.id).collect::<Vec<_>>(), [5, 4, 3, 1]);
    assert_eq!(store.alerts(None, 2).unwrap().len(), 2);
    assert_eq!(
        store.alerts(Some(AlertState::Acknowledged), 10).unwrap()[0].id,
        2
    );
}

#[test]
fn the_link_secret_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    let first = SqliteStore::open(&path)
        .unwrap()
        .alert_link_secret(&[1u8; 32])
        .unwrap();
    let second = SqliteStore::open(&path)
        .unwrap()
        .alert_link_secret(&[2u8; 32])
        .unwrap();
    assert_eq!(first, vec![1u8; 32]);
    assert_eq!(second, first);
    let mut store = SqliteStore::open_in_memory().unwrap();
    assert!(store.alert_link_secret(&[0u8; 4]).is_err());
}

#[test]
fn hostile_names_and_notes_are_bounded() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let at = t("2026-03-01T10:00:00Z");
    let id = store
        .raise_alert(&incident("INC-1", Level::High), at, None)
        .unwrap()
        .alert()
        .id;
    let mut c = change(AlertAction::Acknowledge, "", "2026-03-01T11:00:00Z");
    assert!(
        store.change_alert(id, &c).is_err(),
        "a blank name is refused"
    );
    c.by = "x".repeat(10_000);
    assert!(store.change_alert(id, &c).is_err());
    c.by = "dana".into();
    c.note = Some("n".repeat(10_000));
    assert!(store.change_alert(id, &c).is_err());
    assert_eq!(store.alert(id).unwrap().unwrap().state, AlertState::Open);
}
