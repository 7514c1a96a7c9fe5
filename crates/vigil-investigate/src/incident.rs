//! Grouping detections into incidents: one breach judged as a whole.
//!
//! The policy, per asset (host names compared with [`asset_key`], so `MAIL01.clinic.example.org` and
//! `MAIL01` are one asset):
//!
//! 1. **Waves.** Detections at or above [`GroupOptions::min_level`] (high by default) open incidents. They
//!    are sorted by time and chained: one that comes no later than [`GroupOptions::gap`] (30 days) after
//!    the previous one continues its wave; a longer silence starts a new wave. A server with a web shell
//!    stays compromised until it is cleaned, and the traces of that (a re-dropped web shell quarantined by
//!    the antivirus, a return visit) arrive weeks apart.
//! 2. **Lower-level detections inside a wave** (low and medium) join it: they tell the story between two
//!    strong signals, but on their own they are mostly noise and would make every quiet day an incident.
//! 3. **Waves joined by shared entities.** A later wave that shares a linking entity with an earlier
//!    incident ([`crate::entity`]: the same address, account, mailbox, web-shell path or file name; or two
//!    weaker ones such as a network and a user agent) continues that breach, however long the quiet period
//!    between them (up to [`GroupOptions::link_horizon`], a year): one incident, one notice, one dwell
//!    time, with its [`Wave`]s listed and what links each to the earlier ones.
//! 4. **Precursors.** Low and medium detections (a password spray, failed logins) up to
//!    [`GroupOptions::lookback`] (14 days) before an incident's first strong detection that share an
//!    address, network, account or mailbox with it belong to it and move its start: the dwell time runs from
//!    the first malicious event, whatever its level. They form the first wave.
//! 6. **Followers.** Low and medium detections after an incident, no later than the gap after its last
//!    detection, that share a linking entity with it (a bulk mailbox download after the attacker's login)
//!    extend its last wave.
//! 7. **Context.** Informational detections never open or extend an incident; those inside its span that
//!    share a linking entity with it are kept as [`Incident::context`] for the timeline.
//!
//! Detections without a timestamp cannot be placed and detections triaged as false positives are kept
//! aside in [`Grouping`], never dropped silently; the latter still count as evidence of what is common.

use crate::asset::asset_key;
use crate::entity::{Entity, EntityKind, LinkOptions, Linker, joins, links};
use crate::tactics::{Tactic, detection_tactics, is_entry_candidate, primary_tactic};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use vigil_model::{Detection, Level, SourceRef};

/// Identifies one detection for triage decisions: its rule and its first record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DetectionKey {
    pub rule_id: String,
    pub source: SourceRef,
}

impl DetectionKey {
    pub fn of(d: &Detection) -> Option<DetectionKey> {
        d.sources.first().map(|s| DetectionKey {
            rule_id: d.rule_id.clone(),
            source: s.clone(),
        })
    }

    fn matches(&self, d: &Detection) -> bool {
        self.rule_id == d.rule_id && d.sources.contains(&self.source)
    }
}

/// Most informational detections kept as an incident's context.
pub const MAX_CONTEXT: usize = 500;
/// Most linking entities listed on an incident.
pub const MAX_INCIDENT_ENTITIES: usize = 100;
/// Passes over the precursor candidates: each pass may add entities that tie more of them.
const MAX_PRECURSOR_PASSES: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupOptions {
    /// Longest silence between two detections of one wave.
    pub gap: SignedDuration,
    /// Detections triaged as false positives (e.g. a planned mailbox export by an administrator).
    #[serde(default)]
    pub dismissed: Vec<DetectionKey>,
    /// Detections at or above this level open incidents.
    #[serde(default = "default_min_level")]
    pub min_level: Level,
    /// How far before an incident lower-level detections sharing an entity with it are precursors.
    #[serde(default = "default_lookback")]
    pub lookback: SignedDuration,
    /// Longest quiet period a shared entity may bridge between two waves.
    #[serde(default = "default_horizon")]
    pub link_horizon: SignedDuration,
    /// What counts as a common value that never links.
    #[serde(default)]
    pub link: LinkOptions,
    /// Rules curated as post-exploitation (`rules/cve-map.yml`, lower case): never an entry point.
    #[serde(default)]
    pub post_exploitation_rules: BTreeSet<String>,
}

fn default_min_level() -> Level {
    Level::High
}

fn default_lookback() -> SignedDuration {
    SignedDuration::from_hours(14 * 24)
}

fn default_horizon() -> SignedDuration {
    SignedDuration::from_hours(365 * 24)
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            gap: SignedDuration::from_hours(30 * 24),
            dismissed: Vec::new(),
            min_level: default_min_level(),
            lookback: default_lookback(),
            link_horizon: default_horizon(),
            link: LinkOptions::default(),
            post_exploitation_rules: BTreeSet::new(),
        }
    }
}

/// How a wave is tied to another wave of the same incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveLink {
    /// The number of the wave it is tied to.
    pub to: usize,
    /// Silence between the end of the earlier of the two waves and the start of the later.
    pub quiet: SignedDuration,
    /// Linking entities the two share; empty when the waves are tied by time alone.
    pub shared: Vec<Entity>,
}

/// One phase of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wave {
    /// 1-based, in time order.
    pub number: usize,
    pub start: Timestamp,
    pub end: Timestamp,
    pub detections: usize,
    pub highest_level: Level,
    /// Rule titles, most frequent first (at most five).
    pub rules: Vec<String>,
    /// How this wave is tied to another one; `None` for the first wave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<WaveLink>,
    /// Lower-level detections before the wave's first strong one that belong to it (a spray
    /// before the login it led to): they start the wave, and the incident.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub precursors: usize,
    /// What ties those precursors to the rest of the wave (the spraying network).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub precursors_shared: Vec<Entity>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Wave {
    /// "3 of them precursors, tied by network 198.51.100.0/24".
    pub fn precursors_text(&self) -> Option<String> {
        if self.precursors == 0 {
            return None;
        }
        let shared: Vec<String> = self
            .precursors_shared
            .iter()
            .take(6)
            .map(ToString::to_string)
            .collect();
        Some(if shared.is_empty() {
            format!("{} of them precursors", self.precursors)
        } else {
            format!(
                "{} of them precursors, tied by {}",
                self.precursors,
                shared.join(", ")
            )
        })
    }

    /// "shares address 203.0.113.91, file erroree.aspx with wave 1 (quiet for 97 d …)".
    pub fn link_text(&self) -> Option<String> {
        let l = self.link.as_ref()?;
        let quiet = crate::time::format_duration(l.quiet.abs());
        Some(if l.shared.is_empty() {
            format!("within the gap after wave {} ({quiet} apart)", l.to)
        } else {
            let shared: Vec<String> = l.shared.iter().take(6).map(ToString::to_string).collect();
            let more = l.shared.len().saturating_sub(6);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "shares {}{more} with wave {}; returns after it by {quiet}",
                shared.join(", "),
                l.to
            )
        })
    }
}

