//! Signs that a watched log was tampered with, cut or cannot be trusted, seen in the events as they
//! stream past: an EVTX file whose `EventRecordID`s skip (records missing between two read), a
//! Windows log cleared (Security 1102, System 104), the audit policy changed (Security 4719), Sysmon
//! stopped or reconfigured (Sysmon 4 and 16; System 7036/7040 for the Sysmon service), and event
//! times that go backwards within a file or lie ahead of the clock. Each is a source-health alert with
//! its evidence (file, record, times), whatever the Sigma rules also detect: an attacker who clears
//! a log blinds the rules that would have told.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use vigil_model::{Event, FieldValue, Level, RecordRef};
use vigil_store::{AlertSubject, Evidence, NewAlert};

/// Thresholds, documented in docs/serve.md.
#[derive(Debug, Clone, Copy)]
pub struct TamperOptions {
    /// An event earlier than the newest one of its file by more than this: time went backwards.
    pub backwards: SignedDuration,
    /// An event later than the wall clock by more than this: the sender's clock is wrong.
    pub ahead: SignedDuration,
}

impl Default for TamperOptions {
    fn default() -> Self {
        TamperOptions {
            backwards: SignedDuration::from_mins(10),
            ahead: SignedDuration::from_mins(10),
        }
    }
}

/// Files followed at once before the oldest is forgotten (a folder of rotated files).
const MAX_FILES: usize = 4096;
/// Findings kept between two takes (the rest are counted in the last one's evidence).
const MAX_PENDING: usize = 64;

/// What is known of one file's stream.
#[derive(Debug, Clone, Default)]
struct FileState {
    /// The generation of the file (rotation, copy-truncate) the state is about.
    generation: Option<String>,
    last_record: Option<u64>,
    newest: Option<Timestamp>,
    /// Time trouble already reported for this file (reported once per file and kind).
    backwards_told: bool,
    ahead_told: bool,
}

/// The watcher of one service's sources.
#[derive(Debug, Default)]
pub struct TamperWatch {
    opts: TamperOptions,
    /// Per source, per file path: kept without allocating per event (the events' hot path).
    files: HashMap<String, HashMap<String, FileState>>,
    /// Files in `files`.
    tracked: usize,
    /// Per (source, sender): the last RFC 5424 `meta sequenceId` seen.
    sequences: HashMap<(String, String), u64>,
    pending: Vec<NewAlert>,
    dropped: u64,
}

impl TamperWatch {
    pub fn new(opts: TamperOptions) -> TamperWatch {
        TamperWatch {
            opts,
            ..TamperWatch::default()
        }
    }

    /// Looks at one event of `source` read at `now`.
    pub fn observe(&mut self, source: &str, ev: &Event, now: Timestamp) {
        if let Some(alert) = windows_event(source, ev) {
            self.push(alert);
        }
        if let Some(alert) = self.sequence(source, ev) {
            self.push(alert);
        }
        if self.tracked >= MAX_FILES
            && !self
                .files
                .get(source)
                .is_some_and(|f| f.contains_key(&ev.source.file))
        {
            self.files.clear();
            self.tracked = 0;
        }
        if !self.files.contains_key(source) {
            self.files.insert(source.to_string(), HashMap::new());
        }
        let Some(per_file) = self.files.get_mut(source) else {
            return;
        };
        if !per_file.contains_key(&ev.source.file) {
            per_file.insert(ev.source.file.clone(), FileState::default());
            self.tracked += 1;
        }
        let Some(state) = per_file.get_mut(&ev.source.file) else {
            return;
        };
        // A new generation of the path (rotated, copy-truncated) starts its own stream.
        if state.generation.as_deref() != ev.source.generation.as_deref() {
            *state = FileState {
                generation: ev.source.generation.clone(),
                ..FileState::default()
            };
        }
        let mut found = Vec::new();
        if let RecordRef::EvtxRecord(id) = ev.source.record {
            if let Some(last) = state.last_record
                && id > last.saturating_add(1)
            {
                found.push(gap_alert(source, &ev.source.file, last, id));
            }
            state.last_record = Some(state.last_record.map_or(id, |l| l.max(id)));
        }
        if let Some(t) = ev.timestamp {
            if let Some(newest) = state.newest
                && newest.duration_since(t) > self.opts.backwards
                && !state.backwards_told
            {
                state.backwards_told = true;
                found.push(time_alert(
                    source,
                    &ev.source.file,
                    "backwards",
                    format!(
                        "an event at {t} follows one at {newest} in the same file ({}; more than {} earlier)",
                        ev.source.record,
                        minutes(self.opts.backwards)
                    ),
                ));
            }
            if t.duration_since(now) > self.opts.ahead && !state.ahead_told {
                state.ahead_told = true;
                found.push(time_alert(
                    source,
                    &ev.source.file,
                    "ahead",
                    format!(
                        "an event is dated {t}, more than {} after this machine's clock ({now}; {})",
                        minutes(self.opts.ahead),
                        ev.source.record
                    ),
                ));
            }
            if state.newest.is_none_or(|n| t > n) {
                state.newest = Some(t);
            }
        }
        for a in found {
            self.push(a);
        }
    }

