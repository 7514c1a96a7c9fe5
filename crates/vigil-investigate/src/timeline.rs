//! One ordered view of what happened and what was known: detections with their records, raw events,
//! inventory observations (vulnerable version seen, fix applied), advisory dates (fix released, added to
//! CISA KEV) and patch deadlines. Exported as CSV and JSON lines with Timesketch's columns (`datetime`,
//! `timestamp_desc`, `message`) so the same file can be imported there.
//!
//! Calendar dates (releases, deadlines) are placed at midnight UTC of their day. Records without a
//! timestamp cannot be placed and are left out; [`crate::incident::Grouping::untimed`] lists such detections.
//!
//! A detection is shown by the fields that matter, not by its raw record: the fields its rule matched and
//! the identifying fields of the record behind it ([`crate::context`]), each value cut short, with the record
//! cited (file and line or EVTX record id). Text from logs may be hostile: the CSV and JSON-lines exports
//! drop control characters (an `ESC[2J` in a log field must not reach an analyst's terminal or
//! spreadsheet), and CSV cells that a spreadsheet would run as a formula are defused.

use crate::asset::same_asset;
use crate::context::{record_context, shown_fields};
use crate::error::InvestigateError;
use crate::evidence::{Evidence, cite_source, finding_key};
use crate::incident::{Incident, Wave};
use crate::tactics::primary_tactic;
use crate::time::start_of_day;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use vigil_model::text::strip_controls;
use vigil_model::{Detection, Event, Finding, KevEntry};

/// Longest message text kept in a timeline entry.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest field value shown in a detection's or event's message.
pub const MAX_FIELD_CHARS: usize = 160;
/// Most fields shown per detection or event.
pub const MAX_FIELDS_SHOWN: usize = 8;
/// Matched values that hold a whole raw record (keyword rules): shown only when nothing better is known.
const RAW_FIELDS: [&str; 2] = ["keywords", "record_text"];

/// What an inventory observation shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationKind {
    /// The package was seen at a vulnerable version.
    VulnerableSeen,
    /// The package was seen at a version that fixes the finding(s): the fix had been applied by then.
    FixApplied,
}

/// One inventory snapshot fact, as the store records scans over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryObservation {
    pub asset: String,
    pub package: String,
    pub version: String,
    pub observed_at: Timestamp,
    pub kind: ObservationKind,
    /// Advisory ids, CVEs or KBs the observation concerns; empty means every finding on the package.
    #[serde(default)]
    pub advisories: Vec<String>,
    /// The inventory file it was read from.
    #[serde(default)]
    pub file: String,
}

impl InventoryObservation {
    /// Whether this observation is about the package of `f` on its asset (and, when it names advisories,
    /// about one of the finding's advisories, aliases or KB).
    pub fn concerns(&self, f: &Finding) -> bool {
        if !same_asset(&self.asset, &f.asset)
            || !self
                .package
                .trim()
                .eq_ignore_ascii_case(f.package.name.trim())
        {
            return false;
        }
        if self.advisories.is_empty() {
            return true;
        }
        let kb =
            f.kb.as_deref()
                .map(|k| k.trim_start_matches("KB").to_string());
        self.advisories.iter().any(|a| {
            let a = a.trim();
            f.advisories
                .iter()
                .chain(f.aliases.iter())
                .any(|x| x.eq_ignore_ascii_case(a))
                || kb
                    .as_deref()
                    .is_some_and(|k| a.trim_start_matches("KB") == k)
        })
    }

    pub fn evidence(&self) -> Evidence {
        Evidence::Inventory {
            asset: self.asset.clone(),
            package: self.package.clone(),
            version: self.version.clone(),
            observed_at: self.observed_at,
            file: self.file.clone(),
        }
    }
}

/// Where a timeline entry comes from (the `source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntrySource {
    Advisory,
    Deadline,
    Inventory,
    Event,
    Detection,
    /// A fact from the incident record (awareness, notification deadline).
    Record,
}

