//! The pages: sign-in, overview, alerts (list, detail with evidence and history, acknowledge and
//! resolve), the audit trail. Every state-changing form carries the session's CSRF token.

use super::App;
use super::session::{Session, cookie, cookie_name, csrf_ok, login_cookie_name, set_cookie};
use crate::login::{LoginOutcome, login};
use crate::permissions::{Permission, allows};
use crate::secret::random_hex;
use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::BTreeMap;
use vigil_serve::ClientAddr;
use vigil_store::{
    AccountStore, Alert, AlertAction, AlertChange, AlertEvent, AlertState, AlertStore,
    AlertSubject, HealthStore, StoreError, TrailDraft, TrailStore,
};

/// Alerts listed on a page.
const ALERTS_SHOWN: usize = 200;
/// History entries shown with an alert.
const HISTORY_SHOWN: usize = 200;
/// Trail entries shown.
const TRAIL_SHOWN: usize = 200;

pub(crate) fn from(addr: Option<Extension<ClientAddr>>) -> String {
    addr.map_or_else(
        || "unknown address".into(),
        |Extension(ClientAddr(a))| a.ip().to_string(),
    )
}

/// The signed-in person as the layout shows them.
pub(crate) struct Me {
    pub(crate) user: String,
    pub(crate) role: String,
    pub(crate) csrf: String,
    pub(crate) can_read_trail: bool,
    pub(crate) can_manage: bool,
}

impl Me {
    pub(crate) fn of(s: &Session) -> Me {
        Me {
            user: s.user.clone(),
            role: s.role.to_string(),
            csrf: s.csrf.clone(),
            can_read_trail: allows(s.role, Permission::ReadTrail),
            can_manage: allows(s.role, Permission::ManageAccounts),
        }
    }
}

/// A page that could not be served, as the person sees it.
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
    me: Option<Me>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    me: Option<Me>,
    heading: &'a str,
    message: &'a str,
    back: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let heading = match self.status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "Not done",
            _ => "Something went wrong",
        };
        let page = MessagePage {
            me: self.me,
            heading,
            message: &self.message,
            back: "/overview",
        };
        (self.status, render(&page)).into_response()
    }
}

impl From<crate::ConsoleError> for PageError {
    fn from(e: crate::ConsoleError) -> Self {
        // Randomness or hashing failed: for the log; the person is told it did not happen.
        tracing::error!("console: {e}");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The change could not be made; the service log says why.".into(),
            me: None,
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        // The store's message names files and rows: for the log, not for the browser.
        tracing::error!("console: {e}");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The console could not read or write its store; the service log says why."
                .into(),
            me: None,
        }
    }
}

pub(crate) fn refuse(
    status: StatusCode,
    message: impl Into<String>,
    s: Option<&Session>,
) -> PageError {
    PageError {
        status,
        message: message.into(),
        me: s.map(Me::of),
    }
}

pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("console: a page failed to render: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render",
            )
                .into_response()
        }
    }
}

pub(crate) type Page = Result<Response, PageError>;

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

