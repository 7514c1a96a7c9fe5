//! From stored detections to alerts a person must acknowledge: detections are grouped into incidents
//! as they arrive ([`LiveIncidents`]), each incident raises one alert (updated as it grows, re-sent
//! on a new wave), and unacknowledged alerts are escalated on a timer. Sending, deduplication and
//! escalation are `vigil-alert`'s; this module decides when to call it.

use crate::error::ServeError;
use crate::incidents::{LiveIncidents, Offered, wave_news};
use crate::selftest::{self, SelfTestEvent, SelfTestOptions, SelfTests};
use crate::silence::{BehindEvent, BehindWatch, SilenceEvent, SilenceWatch};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use vigil_alert::{AlertStore, Alerter, RaiseOutcome};
use vigil_investigate::incident::DetectionKey;
use vigil_model::Detection;
use vigil_store::NewAlert;

/// What the service needs of an alerter, so the runtime does not carry its store type.
pub trait Notifier {
    /// Raises (or updates) an alert; `news` tells what in an update is worth a notice.
    fn raise(
        &mut self,
        alert: &NewAlert,
        news: fn(&vigil_store::Alert, &vigil_store::Alert) -> Option<String>,
    ) -> Result<RaiseOutcome, ServeError>;
    /// Whether any alert, live or resolved, was ever raised under `dedup_key`.
    fn known(&self, dedup_key: &str) -> Result<bool, ServeError>;
    /// Escalates what is due; returns how many escalations were sent.
    fn tick(&mut self) -> Result<usize, ServeError>;
    /// Acknowledges and resolves an alert in one step (a self-test that passed).
    fn close(&mut self, id: i64, by: &str, note: &str) -> Result<(), ServeError>;
    /// Closes the live alert of `dedup_key`, if there is one (a source that came back).
    fn close_key(&mut self, dedup_key: &str, by: &str, note: &str) -> Result<bool, ServeError>;
}

fn alert_error(e: vigil_alert::AlertError) -> ServeError {
    ServeError::Alert(e.to_string())
}

impl<S: AlertStore> Notifier for Alerter<S> {
    fn raise(
        &mut self,
        alert: &NewAlert,
        news: fn(&vigil_store::Alert, &vigil_store::Alert) -> Option<String>,
    ) -> Result<RaiseOutcome, ServeError> {
        self.raise_with_news(alert, news).map_err(alert_error)
    }

    fn known(&self, dedup_key: &str) -> Result<bool, ServeError> {
        Ok(!self.store().alerts_with_key(dedup_key, 1)?.is_empty())
    }

    fn tick(&mut self) -> Result<usize, ServeError> {
        Alerter::tick(self).map(|e| e.len()).map_err(alert_error)
    }

    fn close(&mut self, id: i64, by: &str, note: &str) -> Result<(), ServeError> {
        self.resolve(id, by, Some(note)).map_err(alert_error)?;
        Ok(())
    }

