//! `vigil_marked`: events of a group that an earlier detection marked, for as long as the mark is
//! remembered — "a successful login from a network that sprayed passwords", weeks after the spray.
//!
//! Sigma's `temporal_ordered` answers "B after A within the timespan" once per window: an attacker
//! who comes back a month later through the network that found the password is not related to the
//! spray any more, and a second login in the same window is not reported at all. Here the first
//! rule *marks* its group for `timespan` after each of its events; every later event of the other
//! rules in a marked group is followed, per value of the condition's field (the account), in
//! *waves*: the first event of a value, or the first after `quiet` without any, is reported at
//! once; the rest of a wave only extends it. A new mark starts a new wave for every value.

use super::{ExtFired, ExtInput, MarkedParams, add_sources, time_text};
use crate::correlation::MAX_GROUPS;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use vigil_model::SourceRef;

#[derive(Debug, Serialize, Deserialize)]
struct Wave {
    /// When the value's latest event was.
    last_ms: i64,
    /// Waves reported for the value while the group was marked.
    count: u64,
    /// The mark this wave followed (its time), to start a new wave after a new mark.
    mark_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Group {
    /// The first and the latest marking event still remembered.
    first_mark_ms: i64,
    last_mark_ms: i64,
    /// Where the latest mark came from, cited by the first wave after it.
    #[serde(with = "super::saved_refs")]
    mark_sources: Vec<SourceRef>,
    /// Value → its wave.
    waves: HashMap<String, Wave>,
}

/// The state of one `vigil_marked` correlation in one stream.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct MarkedState {
    groups: HashMap<Vec<String>, Group>,
}

/// What one correlation definition contributes to a decision.
pub(crate) struct Spec<'a> {
    pub params: &'a MarkedParams,
    /// How long a mark is remembered after its latest event.
    pub span_ms: i64,
    /// The condition's field (the value followed per wave), if any.
    pub field: Option<&'a str>,
}

impl MarkedState {
    /// Feeds one event of group `key`: a mark (the first rule) or a follower (the others), which
    /// is reported when it starts a wave in a marked group.
    pub(crate) fn feed(
        &mut self,
        spec: &Spec<'_>,
        key: &[String],
        input: ExtInput,
        overflow: &mut u64,
    ) -> Vec<ExtFired> {
        let ms = input.ms;
        if input.pos == 0 {
            self.mark(key, &input, overflow);
            return Vec::new();
        }
        let Some(g) = self.groups.get_mut(key) else {
            return Vec::new();
        };
        // Marked before this event, and not forgotten since.
        if ms < g.first_mark_ms || ms.saturating_sub(g.last_mark_ms) > spec.span_ms {
            return Vec::new();
        }
        let values = if spec.field.is_some() {
            input.values
        } else {
            vec![String::new()]
        };
        let quiet = spec.params.quiet_secs.saturating_mul(1000);
        let mut out = Vec::new();
        for v in values {
            let mark_ms = g.last_mark_ms.min(ms);
            let (count, after_mark) = match g.waves.get_mut(&v) {
                Some(w) if ms.saturating_sub(w.last_ms) <= quiet && w.mark_ms >= mark_ms => {
                    w.last_ms = w.last_ms.max(ms);
                    continue;
                }
                Some(w) => {
                    let new_mark = w.mark_ms < mark_ms;
                    w.count = w.count.saturating_add(1);
                    (w.last_ms, w.mark_ms) = (ms, mark_ms);
                    (w.count, new_mark)
                }
                None => {
                    if g.waves.len() >= spec.params.max_values {
                        forget_oldest(&mut g.waves);
                        *overflow += 1;
                    }
                    let w = Wave {
                        last_ms: ms,
                        count: 1,
                        mark_ms,
                    };
                    g.waves.insert(v.clone(), w);
                    (1, true)
                }
            };
            // The first wave after a mark is the mark's sequel and starts where the mark was
            // made (as an ordered chain would); a later wave starts at its own first event.
            let (first_ms, mut sources) = if after_mark {
                (mark_ms, g.mark_sources.clone())
            } else {
                (ms, Vec::new())
            };
            add_sources(&mut sources, &input.sources);
            let mut matched = Vec::new();
            let mut chain = Vec::new();
            if let Some(f) = spec.field {
                matched.push((f.to_string(), v.clone()));
                chain.push((f.to_string(), v.clone()));
            }
            matched.push(("wave".into(), count.to_string()));
            matched.push(("marked_since".into(), time_text(g.first_mark_ms)));
            matched.push(("marked_last".into(), time_text(g.last_mark_ms)));
            out.push(ExtFired {
                key: key.to_vec(),
                first_ms,
                last_ms: ms,
                host: input.host.clone(),
                sources,
                metric: count as f64,
                matched,
                chain,
                level: None,
            });
        }
        out
    }

    fn mark(&mut self, key: &[String], input: &ExtInput, overflow: &mut u64) {
        let ms = input.ms;
        if let Some(g) = self.groups.get_mut(key) {
            g.first_mark_ms = g.first_mark_ms.min(ms);
            if ms >= g.last_mark_ms {
                g.last_mark_ms = ms;
                g.mark_sources.clear();
                add_sources(&mut g.mark_sources, &input.sources);
            }
            return;
        }
        if self.groups.len() >= MAX_GROUPS {
            *overflow += 1;
            return;
        }
        let mut mark_sources = Vec::new();
        add_sources(&mut mark_sources, &input.sources);
        self.groups.insert(
            key.to_vec(),
            Group {
                first_mark_ms: ms,
                last_mark_ms: ms,
                mark_sources,
                waves: HashMap::new(),
            },
        );
    }

