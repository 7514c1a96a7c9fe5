//! `vigil audit` end to end on the bundled scenarios (examples/): the binary with a temporary store and
//! report directory. The scenarios are the repository's own data (invented organisations), read in place.
//! The whole bundled rule set is loaded: a hunt of the Exchange scenario takes about a second in a debug
//! build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn audit(db: &Path, out: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_CONFIG")
        .arg("--db")
        .arg(db)
        .arg("audit")
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn vigil(db: &Path, args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

const EXCHANGE: &[&str] = &[
    "--asset",
    "MAIL01",
    "--incident",
    "examples/exchange-2021/incident.toml",
    "--knowledge",
    "examples/exchange-2021/knowledge",
    "--dismiss",
    "*@MSExchange_Management.jsonl:1",
    "examples/exchange-2021",
];

#[test]
fn exchange_scenario_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let out = dir.path().join("report");
    let (code, stdout, stderr) = audit(&db, &out, EXCHANGE);
    // Windows updates, the out-of-support CU and the unknown SU could not be assessed from the
    // example's knowledge: the audit says so and exits 3 (never 0 with something unassessed).
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stderr.contains("the audit is incomplete"), "{stderr}");

    // The overdue updates, as of the day of awareness (2021-11-29).
    for (kb, days) in [("KB5000871", 258), ("KB5001779", 216), ("KB5003435", 188)] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(kb))
            .unwrap_or_else(|| panic!("{kb} missing:\n{stdout}"));
        assert!(line.contains(&format!("{days} days overdue")), "{line}");
    }
    // One incident, entered through ProxyShell, on the scanner's probe of 2021-08-12.
    assert_eq!(stdout.matches("INC-").count(), 1, "{stdout}");
    assert!(stdout.contains("INC-MAIL01-20210812T211403Z"), "{stdout}");
    let entry = stdout.lines().find(|l| l.contains("entry point:")).unwrap();
    assert!(
        entry.contains("ProxyShell") && entry.contains("2021-08-12 21:14:03"),
        "{entry}"
    );
    // Root cause: the April and May 2021 updates, with the days overdue at the entry point.
    assert!(
        stdout.contains("KB5001779 missing")
            && stdout.contains("107 days overdue at the entry point"),
        "{stdout}"
    );
    assert!(stdout.contains("KB5003435 missing"), "{stdout}");
    assert!(
        !stdout.contains("KB5000871 missing"),
        "ProxyLogon was not the way in"
    );
    assert!(stdout.contains("108 d 13 h 25 min 57 s"), "{stdout}");
    assert!(
        stdout.contains("notify by:    2021-12-02 10:40:00 UTC"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 detection(s) dismissed"),
        "the leaver's export: {stdout}"
    );

    for f in [
        "report.md",
        "report.html",
        "timeline.csv",
        "timeline.jsonl",
        "findings.sarif",
        "breach-notice.md",
        "breach-notice.html",
    ] {
        assert!(out.join(f).is_file(), "{f} not written");
    }
    assert_eq!(
        out.join("breach-notice.pdf").is_file(),
        cfg!(feature = "pdf"),
        "the PDF draft is written when the feature is built"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.find("Summary").unwrap() < html.find("Timeline").unwrap(),
        "summary first"
    );
    assert!(
        html.contains("<svg") && html.contains("<circle"),
        "timeline chart"
    );
    assert!(html.contains("class=\"sortable\""));
    assert!(html.contains("KB5001779"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url(")
    );
    let breach = std::fs::read_to_string(out.join("breach-notice.md")).unwrap();
    assert!(breach.contains("2021-12-02 10:40:00 UTC"));
    assert!(
        breach.contains("referrals@clinic.example.org")
            && breach.contains("reception@clinic.example.org")
    );
    assert!(breach.contains(
        "[to be completed by the controller: data protection officer name, phone, e-mail]"
    ));
    let csv = std::fs::read_to_string(out.join("timeline.csv")).unwrap();
    assert!(
        csv.starts_with("datetime,timestamp_desc,message"),
        "{}",
        &csv[..80.min(csv.len())]
    );
    // Evidence is the relevant fields with the record cited, not whole raw JSON records.
    assert!(
        !csv.contains("\"\"EventRecordID\"\""),
        "raw JSON in the timeline"
    );
    assert!(!breach.contains("EventRecordID"), "raw JSON in the notice");
    assert!(
        csv.contains("c-ip=203.0.113.77"),
        "the attacker's address from the record"
    );
    assert!(
        csv.contains("New-MailboxExportRequest -Mailbox \"\"referrals@clinic.example.org\"\""),
        "the cmdlet and its parameters"
    );
    // The CU was out of support at the entry: upgrade, then the latest SU — not KB installs for CU8.
    assert!(
        breach.contains("Upgrade Exchange Server 2019 CU8 on MAIL01 to a supported cumulative update, then install the latest security update"),
        "{breach}"
    );
    assert!(!breach.contains("- Install KB"), "{breach}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("findings.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    // The incident and the triage are in the store: investigate and report breach work from it.
    let (code, inv) = vigil(
        &db,
        &[
            "investigate",
            "--incident",
            "examples/exchange-2021/incident.toml",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        inv.contains("INC-MAIL01-20210812T211403Z") && inv.contains("KB5001779 missing"),
        "{inv}"
    );
    let (code, notice) = vigil(
        &db,
        &[
            "report",
            "breach",
            "INC-MAIL01-20210812T211403Z",
            "--incident",
            "examples/exchange-2021/incident.toml",
            "--format",
            "html",
        ],
    );
    assert_eq!(code, 0);
    assert!(notice.contains("<!DOCTYPE html>") && notice.contains("2021-12-02 10:40:00 UTC"));
    // The same draft as PDF, to a file: a PDF reader finds the deadline in it.
    if cfg!(feature = "pdf") {
        let pdf = dir.path().join("notice.pdf");
        let (code, _) = vigil(
            &db,
            &[
                "report",
                "breach",
                "INC-MAIL01-20210812T211403Z",
                "--incident",
                "examples/exchange-2021/incident.toml",
                "--format",
                "pdf",
                "--output",
                pdf.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0);
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        match Command::new("pdftotext").arg(&pdf).arg("-").output() {
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout);
                let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(
                    flat.contains("Notify the supervisory authority by: 2021-12-02 10:40:00 UTC")
                        && flat.contains("KB5001779"),
                    "{flat}"
                );
            }
            Err(e) => eprintln!("pdftotext not available ({e}): the PDF's text is not checked"),
        }
    }
    let (code, _) = vigil(&db, &["report", "breach", "INC-NOPE"]);
    assert_eq!(code, 4);

    // Without the triage (here: an incident record without its `dismissed` list), the leaver's export a
    // day earlier opens the incident.
    let db2 = dir.path().join("v2.db");
    let record =
        std::fs::read_to_string(repo().join("examples/exchange-2021/incident.toml")).unwrap();
    let start = record
        .find("dismissed = [")
        .expect("the example record has a dismissed list");
    let end = start + record[start..].find("\n]\n").unwrap() + 3;
    let untriaged = dir.path().join("incident.toml");
    std::fs::write(
        &untriaged,
        format!("{}{}", &record[..start], &record[end..]),
    )
    .unwrap();
    let untriaged = untriaged.display().to_string();
    let args = [
        "--asset",
        "MAIL01",
        "--incident",
        untriaged.as_str(),
        "--knowledge",
        "examples/exchange-2021/knowledge",
        "--inventory",
        "examples/exchange-2021/inventory/MAIL01.json",
        "--logs",
        "examples/exchange-2021/logs",
    ];
    let (code, stdout, _) = audit(&db2, &dir.path().join("r2"), &args);
    assert_eq!(code, 3);
    assert!(stdout.contains("INC-MAIL01-20210811T142237Z"), "{stdout}");
}

#[test]
fn plan_actions_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let (c, out) = vigil(
        &db,
        &[
            "plan",
            "add",
            "Install KB5001779 on MAIL01",
            "--owner",
            "MSP",
            "--due",
            "2021-12-03",
        ],
    );
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("action 1 recorded"));
    let (_, list) = vigil(&db, &["plan", "list", "--today", "2021-12-10"]);
    assert!(
        list.contains("due 2021-12-03 (7 days overdue)") && list.contains("MSP"),
        "{list}"
    );
    let (_, status) = vigil(&db, &["status", "--today", "2021-12-10"]);
    assert!(status.contains("7 days overdue"), "{status}");
    assert_eq!(vigil(&db, &["plan", "done", "1"]).0, 0);
    assert_eq!(vigil(&db, &["plan", "done", "1"]).0, 4, "already done");
    let (_, list) = vigil(&db, &["plan", "list"]);
    assert!(list.contains("No remedial actions open"), "{list}");
}

#[test]
fn linux_scenario_findings_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let out = dir.path().join("report");
    let (code, stdout, stderr) = audit(&db, &out, &["examples/linux-mail"]);
    // The example's knowledge has no CISA KEV data: known-exploited flags are not assessed (exit 3).
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("roots: examples/linux-mail/root"),
        "{stderr}"
    );
    assert!(
        stderr.contains("incident record: examples/linux-mail/incident.toml"),
        "{stderr}"
    );
    // Both binary packages of the openssl source package, as of awareness (2022-04-13).
    for (adv, pkg, days) in [
        ("DSA-4963-1", "openssl", 218),
        ("DSA-4963-1", "libssl1.1", 218),
        ("DSA-5103-1", "openssl", 15),
    ] {
        assert!(
            stdout.lines().any(|l| l.contains(adv)
                && l.contains(&format!(" {pkg} "))
                && l.contains(&format!("{days} days overdue"))),
            "{adv} {pkg}: {stdout}"
        );
    }
    assert!(
        stdout.starts_with("\nmx1 —"),
        "asset named by the incident record: {stdout}"
    );
    assert!(out.join("report.html").is_file());
}

