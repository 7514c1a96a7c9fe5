//! Servers vigil has never seen (issue 9, "How to show it generalises"): a sweep over the parameters of
//! the `vigil-scenarios` generators. Each case writes a server folder into a temporary directory, runs
//! the real binary — `vigil --db DB audit --out OUT DIR`, then `vigil --db DB investigate --json
//! --incident DIR/incident.toml` — and compares the answers with the generator's ground truth: number of
//! incidents (one per attack however many waves, none on the benign servers), entry point (time,
//! technique, the cited record), first malicious event and dwell time, root cause, exported mailboxes,
//! phishing counts, waves, and the exit status (partial when an input cannot be assessed).
//!
//! One `#[test]` per scenario family and question, so that each can be ignored on its own while the
//! capability is missing; the cases of a family are generated and audited once and shared by its tests.
//! The full bundled rule set is loaded (no `--rules`). Times are compared within [`TOLERANCE`].

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use vigil_scenarios::{
    BenignParams, BenignServer, Common, DovecotPhrasing, ExchangeBuild, ExchangeEntry,
    ExchangeParams, GroundTruth, InventoryForm, LinuxMailParams, LinuxServer, LookAlikes,
    PhishingPlan, RootCause, Scenario, ServerZone, Spray, Stuffing, Waves, debian::Release,
    w3c::IisFields,
};

/// How far a time vigil reports may be from the ground truth's (detections of a correlation carry the
/// time of one of the events they count; a login sequence spans seconds to minutes).
const TOLERANCE: SignedDuration = SignedDuration::from_secs(10 * 60);

/// One audited case.
struct Run {
    label: String,
    truth: GroundTruth,
    exit: i32,
    stdout: String,
    stderr: String,
    /// `vigil investigate --json`.
    inv: Value,
    /// Every breach notice (Markdown) the audit wrote, concatenated.
    notices: String,
    /// Wall time of the generation, the audit and the investigation.
    secs: f64,
    /// Where the case's directory was kept (`VIGIL_SCENARIOS_KEEP`).
    kept: Option<PathBuf>,
}

impl Run {
    fn incidents(&self) -> Vec<&Value> {
        self.inv["incidents"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    fn context(&self) -> String {
        let incidents: Vec<String> = self
            .incidents()
            .iter()
            .map(|i| {
                format!(
                    "{} {} → {} entry: {}",
                    i["id"].as_str().unwrap_or("?"),
                    i["first_seen"].as_str().unwrap_or("?"),
                    i["last_seen"].as_str().unwrap_or("?"),
                    i["entry_point"]["claim"].as_str().unwrap_or("?")
                )
            })
            .collect();
        format!("incidents: [{}]", incidents.join("; "))
    }
}

fn vigil(db: &Path, cfg: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_CONFIG")
        .env_remove("VIGIL_DB")
        .env("XDG_CONFIG_HOME", cfg)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("the vigil binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn run(label: &str, scenario: Scenario) -> Run {
    let started = std::time::Instant::now();
    // VIGIL_SCENARIOS_KEEP=DIR keeps each case's folder, store and report under DIR/<label> to look at.
    let tmp = match std::env::var_os("VIGIL_SCENARIOS_KEEP") {
        Some(keep) => {
            let base = PathBuf::from(keep).join(label.replace('/', "_"));
            let _ = std::fs::remove_dir_all(&base);
            std::fs::create_dir_all(&base).expect("VIGIL_SCENARIOS_KEEP is writable");
            tempfile::Builder::new()
                .prefix("case")
                .tempdir_in(&base)
                .expect("temp dir")
        }
        None => tempfile::tempdir().expect("temp dir"),
    };
    let dir = tmp.path().join("server");
    let truth = scenario
        .generate(&dir)
        .unwrap_or_else(|e| panic!("{label}: generating the folder: {e}"));
    let db = tmp.path().join("vigil.db");
    let out = tmp.path().join("audit");
    let (exit, stdout, stderr) = vigil(
        &db,
        tmp.path(),
        &[
            "audit",
            "--out",
            &out.display().to_string(),
            &dir.display().to_string(),
        ],
    );
    let record = dir.join("incident.toml");
    let record_s = record.display().to_string();
    let mut args = vec!["investigate", "--json"];
    if record.is_file() {
        args.extend(["--incident", record_s.as_str()]);
    }
    let (_, inv_out, inv_err) = vigil(&db, tmp.path(), &args);
    let inv: Value = if inv_out.trim_start().starts_with('{') {
        serde_json::from_str(&inv_out).unwrap_or_else(|e| {
            panic!("{label}: investigate --json is not JSON ({e}): {inv_out}\n{inv_err}")
        })
    } else {
        // Nothing stored to investigate: no incident.
        serde_json::json!({ "incidents": [] })
    };
    let mut notices = String::new();
    if let Ok(rd) = std::fs::read_dir(&out) {
        let mut names: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("breach-notice") && n.ends_with(".md"))
            })
            .collect();
        names.sort();
        for n in names {
            notices.push_str(&std::fs::read_to_string(&n).unwrap_or_default());
            notices.push('\n');
        }
    }
    Run {
        label: label.to_string(),
        truth,
        exit,
        stdout,
        stderr,
        inv,
        notices,
        secs: started.elapsed().as_secs_f64(),
        // The folder, store and reports are removed now (tens of megabytes per Exchange case) unless
        // they are to be kept; everything the checks read is held in memory.
        kept: std::env::var_os("VIGIL_SCENARIOS_KEEP").map(|_| tmp.keep()),
    }
}

