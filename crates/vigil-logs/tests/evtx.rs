mod common;

use common::{fixture, int, read, s};
use vigil_logs::{Format, ReadOptions};
use vigil_model::{FieldValue, RecordRef};

#[test]
fn sysmon_process_creation_flattened_like_sigma() {
    let (events, stats) = read("sysmon_1_revshell.evtx", &ReadOptions::default());
    assert_eq!(stats.format, Some(Format::Evtx));
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert!(!events.is_empty());
    assert_eq!(stats.events, events.len() as u64);
    let pc: Vec<_> = events
        .iter()
        .filter(|e| int(e, "EventID") == Some(1))
        .collect();
    assert!(!pc.is_empty(), "no Sysmon 1 events");
    for e in &pc {
        assert_eq!(e.logsource.product.as_deref(), Some("windows"));
        assert_eq!(e.logsource.service.as_deref(), Some("sysmon"));
        assert_eq!(e.logsource.category.as_deref(), Some("process_creation"));
        assert_eq!(
            s(e, "Channel"),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(s(e, "Provider_Name"), Some("Microsoft-Windows-Sysmon"));
        assert!(s(e, "Image").is_some_and(|i| i.to_ascii_lowercase().ends_with(".exe")));
        assert!(s(e, "CommandLine").is_some());
        assert!(s(e, "ParentImage").is_some());
        assert!(s(e, "Security_UserID").is_some_and(|u| u.starts_with("S-1-")));
        assert!(e.timestamp.is_some());
        assert_eq!(e.host.as_deref(), s(e, "Computer"));
        let id = int(e, "EventRecordID").expect("EventRecordID") as u64;
        assert_eq!(e.source.record, RecordRef::EvtxRecord(id));
        assert!(e.source.file.ends_with("sysmon_1_revshell.evtx"));
    }
    // The timestamp is TimeCreated's SystemTime.
    let e = pc[0];
    let st = s(e, "TimeCreated_SystemTime").expect("SystemTime");
    assert_eq!(e.timestamp.unwrap(), st.parse::<jiff::Timestamp>().unwrap());
    // Other Sysmon event ids get their own category.
    for e in &events {
        if let Some(13) = int(e, "EventID") {
            assert_eq!(e.logsource.category.as_deref(), Some("registry_set"));
        }
    }
}

#[test]
fn system_log_cleared_userdata_fields() {
    let (events, stats) = read("system_104_log_cleared.evtx", &ReadOptions::default());
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    let cleared: Vec<_> = events
        .iter()
        .filter(|e| int(e, "EventID") == Some(104))
        .collect();
    assert!(!cleared.is_empty());
    for e in cleared {
        assert_eq!(e.logsource.service.as_deref(), Some("system"));
        assert_eq!(e.logsource.category, None);
        assert_eq!(s(e, "Channel"), Some("System"));
        assert_eq!(s(e, "Provider_Name"), Some("Microsoft-Windows-Eventlog"));
        // UserData/LogFileCleared children become fields.
        assert!(s(e, "SubjectUserName").is_some(), "{:?}", e.fields);
        assert!(s(e, "Channel").is_some());
    }
}

#[test]
fn parse_only_counts_the_same_records() {
    let (events, _) = read("sysmon_1_revshell.evtx", &ReadOptions::default());
    let po = vigil_logs::evtx::parse_only(&fixture("sysmon_1_revshell.evtx"), 1).unwrap();
    assert_eq!(po.records, events.len() as u64);
    assert_eq!(po.errors, 0);
}

#[test]
fn single_threaded_and_parallel_reads_agree() {
    let one = ReadOptions {
        evtx_threads: 1,
        ..ReadOptions::default()
    };
    let many = ReadOptions {
        evtx_threads: 4,
        ..ReadOptions::default()
    };
    let (a, _) = read("sysmon_1_revshell.evtx", &one);
    let (b, _) = read("sysmon_1_revshell.evtx", &many);
    assert_eq!(a, b);
}

#[test]
fn corrupt_chunk_is_reported_and_reading_goes_on() {
    // Two chunks: the Sysmon file's, then the System file's (chunks are self-contained).
    let mut bytes = std::fs::read(fixture("sysmon_1_revshell.evtx")).unwrap();
    let system = std::fs::read(fixture("system_104_log_cleared.evtx")).unwrap();
    bytes.extend_from_slice(&system[4096..4096 + 65536]);
    let count = |bytes: &[u8]| {
        let mut events = Vec::new();
        let stats =
            vigil_logs::read_bytes("two.evtx", bytes, None, &ReadOptions::default(), &mut |e| {
                events.push(e)
            })
            .unwrap();
        (events, stats)
    };
    let (all, stats) = count(&bytes);
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    let system_events = all
        .iter()
        .filter(|e| s(e, "Channel") == Some("System"))
        .count();
    assert!(system_events > 0 && system_events < all.len());

    // Damage the first chunk's string table, and cut the file short by half a chunk.
    for b in bytes.iter_mut().skip(4096 + 512 + 1400).take(200) {
        *b = 0xA5;
    }
    bytes.extend(std::iter::repeat_n(0x41u8, 30000));
    let (events, stats) = count(&bytes);
    assert_eq!(stats.failed, 2, "{:?}", stats.failures);
    assert_eq!(stats.failures[0].record, RecordRef::Offset(4096));
    assert!(stats.failures[0].reason.contains("chunk"));
    assert_eq!(
        stats.failures[1].record,
        RecordRef::Offset(4096 + 2 * 65536)
    );
    assert!(stats.failures[1].reason.contains("truncated"));
    // The second chunk is still read.
    assert_eq!(events.len(), system_events);
    assert!(events.iter().all(|e| s(e, "Channel") == Some("System")));
    for f in &stats.failures {
        assert_eq!(f.file, "two.evtx");
    }
}

#[test]
fn not_an_evtx_file_is_an_error() {
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend([0u8; 10]);
    let r = vigil_logs::read_bytes("x.evtx", &bytes, None, &ReadOptions::default(), &mut |_| {});
    assert!(r.is_err());
}

#[test]
fn evtx_dump_json_shape_reads_like_evtx() {
    let json = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"MSExchange CmdletLogs"}},"EventID":{"#attributes":{"Qualifiers":16384},"#text":1},"Level":4,"Task":1,"Keywords":"0x80000000000000","TimeCreated":{"#attributes":{"SystemTime":"2021-08-12T23:44:51.203Z"}},"EventRecordID":9921,"Channel":"MSExchange Management","Computer":"EXCH01.clinic.example","Security":null},"EventData":{"Data":{"#text":["New-MailboxExportRequest","-Mailbox \"reception\" -FilePath \"\\\\127.0.0.1\\c$\\x.aspx\""]},"Binary":null}}}"##;
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes(
        "dump.json",
        json.as_bytes(),
        None,
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(stats.format, Some(Format::WinJson));
    let e = &events[0];
    assert_eq!(int(e, "EventID"), Some(1));
    assert_eq!(int(e, "EventID_Qualifiers"), Some(16384));
    assert_eq!(
        e.logsource.service.as_deref(),
        Some("msexchange-management")
    );
    match e.fields.get("Data") {
        Some(FieldValue::List(items)) => {
            assert_eq!(items[0], FieldValue::from("New-MailboxExportRequest"))
        }
        other => panic!("Data: {other:?}"),
    }
    assert_eq!(e.timestamp.unwrap().to_string(), "2021-08-12T23:44:51.203Z");
}

