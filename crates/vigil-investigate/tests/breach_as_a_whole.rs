//! One breach judged as a whole, on detections built for the purpose (not the bundled examples): waves of
//! an Exchange intrusion joined by the web shell they share, benign look-alikes kept apart, HAFNIUM's
//! web-shell rule never the root cause of a ProxyShell intrusion, updates released after the entry or the
//! audit never named, an unsupported CU upgraded rather than patched, phishing counted in the notice, and
//! hostile text kept out of the Markdown and CSV outputs. A parameter sweep checks the answers hold across
//! quiet periods, numbers of waves and amounts of benign noise.

use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use vigil_investigate::breach::BreachInput;
use vigil_investigate::measures::DwellInput;
use vigil_investigate::support::UnsupportedProduct;
use vigil_investigate::timeline::{TimelineInput, incident_timeline, to_csv};
use vigil_investigate::*;
use vigil_model::{
    Detection, Ecosystem, Finding, Level, Package, PackageLocation, RecordRef, Severity, SourceRef,
};

const CVE_MAP: &str = include_str!("fixtures/cve-map.yml");
const PROXYSHELL: &str = "992be1eb-e5da-437e-9a54-6d13b57bb4d8";
const HAFNIUM_WEB: &str = "67bce556-312f-4c81-9162-c3c9ff2599b2";
const SHELL_URL: &str = "/owa/auth/errorEE.aspx";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn map() -> CveMap {
    CveMap::parse(CVE_MAP, "cve-map.yml").unwrap().0
}

struct D<'a> {
    rule: &'a str,
    title: &'a str,
    level: Level,
    tags: &'a [&'a str],
}

const PROXYSHELL_RULE: D = D {
    rule: PROXYSHELL,
    title: "Successful Exchange ProxyShell Attack",
    level: Level::Critical,
    tags: &["attack.initial-access", "detection.emerging-threats"],
};
const WEBSHELL_USE: D = D {
    rule: "webshell-use",
    title: "Request To Unknown Script In Exchange Web Directory - IIS Log",
    level: Level::High,
    tags: &["attack.persistence", "attack.t1505.003"],
};
const HAFNIUM: D = D {
    rule: HAFNIUM_WEB,
    title: "Exchange Exploitation Used by HAFNIUM",
    level: Level::High,
    tags: &["attack.initial-access", "attack.t1190"],
};
const FAILED_LOGON: D = D {
    rule: "failed-logon",
    title: "Failed Logon From Public IP",
    level: Level::Medium,
    tags: &["attack.initial-access", "attack.t1078"],
};
const OWA_LOGIN: D = D {
    rule: "owa-login-after-failures",
    title: "OWA Login From An Address With Failed Logons",
    level: Level::High,
    tags: &["attack.initial-access", "attack.t1078"],
};
const PHISHING: D = D {
    rule: "outbound-phishing",
    title: "Outbound Phishing From One Mailbox",
    level: Level::High,
    tags: &["attack.initial-access", "attack.t1566.002"],
};

