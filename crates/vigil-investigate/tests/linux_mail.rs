//! The Linux mail scenario (examples/linux-mail), rebuilt from the detections vigil's mail rules raise on
//! it (with the record context `vigil audit` attaches): a password spray from three addresses of one
//! network, a successful login from one of them, a bulk IMAP download, and a phishing burst the next
//! morning. No software vulnerability is involved, and the root cause must not invent one.

use vigil_investigate::breach::BreachInput;
use vigil_investigate::mailbox::{mailbox_exports, phishing};
use vigil_investigate::measures::DwellInput;
use vigil_investigate::*;
use vigil_model::{Detection, Level, RecordRef, SourceRef};

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

#[allow(clippy::too_many_arguments)]
fn det(
    rule: &str,
    title: &str,
    level: Level,
    tags: &[&str],
    first: &str,
    at: &str,
    lines: &[u64],
    matched: &[(&str, &str)],
) -> Detection {
    Detection {
        rule_id: rule.into(),
        rule_title: title.into(),
        level,
        tags: tags.iter().map(|s| s.to_string()).collect(),
        timestamp: Some(ts(at)),
        first_seen: Some(ts(first)),
        host: Some("mx1".into()),
        sources: lines
            .iter()
            .map(|n| SourceRef {
                file: "logs/mail.log".into(),
                record: RecordRef::Line(*n),
                generation: None,
            })
            .collect(),
        matched: matched
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

const SPRAY: &[&str] = &["attack.credential-access", "attack.t1110.003"];
const LOGIN: &[&str] = &[
    "attack.credential-access",
    "attack.t1110.003",
    "attack.initial-access",
    "attack.t1078",
];

/// The detections of the scenario; `spray_level` lets a test make the spray a precursor (medium).
fn detections(spray_level: Level) -> Vec<Detection> {
    vec![
        det(
            "spray",
            "Dovecot Password Spraying Across Many Accounts",
            spray_level,
            SPRAY,
            "2022-04-12T01:03:17Z",
            "2022-04-12T01:18:48Z",
            &[715, 718, 721],
            &[
                ("hostname", "mx1"),
                ("value_count", "8"),
                ("context:rip", "198.51.100.23"),
                ("context:rip", "198.51.100.24"),
                ("context:user", "info@physio.example.com"),
            ],
        ),
        det(
            "login",
            "Dovecot Successful Login From An Address That Sprayed Passwords",
            Level::High,
            LOGIN,
            "2022-04-12T01:35:20Z",
            "2022-04-12T02:17:44Z",
            &[721, 730, 847],
            &[
                ("rip", "198.51.100.61"),
                ("rules_matched", "2"),
                ("context:user", "reception@physio.example.com"),
            ],
        ),
        det(
            "download",
            "Bulk Mailbox Download Over IMAP/POP3",
            Level::Medium,
            &[
                "attack.collection",
                "attack.t1114.002",
                "attack.exfiltration",
            ],
            "2022-04-12T02:47:38Z",
            "2022-04-12T02:52:07Z",
            &[871, 872],
            &[
                ("user", "reception@physio.example.com"),
                ("value_sum", "2545974591"),
                ("context:out", "1934771203"),
                ("context:out", "611203388"),
                ("context:rip", "198.51.100.61"),
            ],
        ),
        det(
            "burst",
            "Postfix Mass Mailing From One Sender",
            Level::High,
            &[
                "attack.lateral-movement",
                "attack.t1534",
                "attack.initial-access",
                "attack.t1566",
            ],
            "2022-04-13T06:02:11Z",
            "2022-04-13T06:10:46Z",
            &[1623, 1654, 1683, 1712, 1741],
            &[
                ("from", "reception@physio.example.com"),
                ("value_sum", "115"),
                ("context:nrcpt", "23"),
            ],
        ),
    ]
}

fn input(map: &CveMap) -> RootCauseInput<'_> {
    RootCauseInput {
        findings: &[],
        observations: &[],
        cve_map: map,
        expected_sources: None,
        alerts: None,
        selftests: None,
        unsupported: &[],
    }
}

#[test]
fn password_spray_is_the_cause_not_a_cve() {
    let map = CveMap::default();
    let g = group_incidents(&detections(Level::High), &GroupOptions::default());
    assert_eq!(g.incidents.len(), 1);
    let inc = &g.incidents[0];
    assert_eq!(
        inc.detections.len(),
        4,
        "the download joins between strong detections"
    );
    let rc = root_cause(inc, &input(&map));
    // The phishing burst is tagged Initial Access but is not how the server was entered.
    assert_eq!(rc.entry_rule_id.as_deref(), Some("login"));
    assert_eq!(
        rc.credential_compromise.as_deref(),
        Some("password spraying")
    );
    assert_eq!(rc.exploited.len(), 1);
    let c = &rc.exploited[0];
    assert!(c.cve.is_empty() && c.findings.is_empty());
    assert_eq!(c.links[0].status, LinkStatus::Established);
    let claim = &c.links[0].claim;
    assert!(
        claim.contains("credential compromise by password spraying")
            && claim.contains("No software vulnerability was used")
            && claim.contains("password guessing")
            && claim.contains("network 198.51.100.0/24"),
        "{claim}"
    );
    assert_eq!(c.links[0].evidence.len(), 2, "the spray and the entry");
    assert!(rc.missing_fixes().is_empty());

    // Dwell time from the first failed login of the spray, not from when the correlation fired.
    let dw = dwell_time(
        inc,
        &DwellInput {
            aware_at: Some(ts("2022-04-13T09:25:00Z")),
            ..DwellInput::default()
        },
    );
    assert_eq!(dw.first_malicious, ts("2022-04-12T01:03:17Z"));
    assert_eq!(
        time::format_duration(dw.to_awareness.unwrap()),
        "1 d 8 h 21 min 43 s"
    );

    // What was taken and what was sent.
    let taken = mailbox_exports(&inc.detections);
    assert_eq!(taken.exported.len(), 1);
    assert_eq!(taken.exported[0].mailbox, "reception@physio.example.com");
    let sent = phishing(&inc.detections);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].messages, sent[0].recipients), (5, Some(115)));
    assert!(sent[0].at_least);

    let record = IncidentRecord {
        aware_at: Some(ts("2022-04-13T09:25:00Z")),
        ..IncidentRecord::default()
    };
    let draft = draft_breach(&BreachInput {
        record: &record,
        incident: inc,
        root_cause: &rc,
        dwell: &dw,
        findings: &[],
        kev: &[],
        drafted_at: None,
        as_of: None,
        unsupported: &[],
    });
    let nature = draft.nature.join("\n");
    assert!(
        nature.contains("by logging in with a guessed password at 2022-04-12 02:17:44 UTC (credential compromise by password spraying; no software vulnerability was used)"),
        "{nature}"
    );
    assert!(
        nature.contains("at least 5 message(s) to at least 115 recipient(s) from mailbox reception@physio.example.com"),
        "{nature}"
    );
    assert!(
        nature.contains("reception@physio.example.com (downloaded"),
        "{nature}"
    );
    assert!(
        draft
            .measures_proposed
            .iter()
            .any(|m| m.starts_with("Reset the passwords of reception@physio.example.com")),
        "{:?}",
        draft.measures_proposed
    );
}

