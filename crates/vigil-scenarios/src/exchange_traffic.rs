//! The everyday traffic of a small organisation's Exchange server: staff in Outlook at the office, in
//! Outlook on the web from home, phones syncing over ActiveSync, mail in and out; and the benign events
//! that look like attacks (mistyped passwords, a phone with an old password, a weekly newsletter to
//! hundreds of patients, an administrator's management shell, internet scanners, password guessing by
//! bots that never succeeds).

use crate::calendar;
use crate::exchange_server::{Exch, Web};
use crate::msgtrk::{ClientType, Inbound, Outbound};
use crate::names::{
    BENIGN_SUBJECTS, BROWSER_UA, EAS_UA, OUTLOOK_UA, User, external_address, external_addresses,
};
use crate::net;
use crate::out::Mark;
use crate::params::LookAlikes;
use jiff::civil::{Date, Weekday};
use jiff::{SignedDuration, Timestamp};

/// A member of staff and their devices.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub home: String,
    pub lan: String,
    pub works_in_office: bool,
    /// (user agent, device type, device id).
    pub phone: Option<(String, String, String)>,
    pub contacts: Vec<String>,
}

/// Staff profiles for every user of the organisation.
pub fn staff(ex: &mut Exch) -> Vec<Staff> {
    let users = ex.org.users.clone();
    users
        .into_iter()
        .map(|user| {
            let rng = &mut ex.rng;
            let phone = rng.chance(0.8).then(|| {
                let (ua, ty) = rng.choose(EAS_UA, ("Apple-iPhone14C2/2002.251", "iPhone"));
                (ua.to_string(), ty.to_string(), rng.hex(32).to_uppercase())
            });
            let n = usize::try_from(rng.range(4, 12)).unwrap_or(6);
            Staff {
                home: net::home(rng).to_string(),
                lan: net::office(rng).to_string(),
                works_in_office: rng.chance(0.85),
                phone,
                contacts: external_addresses(rng, n),
                user,
            }
        })
        .collect()
}

/// What benign traffic to write.
#[derive(Debug, Clone)]
pub struct BenignPlan {
    pub sessions_per_user_day: u32,
    pub lookalikes: LookAlikes,
    /// Subscribers of the weekly newsletter.
    pub newsletter_recipients: usize,
}

/// Look-alike events written, for the ground truth.
pub type LookAlikeMarks = Vec<Mark>;

/// Writes benign traffic for every local day from `from` to `to`.
pub fn benign(
    ex: &mut Exch,
    staff: &[Staff],
    from: Timestamp,
    to: Timestamp,
    plan: &BenignPlan,
) -> LookAlikeMarks {
    let mut marks = Vec::new();
    let subscribers = external_addresses(&mut ex.rng, plan.newsletter_recipients);
    let stale_day = pick_day(ex, from, to);
    let tz = ex.tz.clone();
    let mut first_failed = true;
    for day in calendar::days(from, to, &tz) {
        let weekday = calendar::is_working_day(day);
        for s in staff {
            let sessions = if weekday {
                plan.sessions_per_user_day
            } else {
                u32::from(ex.rng.chance(0.2))
            };
            for _ in 0..sessions {
                let Some(at) = local_time(ex, day, 7 * 60 + 30, 18 * 60 + 30, from, to) else {
                    continue;
                };
                let roll = ex.rng.unit();
                if roll < 0.5 && s.works_in_office && weekday {
                    outlook(ex, s, at);
                } else if roll < 0.75 || s.phone.is_none() {
                    let fail = plan.lookalikes.failed_logins && ex.rng.chance(0.1);
                    let failures = if fail { ex.rng.range(1, 2) as u32 } else { 0 };
                    let m = owa(ex, s, at, failures, first_failed && fail);
                    if let Some(m) = m {
                        marks.push(m);
                        first_failed = false;
                    }
                } else {
                    eas(ex, s, at, false, None);
                }
            }
            if weekday {
                mail_day(ex, s, day, from, to);
            }
        }
        if plan.lookalikes.stale_device
            && stale_day == Some(day)
            && let Some(s) = staff.iter().find(|s| s.phone.is_some())
            && let Some(m) = stale_device(ex, s, day, from, to)
        {
            marks.push(m);
        }
        if plan.lookalikes.newsletter
            && day.weekday() == Weekday::Tuesday
            && let Some(m) = newsletter(ex, &subscribers, day, from, to)
        {
            marks.push(m);
        }
        if plan.lookalikes.admin_activity && weekday && ex.rng.chance(0.4) {
            admin_shell(ex, staff, day, from, to);
        }
        if plan.lookalikes.scanners {
            for _ in 0..ex.rng.range(0, 2) {
                if let Some(m) = scanner(ex, day, from, to) {
                    marks.push(m);
                }
            }
        }
        if plan.lookalikes.internet_noise {
            for _ in 0..ex.rng.range(0, 3) {
                if let Some(m) = bot_guess(ex, day, from, to) {
                    marks.push(m);
                }
            }
        }
        health_probes(ex, day, from, to);
    }
    marks
}

