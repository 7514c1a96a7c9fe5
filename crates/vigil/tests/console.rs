//! The console from the command line: users and tokens made with `vigil user` / `vigil token`,
//! `vigil alerts ack` recorded in the trail, `vigil trail verify` catching a row edited in the SQLite
//! file, and a real `vigil serve` serving the console over TLS with a self-signed certificate whose
//! fingerprint it prints.

mod support;

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::serve::{free_port, vigil};

const PASSWORD: &str = "a long enough password";

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = vigil(dir)
        .args(args)
        .env("USER", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vigil");
    {
        let mut input = child.stdin.take().unwrap();
        // A command refused before it reads its input (a usage error) closes the pipe first.
        if let Some(s) = stdin
            && let Err(e) = input.write_all(s.as_bytes())
        {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    support::text(o)
}

fn setup(dir: &Path) {
    std::fs::write(dir.join("vigil.toml"), "").unwrap();
    let o = run(
        dir,
        &["user", "add", "ada", "--role", "admin", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn users_tokens_and_acknowledgements_are_in_a_trail_that_catches_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let o = run(
        d,
        &["user", "add", "ada", "--role", "viewer", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exists already"),
        "{}",
        text(&o)
    );
    let o = run(
        d,
        &["user", "add", "bob", "--role", "viewer", "--password-stdin"],
        Some("short\n"),
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let o = run(d, &["user", "add", "bob", "--role", "viewer"], None);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--password-stdin"),
        "{}",
        text(&o)
    );
    let o = run(
        d,
        &["user", "add", "bob", "--role", "root", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(run(d, &["user", "disable", "ada"], None).status.success());
    let list = run(d, &["user", "list"], None);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("disabled"),
        "{}",
        text(&list)
    );
    assert_eq!(
        run(d, &["user", "disable", "nobody"], None).status.code(),
        Some(4)
    );

    let o = run(
        d,
        &[
            "token",
            "create",
            "--name",
            "grafana",
            "--role",
            "viewer",
            "--expires",
            "30d",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(token.starts_with("vgl_") && token.len() == 68, "{token}");
    let list = run(d, &["token", "list"], None);
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(
        listed.contains("grafana") && listed.contains("valid until") && !listed.contains(&token),
        "{listed}"
    );
    assert!(run(d, &["token", "revoke", "1"], None).status.success());
    assert!(String::from_utf8_lossy(&run(d, &["token", "list"], None).stdout).contains("revoked"));

    {
        use vigil_store::AlertStore;
        let mut store = vigil_store::SqliteStore::open(&d.join("vigil.db")).unwrap();
        store
            .raise_alert(
                &vigil_store::NewAlert {
                    dedup_key: "incident:1".into(),
                    subject: vigil_store::AlertSubject::Incident,
                    reference: "1".into(),
                    severity: vigil_model::Level::High,
                    title: "t".into(),
                    asset: None,
                    evidence: vec![],
                },
                jiff::Timestamp::now(),
                None,
            )
            .unwrap();
    }
    let o = run(
        d,
        &["alerts", "ack", "1", "--by", "dana", "--note", "on it"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));

    let o = run(d, &["trail", "verify"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("intact: 5 entries"),
        "{}",
        text(&o)
    );
    let o = run(d, &["trail", "export"], None);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.add",
            "user.disable",
            "token.create",
            "token.revoke",
            "alert.acknowledge"
        ]
    );
    assert_eq!(lines[4]["actor"], "cli:dana");
    assert_eq!(lines[4]["detail"], "on it");
    assert_eq!(lines[0]["actor"], "cli:tester");

    let head = lines[4]["hash"].as_str().unwrap().to_string();
    let verified = run(d, &["trail", "verify"], None);
    assert!(
        String::from_utf8_lossy(&verified.stdout).contains(&format!("head {head}")),
        "verify prints the head to keep"
    );
    let o = run(d, &["trail", "verify", "--expect-head", &head], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Someone with the file rewrites who acknowledged, without recomputing the hash: caught at the
    // entry.
    let raw = rusqlite::Connection::open(d.join("vigil.db")).unwrap();
    raw.execute_batch(
        "DROP TRIGGER trail_no_update; UPDATE trail SET actor = 'cli:nobody' WHERE seq = 5;",
    )
    .unwrap();
    let o = run(d, &["trail", "verify"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("entry 5"),
        "{}",
        text(&o)
    );

    // The same rewrite with the hash and the head recomputed is consistent in itself (the limit
    // docs/console.md names); the head kept elsewhere catches it.
    let (at, prev): (i64, String) = raw
        .query_row("SELECT at, prev_hash FROM trail WHERE seq = 5", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let forged = vigil_store::trail::entry_hash(
        5,
        at,
        "cli:nobody",
        "alert.acknowledge",
        "alert:1",
        "on it",
        &prev,
    );
    raw.execute_batch(&format!(
        "UPDATE trail SET hash = '{forged}' WHERE seq = 5; UPDATE trail_head SET hash = '{forged}';"
    ))
    .unwrap();
    drop(raw);
    assert_eq!(run(d, &["trail", "verify"], None).status.code(), Some(0));
    let o = run(d, &["trail", "verify", "--expect-head", &head], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("no longer in the chain"),
        "{}",
        text(&o)
    );
}

#[test]
fn serve_offers_the_console_over_tls_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    assert!(run(d, &["user", "enable", "ada"], None).status.success());
    let port = free_port(true);
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[serve]\nmetrics = \"127.0.0.1:{port}\"\n\n[[watch]]\npath = {:?}\nformat = \"syslog\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
            log.display().to_string()
        ),
    )
    .unwrap();
    let mut child = vigil(d)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let stop = |child: std::process::Child| {
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(
        line.contains(&format!("console=127.0.0.1:{port}")),
        "{line}"
    );
    let cert_pem = std::fs::read_to_string(d.join("console-cert.pem")).unwrap();
    let agent = vigil_testkit::console::agent(Some(&cert_pem));
    let base = format!("https://localhost:{port}");
    let session = vigil_testkit::console::sign_in(&agent, &base, "ada", PASSWORD)
        .expect("signed in over TLS");
    assert!(session.starts_with("__Host-vigil="), "{session}");
    let mut page = agent
        .get(format!("{base}/overview"))
        .header("Cookie", &session)
        .call()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.body_mut()
            .read_to_string()
            .unwrap()
            .contains("Watching since")
    );
    // The metrics asked on the same address are served by the console.
    assert_eq!(
        agent
            .get(format!("{base}/metrics"))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    // Plain HTTP on the TLS port gets no page.
    let plain = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    assert!(
        plain
            .get(format!("http://127.0.0.1:{port}/login"))
            .call()
            .is_err()
    );
    let out = stop(child);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SHA-256 fingerprint") && err.contains("self-signed, made now"),
        "{err}"
    );
}

#[test]
fn plain_http_beyond_loopback_is_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("vigil.toml"),
        "[http]\nlisten = \"0.0.0.0:8080\"\ntls = false\n",
    )
    .unwrap();
    let o = run(d, &["serve"], None);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2") && err.contains("loopback"), "{err}");
}

/// The incidents an audit stored, seen in the console (the timeline of waves, the root cause, the
/// dwell time), and the remedial plan, where a responder marks an action done into the trail.
#[test]
fn incidents_and_the_plan_are_in_the_console_and_an_action_done_is_in_the_trail() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let audit = run(
        d,
        &[
            "audit",
            "--out",
            d.join("report").to_str().unwrap(),
            repo.join("examples/exchange-2021").to_str().unwrap(),
        ],
        None,
    );
    let id = "INC-MAIL01-20210812T211403Z";
    assert!(text(&audit).contains(id), "{}", text(&audit));
    let add = run(
        d,
        &[
            "plan",
            "add",
            "Install KB5001779 on MAIL01",
            "--owner",
            "IT provider",
            "--incident",
            id,
        ],
        None,
    );
    assert!(add.status.success(), "{}", text(&add));
    let made = run(
        d,
        &["token", "create", "--name", "laptop", "--role", "responder"],
        None,
    );
    let token = String::from_utf8_lossy(&made.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("vgl_"))
        .expect("the token is shown once")
        .to_string();
    let port = free_port(true);
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[serve]\nmetrics = \"off\"\n\n[selftest]\nevery = \"off\"\n\n[[watch]]\npath = {:?}\nformat = \"syslog\"\n\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\ntls = false\n",
            log.display().to_string()
        ),
    )
    .unwrap();
    let mut child = vigil(d)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let agent = vigil_testkit::console::agent(None);
    let base = format!("http://127.0.0.1:{port}");
    let session =
        vigil_testkit::console::sign_in(&agent, &base, "ada", PASSWORD).expect("signed in");
    let get = |path: &str| -> (u16, String) {
        let mut r = agent
            .get(format!("{base}{path}"))
            .header("Cookie", &session)
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let (status, list) = get("/incidents");
    assert_eq!(status, 200);
    assert!(list.contains(id), "{list}");
    let (status, page) = get(&format!("/incidents/{id}"));
    assert_eq!(status, 200);
    for want in [
        "Wave 1",
        "Entry point",
        "Dwell time to first detection",
        "Install KB5001779",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    // The breach-notification draft, as `vigil report breach` makes it, on a page and as downloads.
    assert!(
        page.contains(&format!("href=\"/incidents/{id}/breach\"")),
        "{page}"
    );
    let (status, breach) = get(&format!("/incidents/{id}/breach"));
    assert_eq!(status, 200);
    assert!(
        breach.contains("72-hour notification deadline") && breach.contains("href=\"/incidents/"),
        "{breach}"
    );
    let mut md = agent
        .get(format!("{base}/incidents/{id}/breach.md"))
        .header("Cookie", &session)
        .call()
        .unwrap();
    assert_eq!(md.status().as_u16(), 200);
    assert!(
        md.headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment") && v.contains(".md")),
        "{:?}",
        md.headers()
    );
    let md = md.body_mut().read_to_string().unwrap();
    let cli = run(d, &["report", "breach", id], None);
    let cli = String::from_utf8_lossy(&cli.stdout).into_owned();
    let headings = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    assert!(headings(&md).len() > 3, "{md}");
    assert_eq!(
        headings(&md),
        headings(&cli),
        "the console's draft is the CLI's"
    );
    let mut html = agent
        .get(format!("{base}/incidents/{id}/breach.html"))
        .header("Cookie", &session)
        .call()
        .unwrap();
    assert!(
        html.body_mut()
            .read_to_string()
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    // The incident record filled in on the breach page is the CLI's too; a file given still wins.
    let (_, form) = get(&format!("/incidents/{id}/breach"));
    let csrf = vigil_testkit::console::csrf_of(&form).unwrap().to_string();
    let r = agent
        .post(format!("{base}/incidents/{id}/breach"))
        .header("Cookie", &session)
        .send_form([
            ("csrf", csrf.as_str()),
            ("controller_contact", "Dana Hale, 01481 700 700"),
        ])
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cli = run(d, &["report", "breach", id], None);
    let (out, err) = (
        String::from_utf8_lossy(&cli.stdout),
        String::from_utf8_lossy(&cli.stderr),
    );
    assert!(
        out.contains("Dana Hale, 01481 700 700")
            && err.contains("using the incident record saved by ada"),
        "{out}\n{err}"
    );
    let file = d.join("incident.toml");
    std::fs::write(&file, "controller_contact = \"Lee from the file\"\n").unwrap();
    let cli = run(
        d,
        &["report", "breach", id, "--incident", file.to_str().unwrap()],
        None,
    );
    let out = String::from_utf8_lossy(&cli.stdout);
    assert!(
        out.contains("Lee from the file") && !out.contains("Dana Hale"),
        "{out}"
    );
    // The overview links each asset to its open findings, the most overdue first.
    let (_, overview) = get("/overview");
    assert!(overview.contains("href=\"/assets/MAIL01\""), "{overview}");
    let (status, asset) = get("/assets/MAIL01");
    assert_eq!(status, 200);
    let kb = asset.find("KB5000871").expect("the oldest missing update");
    assert!(
        asset.contains("past their patch deadline")
            && asset.find("KB5003435").is_some_and(|k| k > kb),
        "{asset}"
    );
    let (status, plan) = get("/plan");
    assert_eq!(status, 200);
    assert!(
        plan.contains("IT provider") && plan.contains("id=\"done-1\""),
        "{plan}"
    );
    let csrf = vigil_testkit::console::csrf_of(&plan).unwrap().to_string();
    let r = agent
        .post(format!("{base}/plan/1/done"))
        .header("Cookie", &session)
        .send_form([("csrf", csrf.as_str()), ("note", "installed 2021-08-20")])
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, plan) = get("/plan");
    assert!(plan.contains(">done<"), "{plan}");
    // The plan and the draft from another machine, through the API with the token.
    let elsewhere = tempfile::tempdir().unwrap();
    let remote = |args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .args(["--server", &base, "--api-token", &token])
            .env("VIGIL_DB", elsewhere.path().join("none.db"))
            .env_remove("VIGIL_CONFIG")
            .output()
            .unwrap()
    };
    let added = remote(&[
        "plan",
        "add",
        "Upgrade MAIL01 to a supported CU",
        "--owner",
        "IT provider",
        "--due",
        "2021-12-31",
        "--incident",
        id,
    ]);
    assert!(added.status.success(), "{}", text(&added));
    let listed = remote(&["plan", "list", "--all", "--json"]);
    let l = text(&listed);
    assert!(
        l.contains("Upgrade MAIL01 to a supported CU") && l.contains("\"status\": \"done\""),
        "{l}"
    );
    let finished = remote(&["plan", "done", "2", "--note", "CU12 installed"]);
    assert!(finished.status.success(), "{}", text(&finished));
    let again = remote(&["plan", "done", "2"]);
    assert!(
        !again.status.success() && text(&again).contains("already done"),
        "{}",
        text(&again)
    );
    let draft = remote(&["report", "breach", id]);
    assert_eq!(
        headings(&String::from_utf8_lossy(&draft.stdout)),
        headings(&md),
        "{}",
        text(&draft)
    );
    let refused = remote(&["report", "breach", id, "--incident", file.to_str().unwrap()]);
    assert!(!refused.status.success(), "{}", text(&refused));
    // The investigation and the patching report from another machine are the local ones.
    let stdout = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let local = run(d, &["investigate"], None);
    let far = remote(&["investigate"]);
    assert!(far.status.success(), "{}", text(&far));
    assert!(
        stdout(&far).contains(id) && stdout(&far).contains("entry point:"),
        "{}",
        text(&far)
    );
    assert_eq!(stdout(&far), stdout(&local));
    let doc: serde_json::Value =
        serde_json::from_slice(&remote(&["investigate", "--json"]).stdout).unwrap();
    assert_eq!(doc["schema"], "vigil.investigate/1", "{doc}");
    assert_eq!(doc["incidents"][0]["id"], id, "{doc}");
    assert!(doc["detections"].as_u64().is_some_and(|n| n > 0), "{doc}");
    let refused = remote(&["investigate", "--incident", file.to_str().unwrap()]);
    assert!(
        !refused.status.success() && text(&refused).contains("--incident"),
        "{}",
        text(&refused)
    );
    let local = run(d, &["report", "patching", "--today", "2021-08-22"], None);
    let far = remote(&["report", "patching", "--today", "2021-08-22"]);
    assert!(far.status.success(), "{}", text(&far));
    assert!(
        stdout(&far).contains("MAIL01") && stdout(&far).contains("overdue:"),
        "{}",
        text(&far)
    );
    assert_eq!(stdout(&far), stdout(&local));
    let unknown = remote(&["report", "patching", "--asset", "NOPE"]);
    assert!(
        !unknown.status.success() && text(&unknown).contains("no asset named"),
        "{}",
        text(&unknown)
    );
    assert!(
        !elsewhere.path().join("none.db").exists(),
        "the remote commands opened no store"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let trail = run(d, &["trail", "export"], None);
    let t = text(&trail);
    assert!(
        t.contains("plan.done") && t.contains("installed 2021-08-20") && t.contains("\"ada\""),
        "{t}"
    );
    // Every plan change is in the trail: the CLI's under the person acting, the API's under the
    // token's name.
    assert!(
        t.contains(r#""actor":"cli:tester","action":"plan.add""#) && t.contains("CU12 installed"),
        "{t}"
    );
    assert!(
        t.contains(r#""actor":"token:1 (laptop)","action":"plan.done""#),
        "{t}"
    );
    assert!(run(d, &["trail", "verify"], None).status.success());
}

/// `vigil alerts` against a remote service: listed and acknowledged through the console's API with
/// an API token, recorded on the server under the token's name.
#[test]
fn alerts_are_listed_and_acknowledged_on_a_remote_service_with_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let made = run(
        d,
        &["token", "create", "--name", "laptop", "--role", "responder"],
        None,
    );
    let out = String::from_utf8_lossy(&made.stdout).into_owned();
    let token = out
        .split_whitespace()
        .find(|w| w.starts_with("vgl_"))
        .expect("the token is shown once")
        .to_string();
    let port = free_port(true);
    let log = d.join("mail.log");
    std::fs::write(&log, "").unwrap();
    std::fs::write(d.join("rule.yml"), support::serve::SASL_RULE).unwrap();
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "[serve]\nmetrics = \"off\"\npoll_ms = 20\nrules = [{:?}]\n\n[selftest]\nevery = \"off\"\n\n\
             [[watch]]\npath = {:?}\nformat = \"syslog\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\ntls = false\n",
            d.join("rule.yml").display().to_string(),
            log.display().to_string()
        ),
    )
    .unwrap();
    let mut child = vigil(d)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    support::serve::append(
        &log,
        &support::serve::failures("2026-12-04", 0, 5, "192.0.2.7"),
    );
    // Another machine, with no store of its own: only the server and the token.
    let elsewhere = tempfile::tempdir().unwrap();
    let remote = |args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .args([
                "--server",
                &format!("http://127.0.0.1:{port}"),
                "--api-token",
                &token,
            ])
            .env("VIGIL_DB", elsewhere.path().join("none.db"))
            .env_remove("VIGIL_CONFIG")
            .output()
            .unwrap()
    };
    let mut listed = String::new();
    for _ in 0..100 {
        let o = remote(&["alerts", "list", "--format", "json"]);
        listed = text(&o);
        if listed.contains("\"id\": 1") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(listed.contains("\"id\": 1"), "{listed}");
    // The service's own account of its detection, from another machine.
    let status = remote(&["status"]);
    // Detection runs, but the service holds no asset: no patch posture is known, so not 0.
    assert_eq!(status.status.code(), Some(3), "{}", text(&status));
    assert!(
        text(&status).contains("Detection is running")
            && text(&status).contains("no patch posture is known")
            && text(&status).contains("service's day"),
        "{}",
        text(&status)
    );
    let json = remote(&["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["health"]["detection_running"], true, "{doc}");
    let ack = remote(&["alerts", "ack", "1", "--note", "looking from my laptop"]);
    assert!(ack.status.success(), "{}", text(&ack));
    assert!(
        String::from_utf8_lossy(&ack.stdout).contains("alert 1 acknowledged by token:"),
        "{}",
        text(&ack)
    );
    // A wrong token is refused, saying so.
    let bad = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "alerts",
            "list",
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "--api-token",
            "vgl_wrong",
        ])
        .env("VIGIL_DB", elsewhere.path().join("none.db"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert!(
        !elsewhere.path().join("none.db").exists(),
        "the remote commands opened no store"
    );
    let local = run(
        d,
        &["alerts", "list", "--state", "all", "--format", "json"],
        None,
    );
    let l = String::from_utf8_lossy(&local.stdout);
    assert!(
        l.contains("looking from my laptop") && l.contains("acknowledged"),
        "{l}"
    );
}

/// `vigil user totp`: the URI printed once on stdout, a code computed from its secret accepted by the
/// console's check, enrolment and removal in the trail, an unknown user refused.
#[test]
fn user_totp_enrols_prints_the_uri_once_and_removes() {
    use vigil_store::SecondFactorStore;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let o = run(d, &["user", "totp", "ada"], None);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let uri = out.trim();
    assert!(
        uri.starts_with("otpauth://totp/vigil:ada?secret=")
            && uri.ends_with("&issuer=vigil&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    let store = vigil_store::SqliteStore::open(&d.join("vigil.db")).unwrap();
    let secret = store.totp("ada").unwrap().expect("enrolled").secret_hex;
    assert!(uri.contains(&vigil_console::totp::secret_base32(&secret).unwrap()));
    let now = jiff::Timestamp::now();
    let code = vigil_console::totp::code_at(&secret, vigil_console::totp::step_of(now)).unwrap();
    assert!(vigil_console::totp::verify(&secret, &code, now).is_some());
    assert!(
        run(d, &["user", "totp", "ada", "--remove"], None)
            .status
            .success()
    );
    assert!(store.totp("ada").unwrap().is_none());
    let o = run(d, &["user", "totp", "nobody"], None);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let o = run(d, &["trail", "export"], None);
    let trail = String::from_utf8_lossy(&o.stdout);
    assert!(
        trail.contains("user.totp.enrol") && trail.contains("user.totp.remove"),
        "{trail}"
    );
}

/// `vigil user add --invite`: a link on the console's address, shown once; the user is listed as
/// invited; an invitation longer than two weeks is refused.
#[test]
fn a_user_is_invited_with_a_link_on_the_consoles_address() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    std::fs::write(
        d.join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:8443\"\n",
    )
    .unwrap();
    let o = run(
        d,
        &[
            "user", "add", "erin", "--role", "viewer", "--invite", "--valid", "48h",
        ],
        None,
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("https://127.0.0.1:8443/invite?token=") && out.contains("works once"),
        "{out}"
    );
    let listed = run(d, &["user", "list"], None);
    assert!(
        text(&listed).contains("invited (no password yet)"),
        "{}",
        text(&listed)
    );
    let long = run(
        d,
        &[
            "user", "add", "fay", "--role", "viewer", "--invite", "--valid", "30d",
        ],
        None,
    );
    assert_eq!(long.status.code(), Some(2), "{}", text(&long));
    let trail = run(d, &["trail", "export"], None);
    assert!(text(&trail).contains("user.invite"), "{}", text(&trail));
}
