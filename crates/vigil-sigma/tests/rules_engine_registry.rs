//! Sigma's `registry_event` category covers the registry categories of Sysmon events 12, 13 and 14.

use vigil_model::{Event, LogSource, RecordRef, SourceRef};
use vigil_sigma::{Engine, Mappings, parse_rules_str};

fn event(category: &str) -> Event {
    let mut ev = Event {
        timestamp: None,
        host: None,
        logsource: LogSource::new(Some("windows"), Some(category), None),
        source: SourceRef {
            file: "s.evtx".into(),
            record: RecordRef::EvtxRecord(1),
            generation: None,
        },
        fields: Default::default(),
        raw: None,
    };
    ev.fields.insert(
        "TargetObject".into(),
        "HKLM\\SAM\\SAM\\Domains\\Account\\Users\\Names\\evil$".into(),
    );
    ev
}

#[test]
fn registry_event_rules_see_add_set_delete_and_rename() {
    let (rules, errors) = parse_rules_str(
        "title: Hidden user\nid: r1\nlogsource: {product: windows, category: registry_event}\n\
         detection:\n  sel:\n    TargetObject|endswith: '$'\n  condition: sel\nlevel: high\n",
        "inline.yml",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (engine, errors) = Engine::compile(&rules, &Mappings::new());
    assert!(errors.is_empty(), "{errors:?}");
    for category in [
        "registry_add",
        "registry_set",
        "registry_delete",
        "registry_rename",
        "registry_event",
    ] {
        let mut out = Vec::new();
        engine.matches(&event(category), &mut out);
        assert_eq!(out.len(), 1, "{category}");
    }
    let mut out = Vec::new();
    engine.matches(&event("process_creation"), &mut out);
    assert!(out.is_empty());
}
