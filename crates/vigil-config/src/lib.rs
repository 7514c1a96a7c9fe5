//! `vigil.toml`: where knowledge comes from and how fresh it must be, the patch policy, the alert
//! channels and what the standing watch (`vigil serve`) follows.
//!
//! One file for every command and for the service, so that what an administrator tested with
//! `vigil scan` is what the service does. Every key is optional; the defaults fetch from the official
//! public sources. A site that mirrors them (or an air-gapped site that serves them internally) points
//! `url` at the mirror. An unknown key is an error that names the key and its line: a misspelt
//! `[[wacth]]` must not silently watch nothing.

mod error;
mod http;
mod listen;
mod schedule;
mod watch;

pub use error::ConfigError;
pub use http::Http;
pub use listen::{Listen, MAX_LISTEN_MESSAGE};
pub use schedule::{InventorySource, Schedule};
pub use watch::{Serve, Watch};

use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
pub const EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";
pub const MSRC_URL: &str = "https://api.msrc.microsoft.com/cvrf/v3.0";

/// The OSV ecosystems fetched by default: those vigil's collectors produce packages for.
pub const DEFAULT_OSV_ECOSYSTEMS: &[&str] = &[
    "PyPI",
    "npm",
    "crates.io",
    "Go",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Debian",
    "Ubuntu",
    "Alpine",
    "AlmaLinux",
    "Rocky Linux",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub knowledge: Knowledge,
    #[serde(default)]
    pub sources: Sources,
    /// Patch deadlines (`[policy]`): Cyber Essentials' 14 days by default.
    #[serde(default)]
    pub policy: vigil_scan::Policy,
    /// Alert channels (`[[alert.webhook]]`, `[[alert.email]]`, `[[alert.syslog]]`, `[alert.link]`).
    /// Every command validates them; the standing watch sends through them.
    #[serde(default)]
    pub alert: vigil_alert::AlertConfig,
    /// Who is told when an alert is not acknowledged in time (`[escalation]`).
    #[serde(default)]
    pub escalation: vigil_alert::EscalationConfig,
    /// Logs the standing watch follows (`[[watch]]`): files, globs or folders.
    #[serde(default)]
    pub watch: Vec<Watch>,
    /// Syslog listeners of the standing watch (`[[listen]]`): logs other hosts forward.
    #[serde(default)]
    pub listen: Vec<Listen>,
    /// The service itself (`[serve]`): rules, polling, the metrics endpoint.
    #[serde(default)]
    pub serve: Serve,
    /// The console and its API (`[http]`); none when absent.
    #[serde(default)]
    pub http: Option<Http>,
    /// What the standing watch re-scans (`[[inventory]]`): inventory files, folders, root filesystems.
    #[serde(default)]
    pub inventory: Vec<InventorySource>,
    /// When the standing watch scans, re-evaluates deadlines, updates knowledge and sends the digest.
    #[serde(default)]
    pub schedule: Schedule,
    /// The service's self-tests (`[selftest]`): how often a canary proves each watched log is read,
    /// matched and alerted on.
    #[serde(default)]
    pub selftest: SelfTest,
}

/// `[selftest]`: canaries written to the watched syslog files.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SelfTest {
    /// Time between self-tests (`"7d"` by default; `"off"`: only when `vigil selftest` runs one).
    pub every: vigil_alert::config::Resend,
    /// How long a canary may take to come back before the self-test has failed.
    pub timeout: vigil_alert::Interval,
}

