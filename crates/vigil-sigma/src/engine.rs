//! The compiled engine: rules indexed by log source, evaluated against events.
//!
//! Compilation resolves Sigma field names through the mappings, lowercases literals once and
//! gathers the substring needles of every field into one Aho-Corasick automaton, so an event
//! field is scanned once for all `contains` values of all rules. Each needle knows the rules
//! whose prefilter names it, so an event's needle hits select the rules worth evaluating
//! instead of every rule of its log source being asked in turn. Evaluation folds each event
//! field at most once per event. The engine is immutable after compilation apart from a cache
//! of per-log-source plans (`Send + Sync`); correlation state lives in a separate
//! [`crate::Correlator`].

use crate::compiled::{
    CDetection, CSearch, CompiledFilter, CompiledRule, FieldId, KEYWORD_SLOT, Matcher, SlotId, Test,
};
use crate::condition::CondExpr;
use crate::correlation::{CorrelationSet, compile_correlations};
use crate::error::RuleError;
use crate::glob::StrMatcher;
use crate::mapping::Mappings;
use crate::modifiers::compile_regex;
use crate::rule::{DetectionSpec, FieldTest, Position, RuleSet, Search, TimePart, ValuePattern};
use aho_corasick::AhoCorasick;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock, RwLock};
use vigil_model::{Detection, Event, FieldValue, Level, LogSource};

/// A rule whose prefilter would list more literals than this is always evaluated.
const MAX_PREFILTER_ATOMS: usize = 512;
/// Longest value text kept in a detection's `matched` list.
const MAX_MATCHED_TEXT: usize = 1024;
/// Deepest nesting of list values inside a field value that is looked into.
const MAX_VALUE_DEPTH: usize = 8;
/// Most distinct event log sources whose plans are cached (events naming more are planned
/// afresh each time, so hostile input cannot grow the cache without bound).
const MAX_CACHED_PLANS: usize = 1024;

type LsKey = (Option<String>, Option<String>, Option<String>);

/// Substring needles of one Sigma field (or of keyword searches) and their automaton.
#[derive(Debug, Default)]
struct NeedleSet {
    needles: Vec<String>,
    index: HashMap<String, u32>,
    /// Built on first use: a run over a few log types scans only a few fields, and building
    /// every automaton up front is a large share of compile time.
    ac: OnceLock<Option<AhoCorasick>>,
}

impl NeedleSet {
    fn add(&mut self, needle: String) -> u32 {
        if let Some(&i) = self.index.get(&needle) {
            return i;
        }
        let i = u32::try_from(self.needles.len()).unwrap_or(u32::MAX);
        self.index.insert(needle.clone(), i);
        self.needles.push(needle);
        i
    }

    fn automaton(&self) -> Option<&AhoCorasick> {
        self.ac
            .get_or_init(|| {
                if self.needles.is_empty() {
                    None
                } else {
                    AhoCorasick::new(&self.needles).ok()
                }
            })
            .as_ref()
    }
}

/// What evaluating an event of one log source takes: its mapping, the rules that apply, and the
/// prefilter slots whose needle hits select among them.
#[derive(Debug)]
struct Plan {
    /// Mapping index (0 = none).
    map: usize,
    /// Rules of this log source, as a bit set over rule indices.
    candidates: Vec<u64>,
    /// Rules of this log source without a prefilter: always evaluated.
    always: Vec<u32>,
    /// Slots (and [`KEYWORD_SLOT`]) named by the prefilters of this log source's rules.
    slots: Vec<SlotId>,
}

/// Compiled rules, ready to evaluate events.
#[derive(Debug)]
pub struct Engine {
    pub(crate) rules: Vec<CompiledRule>,
    filters: Vec<CompiledFilter>,
    index: HashMap<LsKey, Vec<u32>>,
    /// [slot][needle] → rules whose prefilter names that needle of that slot.
    gates: Vec<Vec<Vec<u32>>>,
    /// [needle] → rules whose prefilter names that keyword needle.
    keyword_gates: Vec<Vec<u32>>,
    /// Plans by event log source, built on first use.
    plans: RwLock<HashMap<LogSource, Arc<Plan>>>,
    slots: Vec<String>,
    event_fields: Vec<String>,
    /// [mapping (0 = none)][slot] → event fields.
    resolution: Vec<Vec<Box<[FieldId]>>>,
    needles: Vec<NeedleSet>,
    keyword_needles: NeedleSet,
    pub(crate) mappings: Mappings,
    pub(crate) correlations: Arc<CorrelationSet>,
    pub(crate) by_key: HashMap<String, usize>,
}

struct Builder {
    slots: Vec<String>,
    slot_index: HashMap<String, SlotId>,
    needles: Vec<NeedleSet>,
    keyword_needles: NeedleSet,
}

impl Builder {
    fn slot(&mut self, name: &str) -> SlotId {
        if let Some(&s) = self.slot_index.get(name) {
            return s;
        }
        let s = SlotId::try_from(self.slots.len()).unwrap_or(SlotId::MAX);
        self.slots.push(name.to_string());
        self.slot_index.insert(name.to_string(), s);
        self.needles.push(NeedleSet::default());
        s
    }

    fn needle_set(&mut self, slot: SlotId) -> Option<&mut NeedleSet> {
        if slot == KEYWORD_SLOT {
            Some(&mut self.keyword_needles)
        } else {
            self.needles.get_mut(slot as usize)
        }
    }

    /// A literal (already lowercased) that must occur in a field, as a prefilter atom.
    fn atom(&mut self, slot: SlotId, lit: &str) -> Option<(SlotId, u32)> {
        if lit.is_empty() {
            return None;
        }
        let set = self.needle_set(slot)?;
        Some((slot, set.add(lit.to_string())))
    }

