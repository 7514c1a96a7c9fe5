//! `/coverage`: the ATT&CK techniques the loaded rules cover on each watched server's logs, the ones
//! they are blind to and why (the logging gaps of `vigil doctor`, with their fixes), as a technique
//! grid coloured by state — from the console's last computation ([`crate::coverage`]), with the
//! time it was made; a responder has it computed again (`POST /coverage/recompute`, in the trail).
//! `/api/v1/coverage` gives the same as JSON.

use super::App;
use super::api::{caller, error};
use super::pages::{CsrfForm, Me, Page, acting, refuse, render, signed_in, when};
use crate::coverage::{AssetCoverage, CoverageState, Recompute};
use crate::permissions::{Permission, allows};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde_json::{Value, json};
use vigil_coverage::{Assessment, State as Covered};
use vigil_store::{TrailDraft, TrailStore};

struct Cell {
    id: String,
    name: String,
    tactic: String,
    class: &'static str,
    label: &'static str,
    firing: usize,
    blind: usize,
    blinded_by: String,
    titles: String,
}

struct GapView {
    title: String,
    evidence: String,
    blind: usize,
    techniques: String,
    fix: String,
    steps: Vec<String>,
    source: String,
}

struct AssetView {
    asset: String,
    error: String,
    events: u64,
    rules: usize,
    rules_firing: usize,
    unreadable: Vec<(String, String)>,
    notes: Vec<String>,
    cells: Vec<Cell>,
    gaps: Vec<GapView>,
    blind: usize,
}

fn cell(t: &vigil_coverage::TechniqueCoverage) -> Cell {
    let (class, label) = match t.state {
        Covered::Covered => ("covered", "rules can fire"),
        Covered::Blind => ("blind", "blind"),
        Covered::NoRule => ("norule", "no rule"),
    };
    Cell {
        id: t.id.clone(),
        name: t.name.clone().unwrap_or_default(),
        tactic: t.tactic.clone().unwrap_or_default(),
        class,
        label,
        firing: t.firing,
        blind: t.blind,
        blinded_by: t.blinded_by.join(", "),
        titles: t.firing_titles.join("; "),
    }
}

fn assessed(target: &AssetCoverage, a: &Assessment) -> AssetView {
    AssetView {
        asset: target.asset.clone(),
        error: String::new(),
        events: a.profile.events,
        rules: a.rules,
        rules_firing: a.rules_firing,
        unreadable: target
            .missing
            .iter()
            .map(|p| (p.clone(), "no such file or folder".to_string()))
            .chain(
                a.unreadable()
                    .into_iter()
                    .map(|(p, why)| (p.to_string(), why.to_string())),
            )
            .collect(),
        notes: a.profile.notes.clone(),
        blind: a
            .coverage
            .iter()
            .filter(|t| t.state == Covered::Blind)
            .count(),
        cells: a.coverage.iter().map(cell).collect(),
        gaps: a
            .gaps
            .iter()
            .map(|g| GapView {
                title: g.title.clone(),
                evidence: g.evidence.clone(),
                blind: g.blind.len(),
                techniques: g.techniques.join(", "),
                fix: g.fix.map(|f| f.summary.to_string()).unwrap_or_default(),
                steps: g
                    .fix
                    .map(|f| f.steps.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default(),
                source: g.fix.map(|f| f.source.to_string()).unwrap_or_default(),
            })
            .collect(),
    }
}

fn view(a: &AssetCoverage) -> AssetView {
    match &a.result {
        Ok(assessment) => assessed(a, assessment),
        Err(e) => AssetView {
            asset: a.asset.clone(),
            error: e.clone(),
            events: 0,
            rules: 0,
            rules_firing: 0,
            unreadable: Vec::new(),
            notes: Vec::new(),
            cells: Vec::new(),
            gaps: Vec::new(),
            blind: 0,
        },
    }
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    me: Option<Me>,
    /// What the figures are and when they were made, or why there are none.
    status: String,
    status_class: &'static str,
    assets: Vec<AssetView>,
    /// The recompute button, for responders and admins.
    can_recompute: bool,
    csrf: String,
}

pub(crate) async fn page(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let (status, status_class, assets) = match &*app.settings.coverage.lock() {
        CoverageState::NotConfigured => (
            "No coverage: this console was started without watched logs to assess (vigil serve \
             assesses the logs of its [[watch]] entries; `vigil coverage LOGS` does it by hand)."
                .to_string(),
            "warn",
            Vec::new(),
        ),
        CoverageState::Computing(since) => (
            format!(
                "Being computed since {} from the watched logs; reload the page in a moment.",
                when(*since)
            ),
            "warn",
            Vec::new(),
        ),
        CoverageState::Ready(c) => match app.settings.coverage.computing_again() {
            Some(since) => (
                format!(
                    "Being computed again since {}; shown meanwhile: the computation of {} ({} ms). \
                     Reload the page in a moment.",
                    when(since),
                    when(c.at),
                    c.took.as_millis()
                ),
                "warn",
                c.assets.iter().map(view).collect(),
            ),
            None => (
                format!(
                    "Computed at {} in {} ms, from the watched logs as they were then, with the \
                     rules the service loaded; computed again when the service restarts or when \
                     asked below.",
                    when(c.at),
                    c.took.as_millis()
                ),
                "ok",
                c.assets.iter().map(view).collect(),
            ),
        },
    };
    Ok(render(&CoveragePage {
        me: Some(Me::of(&s)),
        status,
        status_class,
        assets,
        can_recompute: allows(s.role, Permission::ActOnAlerts),
        csrf: s.csrf.clone(),
    }))
}

/// A responder has the coverage computed again from the watched logs as they are now.
pub(crate) async fn recompute(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Page {
    let s = match acting(
        &app,
        &headers,
        &f.csrf,
        "Viewers cannot have the coverage computed again.",
    )? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    match app.settings.coverage.recompute() {
        Ok(Recompute::Started) => {
            app.store().append_trail(
                &TrailDraft::new(&s.user, "coverage.recompute", "coverage", ""),
                Timestamp::now(),
            )?;
            Ok(Redirect::to("/coverage").into_response())
        }
        Ok(Recompute::Running(_)) => Ok(Redirect::to("/coverage").into_response()),
        Ok(Recompute::NotConfigured) => Err(refuse(
            StatusCode::CONFLICT,
            "There is nothing to compute: this console watches no logs.",
            Some(&s),
        )),
        Err(e) => {
            tracing::error!("console: cannot start computing the coverage: {e}");
            Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The coverage could not be computed again; the service's log says why.",
                Some(&s),
            ))
        }
    }
}

