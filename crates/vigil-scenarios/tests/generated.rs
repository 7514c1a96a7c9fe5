//! Whole generated folders: every file is in its real format (W3C directives and field counts, Exchange
//! CSV with `#Fields`, RFC 3164 syslog lines, PowerShell 5.1 JSON with a byte-order mark, gzip that
//! decompresses, dpkg stanzas, TOML), the ground truth points at the records it describes, its counts
//! agree with the logs, and a seed always gives the same bytes.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use vigil_scenarios::{
    BenignParams, ExchangeParams, GroundTruth, LinuxMailParams, Scenario, ServerZone, Waves,
};

/// Small versions of every scenario (the formats do not depend on the amount of traffic).
fn small() -> Vec<(&'static str, Scenario)> {
    let mut ex = ExchangeParams::owassrf(5);
    ex.common.users = 5;
    ex.common.sessions_per_user_day = 1;
    ex.common.lookback_days = 8;
    ex.waves = Waves {
        count: 3,
        quiet_days: 31,
    };
    ex.phishing.per_day = 20;
    let mut st = ExchangeParams::stuffing(6);
    st.common.users = 5;
    st.common.sessions_per_user_day = 1;
    st.common.lookback_days = 8;
    st.common.zone = ServerZone::new_york();
    st.phishing.per_day = 20;
    let mut lx = LinuxMailParams::spray(7);
    lx.common.users = 6;
    lx.common.zone = ServerZone::auckland();
    lx.waves = Waves {
        count: 2,
        quiet_days: 35,
    };
    lx.phishing.per_day = 30;
    let mut be = BenignParams::exchange(8);
    be.common.users = 5;
    be.common.lookback_days = 9;
    let mut bl = BenignParams::linux(9);
    bl.common.users = 6;
    bl.common.lookback_days = 16;
    bl.common.zone = ServerZone::kolkata();
    vec![
        ("owassrf", Scenario::Exchange(ex)),
        ("stuffing", Scenario::Exchange(st)),
        ("spray", Scenario::LinuxMail(lx)),
        ("benign-exchange", Scenario::Benign(be)),
        ("benign-linux", Scenario::Benign(bl)),
    ]
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read_text(p: &Path) -> String {
    let bytes = std::fs::read(p).unwrap();
    if p.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap_or_else(|e| panic!("{}: not gzip: {e}", p.display()));
        s
    } else {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: not UTF-8: {e}", p.display()))
    }
}

fn check_w3c(p: &Path, text: &str) {
    assert!(text.ends_with("\r\n"), "{}", p.display());
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "#Software: Microsoft Internet Information Services 10.0",
        "{}",
        p.display()
    );
    assert_eq!(lines[1], "#Version: 1.0");
    assert!(lines[2].starts_with("#Date: "));
    let mut fields: Vec<&str> = Vec::new();
    for l in &lines {
        if let Some(f) = l.strip_prefix("#Fields: ") {
            fields = f.split(' ').collect();
            continue;
        }
        if l.starts_with('#') {
            continue;
        }
        let values: Vec<&str> = l.split(' ').collect();
        assert_eq!(values.len(), fields.len(), "{}: {l}", p.display());
        assert!(
            values.iter().all(|v| !v.is_empty()),
            "{}: empty value in {l}",
            p.display()
        );
        let date = values[fields.iter().position(|f| *f == "date").unwrap()];
        let time = values[fields.iter().position(|f| *f == "time").unwrap()];
        format!("{date}T{time}Z")
            .parse::<Timestamp>()
            .unwrap_or_else(|e| panic!("{}: date/time of {l}: {e}", p.display()));
    }
}

