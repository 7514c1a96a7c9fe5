//! Timestamp parsing shared by the readers. Logs write time in many shapes; each helper accepts
//! one family and returns `None` rather than guessing.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// RFC 3339 / ISO 8601 with an offset or `Z` (`2021-08-12T23:41:07.412Z`), also with a space
/// instead of `T`. Without an offset the time is taken in `tz`.
pub(crate) fn parse_iso(s: &str, tz: &TimeZone) -> Option<Timestamp> {
    parse_iso_naive(s, tz).map(|(ts, _)| ts)
}

/// As [`parse_iso`], also saying whether the text carried no offset (so `tz` was assumed).
pub(crate) fn parse_iso_naive(s: &str, tz: &TimeZone) -> Option<(Timestamp, bool)> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some((ts, false));
    }
    if let Ok(z) = s.parse::<Zoned>() {
        return Some((z.timestamp(), false));
    }
    let dt: DateTime = s.parse().ok()?;
    let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
    Some((ts, true))
}

/// A time zone given by the user: an IANA name (`Europe/Zurich`), `UTC`, or a fixed offset from
/// UTC (`+02:00`, `-0500`, `+2`).
pub fn parse_time_zone(s: &str) -> Result<TimeZone, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("z") {
        return Ok(TimeZone::UTC);
    }
    if let Some(offset) = parse_offset(s) {
        return Ok(TimeZone::fixed(offset));
    }
    TimeZone::get(s).map_err(|e| {
        format!("'{s}' is neither a time zone name (such as Europe/Zurich) nor an offset such as +02:00 ({e})")
    })
}

/// `+hh`, `+hhmm` or `+hh:mm` (or `-`).
fn parse_offset(s: &str) -> Option<jiff::tz::Offset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1i32, s.get(1..)?),
        b'-' => (-1i32, s.get(1..)?),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.as_str(), "0")
    } else {
        digits.split_at(digits.len() - 2)
    };
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 25 || m > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// A zone as the user named it: its IANA name, or its offset.
pub(crate) fn zone_name(tz: &TimeZone) -> String {
    match tz.iana_name() {
        Some(name) => name.to_string(),
        None => tz.to_offset(Timestamp::now()).to_string(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_by_name_and_offset() {
        assert_eq!(parse_time_zone("UTC"), Ok(TimeZone::UTC));
        let plus2 = parse_time_zone("+02:00").unwrap();
        assert_eq!(plus2.to_offset(Timestamp::UNIX_EPOCH).seconds(), 7200);
        assert_eq!(
            parse_time_zone("-0530")
                .unwrap()
                .to_offset(Timestamp::UNIX_EPOCH)
                .seconds(),
            -19800
        );
        assert_eq!(parse_time_zone("+2").unwrap(), plus2);
        assert!(parse_time_zone("+99:00").is_err());
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn naive_times_are_flagged() {
        let tz = TimeZone::fixed(jiff::tz::offset(2));
        let (ts, naive) = parse_iso_naive("2021-08-12 10:00:00", &tz).unwrap();
        assert!(naive);
        assert_eq!(ts.to_string(), "2021-08-12T08:00:00Z");
        assert!(!parse_iso_naive("2021-08-12T10:00:00Z", &tz).unwrap().1);
        assert!(!parse_iso_naive("2021-08-12T10:00:00+02:00", &tz).unwrap().1);
    }
}
