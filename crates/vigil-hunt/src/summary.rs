//! What a hunt counted, kept as it goes: events per file, detections by level and by rule, what
//! the per-rule cap held back, and what the correlations could not use. Its size grows with the
//! number of files and rules, never with the number of events or detections.

use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use vigil_logs::FileStats;
use vigil_model::{Detection, Level};

/// The outcome of a hunt, apart from the detections themselves.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HuntSummary {
    /// Per input: format, events, failures with their location, notes, or why it was skipped. In
    /// the order the inputs were given; inputs that could not be listed come last.
    pub files: Vec<FileStats>,
    /// Events read from every file.
    pub events_read: u64,
    /// Events evaluated (inside `--since`/`--until`).
    pub events_evaluated: u64,
    /// Records that failed to parse.
    pub records_failed: u64,
    /// Detections found at or above the minimum level, including those the cap held back.
    pub detections: u64,
    /// Detections handed to the sink.
    pub reported: u64,
    pub by_level: BTreeMap<Level, u64>,
    /// Per rule that fired, by level (highest first) then count.
    pub rules: Vec<RuleTally>,
    /// Detections reported per rule (0: no cap).
    pub max_per_rule: usize,
    pub correlation: CorrelationSummary,
    #[serde(skip)]
    rule_index: HashMap<String, usize>,
}

/// The detections of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTally {
    pub rule_id: String,
    pub rule_title: String,
    /// The rule's `author` (the Detection Rule License asks reports of matches to show it).
    pub rule_author: Option<String>,
    pub level: Level,
    /// Detections found; `found - reported` were held back by the per-rule cap.
    pub found: u64,
    pub reported: u64,
    /// Time of the first and last detection found.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Time of the first and last detection held back.
    pub suppressed_first: Option<Timestamp>,
    pub suppressed_last: Option<Timestamp>,
}

impl RuleTally {
    /// Detections held back by the per-rule cap.
    pub fn suppressed(&self) -> u64 {
        self.found - self.reported
    }
}

/// How the correlations went.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CorrelationSummary {
    /// Correlation rules in use.
    pub correlations: usize,
    /// Matched events fed to the correlations, in time order.
    pub events: u64,
    /// Matched events without a timestamp: no window can hold them.
    pub untimed: u64,
    /// Events older than their group's window when they arrived (only through chained
    /// correlations: the input is fed in time order).
    pub late: u64,
    /// Matches dropped because a correlation tracked too many groups or hits per group.
    pub overflow: u64,
    /// The matching events arrived in time order and were correlated while the files were read;
    /// otherwise they were correlated after, from the spool.
    pub in_order: bool,
    /// Runs of sorted records written to disk beyond the memory budget, and their bytes.
    pub spilled_runs: u64,
    pub spilled_bytes: u64,
    /// Why the correlations could not be evaluated (a spill file could not be written or read).
    pub failed: Option<String>,
}

impl HuntSummary {
    pub(crate) fn new(max_per_rule: usize, correlations: usize) -> Self {
        HuntSummary {
            max_per_rule,
            correlation: CorrelationSummary {
                correlations,
                ..CorrelationSummary::default()
            },
            ..HuntSummary::default()
        }
    }

    /// Counts a detection of a rule by `author`; true when it is to be reported (its rule is
    /// under the cap).
    pub(crate) fn admit(&mut self, d: &Detection, author: Option<&str>) -> bool {
        self.detections += 1;
        *self.by_level.entry(d.level).or_default() += 1;
        let i = match self.rule_index.get(&d.rule_id) {
            Some(&i) => i,
            None => {
                self.rules.push(RuleTally {
                    rule_id: d.rule_id.clone(),
                    rule_title: d.rule_title.clone(),
                    rule_author: author.map(str::to_string),
                    level: d.level,
                    found: 0,
                    reported: 0,
                    first: None,
                    last: None,
                    suppressed_first: None,
                    suppressed_last: None,
                });
                self.rule_index
                    .insert(d.rule_id.clone(), self.rules.len() - 1);
                self.rules.len() - 1
            }
        };
        let Some(tally) = self.rules.get_mut(i) else {
            return true;
        };
        tally.found += 1;
        widen(&mut tally.first, &mut tally.last, d.timestamp);
        let admit = self.max_per_rule == 0 || tally.reported < self.max_per_rule as u64;
        if admit {
            tally.reported += 1;
            self.reported += 1;
        } else {
            widen(
                &mut tally.suppressed_first,
                &mut tally.suppressed_last,
                d.timestamp,
            );
        }
        admit
    }

