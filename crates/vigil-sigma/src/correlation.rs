//! Correlation rules: counting, distinct values, temporal proximity (ordered or not) and
//! metrics (sum, average, percentile) over sliding windows per group.
//!
//! Events must be fed in time order per group. An event older than the newest one of its group
//! is still placed in order when it falls inside the window; one older than the window is
//! dropped and counted in [`Correlator::late_events`]. Events without a timestamp cannot be
//! windowed and are ignored (counted in [`Correlator::untimed_events`]).
//!
//! When a correlation is decided:
//! - conditions with only lower bounds (`gt`, `gte`) on `event_count`, `value_count` and
//!   `value_sum`, and every `temporal`/`temporal_ordered`/`value_avg` correlation, are decided
//!   when an event arrives, over the window ending at that event; after a detection the group's
//!   window is emptied so one burst gives one detection;
//! - conditions with an upper bound (`lt`, `lte`, `eq`, `neq`, ranges) on the counting types are
//!   decided when a window closes: the window starts at the group's oldest event and closes
//!   once time (any event's, or [`Correlator::finish`]) passes its end; the next window starts
//!   at the first later event (consecutive windows, so a tail of a busy window never counts as
//!   a quiet one);
//! - `value_percentile` ranks the arriving event's value among the window's values (share of
//!   values ≤ it for numbers, share of equal values for text, in percent) and fires for each
//!   event whose rank meets the condition.
//!
//! vigil's extension types (`vigil_new_value`, `vigil_baseline`, `vigil_marked`) keep their state in
//! [`crate::extensions`]; this module only routes their events and emits what they decide.

use crate::compiled::CompiledRule;
use crate::engine::Engine;
use crate::error::RuleError;
use crate::extensions::{self, ExtFired, ExtInput};
use crate::mapping::{FieldMapping, Mappings};
use crate::rule::{Correlation, CorrelationType, RuleMeta};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use vigil_model::{Detection, Event, Level, SourceRef, Timestamp};

mod shared;
mod snapshot;
use shared::{Shared, Sources};
pub use snapshot::{MAX_SNAPSHOT_BYTES, SnapshotError};

/// Most source references a correlation detection cites.
pub const MAX_SOURCES: usize = 64;
/// Most hits kept per group window.
pub const MAX_GROUP_HITS: usize = 10_000;
/// Most groups tracked per correlation.
pub const MAX_GROUPS: usize = 1_000_000;
const SWEEP_EVERY: u64 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Ref {
    Rule,
    Corr(usize),
}

#[derive(Debug)]
pub(crate) struct CompiledCorrelation {
    meta: Arc<RuleMeta>,
    key: String,
    level: Level,
    def: Correlation,
    refs: Vec<Ref>,
    /// Per referenced rule: the field to read for each `group-by` entry (aliases applied).
    group_fields: Vec<Vec<String>>,
    reported: bool,
}

/// Compiled correlation definitions, shared by every [`Correlator`].
#[derive(Debug, Default)]
pub(crate) struct CorrelationSet {
    corrs: Vec<CompiledCorrelation>,
    /// Base rule key → (correlation, reference position).
    by_rule: HashMap<String, Vec<(usize, usize)>>,
    /// Correlation → the correlations that reference it.
    by_corr: Vec<Vec<(usize, usize)>>,
    /// Key, id and name → the first correlation that has it (looked up for every correlation
    /// detection a hunt counts, by the million on a large input).
    by_key: HashMap<String, usize>,
}

impl CorrelationSet {
    pub(crate) fn len(&self) -> usize {
        self.corrs.len()
    }

    pub(crate) fn meta_of(&self, key: &str) -> Option<&RuleMeta> {
        self.by_key
            .get(key)
            .and_then(|&i| self.corrs.get(i))
            .map(|c| c.meta.as_ref())
    }
}

