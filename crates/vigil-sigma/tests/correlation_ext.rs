//! vigil's correlation extensions through the public API: parsing and its errors, the
//! correlator's routing, list fields, learned internal domains, labels, chaining into a Sigma
//! correlation, and the list `vigil rules check` prints.

mod common;
use common::*;
use vigil_model::{Detection, Event, FieldValue};
use vigil_sigma::{Correlator, Engine, extensions, parse_rules_str};

const BASE: &str = "title: Login
id: login
name: login
logsource:
    product: test
detection:
    sel:
        EventID: 1
    condition: sel
---
title: Failure
id: failure
name: failure
logsource:
    product: test
detection:
    sel:
        EventID: 2
    condition: sel
---
title: Outbound message
id: outbound
name: outbound
logsource:
    product: test
detection:
    sel:
        EventID: 3
    condition: sel
";

const DAY: i64 = 86_400;

fn engine(corr: &str) -> Engine {
    engine_with(corr, BASE)
}

fn ev(id: i64, secs: i64, fields: &[(&str, FieldValue)]) -> Event {
    let mut all = vec![("EventID", FieldValue::Int(id))];
    all.extend(fields.iter().cloned());
    at(event(("test", "", ""), &all), secs, secs as u64)
}

fn run(eng: &Engine, events: &[Event]) -> Vec<Detection> {
    let mut c = Correlator::new(eng);
    let mut out = Vec::new();
    for e in events {
        let mut all = Vec::new();
        eng.all_matches(e, &mut all);
        c.feed(e, &all, &mut out);
    }
    c.finish(&mut out);
    out
}

fn get<'a>(d: &'a Detection, k: &str) -> Option<&'a str> {
    d.matched
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
}

const NEW_NET: &str = "title: New network for account
id: newnet
name: new_network
correlation:
    type: vigil_new_value
    rules: [login]
    group-by: [User]
    timespan: 30d
    condition:
        field: Net
    new_value:
        learning: 5d
        min_events: 2
level: low";

#[test]
fn new_value_reports_a_new_network_once_the_account_has_history() {
    let eng = engine(NEW_NET);
    let login = |secs, user: &str, net: &str| ev(1, secs, &[("User", s(user)), ("Net", s(net))]);
    let mut evs = Vec::new();
    for d in 0..7 {
        evs.push(login(d * DAY, "alice", "192.0.2.0/24"));
    }
    // A new account's first networks are learned, not reported.
    evs.push(login(6 * DAY, "bob", "198.51.100.0/24"));
    evs.push(login(8 * DAY, "alice", "203.0.113.0/24"));
    evs.push(login(8 * DAY + 60, "alice", "203.0.113.0/24"));
    let out = run(&eng, &evs);
    assert_eq!(out.len(), 1, "{out:?}");
    let d = &out[0];
    assert_eq!(d.rule_id, "newnet");
    assert_eq!(get(d, "User"), Some("alice"));
    assert_eq!(get(d, "Net"), Some("203.0.113.0/24"));
    assert_eq!(get(d, "vigil_new_value"), Some("1"));
    assert_eq!(get(d, "known_values"), Some("1"));
    assert_eq!(get(d, "history_events"), Some("7"));
    assert_eq!(d.first_seen, d.timestamp);
    assert_eq!(d.sources.len(), 1);
}

