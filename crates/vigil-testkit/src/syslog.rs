//! A syslog collector for tests: over UDP (one message per datagram, RFC 5426) or TCP (RFC 6587:
//! octet counting, or newline-terminated when a frame does not start with a length).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Messages = Arc<Mutex<Vec<String>>>;

fn push(m: &Messages, bytes: &[u8]) {
    m.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(String::from_utf8_lossy(bytes).into_owned());
}

pub struct SyslogReceiver {
    addr: SocketAddr,
    tcp: bool,
    messages: Messages,
    stop: Arc<AtomicBool>,
}

impl SyslogReceiver {
    /// A UDP collector on 127.0.0.1.
    ///
    /// # Panics
    /// If it cannot bind (test support).
    pub fn udp() -> Self {
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
                    push(&m, buf.get(..n).unwrap_or_default());
                }
            }
        });
        SyslogReceiver {
            addr,
            tcp: false,
            messages,
            stop,
        }
    }

    /// A TCP collector on 127.0.0.1.
    ///
    /// # Panics
    /// If it cannot listen (test support).
    pub fn tcp() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TCP");
        let addr = listener.local_addr().expect("TCP address");
        let messages = Messages::default();
        let stop = Arc::new(AtomicBool::new(false));
        let m = messages.clone();
        crate::serve(listener, stop.clone(), move |stream| {
            let _ = frames(stream, &m);
        });
        SyslogReceiver {
            addr,
            tcp: true,
            messages,
            stop,
        }
    }

    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits until at least `n` messages arrived (or `timeout`), and returns them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let snapshot = || {
            self.messages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        };
        crate::wait_for(timeout, || {
            let v = snapshot();
            (v.len() >= n).then_some(v)
        })
        .unwrap_or_else(snapshot)
    }
}

impl Drop for SyslogReceiver {
    fn drop(&mut self) {
        if self.tcp {
            crate::stop(self.addr, &self.stop);
        } else {
            self.stop.store(true, Ordering::SeqCst);
        }
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
        let mut message = Vec::new();
        if first.is_ascii_digit() {
            let mut len = Vec::new();
            reader.read_until(b' ', &mut len)?;
            let n: usize = String::from_utf8_lossy(&len)
                .trim()
                .parse()
                .map_err(std::io::Error::other)?;
            message.resize(n.min(1 << 20), 0);
            reader.read_exact(&mut message)?;
        } else {
            reader.read_until(b'\n', &mut message)?;
            if message.last() == Some(&b'\n') {
                message.pop();
            }
        }
        push(messages, &message);
    }
}
