//! The Exchange build, inferred from Exchange's own logs when no inventory names it.
//!
//! A server that was broken into rarely comes with an inventory, but its logs are usually copied. Every
//! CSV log Exchange writes (HttpProxy, message tracking, ECP, EWS, OWA …) starts with directives that
//! name the build of the server that wrote it:
//!
//! ```text
//! #Software: Microsoft Exchange Server
//! #Version: 15.02.1118.015
//! #Log-type: HttpProxy Logs
//! #Date: 2022-11-21T06:24:35.000Z
//! ```
//!
//! `#Version` is the full build with the security-update revision (what ExSetup.exe reports), so it can
//! be assessed like an inventory's build; it is stated as *inferred from logs* with the file and line.
//! Builds change when updates are installed: the build used is the one of the newest log written at or
//! before the day assessed, and the others are listed with when they were seen. Only a file's first
//! directives are read, so this costs a few KiB per file.

use crate::windows::normalise_build;
use jiff::Timestamp;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Bytes of a file's head read for its directives.
const HEAD_BYTES: u64 = 8 * 1024;
/// Directive lines looked at.
const HEAD_LINES: usize = 32;

/// One log's statement of the Exchange build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBuild {
    /// Normalised build (`15.2.1118.15`).
    pub build: String,
    pub file: String,
    /// The `#Version:` line.
    pub line: usize,
    /// The log's `#Date:` (when it was started), when given.
    pub logged: Option<Timestamp>,
    /// `#Log-type:` (`HttpProxy Logs`, `Message Tracking Log`), when given.
    pub log_type: Option<String>,
}

/// What the logs say about the Exchange build.
#[derive(Debug, Clone, Default)]
pub struct BuildsFromLogs {
    /// The build in effect on the day assessed: the newest statement at or before it (or the newest
    /// undated one when none is dated).
    pub current: Option<LogBuild>,
    /// Every distinct build seen, with the first and last log dates that state it.
    pub seen: Vec<(String, Option<Timestamp>, Option<Timestamp>)>,
    /// Files whose directives named an Exchange build.
    pub files: usize,
}

