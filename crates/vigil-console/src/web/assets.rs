//! An asset's open findings with their deadlines, and the exceptions responders make from it: a
//! finding ignored with a reason until an expiry date (at most [`MAX_EXCEPTION_DAYS`] ahead), kept in
//! the store with its trail entry, and applied by scans, the service and `vigil status` beside the
//! ignore file's (see `vigil_pipeline::exceptions`). An expired exception no longer applies; the
//! finding shows it and can be ignored again, with a new reason.

use super::App;
use super::breach::segment;
use super::pages::{Me, Page, acting, refuse, render, signed_in, when};
use super::session::Session;
use crate::permissions::{Permission, allows};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;
use vigil_model::AssetIndex;
use vigil_pipeline::exceptions::{in_force, target};
use vigil_store::{AssetStore, NewException, TrailStore};

/// Findings listed for an asset.
const FINDINGS_SHOWN: usize = 2_000;
/// Furthest an exception made in the console may run, in days from today: every exception is
/// reviewed at least once a year.
pub const MAX_EXCEPTION_DAYS: i64 = 365;
/// Longest reason, in characters.
const MAX_REASON: usize = 1_000;

struct FindingLine {
    fix: String,
    package: String,
    severity: String,
    kev: &'static str,
    released: String,
    due: String,
    overdue: i64,
    first_seen: String,
    /// What an exception is made for (the form's hidden fields).
    target_id: String,
    target_package: String,
    /// "until … by … because …" while an exception is in force; empty otherwise.
    ignored: String,
    /// When the last exception ran out, if one did and none is in force.
    expired: String,
    /// The reason and expiry typed in this row's form when it was refused.
    typed_reason: String,
    typed_expires: String,
}

#[derive(Template)]
#[template(path = "asset.html")]
struct AssetPage {
    me: Option<Me>,
    name: String,
    overdue: usize,
    ignored: usize,
    can_act: bool,
    csrf: String,
    min_expires: String,
    max_expires: String,
    errors: Vec<String>,
    rows: Vec<FindingLine>,
}

fn today() -> Date {
    jiff::Zoned::now().date()
}

fn latest(today: Date) -> Date {
    today
        .checked_add(jiff::Span::new().days(MAX_EXCEPTION_DAYS))
        .unwrap_or(today)
}

/// The asset's open findings; a failure is logged and shown as a page.
fn open_findings(
    app: &App,
    name: &str,
    s: &Session,
) -> Result<Vec<vigil_store::StoredFinding>, super::pages::PageError> {
    app.store().findings(name, false).map_err(|e| {
        tracing::error!("console: findings of {name}: {e}");
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The findings could not be read.",
            Some(s),
        )
    })
}

fn asset_page(
    app: &App,
    s: &Session,
    name: String,
    typed: Option<&IgnoreForm>,
    errors: Vec<String>,
) -> Page {
    let found = open_findings(app, &name, s)?;
    let exceptions = app.store().exceptions(Some(&name))?;
    let today = today();
    let mut rows: Vec<FindingLine> = found
        .into_iter()
        .map(|f| {
            let x = &f.finding;
            let (target_id, target_package) = target(x);
            let ignored = in_force(&exceptions, x, today).map_or_else(String::new, |e| {
                format!(
                    "ignored until {} by {} because {}",
                    e.expires, e.created_by, e.reason
                )
            });
            let expired = if ignored.is_empty() {
                exceptions
                    .iter()
                    .filter(|e| {
                        e.expires <= today
                            && vigil_scan::IgnoreFile::applies(
                                &vigil_pipeline::exceptions::entry(e),
                                x,
                            )
                    })
                    .map(|e| e.expires)
                    .max()
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let mine = typed.filter(|t| t.id == target_id && t.package == target_package);
            FindingLine {
                fix: x
                    .kb
                    .as_ref()
                    .map(|kb| format!("KB{kb}"))
                    .or_else(|| x.advisories.first().cloned())
                    .unwrap_or_default(),
                package: format!("{} {}", x.package.name, x.package.version),
                severity: x.severity.to_string().to_ascii_lowercase(),
                kev: if x.known_exploited { "yes" } else { "" },
                released: x.fix_released.map(|d| d.to_string()).unwrap_or_default(),
                due: x.due.map(|d| d.to_string()).unwrap_or_default(),
                overdue: x.days_overdue(today).unwrap_or(0).max(0),
                first_seen: when(f.first_seen),
                typed_reason: mine.map(|t| t.reason.clone()).unwrap_or_default(),
                typed_expires: mine.map(|t| t.expires.clone()).unwrap_or_default(),
                target_id,
                target_package,
                ignored,
                expired,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.fix.cmp(&b.fix)));
    rows.truncate(FINDINGS_SHOWN);
    let mut r = render(&AssetPage {
        me: Some(Me::of(s)),
        overdue: rows.iter().filter(|r| r.overdue > 0).count(),
        ignored: rows.iter().filter(|r| !r.ignored.is_empty()).count(),
        can_act: allows(s.role, Permission::ActOnAlerts),
        csrf: s.csrf.clone(),
        min_expires: today.tomorrow().unwrap_or(today).to_string(),
        max_expires: latest(today).to_string(),
        errors: errors.clone(),
        rows,
        name,
    });
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

/// An asset's open findings with their deadlines, the most overdue first.
pub(crate) async fn asset(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    asset_page(&app, &s, name, None, Vec::new())
}

/// The form that ignores one finding.
#[derive(Deserialize)]
pub(crate) struct IgnoreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expires: String,
}

/// A responder ignores one open finding of the asset with a reason until a date; a refused form
/// comes back with what is wrong and the values typed.
pub(crate) async fn ignore(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<IgnoreForm>,
) -> Page {
    let s = match acting(
        &app,
        &headers,
        &form.csrf,
        "Only responders and administrators make exceptions.",
    )? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let today = today();
    let mut wrong = Vec::new();
    let reason = form.reason.trim();
    let n = reason.chars().count();
    if n == 0 {
        wrong.push("The reason is required: an exception is a decision, and says why.".to_string());
    } else if n > MAX_REASON {
        wrong.push(format!(
            "The reason has {n} characters; at most {MAX_REASON} are kept."
        ));
    }
    let expires = match form.expires.trim().parse::<Date>() {
        Ok(d) if d > today && d <= latest(today) => Some(d),
        _ => {
            wrong.push(format!(
                "The expiry date is required, after today and at most {MAX_EXCEPTION_DAYS} days ahead \
                 (by {}), as YYYY-MM-DD.",
                latest(today)
            ));
            None
        }
    };
    // Only an open finding of this asset may be ignored: the hidden fields name it.
    let known = open_findings(&app, &name, &s)?
        .iter()
        .any(|f| target(&f.finding) == (form.id.clone(), form.package.clone()));
    if !known {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "This asset has no such open finding.",
            Some(&s),
        ));
    }
    let Some(expires) = expires.filter(|_| wrong.is_empty()) else {
        return asset_page(&app, &s, name, Some(&form), wrong);
    };
    app.store().add_exception_recorded(
        &NewException {
            asset: name.clone(),
            advisory: form.id.clone(),
            package: Some(form.package.clone()),
            reason: reason.to_string(),
            expires,
        },
        Timestamp::now(),
        &s.user,
    )?;
    Ok(Redirect::to(&format!("/assets/{}", segment(&name))).into_response())
}
