//! Syslog lines: RFC 3164 (`Mmm dd hh:mm:ss host tag[pid]: msg`, also without host), RFC 5424
//! (`<PRI>1 timestamp host app procid msgid [SD] msg`), RFC 3339-stamped lines as rsyslog writes
//! them, Dovecot's own log (`2013-08-11 03:56:40 auth-worker(…): …`) and daemontools TAI64N
//! (`@4000…`). Every event has `hostname`, `program`, `pid`, `message` where the line has them;
//! the messages of the programs a mail server logs through get their own fields (see
//! [`programs`]).
//!
//! Year-less RFC 3164 timestamps are placed in the year of a reference time — the file's
//! modification time unless `ReadOptions::syslog_reference_time` is set — or in the year before
//! when that would put them more than a day after it (a log spanning New Year). Timestamps
//! without an offset are in `ReadOptions::syslog_time_zone` (UTC by default). Both assumptions are
//! recorded as notes on the file ([`crate::FileStats::notes`]): a copied log lands in the wrong
//! year, and a server logging local time is hours off, without any other sign.
//!
//! Logsource: `product: linux`, `service` by program: `postfix`, `dovecot`, `sshd`, `sudo`,
//! `cron`, `vsftpd`, `clamav`, otherwise `syslog`.

mod mailflow;
pub mod programs;

use crate::ReadOptions;
use crate::lines::{LineParser, Loc, excerpt};
use crate::stats::FileStats;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::cell::Cell;
use std::collections::BTreeMap;
use vigil_model::{Event, FieldValue, LogSource, RawRecord, RecordRef, SourceRef};

pub(crate) struct SyslogParser {
    file: String,
    basis: YearBasis,
    tz: TimeZone,
    /// Earliest and latest year given to a year-less timestamp.
    years: Cell<Option<(i16, i16)>>,
    /// Whether a timestamp without a UTC offset was read in `tz`.
    naive: Cell<bool>,
    /// Postfix lines of one message, joined by queue id (see [`mailflow`]).
    mail: mailflow::MailFlow,
}

/// Where the year of year-less (RFC 3164) timestamps comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YearSource {
    /// `ReadOptions::syslog_reference_time` (`--log-time`).
    Given,
    /// The file's modification time.
    Modified,
    /// The time of reading: a stream (pipe, FIFO) or bytes in memory have no modification time.
    Now,
}

/// The instant year-less timestamps are placed before, and where it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct YearBasis {
    pub time: Timestamp,
    pub source: YearSource,
}

impl YearBasis {
    /// The reference for a file: the given time, else the modification time of `meta` (a regular
    /// file's), else now.
    pub(crate) fn new(opts: &ReadOptions, meta: Option<&std::fs::Metadata>) -> Self {
        if let Some(time) = opts.syslog_reference_time {
            return YearBasis {
                time,
                source: YearSource::Given,
            };
        }
        let modified = meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| Timestamp::try_from(t).ok());
        match modified {
            Some(time) => YearBasis {
                time,
                source: YearSource::Modified,
            },
            None => YearBasis {
                time: Timestamp::now(),
                source: YearSource::Now,
            },
        }
    }
}

impl SyslogParser {
    pub(crate) fn new(file: &str, basis: YearBasis, opts: &ReadOptions) -> Self {
        SyslogParser {
            file: file.to_string(),
            basis,
            tz: opts.syslog_time_zone.clone(),
            years: Cell::new(None),
            naive: Cell::new(false),
            mail: mailflow::MailFlow::default(),
        }
    }

    /// A civil time without offset, read in the configured zone (and remembered for the note).
    fn civil(&self, dt: DateTime) -> Option<Timestamp> {
        self.naive.set(true);
        self.tz.to_ambiguous_timestamp(dt).compatible().ok()
    }

    fn iso(&self, s: &str) -> Option<Timestamp> {
        let (ts, naive) = crate::time::parse_iso_naive(s, &self.tz)?;
        if naive {
            self.naive.set(true);
        }
        Some(ts)
    }

    fn year_used(&self, year: i16) {
        let span = match self.years.get() {
            Some((lo, hi)) => (lo.min(year), hi.max(year)),
            None => (year, year),
        };
        self.years.set(Some(span));
    }
}

/// The parts of a syslog line's header.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Header<'a> {
    pub timestamp: Option<Timestamp>,
    pub pri: Option<u8>,
    pub hostname: Option<&'a str>,
    pub program: Option<&'a str>,
    pub pid: Option<&'a str>,
    pub msgid: Option<&'a str>,
    pub structured: SdParams,
    pub message: &'a str,
}

