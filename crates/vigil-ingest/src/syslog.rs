//! A syslog listener: RFC 3164 and RFC 5424 messages over UDP (one message a datagram) and TCP
//! (RFC 6587 framing: octet counting `LEN SP MSG`, or newline-terminated, chosen per frame by
//! its first byte as RFC 6587 §3.4 allows), parsed by vigil-logs' syslog parser so Postfix,
//! Dovecot and sshd messages get the same fields as from files.
//!
//! Bounded: messages above [`ListenerConfig::max_message`] are dropped and counted (a TCP
//! connection whose framing cannot be followed past one is closed), connections above
//! [`ListenerConfig::max_connections`] are refused, and events wait in a queue of
//! [`ListenerConfig::queue`]: when it is full UDP messages are dropped and counted, while TCP
//! readers block, so TCP's flow control slows the sender instead of memory growing.
//!
//! TCP may be wrapped in TLS (RFC 5425's octet-counted framing applies unchanged), with the
//! certificate chain and key read from PEM files ([`tls_config`]).
//!
//! Threads with blocking I/O: one for UDP, one accepting TCP, one per TCP connection.

use crate::IngestError;
use crate::framing::{Frame, decode_message, message_decoder, read_frame};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{self, BufReader, Read};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;
use vigil_logs::ReadOptions;
use vigil_logs::stream::LineDecoder;
use vigil_model::Event;

/// Limits of a listener (documented defaults).
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// Largest message accepted, in bytes (default 8192; RFC 5425 asks for at least 2048).
    pub max_message: usize,
    /// TCP connections served at once (default 64).
    pub max_connections: usize,
    /// Events waiting for the consumer (default 10 000).
    pub queue: usize,
    /// Options of the syslog parser (time zone of RFC 3164 timestamps).
    pub options: ReadOptions,
    /// Serve TCP over TLS with this configuration (see [`tls_config`]).
    pub tls: Option<Arc<ServerConfig>>,
    /// The host of messages that name none; the sender's address when unset.
    pub host: Option<String>,
}

/// A TLS server configuration from a PEM certificate chain and a PEM private key (PKCS#8,
/// PKCS#1 or SEC1), as a syslog server's `cert`/`key` files give them.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, IngestError> {
    let pem_err = |path: &Path, e: rustls::pki_types::pem::Error| IngestError::Tls {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem_err(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(cert, e))?;
    if chain.is_empty() {
        return Err(IngestError::Tls {
            path: cert.display().to_string(),
            reason: "no certificate in the file".into(),
        });
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_err(key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key_der))
        .map_err(|e| IngestError::Tls {
            path: key.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(Arc::new(config))
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            max_message: 8192,
            max_connections: 64,
            queue: 10_000,
            options: ReadOptions::default(),
            tls: None,
            host: None,
        }
    }
}

/// Counters of a listener, as plain data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenerStats {
    pub received: u64,
    /// UDP messages dropped because the queue was full.
    pub dropped_full: u64,
    /// Messages above the size limit.
    pub oversize: u64,
    /// Messages the syslog parser could not read.
    pub unparsed: u64,
    pub connections_refused: u64,
    pub errors: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    dropped_full: AtomicU64,
    oversize: AtomicU64,
    unparsed: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
    connections: AtomicUsize,
}

/// A running listener; events are taken with [`SyslogListener::recv_timeout`].
pub struct SyslogListener {
    rx: Receiver<Event>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for SyslogListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogListener")
            .field("udp", &self.udp)
            .field("tcp", &self.tcp)
            .finish_non_exhaustive()
    }
}

impl SyslogListener {
    /// Listens on `udp` and/or `tcp` (port 0: any free port, see [`SyslogListener::udp_addr`]).
    pub fn start(
        udp: Option<SocketAddr>,
        tcp: Option<SocketAddr>,
        config: ListenerConfig,
    ) -> io::Result<SyslogListener> {
        let (tx, rx) = sync_channel(config.queue.max(1));
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let config = Arc::new(config);
        // Message numbers start again with every start and every connection: the start time
        // (and the connection's number) keeps their records apart.
        let run = jiff::Timestamp::now().as_microsecond();
        let mut threads = Vec::new();
        let mut udp_addr = None;
        if let Some(addr) = udp {
            let sock = UdpSocket::bind(addr)?;
            sock.set_read_timeout(Some(Duration::from_millis(100)))?;
            udp_addr = Some(sock.local_addr()?);
            let (tx, c, s, cfg) = (tx.clone(), counters.clone(), stop.clone(), config.clone());
            threads.push(std::thread::spawn(move || {
                udp_loop(&sock, &tx, &c, &s, &cfg, &format!("udp:{run}"))
            }));
        }
        let mut tcp_addr = None;
        if let Some(addr) = tcp {
            let listener = TcpListener::bind(addr)?;
            listener.set_nonblocking(true)?;
            tcp_addr = Some(listener.local_addr()?);
            let (c, s, cfg) = (counters.clone(), stop.clone(), config.clone());
            threads.push(std::thread::spawn(move || {
                accept_loop(&listener, &tx, &c, &s, &cfg, run);
            }));
        }
        Ok(SyslogListener {
            rx,
            counters,
            stop,
            udp: udp_addr,
            tcp: tcp_addr,
            threads,
        })
    }

    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp
    }

    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.rx.recv_timeout(timeout).ok()
    }

    pub fn stats(&self) -> ListenerStats {
        let c = &self.counters;
        ListenerStats {
            received: c.received.load(Ordering::Relaxed),
            dropped_full: c.dropped_full.load(Ordering::Relaxed),
            oversize: c.oversize.load(Ordering::Relaxed),
            unparsed: c.unparsed.load(Ordering::Relaxed),
            connections_refused: c.refused.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
        }
    }
}

