//! The console at the size of a practice with many servers: 50 assets, 10,000 open findings and 1,000
//! alerts. Ignored by default (it measures, and seeding takes a while in a debug build); run with
//! `cargo test -p vigil-console --release --test scale -- --ignored --nocapture`. The goal of the issue
//! is an overview under 200 ms of server time.

use jiff::{Span, Timestamp};
use std::time::{Duration, Instant};
use vigil_console::{ConsoleServer, ConsoleSettings, password, router, secret};
use vigil_model::{Asset, Ecosystem, Finding, Package, PackageLocation, Severity};
use vigil_store::prelude::*;
use vigil_store::{
    AlertSubject, NewAlert, NewToken, NewUser, Role, Snapshot, SqliteStore, TrailDraft,
};

const ASSETS: usize = 50;
const FINDINGS_PER_ASSET: usize = 200;
const ALERTS: usize = 1000;

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

    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let mut page = agent
            .get(format!("{base}/overview"))
            .header("Cookie", &session)
            .call()
            .unwrap();
        let html = page.body_mut().read_to_string().unwrap();
        times.push(t.elapsed());
        assert!(html.contains("srv49"));
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "overview ({ASSETS} assets, {} findings, {ALERTS} alerts): median {median:?}, max {:?}",
        ASSETS * FINDINGS_PER_ASSET,
        times[times.len() - 1]
    );

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