impl EntrySource {
    pub fn as_str(self) -> &'static str {
        match self {
            EntrySource::Advisory => "advisory",
            EntrySource::Deadline => "deadline",
            EntrySource::Inventory => "inventory",
            EntrySource::Event => "event",
            EntrySource::Detection => "detection",
            EntrySource::Record => "incident record",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub datetime: Timestamp,
    /// What the time means (Timesketch's `timestamp_desc`): `Detection time`, `Fix released`, …
    pub timestamp_desc: String,
    pub message: String,
    pub source: EntrySource,
    /// Citations: log file and record, finding key, advisory ids.
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
}

/// Everything a timeline can be built from. Empty slices are fine.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimelineInput<'a> {
    pub detections: &'a [Detection],
    pub events: &'a [Event],
    pub observations: &'a [InventoryObservation],
    pub findings: &'a [Finding],
    /// KEV entries, for the day a CVE of a finding was added to the catalog.
    pub kev: &'a [KevEntry],
}

/// Builds the ordered timeline of all inputs.
pub fn build_timeline(input: &TimelineInput<'_>) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    for d in input.detections {
        if let Some(e) = detection_entry(d) {
            out.push(e);
        }
    }
    let behind: HashSet<_> = input
        .detections
        .iter()
        .flat_map(|d| d.sources.iter())
        .collect();
    for ev in input.events {
        let Some(ts) = ev.timestamp else { continue };
        let mut message = event_text(ev);
        if behind.contains(&ev.source) {
            message = format!("[behind a detection] {message}");
        }
        out.push(TimelineEntry {
            datetime: ts,
            timestamp_desc: "Event time".into(),
            message: clip(message),
            source: EntrySource::Event,
            evidence: vec![cite_source(&ev.source)],
            asset: ev.host.clone(),
        });
    }
    for o in input.observations {
        let (desc, what) = match o.kind {
            ObservationKind::VulnerableSeen => {
                ("Inventory: vulnerable version seen", "vulnerable version")
            }
            ObservationKind::FixApplied => ("Inventory: fix applied", "fixed version"),
        };
        let about = if o.advisories.is_empty() {
            String::new()
        } else {
            format!(" ({})", o.advisories.join(", "))
        };
        out.push(TimelineEntry {
            datetime: o.observed_at,
            timestamp_desc: desc.into(),
            message: clip(format!(
                "{}: {} {} — {what}{about}",
                o.asset, o.package, o.version
            )),
            source: EntrySource::Inventory,
            evidence: vec![o.evidence().cite()],
            asset: Some(o.asset.clone()),
        });
    }
    for f in input.findings {
        finding_entries(f, input.kev, &mut out);
    }
    sort_and_dedup(&mut out);
    out
}

/// The timeline of one incident: its detections, the events, observations and findings of its asset.
pub fn incident_timeline(incident: &Incident, input: &TimelineInput<'_>) -> Vec<TimelineEntry> {
    // Events that name no host are kept: the caller passed the logs of this investigation, and formats
    // such as IIS W3C often carry no host field.
    let on = |name: Option<&str>| name.is_none_or(|n| incident.is_on(n));
    let events: Vec<Event> = input
        .events
        .iter()
        .filter(|e| on(e.host.as_deref()))
        .cloned()
        .collect();
    let obs: Vec<InventoryObservation> = input
        .observations
        .iter()
        .filter(|o| incident.is_on(&o.asset))
        .cloned()
        .collect();
    let findings: Vec<Finding> = input
        .findings
        .iter()
        .filter(|f| incident.is_on(&f.asset))
        .cloned()
        .collect();
    let mut t = build_timeline(&TimelineInput {
        detections: &incident.detections,
        events: &events,
        observations: &obs,
        findings: &findings,
        kev: input.kev,
    });
    // Informational detections that share an entity with the incident: context, marked as such.
    for d in &incident.context {
        if let Some(mut e) = detection_entry(d) {
            e.timestamp_desc = "Detection time (context, informational)".into();
            t.push(e);
        }
    }
    for w in incident.waves.iter().filter(|_| incident.waves.len() > 1) {
        t.push(wave_entry(incident, w));
    }
    sort_and_dedup(&mut t);
    t
}

/// "Wave 2 of 2 starts: …, what links it to the earlier waves".
fn wave_entry(incident: &Incident, w: &Wave) -> TimelineEntry {
    let mut message = format!(
        "Wave {} of {} starts: {} detection(s) until {}, highest {}",
        w.number,
        incident.waves.len(),
        w.detections,
        crate::time::format_ts(w.end),
        w.highest_level
    );
    if let Some(p) = w.precursors_text() {
        message.push_str(&format!(" ({p})"));
    }
    if let Some(l) = w.link_text() {
        message.push_str(&format!("; {l}"));
    }
    TimelineEntry {
        datetime: w.start,
        timestamp_desc: "Wave start".into(),
        message: clip(message),
        source: EntrySource::Record,
        evidence: vec![format!("incident {}", incident.id)],
        asset: incident.asset.clone(),
    }
}

