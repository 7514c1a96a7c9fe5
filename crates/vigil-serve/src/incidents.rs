//! Incidents as detections arrive: the recent detections of the watch, grouped with the same policy
//! as `vigil investigate` (`vigil_investigate::group_incidents`), so that the service raises one alert
//! per incident — updated as the incident grows, re-sent when a new wave begins — and never one per
//! detection.
//!
//! The window is bounded twice: by time (detections older than the grouping's gap plus its look-back,
//! measured from the newest detection, cannot join a live incident's wave any more) and by count (the
//! oldest go first when a flood of detections exceeds [`LiveOptions::max_detections`]; each one
//! dropped is counted). Informational detections never open nor extend an incident, and detections
//! without a time cannot be placed, so neither is kept.

use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, HashMap, HashSet};
use vigil_investigate::incident::{DetectionKey, GroupOptions, Incident, group_incidents};
use vigil_model::{Detection, Level};
use vigil_store::{AlertSubject, Evidence, NewAlert};

/// How the live grouping is bounded.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub group: GroupOptions,
    /// Most detections kept for grouping.
    pub max_detections: usize,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            group: GroupOptions::default(),
            max_detections: 20_000,
        }
    }
}

impl LiveOptions {
    /// How far back from the newest detection the window reaches: a detection older than this can no
    /// longer be chained to a new one (the gap), nor be a precursor of one (the look-back).
    pub fn reach(&self) -> SignedDuration {
        self.group.gap.saturating_add(self.group.lookback)
    }
}

/// The recent detections of the watch and the incidents they form.
#[derive(Debug)]
pub struct LiveIncidents {
    opts: LiveOptions,
    /// Ordered by time, then arrival.
    window: BTreeMap<(Timestamp, u64), Detection>,
    keys: HashSet<DetectionKey>,
    seq: u64,
    newest: Option<Timestamp>,
    /// Detections let go because the window was full.
    dropped: u64,
    /// Which alert key each incident's detections were raised under: an incident whose id moves (a
    /// precursor placed before its start, or its start let go from a full window) keeps its alert.
    alert_of: HashMap<DetectionKey, String>,
    /// What each alert's incident held of detections that have left the window: its start and
    /// its count must not shrink because the window is bounded.
    gone: HashMap<String, Gone>,
    /// Per asset key: the latest strong detection's time and the highest level seen.
    strong_seen: HashMap<Option<String>, (Timestamp, Level)>,
}

/// The asset key of a detection's host (`None` when it names none), as incidents are grouped.
pub fn asset_of(d: &Detection) -> Option<String> {
    d.host.as_deref().map(vigil_investigate::asset::asset_key)
}

/// Assets remembered for the news test at most.
const MAX_ASSETS: usize = 100_000;

/// Detections of one alert's incident no longer in the window.
#[derive(Debug, Clone)]
struct Gone {
    count: u64,
    first_seen: Timestamp,
    first_record: Option<String>,
}

/// Alerts whose departed detections are remembered at most.
const MAX_GONE: usize = 10_000;

/// What [`LiveIncidents::offer`] did with a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// Kept; `strong` when it can open an incident on its own, `news` when it may open one, start
    /// a new wave or raise an incident's severity (a strong detection on an asset with no strong
    /// one within the gap before it, or above the level seen there): grouped at once. Others only
    /// extend an incident and can wait for the next periodic grouping.
    Kept { strong: bool, news: bool },
    /// Already kept (a record read again after a restart), informational or without a time.
    Ignored,
}

impl LiveIncidents {
    pub fn new(opts: LiveOptions) -> LiveIncidents {
        LiveIncidents {
            opts,
            window: BTreeMap::new(),
            keys: HashSet::new(),
            seq: 0,
            newest: None,
            dropped: 0,
            alert_of: HashMap::new(),
            gone: HashMap::new(),
            strong_seen: HashMap::new(),
        }
    }

    pub fn options(&self) -> &LiveOptions {
        &self.opts
    }

