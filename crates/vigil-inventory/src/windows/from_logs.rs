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
//!
//! When only IIS logs were kept, the build shows in the paths of Outlook on the web's static resources,
//! which Exchange serves from folders named after the build (`/owa/auth/15.2.792/themes/…`,
//! `/owa/prem/15.2.792.13/…`, `/ecp/15.2.792.13/…`). A four-part folder name is a full build; the
//! three-part name under `/owa/auth/` names only the cumulative update, and is reported as such
//! (`cu_only`): the security-update level cannot be told from it. Each IIS file is read until its first
//! such request, at most [`SCAN_BYTES`].

use crate::windows::normalise_build;
use jiff::Timestamp;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Bytes of a file's head read for its directives.
const HEAD_BYTES: u64 = 8 * 1024;
/// Directive lines looked at.
const HEAD_LINES: usize = 32;
/// Bytes of an IIS log read for a request to a versioned resource folder: the logon page's own
/// resources are requested on every sign-in, so a day with any use of Outlook on the web has one early.
pub const SCAN_BYTES: u64 = 64 << 20;
/// Longest IIS line looked at; longer lines are skipped, not split.
const MAX_LINE: usize = 64 * 1024;

/// Where a log states the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildEvidence {
    /// A `#Version:` directive of an Exchange log.
    Directive,
    /// A request for a static resource in a folder named after the build (the path, as logged).
    ResourcePath(String),
}

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
    pub evidence: BuildEvidence,
    /// Only `major.minor.build`: the cumulative update is known, its security-update level is not.
    pub cu_only: bool,
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
        let what = if c.cu_only {
            format!(
                "Exchange cumulative update {} (its security-update level cannot be told from it)",
                c.build
            )
        } else {
            format!("Exchange build {}", c.build)
        };
        let mut s = match &c.evidence {
            BuildEvidence::Directive => format!(
                "{what} inferred from logs: {}:{} (#Version of {}{})",
                c.file,
                c.line,
                c.log_type.as_deref().unwrap_or("an Exchange log"),
                c.logged
                    .map(|t| format!(" started {}", t.strftime("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            ),
            BuildEvidence::ResourcePath(path) => format!(
                "{what} inferred from logs: {}:{} (request for {path}{})",
                c.file,
                c.line,
                c.logged
                    .map(|t| format!(" at {}", t.strftime("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            ),
        };
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

/// Reads the directives of `files` (and the resource paths of IIS logs) and works out the Exchange
/// build in effect at `as_of`. A full build is preferred to a cumulative update alone.
pub fn exchange_builds(files: &[PathBuf], as_of: Option<Timestamp>) -> BuildsFromLogs {
    let mut all: Vec<LogBuild> = files.iter().filter_map(|f| read_header(f)).collect();
    if all.is_empty() {
        // Exchange's own logs state it better; IIS logs are read only when those are missing.
        all.extend(files.iter().filter_map(|f| read_resource_path(f)));
    }
    if all.iter().any(|b| !b.cu_only) {
        all.retain(|b| !b.cu_only);
    }
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
        evidence: BuildEvidence::Directive,
        cu_only: false,
    })
}

/// The first request of an IIS log for a resource in a build-named folder of Outlook on the web or
/// the admin center.
fn read_resource_path(path: &Path) -> Option<LogBuild> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut reader = BufReader::new(file.take(SCAN_BYTES));
    let mut buf = Vec::new();
    let mut iis = false;
    let mut n = 0usize;
    loop {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .ok()?;
        if read == 0 {
            return None;
        }
        n += 1;
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            // The rest of an over-long line is not a line of its own.
            let mut rest = Vec::new();
            while !rest.ends_with(b"\n") {
                rest.clear();
                if (&mut reader)
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut rest)
                    .ok()?
                    == 0
                {
                    return None;
                }
            }
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_start_matches('\u{feff}').trim_end();
        if let Some(directive) = text.strip_prefix('#') {
            if let Some(sw) = directive.strip_prefix("Software:") {
                iis = sw.contains("Internet Information Services");
            }
            continue;
        }
        if !iis {
            // Only IIS logs: other logs may quote paths they did not serve.
            return None;
        }
        let Some((folder, build)) = versioned_folder(text) else {
            continue;
        };
        let cu_only = build.split('.').count() == 3;
        return Some(LogBuild {
            build,
            file: path.display().to_string(),
            line: n,
            logged: line_time(text),
            log_type: Some("IIS log".into()),
            evidence: BuildEvidence::ResourcePath(folder),
            cu_only,
        });
    }
}

/// Folders Exchange names after its build, in the order they are looked for.
const VERSIONED_FOLDERS: &[&str] = &["/owa/auth/", "/owa/prem/", "/owa/", "/ecp/"];

/// `("/owa/auth/15.2.792/…", "15.2.792")` for the first path in `line` under a versioned folder.
fn versioned_folder(line: &str) -> Option<(String, String)> {
    let lower = line.to_ascii_lowercase();
    for prefix in VERSIONED_FOLDERS {
        let mut from = 0;
        while let Some(at) = lower.get(from..).and_then(|s| s.find(prefix)) {
            let start = from + at;
            let after = start + prefix.len();
            from = after;
            let rest = line.get(after..)?;
            let Some(end) = rest.find('/') else { continue };
            let candidate = rest.get(..end)?;
            let parts: Vec<&str> = candidate.split('.').collect();
            let numeric = parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
            // Exchange 2013 and later: 15.x; three parts name a cumulative update, four a build.
            if numeric && (parts.len() == 3 || parts.len() == 4) && parts.first() == Some(&"15") {
                let build = normalise_build(candidate)?;
                return Some((format!("{}{candidate}/…", line.get(start..after)?), build));
            }
        }
    }
    None
}

/// The time of an IIS line in the default layout (`date time …`, UTC).
fn line_time(line: &str) -> Option<Timestamp> {
    let mut fields = line.split(' ');
    let date = fields.next()?;
    let time = fields.next()?;
    format!("{date}T{time}Z").parse().ok()
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

    fn iis(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
        let p = dir.join(name);
        let mut text = String::from(
            "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2022-11-29 00:00:00\r\n\
             #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status\r\n",
        );
        for l in lines {
            text.push_str(l);
            text.push_str("\r\n");
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// With IIS logs alone, the build comes from Outlook on the web's resource folders: the
    /// three-part logon folder names only the cumulative update, a four-part folder the build.
    #[test]
    fn iis_resource_paths_name_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!(
            "2022-11-29 00:00:01 10.0.0.5 GET /x {} 443 - 1.2.3.4 - - 200",
            "a".repeat(70_000)
        );
        let cu = iis(
            dir.path(),
            "u_ex221129.log",
            &[
                "2022-11-29 00:00:02 10.0.0.5 GET /owa/healthcheck.htm - 443 - 127.0.0.1 AMProbe - 200",
                &long,
                "2022-11-29 06:11:30 10.0.0.5 GET /OWA/auth/15.2.1118/themes/resources/favicon.ico - 443 - 192.0.2.44 Mozilla/5.0 - 200",
            ],
        );
        let b = exchange_builds(std::slice::from_ref(&cu), None);
        let c = b.current.as_ref().expect("a build from the resource path");
        assert_eq!(
            (c.build.as_str(), c.cu_only, c.line),
            ("15.2.1118", true, 7)
        );
        assert_eq!(c.logged, "2022-11-29T06:11:30Z".parse().ok());
        let text = b.describe().unwrap();
        assert!(
            text.contains("cumulative update 15.2.1118")
                && text.contains("security-update level cannot be told")
                && text.contains("u_ex221129.log:7")
                && text.contains("/OWA/auth/15.2.1118/…"),
            "{text}"
        );

        // A four-part folder the next day is a full build, and is preferred.
        let full = iis(
            dir.path(),
            "u_ex221130.log",
            &[
                "2022-11-30 08:00:00 10.0.0.5 GET /owa/prem/15.2.1118.15/scripts/boot.js - 443 - 192.0.2.44 - - 200",
            ],
        );
        let b = exchange_builds(&[cu.clone(), full], None);
        let c = b.current.as_ref().unwrap();
        assert_eq!((c.build.as_str(), c.cu_only), ("15.2.1118.15", false));

        // Exchange's own #Version directive wins over any IIS path.
        let proxy = log(
            dir.path(),
            "HttpProxy_2022112901-1.LOG",
            "15.02.1118.020",
            "2022-11-29T01:00:00.000Z",
            "HttpProxy Logs",
        );
        let b = exchange_builds(&[cu, proxy], None);
        assert_eq!(b.current.unwrap().build, "15.2.1118.20");
    }

    /// Paths that only look like build folders, and logs that are not IIS's, say nothing.
    #[test]
    fn look_alike_paths_say_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let f = iis(
            dir.path(),
            "u_ex221201.log",
            &[
                "2022-12-01 00:00:01 10.0.0.5 GET /owa/auth/logon.aspx - 443 - 1.2.3.4 - - 200",
                "2022-12-01 00:00:02 10.0.0.5 GET /owa/14.3.123/x.js - 443 - 1.2.3.4 - - 200",
                "2022-12-01 00:00:03 10.0.0.5 GET /ecp/15.2/x.js - 443 - 1.2.3.4 - - 200",
                "2022-12-01 00:00:04 10.0.0.5 GET /owa/auth/15.2.1118.15.1/x.js - 443 - 1.2.3.4 - - 200",
            ],
        );
        let other = dir.path().join("access.log");
        std::fs::write(&other, "1.2.3.4 - - [01/Dec/2022:00:00:01 +0000] \"GET /owa/auth/15.2.1118/x HTTP/1.1\" 200 1\n").unwrap();
        let b = exchange_builds(&[f, other], None);
        assert!(b.current.is_none(), "{:?}", b.current);
    }
}
