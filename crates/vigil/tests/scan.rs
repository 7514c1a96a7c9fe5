//! `vigil scan`, `vigil status` and `vigil report patching` end to end on the bundled Exchange example.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vigil(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("VIGIL_CONFIG")
        .env("XDG_CONFIG_HOME", db.parent().unwrap())
        .env("NO_COLOR", "1")
        .current_dir(db.parent().unwrap())
        .output()
        .expect("run vigil")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// A store with the example's knowledge imported, in a fresh temporary folder.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let k = repo().join("examples/exchange-2021/knowledge");
    for sub in ["msrc-cvrf", "kev"] {
        let o = vigil(&db, &["db", "import", k.join(sub).to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    (dir, db)
}

fn inventory() -> String {
    repo()
        .join("examples/exchange-2021/inventory/MAIL01.json")
        .display()
        .to_string()
}

#[test]
fn the_exchange_example_reports_three_overdue_updates_in_json() {
    let (_dir, db) = setup();
    let o = vigil(
        &db,
        &[
            "scan",
            &inventory(),
            "--today",
            "2021-08-02",
            "--format",
            "json",
            "--no-store",
        ],
    );
    // Windows updates and the out-of-support CU could not be assessed: the scan says so with exit 3.
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("the assessment is incomplete"));
    let doc = json(&o);
    assert_eq!(doc["schema"], "vigil.scan/1");
    assert_eq!(doc["today"], "2021-08-02");
    assert_eq!(doc["assets"][0]["name"], "MAIL01");
    let mut got: Vec<(String, i64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kb"].as_str().unwrap().to_string(),
                f["days_overdue"].as_i64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("5000871".to_string(), 139),
            ("5001779".to_string(), 97),
            ("5003435".to_string(), 69)
        ]
    );
    let apr = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kb"] == "5001779")
        .unwrap();
    for key in [
        "fix_released",
        "due",
        "fixed_versions",
        "known_exploited",
        "severity",
        "package",
    ] {
        assert!(!apr[key].is_null(), "{key} in {apr}");
    }
    assert_eq!(apr["fix_released"], "2021-04-13");
    assert_eq!(apr["due"], "2021-04-27");
    assert_eq!(apr["package"]["location"]["line"], 13);
    let cves: Vec<&str> = apr["cves"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(cves.contains(&"CVE-2021-34473") && cves.contains(&"CVE-2021-34523"));
    let notes = doc["not_assessed"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["reason"].as_str().unwrap().starts_with("[unsupported]"))
    );
    assert!(notes.iter().any(|n| {
        n["reason"]
            .as_str()
            .unwrap()
            .contains("Windows Server 2019")
    }));
    assert_eq!(doc["summary"]["overdue"], 3);
    assert_eq!(doc["summary"]["by_severity"]["critical"], 2);
}

#[test]
fn the_table_is_plain_when_piped_and_ends_with_what_was_not_assessed() {
    let (_dir, db) = setup();
    let o = vigil(
        &db,
        &["scan", &inventory(), "--today", "2021-08-13", "--no-store"],
    );
    assert_eq!(o.status.code(), Some(3), "not everything was assessed");
    let text = stdout(&o);
    assert!(!text.contains('\x1b'), "no colour when piped");
    assert!(text.contains("CRITICAL (2)"), "{text}");
    assert!(text.contains("108 days overdue"), "{text}");
    let tail = text.rsplit("NOT ASSESSED").next().unwrap();
    assert!(
        tail.contains("[unsupported]") && tail.contains("[no-knowledge]"),
        "{text}"
    );
    // The not-assessed section is the last one.
    assert!(text.find("NOT ASSESSED").unwrap() > text.find("HIGH (1)").unwrap());
}

