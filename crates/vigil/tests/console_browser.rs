//! The console in a real browser: headless Chromium driven through the DevTools protocol (a small
//! client over a WebSocket) signs in, sees the overview, opens an alert, acknowledges it and finds the
//! entry in the audit trail, fills in the controller on an incident's breach-notification draft, saves
//! it and exports the draft with it, opens detection health and an incident's timeline chart — with
//! the page's own CSP in force. Screenshots of each page (and the
//! overview at a phone's width) go to `target/console-screenshots/`. Skipped, saying so, when no
//! Chromium is installed.

mod support;

use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};
use vigil_store::prelude::*;
use vigil_store::{AlertSubject, Evidence, NewAlert, NewUser, Role, SqliteStore, TrailDraft};

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(20);

/// One browser tab over the DevTools protocol.
struct Cdp {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next: u64,
}

impl Cdp {
    fn raw_call(
        ws: &mut WebSocket<MaybeTlsStream<TcpStream>>,
        id: u64,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Value {
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        ws.send(Message::text(msg.to_string()))
            .expect("send to the browser");
        loop {
            let m = ws.read().expect("read from the browser");
            let Ok(text) = m.to_text() else { continue };
            let v: Value = serde_json::from_str(text).expect("DevTools JSON");
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    fn open(browser_ws: &str) -> Cdp {
        let (mut ws, _) = tungstenite::connect(browser_ws).expect("DevTools WebSocket");
        let target = Self::raw_call(
            &mut ws,
            1,
            None,
            "Target.createTarget",
            json!({ "url": "about:blank" }),
        );
        let attached = Self::raw_call(
            &mut ws,
            2,
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        let session = attached["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        let mut cdp = Cdp {
            ws,
            session,
            next: 3,
        };
        cdp.call("Page.enable", json!({}));
        cdp
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let session = self.session.clone();
        Self::raw_call(&mut self.ws, self.next, Some(&session), method, params)
    }

    fn eval(&mut self, expression: &str) -> Value {
        self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        )["result"]["value"]
            .clone()
    }

    /// Waits until the tab shows `path`, fully loaded.
    fn wait_for(&mut self, path: &str) {
        let start = Instant::now();
        loop {
            let state = self.eval("document.readyState + ' ' + location.pathname");
            if state == json!(format!("complete {path}")) {
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "the browser never reached {path}: {state}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn go(&mut self, url: &str, path: &str) {
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for(path);
    }

    fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn screenshot(&mut self, dir: &Path, name: &str) {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true }),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 PNG");
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

fn screenshots_dir() -> PathBuf {
    // target/debug/deps/<test> → target/console-screenshots
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn launch(browser: &Path, profile: &Path) -> (Child, String) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            // The test CA is not in the browser's store; the TLS itself is tested with ureq.
            "--ignore-certificate-errors",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let ws = loop {
        let line = lines
            .next()
            .expect("chromium ended before its DevTools address")
            .unwrap();
        if let Some(at) = line.find("ws://") {
            break line[at..].trim().to_string();
        }
    };
    // Keep draining stderr so the browser never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, ws)
}

/// Two scanned servers: one with an overdue Exchange update, one up to date.
fn seed_assets(store: &mut SqliteStore) {
    use vigil_model::{Asset, Ecosystem, Finding, Package, PackageLocation, Severity};
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let finding = |asset: &str, name: &str, kb: &str, summary: &str, overdue_days: i64| Finding {
        asset: asset.into(),
        package: Package {
            ecosystem: Ecosystem::new("Windows"),
            name: name.into(),
            version: "15.1.2176.2".into(),
            purl: None,
            source_name: None,
            location: PackageLocation {
                file: "inventory.json".into(),
                line: None,
            },
        },
        advisories: vec![format!("KB{kb}")],
        aliases: vec!["CVE-2021-34473".into()],
        summary: Some(summary.into()),
        severity: Severity::Critical,
        cvss_score: Some(9.8),
        cvss_vector: None,
        known_exploited: true,
        kev_due: None,
        epss: None,
        fixed_versions: vec!["15.1.2176.9".into()],
        kb: Some(kb.into()),
        fix_released: today
            .checked_sub(jiff::Span::new().days(overdue_days + 14))
            .ok(),
        due: today.checked_sub(jiff::Span::new().days(overdue_days)).ok(),
    };
    for (asset, findings) in [
        (
            "MAIL01",
            vec![finding(
                "MAIL01",
                "Exchange Server 2016",
                "5001779",
                "Exchange Server remote code execution (ProxyShell)",
                41,
            )],
        ),
        ("FILE01", vec![]),
    ] {
        store
            .save_snapshot(&vigil_store::Snapshot {
                asset: Asset {
                    name: asset.into(),
                    tags: vec!["patient-data".into()],
                },
                taken_at: Timestamp::now(),
                inputs: vec!["inventory.json".into()],
                packages: vec![],
                findings,
                last_update: None,
            })
            .unwrap();
    }
}

/// A stored critical detection on MAIL01, so that there is an incident to draft a notice for; its id.
fn seed_incident(store: &mut SqliteStore) -> String {
    use vigil_model::{Detection, RecordRef, SourceRef};
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
        store,
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

/// Two more detections of the incident (a web shell, a mailbox export) and the incident stored as
/// `vigil investigate` stores it, so that its page draws a timeline.
fn seed_timeline(store: &mut SqliteStore) {
    use vigil_model::{Detection, Level, RecordRef, SourceRef};
    let det = |rule: &str, tag: &str, at: &str, line| Detection {
        rule_id: rule.into(),
        rule_title: rule.into(),
        level: Level::High,
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
    store
        .save_detections(&[
            det(
                "Web shell written",
                "attack.t1505.003",
                "2026-03-02T03:20:00Z",
                13,
            ),
            det(
                "Mailbox export",
                "attack.t1114.002",
                "2026-03-02T05:00:00Z",
                14,
            ),
        ])
        .unwrap();
    let (dets, dismissed) = vigil_pipeline::investigate::stored(store).unwrap();
    let cve_map = vigil_pipeline::rules::load_cve_map();
    let grouping = vigil_pipeline::investigate::group(&dets, &dismissed, 30, Level::High, &cve_map);
    let k = vigil_pipeline::investigate::knowledge(store, cve_map).unwrap();
    let cases = vigil_investigate::investigate(&grouping, &k, None);
    vigil_pipeline::investigate::save_cases(store, &cases).unwrap();
}

/// A running service's heartbeat: one source bringing events, one never heard from.
fn seed_heartbeat(store: &mut SqliteStore) {
    use vigil_model::{HealthSnapshot, SourceSnapshot};
    let now = Timestamp::now();
    vigil_store::HealthStore::save_heartbeat(
        store,
        &HealthSnapshot {
            started_at: now - jiff::SignedDuration::from_hours(2),
            updated_at: now,
            heartbeat_secs: 5,
            pid: 4242,
            events: 1200,
            sources: vec![
                SourceSnapshot {
                    name: "mail".into(),
                    kind: "file".into(),
                    files: 1,
                    events: 1200,
                    events_per_min: 14,
                    last_event: Some(now),
                    last_arrival: Some(now),
                    ..SourceSnapshot::default()
                },
                SourceSnapshot {
                    name: "owa".into(),
                    kind: "file".into(),
                    ..SourceSnapshot::default()
                },
            ],
            ..HealthSnapshot::default()
        },
    )
    .unwrap();
}

#[test]
fn a_person_signs_in_acknowledges_an_alert_and_finds_it_in_the_trail() {
    let Some(browser) = support::browser::chromium() else {
        eprintln!("skipped: no Chromium installed (.ci/run installs the Debian package)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let mut store = SqliteStore::open(&db).unwrap();
    store
        .add_user(
            &NewUser {
                name: "ada".into(),
                role: Role::Admin,
                password_hash: vigil_console::password::hash(PASSWORD).unwrap(),
            },
            &TrailDraft::new("cli:test", "user.add", "user:ada", "role admin"),
            Timestamp::now(),
        )
        .unwrap();
    store
        .raise_alert(
            &NewAlert {
                dedup_key: "incident:7".into(),
                subject: AlertSubject::Incident,
                reference: "7".into(),
                severity: vigil_model::Level::Critical,
                title: "Exchange ProxyShell exploitation on MAIL01 <script>alert(1)</script>"
                    .into(),
                asset: Some("MAIL01".into()),
                evidence: vec![
                    Evidence::new("rule", "Exchange ProxyShell URL pattern"),
                    Evidence::new("first seen", "2026-03-02 03:14 UTC"),
                ],
            },
            Timestamp::now(),
            None,
        )
        .unwrap();
    seed_assets(&mut store);
    let incident = seed_incident(&mut store);
    seed_timeline(&mut store);
    seed_heartbeat(&mut store);
    let ca = vigil_testkit::tls::TestCa::new();
    let server = vigil_console::ConsoleServer::start(
        "127.0.0.1:0".parse().unwrap(),
        vigil_console::router(
            SqliteStore::open(&db).unwrap(),
            vigil_console::ConsoleSettings::default(),
        ),
        Some(ca.server_config()),
    )
    .unwrap();
    let base = format!("https://localhost:{}", server.local_addr().port());
    let profile = tempfile::tempdir().unwrap();
    let (mut chromium, ws) = launch(&browser, profile.path());
    let shots = screenshots_dir();
    let mut tab = Cdp::open(&ws);

    tab.go(&format!("{base}/overview"), "/login");
    tab.screenshot(&shots, "login");
    // The stylesheet loaded under the CSP: the header has the band colour of vigil's one look
    // (the reports' header has it too).
    assert_eq!(
        tab.eval("getComputedStyle(document.querySelector('header')).backgroundColor"),
        json!("rgb(31, 42, 55)")
    );
    tab.eval(&format!(
        "document.querySelector('[name=name]').value = 'ada';
         document.querySelector('[name=password]').value = '{PASSWORD}';
         document.querySelector('form.card button').click(); true"
    ));
    tab.wait_for("/overview");
    let overview = tab.text();
    assert!(
        overview.contains("Overview") && overview.contains("Open alerts: 1"),
        "{overview}"
    );
    tab.screenshot(&shots, "overview");
    tab.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
    );
    tab.go(&format!("{base}/overview"), "/overview");
    assert!(
        tab.eval("document.documentElement.scrollWidth <= window.innerWidth + 1") == json!(true),
        "the overview fits a phone's width"
    );
    tab.screenshot(&shots, "overview-phone");
    tab.call("Emulation.clearDeviceMetricsOverride", json!({}));

    tab.go(&format!("{base}/alerts"), "/alerts");
    assert!(
        tab.text().contains("<script>alert(1)</script>"),
        "hostile text shown as text"
    );
    assert_eq!(
        tab.eval("document.querySelectorAll('main script').length"),
        json!(0)
    );
    tab.screenshot(&shots, "alerts");
    tab.eval("document.querySelector('tbody a').click(); true");
    tab.wait_for("/alerts/1");
    tab.eval("document.querySelector('form[action$=\"/ack\"] [name=note]').value = 'isolating MAIL01'; document.getElementById('ack').click(); true");
    let start = Instant::now();
    while tab.eval("document.readyState + (document.getElementById('state') || {}).innerText")
        != json!("completeacknowledged")
    {
        assert!(
            start.elapsed() < WAIT,
            "the acknowledgement never showed: {}",
            tab.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(tab.text().contains("acknowledged by ada"));
    tab.screenshot(&shots, "alert-acknowledged");

    tab.go(&format!("{base}/trail"), "/trail");
    let trail = tab.text();
    assert!(
        trail.contains("Intact")
            && trail.contains("alert.acknowledge")
            && trail.contains("isolating MAIL01"),
        "{trail}"
    );
    tab.screenshot(&shots, "trail");

    // Detection health, from the navigation: running, and the source never heard from said so.
    tab.eval("document.querySelector('nav a[href=\"/detection\"]').click(); true");
    tab.wait_for("/detection");
    let health = tab.text();
    assert!(
        health.contains("Detection is running")
            && health.contains("never produced an event")
            && health.contains("never verified by a self-test"),
        "{health}"
    );
    tab.screenshot(&shots, "health");

    // The incident's timeline: an SVG under the CSP, styled by the stylesheet, one mark a detection.
    let page = format!("/incidents/{incident}");
    tab.go(&format!("{base}{page}"), &page);
    assert_eq!(
        tab.eval("document.querySelectorAll('#incident-chart circle.mark').length"),
        json!(3)
    );
    assert_eq!(
        tab.eval("getComputedStyle(document.querySelector('#incident-chart .wave')).fillOpacity"),
        json!("0.08")
    );
    assert!(
        tab.eval("document.getElementById('incident-chart').getBoundingClientRect().height > 100")
            == json!(true)
    );
    tab.screenshot(&shots, "incident-chart");
    // On a phone the page keeps its width; the chart keeps a readable size and scrolls in its box.
    tab.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
    );
    tab.go(&format!("{base}{page}"), &page);
    assert!(
        tab.eval("document.documentElement.scrollWidth <= window.innerWidth + 1") == json!(true),
        "the incident page fits a phone's width"
    );
    assert!(
        tab.eval("document.getElementById('incident-chart').getBoundingClientRect().width >= 600")
            == json!(true),
        "the chart is not shrunk to illegible"
    );
    tab.screenshot(&shots, "incident-chart-phone");
    tab.call("Emulation.clearDeviceMetricsOverride", json!({}));

    // The breach-notification draft: the controller filled in, saved, and in the Markdown export.
    let breach = format!("/incidents/{incident}/breach");
    tab.go(&format!("{base}{breach}"), &breach);
    assert!(
        tab.text()
            .contains("[to be completed by the controller: name and address of the controller]"),
        "{}",
        tab.text()
    );
    tab.eval(
        "document.getElementById('f-organisation').value = 'Harbour Street Clinic, 1 Harbour St';
         document.getElementById('f-controller_contact').value = 'Dana Hale, 01481 700 700';
         document.getElementById('save-record').click(); true",
    );
    let start = Instant::now();
    while tab
        .eval("document.readyState + ((document.getElementById('saved') || {}).innerText || '')")
        .as_str()
        .is_none_or(|t| !t.starts_with("completeSaved by ada"))
    {
        assert!(
            start.elapsed() < WAIT,
            "the record was never saved: {}",
            tab.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        tab.text()
            .contains("Controller: Harbour Street Clinic, 1 Harbour St"),
        "the draft shows it: {}",
        tab.text()
    );
    tab.screenshot(&shots, "breach");
    let md = tab.call(
        "Runtime.evaluate",
        json!({
            "expression": "fetch(document.getElementById('md').href).then(async r => r.status + ' ' + r.headers.get('content-disposition') + '\\n' + await r.text())",
            "awaitPromise": true,
            "returnByValue": true,
        }),
    )["result"]["value"]
        .clone();
    let md = md.as_str().unwrap_or_default();
    assert!(
        md.starts_with("200 attachment")
            && md.contains("Harbour Street Clinic, 1 Harbour St")
            && md.contains("Dana Hale, 01481 700 700"),
        "{md}"
    );

    // The HTML download, opened as the file it is: the same look as the console (one stylesheet).
    let html = tab.call(
        "Runtime.evaluate",
        json!({
            "expression": "fetch(document.getElementById('html').href).then(r => r.text())",
            "awaitPromise": true,
            "returnByValue": true,
        }),
    )["result"]["value"]
        .clone();
    let file = profile.path().join("breach-notice.html");
    std::fs::write(&file, html.as_str().unwrap_or_default()).unwrap();
    let path = file.to_str().unwrap().to_string();
    tab.go(&format!("file://{path}"), &path);
    assert_eq!(
        tab.eval("getComputedStyle(document.querySelector('header')).backgroundColor"),
        json!("rgb(31, 42, 55)"),
        "the report's header has the console's band colour"
    );
    assert!(
        tab.text().contains("Harbour Street Clinic, 1 Harbour St"),
        "{}",
        tab.text()
    );
    tab.screenshot(&shots, "breach-download");

    let _ = chromium.kill();
    let _ = chromium.wait();
    eprintln!("screenshots in {}", shots.display());
}