impl Drop for SyslogListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Connection threads end with their connection; the socket threads within 100 ms.
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn decoder(name: &str, cfg: &ListenerConfig) -> Option<LineDecoder> {
    message_decoder(name, &cfg.options, cfg.max_message)
}

/// Parses one message; the configured host, else the peer's address, stands in for a host the
/// message does not name. Every event of one socket or connection carries its `generation`: the
/// message numbers start again with each connection and each start of the listener.
fn parse(
    dec: &mut LineDecoder,
    msg: &[u8],
    n: u64,
    peer: IpAddr,
    generation: &str,
    (c, cfg): (&Counters, &ListenerConfig),
) -> Option<Event> {
    c.received.fetch_add(1, Ordering::Relaxed);
    let before = dec.stats().failed;
    let ev = decode_message(dec, msg, n, jiff::Timestamp::now());
    if dec.stats().failed > before {
        c.unparsed.fetch_add(1, Ordering::Relaxed);
    }
    let mut ev = ev?;
    if ev.host.is_none() {
        ev.host = Some(cfg.host.clone().unwrap_or_else(|| peer.to_string()));
    }
    ev.source.generation = Some(generation.to_string());
    Some(ev)
}

fn udp_loop(
    sock: &UdpSocket,
    tx: &SyncSender<Event>,
    c: &Counters,
    stop: &AtomicBool,
    cfg: &ListenerConfig,
    generation: &str,
) {
    let Some(mut dec) = decoder("syslog/udp", cfg) else {
        return;
    };
    // One byte more than the limit tells an oversize datagram from one of exactly the limit.
    let mut buf = vec![0u8; cfg.max_message + 1];
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        match sock.recv_from(&mut buf) {
            Ok((len, peer)) => {
                if len > cfg.max_message {
                    c.oversize.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                n += 1;
                let Some(msg) = buf.get(..len) else { continue };
                if let Some(ev) = parse(&mut dec, msg, n, peer.ip(), generation, (c, cfg)) {
                    match tx.try_send(ev) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            c.dropped_full.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(TrySendError::Disconnected(_)) => return,
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    tx: &SyncSender<Event>,
    c: &Arc<Counters>,
    stop: &AtomicBool,
    cfg: &Arc<ListenerConfig>,
    run: i64,
) {
    let mut accepted = 0u64;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, peer)) => {
                if c.connections.load(Ordering::Relaxed) >= cfg.max_connections {
                    c.refused.fetch_add(1, Ordering::Relaxed);
                    continue; // dropped: closed
                }
                if stream.set_nonblocking(false).is_err() {
                    continue;
                }
                c.connections.fetch_add(1, Ordering::Relaxed);
                accepted += 1;
                let generation = format!("tcp:{run}:{accepted}");
                let (tx, c, cfg) = (tx.clone(), c.clone(), cfg.clone());
                std::thread::spawn(move || {
                    match &cfg.tls {
                        None => serve_tcp(stream, (peer.ip(), &generation), &tx, &c, &cfg),
                        Some(tls) => match ServerConnection::new(tls.clone()) {
                            Ok(conn) => {
                                let stream = StreamOwned::new(conn, stream);
                                serve_tcp(stream, (peer.ip(), &generation), &tx, &c, &cfg);
                            }
                            Err(_) => {
                                c.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        },
                    }
                    c.connections.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

fn serve_tcp(
    stream: impl Read,
    (peer, generation): (IpAddr, &str),
    tx: &SyncSender<Event>,
    c: &Counters,
    cfg: &ListenerConfig,
) {
    let Some(mut dec) = decoder("syslog/tcp", cfg) else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut n = 0u64;
    loop {
        match read_frame(&mut reader, cfg.max_message) {
            Ok(Frame::End) => return,
            Ok(Frame::Oversize) => {
                c.oversize.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Frame::Message(msg)) => {
                n += 1;
                if let Some(ev) = parse(&mut dec, &msg, n, peer, generation, (c, cfg)) {
                    // Blocks while the queue is full: back-pressure onto the sender.
                    if tx.send(ev).is_err() {
                        return;
                    }
                }
            }
            Err(_) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
}
