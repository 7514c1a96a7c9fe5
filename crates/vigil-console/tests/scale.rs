//! The console at the size of a practice with many servers: 50 assets, 10,000 open findings and 1,000
//! alerts. Ignored by default (it measures, and seeding takes a while in a debug build); run with
//! `cargo test -p vigil-console --release --test scale -- --ignored --nocapture`. The goal of the issue
//! is an overview under 200 ms of server time. Detection health (20 watched sources) and an incident
//! page with a timeline of 2,000 detections are measured beside it.

use jiff::{Span, Timestamp};
use std::time::{Duration, Instant};
use vigil_console::{ConsoleServer, ConsoleSettings, password, router, secret};
use vigil_model::{Asset, Ecosystem, Finding, Package, PackageLocation, Severity};
use vigil_store::HealthStore;
use vigil_store::prelude::*;
use vigil_store::{
    AlertSubject, NewAlert, NewToken, NewUser, Role, Snapshot, SqliteStore, TrailDraft,
};

const ASSETS: usize = 50;
const FINDINGS_PER_ASSET: usize = 200;
const ALERTS: usize = 1000;
const SOURCES: usize = 20;
const DETECTIONS: usize = 2000;

/// A running service's heartbeat naming [`SOURCES`] sources.
fn seed_detection(store: &mut SqliteStore) {
    use vigil_model::{HealthSnapshot, SourceSnapshot};
    let now = Timestamp::now();
    store
        .save_heartbeat(&HealthSnapshot {
            started_at: now,
            updated_at: now,
            heartbeat_secs: 5,
            sources: (0..SOURCES)
                .map(|i| SourceSnapshot {
                    name: format!("source-{i}"),
                    kind: "file".into(),
                    events: i as u64,
                    last_arrival: (i > 0).then_some(now),
                    ..SourceSnapshot::default()
                })
                .collect(),
            ..HealthSnapshot::default()
        })
        .unwrap();
}

/// [`DETECTIONS`] detections on srv00 over a day in six tactics, investigated and stored; the id.
fn seed_incident(store: &mut SqliteStore) -> String {
    use vigil_model::{Detection, Level, RecordRef, SourceRef};
    let t0: Timestamp = "2026-03-02T03:00:00Z".parse().unwrap();
    let tags = [
        "attack.t1190",
        "attack.t1505.003",
        "attack.t1110",
        "attack.t1114.002",
        "attack.t1041",
        "attack.t1059",
    ];
    let dets: Vec<Detection> = (0..DETECTIONS)
        .map(|i| Detection {
            rule_id: format!("rule-{}", i % tags.len()),
            rule_title: format!("rule {}", i % tags.len()),
            level: if i == 0 { Level::Critical } else { Level::High },
            tags: vec![tags[i % tags.len()].into()],
            timestamp: Some(t0 + jiff::SignedDuration::from_secs(i as i64 * 43)),
            first_seen: None,
            host: Some("srv00".into()),
            sources: vec![SourceRef {
                file: "mail.log".into(),
                record: RecordRef::Line(i as u64 + 1),
                generation: None,
            }],
            matched: vec![],
        })
        .collect();
    store.save_detections(&dets).unwrap();
    let (grouping, cve_map) =
        vigil_pipeline::breach::regroup(store, vigil_pipeline::breach::BreachOptions::default())
            .unwrap();
    let k = vigil_pipeline::investigate::knowledge(store, cve_map).unwrap();
    let cases = vigil_investigate::investigate(&grouping, &k, None);
    vigil_pipeline::investigate::save_cases(store, &cases).unwrap();
    cases[0].incident.id.clone()
}

fn finding(asset: &str, i: usize, today: jiff::civil::Date) -> Finding {
    Finding {
        asset: asset.into(),
        package: Package {
            ecosystem: Ecosystem::new("PyPI"),
            name: format!("package-{i}"),
            version: "1.0".into(),
            purl: None,
            source_name: None,
            location: PackageLocation {
                file: "requirements.txt".into(),
                line: Some(i as u32),
            },
        },
        advisories: vec![format!("GHSA-{i:04}")],
        aliases: vec![format!("CVE-2025-{i:05}")],
        summary: Some(format!("vulnerability {i}")),
        severity: Severity::High,
        cvss_score: Some(7.5),
        cvss_vector: None,
        known_exploited: false,
        kev_due: None,
        epss: None,
        fixed_versions: vec!["2.0".into()],
        kb: None,
        fix_released: today.checked_sub(Span::new().days(60)).ok(),
        due: today.checked_sub(Span::new().days((i % 90) as i64)).ok(),
    }
}

