//! Checkpoints of live reading, committed with their detections in one transaction.

use vigil_model::{Checkpoint, Detection, FileIdentity, Level, Position, RecordRef, SourceRef};
use vigil_store::prelude::*;
use vigil_store::{IngestCommit, SqliteStore, StoreError};

fn checkpoint(key: &str, offset: u64) -> Checkpoint {
    Checkpoint {
        watch: "/var/log/mail.log".into(),
        key: key.into(),
        path: "/var/log/mail.log".into(),
        identity: FileIdentity {
            device: 2049,
            inode: 131_077,
            fingerprint: "ab".repeat(32),
            fingerprint_len: 1024,
        },
        position: Position::Text { offset, line: 12 },
        gzip: false,
        done: false,
    }
}

fn detection(line: u64) -> Detection {
    Detection {
        rule_id: "r1".into(),
        rule_title: "SASL brute force".into(),
        level: Level::High,
        tags: Vec::new(),
        timestamp: None,
        first_seen: None,
        host: Some("mx1".into()),
        sources: vec![SourceRef {
            file: "/var/log/mail.log".into(),
            record: RecordRef::Line(line),
            generation: None,
        }],
        matched: Vec::new(),
    }
}

#[test]
fn detections_checkpoints_and_state_are_stored_together() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let mut store = SqliteStore::open(&db).unwrap();
    let evtx = Checkpoint {
        key: "evtx".into(),
        position: Position::Evtx {
            file_record: 8815,
            event_record: 90210,
        },
        ..checkpoint("evtx", 0)
    };
    let done = store
        .commit_ingest(&IngestCommit {
            detections: &[detection(3), detection(3), detection(7)],
            checkpoints: &[checkpoint("a", 4096), evtx.clone()],
            forget: &[],
            state: &[("correlations", Some("{\"windows\":[]}"))],
        })
        .unwrap();
    assert_eq!(done.detections_new, 2);
    assert_eq!(done.detections_known, 1);
    drop(store);

    // What a restart sees.
    let mut store = SqliteStore::open(&db).unwrap();
    assert_eq!(
        store.checkpoints(None).unwrap(),
        vec![checkpoint("a", 4096), evtx]
    );
    assert!(store.checkpoints(Some("other")).unwrap().is_empty());
    assert_eq!(store.detections().unwrap().len(), 2);
    assert_eq!(
        store.ingest_state("correlations").unwrap().as_deref(),
        Some("{\"windows\":[]}")
    );

    // A later commit moves the position, forgets a file and drops the state.
    store
        .commit_ingest(&IngestCommit {
            checkpoints: &[checkpoint("a", 8192)],
            forget: &[("/var/log/mail.log", "evtx")],
            state: &[("correlations", None)],
            ..IngestCommit::default()
        })
        .unwrap();
    assert_eq!(
        store.checkpoints(None).unwrap(),
        vec![checkpoint("a", 8192)]
    );
    assert_eq!(store.ingest_state("correlations").unwrap(), None);
}

#[test]
fn a_failed_commit_stores_nothing() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let too_far = checkpoint("b", u64::MAX);
    let err = store
        .commit_ingest(&IngestCommit {
            detections: &[detection(1)],
            checkpoints: &[checkpoint("a", 10), too_far],
            ..IngestCommit::default()
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidValue { .. }), "{err}");
    assert!(err.to_string().contains("too large"), "{err}");
    // Neither the detection nor the first checkpoint is there: no half-committed batch.
    assert!(store.detections().unwrap().is_empty());
    assert!(store.checkpoints(None).unwrap().is_empty());
}

/// What a restarted service regroups: detections within the reach of the newest one (not of the
/// clock, so replayed old logs work alike), ignoring forged future ones, the latest `limit`, in time
/// order, dismissed ones left out.
#[test]
fn recent_detections_are_measured_from_the_newest_one() {
    use jiff::{SignedDuration, Timestamp};
    let mut store = SqliteStore::open_in_memory().unwrap();
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let dated = |line: u64, t: &str| {
        let mut d = detection(line);
        d.timestamp = Some(at(t));
        d
    };
    let all = vec![
        dated(1, "2021-06-01T00:00:00Z"),
        dated(2, "2021-08-12T10:00:00Z"),
        dated(3, "2021-08-12T09:00:00Z"),
        dated(4, "2021-08-13T00:00:00Z"),
        dated(5, "2099-01-01T00:00:00Z"),
    ];
    store
        .commit_ingest(&IngestCommit {
            detections: &all,
            ..IngestCommit::default()
        })
        .unwrap();
    store
        .dismiss_detection(&all[3].rule_id, &all[3].sources[0], Some("planned export"))
        .unwrap();
    let lines = |v: Vec<Detection>| -> Vec<String> {
        v.iter().map(|d| d.sources[0].record.to_string()).collect()
    };
    let now = at("2026-12-04T00:00:00Z");
    let got = store
        .recent_detections(SignedDuration::from_hours(30 * 24), now, 100)
        .unwrap();
    assert_eq!(lines(got), ["line 3", "line 2"]);
    let got = store
        .recent_detections(SignedDuration::from_hours(30 * 24), now, 1)
        .unwrap();
    assert_eq!(lines(got), ["line 2"]);
}
