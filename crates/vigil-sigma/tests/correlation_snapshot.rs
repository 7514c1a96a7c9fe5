//! Correlation state that survives a restart: a stream cut anywhere, snapshotted and restored
//! into a new correlator, gives exactly the detections of the uninterrupted stream, for every
//! correlation type; damaged, hostile or foreign snapshots are refused.

mod common;
use common::*;
use sha2::{Digest, Sha256};
use vigil_model::{Detection, Event, FieldValue, Timestamp};
use vigil_sigma::{Correlator, Engine, SnapshotError};

const BASE: &str = LOGIN_RULES;

/// Every Sigma correlation type, decided on arrival and on close, and one chained.
const SIGMA: &str = "title: Brute force
id: brute
correlation:
    type: event_count
    rules: [failed]
    group-by: [User]
    timespan: 15m
    condition:
        gte: 3
---
title: Quiet account
id: quiet
correlation:
    type: event_count
    rules: [success]
    group-by: [User]
    timespan: 10m
    condition:
        lt: 2
---
title: Spray
id: spray
correlation:
    type: value_count
    rules: [failed]
    group-by: [Src]
    timespan: 30m
    condition:
        field: User
        gt: 2
---
title: Both
id: both
correlation:
    type: temporal
    rules: [failed_login, successful_login]
    group-by: [User]
    timespan: 10m
---
title: Then
id: then
correlation:
    type: temporal_ordered
    rules: [failed_login, successful_login]
    group-by: [User]
    timespan: 10m
---
title: Volume
id: volume
correlation:
    type: value_sum
    rules: [success]
    group-by: [User]
    timespan: 1h
    condition:
        field: Bytes
        gt: 500
---
title: Brute then success
id: brute_then_success
correlation:
    type: temporal_ordered
    rules: [brute, success]
    group-by: [User]
    timespan: 30m
    generate: true";

const EXT: &str = "title: New network
id: newnet
correlation:
    type: vigil_new_value
    rules: [success]
    group-by: [User]
    timespan: 30d
    condition:
        field: Src
    new_value:
        learning: 1h
        min_events: 2
---
title: Failures per account
id: failvol
correlation:
    type: vigil_baseline
    rules: [failed]
    group-by: [User]
    timespan: 1h
    condition:
        field: Src
        gte: 3
    baseline:
        minimum: 2
        history: 5";

fn login(id: i64, user: &str, src: &str, secs: i64, line: u64) -> Event {
    at(
        event(
            ("test", "", ""),
            &[
                ("EventID", FieldValue::Int(id)),
                ("User", s(user)),
                ("Src", s(src)),
                ("Bytes", FieldValue::Int(secs % 400)),
            ],
        ),
        secs,
        line,
    )
}

/// A few hours of logins of four accounts from a handful of addresses: bursts of failures,
/// successes, quiet stretches longer than every window.
fn stream() -> Vec<Event> {
    let users = ["alice", "bob", "carol", "dave"];
    let mut evs = Vec::new();
    let mut secs = 0;
    for i in 0..160u64 {
        let u = users[(i % 4) as usize];
        let src = format!("198.51.100.{}", (i * 7) % 5);
        let id = if i % 5 == 3 || i % 11 == 0 {
            4624
        } else {
            4625
        };
        // Mostly seconds apart, now and then a pause longer than the windows.
        secs += if i % 37 == 36 {
            4000
        } else {
            20 + (i as i64 % 3) * 40
        };
        evs.push(login(id, u, &src, secs, i + 1));
    }
    evs
}

fn feed(eng: &Engine, c: &mut Correlator, evs: &[Event], out: &mut Vec<Detection>) {
    for ev in evs {
        let mut all = Vec::new();
        eng.all_matches(ev, &mut all);
        c.feed(ev, &all, out);
    }
}