/// Whether a line looks like syslog (for format sniffing).
pub(crate) fn looks_like_syslog(line: &str) -> bool {
    let l = strip_pri(line).1;
    if l.starts_with("1 ") || l.starts_with('@') {
        return true;
    }
    if let Some((m, rest)) = l.split_once(' ')
        && crate::time::month_number(m).is_some()
        && m.len() == 3
    {
        let rest = rest.trim_start();
        return rest
            .split(' ')
            .nth(1)
            .is_some_and(|t| t.len() >= 8 && t.as_bytes().get(2) == Some(&b':'));
    }
    let b = l.as_bytes();
    b.len() > 19 && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') && b.get(13) == Some(&b':')
}

fn strip_pri(line: &str) -> (Option<u8>, &str) {
    if let Some(rest) = line.strip_prefix('<')
        && let Some((num, after)) = rest.split_once('>')
        && !num.is_empty()
        && num.len() <= 3
        && let Ok(p) = num.parse::<u8>()
        && p <= 191
    {
        return (Some(p), after);
    }
    (None, line)
}

/// Split `tag[pid]: msg` (or `tag(pid): msg`, Dovecot's form). Without a colon-terminated tag,
/// the whole text is the message.
fn split_tag(s: &str) -> (Option<&str>, Option<&str>, &str) {
    let Some(first) = s.split(' ').next() else {
        return (None, None, s);
    };
    // `[sshd]` without a colon (some BSD loggers).
    if let Some(inner) = first.strip_prefix('[').and_then(|t| t.strip_suffix(']'))
        && !inner.is_empty()
    {
        let message = s.get(first.len()..).unwrap_or("").trim_start();
        return (Some(inner), None, message);
    }
    let Some(tag) = first.strip_suffix(':') else {
        return (None, None, s);
    };
    if tag.is_empty() {
        return (None, None, s);
    }
    // `[sshd]:` (some BSD loggers).
    if let Some(inner) = tag.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let message = s.get(first.len()..).unwrap_or("").trim_start();
        return (Some(inner), None, message);
    }
    let message = s.get(first.len()..).unwrap_or("").trim_start();
    if let Some((prog, rest)) = tag.split_once('[') {
        let pid = rest.split(']').next().filter(|p| !p.is_empty());
        return (Some(prog), pid, message);
    }
    if let Some((prog, rest)) = tag.split_once('(') {
        let inner = rest.split(')').next().unwrap_or("");
        let pid = inner
            .chars()
            .all(|c| c.is_ascii_digit())
            .then_some(inner)
            .filter(|p| !p.is_empty());
        // Dovecot's `imap(user)<pid><session>:` keeps its whole tag for the program parser.
        return if pid.is_some() {
            (Some(prog), pid, message)
        } else {
            (Some(prog), None, s)
        };
    }
    (Some(tag), None, message)
}

impl SyslogParser {
    /// `Mmm dd hh:mm:ss[.frac]` in the reference year, or the year before when that would put it
    /// more than a day after the reference (a log spanning New Year).
    fn bsd_time(&self, month: &str, day: &str, time: &str) -> Option<Timestamp> {
        let m = crate::time::month_number(month)?;
        let d: i8 = day.parse().ok()?;
        let t: Time = time.parse().ok()?;
        let reference = self.basis.time;
        let ref_year = reference.to_zoned(self.tz.clone()).year();
        let limit = reference.checked_add(SignedDuration::from_hours(24)).ok()?;
        for year in [ref_year, ref_year - 1] {
            let Ok(date) = Date::new(year, m, d) else {
                continue;
            };
            let Some(ts) = self.civil(DateTime::from_parts(date, t)) else {
                continue;
            };
            if ts <= limit || year != ref_year {
                self.year_used(year);
                return Some(ts);
            }
        }
        None
    }

