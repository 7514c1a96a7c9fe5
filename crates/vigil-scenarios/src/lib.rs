//! Generators of complete server folders that vigil has never seen — logs in their real on-disk
//! formats, inventory as administrators have it, a knowledge snapshot of real advisory data, an
//! incident record — each returning the [`GroundTruth`] an audit of the folder must find.
//!
//! Three scenarios, each parameterised (seed, attacker pace, log verbosity, quiet periods and waves,
//! benign traffic and look-alikes, the server's time zone, dates):
//!
//! - [`Scenario::Exchange`]: an Exchange 2019 server in autumn 2022 entered through the OWASSRF chain
//!   (CVE-2022-41080 + CVE-2022-41082) or by credential stuffing on Outlook on the web, back after
//!   quiet periods, sending phishing from a mailbox;
//! - [`Scenario::LinuxMail`]: a Debian Postfix/Dovecot server taken over by a slow, distributed password
//!   spray under default logging, with a bulk IMAP download and phishing the next day;
//! - [`Scenario::Benign`]: either server with plenty of benign traffic and look-alikes, and no incident.
//!
//! The data is written from the formats' specifications and vendors' documentation, independently of
//! vigil's own examples and rules; see the crate's README for the parameters and what the ground truth
//! holds.

pub mod calendar;
pub mod debian;
pub mod exchange;
pub mod exchange_attack;
pub mod exchange_csv;
pub mod exchange_server;
pub mod exchange_traffic;
pub mod httpproxy;
pub mod incident;
pub mod knowledge;
pub mod linux_attack;
pub mod linux_mail;
pub mod linux_server;
pub mod linux_traffic;
pub mod msgtrk;
pub mod names;
pub mod net;
pub mod out;
pub mod params;
pub mod pwsh_json;
pub mod rng;
pub mod syslog;
pub mod truth;
pub mod w3c;
pub mod winevents;
pub mod wininventory;

pub use exchange::{ExchangeBuild, ExchangeEntry, ExchangeParams, ExchangeServer, InventoryForm};
pub use exchange_attack::Stuffing;
pub use linux_mail::{DovecotPhrasing, LinuxMailParams, LinuxServer, Spray};
pub use params::{Common, LookAlikes, PhishingPlan, ServerZone, Waves};
pub use truth::{Entry, EventRef, GroundTruth, IncidentTruth, Phishing, RootCause, Wave};

use jiff::Timestamp;
use std::path::{Path, PathBuf};

/// Why a folder could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid parameters: {0}")]
    Params(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl GenError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> GenError {
        GenError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The server of a benign scenario.
#[derive(Debug, Clone)]
pub enum BenignServer {
    Exchange(ExchangeServer),
    LinuxMail(LinuxServer),
}

/// Scenario (c): a server with benign traffic and look-alikes only.
#[derive(Debug, Clone)]
pub struct BenignParams {
    pub common: Common,
    pub server: BenignServer,
    /// The end of the logs (the moment the folder is collected).
    pub end: Timestamp,
}

impl BenignParams {
    /// Three weeks of an Exchange server's traffic up to 20 January 2023.
    pub fn exchange(seed: u64) -> BenignParams {
        let mut common = Common::new(seed);
        common.lookback_days = 21;
        BenignParams {
            common,
            server: BenignServer::Exchange(ExchangeServer::default()),
            end: "2023-01-20T17:00:00Z"
                .parse()
                .unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    /// Three weeks of a Debian mail server's traffic up to 24 March 2023.
    pub fn linux(seed: u64) -> BenignParams {
        let mut common = Common::new(seed);
        common.lookback_days = 21;
        BenignParams {
            common,
            server: BenignServer::LinuxMail(LinuxServer::default()),
            end: "2023-03-24T16:00:00Z"
                .parse()
                .unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }
}

/// One scenario with its parameters.
#[derive(Debug, Clone)]
pub enum Scenario {
    Exchange(ExchangeParams),
    LinuxMail(LinuxMailParams),
    Benign(BenignParams),
}

impl Scenario {
    /// The scenarios by name, with default parameters, for `examples/gen.rs`: `exchange-owassrf`,
    /// `exchange-stuffing`, `linux-spray`, `benign-exchange`, `benign-linux`.
    pub fn by_name(name: &str, seed: u64) -> Option<Scenario> {
        Some(match name {
            "exchange-owassrf" | "exchange-2022" => {
                Scenario::Exchange(ExchangeParams::owassrf(seed))
            }
            "exchange-stuffing" => Scenario::Exchange(ExchangeParams::stuffing(seed)),
            "linux-spray" => Scenario::LinuxMail(LinuxMailParams::spray(seed)),
            "benign-exchange" => Scenario::Benign(BenignParams::exchange(seed)),
            "benign-linux" => Scenario::Benign(BenignParams::linux(seed)),
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 5] = [
        "exchange-owassrf",
        "exchange-stuffing",
        "linux-spray",
        "benign-exchange",
        "benign-linux",
    ];

    /// Writes the scenario's folder into `dir` (created if missing) and returns its ground truth.
    pub fn generate(&self, dir: &Path) -> Result<GroundTruth, GenError> {
        match self {
            Scenario::Exchange(p) => exchange::generate(p, dir),
            Scenario::LinuxMail(p) => linux_mail::generate(p, dir),
            Scenario::Benign(p) => match &p.server {
                BenignServer::Exchange(s) => exchange::generate_benign(&p.common, s, p.end, dir),
                BenignServer::LinuxMail(s) => linux_mail::generate_benign(&p.common, s, p.end, dir),
            },
        }
    }
}