    /// RFC 5424 §7.3.1: a sender that numbers its messages (`[meta sequenceId="n"]`) counts from 1
    /// and wraps after 2147483647; a number skipped is a message lost on the way (UDP) or removed.
    fn sequence(&mut self, source: &str, ev: &Event) -> Option<NewAlert> {
        ev.get("facility")?;
        let seq: u64 = text(ev, "sd.meta.sequenceId")?.trim().parse().ok()?;
        let sender = ev.host.clone().unwrap_or_default();
        if !self
            .sequences
            .contains_key(&(source.to_string(), sender.clone()))
            && self.sequences.len() >= MAX_FILES
        {
            self.sequences.clear();
        }
        let last = self
            .sequences
            .insert((source.to_string(), sender.clone()), seq)?;
        if seq <= last.saturating_add(1) {
            return None; // in order, repeated, or the sender restarted or wrapped
        }
        let missing = seq - last - 1;
        Some(NewAlert {
            dedup_key: format!("tamper:sequence-gap:{source}:{sender}"),
            subject: AlertSubject::SourceHealth,
            reference: source.to_string(),
            severity: Level::Medium,
            title: format!(
                "{source}: {missing} syslog message(s) from {} never arrived (sequenceId {} to {})",
                if sender.is_empty() {
                    "a sender"
                } else {
                    &sender
                },
                last + 1,
                seq - 1
            ),
            asset: ev.host.clone(),
            evidence: vec![
                Evidence::new("source", source),
                Evidence::new("sender", sender.as_str()),
                Evidence::new("last sequenceId", last.to_string()),
                Evidence::new("next sequenceId", seq.to_string()),
                Evidence::new(
                    "what it means",
                    "messages were lost on the way (UDP drops them silently) or removed; use TCP or TLS forwarding with a queue",
                ),
            ],
        })
    }

    fn push(&mut self, alert: NewAlert) {
        if self.pending.len() < MAX_PENDING {
            self.pending.push(alert);
        } else {
            self.dropped += 1;
        }
    }

    /// The alerts found since the last take.
    pub fn take(&mut self) -> Vec<NewAlert> {
        let mut out = std::mem::take(&mut self.pending);
        if self.dropped > 0
            && let Some(last) = out.last_mut()
        {
            last.evidence.push(Evidence::new(
                "more",
                format!(
                    "{} more signs in the same poll were not listed",
                    self.dropped
                ),
            ));
            self.dropped = 0;
        }
        out
    }
}

fn minutes(d: SignedDuration) -> String {
    format!("{} min", d.as_mins())
}

fn text<'a>(ev: &'a Event, field: &str) -> Option<std::borrow::Cow<'a, str>> {
    ev.get(field).and_then(FieldValue::as_text)
}

fn event_id(ev: &Event) -> Option<u64> {
    text(ev, "EventID").and_then(|v| v.trim().parse().ok())
}