// ---------------------------------------------------------------------------------------------------
// The grids.

fn exchange_owassrf_cases() -> Vec<(String, Scenario)> {
    let mut v = Vec::new();
    // Defaults: CU12 with October's SU, PowerShell inventory, London, back after 38 days.
    let mut p = ExchangeParams::owassrf(1);
    p.common.users = 12;
    p.common.sessions_per_user_day = 2;
    v.push(("owassrf/cu12/default".to_string(), Scenario::Exchange(p)));
    // CU11, IIS without user agents, subjects not logged, the OS key too, New York, three waves.
    let mut p = ExchangeParams::owassrf(2);
    p.common.users = 10;
    p.common.sessions_per_user_day = 2;
    p.common.zone = ServerZone::new_york();
    p.server.build = ExchangeBuild::Cu11Aug22;
    p.server.iis_fields = IisFields::NoUserAgent;
    p.server.subject_logging = false;
    p.server.inventory = InventoryForm::PowerShellWithOs;
    p.waves = Waves {
        count: 3,
        quiet_days: 33,
    };
    p.phishing = PhishingPlan::new(40, 4, 1);
    p.exported_mailboxes = 3;
    v.push((
        "owassrf/cu11/3-waves/no-ua".to_string(),
        Scenario::Exchange(p),
    ));
    // An unsupported CU, no inventory at all (the build is in the logs), IIS restarted with other
    // fields, a half-hour zone, one wave, phishing at 1,200 a day.
    let mut p = ExchangeParams::owassrf(3);
    p.common.users = 10;
    p.common.sessions_per_user_day = 2;
    p.common.zone = ServerZone::kolkata();
    p.server.build = ExchangeBuild::Cu10Mar22;
    p.server.iis_fields = IisFields::Extended;
    p.server.iis_fields_after_restart = Some(IisFields::Default);
    p.server.inventory = InventoryForm::None;
    p.waves = Waves::one();
    p.phishing = PhishingPlan::new(1200, 1, 5);
    v.push((
        "owassrf/cu10-unsupported/no-inventory".to_string(),
        Scenario::Exchange(p),
    ));
    // IIS without the query field, Auckland (summer time), phishing a few dozen a day for five days.
    let mut p = ExchangeParams::owassrf(4);
    p.common.users = 14;
    p.common.sessions_per_user_day = 2;
    p.common.zone = ServerZone::auckland();
    p.server.iis_fields = IisFields::NoQuery;
    p.waves = Waves {
        count: 2,
        quiet_days: 45,
    };
    p.phishing = PhishingPlan::new(36, 5, 2);
    v.push((
        "owassrf/no-query/auckland".to_string(),
        Scenario::Exchange(p),
    ));
    v
}