fn check_exchange_csv(p: &Path, text: &str) {
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "#Software: Microsoft Exchange Server",
        "{}",
        p.display()
    );
    assert!(lines[1].starts_with("#Version: 15.02."));
    assert!(lines[2].starts_with("#Log-type: "));
    assert!(lines[3].starts_with("#Date: "));
    let fields: Vec<&str> = lines[4]
        .strip_prefix("#Fields: ")
        .unwrap()
        .split(',')
        .collect();
    let body: String = lines[5..].join("\n");
    let mut n = 0;
    for rec in csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
    {
        let rec = rec.unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        if rec.len() == 1 && rec[0].is_empty() {
            continue;
        }
        assert_eq!(rec.len(), fields.len(), "{}: {rec:?}", p.display());
        rec[0]
            .parse::<Timestamp>()
            .unwrap_or_else(|e| panic!("{}: {}: {e}", p.display(), &rec[0]));
        n += 1;
    }
    assert!(n > 0, "{}: no record", p.display());
}

/// `Mar  4 09:05:01 host tag: message`.
fn check_syslog(p: &Path, text: &str) {
    assert!(!text.contains('\r'));
    for l in text.lines() {
        let (stamp, rest) = l.split_at(15);
        let month = &stamp[0..3];
        assert!(
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
            ]
            .contains(&month),
            "{}: {l}",
            p.display()
        );
        let day = stamp[4..6].trim_start();
        assert!(
            day.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d)),
            "{l}"
        );
        assert_eq!(&stamp[3..4], " ");
        if day.len() == 1 {
            assert_eq!(
                &stamp[4..5],
                " ",
                "single-digit days are padded with a space: {l}"
            );
        }
        let hms: Vec<&str> = stamp[7..].split(':').collect();
        assert_eq!(hms.len(), 3, "{l}");
        let (_host, msg) = rest.trim_start().split_once(' ').unwrap();
        let (tag, body) = msg
            .split_once(": ")
            .unwrap_or_else(|| panic!("no tag in {l}"));
        assert!(
            !tag.is_empty() && !tag.contains(' ') && !body.is_empty(),
            "{l}"
        );
    }
}

fn check_powershell_json(p: &Path, bytes: &[u8]) {
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "{}: no BOM",
        p.display()
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.contains("\r\n"));
    assert!(
        text.contains("\":  "),
        "{}: PowerShell 5.1 puts two spaces after ':'",
        p.display()
    );
    serde_json::from_str::<serde_json::Value>(text)
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", p.display()));
}

fn check_folder(dir: &Path, truth: &GroundTruth) -> BTreeMap<&'static str, usize> {
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    for p in files(dir) {
        let rel = p
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let kind = if rel.contains("inetpub/logs/LogFiles/W3SVC") {
            check_w3c(&p, &read_text(&p));
            "w3c"
        } else if rel.contains("Logging/HttpProxy/") || rel.contains("MessageTracking/") {
            check_exchange_csv(&p, &read_text(&p));
            "exchange-csv"
        } else if rel.contains("var/log/mail.log") {
            check_syslog(&p, &read_text(&p));
            "syslog"
        } else if rel.ends_with("var/lib/dpkg/status") {
            let t = read_text(&p);
            assert!(
                t.split("\n\n")
                    .filter(|s| !s.trim().is_empty())
                    .all(|s| s.starts_with("Package: "))
            );
            "dpkg"
        } else if rel.starts_with("inventory/") || rel.starts_with("EventLogs/") {
            check_powershell_json(&p, &std::fs::read(&p).unwrap());
            "powershell-json"
        } else if rel == "incident.toml" {
            let v: toml::Value = toml::from_str(&read_text(&p)).unwrap();
            let aware: Timestamp = v["aware_at"].as_str().unwrap().parse().unwrap();
            assert_eq!(Some(aware), truth.aware_at);
            "incident"
        } else if rel.starts_with("knowledge/") {
            "knowledge"
        } else if rel.contains("/etc/") {
            let t = read_text(&p);
            assert!(t.ends_with('\n') && !t.trim().is_empty(), "{rel}");
            "etc"
        } else {
            "other"
        };
        *kinds.entry(kind).or_default() += 1;
    }
    kinds
}

