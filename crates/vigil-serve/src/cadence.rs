//! Each source's normal pace, learnt per hour of the week: a log that goes silent is caught by the
//! fixed `silent_after` limit, but a busy server's log that drops to a trickle on a Tuesday morning
//! (one of two mail servers stopped forwarding, a filter that drops most lines) is not silent. So
//! the events each source brings are counted per hour, and each of the week's 168 hours (UTC) keeps
//! an exponentially weighted mean of the weeks seen. An hour that ends far below its mean is a
//! drop; only hours with enough history and enough traffic are judged, so a quiet night, a weekend
//! or a source seen for a few days never is. The means are saved with the service's state, so a
//! restart does not forget weeks of learning.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use vigil_model::Level;
use vigil_store::{AlertSubject, Evidence, NewAlert};

/// Hours in a week: the slots a source's pace is learnt in.
const SLOTS: usize = 168;
/// Sources whose pace is kept (one per watch or listener; a hostile state cannot hold more).
const MAX_SOURCES: usize = 1024;

/// When an hour is judged, and how far below normal is a drop. Documented in docs/serve.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CadenceOptions {
    /// Weeks an hour of the week must have been seen before it is judged.
    pub min_weeks: u32,
    /// Mean events in that hour below which it is not judged (too quiet to tell a drop from chance).
    pub min_events: f64,
    /// An hour bringing fewer than this share of its mean is a drop.
    pub drop_below: f64,
    /// Weight of the newest week in the mean.
    pub weight: f64,
}

impl Default for CadenceOptions {
    fn default() -> Self {
        CadenceOptions {
            min_weeks: 2,
            min_events: 20.0,
            drop_below: 0.1,
            weight: 0.3,
        }
    }
}

/// A change in a source's pace.
#[derive(Debug, Clone, PartialEq)]
pub enum CadenceEvent {
    /// The hour starting at `hour` brought `got` events where `expected` were normal.
    Drop {
        source: String,
        hour: Timestamp,
        got: u64,
        expected: f64,
    },
    /// The pace is normal again (the hour starting at `hour`).
    Back { source: String, hour: Timestamp },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SourcePace {
    /// Mean events per slot, and weeks seen per slot.
    mean: Vec<f64>,
    weeks: Vec<u32>,
    /// The hour being counted (hours since the Unix epoch) and its events so far.
    hour: i64,
    count: u64,
    dropped: bool,
    /// The hour being counted began before the service watched it.
    #[serde(default)]
    partial: bool,
}

impl SourcePace {
    fn new(hour: i64) -> SourcePace {
        SourcePace {
            mean: vec![0.0; SLOTS],
            weeks: vec![0; SLOTS],
            hour,
            count: 0,
            dropped: false,
            partial: true,
        }
    }
}

/// The learnt pace of every source.
#[derive(Debug, Clone, Default)]
pub struct Cadence {
    opts: CadenceOptions,
    sources: HashMap<String, SourcePace>,
}

/// The hour of the week (0 = Thursday 00:00 UTC, the epoch's weekday; only consistency matters).
fn slot(hour: i64) -> usize {
    usize::try_from(hour.rem_euclid(SLOTS as i64)).unwrap_or(0)
}

fn hour_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(3600)
}