/// Detections on one asset that belong together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `INC-MAIL01-20210812T211403Z`: the asset and the first detection's time, so the same data gives the
    /// same id on every run (it changes only if an earlier detection is added).
    pub id: String,
    /// The host name as the first detection spelled it; `None` when the detections named no host.
    pub asset: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Ordered by time, then by kill-chain tactic, then rule id.
    pub detections: Vec<Detection>,
    pub highest_level: Level,
    /// Every tactic seen, in kill-chain order.
    pub tactics: Vec<Tactic>,
    /// The phases of the incident, in time order.
    #[serde(default)]
    pub waves: Vec<Wave>,
    /// Informational detections that share an entity with the incident: shown, never counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<Detection>,
    /// The linking entities of its detections (at most [`MAX_INCIDENT_ENTITIES`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<Entity>,
    /// The level at which detections open incidents: the entry point is sought among those first.
    #[serde(default = "default_min_level")]
    pub open_level: Level,
}

impl Incident {
    /// Whether a detection can be this incident's entry point, given the rules curated as
    /// post-exploitation.
    pub fn entry_candidates(
        &self,
        post_exploitation: impl Fn(&Detection) -> bool,
    ) -> Vec<&Detection> {
        let all: Vec<&Detection> = self
            .detections
            .iter()
            .filter(|d| d.timestamp.is_some() && is_entry_candidate(d) && !post_exploitation(d))
            .collect();
        let any_strong = all.iter().any(|d| d.level >= self.open_level);
        all.into_iter()
            .filter(|d| !any_strong || d.level >= self.open_level)
            .collect()
    }
}

impl Incident {
    /// The detections per primary tactic, in kill-chain order; detections without any ATT&CK tag last.
    pub fn by_tactic(&self) -> Vec<(Option<Tactic>, Vec<&Detection>)> {
        let mut groups: BTreeMap<(bool, Option<Tactic>), Vec<&Detection>> = BTreeMap::new();
        for d in &self.detections {
            let t = primary_tactic(d);
            groups.entry((t.is_none(), t)).or_default().push(d);
        }
        groups.into_iter().map(|((_, t), v)| (t, v)).collect()
    }

    /// Whether a host or asset name denotes this incident's asset.
    pub fn is_on(&self, name: &str) -> bool {
        self.asset
            .as_deref()
            .is_some_and(|a| asset_key(a) == asset_key(name))
    }
}

/// The result of grouping: incidents, plus what could not be grouped and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    /// Ordered by first detection, then id.
    pub incidents: Vec<Incident>,
    /// Detections without a timestamp: they cannot be placed in time.
    pub untimed: Vec<Detection>,
    /// Detections matching a dismissal.
    pub dismissed: Vec<Detection>,
}

/// Groups detections into incidents (see the module documentation for the policy).
pub fn group_incidents(detections: &[Detection], opts: &GroupOptions) -> Grouping {
    let mut out = Grouping::default();
    type PerAsset<'a> = (Vec<(Timestamp, &'a Detection)>, Vec<&'a Detection>);
    let mut per_asset: BTreeMap<Option<String>, PerAsset<'_>> = BTreeMap::new();
    for d in detections {
        let key = d.host.as_deref().map(asset_key).filter(|k| !k.is_empty());
        if opts.dismissed.iter().any(|k| k.matches(d)) {
            out.dismissed.push(d.clone());
            per_asset.entry(key).or_default().1.push(d);
            continue;
        }
        let Some(ts) = d.timestamp else {
            out.untimed.push(d.clone());
            continue;
        };
        per_asset.entry(key).or_default().0.push((ts, d));
    }
    for (key, (mut list, benign)) in per_asset {
        list.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| tactic_rank(a.1).cmp(&tactic_rank(b.1)))
                .then_with(|| a.1.rule_id.cmp(&b.1.rule_id))
                .then_with(|| first_source(a.1).cmp(&first_source(b.1)))
        });
        out.incidents
            .extend(group_asset(key.as_deref(), &list, &benign, opts));
    }
    out.incidents.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// The level classes of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Strong,
    Weak,
    Info,
}

/// A wave while it is built: positions in the asset's sorted list.
#[derive(Debug, Clone)]
struct WaveBuild {
    members: Vec<usize>,
    start: Timestamp,
    end: Timestamp,
    /// Linking entities of the members that may link (strong ones, precursors, followers).
    entities: BTreeSet<Entity>,
    /// Common accounts of its strong members ([`Linker::common_identities`]), for [`joins`].
    common: BTreeSet<Entity>,
    /// How many members are precursors, and what tied them (see [`Wave::precursors`]).
    precursors: usize,
    precursors_shared: BTreeSet<Entity>,
}

impl WaveBuild {
    fn new(i: usize, ts: Timestamp, ents: &BTreeSet<Entity>) -> WaveBuild {
        WaveBuild {
            members: vec![i],
            start: ts,
            end: ts,
            entities: ents.clone(),
            common: BTreeSet::new(),
            precursors: 0,
            precursors_shared: BTreeSet::new(),
        }
    }

    fn add(&mut self, i: usize, ts: Timestamp, ents: Option<&BTreeSet<Entity>>) {
        self.members.push(i);
        self.start = self.start.min(ts);
        self.end = self.end.max(ts);
        if let Some(e) = ents {
            self.entities.extend(e.iter().cloned());
        }
    }
}