    /// Detections held.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// Detections let go because the window was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Takes a detection into the window.
    pub fn offer(&mut self, d: &Detection) -> Offered {
        let (Some(at), Some(key)) = (d.timestamp, DetectionKey::of(d)) else {
            return Offered::Ignored;
        };
        if d.level == Level::Informational || !self.keys.insert(key) {
            return Offered::Ignored;
        }
        self.seq += 1;
        self.window.insert((at, self.seq), d.clone());
        // The window is measured from the newest detection; one dated in the future (a forged or
        // mis-set clock) must not push every other detection out of it.
        let anchor = Timestamp::now()
            .checked_add(SignedDuration::from_hours(24))
            .map_or(at, |limit| at.min(limit));
        self.newest = Some(self.newest.map_or(anchor, |n| n.max(anchor)));
        self.trim();
        let strong = d.level >= self.opts.group.min_level;
        let news = strong && self.strong_news(d, at);
        Offered::Kept { strong, news }
    }

    fn strong_news(&mut self, d: &Detection, at: Timestamp) -> bool {
        let asset = asset_of(d);
        let gap = self.opts.group.gap;
        let news = match self.strong_seen.get(&asset) {
            None => true,
            Some(&(last, level)) => {
                d.level > level || last.checked_add(gap).is_ok_and(|end| at > end)
            }
        };
        if self.strong_seen.len() >= MAX_ASSETS && !self.strong_seen.contains_key(&asset) {
            // Forgetting every asset only makes the next detections news again: grouped at once.
            self.strong_seen.clear();
        }
        let e = self.strong_seen.entry(asset).or_insert((at, d.level));
        e.0 = e.0.max(at);
        e.1 = e.1.max(d.level);
        news
    }

    fn trim(&mut self) {
        let horizon = self
            .newest
            .and_then(|n| n.checked_sub(self.opts.reach()).ok());
        while let Some((&(at, _), _)) = self.window.first_key_value() {
            let stale = horizon.is_some_and(|h| at < h);
            let full = self.window.len() > self.opts.max_detections;
            if !stale && !full {
                break;
            }
            if let Some((_, d)) = self.window.pop_first() {
                if let Some(k) = DetectionKey::of(&d) {
                    self.keys.remove(&k);
                    if let Some(alert) = self.alert_of.remove(&k) {
                        self.remember_gone(alert, &d, at);
                    }
                }
                if full && !stale {
                    self.dropped += 1;
                }
            }
        }
    }

    fn remember_gone(&mut self, alert: String, d: &Detection, at: Timestamp) {
        if !self.gone.contains_key(&alert) && self.gone.len() >= MAX_GONE {
            // Forgetting the oldest alert's departed detections understates its count and start;
            // the window already said when it was full.
            let oldest = self
                .gone
                .iter()
                .min_by_key(|(_, g)| g.first_seen)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.gone.remove(&k);
            }
        }
        let record = d
            .sources
            .first()
            .map(|s| format!("{} {}", s.file, s.record));
        let at = d.first_seen.map_or(at, |f| f.min(at));
        let g = self.gone.entry(alert).or_insert(Gone {
            count: 0,
            first_seen: at,
            first_record: record.clone(),
        });
        g.count += 1;
        if at < g.first_seen {
            g.first_seen = at;
            g.first_record = record;
        }
    }

    /// The incidents the window holds now.
    pub fn incidents(&self) -> Vec<Incident> {
        let detections: Vec<Detection> = self.window.values().cloned().collect();
        group_incidents(&detections, &self.opts.group).incidents
    }

    /// The incidents on `assets` (asset keys as [`asset_of`] gives them): incidents are grouped per
    /// asset, so the others need not be copied nor grouped again.
    pub fn incidents_on(&self, assets: &HashSet<Option<String>>) -> Vec<Incident> {
        let detections: Vec<Detection> = self
            .window
            .values()
            .filter(|d| assets.contains(&asset_of(d)))
            .cloned()
            .collect();
        group_incidents(&detections, &self.opts.group).incidents
    }

    /// The alert of an incident: its dedup key (the key it was first raised under, if any of its
    /// detections was), severity, title and evidence. Remembers the key for its strong detections.
    pub fn alert_for(&mut self, inc: &Incident) -> NewAlert {
        let remembered = inc
            .detections
            .iter()
            .filter_map(DetectionKey::of)
            .find_map(|k| self.alert_of.get(&k).cloned());
        let dedup_key = remembered.unwrap_or_else(|| vigil_store::incident_alert_key(&inc.id));
        for d in &inc.detections {
            if let Some(k) = DetectionKey::of(d) {
                self.alert_of.insert(k, dedup_key.clone());
            }
        }
        let mut alert = incident_alert(inc, dedup_key);
        if let Some(g) = self.gone.get(&alert.dedup_key) {
            for e in &mut alert.evidence {
                match e.label.as_str() {
                    "detections" => {
                        let total = inc.detections.len() as u64 + g.count;
                        e.value = format!("{total} ({} left the live window)", g.count);
                    }
                    "first seen" if g.first_seen < inc.first_seen => {
                        e.value = g.first_seen.to_string();
                    }
                    "first record" if g.first_seen < inc.first_seen => {
                        if let Some(r) = &g.first_record {
                            e.value.clone_from(r);
                        }
                    }
                    _ => {}
                }
            }
        }
        alert
    }
}

