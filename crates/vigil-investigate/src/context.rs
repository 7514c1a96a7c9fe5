//! The records behind a detection, reduced to the few fields that identify them.
//!
//! A rule's matched fields say why it fired (`cs-uri-stem=/aspnet_client/kxnqtm.aspx`) but not who did it:
//! the client address, the account, the user agent are in other fields of the same record. The caller (the
//! CLI, which has the logs) hands each record behind a detection to [`attach`], which appends the record's
//! identifying fields to the detection's `matched` list under the [`CONTEXT_PREFIX`] (`context:c-ip`), so
//! they travel with the detection into the store. They are the evidence reports show instead of whole raw
//! records, and what [`crate::entity`] joins incidents by.
//!
//! Identifying fields per log source ([`identifying_fields`]):
//! - web servers (IIS W3C, Apache/nginx): `c-ip`, `s-ip`, `cs-method`, `cs-uri-stem`, `cs-uri-query`,
//!   `sc-status`, `cs-username`, `cs(User-Agent)` / `cs-user-agent`;
//! - Exchange HttpProxy: `ClientIpAddress`, `AuthenticatedUser`, `AnchorMailbox`, `Method`, `UrlStem`,
//!   `UrlQuery`, `HttpStatus`, `UserAgent`;
//! - Exchange message tracking: `event-id`, `source`, `sender-address`, `recipient-address`,
//!   `recipient-count`, `message-subject`, `client-ip`, `original-client-ip`, `server-ip`;
//! - Windows events: `EventID`, `TargetUserName`, `IpAddress`, `WorkstationName`, `LogonType`, `User`,
//!   `Image`, `ParentImage`, `CommandLine`, `TargetFilename`, `ThreatName`, `Path`, `ScriptBlockText`,
//!   and the unnamed `Data` items of MSExchange Management (cmdlet, parameters, caller);
//! - syslog (Dovecot, Postfix, sshd, sudo): `program`, `user`, `rip`, `lip`, `src_ip`, `rhost`,
//!   `client_host`, `client_ip`, `sasl_username`, `from`, `to`, `nrcpt`, `status`, `event_action`,
//!   `auth_result`, `out`;
//! - anything else: the fields [`crate::entity::FIELD_ROLES`] knows.
//!
//! Values are cut to [`MAX_CONTEXT_CHARS`]; a correlation keeps at most [`MAX_VALUES_PER_FIELD`] distinct
//! values per field over all its records, and a detection at most [`MAX_CONTEXT_ENTRIES`] in all.

use crate::entity::FIELD_ROLES;
use std::collections::HashMap;
use vigil_model::{Detection, Event, FieldValue, LogSource, SourceRef};

/// Prefix of the `matched` entries that are record context rather than what the rule tested.
pub const CONTEXT_PREFIX: &str = "context:";
/// Longest context value kept.
pub const MAX_CONTEXT_CHARS: usize = 300;
/// Most distinct values of one field kept for one detection (a correlation over many records).
pub const MAX_VALUES_PER_FIELD: usize = 16;
/// Most context entries kept for one detection, so memory stays bounded whatever a correlation counts.
pub const MAX_CONTEXT_ENTRIES: usize = 64;

const WEB: &[&str] = &[
    "c-ip",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "sc-status",
    "cs-username",
    "cs(User-Agent)",
    "cs-user-agent",
];
const HTTPPROXY: &[&str] = &[
    "ClientIpAddress",
    "AuthenticatedUser",
    "AnchorMailbox",
    "Method",
    "UrlStem",
    "UrlQuery",
    "HttpStatus",
    "UserAgent",
];
const MESSAGE_TRACKING: &[&str] = &[
    "event-id",
    "source",
    "sender-address",
    "recipient-address",
    "recipient-count",
    "message-subject",
    "client-ip",
    "original-client-ip",
    "server-ip",
];
const WINDOWS: &[&str] = &[
    "EventID",
    "TargetUserName",
    "IpAddress",
    "WorkstationName",
    "LogonType",
    "User",
    "Image",
    "ParentImage",
    "CommandLine",
    "TargetFilename",
    "ThreatName",
    "Threat Name",
    "Path",
    "ScriptBlockText",
    "Data",
];
const SYSLOG: &[&str] = &[
    "program",
    "user",
    "rip",
    "lip",
    "src_ip",
    "rhost",
    "client_host",
    "client_ip",
    "sasl_username",
    "from",
    "to",
    "nrcpt",
    "status",
    "event_action",
    "auth_result",
    "out",
];

