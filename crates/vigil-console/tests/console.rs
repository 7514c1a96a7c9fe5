//! The console over real TLS, as a browser and an API client use it: sign-in, lock-out, roles, CSRF,
//! tokens, the trail of an acknowledgement, escaping of hostile alert text, the OpenAPI description
//! kept true, the security headers, and the incident record filled in for the breach draft.

use jiff::{SignedDuration, Timestamp};
use vigil_console::throttle::ThrottlePolicy;
use vigil_console::{ConsoleServer, ConsoleSettings, password, router, secret};
use vigil_store::HealthStore;
use vigil_store::prelude::*;
use vigil_store::{
    AlertState, AlertSubject, Evidence, LockoutPolicy, NewAlert, NewToken, NewUser, Role,
    SqliteStore, TrailDraft,
};

const PASSWORD: &str = "correct horse battery";

struct Site {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    server: ConsoleServer,
    ca_pem: String,
}

impl Site {
    fn new() -> Site {
        Site::with(ThrottlePolicy::default())
    }

    fn with(throttle: ThrottlePolicy) -> Site {
        Site::build(throttle, vigil_console::coverage::CoverageBoard::default())
    }

    fn build(throttle: ThrottlePolicy, coverage: vigil_console::coverage::CoverageBoard) -> Site {
        Site::build_with(throttle, coverage, vigil_console::Configuration::default())
    }

    fn build_with(
        throttle: ThrottlePolicy,
        coverage: vigil_console::coverage::CoverageBoard,
        configuration: vigil_console::Configuration,
    ) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("vigil.db");
        let mut store = SqliteStore::open(&db).unwrap();
        let phc = password::hash(PASSWORD).unwrap();
        for (name, role) in [
            ("vera", Role::Viewer),
            ("rita", Role::Responder),
            ("ada", Role::Admin),
        ] {
            store
                .add_user(
                    &NewUser {
                        name: name.into(),
                        role,
                        password_hash: phc.clone(),
                    },
                    &TrailDraft::new(
                        "cli:test",
                        "user.add",
                        format!("user:{name}"),
                        role.as_str(),
                    ),
                    Timestamp::now(),
                )
                .unwrap();
        }
        store
            .raise_alert(
                &NewAlert {
                    dedup_key: "incident:1".into(),
                    subject: AlertSubject::Incident,
                    reference: "1".into(),
                    severity: vigil_model::Level::High,
                    title: "<script>alert('owned')</script> on MAIL01".into(),
                    asset: Some("MAIL01".into()),
                    evidence: vec![Evidence::new("url", "/owa/<img src=x onerror=alert(1)>")],
                },
                Timestamp::now(),
                None,
            )
            .unwrap();
        let ca = vigil_testkit::tls::TestCa::new();
        let settings = ConsoleSettings {
            tls: true,
            // No waiting between wrong passwords, so the lock-out is reached at once.
            lockout: LockoutPolicy {
                base_delay: SignedDuration::ZERO,
                ..LockoutPolicy::default()
            },
            throttle,
            coverage,
            configuration,
            ..ConsoleSettings::default()
        };
        let server = ConsoleServer::start(
            "127.0.0.1:0".parse().unwrap(),
            router(SqliteStore::open(&db).unwrap(), settings),
            Some(ca.server_config()),
        )
        .unwrap();
        Site {
            _dir: dir,
            db,
            server,
            ca_pem: ca.ca_pem,
        }
    }

    fn store(&self) -> SqliteStore {
        SqliteStore::open(&self.db).unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!(
            "https://localhost:{}{path}",
            self.server.local_addr().port()
        )
    }

    fn client(&self) -> Client {
        let agent = vigil_testkit::console::agent(Some(&self.ca_pem));
        Client {
            agent,
            cookies: Vec::new(),
        }
    }

    fn token(&self, role: Role, expires_at: Option<Timestamp>) -> (i64, String) {
        let token = secret::new_api_token().unwrap();
        let id = self
            .store()
            .add_token(
                &NewToken {
                    name: "test".into(),
                    role,
                    hash: secret::sha256_hex(&token),
                    expires_at,
                },
                &TrailDraft::new("cli:test", "token.create", "", ""),
                Timestamp::now(),
            )
            .unwrap();
        (id, token)
    }

    fn alert_state(&self) -> AlertState {
        self.store().alert(1).unwrap().unwrap().state
    }
}

struct Client {
    agent: ureq::Agent,
    cookies: Vec<(String, String)>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn csrf(&self) -> String {
        vigil_testkit::console::csrf_of(&self.body)
            .expect("a form with a CSRF token")
            .to_string()
    }
}

impl Client {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn take(&mut self, mut r: ureq::http::Response<ureq::Body>) -> Answer {
        let headers: Vec<(String, String)> = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        for (_, v) in headers.iter().filter(|(k, _)| k == "set-cookie") {
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        Answer {
            status: r.status().as_u16(),
            headers,
            body: r.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    /// A download as bytes, with its content type.
    fn get_bytes(&mut self, site: &Site, path: &str) -> (u16, String, Vec<u8>) {
        let mut r = self
            .agent
            .get(site.url(path))
            .header("Cookie", self.cookie_header())
            .call()
            .unwrap();
        bytes_of(&mut r)
    }

    fn get(&mut self, site: &Site, path: &str) -> Answer {
        let r = self
            .agent
            .get(site.url(path))
            .header("Cookie", self.cookie_header())
            .call()
            .unwrap();
        self.take(r)
    }

    fn post(&mut self, site: &Site, path: &str, form: &[(&str, &str)]) -> Answer {
        let r = self
            .agent
            .post(site.url(path))
            .header("Cookie", self.cookie_header())
            .send_form(form.iter().copied())
            .unwrap();
        self.take(r)
    }

    fn login(&mut self, site: &Site, name: &str, password: &str) -> Answer {
        let form = self.get(site, "/login");
        let csrf = form.csrf();
        self.post(
            site,
            "/login",
            &[("csrf", &csrf), ("name", name), ("password", password)],
        )
    }

    /// A GET of the API with a bearer token, the answer as bytes with its content type.
    fn api_bytes(&self, site: &Site, path: &str, token: &str) -> (u16, String, Vec<u8>) {
        let mut r = self
            .agent
            .get(site.url(path))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap();
        bytes_of(&mut r)
    }

    fn api(
        &self,
        site: &Site,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String) {
        let url = site.url(path);
        let auth = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
        let mut r = match method {
            "GET" => self.agent.get(url).header("Authorization", auth).call(),
            "PUT" => self
                .agent
                .put(url)
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or("")),
            _ => self
                .agent
                .post(url)
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or("")),
        }
        .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )
    }
}

#[test]
fn sign_in_opens_a_secure_session_and_the_pages_are_guarded() {
    let site = Site::new();
    let mut c = site.client();
    let r = c.get(&site, "/overview");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login"));

    let r = c.login(&site, "ada", PASSWORD);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/overview"));
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("__Host-vigil="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let page = c.get(&site, "/overview");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<meta name=\"viewport\""));
    assert!(page.body.contains("Open alerts"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.header("strict-transport-security").is_some());
    assert!(!page.body.contains("<script"), "no script in pages");
    let css = c.get(&site, "/static/console.css");
    assert_eq!(css.status, 200);
    assert!(
        css.body.starts_with(vigil_report::STYLESHEET)
            && css.body.len() > vigil_report::STYLESHEET.len(),
        "the reports' stylesheet, then the console's layout"
    );

    // The trail records the sign-in; the admin reads it, intact.
    let trail = c.get(&site, "/trail");
    assert_eq!(trail.status, 200);
    assert!(
        trail.body.contains("Intact") && trail.body.contains("login"),
        "{}",
        trail.body
    );

    // Signing out ends the session on the server, not only in the browser.
    let session = c.cookies.clone();
    let csrf = page.csrf();
    assert_eq!(c.post(&site, "/logout", &[("csrf", &csrf)]).status, 303);
    c.cookies = session;
    assert_eq!(c.get(&site, "/overview").status, 303);
}

#[test]
fn a_planted_or_old_session_id_is_not_kept_at_sign_in() {
    let site = Site::new();
    let mut c = site.client();
    c.cookies.push(("__Host-vigil".into(), "a".repeat(64)));
    c.login(&site, "rita", PASSWORD);
    let id = c
        .cookies
        .iter()
        .find(|(k, _)| k == "__Host-vigil")
        .unwrap()
        .1
        .clone();
    assert_ne!(id, "a".repeat(64));
    assert_eq!(c.get(&site, "/overview").status, 200);
}

#[test]
fn ten_wrong_passwords_lock_the_account() {
    let site = Site::new();
    let mut c = site.client();
    for i in 1..=9 {
        let r = c.login(&site, "rita", "wrong password!");
        assert_eq!(r.status, 401, "attempt {i}: {}", r.body);
    }
    let r = c.login(&site, "rita", "wrong password!");
    assert_eq!(r.status, 429);
    assert!(r.body.contains("locked"), "{}", r.body);
    // The right password does not open a locked account.
    let r = c.login(&site, "rita", PASSWORD);
    assert_eq!(r.status, 429);
    let user = site.store().user("rita").unwrap().unwrap();
    assert_eq!(user.failed_logins, 10);
    let failed = site
        .store()
        .trail(0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "login.failed")
        .count();
    assert_eq!(failed, 10);
    // A missing form token is refused before any password is checked.
    let r = c.post(&site, "/login", &[("name", "ada"), ("password", PASSWORD)]);
    assert_eq!(r.status, 403);
}

#[test]
fn one_address_cannot_keep_the_console_hashing_passwords() {
    let site = Site::with(ThrottlePolicy {
        attempts: 3,
        window: SignedDuration::from_secs(60),
    });
    let mut c = site.client();
    for _ in 0..3 {
        assert_eq!(c.login(&site, "nobody", "wrong password!").status, 401);
    }
    let r = c.login(&site, "ada", PASSWORD);
    assert_eq!(r.status, 429);
    assert!(r.body.contains("Too many sign-in attempts"), "{}", r.body);
    // Refused before any check: not counted against the account, not in the trail.
    assert_eq!(site.store().user("ada").unwrap().unwrap().failed_logins, 0);
    let failed = site
        .store()
        .trail(0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "login.failed")
        .count();
    assert_eq!(failed, 3);
}