pub(crate) fn compile_correlations(
    defs: &[Correlation],
    rule_keys: &HashMap<String, usize>,
    rules: &mut [CompiledRule],
) -> (CorrelationSet, Vec<RuleError>) {
    let mut errors = Vec::new();
    let err = |c: &Correlation, path: &str, reason: String| {
        RuleError::new(&c.meta.origin, None, path, reason).with_rule(Some(c.meta.key()))
    };
    // Keys of correlations.
    let mut corr_keys: HashMap<String, usize> = HashMap::new();
    let mut usable = vec![true; defs.len()];
    for (i, c) in defs.iter().enumerate() {
        for k in [c.meta.id.as_ref(), c.meta.name.as_ref()]
            .into_iter()
            .flatten()
        {
            if rule_keys.contains_key(k) || corr_keys.contains_key(k) {
                errors.push(err(c, "id", format!("duplicate rule id or name '{k}'")));
                usable[i] = false;
            } else {
                corr_keys.insert(k.clone(), i);
            }
        }
    }
    // Resolve references.
    let mut refs: Vec<Vec<(Ref, Option<usize>)>> = Vec::with_capacity(defs.len());
    for (i, c) in defs.iter().enumerate() {
        let mut v = Vec::new();
        for r in &c.rules {
            if let Some(&ri) = rule_keys.get(r) {
                v.push((Ref::Rule, Some(ri)));
            } else if let Some(&ci) = corr_keys.get(r) {
                v.push((Ref::Corr(ci), None));
            } else {
                errors.push(err(c, "correlation.rules", format!("unknown rule '{r}'")));
                usable[i] = false;
            }
        }
        refs.push(v);
    }
    // Reject cycles and correlations built on unusable ones (iterate to a fixed point).
    let depth_ok = |start: usize, refs: &Vec<Vec<(Ref, Option<usize>)>>| -> bool {
        let mut stack = vec![(start, 0usize)];
        while let Some((c, d)) = stack.pop() {
            if d > defs.len() {
                return false;
            }
            for (r, _) in refs.get(c).map_or(&[][..], |v| &v[..]) {
                if let Ref::Corr(n) = r {
                    if *n == start {
                        return false;
                    }
                    stack.push((*n, d + 1));
                }
            }
        }
        true
    };
    for (i, c) in defs.iter().enumerate() {
        if usable[i] && !depth_ok(i, &refs) {
            errors.push(err(
                c,
                "correlation.rules",
                "correlation chain forms a cycle".into(),
            ));
            usable[i] = false;
        }
    }
    loop {
        let mut changed = false;
        for i in 0..defs.len() {
            if usable[i]
                && refs[i]
                    .iter()
                    .any(|(r, _)| matches!(r, Ref::Corr(n) if !usable[*n]))
            {
                usable[i] = false;
                changed = true;
                if let Some(c) = defs.get(i) {
                    errors.push(err(
                        c,
                        "correlation.rules",
                        "refers to a correlation that was not loaded".into(),
                    ));
                }
            }
        }
        if !changed {
            break;
        }
    }
    // Keep the usable ones, renumbered.
    let mut new_index = vec![usize::MAX; defs.len()];
    let mut next = 0;
    for i in 0..defs.len() {
        if usable[i] {
            new_index[i] = next;
            next += 1;
        }
    }
    let mut set = CorrelationSet {
        by_corr: vec![Vec::new(); next],
        ..Default::default()
    };
    let mut referenced_by_corr = vec![(false, false); next]; // (referenced, by a generating one)
    let mut rule_refs: Vec<(usize, bool)> = Vec::new();
    for (i, c) in defs.iter().enumerate() {
        if !usable[i] {
            continue;
        }
        let ci = new_index[i];
        let mut crefs = Vec::new();
        let mut group_fields = Vec::new();
        for (pos, (r, ri)) in refs[i].iter().enumerate() {
            let written = c.rules.get(pos).cloned().unwrap_or_default();
            let r = match r {
                Ref::Rule => {
                    if let Some(ri) = ri
                        && let Some(rule) = rules.get(*ri)
                    {
                        set.by_rule
                            .entry(rule.key.clone())
                            .or_default()
                            .push((ci, pos));
                        rule_refs.push((*ri, c.generate));
                    }
                    Ref::Rule
                }
                Ref::Corr(n) => {
                    let n = new_index[*n];
                    if let Some(v) = set.by_corr.get_mut(n) {
                        v.push((ci, pos));
                    }
                    if let Some(f) = referenced_by_corr.get_mut(n) {
                        f.0 = true;
                        f.1 |= c.generate;
                    }
                    Ref::Corr(n)
                }
            };
            crefs.push(r);
            // Names under which this reference may appear in `aliases`.
            let mut names = vec![written.clone()];
            if let Some(ri) = ri
                && let Some(rule) = rules.get(*ri)
            {
                names.extend(rule.meta.id.clone());
                names.extend(rule.meta.name.clone());
            }
            let fields = c
                .group_by
                .iter()
                .map(|g| {
                    c.aliases
                        .iter()
                        .find(|(a, _)| a == g)
                        .and_then(|(_, per)| per.iter().find(|(rn, _)| names.contains(rn)))
                        .map_or_else(|| g.clone(), |(_, f)| f.clone())
                })
                .collect();
            group_fields.push(fields);
        }
        set.corrs.push(CompiledCorrelation {
            meta: Arc::new(c.meta.clone()),
            key: c.meta.key(),
            level: c.meta.level.unwrap_or(Level::Medium),
            def: c.clone(),
            refs: crefs,
            group_fields,
            reported: true,
        });
    }
    for (ci, c) in set.corrs.iter().enumerate() {
        for k in [Some(&c.key), c.meta.id.as_ref(), c.meta.name.as_ref()]
            .into_iter()
            .flatten()
        {
            set.by_key.entry(k.clone()).or_insert(ci);
        }
    }
    for (ci, (referenced, generated)) in referenced_by_corr.into_iter().enumerate() {
        if let Some(c) = set.corrs.get_mut(ci) {
            c.reported = !referenced || generated;
        }
    }
    // Building blocks are silent unless some referencing correlation generates them.
    let mut gen_map: HashMap<usize, bool> = HashMap::new();
    for (ri, generate) in rule_refs {
        *gen_map.entry(ri).or_insert(false) |= generate;
    }
    for (ri, generate) in gen_map {
        if let Some(r) = rules.get_mut(ri) {
            r.reported = generate;
        }
    }
    (set, errors)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Hit {
    ms: i64,
    seq: u64,
    pos: usize,
    value: Option<String>,
    num: Option<f64>,
    host: Option<Arc<str>>,
    sources: Sources,
}

#[derive(Debug, Serialize, Deserialize)]
struct Group {
    hits: VecDeque<Hit>,
    newest: i64,
}

/// Where a hit's field values come from: an event (with the field mapping of its log source,
/// selected once per event), or the fields a chained detection carries.
enum Fields<'a> {
    Event(&'a Event, Option<&'a FieldMapping>),
    Map(&'a BTreeMap<String, String>),
}

/// Most values read from one list field for an extension (each element counts).
pub(crate) const MAX_LIST_VALUES: usize = 10_000;

impl<'a> Fields<'a> {
    /// The event fields a Sigma field name stands for, in the mapping's order.
    fn names(map: Option<&'a FieldMapping>, name: &'a str) -> impl Iterator<Item = &'a str> {
        let mapped = map.and_then(|m| m.fields.get(name));
        let own = mapped.is_none().then_some(name);
        mapped.into_iter().flatten().map(String::as_str).chain(own)
    }

    /// Every value of a field: each element of a list, or the one value.
    fn get_all(&self, name: &str) -> Vec<String> {
        match self {
            Fields::Map(m) => m.get(name).cloned().into_iter().collect(),
            Fields::Event(ev, map) => {
                for n in Fields::names(*map, name) {
                    match ev.fields.get(n) {
                        Some(vigil_model::FieldValue::List(items)) => {
                            return items
                                .iter()
                                .filter_map(|i| i.as_text().map(|t| t.into_owned()))
                                .take(MAX_LIST_VALUES)
                                .collect();
                        }
                        Some(other) => {
                            if let Some(t) = other.as_text() {
                                return vec![t.into_owned()];
                            }
                        }
                        None => {}
                    }
                }
                Vec::new()
            }
        }
    }

    /// A field's value (a list's first element), borrowed where the event holds it as text.
    fn get_text(&self, name: &str) -> Option<Cow<'a, str>> {
        match self {
            Fields::Map(m) => m.get(name).map(|v| Cow::Borrowed(v.as_str())),
            Fields::Event(ev, map) => Fields::names(*map, name).find_map(|n| {
                ev.fields.get(n).and_then(|v| match v {
                    vigil_model::FieldValue::List(items) => items.first().and_then(|i| i.as_text()),
                    other => other.as_text(),
                })
            }),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.get_text(name).map(Cow::into_owned)
    }
}

