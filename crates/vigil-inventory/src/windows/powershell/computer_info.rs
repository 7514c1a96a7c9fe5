//! `Get-ComputerInfo | ConvertTo-Json`: one object of about 190 properties (`Windows…` from the
//! registry, `Bios…`, `Cs…` from Win32_ComputerSystem, `Os…` from Win32_OperatingSystem).
//!
//! Read: `CsName` (the computer), `OsName` (`Microsoft Windows Server 2016 Datacenter`, else
//! `WindowsProductName`), `OsVersion` (`10.0.14393`), `WindowsUBR` (PowerShell 7 only: Windows
//! PowerShell 5.1's Get-ComputerInfo has no update revision, so the Windows build needs the
//! CurrentVersion registry output beside it), `OsLocalDateTime` (when it was collected) and `OsHotFixes`
//! (the installed updates: `HotFixID`, `Description`, `InstalledOn` as `M/d/yyyy` text). Arrays do not
//! count towards `ConvertTo-Json`'s depth, so `OsHotFixes` keeps its objects at the default depth; an
//! entry cut to a type name is reported.

use super::hotfix::update_fact;
use super::{Output, Record, TRUNCATED, is_type_name};
use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::Seg;
use crate::windows::dates::parse_timestamp;
use crate::windows::facts::{Fact, FactKind, Origin};
use serde_json::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let out = Output::parse(text, sink)?;
    let records = out.records(sink)?;
    if records.is_empty() {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "Get-ComputerInfo output holds no object",
        ));
    }
    for rec in &records {
        one(rec, sink);
    }
    Ok(())
}

fn one(rec: &Record<'_>, sink: &mut Sink<'_>) {
    let file = sink.file().to_string();
    let fact = |kind, value: String, key: &str| {
        Fact::new(kind, value, &file, rec.line(key), Origin::GetComputerInfo)
    };
    let mut facts = Vec::new();
    if let Some(v) = rec.text("CsName") {
        facts.push(fact(FactKind::ComputerName, v, "CsName"));
    }
    if let Some(t) = rec
        .text("OsLocalDateTime")
        .and_then(|v| parse_timestamp(&v))
    {
        facts.push(fact(
            FactKind::CollectedAt,
            t.to_string(),
            "OsLocalDateTime",
        ));
    }
    let caption = ["OsName", "WindowsProductName"]
        .into_iter()
        .find_map(|k| rec.text(k).map(|v| (k, v)));
    if let Some((key, v)) = caption {
        facts.push(fact(FactKind::OsCaption, v, key));
    }
    if let Some(v) = rec.text("OsVersion") {
        facts.push(fact(FactKind::OsVersion, v, "OsVersion"));
    }
    if let Some(v) = rec.number("WindowsUBR") {
        facts.push(fact(FactKind::OsRevision, v.to_string(), "WindowsUBR"));
    }
    for f in facts {
        sink.fact(f);
    }
    hotfixes(rec, sink);
}

fn hotfixes(rec: &Record<'_>, sink: &mut Sink<'_>) {
    let Some(list) = rec.get("OsHotFixes") else {
        return;
    };
    let items: Vec<&Value> = match list {
        Value::Array(a) => a.iter().collect(),
        Value::Null => return,
        // One update is written as a bare object.
        other => vec![other],
    };
    let mut truncated = 0usize;
    for (i, item) in items.into_iter().enumerate() {
        let obj = match item {
            Value::Object(o) => o,
            Value::String(s) if is_type_name(s.trim()) => {
                truncated += 1;
                continue;
            }
            _ => {
                sink.warn(
                    rec.line_usize("OsHotFixes"),
                    format!("OsHotFixes entry {} is not an update", i + 1),
                );
                continue;
            }
        };
        let mut path = rec.path.clone();
        path.push(Seg::Key(
            rec.key("OsHotFixes").unwrap_or("OsHotFixes").to_string(),
        ));
        if matches!(list, Value::Array(_)) {
            path.push(Seg::Index(i));
        }
        let entry = Record {
            obj,
            path,
            lines: rec.lines,
        };
        if let Some(update) = update_fact(&entry, Origin::GetComputerInfo, sink) {
            sink.fact(update);
        }
    }
    if truncated > 0 {
        sink.not_assessed(
            rec.line_usize("OsHotFixes"),
            format!("{truncated} OsHotFixes entries are only type names: {TRUNCATED}"),
        );
    }
}
