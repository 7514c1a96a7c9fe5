//! Real servers for tests, started in-process on loopback by the test that needs them, so that vigil's
//! clients are exercised over real sockets and real protocols with nothing to install:
//!
//! - [`smtp::SmtpServer`]: ESMTP with STARTTLS or implicit TLS and AUTH PLAIN/LOGIN, keeping each message;
//! - [`http::HttpReceiver`]: an HTTP/1.1 endpoint that keeps each request and answers scripted statuses;
//! - [`syslog::SyslogReceiver`]: a syslog collector over UDP or TCP (RFC 5426, RFC 6587 framing);
//! - [`console`]: a client of the console (agent, sign-in through the form);
//! - [`tls::TestCa`]: a certificate authority and a `127.0.0.1`/`localhost` server certificate made
//!   per run with `rcgen`.
//!
//! Every server stops when dropped. Test support only: these servers trust their clients and keep all
//! they receive in memory (bounded per message).

pub mod console;
pub mod http;
pub mod mime;
pub mod smtp;
pub mod syslog;
pub mod tls;

use std::time::{Duration, Instant};

/// Polls `f` until it returns `Some`, or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Accepts connections on `listener` in a thread, handing each to `handle` in its own thread, until
/// `stop` is set (the owner then connects once to wake the accept).
pub(crate) fn serve(
    listener: std::net::TcpListener,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: impl Fn(std::net::TcpStream) + Send + Sync + 'static,
) {
    let handle = std::sync::Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let handle = handle.clone();
            std::thread::spawn(move || handle(stream));
        }
    });
}

/// Stops a [`serve`] loop: sets the flag and wakes the accept.
pub(crate) fn stop(addr: std::net::SocketAddr, flag: &std::sync::atomic::AtomicBool) {
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200));
}