/// Correlation state for one ordered stream of matches. Create one per stream; it shares the
/// engine's compiled definitions.
#[derive(Debug)]
pub struct Correlator {
    set: Arc<CorrelationSet>,
    mappings: Arc<Mappings>,
    groups: Vec<HashMap<Vec<String>, Group>>,
    /// Per correlation: the state of an extension type.
    ext: Vec<extensions::State>,
    seq: u64,
    feeds: u64,
    newest: i64,
    late: u64,
    untimed: u64,
    overflow: u64,
    /// Host and file names shared by the hits (not part of a snapshot: a cache).
    shared: Shared,
    /// The group key of the hit being processed, kept between hits for its strings' capacity.
    key_buf: Vec<String>,
}

struct Input<'a> {
    ms: i64,
    pos: usize,
    fields: Fields<'a>,
    host: Option<Arc<str>>,
    sources: Sources,
}

impl Correlator {
    pub fn new(engine: &Engine) -> Self {
        let set = Arc::clone(&engine.correlations);
        let n = set.corrs.len();
        let ext = set
            .corrs
            .iter()
            .map(|c| extensions::State::for_def(&c.def))
            .collect();
        Correlator {
            set,
            mappings: Arc::new(engine.mappings.clone()),
            groups: (0..n).map(|_| HashMap::new()).collect(),
            ext,
            seq: 0,
            feeds: 0,
            newest: i64::MIN,
            late: 0,
            untimed: 0,
            overflow: 0,
            shared: Shared::default(),
            key_buf: Vec::new(),
        }
    }