#[test]
fn a_viewer_cannot_acknowledge_in_the_form_nor_the_api() {
    let site = Site::new();
    let mut c = site.client();
    assert_eq!(c.login(&site, "vera", PASSWORD).status, 303);
    let page = c.get(&site, "/alerts/1");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("id=\"ack\""), "viewers get no button");
    let r = c.post(
        &site,
        "/alerts/1/ack",
        &[("csrf", &page.csrf()), ("note", "mine")],
    );
    assert_eq!(r.status, 403);
    let (_, token) = site.token(Role::Viewer, None);
    let (status, body) = c.api(
        &site,
        "POST",
        "/api/v1/alerts/1/ack",
        Some(&token),
        Some("{\"note\":\"x\"}"),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(site.alert_state(), AlertState::Open);
    // Viewers still read.
    let (status, _) = c.api(&site, "GET", "/api/v1/alerts", Some(&token), None);
    assert_eq!(status, 200);
}

#[test]
fn a_forged_or_missing_csrf_token_is_refused_and_a_good_one_acknowledges_into_the_trail() {
    let site = Site::new();
    let mut c = site.client();
    assert_eq!(c.login(&site, "rita", PASSWORD).status, 303);
    let page = c.get(&site, "/alerts/1");
    assert!(page.body.contains("id=\"ack\""));
    let forged = "0".repeat(64);
    assert_eq!(
        c.post(&site, "/alerts/1/ack", &[("csrf", &forged)]).status,
        403
    );
    assert_eq!(
        c.post(&site, "/alerts/1/ack", &[("note", "no token")])
            .status,
        403
    );
    // Another session's token is not this one's.
    let mut other = site.client();
    other.login(&site, "ada", PASSWORD);
    let theirs = other.get(&site, "/alerts/1").csrf();
    assert_eq!(
        c.post(&site, "/alerts/1/ack", &[("csrf", &theirs)]).status,
        403
    );
    assert_eq!(site.alert_state(), AlertState::Open);

    let r = c.post(
        &site,
        "/alerts/1/ack",
        &[("csrf", &page.csrf()), ("note", "isolating MAIL01")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(site.alert_state(), AlertState::Acknowledged);
    let entry = site.store().trail_latest(1).unwrap().remove(0);
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.subject.as_str(),
            entry.detail.as_str()
        ),
        ("rita", "alert.acknowledge", "alert:1", "isolating MAIL01")
    );
    let detail = c.get(&site, "/alerts/1");
    assert!(
        detail.body.contains("acknowledged by rita"),
        "{}",
        detail.body
    );
    // Twice is a conflict, not a second entry.
    assert_eq!(
        c.post(&site, "/alerts/1/ack", &[("csrf", &page.csrf())])
            .status,
        409
    );
    assert!(site.store().verify_trail().unwrap().broken.is_none());
}

#[test]
fn revoked_expired_and_unknown_tokens_are_refused() {
    let site = Site::new();
    let c = site.client();
    let (revoked_id, revoked) = site.token(Role::Responder, None);
    site.store()
        .revoke_token(
            revoked_id,
            &TrailDraft::new("cli:test", "token.revoke", "", ""),
            Timestamp::now(),
        )
        .unwrap();
    let (_, expired) = site.token(
        Role::Responder,
        Some(Timestamp::now() - SignedDuration::from_secs(1)),
    );
    for token in [
        Some(revoked.as_str()),
        Some(expired.as_str()),
        Some("vgl_0000"),
        None,
    ] {
        let (status, body) = c.api(&site, "GET", "/api/v1/alerts", token, None);
        assert_eq!(status, 401, "{token:?}: {body}");
        let (status, _) = c.api(&site, "POST", "/api/v1/alerts/1/ack", token, None);
        assert_eq!(status, 401);
    }
    assert_eq!(site.alert_state(), AlertState::Open);
}

#[test]
fn the_api_lists_pages_and_acknowledges_with_a_responder_token() {
    let site = Site::new();
    {
        let mut s = site.store();
        for i in 2..=5 {
            s.raise_alert(
                &NewAlert {
                    dedup_key: format!("incident:{i}"),
                    subject: AlertSubject::Incident,
                    reference: i.to_string(),
                    severity: vigil_model::Level::Medium,
                    title: format!("incident {i}"),
                    asset: None,
                    evidence: vec![],
                },
                Timestamp::now(),
                None,
            )
            .unwrap();
        }
    }
    let c = site.client();
    let (id, token) = site.token(
        Role::Responder,
        Some(Timestamp::now() + SignedDuration::from_hours(1)),
    );
    let (status, body) = c.api(
        &site,
        "GET",
        "/api/v1/alerts?limit=2&offset=1",
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(v["next_offset"], 3);
    assert_eq!(
        c.api(&site, "GET", "/api/v1/alerts?limit=0", Some(&token), None)
            .0,
        400
    );
    assert_eq!(
        c.api(
            &site,
            "GET",
            "/api/v1/alerts?state=closed",
            Some(&token),
            None
        )
        .0,
        400
    );
    assert_eq!(
        c.api(&site, "GET", "/api/v1/alerts/99", Some(&token), None)
            .0,
        404
    );
    let (status, body) = c.api(&site, "GET", "/api/v1/alerts/1", Some(&token), None);
    assert_eq!(status, 200);
    assert!(body.contains("\"history\""));
    assert_eq!(
        c.api(&site, "GET", "/api/v1/assets", Some(&token), None).0,
        200
    );
    let (status, body) = c.api(
        &site,
        "POST",
        "/api/v1/alerts/1/resolve",
        Some(&token),
        Some("{\"note\":\"patched\"}"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(site.alert_state(), AlertState::Resolved);
    let entry = site.store().trail_latest(1).unwrap().remove(0);
    assert_eq!(entry.action, "alert.resolve");
    assert_eq!(entry.actor, format!("token:{id} (test)"));
    assert_eq!(
        c.api(
            &site,
            "POST",
            "/api/v1/alerts/2/ack",
            Some(&token),
            Some("{\"bogus\":1}")
        )
        .0,
        400
    );
}

#[test]
fn hostile_alert_text_is_escaped_in_pages() {
    let site = Site::new();
    let mut c = site.client();
    c.login(&site, "ada", PASSWORD);
    for path in ["/alerts", "/alerts/1"] {
        let page = c.get(&site, path);
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
            "{path}: the title is shown, escaped"
        );
    }
    let detail = c.get(&site, "/alerts/1");
    assert!(!detail.body.contains("<img src=x"));
}

#[test]
fn every_route_of_the_openapi_description_exists() {
    let site = Site::new();
    let c = site.client();
    let (status, body) = c.api(&site, "GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 6);
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "1");
            let (status, body) = c.api(&site, &method.to_uppercase(), &concrete, None, None);
            // Without a token: refused (401) or public (200), never unknown.
            assert!(
                status == 401 || (status == 200 && path.ends_with("openapi.json")),
                "{method} {path}: {status} {body}"
            );
        }
    }
}

#[test]
fn an_idle_session_ends() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let mut store = SqliteStore::open(&db).unwrap();
    store
        .add_user(
            &NewUser {
                name: "ada".into(),
                role: Role::Admin,
                password_hash: password::hash(PASSWORD).unwrap(),
            },
            &TrailDraft::new("cli:test", "user.add", "user:ada", ""),
            Timestamp::now(),
        )
        .unwrap();
    let settings = ConsoleSettings {
        tls: false,
        idle: SignedDuration::from_secs(2),
        ..ConsoleSettings::default()
    };
    let server = ConsoleServer::start(
        "127.0.0.1:0".parse().unwrap(),
        router(SqliteStore::open(&db).unwrap(), settings),
        None,
    )
    .unwrap();
    let agent = vigil_testkit::console::agent(None);
    let base = format!("http://{}", server.local_addr());
    let form = agent.get(format!("{base}/login")).call().unwrap();
    let set = vigil_testkit::console::cookie_pair(&form, "vigil-login=").unwrap();
    let raw = form.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        set.len() > 12 && !raw.contains("Secure"),
        "no Secure cookie without TLS: {raw}"
    );
    let session = vigil_testkit::console::sign_in(&agent, &base, "ada", PASSWORD).unwrap();
    assert!(session.starts_with("vigil="), "{session}");
    let page = agent.get(format!("{base}/login")).call().unwrap();
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "no HSTS without TLS"
    );
    assert_eq!(
        agent
            .get(format!("{base}/overview"))
            .header("Cookie", &session)
            .call()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(
        agent
            .get(format!("{base}/overview"))
            .header("Cookie", &session)
            .call()
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    let expired = SqliteStore::open(&db)
        .unwrap()
        .trail_latest(1)
        .unwrap()
        .remove(0);
    assert_eq!(
        (expired.action.as_str(), expired.detail.as_str()),
        ("session.expired", "idle timeout")
    );
}

/// The signed link of an alert message: opening it changes nothing (mail filters open links), a
/// responder confirms it once, the change is in the trail under their name, the link cannot be used
/// again, and a tampered link or a viewer is refused.
#[test]
fn a_signed_link_from_an_alert_message_is_confirmed_once_by_a_responder() {
    let site = Site::new();
    let token = {
        let mut store = site.store();
        vigil_alert::link_signer(&mut store)
            .unwrap()
            .sign(
                1,
                vigil_store::AlertAction::Acknowledge,
                Timestamp::now() + SignedDuration::from_hours(1),
            )
            .unwrap()
    };
    let path = format!("/alerts/ack?token={token}");
    let mut viewer = site.client();
    assert_eq!(viewer.login(&site, "vera", PASSWORD).status, 303);
    assert_eq!(viewer.get(&site, &path).status, 403);
    let mut c = site.client();
    assert_eq!(c.login(&site, "rita", PASSWORD).status, 303);
    let page = c.get(&site, &path);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"confirm\""), "{}", page.body);
    assert_eq!(
        site.alert_state(),
        AlertState::Open,
        "opening the link changes nothing"
    );
    let tampered = format!("/alerts/ack?token={}x", token);
    assert_eq!(c.get(&site, &tampered).status, 400);

    let r = c.post(
        &site,
        "/alerts/ack",
        &[("csrf", &page.csrf()), ("token", &token), ("note", "on it")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(site.alert_state(), AlertState::Acknowledged);
    let entry = site.store().trail_latest(1).unwrap().remove(0);
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.detail.as_str()
        ),
        ("rita", "alert.acknowledge", "on it")
    );
    // Used once: refused the second time.
    let again = c.post(
        &site,
        "/alerts/ack",
        &[("csrf", &page.csrf()), ("token", &token)],
    );
    assert_eq!(again.status, 409, "{}", again.body);
}

