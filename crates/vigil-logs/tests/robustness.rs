mod common;

use common::{fixture, read};
use std::io::Write;
use vigil_logs::{Format, ReadOptions};
use vigil_model::RecordRef;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn over_long_line_is_skipped_and_reading_goes_on() {
    let mut log = b"Aug 12 23:50:41 mx1 sshd[1]: first\n".to_vec();
    log.extend(b"Aug 12 23:50:42 mx1 sshd[1]: ");
    log.extend(std::iter::repeat_n(b'A', 3 * 1024 * 1024));
    log.extend(b"\nAug 12 23:50:43 mx1 sshd[1]: third\n");
    let opts = ReadOptions {
        max_line_bytes: 1024 * 1024,
        ..ReadOptions::default()
    };
    let mut events = Vec::new();
    let stats =
        vigil_logs::read_bytes("syslog", &log, None, &opts, &mut |e| events.push(e)).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].source.record, RecordRef::Line(3));
    assert_eq!(stats.failed, 1);
    assert_eq!(stats.failures[0].record, RecordRef::Line(2));
    assert!(stats.failures[0].reason.contains("exceeds"));
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_counted() {
    let log = b"Aug 12 23:50:41 mx1 sshd[1]: Failed password for \xff\xfe from 192.0.2.1 port 22 ssh2\r\n";
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes("syslog", log, None, &ReadOptions::default(), &mut |e| {
        events.push(e)
    })
    .unwrap();
    assert_eq!(stats.lossy_lines, 1);
    assert_eq!(events.len(), 1);
    assert_eq!(common::s(&events[0], "src_ip"), Some("192.0.2.1"));
    assert!(!events[0].raw.as_deref().unwrap().ends_with('\r'));
}

#[test]
fn binary_garbage_never_panics_and_every_bad_line_is_counted() {
    // Deterministic pseudo-random bytes.
    let mut x: u32 = 0x1234_5678;
    let garbage: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    for format in Format::ALL {
        let mut n = 0u64;
        let r = vigil_logs::read_bytes(
            "garbage",
            &garbage,
            Some(format),
            &ReadOptions::default(),
            &mut |_| n += 1,
        );
        match (format, r) {
            (Format::Evtx, r) => assert!(r.is_err()),
            (_, Ok(stats)) => {
                assert_eq!(stats.events, n);
                assert!(stats.failed > 0, "{format}: garbage read without complaint");
            }
            (_, Err(e)) => panic!("{format}: {e}"),
        }
    }
    // Sniffing refuses it.
    assert!(
        vigil_logs::read_bytes(
            "garbage",
            &garbage,
            None,
            &ReadOptions::default(),
            &mut |_| {}
        )
        .is_err()
    );
}

#[test]
fn gzip_is_transparent_and_truncation_is_reported() {
    let plain = std::fs::read(fixture("postfix.log")).unwrap();
    // fail2ban's files hold `#` comment lines, which are not syslog: counted as failures.
    let (expected, plain_stats) = read("postfix.log", &ReadOptions::default());
    assert!(plain_stats.failed > 0);
    let gz = gzip(&plain);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maillog.1.gz");
    std::fs::write(&path, &gz).unwrap();
    let mut events = Vec::new();
    let stats =
        vigil_logs::read_path(&path, &ReadOptions::default(), &mut |e| events.push(e)).unwrap();
    let f = &stats.files[0];
    assert!(f.gzip);
    assert_eq!(f.format, Some(Format::Syslog));
    assert_eq!(f.failed, plain_stats.failed);
    assert_eq!(events.len(), expected.len());
    assert_eq!(events[5].fields, expected[5].fields);

    // Cut the compressed stream in half: what decompressed is kept, the cut is reported.
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let mut events = Vec::new();
    vigil_logs::read_path(&path, &ReadOptions::default(), &mut |e| events.push(e)).unwrap();
    assert!(!events.is_empty() && events.len() < expected.len());
    let opts = ReadOptions {
        max_failures_kept: 10_000,
        ..ReadOptions::default()
    };
    let stats = vigil_logs::read_path(&path, &opts, &mut |_| {}).unwrap();
    let cut = stats.files[0].failures.last().unwrap();
    assert!(cut.reason.contains("gzip stream truncated"), "{cut}");
    assert!(cut.reason.contains("compressed offset"), "{cut}");
    assert!(matches!(cut.record, RecordRef::Offset(n) if n > 0));
}

#[test]
fn gzip_evtx_in_memory() {
    let raw = std::fs::read(fixture("sysmon_1_revshell.evtx")).unwrap();
    let mut n = 0;
    let stats = vigil_logs::read_bytes(
        "x.evtx.gz",
        &gzip(&raw),
        None,
        &ReadOptions::default(),
        &mut |_| n += 1,
    )
    .unwrap();
    assert_eq!(stats.format, Some(Format::Evtx));
    assert!(stats.gzip);
    assert!(n > 0);
}

#[test]
fn sniffing_each_fixture() {
    let cases = [
        ("sysmon_1_revshell.evtx", Format::Evtx),
        ("otrf_proxylogon_sample.json", Format::WinJson),
        ("winlogbeat_sample.ndjson", Format::WinJson),
        ("u_ex190903_tunna.log", Format::W3c),
        ("ex960101.log", Format::W3c),
        (
            "HttpProxy/Autodiscover/HttpProxy_2021081223-1.LOG",
            Format::ExchangeCsv,
        ),
        ("postfix.log", Format::Syslog),
        ("dovecot.log", Format::Syslog),
        ("sshd.log", Format::Syslog),
        ("mail_server_synthetic.log", Format::Syslog),
        ("tomcat_access_log_webshell.txt", Format::Access),
        ("nginx_access_combined.log", Format::Access),
    ];
    for (name, want) in cases {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let head = &bytes[..bytes.len().min(16384)];
        assert_eq!(vigil_logs::sniff::sniff(name, head), Ok(want), "{name}");
    }
}

#[test]
fn directory_of_mixed_logs_is_read_in_sorted_order() {
    let mut first = Vec::new();
    let stats = vigil_logs::read_path(&fixture(""), &ReadOptions::default(), &mut |e| {
        first.push(e.source)
    })
    .unwrap();
    let by_format = stats.events_by_format();
    for f in [
        Format::Evtx,
        Format::WinJson,
        Format::W3c,
        Format::ExchangeCsv,
        Format::Syslog,
        Format::Access,
    ] {
        assert!(
            by_format.get(&f).copied().unwrap_or(0) > 0,
            "{f}: {by_format:?}"
        );
    }
    // LICENSES.md is not a log: skipped with a reason, not an error.
    let skipped: Vec<_> = stats.skipped().collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0].0.ends_with("LICENSES.md"));
    let paths: Vec<_> = stats.files.iter().map(|f| f.path.clone()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    let mut second = Vec::new();
    vigil_logs::read_path(&fixture(""), &ReadOptions::default(), &mut |e| {
        second.push(e.source)
    })
    .unwrap();
    assert_eq!(first, second);
    assert_eq!(stats.events(), first.len() as u64);
}

#[test]
fn a_single_unknown_file_is_an_error() {
    let r = vigil_logs::read_path(
        &fixture("LICENSES.md"),
        &ReadOptions::default(),
        &mut |_| {},
    );
    assert!(matches!(r, Err(vigil_logs::LogError::UnknownFormat { .. })));
    let r = vigil_logs::read_path(
        &fixture("missing.log"),
        &ReadOptions::default(),
        &mut |_| {},
    );
    assert!(matches!(r, Err(vigil_logs::LogError::Io { .. })));
}
