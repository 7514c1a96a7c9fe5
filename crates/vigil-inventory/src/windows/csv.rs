//! The CSV form: two columns, `Property,Value`, one row per property path of the JSON form
//! (`OS.UBR`, `Exchange.ExSetupVersion`, `HotFixes[0].HotFixID`, …). `Export-Csv` quotes every field and,
//! in Windows PowerShell 5.1 without `-NoTypeInformation`, writes a `#TYPE …` line first; both are
//! accepted.

use super::fields::{self, Fields};
use crate::Sink;
use crate::error::InventoryError;

/// Whether a text starts like this CSV form.
pub fn looks_like(head: &str) -> bool {
    let first = head
        .lines()
        .find(|l| !l.starts_with("#TYPE") && !l.trim().is_empty())
        .unwrap_or_default();
    first
        .replace('"', "")
        .trim()
        .eq_ignore_ascii_case("Property,Value")
}

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    if !looks_like(text) {
        return Err(InventoryError::parse(
            sink.file(),
            Some(1),
            "expected the header `Property,Value`",
        ));
    }
    // csv counts a CRLF record terminator as no line break when reporting positions; Export-Csv writes
    // CRLF, so line numbers are only right on LF text.
    let text = text.replace("\r\n", "\n");
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Fields::new();
    let mut header_seen = false;
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| crate::lines::u32_line(p.line() as usize));
                return Err(InventoryError::parse(
                    sink.file(),
                    line,
                    format!("invalid CSV: {e}"),
                ));
            }
        };
        let line = rec
            .position()
            .map(|p| crate::lines::u32_line(p.line() as usize));
        let (Some(k), v) = (rec.get(0), rec.get(1)) else {
            continue;
        };
        if k.starts_with("#TYPE") {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let Some(v) = v else {
            sink.not_assessed(line.map(|l| l as usize), format!("row `{k}` has no Value"));
            continue;
        };
        out.insert(k.trim().to_ascii_lowercase(), (v.to_string(), line));
    }
    match out.get("vigilinventory").map(|(v, _)| v.trim()) {
        Some("1") => {}
        Some(v) => {
            return Err(InventoryError::parse(
                sink.file(),
                None,
                format!("VigilInventory format {v} is not supported (1 is)"),
            ));
        }
        None => {
            return Err(InventoryError::parse(
                sink.file(),
                None,
                "no `VigilInventory` row: not a vigil Windows inventory",
            ));
        }
    }
    fields::build(&out, sink);
    Ok(())
}