    /// Adds the detection counts of `other` (kept apart while it was not sure they would count).
    pub(crate) fn absorb(&mut self, other: HuntSummary) {
        self.detections += other.detections;
        self.reported += other.reported;
        for (level, n) in other.by_level {
            *self.by_level.entry(level).or_default() += n;
        }
        for t in other.rules {
            match self
                .rule_index
                .get(&t.rule_id)
                .and_then(|&i| self.rules.get_mut(i))
            {
                Some(mine) => {
                    mine.found += t.found;
                    mine.reported += t.reported;
                    for x in [t.first, t.last] {
                        widen(&mut mine.first, &mut mine.last, x);
                    }
                    for x in [t.suppressed_first, t.suppressed_last] {
                        widen(&mut mine.suppressed_first, &mut mine.suppressed_last, x);
                    }
                }
                None => {
                    self.rule_index.insert(t.rule_id.clone(), self.rules.len());
                    self.rules.push(t);
                }
            }
        }
    }

    /// Counts a finished file.
    pub(crate) fn add_file(&mut self, stats: &FileStats, evaluated: u64) {
        self.events_read += stats.events;
        self.records_failed += stats.failed;
        self.events_evaluated += evaluated;
    }

    /// Puts the rules in the order a reader wants them: highest level, then most detections.
    pub(crate) fn sort_rules(&mut self) {
        self.rules.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(b.found.cmp(&a.found))
                .then_with(|| a.rule_title.cmp(&b.rule_title))
        });
        self.rule_index.clear();
    }

    /// Rules with detections held back by the cap.
    pub fn capped(&self) -> impl Iterator<Item = &RuleTally> {
        self.rules.iter().filter(|r| r.suppressed() > 0)
    }

    /// Inputs that were not read, or not completely.
    pub fn inputs_failed(&self) -> bool {
        self.files
            .iter()
            .any(|f| f.skipped.is_some() || f.failed > 0)
    }

    /// Whether a detection at or above `level` was found (reported or held back).
    pub fn found_at_or_above(&self, level: Level) -> bool {
        self.by_level.range(level..).any(|(_, &n)| n > 0)
    }

    /// Whether the correlations could not assess everything they were given.
    pub fn correlation_incomplete(&self) -> bool {
        self.correlation.failed.is_some() || self.correlation.overflow > 0
    }
}

fn widen(first: &mut Option<Timestamp>, last: &mut Option<Timestamp>, t: Option<Timestamp>) {
    let Some(t) = t else { return };
    if first.is_none_or(|f| t < f) {
        *first = Some(t);
    }
    if last.is_none_or(|l| t > l) {
        *last = Some(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(rule: &str, level: Level, secs: i64) -> Detection {
        Detection {
            rule_id: rule.into(),
            rule_title: format!("title of {rule}"),
            level,
            tags: vec![],
            timestamp: Timestamp::from_second(secs).ok(),
            first_seen: None,
            host: None,
            sources: vec![],
            matched: vec![],
        }
    }

    #[test]
    fn the_cap_holds_back_and_counts_per_rule() {
        let mut s = HuntSummary::new(2, 0);
        let admitted: Vec<bool> = [5, 3, 9, 1]
            .into_iter()
            .map(|t| s.admit(&det("a", Level::Low, t), None))
            .collect();
        assert_eq!(admitted, [true, true, false, false]);
        assert!(s.admit(&det("b", Level::High, 4), None));
        s.sort_rules();
        assert_eq!(s.rules[0].rule_id, "b", "highest level first");
        let a = &s.rules[1];
        assert_eq!((a.found, a.reported, a.suppressed()), (4, 2, 2));
        assert_eq!(a.first, Timestamp::from_second(1).ok());
        assert_eq!(a.last, Timestamp::from_second(9).ok());
        assert_eq!(a.suppressed_first, Timestamp::from_second(1).ok());
        assert_eq!(a.suppressed_last, Timestamp::from_second(9).ok());
        assert_eq!((s.detections, s.reported), (5, 3));
        assert_eq!(s.capped().count(), 1);
        assert!(s.found_at_or_above(Level::High));
        assert!(!s.found_at_or_above(Level::Critical));
    }

    #[test]
    fn absorbing_adds_counts_and_widens_times() {
        let mut a = HuntSummary::new(0, 0);
        a.admit(&det("x", Level::Low, 5), None);
        let mut b = HuntSummary::new(0, 0);
        b.admit(&det("x", Level::Low, 9), None);
        b.admit(&det("y", Level::High, 1), None);
        a.absorb(b);
        assert_eq!((a.detections, a.reported), (3, 3));
        assert_eq!(a.by_level.get(&Level::Low), Some(&2));
        let x = a.rules.iter().find(|r| r.rule_id == "x").unwrap();
        assert_eq!(
            (x.found, x.first, x.last),
            (
                2,
                Timestamp::from_second(5).ok(),
                Timestamp::from_second(9).ok()
            )
        );
        assert_eq!(a.rules.len(), 2);
    }

    #[test]
    fn no_cap_reports_everything() {
        let mut s = HuntSummary::new(0, 0);
        assert!((0..5000).all(|t| s.admit(&det("a", Level::Low, t), None)));
        assert_eq!(s.capped().count(), 0);
    }
}