#[derive(Debug, Clone, Default)]
struct IncidentBuild {
    waves: Vec<WaveBuild>,
    entities: BTreeSet<Entity>,
    /// Common accounts of its waves, for [`joins`].
    common: BTreeSet<Entity>,
    context: Vec<usize>,
}

impl IncidentBuild {
    fn start(&self) -> Option<Timestamp> {
        self.waves.iter().map(|w| w.start).min()
    }

    fn end(&self) -> Option<Timestamp> {
        self.waves.iter().map(|w| w.end).max()
    }
}

fn shared(a: &BTreeSet<Entity>, b: &BTreeSet<Entity>) -> BTreeSet<Entity> {
    a.intersection(b).cloned().collect()
}

/// The common accounts of the strong detections among `members`.
fn strong_commons(
    members: &[usize],
    class: &[Class],
    commons: &[BTreeSet<Entity>],
) -> BTreeSet<Entity> {
    members
        .iter()
        .filter(|&&i| class.get(i) == Some(&Class::Strong))
        .filter_map(|&i| commons.get(i))
        .flatten()
        .cloned()
        .collect()
}

/// The policy for the sorted, timed detections of one asset.
fn group_asset(
    key: Option<&str>,
    list: &[(Timestamp, &Detection)],
    benign: &[&Detection],
    opts: &GroupOptions,
) -> Vec<Incident> {
    let gap = opts.gap.max(SignedDuration::ZERO);
    let all: Vec<&Detection> = list.iter().map(|(_, d)| *d).collect();
    let linker = Linker::learn(&all, benign, opts.min_level, &opts.link);
    let ents: Vec<BTreeSet<Entity>> = all.iter().map(|d| linker.linking(d)).collect();
    let commons: Vec<BTreeSet<Entity>> = all.iter().map(|d| linker.common_identities(d)).collect();
    let class: Vec<Class> = all
        .iter()
        .map(|d| {
            if d.level >= opts.min_level {
                Class::Strong
            } else if d.level > Level::Informational {
                Class::Weak
            } else {
                Class::Info
            }
        })
        .collect();
    let mut taken = vec![false; list.len()];

    // 1. Waves of strong detections, chained by the gap.
    let mut waves: Vec<WaveBuild> = Vec::new();
    for (i, (ts, _)) in list.iter().enumerate() {
        if class.get(i) != Some(&Class::Strong) {
            continue;
        }
        let e = ents.get(i);
        match waves.last_mut() {
            Some(w) if w.end.duration_until(*ts) <= gap => w.add(i, *ts, e),
            _ => waves.push(WaveBuild::new(i, *ts, e.unwrap_or(&BTreeSet::new()))),
        }
        if let Some(t) = taken.get_mut(i) {
            *t = true;
        }
    }
    // 2. Lower-level detections inside a wave's span (they lend it no linking entities).
    for (i, (ts, _)) in list.iter().enumerate() {
        if class.get(i) != Some(&Class::Weak) {
            continue;
        }
        if let Some(w) = waves.iter_mut().find(|w| w.start <= *ts && *ts <= w.end) {
            w.add(i, *ts, None);
            if let Some(t) = taken.get_mut(i) {
                *t = true;
            }
        }
    }
    // 3. Waves joined into incidents by shared entities.
    for w in &mut waves {
        w.common = strong_commons(&w.members, &class, &commons);
    }
    let mut incidents: Vec<IncidentBuild> = Vec::new();
    for w in waves {
        let matching: Vec<usize> = incidents
            .iter()
            .enumerate()
            .filter(|(_, inc)| {
                inc.end()
                    .is_some_and(|e| e.duration_until(w.start) <= opts.link_horizon)
                    && joins(
                        &shared(&inc.entities, &w.entities),
                        &shared(&inc.common, &w.common),
                    )
            })
            .map(|(n, _)| n)
            .collect();
        match matching.split_first() {
            None => incidents.push(IncidentBuild {
                entities: w.entities.clone(),
                common: w.common.clone(),
                waves: vec![w],
                context: Vec::new(),
            }),
            Some((first, rest)) => {
                // A wave linked to several incidents bridges them: one breach.
                let mut merged: Vec<IncidentBuild> = Vec::new();
                for n in rest.iter().rev() {
                    if *n < incidents.len() {
                        merged.push(incidents.remove(*n));
                    }
                }
                if let Some(target) = incidents.get_mut(*first) {
                    for m in merged {
                        target.entities.extend(m.entities);
                        target.common.extend(m.common);
                        target.waves.extend(m.waves);
                    }
                    target.entities.extend(w.entities.iter().cloned());
                    target.common.extend(w.common.iter().cloned());
                    target.waves.push(w);
                    target.waves.sort_by_key(|w| w.start);
                }
            }
        }
    }
    // 4. Nothing unrelated before the entry point: untied strong detections become incidents of their own.
    let mut heads: Vec<usize> = Vec::new();
    for inc in &mut incidents {
        split_untied_head(inc, list, &ents, &class, opts, &mut taken, &mut heads);
        for w in &mut inc.waves {
            w.common = strong_commons(&w.members, &class, &commons);
        }
        inc.common = inc.waves.iter().flat_map(|w| w.common.clone()).collect();
    }
    let mut head_waves: Vec<WaveBuild> = Vec::new();
    heads.sort_unstable();
    for i in heads {
        let Some((ts, _)) = list.get(i) else { continue };
        let e = ents.get(i);
        match head_waves.last_mut() {
            Some(w) if w.end.duration_until(*ts) <= gap => w.add(i, *ts, e),
            _ => head_waves.push(WaveBuild::new(i, *ts, e.unwrap_or(&BTreeSet::new()))),
        }
    }
    incidents.extend(head_waves.into_iter().map(|mut w| {
        w.common = strong_commons(&w.members, &class, &commons);
        IncidentBuild {
            entities: w.entities.clone(),
            common: w.common.clone(),
            waves: vec![w],
            context: Vec::new(),
        }
    }));
    // 5. Precursors: lower-level detections shortly before, sharing who or where from.
    for inc in &mut incidents {
        let Some(opening) = inc.start() else { continue };
        let from = opening
            .checked_sub(opts.lookback.max(SignedDuration::ZERO))
            .unwrap_or(opening);
        let mut pre: Option<WaveBuild> = None;
        let mut candidates: Vec<usize> = list
            .iter()
            .enumerate()
            .filter(|(i, (ts, _))| {
                taken.get(*i) == Some(&false)
                    && class.get(*i) == Some(&Class::Weak)
                    && *ts >= from
                    && *ts < opening
            })
            .map(|(i, _)| i)
            .collect();
        // A precursor can tie an earlier one (the same network, then the same account): a few passes.
        for _ in 0..MAX_PRECURSOR_PASSES {
            let before = candidates.len();
            candidates.retain(|&i| {
                let (Some(e), Some((ts, _))) = (ents.get(i), list.get(i)) else {
                    return false;
                };
                if !e
                    .iter()
                    .any(|x| x.kind.is_identity() && inc.entities.contains(x))
                {
                    return true;
                }
                inc.entities.extend(e.iter().cloned());
                match &mut pre {
                    Some(p) => p.add(i, *ts, Some(e)),
                    None => pre = Some(WaveBuild::new(i, *ts, e)),
                }
                if let Some(t) = taken.get_mut(i) {
                    *t = true;
                }
                false
            });
            if candidates.len() == before {
                break;
            }
        }
        // Precursors come within the lookback, shorter than the gap: they start the first wave.
        if let Some(p) = pre
            && let Some(first) = inc.waves.first_mut()
        {
            first.precursors_shared = shared(&p.entities, &first.entities);
            first.precursors = p.members.len();
            first.members.extend(p.members);
            first.start = first.start.min(p.start);
            first.entities.extend(p.entities);
        }
    }
    // 6. Followers: lower-level detections after an incident, within the gap, sharing an entity.
    for (i, (ts, _)) in list.iter().enumerate() {
        if taken.get(i) != Some(&false) || class.get(i) != Some(&Class::Weak) {
            continue;
        }
        let Some(e) = ents.get(i) else { continue };
        for inc in &mut incidents {
            let Some(end) = inc.end() else { continue };
            // `>=`: a follower at the same moment as the one just added (two rules judging the
            // same message) comes after the span step 2 saw, so only this step can take it.
            if *ts >= end
                && end.duration_until(*ts) <= gap
                && links(&shared(&inc.entities, e))
                && let Some(last) = inc.waves.last_mut()
            {
                last.add(i, *ts, Some(e));
                inc.entities.extend(e.iter().cloned());
                if let Some(t) = taken.get_mut(i) {
                    *t = true;
                }
                break;
            }
        }
    }
    // 7. Context: informational detections inside an incident that share an entity with it.
    for (i, (ts, _)) in list.iter().enumerate() {
        if class.get(i) != Some(&Class::Info) {
            continue;
        }
        let Some(e) = ents.get(i) else { continue };
        if let Some(inc) = incidents.iter_mut().find(|inc| {
            inc.start().is_some_and(|s| s <= *ts)
                && inc.end().is_some_and(|x| *ts <= x)
                && links(&shared(&inc.entities, e))
        }) && inc.context.len() < MAX_CONTEXT
        {
            inc.context.push(i);
        }
    }
    incidents
        .into_iter()
        .filter_map(|inc| make_incident(key, list, &ents, inc, gap, opts.min_level))
        .collect()
}