    /// A set of literals at least one of which every match of `m` contains.
    fn matcher_atoms(&mut self, slot: SlotId, m: &Matcher) -> Option<Vec<(SlotId, u32)>> {
        let lit = |sm: &StrMatcher| -> Option<String> {
            match sm {
                StrMatcher::Exact(l)
                | StrMatcher::Prefix(l)
                | StrMatcher::Suffix(l)
                | StrMatcher::Contains(l) => Some(l.to_lowercase()),
                StrMatcher::Glob(g) => g.longest_literal().map(str::to_lowercase),
                StrMatcher::Any => None,
            }
        };
        match m {
            Matcher::AcNeedle(k) => Some(vec![(slot, *k)]),
            Matcher::Folded(sm) | Matcher::Cased(sm) => {
                let l = lit(sm)?;
                Some(vec![self.atom(slot, &l)?])
            }
            _ => None,
        }
    }

    fn test_atoms(&mut self, t: &Test) -> Option<Vec<(SlotId, u32)>> {
        let slot = t.slot.unwrap_or(KEYWORD_SLOT);
        let group_atoms = |b: &mut Builder, g: &Vec<Matcher>| -> Option<Vec<(SlotId, u32)>> {
            let mut out = Vec::new();
            for m in g {
                out.extend(b.matcher_atoms(slot, m)?);
            }
            Some(out)
        };
        if t.all {
            // Every group is required: the smallest group's literals suffice.
            let mut best: Option<Vec<(SlotId, u32)>> = None;
            for g in &t.groups {
                if let Some(a) = group_atoms(self, g)
                    && best.as_ref().is_none_or(|b| a.len() < b.len())
                {
                    best = Some(a);
                }
            }
            best
        } else {
            let mut out = Vec::new();
            for g in &t.groups {
                out.extend(group_atoms(self, g)?);
            }
            Some(out)
        }
    }

    fn search_atoms(&mut self, s: &CSearch) -> Option<Vec<(SlotId, u32)>> {
        match s {
            CSearch::And(tests) => {
                let mut best: Option<Vec<(SlotId, u32)>> = None;
                for t in tests {
                    if let Some(a) = self.test_atoms(t)
                        && best.as_ref().is_none_or(|b| a.len() < b.len())
                    {
                        best = Some(a);
                    }
                }
                best
            }
            CSearch::Or(items) => {
                let mut out = Vec::new();
                for it in items {
                    out.extend(self.search_atoms(it)?);
                }
                Some(out)
            }
        }
    }

    /// Literals one of which must be present for the condition to hold (a necessary
    /// condition derived through `and`/`or`; `not` gives none).
    fn cond_atoms(&mut self, c: &CondExpr, d: &CDetection) -> Option<Vec<(SlotId, u32)>> {
        let union = |b: &mut Builder, ids: &[usize]| -> Option<Vec<(SlotId, u32)>> {
            let mut out = Vec::new();
            for &i in ids {
                out.extend(b.search_atoms(d.searches.get(i)?)?);
            }
            Some(out)
        };
        let smallest =
            |opts: Vec<Option<Vec<(SlotId, u32)>>>| opts.into_iter().flatten().min_by_key(Vec::len);
        match c {
            CondExpr::Sel(i) => self.search_atoms(d.searches.get(*i)?),
            CondExpr::Not(_) => None,
            CondExpr::And(v) => {
                let opts: Vec<_> = v.iter().map(|e| self.cond_atoms(e, d)).collect();
                smallest(opts)
            }
            CondExpr::Or(v) => {
                let mut out = Vec::new();
                for e in v {
                    out.extend(self.cond_atoms(e, d)?);
                }
                Some(out)
            }
            CondExpr::AtLeast(_, ids) => union(self, ids),
            CondExpr::All(ids) => {
                let opts: Vec<_> = ids
                    .iter()
                    .map(|&i| d.searches.get(i).and_then(|s| self.search_atoms(s)))
                    .collect();
                smallest(opts)
            }
        }
    }