fn det(r: &D<'_>, at: Timestamp, line: u64, matched: &[(&str, &str)]) -> Detection {
    Detection {
        rule_id: r.rule.into(),
        rule_title: r.title.into(),
        level: r.level,
        tags: r.tags.iter().map(|s| s.to_string()).collect(),
        timestamp: Some(at),
        first_seen: None,
        host: Some("EXCH02".into()),
        sources: vec![SourceRef {
            file: "W3SVC1/u_ex.log".into(),
            record: RecordRef::Line(line),
            generation: None,
        }],
        matched: matched
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn finding(kb: &str, released: Date, cves: &[&str]) -> Finding {
    Finding {
        asset: "EXCH02".into(),
        package: Package {
            ecosystem: Ecosystem::new("Microsoft"),
            name: "Exchange Server".into(),
            version: "15.1.2176.2".into(),
            purl: None,
            source_name: None,
            location: PackageLocation {
                file: "inventory.json".into(),
                line: None,
            },
        },
        advisories: vec![format!("KB{kb}")],
        aliases: cves.iter().map(|s| s.to_string()).collect(),
        summary: None,
        severity: Severity::Critical,
        cvss_score: None,
        cvss_vector: None,
        known_exploited: false,
        kev_due: None,
        epss: None,
        fixed_versions: vec![],
        kb: Some(kb.into()),
        fix_released: Some(released),
        due: released.checked_add(jiff::Span::new().days(14)).ok(),
    }
}

fn findings() -> Vec<Finding> {
    vec![
        finding(
            "5000871",
            date(2021, 3, 2),
            &["CVE-2021-26855", "CVE-2021-27065"],
        ),
        finding(
            "5001779",
            date(2021, 4, 13),
            &["CVE-2021-34473", "CVE-2021-34523"],
        ),
        finding("5003435", date(2021, 5, 11), &["CVE-2021-31207"]),
        // Released after the audit date below: never a finding, root cause or measure of this audit.
        finding("5014260", date(2022, 5, 10), &["CVE-2022-21978"]),
    ]
}

/// An intrusion in `waves` waves `quiet_days` apart: ProxyShell, then the same web shell used from a new
/// address each time; benign failed logons every day from the office and `noise` other clients.
fn intrusion(waves: usize, quiet_days: i64, noise: usize) -> Vec<Detection> {
    let start = ts("2021-08-12T21:14:03Z");
    let mut v = vec![
        det(
            &PROXYSHELL_RULE,
            start,
            10,
            &[
                (
                    "cs-uri-query",
                    "/autodiscover/autodiscover.json?@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
                ),
                ("context:c-ip", "203.0.113.45"),
                ("context:s-ip", "10.20.1.25"),
                ("context:cs(User-Agent)", "Mozilla/5.0+zgrab/0.x"),
            ],
        ),
        // The attacker also signs in to OWA with the browser everyone uses.
        det(
            &OWA_LOGIN,
            start + SignedDuration::from_hours(5),
            9,
            &[
                ("cs-uri-stem", "/owa/auth.owa"),
                ("context:c-ip", "203.0.113.77"),
                (
                    "context:cs(User-Agent)",
                    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
                ),
            ],
        ),
        det(
            &WEBSHELL_USE,
            start + SignedDuration::from_hours(6),
            11,
            &[
                ("cs-uri-stem", SHELL_URL),
                ("context:c-ip", "203.0.113.77"),
                ("context:s-ip", "10.20.1.25"),
                (
                    "context:cs(User-Agent)",
                    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
                ),
            ],
        ),
    ];
    let mut at = start + SignedDuration::from_hours(6);
    for w in 1..waves {
        at += SignedDuration::from_hours(24 * quiet_days);
        let addr = format!("198.51.100.{}", 10 + w);
        v.push(det(
            &WEBSHELL_USE,
            at,
            100 + w as u64,
            &[
                ("cs-uri-stem", SHELL_URL),
                ("context:c-ip", &addr),
                ("context:s-ip", "10.20.1.25"),
                (
                    "context:cs(User-Agent)",
                    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
                ),
            ],
        ));
    }
    // Benign noise every day, from a week before the intrusion to its end.
    let days = (at.duration_since(start).as_hours() / 24) as usize + 9;
    for day in 0..days {
        let when = ts("2021-08-05T09:00:00Z") + SignedDuration::from_hours(24 * day as i64);
        v.push(det(
            &FAILED_LOGON,
            when,
            1000 + day as u64,
            &[
                ("context:c-ip", "192.0.2.40"),
                ("context:cs-username", "j.doe"),
                (
                    "context:cs(User-Agent)",
                    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
                ),
                ("context:cs-uri-stem", "/owa/auth.owa"),
            ],
        ));
        for n in 0..noise {
            let a = format!("192.0.2.{}", 100 + n);
            v.push(det(
                &FAILED_LOGON,
                when + SignedDuration::from_mins(n as i64),
                5000 + (day * noise + n) as u64,
                &[
                    ("context:c-ip", &a),
                    (
                        "context:cs(User-Agent)",
                        "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
                    ),
                    ("context:cs-uri-stem", "/owa/auth.owa"),
                ],
            ));
        }
    }
    v
}

fn investigate(ds: &[Detection]) -> (Incident, RootCause) {
    let g = group_incidents(ds, &GroupOptions::default());
    assert_eq!(
        g.incidents.len(),
        1,
        "{:#?}",
        g.incidents
            .iter()
            .map(|i| (&i.id, &i.waves))
            .collect::<Vec<_>>()
    );
    let inc = g.incidents.into_iter().next().unwrap();
    let m = map();
    let fs = findings();
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &fs,
            observations: &[],
            cve_map: &m,
            expected_sources: None,
            alerts: None,
            selftests: None,
            unsupported: &[],
        },
    );
    (inc, rc)
}