fn tactic_rank(d: &Detection) -> (bool, Option<Tactic>) {
    let t = primary_tactic(d);
    (t.is_none(), t)
}

fn first_source(d: &Detection) -> Option<(String, String)> {
    d.sources
        .first()
        .map(|s| (s.file.clone(), format!("{:?}", s.record)))
}

/// The finished incident: detections in order, waves numbered and linked.
fn make_incident(
    key: Option<&str>,
    list: &[(Timestamp, &Detection)],
    ents: &[BTreeSet<Entity>],
    mut inc: IncidentBuild,
    gap: SignedDuration,
    open_level: Level,
) -> Option<Incident> {
    inc.waves.sort_by_key(|w| w.start);
    let mut members: Vec<usize> = inc.waves.iter().flat_map(|w| w.members.clone()).collect();
    members.sort_unstable();
    members.dedup();
    let run: Vec<(Timestamp, &Detection)> = members
        .iter()
        .filter_map(|i| list.get(*i).copied())
        .collect();
    // A correlation fires when its threshold is crossed, but the activity it counts began with its
    // earliest event: the incident starts there (a spray's first attempt, not its tenth).
    let fired = run.first()?.0;
    let first_seen = run
        .iter()
        .map(|(t, d)| d.first_seen.map_or(*t, |f| f.min(*t)))
        .min()
        .unwrap_or(fired);
    let last_seen = run.last().map_or(fired, |r| r.0);
    let asset = run.iter().find_map(|(_, d)| d.host.clone());
    let highest_level = run
        .iter()
        .map(|(_, d)| d.level)
        .max()
        .unwrap_or(Level::Informational);
    let mut tactics: Vec<Tactic> = run.iter().flat_map(|(_, d)| detection_tactics(d)).collect();
    tactics.sort();
    tactics.dedup();
    let waves = finish_waves(&inc.waves, list, gap);
    let mut entities: BTreeMap<&Entity, usize> = BTreeMap::new();
    for i in &members {
        for e in ents.get(*i).into_iter().flatten() {
            if inc.entities.contains(e) {
                *entities.entry(e).or_default() += 1;
            }
        }
    }
    let mut entities: Vec<(&Entity, usize)> = entities.into_iter().collect();
    entities.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    Some(Incident {
        id: incident_id(key, first_seen),
        asset,
        first_seen,
        last_seen,
        detections: run.into_iter().map(|(_, d)| d.clone()).collect(),
        highest_level,
        tactics,
        waves,
        context: inc
            .context
            .iter()
            .filter_map(|i| list.get(*i).map(|x| x.1.clone()))
            .collect(),
        entities: entities
            .into_iter()
            .take(MAX_INCIDENT_ENTITIES)
            .map(|(e, _)| e.clone())
            .collect(),
        open_level,
    })
}

/// Whether shared entities tie a detection before the entry to the breach: who or where from (an address,
/// network, account or mailbox: a spray from the network the login came from) or an artefact a rule
/// flagged (a web-shell path or file). A location or a user agent is not enough: every scanner requests
/// the same logon page.
fn ties(shared: &BTreeSet<Entity>) -> bool {
    shared
        .iter()
        .any(|e| e.kind.is_identity() || matches!(e.kind, EntityKind::Path | EntityKind::FileName))
}

