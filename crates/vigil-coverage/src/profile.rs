//! What an asset's logs show of its logging configuration, learned from the events themselves:
//! which log sources occur and with which fields, which Windows channels and event ids, whether
//! Security 4688 carries a command line, which IIS `#Fields:` are logged, whether Dovecot logs its
//! password database lookups (`auth_verbose`) and Postfix its SASL logins, and the time each source
//! covers with its silences.
//!
//! Memory is bounded whatever the input: field names, event ids, sources and hour buckets are
//! capped (a hostile log can name any number of them) and the caps reached are recorded as notes.

use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use vigil_logs::Format;
use vigil_model::{Event, FieldValue, LogSource};

/// Most distinct log sources profiled; events of further sources are only counted.
pub const MAX_SOURCES: usize = 256;
/// Most distinct field names kept per source.
pub const MAX_FIELDS: usize = 512;
/// Most distinct Windows channels, and event ids per channel, kept.
pub const MAX_CHANNELS: usize = 256;
pub const MAX_EVENT_IDS: usize = 1024;
/// Most distinct hours with events kept per source (about eleven years).
pub const MAX_HOURS: usize = 100_000;
/// Longest field or channel name profiled: real ones are short; a hostile JSON key may be
/// megabytes long, and hundreds of them must not add up.
pub const MAX_NAME_BYTES: usize = 256;

/// Programs Dovecot's login processes log as: their failed logins are what `auth_verbose` adds a
/// password-database line to (Dovecot documentation, "Authentication logging").
const DOVECOT_LOGIN_PROGRAMS: &[&str] = &[
    "imap-login",
    "pop3-login",
    "submission-login",
    "managesieve-login",
];

/// URL paths only Exchange serves: IIS logs that carry them come from an Exchange server.
const EXCHANGE_PATHS: &[&str] = &[
    "/owa",
    "/ecp",
    "/ews",
    "/autodiscover",
    "/mapi",
    "/microsoft-server-activesync",
    "/rpc",
    "/oab",
    "/powershell",
];

/// One kind of event seen: a Sigma log source, its fields and the time it covers.
#[derive(Debug, Clone, Serialize)]
pub struct SourceProfile {
    pub logsource: LogSource,
    /// The reader that produced it (the first seen).
    pub format: Option<String>,
    pub events: u64,
    /// Field names seen on its events (at most [`MAX_FIELDS`]).
    pub fields: BTreeSet<String>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    #[serde(skip)]
    hours: BTreeSet<i64>,
    #[serde(skip)]
    hours_capped: bool,
}

impl SourceProfile {
    fn new(logsource: LogSource, format: Option<Format>) -> Self {
        SourceProfile {
            logsource,
            format: format.map(|f| f.name().to_string()),
            events: 0,
            fields: BTreeSet::new(),
            first: None,
            last: None,
            hours: BTreeSet::new(),
            hours_capped: false,
        }
    }

    /// Silences of at least `min_hours` between two hours with events, longest first.
    pub fn silences(&self, min_hours: i64) -> Vec<Silence> {
        let mut out = Vec::new();
        let mut prev: Option<i64> = None;
        for &h in &self.hours {
            if let Some(p) = prev
                && h - p > min_hours
                && let (Ok(from), Ok(to)) = (
                    Timestamp::from_second((p + 1) * 3600),
                    Timestamp::from_second(h * 3600),
                )
            {
                out.push(Silence {
                    from,
                    to,
                    hours: h - p - 1,
                });
            }
            prev = Some(h);
        }
        out.sort_by(|a, b| b.hours.cmp(&a.hours).then(a.from.cmp(&b.from)));
        out
    }

    /// Whether the hour buckets were capped (silences are then only known up to the cap).
    pub fn hours_capped(&self) -> bool {
        self.hours_capped
    }
}

/// A stretch of time in which a source wrote nothing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Silence {
    pub from: Timestamp,
    pub to: Timestamp,
    pub hours: i64,
}

