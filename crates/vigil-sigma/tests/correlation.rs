//! Correlation rules: all seven types, windows, chaining, aliases, generate.

mod common;
use common::*;
use vigil_model::{Detection, Event, FieldValue};
use vigil_sigma::{Correlator, Engine, Mappings, parse_rules_str};

const BASE: &str = LOGIN_RULES;

fn engine(corr: &str) -> Engine {
    engine_with(corr, BASE)
}

fn login(id: i64, user: &str, src: &str, secs: i64, line: u64) -> Event {
    at(
        event(
            ("test", "", ""),
            &[
                ("EventID", FieldValue::Int(id)),
                ("User", s(user)),
                ("Src", s(src)),
                ("Bytes", FieldValue::Int(secs * 10)),
            ],
        ),
        secs,
        line,
    )
}

/// Runs events through engine + correlator; returns (reported base detections, correlation detections).
fn run(eng: &Engine, events: &[Event]) -> (Vec<Detection>, Vec<Detection>) {
    let mut c = Correlator::new(eng);
    let mut base_out = Vec::new();
    let mut corr_out = Vec::new();
    for ev in events {
        let mut all = Vec::new();
        eng.all_matches(ev, &mut all);
        eng.matches(ev, &mut base_out);
        c.feed(ev, &all, &mut corr_out);
    }
    c.finish(&mut corr_out);
    (base_out, corr_out)
}

#[test]
fn event_count_sliding_window() {
    let eng = engine(
        "title: Brute force\nid: bf\ncorrelation:\n    type: event_count\n    rules: [failed_login]\n    group-by: [User]\n    timespan: 60s\n    condition:\n        gte: 3\nlevel: high",
    );
    // Three failures within 60 s, straddling a minute boundary: fires once.
    let evs = [
        login(4625, "bob", "a", 50, 1),
        login(4625, "bob", "a", 70, 2),
        login(4625, "bob", "a", 100, 3),
    ];
    let (base, corr) = run(&eng, &evs);
    assert!(
        base.is_empty(),
        "building blocks are not reported without generate"
    );
    assert_eq!(corr.len(), 1);
    assert_eq!(corr[0].rule_id, "bf");
    assert_eq!(corr[0].sources.len(), 3);
    // Fired with the third event; the activity began with the first.
    assert_eq!(
        corr[0]
            .first_seen
            .map(|x| corr[0].timestamp.unwrap().as_second() - x.as_second()),
        Some(50)
    );
    assert!(corr[0].matched.contains(&("User".into(), "bob".into())));
    assert!(
        corr[0]
            .matched
            .contains(&("event_count".into(), "3".into()))
    );
    // Spread out over more than 60 s: nothing.
    let evs = [
        login(4625, "bob", "a", 0, 1),
        login(4625, "bob", "a", 50, 2),
        login(4625, "bob", "a", 120, 3),
    ];
    assert!(run(&eng, &evs).1.is_empty());
    // Different users do not add up.
    let evs = [
        login(4625, "bob", "a", 0, 1),
        login(4625, "amy", "a", 1, 2),
        login(4625, "bob", "a", 2, 3),
    ];
    assert!(run(&eng, &evs).1.is_empty());
}

#[test]
fn event_count_upper_bound_decided_when_window_closes() {
    let eng = engine(
        "title: Few\nid: few\ncorrelation:\n    type: event_count\n    rules: [failed]\n    group-by: [User]\n    timespan: 10m\n    condition:\n        lt: 3",
    );
    let evs = [
        login(4625, "bob", "a", 0, 1),
        login(4625, "bob", "a", 10, 2),
    ];
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1, "two events < 3 once the window closed");
    let evs = [
        login(4625, "bob", "a", 0, 1),
        login(4625, "bob", "a", 10, 2),
        login(4625, "bob", "a", 20, 3),
    ];
    assert!(run(&eng, &evs).1.is_empty());
    // Range: gt 1 and lte 2.
    let eng = engine(
        "title: Range\nid: rg\ncorrelation:\n    type: event_count\n    rules: [failed]\n    group-by: [User]\n    timespan: 10m\n    condition:\n        gt: 1\n        lte: 2",
    );
    let evs = [
        login(4625, "bob", "a", 0, 1),
        login(4625, "bob", "a", 10, 2),
        login(4625, "amy", "a", 20, 3),
    ];
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1);
    assert!(corr[0].matched.contains(&("User".into(), "bob".into())));
}

