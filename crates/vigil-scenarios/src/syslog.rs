//! Syslog files as rsyslog writes them on Debian: RFC 3164 lines in the traditional file format
//! (`Mmm dd HH:MM:SS host tag[pid]: message`, local time, no year, no zone) and logrotate's weekly
//! rotation with `delaycompress` (`mail.log`, `mail.log.1`, `mail.log.2.gz`, …).

use crate::out::{FileSpec, Folder, Mark};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One rotated syslog file family (e.g. `var/log/mail.log*`) of one host.
pub struct SyslogFile {
    host: String,
    tz: TimeZone,
    base: String,
    /// Rotation instants, ascending: a line at or after `rotations[i]` and before `rotations[i+1]` is in
    /// the file of generation `len - 1 - i` (0 = the live file).
    rotations: Vec<Timestamp>,
}

impl SyslogFile {
    /// `base` is the live file's path relative to the scenario folder (`mx1/var/log/mail.log`).
    /// Weekly rotations happen at local midnight starting Sunday, between `from` and `to`.
    pub fn new(host: &str, tz: TimeZone, base: &str, from: Timestamp, to: Timestamp) -> SyslogFile {
        SyslogFile {
            host: host.to_string(),
            rotations: weekly_rotations(from, to, &tz),
            tz,
            base: base.to_string(),
        }
    }

    /// The path of the file a line written at `at` is in when the logs are collected.
    pub fn file_for(&self, at: Timestamp) -> String {
        let idx = self.rotations.iter().filter(|r| **r <= at).count();
        let generation = self.rotations.len() - idx;
        match generation {
            0 => self.base.clone(),
            1 => format!("{}.1", self.base),
            n => format!("{}.{n}.gz", self.base),
        }
    }

    /// The RFC 3164 line rsyslog writes for a message of `tag` (`postfix/smtpd[3121]`, `dovecot`).
    pub fn line(&self, at: Timestamp, tag: &str, msg: &str) -> String {
        format!("{} {} {tag}: {msg}", stamp(at, &self.tz), self.host)
    }

    /// Appends a message to the right file.
    pub fn push(&self, folder: &mut Folder, at: Timestamp, tag: &str, msg: &str) {
        let file = self.declare(folder, at);
        folder.push(&file, at, self.line(at, tag, msg));
    }

    /// Appends a message and marks it for the ground truth.
    pub fn push_marked(
        &self,
        folder: &mut Folder,
        at: Timestamp,
        tag: &str,
        msg: &str,
        what: &str,
    ) -> Mark {
        let file = self.declare(folder, at);
        folder.push_marked(&file, at, self.line(at, tag, msg), what)
    }

    /// The file a line at `at` goes to, and its layout.
    pub fn route(&self, at: Timestamp) -> (String, FileSpec) {
        let file = self.file_for(at);
        let gzip = file.ends_with(".gz");
        (
            file,
            FileSpec {
                header: None,
                eol: "\n",
                gzip,
            },
        )
    }

    /// The live file's path.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn declare(&self, folder: &mut Folder, at: Timestamp) -> String {
        let (file, spec) = self.route(at);
        folder.declare(&file, || spec);
        file
    }
}

/// `Mar  4 09:05:01`: the month's abbreviation, the day padded with a space, local time.
pub fn stamp(at: Timestamp, tz: &TimeZone) -> String {
    let z = at.to_zoned(tz.clone());
    let month = MONTHS
        .get(usize::try_from(z.month() - 1).unwrap_or(0))
        .copied()
        .unwrap_or("Jan");
    format!(
        "{month} {:>2} {:02}:{:02}:{:02}",
        z.day(),
        z.hour(),
        z.minute(),
        z.second()
    )
}

/// Local midnights at the start of each Sunday strictly after `from` and not after `to`.
pub fn weekly_rotations(from: Timestamp, to: Timestamp, tz: &TimeZone) -> Vec<Timestamp> {
    let mut out = Vec::new();
    let start = from.to_zoned(tz.clone()).date();
    let mut day = start;
    for _ in 0..(366 * 3) {
        day = match day.checked_add(1.day()) {
            Ok(d) => d,
            Err(_) => break,
        };
        if day.weekday() != jiff::civil::Weekday::Sunday {
            continue;
        }
        let Ok(t) = day.to_zoned(tz.clone()).map(|z| z.timestamp()) else {
            continue;
        };
        if t > to {
            break;
        }
        if t > from {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ServerZone;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn lines_are_rfc3164_in_local_time() {
        let tz = ServerZone::berlin().tz();
        let f = SyslogFile::new(
            "mx1",
            tz,
            "var/log/mail.log",
            t("2023-03-01T00:00:00Z"),
            t("2023-03-02T00:00:00Z"),
        );
        assert_eq!(
            f.line(t("2023-03-04T08:05:01Z"), "dovecot", "x"),
            "Mar  4 09:05:01 mx1 dovecot: x"
        );
        assert_eq!(
            f.line(t("2023-07-14T22:00:00Z"), "postfix/smtpd[12]", "y"),
            "Jul 15 00:00:00 mx1 postfix/smtpd[12]: y"
        );
    }

    #[test]
    fn weekly_rotation_names_generations() {
        let tz = ServerZone::utc().tz();
        // 2023-03-05 and 2023-03-12 are Sundays.
        let f = SyslogFile::new(
            "mx1",
            tz,
            "var/log/mail.log",
            t("2023-03-01T00:00:00Z"),
            t("2023-03-14T00:00:00Z"),
        );
        assert_eq!(f.file_for(t("2023-03-13T10:00:00Z")), "var/log/mail.log");
        assert_eq!(f.file_for(t("2023-03-12T00:00:00Z")), "var/log/mail.log");
        assert_eq!(f.file_for(t("2023-03-11T23:59:59Z")), "var/log/mail.log.1");
        assert_eq!(
            f.file_for(t("2023-03-02T10:00:00Z")),
            "var/log/mail.log.2.gz"
        );
    }
}
