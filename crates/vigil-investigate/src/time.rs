//! Day arithmetic and duration wording shared by the measures, the root cause and the breach draft.
//!
//! Patch deadlines are calendar days (the policy counts days from a vendor's release day); detections and
//! awareness are instants. All calendar days are taken in UTC, the time zone every vigil timestamp is in.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The UTC calendar day of an instant.
pub fn utc_date(ts: Timestamp) -> Date {
    ts.to_zoned(TimeZone::UTC).date()
}

/// Midnight UTC at the start of a calendar day, to place dates on a timeline.
pub fn start_of_day(d: Date) -> Option<Timestamp> {
    d.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> Option<i64> {
    from.until(to).ok().map(|s| i64::from(s.get_days()))
}

/// A duration as people read it in a report: `108 d 13 h 25 min 57 s`; negative durations get a minus sign.
pub fn format_duration(d: SignedDuration) -> String {
    let neg = d.is_negative();
    let total = d.as_secs().unsigned_abs();
    let (days, rem) = (total / 86_400, total % 86_400);
    let (h, rem) = (rem / 3600, rem % 3600);
    let (m, s) = (rem / 60, rem % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} d"));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} s"));
    }
    let text = parts.join(" ");
    if neg { format!("-{text}") } else { text }
}

/// An instant as reports print it: `2021-12-02 10:40:00 UTC`.
pub fn format_ts(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(
            format_duration(SignedDuration::from_secs(9_379_557)),
            "108 d 13 h 25 min 57 s"
        );
        assert_eq!(format_duration(SignedDuration::from_secs(0)), "0 s");
        assert_eq!(format_duration(SignedDuration::from_secs(-3600)), "-1 h");
        assert_eq!(format_duration(SignedDuration::from_hours(72)), "3 d");
    }

    #[test]
    fn days_and_dates() {
        let a = jiff::civil::date(2021, 4, 27);
        let b = jiff::civil::date(2021, 8, 13);
        assert_eq!(days_between(a, b), Some(108));
        assert_eq!(days_between(b, a), Some(-108));
        let ts: Timestamp = "2021-08-12T23:59:59Z".parse().unwrap();
        assert_eq!(utc_date(ts), jiff::civil::date(2021, 8, 12));
        assert_eq!(start_of_day(b).unwrap().to_string(), "2021-08-13T00:00:00Z");
    }
}