#[test]
fn value_count_distinct_values() {
    let eng = engine(
        "title: Spray\nid: spray\ncorrelation:\n    type: value_count\n    rules: [failed]\n    group-by: [Src]\n    timespan: 5m\n    condition:\n        field: User\n        gt: 2",
    );
    let evs = [
        login(4625, "a", "1.2.3.4", 0, 1),
        login(4625, "a", "1.2.3.4", 1, 2),
        login(4625, "b", "1.2.3.4", 2, 3),
        login(4625, "c", "1.2.3.4", 3, 4),
    ];
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1);
    assert!(
        corr[0]
            .matched
            .contains(&("value_count".into(), "3".into()))
    );
    assert!(run(&eng, &evs[..3]).1.is_empty());
}

#[test]
fn temporal_any_order_and_ordered() {
    let t = "title: Both\nid: both\ncorrelation:\n    type: temporal\n    rules: [failed_login, successful_login]\n    group-by: [User]\n    timespan: 10m";
    let eng = engine(t);
    let evs = [
        login(4624, "bob", "a", 0, 1),
        login(4625, "bob", "a", 60, 2),
    ];
    assert_eq!(run(&eng, &evs).1.len(), 1);
    let evs = [
        login(4624, "bob", "a", 0, 1),
        login(4625, "bob", "a", 700, 2),
    ];
    assert!(run(&eng, &evs).1.is_empty(), "outside the timespan");
    let o = "title: Then\nid: then\ncorrelation:\n    type: temporal_ordered\n    rules: [failed_login, successful_login]\n    group-by: [User]\n    timespan: 10m";
    let eng = engine(o);
    let evs = [
        login(4625, "bob", "a", 0, 1),
        login(4624, "bob", "a", 60, 2),
    ];
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1);
    assert_eq!(corr[0].sources.len(), 2);
    let evs = [
        login(4624, "bob", "a", 0, 1),
        login(4625, "bob", "a", 60, 2),
    ];
    assert!(run(&eng, &evs).1.is_empty(), "wrong order");
}

#[test]
fn value_sum_avg_percentile() {
    let eng = engine(
        "title: Exfil\nid: sum\ncorrelation:\n    type: value_sum\n    rules: [success]\n    group-by: [User]\n    timespan: 1h\n    condition:\n        field: Bytes\n        gt: 500",
    );
    // Bytes = secs * 10: 100 + 200 + 300 = 600 > 500.
    let evs = [
        login(4624, "bob", "a", 10, 1),
        login(4624, "bob", "a", 20, 2),
        login(4624, "bob", "a", 30, 3),
    ];
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1);
    assert!(
        corr[0]
            .matched
            .contains(&("value_sum".into(), "600".into()))
    );
    assert!(run(&eng, &evs[..2]).1.is_empty());

    let eng = engine(
        "title: Avg\nid: avg\ncorrelation:\n    type: value_avg\n    rules: [success]\n    group-by: [User]\n    timespan: 1h\n    condition:\n        field: Bytes\n        gte: 150",
    );
    let evs = [
        login(4624, "bob", "a", 10, 1),
        login(4624, "bob", "a", 20, 2),
    ];
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1, "avg(100, 200) = 150");
    assert!(run(&eng, &evs[..1]).1.is_empty());

    let eng = engine(
        "title: Rare\nid: rare\ncorrelation:\n    type: value_percentile\n    rules: [success]\n    group-by: [Src]\n    timespan: 1d\n    condition:\n        field: User\n        lte: 10",
    );
    let mut evs: Vec<Event> = (0..20)
        .map(|i| login(4624, "common", "h", i, i as u64))
        .collect();
    evs.push(login(4624, "rare", "h", 30, 99));
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1, "{corr:?}");
    assert!(
        corr[0]
            .matched
            .contains(&("value_percentile".into(), "4.762".into()))
    );
}