    fn detection(&mut self, d: &DetectionSpec) -> Result<CDetection, String> {
        let searches = d
            .searches
            .iter()
            .map(|s| self.search(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CDetection {
            searches,
            condition: d.condition.clone(),
        })
    }

    fn search(&mut self, s: &Search) -> Result<CSearch, String> {
        Ok(match s {
            Search::And(tests) => CSearch::And(
                tests
                    .iter()
                    .map(|t| self.test(t))
                    .collect::<Result<_, _>>()?,
            ),
            Search::Or(items) => CSearch::Or(
                items
                    .iter()
                    .map(|s| self.search(s))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    fn test(&mut self, t: &FieldTest) -> Result<Test, String> {
        let slot = t.field.as_deref().map(|f| self.slot(f));
        let mut groups = Vec::with_capacity(t.groups.len());
        for g in &t.groups {
            let mut alts = Vec::with_capacity(g.len());
            for p in g {
                alts.push(self.matcher(p, slot)?);
            }
            groups.push(alts);
        }
        Ok(Test {
            slot,
            key: t.key.clone(),
            groups,
            all: t.all,
        })
    }

    fn matcher(&mut self, p: &ValuePattern, slot: Option<SlotId>) -> Result<Matcher, String> {
        Ok(match p {
            ValuePattern::Str {
                pattern,
                cased: false,
            } => match StrMatcher::new(pattern, true) {
                StrMatcher::Contains(n) if !n.is_empty() => {
                    let set = match slot {
                        Some(s) => match self.needles.get_mut(s as usize) {
                            Some(set) => set,
                            None => return Err("internal: unknown field slot".into()),
                        },
                        None => &mut self.keyword_needles,
                    };
                    Matcher::AcNeedle(set.add(n))
                }
                m => Matcher::Folded(m),
            },
            ValuePattern::Str {
                pattern,
                cased: true,
            } => Matcher::Cased(StrMatcher::new(pattern, false)),
            ValuePattern::Num { value, text } => Matcher::Num {
                value: *value,
                text: text.to_lowercase(),
            },
            ValuePattern::Cmp { op, value } => Matcher::Cmp {
                op: *op,
                value: *value,
            },
            ValuePattern::Bool(b) => Matcher::Bool(*b),
            ValuePattern::Null => Matcher::Null,
            ValuePattern::Exists(b) => Matcher::Exists(*b),
            ValuePattern::Regex(r) => Matcher::Regex(compile_regex(r)?),
            ValuePattern::Cidr(c) => Matcher::Cidr(*c),
            ValuePattern::FieldRef {
                other,
                position,
                cased,
            } => Matcher::FieldRef {
                other: self.slot(other),
                position: *position,
                cased: *cased,
            },
            ValuePattern::Time { part, op, value } => Matcher::Time {
                part: *part,
                op: *op,
                value: *value,
            },
            ValuePattern::Not(inner) => Matcher::Not(Box::new(self.matcher(inner, slot)?)),
        })
    }
}

fn ls_key(ls: &LogSource) -> LsKey {
    let l = |o: &Option<String>| o.as_ref().map(|s| s.to_lowercase());
    (l(&ls.product), l(&ls.category), l(&ls.service))
}

/// Sigma's `registry_event` category is the union of the registry categories readers assign to
/// Sysmon events 12, 13 and 14 (SigmaHQ's taxonomy); a rule for it applies to all of them.
const REGISTRY_EVENT_PARTS: [&str; 4] = [
    "registry_add",
    "registry_delete",
    "registry_set",
    "registry_rename",
];

/// The index keys a rule is filed under: its log source, and for `registry_event` each of its parts.
fn index_keys(ls: &LogSource) -> Vec<LsKey> {
    let key = ls_key(ls);
    let mut keys = vec![key.clone()];
    if key.1.as_deref() == Some("registry_event") {
        keys.extend(
            REGISTRY_EVENT_PARTS
                .iter()
                .map(|c| (key.0.clone(), Some(c.to_string()), key.2.clone())),
        );
    }
    keys
}

/// True when every key the selector sets equals the event's (case-insensitive).
pub(crate) fn logsource_applies(rule: &LogSource, ev: &LogSource) -> bool {
    [
        (&rule.product, &ev.product),
        (&rule.category, &ev.category),
        (&rule.service, &ev.service),
    ]
    .iter()
    .all(|(r, e)| match (r, e) {
        (None, _) => true,
        (Some(r), Some(e)) => {
            r.eq_ignore_ascii_case(e)
                || (r.eq_ignore_ascii_case("registry_event")
                    && REGISTRY_EVENT_PARTS
                        .iter()
                        .any(|p| e.eq_ignore_ascii_case(p)))
        }
        (Some(_), None) => false,
    })
}

impl Engine {
    /// Compiles a rule set against field mappings. Rules that cannot be compiled (duplicate
    /// ids, filters or correlations naming unknown rules…) are reported and left out.
    pub fn compile(set: &RuleSet, mappings: &Mappings) -> (Engine, Vec<RuleError>) {
        let mut errors = Vec::new();
        let mut b = Builder {
            slots: Vec::new(),
            slot_index: HashMap::new(),
            needles: Vec::new(),
            keyword_needles: NeedleSet::default(),
        };
        let mut rules = Vec::with_capacity(set.rules.len());
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let err = |meta: &crate::rule::RuleMeta, path: &str, reason: String| {
            RuleError::new(&meta.origin, None, path, reason).with_rule(Some(meta.key()))
        };
        for r in &set.rules {
            let key = r.meta.key();
            let mut dup = None;
            for k in [r.meta.id.as_ref(), r.meta.name.as_ref()]
                .into_iter()
                .flatten()
            {
                if let Some(&other) = by_key.get(k) {
                    dup = Some((k.clone(), other));
                }
            }
            if let Some((k, other)) = dup {
                let first = rules
                    .get(other)
                    .map(|c: &CompiledRule| c.meta.origin.clone())
                    .unwrap_or_default();
                errors.push(err(
                    &r.meta,
                    "id",
                    format!("duplicate rule id or name '{k}' (first in {first})"),
                ));
                continue;
            }
            let detection = match b.detection(&r.detection) {
                Ok(d) => d,
                Err(e) => {
                    errors.push(err(&r.meta, "detection", e));
                    continue;
                }
            };
            let prefilter = b
                .cond_atoms(&detection.condition, &detection)
                .filter(|a| !a.is_empty() && a.len() <= MAX_PREFILTER_ATOMS)
                .map(|mut a| {
                    a.sort_unstable();
                    a.dedup();
                    let mut grouped: Vec<(SlotId, Vec<u32>)> = Vec::new();
                    for (slot, k) in a {
                        match grouped.last_mut() {
                            Some((s, ks)) if *s == slot => ks.push(k),
                            _ => grouped.push((slot, vec![k])),
                        }
                    }
                    grouped
                        .into_iter()
                        .map(|(s, ks)| (s, ks.into_boxed_slice()))
                        .collect()
                });
            let idx = rules.len();
            for k in [r.meta.id.as_ref(), r.meta.name.as_ref()]
                .into_iter()
                .flatten()
            {
                by_key.insert(k.clone(), idx);
            }
            by_key.entry(key.clone()).or_insert(idx);
            rules.push(CompiledRule {
                meta: Arc::new(r.meta.clone()),
                key,
                level: r.meta.level.unwrap_or(Level::Medium),
                detection,
                filters: Vec::new(),
                reported: true,
                prefilter,
            });
        }
        let mut filters = Vec::new();
        for f in &set.filters {
            let detection = match b.detection(&f.detection) {
                Ok(d) => d,
                Err(e) => {
                    errors.push(err(&f.meta, "filter", e));
                    continue;
                }
            };
            let fi = filters.len();
            for name in &f.rules {
                match by_key.get(name).and_then(|&i| rules.get_mut(i)) {
                    Some(r) => r.filters.push(fi),
                    None => errors.push(err(
                        &f.meta,
                        "filter.rules",
                        format!("filter refers to unknown rule '{name}' (ignored for it)"),
                    )),
                }
            }
            filters.push(CompiledFilter {
                logsource: f.meta.logsource.clone(),
                detection,
            });
        }
        let (correlations, corr_errors) =
            compile_correlations(&set.correlations, &by_key, &mut rules);
        errors.extend(corr_errors);
        // Field resolution per mapping.
        let mut event_fields: Vec<String> = Vec::new();
        let mut ef_index: HashMap<String, FieldId> = HashMap::new();
        let mut intern = |name: &str| -> FieldId {
            if let Some(&i) = ef_index.get(name) {
                return i;
            }
            let i = FieldId::try_from(event_fields.len()).unwrap_or(FieldId::MAX);
            event_fields.push(name.to_string());
            ef_index.insert(name.to_string(), i);
            i
        };
        let mut resolution = Vec::with_capacity(mappings.entries.len() + 1);
        resolution.push(
            b.slots
                .iter()
                .map(|s| vec![intern(s)].into_boxed_slice())
                .collect(),
        );
        for (_, m) in &mappings.entries {
            resolution.push(
                b.slots
                    .iter()
                    .map(|s| m.resolve(s).into_iter().map(&mut intern).collect())
                    .collect(),
            );
        }
        let mut index: HashMap<LsKey, Vec<u32>> = HashMap::new();
        let mut gates: Vec<Vec<Vec<u32>>> = b
            .needles
            .iter()
            .map(|set| vec![Vec::new(); set.needles.len()])
            .collect();
        let mut keyword_gates: Vec<Vec<u32>> = vec![Vec::new(); b.keyword_needles.needles.len()];
        for (i, r) in rules.iter().enumerate() {
            let n = u32::try_from(i).unwrap_or(u32::MAX);
            for key in index_keys(&r.meta.logsource) {
                index.entry(key).or_default().push(n);
            }
            for (slot, ks) in r.prefilter.iter().flat_map(|p| p.iter()) {
                let mut slot_gates = if *slot == KEYWORD_SLOT {
                    Some(&mut keyword_gates)
                } else {
                    gates.get_mut(*slot as usize)
                };
                for &k in ks.iter() {
                    if let Some(list) = slot_gates
                        .as_deref_mut()
                        .and_then(|g| g.get_mut(k as usize))
                    {
                        list.push(n);
                    }
                }
            }
        }
        let engine = Engine {
            rules,
            filters,
            index,
            gates,
            keyword_gates,
            plans: RwLock::new(HashMap::new()),
            slots: b.slots,
            event_fields,
            resolution,
            needles: b.needles,
            keyword_needles: b.keyword_needles,
            mappings: mappings.clone(),
            correlations: Arc::new(correlations),
            by_key,
        };
        (engine, errors)
    }

    /// Number of compiled detection rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Number of compiled correlation rules.
    pub fn correlation_count(&self) -> usize {
        self.correlations.len()
    }

    /// Keys (as in `Detection::rule_id`) of the rules whose matches a [`crate::Correlator`] uses;
    /// matches of other rules can be left out of what it is fed.
    pub fn correlation_inputs(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.correlations.input_rules().collect();
        keys.sort_unstable();
        keys
    }

    /// The Sigma field names a [`crate::Correlator`] reads from an event that matched `rule` (one
    /// of [`Engine::correlation_inputs`]; resolve them per event with [`Engine::resolve_field`]).
    /// An event reduced to the fields of the rules it matched, its time, host, log source and
    /// source gives the same correlations as the whole event.
    pub fn correlation_fields(&self, rule: &str) -> Vec<&str> {
        self.correlations.fields_read(rule)
    }

    /// The metadata of a rule or correlation by id or name — e.g. its `author`, which the
    /// Detection Rule License asks reports of matches to show.
    pub fn rule_meta(&self, rule: &str) -> Option<&crate::rule::RuleMeta> {
        if let Some(r) = self.by_key.get(rule).and_then(|&i| self.rules.get(i)) {
            return Some(&r.meta);
        }
        self.correlations.meta_of(rule)
    }

    /// Whether matches of this rule (by id or name) are reported on their own; correlation
    /// building blocks without `generate: true` are not.
    pub fn is_reported(&self, rule: &str) -> bool {
        self.by_key
            .get(rule)
            .and_then(|&i| self.rules.get(i))
            .is_some_and(|r| r.reported)
    }

    /// Detections to report for one event, appended to `out`.
    pub fn matches(&self, ev: &Event, out: &mut Vec<Detection>) {
        self.evaluate(ev, true, out);
    }

    /// Every rule match for one event, including correlation building blocks: what
    /// [`crate::Correlator::feed`] needs. A building block's match (see [`Engine::is_reported`])
    /// carries no `matched` evidence: it is never reported.
    pub fn all_matches(&self, ev: &Event, out: &mut Vec<Detection>) {
        self.evaluate(ev, false, out);
    }

    /// The event fields a Sigma field name means for this event (through its mapping).
    pub fn resolve_field<'a>(&'a self, sigma: &'a str, ev: &Event) -> Vec<&'a str> {
        match self
            .mappings
            .select(&ev.logsource)
            .and_then(|i| self.mappings.entries.get(i))
        {
            Some((_, m)) => m.resolve(sigma),
            None => vec![sigma],
        }
    }

    fn candidates(&self, ls: &LogSource) -> Vec<u32> {
        let (p, c, s) = ls_key(ls);
        let mut out = Vec::new();
        for mask in 0u8..8 {
            let pick = |bit: u8, v: &Option<String>| -> Option<Option<String>> {
                if mask & bit != 0 {
                    v.as_ref().map(|x| Some(x.clone()))
                } else {
                    Some(None)
                }
            };
            let (Some(kp), Some(kc), Some(ks)) = (pick(1, &p), pick(2, &c), pick(4, &s)) else {
                continue;
            };
            if let Some(v) = self.index.get(&(kp, kc, ks)) {
                out.extend_from_slice(v);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The plan for events of a log source, from the cache or built (and cached) now.
    fn plan(&self, ls: &LogSource) -> Arc<Plan> {
        if let Ok(cache) = self.plans.read()
            && let Some(p) = cache.get(ls)
        {
            return Arc::clone(p);
        }
        let plan = Arc::new(self.build_plan(ls));
        if let Ok(mut cache) = self.plans.write()
            && cache.len() < MAX_CACHED_PLANS
        {
            cache.insert(ls.clone(), Arc::clone(&plan));
        }
        plan
    }

    fn build_plan(&self, ls: &LogSource) -> Plan {
        let map = self.mappings.select(ls).map_or(0, |i| i + 1);
        let mut candidates = vec![0u64; self.rules.len().div_ceil(64)];
        let mut always = Vec::new();
        let mut slots = Vec::new();
        for i in self.candidates(ls) {
            let Some(rule) = self.rules.get(i as usize) else {
                continue;
            };
            set_bit(&mut candidates, i);
            match &rule.prefilter {
                None => always.push(i),
                Some(pf) => slots.extend(pf.iter().map(|(slot, _)| *slot)),
            }
        }
        slots.sort_unstable();
        slots.dedup();
        Plan {
            map,
            candidates,
            always,
            slots,
        }
    }

    fn evaluate(&self, ev: &Event, reported_only: bool, out: &mut Vec<Detection>) {
        let plan = self.plan(&ev.logsource);
        if plan.always.is_empty() && plan.slots.is_empty() {
            return;
        }
        let mut ctx = Ctx::new(ev, plan.map);
        // The rules to evaluate: those without a prefilter, and those one of whose prefilter
        // needles occurs in the event — the same test as asking each rule in turn, answered
        // from the needle hits.
        let mut picked = plan.always.clone();
        let mut seen = vec![0u64; plan.candidates.len()];
        let mut pick = |bits: &[u64], gates: &[Vec<u32>], picked: &mut Vec<u32>| {
            for_each_bit(bits, |k| {
                for &r in gates.get(k).map_or(&[][..], |g| &g[..]) {
                    if bit(&plan.candidates, r) && !bit(&seen, r) {
                        set_bit(&mut seen, r);
                        picked.push(r);
                    }
                }
            });
        };
        for &slot in &plan.slots {
            if slot == KEYWORD_SLOT {
                ctx.keyword_bits(self);
                pick(ctx.kw_bits_or_empty(), &self.keyword_gates, &mut picked);
                continue;
            }
            let Some(gates) = self.gates.get(slot as usize) else {
                continue;
            };
            for &f in self.fields_of(ctx.map, slot) {
                pick(ctx.field_bits(self, f, slot), gates, &mut picked);
            }
        }
        picked.sort_unstable();
        for i in picked {
            let Some(rule) = self.rules.get(i as usize) else {
                continue;
            };
            if reported_only && !rule.reported {
                continue;
            }
            if !self.eval_detection(&mut ctx, &rule.detection) {
                continue;
            }
            let suppressed = rule.filters.iter().any(|&f| {
                self.filters.get(f).is_some_and(|flt| {
                    logsource_applies(&flt.logsource, &ev.logsource)
                        && self.eval_detection(&mut ctx, &flt.detection)
                })
            });
            if suppressed {
                continue;
            }
            // A building block's match is never reported, only correlated, and a correlation reads
            // the event's fields, not the evidence: it is not gathered (its strings were most of the
            // cost of a match).
            let mut matched = Vec::new();
            if rule.reported {
                self.collect_matched(&mut ctx, &rule.detection, &mut matched);
            }
            out.push(Detection {
                rule_id: rule.key.clone(),
                rule_title: rule.meta.title.clone(),
                level: rule.level,
                tags: rule.meta.tags.clone(),
                timestamp: ev.timestamp,
                first_seen: None,
                host: ev.host.clone(),
                sources: vec![ev.source.clone()],
                matched,
            });
        }
    }

    fn eval_detection(&self, ctx: &mut Ctx<'_>, d: &CDetection) -> bool {
        d.condition
            .eval(&mut |i| d.searches.get(i).is_some_and(|s| self.eval_search(ctx, s)))
    }

    fn eval_search(&self, ctx: &mut Ctx<'_>, s: &CSearch) -> bool {
        match s {
            CSearch::And(tests) => tests.iter().all(|t| self.eval_test(ctx, t)),
            CSearch::Or(items) => items.iter().any(|s| self.eval_search(ctx, s)),
        }
    }

    fn fields_of(&self, map: usize, slot: SlotId) -> &[FieldId] {
        self.resolution
            .get(map)
            .and_then(|r| r.get(slot as usize))
            .map_or(&[][..], |b| &b[..])
    }

    fn eval_test(&self, ctx: &mut Ctx<'_>, t: &Test) -> bool {
        let mut group = |g: &Vec<Matcher>| g.iter().any(|m| self.eval_matcher(ctx, t.slot, m));
        if t.all {
            t.groups.iter().all(&mut group)
        } else {
            t.groups.iter().any(&mut group)
        }
    }

    fn field_value<'e>(&self, ev: &'e Event, f: FieldId) -> Option<&'e FieldValue> {
        self.event_fields
            .get(f as usize)
            .and_then(|n| ev.fields.get(n))
    }

    fn eval_matcher(&self, ctx: &mut Ctx<'_>, slot: Option<SlotId>, m: &Matcher) -> bool {
        let Some(slot) = slot else {
            return self.eval_keyword(ctx, m);
        };
        let fids = self.fields_of(ctx.map, slot);
        match m {
            Matcher::Not(inner) => !self.eval_matcher(ctx, Some(slot), inner),
            Matcher::Null => fids
                .iter()
                .all(|&f| matches!(self.field_value(ctx.ev, f), None | Some(FieldValue::Null))),
            Matcher::Exists(b) => fids.iter().any(|&f| self.field_value(ctx.ev, f).is_some()) == *b,
            Matcher::Folded(sm) => fids.iter().any(|&f| {
                let i = ctx.fold(self, f);
                ctx.folded
                    .get(i)
                    .is_some_and(|(_, v)| v.iter().any(|t| sm.is_match(t)))
            }),
            Matcher::AcNeedle(k) => fids.iter().any(|&f| ctx.needle(self, f, slot, *k)),
            Matcher::FieldRef {
                other,
                position,
                cased,
            } => {
                let others = self.fields_of(ctx.map, *other);
                let mut theirs: Vec<String> = Vec::new();
                for &o in others {
                    if let Some(v) = self.field_value(ctx.ev, o) {
                        texts(v, 0, &mut |t| {
                            theirs.push(if *cased {
                                t.into_owned()
                            } else {
                                t.to_lowercase()
                            });
                        });
                    }
                }
                fids.iter().any(|&f| {
                    let Some(v) = self.field_value(ctx.ev, f) else {
                        return false;
                    };
                    let mut hit = false;
                    texts(v, 0, &mut |t| {
                        let mine: Cow<'_, str> = if *cased {
                            t
                        } else {
                            Cow::Owned(t.to_lowercase())
                        };
                        hit |= theirs.iter().any(|o| match position {
                            Position::Whole => mine == o.as_str(),
                            Position::Start => mine.starts_with(o.as_str()),
                            Position::End => mine.ends_with(o.as_str()),
                            Position::Anywhere => mine.contains(o.as_str()),
                        });
                    });
                    hit
                })
            }
            other => fids.iter().any(|&f| {
                self.field_value(ctx.ev, f)
                    .is_some_and(|v| value_matches(other, v, 0))
            }),
        }
    }

    fn eval_keyword(&self, ctx: &mut Ctx<'_>, m: &Matcher) -> bool {
        match m {
            Matcher::Not(inner) => !self.eval_keyword(ctx, inner),
            Matcher::AcNeedle(k) => ctx.keyword_needle(self, *k),
            Matcher::Folded(sm) => {
                ctx.keyword_texts();
                ctx.kw_texts
                    .as_ref()
                    .is_some_and(|v| v.iter().any(|t| sm.is_match(t)))
            }
            Matcher::Null | Matcher::Exists(_) | Matcher::FieldRef { .. } => false,
            other => {
                if let Some(raw) = &ctx.ev.raw
                    && value_matches(other, &FieldValue::Str(raw.as_str().to_string()), 0)
                {
                    return true;
                }
                ctx.ev.fields.values().any(|v| value_matches(other, v, 0))
            }
        }
    }

    fn collect_matched(&self, ctx: &mut Ctx<'_>, d: &CDetection, out: &mut Vec<(String, String)>) {
        let mut ids = Vec::new();
        d.condition.identifiers(&mut ids);
        ids.sort_unstable();
        ids.dedup();
        for i in ids {
            let Some(s) = d.searches.get(i) else { continue };
            if self.eval_search(ctx, s) {
                self.collect_search(ctx, s, out);
            }
        }
    }

    fn collect_search(&self, ctx: &mut Ctx<'_>, s: &CSearch, out: &mut Vec<(String, String)>) {
        match s {
            CSearch::And(tests) => {
                for t in tests {
                    let name = match t.slot {
                        Some(slot) => self.slots.get(slot as usize).cloned().unwrap_or_default(),
                        None if t.key.is_empty() => "keywords".to_string(),
                        None => format!("keywords{}", t.key),
                    };
                    if out.iter().any(|(n, _)| *n == name) {
                        continue;
                    }
                    let value = match t.slot {
                        Some(slot) => self
                            .fields_of(ctx.map, slot)
                            .iter()
                            .find_map(|&f| self.field_value(ctx.ev, f))
                            .and_then(first_text),
                        None => ctx
                            .ev
                            .raw
                            .as_deref()
                            .map(|raw| self.keyword_excerpt(raw, t)),
                    };
                    if let Some(mut v) = value {
                        truncate(&mut v, MAX_MATCHED_TEXT);
                        out.push((name, v));
                    }
                }
            }
            CSearch::Or(items) => {
                if let Some(s) = items.iter().find(|s| self.eval_search(ctx, s)) {
                    self.collect_search(ctx, s, out);
                }
            }
        }
    }
}

/// Characters shown on each side of a keyword hit in a record's raw text.
const KEYWORD_CONTEXT: usize = 60;

impl Engine {
    /// What a keyword test matched, as evidence: the words around the first literal of the test found
    /// in the record's raw text, not the whole record (a JSON object or a long line is no evidence).
    fn keyword_excerpt(&self, raw: &str, t: &Test) -> String {
        let literal = t.groups.iter().flatten().find_map(|m| match m {
            Matcher::AcNeedle(k) => self
                .keyword_needles
                .needles
                .get(*k as usize)
                .map(String::as_str),
            Matcher::Folded(sm) | Matcher::Cased(sm) => match sm {
                StrMatcher::Exact(l)
                | StrMatcher::Prefix(l)
                | StrMatcher::Suffix(l)
                | StrMatcher::Contains(l) => Some(l.as_str()),
                StrMatcher::Glob(g) => g.longest_literal(),
                StrMatcher::Any => None,
            },
            _ => None,
        });
        let at = literal
            .filter(|l| !l.is_empty())
            .and_then(|l| find_folded(raw, l).map(|i| (i, l.len())));
        excerpt_around(raw, at, KEYWORD_CONTEXT)
    }
}

/// Byte offset of `needle` in `hay`, ASCII case folded (keywords are matched case-insensitively).
fn find_folded(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    hay.as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

/// `text` cut to `context` characters on each side of the hit at `(start, len)` (or its start when no
/// hit is known), on char boundaries, with `…` where something was left out, on one line.
fn excerpt_around(text: &str, hit: Option<(usize, usize)>, context: usize) -> String {
    let (start, len) = hit.unwrap_or((0, 0));
    let begin = text
        .get(..start)
        .map(|before| {
            before
                .char_indices()
                .rev()
                .nth(context.saturating_sub(1))
                .map_or(0, |(i, _)| i)
        })
        .unwrap_or(0);
    let after = start.saturating_add(len).min(text.len());
    let end = text
        .get(after..)
        .map(|rest| {
            rest.char_indices()
                .nth(context)
                .map_or(text.len(), |(i, _)| after + i)
        })
        .unwrap_or(text.len());
    let mut out = String::new();
    if begin > 0 {
        out.push('…');
    }
    out.push_str(text.get(begin..end).unwrap_or_default());
    if end < text.len() {
        out.push('…');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

fn first_text(v: &FieldValue) -> Option<String> {
    let mut out = None;
    texts(v, 0, &mut |t| {
        if out.is_none() {
            out = Some(t.into_owned());
        }
    });
    out
}

/// Calls `f` with the text of each scalar in a value (lists flattened).
fn texts<'v>(v: &'v FieldValue, depth: usize, f: &mut dyn FnMut(Cow<'v, str>)) {
    match v {
        FieldValue::List(items) if depth < MAX_VALUE_DEPTH => {
            for it in items {
                texts(it, depth + 1, f);
            }
        }
        other => {
            if let Some(t) = other.as_text() {
                f(t);
            }
        }
    }
}

/// Value-level comparisons that do not depend on case folding caches.
fn value_matches(m: &Matcher, v: &FieldValue, depth: usize) -> bool {
    if let FieldValue::List(items) = v {
        return depth < MAX_VALUE_DEPTH && items.iter().any(|i| value_matches(m, i, depth + 1));
    }
    match m {
        Matcher::Cased(sm) => v.as_text().is_some_and(|t| sm.is_match(&t)),
        Matcher::Folded(sm) => v.as_text().is_some_and(|t| sm.is_match(&t.to_lowercase())),
        Matcher::Num { value, text } => match v {
            FieldValue::Int(i) => (*i as f64) == *value,
            FieldValue::Float(x) => x == value,
            FieldValue::Str(s) => {
                let s = s.trim();
                s.eq_ignore_ascii_case(text) || s.parse::<f64>().is_ok_and(|x| x == *value)
            }
            _ => false,
        },
        Matcher::Cmp { op, value } => number(v).is_some_and(|x| op.test(x, *value)),
        Matcher::Bool(b) => match v {
            FieldValue::Bool(x) => x == b,
            FieldValue::Str(s) => s
                .trim()
                .eq_ignore_ascii_case(if *b { "true" } else { "false" }),
            _ => false,
        },
        Matcher::Regex(re) => v.as_text().is_some_and(|t| re.is_match(t.as_bytes())),
        Matcher::Cidr(c) => v.as_text().is_some_and(|t| c.contains_text(&t)),
        Matcher::Time { part, op, value } => v
            .as_text()
            .and_then(|t| time_part(&t, *part))
            .is_some_and(|x| op.test(x as f64, *value)),
        Matcher::Not(inner) => !value_matches(inner, v, depth),
        Matcher::AcNeedle(_) | Matcher::Null | Matcher::Exists(_) | Matcher::FieldRef { .. } => {
            false
        }
    }
}

fn number(v: &FieldValue) -> Option<f64> {
    match v {
        FieldValue::Int(i) => Some(*i as f64),
        FieldValue::Float(x) => Some(*x),
        FieldValue::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Extracts a part of a timestamp written in the field, as written (no time zone conversion,
/// as the specification says). Accepts RFC 3339, `YYYY-MM-DD HH:MM:SS[.f]` and dates.
pub(crate) fn time_part(text: &str, part: TimePart) -> Option<i64> {
    use jiff::civil::{Date, DateTime};
    let t = text.trim();
    let dt = t
        .parse::<DateTime>()
        .ok()
        .or_else(|| {
            // Drop a trailing zone designator or offset: the wall time is what counts.
            let cut = t.strip_suffix(['Z', 'z']).unwrap_or(t);
            let cut = match cut.rfind(['+', '-']) {
                Some(p) if p > 10 => cut.get(..p).unwrap_or(cut),
                _ => cut,
            };
            cut.parse::<DateTime>().ok()
        })
        .or_else(|| {
            t.parse::<Date>()
                .ok()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })?;
    Some(i64::from(match part {
        TimePart::Minute => dt.minute(),
        TimePart::Hour => dt.hour(),
        TimePart::Day => dt.day(),
        TimePart::Week => dt.date().iso_week_date().week(),
        TimePart::Month => dt.month(),
        TimePart::Year => return Some(i64::from(dt.year())),
    }))
}

/// A hasher for small integer keys looked up many times per event (SipHash, the default, costs
/// more than the rest of the lookup; these keys are engine ids, not attacker-chosen).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Per-event evaluation state: case-folded field values and needle hits, computed lazily.
struct Ctx<'e> {
    ev: &'e Event,
    map: usize,
    folded: Vec<(FieldId, Vec<Cow<'e, str>>)>,
    bits: Vec<Vec<u64>>,
    /// (field, slot) → index into `bits`.
    bits_at: HashMap<(FieldId, SlotId), usize, BuildHasherDefault<IdHasher>>,
    kw_texts: Option<Vec<Cow<'e, str>>>,
    kw_bits: Option<Vec<u64>>,
    /// Reused buffer for lowercasing text before a scan.
    scratch: String,
}

impl<'e> Ctx<'e> {
    fn new(ev: &'e Event, map: usize) -> Self {
        Ctx {
            ev,
            map,
            folded: Vec::new(),
            bits: Vec::new(),
            bits_at: HashMap::default(),
            kw_texts: None,
            kw_bits: None,
            scratch: String::new(),
        }
    }

    /// Index into `folded` of the lowercased texts of an event field.
    fn fold(&mut self, eng: &Engine, f: FieldId) -> usize {
        if let Some(i) = self.folded.iter().position(|(id, _)| *id == f) {
            return i;
        }
        let mut v = Vec::new();
        if let Some(val) = eng.field_value(self.ev, f) {
            texts(val, 0, &mut |t| v.push(fold_text(t)));
        }
        self.folded.push((f, v));
        self.folded.len() - 1
    }

    /// The needle hits of a field for a slot's automaton (empty when the field is absent).
    fn field_bits(&mut self, eng: &Engine, f: FieldId, slot: SlotId) -> &[u64] {
        let i = match self.bits_at.get(&(f, slot)) {
            Some(&i) => i,
            None => {
                let mut bits = Vec::new();
                if let Some(val) = eng.field_value(self.ev, f)
                    && let Some(set) = eng.needles.get(slot as usize)
                    && let Some(ac) = set.automaton()
                {
                    bits = vec![0u64; set.needles.len().div_ceil(64)];
                    let scratch = &mut self.scratch;
                    texts(val, 0, &mut |t| scan_folded(ac, &t, scratch, &mut bits));
                }
                self.bits.push(bits);
                let i = self.bits.len() - 1;
                self.bits_at.insert((f, slot), i);
                i
            }
        };
        self.bits.get(i).map_or(&[][..], |b| &b[..])
    }

    fn needle(&mut self, eng: &Engine, f: FieldId, slot: SlotId, k: u32) -> bool {
        bit(self.field_bits(eng, f, slot), k)
    }

    fn keyword_texts(&mut self) {
        if self.kw_texts.is_some() {
            return;
        }
        let mut v = Vec::new();
        if let Some(raw) = &self.ev.raw {
            v.push(fold_text(Cow::Borrowed(raw.as_str())));
        }
        for val in self.ev.fields.values() {
            texts(val, 0, &mut |t| v.push(fold_text(t)));
        }
        self.kw_texts = Some(v);
    }

    /// Computes the keyword needle hits once per event.
    fn keyword_bits(&mut self, eng: &Engine) {
        if self.kw_bits.is_some() {
            return;
        }
        let set = &eng.keyword_needles;
        let mut bits = Vec::new();
        if let Some(ac) = set.automaton() {
            bits = vec![0u64; set.needles.len().div_ceil(64)];
            let scratch = &mut self.scratch;
            let raw = self.ev.raw.as_deref();
            if let Some(raw) = raw {
                scan_folded(ac, raw, scratch, &mut bits);
            }
            for val in self.ev.fields.values() {
                texts(val, 0, &mut |t| {
                    if !raw.is_some_and(|raw| covers(raw, &t)) {
                        scan_folded(ac, &t, scratch, &mut bits);
                    }
                });
            }
        }
        self.kw_bits = Some(bits);
    }

    fn kw_bits_or_empty(&self) -> &[u64] {
        self.kw_bits.as_deref().unwrap_or(&[])
    }

    fn keyword_needle(&mut self, eng: &Engine, k: u32) -> bool {
        self.keyword_bits(eng);
        bit(self.kw_bits_or_empty(), k)
    }
}

/// The lowercase form of a text, borrowed when it is lowercase already.
fn fold_text(t: Cow<'_, str>) -> Cow<'_, str> {
    if t.is_ascii() {
        if t.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(t.to_ascii_lowercase())
        } else {
            t
        }
    } else {
        Cow::Owned(t.to_lowercase())
    }
}

/// Whether every keyword needle found in `text` is found in `raw` too, so scanning `text` after
/// `raw` can add no hit: `text` is ASCII and occurs in `raw`. Most fields a reader extracts are
/// pieces of the record's raw text, and scanning them again was a third of the keyword scan.
/// (ASCII only: ASCII characters lowercase alike wherever they stand, while the lowercase form
/// of other text can depend on its neighbours, as the Greek final sigma does.)
fn covers(raw: &str, text: &str) -> bool {
    text.is_ascii()
        && text.len() <= raw.len()
        // `str::contains` rather than `memchr::memmem::find`, which builds a searcher per call
        // (measured: that cost more than the scan it saved); a message is usually the raw text's
        // tail.
        && (raw.ends_with(text) || raw.contains(text))
}

/// Sets the bits of the needles found in the lowercase form of `text`, lowercasing ASCII text
/// in a reused buffer rather than a new string.
fn scan_folded(ac: &AhoCorasick, text: &str, scratch: &mut String, bits: &mut [u64]) {
    if !text.is_ascii() {
        set_bits(ac, &text.to_lowercase(), bits);
    } else if text.bytes().any(|b| b.is_ascii_uppercase()) {
        scratch.clear();
        scratch.push_str(text);
        scratch.make_ascii_lowercase();
        set_bits(ac, scratch, bits);
    } else {
        set_bits(ac, text, bits);
    }
}

fn set_bits(ac: &AhoCorasick, text: &str, bits: &mut [u64]) {
    for m in ac.find_overlapping_iter(text) {
        let p = m.pattern().as_usize();
        if let Some(w) = bits.get_mut(p / 64) {
            *w |= 1u64 << (p % 64);
        }
    }
}

fn set_bit(bits: &mut [u64], k: u32) {
    let k = k as usize;
    if let Some(w) = bits.get_mut(k / 64) {
        *w |= 1u64 << (k % 64);
    }
}

/// Calls `f` with the index of every set bit, in ascending order.
fn for_each_bit(bits: &[u64], mut f: impl FnMut(usize)) {
    for (wi, &w) in bits.iter().enumerate() {
        let mut w = w;
        while w != 0 {
            f(wi * 64 + w.trailing_zeros() as usize);
            w &= w - 1;
        }
    }
}

fn bit(bits: &[u64], k: u32) -> bool {
    let k = k as usize;
    bits.get(k / 64)
        .is_some_and(|w| w & (1u64 << (k % 64)) != 0)
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Engine>();
}
