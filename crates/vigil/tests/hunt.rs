//! `vigil hunt` end to end. On the bundled example's IIS log: ProxyShell detections carry the CVEs of
//! the curated rule table (SigmaHQ's rules have no `cve.` tags), the rule author (DRL), and the record
//! they cite. On small generated logs: honest exit codes (rules not loaded, nothing read, every event
//! outside the time bounds, failed inputs, `--fail-on`), `--log-time` and `--tz`, `--max-per-rule`,
//! and a reader that goes away while detections stream out. An EVTX log cut at a chunk boundary makes
//! the hunt partial; parsed rules are cached between runs.

use std::path::Path;
use std::process::Command;

#[test]
fn proxyshell_detections_carry_cves_author_and_evidence() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(&repo)
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_RULES")
        .args([
            "hunt",
            "examples/exchange-2021/logs/iis/W3SVC1/u_ex210813.log",
            "--format",
            "jsonl",
            "--min-level",
            "critical",
            "--host",
            "MAIL01",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let proxyshell: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|d| d["rule_title"] == "Successful Exchange ProxyShell Attack")
        .collect();
    assert!(!proxyshell.is_empty(), "{lines:?}");
    for d in &proxyshell {
        let tags: Vec<&str> = d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        assert!(tags.contains(&"cve.2021-34473"), "{tags:?}");
        assert!(d["rule_author"].as_str().unwrap().contains("Florian Roth"));
        assert_eq!(
            d["host"], "MAIL01",
            "IIS logs name no host: --host supplies it"
        );
        let src = &d["sources"][0];
        assert!(src["file"].as_str().unwrap().ends_with("u_ex210813.log"));
        assert!(
            src["record"]["line"].as_u64().unwrap() > 4,
            "a data line, after the #Fields header"
        );
    }
    assert!(
        lines.iter().all(|d| d["level"] == "critical"),
        "--min-level critical"
    );
}

/// A rule that fires on every failed Postfix SMTP AUTH line.
const SASL_RULE: &str = "title: Test SASL failure
id: 0f6a4f54-0000-4000-8000-000000000001
status: test
author: tester
logsource:
    product: linux
    service: postfix
detection:
    selection:
        event_action: sasl_auth_failed
    condition: selection
level: high
";

fn failure(stamp: &str, ip: &str) -> String {
    format!(
        "{stamp} mx1 postfix/smtpd[3100]: warning: unknown[{ip}]: SASL LOGIN authentication \
         failed: UGFzc3dvcmQ6\n"
    )
}

/// A folder with the rule and a log of `n` failures a second apart (RFC 3339 times).
fn setup(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rule.yml"), SASL_RULE).unwrap();
    let lines: String = (0..n)
        .map(|i| {
            failure(
                &format!(
                    "2021-08-13T00:{:02}:{:02}.000000+00:00",
                    i / 60 % 60,
                    i % 60
                ),
                "192.0.2.7",
            )
        })
        .collect();
    std::fs::write(dir.path().join("mail.log"), lines).unwrap();
    dir
}