#[test]
fn chaining_and_generate() {
    // The specification's example: many failures followed by a success, by user.
    let text = "title: Brute force then success
id: chain
correlation:
    type: temporal_ordered
    rules:
        - many_failed
        - successful_login
    group-by:
        - User
    timespan: 10m
level: critical
---
title: Many failures
id: many
name: many_failed
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 3
";
    let eng = engine(text);
    let evs = [
        login(4625, "bob", "a", 0, 1),
        login(4625, "bob", "a", 10, 2),
        login(4625, "bob", "a", 20, 3),
        login(4624, "bob", "a", 30, 4),
    ];
    let (_, corr) = run(&eng, &evs);
    assert_eq!(corr.len(), 1, "{corr:?}");
    assert_eq!(corr[0].rule_id, "chain");
    assert_eq!(corr[0].level, vigil_model::Level::Critical);
    assert_eq!(corr[0].sources.len(), 4);
    // Success without the failures: nothing.
    assert!(run(&eng, &evs[2..]).1.is_empty());

    // generate: true keeps the building blocks' own detections.
    let eng = engine(
        "title: G\nid: g\ncorrelation:\n    type: event_count\n    generate: true\n    rules: [failed]\n    group-by: [User]\n    timespan: 1m\n    condition:\n        gte: 2",
    );
    let (base, _) = run(&eng, &[login(4625, "bob", "a", 0, 1)]);
    assert_eq!(base.len(), 1);
    assert!(eng.is_reported("failed"));
    // Reported, it carries its evidence (in `all_matches` too).
    let mut all = Vec::new();
    eng.all_matches(&login(4625, "bob", "a", 0, 1), &mut all);
    assert_eq!(
        all[0].matched,
        [("EventID".to_string(), "4625".to_string())]
    );
}

/// A building block's match feeds the correlations with its rule, time, host and source; the
/// evidence of a match that is never reported is not gathered.
#[test]
fn building_block_matches_carry_no_evidence() {
    let eng = engine(
        "title: BF\nid: bf\ncorrelation:\n    type: event_count\n    rules: [failed]\n    group-by: [User]\n    timespan: 60s\n    condition:\n        gte: 2",
    );
    assert!(!eng.is_reported("failed"));
    let ev = login(4625, "bob", "a", 0, 1);
    let mut all = Vec::new();
    eng.all_matches(&ev, &mut all);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].rule_id, "failed");
    assert_eq!(all[0].sources, std::slice::from_ref(&ev.source));
    assert_eq!(all[0].host, ev.host);
    assert!(all[0].matched.is_empty(), "{:?}", all[0].matched);
}

/// A correlation's metadata (its author, for the rule licence) is found by its id, its name or
/// the key its detections carry.
#[test]
fn correlation_metadata_by_id_name_and_key() {
    let eng = engine(
        "title: Brute force\nid: bf-id\nname: bf_name\nauthor: A. Author\ncorrelation:\n    type: event_count\n    rules: [failed]\n    group-by: [User]\n    timespan: 60s\n    condition:\n        gte: 2\n---\ntitle: Unnamed\nauthor: B. Author\ncorrelation:\n    type: event_count\n    rules: [failed]\n    timespan: 60s\n    condition:\n        gte: 5",
    );
    for key in ["bf-id", "bf_name"] {
        let meta = eng.rule_meta(key).map(|m| m.author.clone());
        assert_eq!(meta, Some(Some("A. Author".to_string())), "{key}");
    }
    let (_, corr) = run(
        &eng,
        &(1..=5)
            .map(|i| login(4625, "bob", "a", i, i as u64))
            .collect::<Vec<_>>(),
    );
    let unnamed = corr.iter().find(|d| d.rule_title == "Unnamed");
    let meta = unnamed.and_then(|d| eng.rule_meta(&d.rule_id));
    assert_eq!(meta.map(|m| m.title.as_str()), Some("Unnamed"));
    assert!(eng.rule_meta("nope").is_none());
}

