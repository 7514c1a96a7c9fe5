mod common;

use common::{int, read, s};
use vigil_logs::{Format, ReadOptions};
use vigil_model::{FieldValue, RecordRef};

#[test]
fn otrf_flat_json() {
    let (events, stats) = read("otrf_proxylogon_sample.json", &ReadOptions::default());
    assert_eq!(stats.format, Some(Format::WinJson));
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 8);
    for e in &events {
        assert_eq!(e.host.as_deref(), Some("MXS01.azsentinel.local"));
        assert_eq!(s(e, "Computer"), Some("MXS01.azsentinel.local"));
        assert!(e.timestamp.is_some());
        assert!(int(e, "EventID").is_some());
        assert!(int(e, "Level").is_some());
    }
    // Security 4688 is a process_creation source in Sigma's taxonomy.
    let created = events
        .iter()
        .find(|e| int(e, "EventID") == Some(4688))
        .unwrap();
    assert_eq!(
        created.logsource.category.as_deref(),
        Some("process_creation")
    );
    assert!(s(created, "NewProcessName").is_some());
    let mgmt = events
        .iter()
        .find(|e| s(e, "Channel") == Some("MSExchange Management"))
        .unwrap();
    assert_eq!(
        mgmt.logsource.service.as_deref(),
        Some("msexchange-management")
    );
    assert_eq!(s(mgmt, "Provider_Name"), Some("MSExchange CmdletLogs"));
    assert!(
        s(mgmt, "Message")
            .unwrap()
            .contains("Set-OabVirtualDirectory")
    );
    assert_eq!(
        mgmt.timestamp.unwrap().to_string(),
        "2021-03-14T01:40:12.987Z"
    );
    let pc = events
        .iter()
        .find(|e| e.logsource.category.as_deref() == Some("process_creation"))
        .unwrap();
    assert_eq!(int(pc, "EventID"), Some(1));
    assert!(
        s(pc, "ParentImage")
            .unwrap()
            .to_ascii_lowercase()
            .ends_with("w3wp.exe")
    );
    let fe = events
        .iter()
        .find(|e| int(e, "EventID") == Some(11))
        .unwrap();
    assert_eq!(fe.logsource.category.as_deref(), Some("file_event"));
    assert!(s(fe, "TargetFilename").is_some());
    assert_eq!(events[0].source.record, RecordRef::Line(1));
}

#[test]
fn winlogbeat_ecs() {
    let (events, stats) = read("winlogbeat_sample.ndjson", &ReadOptions::default());
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    let e = &events[0];
    assert_eq!(int(e, "EventID"), Some(1));
    assert_eq!(int(e, "EventRecordID"), Some(48213));
    assert_eq!(s(e, "Security_UserID"), Some("S-1-5-18"));
    assert_eq!(int(e, "Execution_ProcessID"), Some(2168));
    assert_eq!(s(e, "CommandLine"), Some("cmd /c whoami"));
    assert_eq!(s(e, "host.name"), Some("EXCH01.clinic.example"));
    assert_eq!(e.logsource.category.as_deref(), Some("process_creation"));
    assert_eq!(e.timestamp.unwrap().to_string(), "2021-08-13T00:04:12.511Z");
    let m = &events[1];
    assert_eq!(int(m, "EventRecordID"), Some(9921));
    assert_eq!(
        m.logsource.service.as_deref(),
        Some("msexchange-management")
    );
    assert!(s(m, "param2").unwrap().contains("zq1.aspx"));
    assert_eq!(
        m.fields.get("Keywords"),
        Some(&FieldValue::List(vec!["Classic".into()]))
    );
}

#[test]
fn get_winevent_convertto_json_array() {
    let json = r#"[
    {
        "Id":  4624,
        "Version":  2,
        "Qualifiers":  null,
        "Level":  0,
        "Task":  12544,
        "Keywords":  -9214364837600034816,
        "RecordId":  1234,
        "ProviderName":  "Microsoft-Windows-Security-Auditing",
        "ProviderId":  "54849625-5478-4994-a5ba-3e3b0328c30d",
        "LogName":  "Security",
        "MachineName":  "EXCH01.clinic.example",
        "UserId":  null,
        "TimeCreated":  "\/Date(1628811891203)\/",
        "Message":  "An account was successfully logged on.\r\n{not json}",
        "Properties":  [ { "Value": "S-1-0-0" }, { "Value": "-" }, { "Value": 3 } ]
    },
    {
        "Id":  1,
        "LogName":  "MSExchange Management",
        "ProviderName":  "MSExchange CmdletLogs",
        "TimeCreated":  "2021-08-12T23:44:51.203Z",
        "Properties":  [ { "Value": "New-MailboxExportRequest" } ]
    }
]"#;
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes(
        "events.json",
        json.as_bytes(),
        None,
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(stats.format, Some(Format::WinJson));
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 2);
    let e = &events[0];
    assert_eq!(int(e, "EventID"), Some(4624));
    assert_eq!(s(e, "Channel"), Some("Security"));
    assert_eq!(e.logsource.service.as_deref(), Some("security"));
    assert_eq!(s(e, "Keywords"), Some("0x8020000000000000"));
    assert_eq!(e.timestamp.unwrap().to_string(), "2021-08-12T23:44:51.203Z");
    assert_eq!(e.source.record, RecordRef::Line(2));
    assert_eq!(
        e.fields.get("Data"),
        Some(&FieldValue::List(vec![
            "S-1-0-0".into(),
            "-".into(),
            FieldValue::Int(3)
        ]))
    );
    assert_eq!(events[1].source.record, RecordRef::Line(19));
}

#[test]
fn broken_json_lines_are_reported_and_skipped() {
    let log = "{\"EventID\": 1, \"Channel\": \"Security\"}\n{\"EventID\": 2, \"Chan\nnot json\n{\"foo\": 1}\n{\"EventID\": 3, \"Channel\": \"System\"}\n";
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes(
        "x.json",
        log.as_bytes(),
        Some(Format::WinJson),
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(events.len(), 2);
    let at: Vec<_> = stats.failures.iter().map(|f| f.record).collect();
    assert_eq!(
        at,
        vec![RecordRef::Line(2), RecordRef::Line(3), RecordRef::Line(4)]
    );
    assert!(stats.failures[2].reason.contains("not a Windows event"));
}

#[test]
fn generic_jsonl_flattened_with_depth_bound() {
    let log = r#"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"web1"},"http":{"request":{"method":"GET"}},"tags":["a","b"],"deep":{"a":{"b":{"c":{"d":1}}}}}"#;
    let opts = ReadOptions {
        max_json_depth: 3,
        ..ReadOptions::default()
    };
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes("app.jsonl", log.as_bytes(), None, &opts, &mut |e| {
        events.push(e)
    })
    .unwrap();
    assert_eq!(stats.format, Some(Format::Jsonl));
    let e = &events[0];
    assert_eq!(s(e, "http.request.method"), Some("GET"));
    assert_eq!(e.host.as_deref(), Some("web1"));
    assert_eq!(
        e.fields.get("tags"),
        Some(&FieldValue::List(vec!["a".into(), "b".into()]))
    );
    assert_eq!(s(e, "deep.a.b"), Some(r#"{"c":{"d":1}}"#));
    assert_eq!(e.timestamp.unwrap().to_string(), "2024-05-01T10:00:00Z");
}