impl BuildsFromLogs {
    /// `Exchange build 15.2.1118.15 inferred from logs: FILE:2 (#Version of a HttpProxy Logs file
    /// started 2022-11-29T01:00:00Z); also seen: 15.2.1118.12 (to 2022-10-03)`.
    pub fn describe(&self) -> Option<String> {
        let c = self.current.as_ref()?;
        let mut s = format!(
            "Exchange build {} inferred from logs: {}:{} (#Version of {}{})",
            c.build,
            c.file,
            c.line,
            c.log_type.as_deref().unwrap_or("an Exchange log"),
            c.logged
                .map(|t| format!(" started {}", t.strftime("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default()
        );
        let others: Vec<String> = self
            .seen
            .iter()
            .filter(|(b, _, _)| *b != c.build)
            .map(|(b, first, last)| match (first, last) {
                (Some(f), Some(l)) => format!(
                    "{b} ({} to {})",
                    f.strftime("%Y-%m-%d"),
                    l.strftime("%Y-%m-%d")
                ),
                _ => b.clone(),
            })
            .collect();
        if !others.is_empty() {
            s.push_str(&format!("; also seen: {}", others.join(", ")));
        }
        Some(s)
    }
}

/// Reads the directives of `files` and works out the Exchange build in effect at `as_of`.
pub fn exchange_builds(files: &[PathBuf], as_of: Option<Timestamp>) -> BuildsFromLogs {
    let mut all: Vec<LogBuild> = files.iter().filter_map(|f| read_header(f)).collect();
    let mut out = BuildsFromLogs {
        files: all.len(),
        ..BuildsFromLogs::default()
    };
    all.sort_by(|a, b| a.logged.cmp(&b.logged).then_with(|| a.file.cmp(&b.file)));
    for b in &all {
        match out.seen.iter_mut().find(|(v, _, _)| *v == b.build) {
            Some((_, first, last)) => {
                *first = (*first).min(b.logged).or(b.logged);
                *last = (*last).max(b.logged);
            }
            None => out.seen.push((b.build.clone(), b.logged, b.logged)),
        }
    }
    let in_effect = |b: &&LogBuild| match (b.logged, as_of) {
        (Some(t), Some(limit)) => t <= limit,
        _ => true,
    };
    out.current = all
        .iter()
        .filter(in_effect)
        .max_by(|a, b| a.logged.cmp(&b.logged))
        .cloned();
    out
}

/// The build a file's directives state, if it is an Exchange log.
fn read_header(path: &Path) -> Option<LogBuild> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let reader = BufReader::new(file.take(HEAD_BYTES));
    let mut exchange = false;
    let mut version: Option<(String, usize)> = None;
    let mut logged = None;
    let mut log_type = None;
    for (i, line) in reader.split(b'\n').take(HEAD_LINES).enumerate() {
        let line = line.ok()?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim_end();
        let Some(directive) = text.strip_prefix('#') else {
            break;
        };
        let (key, value) = directive.split_once(':').unwrap_or((directive, ""));
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "software" => exchange = value.contains("Microsoft Exchange"),
            "version" => version = normalise_build(value).map(|b| (b, i + 1)),
            "date" => logged = value.parse::<Timestamp>().ok(),
            "log-type" => log_type = Some(value.to_string()).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    let (build, line) = version?;
    // Exchange 2013 and later are 15.x with four parts; `#Version: 1.0` is the W3C format's own version.
    if !exchange || !build.starts_with("15.") || build.split('.').count() != 4 {
        return None;
    }
    Some(LogBuild {
        build,
        file: path.display().to_string(),
        line,
        logged,
        log_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(dir: &Path, name: &str, version: &str, date: &str, kind: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!(
                "#Software: Microsoft Exchange Server\r\n#Version: {version}\r\n#Log-type: {kind}\r\n\
                 #Date: {date}\r\n#Fields: date-time,client-ip\r\n2022-11-21T06:24:35.000Z,10.0.0.1\r\n"
            ),
        )
        .unwrap();
        p
    }

    #[test]
    fn the_build_in_effect_on_the_day_assessed_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            log(
                dir.path(),
                "HttpProxy_2022100301-1.LOG",
                "15.02.1118.012",
                "2022-10-03T01:00:00.000Z",
                "HttpProxy Logs",
            ),
            log(
                dir.path(),
                "MSGTRK2022112106-1.LOG",
                "15.02.1118.015",
                "2022-11-21T06:24:35.000Z",
                "Message Tracking Log",
            ),
            log(
                dir.path(),
                "HttpProxy_2023010101-1.LOG",
                "15.02.1118.020",
                "2023-01-01T01:00:00.000Z",
                "HttpProxy Logs",
            ),
        ];
        let as_of: Timestamp = "2022-12-01T00:00:00Z".parse().unwrap();
        let b = exchange_builds(&files, Some(as_of));
        let c = b.current.as_ref().unwrap();
        assert_eq!(c.build, "15.2.1118.15");
        assert_eq!(c.line, 2);
        assert!(c.file.ends_with("MSGTRK2022112106-1.LOG"));
        assert_eq!(b.seen.len(), 3);
        let text = b.describe().unwrap();
        assert!(
            text.contains("inferred from logs") && text.contains("also seen: 15.2.1118.12"),
            "{text}"
        );
    }

    #[test]
    fn iis_and_other_logs_say_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let iis = dir.path().join("u_ex221129.log");
        std::fs::write(
            &iis,
            "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2022-11-29 00:00:00\n",
        )
        .unwrap();
        let other = dir.path().join("mail.log");
        std::fs::write(&other, "Mar 12 01:05:33 mx1 dovecot: x\n").unwrap();
        let b = exchange_builds(&[iis, other, dir.path().join("missing")], None);
        assert!(b.current.is_none());
        assert_eq!(b.files, 0);
    }
}
