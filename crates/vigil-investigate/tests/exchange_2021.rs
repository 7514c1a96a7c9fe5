//! The bundled Exchange 2021 scenario (examples/exchange-2021), rebuilt in code: the detections the
//! ProxyShell and mailbox-export rules raise on its logs, the findings for the missing March, April and
//! May 2021 security updates, and the organisation's incident record.

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use vigil_investigate::breach::BreachInput;
use vigil_investigate::incident::DetectionKey;
use vigil_investigate::mailbox::mailbox_exports;
use vigil_investigate::measures::{DwellInput, patch_latency_by_asset};
use vigil_investigate::timeline::{EntrySource, incident_timeline, to_csv, to_jsonl};
use vigil_investigate::*;
use vigil_model::{
    Detection, Ecosystem, Finding, Level, Package, PackageLocation, RecordRef, Severity, SourceRef,
};

const CVE_MAP: &str = include_str!("fixtures/cve-map.yml");
const INCIDENT_TOML: &str = include_str!("fixtures/exchange-2021-incident.toml");

const PROXYSHELL_SUCCESS: &str = "992be1eb-e5da-437e-9a54-6d13b57bb4d8";
const VIGIL_PROXYSHELL: &str = "10062ae0-9409-42ab-8ad3-bcaaac8f768a";
const MAILBOX_EXPORT: &str = "516376b4-05cd-4122-bae0-ad7641c38d48";
const REMOVE_EXPORT: &str = "09570ae5-889e-43ea-aac0-0e1221fb3d95";
const MRS_ASPX: &str = "7280c9f3-a5af-45d0-916a-bc01cb4151c9";
const W3WP_CMD: &str = "8202070f-edeb-4d31-a010-a26c72ac5600";
const DEFENDER: &str = "57b649ef-ff42-4fb0-8bf6-62da243a1708";
const HAFNIUM_WEB: &str = "67bce556-312f-4c81-9162-c3c9ff2599b2";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A rule as the detection names it: id, title, level, tags.
type Rule<'a> = (&'a str, &'a str, Level, &'a [&'a str]);

fn det(
    (rule, title, level, tags): Rule<'_>,
    at: &str,
    host: &str,
    file: &str,
    rec: RecordRef,
    matched: &[(&str, &str)],
) -> Detection {
    Detection {
        rule_id: rule.into(),
        rule_title: title.into(),
        level,
        tags: tags.iter().map(|s| s.to_string()).collect(),
        timestamp: Some(ts(at)),
        first_seen: None,
        host: Some(host.into()),
        sources: vec![SourceRef {
            file: file.into(),
            record: rec,
            generation: None,
        }],
        matched: matched
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn iis(rule: &str, at: &str, day: &str, line: u64, uri: &str) -> Detection {
    let (title, level, tags): (&str, Level, &[&str]) = if rule == PROXYSHELL_SUCCESS {
        (
            "Successful Exchange ProxyShell Attack",
            Level::Critical,
            &["attack.initial-access", "detection.emerging-threats"],
        )
    } else {
        (
            "Exchange ProxyShell Autodiscover Path Confusion - IIS Log",
            Level::High,
            &[
                "attack.initial-access",
                "attack.t1190",
                "cve.2021-34473",
                "cve.2021-34523",
                "detection.emerging-threats",
            ],
        )
    };
    // IIS logs carry no host name: `vigil audit --asset MAIL01` names it.
    det(
        (rule, title, level, tags),
        at,
        "MAIL01",
        &format!("logs/iis/W3SVC1/u_ex{day}.log"),
        RecordRef::Line(line),
        &[("cs-uri-query", uri)],
    )
}

fn mgmt(rule: &str, at: &str, record: u64, data: &str) -> Detection {
    let (title, level, tags): (&str, Level, &[&str]) = match rule {
        MAILBOX_EXPORT => (
            "Mailbox Export to Exchange Webserver",
            Level::Critical,
            &["attack.persistence", "attack.t1505.003"],
        ),
        _ => (
            "Remove Exported Mailbox from Exchange Webserver",
            Level::High,
            &["attack.stealth", "attack.t1070"],
        ),
    };
    let raw = format!("Cmdlet suceeded. Cmdlet {data}.");
    det(
        (rule, title, level, tags),
        at,
        "MAIL01.clinic.example.org",
        "logs/windows/MSExchange_Management.jsonl",
        RecordRef::EvtxRecord(record),
        &[("keywords", &raw)],
    )
}

fn sysmon(rule: &str, at: &str, record: u64) -> Detection {
    let (title, tags): (&str, &[&str]) = if rule == MRS_ASPX {
        (
            "Suspicious MSExchangeMailboxReplication ASPX Write",
            &[
                "attack.initial-access",
                "attack.t1190",
                "attack.persistence",
                "attack.t1505.003",
            ],
        )
    } else {
        (
            "Suspicious Process By Web Server Process",
            &[
                "attack.persistence",
                "attack.initial-access",
                "attack.t1505.003",
                "attack.t1190",
            ],
        )
    };
    det(
        (rule, title, Level::High, tags),
        at,
        "MAIL01.clinic.example.org",
        "logs/windows/Microsoft-Windows-Sysmon_Operational.jsonl",
        RecordRef::EvtxRecord(record),
        &[],
    )
}

fn defender(at: &str, record: u64) -> Detection {
    det(
        (
            DEFENDER,
            "Windows Defender Threat Detected",
            Level::High,
            &["attack.execution", "attack.t1059"],
        ),
        at,
        "MAIL01.clinic.example.org",
        "logs/windows/Microsoft-Windows-Windows_Defender_Operational.jsonl",
        RecordRef::EvtxRecord(record),
        &[("EventID", "1116")],
    )
}

/// The benign export the MSP made for a leaver (record 8810): the rule matches any UNC `-FilePath`.
fn leaver_export() -> Detection {
    mgmt(
        MAILBOX_EXPORT,
        "2021-08-11T14:22:37.530Z",
        8810,
        r#"New-MailboxExportRequest, parameters -Mailbox "t.brennan@clinic.example.org" -FilePath "\\FS01\Exports$\t.brennan-leaver-2021-08-11.pst""#,
    )
}

fn detections(with_probe: bool) -> Vec<Detection> {
    let mut v = vec![leaver_export()];
    if with_probe {
        let probe = "/autodiscover/autodiscover.json?@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp";
        v.push(iis(
            PROXYSHELL_SUCCESS,
            "2021-08-12T21:14:03Z",
            "210812",
            354,
            probe,
        ));
        v.push(iis(
            VIGIL_PROXYSHELL,
            "2021-08-12T21:14:03Z",
            "210812",
            354,
            probe,
        ));
    }
    let ews = "/autodiscover/autodiscover.json?@evil.corp/EWS/exchange.asmx?&Email=autodiscover/autodiscover.json%3F@evil.corp";
    let ps = "/autodiscover/autodiscover.json?@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9z&Email=autodiscover/autodiscover.json%3F@evil.corp";
    v.extend([
        iis(VIGIL_PROXYSHELL, "2021-08-13T03:02:11Z", "210813", 13, "/autodiscover/autodiscover.json?@evil.corp/autodiscover/autodiscover.xml"),
        iis(PROXYSHELL_SUCCESS, "2021-08-13T03:02:14Z", "210813", 15, ews),
        iis(PROXYSHELL_SUCCESS, "2021-08-13T03:02:17Z", "210813", 16, ps),
        iis(PROXYSHELL_SUCCESS, "2021-08-13T03:02:20Z", "210813", 17, ps),
        mgmt(MAILBOX_EXPORT, "2021-08-13T03:02:31.603Z", 8814, r#"New-ManagementRoleAssignment, parameters -Role "Mailbox Import Export" -User "administrator@clinic.example.org""#),
        mgmt(MAILBOX_EXPORT, "2021-08-13T03:02:35.379Z", 8815, r##"New-MailboxExportRequest, parameters -Mailbox "administrator@clinic.example.org" -IncludeFolders "#Drafts#" -ContentFilter "(Subject -eq 'kxnqtm')" -ExcludeDumpster "True" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\kxnqtm.aspx""##),
        sysmon(MRS_ASPX, "2021-08-13T03:03:20Z", 512013),
        mgmt(REMOVE_EXPORT, "2021-08-13T03:03:41.402Z", 8816, r#"Remove-MailboxExportRequest, parameters -Identity "clinic.example.org/Users/Administrator\MailboxExport" -Confirm "False""#),
        sysmon(W3WP_CMD, "2021-08-13T03:04:05Z", 512014),
        mgmt(MAILBOX_EXPORT, "2021-08-13T03:07:57.688Z", 8817, r##"New-MailboxExportRequest, parameters -Mailbox "administrator@clinic.example.org" -IncludeFolders "#Drafts#" -ContentFilter "(Subject -eq 'errorEE')" -ExcludeDumpster "True" -FilePath "\\127.0.0.1\c$\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\errorEE.aspx""##),
        defender("2021-08-13T03:19:44.122Z", 1402),
        mgmt(MAILBOX_EXPORT, "2021-08-13T03:26:49.134Z", 8819, r#"New-MailboxExportRequest, parameters -Mailbox "referrals@clinic.example.org" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\system_web\ref.pst""#),
        mgmt(MAILBOX_EXPORT, "2021-08-13T03:26:55.170Z", 8820, r#"New-MailboxExportRequest, parameters -Mailbox "reception@clinic.example.org" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\system_web\rec.pst""#),
        sysmon(W3WP_CMD, "2021-08-13T03:53:12Z", 512031),
        defender("2021-09-03T02:17:41.862Z", 1404),
        defender("2021-09-21T23:55:08.421Z", 1406),
        defender("2021-10-14T04:02:19.983Z", 1408),
        defender("2021-11-08T01:33:50.301Z", 1410),
        iis(PROXYSHELL_SUCCESS, "2021-11-22T09:12:04Z", "211122", 40, ews),
        iis(PROXYSHELL_SUCCESS, "2021-11-23T08:50:27Z", "211123", 77, ews),
    ]);
    v
}

fn exchange_finding(kb: &str, released: jiff::civil::Date, fixed: &str, cves: &[&str]) -> Finding {
    Finding {
        asset: "MAIL01".into(),
        package: Package {
            ecosystem: Ecosystem::new("Microsoft"),
            name: "Exchange Server 2019".into(),
            version: "15.2.792.3".into(),
            purl: None,
            source_name: None,
            location: PackageLocation {
                file: "inventory/MAIL01.json".into(),
                line: None,
            },
        },
        advisories: vec![format!("KB{kb}")],
        aliases: cves.iter().map(|s| s.to_string()).collect(),
        summary: None,
        severity: Severity::Critical,
        cvss_score: Some(9.8),
        cvss_vector: None,
        known_exploited: true,
        kev_due: None,
        epss: None,
        fixed_versions: vec![fixed.into()],
        kb: Some(kb.into()),
        fix_released: Some(released),
        due: released.checked_add(jiff::Span::new().days(14)).ok(),
    }
}

fn findings() -> Vec<Finding> {
    vec![
        exchange_finding(
            "5000871",
            date(2021, 3, 2),
            "15.2.792.10",
            &[
                "CVE-2021-26412",
                "CVE-2021-26854",
                "CVE-2021-26855",
                "CVE-2021-26857",
                "CVE-2021-26858",
                "CVE-2021-27065",
                "CVE-2021-27078",
            ],
        ),
        exchange_finding(
            "5001779",
            date(2021, 4, 13),
            "15.2.792.13",
            &[
                "CVE-2021-28480",
                "CVE-2021-28481",
                "CVE-2021-28482",
                "CVE-2021-28483",
                "CVE-2021-34473",
                "CVE-2021-34523",
                "CVE-2021-33766",
            ],
        ),
        exchange_finding(
            "5003435",
            date(2021, 5, 11),
            "15.2.792.15",
            &[
                "CVE-2021-31195",
                "CVE-2021-31198",
                "CVE-2021-31207",
                "CVE-2021-31209",
            ],
        ),
    ]
}

fn inventory() -> Vec<InventoryObservation> {
    vec![InventoryObservation {
        asset: "MAIL01".into(),
        package: "Exchange Server 2019".into(),
        version: "15.2.792.3".into(),
        observed_at: ts("2021-08-02T09:00:00Z"),
        kind: ObservationKind::VulnerableSeen,
        advisories: vec![],
        file: "inventory/MAIL01.json".into(),
    }]
}

fn defender_alerts(ds: &[Detection]) -> Vec<AlertRecord> {
    ds.iter()
        .filter(|d| d.rule_id == DEFENDER)
        .map(|d| AlertRecord {
            rule_id: d.rule_id.clone(),
            source: d.sources[0].clone(),
            raised_at: d.timestamp,
            acknowledged_at: None,
            acknowledged_by: None,
            alert_id: None,
        })
        .collect()
}

fn cve_map() -> CveMap {
    let (map, issues) = CveMap::parse(CVE_MAP, "rules/cve-map.yml").unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    map
}

fn triage() -> GroupOptions {
    GroupOptions {
        dismissed: vec![DetectionKey::of(&leaver_export()).unwrap()],
        ..GroupOptions::default()
    }
}

#[test]
fn bundled_cve_map_links_proxyshell_rules() {
    let map = cve_map();
    assert!(map.len() >= 40);
    // Every curated entry says what a hit shows.
    let unreviewed: Vec<&str> = map
        .mappings()
        .filter(|m| m.role.is_none())
        .map(|m| m.rule.as_str())
        .collect();
    assert!(unreviewed.is_empty(), "{unreviewed:?}");
    use vigil_investigate::cvemap::CveRole;
    let role = |id: &str| map.get(id).and_then(|m| m.role);
    assert_eq!(role(HAFNIUM_WEB), Some(CveRole::PostExploitation));
    assert_eq!(role(PROXYSHELL_SUCCESS), Some(CveRole::Exploit));
    assert_eq!(role(MAILBOX_EXPORT), Some(CveRole::PostExploitation));
    assert_eq!(role(MRS_ASPX), Some(CveRole::Exploit));
    assert_eq!(role(REMOVE_EXPORT), Some(CveRole::PostExploitation));
    assert_eq!(
        map.get(PROXYSHELL_SUCCESS).unwrap().cves,
        vec!["CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"]
    );
    let d = iis(VIGIL_PROXYSHELL, "2021-08-13T03:02:11Z", "210813", 13, "/x");
    let cves: Vec<String> = cves_for_detection(&d, &map)
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        cves,
        vec!["CVE-2021-34473", "CVE-2021-34523"],
        "vigil's own rule: tags only"
    );
}

#[test]
fn one_incident_ordered_by_time_and_tactic() {
    let g = group_incidents(&detections(true), &triage());
    assert_eq!(
        g.incidents.len(),
        1,
        "{:?}",
        g.incidents.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
    assert_eq!(g.dismissed.len(), 1);
    let inc = &g.incidents[0];
    assert_eq!(inc.id, "INC-MAIL01-20210812T211403Z");
    assert_eq!(inc.first_seen, ts("2021-08-12T21:14:03Z"));
    assert_eq!(inc.last_seen, ts("2021-11-23T08:50:27Z"));
    assert_eq!(inc.highest_level, Level::Critical);
    assert_eq!(inc.tactics.first(), Some(&Tactic::InitialAccess));
    assert!(inc.tactics.contains(&Tactic::Persistence) && inc.tactics.contains(&Tactic::Stealth));
    let by = inc.by_tactic();
    assert_eq!(by[0].0, Some(Tactic::InitialAccess));
    assert!(by.windows(2).all(|w| w[0].0 < w[1].0));

    // A 7-day window splits the months of re-dropped web shells (Defender events that name nothing
    // shared) into separate incidents, but the November return through the same ProxyShell path joins
    // the August intrusion as its second wave.
    let week = GroupOptions {
        gap: SignedDuration::from_hours(7 * 24),
        ..triage()
    };
    let split = group_incidents(&detections(true), &week).incidents;
    assert_eq!(split.len(), 5);
    assert_eq!(split[0].waves.len(), 2);
    assert_eq!(split[0].last_seen, ts("2021-11-23T08:50:27Z"));
    let returned = split[0].waves[1].link.as_ref().unwrap();
    assert!(
        returned
            .shared
            .iter()
            .any(|e| e.value == "/autodiscover/autodiscover.json"),
        "{returned:?}"
    );
    // Without triage the leaver's export (a day earlier) is an incident of its own: nothing ties it to
    // the ProxyShell entry, so it does not move the breach's start.
    let untriaged = group_incidents(&detections(true), &GroupOptions::default());
    assert_eq!(untriaged.incidents.len(), 2);
    assert_eq!(
        untriaged.incidents[0].first_seen,
        ts("2021-08-11T14:22:37.530Z")
    );
    assert_eq!(untriaged.incidents[0].detections.len(), 1);
    assert_eq!(untriaged.incidents[1].id, "INC-MAIL01-20210812T211403Z");
}

fn the_incident(with_probe: bool) -> Incident {
    group_incidents(&detections(with_probe), &triage())
        .incidents
        .remove(0)
}

#[test]
fn root_cause_names_the_missing_updates() {
    let map = cve_map();
    let fs = findings();
    let inv = inventory();
    let ds = detections(true);
    let alerts = defender_alerts(&ds);
    let inc = the_incident(true);
    let input = RootCauseInput {
        findings: &fs,
        observations: &inv,
        cve_map: &map,
        expected_sources: Some(&[]),
        alerts: Some(&alerts),
        selftests: None,
        unsupported: &[],
    };
    let rc = root_cause(&inc, &input);

    // Entry point: the ProxyShell request of 2021-08-12 21:14:03 (the scanner's SSRF that returned 200).
    assert_eq!(rc.entry_time, Some(ts("2021-08-12T21:14:03Z")));
    let entry_rule = rc.entry_rule_id.as_deref().unwrap();
    assert!([VIGIL_PROXYSHELL, PROXYSHELL_SUCCESS].contains(&entry_rule));
    assert!(
        rc.entry_point.claim.contains("ProxyShell"),
        "{}",
        rc.entry_point.claim
    );
    assert_eq!(rc.entry_point.status, LinkStatus::Established);

    let cve = |id: &str| {
        rc.exploited
            .iter()
            .find(|c| c.cve == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let c34473 = cve("CVE-2021-34473");
    assert!(c34473.at_entry);
    assert_eq!(c34473.findings.len(), 1);
    let kb = &c34473.findings[0];
    assert_eq!(kb.kb.as_deref(), Some("5001779"));
    assert_eq!(kb.fix_released, Some(date(2021, 4, 13)));
    assert_eq!(kb.due, Some(date(2021, 4, 27)));
    assert_eq!(
        kb.vulnerable_then,
        LinkStatus::Established,
        "inventory of 2021-08-02 shows 15.2.792.3"
    );
    // The first exploitation request came on 2021-08-12, one day before the README's "first exploitation".
    assert_eq!(kb.days_overdue, Some(107));
    assert_eq!(kb.fix_available_days, Some(121));
    let c31207 = cve("CVE-2021-31207");
    assert!(
        c31207.at_entry,
        "the cve-map ties the ProxyShell rule to 31207"
    );
    assert_eq!(c31207.findings[0].kb.as_deref(), Some("5003435"));
    assert_eq!(c31207.findings[0].days_overdue, Some(79));
    let missing: Vec<&str> = rc
        .missing_fixes()
        .iter()
        .filter_map(|f| f.kb.as_deref())
        .collect();
    assert_eq!(missing, vec!["5001779", "5003435"]);

    // Every exploited-CVE link cites the detection and its record.
    let md = rc.to_markdown();
    assert!(
        md.contains("KB5001779 (fixes CVE-2021-34473) was released on 2021-04-13"),
        "{md}"
    );
    assert!(md.contains("107 days overdue"));
    // Markdown-escaped: file names come from outside.
    assert!(
        md.contains(r"logs/iis/W3SVC1/u\_ex210812.log line 354"),
        "{md}"
    );
    assert!(
        md.contains("rules/cve-map.yml (confidence high, role exploit)"),
        "{md}"
    );
    assert!(md.contains("tag cve.2021-34473"));

    // The March update (ProxyLogon) was missing too: 149 days overdue on 2021-08-12.
    assert_eq!(rc.other_overdue.len(), 1);
    assert!(
        rc.other_overdue[0].claim.contains("KB5000871")
            && rc.other_overdue[0].claim.contains("149 days overdue")
    );
    assert!(rc.other_overdue[0].claim.contains("CISA KEV"));

    // Five Defender detections raised at the time, none acknowledged.
    assert_eq!(rc.unacknowledged.len(), 1);
    assert!(
        rc.unacknowledged[0].claim.contains("raised 5 time(s)"),
        "{}",
        rc.unacknowledged[0].claim
    );
    assert!(rc.silent_sources.is_empty());
    assert!(rc.links().iter().all(|l| !l.is_unknown()), "{md}");
}

#[test]
fn days_overdue_at_the_august_13_exploitation() {
    // With the logs of 2021-08-13 on (no scanner probe), the entry point is the exploitation itself.
    let map = cve_map();
    let fs = findings();
    let inv = inventory();
    let inc = the_incident(false);
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &fs,
            observations: &inv,
            cve_map: &map,
            expected_sources: None,
            alerts: None,
            selftests: None,
            unsupported: &[],
        },
    );
    assert_eq!(rc.entry_time, Some(ts("2021-08-13T03:02:11Z")));
    assert_eq!(rc.entry_rule_id.as_deref(), Some(VIGIL_PROXYSHELL));
    let c = rc
        .exploited
        .iter()
        .find(|c| c.cve == "CVE-2021-34473")
        .unwrap();
    assert_eq!(c.findings[0].kb.as_deref(), Some("5001779"));
    assert_eq!(c.findings[0].days_overdue, Some(108));
    assert_eq!(c.findings[0].fix_available_days, Some(122));
    let c = rc
        .exploited
        .iter()
        .find(|c| c.cve == "CVE-2021-31207")
        .unwrap();
    assert_eq!(c.findings[0].days_overdue, Some(80));
    assert_eq!(c.findings[0].fix_available_days, Some(94));
    // No source-health or alert records: those links are unknown and say what would settle them.
    assert!(rc.silent_sources[0].is_unknown() && rc.unacknowledged[0].is_unknown());
    let LinkStatus::Unknown { settle_with } = &rc.unacknowledged[0].status else {
        unreachable!()
    };
    assert!(settle_with.contains("alert history"));
}

#[test]
fn unknown_links_when_findings_are_missing() {
    let map = cve_map();
    let inc = the_incident(true);
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &[],
            observations: &[],
            cve_map: &map,
            expected_sources: None,
            alerts: None,
            selftests: None,
            unsupported: &[],
        },
    );
    let c = rc
        .exploited
        .iter()
        .find(|c| c.cve == "CVE-2021-34473")
        .unwrap();
    assert!(c.findings.is_empty());
    let unknown = c
        .links
        .iter()
        .find(|l| l.is_unknown())
        .expect("an unknown link");
    let LinkStatus::Unknown { settle_with } = &unknown.status else {
        unreachable!()
    };
    assert!(
        settle_with.contains("no vulnerability finding on MAIL01 names CVE-2021-34473"),
        "{settle_with}"
    );
    assert!(settle_with.contains("inventory"));
    assert!(rc.other_overdue[0].is_unknown());
    assert!(rc.to_markdown().contains("**unknown**"));

    // A finding without dated inventory is inferred, not established.
    let fs = findings();
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &fs,
            observations: &[],
            cve_map: &map,
            expected_sources: None,
            alerts: None,
            selftests: None,
            unsupported: &[],
        },
    );
    let c = rc
        .exploited
        .iter()
        .find(|c| c.cve == "CVE-2021-34473")
        .unwrap();
    assert!(matches!(
        c.findings[0].vulnerable_then,
        LinkStatus::Inferred { .. }
    ));

    // A fix recorded before the exploitation makes the link unknown (stale finding?) instead of a cause.
    let mut inv = inventory();
    inv.push(InventoryObservation {
        asset: "MAIL01".into(),
        package: "Exchange Server 2019".into(),
        version: "15.2.792.13".into(),
        observed_at: ts("2021-08-05T00:00:00Z"),
        kind: ObservationKind::FixApplied,
        advisories: vec!["KB5001779".into()],
        file: "inventory/MAIL01-2.json".into(),
    });
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &fs,
            observations: &inv,
            cve_map: &map,
            expected_sources: None,
            alerts: None,
            selftests: None,
            unsupported: &[],
        },
    );
    let c = rc
        .exploited
        .iter()
        .find(|c| c.cve == "CVE-2021-34473")
        .unwrap();
    assert!(matches!(
        c.findings[0].vulnerable_then,
        LinkStatus::Unknown { .. }
    ));
    let c = rc
        .exploited
        .iter()
        .find(|c| c.cve == "CVE-2021-31207")
        .unwrap();
    assert_eq!(
        c.findings[0].vulnerable_then,
        LinkStatus::Established,
        "the May update was still missing"
    );
}

#[test]
fn silent_sources_are_named() {
    let map = cve_map();
    let inc = the_incident(true);
    let sources = vec![
        ExpectedSource {
            name: "IIS W3SVC1".into(),
            asset: Some("MAIL01".into()),
            first_seen: Some(ts("2021-01-10T00:00:00Z")),
            last_seen: Some(ts("2021-11-29T00:00:00Z")),
        },
        ExpectedSource {
            name: "Sysmon".into(),
            asset: Some("mail01.clinic.example.org".into()),
            first_seen: None,
            last_seen: None,
        },
        ExpectedSource {
            name: "Security".into(),
            asset: None,
            first_seen: Some(ts("2021-01-10T00:00:00Z")),
            last_seen: Some(ts("2021-08-01T00:00:00Z")),
        },
        ExpectedSource {
            name: "HttpProxy".into(),
            asset: Some("MAIL01".into()),
            first_seen: Some(ts("2021-01-10T00:00:00Z")),
            last_seen: Some(ts("2021-09-01T00:00:00Z")),
        },
        ExpectedSource {
            name: "Other host".into(),
            asset: Some("FS01".into()),
            first_seen: None,
            last_seen: None,
        },
    ];
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &[],
            observations: &[],
            cve_map: &map,
            expected_sources: Some(&sources),
            alerts: None,
            selftests: None,
            unsupported: &[],
        },
    );
    let claims: Vec<&str> = rc.silent_sources.iter().map(|l| l.claim.as_str()).collect();
    assert_eq!(claims.len(), 3, "{claims:?}");
    assert!(claims[0].contains("'Sysmon' never produced an event"));
    assert!(claims[1].contains("'Security' was silent from 2021-08-01"));
    assert!(claims[2].contains("'HttpProxy' fell silent at 2021-09-01"));
}

#[test]
fn dwell_time_matches_the_readme() {
    let record: IncidentRecord = toml::from_str(INCIDENT_TOML).unwrap();
    assert_eq!(record.aware_at, Some(ts("2021-11-29T10:40:00Z")));
    let ds = detections(true);
    let alerts = defender_alerts(&ds);
    let inc = the_incident(true);
    let dw = dwell_time(
        &inc,
        &DwellInput {
            first_malicious: None,
            aware_at: record.aware_at,
            notified_at: None,
            alerts: Some(&alerts),
        },
    );
    assert_eq!(dw.first_malicious, ts("2021-08-12T21:14:03Z"));
    assert_eq!(dw.to_first_detection, SignedDuration::ZERO);
    let to_aware = dw.to_awareness.unwrap();
    assert_eq!(
        vigil_investigate::time::format_duration(to_aware),
        "108 d 13 h 25 min 57 s"
    );
    assert_eq!(dw.first_alert, Some(ts("2021-08-13T03:19:44.122Z")));
    assert_eq!(dw.first_acknowledged, None);
    assert_eq!(dw.notification_deadline, Some(ts("2021-12-02T10:40:00Z")));
    let late = dwell_time(
        &inc,
        &DwellInput {
            notified_at: Some(ts("2021-12-03T09:00:00Z")),
            ..DwellInput {
                first_malicious: None,
                aware_at: record.aware_at,
                notified_at: None,
                alerts: None,
            }
        },
    );
    assert_eq!(late.notified_late, Some(true));
}

#[test]
fn patch_latency_and_exposure() {
    let fs = findings();
    let today = date(2021, 11, 29);
    let rows = measures::patch_latency(&fs, &[], today);
    let apr = rows.iter().find(|r| r.fix == "KB5001779").unwrap();
    assert!(apr.open);
    assert_eq!(apr.days, Some(230));
    assert_eq!(apr.days_overdue, Some(216));
    let overdue: Vec<i64> = rows.iter().filter_map(|r| r.days_overdue).collect();
    assert_eq!(overdue, vec![258, 216, 188], "README table, at awareness");
    let per_asset = patch_latency_by_asset(&rows);
    assert_eq!(per_asset.len(), 1);
    assert_eq!(
        (
            per_asset[0].findings,
            per_asset[0].open,
            per_asset[0].overdue
        ),
        (3, 3, 3)
    );
    assert_eq!(per_asset[0].max_days, Some(272));

    let fixed = vec![InventoryObservation {
        asset: "MAIL01.clinic.example.org".into(),
        package: "Exchange Server 2019".into(),
        version: "15.2.986.5".into(),
        observed_at: ts("2021-12-01T12:00:00Z"),
        kind: ObservationKind::FixApplied,
        advisories: vec![],
        file: "inventory/MAIL01-after.json".into(),
    }];
    let win = exposure_windows(&fs, &fixed, date(2022, 1, 1));
    let w = win.iter().find(|w| w.cve == "CVE-2021-34473").unwrap();
    assert_eq!(
        (w.from, w.to, w.open, w.days),
        (date(2021, 4, 13), date(2021, 12, 1), false, 232)
    );
    assert_eq!(win.len(), 18, "18 CVEs affect build 15.2.792.3");
    let open = exposure_windows(&fs, &[], today);
    assert!(open.iter().all(|w| w.open && w.to == today));
}

#[test]
fn timeline_merges_detections_and_advisory_dates() {
    let fs = findings();
    let inv = inventory();
    let inc = the_incident(true);
    let t = incident_timeline(
        &inc,
        &TimelineInput {
            detections: &[],
            events: &[],
            observations: &inv,
            findings: &fs,
            kev: &[],
        },
    );
    assert!(t.windows(2).all(|w| w[0].datetime <= w[1].datetime));
    assert_eq!(t[0].timestamp_desc, "Fix released");
    assert_eq!(t[0].datetime, ts("2021-03-02T00:00:00Z"));
    assert!(t.iter().any(|e| e.timestamp_desc == "Patch deadline"
        && e.datetime == ts("2021-04-27T00:00:00Z")
        && e.message.contains("KB5001779")));
    assert!(t.iter().any(|e| e.source == EntrySource::Inventory && e.datetime == ts("2021-08-02T09:00:00Z")));
    let first_det = t
        .iter()
        .find(|e| e.source == EntrySource::Detection)
        .unwrap();
    assert_eq!(first_det.datetime, ts("2021-08-12T21:14:03Z"));
    assert!(first_det.evidence[0].contains("u_ex210812.log line 354"));
    assert!(first_det.message.contains("[Initial Access]"));
    assert_eq!(
        t.iter()
            .filter(|e| e.source == EntrySource::Detection)
            .count(),
        inc.detections.len()
    );

    let csv = to_csv(&t);
    assert!(csv.starts_with("datetime,timestamp_desc,message,source,evidence,asset\r\n"));
    assert_eq!(csv.lines().count(), t.len() + 1);
    let jsonl = to_jsonl(&t).unwrap();
    assert_eq!(jsonl.lines().count(), t.len());
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["datetime"].is_string()
                && v["timestamp_desc"].is_string()
                && v["message"].is_string()
        );
    }
}