/// A new-value detection chained into a Sigma temporal correlation: the chained event carries
/// the tracked field, so the parent can group by it.
#[test]
fn new_value_chains_into_a_sigma_correlation_with_its_field() {
    let corr = format!(
        "{NEW_NET}
---
title: Failures from a network
id: netfail
name: network_failures
correlation:
    type: value_count
    rules: [failure]
    group-by: [Net]
    timespan: 6h
    condition:
        field: User
        gte: 3
---
title: New network for an account, after that network failed for others
id: takeover
correlation:
    type: temporal
    rules: [network_failures, new_network]
    group-by: [Net]
    timespan: 1d
level: high"
    );
    let eng = engine(&corr);
    let mut evs = Vec::new();
    for d in 0..7 {
        evs.push(ev(
            1,
            d * DAY,
            &[("User", s("alice")), ("Net", s("192.0.2.0/24"))],
        ));
    }
    for (i, u) in ["bob", "carol", "dave", "alice"].iter().enumerate() {
        evs.push(ev(
            2,
            8 * DAY + i as i64 * 600,
            &[("User", s(u)), ("Net", s("203.0.113.0/24"))],
        ));
    }
    evs.push(ev(
        1,
        8 * DAY + 3600,
        &[("User", s("alice")), ("Net", s("203.0.113.0/24"))],
    ));
    let out = run(&eng, &evs);
    let ids: Vec<&str> = out.iter().map(|d| d.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["takeover"], "{out:?}");
    assert_eq!(get(&out[0], "Net"), Some("203.0.113.0/24"));
}

const VOLUME: &str = "title: External recipients per sender
id: volume
correlation:
    type: vigil_baseline
    rules: [outbound]
    group-by: [Sender]
    timespan: 24h
    condition:
        field: Recipients
        gte: 40
    baseline:
        factor: 3
        minimum: 15
        history: 14
        internal_domains: [partner.example]
        internal_domains_from: Sender
        event_key: MsgId
        labels: {events: message_count, values: recipient_count}
level: high";

fn message(secs: i64, sender: &str, rcpts: &[&str]) -> Event {
    ev(
        3,
        secs,
        &[
            ("MsgId", s(&format!("<{secs}@clinic.example>"))),
            ("Sender", s(sender)),
            (
                "Recipients",
                FieldValue::List(rcpts.iter().map(|r| s(r)).collect()),
            ),
        ],
    )
}

