//! Silent sources: a watched log that stops bringing events is how detection goes blind without
//! anyone noticing. Each source has a limit (`silent_after`); past it, with no event since (or none
//! since the service started), the source is silent and an alert is raised; when events come back
//! the alert is resolved by the service, saying when.

use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use vigil_model::{HealthSnapshot, Level};
use vigil_store::{AlertSubject, Evidence, NewAlert};

/// A change in a source's silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceEvent {
    /// No event for longer than the limit: since `last` (or, with `None`, none since the start).
    Silent {
        source: String,
        last: Option<Timestamp>,
        limit: SignedDuration,
        /// When the service started (what "none since the start" means).
        started: Timestamp,
    },
    /// Events again, the latest at `at`.
    Back { source: String, at: Timestamp },
}

/// The silence limits and which sources are silent now.
#[derive(Debug, Default)]
pub struct SilenceWatch {
    default: Option<SignedDuration>,
    limits: HashMap<String, Option<SignedDuration>>,
    silent: HashSet<String>,
}

impl SilenceWatch {
    /// `default` applies to every source without a limit of its own in `limits` (`None`: never).
    pub fn new(
        default: Option<SignedDuration>,
        limits: HashMap<String, Option<SignedDuration>>,
    ) -> SilenceWatch {
        SilenceWatch {
            default,
            limits,
            silent: HashSet::new(),
        }
    }

    /// Compares the sources of `snap` with their limits at `now`.
    pub fn check(&mut self, snap: &HealthSnapshot, now: Timestamp) -> Vec<SilenceEvent> {
        let mut out = Vec::new();
        for s in &snap.sources {
            let Some(limit) = self.limits.get(&s.name).copied().unwrap_or(self.default) else {
                continue;
            };
            let since = s.last_arrival.unwrap_or(snap.started_at);
            let quiet = since.duration_until(now);
            let was = self.silent.contains(&s.name);
            if quiet > limit && !was {
                self.silent.insert(s.name.clone());
                out.push(SilenceEvent::Silent {
                    source: s.name.clone(),
                    last: s.last_arrival,
                    limit,
                    started: snap.started_at,
                });
            } else if quiet <= limit && was {
                self.silent.remove(&s.name);
                out.push(SilenceEvent::Back {
                    source: s.name.clone(),
                    at: since,
                });
            }
        }
        out
    }
}

/// The dedup key of a source's silence alert.
pub fn silent_key(source: &str) -> String {
    format!("source:{source}:silent")
}