/// A random local time of `day` on the server's clock (see [`calendar::local_time`]).
fn local_time(
    ex: &mut Exch,
    day: Date,
    lo_min: i64,
    hi_min: i64,
    from: Timestamp,
    to: Timestamp,
) -> Option<Timestamp> {
    let tz = ex.tz.clone();
    calendar::local_time(&mut ex.rng, &tz, day, lo_min, hi_min, from, to)
}

fn pick_day(ex: &mut Exch, from: Timestamp, to: Timestamp) -> Option<Date> {
    let days = (to.as_second() - from.as_second()) / 86_400;
    if days < 2 {
        return None;
    }
    let n = ex.rng.range_i64(1, days - 1);
    from.checked_add(SignedDuration::from_hours(24 * n))
        .ok()
        .map(|t| t.to_zoned(ex.tz.clone()).date())
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

/// Outlook at the office: MAPI over HTTP and Autodiscover, Windows authentication.
fn outlook(ex: &mut Exch, s: &Staff, at: Timestamp) {
    let sam = ex.sam(&s.user.address);
    let mbx = ex.rng.guid();
    let base = Web {
        method: "POST",
        user: sam,
        client: s.lan.clone(),
        ua: OUTLOOK_UA.to_string(),
        status: 200,
        auth: "Negotiate",
        ..Web::default()
    };
    ex.web(
        at,
        &Web {
            stem: "/autodiscover/autodiscover.xml".into(),
            protocol: "Autodiscover",
            ..base.clone()
        },
    );
    let n = ex.rng.range(2, 4);
    for i in 0..n {
        let t = at + secs(2 + i as i64 * ex.rng.range_i64(20, 300));
        let (stem, q) = if i == 0 {
            ("/mapi/nspi/", format!("MailboxId={mbx}@{}", ex.org.domain))
        } else {
            (
                "/mapi/emsmdb/",
                format!("MailboxId={mbx}@{}", ex.org.domain),
            )
        };
        ex.web(
            t,
            &Web {
                stem: stem.into(),
                query: q,
                protocol: "Mapi",
                ..base.clone()
            },
        );
    }
}

/// Outlook on the web: the logon page, `failures` wrong passwords (each answered by the logon page with
/// `reason=2`), then a successful logon and some mailbox requests. Returns the mark of the first failure
/// when `cite_failure`.
pub fn owa(
    ex: &mut Exch,
    s: &Staff,
    at: Timestamp,
    failures: u32,
    cite_failure: bool,
) -> Option<Mark> {
    let ua = ex
        .rng
        .pick(BROWSER_UA)
        .copied()
        .unwrap_or("Mozilla/5.0")
        .to_string();
    let client = s.home.clone();
    owa_logon(
        ex,
        &s.user.address,
        &client,
        &ua,
        at,
        failures,
        cite_failure,
        "a staff member's logon to Outlook on the web",
    )
    .0
}

/// The OWA logon sequence from `client`; returns (mark of the first failed attempt if cited, mark of
/// the first authenticated request, described as `success_what`; time after the session).
#[allow(clippy::too_many_arguments)]
pub fn owa_logon(
    ex: &mut Exch,
    address: &str,
    client: &str,
    ua: &str,
    at: Timestamp,
    failures: u32,
    cite_failure: bool,
    success_what: &str,
) -> (Option<Mark>, Mark, Timestamp) {
    let anon = Web {
        client: client.to_string(),
        ua: ua.to_string(),
        auth: "FBA",
        ..Web::default()
    };
    let mut t = at;
    ex.web(
        t,
        &Web {
            method: "GET",
            stem: "/owa/".into(),
            status: 302,
            protocol: "Owa",
            ..anon.clone()
        },
    );
    t += secs(1);
    let logon_query = format!("url={}&reason=0", ex.owa_return_url());
    ex.web(
        t,
        &Web {
            method: "GET",
            stem: "/owa/auth/logon.aspx".into(),
            query: logon_query,
            status: 200,
            ..anon.clone()
        },
    );
    let favicon = ex.owa_static("favicon.ico");
    ex.web(
        t,
        &Web {
            method: "GET",
            stem: favicon,
            status: 200,
            ..anon.clone()
        },
    );
    let mut first_fail = None;
    for i in 0..failures {
        t += secs(ex.rng.range_i64(6, 40));
        let m = failed_owa_logon(
            ex,
            t,
            &anon,
            (cite_failure && i == 0)
                .then_some("a staff member mistyping the password in Outlook on the web"),
        );
        first_fail = first_fail.or(m);
        t += secs(1);
    }
    t += secs(ex.rng.range_i64(5, 30));
    ex.web(
        t,
        &Web {
            method: "POST",
            stem: "/owa/auth.owa".into(),
            status: 302,
            protocol: "Owa",
            ..anon.clone()
        },
    );
    t += secs(1);
    let user = Web {
        user: address.to_string(),
        ..anon
    };
    let success = ex.web_marked(
        t,
        &Web {
            method: "GET",
            stem: "/owa/".into(),
            status: 200,
            protocol: "Owa",
            ..user.clone()
        },
        success_what,
    );
    for action in ["GetFolder", "FindItem", "GetItem", "GetItem"] {
        t += secs(ex.rng.range_i64(2, 90));
        let n = ex.rng.range(1, 99);
        ex.web(
            t,
            &Web {
                method: "POST",
                stem: "/owa/service.svc".into(),
                query: format!("action={action}&app=Mail&n={n}"),
                status: 200,
                protocol: "Owa",
                ..user.clone()
            },
        );
    }
    (first_fail, success, t)
}

/// One failed Outlook on the web logon: the form post, and the logon page shown again with `reason=2`
/// (wrong user name or password). `anon` carries the client, user agent and authentication type.
pub fn failed_owa_logon(
    ex: &mut Exch,
    t: Timestamp,
    anon: &Web,
    cite: Option<&str>,
) -> Option<Mark> {
    let m = ex.web_cited(
        t,
        &Web {
            method: "POST",
            stem: "/owa/auth.owa".into(),
            status: 302,
            protocol: "Owa",
            ..anon.clone()
        },
        cite,
    );
    let q = format!("url={}&reason=2", ex.owa_return_url());
    ex.web(
        t + secs(1),
        &Web {
            method: "GET",
            stem: "/owa/auth/logon.aspx".into(),
            query: q,
            status: 200,
            protocol: "",
            ..anon.clone()
        },
    );
    m
}

/// A phone syncing over ActiveSync (Basic authentication). `stale`: the phone still has an old
/// password, and every request fails with 401.
fn eas(ex: &mut Exch, s: &Staff, at: Timestamp, stale: bool, cite: Option<&str>) -> Option<Mark> {
    let (ua, ty, id) = s.phone.clone()?;
    let client = net::mobile(&mut ex.rng).to_string();
    let q = |cmd: &str| {
        format!(
            "Cmd={cmd}&User={}&DeviceId={id}&DeviceType={ty}",
            s.user.address.replace('@', "%40")
        )
    };
    let w = Web {
        method: "POST",
        stem: "/Microsoft-Server-ActiveSync/default.eas".into(),
        user: s.user.address.clone(),
        client,
        ua,
        status: if stale { 401 } else { 200 },
        substatus: if stale { 1 } else { 0 },
        win32: if stale { 1326 } else { 0 },
        protocol: "Eas",
        auth: "Basic",
        ..Web::default()
    };
    let m = ex.web_cited(
        at,
        &Web {
            query: q("Ping"),
            ..w.clone()
        },
        cite,
    );
    if !stale {
        let later = at + secs(ex.rng.range_i64(1, 30));
        ex.web(
            later,
            &Web {
                query: q("Sync"),
                ..w
            },
        );
    }
    m
}

/// A phone with an old password retrying every 10–15 minutes through a working day.
fn stale_device(
    ex: &mut Exch,
    s: &Staff,
    day: Date,
    from: Timestamp,
    to: Timestamp,
) -> Option<Mark> {
    let start = local_time(ex, day, 8 * 60, 9 * 60, from, to)?;
    let hours = ex.rng.range_i64(6, 10);
    let mut t = start;
    let mut first = None;
    while t < start + SignedDuration::from_hours(hours) && t < to {
        let m = eas(
            ex,
            s,
            t,
            true,
            first
                .is_none()
                .then_some("a phone with an old password failing every few minutes"),
        );
        if first.is_none() {
            first = m;
        }
        t += secs(ex.rng.range_i64(600, 900));
    }
    first
}

/// A day's mail of one member of staff: messages in from contacts and services, a few out.
fn mail_day(ex: &mut Exch, s: &Staff, day: Date, from: Timestamp, to: Timestamp) {
    for _ in 0..ex.rng.range(1, 4) {
        let Some(at) = local_time(ex, day, 6 * 60, 20 * 60, from, to) else {
            continue;
        };
        let sender = match ex.rng.pick(&s.contacts) {
            Some(c) if ex.rng.chance(0.7) => c.clone(),
            _ => external_address(&mut ex.rng),
        };
        let subject = ex
            .rng
            .pick(BENIGN_SUBJECTS)
            .copied()
            .unwrap_or("Hello")
            .to_string();
        let remote_ip = net::internet(&mut ex.rng).to_string();
        let remote_host = format!(
            "mx{}.{}",
            ex.rng.range(1, 4),
            sender.split('@').nth(1).unwrap_or("example")
        );
        let bytes = ex.rng.range(4_000, 180_000);
        ex.tracking.inbound(
            &mut ex.folder,
            &mut ex.rng,
            at,
            &Inbound {
                sender,
                recipients: vec![s.user.address.clone()],
                subject,
                remote_ip,
                remote_host,
                bytes,
            },
        );
    }
    for _ in 0..ex.rng.range(0, 2) {
        let Some(at) = local_time(ex, day, 8 * 60, 18 * 60, from, to) else {
            continue;
        };
        let Some(to_addr) = ex.rng.pick(&s.contacts).cloned() else {
            continue;
        };
        let (client, ip) = if s.works_in_office && ex.rng.chance(0.7) {
            (ClientType::Outlook, s.lan.clone())
        } else {
            (ClientType::Owa, s.home.clone())
        };
        let subject = ex
            .rng
            .pick(BENIGN_SUBJECTS)
            .copied()
            .unwrap_or("Hello")
            .to_string();
        let bytes = ex.rng.range(3_000, 90_000);
        ex.tracking.outbound(
            &mut ex.folder,
            &mut ex.rng,
            at,
            &Outbound {
                sender: s.user.address.clone(),
                recipients: vec![to_addr],
                subject,
                client,
                client_ip: ip,
                bytes,
            },
            None,
        );
    }
}

/// The weekly newsletter: one message per subscriber, submitted over EWS by the practice's mailing
/// application on the office network, through the morning.
fn newsletter(
    ex: &mut Exch,
    subscribers: &[String],
    day: Date,
    from: Timestamp,
    to: Timestamp,
) -> Option<Mark> {
    let start = local_time(ex, day, 10 * 60, 10 * 60 + 5, from, to)?;
    let sender = ex.org.role("newsletter");
    let subject = format!("Practice newsletter {day}");
    let mut t = start;
    let mut first = None;
    for (i, r) in subscribers.iter().enumerate() {
        t += SignedDuration::from_millis(ex.rng.range_i64(1500, 9000));
        if t >= to {
            break;
        }
        ex.web(
            t,
            &Web {
                method: "POST",
                stem: "/EWS/Exchange.asmx".into(),
                user: sender.clone(),
                client: "10.20.0.30".into(),
                ua: "ExchangeServicesClient/15.00.0913.015".into(),
                status: 200,
                protocol: "Ews",
                auth: "NTLM",
                ..Web::default()
            },
        );
        let (m, _) = ex.tracking.outbound(
            &mut ex.folder,
            &mut ex.rng,
            t,
            &Outbound {
                sender: sender.clone(),
                recipients: vec![r.clone()],
                subject: subject.clone(),
                client: ClientType::WebServices,
                client_ip: "10.20.0.30".into(),
                bytes: 48_000,
            },
            (i == 0).then_some("the weekly newsletter to hundreds of external recipients"),
        );
        if first.is_none() {
            first = m;
        }
    }
    first
}

/// The administrator's Exchange Management Shell session from the office: remote PowerShell over
/// Kerberos (port 80) and a few routine cmdlets.
fn admin_shell(ex: &mut Exch, staff: &[Staff], day: Date, from: Timestamp, to: Timestamp) {
    let Some(at) = local_time(ex, day, 9 * 60, 17 * 60, from, to) else {
        return;
    };
    let admin = format!("{}\\Administrator", ex.org.netbios);
    let query = format!(
        "serializationLevel=Full;ExchClientVer={}.{}.{}.{};clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.17763.3532",
        ex.build.major, ex.build.minor, ex.build.build, ex.build.cu_revision
    );
    for i in 0..3 {
        ex.web(
            at + secs(i),
            &Web {
                method: "POST",
                stem: "/powershell".into(),
                query: query.clone(),
                port: 80,
                user: admin.clone(),
                client: "10.20.1.10".into(),
                ua: "Microsoft WinRM Client".into(),
                status: 200,
                protocol: "PowerShell",
                auth: "Kerberos",
                backend: true,
                ..Web::default()
            },
        );
    }
    let caller = format!("{}/Users/Administrator", ex.ad_domain);
    let process = "w3wp#MSExchangePowerShellAppPool";
    let who = staff
        .get(ex.rng.below(staff.len()))
        .map(|s| s.user.address.clone())
        .unwrap_or_default();
    let reception = ex.org.role("reception");
    let quota = format!("{}GB", ex.rng.range(2, 9));
    let choice = ex.rng.below(4);
    let t = at + secs(20);
    ex.cmdlet(
        t,
        "Get-Mailbox",
        &[("ResultSize", "Unlimited")],
        &caller,
        process,
        None,
    );
    match choice {
        0 => ex.cmdlet(
            t + secs(40),
            "Set-Mailbox",
            &[("Identity", &who), ("ProhibitSendQuota", &quota)],
            &caller,
            process,
            Some("an administrator's routine Set-Mailbox"),
        ),
        1 => ex.cmdlet(
            t + secs(40),
            "Add-MailboxPermission",
            &[
                ("Identity", &reception),
                ("User", &who),
                ("AccessRights", "FullAccess"),
            ],
            &caller,
            process,
            Some("an administrator giving a colleague access to the reception mailbox"),
        ),
        2 => ex.cmdlet(
            t + secs(40),
            "Set-CASMailbox",
            &[("Identity", &who), ("ActiveSyncEnabled", "True")],
            &caller,
            process,
            Some("an administrator enabling a phone"),
        ),
        _ => ex.cmdlet(
            t + secs(40),
            "Get-MessageTrackingLog",
            &[("Sender", &who), ("ResultSize", "100")],
            &caller,
            process,
            Some("an administrator searching message tracking"),
        ),
    }
}

/// An internet scanner fingerprinting the server: the logon page, the build-carrying static path, and
/// 404s on common paths.
fn scanner(ex: &mut Exch, day: Date, from: Timestamp, to: Timestamp) -> Option<Mark> {
    let at = local_time(ex, day, 0, 24 * 60 - 1, from, to)?;
    let client = net::scanner(&mut ex.rng).to_string();
    let ua = ex
        .rng
        .choose(
            &[
                "Mozilla/5.0 zgrab/0.x",
                "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.85 Safari/537.36",
            ],
            "Mozilla/5.0 zgrab/0.x",
        )
        .to_string();
    let w = Web {
        method: "GET",
        client,
        ua,
        ..Web::default()
    };
    let first = ex.web_marked(
        at,
        &Web {
            stem: "/owa/auth/logon.aspx".into(),
            status: 200,
            ..w.clone()
        },
        "an internet scanner fetching the OWA logon page",
    );
    let paths = [
        "/owa/auth/x.js",
        "/ecp/default.flt",
        "/.env",
        "/owa/auth/errorFE.aspx.bak",
        "/remote/login",
        "/wp-login.php",
    ];
    for i in 0..ex.rng.range(2, 5) {
        let p = ex.rng.choose(&paths, "/.env");
        ex.web(
            at + secs(i as i64 + 1),
            &Web {
                stem: p.into(),
                status: 404,
                win32: 2,
                ..w.clone()
            },
        );
    }
    Some(first)
}

/// A bot guessing a password for a common account name on OWA, once or twice, never succeeding.
fn bot_guess(ex: &mut Exch, day: Date, from: Timestamp, to: Timestamp) -> Option<Mark> {
    let at = local_time(ex, day, 0, 24 * 60 - 1, from, to)?;
    let client = net::internet(&mut ex.rng).to_string();
    let ua = ex.rng.choose(BROWSER_UA, "Mozilla/5.0").to_string();
    let w = Web {
        client,
        ua,
        auth: "FBA",
        ..Web::default()
    };
    let mut first = None;
    for i in 0..ex.rng.range(1, 2) {
        let t = at + secs(i as i64 * 7);
        let m = failed_owa_logon(
            ex,
            t,
            &w,
            (i == 0).then_some("an internet bot guessing an OWA password (never succeeds)"),
        );
        first = first.or(m);
    }
    first
}

/// Exchange's own monitoring probes from the server itself.
fn health_probes(ex: &mut Exch, day: Date, from: Timestamp, to: Timestamp) {
    for h in (0..24).step_by(4) {
        let Some(at) = local_time(ex, day, h * 60, h * 60 + 5, from, to) else {
            continue;
        };
        let hm = format!("HealthMailbox{}@{}", ex.rng.hex(8), ex.ad_domain);
        ex.web(
            at,
            &Web {
                method: "GET",
                stem: "/owa/healthcheck.htm".into(),
                client: "127.0.0.1".into(),
                ua: "AMProbe/Local/ClientAccess".into(),
                status: 200,
                ..Web::default()
            },
        );
        ex.web(
            at + secs(2),
            &Web {
                method: "POST",
                stem: "/EWS/Exchange.asmx".into(),
                user: hm,
                client: "::1".into(),
                ua: "AMProbe/Local/ClientAccess".into(),
                status: 200,
                protocol: "Ews",
                auth: "Negotiate",
                ..Web::default()
            },
        );
    }
}
