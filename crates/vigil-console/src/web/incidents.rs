//! The incidents an investigation stored (list and detail: timeline of waves, entry point, root
//! cause, dwell time, what was taken) and the remedial plan, where a responder marks an action done
//! (recorded in the trail with the change).

use super::App;
use super::pages::{Me, Page, PageError, acting, refuse, render, signed_in, when};
use super::session::Session;
use super::timeline::{Chart, ChartInput, WaveSpan, chart};
use crate::permissions::{Permission, allows};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use vigil_store::{ActionStatus, CaseStore, NewAction, RemedialAction, TrailStore};

/// Incidents listed on the page.
const INCIDENTS_SHOWN: usize = 500;

struct IncidentLine {
    id: String,
    level: String,
    asset: String,
    first: String,
    last: String,
    detections: usize,
    entry: String,
    status: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    me: Option<Me>,
    rows: Vec<IncidentLine>,
}

pub(crate) async fn incidents(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let mut list = app.store().incidents()?;
    list.sort_by_key(|i| std::cmp::Reverse(i.first_seen));
    list.truncate(INCIDENTS_SHOWN);
    let rows = list
        .into_iter()
        .map(|i| IncidentLine {
            id: i.id,
            level: i.level.as_str().to_string(),
            asset: i.asset.unwrap_or_default(),
            first: when(i.first_seen),
            last: when(i.last_seen),
            detections: i.detections,
            entry: i.entry_point.unwrap_or_else(|| "not found".into()),
            status: i.status,
        })
        .collect();
    Ok(render(&IncidentsPage {
        me: Some(Me::of(&s)),
        rows,
    }))
}

struct WaveLine {
    number: u64,
    level: String,
    start: String,
    end: String,
    detections: u64,
    link: String,
}

struct ActionLine {
    id: i64,
    action: String,
    owner: String,
    due: String,
    status: String,
    incident: String,
    asset: String,
    open: bool,
    overdue: bool,
}