/// Detections of the whole stream, then of the stream cut after each event: snapshot, restore
/// into a new correlator, feed the rest. Each cut must give the same detections in the same order.
fn check_every_cut(eng: &Engine, evs: &[Event]) -> usize {
    let mut whole = Vec::new();
    let mut c = Correlator::new(eng);
    feed(eng, &mut c, evs, &mut whole);
    c.finish(&mut whole);
    for cut in 0..=evs.len() {
        let mut out = Vec::new();
        let mut first = Correlator::new(eng);
        feed(eng, &mut first, &evs[..cut], &mut out);
        let bytes = first.snapshot().unwrap();
        drop(first);
        let mut second = Correlator::restore(eng, &bytes).unwrap();
        feed(eng, &mut second, &evs[cut..], &mut out);
        second.finish(&mut out);
        assert_eq!(out, whole, "cut after {cut} events");
    }
    whole.len()
}

#[test]
fn sigma_types_resume_after_a_restore_as_if_never_stopped() {
    let eng = engine_with(SIGMA, BASE);
    let found = check_every_cut(&eng, &stream());
    // The stream must exercise the correlations, or the comparison proves nothing.
    let mut c = Correlator::new(&eng);
    let mut out = Vec::new();
    feed(&eng, &mut c, &stream(), &mut out);
    c.finish(&mut out);
    for id in [
        "brute",
        "quiet",
        "spray",
        "both",
        "then",
        "volume",
        "brute_then_success",
    ] {
        assert!(out.iter().any(|d| d.rule_id == id), "{id} never fired");
    }
    assert!(found > 20, "{found}");
}

#[test]
fn half_a_threshold_before_the_restart_and_half_after_fires_once() {
    let eng = engine_with(SIGMA, BASE);
    let evs: Vec<Event> = (0..4)
        .map(|i| login(4625, "erin", "203.0.113.9", i * 30, i as u64 + 1))
        .collect();
    let mut c = Correlator::new(&eng);
    let mut out = Vec::new();
    feed(&eng, &mut c, &evs[..2], &mut out);
    assert!(out.is_empty());
    let mut c = Correlator::restore(&eng, &c.snapshot().unwrap()).unwrap();
    feed(&eng, &mut c, &evs[2..], &mut out);
    let brute: Vec<&Detection> = out.iter().filter(|d| d.rule_id == "brute").collect();
    assert_eq!(brute.len(), 1, "{out:?}");
    assert_eq!(brute[0].sources.len(), 3);
    assert_eq!(brute[0].first_seen, evs[0].timestamp);
}

#[test]
fn extension_types_resume_after_a_restore_as_if_never_stopped() {
    let eng = engine_with(EXT, BASE);
    check_every_cut(&eng, &stream());
    let mut c = Correlator::new(&eng);
    let mut out = Vec::new();
    feed(&eng, &mut c, &stream(), &mut out);
    c.finish(&mut out);
    for id in ["newnet", "failvol"] {
        assert!(out.iter().any(|d| d.rule_id == id), "{id} never fired");
    }
}

#[test]
fn windows_that_expired_while_stopped_are_closed_by_time() {
    let eng = engine_with(SIGMA, BASE);
    let mut c = Correlator::new(&eng);
    let mut out = Vec::new();
    // One success: "quiet" (fewer than 2 in 10 minutes) is decided when its window closes.
    feed(&eng, &mut c, &[login(4624, "frank", "a", 0, 1)], &mut out);
    let mut c = Correlator::restore(&eng, &c.snapshot().unwrap()).unwrap();
    assert!(out.iter().all(|d| d.rule_id != "quiet"));
    // Time passes without events: the window closes.
    let later = Timestamp::from_second(1_628_000_000 + 3600).unwrap();
    c.expire(later, &mut out);
    assert_eq!(out.iter().filter(|d| d.rule_id == "quiet").count(), 1);
    // Nothing is left open: the end of the stream adds nothing.
    let n = out.len();
    c.finish(&mut out);
    assert_eq!(out.len(), n);
}

