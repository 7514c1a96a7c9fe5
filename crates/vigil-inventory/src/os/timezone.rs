//! The time zone a server logs in, read from its root filesystem.
//!
//! Classic syslog lines (RFC 3164) and Dovecot's own log carry no offset: they are in the server's local
//! time. Reading them as UTC puts every event hours off on a server in another zone, which moves entry
//! points, first malicious events and dwell times. A mounted root filesystem says which zone it used:
//! Debian and Ubuntu write the name to `/etc/timezone`; every systemd distribution makes `/etc/localtime`
//! a link into the zoneinfo database (or, on some, a copy of the TZif file itself).

use jiff::tz::TimeZone;
use std::path::Path;

/// Largest `/etc/localtime` read (TZif files are a few KiB).
const MAX_TZIF: u64 = 256 * 1024;

/// A root filesystem's time zone and where it was read.
#[derive(Debug, Clone)]
pub struct RootTimeZone {
    /// The IANA name (`Europe/London`) or, for a copied TZif file, `localtime`.
    pub name: String,
    pub zone: TimeZone,
    /// The file that said so, for the user to check.
    pub source: String,
}

/// The time zone of the system under `root`, if its files say one.
pub fn root_time_zone(root: &Path) -> Option<RootTimeZone> {
    let timezone = root.join("etc/timezone");
    if let Some(name) = read_small(&timezone)
        .as_deref()
        .and_then(|t| {
            t.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
        })
        .map(str::to_string)
        && let Some(zone) = resolve(root, &name)
    {
        return Some(RootTimeZone {
            name,
            zone,
            source: timezone.display().to_string(),
        });
    }
    let localtime = root.join("etc/localtime");
    let meta = std::fs::symlink_metadata(&localtime).ok()?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&localtime).ok()?;
        let target = target.to_string_lossy();
        let name = target.split_once("zoneinfo/").map(|(_, n)| n)?;
        let name = name.strip_prefix("posix/").unwrap_or(name).to_string();
        let zone = resolve(root, &name)?;
        return Some(RootTimeZone {
            name,
            zone,
            source: format!("{} -> {target}", localtime.display()),
        });
    }
    if meta.is_file() && meta.len() <= MAX_TZIF {
        let bytes = std::fs::read(&localtime).ok()?;
        let zone = TimeZone::tzif("localtime", &bytes).ok()?;
        return Some(RootTimeZone {
            name: "localtime".into(),
            zone,
            source: localtime.display().to_string(),
        });
    }
    None
}

/// A zone name from the root's own zoneinfo database when it has one (the server's rules), else from
/// the machine vigil runs on.
fn resolve(root: &Path, name: &str) -> Option<TimeZone> {
    if name.is_empty() || name.contains("..") || name.starts_with('/') {
        return None;
    }
    let own = root.join("usr/share/zoneinfo").join(name);
    if let Ok(meta) = std::fs::metadata(&own)
        && meta.is_file()
        && meta.len() <= MAX_TZIF
        && let Ok(bytes) = std::fs::read(&own)
        && let Ok(zone) = TimeZone::tzif(name, &bytes)
    {
        return Some(zone);
    }
    TimeZone::get(name).ok()
}

fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let mut s = String::new();
    f.take(4096).read_to_string(&mut s).ok()?;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_names_its_zone_in_etc_timezone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/timezone"), "Asia/Kolkata\n").unwrap();
        let tz = root_time_zone(dir.path()).unwrap();
        assert_eq!(tz.name, "Asia/Kolkata");
        let t: jiff::Timestamp = "2023-03-12T00:00:00Z".parse().unwrap();
        assert_eq!(tz.zone.to_offset(t).seconds(), 5 * 3600 + 1800);
    }

    #[cfg(unix)]
    #[test]
    fn systemd_links_localtime_into_zoneinfo() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::os::unix::fs::symlink(
            "/usr/share/zoneinfo/Pacific/Auckland",
            dir.path().join("etc/localtime"),
        )
        .unwrap();
        let tz = root_time_zone(dir.path()).unwrap();
        assert_eq!(tz.name, "Pacific/Auckland");
        assert!(tz.source.contains("Pacific/Auckland"));
    }

    #[test]
    fn nothing_said_is_none_and_a_hostile_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(root_time_zone(dir.path()).is_none());
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/timezone"), "../../../etc/passwd\n").unwrap();
        assert!(root_time_zone(dir.path()).is_none());
    }
}
