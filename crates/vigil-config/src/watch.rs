//! `[[watch]]` and `[serve]`: what the standing watch follows and how it runs.
//!
//! Values are checked when the file is read (a format vigil does not know, a time zone it cannot
//! resolve, a metrics address that is not one), so that `vigil serve` refuses to start rather than
//! watching less than the administrator believes.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// One watched log: a file, a glob (`/var/log/exchange/u_ex*.log`) or a folder (every file that
/// appears in it, rotated files included).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// A file, a glob or a folder.
    pub path: String,
    /// The log format (`evtx`, `winjson`, `w3c`, `exchange_csv`, `syslog`, `access`, `jsonl`);
    /// recognised from the content when unset.
    #[serde(default)]
    pub format: Option<String>,
    /// The server the log comes from, when the log itself does not name it (IIS, Exchange).
    #[serde(default)]
    pub host: Option<String>,
    /// The zone of local times in the log (`UTC`, `+01:00`, `Europe/Berlin`); UTC when unset.
    #[serde(default)]
    pub tz: Option<String>,
    /// A label for the source in alerts and health (`mail`, `owa`); the path when unset.
    #[serde(default)]
    pub source: Option<String>,
    /// How long this log may go without a new event before a silence alert (`[serve]
    /// silent_after` when unset; `"off"` never).
    #[serde(default)]
    pub silent_after: Option<vigil_alert::config::Resend>,
    /// How often a task on the server writes a self-test canary into this log (an `eventcreate`
    /// event, a request to `/vigil-selftest`; see docs/serve.md): the watch's self-test fails when
    /// none comes for longer than this plus `[selftest] timeout`. Unset: no such task is expected.
    #[serde(default)]
    pub canary_every: Option<vigil_alert::config::Resend>,
}

impl Watch {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.path.trim().is_empty() {
            return Err("`path` is empty".into());
        }
        if let Some(f) = &self.format
            && vigil_logs::Format::from_name(f).is_none()
        {
            let known: Vec<&str> = vigil_logs::Format::ALL.iter().map(|f| f.name()).collect();
            return Err(format!(
                "unknown format {f:?} (known: {})",
                known.join(", ")
            ));
        }
        if let Some(tz) = &self.tz {
            vigil_logs::parse_time_zone(tz).map_err(|e| format!("time zone {tz:?}: {e}"))?;
        }
        Ok(())
    }

    /// The name this source goes by in alerts and health.
    pub fn label(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.path)
    }
}

/// `[serve]`: the service's own settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Serve {
    /// Sigma rule files or folders; the rules bundled with vigil when empty.
    pub rules: Vec<PathBuf>,
    /// How often watched files are checked for new content, in milliseconds.
    pub poll_ms: u64,
    /// Where `/metrics` (Prometheus text format) and `/health` (JSON) are served; `"off"` serves
    /// nothing. Loopback by default: health data names the watched files and the endpoint has no
    /// authentication, so another address is refused unless `metrics_remote` says so.
    pub metrics: String,
    /// Allows a `metrics` address that is not loopback (e.g. `0.0.0.0:9464` for a scraper on
    /// another host, behind a firewall).
    pub metrics_remote: bool,
    /// How often the service writes its heartbeat to the store, in seconds; `vigil status` counts
    /// the service as down after three missed heartbeats.
    pub heartbeat_secs: u64,
    /// How long a watched source may go without a new event before a silence alert (`"24h"`;
    /// `"off"` never). A log that stops arriving is how detection goes blind unnoticed.
    pub silent_after: vigil_alert::config::Resend,
}

impl Default for Serve {
    fn default() -> Self {
        Serve {
            rules: Vec::new(),
            poll_ms: 250,
            metrics: "127.0.0.1:9464".into(),
            metrics_remote: false,
            heartbeat_secs: 5,
            silent_after: vigil_alert::config::Resend(Some(vigil_alert::Interval::secs(86_400))),
        }
    }
}

