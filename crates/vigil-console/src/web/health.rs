//! Detection health: what `vigil status`, `vigil doctor` and the service know of detection itself —
//! the service's heartbeat, each watched source's state (never produced, silent, far below its learnt
//! pace, behind, tampered with, read errors), the last self-test of each kind (scheduled canary,
//! `vigil selftest`, rule tests at start) and the open source-health alerts — as a page (`/detection`)
//! and as JSON (`/api/v1/health`), from one [`Health`] built per request.
//!
//! The wording never reads as an all-clear it cannot back: no heartbeat is "detection is NOT
//! running", a source that never brought an event "never produced an event", never "ok".

use super::App;
use super::api::{caller, internal};
use super::pages::{Me, Page, render, signed_in, when};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Serialize;
use vigil_model::{HealthSnapshot, Liveness, SourceSnapshot};
use vigil_serve::proof::{self, RuleTestRecord, SelfTestRecord};
use vigil_serve::silence::{behind_key, silent_key};
use vigil_store::{Alert, AlertState, AlertStore, AlertSubject, HealthStore, StoreError};

/// Alerts read to find the self-test records and the live source-health alerts (newest first).
const ALERTS_READ: usize = 10_000;

/// How worrying something is, as the page colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Level {
    Ok,
    Warn,
    Bad,
}

impl Level {
    pub(crate) fn class(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Bad => "bad",
        }
    }
}

/// An alert as the health view cites it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AlertRef {
    id: i64,
    title: String,
    severity: String,
    state: String,
    created_at: Timestamp,
}

impl AlertRef {
    fn of(a: &Alert) -> AlertRef {
        AlertRef {
            id: a.id,
            title: a.title.clone(),
            severity: a.severity.as_str().to_string(),
            state: a.state.to_string(),
            created_at: a.created_at,
        }
    }

    fn when(&self) -> String {
        when(self.created_at)
    }
}

/// The service, from its last heartbeat.
#[derive(Debug, Serialize)]
pub(crate) struct Service {
    state: Liveness,
    pid: u32,
    started_at: Timestamp,
    heartbeat_at: Timestamp,
    heartbeat_age_seconds: i64,
    stale_after_seconds: i64,
    stopped_at: Option<Timestamp>,
    events: u64,
    alerts_raised: u64,
    alerts_undelivered: u64,
    heartbeat_errors: u64,
}

impl Service {
    fn started_text(&self) -> String {
        when(self.started_at)
    }

    fn heartbeat_text(&self) -> String {
        when(self.heartbeat_at)
    }
}

/// What is wrong with a source, each cited by its own wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SourceState {
    NeverProduced,
    Silent,
    PaceDrop,
    Behind,
    Tampered,
    ReadErrors,
}

impl SourceState {
    fn level(self) -> Level {
        match self {
            SourceState::Behind | SourceState::ReadErrors => Level::Warn,
            _ => Level::Bad,
        }
    }
}

/// One watched source.
#[derive(Debug, Serialize)]
pub(crate) struct Source {
    name: String,
    kind: String,
    files: u64,
    events: u64,
    events_per_min: u64,
    last_event: Option<Timestamp>,
    last_arrival: Option<Timestamp>,
    lag_seconds: Option<i64>,
    bytes_behind: u64,
    errors: u64,
    last_error: Option<String>,
    tampered: u64,
    states: Vec<SourceState>,
    /// When a canary last came back through it (either kind), if ever.
    last_selftest: Option<Timestamp>,
    level: Level,
    /// The live source-health alerts naming it.
    alerts: Vec<AlertRef>,
    /// The states in words, for the page.
    #[serde(skip)]
    summary: String,
}

impl Source {
    fn last_event_text(&self) -> String {
        self.last_event.map_or_else(|| "never".to_string(), when)
    }

    fn last_selftest_text(&self) -> String {
        self.last_selftest.map_or_else(|| "never".to_string(), when)
    }
}

/// A watch's self-tests.
#[derive(Debug, Serialize)]
pub(crate) struct SelfTest {
    watch: String,
    /// The last scheduled canary that came back.
    last_scheduled: Option<Timestamp>,
    /// The last canary of `vigil selftest` that came back.
    last_cli: Option<Timestamp>,
    failing: Option<AlertRef>,
    level: Level,
}

impl SelfTest {
    fn of(r: &SelfTestRecord) -> SelfTest {
        let failing = r.failing.as_ref().map(AlertRef::of);
        SelfTest {
            watch: r.watch.clone(),
            last_scheduled: r.last_scheduled.as_ref().map(|a| a.created_at),
            last_cli: r.last_cli.as_ref().map(|a| a.created_at),
            level: if failing.is_some() {
                Level::Bad
            } else {
                Level::Ok
            },
            failing,
        }
    }

    fn scheduled_text(&self) -> String {
        self.last_scheduled
            .map_or_else(|| "never".to_string(), when)
    }

    fn cli_text(&self) -> String {
        self.last_cli.map_or_else(|| "never".to_string(), when)
    }
}

