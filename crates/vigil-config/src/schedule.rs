//! `[schedule]` and `[[inventory]]`: what the standing watch re-scans and how often it re-scans,
//! re-evaluates deadlines, updates its knowledge and sends the daily digest.
//!
//! Values are checked while the file is read, so a typo (`scan = "6 hours"`, `digest = "8am"`) is
//! an error naming the key and its line rather than a schedule that never runs.

use jiff::civil::Time;
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use vigil_alert::Interval;

/// One asset's inventory source: a file or a folder (where the PowerShell collector drops
/// inventory files; every file in it is read), or `root` for the package databases of a root
/// filesystem (`"/"`: the machine the service runs on).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InventorySource {
    /// A file or a folder of inventory files (lockfiles, SBOMs, Windows inventories).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// A root filesystem whose OS package databases are read.
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// The asset's name; from the inventory (a Windows computer name) or the path when unset.
    #[serde(default)]
    pub asset: Option<String>,
    /// Policy tags of the asset (`internet-facing`); the stored tags when empty.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl InventorySource {
    pub(crate) fn check(&self) -> Result<(), String> {
        match (&self.path, &self.root) {
            (None, None) => Err("give `path` (a file or folder) or `root` (e.g. \"/\")".into()),
            (Some(_), Some(_)) => Err("give either `path` or `root`, not both".into()),
            (Some(p), None) | (None, Some(p)) if p.as_os_str().is_empty() => {
                Err("the path is empty".into())
            }
            _ if self.asset.as_deref().is_some_and(|a| a.trim().is_empty()) => {
                Err("`asset` is empty".into())
            }
            _ => Ok(()),
        }
    }

    /// The name this source goes by in logs and alerts.
    pub fn label(&self) -> String {
        match (&self.path, &self.root) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(r)) => format!("root:{}", r.display()),
            (None, None) => String::new(),
        }
    }
}

/// `[schedule]`: when the standing watch's jobs run. Intervals are lengths of time (`30m`, `6h`,
/// `1d`); `"off"` switches a job off.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Schedule {
    /// Re-scan every `[[inventory]]` source.
    #[serde(deserialize_with = "every")]
    pub scan: Option<Interval>,
    /// Re-evaluate open findings against their deadlines (an overdue one raises its alert again).
    #[serde(deserialize_with = "every")]
    pub deadlines: Option<Interval>,
    /// Update the knowledge from the configured sources.
    #[serde(deserialize_with = "every")]
    pub db_update: Option<Interval>,
    /// Check the watched logs for logging gaps that make detections impossible (`vigil doctor`);
    /// the first check an hour after the start (or one interval, when shorter).
    #[serde(deserialize_with = "every")]
    pub doctor: Option<Interval>,
    /// The daily digest e-mail, at this local time (`HH:MM`).
    #[serde(deserialize_with = "daily")]
    pub digest: Option<Time>,
    /// The time zone `digest` is read in (`Europe/London`, `+01:00`); the system's when unset.
    #[serde(deserialize_with = "zone")]
    pub time_zone: Option<String>,
    /// The ignore file (as `vigil scan --ignore-file`) the scheduled scans apply, read again
    /// before every round of scans so that an edit needs no restart.
    pub ignore_file: Option<PathBuf>,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            scan: Some(Interval::secs(6 * 3600)),
            deadlines: Some(Interval::secs(24 * 3600)),
            db_update: Some(Interval::secs(6 * 3600)),
            digest: Some(Time::constant(8, 0, 0, 0)),
            doctor: Some(Interval::secs(24 * 3600)),
            time_zone: None,
            ignore_file: None,
        }
    }
}

fn off(s: &str) -> bool {
    s.trim().eq_ignore_ascii_case("off")
}

fn every<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Interval>, D::Error> {
    let s = String::deserialize(d)?;
    if off(&s) {
        return Ok(None);
    }
    let i: Interval = s.parse().map_err(serde::de::Error::custom)?;
    // Shorter than a minute would re-scan and re-send without pause.
    if i.0.as_secs() < 60 {
        return Err(serde::de::Error::custom(format!(
            "'{s}': at least 1m, or \"off\""
        )));
    }
    Ok(Some(i))
}

