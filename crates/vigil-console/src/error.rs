//! What can go wrong in the console.

/// An error of the console: every variant names what and why.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    /// A password could not be hashed (it is never stored in clear).
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// A password that cannot be used.
    #[error("the password {0}")]
    WeakPassword(String),
    /// A user or token name, or an invitation's validity, that cannot be used.
    #[error("{0}")]
    BadName(String),
    /// The certificate, its key or the self-signed pair could not be read, made or kept.
    #[error("{path}: {reason}")]
    Tls { path: String, reason: String },
    /// The console could not listen or start.
    #[error("the console on {addr}: {reason}")]
    Listen { addr: String, reason: String },
}