/// A rule folder's rule tests, as far as the store recorded them (only failures are recorded).
#[derive(Debug, Serialize)]
pub(crate) struct RuleTests {
    folder: String,
    failing: bool,
    failed_at: Timestamp,
    passing_since: Option<Timestamp>,
    alert: AlertRef,
}

impl RuleTests {
    fn of(r: &RuleTestRecord) -> RuleTests {
        RuleTests {
            folder: r.folder.clone(),
            failing: r.failing(),
            failed_at: r.alert.created_at,
            passing_since: r.passing_since(),
            alert: AlertRef::of(&r.alert),
        }
    }

    fn text(&self) -> String {
        match (self.failing, self.passing_since) {
            (true, _) => format!(
                "FAILING since {}: detection by these rules cannot be trusted",
                when(self.failed_at)
            ),
            (false, Some(t)) => format!(
                "passing since {} (they failed at {})",
                when(t),
                when(self.failed_at)
            ),
            (false, None) => format!("failed at {}, closed since", when(self.failed_at)),
        }
    }
}

/// Everything the page and the API show.
#[derive(Debug, Serialize)]
pub(crate) struct Health {
    checked_at: Timestamp,
    /// The service wrote a recent heartbeat and did not stop.
    detection_running: bool,
    level: Level,
    verdict: String,
    service: Option<Service>,
    /// Said when the sources below come from a heartbeat nobody renews.
    #[serde(skip_serializing_if = "Option::is_none")]
    sources_as_of: Option<Timestamp>,
    sources: Vec<Source>,
    selftests: Vec<SelfTest>,
    rule_tests: Vec<RuleTests>,
    /// The live source-health and self-test alerts, newest first.
    alerts: Vec<AlertRef>,
}

/// The service in one sentence, and how bad it is: what the overview and the health page both say.
pub(crate) fn service_sentence(h: Option<&HealthSnapshot>, now: Timestamp) -> (String, Level) {
    match h {
        None => (
            "Detection is NOT running: vigil serve has never written a heartbeat to this store, \
             so no log is being watched."
                .into(),
            Level::Bad,
        ),
        Some(h) => match h.liveness(now) {
            Liveness::Running => (
                format!(
                    "Detection is running. Watching since {}; last heartbeat {}.",
                    when(h.started_at),
                    when(h.updated_at)
                ),
                Level::Ok,
            ),
            Liveness::Stopped => (
                format!(
                    "Detection is NOT running: vigil serve stopped at {}; nothing is being watched.",
                    h.stopped_at.map(when).unwrap_or_default()
                ),
                Level::Bad,
            ),
            Liveness::Stale => (
                format!(
                    "Detection is NOT running: no heartbeat since {} (expected every {} s); the \
                     service crashed, hung or was killed.",
                    when(h.updated_at),
                    h.heartbeat_secs
                ),
                Level::Bad,
            ),
        },
    }
}

fn live(a: &Alert) -> bool {
    a.state != AlertState::Resolved
}

/// Whether `a` is one of the live alerts that speak of the health of detection (a passed canary is
/// a record, not a problem).
fn is_health_alert(a: &Alert) -> bool {
    live(a)
        && match a.subject {
            AlertSubject::SourceHealth => true,
            AlertSubject::SelfTest => !a
                .dedup_key
                .starts_with(&vigil_serve::selftest::returned_key("")),
            _ => false,
        }
}

fn source_of(
    s: SourceSnapshot,
    alerts: &[Alert],
    selftests: &[SelfTestRecord],
    started: Timestamp,
) -> Source {
    let mine: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.subject == AlertSubject::SourceHealth && a.reference == s.name)
        .collect();
    let has_key = |key: String| mine.iter().any(|a| a.dedup_key == key);
    let mut states = Vec::new();
    let mut words = Vec::new();
    if s.events == 0 && s.last_arrival.is_none() {
        states.push(SourceState::NeverProduced);
        words.push(format!(
            "never produced an event since the service started at {}",
            when(started)
        ));
    }
    if has_key(silent_key(&s.name)) {
        states.push(SourceState::Silent);
        words.push("silent".to_string());
    }
    if has_key(vigil_serve::cadence::drop_key(&s.name)) {
        states.push(SourceState::PaceDrop);
        words.push("far below its learnt pace".to_string());
    }
    if has_key(behind_key(&s.name)) || s.bytes_behind > 0 {
        states.push(SourceState::Behind);
        words.push(format!("behind: {} bytes not read yet", s.bytes_behind));
    }
    if s.tampered > 0 || mine.iter().any(|a| a.dedup_key.starts_with("tamper:")) {
        states.push(SourceState::Tampered);
        words.push(match &s.last_tampered {
            Some(t) => format!("TAMPERED WITH: {t}"),
            None => "TAMPERED WITH (see its alert)".to_string(),
        });
    }
    if s.errors > 0 {
        states.push(SourceState::ReadErrors);
        words.push(format!("{} read error(s)", s.errors));
    }
    let level = states
        .iter()
        .map(|st| st.level())
        .max()
        .unwrap_or(Level::Ok);
    let summary = if words.is_empty() {
        "producing events".to_string()
    } else {
        words.join("; ")
    };
    let last_selftest = selftests
        .iter()
        .find(|r| r.watch == s.name)
        .and_then(|r| r.last_passed().map(|a| a.created_at));
    Source {
        alerts: mine.iter().map(|a| AlertRef::of(a)).collect(),
        name: s.name,
        kind: s.kind,
        files: s.files,
        events: s.events,
        events_per_min: s.events_per_min,
        last_event: s.last_event,
        last_arrival: s.last_arrival,
        lag_seconds: s.lag_seconds,
        bytes_behind: s.bytes_behind,
        errors: s.errors,
        last_error: s.last_error,
        tampered: s.tampered,
        states,
        last_selftest,
        level,
        summary,
    }
}

