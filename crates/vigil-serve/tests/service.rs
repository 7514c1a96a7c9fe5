//! The runtime over a real SQLite store, fed through the channel seam.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use vigil_model::{
    Checkpoint, Event, FieldValue, FileIdentity, LogSource, Position, RecordRef, SourceRef,
};
use vigil_serve::{
    ChannelSource, Detector, ServeError, Service, ServiceOptions, Source, SourceBatch,
};
use vigil_sigma::{Engine, Mappings, parse_rules_str};
use vigil_store::prelude::*;
use vigil_store::{CheckpointStore, SqliteStore};

const RULES: &str = "title: Failed login
id: failed
name: failed_login
logsource:
    product: test
detection:
    sel:
        EventID: 4625
    condition: sel
level: low
---
title: Brute force
id: bf
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [User]
    timespan: 60s
    condition:
        gte: 3
level: high
";

fn detector() -> Detector {
    let (set, errors) = parse_rules_str(RULES, "rules.yml");
    assert!(errors.is_empty(), "{errors:?}");
    let (engine, errors) = Engine::compile(&set, &Mappings::default());
    assert!(errors.is_empty(), "{errors:?}");
    Detector::new(engine)
}

fn failed(line: u64, secs: i64) -> Event {
    let mut fields = BTreeMap::new();
    fields.insert("EventID".to_string(), FieldValue::Int(4625));
    fields.insert("User".to_string(), FieldValue::Str("bob".into()));
    Event {
        timestamp: Some(jiff::Timestamp::from_second(1_700_000_000 + secs).unwrap()),
        host: Some("mx1".into()),
        logsource: LogSource::new(Some("test"), None, None),
        source: SourceRef {
            file: "/var/log/auth.log".into(),
            record: RecordRef::Line(line),
            generation: None,
        },
        fields,
        raw: None,
    }
}

fn checkpoint(line: u64) -> Checkpoint {
    Checkpoint {
        watch: "auth".into(),
        key: "k".into(),
        path: "/var/log/auth.log".into(),
        identity: FileIdentity {
            device: 1,
            inode: 2,
            fingerprint: "ab".repeat(32),
            fingerprint_len: 64,
        },
        position: Position::Text {
            offset: line * 100,
            line,
        },
        gzip: false,
        done: false,
    }
}

fn batch(lines: std::ops::RangeInclusive<u64>) -> SourceBatch {
    let last = *lines.end();
    SourceBatch {
        events: lines.map(|l| failed(l, l as i64 * 5)).collect(),
        checkpoints: vec![checkpoint(last)],
    }
}

fn service(store: SqliteStore, rx: mpsc::Receiver<SourceBatch>) -> Service<SqliteStore> {
    let sources: Vec<Box<dyn Source>> = vec![Box::new(ChannelSource::new("auth", rx))];
    Service::new(store, detector(), sources, ServiceOptions::default()).unwrap()
}

/// Detections and the checkpoint after them land together; records read again after a restart
/// (the last commit's checkpoint is where reading resumes) are not stored twice.
#[test]
fn detections_are_committed_with_their_checkpoints_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let (tx, rx) = mpsc::channel();
    let mut svc = service(SqliteStore::open(&db).unwrap(), rx);
    tx.send(batch(1..=3)).unwrap();
    svc.poll_once().unwrap();
    let stats = svc.stats();
    assert_eq!(stats.events, 3);
    // The correlation over the three failures; its building block is not reported on its own.
    assert_eq!(stats.detections_new, 1, "{stats:?}");
    let store = svc.store();
    let ids: Vec<String> = store
        .detections()
        .unwrap()
        .into_iter()
        .map(|d| d.detection.rule_id)
        .collect();
    assert!(ids.iter().any(|r| r == "bf"), "{ids:?}");
    let cps = store.checkpoints(Some("auth")).unwrap();
    assert_eq!(cps.len(), 1);
    assert_eq!(
        cps[0].position,
        Position::Text {
            offset: 300,
            line: 3
        }
    );
    drop(svc);

    // A restart that reads the same records again (a crash before their checkpoint was
    // committed, seen from the store) stores nothing twice.
    let (tx, rx) = mpsc::channel();
    let mut svc = service(SqliteStore::open(&db).unwrap(), rx);
    tx.send(batch(1..=3)).unwrap();
    svc.poll_once().unwrap();
    let stats = svc.stats();
    assert_eq!(
        (stats.detections_new, stats.detections_known),
        (0, 1),
        "{stats:?}"
    );
    assert_eq!(svc.store().detections().unwrap().len(), 1);
    // The sources' learnt pace is saved with the first commit, and resumes.
    let pace = svc
        .store()
        .ingest_state(vigil_serve::CADENCE_STATE)
        .unwrap()
        .expect("the pace is saved");
    assert!(pace.contains("\"auth\""), "{pace}");
    let (_, refused) = vigil_serve::cadence::Cadence::resume(
        vigil_serve::cadence::CadenceOptions::default(),
        Some(&pace),
    );
    assert_eq!(refused, None);
}

#[test]
fn a_service_that_watches_nothing_is_refused() {
    let store = SqliteStore::open_in_memory().unwrap();
    let err = Service::new(store, detector(), Vec::new(), ServiceOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, ServeError::NothingWatched));
    let (set, _) = parse_rules_str("", "none.yml");
    let (empty, _) = Engine::compile(&set, &Mappings::default());
    let (_tx, rx) = mpsc::channel();
    let sources: Vec<Box<dyn Source>> = vec![Box::new(ChannelSource::new("auth", rx))];
    let err = Service::new(
        SqliteStore::open_in_memory().unwrap(),
        Detector::new(empty),
        sources,
        ServiceOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, ServeError::NoRules));
}