    /// Events dropped because they arrived after their window had passed.
    pub fn late_events(&self) -> u64 {
        self.late
    }

    /// Matching events ignored because they carry no timestamp.
    pub fn untimed_events(&self) -> u64 {
        self.untimed
    }

    /// Matches dropped because a correlation tracked too many groups or hits.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Feeds one event and the matches [`Engine::all_matches`] found for it; correlation
    /// detections are appended to `out`.
    pub fn feed(&mut self, ev: &Event, base_matches: &[Detection], out: &mut Vec<Detection>) {
        if base_matches.is_empty() || self.set.corrs.is_empty() {
            return;
        }
        let Some(ts) = ev.timestamp else {
            if base_matches
                .iter()
                .any(|d| self.set.by_rule.contains_key(&d.rule_id))
            {
                self.untimed += 1;
            }
            return;
        };
        let ms = ts.as_millisecond();
        let set = Arc::clone(&self.set);
        let maps = Arc::clone(&self.mappings);
        let map = maps
            .select(&ev.logsource)
            .and_then(|i| maps.entries.get(i))
            .map(|(_, m)| m);
        let host = ev.host.as_deref().map(|h| self.shared.name(h));
        for d in base_matches {
            let Some(targets) = set.by_rule.get(&d.rule_id) else {
                continue;
            };
            let sources = self.shared.sources(&d.sources);
            for &(ci, pos) in targets {
                let input = Input {
                    ms,
                    pos,
                    fields: Fields::Event(ev, map),
                    host: host.clone(),
                    sources: sources.clone(),
                };
                self.process(&set, ci, input, 0, out);
            }
        }
        if ms > self.newest {
            self.newest = ms;
        }
        self.feeds += 1;
        if self.feeds.is_multiple_of(SWEEP_EVERY) {
            self.sweep(&set, Some(self.newest), out);
        }
    }

    /// Closes the windows that ended before `now` and forgets idle groups, as a later event would:
    /// for a live stream whose sources fall quiet (or after a restart), so that a window decided
    /// when it closes is reported when its time has passed rather than at the next event.
    pub fn expire(&mut self, now: Timestamp, out: &mut Vec<Detection>) {
        let set = Arc::clone(&self.set);
        let now = now.as_millisecond();
        self.newest = self.newest.max(now);
        self.sweep(&set, Some(now), out);
    }

    /// Closes every open window (end of input) and reports what they hold.
    pub fn finish(&mut self, out: &mut Vec<Detection>) {
        let set = Arc::clone(&self.set);
        self.sweep(&set, None, out);
    }

    /// Closes windows that ended before `now` (all when `None`) and forgets idle groups.
    fn sweep(&mut self, set: &Arc<CorrelationSet>, now: Option<i64>, out: &mut Vec<Detection>) {
        for ci in 0..set.corrs.len() {
            let Some(c) = set.corrs.get(ci) else { continue };
            if c.def.kind.is_vigil_extension() {
                let mut fired = Vec::new();
                if let Some(st) = self.ext.get_mut(ci) {
                    st.sweep(&c.def, now, &mut fired);
                }
                self.emit_ext(set, ci, fired, 0, out);
                continue;
            }
            let span = c.def.timespan_secs.saturating_mul(1000);
            let Some(groups) = self.groups.get_mut(ci) else {
                continue;
            };
            let mut keys: Vec<(i64, Vec<String>)> = groups
                .iter()
                .filter(|(_, g)| now.is_none_or(|n| g.newest < n.saturating_sub(span)))
                .map(|(k, g)| (g.hits.front().map_or(i64::MIN, |h| h.ms), k.clone()))
                .collect();
            // In the order the windows opened, not the map's (random) order: the same stream gives
            // the same detections in the same order, restored from a snapshot or not.
            keys.sort_unstable();
            let mut fired = Vec::new();
            for (_, k) in keys {
                if let Some(mut g) = groups.remove(&k)
                    && decided_on_close(c)
                {
                    close_windows(c, &mut g, i64::MAX, &k, &mut fired);
                }
            }
            for (k, hits, metric) in fired {
                self.emit(set, ci, &k, &hits, metric, out);
            }
        }
    }