#[test]
fn baseline_counts_list_values_against_the_senders_history() {
    let eng = engine(VOLUME);
    let me = "reception@clinic.example";
    let mut evs = Vec::new();
    // Ten ordinary days: three correspondents, colleagues and a partner organisation.
    for d in 0..10 {
        evs.push(message(
            d * DAY + 3600,
            me,
            &[
                "a@example.net",
                "b@example.net",
                "c@example.org",
                "boss@clinic.example",
                "x@partner.example",
            ],
        ));
    }
    // Then 20 messages of 3 recipients each, to people never written to; each message is
    // logged twice (as a message going through two transport hops would be).
    for i in 0..20 {
        let r: Vec<String> = (0..3).map(|k| format!("p{i}_{k}@example.com")).collect();
        let r: Vec<&str> = r.iter().map(String::as_str).collect();
        evs.push(message(11 * DAY + i * 300, me, &r));
        evs.push(message(11 * DAY + i * 300, me, &r));
    }
    let out = run(&eng, &evs);
    assert!(!out.is_empty(), "campaign missed");
    let first = &out[0];
    assert_eq!(get(first, "Sender"), Some(me));
    assert_eq!(
        get(first, "baseline"),
        Some("3"),
        "internal recipients not counted"
    );
    assert_eq!(get(first, "threshold"), Some("15"));
    let total = |k: &str| -> u64 {
        out.iter()
            .map(|d| get(d, k).unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(total("message_count"), 20);
    assert_eq!(total("recipient_count"), 60);
    assert!(first.first_seen <= first.timestamp);
    assert!(get(first, "first_time").is_some() && get(first, "last_time").is_some());
}

#[test]
fn baseline_in_event_mode_and_without_history() {
    let corr = "title: Failures per account
id: failvol
correlation:
    type: vigil_baseline
    rules: [failure]
    group-by: [User]
    timespan: 1h
    condition:
        gte: 5
level: medium";
    let eng = engine(corr);
    let evs: Vec<Event> = (0..5)
        .map(|i| ev(2, i * 60, &[("User", s("bob"))]))
        .collect();
    let out = run(&eng, &evs);
    assert_eq!(out.len(), 1);
    assert_eq!(get(&out[0], "vigil_baseline"), Some("5"));
    assert_eq!(get(&out[0], "event_count"), Some("5"));
    assert_eq!(get(&out[0], "baseline"), Some("none"));
    let out = run(&eng, &evs[..4]);
    assert!(out.is_empty());
}

const SPRAYED: &str = "title: Failures from one network
id: sprayblock
name: spray_block
correlation:
    type: value_count
    rules: [failure]
    group-by: [Net]
    timespan: 6h
    condition:
        field: User
        gte: 3
level: medium
---
title: Login from a network that sprayed
id: sprayed
name: sprayed_login
correlation:
    type: vigil_marked
    rules: [spray_block, login]
    group-by: [Net]
    timespan: 90d
    condition:
        field: User
    marked:
        quiet: 1d
level: high";

#[test]
fn marked_reports_each_return_of_an_attacking_network_as_a_wave() {
    let eng = engine(SPRAYED);
    let net = "203.0.113.0/24";
    let fail = |secs, user: &str| ev(2, secs, &[("User", s(user)), ("Net", s(net))]);
    let login = |secs, user: &str, n: &str| ev(1, secs, &[("User", s(user)), ("Net", s(n))]);
    let mut evs = vec![login(0, "ann", net)];
    for (i, u) in ["ann", "bob", "cid", "dee"].iter().enumerate() {
        evs.push(fail(3600 + i as i64 * 60, u));
    }
    // Three waves of the attacker (a month apart), each of several logins; a login from elsewhere.
    for day in [0, 33, 64] {
        for h in 0..4 {
            evs.push(login(day * DAY + 2 * 3600 + h * 600, "bob", net));
        }
    }
    evs.push(login(5 * DAY, "bob", "192.0.2.0/24"));
    let base = evs[0].timestamp.map_or(0, |t| t.as_second());
    evs.sort_by_key(|e| e.timestamp);
    let out: Vec<_> = run(&eng, &evs)
        .into_iter()
        .filter(|d| d.rule_id == "sprayed")
        .collect();
    assert_eq!(out.len(), 3, "{out:?}");
    for (i, d) in out.iter().enumerate() {
        assert_eq!(get(d, "User"), Some("bob"));
        assert_eq!(get(d, "Net"), Some(net));
        assert_eq!(get(d, "wave"), Some((i + 1).to_string().as_str()));
    }
    // The first wave starts at the spray's crossing; later waves at their own first login.
    let secs = |d: &Detection| d.first_seen.map(|t| t.as_second() - base);
    assert_eq!(secs(&out[0]), Some(3600 + 2 * 60));
    assert_eq!(secs(&out[1]), Some(33 * DAY + 2 * 3600));
    assert_eq!(secs(&out[2]), Some(64 * DAY + 2 * 3600));
    assert!(out[0].sources.len() >= 2, "the mark's evidence is cited");
}

fn error_of(corr: &str) -> String {
    let text = format!("{corr}\n---\n{BASE}");
    let (_, errs) = parse_rules_str(&text, "c.yml");
    assert!(!errs.is_empty(), "expected an error for {corr}");
    errs[0].to_string()
}

#[test]
fn extension_parameters_are_checked() {
    let head = "title: X\nid: x\ncorrelation:\n    rules: [login]\n    group-by: [User]\n    timespan: 1d\n";
    let cases = [
        ("    type: vigil_new_value\n", "needs 'field'"),
        (
            "    type: vigil_new_value\n    condition: {field: Net, gte: 3}\n",
            "no threshold",
        ),
        (
            "    type: vigil_new_value\n    condition: {field: Net}\n    new_value: {learnig: 2d}\n",
            "unknown parameter 'learnig'",
        ),
        (
            "    type: vigil_new_value\n    condition: {field: Net}\n    new_value: {learning: soon}\n",
            "not a duration",
        ),
        ("    type: vigil_baseline\n", "needs a lower bound"),
        (
            "    type: vigil_baseline\n    condition: {lt: 3}\n",
            "needs a lower bound",
        ),
        (
            "    type: vigil_baseline\n    condition: {gte: 3}\n    baseline: {factor: 0.5}\n",
            "factor below 1",
        ),
        (
            "    type: vigil_baseline\n    condition: {gte: 3}\n    baseline: {history: 0}\n",
            "whole number",
        ),
        (
            "    type: vigil_baseline\n    condition: {gte: 3}\n    baseline: {labels: {messages: n}}\n",
            "'events' or 'values'",
        ),
        (
            "    type: vigil_baseline\n    condition: {gte: 3}\n    baseline: {new_origins_gte: 2}\n",
            "needs 'origin'",
        ),
        ("    type: vigil_marked\n", "two rules or more"),
    ];
    for (body, want) in cases {
        let e = error_of(&format!("{head}{body}"));
        assert!(e.contains(want), "{body}: {e}");
    }
    let two = head.replace("[login]", "[failure, login]");
    for (body, want) in [
        (
            "    type: vigil_marked\n    condition: {gte: 2}\n",
            "no threshold",
        ),
        (
            "    type: vigil_marked\n    marked: {quiet: later}\n",
            "not a duration",
        ),
    ] {
        let e = error_of(&format!("{two}{body}"));
        assert!(e.contains(want), "{body}: {e}");
    }
}

#[test]
fn rules_using_extensions_are_listed() {
    let (set, errs) = parse_rules_str(&format!("{NEW_NET}\n---\n{VOLUME}\n---\n{BASE}"), "c.yml");
    assert!(errs.is_empty(), "{errs:?}");
    let used = extensions::used_in(&set);
    assert_eq!(
        used,
        vec![
            (
                "newnet".to_string(),
                "New network for account".to_string(),
                "vigil_new_value"
            ),
            (
                "volume".to_string(),
                "External recipients per sender".to_string(),
                "vigil_baseline"
            ),
        ]
    );
}

/// `origin` and `without_history_level` through the correlator: a newsletter with no history
/// is reported at the lowered level; a campaign from a network the sender never used, against
/// its history, at the rule's level and counted without the owner's own messages.
#[test]
fn baseline_levels_and_origins_through_the_correlator() {
    let corr = VOLUME.replace(
        "        event_key: MsgId\n",
        "        event_key: MsgId\n        origin: Net\n        without_history_level: medium\n",
    );
    let eng = engine(&corr);
    let msg = |secs: i64, sender: &str, rcpt: &str, net: &str| {
        let mut e = message(secs, sender, &[rcpt]);
        e.fields.insert("Net".into(), s(net));
        e
    };
    let mut evs = Vec::new();
    for i in 0..50 {
        evs.push(msg(
            i * 10,
            "news@clinic.example",
            &format!("reader{i}@example.org"),
            "192.0.2.0/24",
        ));
    }
    for d in 1..12 {
        for k in 0..2 {
            evs.push(msg(
                d * DAY + k * 3600,
                "me@clinic.example",
                &format!("friend{k}@example.net"),
                "192.0.2.0/24",
            ));
        }
    }
    for i in 0..30 {
        evs.push(msg(
            12 * DAY + i * 600,
            "me@clinic.example",
            &format!("patient{i}@example.com"),
            "203.0.113.0/24",
        ));
        if i % 10 == 0 {
            evs.push(msg(
                12 * DAY + i * 600 + 1,
                "me@clinic.example",
                "friend0@example.net",
                "192.0.2.0/24",
            ));
        }
    }
    evs.sort_by_key(|e| e.timestamp);
    let out = run(&eng, &evs);
    let news: Vec<&Detection> = out
        .iter()
        .filter(|d| get(d, "Sender") == Some("news@clinic.example"))
        .collect();
    assert!(!news.is_empty());
    assert!(news.iter().all(|d| d.level == vigil_model::Level::Medium));
    let mine: Vec<&Detection> = out
        .iter()
        .filter(|d| get(d, "Sender") == Some("me@clinic.example"))
        .collect();
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|d| d.level == vigil_model::Level::High));
    let total = |k: &str| -> u64 {
        mine.iter()
            .filter_map(|d| get(d, k)?.parse::<u64>().ok())
            .sum()
    };
    assert_eq!(total("message_count"), 30);
    assert_eq!(total("recipient_count"), 30);
    assert_eq!(get(mine[0], "campaign_Net"), Some("203.0.113.0/24"));
}