/// Step 4 of the policy for one incident: finds its entry point and removes the members before it that no
/// entity ties to what follows (strong ones are returned in `heads`, lower-level ones are released).
fn split_untied_head(
    inc: &mut IncidentBuild,
    list: &[(Timestamp, &Detection)],
    ents: &[BTreeSet<Entity>],
    class: &[Class],
    opts: &GroupOptions,
    taken: &mut [bool],
    heads: &mut Vec<usize>,
) {
    let mut members: Vec<usize> = inc.waves.iter().flat_map(|w| w.members.clone()).collect();
    members.sort_unstable();
    let is_entry = |i: &usize| {
        list.get(*i).is_some_and(|(_, d)| {
            is_entry_candidate(d)
                && !opts
                    .post_exploitation_rules
                    .contains(&d.rule_id.trim().to_ascii_lowercase())
        })
    };
    let strong = |i: &usize| class.get(*i) == Some(&Class::Strong);
    let entry = members
        .iter()
        .copied()
        .find(|i| strong(i) && is_entry(i))
        .or_else(|| members.iter().copied().find(is_entry));
    let Some(entry_ts) = entry.and_then(|e| list.get(e)).map(|x| x.0) else {
        return;
    };
    // What the entry point itself names (every detection of that instant: one request seen by several
    // rules and logs). Later detections do not count: a weekly newsletter that also goes out after the
    // entry must not tie last week's one to the breach.
    let mut tied: BTreeSet<Entity> = members
        .iter()
        .filter(|i| list.get(**i).is_some_and(|x| x.0 == entry_ts))
        .filter_map(|i| ents.get(*i))
        .flatten()
        .cloned()
        .collect();
    let mut dropped: Vec<usize> = Vec::new();
    for i in members
        .iter()
        .rev()
        .filter(|i| list.get(**i).is_some_and(|x| x.0 < entry_ts))
    {
        let e = ents.get(*i).cloned().unwrap_or_default();
        if ties(&shared(&e, &tied)) {
            tied.extend(e);
        } else {
            dropped.push(*i);
        }
    }
    if dropped.is_empty() {
        return;
    }
    for w in &mut inc.waves {
        w.members.retain(|i| !dropped.contains(i));
        let times: Vec<Timestamp> = w
            .members
            .iter()
            .filter_map(|i| list.get(*i).map(|x| x.0))
            .collect();
        if let (Some(s), Some(e)) = (times.iter().min(), times.iter().max()) {
            w.start = *s;
            w.end = *e;
        }
        w.entities = w
            .members
            .iter()
            .filter(|i| strong(i))
            .filter_map(|i| ents.get(*i))
            .flatten()
            .cloned()
            .collect();
    }
    inc.waves.retain(|w| !w.members.is_empty());
    inc.entities = inc.waves.iter().flat_map(|w| w.entities.clone()).collect();
    for i in dropped {
        if strong(&i) {
            heads.push(i);
        } else if let Some(t) = taken.get_mut(i) {
            *t = false;
        }
    }
}

/// Numbers the waves and works out what ties each to the others.
fn finish_waves(
    builds: &[WaveBuild],
    list: &[(Timestamp, &Detection)],
    gap: SignedDuration,
) -> Vec<Wave> {
    let mut out = Vec::with_capacity(builds.len());
    for (k, w) in builds.iter().enumerate() {
        let link = earlier_link(builds, k, gap);
        let mut titles: BTreeMap<&str, usize> = BTreeMap::new();
        let mut highest = Level::Informational;
        for d in w.members.iter().filter_map(|i| list.get(*i)).map(|x| x.1) {
            *titles.entry(d.rule_title.as_str()).or_default() += 1;
            highest = highest.max(d.level);
        }
        let mut titles: Vec<(&str, usize)> = titles.into_iter().collect();
        titles.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        out.push(Wave {
            number: k + 1,
            start: w.start,
            end: w.end,
            detections: w.members.len(),
            highest_level: highest,
            rules: titles
                .into_iter()
                .take(5)
                .map(|t| t.0.to_string())
                .collect(),
            link,
            precursors: w.precursors,
            precursors_shared: w.precursors_shared.iter().cloned().collect(),
        });
    }
    out
}

/// What ties wave `k` to the waves before it: time when it follows within the gap, else the entities it
/// shares with the earliest earlier wave (or, when a later wave bridged it in, with any other wave).
fn earlier_link(builds: &[WaveBuild], k: usize, gap: SignedDuration) -> Option<WaveLink> {
    let w = builds.get(k)?;
    let earlier = builds.get(..k)?;
    let (n, p) = earlier.iter().enumerate().next_back()?;
    if p.end.duration_until(w.start) <= gap {
        return Some(WaveLink {
            to: n + 1,
            quiet: p.end.duration_until(w.start),
            shared: Vec::new(),
        });
    }
    let candidates = earlier
        .iter()
        .enumerate()
        .chain(builds.iter().enumerate().skip(k + 1));
    for (n, other) in candidates {
        let s = shared(&w.entities, &other.entities);
        let c = shared(&w.common, &other.common);
        if joins(&s, &c) {
            let s: BTreeSet<Entity> = s.into_iter().chain(c).collect();
            let quiet = if n < k {
                other.end.duration_until(w.start)
            } else {
                w.end.duration_until(other.start)
            };
            return Some(WaveLink {
                to: n + 1,
                quiet,
                shared: s.into_iter().collect(),
            });
        }
    }
    Some(WaveLink {
        to: n + 1,
        quiet: p.end.duration_until(w.start),
        shared: Vec::new(),
    })
}