/// A Windows event log channel: how many events and which event ids.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChannelProfile {
    pub events: u64,
    pub event_ids: BTreeMap<i64, u64>,
}

/// Facts the checks need that are not a source's field list.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// Security 4688 events, and those with a non-empty `CommandLine`.
    pub process_creation_4688: u64,
    pub process_creation_4688_with_command_line: u64,
    /// IIS W3C events and the columns their `#Fields:` headers named.
    pub w3c_events: u64,
    pub w3c_fields: BTreeSet<String>,
    /// IIS requests for paths only Exchange serves.
    pub exchange_web_requests: u64,
    /// Dovecot: all events, login processes' failed logins, password-database lines.
    pub dovecot_events: u64,
    pub dovecot_login_failures: u64,
    pub dovecot_passdb_lines: u64,
    /// Postfix: all events, and lines naming a SASL method.
    pub postfix_events: u64,
    pub postfix_sasl_lines: u64,
    /// What an inventory given with the logs says: a Windows server, running Exchange.
    pub inventory_windows: bool,
    pub inventory_exchange: bool,
}

/// A file looked at, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct FileRead {
    pub path: String,
    pub format: Option<String>,
    pub events: u64,
    /// Records that could not be parsed.
    pub failed: u64,
    /// Why the file was not read (unreadable, format not recognised), if it was not.
    pub not_read: Option<String>,
}

/// The profile of an asset's logs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Profile {
    pub files: Vec<FileRead>,
    pub events: u64,
    /// By `product/category/service`.
    pub sources: BTreeMap<String, SourceProfile>,
    pub channels: BTreeMap<String, ChannelProfile>,
    pub facts: Facts,
    /// Caps reached while profiling, and similar remarks.
    pub notes: Vec<String>,
    #[serde(skip)]
    file_web_fields: BTreeSet<String>,
    #[serde(skip)]
    file_w3c_events: u64,
}

/// The key a log source is profiled under.
pub fn source_key(ls: &LogSource) -> String {
    let part = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    format!(
        "{}/{}/{}",
        part(&ls.product),
        part(&ls.category),
        part(&ls.service)
    )
}

fn text(v: Option<&FieldValue>) -> Option<String> {
    v.and_then(|v| v.as_text().map(|t| t.into_owned()))
        .filter(|t| !t.trim().is_empty() && t.trim() != "-")
}

fn event_id(e: &Event) -> Option<i64> {
    match e.get("EventID")? {
        FieldValue::Int(i) => Some(*i),
        other => other.as_text()?.trim().parse().ok(),
    }
}

impl Profile {
    /// Takes in one event of a file being read.
    pub fn observe(&mut self, e: &Event) {
        self.events = self.events.saturating_add(1);
        let key = source_key(&e.logsource);
        if !self.sources.contains_key(&key) {
            if self.sources.len() >= MAX_SOURCES {
                self.note_once(format!(
                    "more than {MAX_SOURCES} log sources: further ones are only counted"
                ));
                return;
            }
            self.sources
                .insert(key.clone(), SourceProfile::new(e.logsource.clone(), None));
        }
        let mut capped_fields = false;
        if let Some(s) = self.sources.get_mut(&key) {
            s.events = s.events.saturating_add(1);
            for name in e.fields.keys().filter(|n| n.len() <= MAX_NAME_BYTES) {
                if s.fields.len() >= MAX_FIELDS && !s.fields.contains(name) {
                    capped_fields = true;
                    break;
                }
                if !s.fields.contains(name) {
                    s.fields.insert(name.clone());
                }
            }
            if let Some(t) = e.timestamp {
                s.first = Some(s.first.map_or(t, |f| f.min(t)));
                s.last = Some(s.last.map_or(t, |l| l.max(t)));
                let hour = t.as_second().div_euclid(3600);
                if s.hours.len() < MAX_HOURS || s.hours.contains(&hour) {
                    s.hours.insert(hour);
                } else {
                    s.hours_capped = true;
                }
            }
        }
        if capped_fields {
            self.note_once(format!(
                "source {key}: more than {MAX_FIELDS} field names; further ones are not profiled"
            ));
        }
        self.observe_facts(e);
    }