/// The Linux scenario: the password spray across three addresses opens the incident; the entry point is
/// the attacker's login from an address that sprayed, the root cause is password guessing (no software
/// vulnerability), and the dwell time runs from the first rejected password, not from the time the spray
/// correlation fired.
#[test]
fn linux_scenario_incident_and_root_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = audit(
        &dir.path().join("v.db"),
        &dir.path().join("r"),
        &["examples/linux-mail"],
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(stdout.contains("INC-MX1-20220412T"), "{stdout}");
    assert!(
        stdout.contains("Initial Access → Credential Access"),
        "{stdout}"
    );
    // The spray came from three addresses of one network, none trying eight names an hour: the
    // network-level rule is the one that ties the login to it.
    assert!(
        stdout.contains("Successful Login From An Address That Sprayed Passwords")
            || stdout.contains("Successful Login From A Network That Sprayed Passwords"),
        "{stdout}"
    );
    assert!(stdout.contains("password guessing"), "{stdout}");
    assert!(
        stdout.contains("1 d 8 h 21 min 43 s (first malicious event 2022-04-12 01:03:17 UTC"),
        "{stdout}"
    );
    assert!(stdout.contains("DSA-4963-1"), "{stdout}");
    assert!(stdout.contains("218 days overdue"), "{stdout}");
    assert!(
        stdout.contains("notify by:    2022-04-16 09:25:00 UTC"),
        "{stdout}"
    );
    let report = std::fs::read_to_string(dir.path().join("r/report.md")).unwrap();
    let timeline = std::fs::read_to_string(dir.path().join("r/timeline.csv")).unwrap();
    assert!(
        timeline.contains("Password Spraying Across Many Accounts"),
        "{timeline}"
    );
    assert!(
        report.contains("Dovecot Successful Login From An Address That Sprayed Passwords")
            || report.contains("Dovecot Successful Login From A Network That Sprayed Passwords"),
        "{report}"
    );
    assert!(dir.path().join("r/breach-notice.md").is_file());
}

