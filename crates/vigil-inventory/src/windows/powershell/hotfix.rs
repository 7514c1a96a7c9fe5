//! `Get-HotFix | ConvertTo-Json`: the installed updates (`Win32_QuickFixEngineering`). Each record has
//! `HotFixID` (`KB5001779`), `Description` (`Security Update`), `InstalledOn` and `CSName` (the
//! computer), among the WMI object's other properties (`__SERVER`, `Properties`, `Qualifiers`, … which
//! the default depth cuts to type names and which are not needed). `InstalledOn` is a `DateTime`
//! that Windows PowerShell 5.1 writes as `{"value": "\/Date(ms)\/", "DateTime": "Tuesday, April 13,
//! 2021 12:00:00 AM"}` (local midnight, see [`crate::windows::dates`]), PowerShell 7 as an ISO
//! date-time; it is empty for some updates, which are still listed. Entries whose `HotFixID` is not an
//! update identifier (`File 1`, which WMI lists for some component updates) are reported, not read.

use super::{Output, Record, TRUNCATED, is_type_name};
use crate::Sink;
use crate::error::InventoryError;
use crate::windows::dates::parse_date_with_text;
use crate::windows::facts::{Fact, FactKind, Origin};
use jiff::civil::Date;
use serde_json::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let out = Output::parse(text, sink)?;
    let records = out.records(sink)?;
    if records.is_empty() {
        sink.not_assessed(Some(1), "Get-HotFix output lists no installed update");
    }
    let file = sink.file().to_string();
    let mut hosts: Vec<String> = Vec::new();
    for rec in &records {
        let Some(update) = update_fact(rec, Origin::GetHotFix, sink) else {
            continue;
        };
        let host = rec
            .text("CSName")
            .or_else(|| rec.text("PSComputerName"))
            .or_else(|| rec.text("__SERVER"));
        if let Some(h) = &host
            && !hosts.iter().any(|x| x.eq_ignore_ascii_case(h))
        {
            hosts.push(h.clone());
            let key = if rec.get("CSName").is_some() {
                "CSName"
            } else {
                "PSComputerName"
            };
            sink.fact(Fact::new(
                FactKind::ComputerName,
                h.as_str(),
                &file,
                rec.line(key),
                Origin::GetHotFix,
            ));
        }
        sink.fact(update.on_host(host));
    }
    Ok(())
}

/// One installed update (a Get-HotFix record, a Get-ComputerInfo `OsHotFixes` entry) as a fact;
/// `None`, with a note, when it names no update.
pub(crate) fn update_fact(rec: &Record<'_>, origin: Origin, sink: &mut Sink<'_>) -> Option<Fact> {
    let Some(id) = rec.text("HotFixID") else {
        sink.warn(rec.line_usize("HotFixID"), "an update without HotFixID");
        return None;
    };
    let line = rec.line("HotFixID");
    if !is_update_id(&id) {
        sink.not_assessed(
            line.map(|l| l as usize),
            format!("`{id}` is not an update identifier (KB…): not read"),
        );
        return None;
    }
    let date = installed_on(rec, &id, sink);
    Some(
        Fact::new(
            FactKind::HotFix,
            id.to_ascii_uppercase(),
            sink.file(),
            line,
            origin,
        )
        .with_detail(rec.text("Description"))
        .with_date(date),
    )
}

/// `KB5001779`, or an older `Q123456` identifier.
pub(crate) fn is_update_id(id: &str) -> bool {
    let t = id.trim();
    let digits = match t.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("kb") => t.get(2..),
        _ => t.strip_prefix(['Q', 'q']),
    };
    digits.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The `InstalledOn` day of a record: `null` or absent is unknown, anything unreadable a note.
fn installed_on(rec: &Record<'_>, id: &str, sink: &mut Sink<'_>) -> Option<Date> {
    let line = rec.line_usize("InstalledOn");
    let (raw, display) = match rec.get("InstalledOn")? {
        Value::Null => return None,
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) if is_type_name(s.trim()) => {
            sink.not_assessed(
                line,
                format!("InstalledOn of {id} is only the type name `{s}`: {TRUNCATED}"),
            );
            return None;
        }
        Value::String(s) => (s.clone(), None),
        Value::Object(o) => {
            let value = o
                .get("value")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_default();
            (value, o.get("DateTime").and_then(Value::as_str))
        }
        other => (other.to_string(), None),
    };
    let date = parse_date_with_text(&raw, display);
    if date.is_none() {
        sink.not_assessed(line, format!("InstalledOn `{raw}` of {id} is not a date"));
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_ids() {
        assert!(is_update_id("KB5001779"));
        assert!(is_update_id("kb5001779"));
        assert!(is_update_id("Q147222"));
        assert!(!is_update_id("File 1"));
        assert!(!is_update_id("KB"));
        assert!(!is_update_id(""));
    }
}