    pub(crate) fn header<'a>(&self, line: &'a str) -> Result<Header<'a>, String> {
        let (pri, rest) = strip_pri(line);
        if let Some(r) = rest.strip_prefix("1 ") {
            return parse_5424(pri, r, |t| self.iso(t));
        }
        if let Some(r) = rest.strip_prefix('@') {
            // daemontools TAI64N label: 24 hex digits.
            let (label, msg) = r.split_once(' ').unwrap_or((r, ""));
            let secs = label
                .get(..16)
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .and_then(|s| s.checked_sub(1u64 << 62))
                .ok_or_else(|| format!("bad TAI64N label @{label}"))?;
            // TAI is ahead of UTC by 10 s plus the leap seconds since 1972 (27 since 2017).
            let ts =
                Timestamp::from_second(i64::try_from(secs).unwrap_or(i64::MAX).saturating_sub(10))
                    .map_err(|e| e.to_string())?;
            let (program, pid, message) = split_tag(msg);
            return Ok(Header {
                timestamp: Some(ts),
                pri,
                program,
                pid,
                message,
                ..Header::default()
            });
        }
        let mut words = rest.splitn(2, ' ');
        let first = words.next().unwrap_or("");
        let after_first = words.next().unwrap_or("");
        let (timestamp, body) = if crate::time::month_number(first).is_some() && first.len() == 3 {
            // `Mmm dd hh:mm:ss` (day padded with a space or a zero), optionally `yyyy` after.
            let r = after_first.trim_start();
            let (day, r) = r.split_once(' ').ok_or("truncated timestamp")?;
            let (time, r) = r.split_once(' ').unwrap_or((r, ""));
            let (ts, body, time) = if time.len() == 4 && time.chars().all(|c| c.is_ascii_digit()) {
                // `Mmm dd yyyy hh:mm:ss`: the year is given.
                let (t, r2) = r.split_once(' ').unwrap_or((r, ""));
                let month = crate::time::month_number(first).unwrap_or(1);
                let ts = format!("{time}-{month:02}-{day:0>2}T{t}")
                    .parse::<DateTime>()
                    .ok()
                    .and_then(|dt| self.civil(dt));
                (ts, r2, t)
            } else {
                (self.bsd_time(first, day, time), r, time)
            };
            let ts = ts.ok_or_else(|| format!("bad timestamp {first} {day} {time}"))?;
            (ts, body)
        } else if first.len() >= 10 && first.as_bytes().get(4) == Some(&b'-') {
            if first.contains('T') {
                let ts = self
                    .iso(first)
                    .ok_or_else(|| format!("bad timestamp {first}"))?;
                (ts, after_first)
            } else {
                // `yyyy-mm-dd hh:mm:ss` (Dovecot's own log).
                let (time, r) = after_first.split_once(' ').unwrap_or((after_first, ""));
                let ts = self
                    .iso(&format!("{first}T{time}"))
                    .ok_or_else(|| format!("bad timestamp {first} {time}"))?;
                (ts, r)
            }
        } else {
            return Err(format!("no syslog timestamp: {}", excerpt(line)));
        };
        // Hostname, unless the next word is already the tag.
        let body = body.trim_start();
        let (hostname, tagged) = match body.split_once(' ') {
            Some((w, r)) if !w.ends_with(':') && !w.ends_with(']') => (Some(w), r),
            _ => (None, body),
        };
        let (program, pid, message) = split_tag(tagged);
        Ok(Header {
            timestamp: Some(timestamp),
            pri,
            hostname,
            program,
            pid,
            msgid: None,
            structured: Vec::new(),
            message,
        })
    }
}

fn nil(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

fn parse_5424<'a>(
    pri: Option<u8>,
    r: &'a str,
    iso: impl Fn(&str) -> Option<Timestamp>,
) -> Result<Header<'a>, String> {
    let mut parts = r.splitn(5, ' ');
    let ts = parts.next().unwrap_or("-");
    let host = parts.next().unwrap_or("-");
    let app = parts.next().unwrap_or("-");
    let procid = parts.next().unwrap_or("-");
    let rest = parts.next().unwrap_or("");
    let (msgid, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let timestamp = match nil(ts) {
        Some(t) => Some(iso(t).ok_or_else(|| format!("bad RFC 5424 timestamp {t}"))?),
        None => None,
    };
    let (structured, message) = parse_sd(rest)?;
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    Ok(Header {
        timestamp,
        pri,
        hostname: nil(host),
        program: nil(app),
        pid: nil(procid),
        msgid: nil(msgid),
        structured,
        message,
    })
}

/// Structured-data parameters as (`sd.<id>.<name>`, value).
type SdParams = Vec<(String, String)>;

/// RFC 5424 STRUCTURED-DATA: `-` or `[id k="v" …]…`, with `\"`, `\\` and `\]` escapes in values.
fn parse_sd(s: &str) -> Result<(SdParams, &str), String> {
    if let Some(rest) = s.strip_prefix('-') {
        return Ok((Vec::new(), rest.trim_start()));
    }
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while bytes.get(i) == Some(&b'[') {
        i += 1;
        let id_start = i;
        while bytes.get(i).is_some_and(|b| *b != b' ' && *b != b']') {
            i += 1;
        }
        let id = s.get(id_start..i).unwrap_or("").to_string();
        loop {
            match bytes.get(i) {
                Some(b' ') => i += 1,
                Some(b']') => {
                    i += 1;
                    break;
                }
                None => return Err("unterminated structured data".to_string()),
                Some(_) => {
                    let k_start = i;
                    while bytes.get(i).is_some_and(|b| *b != b'=') {
                        i += 1;
                    }
                    let key = s.get(k_start..i).unwrap_or("").to_string();
                    if bytes.get(i + 1) != Some(&b'"') {
                        return Err(format!("structured data parameter {key} not quoted"));
                    }
                    i += 2;
                    let mut val = String::new();
                    loop {
                        match bytes.get(i) {
                            Some(b'\\') => {
                                let next = s.get(i + 1..).and_then(|t| t.chars().next());
                                match next {
                                    Some(c @ ('"' | '\\' | ']')) => {
                                        val.push(c);
                                        i += 2;
                                    }
                                    _ => {
                                        val.push('\\');
                                        i += 1;
                                    }
                                }
                            }
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            None => return Err("unterminated structured data value".to_string()),
                            Some(_) => {
                                let c = s.get(i..).and_then(|t| t.chars().next()).unwrap_or(' ');
                                val.push(c);
                                i += c.len_utf8();
                            }
                        }
                    }
                    out.push((format!("sd.{id}.{key}"), val));
                }
            }
        }
    }
    Ok((out, s.get(i..).unwrap_or("").trim_start()))
}