/// `run` reports readiness after the first round and returns promptly once stopped.
#[test]
fn run_stops_when_asked() {
    let (tx, rx) = mpsc::channel();
    let mut svc = service(SqliteStore::open_in_memory().unwrap(), rx);
    tx.send(batch(1..=1)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = Arc::clone(&stop);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stopper.store(true, Ordering::SeqCst);
    });
    let mut ready = false;
    svc.run(&stop, || ready = true).unwrap();
    t.join().unwrap();
    assert!(ready);
    assert_eq!(svc.stats().events, 1);
    drop(tx);
}

/// A reader that can no longer deliver stops the service instead of looking like a quiet log.
#[test]
fn a_source_that_is_gone_stops_the_service() {
    let (tx, rx) = mpsc::channel();
    let mut svc = service(SqliteStore::open_in_memory().unwrap(), rx);
    drop(tx);
    let err = svc.poll_once().unwrap_err().to_string();
    assert!(err.contains("auth") && err.contains("gone"), "{err}");
}

/// The health snapshot counts what each source delivered, when, how late for correlation, and
/// what was stored; `run` writes it to the store as a heartbeat and marks the clean stop.
#[test]
fn health_follows_sources_and_is_written_as_heartbeat() {
    use vigil_model::Liveness;
    use vigil_store::HealthStore;
    let (tx, rx) = mpsc::channel();
    let mut svc = service(SqliteStore::open_in_memory().unwrap(), rx);
    let board = svc.health().clone();
    let before = board.snapshot();
    assert_eq!(before.sources.len(), 1);
    assert_eq!(
        (
            before.sources[0].name.as_str(),
            before.sources[0].kind.as_str()
        ),
        ("auth", "channel")
    );
    assert_eq!(before.last_poll, None);

    tx.send(batch(1..=3)).unwrap();
    svc.poll_once().unwrap();
    // Far behind the correlation window of the first three: late, not correlated.
    tx.send(SourceBatch {
        events: vec![failed(4, 5 * 3600), failed(5, 5)],
        checkpoints: vec![checkpoint(5)],
    })
    .unwrap();
    svc.poll_once().unwrap();
    board.count_alerts(2);
    let h = board.snapshot();
    let s = &h.sources[0];
    assert_eq!((h.events, s.events, s.events_per_min), (5, 5, 5));
    assert_eq!(h.detections_stored, 1);
    assert_eq!(h.alerts_raised, 2);
    assert_eq!((h.late_events, s.late_events), (1, 1));
    assert_eq!(
        s.last_event,
        Some(jiff::Timestamp::from_second(1_700_000_000 + 5 * 3600).unwrap())
    );
    assert!(s.last_arrival.is_some() && h.last_poll.is_some());
    assert!(s.lag_seconds.is_some_and(|l| l > 0), "{s:?}");

    // `run`: a heartbeat after the first round, and a last one saying it stopped.
    let stop = AtomicBool::new(true);
    svc.run(&stop, || {}).unwrap();
    let beat = svc.store().heartbeat().unwrap().unwrap();
    assert_eq!(beat.sources[0].events, 5);
    assert_eq!(beat.alerts_raised, 2);
    assert!(beat.stopped_at.is_some());
    assert_eq!(beat.liveness(jiff::Timestamp::now()), Liveness::Stopped);
    drop(tx);
}

/// A store that takes detections but refuses heartbeats (a full disk for the health table, say).
struct NoHeartbeat(SqliteStore);

impl CheckpointStore for NoHeartbeat {
    fn checkpoints(&self, watch: Option<&str>) -> Result<Vec<Checkpoint>, vigil_store::StoreError> {
        self.0.checkpoints(watch)
    }
    fn commit_ingest(
        &mut self,
        commit: &vigil_store::IngestCommit<'_>,
    ) -> Result<vigil_store::IngestCommitted, vigil_store::StoreError> {
        self.0.commit_ingest(commit)
    }
    fn ingest_state(&self, name: &str) -> Result<Option<String>, vigil_store::StoreError> {
        self.0.ingest_state(name)
    }
    fn recent_detections(
        &self,
        reach: jiff::SignedDuration,
        not_after: jiff::Timestamp,
        limit: usize,
    ) -> Result<Vec<vigil_model::Detection>, vigil_store::StoreError> {
        self.0.recent_detections(reach, not_after, limit)
    }
}

impl vigil_store::HealthStore for NoHeartbeat {
    fn save_heartbeat(
        &mut self,
        _: &vigil_model::HealthSnapshot,
    ) -> Result<(), vigil_store::StoreError> {
        Err(vigil_store::StoreError::InvalidValue {
            what: "heartbeat".into(),
            reason: "refused by the test".into(),
        })
    }
    fn heartbeat(&self) -> Result<Option<vigil_model::HealthSnapshot>, vigil_store::StoreError> {
        Ok(None)
    }
}

/// A heartbeat the store refuses is counted, and detection goes on.
#[test]
fn a_refused_heartbeat_is_counted_and_detection_goes_on() {
    let (tx, rx) = mpsc::channel();
    let sources: Vec<Box<dyn Source>> = vec![Box::new(ChannelSource::new("auth", rx))];
    let mut svc = Service::new(
        NoHeartbeat(SqliteStore::open_in_memory().unwrap()),
        detector(),
        sources,
        ServiceOptions::default(),
    )
    .unwrap();
    tx.send(batch(1..=3)).unwrap();
    let stop = AtomicBool::new(true);
    svc.run(&stop, || {}).unwrap();
    assert_eq!(svc.stats().detections_new, 1);
    // The first heartbeat and the last one.
    assert_eq!(svc.health().snapshot().heartbeat_errors, 2);
    drop(tx);
}