fn hour_start(hour: i64) -> Timestamp {
    Timestamp::from_second(hour.saturating_mul(3600)).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Cadence {
    pub fn new(opts: CadenceOptions) -> Cadence {
        Cadence {
            opts,
            sources: HashMap::new(),
        }
    }

    /// The pace saved by [`Cadence::save`]; a state that cannot be read starts the learning
    /// again, with the reason.
    pub fn resume(opts: CadenceOptions, saved: Option<&str>) -> (Cadence, Option<String>) {
        let mut c = Cadence::new(opts);
        let Some(text) = saved else {
            return (c, None);
        };
        match serde_json::from_str::<HashMap<String, SourcePace>>(text) {
            Ok(sources)
                if sources.len() <= MAX_SOURCES
                    && sources
                        .values()
                        .all(|p| p.mean.len() == SLOTS && p.weeks.len() == SLOTS) =>
            {
                // The service stopped in the middle of the hour it saved: that hour is partial.
                c.sources = sources
                    .into_iter()
                    .map(|(k, mut p)| {
                        p.partial = true;
                        (k, p)
                    })
                    .collect();
                (c, None)
            }
            Ok(_) => (c, Some("not a pace this version saved".into())),
            Err(e) => (c, Some(e.to_string())),
        }
    }

    /// The pace as text for the store.
    pub fn save(&self) -> Result<String, String> {
        serde_json::to_string(&self.sources).map_err(|e| e.to_string())
    }

    /// `n` events of `source` arrived at `now` (0 to let time pass): closes the hours that ended
    /// and judges them.
    pub fn record(&mut self, source: &str, n: u64, now: Timestamp) -> Vec<CadenceEvent> {
        let hour = hour_of(now);
        if !self.sources.contains_key(source) && self.sources.len() >= MAX_SOURCES {
            return Vec::new();
        }
        let opts = self.opts;
        let pace = self
            .sources
            .entry(source.to_string())
            .or_insert_with(|| SourcePace::new(hour));
        let mut out = Vec::new();
        if hour > pace.hour {
            // An hour is judged and learnt only when it was watched whole: not the hour the service
            // started in, nor one after a pause (a stop, a suspended machine).
            if !pace.partial && hour == pace.hour + 1 {
                let (h, got) = (pace.hour, pace.count);
                judge(source, pace, h, got, &opts, &mut out);
            }
            pace.partial = hour != pace.hour + 1;
            pace.hour = hour;
            pace.count = 0;
        }
        pace.count = pace.count.saturating_add(n);
        out
    }
}

fn judge(
    source: &str,
    pace: &mut SourcePace,
    h: i64,
    got: u64,
    opts: &CadenceOptions,
    out: &mut Vec<CadenceEvent>,
) {
    let s = slot(h);
    let (Some(mean), Some(weeks)) = (pace.mean.get(s).copied(), pace.weeks.get(s).copied()) else {
        return;
    };
    let judged = weeks >= opts.min_weeks && mean >= opts.min_events;
    let low = (got as f64) < mean * opts.drop_below;
    if judged && low && !pace.dropped {
        pace.dropped = true;
        out.push(CadenceEvent::Drop {
            source: source.to_string(),
            hour: hour_start(h),
            got,
            expected: mean,
        });
    } else if pace.dropped && judged && !low {
        pace.dropped = false;
        out.push(CadenceEvent::Back {
            source: source.to_string(),
            hour: hour_start(h),
        });
    }
    // A dropped hour still teaches, but only a little: a lasting change of pace becomes the new
    // normal over weeks, while one bad hour barely moves it.
    let w = if judged && low {
        opts.weight / 4.0
    } else {
        opts.weight
    };
    if let (Some(m), Some(k)) = (pace.mean.get_mut(s), pace.weeks.get_mut(s)) {
        *m = if *k == 0 {
            got as f64
        } else {
            *m * (1.0 - w) + got as f64 * w
        };
        *k = k.saturating_add(1);
    }
}

/// The dedup key of a source's pace alert.
pub fn drop_key(source: &str) -> String {
    format!("source:{source}:cadence")
}

/// The alert that a source brought far fewer events than normal for the hour.
pub fn drop_alert(source: &str, hour: Timestamp, got: u64, expected: f64) -> NewAlert {
    let end = hour
        .checked_add(SignedDuration::from_hours(1))
        .unwrap_or(hour);
    NewAlert {
        dedup_key: drop_key(source),
        subject: AlertSubject::SourceHealth,
        reference: source.to_string(),
        severity: Level::Medium,
        title: format!(
            "Log source {source} dropped far below its normal pace: {got} event(s) from {hour} to {end}, about {expected:.0} normally"
        ),
        asset: None,
        evidence: vec![
            Evidence::new("source", source),
            Evidence::new("hour", format!("{hour} to {end}")),
            Evidence::new("events", got.to_string()),
            Evidence::new("normal for this hour of the week", format!("{expected:.0}")),
            Evidence::new(
                "what to check",
                "is every sender still logging and forwarding, did a filter or a logging setting change, is the service reading the log (vigil status)",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parameterised week of traffic: `day` events an hour on working days from 08:00 to
    /// 18:00, `night` otherwise, `weekend` on Saturdays and Sundays (UTC).
    #[derive(Debug, Clone, Copy)]
    struct Pace {
        day: u64,
        night: u64,
        weekend: u64,
    }

    fn expected(p: Pace, t: Timestamp) -> u64 {
        let z = t.to_zoned(jiff::tz::TimeZone::UTC);
        let weekend = matches!(
            z.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        if weekend {
            p.weekend
        } else if (8..18).contains(&z.hour()) {
            p.day
        } else {
            p.night
        }
    }

    /// Feeds `hours` of traffic from `start`, in polls of 15 minutes, through `f` (which may
    /// change the pace); returns the events.
    fn run(
        c: &mut Cadence,
        start: Timestamp,
        hours: i64,
        f: impl Fn(Timestamp, u64) -> u64,
        p: Pace,
    ) -> Vec<(Timestamp, CadenceEvent)> {
        let mut out = Vec::new();
        for q in 0..hours * 4 {
            let t = start + SignedDuration::from_mins(15 * q);
            let n = f(t, expected(p, t)) / 4;
            for e in c.record("mail", n, t) {
                out.push((t, e));
            }
        }
        out
    }

    fn start() -> Timestamp {
        "2026-11-02T00:00:00Z".parse().unwrap() // a Monday
    }

    #[test]
    fn normal_weeks_quiet_nights_and_weekends_raise_nothing_across_paces() {
        for p in [
            Pace {
                day: 100,
                night: 4,
                weekend: 8,
            },
            Pace {
                day: 2_000,
                night: 300,
                weekend: 40,
            },
            Pace {
                day: 40,
                night: 0,
                weekend: 0,
            },
        ] {
            let mut c = Cadence::new(CadenceOptions::default());
            let got = run(&mut c, start(), 24 * 7 * 4, |_, n| n, p);
            assert!(got.is_empty(), "{p:?}: {got:?}");
        }
    }

    #[test]
    fn a_working_day_drop_is_caught_and_its_recovery_told_across_paces() {
        for p in [
            Pace {
                day: 100,
                night: 4,
                weekend: 8,
            },
            Pace {
                day: 2_000,
                night: 300,
                weekend: 40,
            },
        ] {
            let mut c = Cadence::new(CadenceOptions::default());
            run(&mut c, start(), 24 * 7 * 3, |_, n| n, p);
            // Week 4, Tuesday 10:00 to 12:00: the log brings almost nothing.
            let w4 = start() + SignedDuration::from_hours(24 * 7 * 3);
            let cut_from = w4 + SignedDuration::from_hours(24 + 10);
            let cut_to = cut_from + SignedDuration::from_hours(2);
            let got = run(
                &mut c,
                w4,
                24 * 3,
                |t, n| {
                    if t >= cut_from && t < cut_to {
                        n / 50
                    } else {
                        n
                    }
                },
                p,
            );
            let kinds: Vec<&CadenceEvent> = got.iter().map(|(_, e)| e).collect();
            assert!(
                matches!(kinds.first(), Some(CadenceEvent::Drop { hour, .. }) if *hour == cut_from),
                "{p:?}: {kinds:?}"
            );
            assert!(
                matches!(kinds.get(1), Some(CadenceEvent::Back { hour, .. }) if *hour == cut_to),
                "{p:?}: {kinds:?}"
            );
            assert_eq!(kinds.len(), 2, "{p:?}: {kinds:?}");
        }
    }

    #[test]
    fn a_new_source_is_not_judged_before_two_weeks_and_the_state_survives_a_restart() {
        let p = Pace {
            day: 100,
            night: 4,
            weekend: 8,
        };
        let mut c = Cadence::new(CadenceOptions::default());
        // One week, then silence on the Monday of week 2: too little history to judge.
        run(&mut c, start(), 24 * 7, |_, n| n, p);
        let w2 = start() + SignedDuration::from_hours(24 * 7);
        assert!(run(&mut c, w2, 24, |_, _| 0, p).is_empty());
        // Saved and resumed: the learning goes on, and a drop in week 4 is seen.
        let saved = c.save().unwrap();
        let (mut c, why) = Cadence::resume(CadenceOptions::default(), Some(&saved));
        assert_eq!(why, None);
        run(
            &mut c,
            w2 + SignedDuration::from_hours(24),
            24 * 13,
            |_, n| n,
            p,
        );
        let w4 = start() + SignedDuration::from_hours(24 * 7 * 3);
        let got = run(&mut c, w4, 24, |_, _| 0, p);
        assert!(
            matches!(got.first(), Some((_, CadenceEvent::Drop { .. }))),
            "{got:?}"
        );
        // A damaged state starts the learning again, saying why.
        let (_, why) = Cadence::resume(CadenceOptions::default(), Some("{\"mail\": 3}"));
        assert!(why.is_some());
    }
}
