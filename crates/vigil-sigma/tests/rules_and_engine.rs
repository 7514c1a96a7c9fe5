//! Rule files, metadata, filters, mappings and log source selection.

mod common;
use common::*;
use vigil_model::Level;
use vigil_sigma::{Engine, FieldMapping, Mappings, parse_rules_str};

#[test]
fn metadata_is_read() {
    let text = "title: Meta
id: 929a690e-bef0-4204-a928-ef5e620d6fcc
name: meta_rule
status: test
description: d
references:
    - https://example.org/a
author: Someone
date: 2021-08-07
modified: 2023-01-02
tags:
    - attack.t1190
    - cve.2021-34473
related:
    - id: 08fbc97d-0a2f-491c-ae21-8ffcfd3174e9
      type: derived
logsource:
    category: Webserver
    product: windows
detection:
    sel:
        sc-status: 401
    condition: sel
fields:
    - c-ip
falsepositives:
    - Unknown
level: critical
custom: ignored
";
    let (set, errs) = parse_rules_str(text, "m.yml");
    assert!(errs.is_empty(), "{errs:?}");
    let m = &set.rules[0].meta;
    assert_eq!(
        m.id.as_deref(),
        Some("929a690e-bef0-4204-a928-ef5e620d6fcc")
    );
    assert_eq!(m.name.as_deref(), Some("meta_rule"));
    assert_eq!(m.level, Some(Level::Critical));
    assert_eq!(m.tags, vec!["attack.t1190", "cve.2021-34473"]);
    assert_eq!(m.logsource.category.as_deref(), Some("webserver"));
    assert_eq!(m.related[0].kind, "derived");
    assert_eq!(m.date.as_deref(), Some("2021-08-07"));
    assert_eq!(m.fields, vec!["c-ip"]);
    assert_eq!(m.falsepositives, vec!["Unknown"]);
    assert_eq!(m.references, vec!["https://example.org/a"]);
    assert_eq!(m.origin, "m.yml#1");
}

#[test]
fn broken_documents_do_not_stop_the_others() {
    let text = "title: Good\nlogsource: {product: test}\ndetection:\n    sel: {A: 1}\n    condition: sel\n---\ntitle: Bad level\nlevel: extreme\nlogsource: {product: test}\ndetection:\n    sel: {A: 1}\n    condition: sel\n---\nno_title: 1\ndetection: {}\n---\n- just\n- a list\n---\ntitle: Good 2\nlogsource: {product: test}\ndetection:\n    sel: {A: 1}\n    condition: sel\n";
    let (set, errs) = parse_rules_str(text, "multi.yml");
    assert_eq!(set.rules.len(), 2);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert_eq!(errs[0].document, Some(2));
    assert!(errs[0].to_string().contains("level"));
    assert!(errs[1].to_string().contains("missing 'title'"));
    assert!(errs[2].to_string().contains("not a mapping"));
    let (set, errs) = parse_rules_str("title: [unclosed", "bad.yml");
    assert!(set.is_empty());
    assert!(
        errs[0]
            .to_string()
            .starts_with("bad.yml (document 1): invalid YAML"),
        "{}",
        errs[0]
    );
}

#[test]
fn legacy_collections_are_expanded() {
    let text = "action: global
title: Legacy
logsource:
    product: test
detection:
    common:
        A: x
    condition: common and sel
level: high
---
detection:
    sel:
        B: one
---
action: repeat
detection:
    sel:
        B: two
";
    let (set, errs) = parse_rules_str(text, "legacy.yml");
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(set.rules.len(), 2);
    let (eng, _) = Engine::compile(&set, &Mappings::new());
    assert!(fires(&eng, &[("A", s("x")), ("B", s("two"))]));
    assert!(fires(&eng, &[("A", s("x")), ("B", s("one"))]));
    assert!(!fires(&eng, &[("B", s("two"))]));
}

#[test]
fn hostile_input_is_bounded() {
    let big = "a".repeat(5 * 1024 * 1024);
    let (_, errs) = parse_rules_str(&big, "big.yml");
    assert!(errs[0].to_string().contains("larger than"));
    let deep = format!("title: x\nk: {}1{}", "[".repeat(500), "]".repeat(500));
    let (_, errs) = parse_rules_str(&deep, "deep.yml");
    assert!(!errs.is_empty());
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let (_, errs) = parse_rules_str(bomb, "bomb.yml");
    assert!(!errs.is_empty());
    let many: Vec<String> = (0..10_001).map(|i| format!("            - v{i}")).collect();
    let text = format!(
        "title: t\nlogsource: {{product: test}}\ndetection:\n    sel:\n        A:\n{}\n    condition: sel\n",
        many.join("\n")
    );
    let (_, errs) = parse_rules_str(&text, "many.yml");
    assert!(
        errs[0].to_string().contains("more than 10000 values"),
        "{}",
        errs[0]
    );
    let text = "title: t\nlogsource: {product: test}\ndetection:\n    sel:\n        A|re: 'a{1000}{1000}'\n    condition: sel\n";
    let (_, errs) = parse_rules_str(text, "re.yml");
    assert!(
        errs[0].to_string().contains("regular expression"),
        "{}",
        errs[0]
    );
}