/// `INC-<ASSET>-<YYYYMMDDTHHMMSSZ>`; the asset part keeps letters, digits, `.`, `_` and `-` (at most 64).
pub fn incident_id(asset_key: Option<&str>, first_seen: Timestamp) -> String {
    let asset: String = asset_key
        .unwrap_or("unknown-host")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect::<String>()
        .to_ascii_uppercase();
    let asset = if asset.is_empty() {
        "UNNAMED".to_string()
    } else {
        asset
    };
    format!("INC-{asset}-{}", first_seen.strftime("%Y%m%dT%H%M%SZ"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::EntityKind;

    fn det(
        rule: &str,
        host: Option<&str>,
        ts: Option<&str>,
        tags: &[&str],
        level: Level,
    ) -> Detection {
        crate::testing::detection(rule, level, tags, host, ts, &[])
    }

    fn with(mut d: Detection, matched: &[(&str, &str)]) -> Detection {
        d.matched = matched
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        d
    }

    fn at(rule: &str, ts: &str, level: Level, matched: &[(&str, &str)]) -> Detection {
        with(det(rule, Some("MAIL01"), Some(ts), &[], level), matched)
    }

    fn rules(i: &Incident) -> Vec<&str> {
        i.detections.iter().map(|d| d.rule_id.as_str()).collect()
    }

    #[test]
    fn chains_by_gap_per_asset() {
        let ds = vec![
            det(
                "c",
                Some("MAIL01"),
                Some("2021-08-20T00:00:00Z"),
                &["attack.collection"],
                Level::High,
            ),
            det(
                "a",
                Some("MAIL01.clinic.example.org"),
                Some("2021-08-13T03:02:11Z"),
                &["attack.initial-access"],
                Level::Critical,
            ),
            det(
                "p",
                Some("mail01"),
                Some("2021-08-13T03:02:11Z"),
                &["attack.persistence"],
                Level::High,
            ),
            det(
                "x",
                Some("MAIL02"),
                Some("2021-08-13T04:00:00Z"),
                &[],
                Level::High,
            ),
            det(
                "late",
                Some("MAIL01"),
                Some("2021-10-01T00:00:00Z"),
                &["attack.t1505.003"],
                Level::High,
            ),
            det("untimed", Some("MAIL01"), None, &[], Level::High),
        ];
        let opts = GroupOptions {
            gap: SignedDuration::from_hours(7 * 24),
            ..GroupOptions::default()
        };
        let g = group_incidents(&ds, &opts);
        assert_eq!(g.incidents.len(), 3);
        assert_eq!(g.untimed.len(), 1);
        let first = &g.incidents[0];
        assert_eq!(first.id, "INC-MAIL01-20210813T030211Z");
        assert_eq!(first.asset.as_deref(), Some("MAIL01.clinic.example.org"));
        assert_eq!(
            rules(first),
            vec!["a", "p", "c"],
            "same second: initial access before persistence"
        );
        assert_eq!(first.highest_level, Level::Critical);
        assert_eq!(
            first.tactics,
            vec![
                Tactic::InitialAccess,
                Tactic::Persistence,
                Tactic::Collection
            ]
        );
        assert_eq!(first.waves.len(), 1);
        assert!(first.is_on("mail01"));
        assert_eq!(g.incidents[1].id, "INC-MAIL02-20210813T040000Z");
        assert_eq!(
            g.incidents[2].detections.len(),
            1,
            "a 42-day silence with nothing shared opens a new incident"
        );

        let wide = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(
            wide.incidents.len(),
            3,
            "42 days is longer than the 30-day default too"
        );
        let mut ds2 = ds.clone();
        ds2.push(det(
            "mid",
            Some("MAIL01"),
            Some("2021-09-10T00:00:00Z"),
            &[],
            Level::High,
        ));
        assert_eq!(
            group_incidents(&ds2, &GroupOptions::default())
                .incidents
                .len(),
            2,
            "two 21-day silences chain under the default"
        );
        let by = wide.incidents[0].by_tactic();
        assert_eq!(by.first().map(|g| g.0), Some(Some(Tactic::InitialAccess)));
    }

    #[test]
    fn dismissed_and_hostless_detections() {
        let benign = det(
            "export",
            Some("MAIL01"),
            Some("2021-08-11T14:22:37Z"),
            &[],
            Level::Critical,
        );
        let hostless = det("h", None, Some("2021-08-11T00:00:00Z"), &[], Level::High);
        let key = DetectionKey::of(&benign).unwrap();
        let g = group_incidents(
            &[benign, hostless],
            &GroupOptions {
                dismissed: vec![key],
                ..GroupOptions::default()
            },
        );
        assert_eq!(g.dismissed.len(), 1);
        assert_eq!(g.incidents.len(), 1);
        assert_eq!(g.incidents[0].asset, None);
        assert_eq!(g.incidents[0].id, "INC-UNKNOWN-HOST-20210811T000000Z");
        assert!(!g.incidents[0].is_on("MAIL01"));
    }

    #[test]
    fn ids_are_sanitised() {
        let ts: Timestamp = "2021-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(incident_id(Some("a b/c"), ts), "INC-ABC-20210102T030405Z");
        assert_eq!(incident_id(Some("//"), ts), "INC-UNNAMED-20210102T030405Z");
    }

    #[test]
    fn a_return_through_the_same_web_shell_is_one_incident_with_two_waves() {
        let shell = "/owa/auth/errorEE.aspx";
        let ds = vec![
            at(
                "entry",
                "2021-08-13T03:02:11Z",
                Level::Critical,
                &[("context:c-ip", "203.0.113.77")],
            ),
            at(
                "drop",
                "2021-08-13T03:08:33Z",
                Level::High,
                &[(
                    "TargetFilename",
                    r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\errorEE.aspx",
                )],
            ),
            at(
                "use",
                "2021-08-14T22:41:09Z",
                Level::High,
                &[("cs-uri-stem", shell), ("context:c-ip", "203.0.113.91")],
            ),
            // 40 days later, from another address, through the same web shell.
            at(
                "use",
                "2021-09-23T10:00:00Z",
                Level::High,
                &[("cs-uri-stem", shell), ("context:c-ip", "198.51.100.7")],
            ),
            at(
                "phish",
                "2021-09-23T10:05:00Z",
                Level::High,
                &[("context:c-ip", "198.51.100.7")],
            ),
        ];
        let g = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(
            g.incidents.len(),
            1,
            "{:?}",
            g.incidents.iter().map(|i| &i.id).collect::<Vec<_>>()
        );
        let inc = &g.incidents[0];
        assert_eq!(inc.id, "INC-MAIL01-20210813T030211Z");
        assert_eq!(inc.detections.len(), 5);
        assert_eq!(inc.waves.len(), 2);
        let w2 = &inc.waves[1];
        assert_eq!((w2.number, w2.detections), (2, 2));
        let link = w2.link.as_ref().unwrap();
        assert_eq!(link.to, 1);
        assert!(
            link.shared
                .contains(&Entity::new(EntityKind::Path, "/owa/auth/erroree.aspx"))
        );
        assert!(link.quiet > SignedDuration::from_hours(39 * 24));
        let text = w2.link_text().unwrap();
        assert!(
            text.starts_with("shares ")
                && text.contains("file erroree.aspx")
                && text.contains("with wave 1; returns after it by 39 d"),
            "{text}"
        );
        assert!(inc.waves[0].link.is_none());
        assert!(
            inc.entities
                .contains(&Entity::new(EntityKind::Address, "203.0.113.77"))
        );
    }

    #[test]
    fn benign_look_alikes_sharing_only_common_values_stay_apart() {
        let mut ds = Vec::new();
        // Every day, low-level noise from the office, Exchange's own probes and a common browser.
        for day in 1..=20 {
            ds.push(at(
                "noise",
                &format!("2021-08-{day:02}T09:00:00Z"),
                Level::Low,
                &[
                    ("context:c-ip", "192.0.2.40"),
                    ("context:cs(User-Agent)", "Mozilla/5.0+(Windows+NT+10.0)"),
                    ("context:cs-uri-stem", "/owa/auth/logon.aspx"),
                ],
            ));
        }
        let shared = [
            ("context:c-ip", "127.0.0.1"),
            ("context:s-ip", "10.20.1.25"),
            ("context:c-ip", "10.20.1.25"),
            ("context:cs-username", "-"),
            ("context:cs(User-Agent)", "Mozilla/5.0+(Windows+NT+10.0)"),
            ("context:cs-uri-stem", "/owa/auth/logon.aspx"),
            ("context:c-ip", "192.0.2.40"),
            ("context:User", "NT AUTHORITY\\SYSTEM"),
        ];
        let mut a: Vec<(&str, &str)> = shared.to_vec();
        a.push(("context:c-ip", "203.0.113.5"));
        let mut b: Vec<(&str, &str)> = shared.to_vec();
        b.push(("context:c-ip", "198.51.100.9"));
        ds.push(at("attack-a", "2021-08-02T03:00:00Z", Level::High, &a));
        ds.push(at("attack-b", "2021-09-20T03:00:00Z", Level::High, &b));
        let g = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(
            g.incidents.len(),
            2,
            "{:?}",
            g.incidents
                .iter()
                .map(|i| (&i.id, &i.entities))
                .collect::<Vec<_>>()
        );
        assert!(
            g.incidents
                .iter()
                .all(|i| i.waves.len() == 1 && i.detections.len() == 1)
        );
    }

    /// Two lower-level detections at one moment after an incident (two rules judging the same
    /// message) both follow it: the first one moves the incident's end to that moment.
    #[test]
    fn followers_at_one_moment_all_follow() {
        let mailbox = ("sender", "reception@clinic.example.org");
        let ds = vec![
            at(
                "export",
                "2021-11-23T08:49:44Z",
                Level::High,
                &[("mailbox", "reception@clinic.example.org")],
            ),
            at("subject", "2021-11-23T08:50:27Z", Level::Medium, &[mailbox]),
            at("volume", "2021-11-23T08:50:27Z", Level::Medium, &[mailbox]),
        ];
        let g = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(g.incidents.len(), 1);
        let mut members = rules(&g.incidents[0]);
        members.sort_unstable();
        assert_eq!(members, vec!["export", "subject", "volume"]);
    }

    #[test]
    fn precursors_move_the_start() {
        let ds = vec![
            // A spray from the network three days before the login, and an unrelated failure.
            at(
                "spray",
                "2022-04-09T01:18:48Z",
                Level::Medium,
                &[
                    ("context:rip", "198.51.100.23"),
                    ("context:user", "a@physio.example.com"),
                ],
            ),
            at(
                "spray",
                "2022-04-09T02:18:48Z",
                Level::Medium,
                &[
                    ("context:rip", "198.51.100.24"),
                    ("context:user", "b@physio.example.com"),
                ],
            ),
            at(
                "typo",
                "2022-04-11T08:00:00Z",
                Level::Low,
                &[
                    ("context:rip", "192.0.2.40"),
                    ("context:user", "c@physio.example.com"),
                ],
            ),
            // Before the lookback: not a precursor.
            at(
                "old",
                "2022-03-01T00:00:00Z",
                Level::Medium,
                &[("context:rip", "198.51.100.23")],
            ),
            // Informational: context, never a precursor.
            at(
                "info",
                "2022-04-10T00:00:00Z",
                Level::Informational,
                &[("context:rip", "198.51.100.61")],
            ),
            at(
                "login",
                "2022-04-12T02:17:44Z",
                Level::High,
                &[
                    ("rip", "198.51.100.61"),
                    ("user", "reception@physio.example.com"),
                ],
            ),
            at(
                "download",
                "2022-04-12T02:52:07Z",
                Level::Medium,
                &[("user", "reception@physio.example.com")],
            ),
            at(
                "after",
                "2022-04-12T02:30:00Z",
                Level::Informational,
                &[("user", "reception@physio.example.com")],
            ),
        ];
        let g = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(g.incidents.len(), 1);
        let inc = &g.incidents[0];
        assert_eq!(rules(inc), vec!["spray", "spray", "login", "download"]);
        assert_eq!(
            inc.first_seen,
            "2022-04-09T01:18:48Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(inc.id, "INC-MAIL01-20220409T011848Z");
        assert_eq!(inc.highest_level, Level::High);
        // The spray three days before the login starts the login's wave: one wave of the attack.
        assert_eq!(inc.waves.len(), 1);
        let w = &inc.waves[0];
        assert_eq!(w.precursors, 2);
        assert_eq!(
            w.precursors_shared,
            vec![Entity::new(EntityKind::Network, "198.51.100.0/24")]
        );
        assert_eq!(w.start, inc.first_seen);
        assert!(w.link.is_none());
        assert_eq!(
            w.precursors_text().as_deref(),
            Some("2 of them precursors, tied by network 198.51.100.0/24")
        );
        assert_eq!(w.detections, 4, "the download follows the login");
        let context: Vec<&str> = inc.context.iter().map(|d| d.rule_id.as_str()).collect();
        assert_eq!(
            context,
            vec!["info", "after"],
            "informational detections inside the span that share the address or the mailbox"
        );

        // A shorter lookback leaves the spray out; informational detections alone open nothing.
        let short = GroupOptions {
            lookback: SignedDuration::from_hours(24),
            ..GroupOptions::default()
        };
        assert_eq!(
            group_incidents(&ds, &short).incidents[0].detections.len(),
            2
        );
        let only_info: Vec<Detection> = ds
            .iter()
            .filter(|d| d.level == Level::Informational)
            .cloned()
            .collect();
        assert!(
            group_incidents(&only_info, &GroupOptions::default())
                .incidents
                .is_empty()
        );
        let only_weak: Vec<Detection> = ds
            .iter()
            .filter(|d| d.level < Level::High)
            .cloned()
            .collect();
        assert!(
            group_incidents(&only_weak, &GroupOptions::default())
                .incidents
                .is_empty()
        );
    }

    #[test]
    fn nothing_unrelated_before_the_entry() {
        let exploit = ["attack.initial-access", "attack.t1190"];
        let mail = ["attack.initial-access", "attack.t1566"];
        let mut ds = vec![
            // A week before: a newsletter flagged as a mail burst (strong, no shared entity) and a
            // scanner (lower level, another network).
            with(
                det(
                    "burst",
                    Some("MAIL01"),
                    Some("2022-11-22T10:08:51Z"),
                    &mail,
                    Level::High,
                ),
                &[("sender", "news@clinic.example")],
            ),
            with(
                det(
                    "scan",
                    Some("MAIL01"),
                    Some("2022-11-26T18:12:15Z"),
                    &exploit,
                    Level::Medium,
                ),
                &[
                    ("context:c-ip", "198.51.100.49"),
                    // the logon page the attacker later uses: a location, which ties nothing
                    ("context:cs-uri-stem", "/owa/auth/logon.aspx"),
                ],
            ),
            // The same attacker network probing the day before: tied.
            with(
                det(
                    "probe",
                    Some("MAIL01"),
                    Some("2022-11-28T20:00:00Z"),
                    &["attack.reconnaissance"],
                    Level::High,
                ),
                &[("context:c-ip", "203.0.113.9")],
            ),
            with(
                det(
                    "exploit",
                    Some("MAIL01"),
                    Some("2022-11-29T01:43:20Z"),
                    &exploit,
                    Level::High,
                ),
                &[
                    ("context:c-ip", "203.0.113.84"),
                    ("context:cs-uri-stem", "/owa/auth/logon.aspx"),
                ],
            ),
            with(
                det(
                    "shell",
                    Some("MAIL01"),
                    Some("2022-11-29T02:00:00Z"),
                    &["attack.persistence"],
                    Level::High,
                ),
                &[("cs-uri-stem", "/owa/auth/x.aspx")],
            ),
        ];
        // The newsletter goes out again after the entry: that one stays (time), last week's does not.
        ds.push(with(
            det(
                "burst",
                Some("MAIL01"),
                Some("2022-11-29T02:10:00Z"),
                &mail,
                Level::High,
            ),
            &[("sender", "news@clinic.example")],
        ));
        let g = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(
            g.incidents.len(),
            2,
            "{:#?}",
            g.incidents.iter().map(|i| rules(i)).collect::<Vec<_>>()
        );
        assert_eq!(
            rules(&g.incidents[0]),
            vec!["burst"],
            "the look-alike is an incident of its own"
        );
        assert_eq!(
            rules(&g.incidents[1]),
            vec!["probe", "exploit", "shell", "burst"]
        );
        assert_eq!(g.incidents[1].id, "INC-MAIL01-20221128T200000Z");
        let entry: Vec<&str> = g.incidents[1]
            .entry_candidates(|_| false)
            .iter()
            .map(|d| d.rule_id.as_str())
            .collect();
        assert_eq!(entry, vec!["exploit"]);
        // A rule curated as post-exploitation is never the entry: with no other strong candidate the
        // scanner (lower level) is the earliest way in, and the head is judged from it.
        let curated = GroupOptions {
            post_exploitation_rules: BTreeSet::from(["exploit".to_string()]),
            ..GroupOptions::default()
        };
        let g = group_incidents(&ds, &curated);
        let last = g.incidents.last().unwrap();
        let entry: Vec<&str> = last
            .entry_candidates(|d| d.rule_id == "exploit")
            .iter()
            .map(|d| d.rule_id.as_str())
            .collect();
        assert_eq!(entry, vec!["scan"]);
        assert_eq!(rules(&g.incidents[0]), vec!["burst"]);
    }

    #[test]
    fn a_wave_linked_to_two_incidents_bridges_them() {
        let ds = vec![
            at(
                "a",
                "2021-01-01T00:00:00Z",
                Level::High,
                &[("context:c-ip", "203.0.113.1")],
            ),
            at(
                "b",
                "2021-03-01T00:00:00Z",
                Level::High,
                &[("context:c-ip", "198.51.100.1")],
            ),
            at(
                "c",
                "2021-05-01T00:00:00Z",
                Level::High,
                &[
                    ("context:c-ip", "203.0.113.1"),
                    ("context:cs-username", "bob"),
                ],
            ),
            at(
                "d",
                "2021-05-01T00:00:01Z",
                Level::High,
                &[("context:c-ip", "198.51.100.1")],
            ),
        ];
        let g = group_incidents(&ds, &GroupOptions::default());
        assert_eq!(g.incidents.len(), 1);
        let w = &g.incidents[0].waves;
        assert_eq!(w.len(), 3);
        assert_eq!(
            w[1].link.as_ref().map(|l| l.to),
            Some(3),
            "wave 2 is tied through the later wave"
        );
        assert_eq!(w[2].link.as_ref().map(|l| l.to), Some(1));
        // Beyond the link horizon nothing is bridged.
        let near = GroupOptions {
            link_horizon: SignedDuration::from_hours(24),
            ..GroupOptions::default()
        };
        assert_eq!(group_incidents(&ds, &near).incidents.len(), 3);
    }
}
