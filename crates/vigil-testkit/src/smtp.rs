//! An SMTP server (RFC 5321) for tests: EHLO/HELO, STARTTLS (RFC 3207) or TLS from the first byte,
//! AUTH PLAIN and LOGIN (RFC 4954) checked against one user, MAIL/RCPT/DATA with dot-unstuffing, RSET,
//! NOOP, QUIT. Like a real submission server it offers AUTH only over TLS (when TLS is configured) and
//! refuses mail before authentication when a user is set. It can answer `451` to the first N
//! transactions, to exercise a client's retries.

use crate::tls::TestCa;
use base64::Engine;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longest command line, and longest message accepted.
const MAX_LINE: usize = 4096;
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// How the server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    Starttls,
    Implicit,
    None,
}

/// A message as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed, CRLF line ends.
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
    pub user: Option<String>,
}

impl Mail {
    /// A header's value (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        crate::mime::header(&self.data, name)
    }

    /// The decoded text of every part (plain text and HTML), joined.
    pub fn text(&self) -> String {
        crate::mime::decoded_text(&self.data)
    }
}

struct Shared {
    mails: Mutex<Vec<Mail>>,
    tls: SmtpTls,
    config: Arc<ServerConfig>,
    user: Option<(String, String)>,
    fail_first: AtomicU32,
    attempts: AtomicU32,
}

pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    /// The PEM of the CA that signed the server's certificate.
    pub ca_pem: String,
}