fn daily<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
    let s = String::deserialize(d)?;
    if off(&s) {
        return Ok(None);
    }
    s.trim().parse::<Time>().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "'{s}' is not a time of day like \"08:00\", nor \"off\""
        ))
    })
}

fn zone<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    vigil_logs::parse_time_zone(&s).map_err(serde::de::Error::custom)?;
    Ok(Some(s.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use crate::Config;
    use jiff::civil::Time;

    #[test]
    fn defaults_and_values() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.schedule.scan.map(|i| i.0.as_hours()), Some(6));
        assert_eq!(c.schedule.deadlines.map(|i| i.0.as_hours()), Some(24));
        assert_eq!(c.schedule.db_update.map(|i| i.0.as_hours()), Some(6));
        assert_eq!(c.schedule.digest, Some(Time::constant(8, 0, 0, 0)));
        assert_eq!(c.schedule.doctor.map(|i| i.0.as_hours()), Some(24));
        let c = Config::parse(
            "[schedule]\nscan = \"30m\"\ndeadlines = \"1d\"\ndb_update = \"off\"\ndigest = \"07:30\"\n\n\
             [[inventory]]\npath = \"/srv/inventory\"\ntags = [\"internet-facing\"]\n\n\
             [[inventory]]\nroot = \"/\"\nasset = \"mx1\"\n",
        )
        .unwrap();
        assert_eq!(c.schedule.scan.map(|i| i.0.as_mins()), Some(30));
        assert_eq!(c.schedule.db_update, None);
        assert_eq!(c.schedule.digest, Some(Time::constant(7, 30, 0, 0)));
        assert_eq!(c.schedule.time_zone, None);
        assert_eq!(c.inventory.len(), 2);
        let z = Config::parse(
            "[schedule]\ntime_zone = \"Europe/London\"\nignore_file = \"/etc/vigil/ignore.toml\"\n",
        )
        .unwrap();
        assert_eq!(z.schedule.time_zone.as_deref(), Some("Europe/London"));
        assert_eq!(
            z.schedule.ignore_file.as_deref(),
            Some(std::path::Path::new("/etc/vigil/ignore.toml"))
        );
        assert_eq!(c.inventory[0].label(), "/srv/inventory");
        assert_eq!(c.inventory[1].label(), "root:/");
        assert_eq!(c.inventory[1].asset.as_deref(), Some("mx1"));
        assert_eq!(
            Config::parse("[schedule]\ndigest = \"off\"\n")
                .unwrap()
                .schedule
                .digest,
            None
        );
    }

    #[test]
    fn bad_values_and_unknown_keys_name_key_and_line() {
        for (text, key, line) in [
            ("[schedule]\nscan = \"6 hours please\"\n", "scan", "line 2"),
            ("[schedule]\n\ndigest = \"8am\"\n", "digest", "line 3"),
            ("[schedule]\ndeadlines = \"10s\"\n", "deadlines", "line 2"),
            (
                "[schedule]\ntime_zone = \"Mars/Olympus\"\n",
                "time_zone",
                "line 2",
            ),
            ("[schedule]\nscna = \"6h\"\n", "scna", "line 2"),
            (
                "[[inventory]]\npath = \"/x\"\nassett = \"a\"\n",
                "assett",
                "line 3",
            ),
        ] {
            let e = Config::parse(text).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(line), "{text:?}: {e}");
        }
        for (text, why) in [
            ("[[inventory]]\ntags = []\n", "give `path`"),
            ("[[inventory]]\npath = \"/a\"\nroot = \"/\"\n", "not both"),
            ("[[inventory]]\npath = \"\"\n", "empty"),
            (
                "[[inventory]]\nroot = \"/\"\nasset = \" \"\n",
                "`asset` is empty",
            ),
        ] {
            let e = Config::parse(text).unwrap_err().to_string();
            assert!(
                e.contains("[[inventory]] entry 1") && e.contains(why),
                "{text:?}: {e}"
            );
        }
    }
}