#[test]
fn spray_precursors_days_before_the_login_start_the_incident() {
    // The spray (medium: a precursor) three days before the login, sharing its network.
    let mut ds = detections(Level::Medium);
    for d in &mut ds {
        if d.rule_id == "spray" {
            d.timestamp = Some(ts("2022-04-09T01:18:48Z"));
            d.first_seen = Some(ts("2022-04-09T01:03:17Z"));
        }
    }
    let g = group_incidents(&ds, &GroupOptions::default());
    assert_eq!(g.incidents.len(), 1);
    let inc = &g.incidents[0];
    assert_eq!(inc.waves.len(), 1, "the spray starts the login's wave");
    assert_eq!(inc.waves[0].precursors, 1);
    let dw = dwell_time(inc, &DwellInput::default());
    assert_eq!(dw.first_malicious, ts("2022-04-09T01:03:17Z"));
    let map = CveMap::default();
    let rc = root_cause(inc, &input(&map));
    assert_eq!(
        rc.credential_compromise.as_deref(),
        Some("password spraying")
    );

    // A spray from an unrelated network is neither a precursor nor the cause.
    let mut other = ds.clone();
    for d in &mut other {
        if d.rule_id == "spray" {
            d.matched = vec![
                ("context:rip".into(), "192.0.2.201".into()),
                ("context:user".into(), "info@physio.example.com".into()),
            ];
        }
    }
    let g = group_incidents(&other, &GroupOptions::default());
    let inc = &g.incidents[0];
    assert_eq!(inc.waves.len(), 1);
    assert!(inc.detections.iter().all(|d| d.rule_id != "spray"));
    let rc = root_cause(inc, &input(&map));
    // The login correlation itself counts failures from its own address.
    assert_eq!(
        rc.credential_compromise.as_deref(),
        Some("password spraying")
    );

    // A bare login with no guessing tied to it: how the password was obtained is unknown.
    let only_login = Detection {
        tags: vec!["attack.initial-access".into(), "attack.t1078".into()],
        ..ds[1].clone()
    };
    let g2 = group_incidents(&[only_login], &GroupOptions::default());
    let rc = root_cause(&g2.incidents[0], &input(&map));
    assert!(rc.exploited[0].links[0].is_unknown());
    assert_eq!(rc.credential_compromise, None);
}