#[test]
fn breach_draft_for_the_clinic() {
    let record: IncidentRecord = toml::from_str(INCIDENT_TOML).unwrap();
    let map = cve_map();
    let fs = findings();
    let inv = inventory();
    let ds = detections(true);
    let alerts = defender_alerts(&ds);
    let inc = the_incident(true);
    let rc = root_cause(
        &inc,
        &RootCauseInput {
            findings: &fs,
            observations: &inv,
            cve_map: &map,
            expected_sources: Some(&[]),
            alerts: Some(&alerts),
            selftests: None,
            unsupported: &[],
        },
    );
    let dw = dwell_time(
        &inc,
        &DwellInput {
            first_malicious: None,
            aware_at: record.aware_at,
            notified_at: None,
            alerts: Some(&alerts),
        },
    );

    let exports = mailbox_exports(&inc.detections);
    let boxes: Vec<&str> = exports
        .exported
        .iter()
        .map(|m| m.mailbox.as_str())
        .collect();
    assert_eq!(
        boxes,
        vec![
            "referrals@clinic.example.org",
            "reception@clinic.example.org"
        ]
    );
    assert_eq!(
        exports.webshell_writes.len(),
        1,
        "administrator@ exported twice to .aspx = web shell"
    );
    assert_eq!(exports.webshell_writes[0].evidence.len(), 2);

    let draft = draft_breach(&BreachInput {
        record: &record,
        incident: &inc,
        root_cause: &rc,
        dwell: &dw,
        findings: &fs,
        kev: &[],
        drafted_at: Some(ts("2021-11-30T09:00:00Z")),
        as_of: None,
        unsupported: &[],
    });
    assert_eq!(
        draft.notification_deadline.value(),
        Some(&ts("2021-12-02T10:40:00Z"))
    );
    assert_eq!(
        draft.controller.value().map(String::as_str),
        Some("Harbour Street Clinic (fictional)")
    );
    assert!(matches!(draft.dpo_contact, Field::ToComplete { .. }));
    assert!(matches!(draft.data_subjects, Field::ToComplete { .. }));
    assert!(matches!(draft.records, Field::ToComplete { .. }));
    assert!(
        draft.mailboxes_stated_only.is_empty(),
        "the logs show both stated mailboxes"
    );
    assert_eq!(draft.delay_reasons, None);
    assert_eq!(
        draft.dwell.value().map(String::as_str),
        Some("108 d 13 h 25 min 57 s")
    );
    assert!(draft.measures_proposed[0].starts_with("Install KB5000871 on MAIL01"));
    assert!(
        draft
            .measures_proposed
            .iter()
            .any(|m| m.contains("KB5001779") && m.contains("216 days overdue at awareness"))
    );

    let md = draft.to_markdown();
    assert!(
        md.contains("**Notify the supervisory authority by: 2021-12-02 10:40:00 UTC**"),
        "{md}"
    );
    assert!(
        md.contains("[to be completed by the controller: practice manager name, phone, e-mail]")
    );
    assert!(md.contains(
        "[to be completed by the controller: data protection officer name, phone, e-mail]"
    ));
    assert!(md.contains(
        "[to be completed by the controller: approximate number and categories of data subjects"
    ));
    assert!(md.contains("[to be completed by the controller: measures already taken"));
    assert!(
        md.contains("[to be completed by the controller: whether and when the data subjects were")
    );
    assert!(md.contains("Data Protection (Bailiwick of Guernsey) Law, 2017, section 42"));
    assert!(md.contains("GDPR (EU) 2016/679, Article 33"));
    assert!(md.contains("health data (special category)"));
    assert!(md.contains("2 mailbox(es) were taken"), "{md}");
    assert!(md.contains(r"MSExchange\_Management.jsonl record 8819"));
    assert!(md.contains("KB5001779"));
    assert!(md.contains("| 2021-11-29 10:40:00 UTC | Awareness |"));
    assert!(!md.contains('<'), "no placeholder leaks into the draft");

    // Drafted after the deadline: the reasons for the delay are asked for.
    let late = draft_breach(&BreachInput {
        record: &record,
        incident: &inc,
        root_cause: &rc,
        dwell: &dw,
        findings: &fs,
        kev: &[],
        drafted_at: Some(ts("2021-12-03T00:00:00Z")),
        as_of: None,
        unsupported: &[],
    });
    assert!(late.to_markdown().contains("[to be completed by the controller: the reasons why the notification is made after the 72-hour deadline"));

    // Plain data for the HTML renderer.
    let json = serde_json::to_value(&draft).unwrap();
    assert_eq!(json["dpo_contact"]["state"], "to_complete");
    assert_eq!(json["controller"]["state"], "known");
}
