//! The Linux mail scenario (examples/linux-mail): a password spray, then a successful login. No software
//! vulnerability is involved, and the root cause must not invent one.

use vigil_investigate::*;
use vigil_model::{Detection, Level, RecordRef, SourceRef};

fn det(rule: &str, title: &str, tags: &[&str], at: &str, line: u64) -> Detection {
    Detection {
        rule_id: rule.into(),
        rule_title: title.into(),
        level: Level::High,
        tags: tags.iter().map(|s| s.to_string()).collect(),
        timestamp: Some(at.parse().unwrap()),
        first_seen: None,
        host: Some("mx1".into()),
        sources: vec![SourceRef {
            file: "logs/mail.log".into(),
            record: RecordRef::Line(line),
        }],
        matched: vec![],
    }
}

#[test]
fn password_spray_is_the_cause_not_a_cve() {
    let ds = vec![
        det(
            "spray",
            "Password Spray Against Dovecot",
            &["attack.credential-access", "attack.t1110.003"],
            "2022-04-12T01:33:00Z",
            900,
        ),
        det(
            "login",
            "Dovecot Login After Brute Force",
            &[
                "attack.credential-access",
                "attack.t1110",
                "attack.initial-access",
            ],
            "2022-04-12T02:17:44Z",
            1102,
        ),
    ];
    let g = group_incidents(&ds, &GroupOptions::default());
    assert_eq!(g.incidents.len(), 1);
    let inc = &g.incidents[0];
    let rc = root_cause(
        inc,
        &RootCauseInput {
            findings: &[],
            observations: &[],
            cve_map: &CveMap::default(),
            expected_sources: None,
            alerts: None,
        },
    );
    assert_eq!(rc.entry_rule_id.as_deref(), Some("login"));
    assert_eq!(rc.exploited.len(), 1);
    let c = &rc.exploited[0];
    assert!(c.cve.is_empty() && c.findings.is_empty());
    assert_eq!(c.links[0].status, LinkStatus::Established);
    assert!(
        c.links[0].claim.contains("password guessing"),
        "{}",
        c.links[0].claim
    );
    assert_eq!(c.links[0].evidence.len(), 2, "the spray and the entry");

    // Without the spray detection the weakness is unknown, and the link says what would settle it.
    let only_login = Detection {
        tags: vec!["attack.initial-access".into()],
        ..ds[1].clone()
    };
    let g2 = group_incidents(&[only_login], &GroupOptions::default());
    assert_eq!(g2.incidents.len(), 1);
    let rc = root_cause(
        &g2.incidents[0],
        &RootCauseInput {
            findings: &[],
            observations: &[],
            cve_map: &CveMap::default(),
            expected_sources: None,
            alerts: None,
        },
    );
    assert!(rc.exploited[0].links[0].is_unknown());
}