/// A stored high-level detection on MAIL01, so that the investigation has an incident to draft a
/// breach notice for; its id, as the draft names it.
fn seed_incident(site: &Site) -> String {
    use vigil_model::{Detection, RecordRef, SourceRef};
    let mut store = site.store();
    store
        .save_detections(&[Detection {
            rule_id: "proxyshell".into(),
            rule_title: "Exchange ProxyShell URL pattern".into(),
            level: vigil_model::Level::Critical,
            tags: vec!["attack.t1190".into()],
            timestamp: "2026-03-02T03:14:00Z".parse().ok(),
            first_seen: None,
            host: Some("MAIL01".into()),
            sources: vec![SourceRef {
                file: "u_ex260302.log".into(),
                record: RecordRef::Line(12),
                generation: None,
            }],
            matched: vec![],
        }])
        .unwrap();
    match vigil_pipeline::breach::draft(
        &store,
        "none",
        None,
        vigil_pipeline::breach::BreachOptions::default(),
        Timestamp::now(),
    )
    .unwrap()
    {
        Err(ids) => ids.into_iter().next().expect("an incident"),
        Ok(_) => panic!("no incident is called none"),
    }
}

/// The breach page's form: a viewer sees the values and cannot save, a forged token is refused, an
/// over-long value comes back as typed with what is wrong, and a responder's save shows in the draft
/// and its downloads (hostile text escaped, escape bytes gone) and in a trail that still verifies,
/// naming the fields changed but not their values.
#[test]
fn the_incident_record_is_filled_in_on_the_breach_page_and_used_by_its_downloads() {
    let site = Site::new();
    let id = seed_incident(&site);
    let page_path = format!("/incidents/{id}/breach");
    let mut viewer = site.client();
    assert_eq!(viewer.login(&site, "vera", PASSWORD).status, 303);
    let seen = viewer.get(&site, &page_path);
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(
        seen.body.contains("not filled in") && !seen.body.contains("id=\"save-record\""),
        "{}",
        seen.body
    );
    assert!(
        seen.body
            .contains("[to be completed by the controller: name and address of the controller]")
    );
    let refused = viewer.post(
        &site,
        &page_path,
        &[("csrf", &seen.csrf()), ("organisation", "Viewer Ltd")],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);

    let mut c = site.client();
    assert_eq!(c.login(&site, "rita", PASSWORD).status, 303);
    let form = c.get(&site, &page_path);
    assert!(form.body.contains("id=\"save-record\""), "{}", form.body);
    let forged = c.post(
        &site,
        &page_path,
        &[("csrf", "0123456789abcdef"), ("organisation", "Forged Ltd")],
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    let long = "d".repeat(501);
    let too_long = c.post(
        &site,
        &page_path,
        &[
            ("csrf", &form.csrf()),
            ("organisation", "Typed <b>Clinic</b>"),
            ("dpo_contact", &long),
        ],
    );
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    assert!(
        too_long
            .body
            .contains("Data protection officer: 501 characters")
            && too_long
                .body
                .contains("value=\"Typed &#60;b&#62;Clinic&#60;/b&#62;\"")
            && too_long.body.contains(&long),
        "the values typed are kept: {}",
        too_long.body
    );
    assert_eq!(site.store().incident_record(&id).unwrap(), None);

    let hostile = "Harbour <script>alert(1)</script> Clinic \u{1b}[2J";
    let saved = c.post(
        &site,
        &page_path,
        &[
            ("csrf", &form.csrf()),
            ("organisation", hostile),
            ("controller_contact", "Dana Hale, 01481 700 700"),
            ("aware_at", "2026-03-03T09:00:00Z"),
            ("measures_taken", "reset every password\r\nisolated MAIL01"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.header("location"), Some(page_path.as_str()));
    let page = c.get(&site, &page_path);
    assert!(
        page.body.contains("Saved by rita")
            && page.body.contains("Dana Hale, 01481 700 700")
            && page
                .body
                .contains("72-hour notification deadline: 2026-03-06 09:00 UTC"),
        "{}",
        page.body
    );
    for (what, text) in [
        ("page", page.body.clone()),
        ("breach.md", c.get(&site, &format!("{page_path}.md")).body),
        (
            "breach.html",
            c.get(&site, &format!("{page_path}.html")).body,
        ),
    ] {
        assert!(
            text.contains("Dana Hale, 01481 700 700") && text.contains("Harbour"),
            "{what}: {text}"
        );
        assert!(
            !text.contains("<script>alert(1)") && !text.contains('\u{1b}'),
            "{what} escapes the record: {text}"
        );
    }
    let md = c.get(&site, &format!("{page_path}.md")).body;
    assert!(
        md.contains("Harbour &lt;script&gt;alert(1)&lt;/script&gt; Clinic"),
        "{md}"
    );
    // The PDF download (when built) says the same, the record's text as typed (a PDF renders no
    // markup).
    if cfg!(feature = "pdf") {
        assert!(
            page.body.contains(&format!("href=\"{page_path}.pdf\"")),
            "{}",
            page.body
        );
        let (status, kind, pdf) = c.get_bytes(&site, &format!("{page_path}.pdf"));
        assert_eq!((status, kind.as_str()), (200, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = pdf_text(&pdf) {
            assert!(
                text.contains("Dana Hale, 01481 700 700")
                    && text.contains("Harbour <script>alert(1)</script> Clinic"),
                "{text}"
            );
        }
    }
    assert!(md.contains("isolated MAIL01"), "{md}");
    // The CLI's path (the draft without a file) gives the same draft.
    let cli = vigil_pipeline::breach::draft(
        &site.store(),
        &id,
        None,
        vigil_pipeline::breach::BreachOptions::default(),
        Timestamp::now(),
    )
    .unwrap()
    .unwrap();
    assert!(cli.to_markdown().contains("Dana Hale, 01481 700 700"));

    let store = site.store();
    let entry = store.trail_latest(1).unwrap().remove(0);
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.subject.clone()
        ),
        ("rita", "incident.record", format!("incident:{id}"))
    );
    assert_eq!(
        entry.detail,
        "changed: aware_at, controller_contact, measures_taken, organisation"
    );
    assert_eq!(store.verify_trail().unwrap().broken, None);
}

/// `/api/v1/incidents/{id}/record`: a viewer token reads, a responder token replaces (recorded under
/// the token's name), what is not a field is refused naming it, an unknown incident is 404.
#[test]
fn the_incident_record_is_read_and_replaced_through_the_api() {
    let site = Site::new();
    let id = seed_incident(&site);
    let path = format!("/api/v1/incidents/{id}/record");
    let c = site.client();
    let (_, viewer) = site.token(Role::Viewer, None);
    let (_, responder) = site.token(Role::Responder, None);
    let (status, body) = c.api(&site, "GET", &path, Some(&viewer), None);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["record"].is_null() && v["saved_by"].is_null(), "{v}");
    let good = r#"{"organisation": "Harbour Clinic", "measures_taken": ["isolated MAIL01"]}"#;
    let (status, _) = c.api(&site, "PUT", &path, Some(&viewer), Some(good));
    assert_eq!(status, 403);
    for (bad, want) in [
        (r#"{"assets": ["MAIL01"]}"#, "is not a field of the record"),
        (r#"{"aware_at": "monday"}"#, "offset from UTC"),
        ("not json", "not JSON"),
    ] {
        let (status, body) = c.api(&site, "PUT", &path, Some(&responder), Some(bad));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains(want), "{bad}: {body}");
    }
    let (status, body) = c.api(&site, "PUT", &path, Some(&responder), Some(good));
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["changed"],
        serde_json::json!(["measures_taken", "organisation"])
    );
    assert_eq!(v["record"]["organisation"], "Harbour Clinic");
    assert!(v["saved_by"].as_str().unwrap().starts_with("token:"), "{v}");
    let (_, body) = c.api(&site, "GET", &path, Some(&viewer), None);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["record"]["measures_taken"],
        serde_json::json!(["isolated MAIL01"])
    );
    assert!(v["record"].get("assets").is_none(), "{v}");
    let (status, _) = c.api(
        &site,
        "PUT",
        "/api/v1/incidents/INC-NOPE/record",
        Some(&responder),
        Some(good),
    );
    assert_eq!(status, 404);
    let entry = site.store().trail_latest(1).unwrap().remove(0);
    assert_eq!(entry.action, "incident.record");
}

/// `/plan`'s form: a viewer has none and is refused, a forged token is refused, a form missing its
/// owner or with an unknown incident comes back as typed with what is wrong, and a responder's action
/// is listed, linked to its incident's asset, and in a trail that still verifies.
#[test]
fn a_responder_adds_an_action_to_the_plan_into_the_trail() {
    let site = Site::new();
    site.store()
        .save_incident(&vigil_store::IncidentRow {
            id: "INC-MAIL01-1".into(),
            asset: Some("MAIL01".into()),
            first_seen: Timestamp::now(),
            last_seen: Timestamp::now(),
            level: vigil_model::Level::Critical,
            detections: 1,
            entry_point: None,
            status: "open".into(),
            opened_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            summary: serde_json::json!({}),
        })
        .unwrap();
    let mut viewer = site.client();
    assert_eq!(viewer.login(&site, "vera", PASSWORD).status, 303);
    let seen = viewer.get(&site, "/plan");
    assert!(!seen.body.contains("id=\"add-action\""), "{}", seen.body);
    let good = |csrf: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("title", "Install KB5001779 <now>"),
            ("owner", "IT provider"),
            ("due", "2026-12-31"),
            ("incident", "INC-MAIL01-1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let post = |c: &mut Client, form: &[(String, String)]| {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        c.post(&site, "/plan", &pairs)
    };
    assert_eq!(post(&mut viewer, &good(&seen.csrf())).status, 403);

    let mut c = site.client();
    assert_eq!(c.login(&site, "rita", PASSWORD).status, 303);
    let page = c.get(&site, "/plan");
    assert!(page.body.contains("id=\"add-action\""), "{}", page.body);
    assert_eq!(post(&mut c, &good("forged")).status, 403);
    let mut bad = good(&page.csrf());
    bad[2].1 = " ".into();
    bad[3].1 = "31/12/2026".into();
    bad[4].1 = "INC-NOPE".into();
    let refused = post(&mut c, &bad);
    assert_eq!(refused.status, 400, "{}", refused.body);
    for want in [
        "The owner is required.",
        "The due date is required, as YYYY-MM-DD.",
        "There is no stored incident &#34;INC-NOPE&#34;.",
        "value=\"Install KB5001779 &#60;now&#62;\"",
        "value=\"31/12/2026\"",
    ] {
        assert!(refused.body.contains(want), "{want}: {}", refused.body);
    }
    assert!(site.store().actions(true).unwrap().is_empty());

    let added = post(&mut c, &good(&page.csrf()));
    assert_eq!(added.status, 303, "{}", added.body);
    let plan = c.get(&site, "/plan");
    assert!(
        plan.body.contains("Install KB5001779 &#60;now&#62;") && plan.body.contains("IT provider"),
        "{}",
        plan.body
    );
    let a = site.store().actions(true).unwrap().remove(0);
    assert_eq!(
        (
            a.incident.as_deref(),
            a.asset.as_deref(),
            a.due.map(|d| d.to_string())
        ),
        (
            Some("INC-MAIL01-1"),
            Some("MAIL01"),
            Some("2026-12-31".to_string())
        )
    );
    let store = site.store();
    let e = store.trail_latest(1).unwrap().remove(0);
    assert_eq!(
        (e.actor.as_str(), e.action.as_str(), e.subject.clone()),
        ("rita", "plan.add", format!("action:{}", a.id))
    );
    assert!(
        e.detail.contains("owner IT provider") && e.detail.contains("due 2026-12-31"),
        "{}",
        e.detail
    );
    assert_eq!(store.verify_trail().unwrap().broken, None);
}

/// A scanned MAIL01 with two overdue Exchange updates.
fn seed_findings(site: &Site) {
    use vigil_model::{Asset, Ecosystem, Finding, Package, PackageLocation, Severity};
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let finding = |kb: &str| Finding {
        asset: "MAIL01".into(),
        package: Package {
            ecosystem: Ecosystem::new("Windows"),
            name: "Exchange Server 2016".into(),
            version: "15.1.2176.2".into(),
            purl: None,
            source_name: None,
            location: PackageLocation {
                file: "inventory.json".into(),
                line: None,
            },
        },
        advisories: vec![format!("KB{kb}")],
        aliases: vec![],
        summary: Some("Exchange Server update".into()),
        severity: Severity::Critical,
        cvss_score: None,
        cvss_vector: None,
        known_exploited: true,
        kev_due: None,
        epss: None,
        fixed_versions: vec![],
        kb: Some(kb.into()),
        fix_released: today.checked_sub(jiff::Span::new().days(60)).ok(),
        due: today.checked_sub(jiff::Span::new().days(30)).ok(),
    };
    site.store()
        .save_snapshot(&vigil_store::Snapshot {
            asset: Asset {
                name: "MAIL01".into(),
                tags: vec![],
            },
            taken_at: Timestamp::now(),
            inputs: vec!["inventory.json".into()],
            packages: vec![],
            findings: vec![finding("5001779"), finding("5003435")],
            last_update: None,
        })
        .unwrap();
}

/// The asset page's "Ignore": a viewer has no form and is refused; a responder's exception needs a
/// reason and an expiry within a year (a refused one keeps what was typed), only for an open finding
/// of the asset; once made, the page says until when, by whom and why, the posture counts it, and the
/// trail records it. An exception that ran out is shown as expired and the finding can be ignored again.
#[test]
fn a_responder_ignores_a_finding_with_a_reason_until_a_date() {
    let site = Site::new();
    seed_findings(&site);
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let in_days = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    // An older exception for the other update, expired yesterday.
    site.store()
        .add_exception_recorded(
            &vigil_store::NewException {
                asset: "MAIL01".into(),
                advisory: "KB5003435".into(),
                package: Some("Exchange Server 2016".into()),
                reason: "migration planned".into(),
                expires: today.yesterday().unwrap(),
            },
            Timestamp::now(),
            "ada",
        )
        .unwrap();
    let page = "/assets/MAIL01";
    let mut viewer = site.client();
    assert_eq!(viewer.login(&site, "vera", PASSWORD).status, 303);
    let seen = viewer.get(&site, page);
    assert!(
        seen.body.contains("exception expired on")
            && !seen.body.contains("action=\"/assets/MAIL01/ignore\""),
        "{}",
        seen.body
    );
    let form = |csrf: &str, id: &str, reason: &str, expires: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("id", id),
            ("package", "Exchange Server 2016"),
            ("reason", reason),
            ("expires", expires),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let post = |c: &mut Client, f: &[(String, String)]| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        c.post(&site, "/assets/MAIL01/ignore", &pairs)
    };
    let reason = "OWA is not published <yet>";
    assert_eq!(
        post(
            &mut viewer,
            &form(&seen.csrf(), "KB5001779", reason, &in_days(30))
        )
        .status,
        403
    );

    let mut c = site.client();
    assert_eq!(c.login(&site, "rita", PASSWORD).status, 303);
    let csrf = c.get(&site, page).csrf();
    assert_eq!(
        post(&mut c, &form("forged", "KB5001779", reason, &in_days(30))).status,
        403
    );
    let r = post(&mut c, &form(&csrf, "KB5001779", " ", &in_days(30)));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("The reason is required")
            && r.body.contains(&format!("value=\"{}\"", in_days(30))),
        "{}",
        r.body
    );
    let r = post(&mut c, &form(&csrf, "KB5001779", reason, &in_days(400)));
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("at most 365 days ahead")
            && r.body.contains("OWA is not published &#60;yet&#62;"),
        "{}",
        r.body
    );
    assert_eq!(
        post(&mut c, &form(&csrf, "KB9999999", reason, &in_days(30))).status,
        404
    );
    assert_eq!(site.store().exceptions(None).unwrap().len(), 1);

    let r = post(&mut c, &form(&csrf, "KB5001779", reason, &in_days(30)));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(page));
    let shown = c.get(&site, page).body;
    assert!(
        shown.contains(&format!(
            "ignored until {} by rita because OWA is not published &#60;yet&#62;",
            in_days(30)
        )) && shown.contains("1 with an exception in force"),
        "{shown}"
    );
    // The expired one can be made again; the one in force has no form.
    assert_eq!(
        shown.matches("action=\"/assets/MAIL01/ignore\"").count(),
        1,
        "{shown}"
    );
    let (_, token) = site.token(Role::Viewer, None);
    let (_, posture) = c.api(&site, "GET", "/api/v1/assets", Some(&token), None);
    let v: serde_json::Value = serde_json::from_str(&posture).unwrap();
    assert_eq!(v["assets"][0]["ignored"], 1, "{v}");
    assert_eq!(
        v["assets"][0]["overdue"], 2,
        "an exception is not a fix: {v}"
    );
    let store = site.store();
    let e = store
        .trail_latest(5)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "finding.ignore")
        .unwrap();
    assert_eq!(e.actor, "rita");
    assert!(
        e.detail.contains("KB5001779") && e.detail.contains(&in_days(30)),
        "{}",
        e.detail
    );
    assert_eq!(store.verify_trail().unwrap().broken, None);
}