    fn process(
        &mut self,
        set: &Arc<CorrelationSet>,
        ci: usize,
        input: Input<'_>,
        depth: usize,
        out: &mut Vec<Detection>,
    ) {
        let Some(c) = set.corrs.get(ci) else { return };
        if depth > set.corrs.len() {
            return;
        }
        self.seq += 1;
        // The group key, written into the strings of the previous hit's key (this runs for every
        // hit of every correlation: no allocation once they have grown).
        let mut key = std::mem::take(&mut self.key_buf);
        let names = c.group_fields.get(input.pos).map_or(&[][..], |v| &v[..]);
        key.truncate(names.len());
        key.resize_with(names.len(), String::new);
        for (slot, f) in key.iter_mut().zip(names) {
            slot.clear();
            if let Some(v) = input.fields.get_text(f) {
                slot.push_str(&v);
            }
        }
        self.process_keyed(set, ci, c, &key, input, depth, out);
        self.key_buf = key;
    }

    #[allow(clippy::too_many_arguments)]
    fn process_keyed(
        &mut self,
        set: &Arc<CorrelationSet>,
        ci: usize,
        c: &CompiledCorrelation,
        key: &[String],
        input: Input<'_>,
        depth: usize,
        out: &mut Vec<Detection>,
    ) {
        if c.def.kind.is_vigil_extension() {
            let Some(values) = ext_values(c, &input.fields) else {
                return; // the event lacks one of the combined fields
            };
            let extra = extensions::extra_fields(&c.def);
            let ext_input = ExtInput {
                pos: input.pos,
                ms: input.ms,
                values,
                learn: extra
                    .learn
                    .map(|f| input.fields.get_all(f))
                    .unwrap_or_default(),
                event_key: extra.event_key.and_then(|f| input.fields.get(f)),
                origin: extra.origin.and_then(|f| input.fields.get(f)),
                host: input.host.as_deref().map(str::to_string),
                sources: input.sources.to_refs(),
            };
            let mut fired = Vec::new();
            if let Some(st) = self.ext.get_mut(ci) {
                st.feed(&c.def, key, ext_input, &mut self.overflow, &mut fired);
            }
            self.emit_ext(set, ci, fired, depth, out);
            return;
        }
        let (value, num) = if c.def.kind.needs_field() {
            let v = match c.def.condition.field.as_slice() {
                [one] => match input.fields.get_text(one) {
                    Some(v) => v.into_owned(),
                    None => return, // the event lacks the aggregated field
                },
                several => {
                    let mut parts = Vec::new();
                    for f in several {
                        match input.fields.get_text(f) {
                            Some(v) => parts.push(v),
                            None => return,
                        }
                    }
                    parts.join("\u{1f}")
                }
            };
            let n = v.trim().parse::<f64>().ok();
            if matches!(
                c.def.kind,
                CorrelationType::ValueSum | CorrelationType::ValueAvg
            ) && n.is_none()
            {
                return;
            }
            (Some(v), n)
        } else {
            (None, None)
        };
        let Some(groups) = self.groups.get_mut(ci) else {
            return;
        };
        let hit = Hit {
            ms: input.ms,
            seq: self.seq,
            pos: input.pos,
            value,
            num,
            host: input.host,
            sources: input.sources,
        };
        let mut counts = Counts {
            late: &mut self.late,
            overflow: &mut self.overflow,
        };
        // Looked up once by the borrowed key (hashing it is a good part of a hit's cost); the key
        // is copied only for a new group.
        let fired = match groups.get_mut(key) {
            Some(g) => add_hit(c, g, key, hit, &mut counts),
            None => {
                if groups.len() >= MAX_GROUPS {
                    *counts.overflow += 1;
                    return;
                }
                let g = groups.entry(key.to_vec()).or_insert(Group {
                    hits: VecDeque::new(),
                    newest: i64::MIN,
                });
                add_hit(c, g, key, hit, &mut counts)
            }
        };
        let chained = set.by_corr.get(ci).is_some_and(|p| !p.is_empty());
        for (hits, metric) in fired {
            self.emit(set, ci, key, &hits, metric, out);
            if chained {
                let ms = hits.iter().map(|h| h.ms).max().unwrap_or(input.ms);
                let (host, sources) = (common_host(&hits), collect_sources(&hits));
                self.chain(set, ci, key, &[], (ms, host, sources), depth, out);
            }
        }
    }