/// Hostile text in log fields and in the incident title never reaches the breach notice, the reports or
/// the timeline exports as markup or terminal control sequences; the evidence shows fields, not raw
/// records.
#[test]
fn hostile_log_fields_and_title_are_escaped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    // A successful ProxyShell request whose user agent and query carry markup and ESC/BEL bytes.
    let line = "2021-08-12 21:14:03 10.20.1.25 GET /autodiscover/autodiscover.json \
                @evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp&x=<script>alert(1)</script>\u{1b}]0;owned\u{7}\u{1b}[2J \
                443 - 203.0.113.45 <img+src=x+onerror=alert(1)>\u{1b}[31m\u{7} - 200 0 0 42";
    std::fs::write(
        logs.join("u_ex210812.log"),
        format!(
            "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-08-12 00:00:00\r\n\
             #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n{line}\r\n"
        ),
    )
    .unwrap();
    let record = dir.path().join("incident.toml");
    std::fs::write(
        &record,
        "title = \"MAIL01 <script>alert('t')</script> <img src=x onerror=alert(2)> \\u001b[2J\\u0007\"\n\
         aware_at = \"2021-08-20T10:00:00Z\"\nassets = [\"MAIL01\"]\n",
    )
    .unwrap();
    let out = dir.path().join("report");
    let (code, stdout, stderr) = audit(
        &dir.path().join("v.db"),
        &out,
        &[
            "--incident",
            record.to_str().unwrap(),
            "--logs",
            logs.to_str().unwrap(),
        ],
    );
    assert!(code == 0 || code == 3, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("INC-MAIL01-20210812T211403Z"),
        "{stdout}\n{stderr}"
    );
    for (name, markup_allowed) in [
        ("breach-notice.md", false),
        ("report.md", false),
        ("timeline.csv", true),
        ("timeline.jsonl", true),
        ("breach-notice.html", false),
        ("report.html", false),
    ] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{name} keeps control characters"
        );
        assert!(
            !text.contains("\\u001b") && !text.contains("\\u0007"),
            "{name} keeps escaped control characters"
        );
        if !markup_allowed {
            for bad in ["<script>alert", "<img src", "<img+src"] {
                assert!(!text.contains(bad), "{name} carries {bad:?}");
            }
        }
    }
    let notice = std::fs::read_to_string(out.join("breach-notice.md")).unwrap();
    assert!(notice.contains("&lt;script&gt;"), "escaped, not dropped");
    // Evidence by field, with the record cited.
    assert!(notice.contains("c-ip=203.0.113.45"), "{notice}");
    assert!(notice.contains(r"u\_ex210812.log line 5"), "{notice}");
}

