//! `vigil_new_value`: a group's first sight of a value, once the group has history.

use super::{ExtFired, ExtInput, NewValueParams, time_text};
use crate::correlation::MAX_GROUPS;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Serialize, Deserialize)]
struct Group {
    first_ms: i64,
    newest: i64,
    events: u64,
    /// Value → when it was last seen.
    values: HashMap<String, i64>,
}

/// The state of one `vigil_new_value` correlation in one stream.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct NewValueState {
    groups: HashMap<Vec<String>, Group>,
}

/// What one correlation definition contributes to a decision.
pub(crate) struct Spec<'a> {
    pub params: &'a NewValueParams,
    /// How long a value stays known after it was last seen.
    pub span_ms: i64,
    /// The condition's field names (one value combines them all when there are several).
    pub fields: &'a [String],
}

impl NewValueState {
    /// Feeds one event of group `key`; a detection when it brings a value the group has not
    /// seen within `span` and the group has history. `overflow` counts what caps dropped.
    pub(crate) fn feed(
        &mut self,
        spec: &Spec<'_>,
        key: &[String],
        input: ExtInput,
        overflow: &mut u64,
    ) -> Option<ExtFired> {
        if input.values.is_empty() {
            return None;
        }
        let ms = input.ms;
        // Looked up by the borrowed key: the key is copied only for a new group.
        if !self.groups.contains_key(key) {
            if self.groups.len() >= MAX_GROUPS {
                *overflow += 1;
                return None;
            }
            let g = Group {
                first_ms: ms,
                newest: ms,
                events: 0,
                values: HashMap::new(),
            };
            self.groups.insert(key.to_vec(), g);
        }
        let g = self.groups.get_mut(key)?;
        g.first_ms = g.first_ms.min(ms);
        g.newest = g.newest.max(ms);
        let learned = ms.saturating_sub(g.first_ms)
            >= spec.params.learning_secs.saturating_mul(1000)
            && g.events >= spec.params.min_events;
        let fresh = |last: i64| ms.saturating_sub(last) <= spec.span_ms;
        let known_before = g.values.values().filter(|&&last| fresh(last)).count();
        let mut new_values: Vec<String> = Vec::new();
        for v in input.values {
            let known = g.values.get(&v).is_some_and(|&last| fresh(last));
            if !known && !new_values.contains(&v) {
                new_values.push(v.clone());
            }
            let last = g.values.entry(v).or_insert(ms);
            *last = (*last).max(ms);
        }
        // Forget the least recently seen values beyond the cap (expired ones first by nature).
        while g.values.len() > spec.params.max_values {
            let oldest = g
                .values
                .iter()
                .min_by_key(|(_, last)| **last)
                .map(|(v, _)| v.clone());
            match oldest {
                Some(v) => {
                    g.values.remove(&v);
                    *overflow += 1;
                }
                None => break,
            }
        }
        let events_before = g.events;
        g.events = g.events.saturating_add(1);
        if !learned || new_values.is_empty() {
            return None;
        }
        let mut matched = Vec::new();
        let mut chain = Vec::new();
        match spec.fields {
            [one] => {
                matched.push((one.clone(), new_values.join(", ")));
                if let Some(first) = new_values.first() {
                    chain.push((one.clone(), first.clone()));
                }
            }
            several => {
                let first = new_values.first().cloned().unwrap_or_default();
                for (f, part) in several.iter().zip(first.split('\u{1f}')) {
                    matched.push((f.clone(), part.to_string()));
                    chain.push((f.clone(), part.to_string()));
                }
            }
        }
        matched.push(("known_values".into(), known_before.to_string()));
        matched.push(("history_events".into(), events_before.to_string()));
        matched.push(("history_since".into(), time_text(g.first_ms)));
        Some(ExtFired {
            key: key.to_vec(),
            first_ms: ms,
            last_ms: ms,
            host: input.host,
            sources: input.sources,
            metric: new_values.len() as f64,
            matched,
            chain,
            level: None,
        })
    }

