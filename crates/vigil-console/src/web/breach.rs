//! The breach-notification draft of an incident (as `vigil report breach` makes it, with the same
//! incident record), its Markdown and HTML downloads, and the incident record's form: responders and
//! administrators fill in what only the organisation knows and save it (recorded in the trail by the
//! names of the fields changed); viewers see the values.

use super::App;
use super::incidents::{facts, span_of};
use super::pages::{Me, Page, PageError, acting, refuse, render, signed_in, when};
use super::record::{FIELDS, Kind, parse, texts};
use super::session::Session;
use crate::permissions::{Permission, allows};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use jiff::Timestamp;
use std::collections::HashMap;
use vigil_investigate::{BreachDraft, IncidentRecord};
use vigil_pipeline::PipelineError;
use vigil_store::{CaseStore, StoreError};

/// Largest form or API body of an incident record: every field at its longest, URL-encoded.
pub const MAX_RECORD_BODY: usize = 256 * 1024;

/// A field of the form (or of the read-only view), with its value.
struct FieldView {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    max: usize,
    /// One line (an input) rather than a text area.
    line: bool,
    value: String,
}

#[derive(Template)]
#[template(path = "breach.html")]
struct BreachPage {
    me: Option<Me>,
    id: String,
    deadline: String,
    markdown: String,
    can_edit: bool,
    csrf: String,
    fields: Vec<FieldView>,
    saved: String,
    errors: Vec<String>,
    /// Whether the PDF download is built in.
    pdf: bool,
}

fn internal(id: &str, e: PipelineError, s: &Session) -> PageError {
    tracing::error!("console: the breach draft of {id}: {e}");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The draft could not be made.",
        Some(s),
    )
}

/// The breach-notification draft of an incident, computed as `vigil report breach` computes it
/// (with the incident record saved for it).
fn breach_draft(app: &App, id: &str, s: &Session) -> Result<BreachDraft, PageError> {
    let store = app.store();
    match vigil_pipeline::breach::draft(
        &store,
        id,
        None,
        vigil_pipeline::breach::BreachOptions::default(),
        Timestamp::now(),
    ) {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(_)) => Err(refuse(
            StatusCode::NOT_FOUND,
            "There is no such incident in the stored detections.",
            Some(s),
        )),
        Err(e) => Err(internal(id, e, s)),
    }
}

/// The 72 hours, from the draft (awareness as the record gives it), else from the incident's stored
/// summary (awareness as the investigation had it), else what to give.
fn deadline(
    app: &App,
    id: &str,
    draft: &BreachDraft,
    record: Option<&IncidentRecord>,
) -> Result<String, PageError> {
    if let Some(deadline) = draft.notification_deadline.value() {
        let left = Timestamp::now().duration_until(*deadline);
        let state = match record.and_then(|r| r.notified_at) {
            Some(at) => format!("notified at {}", when(at)),
            None if left.is_negative() => format!("passed {} ago, not notified", span_of(-left)),
            None => format!("{} left", span_of(left)),
        };
        return Ok(format!(
            "72-hour notification deadline: {} ({state})",
            when(*deadline)
        ));
    }
    Ok(app
        .store()
        .incident(id)?
        .map(|i| facts(&i.summary))
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k.starts_with("72-hour"))
        .map_or_else(
            || "The 72-hour deadline runs from when the organisation became aware: give that time below.".to_string(),
            |(k, v)| format!("{k}: {v}"),
        ))
}

/// The page, with the saved record's values or, after a refused save, those typed.
fn page(
    app: &App,
    s: &Session,
    id: String,
    typed: Option<&HashMap<String, String>>,
    errors: Vec<String>,
) -> Result<BreachPage, PageError> {
    let draft = breach_draft(app, &id, s)?;
    let stored = vigil_pipeline::breach::stored_record(&app.store(), &id)
        .map_err(|e| internal(&id, e, s))?;
    let record = stored.as_ref().map(|(r, _, _)| r);
    let values = match typed {
        Some(t) => t.clone(),
        None => record.map(texts).unwrap_or_default(),
    };
    let fields = FIELDS
        .iter()
        .map(|f| FieldView {
            key: f.key,
            label: f.label,
            hint: f.hint,
            max: f.max,
            line: matches!(f.kind, Kind::Line | Kind::Moment),
            value: values.get(f.key).cloned().unwrap_or_default(),
        })
        .collect();
    let saved = match &stored {
        Some((_, by, at)) => format!("Saved by {by} at {}.", when(*at)),
        None => "Not filled in yet: the draft asks for each of these.".to_string(),
    };
    Ok(BreachPage {
        me: Some(Me::of(s)),
        deadline: deadline(app, &id, &draft, record)?,
        markdown: draft.to_markdown(),
        can_edit: allows(s.role, Permission::ActOnAlerts),
        csrf: s.csrf.clone(),
        fields,
        saved,
        errors,
        id,
        pdf: cfg!(feature = "pdf"),
    })
}

