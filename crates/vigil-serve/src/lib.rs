//! The runtime of `vigil serve`: events from followed logs go through the same compiled Sigma
//! rules as `vigil hunt`, one at a time, with correlation state kept live; the detections they
//! produce are stored in one transaction with the checkpoints of the records that produced them,
//! so that a restart after a crash resumes with no lost and no duplicated detection.
//!
//! Where events come from is a [`Source`]: a tailer of watched files, a syslog listener, or (in
//! tests) a channel. The runtime only polls sources, evaluates and commits; it prints nothing
//! (logging goes through `tracing`) and parses no arguments.
//!
//! Beside it, the [`Scheduler`] re-scans inventories, re-evaluates patch deadlines and sends the
//! daily digest on a thread of its own.

mod alerting;
pub mod cadence;
mod detect;
pub mod doctor;
mod error;
mod findings;
mod health;
mod http;
mod incidents;
mod listen;
pub mod metrics;
pub mod proof;
mod schedule;
pub mod selftest;
mod service;
pub mod silence;
mod source;
mod tail;
pub mod tamper;

pub use alerting::{AlertStats, AlertTiming, LiveAlerting, Notifier};
pub use detect::Detector;
pub use error::ServeError;
pub use findings::{digest_finding, finding_alert, finding_level, finding_news};
pub use health::HealthBoard;
pub use http::{ClientAddr, HttpServer, Limits, MetricsServer, router};
pub use incidents::{LiveIncidents, LiveOptions, Offered, incident_alert, wave_news};
pub use listen::ListenSource;
pub use schedule::{Job, KnowledgeUpdate, ScheduleOptions, ScheduleStats, Scheduler, next_daily};
pub use service::{
    CADENCE_STATE, CORRELATION_STATE, CommitStats, IdleService, Service, ServiceOptions,
};
pub use source::{ChannelSource, Source, SourceBatch};
pub use tail::{TailSource, split_glob};

/// The bounds of the health endpoint.
pub mod http_limits {
    pub use crate::http::{CONNECTION_TIMEOUT, HEADER_TIMEOUT, MAX_CONNECTIONS, MAX_REQUEST_HEAD};
}
