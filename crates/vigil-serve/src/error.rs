//! Why the service could not start or had to stop.

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Nothing to watch: a service that watches nothing must not look like one that found nothing.
    #[error("nothing to watch: the configuration has no [[watch]] nor [[listen]] entry")]
    NothingWatched,
    /// No rule could be used, so no event could be assessed.
    #[error("no usable detection rule was loaded; nothing would be assessed")]
    NoRules,
    /// A source failed in a way it cannot recover from.
    #[error("source {source_name}: {reason}")]
    Source { source_name: String, reason: String },
    /// The health endpoint could not be started.
    #[error("metrics endpoint {addr}: {reason}")]
    Metrics { addr: String, reason: String },
    /// Alerts could not be raised or escalated (their store failed; a channel failing is not this:
    /// it is recorded and retried on escalation).
    #[error("alerting: {0}")]
    Alert(String),
    /// The store refused a commit: reading stops rather than advance past unstored detections.
    #[error("store: {0}")]
    Store(#[from] vigil_store::StoreError),
}