pub(crate) fn when(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

pub(crate) async fn home(State(app): State<App>, headers: HeaderMap) -> Page {
    Ok(match app.session(&headers)? {
        Some(_) => Redirect::to("/overview").into_response(),
        None => to_login(),
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    me: Option<Me>,
    csrf: String,
    message: Option<String>,
}

/// The form with a fresh pre-login CSRF token in a cookie and the form (double submit).
pub(crate) fn login_page(app: &App, status: StatusCode, message: Option<String>) -> Page {
    let csrf =
        random_hex().map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))?;
    let mut response = render(&LoginPage {
        me: None,
        csrf: csrf.clone(),
        message,
    });
    *response.status_mut() = status;
    let tls = app.settings.tls;
    if let Ok(v) =
        HeaderValue::from_str(&set_cookie(login_cookie_name(tls), &csrf, tls, Some(3600)))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    /// Set when an invitation was just accepted.
    welcome: Option<String>,
}

pub(crate) async fn login_form(
    State(app): State<App>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Page {
    if app.session(&headers)?.is_some() {
        return Ok(Redirect::to("/overview").into_response());
    }
    let welcome = q
        .welcome
        .is_some()
        .then(|| "Your password is set: sign in with it.".to_string());
    login_page(&app, StatusCode::OK, welcome)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    name: String,
    password: String,
}

pub(crate) async fn login_submit(
    State(app): State<App>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Page {
    let tls = app.settings.tls;
    let expected = cookie(&headers, login_cookie_name(tls)).unwrap_or_default();
    if expected.is_empty() || !crate::secret::same_secret(expected, &form.csrf) {
        return login_page(
            &app,
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired or did not come from this console; try again.".into()),
        );
    }
    if throttled(&app, &addr) {
        return login_page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many sign-in attempts from this address; wait a minute.".into()),
        );
    }
    if form.name.len() > 256 {
        return login_page(
            &app,
            StatusCode::UNAUTHORIZED,
            Some("Wrong name or password.".into()),
        );
    }
    let now = Timestamp::now();
    // Ends the session the browser may still carry: a login always starts a new one.
    if let Some(old) = cookie(&headers, cookie_name(tls)) {
        let hash = crate::secret::sha256_hex(old);
        app.store().end_session(&hash, None, now)?;
    }
    let outcome = {
        let mut store = app.store();
        login(
            &mut *store,
            &form.name,
            &form.password,
            &app.settings.lockout,
            &from(addr),
            now,
        )
        .map_err(|e| {
            tracing::error!("console: login: {e}");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The sign-in could not be checked.",
                None,
            )
        })?
    };
    match outcome {
        LoginOutcome::Accepted { session_id, .. } => {
            let mut r = Redirect::to("/overview").into_response();
            let h = r.headers_mut();
            for c in [
                set_cookie(cookie_name(tls), &session_id, tls, None),
                set_cookie(login_cookie_name(tls), "", tls, Some(0)),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    h.append(header::SET_COOKIE, v);
                }
            }
            Ok(r)
        }
        LoginOutcome::Refused => login_page(
            &app,
            StatusCode::UNAUTHORIZED,
            Some("Wrong name or password.".into()),
        ),
        LoginOutcome::Locked { until, locked } => login_page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            Some(locked_message(until, locked)),
        ),
        LoginOutcome::SecondFactor { user } => super::second_factor::challenge(&app, user),
    }
}

/// What a person is told when the lock-out stops them.
pub(crate) fn locked_message(until: Timestamp, locked: bool) -> String {
    if locked {
        format!(
            "Too many failed sign-ins: this account is locked until {}. An administrator can \
             unlock it sooner (vigil user unlock).",
            when(until)
        )
    } else {
        format!(
            "Wrong name, password or code. Wait until {} before trying again.",
            when(until)
        )
    }
}

/// Whether the client at `addr` may try to sign in now (per-address throttle).
pub(crate) fn throttled(app: &App, addr: &Option<Extension<ClientAddr>>) -> bool {
    match addr {
        Some(Extension(ClientAddr(peer))) => !app
            .throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .allow(peer.ip(), Timestamp::now(), &app.settings.throttle),
        None => false,
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
}

pub(crate) async fn logout(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Page {
    let Some(s) = app.session(&headers)? else {
        return Ok(to_login());
    };
    if !csrf_ok(&s, &form.csrf) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "The form's security token is missing or wrong.",
            Some(&s),
        ));
    }
    app.store().end_session(
        &s.id_hash,
        Some(&TrailDraft::new(
            &s.user,
            "logout",
            format!("user:{}", s.user),
            "",
        )),
        Timestamp::now(),
    )?;
    let tls = app.settings.tls;
    let mut r = to_login();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(cookie_name(tls), "", tls, Some(0))) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The session, or the sign-in page.
pub(crate) fn signed_in(
    app: &App,
    headers: &HeaderMap,
) -> Result<Result<Session, Response>, PageError> {
    Ok(app.session(headers)?.ok_or_else(to_login))
}