/// Reads EVTX bytes held in memory.
fn read_evtx_bytes(name: &str, bytes: &[u8]) -> (Vec<vigil_model::Event>, vigil_logs::FileStats) {
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes(name, bytes, None, &ReadOptions::default(), &mut |e| {
        events.push(e)
    })
    .unwrap();
    (events, stats)
}

#[test]
fn log_cut_at_a_chunk_boundary_is_reported() {
    // A real two-chunk Security log (63 records), then the same bytes without their last chunk:
    // the parser alone reads the first chunk without a single error.
    let whole = std::fs::read(fixture("security_4624_ntlm_cme.evtx")).unwrap();
    assert_eq!(whole.len(), 4096 + 2 * 65536);
    let (all, stats) = read_evtx_bytes("whole.evtx", &whole);
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(all.len(), 63);

    let cut = &whole[..4096 + 65536];
    let (events, stats) = read_evtx_bytes("cut.evtx", cut);
    assert!(!events.is_empty() && events.len() < all.len());
    // The first chunk holds the file's records 1..=57 (exported: each event keeps its original
    // EventRecordID, the file numbers its records from 1).
    assert_eq!(events.len(), 57);
    assert_eq!(stats.failed, 2, "{:?}", stats.failures);
    let chunks = &stats.failures[0];
    assert_eq!(chunks.record, RecordRef::Offset(4096 + 65536));
    assert!(
        chunks.reason.contains("header counts 2 chunks")
            && chunks.reason.contains("holds 1 (1 missing"),
        "{}",
        chunks.reason
    );
    let records = &stats.failures[1];
    assert_eq!(records.record, RecordRef::Offset(4096 + 65536));
    assert!(
        records.reason.contains("records 58..=63 are missing")
            && records.reason.contains("last record in the file is 57"),
        "{}",
        records.reason
    );
}

#[test]
fn log_with_its_header_chunk_but_no_records_is_reported() {
    // Only the file header is left: nothing to parse, but 63 records were written.
    let whole = std::fs::read(fixture("security_4624_ntlm_cme.evtx")).unwrap();
    let (events, stats) = read_evtx_bytes("header-only.evtx", &whole[..4096]);
    assert!(events.is_empty());
    assert_eq!(stats.failed, 2, "{:?}", stats.failures);
    assert!(stats.failures[0].reason.contains("holds 0 (2 missing"));
    assert!(
        stats.failures[1]
            .reason
            .contains("no record read, but the file's header counts 63 written")
    );
}