/// `field=value` with the value cut to [`MAX_FIELD_CHARS`].
fn pair(k: &str, v: &str) -> String {
    format!("{k}={}", cut(v))
}

fn cut(v: &str) -> String {
    let v = v.trim();
    match v.char_indices().nth(MAX_FIELD_CHARS) {
        Some((i, _)) => format!("{}…", v.get(..i).unwrap_or("")),
        None => v.to_string(),
    }
}

/// The evidence text of a detection: the fields its rule matched, then the identifying fields of its
/// record; a raw record (keyword rules) only when neither is known.
pub fn detection_fields(d: &Detection) -> String {
    let shown = shown_fields(d);
    let has_context = shown.iter().any(|f| f.2);
    let matched: Vec<String> = shown
        .iter()
        .filter(|(k, _, ctx)| !(*ctx || has_context && RAW_FIELDS.contains(k)))
        .take(MAX_FIELDS_SHOWN)
        .map(|(k, v, _)| pair(k, v))
        .collect();
    let context: Vec<String> = shown
        .iter()
        .filter(|(_, _, ctx)| *ctx)
        .take(MAX_FIELDS_SHOWN)
        .map(|(k, v, _)| pair(k, v))
        .collect();
    let mut parts = Vec::new();
    if !matched.is_empty() {
        parts.push(format!("matched {}", matched.join("; ")));
    }
    if !context.is_empty() {
        parts.push(format!("record {}", context.join("; ")));
    }
    parts.join(" — ")
}

fn detection_entry(d: &Detection) -> Option<TimelineEntry> {
    let ts = d.timestamp?;
    let tactic = primary_tactic(d).map_or(String::new(), |t| format!(" [{}]", t.label()));
    let host = d
        .host
        .as_deref()
        .map_or(String::new(), |h| format!(" on {h}"));
    let mut message = format!("{} ({}){tactic}{host}", d.rule_title, d.level);
    let fields = detection_fields(d);
    if !fields.is_empty() {
        message.push_str(&format!(": {fields}"));
    }
    Some(TimelineEntry {
        datetime: ts,
        timestamp_desc: "Detection time".into(),
        message: clip(message),
        source: EntrySource::Detection,
        evidence: vec![Evidence::detection(d).cite()],
        asset: d.host.clone(),
    })
}

/// An event by its identifying fields; its raw text (cut) only when it has none.
fn event_text(ev: &Event) -> String {
    let ctx = record_context(ev);
    if !ctx.is_empty() {
        return ctx
            .iter()
            .take(MAX_FIELDS_SHOWN)
            .map(|(k, v)| pair(k, v))
            .collect::<Vec<_>>()
            .join("; ");
    }
    if let Some(raw) = ev.raw.as_deref().filter(|r| !r.trim().is_empty()) {
        return cut(raw);
    }
    let parts: Vec<String> = ev
        .fields
        .iter()
        .take(MAX_FIELDS_SHOWN)
        .filter_map(|(k, v)| v.as_text().map(|t| pair(k, &t)))
        .collect();
    parts.join("; ")
}

fn fix_name(f: &Finding) -> String {
    match &f.kb {
        Some(kb) => {
            let kb = format!("KB{}", kb.trim_start_matches("KB"));
            let others: Vec<&str> = f
                .advisories
                .iter()
                .map(String::as_str)
                .filter(|a| !a.eq_ignore_ascii_case(&kb))
                .collect();
            if others.is_empty() {
                kb
            } else {
                format!("{kb} ({})", others.join(", "))
            }
        }
        None => f.advisories.join(", "),
    }
}

