//! The console's server: a thread of its own with a current-thread runtime (as the metrics endpoint,
//! so a slow browser never stalls detection), TLS through rustls, and the same limits: at most
//! [`MAX_CONNECTIONS`] at once (more are closed, not queued), a bounded request head read within
//! [`HEADER_TIMEOUT`], a TLS handshake within [`HANDSHAKE_TIMEOUT`], and each connection closed after
//! [`CONNECTION_TIMEOUT`].

use crate::error::ConsoleError;
use crate::pages_client_addr;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use jiff::SignedDuration;
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use vigil_store::LockoutPolicy;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 32;
/// Largest request head read.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Time allowed for the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed to send the request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a whole connection.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// How the console runs.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Served over TLS: cookies are `Secure` and `__Host-`, HSTS is sent.
    pub tls: bool,
    /// A session unused this long ends.
    pub idle: SignedDuration,
    /// A session ends this long after its login.
    pub absolute: SignedDuration,
    pub lockout: LockoutPolicy,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            tls: true,
            idle: SignedDuration::from_mins(30),
            absolute: SignedDuration::from_hours(12),
            lockout: LockoutPolicy::default(),
        }
    }
}

/// The running console; dropping it stops the thread.
#[derive(Debug)]
pub struct ConsoleServer {
    addr: SocketAddr,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl ConsoleServer {
    /// Binds `addr` now (so a busy port stops the service before it reports ready) and serves `router`
    /// from a new thread, over TLS with `tls`, plain without.
    pub fn start(
        addr: SocketAddr,
        router: Router,
        tls: Option<Arc<ServerConfig>>,
    ) -> Result<ConsoleServer, ConsoleError> {
        let failed = |what: &str, e: std::io::Error| ConsoleError::Listen {
            addr: addr.to_string(),
            reason: format!("{what}: {e}"),
        };
        let listener = std::net::TcpListener::bind(addr).map_err(|e| failed("cannot listen", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| failed("cannot listen", e))?;
        let local = listener
            .local_addr()
            .map_err(|e| failed("cannot listen", e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| failed("cannot start its runtime", e))?;
        let stop = Arc::new(Notify::new());
        let stopped = Arc::clone(&stop);
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let thread = std::thread::Builder::new()
            .name("vigil-console".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let accept = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => tokio::spawn(accept_loop(l, router, acceptor)),
                        Err(e) => {
                            tracing::error!("console {local}: {e}");
                            return;
                        }
                    };
                    stopped.notified().await;
                    accept.abort();
                });
            })
            .map_err(|e| failed("cannot start its thread", e))?;
        Ok(ConsoleServer {
            addr: local,
            stop,
            thread: Some(thread),
        })
    }

    /// The address served (the port chosen by the system when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ConsoleServer {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the console thread ended abnormally");
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("console: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(pages_client_addr(router.clone(), peer));
        let tls = tls.clone();
        tokio::spawn(async move {
            let serve = async move {
                let builder = {
                    let mut b = hyper::server::conn::http1::Builder::new();
                    b.timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .max_buf_size(MAX_REQUEST_HEAD);
                    b
                };
                match tls {
                    Some(acceptor) => {
                        let stream =
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                                .await
                            {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::debug!("console TLS handshake from {peer}: {e}");
                                    return;
                                }
                                Err(_) => return,
                            };
                        if let Err(e) = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                        {
                            tracing::debug!("console connection: {e}");
                        }
                    }
                    None => {
                        if let Err(e) = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                        {
                            tracing::debug!("console connection: {e}");
                        }
                    }
                }
            };
            let _ = tokio::time::timeout(CONNECTION_TIMEOUT, serve).await;
            drop(permit);
        });
    }
}