#[test]
fn logsource_matching() {
    let text = "title: Web\nid: web\nlogsource: {category: webserver}\ndetection:\n    sel: {sc-status: 401}\n    condition: sel\n---\ntitle: Sec\nid: sec\nlogsource: {product: windows, service: security}\ndetection:\n    sel: {EventID: 4625}\n    condition: sel\n---\ntitle: Any\nid: any\nlogsource: {}\ndetection:\n    sel: {Marker: yes}\n    condition: sel\n";
    let (set, errs) = parse_rules_str(text, "ls.yml");
    assert!(errs.is_empty(), "{errs:?}");
    let (eng, _) = Engine::compile(&set, &Mappings::new());
    let ids = |ls: (&str, &str, &str), f: &[(&str, vigil_model::FieldValue)]| {
        let mut out = Vec::new();
        eng.matches(&event(ls, f), &mut out);
        out.into_iter().map(|d| d.rule_id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(("windows", "webserver", ""), &[("sc-status", s("401"))]),
        vec!["web"]
    );
    assert_eq!(
        ids(("", "WebServer", ""), &[("sc-status", s("401"))]),
        vec!["web"]
    );
    assert!(ids(("windows", "", ""), &[("sc-status", s("401"))]).is_empty());
    assert_eq!(
        ids(("windows", "", "security"), &[("EventID", s("4625"))]),
        vec!["sec"]
    );
    assert!(ids(("windows", "", "system"), &[("EventID", s("4625"))]).is_empty());
    assert!(ids(("", "", "security"), &[("EventID", s("4625"))]).is_empty());
    assert_eq!(ids(("linux", "", ""), &[("Marker", s("yes"))]), vec!["any"]);
}

#[test]
fn field_mappings_apply_per_logsource() {
    let text = "title: Web\nid: web\nlogsource: {category: webserver}\ndetection:\n    sel:\n        cs-uri-query|contains: '/autodiscover.json'\n        c-ip|cidr: 10.0.0.0/8\n    condition: sel\n";
    let (set, _) = parse_rules_str(text, "w.yml");
    let mapping = FieldMapping::from_yaml(
        "logsource:\n  category: webserver\nfields:\n  cs-uri-query: uri_full\n  c-ip: [c-ip, client_ip]\n",
    )
    .unwrap();
    let mut maps = Mappings::new();
    maps.add(mapping);
    let (eng, errs) = Engine::compile(&set, &maps);
    assert!(errs.is_empty());
    let run = |f: &[(&str, vigil_model::FieldValue)]| {
        let mut out = Vec::new();
        eng.matches(&event(("", "webserver", ""), f), &mut out);
        out
    };
    let out = run(&[
        ("uri_full", s("/autodiscover.json?@x")),
        ("client_ip", s("10.1.1.1")),
    ]);
    assert_eq!(out.len(), 1);
    assert!(
        out[0]
            .matched
            .contains(&("cs-uri-query".into(), "/autodiscover.json?@x".into()))
    );
    assert!(
        run(&[
            ("cs-uri-query", s("/autodiscover.json")),
            ("c-ip", s("10.1.1.1"))
        ])
        .is_empty()
    );
    assert_eq!(
        eng.resolve_field("c-ip", &event(("", "webserver", ""), &[])),
        vec!["c-ip", "client_ip"]
    );
}

#[test]
fn meta_filters_suppress_named_rules() {
    let text = "title: Rar
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: {category: process_creation, product: windows}
detection:
    sel:
        Image|endswith: '\\rar.exe'
    condition: sel
---
title: Filter Administrator account
logsource: {category: process_creation, product: windows}
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
    selection:
        User|startswith: 'adm_'
    condition: selection
";
    let (set, errs) = parse_rules_str(text, "f.yml");
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(set.filters.len(), 1);
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(errs.is_empty());
    let run = |user: &str| {
        let mut out = Vec::new();
        eng.matches(
            &event(
                ("windows", "process_creation", ""),
                &[("Image", s("C:\\x\\rar.exe")), ("User", s(user))],
            ),
            &mut out,
        );
        out.len()
    };
    assert_eq!(run("bob"), 1);
    assert_eq!(run("adm_bob"), 0);
    let text = "title: F\nlogsource: {product: windows}\nfilter:\n    rules: [nope]\n    sel: {A: 1}\n    condition: sel\n";
    let (set, _) = parse_rules_str(text, "f.yml");
    let (_, errs) = Engine::compile(&set, &Mappings::new());
    assert!(errs[0].to_string().contains("unknown rule 'nope'"));
}

#[test]
fn duplicate_ids_are_rejected() {
    let text = "title: A\nid: same\nlogsource: {product: test}\ndetection:\n    sel: {A: 1}\n    condition: sel\n---\ntitle: B\nid: same\nlogsource: {product: test}\ndetection:\n    sel: {A: 1}\n    condition: sel\n";
    let (set, _) = parse_rules_str(text, "d.yml");
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert_eq!(eng.rule_count(), 1);
    assert!(errs[0].to_string().contains("duplicate"));
}

#[test]
fn engine_is_send_and_sync() {
    fn is<T: Send + Sync>() {}
    is::<Engine>();
    is::<vigil_sigma::Correlator>();
}
