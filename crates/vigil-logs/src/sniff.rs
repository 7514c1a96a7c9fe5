//! Format sniffing: which reader fits a file, from its first records and, where those are not
//! decisive, its name. This is what lets a directory of mixed logs be read without telling vigil
//! what each file is.
//!
//! The sniffer looks at whole records: the first lines of a text log, the first complete JSON
//! objects of a JSON log (a pretty-printed object or an array spans many lines, and a Windows
//! event's `EventID` may follow a long `Message`). The caller reads a head of the file until it
//! holds enough records ([`head_is_enough`]) or a bound is reached. When the choice rests on weak
//! evidence — the file name alone, a single record, a first record cut by the bound — the result
//! carries a note for the user.

use crate::Format;
use crate::json_stream::leading_objects;
use serde_json::Value;

/// EVTX file header magic.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// Records (lines or JSON objects) the sniffer wants to see before deciding.
const SAMPLE: usize = 8;

/// Leading `#` directive lines looked at (IIS and Exchange logs have a handful).
const MAX_DIRECTIVES: usize = 32;

/// Whether a line looks like a record of one format.
type LineTest = fn(&str) -> bool;

/// What the sniffer decided, and on what evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub format: Format,
    /// The evidence, for the user: "EVTX file header", "8 of 8 first lines are syslog", …
    pub evidence: String,
    /// Set when the evidence is weak: what the user should know about the guess.
    pub weak: Option<String>,
}

impl Sniffed {
    fn strong(format: Format, evidence: impl Into<String>) -> Self {
        Sniffed {
            format,
            evidence: evidence.into(),
            weak: None,
        }
    }
}

/// The format of a file named `name` (without a `.gz` suffix) whose decompressed content starts
/// with `head`, taking `head` as the whole file. The error says why nothing fitted.
pub fn sniff(name: &str, head: &[u8]) -> Result<Format, String> {
    sniff_head(name, head, true).map(|s| s.format)
}

/// The format of a file named `name` (without a `.gz` suffix) whose decompressed content starts
/// with `head`; `complete` says whether `head` is the whole file (otherwise its last record may be
/// cut). The error says why nothing fitted.
pub fn sniff_head(name: &str, head: &[u8], complete: bool) -> Result<Sniffed, String> {
    if head.starts_with(EVTX_MAGIC) {
        return Ok(Sniffed::strong(Format::Evtx, "EVTX file header"));
    }
    let lower = name.to_ascii_lowercase();
    if head.is_empty() {
        return by_name(&lower)
            .map(|f| Sniffed::strong(f, "file name (the file is empty)"))
            .ok_or_else(|| "empty file".to_string());
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first_byte = body.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first_byte, Some(b'{' | b'[')) {
        return Ok(sniff_json(body, complete));
    }
    let text = String::from_utf8_lossy(body);
    let mut lines: Vec<&str> = text.split('\n').collect();
    // A line cut by the end of the head is not evidence.
    if !complete && lines.len() > 1 {
        lines.pop();
    }
    let lines: Vec<&str> = lines
        .into_iter()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let first = lines.first().copied().unwrap_or_default();

    // W3C-style directives: IIS W3C (space separated) or Exchange CSV (comma separated).
    let directives: Vec<&str> = lines
        .iter()
        .copied()
        .take_while(|l| l.starts_with('#'))
        .take(MAX_DIRECTIVES)
        .collect();
    if !directives.is_empty() {
        let software = directive(&directives, "#Software:").unwrap_or_default();
        let fields = directive(&directives, "#Fields:");
        if directive(&directives, "#Log-type:").is_some() {
            return Ok(Sniffed::strong(Format::ExchangeCsv, "#Log-type: directive"));
        }
        if software.contains("Microsoft Exchange") {
            return Ok(Sniffed::strong(
                Format::ExchangeCsv,
                "#Software: Microsoft Exchange directive",
            ));
        }
        if fields.is_some_and(|f| f.contains(',')) {
            return Ok(Sniffed::strong(
                Format::ExchangeCsv,
                "comma-separated #Fields: directive",
            ));
        }
        if software.contains("Internet Information Services") {
            return Ok(Sniffed::strong(
                Format::W3c,
                "#Software: Internet Information Services directive",
            ));
        }
        if fields.is_some() {
            return Ok(Sniffed::strong(Format::W3c, "#Fields: directive"));
        }
    }
    // Judge by the first few record lines.
    let sample: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with('#'))
        .take(SAMPLE)
        .collect();
    let candidates: [(Format, &str, LineTest); 2] = [
        (Format::Access, "access log", looks_access),
        (Format::Syslog, "syslog", crate::syslog::looks_like_syslog),
    ];
    let need = sample.len().div_ceil(2).max(1);
    for (format, what, test) in candidates {
        let votes = sample.iter().filter(|l| test(l)).count();
        if votes < need || votes == 0 {
            continue;
        }
        let evidence = format!("{votes} of {} first lines are {what}", sample.len());
        let weak = if votes == 1 && !complete {
            Some(format!(
                "format {format} chosen on a single line: the lines after it are beyond the \
                 sniffed head; check the events read"
            ))
        } else if votes < sample.len() {
            Some(format!(
                "format {format} chosen although {} of the first {} lines are not {what}",
                sample.len() - votes,
                sample.len()
            ))
        } else {
            None
        };
        return Ok(Sniffed {
            format,
            evidence,
            weak,
        });
    }
    if let Some(f) = by_name(&lower) {
        return Ok(Sniffed {
            format: f,
            evidence: "file name".to_string(),
            weak: Some(format!(
                "format {f} assumed from the file name alone: the first lines match no known format"
            )),
        });
    }
    if head.iter().take(4096).filter(|b| **b == 0).count() > 16 {
        return Err("binary content".to_string());
    }
    Err(format!(
        "first line {:?} matches no known format",
        crate::lines::excerpt(first)
    ))
}