/// The signed-in responder or admin sending a state-changing form, its CSRF token checked;
/// `refused` says to anyone else what they may not do. `Ok(Err(_))` redirects to the sign-in.
pub(crate) fn acting(
    app: &App,
    headers: &HeaderMap,
    csrf: &str,
    refused: &str,
) -> Result<Result<Session, Response>, PageError> {
    acting_as(app, headers, csrf, Permission::ActOnAlerts, refused)
}

/// As [`acting`], for a change that needs `need` (managing accounts: an administrator).
pub(crate) fn acting_as(
    app: &App,
    headers: &HeaderMap,
    csrf: &str,
    need: Permission,
    refused: &str,
) -> Result<Result<Session, Response>, PageError> {
    let s = match signed_in(app, headers)? {
        Ok(s) => s,
        Err(r) => return Ok(Err(r)),
    };
    if !csrf_ok(&s, csrf) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "The form's security token is missing or wrong; reload the page and try again.",
            Some(&s),
        ));
    }
    if !allows(s.role, need) {
        return Err(refuse(StatusCode::FORBIDDEN, refused, Some(&s)));
    }
    Ok(Ok(s))
}

struct AssetRow {
    name: String,
    open: usize,
    ignored: usize,
    overdue: usize,
    worst: String,
    worst_days: String,
    alerts: usize,
    last_scan: String,
}

struct SourceRow {
    name: String,
    kind: String,
    events: u64,
    last_event: String,
    errors: u64,
    last_error: String,
}

struct SelfTestRow {
    id: i64,
    title: String,
    state: String,
    when: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    me: Option<Me>,
    service: String,
    service_class: &'static str,
    open_alerts: usize,
    selftest: Option<SelfTestRow>,
    assets: Vec<AssetRow>,
    sources: Vec<SourceRow>,
}

/// Every asset's posture, the open findings with an exception made in the console in force counted.
pub(crate) fn posture(
    store: &vigil_store::SqliteStore,
    today: jiff::civil::Date,
) -> Result<Vec<vigil_scan::posture::AssetPosture>, String> {
    let ignores =
        vigil_pipeline::exceptions::with_stored(store, &vigil_scan::IgnoreFile::default(), None)
            .map_err(|e| e.to_string())?;
    vigil_scan::posture::status(store, today, &ignores).map_err(|e| e.to_string())
}

pub(crate) async fn overview(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let now = Timestamp::now();
    let store = app.store();
    let posture = posture(&store, now.to_zoned(TimeZone::UTC).date()).map_err(|e| {
        tracing::error!("console: posture: {e}");
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The patch posture could not be read.",
            Some(&s),
        )
    })?;
    let open = store.alerts(Some(AlertState::Open), 10_000)?;
    let mut by_asset: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &open {
        if let Some(asset) = &a.asset {
            *by_asset.entry(asset.as_str()).or_default() += 1;
        }
    }
    let selftest = store
        .alerts(None, 10_000)?
        .into_iter()
        .find(|a| a.subject == AlertSubject::SelfTest)
        .map(|a| SelfTestRow {
            id: a.id,
            title: a.title,
            state: a.state.to_string(),
            when: when(a.created_at),
        });
    let heartbeat = store.heartbeat()?;
    drop(store);
    let (service, level) = super::health::service_sentence(heartbeat.as_ref(), now);
    let page = OverviewPage {
        me: Some(Me::of(&s)),
        service,
        service_class: level.class(),
        open_alerts: open.len(),
        selftest,
        assets: posture
            .into_iter()
            .map(|p| AssetRow {
                alerts: by_asset.get(p.asset.name.as_str()).copied().unwrap_or(0),
                name: p.asset.name,
                open: p.open,
                ignored: p.ignored,
                overdue: p.overdue,
                worst: p.worst.unwrap_or_default(),
                worst_days: p
                    .worst_overdue_days
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                last_scan: p.last_snapshot.map(when).unwrap_or_else(|| "never".into()),
            })
            .collect(),
        sources: heartbeat
            .map(|h| h.sources)
            .unwrap_or_default()
            .into_iter()
            .map(|src| SourceRow {
                name: src.name,
                kind: src.kind,
                events: src.events,
                last_event: src
                    .last_event
                    .map(when)
                    .unwrap_or_else(|| "none yet".into()),
                errors: src.errors,
                last_error: src.last_error.unwrap_or_default(),
            })
            .collect(),
    };
    Ok(render(&page))
}

