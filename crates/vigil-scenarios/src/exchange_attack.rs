//! Two ways into an Exchange server, each followed by what attackers did next in public incident reports:
//!
//! - **OWASSRF** (CVE-2022-41080 + CVE-2022-41082, fixed by the November 2022 security update
//!   KB5019758): with a user's stolen password, requests to `/owa/<address>/powershell` reach the
//!   back-end remote PowerShell, whose deserialisation flaw runs code as SYSTEM; a web shell is planted
//!   under `/owa/auth/`, Exchange cmdlets export mailboxes to a web-reachable folder, the files are
//!   downloaded; later waves come back through the same web shell.
//! - **Credential stuffing on Outlook on the web**: leaked passwords tried against many accounts from a
//!   few addresses of one network; one works; an inbox rule forwards the mailbox outside; later waves
//!   log in again from the same network.
//!
//! Both end with phishing sent from the taken mailbox to hundreds of distinct external recipients.

use crate::exchange_server::Exch;
use crate::exchange_server::Web;
use crate::exchange_traffic::{failed_owa_logon, owa_logon};
use crate::msgtrk::{ClientType, Outbound};
use crate::names::{BROWSER_UA, PHISHING_SUBJECTS, external_address, fresh_external};
use crate::net;
use crate::out::Mark;
use crate::params::{PhishingPlan, Waves};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// The pace of a credential-stuffing run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stuffing {
    /// Addresses of the attacker's network taking part.
    pub addresses: u32,
    /// Logon attempts per hour, all addresses together.
    pub attempts_per_hour: u32,
    /// Distinct account names tried before the one that works.
    pub accounts: u32,
}

/// What an attack wrote, for the ground truth.
pub struct AttackOut {
    pub first_malicious: Mark,
    pub entry: Mark,
    pub waves: Vec<WaveOut>,
    pub exported: Vec<String>,
    pub forwarding: Vec<(String, String)>,
    pub phishing: Option<PhishOut>,
    pub addresses: Vec<String>,
    pub accounts: Vec<String>,
    pub last_event: Timestamp,
}

pub struct WaveOut {
    pub start: Timestamp,
    pub end: Timestamp,
    pub linked_by: String,
    pub first: Mark,
}

