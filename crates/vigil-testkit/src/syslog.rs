//! Syslog collectors for tests: UDP (one message per datagram, RFC 5426) and TCP (RFC 6587: octet
//! counting, or newline-terminated when a frame does not start with a length).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Messages = Arc<Mutex<Vec<String>>>;

fn snapshot(m: &Messages) -> Vec<String> {
    m.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn wait(m: &Messages, n: usize, timeout: Duration) -> Vec<String> {
    crate::wait_for(timeout, || {
        let v = snapshot(m);
        (v.len() >= n).then_some(v)
    })
    .unwrap_or_else(|| snapshot(m))
}

pub struct UdpReceiver {
    addr: SocketAddr,
    messages: Messages,
    stop: Arc<AtomicBool>,
}

impl UdpReceiver {
    /// # Panics
    /// If it cannot bind (test support).
    pub fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        let addr = socket.local_addr().expect("UDP address");
        let _ = socket.set_read_timeout(Some(Duration::from_millis(100)));
        let messages = Messages::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (messages.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while !s.load(Ordering::SeqCst) {
                if let Ok((n, _)) = socket.recv_from(&mut buf) {
                    let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default());
                    m.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(text.into_owned());
                }
            }
        });
        UdpReceiver {
            addr,
            messages,
            stop,
        }
    }

    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        wait(&self.messages, n, timeout)
    }
}

impl Drop for UdpReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

pub struct TcpReceiver {
    addr: SocketAddr,
    messages: Messages,
    stop: Arc<AtomicBool>,
}

impl TcpReceiver {
    /// # Panics
    /// If it cannot listen (test support).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TCP");
        let addr = listener.local_addr().expect("TCP address");
        let messages = Messages::default();
        let stop = Arc::new(AtomicBool::new(false));
        let m = messages.clone();
        crate::serve(listener, stop.clone(), move |stream| {
            let _ = frames(stream, &m);
        });
        TcpReceiver {
            addr,
            messages,
            stop,
        }
    }

    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        wait(&self.messages, n, timeout)
    }
}

impl Drop for TcpReceiver {
    fn drop(&mut self) {
        crate::stop(self.addr, &self.stop);
    }
}

/// Splits a stream into messages: `LEN SP MSG` when a frame starts with a digit, else up to LF.
fn frames(stream: TcpStream, messages: &Messages) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let buf = reader.fill_buf()?;
        let Some(&first) = buf.first() else {
            return Ok(());
        };
        let message = if first.is_ascii_digit() {
            let mut len = Vec::new();
            reader.read_until(b' ', &mut len)?;
            let n: usize = String::from_utf8_lossy(&len)
                .trim()
                .parse()
                .map_err(std::io::Error::other)?;
            let mut msg = vec![0u8; n.min(1 << 20)];
            reader.read_exact(&mut msg)?;
            msg
        } else {
            let mut msg = Vec::new();
            reader.read_until(b'\n', &mut msg)?;
            if msg.last() == Some(&b'\n') {
                msg.pop();
            }
            msg
        };
        messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(String::from_utf8_lossy(&message).into_owned());
    }
}