    fn observe_facts(&mut self, e: &Event) {
        let ls = &e.logsource;
        let product = ls.product.as_deref().unwrap_or_default();
        let service = ls.service.as_deref().unwrap_or_default();
        if product == "windows"
            && let Some(channel) = text(e.get("Channel")).filter(|c| c.len() <= MAX_NAME_BYTES)
        {
            let id = event_id(e);
            if self.channels.len() < MAX_CHANNELS || self.channels.contains_key(&channel) {
                let c = self.channels.entry(channel).or_default();
                c.events = c.events.saturating_add(1);
                if let Some(id) = id
                    && (c.event_ids.len() < MAX_EVENT_IDS || c.event_ids.contains_key(&id))
                {
                    *c.event_ids.entry(id).or_default() += 1;
                }
            } else {
                self.note_once(format!(
                    "more than {MAX_CHANNELS} Windows channels: further ones are not profiled"
                ));
            }
            if service == "security" && id == Some(4688) {
                self.facts.process_creation_4688 += 1;
                if text(e.get("CommandLine")).is_some() {
                    self.facts.process_creation_4688_with_command_line += 1;
                }
            }
        }
        if ls.category.as_deref() == Some("webserver") && ls.service.is_none() {
            self.file_w3c_events += 1;
            for name in e.fields.keys().filter(|n| n.len() <= MAX_NAME_BYTES) {
                if self.file_web_fields.len() < MAX_FIELDS {
                    self.file_web_fields.insert(name.clone());
                }
            }
            if let Some(stem) = text(e.get("cs-uri-stem")) {
                let stem = stem.to_ascii_lowercase();
                if EXCHANGE_PATHS.iter().any(|p| {
                    stem.strip_prefix(p)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                }) {
                    self.facts.exchange_web_requests += 1;
                }
            }
        }
        if product == "linux" && service == "dovecot" {
            self.facts.dovecot_events += 1;
            let program = text(e.get("dovecot_service")).or_else(|| text(e.get("program")));
            let failed = text(e.get("auth_result")).as_deref() == Some("failure");
            if failed && program.is_some_and(|p| DOVECOT_LOGIN_PROGRAMS.contains(&p.as_str())) {
                self.facts.dovecot_login_failures += 1;
            }
            if e.get("passdb").is_some() {
                self.facts.dovecot_passdb_lines += 1;
            }
        }
        if product == "linux" && service == "postfix" {
            self.facts.postfix_events += 1;
            if text(e.get("sasl_method")).is_some() || text(e.get("sasl_username")).is_some() {
                self.facts.postfix_sasl_lines += 1;
            }
        }
    }

    /// Ends a file: what the readers said of it. The W3C columns count only for IIS files (Apache
    /// and nginx logs share the `webserver` source but have no `#Fields:`).
    pub fn end_file(&mut self, stats: &vigil_logs::FileStats) {
        let format = stats.format;
        if format == Some(Format::W3c) {
            self.facts.w3c_events += self.file_w3c_events;
            for f in std::mem::take(&mut self.file_web_fields) {
                if self.facts.w3c_fields.len() < MAX_FIELDS {
                    self.facts.w3c_fields.insert(f);
                }
            }
        }
        self.file_web_fields.clear();
        self.file_w3c_events = 0;
        if let Some(f) = format {
            for s in self.sources.values_mut() {
                if s.format.is_none() && s.events > 0 {
                    s.format = Some(f.name().to_string());
                }
            }
        }
        self.files.push(FileRead {
            path: stats.path.clone(),
            format: format.map(|f| f.name().to_string()),
            events: stats.events,
            failed: stats.failed,
            not_read: stats.skipped.clone(),
        });
    }

