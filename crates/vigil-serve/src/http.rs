//! `/metrics` (Prometheus text) and `/health` (JSON) over HTTP/1.1, on a thread of its own with a
//! current-thread tokio runtime, so that a slow or stuck scraper never stalls detection: the loop
//! only ever publishes to the [`HealthBoard`], and this thread only ever copies from it.
//!
//! axum, because the console serves its pages with it and can take these routes into its
//! router; hyper's connection builder underneath, for the limits ([`Limits`]; for this endpoint:
//! at most [`MAX_CONNECTIONS`] at once (more are closed at once, not queued), a request head of at
//! most [`MAX_REQUEST_HEAD`] bytes read within [`HEADER_TIMEOUT`], one request per connection,
//! and every connection closed after [`CONNECTION_TIMEOUT`] whatever it is doing). The same
//! [`HttpServer`] runs the console, over TLS.

use crate::error::ServeError;
use crate::health::HealthBoard;
use crate::metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use vigil_model::{Liveness, Timestamp};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
/// Largest request head read (hyper's smallest accepted buffer is 8 KiB).
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Time allowed to send the request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a whole connection.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(15);

/// How much a server takes: connections at once (more are closed at once, not queued), the
/// request head's size and time, the TLS handshake's time, a whole connection's time, and whether
/// a connection may carry more than one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    pub max_request_head: usize,
    pub header_timeout: Duration,
    pub handshake_timeout: Duration,
    pub connection_timeout: Duration,
    pub keep_alive: bool,
}

/// The limits of the metrics endpoint.
pub const METRICS_LIMITS: Limits = Limits {
    max_connections: MAX_CONNECTIONS,
    max_request_head: MAX_REQUEST_HEAD,
    header_timeout: HEADER_TIMEOUT,
    handshake_timeout: HEADER_TIMEOUT,
    connection_timeout: CONNECTION_TIMEOUT,
    keep_alive: false,
};

/// An axum router served on a thread of its own (a current-thread runtime), plain or over TLS,
/// within [`Limits`]; dropping it stops the thread. The metrics endpoint and the console both run
/// on it.
#[derive(Debug)]
pub struct HttpServer {
    addr: SocketAddr,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Binds `addr` now (so a busy port stops the service before it reports ready) and serves
    /// `router` from a new thread named `name`, over TLS with `tls`. Errors are the reason only
    /// (the caller names the endpoint).
    pub fn start(
        addr: SocketAddr,
        router: Router,
        tls: Option<Arc<rustls::ServerConfig>>,
        limits: Limits,
        name: &str,
    ) -> Result<HttpServer, String> {
        let failed = |what: &str, e: std::io::Error| format!("{what}: {e}");
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
        let label = name.to_string();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                runtime.block_on(async move {
                    let accept = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => tokio::spawn(accept_loop(l, router, acceptor, limits)),
                        Err(e) => {
                            tracing::error!("{label} {local}: {e}");
                            return;
                        }
                    };
                    stopped.notified().await;
                    accept.abort();
                });
                // Dropping the runtime drops every connection still open.
            })
            .map_err(|e| failed("cannot start its thread", e))?;
        Ok(HttpServer {
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

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("an HTTP server thread ended abnormally");
        }
    }
}

/// The running metrics endpoint; dropping it stops the thread.
#[derive(Debug)]
pub struct MetricsServer {
    server: HttpServer,
}

impl MetricsServer {
    /// Binds `addr` now (so a busy port stops the service before it reports ready) and serves
    /// `board` from a new thread.
    pub fn start(addr: SocketAddr, board: HealthBoard) -> Result<MetricsServer, ServeError> {
        let server = HttpServer::start(addr, router(board), None, METRICS_LIMITS, "vigil-metrics")
            .map_err(|reason| ServeError::Metrics {
                addr: addr.to_string(),
                reason,
            })?;
        tracing::info!(
            "health served on http://{}/metrics and /health",
            server.local_addr()
        );
        Ok(MetricsServer { server })
    }

    /// The address served (the port chosen by the system when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}

/// The routes, over the live board.
pub fn router(board: HealthBoard) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/health", get(health_json))
        .with_state(board)
}

async fn metrics_text(State(board): State<HealthBoard>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(&board.snapshot()),
    )
}

/// The snapshot as JSON; 503 when the loop has not polled within its stale limit (hung) or has
/// stopped, so a liveness probe sees what `vigil status` would.
async fn health_json(State(board): State<HealthBoard>) -> impl IntoResponse {
    let snapshot = board.snapshot();
    let status = snapshot.liveness(Timestamp::now());
    let code = match status {
        Liveness::Running => StatusCode::OK,
        Liveness::Stale | Liveness::Stopped => StatusCode::SERVICE_UNAVAILABLE,
    };
    let body = serde_json::json!({
        "schema": "vigil.health/1",
        "status": status,
        "health": snapshot,
    });
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, most likely: wait rather than spin.
                tracing::warn!("HTTP endpoint: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            // Full: closed at once rather than queued, so a flood cannot pile up.
            drop(stream);
            continue;
        };
        // The client's address, for handlers that record it (the console's sign-in trail).
        let service =
            TowerToHyperService::new(router.clone().layer(axum::Extension(ClientAddr(peer))));
        let tls = tls.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_request_head)
                .keep_alive(limits.keep_alive);
            let serve = async move {
                let served = match tls {
                    Some(acceptor) => {
                        let handshake =
                            tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream));
                        match handshake.await {
                            Ok(Ok(stream)) => {
                                builder
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await
                            }
                            Ok(Err(e)) => {
                                tracing::debug!("TLS handshake from {peer}: {e}");
                                return;
                            }
                            Err(_) => return,
                        }
                    }
                    None => {
                        builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    }
                };
                if let Err(e) = served {
                    tracing::debug!("HTTP connection from {peer}: {e}");
                }
            };
            let _ = tokio::time::timeout(limits.connection_timeout, serve).await;
            drop(permit);
        });
    }
}

/// The address of the client of a request, set per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);
