//! The syslog listener as a source of the runtime, on loopback sockets.

use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};
use vigil_ingest::ListenerConfig;
use vigil_serve::{ListenSource, ServeError, Source};

fn poll_until(s: &mut ListenSource, want: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    while n < want && Instant::now() < deadline {
        let b = s.poll().unwrap();
        assert!(
            b.checkpoints.is_empty(),
            "received messages have no checkpoint"
        );
        n += b.events.len();
        std::thread::sleep(Duration::from_millis(10));
    }
    n
}

#[test]
fn received_messages_reach_the_runtime_in_batches() {
    let any = "127.0.0.1:0".parse().ok();
    let mut s = ListenSource::start("relay", any, any, ListenerConfig::default()).unwrap();
    assert_eq!(s.name(), "relay");
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..3 {
        let m =
            format!("<38>Dec  4 10:00:0{i} mx1 sshd[{i}]: Connection closed by 192.0.2.3 port 22");
        udp.send_to(m.as_bytes(), s.udp_addr().unwrap()).unwrap();
    }
    let mut tcp = TcpStream::connect(s.tcp_addr().unwrap()).unwrap();
    use std::io::Write;
    writeln!(
        tcp,
        "<38>Dec  4 10:00:09 mx1 sshd[9]: Connection closed by 192.0.2.3 port 22"
    )
    .unwrap();
    assert_eq!(poll_until(&mut s, 4), 4);
}

/// An address already taken is an error naming the source and the address, not a quiet start.
#[test]
fn an_address_in_use_is_named() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err =
        ListenSource::start("relay", Some(addr), None, ListenerConfig::default()).unwrap_err();
    assert!(matches!(err, ServeError::Source { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("relay") && msg.contains(&format!("udp {addr}")),
        "{msg}"
    );
}

/// What the listener loses shows in the source's health as errors, with what was lost.
#[test]
fn losses_show_in_health() {
    let any = "127.0.0.1:0".parse().ok();
    let config = ListenerConfig {
        max_message: 200,
        ..ListenerConfig::default()
    };
    let mut s = ListenSource::start("relay", any, None, config).unwrap();
    assert_eq!(s.kind(), "syslog");
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let big = format!("<38>Dec  4 10:00:00 mx1 sshd[1]: {}", "x".repeat(400));
    udp.send_to(big.as_bytes(), s.udp_addr().unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.health().is_none_or(|h| h.errors == 0) && Instant::now() < deadline {
        s.poll().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let h = s.health().unwrap();
    assert_eq!(h.errors, 1);
    assert!(
        h.last_error
            .as_deref()
            .is_some_and(|e| e.contains("1 messages above the size limit")),
        "{h:?}"
    );
}