fn exchange_stuffing_cases() -> Vec<(String, Scenario)> {
    let mut v = Vec::new();
    let mut p = ExchangeParams::stuffing(11);
    p.common.users = 12;
    p.common.sessions_per_user_day = 2;
    p.waves = Waves {
        count: 2,
        quiet_days: 35,
    };
    v.push(("stuffing/default".to_string(), Scenario::Exchange(p)));
    // Slow and wide: twelve addresses, eight attempts an hour, Berlin, other IIS fields, one wave.
    let mut p = ExchangeParams::stuffing(12);
    p.common.users = 10;
    p.common.sessions_per_user_day = 2;
    p.common.zone = ServerZone::berlin();
    p.server.iis_fields = IisFields::Extended;
    p.entry = ExchangeEntry::CredentialStuffing(Stuffing {
        addresses: 12,
        attempts_per_hour: 8,
        accounts: 30,
    });
    p.waves = Waves::one();
    v.push(("stuffing/slow-wide".to_string(), Scenario::Exchange(p)));
    // Fast and narrow: three addresses, 300 an hour, three waves.
    let mut p = ExchangeParams::stuffing(13);
    p.common.users = 10;
    p.common.sessions_per_user_day = 2;
    p.entry = ExchangeEntry::CredentialStuffing(Stuffing {
        addresses: 3,
        attempts_per_hour: 300,
        accounts: 200,
    });
    p.waves = Waves {
        count: 3,
        quiet_days: 31,
    };
    v.push(("stuffing/fast/3-waves".to_string(), Scenario::Exchange(p)));
    v
}

fn linux_spray_cases() -> Vec<(String, Scenario)> {
    let mut v = Vec::new();
    let mut p = LinuxMailParams::spray(21);
    p.common.users = 16;
    v.push(("spray/default".to_string(), Scenario::LinuxMail(p)));
    // IPv6 /64, Dovecot's newer wording with auth_verbose, Bookworm, New York, two waves.
    let mut p = LinuxMailParams::spray(22);
    p.common.users = 16;
    p.common.zone = ServerZone::new_york();
    p.server = LinuxServer {
        release: Release::Bookworm,
        auth_verbose: true,
        phrasing: DovecotPhrasing::LoginAborted,
        host: "mail".into(),
    };
    p.spray = Spray {
        addresses: 10,
        users_per_address_hour: 3,
        minutes: 240,
        ipv6: true,
        smtp_percent: 20,
    };
    p.waves = Waves {
        count: 2,
        quiet_days: 40,
    };
    v.push((
        "spray/ipv6/verbose/2-waves".to_string(),
        Scenario::LinuxMail(p),
    ));
    // Across New Year in Auckland (the year-less syslog lines span two years), mixed wording.
    let mut p = LinuxMailParams::spray(23);
    p.common.users = 14;
    p.common.zone = ServerZone::auckland();
    p.server.phrasing = DovecotPhrasing::Mixed;
    p.spray = Spray {
        addresses: 4,
        users_per_address_hour: 9,
        minutes: 90,
        ipv6: false,
        smtp_percent: 40,
    };
    p.spray_start = "2022-12-31T09:40:00Z".parse().unwrap();
    p.phishing = PhishingPlan::new(30, 3, 1);
    v.push((
        "spray/new-year/auckland".to_string(),
        Scenario::LinuxMail(p),
    ));
    // Slowest: eight addresses, five names an hour each, six hours, mostly SMTP AUTH, three waves,
    // 2,000 phishing messages in a day.
    let mut p = LinuxMailParams::spray(24);
    p.common.users = 20;
    p.common.zone = ServerZone::kolkata();
    p.spray = Spray {
        addresses: 8,
        users_per_address_hour: 5,
        minutes: 360,
        ipv6: false,
        smtp_percent: 60,
    };
    p.waves = Waves {
        count: 3,
        quiet_days: 31,
    };
    p.phishing = PhishingPlan::new(2000, 1, 2);
    v.push(("spray/slow/3-waves".to_string(), Scenario::LinuxMail(p)));
    v
}

fn benign_cases() -> Vec<(String, Scenario)> {
    let mut v = Vec::new();
    let mut p = BenignParams::exchange(31);
    p.common.users = 14;
    p.common.sessions_per_user_day = 2;
    v.push(("benign/exchange/default".to_string(), Scenario::Benign(p)));
    let mut p = BenignParams::exchange(32);
    p.common.users = 30;
    p.common.sessions_per_user_day = 3;
    p.common.lookback_days = 14;
    p.common.zone = ServerZone::new_york();
    if let BenignServer::Exchange(s) = &mut p.server {
        s.iis_fields = IisFields::Extended;
        s.inventory = InventoryForm::PowerShellWithOs;
    }
    v.push(("benign/exchange/busy".to_string(), Scenario::Benign(p)));
    let mut p = BenignParams::linux(33);
    p.common.users = 16;
    v.push(("benign/linux/default".to_string(), Scenario::Benign(p)));
    let mut p = BenignParams::linux(34);
    p.common = Common {
        users: 40,
        sessions_per_user_day: 4,
        zone: ServerZone::auckland(),
        lookalikes: LookAlikes::all(),
        ..p.common
    };
    p.server = BenignServer::LinuxMail(LinuxServer {
        release: Release::Bookworm,
        auth_verbose: true,
        phrasing: DovecotPhrasing::Mixed,
        host: "mx".into(),
    });
    v.push(("benign/linux/busy-verbose".to_string(), Scenario::Benign(p)));
    v
}

