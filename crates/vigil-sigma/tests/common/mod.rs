#![allow(dead_code)]

use vigil_model::{Event, FieldValue, LogSource, RecordRef, SourceRef, Timestamp};
use vigil_sigma::{Engine, Mappings, parse_rules_str};

pub fn event(ls: (&str, &str, &str), fields: &[(&str, FieldValue)]) -> Event {
    let opt = |s: &str| {
        if s.is_empty() {
            None
        } else {
            Some(s.to_string())
        }
    };
    Event {
        timestamp: None,
        host: Some("host1".into()),
        logsource: LogSource {
            product: opt(ls.0),
            category: opt(ls.1),
            service: opt(ls.2),
        },
        source: SourceRef {
            file: "test.log".into(),
            record: RecordRef::Line(1),
            generation: None,
        },
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        raw: None,
    }
}

pub fn s(v: &str) -> FieldValue {
    FieldValue::Str(v.to_string())
}

pub fn at(mut ev: Event, secs: i64, line: u64) -> Event {
    ev.timestamp = Some(Timestamp::from_second(1_628_000_000 + secs).unwrap());
    ev.source.record = RecordRef::Line(line);
    ev
}

/// Compiles one detection section for a rule with logsource `product: test`.
pub fn engine_for(detection: &str) -> Engine {
    let text = format!(
        "title: T\nid: t1\nlogsource:\n    product: test\ndetection:\n{detection}\nlevel: high\n"
    );
    let (set, errs) = parse_rules_str(&text, "t.yml");
    assert!(errs.is_empty(), "{errs:?}");
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(errs.is_empty(), "{errs:?}");
    eng
}

pub fn fires(eng: &Engine, fields: &[(&str, FieldValue)]) -> bool {
    let ev = event(("test", "", ""), fields);
    let mut out = Vec::new();
    eng.matches(&ev, &mut out);
    !out.is_empty()
}

pub fn parse_error(detection: &str) -> String {
    let text = format!("title: T\nlogsource:\n    product: test\ndetection:\n{detection}\n");
    let (_, errs) = parse_rules_str(&text, "t.yml");
    assert!(!errs.is_empty(), "expected an error for {detection}");
    errs[0].to_string()
}

/// Compiles correlation rules together with the base rules they refer to.
pub fn engine_with(corr: &str, base: &str) -> Engine {
    let text = format!("{corr}\n---\n{base}");
    let (set, errs) = parse_rules_str(&text, "c.yml");
    assert!(errs.is_empty(), "{errs:?}");
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(errs.is_empty(), "{errs:?}");
    eng
}

/// Two base rules for correlation tests: failed (4625) and successful (4624) logins.
pub const LOGIN_RULES: &str = "title: Failed login
id: failed
name: failed_login
logsource:
    product: test
detection:
    sel:
        EventID: 4625
    condition: sel
---
title: Success
id: success
name: successful_login
logsource:
    product: test
detection:
    sel:
        EventID: 4624
    condition: sel
";
