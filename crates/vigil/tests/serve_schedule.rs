//! `vigil serve` runs its scheduled jobs beside the log watch: an `[[inventory]]` folder holding the
//! bundled Exchange 2021 inventory, scanned against the example knowledge (`vigil db import`), raises
//! one alert per missing update on a real webhook receiver; stopping the service stops the jobs.

mod support;

use std::path::Path;
use std::time::Duration;
use support::serve::{start, stop, vigil};
use vigil_testkit::http::HttpReceiver;

const RULE: &str = "title: Test rule
id: 0f6a4f54-0000-4000-8000-0000000000cc
status: test
author: tester
logsource:
    product: linux
detection:
    selection:
        event_action: never_seen
    condition: selection
level: high
";

#[test]
fn an_inventory_folder_is_scanned_on_schedule_and_its_findings_alerted_once() {
    scanned_on_schedule(true);
}

/// Patch tracking without logs: `[[inventory]]` alone runs the scheduled jobs.
#[test]
fn an_inventory_alone_is_a_valid_service() {
    scanned_on_schedule(false);
}

fn scanned_on_schedule(with_watch: bool) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let inbox = d.join("inventory");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(
        repo.join("examples/exchange-2021/inventory/MAIL01.json"),
        inbox.join("MAIL01.json"),
    )
    .unwrap();
    std::fs::write(d.join("mail.log"), "").unwrap();
    std::fs::write(d.join("rule.yml"), RULE).unwrap();
    let hook = HttpReceiver::start();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "{watch}[[inventory]]\npath = {inbox:?}\n\n\
             [schedule]\nscan = \"6h\"\ndb_update = \"off\"\ndigest = \"off\"\n\n\
             [knowledge]\nmax_age_hours = 1000000\n\n\
             [[alert.webhook]]\nurl = {hook:?}\n\n\
             [serve]\nrules = [{rule:?}]\npoll_ms = 20\nmetrics = \"off\"\n",
            watch = if with_watch {
                format!(
                    "[[watch]]\npath = {:?}\nformat = \"syslog\"\n\n",
                    d.join("mail.log").display().to_string()
                )
            } else {
                String::new()
            },
            inbox = inbox.display().to_string(),
            hook = hook.url("/hook"),
            rule = d.join("rule.yml").display().to_string(),
        ),
    )
    .unwrap();
    let import = vigil(d)
        .args(["db", "import"])
        .arg(repo.join("examples/exchange-2021/knowledge"))
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    let child = start(d);
    let got = hook.wait_for(3, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    let bodies: Vec<serde_json::Value> = hook
        .requests()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    // With or without logs, the service beats: `vigil status` tells it is running.
    let status = vigil(d).arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    stop(child);
    assert!(text.contains("SERVICE running"), "{text}");
    assert_eq!(got.len(), 3, "{bodies:#?}");
    assert_eq!(bodies.len(), 3, "one alert per missing update: {bodies:#?}");
    for b in &bodies {
        assert_eq!(b["alert"]["subject"], "finding", "{b:#}");
        assert_eq!(b["alert"]["asset"], "MAIL01", "{b:#}");
    }
    let titles: Vec<&str> = bodies
        .iter()
        .filter_map(|b| b["alert"]["title"].as_str())
        .collect();
    for kb in ["KB5000871", "KB5001779", "KB5003435"] {
        assert_eq!(
            titles.iter().filter(|t| t.contains(kb)).count(),
            1,
            "{titles:?}"
        );
    }
}
