//! Dates as Windows tools write them.
//!
//! Windows PowerShell 5.1's `ConvertTo-Json` writes a `DateTime` as `"\/Date(1618264800000)\/"`: the
//! instant in milliseconds since 1970 UTC, sometimes with the writer's offset appended
//! (`\/Date(1618264800000+0200)\/`). Date-only values (`Get-HotFix`'s `InstalledOn`) are *local
//! midnight* of the day: 2021-04-13 written on a server at UTC+2 is 2021-04-12T22:00Z, so taking the UTC
//! date would give the day before. With an offset the local day is exact; without one, the
//! `DateTime` text PowerShell adds beside it (`"Tuesday, April 13, 2021 12:00:00 AM"`, en-US) gives it
//! when it can be read, else the day is that of the nearest midnight: an instant up to 12 hours after
//! a UTC midnight is that day (zones down to UTC−12), one 12 hours or more before is the next day
//! (zones up to UTC+12). Only UTC+13 and +14 (Tonga, Samoa, Kiribati, New Zealand summer time) are
//! misread by this rule, as the day before, when neither an offset nor an English `DateTime` is given.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

/// `/Date(1620691200000)/` or `/Date(1620691200000+0200)/` → milliseconds and the offset, if any.
fn ms_date(s: &str) -> Option<(i64, Option<Offset>)> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let split = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    let ms = inner.get(..split)?.parse().ok()?;
    let offset = match inner.get(split..).filter(|o| !o.is_empty()) {
        None => None,
        Some(o) => {
            let (sign, digits) = o.split_at_checked(1)?;
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let h: i32 = digits.get(..2)?.parse().ok()?;
            let m: i32 = digits.get(2..)?.parse().ok()?;
            let secs = (h * 3600 + m * 60) * if sign == "-" { -1 } else { 1 };
            Some(Offset::from_seconds(secs).ok()?)
        }
    };
    Some((ms, offset))
}

/// An instant: `/Date(ms)/`, RFC 3339, or a date-time without offset (read as UTC).
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Some((ms, _)) = ms_date(s) {
        return Timestamp::from_millisecond(ms).ok();
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(TimeZone::UTC).ok())
        .map(|z| z.timestamp())
}

/// The local day of a date-only value: ISO dates and date-times, `/Date(ms[±hhmm])/` (see the module
/// documentation), `M/d/yyyy` with an optional time (Get-HotFix's text, WMI's `InstalledOn`), and
/// the 16-digit hexadecimal FILETIME some WMI providers put in `InstalledOn`.
pub fn parse_date(s: &str) -> Option<Date> {
    parse_date_with_text(s, None)
}

/// [`parse_date`], with the `DateTime` display text PowerShell 5.1 writes beside a `/Date(ms)/` value.
pub fn parse_date_with_text(s: &str, display: Option<&str>) -> Option<Date> {
    let s = s.trim();
    if let Some((ms, offset)) = ms_date(s) {
        let t = Timestamp::from_millisecond(ms).ok()?;
        return match offset {
            Some(o) => Some(t.to_zoned(TimeZone::fixed(o)).date()),
            None => display
                .and_then(us_long_date)
                .or_else(|| nearest_midnight(t)),
        };
    }
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    if let Some(t) = parse_timestamp(s) {
        return Some(t.to_zoned(TimeZone::UTC).date());
    }
    if s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return filetime(s);
    }
    let date_part = s.split_whitespace().next()?;
    let mut it = date_part.split('/');
    let (m, d, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// The day of the midnight nearest to `t` (see the module documentation).
fn nearest_midnight(t: Timestamp) -> Option<Date> {
    let z = t.to_zoned(TimeZone::UTC);
    if z.hour() >= 12 {
        z.date().tomorrow().ok()
    } else {
        Some(z.date())
    }
}

/// A FILETIME (100 ns since 1601-01-01 UTC) in hexadecimal, to its nearest-midnight day.
fn filetime(hex: &str) -> Option<Date> {
    const EPOCH_DIFF_SECS: i64 = 11_644_473_600;
    let ticks = u64::from_str_radix(hex, 16).ok()?;
    let secs = i64::try_from(ticks / 10_000_000).ok()? - EPOCH_DIFF_SECS;
    nearest_midnight(Timestamp::from_second(secs).ok()?)
}

/// `Tuesday, April 13, 2021 12:00:00 AM` (en-US long date and time) → 2021-04-13.
fn us_long_date(s: &str) -> Option<Date> {
    jiff::civil::DateTime::strptime("%A, %B %d, %Y %I:%M:%S %p", s.trim())
        .ok()
        .map(|dt| dt.date())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<String> {
        parse_date(s).map(|d| d.to_string())
    }

    #[test]
    fn dates() {
        assert_eq!(d("2021-05-11").as_deref(), Some("2021-05-11"));
        assert_eq!(d("/Date(1620691200000)/").as_deref(), Some("2021-05-11"));
        assert_eq!(d("5/11/2021").as_deref(), Some("2021-05-11"));
        assert_eq!(d("5/11/2021 12:00:00 AM").as_deref(), Some("2021-05-11"));
        assert_eq!(d("2021-05-11T00:00:00Z").as_deref(), Some("2021-05-11"));
        assert_eq!(d("13/45/2021"), None);
        assert_eq!(d("1/2/3/4"), None);
        assert_eq!(d("/Date(x)/"), None);
        assert_eq!(d("/Date(1+02)/"), None);
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
        assert_eq!(
            parse_timestamp("/Date(1627894800000)/")
                .map(|t| t.to_string())
                .as_deref(),
            Some("2021-08-02T09:00:00Z")
        );
    }

    #[test]
    fn local_midnight() {
        // 2021-04-13 00:00 at UTC+2 is 2021-04-12T22:00Z.
        assert_eq!(d("/Date(1618264800000)/").as_deref(), Some("2021-04-13"));
        assert_eq!(
            d("/Date(1618264800000+0200)/").as_deref(),
            Some("2021-04-13")
        );
        // 2021-04-13 00:00 at UTC-5 is 2021-04-13T05:00Z.
        assert_eq!(d("/Date(1618290000000)/").as_deref(), Some("2021-04-13"));
        assert_eq!(
            d("/Date(1618290000000-0500)/").as_deref(),
            Some("2021-04-13")
        );
        // UTC+12 (New Zealand winter): 2021-04-13 00:00 is 2021-04-12T12:00Z.
        assert_eq!(d("/Date(1618228800000)/").as_deref(), Some("2021-04-13"));
        // UTC+13 needs the display text or the offset.
        assert_eq!(
            parse_date_with_text(
                "/Date(1618225200000)/",
                Some("Tuesday, April 13, 2021 12:00:00 AM")
            )
            .map(|d| d.to_string())
            .as_deref(),
            Some("2021-04-13")
        );
        assert_eq!(
            d("/Date(1618225200000+1300)/").as_deref(),
            Some("2021-04-13")
        );
        assert_eq!(
            us_long_date("Tuesday, January 5, 2021 12:00:00 AM").map(|d| d.to_string()),
            Some("2021-01-05".to_string())
        );
        // Another culture's display text is not read; the nearest midnight is used.
        assert_eq!(
            parse_date_with_text(
                "/Date(1618264800000)/",
                Some("Dienstag, 13. April 2021 00:00:00")
            )
            .map(|d| d.to_string())
            .as_deref(),
            Some("2021-04-13")
        );
        // FILETIME of 2021-04-12T22:00Z.
        assert_eq!(d("01d72fe72ecf3000").as_deref(), Some("2021-04-13"));
    }
}
