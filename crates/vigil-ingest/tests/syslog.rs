//! The syslog listener on loopback sockets: UDP, TCP with both RFC 6587 framings, oversize
//! messages, the peer address for a message without host.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;
use vigil_ingest::{ListenerConfig, SyslogListener};
use vigil_model::{Event, FieldValue};

const LOCAL: &str = "127.0.0.1:0";

fn field(e: &Event, name: &str) -> Option<String> {
    match e.get(name)? {
        FieldValue::Str(s) => Some(s.clone()),
        other => Some(format!("{other:?}")),
    }
}

fn take(l: &SyslogListener, n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    while out.len() < n {
        match l.recv_timeout(Duration::from_secs(5)) {
            Some(e) => out.push(e),
            None => break,
        }
    }
    out
}

#[test]
fn udp_messages_of_both_rfcs_and_oversize_dropped() {
    let cfg = ListenerConfig {
        max_message: 300,
        ..ListenerConfig::default()
    };
    let l = SyslogListener::start(Some(LOCAL.parse().unwrap()), None, cfg).unwrap();
    let to = l.udp_addr().unwrap();
    let s = UdpSocket::bind(LOCAL).unwrap();
    s.send_to(
        b"<38>Dec  4 10:00:01 mx1 sshd[42]: Failed password for root from 192.0.2.7 port 22 ssh2",
        to,
    )
    .unwrap();
    s.send_to(&vec![b'a'; 400], to).unwrap();
    s.send_to(
        b"<22>1 2026-12-04T10:00:02Z mx1 postfix/smtpd 77 - - connect from unknown[192.0.2.8]",
        to,
    )
    .unwrap();
    let got = take(&l, 2);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].host.as_deref(), Some("mx1"));
    assert!(
        field(&got[0], "pid").is_some_and(|p| p.contains("42")),
        "{:?}",
        got[0]
    );
    std::thread::sleep(Duration::from_millis(50));
    let st = l.stats();
    assert_eq!(st.oversize, 1);
    assert_eq!(st.received, 2);
}

#[test]
fn tcp_octet_counting_and_newline_framing() {
    let l = SyslogListener::start(
        None,
        Some(LOCAL.parse().unwrap()),
        ListenerConfig::default(),
    )
    .unwrap();
    let mut c = TcpStream::connect(l.tcp_addr().unwrap()).unwrap();
    let m1 =
        "<38>Dec  4 10:00:01 mx1 sshd[1]: Accepted password for bob from 192.0.2.1 port 22 ssh2";
    let m2 =
        "<38>Dec  4 10:00:02 mx1 sshd[2]: Accepted password for eve from 192.0.2.2 port 22 ssh2";
    write!(c, "{} {m1}", m1.len()).unwrap();
    writeln!(c, "{m2}").unwrap();
    c.flush().unwrap();
    let got = take(&l, 2);
    assert_eq!(got.len(), 2);
    assert!(field(&got[0], "pid").is_some_and(|p| p.contains('1')));
    assert!(field(&got[1], "pid").is_some_and(|p| p.contains('2')));
}

#[test]
fn tcp_oversize_messages_are_skipped_and_the_stream_continues() {
    let cfg = ListenerConfig {
        max_message: 200,
        ..ListenerConfig::default()
    };
    let l = SyslogListener::start(None, Some(LOCAL.parse().unwrap()), cfg).unwrap();
    let mut c = TcpStream::connect(l.tcp_addr().unwrap()).unwrap();
    let big = "x".repeat(500);
    write!(c, "{} {big}", big.len()).unwrap();
    writeln!(c, "{big}").unwrap();
    writeln!(
        c,
        "<38>Dec  4 10:00:03 mx1 sshd[3]: Connection closed by 192.0.2.3 port 22"
    )
    .unwrap();
    let got = take(&l, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(l.stats().oversize, 2);
}

/// A message naming no host takes the configured host, else the sender's address.
#[test]
fn a_message_without_host_takes_the_configured_host_else_the_peer_address() {
    for (host, expect) in [(None, "127.0.0.1"), (Some("relay1"), "relay1")] {
        let cfg = ListenerConfig {
            host: host.map(str::to_string),
            ..ListenerConfig::default()
        };
        let l = SyslogListener::start(Some(LOCAL.parse().unwrap()), None, cfg).unwrap();
        let s = UdpSocket::bind(LOCAL).unwrap();
        s.send_to(
            b"<22>1 2026-12-04T10:00:02Z - postfix/smtpd 77 - - connect from unknown[192.0.2.8]",
            l.udp_addr().unwrap(),
        )
        .unwrap();
        let got = take(&l, 1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].host.as_deref(), Some(expect));
    }
}