/// Writes a heartbeat of a service that started an hour before `updated_at`, watching `mail`
/// (events flowing) and `owa` (nothing ever read).
fn save_heartbeat(site: &Site, updated_at: Timestamp) {
    use vigil_model::{HealthSnapshot, SourceSnapshot};
    site.store()
        .save_heartbeat(&HealthSnapshot {
            started_at: updated_at - SignedDuration::from_hours(1),
            updated_at,
            heartbeat_secs: 5,
            pid: 4242,
            sources: vec![
                SourceSnapshot {
                    name: "mail".into(),
                    kind: "file".into(),
                    events: 120,
                    last_event: Some(updated_at),
                    last_arrival: Some(updated_at),
                    ..SourceSnapshot::default()
                },
                SourceSnapshot {
                    name: "owa".into(),
                    kind: "file".into(),
                    ..SourceSnapshot::default()
                },
            ],
            ..HealthSnapshot::default()
        })
        .unwrap();
}

/// The health page and its JSON: no heartbeat says detection is NOT running; with one, a source that
/// never brought an event says so (not "ok"), a silent source, a failing self-test and failing rule
/// tests are named with their alerts; a stale heartbeat is NOT running again. Viewers read it.
#[test]
fn detection_health_says_what_is_not_watched_and_what_failed() {
    use vigil_serve::{proof, selftest, silence};
    let site = Site::new();
    let mut c = site.client();
    assert_eq!(c.login(&site, "vera", PASSWORD).status, 303);
    let overview = c.get(&site, "/overview");
    assert!(overview.body.contains("href=\"/detection\""), "linked");
    let page = c.get(&site, "/detection");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Detection is NOT running: vigil serve has never written a heartbeat"),
        "{}",
        page.body
    );
    let (_, token) = site.token(Role::Viewer, None);
    let (status, body) = c.api(&site, "GET", "/api/v1/health", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["detection_running"], false);
    assert_eq!(doc["level"], "bad");
    assert!(doc["service"].is_null());

    let now = Timestamp::now();
    save_heartbeat(&site, now);
    let mut store = site.store();
    let t = now - SignedDuration::from_mins(30);
    store
        .raise_alert(
            &silence::silent_alert("mail", Some(t), SignedDuration::from_mins(10), t),
            now,
            None,
        )
        .unwrap();
    store
        .raise_alert(
            &selftest::lost_alert("n1", "owa", SignedDuration::from_secs(60)),
            now,
            None,
        )
        .unwrap();
    let mut rules = selftest::lost_alert("n2", "rules", SignedDuration::from_secs(60));
    rules.dedup_key = proof::rule_tests_key("/etc/vigil/rules");
    rules.subject = AlertSubject::SourceHealth;
    rules.title = "rule tests failed in /etc/vigil/rules".into();
    store.raise_alert(&rules, now, None).unwrap();
    drop(store);

    let page = c.get(&site, "/detection");
    assert_eq!(page.status, 200, "{}", page.body);
    for expected in [
        "Detection is running",
        "never produced an event since the service started",
        "silent",
        "Self-test of owa failed",
        "FAILING since",
        "2 source(s) need attention",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    let (_, body) = c.api(&site, "GET", "/api/v1/health", Some(&token), None);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["detection_running"], true);
    assert_eq!(doc["level"], "bad");
    let sources = doc["sources"].as_array().unwrap();
    assert_eq!(sources[0]["name"], "mail");
    assert_eq!(sources[0]["states"], serde_json::json!(["silent"]));
    assert_eq!(sources[1]["states"], serde_json::json!(["never_produced"]));
    assert_eq!(sources[1]["level"], "bad");
    assert!(doc["selftests"][0]["failing"]["title"].is_string());
    assert_eq!(doc["rule_tests"][0]["failing"], true);
    assert_eq!(doc["alerts"].as_array().unwrap().len(), 3);

    // A heartbeat nobody renews: NOT running, and the sources are as of its time.
    save_heartbeat(&site, now - SignedDuration::from_hours(1));
    let page = c.get(&site, "/detection");
    assert!(
        page.body
            .contains("Detection is NOT running: no heartbeat since")
            && page.body.contains("As of the last heartbeat"),
        "{}",
        page.body
    );
    let (_, body) = c.api(&site, "GET", "/api/v1/health", Some(&token), None);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["detection_running"], false);
    assert!(doc["sources_as_of"].is_string());
    // Without a token: refused.
    assert_eq!(c.api(&site, "GET", "/api/v1/health", None, None).0, 401);
}

