//! `/metrics` (Prometheus text) and `/health` (JSON) over HTTP/1.1, on a thread of its own with a
//! current-thread tokio runtime, so that a slow or stuck scraper never stalls detection: the loop
//! only ever publishes to the [`HealthBoard`], and this thread only ever copies from it.
//!
//! axum, because the console will serve its pages with it and can take these routes into its
//! router; hyper's connection builder underneath, for the limits: at most
//! [`MAX_CONNECTIONS`] at once (more are closed at once, not queued), a request head of at most
//! [`MAX_REQUEST_HEAD`] bytes read within [`HEADER_TIMEOUT`], one request per connection, and
//! every connection closed after [`CONNECTION_TIMEOUT`] whatever it is doing.

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

/// The running endpoint; dropping it stops the thread.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` now (so a busy port stops the service before it reports ready) and serves
    /// `board` from a new thread.
    pub fn start(addr: SocketAddr, board: HealthBoard) -> Result<MetricsServer, ServeError> {
        let failed = |what: &str, e: std::io::Error| ServeError::Metrics {
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
        let thread = std::thread::Builder::new()
            .name("vigil-metrics".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let accept = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => tokio::spawn(accept_loop(l, router(board))),
                        Err(e) => {
                            tracing::error!("metrics endpoint {local}: {e}");
                            return;
                        }
                    };
                    stopped.notified().await;
                    accept.abort();
                });
                // Dropping the runtime drops every connection still open.
            })
            .map_err(|e| failed("cannot start its thread", e))?;
        tracing::info!("health served on http://{local}/metrics and /health");
        Ok(MetricsServer {
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

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the metrics thread ended abnormally");
        }
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

async fn accept_loop(listener: tokio::net::TcpListener, router: Router) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, most likely: wait rather than spin.
                tracing::warn!("metrics endpoint: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            // Full: closed at once rather than queued, so a flood cannot pile up.
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_REQUEST_HEAD)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            if let Ok(Err(e)) = tokio::time::timeout(CONNECTION_TIMEOUT, conn).await {
                tracing::debug!("metrics connection: {e}");
            }
            drop(permit);
        });
    }
}