/// Reads what the store knows of detection at `now`.
pub(crate) fn health(
    store: &vigil_store::SqliteStore,
    now: Timestamp,
) -> Result<Health, StoreError> {
    let heartbeat = store.heartbeat()?;
    let all = store.alerts(None, ALERTS_READ)?;
    let records = proof::selftests(&all);
    let rule_tests: Vec<RuleTests> = proof::rule_tests(&all).iter().map(RuleTests::of).collect();
    let open: Vec<Alert> = all.into_iter().filter(is_health_alert).collect();
    let (sentence, service_level) = service_sentence(heartbeat.as_ref(), now);
    let running = service_level == Level::Ok;
    let (service, sources, sources_as_of) = match heartbeat {
        None => (None, Vec::new(), None),
        Some(h) => {
            let service = Service {
                state: h.liveness(now),
                pid: h.pid,
                started_at: h.started_at,
                heartbeat_at: h.updated_at,
                heartbeat_age_seconds: h.age(now).as_secs(),
                stale_after_seconds: h.stale_after().as_secs(),
                stopped_at: h.stopped_at,
                events: h.events,
                alerts_raised: h.alerts_raised,
                alerts_undelivered: h.alerts_undelivered,
                heartbeat_errors: h.heartbeat_errors,
            };
            let started = h.started_at;
            let as_of = (!running).then_some(h.updated_at);
            let sources = h
                .sources
                .into_iter()
                .map(|s| source_of(s, &open, &records, started))
                .collect();
            (Some(service), sources, as_of)
        }
    };
    let selftests: Vec<SelfTest> = records.iter().map(SelfTest::of).collect();
    let (verdict, level) = verdict(sentence, service_level, &sources, &selftests, &rule_tests);
    Ok(Health {
        checked_at: now,
        detection_running: running,
        level,
        verdict,
        service,
        sources_as_of,
        sources,
        selftests,
        rule_tests,
        alerts: open.iter().map(AlertRef::of).collect(),
    })
}

/// The one sentence at the top: the service's state, then what needs attention.
fn verdict(
    service: String,
    service_level: Level,
    sources: &[Source],
    selftests: &[SelfTest],
    rule_tests: &[RuleTests],
) -> (String, Level) {
    if service_level != Level::Ok {
        return (service, service_level);
    }
    let mut level = Level::Ok;
    let mut problems = Vec::new();
    let troubled = sources.iter().filter(|s| s.level != Level::Ok).count();
    if sources.is_empty() {
        problems.push("the service watches no log source".to_string());
        level = Level::Bad;
    }
    if troubled > 0 {
        problems.push(format!("{troubled} source(s) need attention"));
        level = level.max(sources.iter().map(|s| s.level).max().unwrap_or(Level::Ok));
    }
    let failing = selftests.iter().filter(|t| t.failing.is_some()).count();
    if failing > 0 {
        problems.push(format!("{failing} self-test(s) failing"));
        level = Level::Bad;
    }
    let untested = sources.iter().filter(|s| s.last_selftest.is_none()).count();
    if untested > 0 {
        problems.push(format!(
            "{untested} source(s) never verified by a self-test"
        ));
        level = level.max(Level::Warn);
    }
    let rules = rule_tests.iter().filter(|r| r.failing).count();
    if rules > 0 {
        problems.push(format!("rule tests failing in {rules} folder(s)"));
        level = Level::Bad;
    }
    if problems.is_empty() {
        (
            format!("{service} Every watched source produces events and its self-test passed."),
            Level::Ok,
        )
    } else {
        (format!("{service} But: {}.", problems.join("; ")), level)
    }
}

#[derive(Template)]
#[template(path = "health.html")]
struct HealthPage {
    me: Option<Me>,
    h: Health,
}

impl HealthPage {
    fn as_of(&self) -> String {
        self.h.sources_as_of.map(when).unwrap_or_default()
    }
}

pub(crate) async fn page(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let h = health(&app.store(), Timestamp::now())?;
    Ok(render(&HealthPage {
        me: Some(Me::of(&s)),
        h,
    }))
}

pub(crate) async fn api(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = caller(&app, &headers, crate::permissions::Permission::Read) {
        return *r;
    }
    match health(&app.store(), Timestamp::now()) {
        Ok(h) => axum::Json(h).into_response(),
        Err(e) => internal(e),
    }
}
