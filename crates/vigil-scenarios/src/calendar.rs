//! Local days and times of a server: which local days a span covers, whether a day is a working day,
//! and a random local time of a day (benign traffic follows the server's office hours, whatever its
//! time zone).

use crate::rng::Rng;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

/// Every local day from the one holding `from` to the one holding `to`.
pub fn days(from: Timestamp, to: Timestamp, tz: &TimeZone) -> Vec<Date> {
    let mut out = Vec::new();
    let mut day = from.to_zoned(tz.clone()).date();
    let last = to.to_zoned(tz.clone()).date();
    while day <= last {
        out.push(day);
        day = match day.checked_add(1.day()) {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    out
}

/// Monday to Friday.
pub fn is_working_day(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A random local time of `day` between two minutes of the day, if it falls inside `from..to`.
pub fn local_time(
    rng: &mut Rng,
    tz: &TimeZone,
    day: Date,
    lo_min: i64,
    hi_min: i64,
    from: Timestamp,
    to: Timestamp,
) -> Option<Timestamp> {
    let secs = rng.range_i64(lo_min * 60, hi_min * 60);
    let midnight = day.to_zoned(tz.clone()).ok()?.timestamp();
    let at = midnight.checked_add(SignedDuration::from_secs(secs)).ok()?;
    (at >= from && at < to).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ServerZone;

    #[test]
    fn days_and_times_are_local() {
        let tz = ServerZone::auckland().tz();
        let from: Timestamp = "2022-12-31T09:00:00Z".parse().unwrap();
        let to: Timestamp = "2023-01-02T09:00:00Z".parse().unwrap();
        let d = days(from, to, &tz);
        assert_eq!(
            d.first().map(|d| d.to_string()).as_deref(),
            Some("2022-12-31")
        );
        assert_eq!(
            d.last().map(|d| d.to_string()).as_deref(),
            Some("2023-01-02")
        );
        assert!(!is_working_day(jiff::civil::date(2023, 1, 1)));
        let mut r = Rng::new(1);
        let day = jiff::civil::date(2023, 1, 1);
        let t = local_time(&mut r, &tz, day, 9 * 60, 10 * 60, from, to).unwrap();
        let z = t.to_zoned(tz.clone());
        assert_eq!((z.date(), z.hour()), (day, 9));
        assert!(local_time(&mut r, &tz, jiff::civil::date(2023, 5, 1), 0, 60, from, to).is_none());
    }
}