#[test]
fn fail_on_sets_the_exit_status() {
    let (_dir, db) = setup();
    let inv = inventory();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            inv.as_str(),
            "--today",
            "2021-08-02",
            "--no-store",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        vigil(&db, &args).status.code()
    };
    assert_eq!(run(&["--fail-on", "critical"]), Some(1));
    assert_eq!(run(&["--fail-on", "low"]), Some(1));
    // Ignore both critical updates: only the high May update is left.
    let ignore = db.parent().unwrap().join("ignore.toml");
    std::fs::write(
        &ignore,
        "[[ignore]]\nid = \"KB5000871\"\nreason = \"test\"\nexpires = 2030-01-01\n\
         [[ignore]]\nid = \"KB5001779\"\nreason = \"test\"\nexpires = 2030-01-01\n",
    )
    .unwrap();
    let ig = ignore.to_str().unwrap();
    // Nothing at or above the gate, but not everything was assessed: never a pass.
    assert_eq!(
        run(&["--fail-on", "critical", "--ignore-file", ig]),
        Some(3)
    );
    assert_eq!(run(&["--fail-on", "high", "--ignore-file", ig]), Some(1));
    // An ignore entry without a reason is refused (fatal configuration error).
    std::fs::write(
        &ignore,
        "[[ignore]]\nid = \"KB5000871\"\nexpires = 2030-01-01\n",
    )
    .unwrap();
    assert_eq!(run(&["--ignore-file", ig]), Some(4));
    // A target that cannot be read: the scan goes on and says so (exit 3).
    let missing = db.parent().unwrap().join("nope.lock");
    let o = vigil(
        &db,
        &[
            "scan",
            &inv,
            missing.to_str().unwrap(),
            "--today",
            "2021-08-02",
            "--no-store",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("nope.lock"));
}