#[test]
fn waves_forty_days_apart_sharing_a_web_shell_are_one_breach() {
    let (inc, rc) = investigate(&intrusion(2, 40, 3));
    assert_eq!(inc.id, "INC-EXCH02-20210812T211403Z");
    assert_eq!(inc.waves.len(), 2);
    let link = inc.waves[1].link.as_ref().unwrap();
    assert!(
        link.shared.iter().any(|e| e.value == "erroree.aspx"),
        "{link:?}"
    );
    let dw = dwell_time(
        &inc,
        &DwellInput {
            aware_at: Some(ts("2021-10-01T00:00:00Z")),
            ..DwellInput::default()
        },
    );
    assert_eq!(
        dw.first_malicious,
        ts("2021-08-12T21:14:03Z"),
        "dwell from wave 1"
    );
    let missing: Vec<&str> = rc
        .missing_fixes()
        .iter()
        .filter_map(|f| f.kb.as_deref())
        .collect();
    assert_eq!(missing, vec!["5001779", "5003435"]);
    // The office's everyday failed logons share the user agent and the OWA path, and stay out.
    assert!(inc.detections.iter().all(|d| d.rule_id != "failed-logon"));
}

#[test]
fn benign_look_alikes_do_not_join_a_later_unrelated_wave() {
    let mut ds = intrusion(1, 0, 3);
    // Two months later an unrelated high detection that shares only everyday values with the intrusion
    // (the OWA path and the browser every client uses, seen in benign detections every day), plus the
    // office address, the server's own address, loopback and a blank user name.
    ds.push(det(
        &WEBSHELL_USE,
        ts("2021-10-20T10:00:00Z"),
        900,
        &[
            ("cs-uri-stem", "/owa/auth.owa"),
            ("context:c-ip", "127.0.0.1"),
            ("context:c-ip", "192.0.2.40"),
            ("context:c-ip", "10.20.1.25"),
            ("context:cs-username", "-"),
            (
                "context:cs(User-Agent)",
                "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
            ),
        ],
    ));
    let g = group_incidents(&ds, &GroupOptions::default());
    assert_eq!(
        g.incidents.len(),
        2,
        "{:#?}",
        g.incidents.iter().map(|i| &i.entities).collect::<Vec<_>>()
    );
    assert_eq!(g.incidents[1].first_seen, ts("2021-10-20T10:00:00Z"));
    // It is the common-value rule that keeps them apart: switched off, the OWA path joins them.
    let off = GroupOptions {
        link: LinkOptions {
            common_day_share: 1.0,
            common_min_days: usize::MAX,
            common_max_addresses: usize::MAX,
        },
        ..GroupOptions::default()
    };
    assert_eq!(group_incidents(&ds, &off).incidents.len(), 1);
}

#[test]
fn parameter_sweep_answers_hold() {
    for waves in 2..=4 {
        for quiet in [31, 45, 97, 200] {
            for noise in [0, 2, 12] {
                let (inc, rc) = investigate(&intrusion(waves, quiet, noise));
                assert_eq!(
                    inc.waves.len(),
                    waves,
                    "waves {waves} quiet {quiet} noise {noise}"
                );
                assert_eq!(inc.first_seen, ts("2021-08-12T21:14:03Z"));
                assert_eq!(rc.entry_rule_id.as_deref(), Some(PROXYSHELL));
                let missing: Vec<&str> = rc
                    .missing_fixes()
                    .iter()
                    .filter_map(|f| f.kb.as_deref())
                    .collect();
                assert_eq!(missing, vec!["5001779", "5003435"], "quiet {quiet}");
                assert_eq!(inc.detections.len(), waves + 2);
            }
        }
    }
}