impl Default for SelfTest {
    fn default() -> Self {
        SelfTest {
            every: vigil_alert::config::Resend(Some(vigil_alert::Interval::secs(7 * 86_400))),
            timeout: vigil_alert::Interval::secs(60),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Knowledge {
    /// Knowledge older than this is stale: `db status` warns and scans say so.
    pub max_age_hours: u64,
    /// Largest download accepted from any source.
    pub max_download_mb: u64,
    /// Whole-request time limit for one download.
    pub timeout_secs: u64,
}

impl Knowledge {
    /// `max_age_hours` as a duration (saturating: a huge value means "never stale").
    pub fn max_age(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_hours(
            i64::try_from(self.max_age_hours).unwrap_or(i64::MAX / 7200),
        )
    }
}

impl Default for Knowledge {
    fn default() -> Self {
        Knowledge {
            max_age_hours: 24,
            max_download_mb: 1024,
            timeout_secs: 900,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    #[serde(default)]
    pub osv: OsvSource,
    #[serde(default = "kev_default")]
    pub kev: UrlSource,
    #[serde(default = "epss_default")]
    pub epss: UrlSource,
    #[serde(default)]
    pub msrc: MsrcSource,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            osv: OsvSource::default(),
            kev: kev_default(),
            epss: epss_default(),
            msrc: MsrcSource::default(),
        }
    }
}

fn kev_default() -> UrlSource {
    UrlSource {
        enabled: true,
        url: None,
    }
}

fn epss_default() -> UrlSource {
    UrlSource {
        enabled: true,
        url: None,
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsvSource {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Base URL; each ecosystem is fetched from `{url}/{ecosystem}/all.zip`.
    #[serde(default = "osv_url")]
    pub url: String,
    /// Ecosystems to fetch; `["*"]` fetches every ecosystem listed in `{url}/ecosystems.txt`.
    #[serde(default = "osv_ecosystems")]
    pub ecosystems: Vec<String>,
}

impl Default for OsvSource {
    fn default() -> Self {
        OsvSource {
            enabled: true,
            url: osv_url(),
            ecosystems: osv_ecosystems(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlSource {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The official URL when unset.
    pub url: Option<String>,
}

impl UrlSource {
    pub fn url_or<'a>(&'a self, official: &'a str) -> &'a str {
        self.url.as_deref().unwrap_or(official)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MsrcSource {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// API base; the document index is `{url}/updates`, documents `{url}/cvrf/{id}`.
    #[serde(default = "msrc_url")]
    pub url: String,
    /// How many of the newest monthly documents to keep current.
    #[serde(default = "msrc_months")]
    pub months: usize,
}

impl Default for MsrcSource {
    fn default() -> Self {
        MsrcSource {
            enabled: true,
            url: msrc_url(),
            months: msrc_months(),
        }
    }
}

fn yes() -> bool {
    true
}
fn osv_url() -> String {
    OSV_URL.to_string()
}
fn msrc_url() -> String {
    MSRC_URL.to_string()
}
fn msrc_months() -> usize {
    36
}
fn osv_ecosystems() -> Vec<String> {
    DEFAULT_OSV_ECOSYSTEMS
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Largest configuration file read: a configuration is a few kilobytes; anything far larger is not one.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

impl Config {
    /// Reads the file given with `--config`/`VIGIL_CONFIG`, else the user's `vigil/vigil.toml` if it exists,
    /// else the defaults.
    /// The file [`Config::load`] reads: `explicit`, else the default path when it exists.
    pub fn path(explicit: Option<&Path>) -> Option<PathBuf> {
        match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => default_config_path().filter(|p| p.exists()),
        }
    }

    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match default_config_path() {
                Some(p) if p.exists() => p,
                _ => return Ok(Config::default()),
            },
        };
        Config::read(&path)
    }

    /// Reads and checks one configuration file.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let io = |e: std::io::Error| ConfigError::Read {
            path: path.to_path_buf(),
            reason: error::describe_io(&e),
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_CONFIG_BYTES {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                reason: format!(
                    "{len} bytes, more than a configuration can be ({MAX_CONFIG_BYTES})"
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Config::parse(&text).map_err(|e| e.in_file(path))
    }

    /// Parses configuration text and checks the values serde cannot (formats, time zones, paths).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: None,
            reason: e.to_string(),
        })?;
        for (i, w) in config.watch.iter().enumerate() {
            w.check().map_err(|reason| ConfigError::Invalid {
                path: None,
                reason: format!("[[watch]] entry {} ({}): {reason}", i + 1, w.path),
            })?;
        }
        for (i, l) in config.listen.iter().enumerate() {
            l.check().map_err(|reason| ConfigError::Invalid {
                path: None,
                reason: format!("[[listen]] entry {} ({}): {reason}", i + 1, l.label()),
            })?;
        }
        for (i, s) in config.inventory.iter().enumerate() {
            s.check().map_err(|reason| ConfigError::Invalid {
                path: None,
                reason: format!("[[inventory]] entry {} ({}): {reason}", i + 1, s.label()),
            })?;
        }
        config
            .serve
            .check()
            .map_err(|reason| ConfigError::Invalid {
                path: None,
                reason: format!("[serve]: {reason}"),
            })?;
        if let Some(http) = &config.http {
            http.check(text).map_err(|reason| ConfigError::Invalid {
                path: None,
                reason: format!("[http]: {reason}"),
            })?;
        }
        Ok(config)
    }
}

fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("vigil").join("vigil.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The alerting tables live in the same vigil.toml the other commands read: they must not make it
    /// invalid, and an unknown key is still named with its line.
    #[test]
    fn alert_tables_are_part_of_the_configuration() {
        let c = Config::parse(
            "[knowledge]\nmax_age_hours = 12\n\n[[alert.webhook]]\nurl = \"http://127.0.0.1:9000/hook\"\n",
        )
        .unwrap();
        assert_eq!(c.knowledge.max_age_hours, 12);
        let err = Config::parse("[knowledge]\nmax_age_hours = 12\n\n[alrt]\nx = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("alrt") && err.contains("line 4"), "{err}");
    }

    #[test]
    fn defaults_and_overrides() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.knowledge.max_age_hours, 24);
        assert!(c.sources.kev.enabled);
        assert_eq!(c.sources.osv.url, OSV_URL);
        let c = Config::parse(
            "[knowledge]\nmax_age_hours = 6\n[sources.osv]\necosystems = [\"PyPI\"]\n\
             [sources.kev]\nenabled = false\nurl = \"http://mirror/kev.json\"\n",
        )
        .unwrap();
        assert_eq!(c.knowledge.max_age_hours, 6);
        assert_eq!(c.sources.osv.ecosystems, vec!["PyPI"]);
        assert!(!c.sources.kev.enabled);
        assert!(c.sources.epss.enabled);
        assert_eq!(c.sources.kev.url_or(KEV_URL), "http://mirror/kev.json");
        assert_eq!(c.sources.epss.url_or(EPSS_URL), EPSS_URL);
        let c = Config::parse("[sources.epss]\nenabled = false\n").unwrap();
        assert!(!c.sources.epss.enabled);
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(Config::parse("[knowledge]\nmax_age = 3\n").is_err());
    }
}
