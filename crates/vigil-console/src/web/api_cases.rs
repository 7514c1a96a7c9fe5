//! `/api/v1`: incidents, their breach-notice drafts, the remedial plan and each asset's findings as
//! JSON — the data of the console's pages, for bearer tokens and for `vigil … --server`. Reading needs
//! any role; changing the plan a responder.

use super::App;
use super::api::{MAX_LIMIT, MAX_OFFSET, caller, error, internal};
use super::incidents::{AddForm, new_action};
use crate::permissions::Permission;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use vigil_model::index::AssetIndex;
use vigil_store::{AssetStore, CaseStore, IncidentRow, TrailStore};

#[derive(Deserialize)]
pub(crate) struct Page {
    limit: Option<usize>,
    offset: Option<usize>,
}

/// `(limit, offset)` of a list request, or the 400 answer.
fn page(q: &Page) -> Result<(usize, usize), Box<Response>> {
    let limit = q.limit.unwrap_or(100);
    let offset = q.offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("limit must be 1 to {MAX_LIMIT}"),
        )));
    }
    if offset > MAX_OFFSET {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("offset must be at most {MAX_OFFSET}"),
        )));
    }
    Ok((limit, offset))
}

/// One page of `all` as `{limit, offset, next_offset, <name>: [...]}`.
fn paged<T: serde::Serialize>(name: &str, all: Vec<T>, limit: usize, offset: usize) -> Response {
    let more = all.len() > offset.saturating_add(limit);
    let items: Vec<T> = all.into_iter().skip(offset).take(limit).collect();
    let mut body = json!({
        "limit": limit,
        "offset": offset,
        "next_offset": more.then_some(offset + limit),
    });
    body[name] = json!(items);
    axum::Json(body).into_response()
}

fn incident_line(i: &IncidentRow) -> Value {
    json!({
        "id": i.id,
        "asset": i.asset,
        "level": i.level.as_str(),
        "first_seen": i.first_seen,
        "last_seen": i.last_seen,
        "detections": i.detections,
        "entry_point": i.entry_point,
        "status": i.status,
    })
}

/// The stored incidents, latest first.
pub(crate) async fn incidents(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Page>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let (limit, offset) = match page(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let mut list = match app.store().incidents() {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    list.sort_by_key(|i| std::cmp::Reverse(i.first_seen));
    let lines: Vec<Value> = list.iter().map(incident_line).collect();
    paged("incidents", lines, limit, offset)
}

/// One incident: its list facts, the investigation's summary (entry point, root cause, dwell time,
/// waves) and its remedial actions.
pub(crate) async fn incident(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let store = app.store();
    let found = match store.incident(&id) {
        Ok(Some(i)) => i,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no stored incident {id}")),
        Err(e) => return internal(e),
    };
    let actions: Vec<_> = match store.actions(true) {
        Ok(a) => a
            .into_iter()
            .filter(|a| a.incident.as_deref() == Some(found.id.as_str()))
            .collect(),
        Err(e) => return internal(e),
    };
    let mut body = incident_line(&found);
    body["opened_at"] = json!(found.opened_at);
    body["updated_at"] = json!(found.updated_at);
    body["summary"] = found.summary;
    axum::Json(json!({ "incident": body, "actions": actions })).into_response()
}

#[derive(Deserialize)]
pub(crate) struct DraftQuery {
    format: Option<String>,
}

/// The breach-notice draft of an incident, as the console and `vigil report breach` give it (the
/// incident record saved for it included): JSON, or `?format=markdown` / `?format=html` (and
/// `?format=pdf` when the PDF feature is built).
pub(crate) async fn breach(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DraftQuery>,
) -> Response {
    let who = match caller(&app, &headers, Permission::Read) {
        Ok((_, who)) => who,
        Err(r) => return *r,
    };
    let format = q.format.as_deref().unwrap_or("json");
    let formats: &[&str] = if cfg!(feature = "pdf") {
        &["json", "markdown", "html", "pdf"]
    } else {
        &["json", "markdown", "html"]
    };
    if !formats.contains(&format) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("format must be one of {}", formats.join(", ")),
        );
    }
    let drafted = {
        let store = app.store();
        vigil_pipeline::breach::draft(
            &store,
            &id,
            None,
            vigil_pipeline::breach::BreachOptions::default(),
            Timestamp::now(),
        )
    };
    let draft = match drafted {
        Ok(Ok(d)) => d,
        Ok(Err(_)) => {
            return error(
                StatusCode::NOT_FOUND,
                format!("no incident {id} in the stored detections"),
            );
        }
        Err(e) => {
            tracing::error!("console API: breach draft of {id}: {e}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the draft could not be made",
            );
        }
    };
    let footer = format!(
        "Drafted by vigil {} at {} for {who}",
        env!("CARGO_PKG_VERSION"),
        vigil_investigate::time::format_ts(Timestamp::now()),
    );
    match format {
        #[cfg(feature = "pdf")]
        "pdf" => (
            [(header::CONTENT_TYPE, "application/pdf")],
            vigil_report::breach_pdf::render_breach_pdf(&draft, &footer),
        )
            .into_response(),
        "markdown" => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            draft.to_markdown(),
        )
            .into_response(),
        "html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            vigil_report::breach_html::render_breach(&draft, &footer),
        )
            .into_response(),
        _ => axum::Json(draft).into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct PlanQuery {
    state: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// The remedial plan: open actions by due date (`?state=all` with the done ones).
pub(crate) async fn plan(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PlanQuery>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let all = match q.state.as_deref() {
        None | Some("open") => false,
        Some("all") => true,
        Some(_) => return error(StatusCode::BAD_REQUEST, "state must be open or all"),
    };
    let (limit, offset) = match page(&Page {
        limit: q.limit,
        offset: q.offset,
    }) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match app.store().actions(all) {
        Ok(list) => paged("actions", list, limit, offset),
        Err(e) => internal(e),
    }
}

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("the body is not the JSON expected: {e}"),
        ))
    })
}

