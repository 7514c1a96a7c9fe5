//! `vigil coverage`: the technique states on the bundled examples (table and JSON), and the HTML
//! grid as a person sees it, rendered by headless Chromium (skipped with a message when no
//! Chromium is installed), with everything from the input escaped and nothing loaded from outside.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;

use support::browser::{chromium, headless};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env("VIGIL_NO_CACHE", "1")
        .env_remove("VIGIL_CONFIG")
        .env_remove("VIGIL_RULES")
        .args(["-q", "coverage"])
        .args(args)
        .output()
        .expect("run vigil")
}

fn technique<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["techniques"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] == id))
        .unwrap_or_else(|| panic!("{id} not in the coverage"))
}

#[test]
fn linux_mail_server_states() {
    let out = vigil(&["--format", "json", "examples/linux-mail"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Dovecot and Postfix rules see brute force and spraying.
    for id in ["T1110", "T1110.003", "T1078"] {
        assert_eq!(technique(&r, id)["state"], "covered", "{id}");
    }
    // PowerShell rules exist but a Linux mail log cannot feed them.
    let ps = technique(&r, "T1059.001");
    assert_eq!(ps["state"], "blind");
    assert_eq!(ps["firing"], 0);
    assert!(ps["blind"].as_u64().unwrap() > 0);
    // Every mail-server technique of the list is there, with its name.
    let t1114 = technique(&r, "T1114.003");
    assert_eq!(t1114["name"], "Email Collection: Email Forwarding Rule");
    assert_eq!(t1114["mail_server"], true);
}

#[test]
fn a_gap_names_what_blinds_a_technique() {
    let out = vigil(&["--format", "json", "examples/exchange-2021"]);
    assert_eq!(out.status.code(), Some(3));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ps = technique(&r, "T1059.001");
    assert!(
        ps["blinded_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "windows-powershell-script-block"),
        "{ps}"
    );
    let table = String::from_utf8(vigil(&["examples/exchange-2021"]).stdout).unwrap();
    assert!(table.starts_with("TECHNIQUE"), "{table}");
    assert!(table.contains("T1505.003"), "{table}");
}

#[test]
fn coverage_grid_renders_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("coverage.html");
    let out = vigil(&[
        "--format",
        "html",
        "--asset",
        "<script>alert(1)</script>mx1",
        "-o",
        page.to_str().unwrap(),
        "examples/linux-mail",
    ]);
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 3));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script>alert"),
        "the asset name is not escaped"
    );
    // Escaped as the templates escape (askama writes character references).
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;mx1"));
    assert!(
        !html.contains("http://") && !html.contains("src="),
        "external resource"
    );

    let Some(browser) = chromium() else {
        eprintln!("chromium not installed: the browser check of the coverage page was skipped");
        return;
    };
    let profile = dir.path().join("profile");
    let page_url = format!("file://{}", page.display());
    let dom = headless(&browser, &profile, &["--dump-dom", &page_url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The grid: a tile per technique, coloured by its state.
    for id in [
        "T1190",
        "T1110.003",
        "T1505.003",
        "T1114.003",
        "T1041",
        "T1567",
    ] {
        assert!(
            dom.contains(&format!("data-technique=\"{id}\"")),
            "{id} not in the grid"
        );
    }
    assert!(dom.contains("data-state=\"covered\""), "no covered tile");
    assert!(dom.contains("data-state=\"blind\""), "no blind tile");
    assert!(dom.contains("What vigil can see on"), "no heading");
    assert!(
        !dom.contains("<script>alert"),
        "script injected into the DOM"
    );
}