/// The identifying fields of records from a log source (see the module documentation).
pub fn identifying_fields(ls: &LogSource) -> Vec<&'static str> {
    let eq = |v: &Option<String>, s: &str| v.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(s));
    let service = ls.service.as_deref().unwrap_or("").to_ascii_lowercase();
    if service == "msexchange-httpproxy" {
        return HTTPPROXY.to_vec();
    }
    if service.starts_with("msexchange-messagetracking") {
        return MESSAGE_TRACKING.to_vec();
    }
    if eq(&ls.category, "webserver") || eq(&ls.category, "proxy") {
        return WEB.to_vec();
    }
    if eq(&ls.product, "windows") {
        return WINDOWS.to_vec();
    }
    if eq(&ls.product, "linux") {
        return SYSLOG.to_vec();
    }
    FIELD_ROLES.iter().map(|(n, _)| *n).collect()
}

/// A field value as context text: lists joined by spaces (the MSExchange Management `Data` items read as
/// the command they record), cut to [`MAX_CONTEXT_CHARS`].
fn text(v: &FieldValue) -> Option<String> {
    let s = match v {
        FieldValue::List(items) => {
            let parts: Vec<String> = items
                .iter()
                .take(8)
                .filter_map(|i| i.as_text().map(|t| t.into_owned()))
                .collect();
            parts.join(" ")
        }
        other => other.as_text()?.into_owned(),
    };
    let s = s.trim();
    if s.is_empty() || s == "-" {
        return None;
    }
    Some(match s.char_indices().nth(MAX_CONTEXT_CHARS) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or("")),
        None => s.to_string(),
    })
}

/// The identifying fields of one record, as `(field, value)` pairs without the prefix.
pub fn record_context(ev: &Event) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in identifying_fields(&ev.logsource) {
        if let Some(v) = ev.get(f).and_then(text) {
            out.push((f.to_string(), v));
        }
    }
    out
}

/// Appends the context of `ev` to a detection it is behind, keeping at most [`MAX_VALUES_PER_FIELD`]
/// distinct values per field and never repeating a value the rule already matched.
pub fn attach(d: &mut Detection, ev: &Event) {
    let mut room = MAX_CONTEXT_ENTRIES.saturating_sub(
        d.matched
            .iter()
            .filter(|(k, _)| k.starts_with(CONTEXT_PREFIX))
            .count(),
    );
    for (field, value) in record_context(ev) {
        if room == 0 {
            return;
        }
        if d.matched.iter().any(|(k, v)| k == &field && v == &value) {
            continue;
        }
        let key = format!("{CONTEXT_PREFIX}{field}");
        let same: Vec<&String> = d
            .matched
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .collect();
        if same.len() >= MAX_VALUES_PER_FIELD || same.contains(&&value) {
            continue;
        }
        d.matched.push((key, value));
        room -= 1;
    }
}

/// The records a set of detections rests on, to attach their context while the logs are read once more.
#[derive(Debug, Default)]
pub struct ContextIndex {
    behind: HashMap<SourceRef, Vec<usize>>,
}

impl ContextIndex {
    /// Indexes the sources of `detections` (positions in that slice).
    pub fn new(detections: &[Detection]) -> ContextIndex {
        let mut behind: HashMap<SourceRef, Vec<usize>> = HashMap::new();
        for (i, d) in detections.iter().enumerate() {
            for s in &d.sources {
                behind.entry(s.clone()).or_default().push(i);
            }
        }
        ContextIndex { behind }
    }

    /// The files to read again.
    pub fn files(&self) -> Vec<&str> {
        let mut f: Vec<&str> = self.behind.keys().map(|s| s.file.as_str()).collect();
        f.sort_unstable();
        f.dedup();
        f
    }

    pub fn is_empty(&self) -> bool {
        self.behind.is_empty()
    }

    /// Attaches `ev`'s context to every detection it is behind; returns whether it was behind any.
    pub fn offer(&self, detections: &mut [Detection], ev: &Event) -> bool {
        let Some(idx) = self.behind.get(&ev.source) else {
            return false;
        };
        for i in idx {
            if let Some(d) = detections.get_mut(*i) {
                attach(d, ev);
            }
        }
        true
    }
}