    /// Chained correlations see a detection of `ci` as one of their events, with the group-by
    /// values (and an extension's `extra` fields).
    #[allow(clippy::too_many_arguments)]
    fn chain(
        &mut self,
        set: &Arc<CorrelationSet>,
        ci: usize,
        key: &[String],
        extra: &[(String, String)],
        (ms, host, sources): (i64, Option<String>, Vec<SourceRef>),
        depth: usize,
        out: &mut Vec<Detection>,
    ) {
        let Some(parents) = set.by_corr.get(ci) else {
            return;
        };
        let mut fields = BTreeMap::new();
        if let Some(c) = set.corrs.get(ci) {
            for (g, v) in c.def.group_by.iter().zip(key) {
                fields.insert(g.clone(), v.clone());
            }
        }
        for (k, v) in extra {
            fields.insert(k.clone(), v.clone());
        }
        let host = host.as_deref().map(|h| self.shared.name(h));
        let sources = self.shared.sources(&sources);
        for &(pi, pos) in parents {
            let input = Input {
                ms,
                pos,
                fields: Fields::Map(&fields),
                host: host.clone(),
                sources: sources.clone(),
            };
            self.process(set, pi, input, depth + 1, out);
        }
    }

    /// Emits what an extension decided and chains it.
    fn emit_ext(
        &mut self,
        set: &Arc<CorrelationSet>,
        ci: usize,
        fired: Vec<ExtFired>,
        depth: usize,
        out: &mut Vec<Detection>,
    ) {
        for f in fired {
            if let Some(c) = set.corrs.get(ci)
                && c.reported
            {
                let mut matched: Vec<(String, String)> = c
                    .def
                    .group_by
                    .iter()
                    .cloned()
                    .zip(f.key.iter().cloned())
                    .collect();
                matched.push((c.def.kind.name().to_string(), format_metric(f.metric)));
                matched.extend(f.matched.iter().cloned());
                out.push(Detection {
                    rule_id: c.key.clone(),
                    rule_title: c.meta.title.clone(),
                    level: f.level.map_or(c.level, |l| l.min(c.level)),
                    tags: c.meta.tags.clone(),
                    timestamp: Timestamp::from_millisecond(f.last_ms).ok(),
                    first_seen: Timestamp::from_millisecond(f.first_ms).ok(),
                    host: f.host.clone(),
                    sources: f.sources.clone(),
                    matched,
                });
            }
            let at = (f.last_ms, f.host, f.sources);
            self.chain(set, ci, &f.key, &f.chain, at, depth, out);
        }
    }

    fn emit(
        &self,
        set: &CorrelationSet,
        ci: usize,
        key: &[String],
        hits: &[Hit],
        metric: f64,
        out: &mut Vec<Detection>,
    ) {
        let Some(c) = set.corrs.get(ci) else { return };
        if !c.reported || hits.is_empty() {
            return;
        }
        let mut matched: Vec<(String, String)> = c
            .def
            .group_by
            .iter()
            .cloned()
            .zip(key.iter().cloned())
            .collect();
        matched.push((kind_label(c.def.kind).to_string(), format_metric(metric)));
        let ms = hits.iter().map(|h| h.ms).max().unwrap_or(0);
        let first_ms = hits.iter().map(|h| h.ms).min().unwrap_or(ms);
        out.push(Detection {
            rule_id: c.key.clone(),
            rule_title: c.meta.title.clone(),
            level: c.level,
            tags: c.meta.tags.clone(),
            timestamp: Timestamp::from_millisecond(ms).ok(),
            first_seen: Timestamp::from_millisecond(first_ms).ok(),
            host: common_host(hits),
            sources: collect_sources(hits),
            matched,
        });
    }
}

/// The values an extension aggregates: every element of a list field, or one value combining
/// several fields (`None` when the event lacks one of them); none when no field is named.
fn ext_values(c: &CompiledCorrelation, fields: &Fields<'_>) -> Option<Vec<String>> {
    match c.def.condition.field.as_slice() {
        [] => Some(Vec::new()),
        [one] => Some(fields.get_all(one)),
        several => {
            let mut parts = Vec::new();
            for f in several {
                parts.push(fields.get(f)?);
            }
            Some(vec![parts.join("\u{1f}")])
        }
    }
}

