//! `vigil_baseline`: a group's count in a sliding window against its own previous windows.
//!
//! Per group: the hits of the current sliding window with a count per distinct value, the
//! metrics of the previous aligned windows (at most `history`), the origins (`origin` field:
//! where the events were submitted from) seen in those windows, the origins of earlier
//! campaigns, and, after a crossing, the episode being reported. See [`super`] for the
//! semantics.

use super::{BaselineParams, ExtFired, ExtInput, add_sources, time_text};
use crate::correlation::{MAX_GROUP_HITS, MAX_GROUPS, MAX_SOURCES};
use crate::rule::CorrelationCondition;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use vigil_model::SourceRef;

/// Most internal domains learned per correlation.
pub const MAX_LEARNED_DOMAINS: usize = 10_000;
/// Most origins remembered per group (usual ones, and those of earlier campaigns).
pub const MAX_ORIGINS: usize = 1_024;
/// A group with campaign origins is forgotten after this many times the usual idle time.
const SUSPECT_KEEP_FACTOR: i64 = 4;
/// Most campaign origins listed in a detection.
const MAX_LISTED_ORIGINS: usize = 10;
/// Origins remembered across the groups of one correlation (for `new_origins_gte`).
pub const MAX_SHARED_ORIGINS: usize = 100_000;
/// Groups (mailboxes) that must have used an origin for it to be the organisation's own rather
/// than a new one: an attacker may send from a network through two stolen mailboxes.
pub const ORGANISATION_GROUPS: usize = 3;

#[derive(Debug, Serialize, Deserialize)]
struct Hit {
    ms: i64,
    event_key: Option<String>,
    values: Vec<String>,
    origin: Option<String>,
    host: Option<String>,
    #[serde(with = "super::saved_refs")]
    sources: Vec<SourceRef>,
}

/// What an episode has gathered since its last report.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Tally {
    /// Events without a key, and the distinct keys of the others.
    unkeyed: u64,
    keys: HashSet<String>,
    values: HashSet<String>,
    first_ms: Option<i64>,
    last_ms: i64,
    host: Option<Option<String>>,
    #[serde(with = "super::saved_refs")]
    sources: Vec<SourceRef>,
    /// Events (distinct keys) from the group's usual origins, left out of the counts.
    usual_keys: HashSet<String>,
    usual_unkeyed: u64,
}

impl Tally {
    fn events(&self) -> u64 {
        self.unkeyed.saturating_add(self.keys.len() as u64)
    }

    fn usual_events(&self) -> u64 {
        self.usual_unkeyed
            .saturating_add(self.usual_keys.len() as u64)
    }

    /// Adds a hit; keys and values in `seen` (reported by an earlier part of the episode) are
    /// not counted again.
    fn add(&mut self, h: &Hit, seen: Option<&Seen>, cap: usize, overflow: &mut u64) {
        let old_key = |k: &String| seen.is_some_and(|s| s.keys.contains(k));
        let old_value = |v: &String| seen.is_some_and(|s| s.values.contains(v));
        match &h.event_key {
            Some(k) if old_key(k) => {}
            Some(k) if self.keys.len() < cap || self.keys.contains(k) => {
                self.keys.insert(k.clone());
            }
            Some(_) => *overflow += 1,
            None => self.unkeyed += 1,
        }
        for v in h.values.iter().filter(|v| !old_value(v)) {
            if self.values.len() < cap || self.values.contains(v) {
                self.values.insert(v.clone());
            } else {
                *overflow += 1;
            }
        }
        self.first_ms = Some(self.first_ms.map_or(h.ms, |f| f.min(h.ms)));
        self.last_ms = self.last_ms.max(h.ms);
        self.host = Some(match self.host.take() {
            None => h.host.clone(),
            Some(prev) if prev == h.host => prev,
            Some(_) => None,
        });
        add_sources(&mut self.sources, &h.sources);
    }

    /// Notes a hit of the group's usual traffic: counted apart, never in the campaign's counts.
    fn add_usual(&mut self, h: &Hit, cap: usize) {
        match &h.event_key {
            Some(k) if self.usual_keys.len() < cap => {
                self.usual_keys.insert(k.clone());
            }
            Some(_) => {}
            None => self.usual_unkeyed += 1,
        }
    }
}

/// Keys and values an episode has reported, so that its parts count disjoint sets.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Seen {
    keys: HashSet<String>,
    values: HashSet<String>,
}