#[test]
fn hafnium_web_shell_use_is_consistent_with_proxylogon_never_its_root_cause() {
    // HAFNIUM-only detections: web-shell POSTs with a web-shell user agent.
    let hafnium = det(
        &HAFNIUM,
        ts("2021-08-20T02:00:00Z"),
        40,
        &[
            ("cs-method", "POST"),
            ("cs-uri-query", "/aspnet_client/shell.aspx"),
            ("cs-user-agent", "antSword/v2.1"),
            ("context:c-ip", "203.0.113.9"),
        ],
    );
    let (inc, rc) = investigate(std::slice::from_ref(&hafnium));
    assert!(rc.entry_point.is_unknown(), "{}", rc.entry_point.claim);
    assert!(rc.missing_fixes().is_empty());
    assert!(rc.exploited.iter().all(|c| c.cve.is_empty() || !c.at_entry));
    assert_eq!(rc.consistent_with.len(), 1);
    let c = &rc.consistent_with[0].claim;
    assert!(
        c.contains("consistent with CVE-2021-26855") && c.contains("not named as the root cause"),
        "{c}"
    );
    // KB5000871 shows as another missing update, not as the root cause.
    assert!(
        rc.other_overdue
            .iter()
            .any(|l| l.claim.contains("KB5000871"))
    );
    assert_eq!(inc.detections.len(), 1);

    // The same rule firing on web-shell use inside a ProxyShell intrusion: ProxyShell stays the cause.
    let mut ds = intrusion(1, 0, 0);
    ds.push(hafnium);
    let (_, rc) = investigate(&ds);
    let missing: Vec<&str> = rc
        .missing_fixes()
        .iter()
        .filter_map(|f| f.kb.as_deref())
        .collect();
    assert_eq!(missing, vec!["5001779", "5003435"]);
    assert!(
        rc.exploited
            .iter()
            .all(|c| !c.cve.starts_with("CVE-2021-26"))
    );
    assert_eq!(rc.consistent_with.len(), 1);
}

#[test]
fn updates_after_the_entry_or_the_audit_are_never_named() {
    // A zero-day at the time: the only finding's fix came out after the exploitation.
    let zero_day = D {
        rule: "zero-day",
        title: "Exchange Exploitation Of CVE-2022-21978",
        level: Level::Critical,
        tags: &["attack.initial-access", "attack.t1190", "cve.2022-21978"],
    };
    let d = det(
        &zero_day,
        ts("2022-04-01T10:00:00Z"),
        1,
        &[("context:c-ip", "203.0.113.3")],
    );
    let (inc, rc) = investigate(std::slice::from_ref(&d));
    assert!(rc.missing_fixes().is_empty());
    let c = rc
        .exploited
        .iter()
        .find(|c| c.cve == "CVE-2022-21978")
        .unwrap();
    assert!(c.at_entry);
    assert!(
        c.links.iter().any(|l| l
            .claim
            .starts_with("No fix for CVE-2022-21978 was available at the exploitation")),
        "{:#?}",
        c.links
    );

    // Proposed measures as of an audit on 2021-11-29: the May 2022 update did not exist yet.
    let (inc2, rc2) = investigate(&intrusion(1, 0, 0));
    let dw = dwell_time(&inc2, &DwellInput::default());
    let fs = findings();
    let record = IncidentRecord::default();
    let draft = draft_breach(&BreachInput {
        record: &record,
        incident: &inc2,
        root_cause: &rc2,
        dwell: &dw,
        findings: &fs,
        kev: &[],
        drafted_at: None,
        as_of: Some(date(2021, 11, 29)),
        unsupported: &[],
    });
    assert!(
        draft
            .measures_proposed
            .iter()
            .any(|m| m.contains("KB5001779"))
    );
    assert!(
        draft
            .measures_proposed
            .iter()
            .all(|m| !m.contains("KB5014260")),
        "{:#?}",
        draft.measures_proposed
    );
    drop(inc);
}

