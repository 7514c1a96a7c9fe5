//! Small parsing helpers shared by the formats: lenient timestamps and strings.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Deserializer};

/// Parses the timestamps advisory sources write: RFC 3339 (`2021-06-16T00:03:23.627691Z`), a date-time
/// without offset (taken as UTC, as MSRC's JSON writes them) or a bare date (midnight UTC).
pub(crate) fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    parse_date(s).and_then(|d| {
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    })
}

/// Parses a calendar day from `2021-04-13`, or the day part of a longer timestamp.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let head = s.get(..10).unwrap_or(s);
    head.parse::<Date>().ok()
}

/// The UTC calendar day of a timestamp.
pub(crate) fn utc_date(ts: Timestamp) -> Date {
    ts.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// A string that YAML may have typed as a number or boolean (`introduced: 0`, `- 1.1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lenient(pub String);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Lenient, E> {
                Ok(Lenient(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `null` and absent both mean "empty" in the feeds (RustSec's OSV export writes `"related": []`,
/// others `null`).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_the_wild() {
        assert_eq!(
            parse_timestamp("2021-06-16T00:03:23.627691Z").map(|t| t.as_second()),
            Some(1_623_801_803)
        );
        assert_eq!(
            parse_timestamp("2021-07-13T07:00:00").map(|t| t.to_string()),
            Some("2021-07-13T07:00:00Z".to_string())
        );
        assert_eq!(
            parse_timestamp("2020-12-21").map(|t| t.to_string()),
            Some("2020-12-21T00:00:00Z".to_string())
        );
        assert!(parse_timestamp("0001-01-01T00:00:00Z").is_some());
        assert!(parse_timestamp("yesterday").is_none());
        assert_eq!(
            parse_date("2023-03-16T00:00:00+0000"),
            "2023-03-16".parse().ok()
        );
        assert_eq!(parse_date("2é"), None);
    }
}