/// The Sigma `service` of a program name.
pub fn service_for_program(program: &str) -> &'static str {
    let base = program.rsplit('/').next().unwrap_or(program);
    if program.starts_with("postfix") {
        "postfix"
    } else if programs::is_dovecot(program) {
        "dovecot"
    } else if base == "sshd" || base == "sshd-session" {
        "sshd"
    } else if base == "sudo" {
        "sudo"
    } else if base.eq_ignore_ascii_case("cron") || base == "crond" || base == "anacron" {
        "cron"
    } else if base == "vsftpd" {
        "vsftpd"
    } else if base == "clamd" || base == "freshclam" || base.starts_with("clam") {
        "clamav"
    } else if base == "guacd" {
        // Apache Guacamole's proxy daemon logs its sessions through syslog.
        "guacamole"
    } else if base == "pkexec" || base == "polkitd" {
        // Authorisation programs with no service of their own: Sigma's `auth` (auth.log).
        "auth"
    } else {
        "syslog"
    }
}

impl LineParser for SyslogParser {
    fn parse_line(&mut self, line: &str, loc: Loc) -> Result<Option<Event>, String> {
        if line.trim().is_empty() {
            return Ok(None);
        }
        let h = self.header(line)?;
        let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
        let mut put = |k: &str, v: &str| {
            fields.insert(k.to_string(), FieldValue::Str(v.to_string()));
        };
        if let Some(v) = h.hostname {
            put("hostname", v);
        }
        if let Some(v) = h.program {
            put("program", v);
        }
        if let Some(v) = h.pid {
            put("pid", v);
        }
        if let Some(v) = h.msgid {
            put("msgid", v);
        }
        put("message", h.message);
        if let Some(p) = h.pri {
            fields.insert("facility".into(), FieldValue::Int(i64::from(p / 8)));
            fields.insert("severity".into(), FieldValue::Int(i64::from(p % 8)));
        }
        for (k, v) in &h.structured {
            fields.insert(k.clone(), FieldValue::Str(v.clone()));
        }
        let service = match h.program {
            Some(p) => {
                programs::parse(p, h.message, &mut fields);
                self.mail.track(&mut fields);
                service_for_program(p)
            }
            None => "syslog",
        };
        Ok(Some(Event {
            timestamp: h.timestamp,
            host: h.hostname.map(str::to_string),
            logsource: LogSource::new(Some("linux"), None, Some(service)),
            source: SourceRef {
                file: self.file.clone(),
                record: RecordRef::Line(loc.line),
                generation: None,
            },
            fields,
            raw: Some(RawRecord::new(line)),
        }))
    }

    fn set_reference_time(&mut self, time: Timestamp) {
        self.basis.time = time;
    }

    fn annotate(&self, stats: &mut FileStats) {
        if let Some((lo, hi)) = self.years.get() {
            let years = if lo == hi {
                format!("year {lo}")
            } else {
                format!("years {lo}–{hi}")
            };
            let date = self.basis.time.to_zoned(self.tz.clone()).date();
            stats.note(match self.basis.source {
                YearSource::Given => format!("{years} assumed from --log-time ({date})"),
                YearSource::Modified => format!(
                    "{years} assumed from the file's modification time ({date}); use --log-time \
                     if the log was copied"
                ),
                YearSource::Now => format!(
                    "{years} assumed from the time of reading ({date}): the input has no \
                     modification time; use --log-time"
                ),
            });
        }
        if self.naive.get() {
            stats.note(if self.tz == TimeZone::UTC {
                "times without a UTC offset read as UTC; use --tz if the server logs local time"
                    .to_string()
            } else {
                format!(
                    "times without a UTC offset read in {}",
                    crate::time::zone_name(&self.tz)
                )
            });
        }
    }
}
