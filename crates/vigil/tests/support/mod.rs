//! Test support: a tiny HTTP/1.1 server on loopback that serves fixtures, so that `vigil db update` is
//! exercised end to end without the network.

#![allow(dead_code)]

pub mod browser;
pub mod serve;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Clone)]
pub enum Route {
    /// 200 with an ETag; 304 when the client presents the same ETag.
    Ok {
        body: Vec<u8>,
        etag: String,
    },
    /// Announces `len` bytes, sends `body` (fewer), closes.
    Truncated {
        body: Vec<u8>,
        len: usize,
    },
    Status(u16),
}

#[derive(Default)]
pub struct State {
    pub routes: HashMap<String, Route>,
    /// (path, whether the request was conditional, status answered)
    pub log: Vec<(String, bool, u16)>,
}

pub struct FixtureServer {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let st = shared.clone();
                thread::spawn(move || serve(stream, st));
            }
        });
        FixtureServer { base, state }
    }

    pub fn route(&self, path: &str, route: Route) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), route);
    }

    pub fn requests(&self, path: &str) -> Vec<(bool, u16)> {
        let st = self.state.lock().unwrap();
        st.log
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, c, s)| (*c, *s))
            .collect()
    }
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(v.trim().to_string());
        }
    }
    let route = state.lock().unwrap().routes.get(&path).cloned();
    let mut out = stream;
    let conditional = if_none_match.is_some();
    let status = match route {
        None => {
            respond(&mut out, 404, &[], b"not found");
            404
        }
        Some(Route::Status(code)) => {
            respond(&mut out, code, &[], b"failure");
            code
        }
        Some(Route::Ok { body, etag }) => {
            if if_none_match.as_deref() == Some(etag.as_str()) {
                respond(&mut out, 304, &[("ETag", &etag)], b"");
                304
            } else {
                respond(&mut out, 200, &[("ETag", &etag)], &body);
                200
            }
        }
        Some(Route::Truncated { body, len }) => {
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
            let _ = out.write_all(head.as_bytes());
            let _ = out.write_all(&body);
            let _ = out.flush();
            200
        }
    };
    state.lock().unwrap().log.push((path, conditional, status));
}

fn respond(out: &mut TcpStream, code: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(body);
    let _ = out.flush();
}

/// A loopback address where nothing listens: a source that is down.
pub fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

pub fn vigil(db: &Path, config: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.arg("--db").arg(db);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.args(args)
        .env_remove("VIGIL_DB")
        .env_remove("VIGIL_CONFIG")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env("NO_COLOR", "1");
    cmd.output().expect("run vigil")
}

pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn read(p: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    std::fs::File::open(p).unwrap().read_to_end(&mut v).unwrap();
    v
}