fn kind_label(k: CorrelationType) -> &'static str {
    match k {
        CorrelationType::EventCount => "event_count",
        CorrelationType::ValueCount => "value_count",
        CorrelationType::Temporal | CorrelationType::TemporalOrdered => "rules_matched",
        CorrelationType::ValueSum => "value_sum",
        CorrelationType::ValueAvg => "value_avg",
        CorrelationType::ValuePercentile => "value_percentile",
        other => other.name(),
    }
}

fn format_metric(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.3}")
    }
}

fn common_host(hits: &[Hit]) -> Option<String> {
    shared::common_host(hits.iter().map(|h| &h.host))
}

fn collect_sources(hits: &[Hit]) -> Vec<SourceRef> {
    shared::collect(hits.iter().map(|h| &h.sources), MAX_SOURCES)
}

/// The correlator's counters a hit may add to.
struct Counts<'a> {
    late: &'a mut u64,
    overflow: &'a mut u64,
}

/// Adds a hit to its group's window and returns the windows it decided (with their metric): those
/// that closed before it, or the window it completed.
fn add_hit(
    c: &CompiledCorrelation,
    g: &mut Group,
    key: &[String],
    hit: Hit,
    counts: &mut Counts<'_>,
) -> Vec<(Vec<Hit>, f64)> {
    let span = c.def.timespan_secs.saturating_mul(1000);
    let mut fired: Vec<(Vec<Hit>, f64)> = Vec::new();
    if !g.hits.is_empty() && hit.ms < g.newest.saturating_sub(span) {
        *counts.late += 1;
        return fired;
    }
    // Windows that end before this event are decided now.
    if decided_on_close(c) {
        let mut closed = Vec::new();
        close_windows(c, g, hit.ms, key, &mut closed);
        fired.extend(closed.into_iter().map(|(_, h, m)| (h, m)));
    }
    let ms = hit.ms;
    let at = g
        .hits
        .partition_point(|h| (h.ms, h.seq) <= (hit.ms, hit.seq));
    g.hits.insert(at, hit);
    if g.hits.len() > MAX_GROUP_HITS {
        g.hits.pop_front();
        *counts.overflow += 1;
    }
    g.newest = g.newest.max(ms);
    let newest = g.newest;
    while g
        .hits
        .front()
        .is_some_and(|h| h.ms < newest.saturating_sub(span))
    {
        g.hits.pop_front();
    }
    if !decided_on_close(c)
        && let Some(decided) = decide_on_arrival(c, g, at)
    {
        fired.push(decided);
    }
    fired
}

/// Whether the correlation waits for its window to close before deciding.
fn decided_on_close(c: &CompiledCorrelation) -> bool {
    matches!(
        c.def.kind,
        CorrelationType::EventCount | CorrelationType::ValueCount | CorrelationType::ValueSum
    ) && !c.def.condition.only_lower_bounds()
}

/// The aggregate a correlation's condition is tested on, over a set of hits.
fn aggregate(c: &CompiledCorrelation, hits: &[Hit]) -> f64 {
    match c.def.kind {
        CorrelationType::EventCount => hits.len() as f64,
        CorrelationType::ValueCount => {
            let mut vals: Vec<&str> = hits.iter().filter_map(|h| h.value.as_deref()).collect();
            vals.sort_unstable();
            vals.dedup();
            vals.len() as f64
        }
        CorrelationType::Temporal | CorrelationType::TemporalOrdered => {
            let mut pos: Vec<usize> = hits.iter().map(|h| h.pos).collect();
            pos.sort_unstable();
            pos.dedup();
            pos.len() as f64
        }
        CorrelationType::ValueSum => hits.iter().filter_map(|h| h.num).sum(),
        CorrelationType::ValueAvg => {
            let nums: Vec<f64> = hits.iter().filter_map(|h| h.num).collect();
            if nums.is_empty() {
                0.0
            } else {
                nums.iter().sum::<f64>() / nums.len() as f64
            }
        }
        CorrelationType::ValuePercentile => match hits.last() {
            Some(last) => percentile_rank(hits, last),
            None => 0.0,
        },
        // Decided in crate::extensions, never here.
        CorrelationType::VigilNewValue
        | CorrelationType::VigilBaseline
        | CorrelationType::VigilMarked => 0.0,
    }
}

/// Share (percent) of the window's values at or below the given hit's value (numbers), or equal
/// to it (text).
fn percentile_rank(hits: &[Hit], of: &Hit) -> f64 {
    let n = hits.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let k = match of.num {
        Some(x) if hits.iter().all(|h| h.num.is_some()) => hits
            .iter()
            .filter(|h| h.num.is_some_and(|y| y <= x))
            .count(),
        _ => hits.iter().filter(|h| h.value == of.value).count(),
    };
    100.0 * k as f64 / n
}