    fn close_key(&mut self, dedup_key: &str, by: &str, note: &str) -> Result<bool, ServeError> {
        // The live alert of a key is the newest one raised under it; older ones are resolved.
        let all = self.store().alerts_with_key(dedup_key, 10_000)?;
        match all
            .into_iter()
            .rev()
            .find(|a| a.state != vigil_store::AlertState::Resolved)
        {
            Some(a) => {
                self.resolve(a.id, by, Some(note)).map_err(alert_error)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn no_news(_: &vigil_store::Alert, _: &vigil_store::Alert) -> Option<String> {
    None
}

/// How often lower-level detections (which only extend incidents) are regrouped, and how often
/// escalations are checked.
#[derive(Debug, Clone, Copy)]
pub struct AlertTiming {
    pub regroup_weak: Duration,
    pub tick: Duration,
}

impl Default for AlertTiming {
    fn default() -> Self {
        AlertTiming {
            regroup_weak: Duration::from_secs(10),
            tick: Duration::from_secs(1),
        }
    }
}

/// What alerting did since the service started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertStats {
    pub opened: u64,
    pub updated: u64,
    pub notices: u64,
    /// Notices no channel delivered.
    pub undelivered: u64,
    pub escalations: u64,
}

/// The service's alerting: live incidents and the notifier they raise alerts through.
pub struct LiveAlerting {
    incidents: LiveIncidents,
    notifier: Box<dyn Notifier>,
    timing: AlertTiming,
    /// Kept since the last grouping; the incidents holding them are the ones to raise.
    fresh: HashSet<DetectionKey>,
    /// The assets of the fresh detections: only their incidents are grouped again.
    fresh_assets: HashSet<Option<String>>,
    /// A fresh detection may open an incident, start a wave or raise a severity.
    fresh_news: bool,
    last_group: Instant,
    last_tick: Option<Instant>,
    stats: AlertStats,
    /// Always there: canaries written by `vigil selftest` come back even without a schedule.
    selftests: SelfTests,
    silence: Option<SilenceWatch>,
    behind: BehindWatch,
    /// Per source, the logs emptied in place already raised.
    tampered: std::collections::HashMap<String, u64>,
    last_silence_check: Option<Instant>,
}

impl LiveAlerting {
    pub fn new(
        incidents: LiveIncidents,
        notifier: Box<dyn Notifier>,
        timing: AlertTiming,
    ) -> LiveAlerting {
        LiveAlerting {
            incidents,
            notifier,
            timing,
            fresh: HashSet::new(),
            fresh_assets: HashSet::new(),
            fresh_news: false,
            last_group: Instant::now(),
            last_tick: None,
            stats: AlertStats::default(),
            selftests: SelfTests::new(SelfTestOptions::default(), jiff::Timestamp::now()),
            silence: None,
            behind: BehindWatch::default(),
            tampered: std::collections::HashMap::new(),
            last_silence_check: None,
        }
    }

    /// Silence alerts for sources that stop bringing events.
    pub fn with_silence(mut self, silence: SilenceWatch) -> LiveAlerting {
        self.silence = Some(silence);
        self
    }

    /// Raises an alert for each source gone silent and resolves it when its events come back;
    /// checked at most once a second.
    pub fn check_sources(
        &mut self,
        snapshot: impl FnOnce() -> vigil_model::HealthSnapshot,
    ) -> Result<(), ServeError> {
        let now = Instant::now();
        if self
            .last_silence_check
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return Ok(());
        }
        self.last_silence_check = Some(now);
        let snap = snapshot();
        let t = jiff::Timestamp::now();
        for ev in self.behind.check(&snap, t) {
            match ev {
                BehindEvent::Behind {
                    source,
                    bytes,
                    since,
                } => {
                    tracing::error!(source = %source, bytes, "log source falling behind");
                    self.notifier.raise(
                        &crate::silence::behind_alert(&source, bytes, since),
                        no_news,
                    )?;
                }
                BehindEvent::CaughtUp { source, at } => {
                    self.notifier.close_key(
                        &crate::silence::behind_key(&source),
                        "vigil serve",
                        &format!("caught up at {at}"),
                    )?;
                }
            }
        }
        for s in &snap.sources {
            let seen = self.tampered.entry(s.name.clone()).or_insert(0);
            if s.tampered > *seen {
                *seen = s.tampered;
                let what = s.last_tampered.clone().unwrap_or_default();
                tracing::error!(source = %s.name, "{what}");
                self.notifier.raise(
                    &NewAlert {
                        dedup_key: format!("tamper:emptied:{}", s.name),
                        subject: vigil_store::AlertSubject::SourceHealth,
                        reference: s.name.clone(),
                        severity: vigil_model::Level::High,
                        title: format!("{}: a log was emptied in place: {what}", s.name),
                        asset: None,
                        evidence: vec![
                            vigil_store::Evidence::new("source", s.name.as_str()),
                            vigil_store::Evidence::new("seen", what.as_str()),
                            vigil_store::Evidence::new("times", s.tampered.to_string()),
                        ],
                    },
                    again_news,
                )?;
            }
        }
        let Some(watch) = &mut self.silence else {
            return Ok(());
        };
        for ev in watch.check(&snap, t) {
            match ev {
                SilenceEvent::Silent {
                    source,
                    last,
                    limit,
                    started,
                } => {
                    tracing::error!(source = %source, "log source silent for longer than its limit");
                    self.raise(&crate::silence::silent_alert(&source, last, limit, started))?;
                }
                SilenceEvent::Back { source, at } => {
                    tracing::info!(source = %source, "log source brings events again");
                    self.notifier.close_key(
                        &crate::silence::silent_key(&source),
                        "vigil serve",
                        &format!("events again since {at}"),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Raises source-health alerts found in the events (a cleared log, missing records, clock
    /// trouble): a repeat of an open one is sent as a notice, since each occurrence is evidence.
    pub fn raise_health(&mut self, alerts: &[NewAlert]) -> Result<(), ServeError> {
        for a in alerts {
            self.notifier.raise(a, again_news)?;
        }
        Ok(())
    }

    /// Raises a source's drop below its normal pace, and resolves it when the pace is back.
    pub fn pace(&mut self, events: &[crate::cadence::CadenceEvent]) -> Result<(), ServeError> {
        use crate::cadence::{CadenceEvent, drop_alert, drop_key};
        for e in events {
            match e {
                CadenceEvent::Drop {
                    source,
                    hour,
                    got,
                    expected,
                } => {
                    tracing::error!(source = %source, "log source far below its normal pace");
                    self.notifier
                        .raise(&drop_alert(source, *hour, *got, *expected), no_news)?;
                }
                CadenceEvent::Back { source, hour } => {
                    self.notifier.close_key(
                        &drop_key(source),
                        "vigil serve",
                        &format!("normal pace again in the hour from {hour}"),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Self-tests: canaries recognised among the detections, written on schedule, raised and closed.
    pub fn with_selftests(mut self, selftests: SelfTests) -> LiveAlerting {
        self.selftests = selftests;
        self
    }

    pub fn stats(&self) -> AlertStats {
        self.stats
    }

    /// Detections held for grouping, and those let go because the window was full.
    pub fn window(&self) -> (usize, u64) {
        (self.incidents.len(), self.incidents.dropped())
    }

    /// Takes back the detections stored before a restart. An incident among them that never had an
    /// alert (the service stopped between storing its detections and raising it) is raised now;
    /// the others were raised already and are left as they are (a resolved one stays resolved).
    pub fn prime(&mut self, stored: &[Detection]) -> Result<(), ServeError> {
        for d in stored {
            self.incidents.offer(d);
        }
        for inc in self.incidents.incidents() {
            let alert = self.incidents.alert_for(&inc);
            if !self.notifier.known(&alert.dedup_key)? {
                tracing::warn!(
                    incident = %inc.id,
                    "an incident stored before the restart had no alert; raising it now"
                );
                self.raise(&alert)?;
            }
        }
        Ok(())
    }

    /// Takes the detections one commit stored.
    pub fn offer(&mut self, detections: &[Detection]) {
        let now = jiff::Timestamp::now();
        for d in detections {
            if crate::selftest::is_canary_rule(&d.rule_id) {
                // A canary proves the path works; it is never part of an incident.
                self.selftests.observe(d, now);
                continue;
            }
            if let Offered::Kept { news, .. } = self.incidents.offer(d) {
                self.fresh_news |= news;
                self.fresh_assets.insert(crate::incidents::asset_of(d));
                if let Some(k) = DetectionKey::of(d) {
                    self.fresh.insert(k);
                }
            }
        }
    }

    /// Raises the alerts of the incidents that grew, and escalates what is due. A detection that may
    /// open an incident, start a wave or raise a severity is grouped at once (its notice must go out
    /// within the poll); the others, which only extend an incident and update its alert silently,
    /// every [`AlertTiming::regroup_weak`], so that a flood costs one grouping per interval.
    pub fn step(&mut self) -> Result<(), ServeError> {
        let now = Instant::now();
        // A flood between two periodic groupings must not grow the set of fresh keys past the
        // window it refers to: then it is grouped at once.
        let due = !self.fresh.is_empty()
            && (now.duration_since(self.last_group) >= self.timing.regroup_weak
                || self.fresh.len() >= self.incidents.options().max_detections);
        if self.fresh_news || due {
            self.group()?;
            self.last_group = now;
        }
        if self
            .last_tick
            .is_none_or(|t| now.duration_since(t) >= self.timing.tick)
        {
            self.last_tick = Some(now);
            let n = self.notifier.tick()?;
            self.stats.escalations += n as u64;
        }
        self.selftest_step()
    }

    /// Raises what the self-tests found: a canary back is an alert sent on every channel and closed
    /// when each took it; a canary lost, or a channel that did not take it, is an alert that stays.
    fn selftest_step(&mut self) -> Result<(), ServeError> {
        let now = jiff::Timestamp::now();
        let timeout = self.selftests.timeout();
        for ev in self.selftests.step(now) {
            match ev {
                SelfTestEvent::Returned {
                    nonce,
                    watch,
                    latency,
                } => {
                    let out = self
                        .notifier
                        .raise(&selftest::returned_alert(&nonce, &watch, latency), no_news)?;
                    // Per channel and recipient: a retry that got through is a delivery.
                    let mut failed: Vec<&str> = out
                        .deliveries
                        .iter()
                        .filter(|d| {
                            !out.deliveries.iter().any(|o| {
                                o.channel == d.channel
                                    && o.recipient == d.recipient
                                    && o.outcome == vigil_store::DeliveryOutcome::Delivered
                            })
                        })
                        .map(|d| d.channel.as_str())
                        .collect();
                    failed.dedup();
                    if out.deliveries.is_empty() || !failed.is_empty() {
                        let why = if out.deliveries.is_empty() {
                            "no channel is configured to send it".to_string()
                        } else {
                            format!("not delivered on {}", failed.join(", "))
                        };
                        tracing::error!(watch = %watch, "self-test: the canary's alert was {why}");
                        self.notifier.raise(
                            &selftest::channel_failed_alert(&nonce, &watch, &why),
                            no_news,
                        )?;
                    } else {
                        let note = format!(
                            "self-test passed: read and matched{}, delivered on {} channel(s)",
                            latency
                                .map(|l| format!(" {} ms after it was written", l.as_millis()))
                                .unwrap_or_default(),
                            out.deliveries.len()
                        );
                        self.notifier.close(out.alert.id, "vigil selftest", &note)?;
                        // A watch that had failed its self-test works again.
                        self.notifier.close_key(
                            &selftest::failed_key(&watch),
                            "vigil selftest",
                            "a canary came back: detection of this log works again",
                        )?;
                        tracing::info!(watch = %watch, "{note}");
                    }
                }
                SelfTestEvent::Missed {
                    watch,
                    last,
                    since,
                    every,
                } => {
                    tracing::error!(watch = %watch, "self-test failed: no scheduled canary came");
                    self.notifier
                        .raise(&selftest::missed_alert(&watch, last, since, every), no_news)?;
                }
                SelfTestEvent::Lost { nonce, watch } => {
                    tracing::error!(watch = %watch, nonce = %nonce, "self-test failed: the canary did not come back");
                    self.notifier
                        .raise(&selftest::lost_alert(&nonce, &watch, timeout), no_news)?;
                }
            }
        }
        Ok(())
    }

    fn group(&mut self) -> Result<(), ServeError> {
        let fresh = std::mem::take(&mut self.fresh);
        let assets = std::mem::take(&mut self.fresh_assets);
        self.fresh_news = false;
        for inc in self.incidents.incidents_on(&assets) {
            let grew = inc
                .detections
                .iter()
                .filter_map(DetectionKey::of)
                .any(|k| fresh.contains(&k));
            if grew {
                let alert = self.incidents.alert_for(&inc);
                self.raise(&alert)?;
            }
        }
        Ok(())
    }

    fn raise(&mut self, alert: &NewAlert) -> Result<(), ServeError> {
        let out = self.notifier.raise(alert, wave_news)?;
        if out.opened {
            self.stats.opened += 1;
            tracing::info!(alert = out.alert.id, title = %out.alert.title, "alert opened");
        } else {
            self.stats.updated += 1;
        }
        if !out.deliveries.is_empty() {
            self.stats.notices += 1;
        }
        if out.undelivered() {
            self.stats.undelivered += 1;
        }
        Ok(())
    }
}

/// A notice when a health alert's condition is seen again with other evidence (another clearing,
/// another gap).
fn again_news(old: &vigil_store::Alert, new: &vigil_store::Alert) -> Option<String> {
    (old.title != new.title || old.evidence != new.evidence)
        .then(|| format!("seen again: {}", new.title))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::LiveOptions;
    use vigil_model::{Level, RecordRef, SourceRef};

    /// Counts what would be sent; stores nothing.
    #[derive(Default)]
    struct Counting {
        raised: usize,
    }

    impl Notifier for Counting {
        fn raise(
            &mut self,
            _: &NewAlert,
            _: fn(&vigil_store::Alert, &vigil_store::Alert) -> Option<String>,
        ) -> Result<RaiseOutcome, ServeError> {
            self.raised += 1;
            Err(ServeError::Alert("not stored in this test".into()))
        }
        fn known(&self, _: &str) -> Result<bool, ServeError> {
            Ok(false)
        }
        fn tick(&mut self) -> Result<usize, ServeError> {
            Ok(0)
        }
        fn close(&mut self, _: i64, _: &str, _: &str) -> Result<(), ServeError> {
            Ok(())
        }
        fn close_key(&mut self, _: &str, _: &str, _: &str) -> Result<bool, ServeError> {
            Ok(false)
        }
    }

    fn weak(n: u64) -> Detection {
        Detection {
            rule_id: "spray".into(),
            rule_title: "spray".into(),
            level: Level::Low,
            tags: Vec::new(),
            timestamp: Some("2026-03-01T10:00:00Z".parse().unwrap()),
            first_seen: None,
            host: Some("mx1".into()),
            sources: vec![SourceRef {
                file: "mail.log".into(),
                record: RecordRef::Line(n),
                generation: None,
            }],
            matched: Vec::new(),
        }
    }

    /// Weak detections wait for the periodic grouping, but a flood of them is grouped as soon as it
    /// fills the window, so the set of fresh keys never outgrows it.
    #[test]
    fn a_flood_of_weak_detections_is_grouped_before_it_outgrows_the_window() {
        let opts = LiveOptions {
            max_detections: 50,
            ..LiveOptions::default()
        };
        let timing = AlertTiming {
            regroup_weak: Duration::from_secs(3600),
            tick: Duration::from_secs(3600),
        };
        let mut live = LiveAlerting::new(
            LiveIncidents::new(opts),
            Box::new(Counting::default()),
            timing,
        );
        live.offer(&(1..=10).map(weak).collect::<Vec<_>>());
        live.step().unwrap();
        assert_eq!(live.fresh.len(), 10, "waits for the periodic grouping");
        live.offer(&(11..=60).map(weak).collect::<Vec<_>>());
        live.step().unwrap();
        assert!(
            live.fresh.is_empty(),
            "grouped at once: {}",
            live.fresh.len()
        );
    }
}