impl Seen {
    fn absorb(&mut self, t: &Tally, cap: usize) {
        for k in &t.keys {
            if self.keys.len() < cap {
                self.keys.insert(k.clone());
            }
        }
        for v in &t.values {
            if self.values.len() < cap {
                self.values.insert(v.clone());
            }
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Episode {
    threshold: f64,
    baseline: Option<f64>,
    /// A part goes on to the next while its metric reaches this (episodes not attributed to
    /// origins): the group's normal, and at least the rule's `minimum`.
    continue_at: f64,
    /// The origins the group had used before the episode, when the episode is attributed to
    /// the others (the group had history and origins it had never used sent in the window).
    usual: Option<HashSet<String>>,
    /// The origins the episode's counted events came from.
    campaign: HashSet<String>,
    /// Only events from `campaign` count (an episode opened without history by new origins).
    campaign_only: bool,
    /// The level of every part (the rule's when `None`).
    level: Option<vigil_model::Level>,
    /// The current part ends here (exclusive of later hits).
    until: i64,
    part: u32,
    tally: Tally,
    seen: Seen,
}

impl Episode {
    /// Whether a hit belongs to the campaign (always, unless the episode is attributed and the
    /// hit came from a usual origin or from nowhere known).
    fn counts(&self, h: &Hit) -> bool {
        if self.campaign_only {
            return h.origin.as_ref().is_some_and(|o| self.campaign.contains(o));
        }
        match (&self.usual, &h.origin) {
            (None, _) => true,
            (Some(usual), Some(o)) => !usual.contains(o),
            (Some(_), None) => false,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Group {
    hits: VecDeque<Hit>,
    /// Value → hits of the window holding it.
    counts: HashMap<String, u32>,
    /// (aligned window index, metric) of previous windows, oldest first.
    history: VecDeque<(i64, f64)>,
    bucket: i64,
    bucket_values: HashSet<String>,
    bucket_events: u64,
    bucket_origins: HashSet<String>,
    /// A campaign was counted in this aligned window: it does not become history.
    bucket_tainted: bool,
    /// Origin → the first and the last previous aligned windows it was seen in (outside
    /// campaigns).
    origins: HashMap<String, (i64, i64)>,
    /// Origins of earlier attributed campaigns: their events never become the group's normal.
    suspect: HashSet<String>,
    newest: i64,
    episode: Option<Episode>,
}

/// The state of one `vigil_baseline` correlation in one stream.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct BaselineState {
    groups: HashMap<Vec<String>, Group>,
    learned_domains: HashSet<String>,
    /// Origin → the groups that used it, up to [`ORGANISATION_GROUPS`] (then it is the
    /// organisation's own: an office's or a VPN's address that several people use); at most
    /// [`MAX_SHARED_ORIGINS`] origins.
    origin_groups: HashMap<String, Vec<Vec<String>>>,
}

/// What one correlation definition contributes to a decision.
pub(crate) struct Spec<'a> {
    pub params: &'a BaselineParams,
    pub condition: &'a CorrelationCondition,
    pub span_ms: i64,
    /// Distinct values are counted (a condition field is set), else events.
    pub distinct: bool,
}

impl Spec<'_> {
    fn metric(&self, events: u64, distinct: usize) -> f64 {
        if self.distinct {
            distinct as f64
        } else {
            events as f64
        }
    }
}

fn domain(v: &str) -> Option<String> {
    let (_, d) = v.trim().trim_end_matches('>').rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

impl BaselineState {
    /// Feeds one event of group `key`; detections (a crossing, or the report of an episode's
    /// finished part) go to `out`.
    pub(crate) fn feed(
        &mut self,
        spec: &Spec<'_>,
        key: &[String],
        input: ExtInput,
        overflow: &mut u64,
        out: &mut Vec<ExtFired>,
    ) {
        for l in &input.learn {
            if let Some(d) = domain(l)
                && (self.learned_domains.len() < MAX_LEARNED_DOMAINS
                    || self.learned_domains.contains(&d))
            {
                self.learned_domains.insert(d);
            }
        }
        let internal = |v: &str| {
            domain(v).is_some_and(|d| {
                spec.params.internal_domains.contains(&d) || self.learned_domains.contains(&d)
            })
        };
        let mut values: Vec<String> = Vec::new();
        if spec.distinct {
            for v in input.values {
                if !internal(&v) && !values.contains(&v) {
                    values.push(v);
                }
            }
            if values.is_empty() {
                return; // nothing to count (e.g. a message to internal recipients only)
            }
        }
        let span = spec.span_ms.max(1);
        let ms = input.ms;
        let b = ms.div_euclid(span);
        // Looked up by the borrowed key: the key is copied only for a new group.
        if !self.groups.contains_key(key) {
            if self.groups.len() >= MAX_GROUPS {
                *overflow += 1;
                return;
            }
            let g = Group {
                hits: VecDeque::new(),
                counts: HashMap::new(),
                history: VecDeque::new(),
                bucket: b,
                bucket_values: HashSet::new(),
                bucket_events: 0,
                bucket_origins: HashSet::new(),
                bucket_tainted: false,
                origins: HashMap::new(),
                suspect: HashSet::new(),
                newest: ms,
                episode: None,
            };
            self.groups.insert(key.to_vec(), g);
        }
        let Some(g) = self.groups.get_mut(key) else {
            return;
        };
        g.newest = g.newest.max(ms);
        roll_bucket(spec, g, b);
        if let Some(done) = end_episode_part(spec, key, g, ms, &self.origin_groups) {
            out.push(done);
        }
        let origin = input
            .origin
            .map(|o| o.trim().to_ascii_lowercase())
            .filter(|o| !o.is_empty() && o != "-");
        let hit = Hit {
            ms,
            event_key: input.event_key,
            values,
            origin,
            host: input.host,
            sources: input.sources,
        };
        if let Some(o) = &hit.origin {
            let room = self.origin_groups.len() < MAX_SHARED_ORIGINS;
            match self.origin_groups.get_mut(o) {
                Some(users)
                    if users.len() < ORGANISATION_GROUPS && !users.iter().any(|k| k == key) =>
                {
                    users.push(key.to_vec());
                }
                Some(_) => {}
                None if room => {
                    self.origin_groups.insert(o.clone(), vec![key.to_vec()]);
                }
                None => {}
            }
        }
        // The aligned window's metric and origins, for history; a campaign's origins never
        // become the group's normal.
        if !hit.origin.as_ref().is_some_and(|o| g.suspect.contains(o)) {
            g.bucket_events += 1;
            for v in &hit.values {
                if g.bucket_values.len() < spec.params.max_values || g.bucket_values.contains(v) {
                    g.bucket_values.insert(v.clone());
                }
            }
            if let Some(o) = &hit.origin
                && g.bucket_origins.len() < MAX_ORIGINS
            {
                g.bucket_origins.insert(o.clone());
            }
        }
        if let Some(ep) = g.episode.as_mut() {
            if ep.counts(&hit) {
                if let Some(o) = &hit.origin
                    && ep.usual.is_some()
                    && ep.campaign.len() < MAX_ORIGINS
                {
                    ep.campaign.insert(o.clone());
                    if g.suspect.len() < MAX_ORIGINS {
                        g.suspect.insert(o.clone());
                    }
                }
                ep.tally
                    .add(&hit, Some(&ep.seen), spec.params.max_values, overflow);
            } else {
                ep.tally.add_usual(&hit, spec.params.max_values);
            }
            return;
        }
        // The sliding window.
        while g
            .hits
            .front()
            .is_some_and(|h| h.ms <= ms.saturating_sub(span))
        {
            if let Some(old) = g.hits.pop_front() {
                forget(&mut g.counts, &old);
            }
        }
        for v in &hit.values {
            if let Some(n) = g.counts.get_mut(v) {
                *n += 1;
            } else if g.counts.len() < spec.params.max_values {
                g.counts.insert(v.clone(), 1);
            } else {
                *overflow += 1;
            }
        }
        g.hits.push_back(hit);
        if g.hits.len() > MAX_GROUP_HITS {
            if let Some(old) = g.hits.pop_front() {
                forget(&mut g.counts, &old);
            }
            *overflow += 1;
        }
        let metric = spec.metric(g.hits.len() as u64, g.counts.len());
        // History: windows wholly before the one holding the sliding window's start.
        let start_bucket = ms.saturating_sub(span).div_euclid(span);
        let oldest = b.saturating_sub(spec.params.history as i64);
        let baseline = g
            .history
            .iter()
            .filter(|(i, m)| *i < start_bucket && *i >= oldest && *m > 0.0)
            .map(|(_, m)| *m)
            .reduce(f64::max);
        let threshold = match baseline {
            Some(base) => (spec.params.factor * base).max(spec.params.minimum),
            None => absolute(spec.condition),
        };
        let fires = metric > 0.0
            && match baseline {
                Some(_) => metric >= threshold,
                None => spec.condition.holds(metric),
            };
        let new_origins = if fires || baseline.is_some() {
            HashSet::new()
        } else {
            new_origins_crossing(spec, g, &self.origin_groups)
        };
        if !fires && new_origins.is_empty() {
            return;
        }
        let threshold = if fires {
            threshold
        } else {
            spec.params.new_origins_gte.unwrap_or(threshold)
        };
        // Attribution: with history, when origins the group never used sent in the window, the
        // campaign is theirs; the group's own traffic from its usual origins is not counted.
        let usual: HashSet<String> = g
            .origins
            .iter()
            .filter(|(_, (first, last))| *first < start_bucket && *last >= oldest)
            .map(|(o, _)| o.clone())
            .collect();
        let campaign_only = !new_origins.is_empty();
        let usual: HashSet<String> = if campaign_only {
            g.hits
                .iter()
                .filter_map(|h| h.origin.clone())
                .filter(|o| !new_origins.contains(o))
                .collect()
        } else {
            usual
        };
        let attributed = campaign_only
            || (spec.params.origin.is_some()
                && baseline.is_some()
                && g.hits
                    .iter()
                    .any(|h| h.origin.as_ref().is_some_and(|o| !usual.contains(o))));
        let mut ep = Episode {
            threshold,
            baseline,
            continue_at: baseline.unwrap_or(0.0).max(spec.params.minimum),
            usual: attributed.then_some(usual),
            campaign: new_origins,
            campaign_only,
            level: baseline
                .is_none()
                .then_some(spec.params.without_history_level)
                .flatten(),
            until: ms.saturating_add(span),
            part: 1,
            tally: Tally::default(),
            seen: Seen::default(),
        };
        let mut tally = Tally::default();
        for h in &g.hits {
            if ep.counts(h) {
                if let Some(o) = &h.origin
                    && attributed
                    && ep.campaign.len() < MAX_ORIGINS
                {
                    ep.campaign.insert(o.clone());
                }
                tally.add(h, None, usize::MAX, &mut 0);
            } else {
                tally.add_usual(h, usize::MAX);
            }
        }
        if attributed {
            for o in &ep.campaign {
                if g.suspect.len() < MAX_ORIGINS {
                    g.suspect.insert(o.clone());
                }
                // Its first events were learned with the window before the crossing.
                g.bucket_origins.remove(o);
                g.origins.remove(o);
            }
            // The windows the campaign's first events fell in are not the group's normal.
            g.bucket_tainted = true;
            g.history.retain(|(i, _)| *i < start_bucket);
        }
        ep.seen.absorb(&tally, spec.params.max_values);
        let distinct = tally.values.len();
        // Crossed by the campaign alone: its own measure is the metric.
        let metric = if campaign_only {
            spec.metric(tally.events(), distinct)
        } else {
            metric
        };
        g.hits.clear();
        g.counts.clear();
        out.push(report(spec, key, &tally, &ep, distinct, metric, 1));
        g.episode = Some(ep);
    }

    /// Checks a restored state against the bounds a live one keeps (see `crate::correlation`'s
    /// snapshots).
    pub(crate) fn validate(&self, params: &BaselineParams, arity: usize) -> Result<(), String> {
        if self.groups.len() > MAX_GROUPS {
            return Err(format!(
                "{} groups (at most {MAX_GROUPS})",
                self.groups.len()
            ));
        }
        if self.learned_domains.len() > MAX_LEARNED_DOMAINS {
            return Err("too many learned domains".into());
        }
        if self.origin_groups.len() > MAX_SHARED_ORIGINS
            || self
                .origin_groups
                .values()
                .any(|u| u.len() > ORGANISATION_GROUPS || u.iter().any(|k| k.len() != arity))
        {
            return Err("shared origins out of bounds".into());
        }
        let cap = params.max_values;
        let hit_ok = |h: &Hit| {
            h.values.len() <= crate::correlation::MAX_LIST_VALUES && h.sources.len() <= MAX_SOURCES
        };
        for (key, g) in &self.groups {
            let mut ok = key.len() == arity
                && g.hits.len() <= MAX_GROUP_HITS
                && g.hits.iter().all(hit_ok)
                && g.counts.len() <= cap
                && g.history.len() <= params.history
                && g.bucket_values.len() <= cap
                && [g.bucket_origins.len(), g.origins.len(), g.suspect.len()]
                    .iter()
                    .all(|&n| n <= MAX_ORIGINS);
            if let Some(ep) = &g.episode {
                let t = &ep.tally;
                ok &= [t.keys.len(), t.values.len(), t.usual_keys.len()]
                    .iter()
                    .chain([ep.seen.keys.len(), ep.seen.values.len()].iter())
                    .all(|&n| n <= cap)
                    && t.sources.len() <= MAX_SOURCES
                    && ep.campaign.len() <= MAX_ORIGINS
                    && ep.usual.as_ref().is_none_or(|u| u.len() <= MAX_ORIGINS);
            }
            if !ok {
                return Err("a group out of bounds".into());
            }
        }
        Ok(())
    }

    /// Closes episode parts that ended before `now` (all when `None`, at the end of the input),
    /// and forgets groups with nothing left to remember.
    pub(crate) fn sweep(&mut self, spec: &Spec<'_>, now: Option<i64>, out: &mut Vec<ExtFired>) {
        let span = spec.span_ms.max(1);
        let keep = span.saturating_mul(spec.params.history as i64 + 1);
        let mut idle = Vec::new();
        let start = out.len();
        for (key, g) in self.groups.iter_mut() {
            let t = now.unwrap_or(i64::MAX);
            if let Some(done) = end_episode_part(spec, key, g, t, &self.origin_groups) {
                out.push(done);
            }
            // A group that sent a campaign is remembered longer, so that the campaign's origins
            // stay suspect over a quiet period.
            let idle_after = if g.suspect.is_empty() {
                keep
            } else {
                keep.saturating_mul(SUSPECT_KEEP_FACTOR)
            };
            if now.is_some_and(|n| g.newest < n.saturating_sub(idle_after)) {
                idle.push(key.clone());
            }
        }
        // Groups are kept in a hash map: closed parts go out in the order they began (then by
        // group), so the same input always gives the same output.
        if let Some(closed) = out.get_mut(start..) {
            closed.sort_by(|a, b| (a.first_ms, &a.key).cmp(&(b.first_ms, &b.key)));
        }
        for k in idle {
            self.groups.remove(&k);
        }
    }
}

/// The lowest metric an absolute condition accepts, for reporting.
/// Without history: the new public origins of the window (public networks that fewer than
/// [`ORGANISATION_GROUPS`] groups used, beside another origin of the group's own) when the events
/// or values from them alone reach `new_origins_gte`; else none.
fn new_origins_crossing(
    spec: &Spec<'_>,
    g: &Group,
    shared: &HashMap<String, Vec<Vec<String>>>,
) -> HashSet<String> {
    let Some(gte) = spec.params.new_origins_gte else {
        return HashSet::new();
    };
    // This runs for every event of a group without history that did not cross: nothing to do
    // when the whole window could not reach the threshold, and each origin is judged once.
    if spec.metric(g.hits.len() as u64, g.counts.len()) < gte {
        return HashSet::new();
    }
    let mut judged: HashMap<&str, bool> = HashMap::new();
    for o in g.hits.iter().filter_map(|h| h.origin.as_deref()) {
        judged.entry(o).or_insert_with(|| {
            is_public_origin(o) && shared.get(o).is_some_and(|u| u.len() < ORGANISATION_GROUPS)
        });
    }
    // A mailbox whose only origin is this one sends from there as a rule (a front desk's own
    // address): the new origin must come beside the group's usual one, in this window or before.
    let elsewhere = judged.values().any(|new| !new)
        || g.bucket_origins
            .iter()
            .chain(g.origins.keys())
            .any(|o| !judged.get(o.as_str()).copied().unwrap_or(false));
    let new: HashSet<&str> = judged
        .iter()
        .filter(|(_, new)| **new)
        .map(|(o, _)| *o)
        .collect();
    if new.is_empty() || !elsewhere {
        return HashSet::new();
    }
    let from_new = || {
        g.hits
            .iter()
            .filter(|h| h.origin.as_deref().is_some_and(|o| new.contains(o)))
    };
    let (events, listed) = from_new().fold((0u64, 0usize), |(e, v), h| (e + 1, v + h.values.len()));
    if spec.metric(events, listed) < gte {
        return HashSet::new(); // distinct values are at most the values listed
    }
    let values: HashSet<&str> = from_new()
        .flat_map(|h| h.values.iter().map(String::as_str))
        .collect();
    if spec.metric(events, values.len()) >= gte {
        new.into_iter().map(str::to_string).collect()
    } else {
        HashSet::new()
    }
}

/// Whether an origin (an address or a network such as `203.0.113.0/24`) is on the public
/// internet: private, loopback, link-local, unique-local and unspecified ranges are the
/// organisation's own (its LAN, webmail on the server itself), never a new origin.
fn is_public_origin(o: &str) -> bool {
    let addr = o.split('/').next().unwrap_or(o).trim();
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => {
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT: shared by a provider's customers.
                || (a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64))
        }
        Ok(std::net::IpAddr::V6(a)) => {
            let first = a.segments()[0];
            !(a.is_loopback()
                || a.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
        Err(_) => false,
    }
}

fn absolute(c: &CorrelationCondition) -> f64 {
    match (c.gte, c.gt) {
        (Some(a), Some(b)) => a.max(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => 0.0,
    }
}

fn forget(counts: &mut HashMap<String, u32>, h: &Hit) {
    for v in &h.values {
        if let Some(n) = counts.get_mut(v) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(v);
            }
        }
    }
}

/// Moves the finished aligned window into history when `b` is a later one.
fn roll_bucket(spec: &Spec<'_>, g: &mut Group, b: i64) {
    if b <= g.bucket {
        return;
    }
    let metric = spec.metric(g.bucket_events, g.bucket_values.len());
    if metric > 0.0 && !g.bucket_tainted {
        g.history.push_back((g.bucket, metric));
    }
    let bucket = g.bucket;
    for o in g.bucket_origins.drain() {
        if g.suspect.contains(&o) {
            continue;
        }
        if let Some((_, last)) = g.origins.get_mut(&o) {
            *last = bucket;
        } else if g.origins.len() < MAX_ORIGINS {
            g.origins.insert(o, (bucket, bucket));
        }
    }
    let oldest = b.saturating_sub(spec.params.history as i64);
    while g.history.front().is_some_and(|(i, _)| *i < oldest) {
        g.history.pop_front();
    }
    while g.history.len() > spec.params.history {
        g.history.pop_front();
    }
    g.origins.retain(|_, (_, last)| *last >= oldest);
    g.bucket = b;
    g.bucket_values.clear();
    g.bucket_events = 0;
    g.bucket_tainted = false;
}

/// When time `t` is past the episode's current part: reports the part (if it gathered
/// anything) and continues the episode while the campaign goes on, else ends it.
///
/// An episode attributed to origins goes on while those (or other unusual) origins still send
/// in each part; otherwise while each part stays above the group's normal (`continue_at`). A
/// part without any of that, or time past the next part, ends it.
fn end_episode_part(
    spec: &Spec<'_>,
    key: &[String],
    g: &mut Group,
    t: i64,
    shared: &HashMap<String, Vec<Vec<String>>>,
) -> Option<ExtFired> {
    let ep = g.episode.as_mut()?;
    if t <= ep.until {
        return None;
    }
    let organisational = |o: &String| {
        shared
            .get(o)
            .is_some_and(|u| u.len() >= ORGANISATION_GROUPS)
    };
    let tally = std::mem::take(&mut ep.tally);
    ep.seen.absorb(&tally, spec.params.max_values);
    let metric = spec.metric(tally.events(), tally.values.len());
    let report_it = tally.events() > 0;
    let part = ep.part + 1;
    let mut goes_on = if ep.usual.is_some() {
        tally.events() > 0
    } else {
        metric >= ep.continue_at
    };
    // A network that more mailboxes have used since is the organisation's (an office address
    // seen first through one mailbox on the first day of the logs): the episode ends with it.
    let mut report_it = report_it;
    if ep.campaign_only {
        for o in ep.campaign.iter().filter(|o| organisational(o)) {
            g.suspect.remove(o);
        }
        ep.campaign.retain(|o| !organisational(o));
        goes_on &= !ep.campaign.is_empty();
        report_it &= !ep.campaign.is_empty();
    }
    let fired = report_it.then(|| report(spec, key, &tally, ep, tally.values.len(), metric, part));
    if goes_on && t <= ep.until.saturating_add(spec.span_ms) {
        ep.until = ep.until.saturating_add(spec.span_ms);
        ep.part = part;
    } else {
        g.episode = None;
    }
    fired
}

fn report(
    spec: &Spec<'_>,
    key: &[String],
    tally: &Tally,
    ep: &Episode,
    distinct: usize,
    metric: f64,
    part: u32,
) -> ExtFired {
    let first = tally.first_ms.unwrap_or(tally.last_ms);
    let mut matched = vec![
        (spec.params.events_label.clone(), tally.events().to_string()),
        (spec.params.values_label.clone(), distinct.to_string()),
        ("first_time".into(), time_text(first)),
        ("last_time".into(), time_text(tally.last_ms)),
        (
            "baseline".into(),
            ep.baseline
                .map_or_else(|| "none".to_string(), |b| format!("{b}")),
        ),
        ("threshold".into(), format!("{}", ep.threshold)),
    ];
    if part > 1 {
        matched.push(("episode_part".into(), part.to_string()));
    }
    if let (Some(field), Some(_)) = (&spec.params.origin, &ep.usual) {
        let mut campaign: Vec<&String> = ep.campaign.iter().collect();
        campaign.sort();
        let mut listed: Vec<&str> = campaign
            .iter()
            .take(MAX_LISTED_ORIGINS)
            .map(|s| s.as_str())
            .collect();
        if campaign.len() > MAX_LISTED_ORIGINS {
            listed.push("…");
        }
        matched.push((format!("campaign_{field}"), listed.join(", ")));
        matched.push((
            format!("{}_usual_origins_not_counted", spec.params.events_label),
            tally.usual_events().to_string(),
        ));
    }
    let mut sources = tally.sources.clone();
    sources.truncate(MAX_SOURCES);
    ExtFired {
        key: key.to_vec(),
        first_ms: first,
        last_ms: tally.last_ms,
        host: tally.host.clone().flatten(),
        sources,
        metric,
        matched,
        chain: Vec::new(),
        level: ep.level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn cond(gte: f64) -> CorrelationCondition {
        CorrelationCondition {
            gte: Some(gte),
            field: vec!["rcpt".into()],
            ..CorrelationCondition::default()
        }
    }

    fn input(ms: i64, rcpt: &str) -> ExtInput {
        ExtInput {
            learn: vec!["me@clinic.example".into()],
            host: Some("mx".into()),
            ..ExtInput::one(0, ms, rcpt)
        }
    }

    struct Run {
        state: BaselineState,
        out: Vec<ExtFired>,
        overflow: u64,
    }

    impl Run {
        fn new() -> Self {
            Run {
                state: BaselineState::default(),
                out: Vec::new(),
                overflow: 0,
            }
        }
        fn feed(&mut self, spec: &Spec<'_>, ms: i64, rcpt: &str) {
            let key = vec!["me@clinic.example".to_string()];
            self.state.feed(
                spec,
                &key,
                input(ms, rcpt),
                &mut self.overflow,
                &mut self.out,
            );
        }
        fn get(&self, i: usize, k: &str) -> Option<String> {
            self.out
                .get(i)?
                .matched
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        }
    }

    fn spec<'a>(p: &'a BaselineParams, c: &'a CorrelationCondition) -> Spec<'a> {
        Spec {
            params: p,
            condition: c,
            span_ms: DAY,
            distinct: true,
        }
    }

    /// Ten quiet days (up to 4 external recipients a day), then 30 a day for three days.
    #[test]
    fn a_campaign_against_a_quiet_history_is_counted_whole() {
        let p = BaselineParams::default();
        let c = cond(60.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        for d in 0..10 {
            for i in 0..(d % 5) {
                r.feed(&s, d * DAY + i * HOUR, &format!("friend{i}@example.net"));
            }
            r.feed(&s, d * DAY + 5 * HOUR, "colleague@clinic.example");
        }
        assert!(r.out.is_empty());
        let mut n = 0;
        for d in 10..13 {
            for i in 0..30 {
                r.feed(
                    &s,
                    d * DAY + i * (DAY / 31),
                    &format!("patient{n}@example.org"),
                );
                n += 1;
            }
        }
        r.state.sweep(&s, None, &mut r.out);
        assert!(!r.out.is_empty());
        let messages: u64 = (0..r.out.len())
            .map(|i| r.get(i, "event_count").unwrap().parse::<u64>().unwrap())
            .sum();
        let recipients: u64 = (0..r.out.len())
            .map(|i| r.get(i, "value_count").unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(messages, 90, "every message of the campaign counted once");
        assert_eq!(recipients, 90);
        assert_eq!(r.get(0, "baseline").as_deref(), Some("4"));
        assert_eq!(r.get(0, "threshold").as_deref(), Some("12"));
        assert_eq!(r.get(0, "value_count").as_deref(), Some("12"));
        assert!(r.out.len() <= 5, "{} detections", r.out.len());
        assert_eq!(r.overflow, 0);
    }

    /// Without history the absolute condition decides; the first window then becomes history,
    /// so the same volume a week later is ordinary.
    #[test]
    fn no_history_uses_the_absolute_threshold_and_a_recurring_bulk_is_learned() {
        let p = BaselineParams::default();
        let c = cond(60.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        for i in 0..59 {
            r.feed(&s, i * 1000, &format!("r{i}@example.org"));
        }
        assert!(r.out.is_empty(), "59 < 60");
        r.feed(&s, 60_000, "r59@example.org");
        assert_eq!(r.out.len(), 1);
        assert_eq!(r.get(0, "baseline").as_deref(), Some("none"));
        let before = r.out.len();
        for i in 0..100 {
            r.feed(&s, 7 * DAY + i * 1000, &format!("r{i}@example.org"));
        }
        r.state.sweep(&s, None, &mut r.out);
        assert_eq!(
            r.out.len(),
            before,
            "a week later the same bulk is the group's normal"
        );
    }

    /// Internal recipients, given or learned from the sender's domain, are not counted.
    #[test]
    fn internal_domains_are_not_counted() {
        let p = BaselineParams {
            internal_domains: vec!["partner.example".into()],
            ..BaselineParams::default()
        };
        let c = cond(5.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        for i in 0..20 {
            r.feed(&s, i, &format!("u{i}@clinic.example"));
            r.feed(&s, i, &format!("u{i}@Partner.Example"));
        }
        r.state.sweep(&s, None, &mut r.out);
        assert!(r.out.is_empty());
    }

    fn from(ms: i64, rcpt: &str, key: &str, origin: &str) -> ExtInput {
        ExtInput {
            event_key: Some(key.to_string()),
            origin: Some(origin.to_string()),
            ..input(ms, rcpt)
        }
    }

    fn total(r: &Run, k: &str) -> u64 {
        (0..r.out.len())
            .filter_map(|i| r.get(i, k)?.parse::<u64>().ok())
            .sum()
    }

    /// The owner's ordinary mail from the office: a few external correspondents every day.
    fn ordinary_days(s: &Spec<'_>, r: &mut Run, days: std::ops::Range<i64>, n: &mut u64) {
        let key = vec!["me@clinic.example".to_string()];
        for d in days {
            for i in 0..3 {
                *n += 1;
                let inp = from(
                    d * DAY + (9 + i) * HOUR,
                    &format!("friend{i}@example.net"),
                    &format!("own{n}"),
                    "192.0.2.0/24",
                );
                r.state.feed(s, &key, inp, &mut r.overflow, &mut r.out);
            }
        }
    }

    fn attributed_params() -> BaselineParams {
        BaselineParams {
            origin: Some("net".into()),
            without_history_level: Some(vigil_model::Level::Medium),
            ..BaselineParams::default()
        }
    }

    /// With history, a campaign from a network the sender never used is counted alone: the
    /// owner's own messages of those days (from the office) are left out, over several days
    /// whose pace drops below the crossing threshold, and the parts add up exactly.
    #[test]
    fn a_campaign_from_new_origins_is_counted_without_the_owners_mail() {
        let p = attributed_params();
        let c = cond(60.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        let key = vec!["me@clinic.example".to_string()];
        let mut own = 0;
        ordinary_days(&s, &mut r, 0..10, &mut own);
        assert!(r.out.is_empty());
        let mut sent = 0u64;
        // 40, then 15, then 25 messages a day, each to two new recipients, interleaved with
        // the owner's ordinary mail.
        for (d, per_day) in [(10, 40), (11, 15), (12, 25)] {
            ordinary_days(&s, &mut r, d..d + 1, &mut own);
            for k in 0..per_day {
                let t = d * DAY + k * (DAY / per_day);
                for j in 0..2 {
                    let inp = from(
                        t,
                        &format!("patient{sent}_{j}@example.org"),
                        &format!("phish{sent}"),
                        "203.0.113.0/24",
                    );
                    r.state.feed(&s, &key, inp, &mut r.overflow, &mut r.out);
                }
                sent += 1;
            }
        }
        r.state.sweep(&s, None, &mut r.out);
        assert!(!r.out.is_empty());
        assert_eq!(total(&r, "event_count"), sent, "{:?}", r.out.len());
        assert_eq!(total(&r, "value_count"), 2 * sent);
        assert!(total(&r, "event_count_usual_origins_not_counted") > 0);
        assert_eq!(r.get(0, "campaign_net").as_deref(), Some("203.0.113.0/24"));
        assert!(
            r.out.iter().all(|f| f.level.is_none()),
            "with history: the rule's level"
        );
        // The campaign's network never became the sender's normal: a second wave a week later
        // (within the history) is reported again, again without the owner's mail of that day.
        let before = r.out.len();
        ordinary_days(&s, &mut r, 13..21, &mut own);
        for k in 0..30 {
            let inp = from(
                20 * DAY + k * 60_000,
                &format!("again{k}@example.org"),
                &format!("wave2-{k}"),
                "203.0.113.0/24",
            );
            r.state.feed(&s, &key, inp, &mut r.overflow, &mut r.out);
        }
        r.state.sweep(&s, None, &mut r.out);
        assert!(r.out.len() > before, "second wave missed");
        let wave2: u64 = (before..r.out.len())
            .filter_map(|i| r.get(i, "event_count")?.parse::<u64>().ok())
            .sum();
        assert_eq!(wave2, 30);
    }

    /// Without history the absolute condition decides at the lower level, and every message
    /// counts (there is no usual origin to set apart).
    #[test]
    fn without_history_the_level_is_lowered() {
        let p = attributed_params();
        let c = cond(60.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        let key = vec!["news@clinic.example".to_string()];
        for i in 0..80 {
            let inp = from(
                i * 1000,
                &format!("reader{i}@example.org"),
                &format!("m{i}"),
                "192.0.2.0/24",
            );
            r.state.feed(&s, &key, inp, &mut r.overflow, &mut r.out);
        }
        r.state.sweep(&s, None, &mut r.out);
        assert_eq!(total(&r, "value_count"), 80);
        assert_eq!(r.get(0, "baseline").as_deref(), Some("none"));
        assert!(r.get(0, "campaign_net").is_none());
        assert!(
            r.out
                .iter()
                .all(|f| f.level == Some(vigil_model::Level::Medium))
        );
    }

    /// Without history, `new_origins_gte` counts only mail from public networks that fewer than
    /// three mailboxes used, beside the mailbox's own: a stolen mailbox's campaign on the first
    /// days of the logs, below the absolute threshold, is reported with its own count (the owner's
    /// office mail set apart); a busy sender on the LAN, an office address several mailboxes share
    /// and a front desk that only ever sends from its own public address are not.
    #[test]
    fn without_history_a_campaign_from_a_new_public_network_is_counted_alone() {
        let p = BaselineParams {
            new_origins_gte: Some(20.0),
            ..attributed_params()
        };
        let c = cond(60.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        let mut n = 0;
        let mut send = |r: &mut Run, who: &str, ms: i64, net: &str| {
            n += 1;
            let inp = from(ms, &format!("p{n}@example.org"), &format!("m{n}"), net);
            let key = vec![who.to_string()];
            r.state.feed(&s, &key, inp, &mut r.overflow, &mut r.out);
        };
        for day in 0..3 {
            let t0 = day * DAY + 8 * HOUR;
            // A busy sender on the LAN, 40 a day; three mailboxes through the office's address.
            for i in 0..40 {
                send(
                    &mut r,
                    "busy@clinic.example",
                    t0 + i * 60_000,
                    "10.1.2.0/24",
                );
            }
            for i in 0..25 {
                for who in ["a@clinic.example", "b@clinic.example", "c@clinic.example"] {
                    send(&mut r, who, t0 + i * 60_000, "198.51.100.0/24");
                }
                // A front desk that only ever sends from its own public address.
                send(&mut r, "desk@clinic.example", t0 + i * 60_000, "192.0.2.77");
            }
        }
        // The campaign, on the first days reception@ appears in the logs (no history): 24 on
        // day 3 and 22 on day 4 from the attacker's network, beside the owner's own from the LAN.
        for (day, count) in [(3, 24), (4, 22)] {
            for i in 0..count {
                let ms = day * DAY + 9 * HOUR + i * 120_000;
                send(&mut r, "reception@clinic.example", ms, "203.0.113.0/24");
            }
            send(
                &mut r,
                "reception@clinic.example",
                day * DAY + 15 * HOUR,
                "10.1.2.0/24",
            );
        }
        r.state.sweep(&s, None, &mut r.out);
        let keys: Vec<&str> = r.out.iter().map(|f| f.key[0].as_str()).collect();
        assert!(
            keys.iter().all(|k| *k == "reception@clinic.example"),
            "{keys:?}"
        );
        assert_eq!(total(&r, "value_count"), 46);
        assert_eq!(total(&r, "event_count"), 46);
        assert_eq!(r.get(0, "campaign_net").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(r.get(0, "threshold").as_deref(), Some("20"));
        assert!(total(&r, "event_count_usual_origins_not_counted") >= 1);
        assert!(
            r.out
                .iter()
                .all(|f| f.level == Some(vigil_model::Level::Medium))
        );
    }

    /// An office address seen first through one mailbox is a new origin until two more use it;
    /// the episode it opened then ends without another report.
    #[test]
    fn an_office_address_learned_late_ends_the_episode_it_opened() {
        let p = BaselineParams {
            new_origins_gte: Some(20.0),
            ..attributed_params()
        };
        let c = cond(60.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        let mut n = 0;
        let office = "198.51.100.0/24";
        let mut send = |r: &mut Run, who: &str, ms: i64, net: &str| {
            n += 1;
            let inp = from(ms, &format!("p{n}@example.org"), &format!("m{n}"), net);
            r.state
                .feed(&s, &[who.to_string()], inp, &mut r.overflow, &mut r.out);
        };
        send(&mut r, "a@clinic.example", 7 * HOUR, "10.1.2.0/24");
        for i in 0..25 {
            send(&mut r, "a@clinic.example", 8 * HOUR + i * 60_000, office);
        }
        assert_eq!(
            r.out.len(),
            1,
            "reported while only one mailbox used the address"
        );
        for day in 0..4 {
            for i in 0..25 {
                for who in ["a@clinic.example", "b@clinic.example", "c@clinic.example"] {
                    send(&mut r, who, day * DAY + 10 * HOUR + i * 60_000, office);
                }
            }
        }
        r.state.sweep(&s, None, &mut r.out);
        assert_eq!(r.out.len(), 1, "{:?}", r.out.len());
    }

    #[test]
    fn public_origins_are_told_from_the_organisations_own() {
        for o in ["203.0.113.0/24", "192.0.2.7", "2001:db8:1::/64"] {
            assert!(is_public_origin(o), "{o}");
        }
        for o in [
            "10.1.2.0/24",
            "127.0.0.1",
            "100.64.3.0/24",
            "fd00:1::/64",
            "fe80::1",
            "-",
            "x",
        ] {
            assert!(!is_public_origin(o), "{o}");
        }
    }

    #[test]
    fn distinct_values_per_window_are_capped() {
        let p = BaselineParams {
            max_values: 10,
            ..BaselineParams::default()
        };
        let c = cond(1000.0);
        let s = spec(&p, &c);
        let mut r = Run::new();
        for i in 0..50 {
            r.feed(&s, i, &format!("x{i}@example.org"));
        }
        assert_eq!(r.overflow, 40);
        let g = r.state.groups.values().next().unwrap();
        assert_eq!(g.counts.len(), 10);
        r.state.sweep(&s, Some(400 * DAY), &mut r.out);
        assert!(r.state.groups.is_empty(), "idle groups are forgotten");
    }
}