    /// A file that could not be read at all.
    pub fn unreadable(&mut self, path: &str, reason: String) {
        self.files.push(FileRead {
            path: path.to_string(),
            format: None,
            events: 0,
            failed: 0,
            not_read: Some(reason),
        });
    }

    fn note_once(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Files that were given but not read, with why.
    pub fn not_read(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .filter_map(|f| f.not_read.as_deref().map(|r| (f.path.as_str(), r)))
    }

    /// Whether any event of a Windows event log was read.
    pub fn has_windows_event_logs(&self) -> bool {
        !self.channels.is_empty()
    }

    /// The sources with a given product and service (either may be `None` for any).
    pub fn has_source(&self, product: Option<&str>, service: Option<&str>) -> bool {
        self.sources.values().any(|s| {
            product.is_none_or(|p| s.logsource.product.as_deref() == Some(p))
                && service.is_none_or(|v| s.logsource.service.as_deref() == Some(v))
        })
    }

    /// Whether the asset is an Exchange server: its inventory says so, or its events (Exchange's own
    /// logs, IIS requests for its paths).
    pub fn is_exchange(&self) -> bool {
        self.facts.inventory_exchange
            || self.facts.exchange_web_requests > 0
            || self.sources.values().any(|s| {
                s.logsource
                    .service
                    .as_deref()
                    .is_some_and(|v| v.starts_with("msexchange-"))
            })
    }

    /// The earliest and latest event time over all sources.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        let first = self.sources.values().filter_map(|s| s.first).min()?;
        let last = self.sources.values().filter_map(|s| s.last).max()?;
        Some((first, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{RecordRef, SourceRef};

    fn event(ls: LogSource, fields: &[(&str, FieldValue)], t: Option<i64>) -> Event {
        Event {
            timestamp: t.and_then(|s| Timestamp::from_second(s).ok()),
            host: None,
            logsource: ls,
            source: SourceRef {
                file: "f".into(),
                record: RecordRef::Line(1),
                generation: None,
            },
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            raw: None,
        }
    }

    #[test]
    fn security_4688_command_lines_are_counted_only_when_not_empty() {
        let mut p = Profile::default();
        let ls = LogSource::new(Some("windows"), Some("process_creation"), Some("security"));
        for cmd in ["", "cmd.exe /c whoami"] {
            p.observe(&event(
                ls.clone(),
                &[
                    ("Channel", "Security".into()),
                    ("EventID", FieldValue::Int(4688)),
                    ("CommandLine", cmd.into()),
                ],
                None,
            ));
        }
        assert_eq!(p.facts.process_creation_4688, 2);
        assert_eq!(p.facts.process_creation_4688_with_command_line, 1);
        assert_eq!(p.channels["Security"].event_ids[&4688], 2);
    }

    #[test]
    fn silences_are_found_between_active_hours() {
        let mut p = Profile::default();
        let ls = LogSource::new(Some("linux"), None, Some("sshd"));
        for h in [0, 1, 2, 50, 51] {
            p.observe(&event(ls.clone(), &[], Some(h * 3600)));
        }
        let s = &p.sources["linux/-/sshd"];
        let silences = s.silences(24);
        assert_eq!(silences.len(), 1);
        assert_eq!(silences[0].hours, 47);
        assert!(s.silences(48).is_empty());
    }

    #[test]
    fn field_names_are_capped() {
        let mut p = Profile::default();
        let ls = LogSource::new(Some("linux"), None, Some("x"));
        for i in 0..(MAX_FIELDS + 10) {
            let name = format!("f{i}");
            p.observe(&event(ls.clone(), &[(name.as_str(), "v".into())], None));
        }
        assert_eq!(p.sources["linux/-/x"].fields.len(), MAX_FIELDS);
        assert_eq!(p.notes.len(), 1);
        let long = "k".repeat(MAX_NAME_BYTES + 1);
        let ls = LogSource::new(Some("linux"), None, Some("y"));
        p.observe(&event(ls, &[(long.as_str(), "v".into())], None));
        assert!(p.sources["linux/-/y"].fields.is_empty());
    }
}
