//! `/settings` (administrators): what the service is configured to do — the logs it watches and
//! listens for, where alerts go and when they escalate, the patch deadlines, the self-tests, the
//! schedule and the console's own limits — as the service read them from its configuration file at
//! start, secrets left out ([`crate::Configuration`]).
//!
//! The console shows the configuration; it does not change it. A form that could stop watching a
//! log or re-point the alerts is the first thing an intruder with a stolen session would use, and
//! the story vigil exists for is detection quietly misconfigured. Changes are made in the file and
//! take effect when the service restarts, where the server's own access control and backups apply.

use super::App;
use super::pages::{Me, Page, refuse, render, signed_in};
use crate::permissions::{Permission, allows};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    me: Option<Me>,
    file: &'a str,
    sections: &'a [crate::ConfigSection],
}

pub(crate) async fn page(State(app): State<App>, headers: HeaderMap) -> Page {
    let s = match signed_in(&app, &headers)? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !allows(s.role, Permission::ManageAccounts) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "The service's configuration is shown to administrators.",
            Some(&s),
        ));
    }
    let c = &app.settings.configuration;
    Ok(render(&SettingsPage {
        me: Some(Me::of(&s)),
        file: c.file.as_deref().unwrap_or(""),
        sections: &c.sections,
    }))
}