/// The alert that a source is silent: high, so it escalates until someone looks.
pub fn silent_alert(
    source: &str,
    last: Option<Timestamp>,
    limit: SignedDuration,
    started: Timestamp,
) -> NewAlert {
    let hours = limit.as_secs_f64() / 3600.0;
    let limit_text = if hours >= 1.0 {
        format!("{hours:.0} h")
    } else {
        format!("{} s", limit.as_secs())
    };
    let (title, last_text) = match last {
        Some(t) => (
            format!("Log source {source} is silent: no event for more than {limit_text}"),
            t.to_string(),
        ),
        None => (
            format!(
                "Log source {source} is configured but has produced no event since vigil started at {started} ({limit_text} or more)"
            ),
            "none since the start".to_string(),
        ),
    };
    NewAlert {
        dedup_key: silent_key(source),
        subject: AlertSubject::SourceHealth,
        reference: source.to_string(),
        severity: Level::High,
        title,
        asset: None,
        evidence: vec![
            Evidence::new("source", source),
            Evidence::new("last event", last_text),
            Evidence::new("silent after", limit_text),
            Evidence::new(
                "what it means",
                "detection of this log sees nothing: check that it is still written where the watch points (rotation, a moved path, a stopped service, logging turned off)",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::SourceSnapshot;

    fn snap(started: Timestamp, last: Option<Timestamp>) -> HealthSnapshot {
        HealthSnapshot {
            started_at: started,
            sources: vec![SourceSnapshot {
                name: "mail".into(),
                last_arrival: last,
                ..SourceSnapshot::default()
            }],
            ..HealthSnapshot::default()
        }
    }

    #[test]
    fn a_source_goes_silent_once_and_comes_back_once() {
        let t0: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let min = SignedDuration::from_mins(1);
        let mut w = SilenceWatch::new(Some(SignedDuration::from_mins(10)), HashMap::new());
        assert!(w.check(&snap(t0, None), t0 + min * 5).is_empty());
        let ev = w.check(&snap(t0, None), t0 + min * 11);
        assert!(matches!(&ev[..], [SilenceEvent::Silent { last: None, .. }]));
        let a = silent_alert("mail", None, SignedDuration::from_mins(10), t0);
        assert_eq!(
            a.title,
            "Log source mail is configured but has produced no event since vigil started at \
             2026-12-04T10:00:00Z (600 s or more)"
        );
        assert!(
            w.check(&snap(t0, None), t0 + min * 12).is_empty(),
            "raised once"
        );
        let back = t0 + min * 13;
        let ev = w.check(&snap(t0, Some(back)), back);
        assert_eq!(
            ev,
            vec![SilenceEvent::Back {
                source: "mail".into(),
                at: back
            }]
        );
        let ev = w.check(&snap(t0, Some(back)), back + min * 11);
        assert!(matches!(
            &ev[..],
            [SilenceEvent::Silent { last: Some(_), .. }]
        ));
        // A source whose limit is off is never silent.
        let mut off = SilenceWatch::new(
            Some(SignedDuration::from_mins(10)),
            HashMap::from([("mail".to_string(), None)]),
        );
        assert!(off.check(&snap(t0, None), t0 + min * 600).is_empty());
    }
}

/// A source falling behind: more than `limit_bytes` written but not yet read, continuously for
/// longer than `for_at_least` (a burst that is read within it is not falling behind).
#[derive(Debug)]
pub struct BehindWatch {
    limit_bytes: u64,
    for_at_least: SignedDuration,
    /// Since when each source has been over the limit, and whether that was told.
    over: HashMap<String, (Timestamp, bool)>,
}

/// Bytes not yet read past which a source may be falling behind.
pub const BEHIND_BYTES: u64 = 64 << 20;
/// How long it must stay past them.
pub const BEHIND_FOR: SignedDuration = SignedDuration::from_mins(5);

impl Default for BehindWatch {
    fn default() -> Self {
        BehindWatch::new(BEHIND_BYTES, BEHIND_FOR)
    }
}

/// A change in a source's backlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BehindEvent {
    Behind {
        source: String,
        bytes: u64,
        since: Timestamp,
    },
    CaughtUp {
        source: String,
        at: Timestamp,
    },
}

impl BehindWatch {
    pub fn new(limit_bytes: u64, for_at_least: SignedDuration) -> BehindWatch {
        BehindWatch {
            limit_bytes,
            for_at_least,
            over: HashMap::new(),
        }
    }

    pub fn check(&mut self, snap: &HealthSnapshot, now: Timestamp) -> Vec<BehindEvent> {
        let mut out = Vec::new();
        for s in &snap.sources {
            if s.bytes_behind > self.limit_bytes {
                let (since, told) = *self.over.entry(s.name.clone()).or_insert((now, false));
                if !told && since.duration_until(now) > self.for_at_least {
                    self.over.insert(s.name.clone(), (since, true));
                    out.push(BehindEvent::Behind {
                        source: s.name.clone(),
                        bytes: s.bytes_behind,
                        since,
                    });
                }
            } else if let Some((_, told)) = self.over.remove(&s.name)
                && told
            {
                out.push(BehindEvent::CaughtUp {
                    source: s.name.clone(),
                    at: now,
                });
            }
        }
        out
    }
}

/// The dedup key of a source's backlog alert.
pub fn behind_key(source: &str) -> String {
    format!("source:{source}:behind")
}

/// The alert that a source is falling behind.
pub fn behind_alert(source: &str, bytes: u64, since: Timestamp) -> NewAlert {
    NewAlert {
        dedup_key: behind_key(source),
        subject: AlertSubject::SourceHealth,
        reference: source.to_string(),
        severity: Level::Medium,
        title: format!(
            "Log source {source} is falling behind: {} MiB written but not yet read, since {since}",
            bytes >> 20
        ),
        asset: None,
        evidence: vec![
            Evidence::new("source", source),
            Evidence::new("not yet read", format!("{bytes} bytes")),
            Evidence::new("over the limit since", since.to_string()),
            Evidence::new(
                "what it means",
                "the log is written faster than vigil reads it: detections arrive late; check the machine's load and `vigil status`",
            ),
        ],
    }
}

#[cfg(test)]
mod behind_tests {
    use super::*;
    use vigil_model::SourceSnapshot;

    fn snap(behind: u64) -> HealthSnapshot {
        HealthSnapshot {
            sources: vec![SourceSnapshot {
                name: "iis".into(),
                bytes_behind: behind,
                ..SourceSnapshot::default()
            }],
            ..HealthSnapshot::default()
        }
    }

    #[test]
    fn a_backlog_that_lasts_is_told_once_and_its_end_too_a_burst_is_not() {
        let mut w = BehindWatch::default();
        let t0: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let at = |m: i64| t0 + SignedDuration::from_mins(m);
        // A burst read within two minutes.
        assert!(w.check(&snap(200 << 20), at(0)).is_empty());
        assert!(w.check(&snap(1 << 20), at(2)).is_empty());
        // A backlog that stays.
        assert!(w.check(&snap(100 << 20), at(10)).is_empty());
        let got = w.check(&snap(300 << 20), at(16));
        assert!(
            matches!(&got[..], [BehindEvent::Behind { since, .. }] if *since == at(10)),
            "{got:?}"
        );
        assert!(w.check(&snap(300 << 20), at(20)).is_empty());
        let got = w.check(&snap(0), at(30));
        assert!(
            matches!(&got[..], [BehindEvent::CaughtUp { .. }]),
            "{got:?}"
        );
    }
}