    /// Checks a restored state against the bounds a live one keeps.
    pub(crate) fn validate(&self, params: &MarkedParams, arity: usize) -> Result<(), String> {
        if self.groups.len() > MAX_GROUPS {
            return Err(format!(
                "{} groups (at most {MAX_GROUPS})",
                self.groups.len()
            ));
        }
        for (key, g) in &self.groups {
            if key.len() != arity
                || g.waves.len() > params.max_values
                || g.mark_sources.len() > crate::correlation::MAX_SOURCES
            {
                return Err("a group out of bounds".into());
            }
        }
        Ok(())
    }

    /// Forgets the groups whose latest mark is older than `span` before `now`.
    pub(crate) fn sweep(&mut self, now: i64, span_ms: i64) {
        self.groups
            .retain(|_, g| g.last_mark_ms >= now.saturating_sub(span_ms));
    }
}

fn forget_oldest(waves: &mut HashMap<String, Wave>) {
    let oldest = waves
        .iter()
        .min_by_key(|(_, w)| w.last_ms)
        .map(|(v, _)| v.clone());
    if let Some(v) = oldest {
        waves.remove(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn spec(p: &MarkedParams) -> Spec<'_> {
        Spec {
            params: p,
            span_ms: 90 * DAY,
            field: Some("user"),
        }
    }

    fn get<'a>(f: &'a ExtFired, name: &str) -> Option<&'a str> {
        f.matched
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn waves_of_a_marked_group_are_reported_each_once_for_as_long_as_the_mark_lasts() {
        let p = MarkedParams::default();
        let s = spec(&p);
        let mut st = MarkedState::default();
        let mut ov = 0;
        let net = vec!["203.0.113.0/24".to_string()];
        // A login before any spray is nobody's sequel.
        assert!(
            st.feed(&s, &net, ExtInput::one(1, 0, "ann"), &mut ov)
                .is_empty()
        );
        st.feed(&s, &net, ExtInput::one(0, HOUR, ""), &mut ov);
        // Every quiet gap shorter than a day is one wave; the first wave starts at the mark.
        let mut reported = Vec::new();
        for (day, hours) in [(0, 2..8), (33, 0..3), (64, 5..6)] {
            for h in hours {
                let ms = day * DAY + h * HOUR;
                reported.extend(st.feed(&s, &net, ExtInput::one(1, ms, "ann"), &mut ov));
            }
        }
        assert_eq!(reported.len(), 3, "one detection per wave");
        let waves: Vec<_> = reported.iter().map(|f| get(f, "wave")).collect();
        assert_eq!(waves, [Some("1"), Some("2"), Some("3")]);
        let firsts: Vec<_> = reported.iter().map(|f| f.first_ms).collect();
        assert_eq!(firsts, [HOUR, 33 * DAY, 64 * DAY + 5 * HOUR]);
        // Another account from the same network is its own sequel at once.
        let other = st.feed(
            &s,
            &net,
            ExtInput::one(1, 64 * DAY + 6 * HOUR, "bob"),
            &mut ov,
        );
        assert_eq!(other.len(), 1);
        assert_eq!(get(&other[0], "user"), Some("bob"));
        // Forgotten 90 days after the mark.
        assert!(
            st.feed(&s, &net, ExtInput::one(1, 100 * DAY, "cid"), &mut ov)
                .is_empty()
        );
        st.sweep(100 * DAY, 90 * DAY);
        assert!(st.groups.is_empty());
        assert_eq!(ov, 0);
    }

    #[test]
    fn a_new_mark_starts_a_new_wave_and_other_groups_are_not_marked() {
        let p = MarkedParams::default();
        let s = spec(&p);
        let mut st = MarkedState::default();
        let mut ov = 0;
        let net = vec!["a".to_string()];
        st.feed(&s, &net, ExtInput::one(0, 0, ""), &mut ov);
        assert_eq!(
            st.feed(&s, &net, ExtInput::one(1, HOUR, "ann"), &mut ov)
                .len(),
            1
        );
        st.feed(&s, &net, ExtInput::one(0, 2 * HOUR, ""), &mut ov);
        let again = st.feed(&s, &net, ExtInput::one(1, 3 * HOUR, "ann"), &mut ov);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].first_ms, 2 * HOUR);
        let elsewhere = vec!["b".to_string()];
        assert!(
            st.feed(&s, &elsewhere, ExtInput::one(1, 3 * HOUR, "ann"), &mut ov)
                .is_empty()
        );
    }

    #[test]
    fn values_per_group_are_capped() {
        let p = MarkedParams {
            max_values: 3,
            ..MarkedParams::default()
        };
        let s = spec(&p);
        let mut st = MarkedState::default();
        let mut ov = 0;
        let net = vec!["a".to_string()];
        st.feed(&s, &net, ExtInput::one(0, 0, ""), &mut ov);
        for i in 0..10 {
            st.feed(&s, &net, ExtInput::one(1, i + 1, &format!("u{i}")), &mut ov);
        }
        assert_eq!(ov, 7);
        assert!(st.validate(&p, 1).is_ok());
    }
}
