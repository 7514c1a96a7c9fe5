//! Rule selection by needle hits must give exactly what evaluating every rule of the log source
//! would: rules reached through any field of their prefilter, keyword rules, rules without a
//! prefilter, case folding of ASCII and non-ASCII text, and per-log-source plans reused across
//! events.

mod common;
use common::*;
use vigil_model::{Event, FieldValue};
use vigil_sigma::{Engine, Mappings, parse_rules_str};

const RULES: &str = r#"
title: Non-ASCII contains
id: r-unicode
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|contains: 'Évil'
    condition: sel
level: high
---
title: Either field
id: r-either
logsource: {product: windows, category: process_creation}
detection:
    img:
        Image|endswith: '\a.exe'
    parent:
        ParentImage|contains: 'launcher'
    condition: img or parent
level: medium
---
title: Keyword anywhere
id: r-keyword
logsource: {product: windows}
detection:
    keywords:
        - 'mimikatz'
    condition: keywords
level: critical
---
title: No literal to prefilter on
id: r-always
logsource: {product: windows, category: process_creation}
detection:
    sel:
        EventID: 1
    condition: sel
level: low
---
title: Other log source
id: r-other
logsource: {product: windows, category: image_load}
detection:
    sel:
        ImageLoaded|contains: 'launcher'
    condition: sel
level: low
"#;

fn engine() -> Engine {
    let (set, errs) = parse_rules_str(RULES, "prefilter.yml");
    assert!(errs.is_empty(), "{errs:?}");
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(errs.is_empty(), "{errs:?}");
    eng
}

fn proc_event(fields: &[(&str, FieldValue)]) -> Event {
    event(("windows", "process_creation", "sysmon"), fields)
}

fn fired(eng: &Engine, ev: &Event) -> Vec<String> {
    let mut out = Vec::new();
    eng.matches(ev, &mut out);
    out.into_iter().map(|d| d.rule_id).collect()
}

#[test]
fn rules_are_selected_by_any_prefilter_field_and_reported_in_rule_order() {
    let eng = engine();
    let ev = proc_event(&[
        ("EventID", FieldValue::Int(1)),
        ("Image", s("C:\\x\\b.exe")),
        ("ParentImage", s("C:\\Tools\\LAUNCHER.exe")),
        ("CommandLine", s("run MIMIKATZ now")),
    ]);
    assert_eq!(fired(&eng, &ev), ["r-either", "r-keyword", "r-always"]);
}

#[test]
fn folding_of_ascii_and_unicode_text() {
    let eng = engine();
    // Uppercase non-ASCII is folded before the needle scan.
    let ev = proc_event(&[("CommandLine", s("xx ÉVIL yy"))]);
    assert_eq!(fired(&eng, &ev), ["r-unicode"]);
    let ev = proc_event(&[("CommandLine", s("xx évil yy"))]);
    assert_eq!(fired(&eng, &ev), ["r-unicode"]);
    let ev = proc_event(&[("CommandLine", s("xx evil yy"))]);
    assert!(fired(&eng, &ev).is_empty());
    // A keyword in a list value, uppercase ASCII.
    let ev = proc_event(&[(
        "Data",
        FieldValue::List(vec![s("nothing"), s("Invoke-Mimikatz")]),
    )]);
    assert_eq!(fired(&eng, &ev), ["r-keyword"]);
}

#[test]
fn plans_are_per_log_source_and_reused() {
    let eng = engine();
    let hit = proc_event(&[("Image", s("C:\\A.EXE"))]);
    let miss = proc_event(&[("Image", s("C:\\b.exe"))]);
    for _ in 0..3 {
        assert_eq!(fired(&eng, &hit), ["r-either"]);
        assert!(fired(&eng, &miss).is_empty());
    }
    // The same field text under another category reaches only that category's rules.
    let load = event(
        ("windows", "image_load", "sysmon"),
        &[
            ("ImageLoaded", s("launcher.dll")),
            ("ParentImage", s("launcher")),
        ],
    );
    assert_eq!(fired(&eng, &load), ["r-other"]);
    // Log source values are compared case-insensitively, as before.
    let upper = event(
        ("Windows", "Process_Creation", ""),
        &[("ParentImage", s("launcher"))],
    );
    assert_eq!(fired(&eng, &upper), ["r-either"]);
    // No rule for the log source: nothing.
    let linux = event(("linux", "", ""), &[("CommandLine", s("mimikatz évil"))]);
    assert!(fired(&eng, &linux).is_empty());
}