impl Serve {
    pub(crate) fn check(&self) -> Result<(), String> {
        if !(10..=60_000).contains(&self.poll_ms) {
            return Err(format!("poll_ms = {}: must be 10 to 60000", self.poll_ms));
        }
        if !(1..=300).contains(&self.heartbeat_secs) {
            return Err(format!(
                "heartbeat_secs = {}: must be 1 to 300",
                self.heartbeat_secs
            ));
        }
        if let Some(addr) = self.metrics_addr()?
            && !addr.ip().is_loopback()
            && !self.metrics_remote
        {
            return Err(format!(
                "metrics = {:?}: not a loopback address; the endpoint has no authentication and \
                 names the watched files, so set metrics_remote = true to serve it beyond this host",
                self.metrics
            ));
        }
        Ok(())
    }

    /// The metrics address, `None` when switched off.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, String> {
        if self.metrics.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        self.metrics.parse().map(Some).map_err(|_| {
            format!(
                "metrics = {:?}: not an address like 127.0.0.1:9464, nor \"off\"",
                self.metrics
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    /// The configuration of issue 10 works as written.
    #[test]
    fn minimal_service_configuration() {
        let c = Config::parse(
            "[[watch]]\npath = \"/var/log/mail.log\"        # a file, a glob or a folder\n\n\
             [[alert.webhook]]\nurl = \"http://127.0.0.1:9000/hook\"\n",
        )
        .unwrap();
        assert_eq!(c.watch.len(), 1);
        assert_eq!(c.watch[0].path, "/var/log/mail.log");
        assert_eq!(c.watch[0].label(), "/var/log/mail.log");
        assert_eq!(c.serve.poll_ms, 250);
        assert_eq!(
            c.serve.metrics_addr().unwrap().map(|a| a.to_string()),
            Some("127.0.0.1:9464".to_string())
        );
    }

    #[test]
    fn watch_values_are_checked() {
        let full = Config::parse(
            "[[watch]]\npath = \"/logs/iis\"\nformat = \"w3c\"\nhost = \"MAIL01\"\ntz = \"+01:00\"\nsource = \"owa\"\n",
        )
        .unwrap();
        assert_eq!(full.watch[0].label(), "owa");
        for (text, expect) in [
            (
                "[[watch]]\npath = \"/x\"\nformat = \"postfx\"\n",
                "unknown format \"postfx\"",
            ),
            (
                "[[watch]]\npath = \"/x\"\ntz = \"Mars/Olympus\"\n",
                "Mars/Olympus",
            ),
            ("[[watch]]\npath = \"\"\n", "`path` is empty"),
            ("[[wacth]]\npath = \"/x\"\n", "wacth"),
            ("[[watch]]\npth = \"/x\"\n", "pth"),
            ("[serve]\npoll_ms = 0\n", "poll_ms"),
            ("[serve]\nmetrics = \"localhost\"\n", "metrics"),
            (
                "[serve]\nmetrics = \"0.0.0.0:9464\"\n",
                "metrics_remote = true",
            ),
            (
                "[serve]\nmetrics = \"[::]:9464\"\n",
                "not a loopback address",
            ),
            ("[serve]\nheartbeat_secs = 0\n", "heartbeat_secs"),
        ] {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(err.contains(expect), "{text:?}: {err}");
        }
        assert_eq!(
            Config::parse("[serve]\nmetrics = \"off\"\n")
                .unwrap()
                .serve
                .metrics_addr(),
            Ok(None)
        );
        let remote =
            Config::parse("[serve]\nmetrics = \"0.0.0.0:9464\"\nmetrics_remote = true\n").unwrap();
        assert!(remote.serve.metrics_addr().unwrap().is_some());
        assert!(Config::parse("[serve]\nmetrics = \"[::1]:9464\"\n").is_ok());
    }

    #[test]
    fn read_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("vigil.toml");
        let err = Config::read(&missing).unwrap_err().to_string();
        assert!(err.contains("vigil.toml: no such file"), "{err}");
        std::fs::write(&missing, "[knowledge]\n\nmax_age = 3\n").unwrap();
        let err = Config::read(&missing).unwrap_err().to_string();
        assert!(
            err.contains("vigil.toml") && err.contains("max_age") && err.contains("line 3"),
            "{err}"
        );
    }
}