pub struct PhishOut {
    pub sender: String,
    pub messages: usize,
    pub recipients: usize,
    pub first: Timestamp,
    pub last: Timestamp,
    pub days: usize,
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

/// The OWASSRF chain with its waves.
#[allow(clippy::too_many_arguments)]
pub fn owassrf(
    ex: &mut Exch,
    victim: &str,
    mailboxes: &[String],
    t0: Timestamp,
    waves: Waves,
    phishing: PhishingPlan,
) -> AttackOut {
    let a1 = net::attacker_v4(&mut ex.rng, &[]);
    let ua = if ex.rng.chance(0.5) {
        "python-requests/2.28.1".to_string()
    } else {
        ex.rng.choose(BROWSER_UA, "Mozilla/5.0").to_string()
    };
    // Names web shells were dropped under in public reports; none is a file Exchange ships.
    let shell_name = ex.rng.choose(
        &[
            "errorEEE",
            "OutlookEN",
            "TimeoutLogout",
            "supp0rt",
            "logout0",
        ],
        "errorEEE",
    );
    let shell = format!("/owa/auth/{shell_name}.aspx");
    let pst_dir = "/aspnet_client/system_web";
    let mut addresses = vec![a1.to_string()];

    // Wave 1: a logon with the stolen password, then the SSRF to remote PowerShell.
    let (_, first, after) = owa_logon(
        ex,
        victim,
        &a1.to_string(),
        &ua,
        t0,
        0,
        false,
        "the attacker's logon to Outlook on the web with the stolen password",
    );
    let ssrf_stem = format!(
        "/owa/{}%40{}/powershell",
        ex.rng
            .choose(&["mastermailbox", "support", "admin"], "support"),
        ex.rng
            .choose(&["outlook.example", "hotmail.example"], "outlook.example")
    );
    let ps_query = format!(
        "serializationLevel=Full;ExchClientVer={}.{}.{}.{};clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.17763.1",
        ex.build.major, ex.build.minor, ex.build.build, ex.build.cu_revision
    );
    let mut t = after + secs(ex.rng.range_i64(40, 120));
    let ssrf = Web {
        method: "POST",
        stem: ssrf_stem.clone(),
        query: ps_query,
        user: victim.to_string(),
        client: a1.to_string(),
        ua: ua.clone(),
        status: 200,
        protocol: "Owa",
        auth: "Basic",
        backend: true,
        ..Web::default()
    };
    let mut entry = None;
    for i in 0..ex.rng.range(5, 12) {
        let m = ex.web_cited(
            t,
            &ssrf,
            (i == 0).then_some("OWASSRF: a request to /owa/<address>/powershell reaching remote PowerShell (CVE-2022-41080, then CVE-2022-41082)"),
        );
        entry = entry.or(m);
        t += SignedDuration::from_millis(ex.rng.range_i64(300, 4000));
    }
    let entry = entry.unwrap_or(first);
    // The RCE writes a web shell; the attacker tries it.
    t += secs(ex.rng.range_i64(120, 600));
    let anon = Web {
        method: "POST",
        stem: shell.clone(),
        client: a1.to_string(),
        ua: ua.clone(),
        status: 200,
        ..Web::default()
    };
    for _ in 0..ex.rng.range(3, 8) {
        ex.web(t, &anon);
        t += secs(ex.rng.range_i64(5, 60));
    }
    // Mailbox export through the web shell's Exchange cmdlets (running as SYSTEM).
    let caller = "NT AUTHORITY\\SYSTEM";
    let process = "w3wp#MSExchangeOWAAppPool";
    ex.cmdlet(
        t,
        "Get-Mailbox",
        &[("ResultSize", "Unlimited")],
        caller,
        process,
        None,
    );
    t += secs(ex.rng.range_i64(30, 120));
    let sam = ex.sam(victim);
    ex.cmdlet(
        t,
        "New-ManagementRoleAssignment",
        &[("Role", "Mailbox Import Export"), ("User", &sam)],
        caller,
        process,
        None,
    );
    let mut exported = Vec::new();
    let first_exports: Vec<String> = mailboxes
        .iter()
        .take(
            mailboxes
                .len()
                .saturating_sub(usize::try_from(waves.count.saturating_sub(2)).unwrap_or(0))
                .max(1),
        )
        .cloned()
        .collect();
    for mb in &first_exports {
        t = export_mailbox(ex, t, mb, &a1, &ua, pst_dir, caller, process);
        exported.push(mb.to_lowercase());
    }
    let mut wave_list = vec![WaveOut {
        start: t0,
        end: t,
        linked_by: String::new(),
        first,
    }];
    let mut last = t;
    let mut phish = None;
    let victim_l = victim.to_lowercase();
    if waves.count <= 1 {
        // No return: the phishing starts the next day from the first address.
        let day = t0 + SignedDuration::from_hours(24);
        let p = send_phishing(
            ex,
            victim,
            day,
            phishing,
            &a1.to_string(),
            ClientType::WebServices,
            "ExchangeServicesClient/15.00.0913.015",
        );
        last = last.max(p.last);
        if let Some(w) = wave_list.last_mut() {
            w.end = p.last;
        }
        phish = Some(p);
    }
    let mut remaining: Vec<String> = mailboxes
        .iter()
        .skip(first_exports.len())
        .cloned()
        .collect();
    let mut start = last;
    for k in 2..=waves.count {
        start = start
            + SignedDuration::from_hours(24 * i64::from(waves.quiet_days))
            + secs(ex.rng.range_i64(0, 6 * 3600));
        let a = net::attacker_other(&mut ex.rng);
        addresses.push(a.to_string());
        let mut t = start;
        let back = Web {
            client: a.to_string(),
            ..anon.clone()
        };
        let first = ex.web_marked(t, &back, "the attacker back through the same web shell");
        for _ in 0..ex.rng.range(2, 6) {
            t += secs(ex.rng.range_i64(5, 90));
            ex.web(t, &back);
        }
        let mut end = t;
        if k == 2 {
            let p = send_phishing(
                ex,
                victim,
                t + secs(600),
                phishing,
                &a.to_string(),
                ClientType::WebServices,
                "ExchangeServicesClient/15.00.0913.015",
            );
            end = end.max(p.last);
            phish = Some(p);
        } else if let Some(mb) = remaining.first().cloned() {
            remaining.remove(0);
            end = export_mailbox(ex, t + secs(120), &mb, &a, &ua, pst_dir, caller, process);
            exported.push(mb.to_lowercase());
        }
        wave_list.push(WaveOut {
            start,
            end,
            linked_by: format!("the web shell {shell}"),
            first,
        });
        last = last.max(end);
        start = end;
    }
    AttackOut {
        first_malicious: first,
        entry,
        waves: wave_list,
        exported,
        forwarding: Vec::new(),
        phishing: phish,
        addresses,
        accounts: vec![victim_l],
        last_event: last,
    }
}

#[allow(clippy::too_many_arguments)]
fn export_mailbox(
    ex: &mut Exch,
    at: Timestamp,
    mailbox: &str,
    attacker: &IpAddr,
    ua: &str,
    pst_dir: &str,
    caller: &str,
    process: &str,
) -> Timestamp {
    let file = format!("{}.pst", ex.rng.hex(8));
    let unc = format!(
        "\\\\{}\\C$\\inetpub\\wwwroot{}\\{file}",
        ex.name,
        pst_dir.replace('/', "\\")
    );
    let mut t = at;
    ex.cmdlet(
        t,
        "New-MailboxExportRequest",
        &[("Mailbox", mailbox), ("FilePath", &unc)],
        caller,
        process,
        None,
    );
    t += secs(ex.rng.range_i64(600, 2400));
    let size = ex.rng.range(400_000_000, 2_500_000_000);
    ex.web(
        t,
        &Web {
            method: "GET",
            stem: format!("{pst_dir}/{file}"),
            client: attacker.to_string(),
            ua: ua.to_string(),
            status: 200,
            bytes_sent: size,
            ..Web::default()
        },
    );
    t += secs(ex.rng.range_i64(60, 300));
    let identity = format!("{mailbox}\\MailboxExport");
    ex.cmdlet(
        t,
        "Remove-MailboxExportRequest",
        &[("Identity", &identity), ("Confirm", "False")],
        caller,
        process,
        None,
    );
    t
}

/// Credential stuffing on OWA, an inbox rule forwarding the mailbox outside, and returns from the same
/// network.
pub fn stuffing(
    ex: &mut Exch,
    victim: &str,
    decoys: &[String],
    pace: Stuffing,
    t0: Timestamp,
    waves: Waves,
    phishing: PhishingPlan,
) -> AttackOut {
    let mut ips: Vec<IpAddr> = Vec::new();
    for _ in 0..pace.addresses.max(1) {
        let a = net::attacker_v4(&mut ex.rng, &ips);
        ips.push(a);
    }
    let first_ip = ips
        .first()
        .copied()
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 2)));
    let ua = ex.rng.choose(BROWSER_UA, "Mozilla/5.0").to_string();
    let gap = 3600.0 / f64::from(pace.attempts_per_hour.max(1));
    let mut t = t0;
    let mut first = None;
    let mut names: Vec<String> = decoys
        .iter()
        .take(usize::try_from(pace.accounts).unwrap_or(0))
        .cloned()
        .collect();
    if names.is_empty() {
        names.push(format!("admin@{}", ex.org.domain));
    }
    for i in 0..names.len() {
        let a = ips.get(i % ips.len()).copied().unwrap_or(first_ip);
        let anon = Web {
            client: a.to_string(),
            ua: ua.clone(),
            auth: "FBA",
            ..Web::default()
        };
        let m = failed_owa_logon(
            ex,
            t,
            &anon,
            (i == 0).then_some(
                "credential stuffing: the first failed OWA logon from the attacker's network",
            ),
        );
        first = first.or(m);
        t += secs(ex.rng.exp_secs(gap).max(2));
    }
    let a_ok = ips
        .get(names.len() % ips.len())
        .copied()
        .unwrap_or(first_ip);
    let (_, entry, mut t) = owa_logon(
        ex,
        victim,
        &a_ok.to_string(),
        &ua,
        t,
        0,
        false,
        "the attacker's successful OWA logon with a stuffed password",
    );
    let first = first.unwrap_or(entry);
    // The forwarding rule, created in OWA's options (the ECP rules editor).
    t += secs(ex.rng.range_i64(60, 600));
    let canary = ex.rng.base64ish(43);
    ex.web(
        t,
        &Web {
            method: "POST",
            stem: "/ecp/RulesEditor/InboxRules.svc/NewObject".into(),
            query: format!("msExchEcpCanary={canary}"),
            user: victim.to_string(),
            client: a_ok.to_string(),
            ua: ua.clone(),
            status: 200,
            protocol: "Ecp",
            auth: "FBA",
            ..Web::default()
        },
    );
    let target = external_address(&mut ex.rng);
    let caller = format!(
        "{}/Users/{}",
        ex.ad_domain,
        victim.split('@').next().unwrap_or(victim)
    );
    ex.cmdlet(
        t + secs(1),
        "New-InboxRule",
        &[
            ("Name", "."),
            ("Mailbox", victim),
            ("ForwardTo", &target),
            ("SubjectOrBodyContainsWords", "invoice,payment,bank"),
            ("MarkAsRead", "True"),
            ("StopProcessingRules", "True"),
        ],
        &caller,
        "w3wp#MSExchangeECPAppPool",
        None,
    );
    let mut wave_list = vec![WaveOut {
        start: t0,
        end: t,
        linked_by: String::new(),
        first,
    }];
    let mut last = t;
    let mut phish = None;
    let mut addresses: Vec<String> = ips.iter().map(|a| a.to_string()).collect();
    if waves.count <= 1 {
        let p = send_phishing(
            ex,
            victim,
            t0 + SignedDuration::from_hours(24),
            phishing,
            &a_ok.to_string(),
            ClientType::Owa,
            &ua,
        );
        last = last.max(p.last);
        if let Some(w) = wave_list.last_mut() {
            w.end = p.last;
        }
        phish = Some(p);
    }
    let mut start = last;
    for k in 2..=waves.count {
        start = start
            + SignedDuration::from_hours(24 * i64::from(waves.quiet_days))
            + secs(ex.rng.range_i64(0, 6 * 3600));
        let a = net::attacker_v4(&mut ex.rng, &ips);
        ips.push(a);
        addresses.push(a.to_string());
        let (_, first, t2) = owa_logon(
            ex,
            victim,
            &a.to_string(),
            &ua,
            start,
            0,
            false,
            "the attacker back: the same account from the same network",
        );
        let mut end = t2;
        if k == 2 {
            let p = send_phishing(
                ex,
                victim,
                t2 + secs(300),
                phishing,
                &a.to_string(),
                ClientType::Owa,
                &ua,
            );
            end = end.max(p.last);
            phish = Some(p);
        }
        wave_list.push(WaveOut {
            start,
            end,
            linked_by: format!(
                "the account {} from {}",
                victim.to_lowercase(),
                "203.0.113.0/24"
            ),
            first,
        });
        last = last.max(end);
        start = end;
    }
    AttackOut {
        first_malicious: first,
        entry,
        waves: wave_list,
        exported: Vec::new(),
        forwarding: vec![(victim.to_lowercase(), target)],
        phishing: phish,
        addresses,
        accounts: vec![victim.to_lowercase()],
        last_event: last,
    }
}

