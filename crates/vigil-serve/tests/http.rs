//! The health endpoint over real HTTP on loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use vigil_serve::{HealthBoard, MetricsServer};

fn get(server: &MetricsServer, path: &str) -> (u16, String, String) {
    let url = format!("http://{}{path}", server.local_addr());
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    );
    let mut resp = agent.get(&url).call().unwrap();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = resp.body_mut().read_to_string().unwrap();
    (resp.status().as_u16(), ctype, body)
}

#[test]
fn metrics_and_health_are_served() {
    let board = HealthBoard::default();
    board.count_alerts(3);
    let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), board.clone()).unwrap();
    let (code, ctype, body) = get(&server, "/metrics");
    assert_eq!(code, 200);
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    assert!(
        body.contains("\nvigil_serve_alerts_raised_total 3\n"),
        "{body}"
    );
    let (code, ctype, body) = get(&server, "/health");
    assert_eq!(ctype, "application/json");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["schema"], "vigil.health/1");
    assert_eq!(doc["health"]["alerts_raised"], 3);
    // A board nobody has published to has no heartbeat interval and a heartbeat from 1970: stale.
    assert_eq!((code, doc["status"].as_str()), (503, Some("stale")));
    assert_eq!(get(&server, "/nothing").0, 404);
}

/// Clients that connect and send nothing hold at most their slot, for at most the header
/// timeout; they neither stall others for long nor pile up.
#[test]
fn silent_clients_do_not_block_the_endpoint() {
    let server =
        MetricsServer::start("127.0.0.1:0".parse().unwrap(), HealthBoard::default()).unwrap();
    let idle: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(server.local_addr()).unwrap())
        .collect();
    // Past the limit, connections are closed at once.
    let mut closed = 0;
    for mut s in idle
        .iter()
        .skip(vigil_serve::http_limits::MAX_CONNECTIONS + 4)
    {
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 16];
        if matches!(s.read(&mut buf), Ok(0) | Err(_)) {
            closed += 1;
        }
    }
    assert!(closed > 0);
    // Once the header timeout has passed, the silent ones are gone and a request is served.
    let t0 = Instant::now();
    loop {
        let mut s = TcpStream::connect(server.local_addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        if text.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(12), "never served");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(idle);
}

/// A request head larger than the limit is refused, not buffered.
#[test]
fn an_oversized_request_is_refused() {
    let server =
        MetricsServer::start("127.0.0.1:0".parse().unwrap(), HealthBoard::default()).unwrap();
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let big = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = s.write_all(big.as_bytes());
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    assert!(!text.starts_with("HTTP/1.1 200"), "{text:.40}");
}

/// A port already taken is an error at start, naming the address.
#[test]
fn a_busy_port_is_an_error() {
    let first =
        MetricsServer::start("127.0.0.1:0".parse().unwrap(), HealthBoard::default()).unwrap();
    let err = MetricsServer::start(first.local_addr(), HealthBoard::default()).unwrap_err();
    assert!(
        err.to_string().contains(&first.local_addr().to_string()),
        "{err}"
    );
}
