//! Timestamp parsing shared by the readers. Logs write time in many shapes; each helper accepts
//! one family and returns `None` rather than guessing.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// RFC 3339 / ISO 8601 with an offset or `Z` (`2021-08-12T23:41:07.412Z`), also with a space
/// instead of `T`. Without an offset the time is taken in `tz`.
pub(crate) fn parse_iso(s: &str, tz: &TimeZone) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(z) = s.parse::<Zoned>() {
        return Some(z.timestamp());
    }
    let dt: DateTime = s.parse().ok()?;
    tz.to_ambiguous_timestamp(dt).compatible().ok()
}

/// A civil date and time in UTC (`2019-09-03`, `10:13:36` or `10:13:36.123`).
pub(crate) fn parse_date_time_utc(date: &str, time: &str) -> Option<Timestamp> {
    let d: Date = date.trim().parse().ok()?;
    let t: Time = time.trim().parse().ok()?;
    d.to_datetime(t)
        .to_zoned(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Month abbreviation (`Jan`…`Dec`, any case) to 1–12.
pub(crate) fn month_number(m: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|x| *x == m)
        .and_then(|i| i8::try_from(i + 1).ok())
}

/// Microsoft JSON date, as PowerShell 5 writes `DateTime` values: `/Date(1615686000000)/`.
pub(crate) fn parse_ms_json_date(s: &str) -> Option<Timestamp> {
    let inner = s.trim().strip_prefix("/Date(")?.strip_suffix(")/")?;
    // An offset suffix (`+0100`) may follow the milliseconds; the milliseconds are UTC.
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    let ms: i64 = inner.get(..end)?.parse().ok()?;
    Timestamp::from_millisecond(ms).ok()
}
