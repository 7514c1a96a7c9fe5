//! Following logs live: a [`Tailer`] per watch (a file, or a folder with a file-name pattern)
//! reads what was appended since its last call, follows rotation (rename, copy-truncate, `.gz`
//! copies of content already read) and re-reads growing EVTX files after their last record.
//!
//! No detection here: events go to a caller-provided sink, and [`Tailer::checkpoints`] says where
//! the tailer stands after them. The caller stores those checkpoints in the same transaction as
//! the detections the events produced (`vigil_store::CheckpointStore::commit_ingest`), and starts
//! a tailer from the stored ones after a restart: records after the last commit are read again,
//! none is lost and none is committed twice.
//!
//! [`SyslogListener`] receives logs forwarded over UDP, TCP or TLS; its framing and message
//! decoding are the pure functions of [`framing`]. Its events carry no checkpoint: what a sender
//! sent while nothing listened is the sender's to queue.
//!
//! Poll-based: the caller calls [`Tailer::poll`] at its interval (e.g. 250 ms) from a thread of
//! its own; blocking file I/O, no async runtime.

mod error;
pub mod framing;
mod health;
mod identity;
mod syslog;
mod tailer;
mod watch;

pub use error::IngestError;
pub use health::{Rate, SourceHealth};
pub use identity::{DEFAULT_FINGERPRINT_LEN, fingerprint};
pub use syslog::{ListenerConfig, ListenerStats, SyslogListener, tls_config};
pub use tailer::{PollResult, Tailer, TailerConfig};
pub use watch::Watch;