/// A healthy service whose every source produced events and passed a self-test reads as such.
#[test]
fn detection_health_is_ok_only_when_every_source_is_producing_and_tested() {
    use vigil_serve::selftest;
    let site = Site::new();
    let now = Timestamp::now();
    save_heartbeat(&site, now);
    let mut c = site.client();
    assert_eq!(c.login(&site, "vera", PASSWORD).status, 303);
    let page = c.get(&site, "/detection");
    assert!(
        page.body
            .contains("2 source(s) never verified by a self-test"),
        "{}",
        page.body
    );
    let mut store = site.store();
    for (nonce, watch) in [("n1", "mail"), ("cli-n2", "owa")] {
        let id = store
            .raise_alert(&selftest::returned_alert(nonce, watch, None), now, None)
            .unwrap()
            .alert()
            .id;
        store
            .change_alert(
                id,
                &vigil_store::AlertChange {
                    action: vigil_store::AlertAction::Resolve,
                    by: "vigil".into(),
                    at: now,
                    note: None,
                    token_nonce: None,
                },
            )
            .unwrap();
    }
    drop(store);
    let page = c.get(&site, "/detection");
    // owa was verified once, but has never produced an event of its own: still not ok.
    assert!(
        page.body.contains("1 source(s) need attention") && !page.body.contains("never verified"),
        "{}",
        page.body
    );
    let mut fresh = vigil_model::SourceSnapshot {
        name: "owa".into(),
        kind: "file".into(),
        events: 3,
        last_arrival: Some(now),
        ..Default::default()
    };
    fresh.last_event = Some(now);
    let mut h = site.store().heartbeat().unwrap().unwrap();
    h.sources[1] = fresh;
    site.store().save_heartbeat(&h).unwrap();
    let page = c.get(&site, "/detection");
    assert!(
        page.body
            .contains("Every watched source produces events and its self-test passed."),
        "{}",
        page.body
    );
}

/// The service's probe (`/metrics`, `/health`) is served by the console when they share an address:
/// no console route may take one of its paths (merging would panic at start).
#[test]
fn the_console_routes_merge_with_the_service_probe() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("vigil.db")).unwrap();
    let _ = router(store, ConsoleSettings::default())
        .merge(vigil_serve::router(vigil_serve::HealthBoard::default()));
}

