//! A syslog listener as a [`Source`]: `vigil-ingest`'s listener receives on its own threads, a
//! pump thread hands what arrived to the runtime through a [`ChannelSource`] in bounded batches.
//!
//! No checkpoint: a datagram or a TCP frame is gone once received, so there is nothing to
//! resume from. Messages received but not yet committed when the service stops or crashes are
//! lost, as are those sent while it is down, unless the sender queues them (rsyslog's disk
//! queues, syslog-ng's reliable disk buffer) and resends over TCP.

use crate::error::ServeError;
use crate::source::{ChannelSource, Source, SourceBatch};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vigil_ingest::{ListenerConfig, ListenerStats, SourceHealth, SyslogListener};

/// Events handed over in one batch at most.
const MAX_BATCH: usize = 1000;

/// Batches waiting for the runtime: with the listener's own queue, what bounds memory. When both
/// are full, UDP messages are dropped (and counted) and TCP senders are slowed down.
const QUEUED_BATCHES: usize = 16;

/// How long the pump waits for a first event before looking at the stop flag again.
const WAIT: Duration = Duration::from_millis(100);

/// The listener's losses are logged at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// One `[[listen]]`: a syslog listener on UDP and/or TCP (or TLS).
pub struct ListenSource {
    channel: Option<ChannelSource>,
    stop: Arc<AtomicBool>,
    pump: Option<JoinHandle<()>>,
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
    /// The listener's counters as the pump last saw them (the listener itself lives on the pump).
    stats: Arc<Mutex<ListenerStats>>,
    /// Its losses as health: every message lost or refused is an error of this source.
    health: SourceHealth,
}

impl std::fmt::Debug for ListenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenSource")
            .field("udp", &self.udp)
            .field("tcp", &self.tcp)
            .finish_non_exhaustive()
    }
}

impl ListenSource {
    /// Binds the sockets and starts receiving; an address that cannot be bound is an error naming
    /// the source and the address, before the service reports ready.
    pub fn start(
        name: impl Into<String>,
        udp: Option<SocketAddr>,
        tcp: Option<SocketAddr>,
        config: ListenerConfig,
    ) -> Result<ListenSource, ServeError> {
        let name = name.into();
        let failed = |reason: String| ServeError::Source {
            source_name: name.clone(),
            reason,
        };
        let listener = SyslogListener::start(udp, tcp, config).map_err(|e| {
            let addrs: Vec<String> = [
                udp.map(|a| format!("udp {a}")),
                tcp.map(|a| format!("tcp {a}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            failed(format!("cannot listen on {}: {e}", addrs.join(", ")))
        })?;
        let (udp, tcp) = (listener.udp_addr(), listener.tcp_addr());
        let (tx, rx) = sync_channel(QUEUED_BATCHES);
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(ListenerStats::default()));
        let pump = {
            let (stop, label, shared) = (Arc::clone(&stop), name.clone(), Arc::clone(&stats));
            std::thread::Builder::new()
                .name("syslog-pump".into())
                .spawn(move || pump(&listener, &tx, &stop, &label, &shared))
                .map_err(|e| failed(format!("cannot start its thread: {e}")))?
        };
        Ok(ListenSource {
            channel: Some(ChannelSource::new(name, rx)),
            stop,
            pump: Some(pump),
            udp,
            tcp,
            stats,
            health: SourceHealth::default(),
        })
    }

    /// The bound UDP address (the real port when 0 was asked for).
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp
    }

    /// The bound TCP address.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }
}

impl Source for ListenSource {
    fn name(&self) -> &str {
        self.channel.as_ref().map_or("syslog", |c| c.name())
    }

    fn poll(&mut self) -> Result<SourceBatch, ServeError> {
        let batch = match self.channel.as_mut() {
            Some(c) => c.poll(),
            None => Ok(SourceBatch::default()),
        };
        let now = *self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let lost: Vec<String> = losses(&now)
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
        let errors = losses(&now).iter().map(|(_, n)| n).sum();
        if errors > self.health.errors {
            self.health.last_error = Some(format!("since the start: {}", lost.join(", ")));
        }
        self.health.errors = errors;
        batch
    }

    fn kind(&self) -> &str {
        "syslog"
    }

    fn health(&self) -> Option<&SourceHealth> {
        Some(&self.health)
    }
}

impl Drop for ListenSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The receiver goes first, so that a pump blocked on a full channel wakes up and ends.
        self.channel = None;
        if let Some(p) = self.pump.take() {
            let _ = p.join();
        }
    }
}

/// Moves events from the listener to the runtime until stopped or the runtime has gone.
fn pump(
    listener: &SyslogListener,
    tx: &SyncSender<SourceBatch>,
    stop: &AtomicBool,
    name: &str,
    shared: &Mutex<ListenerStats>,
) {
    let mut reported = ListenerStats::default();
    let mut last_report = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let mut events = Vec::new();
        if let Some(ev) = listener.recv_timeout(WAIT) {
            events.push(ev);
            while events.len() < MAX_BATCH {
                match listener.recv_timeout(Duration::ZERO) {
                    Some(ev) => events.push(ev),
                    None => break,
                }
            }
        }
        *shared.lock().unwrap_or_else(PoisonError::into_inner) = listener.stats();
        if last_report.elapsed() >= REPORT_EVERY {
            report_losses(name, &listener.stats(), &mut reported);
            last_report = Instant::now();
        }
        if !events.is_empty()
            && tx
                .send(SourceBatch {
                    events,
                    checkpoints: Vec::new(),
                })
                .is_err()
        {
            return;
        }
    }
    report_losses(name, &listener.stats(), &mut reported);
}

/// Warns about messages lost since the last report: never a quiet log taken for a clean one.
fn report_losses(name: &str, now: &ListenerStats, before: &mut ListenerStats) {
    for ((what, n), (_, was)) in losses(now).into_iter().zip(losses(before)) {
        if n > was {
            tracing::warn!(source = name, "{} {what}", n - was);
        }
    }
    *before = *now;
}

/// What the listener lost or refused, by kind.
fn losses(s: &ListenerStats) -> [(&'static str, u64); 5] {
    [
        ("messages dropped (queue full)", s.dropped_full),
        ("messages above the size limit", s.oversize),
        ("messages not readable as syslog", s.unparsed),
        ("connections refused (too many)", s.connections_refused),
        ("receive errors", s.errors),
    ]
}