/// A responder adds an action (`{"title", "owner", "due": "YYYY-MM-DD", "incident"?}`); it and its
/// trail entry are one transaction.
pub(crate) async fn add_action(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = match caller(&app, &headers, Permission::ActOnAlerts) {
        Ok((_, who)) => who,
        Err(r) => return *r,
    };
    let form: AddForm = match json_body(&body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let action = match new_action(&app, &form) {
        Ok(Ok(a)) => a,
        Ok(Err(wrong)) => return error(StatusCode::BAD_REQUEST, wrong.join(" ")),
        Err(e) => return internal(e),
    };
    let mut store = app.store();
    let id = match store.add_action_recorded(&action, Timestamp::now(), &who) {
        Ok(id) => id,
        Err(e) => return internal(e),
    };
    match store.action(id) {
        Ok(a) => (StatusCode::CREATED, axum::Json(json!({ "action": a }))).into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DoneBody {
    #[serde(default)]
    note: Option<String>,
}

/// A responder marks an action done (`{"note"?}`), into the trail.
pub(crate) async fn done(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let who = match caller(&app, &headers, Permission::ActOnAlerts) {
        Ok((_, who)) => who,
        Err(r) => return *r,
    };
    let b: DoneBody = if body.is_empty() {
        DoneBody::default()
    } else {
        match json_body(&body) {
            Ok(b) => b,
            Err(r) => return *r,
        }
    };
    let note = b.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.len() > vigil_store::alerts::MAX_TEXT) {
        return error(StatusCode::BAD_REQUEST, "the note is too long");
    }
    let mut store = app.store();
    match store.complete_action_recorded(id, Timestamp::now(), note, &who) {
        Ok(true) => match store.action(id) {
            Ok(a) => axum::Json(json!({ "action": a })).into_response(),
            Err(e) => internal(e),
        },
        Ok(false) => error(
            StatusCode::CONFLICT,
            format!("action {id} does not exist or is already done"),
        ),
        Err(e) => internal(e),
    }
}

/// An asset's open findings, most overdue first, each with the exception in force if any.
pub(crate) async fn findings(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<Page>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let (limit, offset) = match page(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let store = app.store();
    let lookup_failed = |e: &dyn std::fmt::Display| {
        tracing::error!("console API: findings of {name}: {e}");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the findings could not be read",
        )
    };
    match store.asset(&name) {
        Ok(Some(_)) => {}
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no asset {name}")),
        Err(e) => return lookup_failed(&e),
    }
    let found = match store.findings(&name, false) {
        Ok(f) => f,
        Err(e) => return lookup_failed(&e),
    };
    let exceptions = match store.exceptions(Some(&name)) {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
    drop(store);
    let today = jiff::Zoned::now().date();
    let mut lines: Vec<(Option<jiff::civil::Date>, Value)> = found
        .into_iter()
        .map(|f| {
            let exception = vigil_pipeline::exceptions::in_force(&exceptions, &f.finding, today);
            (
                f.finding.due,
                json!({
                    "key": f.key,
                    "first_seen": f.first_seen,
                    "last_seen": f.last_seen,
                    "finding": f.finding,
                    "exception": exception,
                }),
            )
        })
        .collect();
    // Earliest deadline first (most overdue), findings without one last.
    lines.sort_by_key(|(due, _)| (due.is_none(), *due));
    let lines: Vec<Value> = lines.into_iter().map(|(_, v)| v).collect();
    paged("findings", lines, limit, offset)
}

/// Longest `gap` or `lookback` the investigation accepts, in days (ten years).
const MAX_DAYS: u32 = 3650;

#[derive(Deserialize)]
pub(crate) struct InvestigationQuery {
    asset: Option<String>,
    gap: Option<u32>,
    min_level: Option<String>,
    lookback: Option<u32>,
}

/// The investigation of the service's stored detections, as `vigil investigate` makes it (its options
/// are the query's): every incident's summary (schema `vigil.incident/1`), with the counts of
/// detections considered, dismissed and untimed. The cases refresh the stored incidents the console
/// lists, as a local `vigil investigate` does.
pub(crate) async fn investigation(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<InvestigationQuery>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let mut opts = vigil_pipeline::investigate::InvestigateOptions {
        asset: q.asset,
        ..Default::default()
    };
    if let Some(gap) = q.gap {
        if !(1..=MAX_DAYS).contains(&gap) {
            return error(
                StatusCode::BAD_REQUEST,
                format!("gap must be 1 to {MAX_DAYS} days"),
            );
        }
        opts.gap_days = gap;
    }
    if let Some(days) = q.lookback {
        if days > MAX_DAYS {
            return error(
                StatusCode::BAD_REQUEST,
                format!("lookback must be at most {MAX_DAYS} days"),
            );
        }
        opts.lookback_days = days;
    }
    if let Some(level) = &q.min_level {
        match level.parse() {
            Ok(l) => opts.min_level = l,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("min_level: {e}")),
        }
    }
    use std::sync::atomic::Ordering;
    if app.investigating.swap(true, Ordering::SeqCst) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "an investigation is running already; ask again when it has ended",
        );
    }
    /// Clears the flag however the investigation ends.
    struct Running(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Running {
        fn drop(&mut self) {
            self.0.store(false, Ordering::SeqCst);
        }
    }
    let running = Running(app.investigating.clone());
    let path = app.store().path().to_string();
    let shared = app.clone();
    // On the blocking pool, with a connection of its own: the console's runtime (and its one store
    // connection) stay free for the other requests meanwhile.
    let done = tokio::task::spawn_blocking(move || {
        let _running = running;
        if path == ":memory:" {
            let mut store = shared.store();
            return vigil_pipeline::investigate::run(&mut *store, &opts, None);
        }
        let mut store = vigil_store::SqliteStore::open(std::path::Path::new(&path))?;
        vigil_pipeline::investigate::run(&mut store, &opts, None)
    })
    .await;
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("console API: the investigation stopped: {e}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the investigation could not be made",
            );
        }
    };
    match done {
        Ok(done) => axum::Json(json!({
            "schema": "vigil.investigate/1",
            "incidents": done
                .cases
                .iter()
                .map(vigil_pipeline::investigate::CaseSummary::of)
                .collect::<Vec<_>>(),
            "detections": done.detections,
            "dismissed": done.dismissed,
            "untimed": done.untimed,
        }))
        .into_response(),
        Err(e) => {
            tracing::error!("console API: investigation: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the investigation could not be made",
            )
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct PatchingQuery {
    asset: Option<String>,
    today: Option<String>,
}

/// Per asset, how patching is going (`vigil report patching`): open findings by severity, overdue,
/// the oldest unapplied fix, the last update, mean time to remediate; as of `today` (YYYY-MM-DD,
/// default the service's today in UTC).
pub(crate) async fn patching(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PatchingQuery>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let today = match q.today.as_deref() {
        None => Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date(),
        Some(t) => match t.parse::<jiff::civil::Date>() {
            Ok(d) => d,
            Err(_) => {
                return error(StatusCode::BAD_REQUEST, "today must be a date, YYYY-MM-DD");
            }
        },
    };
    let reports = {
        let store = app.store();
        vigil_scan::posture::patching(&*store, q.asset.as_deref(), today)
    };
    match reports {
        Ok(r) if r.is_empty() && q.asset.is_some() => error(
            StatusCode::NOT_FOUND,
            format!("no asset named {:?}", q.asset.unwrap_or_default()),
        ),
        Ok(r) => axum::Json(json!({
            "schema": "vigil.patching/1",
            "today": today.to_string(),
            "assets": r,
        }))
        .into_response(),
        Err(e) => {
            tracing::error!("console API: patching: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the patching report could not be made",
            )
        }
    }
}