fn finding_entries(f: &Finding, kev: &[KevEntry], out: &mut Vec<TimelineEntry>) {
    let evidence = vec![Evidence::finding(f).cite()];
    let cves: Vec<&str> = f.cves().collect();
    let cve_text = if cves.is_empty() {
        String::new()
    } else {
        format!("; fixes {}", cves.join(", "))
    };
    let pkg = format!("{} {} {}", f.asset, f.package.name, f.package.version);
    let mut push = |date, desc: &str, source, message: String| {
        if let Some(ts) = start_of_day(date) {
            out.push(TimelineEntry {
                datetime: ts,
                timestamp_desc: desc.into(),
                message: clip(message),
                source,
                evidence: evidence.clone(),
                asset: Some(f.asset.clone()),
            });
        }
    };
    if let Some(d) = f.fix_released {
        push(
            d,
            "Fix released",
            EntrySource::Advisory,
            format!("Fix {} released{cve_text} — {pkg} not updated", fix_name(f)),
        );
    }
    if let Some(d) = f.due {
        push(
            d,
            "Patch deadline",
            EntrySource::Deadline,
            format!("Patch deadline for {} on {pkg}", fix_name(f)),
        );
    }
    if let Some(d) = f.kev_due {
        push(
            d,
            "KEV due date",
            EntrySource::Deadline,
            format!("CISA KEV due date for {} on {pkg}", fix_name(f)),
        );
    }
    for k in kev {
        if cves.iter().any(|c| c.eq_ignore_ascii_case(&k.cve)) {
            let due = k.due_date.map_or(String::new(), |d| format!(", due {d}"));
            if let Some(ts) = start_of_day(k.date_added) {
                out.push(TimelineEntry {
                    datetime: ts,
                    timestamp_desc: "Added to KEV".into(),
                    message: clip(format!(
                        "{} ({} {}) added to CISA KEV{due}",
                        k.cve, k.vendor, k.product
                    )),
                    source: EntrySource::Advisory,
                    evidence: vec![
                        format!("CISA KEV {}", k.cve),
                        format!("finding {}", finding_key(f)),
                    ],
                    asset: Some(f.asset.clone()),
                });
            }
        }
    }
}

