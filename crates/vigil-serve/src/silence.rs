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
pub fn silent_alert(source: &str, last: Option<Timestamp>, limit: SignedDuration) -> NewAlert {
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
                "Log source {source} has produced no event since the service started ({limit_text} ago or more)"
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