/// The coverage page: without watched logs it says there is none; computed on its thread from the
/// repository's example mail log and a log that does not exist, it shows when it was computed, the
/// technique grid with a covered brute-force technique, and the log it could not read.
#[test]
fn coverage_of_the_watched_logs_is_computed_at_start_and_shown() {
    use vigil_console::coverage::{CoverageBoard, CoverageState, CoverageTarget};
    let site = Site::new();
    let mut c = site.client();
    assert_eq!(c.login(&site, "vera", PASSWORD).status, 303);
    let page = c.get(&site, "/coverage");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No coverage"), "{}", page.body);

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = bundled_rules();
    let targets = vec![
        CoverageTarget {
            asset: "mail1".into(),
            paths: vec![root.join("examples/linux-mail/logs/mail.log")],
        },
        CoverageTarget {
            asset: "<b>gone</b>".into(),
            paths: vec![root.join("no/such/mail.log")],
        },
    ];
    let board = CoverageBoard::spawn(targets, std::sync::Arc::new(rules)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let CoverageState::Ready(done) = &*board.lock() {
            eprintln!("coverage computed in {} ms", done.took.as_millis());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "coverage never computed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let site = Site::build(ThrottlePolicy::default(), board);
    let mut c = site.client();
    assert_eq!(c.login(&site, "vera", PASSWORD).status, 303);
    let page = c.get(&site, "/coverage");
    assert_eq!(page.status, 200);
    for expected in [
        "Computed at",
        "<h2>mail1</h2>",
        "class=\"tech covered\"",
        "T1110",
        "&#60;b&#62;gone&#60;/b&#62;",
        "No event could be read",
        "no/such/mail.log: no such file or folder",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    assert!(!page.body.contains("<b>gone"));
}

/// vigil's bundled rules, parsed (no cache).
fn bundled_rules() -> vigil_sigma::RuleSet {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    vigil_pipeline::rules::load(&vigil_pipeline::rules::RuleSource {
        paths: vec![root.join("rules/vigil")],
        no_cache: true,
        ..Default::default()
    })
    .unwrap()
    .set
}

/// Waits until `board` holds a computation made after `after` (or any, when `None`).
fn computed_after(
    board: &vigil_console::coverage::CoverageBoard,
    after: Option<Timestamp>,
) -> Timestamp {
    use vigil_console::coverage::CoverageState;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let CoverageState::Ready(done) = &*board.lock()
            && after.is_none_or(|t| done.at > t)
            && board.computing_again().is_none()
        {
            return done.at;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "coverage never computed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The coverage is computed again when a responder asks (not a viewer), from the logs as they are
/// then, into the trail; the API gives it as JSON and starts a computation for a responder token.
#[test]
fn coverage_is_computed_again_on_request_and_given_as_json() {
    use vigil_console::coverage::{CoverageBoard, CoverageTarget};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("mail.log");
    let text = std::fs::read_to_string(root.join("examples/linux-mail/logs/mail.log")).unwrap();
    let half: String = text
        .lines()
        .take(text.lines().count() / 2)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&log, &half).unwrap();
    let rules = bundled_rules();
    let board = CoverageBoard::spawn(
        vec![CoverageTarget {
            asset: "mail1".into(),
            paths: vec![log.clone()],
        }],
        std::sync::Arc::new(rules),
    )
    .unwrap();
    let first = computed_after(&board, None);
    let site = Site::build(ThrottlePolicy::default(), board.clone());
    let c = site.client();
    let (_, viewer) = site.token(Role::Viewer, None);
    let (_, responder) = site.token(Role::Responder, None);
    let get = || -> serde_json::Value {
        let (status, body) = c.api(&site, "GET", "/api/v1/coverage", Some(&viewer), None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let doc = get();
    assert_eq!(doc["state"], "ready", "{doc}");
    let events = doc["assets"][0]["events"].as_u64().unwrap();
    assert!(events > 0, "{doc}");
    assert!(
        doc["assets"][0]["techniques"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{doc}"
    );

    // A viewer sees no button and is refused; a responder's request recomputes and is in the trail.
    let mut v = site.client();
    assert_eq!(v.login(&site, "vera", PASSWORD).status, 303);
    let page = v.get(&site, "/coverage");
    assert!(!page.body.contains("id=\"recompute\""), "{}", page.body);
    let csrf = page.csrf();
    let refused = v.post(&site, "/coverage/recompute", &[("csrf", csrf.as_str())]);
    assert_eq!(refused.status, 403);
    std::fs::write(&log, &text).unwrap();
    let mut r = site.client();
    assert_eq!(r.login(&site, "rita", PASSWORD).status, 303);
    let page = r.get(&site, "/coverage");
    assert!(page.body.contains("id=\"recompute\""), "{}", page.body);
    let csrf = page.csrf();
    let asked = r.post(&site, "/coverage/recompute", &[("csrf", csrf.as_str())]);
    assert_eq!(asked.status, 303, "{}", asked.body);
    let second = computed_after(&board, Some(first));
    let doc = get();
    assert!(
        doc["assets"][0]["events"].as_u64().unwrap() > events,
        "the logs as they are now: {doc}"
    );
    assert_eq!(doc["computed_at"], serde_json::json!(second), "{doc}");
    let trail = site.store().trail_latest(5).unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "coverage.recompute" && e.actor == "rita"),
        "{trail:?}"
    );

    // Through the API: a viewer token is refused, a responder's starts one.
    let (status, _) = c.api(
        &site,
        "POST",
        "/api/v1/coverage/recompute",
        Some(&viewer),
        None,
    );
    assert_eq!(status, 403);
    let (status, body) = c.api(
        &site,
        "POST",
        "/api/v1/coverage/recompute",
        Some(&responder),
        None,
    );
    assert_eq!(status, 202, "{body}");
    computed_after(&board, Some(second));

    // A console with no watched logs has nothing to compute.
    let bare = Site::new();
    let (_, responder) = bare.token(Role::Responder, None);
    let c = bare.client();
    let (status, body) = c.api(
        &bare,
        "POST",
        "/api/v1/coverage/recompute",
        Some(&responder),
        None,
    );
    assert_eq!(status, 409, "{body}");
    let (_, viewer) = bare.token(Role::Viewer, None);
    let (_, body) = c.api(&bare, "GET", "/api/v1/coverage", Some(&viewer), None);
    assert!(body.contains("not_configured"), "{body}");
}

/// Stores detections on MAIL01 (an exploit, a web shell, a mailbox export whose rule title is
/// hostile) and the incident `vigil investigate` makes of them; its id.
fn seed_investigated(site: &Site) -> String {
    use vigil_model::{Detection, RecordRef, SourceRef};
    let mut store = site.store();
    let det = |rule: &str, title: &str, level, tag: &str, at: &str, line| Detection {
        rule_id: rule.into(),
        rule_title: title.into(),
        level,
        tags: vec![tag.into()],
        timestamp: at.parse().ok(),
        first_seen: None,
        host: Some("MAIL01".into()),
        sources: vec![SourceRef {
            file: "u_ex260302.log".into(),
            record: RecordRef::Line(line),
            generation: None,
        }],
        matched: vec![],
    };
    use vigil_model::Level::{Critical, High};
    store
        .save_detections(&[
            det(
                "proxyshell",
                "Exchange ProxyShell URL pattern",
                Critical,
                "attack.t1190",
                "2026-03-02T03:14:00Z",
                12,
            ),
            det(
                "webshell",
                "Web shell written",
                High,
                "attack.t1505.003",
                "2026-03-02T03:20:00Z",
                13,
            ),
            det(
                "export",
                "<script>alert(1)</script> mailbox export",
                High,
                "attack.t1114.002",
                "2026-03-02T05:00:00Z",
                14,
            ),
        ])
        .unwrap();
    let (dets, dismissed) = vigil_pipeline::investigate::stored(&store).unwrap();
    let cve_map = vigil_pipeline::rules::load_cve_map();
    let grouping = vigil_pipeline::investigate::group(
        &dets,
        &dismissed,
        30,
        vigil_model::Level::High,
        &cve_map,
    );
    let k = vigil_pipeline::investigate::knowledge(&store, cve_map).unwrap();
    let cases = vigil_investigate::investigate(&grouping, &k, None);
    vigil_pipeline::investigate::save_cases(&mut store, &cases).unwrap();
    cases[0].incident.id.clone()
}

/// The incident page draws its timeline: an SVG with one lane per tactic, a mark per detection
/// coloured by level, the wave as a band and the entry point marked; rule titles are escaped.
#[test]
fn the_incident_page_draws_its_timeline_chart() {
    let site = Site::new();
    let id = seed_investigated(&site);
    let mut c = site.client();
    assert_eq!(c.login(&site, "vera", PASSWORD).status, 303);
    let page = c.get(&site, &format!("/incidents/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    for expected in [
        "<svg id=\"incident-chart\" viewBox=\"0 0 1000 ",
        ">Initial Access (1)</text>",
        ">Persistence (1)</text>",
        ">Collection (1)</text>",
        "class=\"mark critical\"",
        "class=\"wave\"",
        ">wave 1</text>",
        "entry point 03-02 03:14",
        "Drawn from its detections: 3 detection(s)",
        "&#60;script&#62;alert(1)&#60;/script&#62; mailbox export",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    assert_eq!(page.body.matches("<circle class=\"mark").count(), 3);
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(
        !page.body.contains("style=\""),
        "no inline style under the CSP"
    );
}

/// TOTP: a user enrolled gets no session from the password alone but a code form; a code computed
/// from the secret opens the session, and is refused when used again; a forged form or a missing
/// pending sign-in is refused; wrong codes count towards the lock-out, and the tenth failure locks.
#[test]
fn an_enrolled_user_needs_a_code_used_once_and_wrong_codes_lock() {
    use vigil_console::totp;
    use vigil_store::SecondFactorStore;
    let site = Site::new();
    let secret = totp::new_secret().unwrap();
    site.store()
        .set_totp(
            "ada",
            Some(&secret),
            &TrailDraft::new("cli:test", "user.totp.enrol", "user:ada", ""),
            Timestamp::now(),
        )
        .unwrap();
    let code_now = || totp::code_at(&secret, totp::step_of(Timestamp::now())).unwrap();
    let session = |c: &Client| c.cookies.iter().any(|(k, _)| k == "__Host-vigil");

    let mut c = site.client();
    let form = c.login(&site, "ada", PASSWORD);
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains("action=\"/login/code\""),
        "{}",
        form.body
    );
    assert!(!session(&c), "no session from the password alone");
    assert_eq!(c.get(&site, "/overview").status, 303);
    // A forged form is refused, and so is a code without its pending sign-in.
    let forged = c.post(
        &site,
        "/login/code",
        &[("csrf", "x"), ("code", &code_now())],
    );
    assert_eq!(forged.status, 403);
    let mut stranger = site.client();
    let page = stranger.get(&site, "/login");
    let r = stranger.post(
        &site,
        "/login/code",
        &[("csrf", &page.csrf()), ("code", &code_now())],
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(!session(&stranger));

    let form = c.login(&site, "ada", PASSWORD);
    let code = code_now();
    let ok = c.post(
        &site,
        "/login/code",
        &[("csrf", &form.csrf()), ("code", &code)],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.header("location"), Some("/overview"));
    assert!(session(&c));
    assert_eq!(c.get(&site, "/overview").status, 200);

    // The same code again (another browser) is refused: a code opens one session.
    let mut other = site.client();
    let form = other.login(&site, "ada", PASSWORD);
    let again = other.post(
        &site,
        "/login/code",
        &[("csrf", &form.csrf()), ("code", &code)],
    );
    if totp::code_at(&secret, totp::step_of(Timestamp::now())).unwrap() == code {
        assert_eq!(again.status, 401, "{}", again.body);
        assert!(again.body.contains("already used"), "{}", again.body);
        assert!(!session(&other));
    }
    let trail: Vec<(String, String)> = site
        .store()
        .trail_latest(50)
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect();
    assert!(
        trail
            .iter()
            .any(|(a, d)| a == "login" && d.contains("with a second factor")),
        "{trail:?}"
    );

    // Wrong codes: each one counts; five per pending sign-in, then the password again.
    let wrong = if code_now() == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut last = None;
    let mut bad = site.client();
    'outer: for _ in 0..3 {
        let mut form = bad.login(&site, "ada", PASSWORD);
        if form.status != 200 {
            last = Some(form);
            break;
        }
        for _ in 0..5 {
            let r = bad.post(
                &site,
                "/login/code",
                &[("csrf", &form.csrf()), ("code", wrong)],
            );
            if r.status == 429 {
                last = Some(r);
                break 'outer;
            }
            assert_eq!(r.status, 401, "{}", r.body);
            form = r;
        }
    }
    let locked = last.expect("locked");
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.body.contains("locked until"), "{}", locked.body);
    let user = site.store().user("ada").unwrap().unwrap();
    assert!(user.failed_logins >= 9, "{}", user.failed_logins);
    assert!(site.store().verify_trail().unwrap().broken.is_none());
}

/// `/api/v1`'s incidents, breach drafts, plan and findings: what the pages show, for a viewer's
/// token; changing the plan needs a responder's, and lands in the trail.
#[test]
fn incidents_drafts_the_plan_and_findings_are_in_the_api() {
    let site = Site::new();
    let id = seed_incident(&site);
    site.store()
        .save_incident(&vigil_store::IncidentRow {
            id: id.clone(),
            asset: Some("MAIL01".into()),
            first_seen: "2026-03-02T03:14:00Z".parse().unwrap(),
            last_seen: "2026-03-02T03:14:00Z".parse().unwrap(),
            level: vigil_model::Level::Critical,
            detections: 1,
            entry_point: Some("Exchange ProxyShell URL pattern".into()),
            status: "open".into(),
            opened_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            summary: serde_json::json!({"dwell": {"first_malicious": "2026-03-02T03:14:00Z"}}),
        })
        .unwrap();
    seed_findings(&site);
    let c = site.client();
    let (_, viewer) = site.token(Role::Viewer, None);
    let (_, responder) = site.token(Role::Responder, None);
    let get = |path: &str| -> serde_json::Value {
        let (status, body) = c.api(&site, "GET", path, Some(&viewer), None);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    };

    let list = get("/api/v1/incidents?limit=1");
    assert_eq!(list["incidents"][0]["id"], id.as_str());
    assert_eq!(list["incidents"][0]["level"], "critical");
    assert!(list["next_offset"].is_null(), "{list}");
    let one = get(&format!("/api/v1/incidents/{id}"));
    assert_eq!(
        one["incident"]["entry_point"],
        "Exchange ProxyShell URL pattern"
    );
    assert!(one["incident"]["summary"]["dwell"].is_object(), "{one}");
    let (status, _) = c.api(
        &site,
        "GET",
        "/api/v1/incidents/INC-NOPE",
        Some(&viewer),
        None,
    );
    assert_eq!(status, 404);

    let draft = get(&format!("/api/v1/incidents/{id}/breach"));
    assert!(
        draft["title"].is_string() || draft["title"].is_object(),
        "{draft}"
    );
    let (status, md) = c.api(
        &site,
        "GET",
        &format!("/api/v1/incidents/{id}/breach?format=markdown"),
        Some(&viewer),
        None,
    );
    assert_eq!(status, 200);
    assert!(md.starts_with('#') && md.contains("72"), "{md}");
    if cfg!(feature = "pdf") {
        let (status, kind, pdf) = c.api_bytes(
            &site,
            &format!("/api/v1/incidents/{id}/breach?format=pdf"),
            &viewer,
        );
        assert_eq!((status, kind.as_str()), (200, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-"));
    } else {
        let (status, _) = c.api(
            &site,
            "GET",
            &format!("/api/v1/incidents/{id}/breach?format=pdf"),
            Some(&viewer),
            None,
        );
        assert_eq!(status, 400);
    }
    let (status, _) = c.api(
        &site,
        "GET",
        &format!("/api/v1/incidents/{id}/breach?format=docx"),
        Some(&viewer),
        None,
    );
    assert_eq!(status, 400);

    let findings = get("/api/v1/assets/MAIL01/findings");
    let keys: Vec<&str> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["finding"]["kb"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2, "{findings}");
    assert!(findings["findings"][0]["exception"].is_null());
    let (status, _) = c.api(
        &site,
        "GET",
        "/api/v1/assets/NOPE/findings",
        Some(&viewer),
        None,
    );
    assert_eq!(status, 404);

    let action = format!(
        r#"{{"title": "Install KB5001779", "owner": "IT provider", "due": "2026-12-31", "incident": "{id}"}}"#
    );
    let (status, _) = c.api(&site, "POST", "/api/v1/plan", Some(&viewer), Some(&action));
    assert_eq!(status, 403);
    let (status, body) = c.api(
        &site,
        "POST",
        "/api/v1/plan",
        Some(&responder),
        Some(r#"{"title": "x", "owner": "", "due": "soon"}"#),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = c.api(
        &site,
        "POST",
        "/api/v1/plan",
        Some(&responder),
        Some(&action),
    );
    assert_eq!(status, 201, "{body}");
    let made: serde_json::Value = serde_json::from_str(&body).unwrap();
    let action_id = made["action"]["id"].as_i64().unwrap();
    assert_eq!(made["action"]["asset"], "MAIL01");
    let plan = get("/api/v1/plan");
    assert_eq!(plan["actions"][0]["action"], "Install KB5001779");
    let done = format!("/api/v1/plan/{action_id}/done");
    let (status, body) = c.api(
        &site,
        "POST",
        &done,
        Some(&responder),
        Some(r#"{"note": "installed"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = c.api(&site, "POST", &done, Some(&responder), None);
    assert_eq!(status, 409);
    assert!(
        get("/api/v1/plan")["actions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        get("/api/v1/plan?state=all")["actions"][0]["status"],
        "done"
    );
    let trail: Vec<String> = site
        .store()
        .trail_latest(2)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(trail, ["plan.done", "plan.add"]);
}

/// An invited user cannot sign in until they choose a password on the invitation's page; a weak or
/// mistyped one comes back with why; the link works once; the trail names the user.
#[test]
fn an_invited_user_chooses_a_password_once_through_the_link() {
    let site = Site::new();
    let secret = secret::random_hex().unwrap();
    site.store()
        .add_invited_user(
            &vigil_store::NewUser {
                name: "erin".into(),
                role: Role::Viewer,
                password_hash: vigil_store::INVITED.into(),
            },
            &secret::sha256_hex(&secret),
            Timestamp::now() + SignedDuration::from_hours(72),
            &vigil_store::TrailDraft::new("cli:admin", "user.invite", "user:erin", "role viewer"),
            Timestamp::now(),
        )
        .unwrap();
    let mut c = site.client();
    // Nothing verifies against an invited user's placeholder.
    assert_eq!(c.login(&site, "erin", vigil_store::INVITED).status, 401);
    let page = c.get(&site, &format!("/invite?token={secret}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("erin") && page.body.contains("viewer"),
        "{}",
        page.body
    );
    assert_eq!(c.get(&site, "/invite?token=0123").status, 404);
    let weak = c.post(
        &site,
        "/invite",
        &[
            ("token", &secret),
            ("password", "short"),
            ("again", "short"),
        ],
    );
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("too short"), "{}", weak.body);
    let typo = c.post(
        &site,
        "/invite",
        &[
            ("token", &secret),
            ("password", PASSWORD),
            ("again", "correct horse battery!"),
        ],
    );
    assert_eq!(typo.status, 400);
    assert!(typo.body.contains("differ"), "{}", typo.body);
    let set = c.post(
        &site,
        "/invite",
        &[
            ("token", &secret),
            ("password", PASSWORD),
            ("again", PASSWORD),
        ],
    );
    assert_eq!(set.status, 303);
    assert_eq!(set.header("location"), Some("/login?welcome=1"));
    let again = c.post(
        &site,
        "/invite",
        &[
            ("token", &secret),
            ("password", "another long one"),
            ("again", "another long one"),
        ],
    );
    assert_eq!(again.status, 404, "the link works once");
    let mut erin = site.client();
    assert_eq!(erin.login(&site, "erin", PASSWORD).status, 303);
    let entry = site.store().trail_latest(2).unwrap();
    assert!(
        entry
            .iter()
            .any(|e| e.actor == "erin" && e.action == "user.invite.accept"),
        "{entry:?}"
    );
}

/// `/users`: only an administrator sees and changes accounts and tokens; an invitation link and a
/// token are shown once and work; a revoked token and a disabled user are refused; an administrator
/// cannot disable themselves; a forged form is refused; every change is in the trail.
#[test]
fn an_administrator_manages_users_and_tokens_in_the_browser() {
    let site = Site::new();
    let mut vera = site.client();
    assert_eq!(vera.login(&site, "vera", PASSWORD).status, 303);
    assert_eq!(vera.get(&site, "/users").status, 403);
    let mut ada = site.client();
    assert_eq!(ada.login(&site, "ada", PASSWORD).status, 303);
    let page = ada.get(&site, "/users");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("vera") && page.body.contains("rita"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    assert_eq!(
        ada.post(
            &site,
            "/users/invite",
            &[
                ("csrf", "forged"),
                ("name", "x"),
                ("role", "viewer"),
                ("hours", "72")
            ]
        )
        .status,
        403
    );
    let invited = ada.post(
        &site,
        "/users/invite",
        &[
            ("csrf", &csrf),
            ("name", "erin"),
            ("role", "responder"),
            ("hours", "48"),
        ],
    );
    assert_eq!(invited.status, 200, "{}", invited.body);
    let start = invited
        .body
        .find("/invite?token=")
        .expect("the link is shown");
    let token: String = invited.body[start + "/invite?token=".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64);
    assert!(
        invited.body.contains(&site.url("/invite?token=")),
        "the console's own address: {}",
        invited.body
    );
    let too_long = ada.post(
        &site,
        "/users/invite",
        &[
            ("csrf", &csrf),
            ("name", "fay"),
            ("role", "viewer"),
            ("hours", "1000"),
        ],
    );
    assert_eq!(too_long.status, 400);
    assert!(too_long.body.contains("14 days"), "{}", too_long.body);
    let mut erin = site.client();
    let set = erin.post(
        &site,
        "/invite",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("again", PASSWORD),
        ],
    );
    assert_eq!(set.status, 303);
    assert_eq!(erin.login(&site, "erin", PASSWORD).status, 303);

    let made = ada.post(
        &site,
        "/tokens",
        &[
            ("csrf", &csrf),
            ("name", "IT provider's laptop"),
            ("role", "viewer"),
            ("days", "30"),
        ],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let at = made.body.find("vgl_").expect("the token is shown");
    let secret: String = made.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let c = site.client();
    assert_eq!(
        c.api(&site, "GET", "/api/v1/assets", Some(&secret), None).0,
        200
    );
    let id = site
        .store()
        .tokens()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "IT provider's laptop")
        .unwrap()
        .id;
    let revoked = ada.post(&site, &format!("/tokens/{id}/revoke"), &[("csrf", &csrf)]);
    assert_eq!(revoked.status, 303);
    assert_eq!(
        c.api(&site, "GET", "/api/v1/assets", Some(&secret), None).0,
        401
    );

    let me = ada.post(&site, "/users/ada/disable", &[("csrf", &csrf)]);
    assert_eq!(me.status, 400);
    let off = ada.post(&site, "/users/vera/disable", &[("csrf", &csrf)]);
    assert_eq!(off.status, 303);
    let mut vera = site.client();
    assert_eq!(vera.login(&site, "vera", PASSWORD).status, 401);
    assert_eq!(
        ada.post(&site, "/users/nobody/disable", &[("csrf", &csrf)])
            .status,
        404
    );
    let mut rita = site.client();
    assert_eq!(rita.login(&site, "rita", PASSWORD).status, 303);
    let rcsrf = rita.get(&site, "/overview").csrf();
    assert_eq!(
        rita.post(&site, "/users/vera/enable", &[("csrf", &rcsrf)])
            .status,
        403
    );

    let actions: Vec<String> = site
        .store()
        .trail_latest(20)
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == "ada")
        .map(|e| e.action)
        .collect();
    for want in [
        "user.invite",
        "token.create",
        "token.revoke",
        "user.disable",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want}: {actions:?}");
    }
    assert!(site.store().verify_trail().unwrap().broken.is_none());
}

/// `vigil investigate --server` and `vigil report patching --server` read these: the service's
/// investigation of its own detections (case summaries that read back as the CLI's type) and its
/// patching report, for any role; bad options are 400, an unknown asset 404, no token 401.
#[test]
fn the_investigation_and_the_patching_report_are_in_the_api() {
    let site = Site::new();
    let id = seed_investigated(&site);
    seed_findings(&site);
    let c = site.client();
    let (_, viewer) = site.token(Role::Viewer, None);
    let get = |path: &str| -> (u16, serde_json::Value) {
        let (status, body) = c.api(&site, "GET", path, Some(&viewer), None);
        (status, serde_json::from_str(&body).unwrap_or_default())
    };
    let (status, doc) = get("/api/v1/investigation");
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["schema"], "vigil.investigate/1");
    assert_eq!(doc["detections"], 3, "{doc}");
    assert_eq!(doc["incidents"][0]["id"], id.as_str(), "{doc}");
    let cases: Vec<vigil_pipeline::investigate::CaseSummary> =
        serde_json::from_value(doc["incidents"].clone()).unwrap();
    assert_eq!(cases[0].detections, 3);
    assert!(cases[0].entry_point.claim.contains("ProxyShell"), "{doc}");
    let (_, none) = get("/api/v1/investigation?asset=NOPE");
    assert_eq!(none["incidents"], serde_json::json!([]), "{none}");
    assert_eq!(none["detections"], 3, "{none}");
    let (_, strict) = get("/api/v1/investigation?min_level=critical&gap=1&lookback=0");
    assert_eq!(
        strict["incidents"][0]["highest_level"], "critical",
        "{strict}"
    );
    for bad in ["min_level=severe", "gap=0", "gap=99999", "lookback=4000"] {
        let (status, body) = get(&format!("/api/v1/investigation?{bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, _) = c.api(&site, "GET", "/api/v1/investigation", None, None);
    assert_eq!(status, 401);

    let (status, report) = get("/api/v1/patching");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["schema"], "vigil.patching/1");
    let assets: Vec<vigil_scan::posture::PatchingReport> =
        serde_json::from_value(report["assets"].clone()).unwrap();
    let mail = assets.iter().find(|a| a.asset.name == "MAIL01").unwrap();
    assert!(mail.open >= 1 && mail.overdue >= 1, "{report}");
    let (status, _) = get("/api/v1/patching?asset=NOPE");
    assert_eq!(status, 404);
    let (status, _) = get("/api/v1/patching?today=2026-13-40");
    assert_eq!(status, 400);
    let (status, dated) = get("/api/v1/patching?today=2020-01-01");
    assert_eq!((status, dated["today"].as_str()), (200, Some("2020-01-01")));
}

/// Status, content type and body of an answer.
fn bytes_of(r: &mut ureq::http::Response<ureq::Body>) -> (u16, String, Vec<u8>) {
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = r.body_mut().read_to_vec().unwrap_or_default();
    (r.status().as_u16(), kind, body)
}

/// The text of a PDF as `pdftotext` (poppler-utils, installed by `.ci/run`) reads it, words joined by
/// single spaces; `None`, saying so, when it is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("draft.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(o) => {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let text = String::from_utf8_lossy(&o.stdout);
            Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Err(e) => {
            eprintln!("pdftotext not available ({e}): the PDF's text is not checked");
            None
        }
    }
}

/// RFC 4648 base32 (no padding) to hex: the secret the account page shows, as the store keeps it.
fn base32_to_hex(s: &str) -> String {
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = String::new();
    for c in s.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .find(c)
            .expect("a base32 digit") as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push_str(&format!("{:02x}", (bits >> n) & 0xff));
        }
    }
    out
}

/// The text of the element with `id` (`<code id="secret">…</code>`).
fn element_text<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id}: {body}"))
        + id.len()
        + 6;
    &body[start..start + body[start..].find('<').unwrap()]
}

/// Any user changes their own password (the current one first; a wrong one counts as a failed
/// sign-in; their other sessions end) and sets up their second factor in the browser (active only
/// after a code from the app, which is used up), then turns it off with a code; an administrator
/// turns another user's off (a lost phone). All of it is in the trail.
#[test]
fn users_change_their_password_and_set_up_their_second_factor_in_the_browser() {
    use vigil_console::totp;
    use vigil_store::SecondFactorStore;
    let site = Site::new();
    let mut c = site.client();
    assert_eq!(c.login(&site, "vera", PASSWORD).status, 303);
    let mut other = site.client();
    assert_eq!(other.login(&site, "vera", PASSWORD).status, 303);
    let page = c.get(&site, "/account");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"totp-off\"") && page.body.contains("href=\"/account\""),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let forged = c.post(&site, "/account/password", &[("csrf", "x")]);
    assert_eq!(forged.status, 403);

    // The password: a wrong current one counts; a weak or mismatched new one is refused.
    let new_pw = "a much longer passphrase 2026";
    let wrong = c.post(
        &site,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current", "not it at all"),
            ("new", new_pw),
            ("again", new_pw),
        ],
    );
    assert!(wrong.body.contains("is wrong"), "{}", wrong.body);
    assert_eq!(site.store().user("vera").unwrap().unwrap().failed_logins, 1);
    let weak = c.post(
        &site,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current", PASSWORD),
            ("new", "short"),
            ("again", "other"),
        ],
    );
    assert!(weak.body.contains("differ"), "{}", weak.body);
    let changed = c.post(
        &site,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current", PASSWORD),
            ("new", new_pw),
            ("again", new_pw),
        ],
    );
    assert!(
        changed.body.contains("Your password is changed"),
        "{}",
        changed.body
    );
    assert_eq!(c.get(&site, "/overview").status, 200, "this session stays");
    assert_eq!(other.get(&site, "/overview").status, 303, "others end");
    assert_eq!(site.client().login(&site, "vera", PASSWORD).status, 401);
    assert_eq!(site.client().login(&site, "vera", new_pw).status, 303);

    // The second factor: a new secret, not active until a code from it is given.
    let started = c.post(&site, "/account/totp/start", &[("csrf", &csrf)]);
    let secret = base32_to_hex(element_text(&started.body, "secret"));
    assert!(
        element_text(&started.body, "uri").starts_with("otpauth://totp/vigil:vera?secret="),
        "{}",
        started.body
    );
    assert!(
        site.store().totp("vera").unwrap().is_none(),
        "not active yet"
    );
    let now = Timestamp::now();
    let step = totp::step_of(now);
    let bad = (totp::code_at(&secret, step)
        .unwrap()
        .parse::<u32>()
        .unwrap()
        + 500_000)
        % 1_000_000;
    let refused = c.post(
        &site,
        "/account/totp/confirm",
        &[("csrf", &csrf), ("code", &format!("{bad:06}"))],
    );
    assert!(
        refused.body.contains("The code is wrong"),
        "{}",
        refused.body
    );
    assert!(site.store().totp("vera").unwrap().is_none());
    let code = totp::code_at(&secret, step).unwrap();
    let on = c.post(
        &site,
        "/account/totp/confirm",
        &[("csrf", &csrf), ("code", &code)],
    );
    assert!(
        on.body.contains("id=\"totp-on\"") && !on.body.contains("id=\"secret\""),
        "{}",
        on.body
    );
    assert_eq!(
        site.store().totp("vera").unwrap().unwrap().secret_hex,
        secret
    );
    // The code that turned it on is used up: it cannot turn it off (nor sign in).
    let reused = c.post(
        &site,
        "/account/totp/remove",
        &[("csrf", &csrf), ("code", &code)],
    );
    assert!(reused.body.contains("used already"), "{}", reused.body);
    let next = totp::code_at(&secret, step + 1).unwrap();
    let off = c.post(
        &site,
        "/account/totp/remove",
        &[("csrf", &csrf), ("code", &next)],
    );
    assert!(off.body.contains("id=\"totp-off\""), "{}", off.body);
    assert!(site.store().totp("vera").unwrap().is_none());

    // An administrator turns another user's off; not a responder's to do.
    site.store()
        .set_totp(
            "vera",
            Some(&secret),
            &TrailDraft::new("cli:test", "user.totp.enrol", "user:vera", ""),
            Timestamp::now(),
        )
        .unwrap();
    let mut r = site.client();
    assert_eq!(r.login(&site, "rita", PASSWORD).status, 303);
    let csrf_r = r.get(&site, "/account").csrf();
    assert_eq!(
        r.post(&site, "/users/vera/totp-remove", &[("csrf", &csrf_r)])
            .status,
        403
    );
    let mut a = site.client();
    assert_eq!(a.login(&site, "ada", PASSWORD).status, 303);
    let users = a.get(&site, "/users");
    assert!(
        users.body.contains("id=\"totp-remove-vera\""),
        "{}",
        users.body
    );
    let done = a.post(&site, "/users/vera/totp-remove", &[("csrf", &users.csrf())]);
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(site.store().totp("vera").unwrap().is_none());

    let trail = site.store().trail_latest(50).unwrap();
    for (actor, action) in [
        ("vera", "login.failed"),
        ("vera", "user.password"),
        ("vera", "user.totp.enrol"),
        ("vera", "user.totp.remove"),
        ("ada", "user.totp.remove"),
    ] {
        assert!(
            trail.iter().any(|e| e.actor == actor && e.action == action),
            "{actor} {action}: {trail:?}"
        );
    }
}