fn sort_and_dedup(v: &mut Vec<TimelineEntry>) {
    v.sort_by(|a, b| {
        a.datetime
            .cmp(&b.datetime)
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    // Several findings (packages) can share one fix: keep one entry per time, kind and message, with the
    // evidence of all.
    let mut out: Vec<TimelineEntry> = Vec::with_capacity(v.len());
    for e in v.drain(..) {
        match out.last_mut() {
            Some(last)
                if last.datetime == e.datetime
                    && last.timestamp_desc == e.timestamp_desc
                    && last.message == e.message =>
            {
                for ev in e.evidence {
                    if !last.evidence.contains(&ev) {
                        last.evidence.push(ev);
                    }
                }
            }
            _ => out.push(e),
        }
    }
    *v = out;
}

fn clip(mut s: String) -> String {
    if s.chars().count() > MAX_MESSAGE_CHARS {
        s = s.chars().take(MAX_MESSAGE_CHARS).collect();
        s.push('…');
    }
    s
}

/// CSV (RFC 4180, `\r\n`) with the columns `datetime,timestamp_desc,message,source,evidence,asset`.
///
/// Text from logs is attacker-controlled: control characters are dropped (line breaks become spaces), and
/// a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so a spreadsheet opening the file
/// does not run it as a formula.
pub fn to_csv(entries: &[TimelineEntry]) -> String {
    let mut s = String::from("datetime,timestamp_desc,message,source,evidence,asset\r\n");
    for e in entries {
        let clean = |s: &str| defuse(&strip_controls(s));
        let cells = [
            e.datetime.to_string(),
            clean(&e.timestamp_desc),
            clean(&e.message),
            e.source.as_str().to_string(),
            clean(&e.evidence.join(" | ")),
            e.asset.as_deref().map(clean).unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        s.push_str(&row.join(","));
        s.push_str("\r\n");
    }
    s
}

fn defuse(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    datetime: String,
    /// Microseconds since the Unix epoch, as Timesketch stores it.
    timestamp: i64,
    timestamp_desc: std::borrow::Cow<'a, str>,
    message: std::borrow::Cow<'a, str>,
    source: &'a str,
    evidence: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset: Option<std::borrow::Cow<'a, str>>,
}

/// JSON lines, one entry per line, with the CSV's fields plus Timesketch's `timestamp` (µs). Control
/// characters are dropped from the text: JSON would escape them, but tools print the decoded value.
pub fn to_jsonl(entries: &[TimelineEntry]) -> Result<String, InvestigateError> {
    let mut s = String::new();
    for e in entries {
        let line = JsonLine {
            datetime: e.datetime.to_string(),
            timestamp: e.datetime.as_microsecond(),
            timestamp_desc: strip_controls(&e.timestamp_desc),
            message: strip_controls(&e.message),
            source: e.source.as_str(),
            evidence: strip_controls(&e.evidence.join(" | ")).into_owned(),
            asset: e.asset.as_deref().map(strip_controls),
        };
        let text = serde_json::to_string(&line).map_err(|source| InvestigateError::Serialise {
            what: "timeline entry",
            source,
        })?;
        s.push_str(&text);
        s.push('\n');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(msg: &str) -> TimelineEntry {
        TimelineEntry {
            datetime: "2021-08-13T03:02:11Z".parse().unwrap(),
            timestamp_desc: "Detection time".into(),
            message: msg.into(),
            source: EntrySource::Detection,
            evidence: vec!["u_ex210813.log line 5".into(), "x".into()],
            asset: Some("MAIL01".into()),
        }
    }

    #[test]
    fn csv_quotes_and_defuses() {
        let csv = to_csv(&[entry("a, \"b\"\nc"), entry("=HYPERLINK(\"x\")")]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "datetime,timestamp_desc,message,source,evidence,asset"
        );
        assert_eq!(
            lines[1],
            "2021-08-13T03:02:11Z,Detection time,\"a, \"\"b\"\" c\",detection,u_ex210813.log line 5 | x,MAIL01",
            "line breaks from logs become spaces"
        );
        assert!(
            lines[2].contains(",\"'=HYPERLINK(\"\"x\"\")\","),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn jsonl_has_timesketch_fields() {
        let j = to_jsonl(&[entry("m")]).unwrap();
        let v: serde_json::Value = serde_json::from_str(j.trim_end()).unwrap();
        assert_eq!(v["datetime"], "2021-08-13T03:02:11Z");
        assert_eq!(v["timestamp"], 1_628_823_731_000_000i64);
        assert_eq!(v["timestamp_desc"], "Detection time");
        assert_eq!(v["source"], "detection");
        assert_eq!(j.lines().count(), 1);
    }

    #[test]
    fn exports_drop_control_characters() {
        let hostile = entry("a\u{1b}]0;owned\u{7}\u{1b}[2Jb <script>");
        let csv = to_csv(std::slice::from_ref(&hostile));
        assert!(!csv.contains('\u{1b}') && !csv.contains('\u{7}'), "{csv:?}");
        assert!(csv.contains("a]0;owned[2Jb <script>"), "{csv}");
        let j = to_jsonl(&[hostile]).unwrap();
        assert!(!j.contains("\\u001b") && !j.contains("\\u0007"), "{j}");
    }

    #[test]
    fn detections_show_fields_not_raw_records() {
        let d = Detection {
            rule_id: "r".into(),
            rule_title: "Windows Webshell Strings".into(),
            level: vigil_model::Level::High,
            tags: vec![],
            timestamp: Some("2021-08-13T03:04:05Z".parse().unwrap()),
            first_seen: None,
            host: Some("MAIL01".into()),
            sources: vec![vigil_model::SourceRef {
                file: "u_ex210813.log".into(),
                record: vigil_model::RecordRef::Line(28),
                generation: None,
            }],
            matched: vec![
                ("cs-method".into(), "GET".into()),
                (
                    "keywords".into(),
                    format!("2021-08-13 03:04:05 {}", "x".repeat(500)),
                ),
                ("context:c-ip".into(), "203.0.113.77".into()),
                (
                    "context:cs-uri-stem".into(),
                    "/aspnet_client/kxnqtm.aspx".into(),
                ),
            ],
        };
        let e = detection_entry(&d).unwrap();
        assert_eq!(
            e.message,
            "Windows Webshell Strings (high) on MAIL01: matched cs-method=GET — record \
             c-ip=203.0.113.77; cs-uri-stem=/aspnet_client/kxnqtm.aspx"
        );
        assert_eq!(
            e.evidence,
            vec!["detection 'Windows Webshell Strings' (rule r): u_ex210813.log line 28"]
        );
        // Without record context the keyword match is shown, cut short.
        let mut bare = d.clone();
        bare.matched.retain(|(k, _)| !k.starts_with("context:"));
        let m = detection_entry(&bare).unwrap().message;
        assert!(m.contains("keywords=2021-08-13") && m.ends_with('…'), "{m}");
        assert!(m.chars().count() < 300, "{m}");
    }

    #[test]
    fn long_messages_are_clipped() {
        let s = clip("é".repeat(MAX_MESSAGE_CHARS + 10));
        assert_eq!(s.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