impl ActionLine {
    fn of(a: RemedialAction, today: jiff::civil::Date) -> ActionLine {
        ActionLine {
            overdue: a.days_overdue(today).is_some_and(|d| d > 0),
            open: a.status == ActionStatus::Open,
            id: a.id,
            action: a.action,
            owner: a.owner.unwrap_or_else(|| "no owner".into()),
            due: a.due.map(|d| d.to_string()).unwrap_or_default(),
            status: a.status.as_str().to_string(),
            incident: a.incident.unwrap_or_default(),
            asset: a.asset.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    me: Option<Me>,
    id: String,
    asset: String,
    level: String,
    first: String,
    last: String,
    detections: usize,
    status: String,
    facts: Vec<(String, String)>,
    waves: Vec<WaveLine>,
    chain: Vec<(String, String)>,
    actions: Vec<ActionLine>,
    chart: Option<Chart>,
    /// What the chart is drawn from, or why there is none.
    chart_note: String,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn time(v: &Value) -> String {
    v.as_str()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .map_or_else(|| text(v), when)
}

/// A duration as jiff writes it (`PT36H5M`, or a friendly `36h 5m`), shown as days and hours.
fn span(v: &Value) -> String {
    let raw = text(v);
    raw.parse::<jiff::SignedDuration>()
        .map(span_of)
        .unwrap_or(raw)
}

pub(crate) fn span_of(d: jiff::SignedDuration) -> String {
    let h = d.as_hours();
    if h >= 48 {
        format!("{} days {} h", h / 24, h % 24)
    } else {
        format!("{h} h {} min", d.as_mins() % 60)
    }
}

/// The incident's figures from its stored summary (what `vigil investigate` wrote).
pub(crate) fn facts(sum: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let d = &sum["dwell"];
    if !d.is_null() {
        out.push(("First malicious event".into(), time(&d["first_malicious"])));
        out.push(("First detection".into(), time(&d["first_detection"])));
        out.push((
            "Dwell time to first detection".into(),
            span(&d["to_first_detection"]),
        ));
        if !d["first_alert"].is_null() {
            out.push(("First alert".into(), time(&d["first_alert"])));
        }
        if !d["first_acknowledged"].is_null() {
            out.push(("First acknowledged".into(), time(&d["first_acknowledged"])));
        }
        if !d["aware_at"].is_null() {
            out.push(("Aware of the breach".into(), time(&d["aware_at"])));
        }
        if let Some(deadline) = d["notification_deadline"]
            .as_str()
            .and_then(|t| t.parse::<Timestamp>().ok())
        {
            let left = Timestamp::now().duration_until(deadline);
            let state = if !d["notified_at"].is_null() {
                format!("notified at {}", time(&d["notified_at"]))
            } else if left.is_negative() {
                format!("passed {} ago, not notified", span_of(-left))
            } else {
                format!("{} left", span_of(left))
            };
            out.push((
                "72-hour notification deadline".into(),
                format!("{} ({state})", when(deadline)),
            ));
        }
    }
    let list = |v: &Value, f: &dyn Fn(&Value) -> String| -> Vec<String> {
        v.as_array().into_iter().flatten().take(50).map(f).collect()
    };
    let taken = list(&sum["mailboxes_taken"], &|m| {
        m["mailbox"]
            .as_str()
            .map_or_else(|| text(m), str::to_string)
    });
    if !taken.is_empty() {
        out.push(("Mailboxes exported".into(), taken.join(", ")));
    }
    let phishing = list(&sum["phishing"], &|p| match p {
        Value::Object(o) => o
            .iter()
            .filter(|(_, v)| !v.is_object() && !v.is_array() && !v.is_null())
            .map(|(k, v)| format!("{k}: {}", text(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => text(other),
    });
    if !phishing.is_empty() {
        out.push(("Phishing sent".into(), phishing.join("; ")));
    }
    let fixes = list(&sum["missing_fixes"], &|f| {
        let name = f["advisories"]
            .as_array()
            .and_then(|a| a.first())
            .map_or_else(|| text(&f["key"]), text);
        match f["days_overdue"].as_i64() {
            Some(d) if d > 0 => format!("{name} ({d} days overdue)"),
            _ => name,
        }
    });
    if !fixes.is_empty() {
        out.push(("Missing fixes".into(), fixes.join(", ")));
    }
    out
}

fn chain(sum: &Value) -> Vec<(String, String)> {
    let rc = &sum["root_cause"];
    let mut out = Vec::new();
    let claim = |v: &Value| text(&v["claim"]);
    if !rc["entry_point"].is_null() {
        out.push(("Entry point".to_string(), claim(&rc["entry_point"])));
    }
    if let Some(c) = rc["credential_compromise"].as_str() {
        out.push(("Credentials".to_string(), c.to_string()));
    }
    for (key, label) in [
        ("exploited", "Exploited"),
        ("consistent_with", "Consistent with"),
        ("support", "Supporting"),
        ("other_overdue", "Also overdue"),
        ("silent_sources", "Silent sources"),
        ("unacknowledged", "Not acknowledged"),
        ("untested", "Detection not tested"),
    ] {
        for l in rc[key].as_array().into_iter().flatten().take(20) {
            let c = if let Some(cve) = l["cve"].as_str() {
                let at_entry = if l["at_entry"].as_bool() == Some(true) {
                    ", at the entry point"
                } else {
                    ""
                };
                format!(
                    "{cve} (first detected {}{at_entry})",
                    time(&l["first_detected"])
                )
            } else if l["claim"].is_null() {
                l["links"]
                    .as_array()
                    .and_then(|v| v.first())
                    .map(claim)
                    .unwrap_or_else(|| text(l))
            } else {
                claim(l)
            };
            out.push((label.to_string(), c));
        }
    }
    out
}

fn waves(sum: &Value) -> Vec<WaveLine> {
    sum["waves"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            let link = &w["link"];
            let link = if link.is_null() {
                String::new()
            } else {
                let shared: Vec<String> = link["shared"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(5)
                    .map(text)
                    .collect();
                format!(
                    "after a quiet {}, linked by {}",
                    span(&link["quiet"]),
                    if shared.is_empty() {
                        "time".to_string()
                    } else {
                        shared.join(", ")
                    }
                )
            };
            WaveLine {
                number: w["number"].as_u64().unwrap_or(0),
                level: text(&w["highest_level"]),
                start: time(&w["start"]),
                end: time(&w["end"]),
                detections: w["detections"].as_u64().unwrap_or(0),
                link,
            }
        })
        .collect()
}

fn stamp_of(v: &Value) -> Option<Timestamp> {
    v.as_str().and_then(|s| s.parse().ok())
}

/// The waves, the entry point's detection time and the awareness time of a stored summary.
fn chart_marks(sum: &Value) -> (Vec<WaveSpan>, Option<Timestamp>, Option<Timestamp>) {
    let waves = sum["waves"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| {
            Some(WaveSpan {
                number: w["number"].as_u64().unwrap_or(0),
                start: stamp_of(&w["start"])?,
                end: stamp_of(&w["end"])?,
            })
        })
        .collect();
    let entry = sum["root_cause"]["entry_point"]["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["kind"] == "detection")
        .and_then(|e| stamp_of(&e["timestamp"]));
    (waves, entry, stamp_of(&sum["dwell"]["aware_at"]))
}

/// The chart of incident `i`: its detections regrouped from the store as `vigil investigate` groups
/// them by default (the breach draft does the same); if that grouping no longer gives this id (it was
/// stored with other options), the incident detections of its asset between its first and last.
fn incident_chart(
    store: &vigil_store::SqliteStore,
    i: &vigil_store::IncidentRow,
) -> Result<(Option<Chart>, String), PageError> {
    let (grouping, _) =
        vigil_pipeline::breach::regroup(store, vigil_pipeline::breach::BreachOptions::default())
            .map_err(|e| {
                tracing::error!("console: incident {}: {e}", i.id);
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The incident's detections could not be read.",
                    None,
                )
            })?;
    let (waves, entry, aware) = chart_marks(&i.summary);
    let regrouped = grouping
        .incidents
        .iter()
        .find(|g| g.id.eq_ignore_ascii_case(&i.id));
    let (detections, from): (Vec<&vigil_model::Detection>, &str) = match regrouped {
        Some(g) => (g.detections.iter().collect(), "its detections"),
        // Grouped incidents hold no dismissed detection: what is drawn still stands.
        None => (
            grouping
                .incidents
                .iter()
                .flat_map(|g| g.detections.iter())
                .filter(|d| {
                    d.host.as_deref().map(str::to_lowercase)
                        == i.asset.as_deref().map(str::to_lowercase)
                        && d.timestamp
                            .is_some_and(|t| t >= i.first_seen && t <= i.last_seen)
                })
                .collect(),
            "the incident detections of its asset between its first and last (the store's \
             detections no longer group into this incident with the default grouping)",
        ),
    };
    let drawn = chart(&ChartInput {
        detections,
        waves,
        entry,
        aware,
    });
    let note = match &drawn {
        Some(c) => format!("Drawn from {from}: {}.", c.summary),
        None => {
            "No timed detection of this incident is stored: there is no timeline to draw.".into()
        }
    };
    Ok((drawn, note))
}

pub(crate) async fn incident(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let store = app.store();
    let Some(i) = store.incident(&id)? else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "There is no such incident.",
            Some(&s),
        ));
    };
    let today = jiff::Zoned::now().date();
    let actions = store
        .actions(true)?
        .into_iter()
        .filter(|a| a.incident.as_deref() == Some(i.id.as_str()))
        .map(|a| ActionLine::of(a, today))
        .collect();
    let (chart, chart_note) = incident_chart(&store, &i)?;
    drop(store);
    let page = IncidentPage {
        chart,
        chart_note,
        me: Some(Me::of(&s)),
        asset: i.asset.clone().unwrap_or_default(),
        level: i.level.as_str().to_string(),
        first: when(i.first_seen),
        last: when(i.last_seen),
        detections: i.detections,
        status: i.status.clone(),
        facts: facts(&i.summary),
        waves: waves(&i.summary),
        chain: chain(&i.summary),
        actions,
        id: i.id,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    me: Option<Me>,
    can_act: bool,
    csrf: String,
    rows: Vec<ActionLine>,
    /// The new action's form, as typed when it was refused.
    new: AddForm,
    errors: Vec<String>,
}

fn plan_page(app: &App, s: &Session, new: AddForm, errors: Vec<String>) -> Page {
    let today = jiff::Zoned::now().date();
    let rows = app
        .store()
        .actions(true)?
        .into_iter()
        .map(|a| ActionLine::of(a, today))
        .collect();
    let mut r = render(&PlanPage {
        me: Some(Me::of(s)),
        can_act: allows(s.role, Permission::ActOnAlerts),
        csrf: s.csrf.clone(),
        rows,
        new,
        errors: errors.clone(),
    });
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

pub(crate) async fn plan(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    plan_page(&app, &s, AddForm::default(), Vec::new())
}

/// Longest action title, in characters.
const MAX_TITLE: usize = 500;
/// Longest owner, in characters.
const MAX_OWNER: usize = 200;

/// The form that adds an action to the plan.
#[derive(Deserialize, Default)]
pub(crate) struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    incident: String,
}

/// The action the form describes (the incident, when given, one that is stored), or what is wrong.
pub(crate) fn new_action(
    app: &App,
    f: &AddForm,
) -> Result<Result<NewAction, Vec<String>>, vigil_store::StoreError> {
    let mut wrong = Vec::new();
    let (title, owner) = (f.title.trim(), f.owner.trim());
    for (label, value, max) in [
        ("The action", title, MAX_TITLE),
        ("The owner", owner, MAX_OWNER),
    ] {
        let n = value.chars().count();
        if n == 0 {
            wrong.push(format!("{label} is required."));
        } else if n > max {
            wrong.push(format!(
                "{label} has {n} characters; at most {max} are kept."
            ));
        }
    }
    let due = match f.due.trim().parse::<jiff::civil::Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            wrong.push("The due date is required, as YYYY-MM-DD.".to_string());
            None
        }
    };
    let incident = match f.incident.trim() {
        "" => None,
        id => match app.store().incident(id)? {
            Some(i) => Some(i),
            None => {
                wrong.push(format!("There is no stored incident {id:?}."));
                None
            }
        },
    };
    if !wrong.is_empty() {
        return Ok(Err(wrong));
    }
    Ok(Ok(NewAction {
        action: title.to_string(),
        owner: Some(owner.to_string()),
        due,
        asset: incident.as_ref().and_then(|i| i.asset.clone()),
        incident: incident.map(|i| i.id),
    }))
}

/// A responder adds an action to the plan; it and its trail entry (`plan.add`) are one transaction.
/// A refused form comes back as typed, with what is wrong.
pub(crate) async fn add(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Page {
    let s = match acting(
        &app,
        &headers,
        &form.csrf,
        "Only responders and administrators change the plan.",
    )? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let action = match new_action(&app, &form)? {
        Ok(a) => a,
        Err(wrong) => return plan_page(&app, &s, form, wrong),
    };
    app.store()
        .add_action_recorded(&action, Timestamp::now(), &s.user)?;
    Ok(Redirect::to("/plan").into_response())
}

#[derive(Deserialize)]
pub(crate) struct DoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// A responder marks an action done; the change and its trail entry are one transaction.
pub(crate) async fn done(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<DoneForm>,
) -> Page {
    let s = match acting(
        &app,
        &headers,
        &form.csrf,
        "Only responders and administrators change the plan.",
    )? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let note = form.note.trim();
    if note.len() > vigil_store::alerts::MAX_TEXT {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "the note is too long",
            Some(&s),
        ));
    }
    let note = (!note.is_empty()).then_some(note);
    let done = app
        .store()
        .complete_action_recorded(id, Timestamp::now(), note, &s.user)?;
    if !done {
        return Err(refuse(
            StatusCode::CONFLICT,
            format!("Action {id} does not exist or is already done."),
            Some(&s),
        ));
    }
    Ok(Redirect::to("/plan").into_response())
}