fn hunt_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_RULES")
        .env("VIGIL_NO_CACHE", "1")
        .arg("hunt")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn jsonl(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn rules_that_do_not_exist_exit_3_with_the_hint() {
    let dir = setup(3);
    let out = hunt_in(dir.path(), &["mail.log", "--rules", "missing.yml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("missing.yml: no such file"), "{err}");
    assert!(err.contains("vigil rules check"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn rules_that_do_not_load_exit_3_and_the_others_still_hunt() {
    let dir = setup(3);
    std::fs::write(dir.path().join("broken.yml"), "title: [unclosed\n").unwrap();
    let out = hunt_in(
        dir.path(),
        &[
            "mail.log",
            "--rules",
            "rule.yml",
            "--rules",
            "broken.yml",
            "--format",
            "jsonl",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("1 rules could not be used (run 'vigil rules check'"),
        "{err}"
    );
    assert_eq!(jsonl(&out).len(), 3, "the usable rule still ran");

    let only_broken = hunt_in(dir.path(), &["mail.log", "--rules", "broken.yml"]);
    let err = stderr(&only_broken);
    assert_eq!(only_broken.status.code(), Some(3), "{err}");
    assert!(err.contains("no usable rule was loaded"), "{err}");
}

/// An IIS log with its header and no request: read without error, and nothing in it.
#[test]
fn a_hunt_that_read_no_event_says_so_and_exits_3() {
    let dir = setup(0);
    std::fs::write(
        dir.path().join("u_ex210813.log"),
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
         #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip \
         cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
    )
    .unwrap();
    for input in ["u_ex210813.log", "mail.log"] {
        let out = hunt_in(dir.path(), &[input, "--rules", "rule.yml"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{input}: {err}");
        assert!(
            err.contains("nothing was hunted: no event was read"),
            "{err}"
        );
    }
}

#[test]
fn a_hunt_whose_events_are_all_outside_the_time_bounds_exits_3() {
    let dir = setup(3);
    let out = hunt_in(
        dir.path(),
        &["mail.log", "--rules", "rule.yml", "--since", "2030-01-01"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("none of the 3 events read is inside --since/--until"),
        "{err}"
    );
}

#[test]
fn fail_on_trips_on_detections_and_failed_inputs_make_it_partial_otherwise() {
    let dir = setup(2);
    let args = [
        "mail.log",
        "missing.log",
        "--rules",
        "rule.yml",
        "--format",
        "jsonl",
    ];
    let out = hunt_in(dir.path(), &args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("not read: missing.log:"), "{err}");
    assert_eq!(
        err.matches("missing.log").count(),
        1,
        "the path is said once: {err}"
    );
    let mut gated = args.to_vec();
    gated.extend(["--fail-on", "high"]);
    assert_eq!(hunt_in(dir.path(), &gated).status.code(), Some(1));
    let clean = hunt_in(
        dir.path(),
        &["mail.log", "--rules", "rule.yml", "--fail-on", "critical"],
    );
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
}

/// Year-less syslog (RFC 3164): `--log-time` gives the year (the file's modification time would
/// give this year's), `--tz` the zone the server wrote local time in.
#[test]
fn log_time_and_tz_place_year_less_local_times() {
    let dir = setup(0);
    std::fs::write(
        dir.path().join("mail.log"),
        failure("Aug 13 09:12:01", "192.0.2.7"),
    )
    .unwrap();
    let time_of = |extra: &[&str]| -> String {
        let mut args = vec!["mail.log", "--rules", "rule.yml", "--format", "jsonl"];
        args.extend(extra);
        let out = hunt_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        jsonl(&out)[0]["timestamp"].as_str().unwrap().to_string()
    };
    assert_eq!(
        time_of(&["--log-time", "2021-09-01"]),
        "2021-08-13T09:12:01Z"
    );
    assert_eq!(
        time_of(&["--log-time", "2021-09-01", "--tz", "+02:00"]),
        "2021-08-13T07:12:01Z"
    );
    assert_eq!(
        time_of(&["--log-time", "2021-09-01", "--tz", "UTC-05:00"]),
        "2021-08-13T14:12:01Z"
    );
    // Lines that would fall after --log-time belong to the year before.
    assert_eq!(
        time_of(&["--log-time", "2022-01-05"]),
        "2021-08-13T09:12:01Z"
    );
    let bad = hunt_in(dir.path(), &["mail.log", "--tz", "Mars/Olympus_Mons"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
}

#[test]
fn max_per_rule_reports_the_first_and_counts_the_rest() {
    let dir = setup(5);
    let out = hunt_in(
        dir.path(),
        &[
            "mail.log",
            "--rules",
            "rule.yml",
            "--format",
            "jsonl",
            "--max-per-rule",
            "2",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["sources"][0]["record"]["line"], 1);
    assert_eq!(lines[1]["sources"][0]["record"]["line"], 2);
    assert_eq!(lines[2]["type"], "suppressed");
    assert_eq!(lines[2]["suppressed"], 3);
    assert_eq!(lines[2]["first_seen"], "2021-08-13T00:00:02Z");
    assert_eq!(lines[2]["last_seen"], "2021-08-13T00:00:04Z");
    assert!(
        err.contains("5 detections: 5 high; 2 reported, 3 held back"),
        "{err}"
    );

    let json = hunt_in(
        dir.path(),
        &[
            "mail.log",
            "--rules",
            "rule.yml",
            "--format",
            "json",
            "--max-per-rule",
            "2",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["detections"].as_array().unwrap().len(), 2);
    assert_eq!(doc["suppressed"][0]["suppressed"], 3);
    assert_eq!(doc["summary"]["detections"], 5);
}

/// `vigil hunt … | head`: the reader goes away while detections stream out; vigil stops quietly.
#[test]
fn a_reader_that_goes_away_stops_the_hunt_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = setup(20_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(dir.path())
        .env_remove("VIGIL_RULES")
        .env("VIGIL_NO_CACHE", "1")
        .args([
            "hunt", "mail.log", "--rules", "rule.yml", "--format", "jsonl",
        ])
        .args(["--max-per-rule", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"{\"rule_id\""));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(141), "{err}");
}

fn vigil(args: &[&str], cache: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_RULES")
        .env_remove("VIGIL_NO_CACHE")
        .env("VIGIL_CACHE_DIR", cache)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_log_cut_at_a_chunk_boundary_makes_the_hunt_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../vigil-logs/tests/fixtures/security_4624_ntlm_cme.evtx"),
    )
    .unwrap();
    let cut = tmp.path().join("Security.evtx");
    std::fs::write(&cut, &whole[..4096 + 65536]).unwrap();
    let out = vigil(
        &["hunt", cut.to_str().unwrap(), "--format", "jsonl"],
        &tmp.path().join("cache"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cut short"), "{stderr}");
    assert!(stderr.contains("records 58..=63 are missing"), "{stderr}");
}

#[test]
fn parsed_rules_are_cached_between_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let rule = |n: u32| {
        format!(
            "title: Rule {n}\nid: 00000000-0000-4000-8000-00000000000{n}\nstatus: test\n\
             logsource: {{product: windows, category: process_creation}}\n\
             detection:\n  sel:\n    Image|endswith: '\\tool{n}.exe'\n  condition: sel\nlevel: high\n"
        )
    };
    for n in 1..=3 {
        std::fs::write(rules.join(format!("r{n}.yml")), rule(n)).unwrap();
    }
    let cache = tmp.path().join("cache");
    let check = |extra: &[&str]| {
        let mut args = vec!["-vv", "rules", "check", "--rules", rules.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = vigil(&args, &cache);
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("3 rules"));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = check(&[]);
    assert!(
        first.contains("0 of 3 rule files reused, 3 parsed (rebuilt: no cache yet)"),
        "{first}"
    );
    let second = check(&[]);
    assert!(
        second.contains("3 of 3 rule files reused, 0 parsed"),
        "{second}"
    );
    // A changed rule is parsed again, the others come from the cache.
    std::fs::write(rules.join("r2.yml"), rule(2).replace("Rule 2", "Rule two")).unwrap();
    let third = check(&[]);
    assert!(
        third.contains("2 of 3 rule files reused, 1 parsed"),
        "{third}"
    );
    // A damaged cache is rebuilt, never trusted.
    let file = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "bin"))
        .unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let fourth = check(&[]);
    assert!(
        fourth.contains("3 parsed (rebuilt: corrupt: checksum mismatch)"),
        "{fourth}"
    );
    // --no-cache neither reads nor writes it, nor does VIGIL_NO_CACHE=1.
    std::fs::remove_dir_all(&cache).unwrap();
    let none = check(&["--no-cache"]);
    assert!(!none.contains("rule cache"), "{none}");
    assert!(!cache.exists());
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env("VIGIL_CACHE_DIR", &cache)
        .env("VIGIL_NO_CACHE", "1")
        .args(["-vv", "rules", "check", "--rules", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!cache.exists());
}