/// The line a truth reference cites.
fn cited_line(dir: &Path, file: &str, line: u64) -> String {
    let text = read_text(&dir.join(file));
    let sep = if text.contains("\r\n") { "\r\n" } else { "\n" };
    text.split(sep)
        .nth(usize::try_from(line - 1).unwrap())
        .unwrap_or_else(|| panic!("{file} has no line {line}"))
        .trim_start_matches('\u{feff}')
        .to_string()
}

/// The time written on a cited line, read back as the format defines it.
fn time_on(line: &str, file: &str, zone: &TimeZone, year: i16) -> Timestamp {
    if file.contains("var/log/") {
        let dt = jiff::fmt::strtime::parse("%b %d %H:%M:%S", line[..15].replace("  ", " 0"))
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        let (m, d) = (dt.month().unwrap(), dt.day().unwrap());
        let t = jiff::civil::date(year, m, d).at(
            dt.hour().unwrap(),
            dt.minute().unwrap(),
            dt.second().unwrap(),
            0,
        );
        t.to_zoned(zone.clone()).unwrap().timestamp()
    } else if file.contains("Logging/HttpProxy/") || file.contains("MessageTracking/") {
        line.split(',').next().unwrap().parse().unwrap()
    } else {
        let (date, rest) = line.split_once(' ').unwrap();
        format!("{date}T{}Z", &rest[..8]).parse().unwrap()
    }
}

#[test]
fn every_file_is_in_its_real_format_and_the_truth_points_at_its_records() {
    for (name, sc) in small() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("srv");
        let truth = sc.generate(&dir).unwrap();
        let kinds = check_folder(&dir, &truth);
        assert_eq!(
            kinds.get("other"),
            None,
            "{name}: unexpected files {kinds:?}"
        );
        match &sc {
            Scenario::Exchange(_) => {
                for k in [
                    "w3c",
                    "exchange-csv",
                    "powershell-json",
                    "incident",
                    "knowledge",
                ] {
                    assert!(kinds.contains_key(k), "{name}: no {k} file: {kinds:?}");
                }
            }
            Scenario::LinuxMail(_) => {
                for k in ["syslog", "dpkg", "incident"] {
                    assert!(kinds.contains_key(k), "{name}: no {k} file: {kinds:?}");
                }
            }
            Scenario::Benign(_) => assert!(truth.incident.is_none()),
        }
        let zone = match &sc {
            Scenario::Exchange(p) => p.common.zone.tz(),
            Scenario::LinuxMail(p) => p.common.zone.tz(),
            Scenario::Benign(p) => p.common.zone.tz(),
        };
        let Some(inc) = &truth.incident else { continue };
        let mut refs = vec![&inc.first_malicious, &inc.entry.event];
        refs.extend(inc.waves.iter().map(|w| &w.first_event));
        refs.extend(truth.lookalikes.iter());
        for r in refs {
            let line = cited_line(&dir, &r.file, r.line);
            if r.file.ends_with(".json") {
                assert_eq!(
                    line, "    {",
                    "{name}: {} cites the start of a record",
                    r.what
                );
                continue;
            }
            let year = r.time.to_zoned(zone.clone()).year();
            let written = time_on(&line, &r.file, &zone, year);
            assert_eq!(
                written.as_second(),
                r.time.as_second(),
                "{name}: {} ({}:{}) is written at another time: {line}",
                r.what,
                r.file,
                r.line
            );
        }
        let entry = cited_line(&dir, &inc.entry.event.file, inc.entry.event.line);
        let victim = &inc.accounts[0];
        match name {
            "owassrf" => {
                assert!(
                    entry.contains("/powershell") && entry.contains("%40"),
                    "{entry}"
                );
                assert!(
                    inc.attacker_addresses
                        .iter()
                        .any(|a| entry.contains(a.as_str()))
                );
            }
            "stuffing" => assert!(
                entry.contains(victim.as_str()) && entry.contains(" 200 "),
                "{entry}"
            ),
            "spray" => {
                assert!(
                    entry.contains(&format!("Login: user=<{victim}>")),
                    "{entry}"
                );
                assert!(
                    inc.attacker_addresses
                        .iter()
                        .any(|a| entry.contains(a.as_str()))
                );
            }
            _ => {}
        }
        // Waves are separated by their quiet periods.
        for w in inc.waves.windows(2) {
            assert!(
                w[1].start.duration_since(w[0].end).as_hours() >= 24 * 31,
                "{name}"
            );
        }
        assert!(inc.dwell.as_secs() > 0);
    }
}