/// The tampering a Windows event states by itself.
fn windows_event(source: &str, ev: &Event) -> Option<NewAlert> {
    let id = event_id(ev)?;
    let channel = text(ev, "Channel").unwrap_or_default();
    let provider = text(ev, "Provider_Name").unwrap_or_default();
    let sysmon_service = || {
        ["param1", "Data"]
            .iter()
            .any(|f| text(ev, f).is_some_and(|v| v.to_ascii_lowercase().starts_with("sysmon")))
    };
    let (kind, what, level) = match (channel.as_ref(), id) {
        ("Security", 1102) => ("log-cleared", "the Security log was cleared", Level::High),
        ("System", 104) if provider.contains("Eventlog") => {
            ("log-cleared", "an event log was cleared", Level::High)
        }
        ("Security", 4719) => (
            "audit-policy",
            "the system audit policy was changed",
            Level::High,
        ),
        ("Microsoft-Windows-Sysmon/Operational", 4) => (
            "sysmon-state",
            "the Sysmon service state changed",
            Level::Medium,
        ),
        ("Microsoft-Windows-Sysmon/Operational", 16) => (
            "sysmon-config",
            "the Sysmon configuration changed",
            Level::Medium,
        ),
        ("System", 7036 | 7040) if sysmon_service() => (
            "sysmon-service",
            "the Sysmon service was stopped, started or reconfigured",
            Level::Medium,
        ),
        _ => return None,
    };
    let host = ev.host.clone();
    let mut evidence = vec![
        Evidence::new("source", source),
        Evidence::new("file", ev.source.file.as_str()),
        Evidence::new("record", ev.source.record.to_string()),
        Evidence::new("event", format!("{channel} {id} ({provider})")),
    ];
    if let Some(t) = ev.timestamp {
        evidence.push(Evidence::new("time", t.to_string()));
    }
    for f in ["SubjectUserName", "SubjectDomainName", "param1", "param2"] {
        if let Some(v) = text(ev, f) {
            evidence.push(Evidence::new(f, v.as_ref()));
        }
    }
    Some(NewAlert {
        dedup_key: format!("tamper:{kind}:{source}"),
        subject: AlertSubject::SourceHealth,
        reference: source.to_string(),
        severity: level,
        title: format!(
            "{}: {what}{}",
            host.as_deref().unwrap_or(source),
            ev.timestamp.map(|t| format!(" at {t}")).unwrap_or_default()
        ),
        asset: host,
        evidence,
    })
}

fn gap_alert(source: &str, file: &str, last: u64, next: u64) -> NewAlert {
    let missing = next - last - 1;
    NewAlert {
        dedup_key: format!("tamper:record-gap:{source}"),
        subject: AlertSubject::SourceHealth,
        reference: source.to_string(),
        severity: Level::High,
        title: format!(
            "{source}: {missing} event record(s) missing in {file} (EventRecordID {} to {})",
            last + 1,
            next - 1
        ),
        asset: None,
        evidence: vec![
            Evidence::new("source", source),
            Evidence::new("file", file),
            Evidence::new("last record read", last.to_string()),
            Evidence::new("next record read", next.to_string()),
            Evidence::new(
                "what it means",
                "records were deleted, the log wrapped before they were read, or the file is damaged",
            ),
        ],
    }
}

