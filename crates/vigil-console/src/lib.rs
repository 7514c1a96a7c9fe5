//! The console of `vigil serve`: an authenticated web interface and JSON API over TLS, and what it
//! rests on — passwords (Argon2id), API tokens and session ids (random, kept hashed), roles and their
//! permissions as data, the login with its lock-out — so that the CLI (`vigil user`, `vigil token`)
//! and the server share one implementation.
//!
//! The pages are askama templates (checked at compile time, escaping by default); the API is JSON under
//! `/api/v1`, described by `assets/openapi.json`. The server runs on a thread of its own with a
//! current-thread runtime: the HTTP server of `vigil-serve`, with the console's limits.

pub mod accounts;
pub mod coverage;
pub mod error;
pub mod login;
pub mod password;
pub mod permissions;
pub mod secret;
pub mod server;
pub mod throttle;
pub mod tls;
pub mod totp;
mod web;

pub use error::ConsoleError;
pub use login::{LoginOutcome, login};
pub use permissions::{Permission, allows};
pub use server::{ConfigSection, Configuration, ConsoleServer, ConsoleSettings};
pub use web::router;