#[test]
fn aliases_group_different_fields() {
    let text = "title: Lateral
id: lat
correlation:
    type: temporal
    rules: [failed_login, successful_login]
    group-by: [ip]
    timespan: 1m
    aliases:
        ip:
            failed_login: Src
            successful_login: User
";
    let eng = engine(text);
    let evs = [
        login(4625, "x", "10.0.0.1", 0, 1),
        login(4624, "10.0.0.1", "zzz", 5, 2),
    ];
    assert_eq!(run(&eng, &evs).1.len(), 1);
    let evs = [
        login(4625, "x", "10.0.0.1", 0, 1),
        login(4624, "10.0.0.2", "10.0.0.1", 5, 2),
    ];
    assert!(run(&eng, &evs).1.is_empty());
}

#[test]
fn out_of_order_and_untimed_events() {
    let eng = engine(
        "title: BF\nid: bf\ncorrelation:\n    type: event_count\n    rules: [failed]\n    group-by: [User]\n    timespan: 60s\n    condition:\n        gte: 3",
    );
    // Slightly out of order but within the window: still counted.
    let evs = [
        login(4625, "bob", "a", 30, 1),
        login(4625, "bob", "a", 10, 2),
        login(4625, "bob", "a", 40, 3),
    ];
    assert_eq!(run(&eng, &evs).1.len(), 1);
    // Too late: dropped and counted.
    let mut c = Correlator::new(&eng);
    let mut out = Vec::new();
    for ev in [
        login(4625, "bob", "a", 500, 1),
        login(4625, "bob", "a", 10, 2),
    ] {
        let mut all = Vec::new();
        eng.all_matches(&ev, &mut all);
        c.feed(&ev, &all, &mut out);
    }
    assert_eq!(c.late_events(), 1);
    let mut ev = login(4625, "bob", "a", 0, 1);
    ev.timestamp = None;
    let mut all = Vec::new();
    eng.all_matches(&ev, &mut all);
    c.feed(&ev, &all, &mut out);
    assert_eq!(c.untimed_events(), 1);
}

#[test]
fn correlation_errors() {
    let bad = [
        (
            "correlation:\n    type: nope\n    rules: [failed]\n    timespan: 1m",
            "unknown correlation type",
        ),
        (
            "correlation:\n    type: event_count\n    rules: [failed]\n    timespan: 1m",
            "needs a condition",
        ),
        (
            "correlation:\n    type: value_count\n    rules: [failed]\n    timespan: 1m\n    condition:\n        gt: 1",
            "needs 'field'",
        ),
        (
            "correlation:\n    type: event_count\n    rules: [failed]\n    timespan: 1y\n    condition:\n        gt: 1",
            "not a duration",
        ),
        (
            "correlation:\n    type: event_count\n    rules: [failed]\n    timespan: 1m\n    condition:\n        between: 1",
            "unknown condition operator",
        ),
    ];
    for (body, want) in bad {
        let (_, errs) = parse_rules_str(&format!("title: C\n{body}"), "c.yml");
        assert!(
            errs.iter().any(|e| e.to_string().contains(want)),
            "{body}: {errs:?}"
        );
    }
    let text = format!(
        "title: C\nid: c\ncorrelation:\n    type: temporal\n    rules: [failed, ghost]\n    group-by: [User]\n    timespan: 1m\n---\n{BASE}"
    );
    let (set, errs) = parse_rules_str(&text, "c.yml");
    assert!(errs.is_empty());
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(
        errs.iter()
            .any(|e| e.to_string().contains("unknown rule 'ghost'"))
    );
    assert_eq!(eng.correlation_count(), 0);
    // A cycle.
    let text = "title: A\nid: a\ncorrelation:\n    type: temporal\n    rules: [b]\n    group-by: [U]\n    timespan: 1m\n---\ntitle: B\nid: b\ncorrelation:\n    type: temporal\n    rules: [a]\n    group-by: [U]\n    timespan: 1m\n";
    let (set, _) = parse_rules_str(text, "c.yml");
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(
        errs.iter().any(|e| e.to_string().contains("cycle")),
        "{errs:?}"
    );
    assert_eq!(eng.correlation_count(), 0);
}