    /// Checks a restored state against the bounds a live one keeps (see `crate::correlation`'s
    /// snapshots).
    pub(crate) fn validate(&self, params: &NewValueParams, arity: usize) -> Result<(), String> {
        if self.groups.len() > MAX_GROUPS {
            return Err(format!(
                "{} groups (at most {MAX_GROUPS})",
                self.groups.len()
            ));
        }
        for (key, g) in &self.groups {
            if key.len() != arity || g.values.len() > params.max_values {
                return Err("a group out of bounds".into());
            }
        }
        Ok(())
    }

    /// Forgets groups idle for longer than `span` before `now` (all of their values have expired;
    /// a group seen again starts a new history).
    pub(crate) fn sweep(&mut self, now: i64, span_ms: i64) {
        self.groups
            .retain(|_, g| g.newest >= now.saturating_sub(span_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn spec<'a>(p: &'a NewValueParams, fields: &'a [String]) -> Spec<'a> {
        Spec {
            params: p,
            span_ms: 30 * DAY,
            fields,
        }
    }

    fn input(ms: i64, v: &str) -> ExtInput {
        ExtInput::one(0, ms, v)
    }

    #[test]
    fn learns_silently_then_reports_each_new_value_once() {
        let p = NewValueParams::default();
        let fields = vec!["net".to_string()];
        let s = spec(&p, &fields);
        let mut st = NewValueState::default();
        let mut ov = 0;
        let key = vec!["alice".to_string()];
        // Two networks during the learning week: silent.
        for d in 0..8 {
            let v = if d % 2 == 0 { "home" } else { "office" };
            assert!(st.feed(&s, &key, input(d * DAY, v), &mut ov).is_none());
        }
        let fired = st.feed(&s, &key, input(9 * DAY, "attacker"), &mut ov);
        let fired = fired.expect("new network after learning");
        assert!(fired.matched.contains(&("net".into(), "attacker".into())));
        assert!(fired.matched.contains(&("known_values".into(), "2".into())));
        assert!(
            st.feed(&s, &key, input(9 * DAY + 1, "attacker"), &mut ov)
                .is_none()
        );
        assert!(
            st.feed(&s, &key, input(10 * DAY, "home"), &mut ov)
                .is_none()
        );
        // Forgotten after the timespan: new again.
        assert!(
            st.feed(&s, &key, input(45 * DAY, "office"), &mut ov)
                .is_some()
        );
        assert_eq!(ov, 0);
    }

    #[test]
    fn a_young_or_quiet_group_is_still_learning() {
        let p = NewValueParams {
            min_events: 5,
            ..NewValueParams::default()
        };
        let fields = vec!["net".to_string()];
        let s = spec(&p, &fields);
        let mut st = NewValueState::default();
        let mut ov = 0;
        let key = vec!["bob".to_string()];
        assert!(st.feed(&s, &key, input(0, "a"), &mut ov).is_none());
        // Old enough, but only one event of history.
        assert!(st.feed(&s, &key, input(8 * DAY, "b"), &mut ov).is_none());
    }

    #[test]
    fn values_per_group_are_capped() {
        let p = NewValueParams {
            max_values: 4,
            learning_secs: 0,
            min_events: 0,
        };
        let fields = vec!["net".to_string()];
        let s = spec(&p, &fields);
        let mut st = NewValueState::default();
        let mut ov = 0;
        let key = vec!["carol".to_string()];
        for i in 0..10 {
            st.feed(&s, &key, input(i, &format!("n{i}")), &mut ov);
        }
        assert_eq!(ov, 6);
        assert_eq!(st.groups.get(&key).map(|g| g.values.len()), Some(4));
        st.sweep(100 * DAY, 30 * DAY);
        assert!(st.groups.is_empty());
    }
}
