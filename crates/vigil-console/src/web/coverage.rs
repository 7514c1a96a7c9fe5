//! `/coverage`: the ATT&CK techniques the loaded rules cover on each watched server's logs, the ones
//! they are blind to and why (the logging gaps of `vigil doctor`, with their fixes), as a technique
//! grid coloured by state — from the computation the console made at its start
//! ([`crate::coverage`]), with the time it was made.

use super::App;
use super::pages::{Me, Page, render, signed_in, when};
use crate::coverage::{AssetCoverage, CoverageState};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use vigil_coverage::{Assessment, State as Covered};

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
        CoverageState::Ready(c) => (
            format!(
                "Computed at {} in {} ms, from the watched logs as they were then, with the rules \
                 the service loaded; it is computed again when the service restarts.",
                when(c.at),
                c.took.as_millis()
            ),
            "ok",
            c.assets.iter().map(view).collect(),
        ),
    };
    Ok(render(&CoveragePage {
        me: Some(Me::of(&s)),
        status,
        status_class,
        assets,
    }))
}