/// The selectors of the top-level rules of a stylesheet (outside `@media` blocks).
fn selectors(css: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut head = String::new();
    for c in css.chars() {
        match c {
            '{' => {
                if depth == 0 && !head.trim_start().starts_with('@') {
                    let h = head.rsplit("*/").next().unwrap_or("").trim().to_string();
                    out.push(h);
                }
                depth += 1;
                head.clear();
            }
            '}' => {
                depth -= 1;
                head.clear();
            }
            c if depth == 0 || head.trim_start().starts_with('@') => head.push(c),
            _ => {}
        }
    }
    out
}

/// One look, said once: no rule of the console's own stylesheet restates a selector of the shared one.
#[test]
fn the_console_stylesheet_does_not_repeat_the_shared_one() {
    let shared = selectors(vigil_report::STYLESHEET);
    let own = selectors(include_str!("../assets/console.css"));
    assert!(shared.len() > 20 && own.len() > 20);
    let repeated: Vec<&String> = own.iter().filter(|s| shared.contains(s)).collect();
    assert!(repeated.is_empty(), "{repeated:?}");
}

/// Administrators see what the service is configured to do (as the service passed it, secrets
/// already left out, text escaped); other roles are refused and get no link to it.
#[test]
fn administrators_see_the_configuration_and_nobody_changes_it_here() {
    let site = Site::build_with(
        ThrottlePolicy::default(),
        vigil_console::coverage::CoverageBoard::default(),
        vigil_console::Configuration {
            file: Some("/etc/vigil/vigil.toml".into()),
            sections: vec![
                vigil_console::ConfigSection {
                    title: "Logs watched".into(),
                    rows: vec![("/var/log/<b>mail</b>.log".into(), "syslog, host mx1".into())],
                },
                vigil_console::ConfigSection {
                    title: "Where alerts go".into(),
                    rows: vec![],
                },
            ],
        },
    );
    let mut a = site.client();
    assert_eq!(a.login(&site, "ada", PASSWORD).status, 303);
    let page = a.get(&site, "/settings");
    assert_eq!(page.status, 200);
    for want in [
        "/etc/vigil/vigil.toml",
        "&#60;b&#62;mail&#60;/b&#62;",
        "syslog, host mx1",
        "Where alerts go",
        "None configured.",
        "href=\"/settings\"",
    ] {
        assert!(page.body.contains(want), "{want}: {}", page.body);
    }
    assert!(!page.body.contains("<b>mail"));
    assert!(
        !page
            .body
            .contains("<form method=\"post\" action=\"/settings")
    );
    for who in ["rita", "vera"] {
        let mut c = site.client();
        assert_eq!(c.login(&site, who, PASSWORD).status, 303);
        assert_eq!(c.get(&site, "/settings").status, 403, "{who}");
        assert!(
            !c.get(&site, "/overview")
                .body
                .contains("href=\"/settings\"")
        );
    }
}
