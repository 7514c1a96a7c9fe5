//! The console's server: the HTTP server of `vigil serve` (`vigil_serve::HttpServer`: a thread of its
//! own with a current-thread runtime, so a slow browser never stalls detection) over TLS, with the
//! console's limits: at most [`MAX_CONNECTIONS`] at once (more are closed, not queued), a request head
//! of at most [`MAX_REQUEST_HEAD`] bytes read within [`HEADER_TIMEOUT`], a TLS handshake within
//! [`HANDSHAKE_TIMEOUT`], and each connection closed after [`CONNECTION_TIMEOUT`].

use crate::error::ConsoleError;
use crate::throttle::ThrottlePolicy;
use axum::Router;
use jiff::SignedDuration;
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use vigil_serve::{HttpServer, Limits};
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

const LIMITS: Limits = Limits {
    max_connections: MAX_CONNECTIONS,
    max_request_head: MAX_REQUEST_HEAD,
    header_timeout: HEADER_TIMEOUT,
    handshake_timeout: HANDSHAKE_TIMEOUT,
    connection_timeout: CONNECTION_TIMEOUT,
    // A page pulls its stylesheet on the same connection.
    keep_alive: true,
};

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
    /// Sign-in attempts per client address.
    pub throttle: ThrottlePolicy,
    /// The ATT&CK coverage of the watched logs, computed at start (none by default).
    pub coverage: crate::coverage::CoverageBoard,
    /// The service's configuration as administrators see it at `/settings` (no secrets).
    pub configuration: Configuration,
}

/// What the service is configured to do, as the console shows it: made by the service from its
/// configuration file, secrets left out.
#[derive(Debug, Clone, Default)]
pub struct Configuration {
    /// The file it came from; `None` when the service runs on the defaults.
    pub file: Option<String>,
    pub sections: Vec<ConfigSection>,
}

/// One part of the configuration: a title and its settings, each a name and a value.
#[derive(Debug, Clone, Default)]
pub struct ConfigSection {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            tls: true,
            idle: SignedDuration::from_mins(30),
            absolute: SignedDuration::from_hours(12),
            lockout: LockoutPolicy::default(),
            throttle: ThrottlePolicy::default(),
            coverage: crate::coverage::CoverageBoard::default(),
            configuration: Configuration::default(),
        }
    }
}

/// The running console; dropping it stops the thread.
#[derive(Debug)]
pub struct ConsoleServer {
    server: HttpServer,
}

impl ConsoleServer {
    /// Binds `addr` now (so a busy port stops the service before it reports ready) and serves
    /// `router` from a new thread, over TLS with `tls`, plain without.
    pub fn start(
        addr: SocketAddr,
        router: Router,
        tls: Option<Arc<ServerConfig>>,
    ) -> Result<ConsoleServer, ConsoleError> {
        let server =
            HttpServer::start(addr, router, tls, LIMITS, "vigil-console").map_err(|reason| {
                ConsoleError::Listen {
                    addr: addr.to_string(),
                    reason,
                }
            })?;
        Ok(ConsoleServer { server })
    }

    /// The address served (the port chosen by the system when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}
