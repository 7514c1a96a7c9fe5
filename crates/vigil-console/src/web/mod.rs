//! The console's routes: pages (session cookie, CSRF token on every form), the JSON API (bearer tokens)
//! and the static stylesheet, under one set of security headers and a small body limit.

mod account;
mod api;
mod api_cases;
mod assets;
mod breach;
mod coverage;
mod health;
mod incidents;
mod invite;
mod pages;
mod record;
mod second_factor;
mod session;
mod settings;
mod timeline;
mod users;

use crate::server::ConsoleSettings;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Response, header};
use axum::routing::{get, post};
use std::sync::{Arc, Mutex, MutexGuard};
use vigil_store::SqliteStore;

/// Largest request body read (a login or a note).
pub const MAX_BODY: usize = 16 * 1024;

/// The state every handler shares: the console's own store connection and its settings.
#[derive(Clone)]
pub(crate) struct App {
    store: Arc<Mutex<SqliteStore>>,
    settings: Arc<ConsoleSettings>,
    throttle: Arc<Mutex<crate::throttle::Throttle>>,
    /// Sign-ins waiting for their second-factor code.
    pending: Arc<Mutex<second_factor::PendingLogins>>,
    /// Second factors being set up, waiting for their first code.
    enrolling: Arc<Mutex<account::Enrolments>>,
    /// Whether an investigation for the API runs (one at a time).
    investigating: Arc<std::sync::atomic::AtomicBool>,
}

impl App {
    /// The store; a handler that panicked while holding it left nothing half-written (every store call
    /// is a transaction), so a poisoned lock is taken over rather than failing every later request.
    fn store(&self) -> MutexGuard<'_, SqliteStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enrolling(&self) -> MutexGuard<'_, account::Enrolments> {
        self.enrolling.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The console's routes over `store` (its own connection).
pub fn router(store: SqliteStore, settings: ConsoleSettings) -> Router {
    let secure = settings.tls;
    let app = App {
        store: Arc::new(Mutex::new(store)),
        settings: Arc::new(settings),
        throttle: Arc::default(),
        pending: Arc::default(),
        enrolling: Arc::default(),
        investigating: Arc::default(),
    };
    let router = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/login/code", post(second_factor::submit))
        .route("/logout", post(pages::logout))
        .route("/invite", get(invite::form).post(invite::accept))
        .route("/overview", get(pages::overview))
        .route("/alerts", get(pages::alerts))
        .route(
            "/alerts/ack",
            get(pages::link_form).post(pages::link_submit),
        )
        .route("/alerts/{id}", get(pages::alert))
        .route("/alerts/{id}/ack", post(pages::acknowledge))
        .route("/alerts/{id}/resolve", post(pages::resolve))
        .route("/trail", get(pages::trail))
        .route("/coverage", get(coverage::page))
        .route("/coverage/recompute", post(coverage::recompute))
        // Not `/health`: that is the service's unauthenticated JSON probe, which the console serves
        // too when `[serve] metrics` shares its address.
        .route("/detection", get(health::page))
        .route("/incidents", get(incidents::incidents))
        .route("/incidents/{id}", get(incidents::incident))
        .route(
            "/incidents/{id}/breach",
            get(breach::breach)
                .post(breach::save)
                .layer(DefaultBodyLimit::max(breach::MAX_RECORD_BODY)),
        )
        .route("/incidents/{id}/breach.md", get(breach::breach_md))
        .route("/incidents/{id}/breach.html", get(breach::breach_html));
    #[cfg(feature = "pdf")]
    let router = router.route("/incidents/{id}/breach.pdf", get(breach::breach_pdf));
    router
        .route("/plan", get(incidents::plan).post(incidents::add))
        .route("/assets/{name}", get(assets::asset))
        .route("/assets/{name}/ignore", post(assets::ignore))
        .route("/plan/{id}/done", post(incidents::done))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/totp/start", post(account::totp_start))
        .route("/account/totp/confirm", post(account::totp_confirm))
        .route("/account/totp/remove", post(account::totp_remove))
        .route("/settings", get(settings::page))
        .route("/users", get(users::users))
        .route("/users/invite", post(users::invite))
        .route("/users/{name}/{action}", post(users::change))
        .route("/tokens", post(users::create_token))
        .route("/tokens/{id}/revoke", post(users::revoke_token))
        .route("/static/console.css", get(stylesheet))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/alerts", get(api::alerts))
        .route("/api/v1/alerts/{id}", get(api::alert))
        .route("/api/v1/alerts/{id}/ack", post(api::acknowledge))
        .route("/api/v1/alerts/{id}/resolve", post(api::resolve))
        .route("/api/v1/assets", get(api::assets))
        .route("/api/v1/health", get(health::api))
        .route("/api/v1/coverage", get(coverage::api))
        .route("/api/v1/coverage/recompute", post(coverage::api_recompute))
        .route("/api/v1/assets/{name}/findings", get(api_cases::findings))
        .route("/api/v1/incidents", get(api_cases::incidents))
        .route("/api/v1/investigation", get(api_cases::investigation))
        .route("/api/v1/patching", get(api_cases::patching))
        .route("/api/v1/incidents/{id}", get(api_cases::incident))
        .route("/api/v1/incidents/{id}/breach", get(api_cases::breach))
        .route(
            "/api/v1/plan",
            get(api_cases::plan).post(api_cases::add_action),
        )
        .route("/api/v1/plan/{id}/done", post(api_cases::done))
        .route(
            "/api/v1/incidents/{id}/record",
            get(api::record)
                .put(api::put_record)
                .layer(DefaultBodyLimit::max(breach::MAX_RECORD_BODY)),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(
            move |response: Response<axum::body::Body>| async move {
                with_security_headers(response, secure)
            },
        ))
        .with_state(app)
}

/// The headers every answer carries: no script but the console's own (there is none inline), no
/// framing, no sniffing, no referrer; HSTS when served over TLS; nothing cached.
fn with_security_headers<B>(mut response: Response<B>, tls: bool) -> Response<B> {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// The console's stylesheet: vigil's shared one (the reports embed the same), then the console's
/// own layout.
pub static STYLESHEET: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{}{}",
        vigil_report::STYLESHEET,
        include_str!("../../assets/console.css")
    )
});

/// The stylesheet, from the binary.
async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET.as_str(),
    )
}

/// The OpenAPI 3 description of `/api/v1`.
pub const OPENAPI: &str = include_str!("../../assets/openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