fn audited(cases: Vec<(String, Scenario)>) -> Vec<Run> {
    let runs: Vec<Run> = cases.into_iter().map(|(l, s)| run(&l, s)).collect();
    for r in &runs {
        eprintln!(
            "scenario {}: generated and audited in {:.1} s (exit {}){}",
            r.label,
            r.secs,
            r.exit,
            r.kept
                .as_ref()
                .map(|p| format!(", kept in {}", p.display()))
                .unwrap_or_default()
        );
    }
    runs
}

fn owassrf() -> &'static [Run] {
    static R: OnceLock<Vec<Run>> = OnceLock::new();
    R.get_or_init(|| audited(exchange_owassrf_cases()))
}

fn stuffing() -> &'static [Run] {
    static R: OnceLock<Vec<Run>> = OnceLock::new();
    R.get_or_init(|| audited(exchange_stuffing_cases()))
}

fn spray() -> &'static [Run] {
    static R: OnceLock<Vec<Run>> = OnceLock::new();
    R.get_or_init(|| audited(linux_spray_cases()))
}

fn benign() -> &'static [Run] {
    static R: OnceLock<Vec<Run>> = OnceLock::new();
    R.get_or_init(|| audited(benign_cases()))
}

// ---------------------------------------------------------------------------------------------------
// The checks: each returns the failures of one run.

type Check = fn(&Run) -> Vec<String>;