/// Label of the evidence entry holding the number of waves: compared between updates, a higher
/// count is a new wave and is news.
pub const WAVES: &str = "waves";

/// The alert describing an incident.
pub fn incident_alert(inc: &Incident, dedup_key: String) -> NewAlert {
    let strongest = inc
        .detections
        .iter()
        .filter(|d| d.level == inc.highest_level)
        .min_by_key(|d| d.timestamp);
    let rules: Vec<&str> = {
        let mut seen = HashSet::new();
        inc.detections
            .iter()
            .filter(|d| seen.insert(d.rule_title.as_str()))
            .map(|d| d.rule_title.as_str())
            .collect()
    };
    let lead = strongest.map_or("detections", |d| d.rule_title.as_str());
    let title = match rules.len() {
        0 | 1 => format!("Incident: {lead}"),
        n => format!("Incident: {lead} and {} more rule(s)", n - 1),
    };
    let mut evidence = vec![
        Evidence::new("incident", inc.id.clone()),
        Evidence::new("first seen", inc.first_seen.to_string()),
        Evidence::new("last seen", inc.last_seen.to_string()),
        Evidence::new("detections", inc.detections.len().to_string()),
        // Precursors start the first wave: they never read as the attacker's return.
        Evidence::new(WAVES, inc.waves.len().max(1).to_string()),
    ];
    if let Some(first) = inc.detections.first().and_then(|d| d.sources.first()) {
        evidence.push(Evidence::new(
            "first record",
            format!("{} {}", first.file, first.record),
        ));
    }
    let shown: Vec<&str> = rules.iter().take(5).copied().collect();
    evidence.push(Evidence::new(
        "rules",
        if rules.len() > shown.len() {
            format!("{} (+{} more)", shown.join("; "), rules.len() - shown.len())
        } else {
            shown.join("; ")
        },
    ));
    if !inc.entities.is_empty() {
        let ents: Vec<String> = inc
            .entities
            .iter()
            .take(8)
            .map(ToString::to_string)
            .collect();
        evidence.push(Evidence::new("entities", ents.join(", ")));
    }
    if !inc.tactics.is_empty() {
        let t: Vec<String> = inc.tactics.iter().map(|t| format!("{t:?}")).collect();
        evidence.push(Evidence::new("tactics", t.join(", ")));
    }
    NewAlert {
        dedup_key,
        subject: AlertSubject::Incident,
        reference: inc.id.clone(),
        severity: inc.highest_level,
        title,
        asset: alert_asset(inc.asset.as_deref()),
        evidence,
    }
}

/// Longest asset name an alert carries (host names come from logs and may be hostile).
const MAX_ASSET: usize = 255;

/// The asset of an alert: none for a blank host name, cut for an over-long one, so that a hostile
/// log cannot make the store refuse the alert (which would stop the service).
fn alert_asset(host: Option<&str>) -> Option<String> {
    let h = host?.trim();
    (!h.is_empty()).then(|| h.chars().take(MAX_ASSET).collect())
}

