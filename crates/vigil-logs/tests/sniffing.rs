//! Format sniffing on whole records, and the notes a reader leaves when it had to guess or assume.

mod common;

use common::{fixture, int};
use std::io::Write;
use vigil_logs::{FileStats, Format, ReadOptions};
use vigil_model::{Event, RawRecord};

fn read(name: &str, bytes: &[u8], opts: &ReadOptions) -> (Vec<Event>, FileStats) {
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes(name, bytes, None, opts, &mut |e| events.push(e))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (events, stats)
}

/// A Windows event exported as one JSON line whose `EventID` comes after a long `Message`.
fn long_message_event(message_len: usize) -> String {
    format!(
        "{{\"Message\":\"{}\",\"EventID\":4625,\"Channel\":\"Security\",\"Computer\":\"DC1\",\
         \"TargetUserName\":\"admin\"}}\n",
        "An account failed to log on. ".repeat(message_len / 29 + 1)
    )
}

#[test]
fn windows_json_lines_with_a_long_first_message_are_windows_events() {
    let mut log = long_message_event(20_000);
    log.push_str(&long_message_event(100));
    let (events, stats) = read("export.json", log.as_bytes(), &ReadOptions::default());
    assert_eq!(stats.format, Some(Format::WinJson));
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 2);
    assert_eq!(int(&events[0], "EventID"), Some(4625));
    assert_eq!(events[0].logsource.product.as_deref(), Some("windows"));
    assert!(stats.notes.is_empty(), "{:?}", stats.notes);
    assert!(
        stats.format_evidence.as_deref().unwrap().contains("2 of 2"),
        "{:?}",
        stats.format_evidence
    );
}

#[test]
fn a_pretty_printed_array_spanning_lines_is_sniffed_on_whole_objects() {
    // ConvertTo-Json output: an array of objects over many lines, the markers far down.
    let mut log = String::from("[\n");
    for i in 0..3 {
        log.push_str(&format!(
            "    {{\n        \"Message\":  \"{}\",\n        \"Id\":  4624,\n        \"LogName\":  \
             \"Security\",\n        \"ProviderName\":  \"Microsoft-Windows-Security-Auditing\",\n        \
             \"RecordId\":  {i}\n    }}{}\n",
            "x".repeat(30_000),
            if i < 2 { "," } else { "" }
        ));
    }
    log.push_str("]\n");
    let (events, stats) = read("events.json", log.as_bytes(), &ReadOptions::default());
    assert_eq!(stats.format, Some(Format::WinJson));
    assert_eq!(events.len(), 3);
    assert!(stats.notes.is_empty(), "{:?}", stats.notes);
}

#[test]
fn a_first_record_beyond_the_sniffing_bound_is_noted() {
    let opts = ReadOptions {
        max_sniff_bytes: 64 * 1024,
        ..ReadOptions::default()
    };
    let log = format!(
        "{{\"EventID\":4625,\"Channel\":\"Security\",\"Message\":\"{}\"}}\n",
        "y".repeat(200_000)
    );
    let (events, stats) = read("x.json", log.as_bytes(), &opts);
    assert_eq!(stats.format, Some(Format::WinJson));
    assert_eq!(events.len(), 1);
    let note = stats.notes.join("; ");
    assert!(note.contains("larger than"), "{note}");
}

#[test]
fn generic_json_stays_generic() {
    let log = "{\"level\":\"info\",\"msg\":\"a \\\"Channel\\\" and \\\"EventID\\\"\"}\n".repeat(3);
    let (_, stats) = read("app.json", log.as_bytes(), &ReadOptions::default());
    assert_eq!(stats.format, Some(Format::Jsonl));
}

#[test]
fn a_format_from_the_file_name_alone_is_noted() {
    let (_, stats) = read(
        "mail.log",
        b"this is not syslog\nnor is this\n",
        &ReadOptions::default(),
    );
    assert_eq!(stats.format, Some(Format::Syslog));
    let note = stats.notes.join("; ");
    assert!(note.contains("file name alone"), "{note}");
}

#[test]
fn a_clear_format_has_no_note() {
    let bytes = std::fs::read(fixture("mail_server_synthetic.log")).unwrap();
    let opts = ReadOptions {
        syslog_reference_time: Some("2021-09-01T00:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    let (_, stats) = read("mail_server_synthetic.log", &bytes, &opts);
    assert!(
        !stats.notes.iter().any(|n| n.contains("format")),
        "{:?}",
        stats.notes
    );
    assert!(
        stats
            .format_evidence
            .as_deref()
            .unwrap()
            .contains("first lines are syslog")
    );
}

#[test]
fn json_records_keep_their_text_for_evidence() {
    let line = "{\"@timestamp\":\"2021-08-12T10:00:00Z\",\"user\":\"alice\"}";
    let (events, _) = read(
        "a.jsonl",
        format!("{line}\n").as_bytes(),
        &ReadOptions::default(),
    );
    assert_eq!(events[0].raw.as_deref(), Some(line));
    // A pretty-printed object keeps its own text.
    let pretty = "{\n  \"EventID\": 1,\n  \"Channel\": \"Security\"\n}\n";
    let (events, _) = read("b.json", pretty.as_bytes(), &ReadOptions::default());
    assert_eq!(events[0].raw.as_deref(), Some(pretty.trim_end()));
}

#[test]
fn raw_text_is_bounded() {
    let line = format!(
        "Aug 12 23:50:41 mx1 postfix/smtpd[1]: {}",
        "ä".repeat(10_000)
    );
    let (events, stats) = read("syslog", line.as_bytes(), &ReadOptions::default());
    assert_eq!(stats.failed, 0);
    let raw = events[0].raw.as_ref().unwrap();
    assert!(raw.len() <= RawRecord::MAX_BYTES);
    assert_eq!(raw.len() as u64 + raw.cut_bytes(), line.len() as u64);
    // The field map keeps the whole message.
    assert!(common::s(&events[0], "message").unwrap().ends_with("ää"));
}

#[test]
fn max_events_stops_the_read() {
    let log = "Aug 12 23:50:41 mx1 sshd[1]: x\n".repeat(50);
    let opts = ReadOptions {
        max_events: Some(5),
        ..ReadOptions::default()
    };
    let (events, stats) = read("syslog", log.as_bytes(), &opts);
    assert_eq!(events.len(), 5);
    assert!(stats.notes.iter().any(|n| n.contains("first 5 events")));
    let json = "{\"a\":1}\n".repeat(50);
    let (events, _) = read("x.jsonl", json.as_bytes(), &opts);
    assert_eq!(events.len(), 5);
    let pretty = "{\n \"a\": 1\n}\n".repeat(50);
    let (events, _) = read("x.json", pretty.as_bytes(), &opts);
    assert_eq!(events.len(), 5);
    let evtx = std::fs::read(fixture("security_4688_rdp_hijack.evtx")).unwrap();
    let (events, _) = read("x.evtx", &evtx, &opts);
    assert!(events.len() <= 5);
}

#[test]
fn gzip_in_memory_is_streamed_not_cut() {
    let log = "Aug 12 23:50:41 mx1 sshd[1]: x\n".repeat(1000);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(log.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    // The gzip bound is for EVTX held in memory, not for text, which streams.
    let opts = ReadOptions {
        max_gz_evtx_bytes: 1000,
        ..ReadOptions::default()
    };
    let (events, stats) = read("syslog.gz", &gz, &opts);
    assert!(stats.gzip);
    assert_eq!(stats.failed, 0);
    assert_eq!(events.len(), 1000);
}