fn assert_all(runs: &[Run], check: Check) {
    let mut failed = Vec::new();
    for r in runs {
        let f = check(r);
        if !f.is_empty() {
            failed.push(format!(
                "[{}] {}\n  - {}",
                r.label,
                r.context(),
                f.join("\n  - ")
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        runs.len(),
        failed.join("\n")
    );
}

fn ts(v: &Value) -> Option<Timestamp> {
    v.as_str().and_then(|s| s.parse().ok())
}

fn near(a: Timestamp, b: Timestamp) -> bool {
    a.duration_since(b).abs() <= TOLERANCE
}

/// The only incident, or a failure saying how many there were.
fn the_incident(r: &Run) -> Result<&Value, String> {
    let inc = r.incidents();
    match inc.as_slice() {
        [one] => Ok(one),
        _ => Err(format!(
            "expected exactly one incident, vigil opened {}",
            inc.len()
        )),
    }
}

/// The incident whose time span holds `t` (or the first one) — for the questions that make sense even
/// when the attack was split in several incidents.
fn incident_at(r: &Run, t: Timestamp) -> Option<&Value> {
    let inc = r.incidents();
    inc.iter()
        .find(|i| {
            matches!((ts(&i["first_seen"]), ts(&i["last_seen"])), (Some(a), Some(b))
                if a - TOLERANCE <= t && t <= b + TOLERANCE)
        })
        .copied()
        .or_else(|| inc.first().copied())
}

fn check_incident_count(r: &Run) -> Vec<String> {
    let n = r.incidents().len();
    match &r.truth.incident {
        None if n != 0 => vec![format!(
            "a server without incident: vigil opened {n} incident(s): {} (look-alikes in the data: {})",
            r.stdout
                .lines()
                .filter(|l| l.starts_with("INC-") || l.trim_start().starts_with("entry point:"))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" / "),
            r.truth
                .lookalikes
                .iter()
                .map(|l| l.what.as_str())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join("; ")
        )],
        Some(t) if n != 1 => vec![format!(
            "one attack in {} wave(s): vigil opened {n} incidents",
            t.waves.len()
        )],
        Some(t) => {
            let i = r.incidents()[0];
            match (ts(&i["first_seen"]), ts(&i["last_seen"])) {
                (Some(a), Some(b))
                    if a - TOLERANCE <= t.entry.event.time
                        && t.entry.event.time <= b + TOLERANCE =>
                {
                    Vec::new()
                }
                _ => vec![format!(
                    "the one incident does not cover the attack's entry point at {}",
                    t.entry.event.time
                )],
            }
        }
        None => Vec::new(),
    }
}

fn check_exit(r: &Run) -> Vec<String> {
    let mut f = Vec::new();
    if !matches!(r.exit, 0 | 3) {
        f.push(format!(
            "audit exit status {} (stderr: {})",
            r.exit,
            r.stderr.lines().take(5).collect::<Vec<_>>().join(" | ")
        ));
    } else if !r.truth.not_assessable.is_empty() && r.exit != 3 {
        f.push(format!(
            "inputs that cannot be assessed with the knowledge given ({}), yet the audit exited {} instead of 3 (partial)",
            r.truth.not_assessable.join("; "),
            r.exit
        ));
    }
    f
}

fn check_entry(r: &Run) -> Vec<String> {
    let Some(t) = &r.truth.incident else {
        return Vec::new();
    };
    let want = &t.entry.event;
    let Some(inc) = incident_at(r, want.time) else {
        return vec!["no incident, so no entry point".into()];
    };
    let rc = &inc["root_cause"];
    let mut f = Vec::new();
    match ts(&rc["entry_time"]) {
        Some(got) if near(got, want.time) => {}
        Some(got) => f.push(format!(
            "entry point at {got}, expected {} ({}, {}:{})",
            want.time, want.what, want.file, want.line
        )),
        None => f.push(format!(
            "no entry point (claim: {}); expected {} at {} ({}:{})",
            rc["entry_point"]["claim"].as_str().unwrap_or("-"),
            want.what,
            want.time,
            want.file,
            want.line
        )),
    }
    let cited: Vec<(String, u64)> = rc["entry_point"]["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["sources"].as_array().into_iter().flatten())
        .map(|s| {
            (
                s["file"].as_str().unwrap_or("").replace('\\', "/"),
                s["record"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    if rc["entry_time"].is_string() && !cited.iter().any(|(file, _)| file.ends_with(&want.file)) {
        f.push(format!(
            "the entry point cites {cited:?}, not the entry record {}:{}",
            want.file, want.line
        ));
    }
    if let Some(rule) = rc["entry_rule_id"].as_str() {
        let tags = rule_techniques(rule);
        let ok = t.entry.techniques.iter().any(|want| {
            tags.iter().any(|got| {
                got.eq_ignore_ascii_case(want)
                    || got
                        .to_ascii_uppercase()
                        .starts_with(&format!("{}.", want.to_ascii_uppercase()))
            })
        });
        if !ok {
            f.push(format!(
                "the entry detection (rule {rule}) is tagged {tags:?}, none of the entry techniques {:?} ({})",
                t.entry.techniques, t.entry.description
            ));
        }
    }
    f
}

fn check_first_malicious_and_dwell(r: &Run) -> Vec<String> {
    let Some(t) = &r.truth.incident else {
        return Vec::new();
    };
    let Some(inc) = incident_at(r, t.first_malicious.time) else {
        return vec!["no incident".into()];
    };
    let d = &inc["dwell"];
    let mut f = Vec::new();
    match ts(&d["first_malicious"]) {
        Some(got) if near(got, t.first_malicious.time) => {}
        got => f.push(format!(
            "first malicious event {}, expected {} ({}, {}:{})",
            got.map_or("-".into(), |g| g.to_string()),
            t.first_malicious.time,
            t.first_malicious.what,
            t.first_malicious.file,
            t.first_malicious.line
        )),
    }
    let dwell: Option<SignedDuration> = d["to_awareness"].as_str().and_then(|s| s.parse().ok());
    match dwell {
        Some(got) if (got - t.dwell).abs() <= TOLERANCE => {}
        got => f.push(format!(
            "dwell time {}, expected {:#} (first malicious event → awareness)",
            got.map_or("-".into(), |g| format!("{g:#}")),
            t.dwell
        )),
    }
    f
}

/// `KB5019758`, `5019758` → `5019758`.
fn kb_digits(s: &str) -> String {
    s.trim()
        .trim_start_matches("KB")
        .trim_start_matches("kb")
        .to_string()
}

fn check_root_cause(r: &Run) -> Vec<String> {
    let Some(t) = &r.truth.incident else {
        return Vec::new();
    };
    let Some(inc) = incident_at(r, t.entry.event.time) else {
        return vec!["no incident".into()];
    };
    let rc = &inc["root_cause"];
    let at_entry: Vec<&Value> = rc["exploited"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["at_entry"].as_bool() == Some(true))
        .collect();
    let entry_cves: BTreeSet<String> = at_entry
        .iter()
        .filter_map(|x| x["cve"].as_str())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    let fixes: Vec<&Value> = inc["missing_fixes"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let mut f = Vec::new();
    // A detection of post-exploitation activity (web-shell use, a mailbox export) whose rule is mapped
    // to another chain's CVEs is "consistent with" that CVE, never established evidence of its
    // exploitation.
    let truth_cves: BTreeSet<&str> = match &t.root_cause {
        RootCause::MissingUpdate { cves, .. } => cves.iter().map(String::as_str).collect(),
        RootCause::CredentialCompromise { .. } => BTreeSet::new(),
    };
    for x in rc["exploited"].as_array().into_iter().flatten() {
        let cve = x["cve"].as_str().unwrap_or("");
        if cve.is_empty() || truth_cves.contains(cve) {
            continue;
        }
        let claimed = x["links"].as_array().into_iter().flatten().any(|l| {
            l["status"].as_str() == Some("established")
                && l["claim"]
                    .as_str()
                    .is_some_and(|c| c.contains("evidence of exploiting"))
        });
        if claimed {
            f.push(format!(
                "{cve} is stated as exploited (rules {}), but the attack did not use it",
                x["rule_ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    match &t.root_cause {
        RootCause::MissingUpdate {
            kb,
            cves,
            package,
            installed_build,
            cu_out_of_support,
        } => {
            let want: BTreeSet<String> = cves.iter().cloned().collect();
            if entry_cves.is_empty() || !entry_cves.is_subset(&want) {
                f.push(format!(
                    "CVEs at the entry point {entry_cves:?}, expected some of {want:?} and nothing else"
                ));
            }
            if *cu_out_of_support {
                let n = r.notices.to_lowercase();
                if !(n.contains("out of support")
                    || n.contains("unsupported")
                    || n.contains("no longer supported"))
                    || !n.contains("cumulative update")
                {
                    f.push(format!(
                        "Exchange {installed_build} is on a cumulative update out of support: the breach notice must say so and name the move to a supported cumulative update before {kb}"
                    ));
                }
            } else {
                let got: Vec<String> = fixes
                    .iter()
                    .map(|x| {
                        format!(
                            "{} on {} {}",
                            x["kb"].as_str().unwrap_or("-"),
                            x["package"].as_str().unwrap_or("-"),
                            x["version"].as_str().unwrap_or("-")
                        )
                    })
                    .collect();
                let right = fixes.iter().any(|x| {
                    x["kb"]
                        .as_str()
                        .is_some_and(|k| kb_digits(k) == kb_digits(kb))
                        && x["package"]
                            .as_str()
                            .is_some_and(|p| p.contains(package.as_str()))
                });
                let wrong = fixes.iter().any(|x| {
                    x["kb"]
                        .as_str()
                        .is_none_or(|k| kb_digits(k) != kb_digits(kb))
                });
                if !right || wrong {
                    f.push(format!(
                        "root cause: missing fixes {got:?}, expected {kb} on {package} {installed_build} (and no other)"
                    ));
                }
            }
        }
        RootCause::CredentialCompromise { method } => {
            if !entry_cves.is_empty() {
                f.push(format!(
                    "credential compromise ({method}) but CVEs {entry_cves:?} are named at the entry point"
                ));
            }
            if !fixes.is_empty() {
                f.push(format!(
                    "credential compromise ({method}) but missing updates named as root cause: {:?}",
                    fixes
                        .iter()
                        .map(|x| x["kb"].as_str().or(x["key"].as_str()).unwrap_or("-"))
                        .collect::<Vec<_>>()
                ));
            }
            let said = at_entry.iter().any(|x| {
                x["links"].as_array().into_iter().flatten().any(|l| {
                    l["status"].as_str() == Some("established")
                        && l["claim"].as_str().is_some_and(|c| {
                            let c = c.to_lowercase();
                            c.contains("password") || c.contains("credential")
                        })
                })
            });
            if !said {
                f.push(format!(
                    "root cause not established as credential compromise by {method} (no established link about passwords or credentials at the entry)"
                ));
            }
        }
    }
    f
}

/// The text with thousands separators removed between digits, so `1,020` reads as `1020`.
fn numbers_in(text: &str) -> BTreeSet<u64> {
    let chars: Vec<char> = text.chars().collect();
    let mut clean = String::new();
    for (i, c) in chars.iter().enumerate() {
        let sep = matches!(c, ',' | '\u{202f}' | '\u{a0}' | '\'');
        let between = i > 0
            && chars.get(i - 1).is_some_and(|p| p.is_ascii_digit())
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if !(sep && between) {
            clean.push(*c);
        }
    }
    clean
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn check_exported(r: &Run) -> Vec<String> {
    let Some(t) = &r.truth.incident else {
        return Vec::new();
    };
    let text = r.notices.to_lowercase();
    t.mailboxes_exported
        .iter()
        .filter(|m| !text.contains(m.as_str()))
        .map(|m| format!("the breach notice does not name the exported mailbox {m}"))
        .collect()
}

fn check_phishing(r: &Run) -> Vec<String> {
    let Some(p) = r.truth.incident.as_ref().and_then(|t| t.phishing.as_ref()) else {
        return Vec::new();
    };
    let mut f = Vec::new();
    let lines: Vec<String> = r.notices.lines().map(str::to_lowercase).collect();
    let about = |words: &[&str]| -> BTreeSet<u64> {
        lines
            .iter()
            .filter(|l| words.iter().any(|w| l.contains(w)))
            .flat_map(|l| numbers_in(l))
            .collect()
    };
    if !about(&["message", "e-mail", "email"]).contains(&(p.messages as u64)) {
        f.push(format!(
            "the breach notice does not give the {} phishing messages sent from {}",
            p.messages, p.sender
        ));
    }
    if !about(&["recipient"]).contains(&(p.distinct_external_recipients as u64)) {
        f.push(format!(
            "the breach notice does not give the {} distinct external recipients of the phishing",
            p.distinct_external_recipients
        ));
    }
    if !r.notices.to_lowercase().contains(&p.sender) {
        f.push(format!(
            "the breach notice does not name the sending mailbox {}",
            p.sender
        ));
    }
    f
}

fn check_waves(r: &Run) -> Vec<String> {
    let Some(t) = &r.truth.incident else {
        return Vec::new();
    };
    let inc = match the_incident(r) {
        Ok(i) => i,
        Err(e) => return vec![format!("waves: {e}")],
    };
    let mut f = Vec::new();
    let (first, last) = (ts(&inc["first_seen"]), ts(&inc["last_seen"]));
    if let (Some(a), Some(w)) = (first, t.waves.first())
        && a > w.first_event.time + TOLERANCE
    {
        f.push(format!(
            "the incident starts at {a}, after the first wave ({})",
            w.first_event.time
        ));
    }
    if let (Some(b), Some(w)) = (last, t.waves.last())
        && b + TOLERANCE < w.first_event.time
    {
        f.push(format!(
            "the incident ends at {b}, before the last wave ({}, {})",
            w.first_event.time, w.linked_by
        ));
    }
    match inc["waves"].as_array() {
        Some(w) if w.len() == t.waves.len() => {}
        Some(w) => f.push(format!(
            "{} waves listed, expected {}",
            w.len(),
            t.waves.len()
        )),
        None => f.push(format!(
            "the incident lists no waves (expected {}, linked by {:?})",
            t.waves.len(),
            t.waves
                .iter()
                .skip(1)
                .map(|w| w.linked_by.as_str())
                .collect::<Vec<_>>()
        )),
    }
    f
}

// ---------------------------------------------------------------------------------------------------
// The ATT&CK techniques of a bundled rule (its `attack.tNNNN` tags and, for a correlation, those of
// the rules it counts).

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

struct RuleDoc {
    id: String,
    name: String,
    tags: Vec<String>,
    refs: Vec<String>,
}

fn rule_docs() -> &'static Vec<RuleDoc> {
    static DOCS: OnceLock<Vec<RuleDoc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut docs = Vec::new();
        let mut stack = vec![rules_dir()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                    let text = std::fs::read_to_string(&p).unwrap_or_default();
                    for doc in text.split("\n---") {
                        docs.push(parse_rule(doc));
                    }
                }
            }
        }
        docs
    })
}

fn parse_rule(doc: &str) -> RuleDoc {
    let mut r = RuleDoc {
        id: String::new(),
        name: String::new(),
        tags: Vec::new(),
        refs: Vec::new(),
    };
    let mut section = "";
    for line in doc.lines() {
        let top = !line.starts_with(' ') && !line.starts_with('-');
        let t = line.trim();
        if top {
            section = t.split(':').next().unwrap_or("");
            if let Some(v) = t.strip_prefix("id:") {
                r.id = v.trim().trim_matches(['\'', '"']).to_string();
            } else if let Some(v) = t.strip_prefix("name:") {
                r.name = v.trim().trim_matches(['\'', '"']).to_string();
            }
            continue;
        }
        let Some(v) = t.strip_prefix("- ") else {
            continue;
        };
        if section == "tags" {
            r.tags.push(v.trim().to_string());
        } else if section == "correlation" {
            r.refs.push(v.trim().trim_matches(['\'', '"']).to_string());
        }
    }
    r
}

/// `T1190`, `T1110.003`, … of a rule by id, following correlation references one level.
fn rule_techniques(id: &str) -> Vec<String> {
    let docs = rule_docs();
    let find = |key: &str| {
        docs.iter()
            .find(|d| d.id == key || (!d.name.is_empty() && d.name == key))
    };
    let mut out = BTreeSet::new();
    let mut todo = vec![id.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(k) = todo.pop() {
        if !seen.insert(k.clone()) {
            continue;
        }
        if let Some(d) = find(&k) {
            for t in &d.tags {
                if let Some(x) = t.strip_prefix("attack.t") {
                    out.insert(format!("T{}", x.to_ascii_uppercase()));
                }
            }
            todo.extend(d.refs.iter().cloned());
        }
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------------
// Scenario (a), OWASSRF.

#[test]
fn exchange_owassrf_one_incident_across_waves() {
    assert_all(owassrf(), check_incident_count);
}

#[test]
fn exchange_owassrf_entry_point() {
    assert_all(owassrf(), check_entry);
}

#[test]
fn exchange_owassrf_first_malicious_event_and_dwell_time() {
    assert_all(owassrf(), check_first_malicious_and_dwell);
}

#[test]
fn exchange_owassrf_root_cause() {
    assert_all(owassrf(), check_root_cause);
}

#[test]
fn exchange_owassrf_exported_mailboxes() {
    assert_all(owassrf(), check_exported);
}

#[test]
fn exchange_owassrf_phishing_counts() {
    assert_all(owassrf(), check_phishing);
}

#[test]
fn exchange_owassrf_waves() {
    assert_all(owassrf(), check_waves);
}

#[test]
fn exchange_owassrf_exit_status() {
    assert_all(owassrf(), check_exit);
}

// Scenario (a), credential stuffing and an inbox forwarding rule.

#[test]
fn exchange_stuffing_one_incident_across_waves() {
    assert_all(stuffing(), check_incident_count);
}

#[test]
fn exchange_stuffing_entry_point() {
    assert_all(stuffing(), check_entry);
}

#[test]
fn exchange_stuffing_first_malicious_event_and_dwell_time() {
    assert_all(stuffing(), check_first_malicious_and_dwell);
}

#[test]
fn exchange_stuffing_root_cause() {
    assert_all(stuffing(), check_root_cause);
}

#[test]
fn exchange_stuffing_phishing_counts() {
    assert_all(stuffing(), check_phishing);
}

#[test]
fn exchange_stuffing_waves() {
    assert_all(stuffing(), check_waves);
}

#[test]
fn exchange_stuffing_exit_status() {
    assert_all(stuffing(), check_exit);
}

// Scenario (b), the Postfix/Dovecot password spray.

#[test]
fn linux_spray_one_incident() {
    assert_all(spray(), check_incident_count);
}

#[test]
fn linux_spray_entry_point() {
    assert_all(spray(), check_entry);
}

#[test]
fn linux_spray_first_malicious_event_and_dwell_time() {
    assert_all(spray(), check_first_malicious_and_dwell);
}

#[test]
fn linux_spray_root_cause() {
    assert_all(spray(), check_root_cause);
}

#[test]
fn linux_spray_downloaded_mailbox() {
    assert_all(spray(), check_exported);
}

#[test]
fn linux_spray_phishing_counts() {
    assert_all(spray(), check_phishing);
}

#[test]
fn linux_spray_waves() {
    assert_all(spray(), check_waves);
}

#[test]
fn linux_spray_exit_status() {
    assert_all(spray(), check_exit);
}

// Scenario (c), no incident.

#[test]
fn benign_servers_open_no_incident() {
    assert_all(benign(), check_incident_count);
}

#[test]
fn benign_servers_exit_status() {
    assert_all(benign(), check_exit);
}

// ---------------------------------------------------------------------------------------------------
// The harness itself.

#[test]
fn numbers_are_read_with_thousands_separators() {
    let n = numbers_in("1,020 recipients received 400 messages; 2 024 days; 3.5");
    assert!(n.contains(&1020) && n.contains(&400) && n.contains(&3));
    assert!(!n.contains(&1) || n.contains(&1020));
    assert_eq!(kb_digits("KB5019758"), "5019758");
    let d = parse_rule(
        "title: x\nid: abc\ntags:\n    - attack.initial-access\n    - attack.t1190\nlogsource:\n    product: x\n",
    );
    assert_eq!(d.id, "abc");
    assert_eq!(d.tags, vec!["attack.initial-access", "attack.t1190"]);
}