/// One asset's coverage as JSON: `vigil coverage --format json`'s view, or why it was not assessed.
fn asset_json(a: &AssetCoverage) -> Value {
    let mut out = json!({ "asset": a.asset, "missing": a.missing });
    match &a.result {
        Ok(x) => {
            out["error"] = Value::Null;
            out["events"] = json!(x.profile.events);
            out["rules"] = json!(x.rules);
            out["rules_firing"] = json!(x.rules_firing);
            out["unreadable"] = json!(
                x.unreadable()
                    .into_iter()
                    .map(|(path, why)| json!({ "path": path, "reason": why }))
                    .collect::<Vec<_>>()
            );
            out["notes"] = json!(x.profile.notes);
            out["techniques"] = json!(x.coverage);
            out["gaps"] = json!(x.gaps);
        }
        Err(e) => out["error"] = json!(e),
    }
    out
}

/// `GET /api/v1/coverage`: the last computation (`state` `ready`, with `computed_at`, `took_ms`
/// and the assets), `computing` (the first one runs) or `not_configured`; `computing_again` says
/// since when a new one runs.
pub(crate) async fn api(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = caller(&app, &headers, Permission::Read) {
        return *r;
    }
    let again = app.settings.coverage.computing_again();
    let body = match &*app.settings.coverage.lock() {
        CoverageState::NotConfigured => json!({ "state": "not_configured", "assets": [] }),
        CoverageState::Computing(since) => json!({
            "state": "computing",
            "computing_since": since,
            "assets": [],
        }),
        CoverageState::Ready(c) => json!({
            "state": "ready",
            "computed_at": c.at,
            "took_ms": u64::try_from(c.took.as_millis()).unwrap_or(u64::MAX),
            "computing_again": again,
            "assets": c.assets.iter().map(asset_json).collect::<Vec<_>>(),
        }),
    };
    axum::Json(body).into_response()
}

/// `POST /api/v1/coverage/recompute` (responder): 202 when started, 409 when one already runs or
/// there is nothing to assess.
pub(crate) async fn api_recompute(State(app): State<App>, headers: HeaderMap) -> Response {
    let who = match caller(&app, &headers, Permission::ActOnAlerts) {
        Ok((_, who)) => who,
        Err(r) => return *r,
    };
    match app.settings.coverage.recompute() {
        Ok(Recompute::Started) => {
            if let Err(e) = app.store().append_trail(
                &TrailDraft::new(&who, "coverage.recompute", "coverage", ""),
                Timestamp::now(),
            ) {
                return super::api::internal(e);
            }
            (
                StatusCode::ACCEPTED,
                axum::Json(json!({ "state": "computing_again" })),
            )
                .into_response()
        }
        Ok(Recompute::Running(since)) => error(
            StatusCode::CONFLICT,
            format!("a computation runs since {since}"),
        ),
        Ok(Recompute::NotConfigured) => error(
            StatusCode::CONFLICT,
            "this console watches no logs: there is nothing to compute",
        ),
        Err(e) => {
            tracing::error!("console API: cannot start computing the coverage: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the coverage could not be computed again",
            )
        }
    }
}