#[test]
fn snapshots_track_first_seen_and_resolution_for_status_and_reports() {
    let (dir, db) = setup();
    let o = vigil(
        &db,
        &[
            "scan",
            &inventory(),
            "--today",
            "2021-08-02",
            "--tag",
            "internet-facing",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let o = vigil(&db, &["status", "--today", "2021-08-13", "--json"]);
    let doc = json(&o);
    assert_eq!(doc["schema"], "vigil.status/1");
    let a = &doc["assets"][0];
    assert_eq!(a["asset"]["name"], "MAIL01");
    assert_eq!(a["asset"]["tags"][0], "internet-facing");
    assert_eq!(a["open"], 3);
    assert_eq!(a["overdue"], 3);
    assert_eq!(a["worst_overdue_days"], 150);
    assert!(a["worst"].as_str().unwrap().contains("KB5000871"));

    let o = vigil(
        &db,
        &[
            "report",
            "patching",
            "--asset",
            "MAIL01",
            "--today",
            "2021-08-13",
            "--json",
        ],
    );
    let doc = json(&o);
    let r = &doc["assets"][0];
    assert_eq!(r["open"], 3);
    assert_eq!(r["overdue"], 3);
    assert_eq!(r["open_by_severity"]["critical"], 2);
    assert_eq!(r["oldest_unapplied_fix"]["fix_released"], "2021-03-02");
    assert_eq!(r["oldest_unapplied_fix"]["days_available"], 164);
    assert_eq!(r["last_update"]["date"], "2021-02-10");
    assert_eq!(r["last_update"]["days_ago"], 184);
    assert!(r["mean_days_to_remediate"].is_null());

    // A month later the May update is installed (build 15.2.792.15): all three are resolved.
    let text = std::fs::read_to_string(inventory())
        .unwrap()
        .replace("\"15.2.792.3\"", "\"15.2.792.15\"")
        .replace("2021-08-02T09:00:00Z", "2021-09-01T09:00:00Z");
    let later = dir.path().join("MAIL01-later.json");
    std::fs::write(&later, text).unwrap();
    let o = vigil(
        &db,
        &["scan", later.to_str().unwrap(), "--today", "2021-09-01"],
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = vigil(
        &db,
        &["report", "patching", "--today", "2021-09-01", "--json"],
    );
    let r = &json(&o)["assets"][0];
    assert_eq!(r["snapshots"], 2);
    assert_eq!(r["open"], 0);
    assert_eq!(r["resolved"], 3);
    assert_eq!(r["mean_days_to_remediate"], 30.0);
    // (183 + 141 + 113) / 3 days from the fixes' releases to 2021-09-01.
    let latency = r["mean_patch_latency_days"].as_f64().unwrap();
    assert!((latency - 437.0 / 3.0).abs() < 1e-9, "{latency}");
    assert_eq!(r["last_update"]["evidence"], "finding resolved");
    assert_eq!(r["last_update"]["date"], "2021-09-01");
    // The tags were kept from the first scan.
    assert_eq!(r["asset"]["tags"][0], "internet-facing");

    // An older snapshot stored after a newer one takes its place in time: the report is printed and the
    // history stays true (the latest snapshot by collection time still has nothing open).
    let o = vigil(&db, &["scan", &inventory(), "--today", "2021-08-02"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("KB5001779"));
    let o = vigil(
        &db,
        &["report", "patching", "--today", "2021-09-01", "--json"],
    );
    let r = &json(&o)["assets"][0];
    assert_eq!(r["snapshots"], 3);
    assert_eq!(r["open"], 0);
    assert_eq!(r["resolved"], 3);

    let o = vigil(&db, &["report", "patching", "--asset", "NOPE"]);
    assert_eq!(o.status.code(), Some(4));
    // A store with no asset has measured nothing: said, and exit 3, in text and JSON.
    let empty = dir.path().join("empty.db");
    let o = vigil(&empty, &["report", "patching"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stdout(&o).contains("no patching was measured"),
        "{}",
        stdout(&o)
    );
    let o = vigil(&empty, &["report", "patching", "--json"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["assets"], serde_json::json!([]));
    let o = vigil(&db, &["status", "--today", "2021-09-01"]);
    assert!(stdout(&o).contains("MAIL01"));
}

#[test]
fn no_store_keeps_the_store_free_of_assets() {
    let (_dir, db) = setup();
    let o = vigil(
        &db,
        &["scan", &inventory(), "--no-store", "--today", "2021-08-02"],
    );
    assert_eq!(o.status.code(), Some(3));
    let o = vigil(&db, &["status", "--json"]);
    assert_eq!(json(&o)["assets"].as_array().unwrap().len(), 0);
    let o = vigil(&db, &["scan"]);
    assert_eq!(o.status.code(), Some(4), "nothing to scan");
}

/// A folder with nothing vigil can inventory is not a clean bill of health.
#[test]
fn a_folder_with_nothing_recognised_is_not_an_all_clear() {
    let (dir, db) = setup();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let unrelated = dir.path().join("unrelated");
    std::fs::create_dir(&unrelated).unwrap();
    std::fs::write(unrelated.join("settings.json"), r#"{"theme": "dark"}"#).unwrap();
    std::fs::write(unrelated.join("notes.json"), "[1, 2, 3]").unwrap();
    for target in [&empty, &unrelated] {
        let o = vigil(
            &db,
            &[
                "scan",
                target.to_str().unwrap(),
                "--no-store",
                "--fail-on",
                "low",
            ],
        );
        let text = stdout(&o);
        assert_eq!(o.status.code(), Some(3), "{text}");
        assert!(text.contains("Nothing was assessed"), "{text}");
        assert!(!text.contains("No known vulnerabilities"), "{text}");
        assert!(!text.contains("every input was read"), "{text}");
        let o = vigil(
            &db,
            &[
                "scan",
                target.to_str().unwrap(),
                "--no-store",
                "--format",
                "json",
            ],
        );
        assert_eq!(o.status.code(), Some(3));
        assert!(!json(&o)["not_assessed"].as_array().unwrap().is_empty());
    }
}

/// With no knowledge for what is installed, nothing could be matched: no gate may pass.
#[test]
fn an_empty_knowledge_base_never_passes_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let o = vigil(
        &db,
        &[
            "scan",
            lock.to_str().unwrap(),
            "--no-store",
            "--fail-on",
            "critical",
        ],
    );
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(text.contains("knowledge base is empty"), "{text}");
}

/// Knowledge older than the staleness limit: findings may be missing, so no gate passes.
#[test]
fn stale_knowledge_never_passes_the_gate() {
    let (dir, db) = setup();
    let conf = dir.path().join("vigil");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("vigil.toml"), "[knowledge]\nmax_age_hours = 0\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let o = vigil(
        &db,
        &[
            "scan",
            &inventory(),
            "--no-store",
            "--format",
            "json",
            "--today",
            "2021-08-02",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    let doc = json(&o);
    let notes = doc["not_assessed"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["reason"]
            .as_str()
            .unwrap()
            .starts_with("[stale-knowledge]")),
        "{notes:?}"
    );
}

/// Deadlines measured on a past day: updates released after it did not exist then and are not findings.
#[test]
fn updates_released_after_the_day_assessed_are_not_findings() {
    let (_dir, db) = setup();
    let o = vigil(
        &db,
        &[
            "scan",
            &inventory(),
            "--today",
            "2021-04-20",
            "--no-store",
            "--format",
            "json",
        ],
    );
    let doc = json(&o);
    let kbs: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kb"].as_str())
        .collect();
    assert!(
        kbs.contains(&"5000871") && kbs.contains(&"5001779"),
        "{kbs:?}"
    );
    assert!(
        !kbs.contains(&"5003435"),
        "May 2021 update listed on 20 April: {kbs:?}"
    );
}

/// Exceptions made in the console (kept in the store) act as the ignore file's entries do: the
/// gate of `vigil scan` no longer counts the findings they cover, and `vigil status` shows them
/// beside the counts, which still include them (an exception is not a fix).
#[test]
fn exceptions_made_in_the_console_apply_to_scan_and_status() {
    use vigil_store::prelude::*;
    let (_dir, db) = setup();
    let inv = inventory();
    let o = vigil(
        &db,
        &["scan", &inv, "--today", "2021-08-02", "--format", "json"],
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    {
        let mut store = vigil_store::SqliteStore::open(&db).unwrap();
        let asset = store.assets().unwrap().remove(0).asset.name;
        for f in store.findings(&asset, false).unwrap() {
            let (advisory, package) = vigil_pipeline::exceptions::target(&f.finding);
            if advisory == "KB5000871" || advisory == "KB5001779" {
                store
                    .add_exception_recorded(
                        &vigil_store::NewException {
                            asset: asset.clone(),
                            advisory,
                            package: Some(package),
                            reason: "test".into(),
                            expires: "2030-01-01".parse().unwrap(),
                        },
                        jiff::Timestamp::now(),
                        "rita",
                    )
                    .unwrap();
            }
        }
        assert_eq!(store.exceptions(None).unwrap().len(), 2);
    }
    let run = |gate: &str| {
        vigil(
            &db,
            &[
                "scan",
                &inv,
                "--today",
                "2021-08-02",
                "--no-store",
                "--format",
                "json",
                "--fail-on",
                gate,
            ],
        )
        .status
        .code()
    };
    // As with the file: nothing critical is left, but not everything was assessed (3); the high
    // May update still trips a high gate.
    assert_eq!(run("critical"), Some(3));
    assert_eq!(run("high"), Some(1));
    let status = stdout(&vigil(&db, &["status", "--today", "2021-08-02"]));
    assert!(
        status.contains(": 2 open finding(s) with an exception in force"),
        "{status}"
    );
    let doc = json(&vigil(&db, &["status", "--today", "2021-08-02", "--json"]));
    assert_eq!(doc["assets"][0]["ignored"], 2, "{doc}");
}