/// A JSON log: Windows events or generic JSON, decided on the first whole records.
fn sniff_json(body: &[u8], complete: bool) -> Sniffed {
    let (records, open) = leading_objects(body, SAMPLE);
    if records.is_empty() {
        // No whole record: judge on what there is, and say so.
        let windows = markers_in_text(&String::from_utf8_lossy(body));
        let format = if windows {
            Format::WinJson
        } else {
            Format::Jsonl
        };
        let why = if open && !complete {
            format!(
                "the first JSON record is larger than the {} bytes sniffed",
                body.len()
            )
        } else if open {
            "the first JSON record is not closed before the end of the file".to_string()
        } else {
            "no JSON object found at the start of the file".to_string()
        };
        return Sniffed {
            format,
            evidence: format!("the start of a JSON record ({why})"),
            weak: Some(format!("format {format} chosen on part of a record: {why}")),
        };
    }
    let n = records.len();
    let mut keys_seen: Vec<&'static str> = Vec::new();
    let votes = records
        .iter()
        .filter(|r| match serde_json::from_slice::<Value>(r) {
            Ok(v) => windows_keys(&v, &mut keys_seen),
            // Invalid JSON is reported when read; judge it by its text meanwhile.
            Err(_) => markers_in_text(&String::from_utf8_lossy(r)),
        })
        .count();
    let windows = votes >= n.div_ceil(2);
    let (format, evidence) = if windows {
        let keys = if keys_seen.is_empty() {
            String::new()
        } else {
            format!(" (keys {})", keys_seen.join(", "))
        };
        (
            Format::WinJson,
            format!("{votes} of {n} first JSON records are Windows events{keys}"),
        )
    } else {
        (
            Format::Jsonl,
            format!(
                "{} of {n} first JSON records are not Windows events",
                n - votes
            ),
        )
    };
    // One record decided it, and the bound kept the next from being seen.
    let weak = (n == 1 && !complete).then(|| {
        format!(
            "format {format} chosen on the first JSON record alone (records are larger than the \
             sniffed head)"
        )
    });
    Sniffed {
        format,
        evidence,
        weak,
    }
}

/// The keys that mark a Windows event, wherever they sit in the first levels of a record.
const WINDOWS_KEYS: [&str; 7] = [
    "winlog",
    "EventID",
    "event_id",
    "ProviderName",
    "LogName",
    "EventRecordID",
    "Channel",
];

/// Whether a parsed record is a Windows event: an `Event` with a `System` part (EVTX rendered to
/// JSON), or two of the marker keys within its first three levels. The keys found are added to
/// `seen`.
fn windows_keys(v: &Value, seen: &mut Vec<&'static str>) -> bool {
    if v.get("Event").and_then(|e| e.get("System")).is_some() {
        if !seen.contains(&"Event.System") {
            seen.push("Event.System");
        }
        return true;
    }
    let mut found: Vec<&'static str> = Vec::new();
    collect_keys(v, 3, &mut found);
    for k in &found {
        if !seen.contains(k) {
            seen.push(k);
        }
    }
    found.len() >= 2
}

fn collect_keys(v: &Value, depth: usize, found: &mut Vec<&'static str>) {
    let Value::Object(map) = v else { return };
    for (k, child) in map {
        if let Some(m) = WINDOWS_KEYS.iter().find(|m| **m == k.as_str())
            && !found.contains(m)
        {
            found.push(m);
        }
        if depth > 1 {
            collect_keys(child, depth - 1, found);
        }
    }
}