struct AlertRow {
    id: i64,
    severity: String,
    title: String,
    asset: String,
    state: String,
    created: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    me: Option<Me>,
    filters: Vec<(&'static str, bool)>,
    state: &'static str,
    alerts: Vec<AlertRow>,
    more: bool,
}

#[derive(Deserialize)]
pub(crate) struct StateQuery {
    state: Option<String>,
}

/// A state filter as the pages and the API take it: `open` (default), `acknowledged`, `resolved`,
/// `all`; `Err` for anything else.
pub(crate) fn state_filter(s: Option<&str>) -> Result<(&'static str, Option<AlertState>), String> {
    match s.unwrap_or("open") {
        "all" => Ok(("all", None)),
        "open" => Ok(("open", Some(AlertState::Open))),
        "acknowledged" => Ok(("acknowledged", Some(AlertState::Acknowledged))),
        "resolved" => Ok(("resolved", Some(AlertState::Resolved))),
        _ => Err("state must be open, acknowledged, resolved or all".into()),
    }
}

pub(crate) async fn alerts(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<StateQuery>,
) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let (name, state) = state_filter(q.state.as_deref())
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, e, Some(&s)))?;
    let mut list = app.store().alerts(state, ALERTS_SHOWN + 1)?;
    let more = list.len() > ALERTS_SHOWN;
    list.truncate(ALERTS_SHOWN);
    let page = AlertsPage {
        me: Some(Me::of(&s)),
        filters: ["open", "acknowledged", "resolved", "all"]
            .into_iter()
            .map(|f| (f, f == name))
            .collect(),
        state: name,
        more,
        alerts: list
            .into_iter()
            .map(|a| AlertRow {
                id: a.id,
                severity: a.severity.as_str().to_string(),
                title: a.title,
                asset: a.asset.unwrap_or_default(),
                state: a.state.to_string(),
                created: when(a.created_at),
            })
            .collect(),
    };
    Ok(render(&page))
}

struct AlertView {
    id: i64,
    title: String,
    state: String,
    severity: String,
    subject: String,
    reference: String,
    asset: String,
    created: String,
    marks: Vec<(String, String)>,
    evidence: Vec<vigil_store::Evidence>,
    can_ack: bool,
    can_resolve: bool,
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    me: Option<Me>,
    a: AlertView,
    can_act: bool,
    csrf: String,
    history: Vec<(String, String)>,
    history_omitted: u64,
}

fn mark_text(m: &vigil_store::Mark) -> String {
    match &m.note {
        Some(n) if !n.is_empty() => format!("{} at {}: {n}", m.by, when(m.at)),
        _ => format!("{} at {}", m.by, when(m.at)),
    }
}

/// One history entry as a line.
pub(crate) fn event_text(e: &AlertEvent) -> String {
    let note = |n: &Option<String>| n.as_ref().map(|n| format!(": {n}")).unwrap_or_default();
    match e {
        AlertEvent::Raised { severity, .. } => format!("raised ({severity})"),
        AlertEvent::Updated { severity, .. } => format!("raised again ({severity})"),
        AlertEvent::Acknowledged {
            by, note: n, link, ..
        } => {
            format!(
                "acknowledged by {by}{}{}",
                if *link { " (link)" } else { "" },
                note(n)
            )
        }
        AlertEvent::Resolved {
            by, note: n, link, ..
        } => {
            format!(
                "resolved by {by}{}{}",
                if *link { " (link)" } else { "" },
                note(n)
            )
        }
        AlertEvent::Escalated { level, contact, .. } => match contact {
            Some(c) => format!("escalated to level {level} ({c})"),
            None => format!("escalated to level {level}"),
        },
        AlertEvent::Delivery(d) => match &d.outcome {
            vigil_store::DeliveryOutcome::Delivered => {
                format!("sent by {} to {}", d.channel, d.recipient)
            }
            vigil_store::DeliveryOutcome::Failed(why) => {
                format!("not delivered by {} to {}: {why}", d.channel, d.recipient)
            }
        },
    }
}