#[test]
fn an_unsupported_cu_is_upgraded_not_patched() {
    let (inc, _) = investigate(&intrusion(1, 0, 0));
    let cu = UnsupportedProduct {
        asset: "EXCH02".into(),
        package: "Exchange Server".into(),
        version: "15.1.2176.2".into(),
        product: "Exchange Server 2016 CU19".into(),
        since: Some(date(2021, 7, 13)),
        detail: "KB5004779 (2021-07-13) published for CU20 and CU21 only".into(),
    };
    let m = map();
    let fs = findings();
    let unsupported = [cu];
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &fs,
            observations: &[],
            cve_map: &m,
            expected_sources: None,
            alerts: None,
            selftests: None,
            unsupported: &unsupported,
        },
    );
    assert_eq!(rc.support.len(), 1);
    assert!(
        rc.support[0]
            .claim
            .contains("was out of support at the entry point")
    );
    let dw = dwell_time(&inc, &DwellInput::default());
    let record = IncidentRecord::default();
    let draft = draft_breach(&BreachInput {
        record: &record,
        incident: &inc,
        root_cause: &rc,
        dwell: &dw,
        findings: &fs,
        kev: &[],
        drafted_at: None,
        as_of: Some(date(2021, 11, 29)),
        unsupported: &unsupported,
    });
    assert!(
        draft.measures_proposed[0].starts_with(
            "Upgrade Exchange Server 2016 CU19 on EXCH02 to a supported cumulative update, then install the latest security update"
        ),
        "{:#?}",
        draft.measures_proposed
    );
    assert!(draft.measures_proposed[0].contains("KB5001779"));
    assert!(
        draft
            .measures_proposed
            .iter()
            .all(|m| !m.starts_with("Install KB")),
        "no KB for an unsupported CU: {:#?}",
        draft.measures_proposed
    );
}

#[test]
fn phishing_and_waves_reach_the_notice_and_hostile_text_does_not() {
    let mut ds = intrusion(2, 60, 1);
    let mut p = det(
        &PHISHING,
        ts("2021-10-11T09:15:03Z"),
        700,
        &[
            ("sender", "reception@clinic.example.org"),
            ("message_count", "24"),
            ("external_recipient_count", "24"),
            ("context:c-ip", "198.51.100.11"),
        ],
    );
    p.first_seen = Some(ts("2021-10-11T09:12:04Z"));
    ds.push(p);
    // Hostile values in a log field.
    ds.push(det(
        &WEBSHELL_USE,
        ts("2021-10-11T09:20:00Z"),
        701,
        &[
            ("cs-uri-stem", SHELL_URL),
            (
                "context:cs-uri-query",
                "c=<script>alert(1)</script>\u{1b}]0;owned\u{7}\u{1b}[2J",
            ),
            ("context:cs(User-Agent)", "<img src=x onerror=alert(1)>"),
        ],
    ));
    let (inc, rc) = investigate(&ds);
    let dw = dwell_time(&inc, &DwellInput::default());
    let record = IncidentRecord {
        title: Some("EXCH02 <script>alert('title')</script> \u{1b}[31mred\u{7}".into()),
        ..IncidentRecord::default()
    };
    let fs = findings();
    let draft = draft_breach(&BreachInput {
        record: &record,
        incident: &inc,
        root_cause: &rc,
        dwell: &dw,
        findings: &fs,
        kev: &[],
        drafted_at: None,
        as_of: None,
        unsupported: &[],
    });
    let nature = draft.nature.join("\n");
    assert!(nature.contains("The breach came in 2 waves"), "{nature}");
    assert!(
        nature.contains("24 message(s) to 24 distinct external recipient(s) from mailbox reception@clinic.example.org between 2021-10-11 09:12:04 UTC and 2021-10-11 09:15:03 UTC"),
        "{nature}"
    );
    assert_eq!(draft.phishing.len(), 1);
    // The phishing is not the entry point.
    assert_eq!(rc.entry_rule_id.as_deref(), Some(PROXYSHELL));

    let md = draft.to_markdown();
    for bad in ["<script", "<img", "\u{1b}", "\u{7}"] {
        assert!(!md.contains(bad), "{bad:?} in the notice");
    }
    assert!(md.contains("&lt;script&gt;"), "escaped, not dropped");
    let timeline = incident_timeline(
        &inc,
        &TimelineInput {
            detections: &inc.detections,
            ..TimelineInput::default()
        },
    );
    let csv = to_csv(&timeline);
    assert!(
        !csv.contains('\u{1b}') && !csv.contains('\u{7}'),
        "control characters in timeline.csv"
    );
    assert!(csv.contains("Wave start"), "waves on the timeline");
}