/// Decides windows that closed before `now`. A window starts at the group's oldest hit and
/// holds every hit up to `timespan` later; decided windows (fired or not) are consumed, so the
/// next window starts at the first later hit.
fn close_windows(
    c: &CompiledCorrelation,
    g: &mut Group,
    now: i64,
    key: &[String],
    fired: &mut Vec<(Vec<String>, Vec<Hit>, f64)>,
) {
    let span = c.def.timespan_secs.saturating_mul(1000);
    while let Some(first) = g.hits.front() {
        let end = first.ms.saturating_add(span);
        if end >= now {
            break;
        }
        let n = g.hits.iter().take_while(|h| h.ms <= end).count();
        let window: Vec<Hit> = g.hits.drain(..n).collect();
        let metric = aggregate(c, &window);
        if c.def.condition.holds(metric) {
            fired.push((key.to_vec(), window, metric));
        }
    }
}

/// Decides on arrival of the hit at index `at`; a detection empties the window (except for
/// percentiles, whose window is a baseline).
fn decide_on_arrival(c: &CompiledCorrelation, g: &mut Group, at: usize) -> Option<(Vec<Hit>, f64)> {
    // Decided on the window in place; its hits are moved out only when it fires (copying the whole
    // window for every arriving event was a third of a large hunt's correlation time).
    let cond = &c.def.condition;
    let metric;
    let fire = match c.def.kind {
        CorrelationType::Temporal => {
            metric = aggregate(c, g.hits.make_contiguous());
            if cond.has_bounds() {
                cond.holds(metric)
            } else {
                metric as usize >= c.refs.len()
            }
        }
        CorrelationType::TemporalOrdered => {
            let chain = ordered_chain(c, g)?;
            g.hits.clear();
            let n = chain.len() as f64;
            return Some((chain, n));
        }
        CorrelationType::ValuePercentile => {
            let window = g.hits.make_contiguous();
            let of = window.get(at)?;
            let rank = percentile_rank(window, of);
            return cond.holds(rank).then(|| (vec![of.clone()], rank));
        }
        _ => {
            metric = aggregate(c, g.hits.make_contiguous());
            cond.holds(metric)
        }
    };
    if fire {
        Some((g.hits.drain(..).collect(), metric))
    } else {
        None
    }
}

/// Finds hits of the referenced rules in the written order within the timespan.
fn ordered_chain(c: &CompiledCorrelation, g: &Group) -> Option<Vec<Hit>> {
    let n = c.refs.len();
    let span = c.def.timespan_secs.saturating_mul(1000);
    let hits: Vec<&Hit> = g.hits.iter().collect();
    for (si, start) in hits.iter().enumerate() {
        if start.pos != 0 {
            continue;
        }
        let mut chain = vec![(*start).clone()];
        let mut want = 1;
        for h in hits.iter().skip(si + 1) {
            if want >= n {
                break;
            }
            if h.ms.saturating_sub(start.ms) > span {
                break;
            }
            if h.pos == want {
                chain.push((*h).clone());
                want += 1;
            }
        }
        if want >= n {
            return Some(chain);
        }
    }
    None
}

// What the correlations read of an event, for callers that keep only that much of each matched event
// (vigil-hunt holds the matches of a large hunt as compact records, spilled to disk, until it can feed
// them in time order). Every field a correlation type reads through `Fields::get` or `get_all` must be
// listed by `fields_read`.
impl CorrelationSet {
    /// Keys (as in `Detection::rule_id`) of the rules whose matches feed a correlation.
    pub(crate) fn input_rules(&self) -> impl Iterator<Item = &str> {
        self.by_rule.keys().map(String::as_str)
    }

    /// The Sigma field names read from the events a rule's matches bring to the correlations that
    /// reference it: their `group-by` fields (aliases applied), aggregated fields and the
    /// extensions' extra fields, each once.
    pub(crate) fn fields_read(&self, rule_key: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for &(ci, pos) in self.by_rule.get(rule_key).map_or(&[][..], |v| &v[..]) {
            let Some(c) = self.corrs.get(ci) else {
                continue;
            };
            let grouped = c.group_fields.get(pos).into_iter().flatten();
            let fields = grouped
                .chain(&c.def.condition.field)
                .map(String::as_str)
                .chain(extensions::extra_fields(&c.def).names());
            for f in fields {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out
    }
}