fn view(a: Alert) -> AlertView {
    let mut marks = Vec::new();
    if let Some(m) = &a.acknowledged {
        marks.push(("Acknowledged".to_string(), mark_text(m)));
    }
    if let Some(m) = &a.resolved {
        marks.push(("Resolved".to_string(), mark_text(m)));
    }
    AlertView {
        id: a.id,
        can_ack: a.state.allows(AlertAction::Acknowledge),
        can_resolve: a.state.allows(AlertAction::Resolve),
        title: a.title,
        state: a.state.to_string(),
        severity: a.severity.as_str().to_string(),
        subject: a.subject.to_string(),
        reference: a.reference,
        asset: a.asset.unwrap_or_default(),
        created: when(a.created_at),
        marks,
        evidence: a.evidence,
    }
}

pub(crate) async fn alert(State(app): State<App>, headers: HeaderMap, Path(id): Path<i64>) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let store = app.store();
    let Some(a) = store.alert(id)? else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("There is no alert {id}."),
            Some(&s),
        ));
    };
    let history = store.alert_history(id, HISTORY_SHOWN)?;
    drop(store);
    let page = AlertPage {
        me: Some(Me::of(&s)),
        can_act: allows(s.role, Permission::ActOnAlerts),
        csrf: s.csrf.clone(),
        a: view(a),
        history_omitted: history.omitted,
        history: history
            .events
            .iter()
            .map(|e| (when(e.at()), event_text(e)))
            .collect(),
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// Acknowledges or resolves alert `id` for `by`, recorded in the trail; the refusal as status and text.
pub(crate) fn act(
    app: &App,
    id: i64,
    action: AlertAction,
    by: &str,
    actor: &str,
    note: &str,
) -> Result<Alert, (StatusCode, String)> {
    let note = note.trim();
    if note.len() > vigil_store::alerts::MAX_TEXT {
        return Err((StatusCode::BAD_REQUEST, "the note is too long".into()));
    }
    let change = AlertChange {
        action,
        by: by.to_string(),
        at: Timestamp::now(),
        note: (!note.is_empty()).then(|| note.to_string()),
        token_nonce: None,
    };
    match app.store().change_alert_recorded(id, &change, actor) {
        Ok(a) => Ok(a),
        Err(e @ StoreError::NoSuchAlert { .. }) => Err((StatusCode::NOT_FOUND, e.to_string())),
        Err(e @ StoreError::AlertTransition { .. }) => Err((StatusCode::CONFLICT, e.to_string())),
        Err(e) => {
            tracing::error!("console: alert {id}: {e}");
            Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "the change could not be stored".into(),
            ))
        }
    }
}

async fn change_page(
    app: App,
    headers: HeaderMap,
    id: i64,
    action: AlertAction,
    form: NoteForm,
) -> Page {
    let s = match acting(
        &app,
        &headers,
        &form.csrf,
        "Only responders and administrators acknowledge or resolve alerts.",
    )? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    act(&app, id, action, &s.user, &s.user, &form.note)
        .map_err(|(status, message)| refuse(status, message, Some(&s)))?;
    Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
}

pub(crate) async fn acknowledge(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Page {
    change_page(app, headers, id, AlertAction::Acknowledge, form).await
}

pub(crate) async fn resolve(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Page {
    change_page(app, headers, id, AlertAction::Resolve, form).await
}

struct TrailRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "trail.html")]
struct TrailPage {
    me: Option<Me>,
    verdict: String,
    verdict_class: &'static str,
    entries: Vec<TrailRow>,
}

