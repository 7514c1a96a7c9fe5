//! One module per subcommand; `Context` carries what every command needs.

pub mod alerts;
pub mod audit;
mod console_settings;
pub mod coverage;
pub mod db;
pub mod doctor;
pub mod hunt;
pub mod investigate;
pub mod logs;
pub mod plan;
pub mod report;
pub mod rules;
pub mod scan;
pub mod schedule;
pub mod selftest;
pub mod serve;
pub mod status;
pub mod token;
pub mod trail;
pub mod user;

use crate::cli::GlobalArgs;
use anyhow::{Context as _, Result};
use std::io::IsTerminal;
use std::path::PathBuf;
use vigil_config::Config;

pub struct Context {
    pub config: Config,
    /// The file the configuration came from; `None` for the defaults.
    pub config_path: Option<PathBuf>,
    pub db_path: PathBuf,
    /// Progress bars only for a person watching a terminal.
    pub progress: bool,
}

impl Context {
    pub fn new(args: &GlobalArgs) -> Result<Self> {
        let config = Config::load(args.config.as_deref())?;
        let db_path = match &args.db {
            Some(p) => p.clone(),
            None => vigil_store::default_db_path()
                .context("no --db given and no data directory known (set VIGIL_DB or HOME)")?,
        };
        let progress = !args.quiet && std::io::stderr().is_terminal();
        Ok(Context {
            config,
            config_path: Config::path(args.config.as_deref()),
            db_path,
            progress,
        })
    }

    pub fn open_store(&self) -> Result<vigil_store::SqliteStore> {
        if let Some(dir) = self.db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        vigil_store::SqliteStore::open(&self.db_path)
            .with_context(|| format!("cannot open the store {}", self.db_path.display()))
    }
}

/// The person acting: `--by`, else the login name; never empty.
pub(crate) fn person(by: Option<String>) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let name = by
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    name.context("say who you are with --by NAME (no USER or USERNAME is set)")
}