#[test]
fn a_snapshot_of_other_correlation_rules_is_refused() {
    let eng = engine_with(SIGMA, BASE);
    let mut c = Correlator::new(&eng);
    feed(&eng, &mut c, &stream()[..10], &mut Vec::new());
    let bytes = c.snapshot().unwrap();
    let other = engine_with(&SIGMA.replace("gte: 3", "gte: 4"), BASE);
    assert_eq!(
        Correlator::restore(&other, &bytes).unwrap_err(),
        SnapshotError::OtherRules
    );
    let ext = engine_with(EXT, BASE);
    assert_eq!(
        Correlator::restore(&ext, &bytes).unwrap_err(),
        SnapshotError::OtherRules
    );
    // The same rules from another file (origin) are the same rules.
    let text = format!("{SIGMA}\n---\n{BASE}");
    let (set, errs) = vigil_sigma::parse_rules_str(&text, "elsewhere/c.yml");
    assert!(errs.is_empty());
    let (moved, _) = Engine::compile(&set, &vigil_sigma::Mappings::new());
    assert!(Correlator::restore(&moved, &bytes).is_ok());
}

#[test]
fn damaged_snapshots_are_refused_with_a_reason() {
    let eng = engine_with(SIGMA, BASE);
    let mut c = Correlator::new(&eng);
    feed(&eng, &mut c, &stream()[..40], &mut Vec::new());
    let good = c.snapshot().unwrap();
    let refuse = |b: &[u8]| Correlator::restore(&eng, b).unwrap_err();
    assert_eq!(refuse(&[]), SnapshotError::NotASnapshot);
    assert_eq!(refuse(b"{\"json\": true}"), SnapshotError::NotASnapshot);
    let mut v = good.clone();
    v[16] = 9;
    assert!(matches!(refuse(&v), SnapshotError::Format { found: 9, .. }));
    for cut in [17, 30, 60, 90, good.len() - 1] {
        assert!(
            matches!(refuse(&good[..cut]), SnapshotError::Corrupt(_)),
            "cut at {cut}"
        );
    }
    let mut v = good.clone();
    let last = v.len() - 1;
    v[last] ^= 0x40;
    assert_eq!(
        refuse(&v),
        SnapshotError::Corrupt("checksum mismatch".into())
    );
    let mut v = good.clone();
    v.push(0);
    assert!(matches!(refuse(&v), SnapshotError::Corrupt(_)));
    assert!(
        refuse(&good[..good.len() - 1])
            .to_string()
            .starts_with("the saved correlation state is damaged: ")
    );
}

/// A hostile snapshot carries a valid checksum over a forged body: whatever the body, restoring
/// must refuse it or give a correlator that goes on without a panic.
#[test]
fn forged_snapshot_bodies_never_panic() {
    let eng = engine_with(SIGMA, BASE);
    let mut c = Correlator::new(&eng);
    let evs = stream();
    feed(&eng, &mut c, &evs[..60], &mut Vec::new());
    let good = c.snapshot().unwrap();
    let header = 16 + 4 + 32;
    let body_at = header + 8 + 32;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut restored = 0;
    for round in 0..2000 {
        let mut body = good[body_at..].to_vec();
        match round % 3 {
            0 => {
                let i = next() as usize % body.len();
                body[i] = next() as u8;
            }
            1 => {
                let i = next() as usize % body.len();
                body[i] = 0xff;
                body.truncate(body.len().min(i + 1 + (next() as usize % 8)));
            }
            _ => {
                let i = next() as usize % body.len();
                body.insert(i, (next() % 4) as u8);
            }
        }
        let mut forged = good[..header].to_vec();
        forged.extend_from_slice(&(body.len() as u64).to_le_bytes());
        forged.extend_from_slice(&Sha256::digest(&body));
        forged.extend_from_slice(&body);
        if let Ok(mut c) = Correlator::restore(&eng, &forged) {
            restored += 1;
            let mut out = Vec::new();
            feed(&eng, &mut c, &evs[60..], &mut out);
            c.finish(&mut out);
        }
    }
    // Some forgeries only change a value (a count, a user name): those are valid states.
    assert!(restored < 2000);
}