/// Phishing counts of the truth, recounted from the written logs.
#[test]
fn phishing_counts_agree_with_the_logs() {
    for (name, sc) in small() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("srv");
        let truth = sc.generate(&dir).unwrap();
        let Some(ph) = truth.incident.as_ref().and_then(|i| i.phishing.clone()) else {
            continue;
        };
        let attacker: BTreeSet<String> = truth
            .incident
            .as_ref()
            .unwrap()
            .attacker_addresses
            .iter()
            .cloned()
            .collect();
        let mut messages = BTreeSet::new();
        let mut recipients = BTreeSet::new();
        for p in files(&dir) {
            let rel = p.to_string_lossy().replace('\\', "/");
            if rel.contains("MessageTracking/MSGTRK2") {
                let text = read_text(&p);
                let body: String = text
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .map(|l| format!("{l}\n"))
                    .collect();
                for rec in csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(body.as_bytes())
                    .records()
                {
                    let rec = rec.unwrap();
                    // event-id RECEIVE from the mailbox, submitted from an attacker address.
                    if &rec[8] == "RECEIVE" && rec[19] == ph.sender && attacker.contains(&rec[24]) {
                        messages.insert(rec[10].to_string());
                        recipients.extend(rec[12].split(';').map(str::to_string));
                    }
                }
            } else if rel.contains("var/log/mail.log") {
                let text = read_text(&p);
                let mut queued = BTreeSet::new();
                for l in text.lines() {
                    if l.contains(&format!("sasl_username={}", ph.sender))
                        && attacker.iter().any(|a| l.contains(&format!("[{a}]")))
                        && let Some(q) = l.split("]: ").nth(1).and_then(|r| r.split(':').next())
                    {
                        queued.insert(q.to_string());
                        messages.insert(q.to_string());
                    }
                }
                for l in text.lines() {
                    if let Some(q) = l.split("]: ").nth(1).and_then(|r| r.split(':').next())
                        && queued.contains(q)
                        && let Some(to) = l.split("to=<").nth(1).and_then(|r| r.split('>').next())
                    {
                        recipients.insert(to.to_string());
                    }
                }
            }
        }
        assert_eq!(messages.len(), ph.messages, "{name}: messages");
        assert_eq!(
            recipients.len(),
            ph.distinct_external_recipients,
            "{name}: recipients"
        );
    }
}

fn digest(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_seed_always_gives_the_same_folder() {
    let make = |seed: u64| {
        let mut p = LinuxMailParams::spray(seed);
        p.common.users = 4;
        p.common.lookback_days = 3;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("srv");
        let truth = Scenario::LinuxMail(p).generate(&dir).unwrap().to_json();
        (digest(&dir), truth, tmp)
    };
    let (a, ta, _k1) = make(42);
    let (b, tb, _k2) = make(42);
    let (c, _, _k3) = make(43);
    assert_eq!(a, b);
    assert_eq!(ta, tb);
    assert_ne!(a, c);
}

#[test]
fn scenarios_are_found_by_name() {
    for n in Scenario::NAMES {
        assert!(Scenario::by_name(n, 1).is_some(), "{n}");
    }
    assert!(Scenario::by_name("nope", 1).is_none());
}