/// The marker test on raw text, for a record that is cut or invalid.
fn markers_in_text(text: &str) -> bool {
    let quoted = |k: &str| text.contains(&format!("\"{k}\""));
    WINDOWS_KEYS.iter().filter(|k| quoted(k)).count() >= 2 || (quoted("Event") && quoted("System"))
}

/// Whether `head` holds enough to decide: [`SAMPLE`] whole records (JSON objects, or record lines
/// after any directives), or the whole file (`complete`).
pub(crate) fn head_is_enough(head: &[u8], complete: bool) -> bool {
    if complete || head.starts_with(EVTX_MAGIC) {
        return true;
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    ) {
        return leading_objects(body, SAMPLE).0.len() >= SAMPLE;
    }
    let lines = memchr::memchr_iter(b'\n', body).count();
    lines >= SAMPLE + MAX_DIRECTIVES
}

fn directive<'a>(lines: &[&'a str], name: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
}

/// File-name conventions of the logs we read.
fn by_name(lower: &str) -> Option<Format> {
    let base = lower.rsplit(['/', '\\']).next().unwrap_or(lower);
    if base.ends_with(".evtx") {
        Some(Format::Evtx)
    } else if base.starts_with("httpproxy_") || base.starts_with("msgtrk") {
        Some(Format::ExchangeCsv)
    } else if (base.starts_with("u_ex") || base.starts_with("ex")) && base.ends_with(".log") {
        Some(Format::W3c)
    } else if base.contains("access.log") || base.contains("access_log") {
        Some(Format::Access)
    } else if [
        "syslog", "messages", "maillog", "mail.log", "auth.log", "secure",
    ]
    .iter()
    .any(|n| base.starts_with(n))
    {
        Some(Format::Syslog)
    } else if base.ends_with(".jsonl") || base.ends_with(".ndjson") || base.ends_with(".json") {
        Some(Format::Jsonl)
    } else {
        None
    }
}

/// `host ident user [time] "request" …`
fn looks_access(line: &str) -> bool {
    let mut parts = line.splitn(4, ' ');
    let (Some(_), Some(_), Some(_), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    rest.starts_with('[') && rest.contains("] \"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_keys_after_a_long_message_are_found() {
        let line = format!(
            "{{\"Message\":\"{}\",\"EventID\":4625,\"Channel\":\"Security\"}}\n",
            "x".repeat(10_000)
        );
        let s = sniff_head("export.json", line.as_bytes(), true).unwrap();
        assert_eq!(s.format, Format::WinJson);
        assert_eq!(s.weak, None);
    }

    #[test]
    fn a_cut_first_record_is_weak_evidence() {
        let line = format!(
            "{{\"EventID\":4625,\"Channel\":\"Security\",\"Message\":\"{}",
            "x".repeat(100)
        );
        let s = sniff_head("export.json", line.as_bytes(), false).unwrap();
        assert_eq!(s.format, Format::WinJson);
        assert!(s.weak.unwrap().contains("larger than"));
    }

    #[test]
    fn a_marker_inside_a_string_value_is_not_a_key() {
        let line = "{\"msg\":\"\\\"EventID\\\" and \\\"Channel\\\"\",\"level\":\"info\"}\n";
        assert_eq!(sniff("app.json", line.as_bytes()), Ok(Format::Jsonl));
    }

    #[test]
    fn name_alone_is_weak_evidence() {
        let s = sniff_head("mail.log", b"garbage that is no syslog\n", true).unwrap();
        assert_eq!(s.format, Format::Syslog);
        assert!(s.weak.unwrap().contains("file name"));
    }

    #[test]
    fn mixed_lines_are_noted() {
        let log = "Aug 12 23:50:41 mx1 sshd[1]: a\nAug 12 23:50:42 mx1 sshd[1]: b\nnot syslog\n";
        let s = sniff_head("x", log.as_bytes(), true).unwrap();
        assert_eq!(s.format, Format::Syslog);
        assert!(s.weak.unwrap().contains("1 of the first 3 lines"));
    }

    #[test]
    fn enough_records() {
        let line = b"{\"a\":1}\n".repeat(SAMPLE);
        assert!(head_is_enough(&line, false));
        assert!(!head_is_enough(&line[..line.len() - 2], false));
        assert!(head_is_enough(b"{", true));
        assert!(!head_is_enough(
            &b"Aug 12 23:50:41 mx1 sshd[1]: a\n".repeat(4),
            false
        ));
    }
}
