//! The inventory as flat `Property` paths (`OS.UBR`, `HotFixes[0].HotFixID`), shared by the JSON and CSV
//! forms: both are reduced to this map, then read into packages the same way.

use super::{ExchangeInfo, HotFix, WindowsInventory, normalise_build};
use crate::Sink;
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Property path (lower-cased, since PowerShell property names are case-insensitive) → value and line.
pub type Fields = BTreeMap<String, (String, Option<u32>)>;

pub(crate) fn build(fields: &Fields, sink: &mut Sink<'_>) -> WindowsInventory {
    let get = |k: &str| {
        fields
            .get(&k.to_ascii_lowercase())
            .map(|(v, _)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let line = |k: &str| {
        fields
            .get(&k.to_ascii_lowercase())
            .and_then(|(_, l)| *l)
            .map(|l| l as usize)
    };
    let mut inv = WindowsInventory {
        computer_name: get("ComputerName").map(str::to_string),
        collected_at: get("CollectedAt").and_then(parse_timestamp),
        os_caption: get("OS.Caption").map(str::to_string),
        os_version: get("OS.Version").map(str::to_string),
        ..WindowsInventory::default()
    };
    if get("CollectedAt").is_some() && inv.collected_at.is_none() {
        sink.not_assessed(line("CollectedAt"), "CollectedAt is not a date and time");
    }

    // Windows build.
    match (get("OS.Version"), get("OS.UBR")) {
        (Some(v), Some(ubr)) => {
            let base: Vec<&str> = v.split('.').collect();
            let ubr_ok = ubr.parse::<u64>().ok();
            match (normalise_build(v), ubr_ok, base.len()) {
                (Some(b), Some(u), 3) => {
                    let build = format!("{b}.{u}");
                    let name = if inv
                        .os_caption
                        .as_deref()
                        .is_none_or(|c| c.contains("Server"))
                    {
                        "Windows Server"
                    } else {
                        "Windows"
                    };
                    sink.package(
                        "Microsoft",
                        name,
                        &build,
                        line("OS.UBR").or(line("OS.Version")),
                    );
                    inv.os_build = Some(build);
                }
                _ => sink.not_assessed(
                    line("OS.Version"),
                    format!(
                        "Windows version `{v}` with UBR `{ubr}` is not major.minor.build + revision"
                    ),
                ),
            }
        }
        (Some(v), None) => sink.not_assessed(
            line("OS.Version"),
            format!("Windows {v} without UBR: the installed update level is unknown"),
        ),
        (None, _) => {
            if fields.keys().any(|k| k.starts_with("os.")) {
                sink.not_assessed(
                    line("OS.Caption"),
                    "Windows version missing from the inventory",
                );
            }
        }
    }

    // Exchange build.
    let has_exchange = fields.keys().any(|k| k.starts_with("exchange."));
    if has_exchange {
        let ex = ExchangeInfo {
            admin_display_version: get("Exchange.AdminDisplayVersion").map(str::to_string),
            exsetup_version: get("Exchange.ExSetupVersion").and_then(normalise_build),
            edition: get("Exchange.Edition").map(str::to_string),
            server_role: get("Exchange.ServerRole").map(str::to_string),
        };
        match (&ex.exsetup_version, get("Exchange.ExSetupVersion")) {
            (Some(b), _) => {
                sink.package("Microsoft", "Exchange Server", b, line("Exchange.ExSetupVersion"));
            }
            (None, Some(raw)) => sink.not_assessed(
                line("Exchange.ExSetupVersion"),
                format!("ExSetupVersion `{raw}` is not a build number"),
            ),
            (None, None) => sink.not_assessed(
                line("Exchange.AdminDisplayVersion").or(line("Exchange.Edition")),
                format!(
                    "Exchange build not assessable: only AdminDisplayVersion ({}) was collected, which \
                     does not change when security updates are installed; collect ExSetup.exe's file \
                     version (ExSetupVersion)",
                    ex.admin_display_version.as_deref().unwrap_or("none")
                ),
            ),
        }
        inv.exchange = Some(ex);
    }

    // Installed updates, in index order.
    let mut idx: Vec<usize> = fields
        .keys()
        .filter_map(|k| k.strip_prefix("hotfixes["))
        .filter_map(|r| r.split_once(']'))
        .filter_map(|(n, _)| n.parse().ok())
        .collect();
    idx.sort_unstable();
    idx.dedup();
    // A single update serialised by PowerShell as an object rather than a one-element array.
    let single = fields.contains_key("hotfixes.hotfixid");
    let prefixes: Vec<String> = idx
        .iter()
        .map(|i| format!("HotFixes[{i}]."))
        .chain(single.then(|| "HotFixes.".to_string()))
        .collect();
    for p in prefixes {
        let Some(id) = get(&format!("{p}HotFixID")) else {
            continue;
        };
        let installed = get(&format!("{p}InstalledOn"));
        let installed_on = installed.and_then(parse_date);
        if let (Some(raw), None) = (installed, installed_on) {
            sink.not_assessed(
                line(&format!("{p}InstalledOn")),
                format!("InstalledOn `{raw}` of {id} is not a date"),
            );
        }
        inv.hotfixes.push(HotFix {
            id: id.to_ascii_uppercase(),
            description: get(&format!("{p}Description")).map(str::to_string),
            installed_on,
        });
    }
    inv
}

/// `/Date(1620691200000)/` (Windows PowerShell 5.1's DateTime JSON, optionally with a `+0200` offset
/// that does not change the instant) → milliseconds since the epoch.
fn ms_date(s: &str) -> Option<i64> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    inner.get(..digits_end)?.parse().ok()
}

pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Some(ms) = ms_date(s) {
        return Timestamp::from_millisecond(ms).ok();
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    // A local time without offset: read as UTC (the snippet writes UTC with `Z`).
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
}

/// ISO dates, ISO date-times, `/Date(ms)/`, and `M/d/yyyy` (Get-HotFix's US-format string).
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Some(ms) = ms_date(s) {
        return Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date());
    }
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    if let Some(t) = parse_timestamp(s) {
        return Some(t.to_zoned(jiff::tz::TimeZone::UTC).date());
    }
    let date_part = s.split_whitespace().next()?;
    let mut it = date_part.split('/');
    let (m, d, y) = (it.next()?, it.next()?, it.next()?);
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = |s| parse_date(s).map(|d| d.to_string());
        assert_eq!(d("2021-05-11").as_deref(), Some("2021-05-11"));
        assert_eq!(d("/Date(1620691200000)/").as_deref(), Some("2021-05-11"));
        assert_eq!(
            d("/Date(1620691200000+0200)/").as_deref(),
            Some("2021-05-11")
        );
        assert_eq!(d("5/11/2021").as_deref(), Some("2021-05-11"));
        assert_eq!(d("5/11/2021 12:00:00 AM").as_deref(), Some("2021-05-11"));
        assert_eq!(d("2021-05-11T00:00:00Z").as_deref(), Some("2021-05-11"));
        assert_eq!(d("13/45/2021"), None);
        assert_eq!(d("/Date(x)/"), None);
        assert_eq!(
            parse_timestamp("2021-08-02T09:00:00Z")
                .map(|t| t.to_string())
                .as_deref(),
            Some("2021-08-02T09:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2021-08-02T09:00:00")
                .map(|t| t.to_string())
                .as_deref(),
            Some("2021-08-02T09:00:00Z")
        );
    }
}