/// An audit given no logs, or logs with no event, cannot conclude "no incident".
#[test]
fn no_incident_is_never_concluded_from_no_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let empty_logs = dir.path().join("logs");
    std::fs::create_dir(&empty_logs).unwrap();
    std::fs::write(empty_logs.join("mail.log"), "").unwrap();
    let (code, stdout, stderr) = audit(
        &dir.path().join("v.db"),
        &dir.path().join("r"),
        &[
            "--asset",
            "MAIL01",
            "--inventory",
            "examples/exchange-2021/inventory/MAIL01.json",
            "--logs",
            empty_logs.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stdout.contains("No incident can be concluded"), "{stdout}");
    assert!(!stdout.contains("No incident found"), "{stdout}");
}

/// An investigation of a store holding no detection concludes nothing either way: it says so and
/// exits 3, in text and in JSON, never "No incident" with 0.
#[test]
fn investigating_an_empty_store_is_not_an_all_clear() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let (code, out) = vigil(&db, &["investigate"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("Nothing to investigate") && !out.contains("No incident"),
        "{out}"
    );
    let (code, out) = vigil(&db, &["investigate", "--json"]);
    assert_eq!(code, 3, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["detections"], 0, "{doc}");
    assert_eq!(doc["incidents"], serde_json::json!([]), "{doc}");
}