pub(crate) async fn breach(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    Ok(render(&page(&app, &s, id, None, Vec::new())?))
}

/// A path segment with everything but unreserved characters percent-encoded.
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A responder saves the incident record: refused values come back in the form as typed, with what
/// is wrong; a save goes back to the draft, which now shows them.
pub(crate) async fn save(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Page {
    let csrf = form.get("csrf").map(String::as_str).unwrap_or_default();
    let s = match acting(
        &app,
        &headers,
        csrf,
        "Only responders and administrators fill in the incident record.",
    )? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let refused = |errors: Vec<String>| -> Page {
        let mut r = render(&page(&app, &s, id.clone(), Some(&form), errors)?);
        *r.status_mut() = StatusCode::BAD_REQUEST;
        Ok(r)
    };
    // The incident must be one the draft knows (404 otherwise).
    breach_draft(&app, &id, &s)?;
    let record = match parse(&form) {
        Ok(r) => r,
        Err(errors) => return refused(errors),
    };
    let saved = vigil_pipeline::breach::save_record(
        &mut app.store(),
        &id,
        &record,
        &s.user,
        Timestamp::now(),
    );
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/incidents/{}/breach", segment(&id))).into_response()),
        Err(PipelineError::Store(StoreError::InvalidValue { reason, .. })) => {
            refused(vec![format!("The record was not saved: {reason}.")])
        }
        Err(e) => Err(internal(&id, e, &s)),
    }
}

fn download(
    body: impl Into<axum::body::Body>,
    kind: &'static str,
    name: String,
) -> axum::response::Response {
    use axum::http::header;
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// A safe file name from an incident id (letters, digits, `-`, `_`).
fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect()
}

/// The formats the draft downloads in.
#[derive(Clone, Copy)]
enum Format {
    Markdown,
    Html,
    #[cfg(feature = "pdf")]
    Pdf,
}

/// Who drafted a download, and when: the footer of the HTML and PDF drafts.
fn drafted_by(user: &str) -> String {
    format!(
        "Drafted by vigil {} at {} for {}",
        env!("CARGO_PKG_VERSION"),
        vigil_investigate::time::format_ts(Timestamp::now()),
        user
    )
}

/// The draft of incident `id` as a download for the signed-in user. The HTML is self-contained (its
/// own styles), opened outside the console.
fn draft_download(app: &App, headers: &HeaderMap, id: &str, format: Format) -> Page {
    let s = match signed_in(app, headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let draft = breach_draft(app, id, &s)?;
    let (body, kind, ext): (Vec<u8>, _, _) = match format {
        Format::Markdown => (
            draft.to_markdown().into_bytes(),
            "text/markdown; charset=utf-8",
            "md",
        ),
        Format::Html => (
            vigil_report::breach_html::render_breach(&draft, &drafted_by(&s.user)).into_bytes(),
            "text/html; charset=utf-8",
            "html",
        ),
        #[cfg(feature = "pdf")]
        Format::Pdf => (
            vigil_report::breach_pdf::render_breach_pdf(&draft, &drafted_by(&s.user)),
            "application/pdf",
            "pdf",
        ),
    };
    Ok(download(
        body,
        kind,
        format!("breach-notice-{}.{ext}", file_stem(id)),
    ))
}

pub(crate) async fn breach_md(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    draft_download(&app, &headers, &id, Format::Markdown)
}

pub(crate) async fn breach_html(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    draft_download(&app, &headers, &id, Format::Html)
}

/// The draft as a PDF download (A4, the Markdown draft's text).
#[cfg(feature = "pdf")]
pub(crate) async fn breach_pdf(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    draft_download(&app, &headers, &id, Format::Pdf)
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(super::segment("INC-a_1.b~"), "INC-a_1.b~");
        assert_eq!(super::segment("a/b c?é"), "a%2Fb%20c%3F%C3%A9");
    }
}
