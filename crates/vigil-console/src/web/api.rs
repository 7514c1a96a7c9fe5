//! `/api/v1`: the alerts and the assets' posture as JSON, for bearer tokens (`vigil token create`).
//! A missing, unknown, revoked or expired token is 401; a role without the permission 403.

use super::App;
use super::pages::{act, event_text, state_filter};
use crate::permissions::{Permission, allows};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::{Value, json};
use vigil_store::{AlertAction, AlertStore, Role, StoreError};

/// Most alerts one page of the API gives.
pub const MAX_LIMIT: usize = 500;
/// Deepest offset served (pages past it: filter by state, or narrow the question).
pub const MAX_OFFSET: usize = 10_000;
/// History entries given with one alert.
const HISTORY: usize = 500;

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut r = (status, axum::Json(json!({ "error": message.into() }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
    }
    r
}

pub(crate) fn internal(e: StoreError) -> Response {
    tracing::error!("console API: {e}");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the store could not be read",
    )
}

/// The caller's role and trail name, or the 401/403 answer.
pub(crate) fn caller(
    app: &App,
    headers: &HeaderMap,
    need: Permission,
) -> Result<(Role, String), Box<Response>> {
    match app.bearer(headers).map_err(|e| Box::new(internal(e)))? {
        None => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "a valid bearer token is needed (vigil token create); it may have expired or been revoked",
        ))),
        Some((role, who)) if allows(role, need) => Ok((role, who)),
        Some((role, _)) => Err(Box::new(error(
            StatusCode::FORBIDDEN,
            format!("a {role} token may not do this"),
        ))),
    }
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    state: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

pub(crate) async fn alerts(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let (name, state) = match state_filter(q.state.as_deref()) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let limit = q.limit.unwrap_or(100);
    let offset = q.offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("limit must be 1 to {MAX_LIMIT}"),
        );
    }
    if offset > MAX_OFFSET {
        return error(
            StatusCode::BAD_REQUEST,
            format!("offset must be at most {MAX_OFFSET}"),
        );
    }
    // One more than asked, to tell whether a next page exists.
    let list = match app.store().alerts(state, offset + limit + 1) {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let more = list.len() > offset + limit;
    let page: Vec<_> = list.into_iter().skip(offset).take(limit).collect();
    axum::Json(json!({
        "state": name,
        "limit": limit,
        "offset": offset,
        "next_offset": more.then_some(offset + limit),
        "alerts": page,
    }))
    .into_response()
}

pub(crate) async fn alert(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let store = app.store();
    let found = match store.alert(id) {
        Ok(Some(a)) => a,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no alert {id}")),
        Err(e) => return internal(e),
    };
    let history = match store.alert_history(id, HISTORY) {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
    drop(store);
    let events: Vec<Value> = history
        .events
        .iter()
        .map(|e| json!({ "at": e.at(), "text": event_text(e), "event": e }))
        .collect();
    axum::Json(json!({
        "alert": found,
        "history": events,
        "history_omitted": history.omitted,
    }))
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    #[serde(default)]
    note: Option<String>,
}

async fn change(
    app: App,
    headers: HeaderMap,
    id: i64,
    action: AlertAction,
    body: Bytes,
) -> Response {
    let (_, who) = match caller(&app, &headers, Permission::ActOnAlerts) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let body: NoteBody = if body.iter().all(u8::is_ascii_whitespace) {
        NoteBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("the body is not {{\"note\": \"…\"}}: {e}"),
                );
            }
        }
    };
    match act(
        &app,
        id,
        action,
        &who,
        &who,
        body.note.as_deref().unwrap_or_default(),
    ) {
        Ok(a) => axum::Json(json!({ "alert": a })).into_response(),
        Err((status, message)) => error(status, message),
    }
}

pub(crate) async fn acknowledge(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    change(app, headers, id, AlertAction::Acknowledge, body).await
}

pub(crate) async fn resolve(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    change(app, headers, id, AlertAction::Resolve, body).await
}

pub(crate) async fn assets(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let store = app.store();
    match super::pages::posture(&store, today) {
        Ok(p) => axum::Json(json!({ "date": today.to_string(), "assets": p })).into_response(),
        Err(e) => {
            tracing::error!("console API: posture: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the posture could not be read",
            )
        }
    }
}

/// The fields of a record the API reads and writes (those of the console's form), each a string, a
/// list of strings or null.
fn record_json(record: Option<&vigil_investigate::IncidentRecord>) -> Value {
    let Some(r) = record else {
        return Value::Null;
    };
    let all = serde_json::to_value(r).unwrap_or(Value::Null);
    Value::Object(
        super::record::FIELDS
            .iter()
            .map(|f| {
                (
                    f.key.to_string(),
                    all.get(f.key).cloned().unwrap_or(Value::Null),
                )
            })
            .collect(),
    )
}

/// The error answer when the draft does not know incident `id` (or it could not be read).
fn unknown_incident(app: &App, id: &str) -> Option<Response> {
    let found = vigil_pipeline::breach::draft(
        &app.store(),
        id,
        None,
        vigil_pipeline::breach::BreachOptions::default(),
        Timestamp::now(),
    );
    match found {
        Ok(Ok(_)) => None,
        Ok(Err(_)) => Some(error(
            StatusCode::NOT_FOUND,
            format!("no incident {id:?} in the stored detections"),
        )),
        Err(e) => {
            tracing::error!("console API: the incident {id}: {e}");
            Some(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the incident could not be read",
            ))
        }
    }
}

fn stored_answer(app: &App, id: &str, changed: Option<Vec<String>>) -> Response {
    match vigil_pipeline::breach::stored_record(&app.store(), id) {
        Ok(stored) => {
            let mut v = json!({
                "incident": id,
                "record": record_json(stored.as_ref().map(|(r, _, _)| r)),
                "saved_by": stored.as_ref().map(|(_, by, _)| by),
                "saved_at": stored.as_ref().map(|(_, _, at)| at),
            });
            if let Some(c) = changed {
                v["changed"] = json!(c);
            }
            axum::Json(v).into_response()
        }
        Err(e) => {
            tracing::error!("console API: the record of {id}: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the incident record could not be read",
            )
        }
    }
}

/// The incident record saved for an incident (`record` null when none is).
pub(crate) async fn record(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    if let Some(r) = unknown_incident(&app, &id) {
        return r;
    }
    stored_answer(&app, &id, None)
}

/// Replaces the incident record of an incident (fields left out are emptied), recorded in the trail
/// under the token's name with the fields changed.
pub(crate) async fn put_record(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (_, who) = match caller(&app, &headers, Permission::ActOnAlerts) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let texts = match serde_json::from_slice::<Value>(&body)
        .map_err(|e| format!("the body is not JSON: {e}"))
        .and_then(|v| super::record::texts_of_json(&v))
    {
        Ok(t) => t,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let record = match super::record::parse(&texts) {
        Ok(r) => r,
        Err(wrong) => return error(StatusCode::BAD_REQUEST, wrong.join("; ")),
    };
    if let Some(r) = unknown_incident(&app, &id) {
        return r;
    }
    let saved =
        vigil_pipeline::breach::save_record(&mut app.store(), &id, &record, &who, Timestamp::now());
    match saved {
        Ok(changed) => stored_answer(&app, &id, Some(changed)),
        Err(vigil_pipeline::PipelineError::Store(StoreError::InvalidValue { reason, .. })) => {
            error(StatusCode::BAD_REQUEST, format!("not saved: {reason}"))
        }
        Err(e) => {
            tracing::error!("console API: saving the record of {id}: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the incident record could not be saved",
            )
        }
    }
}