impl SmtpServer {
    /// Starts a server on 127.0.0.1 (any free port). `user` makes AUTH mandatory.
    ///
    /// # Panics
    /// If it cannot listen (test support).
    pub fn start(tls: SmtpTls, user: Option<(&str, &str)>) -> Self {
        let ca = TestCa::new();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        let addr = listener.local_addr().expect("SMTP address");
        let shared = Arc::new(Shared {
            mails: Mutex::new(Vec::new()),
            tls,
            config: ca.server_config(),
            user: user.map(|(u, p)| (u.to_string(), p.to_string())),
            fail_first: AtomicU32::new(0),
            attempts: AtomicU32::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let s = shared.clone();
        crate::serve(listener, stop.clone(), move |stream| {
            let _ = session(&s, stream);
        });
        SmtpServer {
            addr,
            shared,
            stop,
            ca_pem: ca.ca_pem,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Answers `451` to the next `n` MAIL commands.
    pub fn fail_next(&self, n: u32) {
        self.shared.fail_first.store(n, Ordering::SeqCst);
    }

    /// How many MAIL commands were received (accepted or not).
    pub fn attempts(&self) -> u32 {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.shared
            .mails
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until at least `n` messages arrived (or `timeout`), and returns them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        crate::wait_for(timeout, || {
            let mails = self.mails();
            (mails.len() >= n).then_some(mails)
        })
        .unwrap_or_else(|| self.mails())
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        crate::stop(self.addr, &self.stop);
    }
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// Reads one CRLF- (or LF-) terminated line, byte by byte so that nothing is buffered past it (the
/// TLS handshake follows STARTTLS's reply on the same socket).
fn line(conn: &mut Conn) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if conn.read(&mut byte)? == 0 {
            return Ok(if buf.is_empty() {
                None
            } else {
                Some(String::from_utf8_lossy(&buf).into())
            });
        }
        if byte[0] == b'\n' {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        buf.push(byte[0]);
        if buf.len() > MAX_MESSAGE {
            return Err(io::Error::other("line too long"));
        }
    }
}

fn reply(conn: &mut Conn, text: &str) -> io::Result<()> {
    conn.write_all(text.as_bytes())?;
    conn.write_all(b"\r\n")?;
    conn.flush()
}

fn tls(config: &Arc<ServerConfig>, stream: TcpStream) -> io::Result<Conn> {
    let server = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
    let mut s = StreamOwned::new(server, stream);
    // Finish the handshake now so a failure shows here.
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock)?;
    }
    Ok(Conn::Tls(Box::new(s)))
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.find('>').unwrap_or(arg.len());
    arg.get(start..end).unwrap_or_default().to_string()
}

fn session(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    let mut secure = shared.tls == SmtpTls::Implicit;
    let mut conn = if secure {
        tls(&shared.config, stream)?
    } else {
        Conn::Plain(stream)
    };
    reply(&mut conn, "220 localhost ESMTP vigil-testkit")?;
    let mut user: Option<String> = None;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    while let Some(cmd) = line(&mut conn)? {
        if cmd.len() > MAX_LINE {
            reply(&mut conn, "500 line too long")?;
            continue;
        }
        let (verb, arg) = cmd.split_once(' ').unwrap_or((&cmd, ""));
        let auth_offered = shared.user.is_some() && (secure || shared.tls == SmtpTls::None);
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                let mut lines = vec!["250-localhost".to_string()];
                if shared.tls == SmtpTls::Starttls && !secure {
                    lines.push("250-STARTTLS".into());
                }
                if auth_offered {
                    lines.push("250-AUTH PLAIN LOGIN".into());
                }
                lines.push("250 8BITMIME".into());
                reply(&mut conn, &lines.join("\r\n"))?;
            }
            "HELO" => reply(&mut conn, "250 localhost")?,
            "STARTTLS" if shared.tls == SmtpTls::Starttls && !secure => {
                reply(&mut conn, "220 2.0.0 ready to start TLS")?;
                let Conn::Plain(stream) = conn else {
                    return Ok(());
                };
                conn = tls(&shared.config, stream)?;
                secure = true;
                // RFC 3207: the client starts over.
                user = None;
                from = None;
                to.clear();
            }
            "AUTH" if auth_offered => {
                let (mech, initial) = arg.split_once(' ').unwrap_or((arg, ""));
                let (name, pass) = match mech.to_ascii_uppercase().as_str() {
                    "PLAIN" => {
                        let resp = if initial.is_empty() {
                            reply(&mut conn, "334 ")?;
                            line(&mut conn)?.unwrap_or_default()
                        } else {
                            initial.to_string()
                        };
                        let decoded = b64(&resp);
                        let mut parts = decoded.split('\0').skip(1);
                        (
                            parts.next().unwrap_or_default().to_string(),
                            parts.next().unwrap_or_default().to_string(),
                        )
                    }
                    "LOGIN" => {
                        let name = if initial.is_empty() {
                            reply(&mut conn, "334 VXNlcm5hbWU6")?;
                            b64(&line(&mut conn)?.unwrap_or_default())
                        } else {
                            b64(initial)
                        };
                        reply(&mut conn, "334 UGFzc3dvcmQ6")?;
                        (name, b64(&line(&mut conn)?.unwrap_or_default()))
                    }
                    _ => {
                        reply(&mut conn, "504 unrecognized authentication type")?;
                        continue;
                    }
                };
                if shared.user.as_ref() == Some(&(name.clone(), pass)) {
                    user = Some(name);
                    reply(&mut conn, "235 2.7.0 authentication successful")?;
                } else {
                    reply(&mut conn, "535 5.7.8 authentication credentials invalid")?;
                }
            }
            "MAIL" => {
                shared.attempts.fetch_add(1, Ordering::SeqCst);
                if shared.user.is_some() && user.is_none() {
                    reply(&mut conn, "530 5.7.0 authentication required")?;
                } else if shared
                    .fail_first
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    reply(&mut conn, "451 4.3.0 try again later")?;
                } else {
                    from = Some(address(arg));
                    to.clear();
                    reply(&mut conn, "250 2.1.0 ok")?;
                }
            }
            "RCPT" if from.is_some() => {
                to.push(address(arg));
                reply(&mut conn, "250 2.1.5 ok")?;
            }
            "DATA" if from.is_some() && !to.is_empty() => {
                reply(&mut conn, "354 end data with <CR><LF>.<CR><LF>")?;
                let mut data = String::new();
                loop {
                    let Some(l) = line(&mut conn)? else {
                        return Ok(());
                    };
                    if l == "." {
                        break;
                    }
                    let l = l.strip_prefix('.').unwrap_or(&l);
                    if data.len() + l.len() > MAX_MESSAGE {
                        return Err(io::Error::other("message too large"));
                    }
                    data.push_str(l);
                    data.push_str("\r\n");
                }
                shared
                    .mails
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Mail {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                        tls: secure,
                        user: user.clone(),
                    });
                reply(&mut conn, "250 2.0.0 queued")?;
            }
            "RSET" => {
                from = None;
                to.clear();
                reply(&mut conn, "250 2.0.0 ok")?;
            }
            "NOOP" => reply(&mut conn, "250 2.0.0 ok")?,
            "QUIT" => {
                reply(&mut conn, "221 2.0.0 bye")?;
                return Ok(());
            }
            _ => reply(&mut conn, "503 5.5.1 bad sequence of commands")?,
        }
    }
    Ok(())
}