fn time_alert(source: &str, file: &str, kind: &str, what: String) -> NewAlert {
    NewAlert {
        dedup_key: format!("tamper:time-{kind}:{source}"),
        subject: AlertSubject::SourceHealth,
        reference: source.to_string(),
        severity: Level::Medium,
        title: format!(
            "{source}: event times go {kind} in {file}: clock trouble or a log that was edited"
        ),
        asset: None,
        evidence: vec![
            Evidence::new("source", source),
            Evidence::new("file", file),
            Evidence::new("seen", what),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use vigil_model::{LogSource, SourceRef};

    fn ev(record: RecordRef, t: &str, fields: &[(&str, &str)]) -> Event {
        Event {
            timestamp: Some(t.parse().unwrap()),
            host: Some("MAIL01".into()),
            logsource: LogSource::default(),
            source: SourceRef {
                file: "Security.evtx".into(),
                record,
                generation: None,
            },
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), FieldValue::Str(v.to_string())))
                .collect::<BTreeMap<_, _>>(),
            raw: None,
        }
    }

    const NOW: &str = "2026-12-04T12:00:00Z";

    #[test]
    fn record_id_gaps_are_named_and_consecutive_records_are_not() {
        let mut w = TamperWatch::new(TamperOptions::default());
        let now = NOW.parse().unwrap();
        for id in [100, 101, 102, 140, 141] {
            w.observe(
                "security",
                &ev(RecordRef::EvtxRecord(id), "2026-12-04T10:00:00Z", &[]),
                now,
            );
        }
        let got = w.take();
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(
            got[0].title.contains("37 event record(s) missing")
                && got[0].title.contains("103 to 139"),
            "{}",
            got[0].title
        );
        assert!(w.take().is_empty());
    }

    #[test]
    fn a_cleared_log_and_a_changed_audit_policy_are_alerted_with_who() {
        let mut w = TamperWatch::new(TamperOptions::default());
        let now = NOW.parse().unwrap();
        let cleared = ev(
            RecordRef::EvtxRecord(1),
            "2026-12-04T10:00:00Z",
            &[
                ("Channel", "Security"),
                ("EventID", "1102"),
                ("Provider_Name", "Microsoft-Windows-Eventlog"),
                ("SubjectUserName", "attacker"),
            ],
        );
        w.observe("security", &cleared, now);
        let policy = ev(
            RecordRef::EvtxRecord(2),
            "2026-12-04T10:00:01Z",
            &[("Channel", "Security"), ("EventID", "4719")],
        );
        w.observe("security", &policy, now);
        let benign = ev(
            RecordRef::EvtxRecord(3),
            "2026-12-04T10:00:02Z",
            &[("Channel", "Security"), ("EventID", "4624")],
        );
        w.observe("security", &benign, now);
        let got = w.take();
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].title.contains("the Security log was cleared"));
        assert!(got[0].evidence.iter().any(|e| e.value == "attacker"));
        assert!(got[1].title.contains("audit policy"));
    }

    #[test]
    fn syslog_sequence_gaps_per_sender_are_named() {
        let mut w = TamperWatch::new(TamperOptions::default());
        let now = NOW.parse().unwrap();
        for (host, seq) in [
            ("mx1", "1"),
            ("mx1", "2"),
            ("mx2", "7"),
            ("mx1", "6"),
            ("mx2", "8"),
            ("mx1", "1"),
        ] {
            let mut e = ev(
                RecordRef::Offset(0),
                "2026-12-04T10:00:00Z",
                &[("facility", "2"), ("sd.meta.sequenceId", seq)],
            );
            e.host = Some(host.into());
            w.observe("forwarded", &e, now);
        }
        let got = w.take();
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(
            got[0].title.contains("3 syslog message(s) from mx1")
                && got[0].title.contains("3 to 5"),
            "{}",
            got[0].title
        );
    }

    #[test]
    fn time_going_backwards_within_a_file_or_ahead_of_the_clock_is_told_once() {
        let mut w = TamperWatch::new(TamperOptions::default());
        let now = NOW.parse().unwrap();
        for (i, t) in [
            "2026-12-04T10:00:00Z",
            "2026-12-04T10:05:00Z",
            "2026-12-04T10:04:00Z", // a minute back: within the tolerance
            "2026-12-04T09:00:00Z", // an hour back
            "2026-12-04T08:00:00Z", // again: told once
            "2026-12-05T12:00:00Z", // a day ahead of the clock
        ]
        .iter()
        .enumerate()
        {
            w.observe("mail", &ev(RecordRef::Line(i as u64 + 1), t, &[]), now);
        }
        let got = w.take();
        let titles: Vec<&str> = got.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(got.len(), 2, "{titles:#?}");
        assert!(titles[0].contains("go backwards"));
        assert!(titles[1].contains("go ahead"));
    }
}