pub(crate) async fn trail(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !allows(s.role, Permission::ReadTrail) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Only administrators read the audit trail.",
            Some(&s),
        ));
    }
    let store = app.store();
    let verdict = store.verify_trail()?;
    let entries = store.trail_latest(TRAIL_SHOWN)?;
    drop(store);
    let (verdict, verdict_class) = match &verdict.broken {
        None => (
            format!(
                "Intact: {} entries, chain verified up to its head.",
                verdict.entries
            ),
            "ok",
        ),
        Some(b) => (format!("TAMPERED at entry {}: {}", b.seq, b.reason), "bad"),
    };
    let page = TrailPage {
        me: Some(Me::of(&s)),
        verdict,
        verdict_class,
        entries: entries
            .into_iter()
            .map(|e| TrailRow {
                seq: e.seq,
                at: when(e.at),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
            })
            .collect(),
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "ack_link.html")]
struct AckLinkPage {
    me: Option<Me>,
    user: String,
    csrf: String,
    token: String,
    action: &'static str,
    action_lower: &'static str,
    a: AlertView,
}

/// What a signed link from an alert message allows, checked against the store's secret.
fn link_claims(app: &App, token: &str, s: &Session) -> Result<vigil_alert::LinkClaims, PageError> {
    let mut store = app.store();
    let signer = vigil_alert::link_signer(&mut *store).map_err(|e| {
        tracing::error!("console: the link secret: {e}");
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The link could not be checked.",
            Some(s),
        )
    })?;
    signer.verify(token, Timestamp::now()).map_err(|e| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!("This link cannot be used: {e}."),
            Some(s),
        )
    })
}

fn action_words(action: AlertAction) -> (&'static str, &'static str) {
    match action {
        AlertAction::Resolve => ("Resolve", "resolve"),
        _ => ("Acknowledge", "acknowledge"),
    }
}

/// A signed acknowledgement link opened: a page to confirm it. Opening changes nothing, because
/// mail filters and previews open links on their own.
pub(crate) async fn link_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !allows(s.role, Permission::ActOnAlerts) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Only responders and administrators acknowledge or resolve alerts.",
            Some(&s),
        ));
    }
    let claims = link_claims(&app, &q.token, &s)?;
    let Some(a) = app.store().alert(claims.alert)? else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("There is no alert {}.", claims.alert),
            Some(&s),
        ));
    };
    let (action, action_lower) = action_words(claims.action);
    let page = AckLinkPage {
        me: Some(Me::of(&s)),
        user: s.user.clone(),
        csrf: s.csrf.clone(),
        token: q.token.trim().to_string(),
        action,
        action_lower,
        a: view(a),
    };
    Ok(render(&page))
}

/// The confirmation of a signed link: the change and its trail entry in one transaction; the
/// link's nonce is recorded with it, so the link works once.
pub(crate) async fn link_submit(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Page {
    let s = match acting(
        &app,
        &headers,
        &form.csrf,
        "Only responders and administrators acknowledge or resolve alerts.",
    )? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let claims = link_claims(&app, &form.token, &s)?;
    let note = form.note.trim();
    if note.len() > vigil_store::alerts::MAX_TEXT {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "the note is too long",
            Some(&s),
        ));
    }
    let change = AlertChange {
        action: claims.action,
        by: s.user.clone(),
        at: Timestamp::now(),
        note: (!note.is_empty()).then(|| note.to_string()),
        token_nonce: Some(claims.nonce),
    };
    let result = app
        .store()
        .change_alert_recorded(claims.alert, &change, &s.user);
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/alerts/{}", a.id)).into_response()),
        Err(e @ (StoreError::NoSuchAlert { .. } | StoreError::AlertTransition { .. })) => {
            Err(refuse(StatusCode::CONFLICT, e.to_string(), Some(&s)))
        }
        Err(e) => {
            tracing::error!("console: a signed link for alert {}: {e}", claims.alert);
            Err(refuse(
                StatusCode::CONFLICT,
                "The link could not be used (it may have been used already).",
                Some(&s),
            ))
        }
    }
}
