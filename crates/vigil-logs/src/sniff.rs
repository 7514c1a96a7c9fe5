//! Format sniffing: which reader fits a file, from its first bytes and, where those are not
//! decisive, its name. This is what lets a directory of mixed logs be read without telling vigil
//! what each file is.

use crate::Format;

/// EVTX file header magic.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// The format of a file named `name` (without a `.gz` suffix) whose decompressed content starts
/// with `head`. The error says why nothing fitted.
pub fn sniff(name: &str, head: &[u8]) -> Result<Format, String> {
    if head.starts_with(EVTX_MAGIC) {
        return Ok(Format::Evtx);
    }
    let lower = name.to_ascii_lowercase();
    if head.is_empty() {
        return by_name(&lower).ok_or_else(|| "empty file".to_string());
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    let lines = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty());

    let first = lines.clone().next().unwrap_or_default();
    if first.starts_with('{') || first.starts_with('[') {
        return Ok(if looks_windows_json(text) {
            Format::WinJson
        } else {
            Format::Jsonl
        });
    }
    // W3C-style directives: IIS W3C (space separated) or Exchange CSV (comma separated).
    let directives: Vec<&str> = lines
        .clone()
        .take_while(|l| l.starts_with('#'))
        .take(32)
        .collect();
    if !directives.is_empty() {
        let software = directive(&directives, "#Software:").unwrap_or_default();
        let fields = directive(&directives, "#Fields:");
        if directive(&directives, "#Log-type:").is_some()
            || software.contains("Microsoft Exchange")
            || fields.is_some_and(|f| f.contains(','))
        {
            return Ok(Format::ExchangeCsv);
        }
        if software.contains("Internet Information Services") || fields.is_some() {
            return Ok(Format::W3c);
        }
    }
    // Judge by the first few record lines.
    let sample: Vec<&str> = lines.filter(|l| !l.starts_with('#')).take(8).collect();
    let votes = |f: fn(&str) -> bool| sample.iter().filter(|l| f(l)).count();
    let need = sample.len().div_ceil(2).max(1);
    if !sample.is_empty() {
        if votes(looks_access) >= need {
            return Ok(Format::Access);
        }
        if votes(crate::syslog::looks_like_syslog) >= need {
            return Ok(Format::Syslog);
        }
    }
    if let Some(f) = by_name(&lower) {
        return Ok(f);
    }
    if head.iter().take(4096).filter(|b| **b == 0).count() > 16 {
        return Err("binary content".to_string());
    }
    Err(format!(
        "first line {:?} matches no known format",
        crate::lines::excerpt(first)
    ))
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

/// Whether the start of a JSON log holds Windows events.
fn looks_windows_json(text: &str) -> bool {
    let markers = [
        "\"winlog\"",
        "\"EventID\"",
        "\"event_id\"",
        "\"ProviderName\"",
        "\"LogName\"",
        "\"EventRecordID\"",
        "\"Channel\"",
    ];
    let head = text.get(..text.len().min(4096)).unwrap_or(text);
    markers.iter().filter(|m| head.contains(*m)).count() >= 2
        || (head.contains("\"Event\"") && head.contains("\"System\""))
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