/// Phishing from `sender`'s mailbox: `plan.per_day` messages a day for `plan.days` days from `start`,
/// each to 1..=`max_recipients` addresses never written to before, with near-identical subjects; each
/// submitted by the attacker's client (EWS `CreateItem` or OWA `CreateItem`).
pub fn send_phishing(
    ex: &mut Exch,
    sender: &str,
    start: Timestamp,
    plan: PhishingPlan,
    client_ip: &str,
    client: ClientType,
    ua: &str,
) -> PhishOut {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut messages = 0usize;
    let mut first = None;
    let mut last = start;
    let day_secs = 16 * 3600;
    for d in 0..plan.days {
        let day0 = start + SignedDuration::from_hours(24 * i64::from(d));
        let gap = f64::from(day_secs) / f64::from(plan.per_day.max(1));
        let mut t = day0;
        for _ in 0..plan.per_day {
            let n = usize::try_from(ex.rng.range(1, u64::from(plan.max_recipients))).unwrap_or(1);
            let rcpts = fresh_external(&mut ex.rng, &mut seen, n);
            let subject = ex.rng.choose(PHISHING_SUBJECTS, "Important").to_string();
            let (stem, query, protocol) = match client {
                ClientType::WebServices => ("/EWS/Exchange.asmx".to_string(), String::new(), "Ews"),
                _ => (
                    "/owa/service.svc".to_string(),
                    format!("action=CreateItem&app=Mail&n={}", messages % 97 + 1),
                    "Owa",
                ),
            };
            ex.web(
                t,
                &Web {
                    method: "POST",
                    stem,
                    query,
                    user: sender.to_string(),
                    client: client_ip.to_string(),
                    ua: ua.to_string(),
                    status: 200,
                    protocol,
                    auth: if protocol == "Ews" { "Basic" } else { "FBA" },
                    ..Web::default()
                },
            );
            let bytes = ex.rng.range(18_000, 26_000);
            ex.tracking.outbound(
                &mut ex.folder,
                &mut ex.rng,
                t + secs(1),
                &Outbound {
                    sender: sender.to_string(),
                    recipients: rcpts,
                    subject,
                    client,
                    client_ip: client_ip.to_string(),
                    bytes,
                },
                None,
            );
            messages += 1;
            first = first.or(Some(t));
            last = t;
            t += secs(ex.rng.exp_secs(gap).max(1));
        }
    }
    PhishOut {
        sender: sender.to_lowercase(),
        messages,
        recipients: seen.len(),
        first: first.unwrap_or(start),
        last,
        days: usize::try_from(plan.days).unwrap_or(1),
    }
}