/// Message 1 of one TCP connection is not message 1 of the next one, nor of a listener started
/// again: each names its generation, so that a store keeps both.
#[test]
fn each_connection_and_each_start_is_its_own_generation() {
    let m =
        "<38>Dec  4 10:00:01 mx1 sshd[1]: Accepted password for bob from 192.0.2.1 port 22 ssh2";
    let mut seen = Vec::new();
    for _ in 0..2 {
        let l = SyslogListener::start(
            Some(LOCAL.parse().unwrap()),
            Some(LOCAL.parse().unwrap()),
            ListenerConfig::default(),
        )
        .unwrap();
        for _ in 0..2 {
            let mut c = TcpStream::connect(l.tcp_addr().unwrap()).unwrap();
            writeln!(c, "{m}").unwrap();
            seen.extend(take(&l, 1));
        }
        UdpSocket::bind(LOCAL)
            .unwrap()
            .send_to(m.as_bytes(), l.udp_addr().unwrap())
            .unwrap();
        seen.extend(take(&l, 1));
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(seen.len(), 6);
    let mut keys: Vec<_> = seen
        .iter()
        .map(|e| {
            (
                e.source.file.clone(),
                e.source.record,
                e.source.generation.clone(),
            )
        })
        .collect();
    assert!(
        keys.iter()
            .all(|k| k.1 == vigil_model::RecordRef::Line(1) && k.2.is_some())
    );
    keys.sort_by(|a, b| a.2.cmp(&b.2));
    keys.dedup();
    assert_eq!(keys.len(), 6, "{keys:?}");
}

#[test]
fn a_slow_consumer_drops_udp_with_a_count_instead_of_growing() {
    let cfg = ListenerConfig {
        queue: 2,
        ..ListenerConfig::default()
    };
    let l = SyslogListener::start(Some(LOCAL.parse().unwrap()), None, cfg).unwrap();
    let s = UdpSocket::bind(LOCAL).unwrap();
    for i in 0..50 {
        let m =
            format!("<38>Dec  4 10:00:01 mx1 sshd[{i}]: Connection closed by 192.0.2.3 port 22");
        s.send_to(m.as_bytes(), l.udp_addr().unwrap()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let st = l.stats();
    assert_eq!(st.dropped_full + 2, st.received, "{st:?}");
    assert!(st.dropped_full > 0);
}

#[test]
fn tcp_over_tls_with_certificate_and_key_from_pem_files() {
    use rustls::pki_types::{CertificateDer, ServerName};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.signing_key.serialize_pem()).unwrap();
    let cfg = ListenerConfig {
        tls: Some(vigil_ingest::tls_config(&cert_pem, &key_pem).unwrap()),
        ..ListenerConfig::default()
    };
    let l = SyslogListener::start(None, Some(LOCAL.parse().unwrap()), cfg).unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert.cert.der().to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(client), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(l.tcp_addr().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let m =
        "<38>Dec  4 10:00:05 mx1 sshd[5]: Accepted publickey for ops from 192.0.2.5 port 22 ssh2";
    write!(tls, "{} {m}", m.len()).unwrap();
    tls.flush().unwrap();
    let got = take(&l, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].host.as_deref(), Some("mx1"));
}

#[test]
fn a_missing_key_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = dir.path().join("cert.pem");
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    let err = vigil_ingest::tls_config(&cert_pem, &dir.path().join("nokey.pem")).unwrap_err();
    assert!(err.to_string().contains("nokey.pem"), "{err}");
}