/// The news in an update of an incident's alert: a new wave, by the count of waves in its evidence.
pub fn wave_news(before: &vigil_store::Alert, after: &vigil_store::Alert) -> Option<String> {
    let waves = |a: &vigil_store::Alert| -> Option<u64> {
        a.evidence
            .iter()
            .find(|e| e.label == WAVES)
            .and_then(|e| e.value.parse().ok())
    };
    match (waves(before), waves(after)) {
        (Some(b), Some(a)) if a > b => Some(format!("New wave ({a} so far)")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{RecordRef, SourceRef};

    fn det(rule: &str, level: Level, at: &str, record: u64, ip: &str) -> Detection {
        Detection {
            rule_id: rule.into(),
            rule_title: format!("rule {rule}"),
            level,
            tags: Vec::new(),
            timestamp: Some(at.parse().unwrap()),
            first_seen: None,
            host: Some("MAIL01".into()),
            sources: vec![SourceRef {
                file: "mail.log".into(),
                record: RecordRef::Line(record),
                generation: None,
            }],
            matched: vec![("IpAddress".into(), ip.into())],
        }
    }

    #[test]
    fn one_incident_grows_and_keeps_its_alert_key() {
        let mut live = LiveIncidents::new(LiveOptions::default());
        let spray = det(
            "spray",
            Level::Medium,
            "2026-03-01T10:00:00Z",
            1,
            "203.0.113.9",
        );
        assert_eq!(
            live.offer(&spray),
            Offered::Kept {
                strong: false,
                news: false
            }
        );
        assert!(live.incidents().is_empty(), "medium alone opens nothing");
        let login = det(
            "login",
            Level::High,
            "2026-03-01T10:05:00Z",
            2,
            "203.0.113.9",
        );
        assert_eq!(
            live.offer(&login),
            Offered::Kept {
                strong: true,
                news: true
            }
        );
        assert_eq!(live.offer(&login), Offered::Ignored, "read again");
        let incs = live.incidents();
        assert_eq!(incs.len(), 1);
        let first = live.alert_for(&incs[0]);
        assert_eq!(first.severity, Level::High);
        assert!(first.title.contains("rule login"), "{}", first.title);

        // A precursor placed earlier moves the incident's id, not its alert.
        let earlier = det(
            "spray",
            Level::Medium,
            "2026-03-01T09:00:00Z",
            0,
            "203.0.113.9",
        );
        live.offer(&earlier);
        let incs = live.incidents();
        assert_eq!(incs.len(), 1);
        assert_ne!(incident_alert_key_of(&incs[0]), first.dedup_key);
        assert_eq!(live.alert_for(&incs[0]).dedup_key, first.dedup_key);
    }

    fn incident_alert_key_of(inc: &Incident) -> String {
        vigil_store::incident_alert_key(&inc.id)
    }

    #[test]
    fn the_window_is_bounded_by_count_and_time() {
        let mut live = LiveIncidents::new(LiveOptions {
            max_detections: 3,
            ..LiveOptions::default()
        });
        for i in 0..5u64 {
            let at = format!("2026-03-01T10:0{i}:00Z");
            live.offer(&det("x", Level::High, &at, i, "198.51.100.1"));
        }
        assert_eq!(live.len(), 3);
        assert_eq!(live.dropped(), 2);
        // Far later: everything before the reach goes, and is not counted as dropped.
        live.offer(&det(
            "x",
            Level::High,
            "2027-03-01T10:00:00Z",
            9,
            "198.51.100.1",
        ));
        assert_eq!(live.len(), 1);
        assert_eq!(live.dropped(), 2);
        // Informational and untimed detections are not kept.
        let mut info = det("i", Level::Informational, "2027-03-01T10:00:00Z", 10, "x");
        assert_eq!(live.offer(&info), Offered::Ignored);
        info.level = Level::High;
        info.timestamp = None;
        assert_eq!(live.offer(&info), Offered::Ignored);
    }

    /// Host names come from logs: a blank or huge one must not make the store refuse the alert.
    #[test]
    fn a_hostile_host_name_still_gives_a_storable_alert() {
        let mut live = LiveIncidents::new(LiveOptions::default());
        let mut d = det("a", Level::High, "2026-03-01T10:00:00Z", 1, "x");
        d.host = Some("M".repeat(10_000));
        live.offer(&d);
        let a = live.alert_for(&live.incidents()[0]);
        assert_eq!(a.asset.as_deref().map(str::len), Some(MAX_ASSET));
        assert!(a.bounded().is_ok());
        assert_eq!(alert_asset(Some("  ")), None);
    }

    /// Only a strong detection that may change what people were told is grouped at once.
    #[test]
    fn news_is_a_new_asset_a_new_wave_or_a_higher_level() {
        let mut live = LiveIncidents::new(LiveOptions::default());
        let kept = |o| match o {
            Offered::Kept { news, .. } => news,
            Offered::Ignored => panic!("ignored"),
        };
        assert!(kept(live.offer(&det(
            "a",
            Level::High,
            "2026-03-01T10:00:00Z",
            1,
            "x"
        ))));
        assert!(!kept(live.offer(&det(
            "a",
            Level::High,
            "2026-03-01T10:01:00Z",
            2,
            "x"
        ))));
        assert!(kept(live.offer(&det(
            "b",
            Level::Critical,
            "2026-03-01T10:02:00Z",
            3,
            "x"
        ))));
        assert!(!kept(live.offer(&det(
            "a",
            Level::High,
            "2026-03-02T10:00:00Z",
            4,
            "x"
        ))));
        assert!(kept(live.offer(&det(
            "a",
            Level::High,
            "2026-04-10T10:00:00Z",
            5,
            "x"
        ))));
        let mut other = det("a", Level::High, "2026-04-10T10:00:00Z", 6, "x");
        other.host = Some("MAIL02.clinic.example".into());
        assert!(kept(live.offer(&other)));
    }

    /// A flood bigger than the window: the alert keeps its key, its start and its full count.
    #[test]
    fn an_incident_larger_than_the_window_keeps_its_start_and_count() {
        let mut live = LiveIncidents::new(LiveOptions {
            max_detections: 10,
            ..LiveOptions::default()
        });
        let mut first_key = None;
        for i in 0..50u64 {
            let at = format!("2026-03-01T10:{:02}:{:02}Z", i / 60, i % 60);
            live.offer(&det("x", Level::High, &at, i + 1, "198.51.100.1"));
            let incs = live.incidents();
            assert_eq!(incs.len(), 1);
            let a = live.alert_for(&incs[0]);
            assert_eq!(first_key.get_or_insert(a.dedup_key.clone()), &a.dedup_key);
        }
        let a = live.alert_for(&live.incidents()[0]);
        let ev = |l: &str| {
            a.evidence
                .iter()
                .find(|e| e.label == l)
                .unwrap()
                .value
                .clone()
        };
        assert_eq!(ev("detections"), "50 (40 left the live window)");
        assert_eq!(ev("first seen"), "2026-03-01T10:00:00Z");
        assert_eq!(ev("first record"), "mail.log line 1");
    }

    #[test]
    fn a_new_wave_is_news_a_refresh_is_not() {
        let mut live = LiveIncidents::new(LiveOptions::default());
        live.offer(&det(
            "a",
            Level::High,
            "2026-03-01T10:00:00Z",
            1,
            "203.0.113.9",
        ));
        let one = live.alert_for(&live.incidents()[0]);
        live.offer(&det(
            "a",
            Level::High,
            "2026-03-01T11:00:00Z",
            2,
            "203.0.113.9",
        ));
        let same_wave = live.alert_for(&live.incidents()[0]);
        // 40 days later, the same address: a second wave of the same incident.
        live.offer(&det(
            "a",
            Level::High,
            "2026-04-10T11:00:00Z",
            3,
            "203.0.113.9",
        ));
        let incs = live.incidents();
        assert_eq!(incs.len(), 1, "{incs:#?}");
        let two = live.alert_for(&incs[0]);
        assert_eq!(two.dedup_key, one.dedup_key);
        let stored = |a: &NewAlert| vigil_store::Alert {
            id: 1,
            dedup_key: a.dedup_key.clone(),
            subject: a.subject,
            reference: a.reference.clone(),
            severity: a.severity,
            title: a.title.clone(),
            asset: a.asset.clone(),
            evidence: a.evidence.clone(),
            state: vigil_store::AlertState::Open,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            updates: 0,
            acknowledged: None,
            resolved: None,
            escalation_level: 0,
            next_escalation_at: None,
        };
        assert_eq!(wave_news(&stored(&one), &stored(&same_wave)), None);
        assert_eq!(
            wave_news(&stored(&same_wave), &stored(&two)).as_deref(),
            Some("New wave (2 so far)")
        );
    }
}