#[test]
#[ignore = "measures; run in release with --ignored --nocapture"]
fn overview_and_api_at_scale() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let mut store = SqliteStore::open(&db).unwrap();
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    for a in 0..ASSETS {
        let name = format!("srv{a:02}");
        store
            .save_snapshot(&Snapshot {
                asset: Asset {
                    name: name.clone(),
                    tags: vec![],
                },
                taken_at: Timestamp::now(),
                inputs: vec!["requirements.txt".into()],
                packages: vec![],
                findings: (0..FINDINGS_PER_ASSET)
                    .map(|i| finding(&name, i, today))
                    .collect(),
                last_update: None,
            })
            .unwrap();
    }
    for i in 0..ALERTS {
        store
            .raise_alert(
                &NewAlert {
                    dedup_key: format!("incident:{i}"),
                    subject: AlertSubject::Incident,
                    reference: i.to_string(),
                    severity: vigil_model::Level::High,
                    title: format!("incident {i}"),
                    asset: Some(format!("srv{:02}", i % ASSETS)),
                    evidence: vec![],
                },
                Timestamp::now(),
                None,
            )
            .unwrap();
    }
    seed_detection(&mut store);
    let incident = seed_incident(&mut store);
    store
        .add_user(
            &NewUser {
                name: "ada".into(),
                role: Role::Admin,
                password_hash: password::hash("correct horse battery").unwrap(),
            },
            &TrailDraft::new("cli:test", "user.add", "user:ada", ""),
            Timestamp::now(),
        )
        .unwrap();
    let token = secret::new_api_token().unwrap();
    store
        .add_token(
            &NewToken {
                name: "bench".into(),
                role: Role::Viewer,
                hash: secret::sha256_hex(&token),
                expires_at: None,
            },
            &TrailDraft::new("cli:test", "token.create", "", ""),
            Timestamp::now(),
        )
        .unwrap();
    let settings = ConsoleSettings {
        tls: false,
        ..ConsoleSettings::default()
    };
    let server = ConsoleServer::start(
        "127.0.0.1:0".parse().unwrap(),
        router(SqliteStore::open(&db).unwrap(), settings),
        None,
    )
    .unwrap();
    let base = format!("http://{}", server.local_addr());
    let agent = vigil_testkit::console::agent(None);
    let session =
        vigil_testkit::console::sign_in(&agent, &base, "ada", "correct horse battery").unwrap();

    let page_times = |path: &str, expect: &str| {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            let mut page = agent
                .get(format!("{base}{path}"))
                .header("Cookie", &session)
                .call()
                .unwrap();
            let html = page.body_mut().read_to_string().unwrap();
            times.push(t.elapsed());
            assert!(html.contains(expect), "{path}: {html}");
        }
        times.sort();
        (times[times.len() / 2], times[times.len() - 1])
    };
    let (median, max) = page_times("/overview", "srv49");
    eprintln!(
        "overview ({ASSETS} assets, {} findings, {ALERTS} alerts): median {median:?}, max {max:?}",
        ASSETS * FINDINGS_PER_ASSET,
    );
    let (m, x) = page_times("/detection", "source-19");
    eprintln!("detection health ({SOURCES} sources, {ALERTS} alerts): median {m:?}, max {x:?}");
    let (m, x) = page_times(&format!("/incidents/{incident}"), "incident-chart");
    eprintln!("incident page, timeline of {DETECTIONS} detections: median {m:?}, max {x:?}");

    let n = 200;
    let t = Instant::now();
    for i in 0..n {
        let r = agent
            .get(format!(
                "{base}/api/v1/alerts?state=all&limit=100&offset={}",
                (i * 100) % 900
            ))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let elapsed = t.elapsed();
    eprintln!(
        "API: {n} pages of 100 alerts in {elapsed:?} ({:.0} requests/s, one client)",
        n as f64 / elapsed.as_secs_f64()
    );
    assert!(median < Duration::from_secs(5));
}