/// A detection's matched fields and context, for display: `(field, value, is_context)`.
pub fn shown_fields(d: &Detection) -> Vec<(&str, &str, bool)> {
    d.matched
        .iter()
        .map(|(k, v)| match k.strip_prefix(CONTEXT_PREFIX) {
            Some(f) => (f, v.as_str(), true),
            None => (k.as_str(), v.as_str(), false),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use vigil_model::{Level, RecordRef};

    fn event(ls: LogSource, line: u64, fields: &[(&str, FieldValue)]) -> Event {
        Event {
            timestamp: None,
            host: None,
            logsource: ls,
            source: SourceRef {
                file: "u_ex210813.log".into(),
                record: RecordRef::Line(line),
                generation: None,
            },
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
            raw: Some("2021-08-13 03:04:05 10.20.1.25 GET /aspnet_client/kxnqtm.aspx".into()),
        }
    }

    #[test]
    fn identifying_fields_per_source_and_bounded() {
        let web = LogSource::new(None, Some("webserver"), None);
        let ev = event(
            web,
            28,
            &[
                ("c-ip", "203.0.113.77".into()),
                ("cs-uri-stem", "/aspnet_client/kxnqtm.aspx".into()),
                ("cs-uri-query", "c=whoami".into()),
                ("sc-bytes", "1811".into()),
                ("cs-username", "-".into()),
            ],
        );
        let ctx = record_context(&ev);
        assert_eq!(
            ctx,
            vec![
                ("c-ip".to_string(), "203.0.113.77".to_string()),
                ("cs-uri-stem".into(), "/aspnet_client/kxnqtm.aspx".into()),
                ("cs-uri-query".into(), "c=whoami".into())
            ],
            "no raw line, no byte counts, no blanks"
        );
        let mgmt = event(
            LogSource::new(Some("windows"), None, Some("msexchange-management")),
            5,
            &[(
                "Data",
                FieldValue::List(vec![
                    "New-MailboxExportRequest".into(),
                    "-Mailbox \"a@b.org\"".into(),
                ]),
            )],
        );
        assert_eq!(
            record_context(&mgmt),
            vec![(
                "Data".to_string(),
                "New-MailboxExportRequest -Mailbox \"a@b.org\"".to_string()
            )]
        );
        let long = event(
            LogSource::new(Some("linux"), None, Some("dovecot")),
            1,
            &[("user", "x".repeat(1000).into())],
        );
        assert_eq!(
            record_context(&long)[0].1.chars().count(),
            MAX_CONTEXT_CHARS + 1
        );
    }

    #[test]
    fn correlations_keep_distinct_values_up_to_the_cap() {
        let mut d = Detection {
            rule_id: "spray".into(),
            rule_title: "spray".into(),
            level: Level::High,
            tags: vec![],
            timestamp: None,
            first_seen: None,
            host: None,
            sources: Vec::new(),
            matched: vec![("rip".into(), "198.51.100.23".into())],
        };
        let ls = LogSource::new(Some("linux"), None, Some("dovecot"));
        let mut events = Vec::new();
        for i in 0..40u64 {
            let ev = event(
                ls.clone(),
                i,
                &[
                    ("rip", format!("198.51.100.{}", 23 + i % 3).into()),
                    ("user", format!("user{i}").into()),
                ],
            );
            d.sources.push(ev.source.clone());
            events.push(ev);
        }
        let idx = ContextIndex::new(std::slice::from_ref(&d));
        let mut dets = vec![d];
        for ev in &events {
            assert!(idx.offer(&mut dets, ev));
        }
        let d = &dets[0].clone();
        let rips: Vec<&str> = d
            .matched
            .iter()
            .filter(|(k, _)| k == "context:rip")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(
            rips,
            vec!["198.51.100.24", "198.51.100.25"],
            "the matched one is not repeated"
        );
        assert_eq!(
            d.matched
                .iter()
                .filter(|(k, _)| k == "context:user")
                .count(),
            MAX_VALUES_PER_FIELD
        );
        assert_eq!(idx.files(), vec!["u_ex210813.log"]);
        let shown = shown_fields(d);
        assert_eq!(shown[0], ("rip", "198.51.100.23", false));
        assert!(shown[1].2);
    }
}
