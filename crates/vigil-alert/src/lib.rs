//! Alerts that demand acknowledgement.
//!
//! An alert has an id, a severity, what it is about (a finding, an incident, a source's health, a
//! self-test), a dedup key (one alert per incident: later detections update it), short structured
//! evidence, and a state: open → acknowledged → resolved, each step recorded with who, when and why,
//! together with every delivery attempt. The model and its persistence are `vigil-store`'s
//! ([`AlertStore`]); this crate sends alerts out and makes sure a person takes them:
//!
//! - channels ([`channel`]): e-mail over SMTP with STARTTLS or implicit TLS (`lettre`, rustls), webhooks
//!   (vigil's JSON, Slack, Microsoft Teams; HMAC-signed, see [`signature`]), RFC 5424 syslog over UDP
//!   or TCP; every untrusted value escaped for its medium;
//! - escalation ([`Alerter::tick`]): an alert not acknowledged within its severity's interval is sent
//!   again, to the next contact of the chain, until someone acknowledges it;
//! - acknowledgement by signed link ([`links`]): single-use, expiring HMAC tokens in the e-mail;
//! - the daily digest ([`digest`]) of open findings and overdue patches per asset;
//! - the configuration tables the service embeds ([`config`]).
//!
//! Time is injected ([`Clock`]), so escalation is tested exactly and fast.

pub mod alerter;
pub mod channel;
pub mod clock;
pub mod config;
pub mod digest;
pub mod error;
pub mod escape;
pub mod links;
pub mod notice;
pub mod signature;

pub use alerter::{Alerter, Escalation, RaiseOutcome, link_signer, redeem_link};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AlertConfig, Contact, EscalationConfig, Interval};
pub use digest::{AssetDigest, Digest, DigestFinding};
pub use error::AlertError;
pub use links::{LinkClaims, LinkError, LinkSigner};
pub use notice::{Notice, NoticeKind};
pub use vigil_store::{
    Alert, AlertAction, AlertEvent, AlertHistory, AlertState, AlertStore, AlertSubject, Delivery,
    DeliveryOutcome, Evidence, Mark, NewAlert,
};
