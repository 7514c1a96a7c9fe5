//! The everyday traffic of a small organisation's Postfix/Dovecot server: staff reading mail over IMAP
//! from the office (all behind one address), from home and from phones; mail arriving from the internet
//! and sent with SMTP AUTH; and the benign look-alikes (mistyped passwords, a phone with an old
//! password, a weekly newsletter to hundreds of recipients, scanners, password-guessing bots that never
//! succeed, which every internet-facing mail server sees).

use crate::calendar;
use crate::linux_server::MailHost;
use crate::names::{User, external_address, external_addresses};
use crate::net;
use crate::out::Mark;
use crate::params::LookAlikes;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// A member of staff and their devices.
#[derive(Debug, Clone)]
pub struct Person {
    pub user: User,
    pub home: String,
    pub phone: bool,
    pub contacts: Vec<String>,
}

/// The office's one public address (all staff at the office share it behind NAT).
pub const OFFICE_IP: &str = "198.18.200.10";

pub fn people(mh: &mut MailHost) -> Vec<Person> {
    let users = mh.org.users.clone();
    users
        .into_iter()
        .map(|user| {
            let n = usize::try_from(mh.rng.range(4, 12)).unwrap_or(6);
            Person {
                home: net::home(&mut mh.rng).to_string(),
                phone: mh.rng.chance(0.8),
                contacts: external_addresses(&mut mh.rng, n),
                user,
            }
        })
        .collect()
}

/// What benign traffic to write.
#[derive(Debug, Clone)]
pub struct Plan {
    pub sessions_per_user_day: u32,
    pub lookalikes: LookAlikes,
    pub newsletter_recipients: usize,
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

/// Writes benign traffic for every local day from `from` to `to`; returns the marks of look-alikes.
pub fn benign(
    mh: &mut MailHost,
    people: &[Person],
    tz: &TimeZone,
    from: Timestamp,
    to: Timestamp,
    plan: &Plan,
) -> Vec<Mark> {
    let mut marks = Vec::new();
    let subscribers = external_addresses(&mut mh.rng, plan.newsletter_recipients);
    let total_days = (to.as_second() - from.as_second()) / 86_400;
    let stale_day_n = mh.rng.range_i64(1, total_days.max(2) - 1);
    let mut cited_typo = false;
    for (n, day) in (0i64..).zip(calendar::days(from, to, tz)) {
        let weekday = calendar::is_working_day(day);
        for p in people {
            let sessions = if weekday {
                plan.sessions_per_user_day
            } else {
                u32::from(mh.rng.chance(0.25))
            };
            for _ in 0..sessions {
                let Some(at) =
                    calendar::local_time(&mut mh.rng, tz, day, 7 * 60, 19 * 60, from, to)
                else {
                    continue;
                };
                let rip = match mh.rng.below(3) {
                    0 if weekday => OFFICE_IP.to_string(),
                    1 if p.phone => net::mobile(&mut mh.rng).to_string(),
                    _ => p.home.clone(),
                };
                let mut t = at;
                if plan.lookalikes.failed_logins && mh.rng.chance(0.08) {
                    let m = mh.login_failed(
                        t,
                        "imap",
                        &p.user.address,
                        &rip,
                        true,
                        (!cited_typo).then_some("a member of staff mistyping the IMAP password"),
                    );
                    if let Some(m) = m {
                        marks.push(m);
                        cited_typo = true;
                    }
                    t += secs(mh.rng.range_i64(8, 40));
                }
                let (_, mpid, session) = mh.login(t, &p.user.address, &rip, None);
                let dur = mh.rng.range_i64(60, 3 * 3600);
                let out = mh.rng.range(20_000, 8_000_000);
                let bodies = mh.rng.range(0, 60);
                let inb = mh.rng.range(300, 4000);
                mh.logout(
                    t + secs(dur),
                    &p.user.address,
                    mpid,
                    &session,
                    inb,
                    out,
                    bodies,
                    None,
                );
            }
            if weekday {
                mail_day(mh, p, tz, day, from, to);
            }
        }
        if plan.lookalikes.stale_device
            && n == stale_day_n
            && let Some(p) = people.iter().find(|p| p.phone)
            && let Some(m) = stale_phone(mh, p, tz, day, from, to)
        {
            marks.push(m);
        }
        if plan.lookalikes.newsletter
            && day.weekday() == Weekday::Tuesday
            && let Some(m) = newsletter(mh, &subscribers, tz, day, from, to)
        {
            marks.push(m);
        }
        if plan.lookalikes.scanners {
            for _ in 0..mh.rng.range(1, 4) {
                scanner(mh, tz, day, from, to);
            }
        }
        if plan.lookalikes.internet_noise {
            for i in 0..mh.rng.range(4, 14) {
                if let Some(m) = bot(mh, tz, day, from, to, i == 0 && n == 0) {
                    marks.push(m);
                }
            }
        }
    }
    marks
}

/// Mail in from contacts and services, and a few messages out with SMTP AUTH.
fn mail_day(
    mh: &mut MailHost,
    p: &Person,
    tz: &TimeZone,
    day: Date,
    from: Timestamp,
    to: Timestamp,
) {
    for _ in 0..mh.rng.range(1, 5) {
        let Some(at) = calendar::local_time(&mut mh.rng, tz, day, 0, 24 * 60 - 1, from, to) else {
            continue;
        };
        let sender = match mh.rng.pick(&p.contacts) {
            Some(c) if mh.rng.chance(0.6) => c.clone(),
            _ => external_address(&mut mh.rng),
        };
        let ip = net::internet(&mut mh.rng).to_string();
        let host = format!(
            "mail{}.{}",
            mh.rng.range(1, 9),
            sender.rsplit_once('@').map(|(_, d)| d).unwrap_or("example")
        );
        mh.receive(at, &sender, &p.user.address, &ip, &host);
    }
    for _ in 0..mh.rng.range(0, 2) {
        let Some(at) = calendar::local_time(&mut mh.rng, tz, day, 8 * 60, 18 * 60, from, to) else {
            continue;
        };
        let Some(r) = mh.rng.pick(&p.contacts).cloned() else {
            continue;
        };
        let ip = if mh.rng.chance(0.6) {
            OFFICE_IP.to_string()
        } else {
            p.home.clone()
        };
        let size = mh.rng.range(2_000, 900_000);
        mh.submit(at, &p.user.address, &ip, &[r], size, None);
    }
}

/// A phone with an old password failing every 10–15 minutes for most of a day.
fn stale_phone(
    mh: &mut MailHost,
    p: &Person,
    tz: &TimeZone,
    day: Date,
    from: Timestamp,
    to: Timestamp,
) -> Option<Mark> {
    let start = calendar::local_time(&mut mh.rng, tz, day, 7 * 60, 8 * 60, from, to)?;
    let ip = net::mobile(&mut mh.rng).to_string();
    let hours = mh.rng.range_i64(6, 11);
    let mut t = start;
    let mut first = None;
    while t < start + SignedDuration::from_hours(hours) && t < to {
        let m = mh.login_failed(
            t,
            "imap",
            &p.user.address,
            &ip,
            true,
            first
                .is_none()
                .then_some("a phone with an old password failing every few minutes"),
        );
        first = first.or(m);
        t += secs(mh.rng.range_i64(600, 900));
    }
    first
}

/// The weekly newsletter, sent from the office in batches of 25 recipients.
fn newsletter(
    mh: &mut MailHost,
    subscribers: &[String],
    tz: &TimeZone,
    day: Date,
    from: Timestamp,
    to: Timestamp,
) -> Option<Mark> {
    let start = calendar::local_time(&mut mh.rng, tz, day, 10 * 60, 10 * 60 + 5, from, to)?;
    let sender = mh.org.role("newsletter");
    let mut t = start;
    let mut first = None;
    for chunk in subscribers.chunks(25) {
        if t >= to {
            break;
        }
        let m = mh.submit(
            t,
            &sender,
            OFFICE_IP,
            chunk,
            52_000,
            first.is_none().then_some(
                "the weekly newsletter: hundreds of external recipients from one account",
            ),
        );
        first = first.or(m);
        t += secs(mh.rng.range_i64(20, 90));
    }
    first
}

/// A port scanner: an SMTP connection that says nothing, an IMAP connection without login.
fn scanner(mh: &mut MailHost, tz: &TimeZone, day: Date, from: Timestamp, to: Timestamp) {
    let Some(at) = calendar::local_time(&mut mh.rng, tz, day, 0, 24 * 60 - 1, from, to) else {
        return;
    };
    let ip = net::scanner(&mut mh.rng).to_string();
    let pid = mh.pid(at);
    let tag = format!("postfix/smtpd[{pid}]");
    mh.line(at, &tag, &format!("connect from unknown[{ip}]"));
    mh.line(
        at + secs(1),
        &tag,
        &format!("lost connection after CONNECT from unknown[{ip}]"),
    );
    mh.line(
        at + secs(1),
        &tag,
        &format!("disconnect from unknown[{ip}] commands=0/0"),
    );
    let session = mh.rng.base64ish(16);
    let lip = mh.lip.clone();
    mh.line(
        at + secs(3),
        "dovecot",
        &format!("imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip={ip}, lip={lip}, session=<{session}>"),
    );
}

const BOT_NAMES: &[&str] = &[
    "admin",
    "info",
    "test",
    "office",
    "sales",
    "support",
    "webmaster",
    "user",
];

/// A password-guessing bot: one or two attempts on a common name, over IMAP or SMTP AUTH.
fn bot(
    mh: &mut MailHost,
    tz: &TimeZone,
    day: Date,
    from: Timestamp,
    to: Timestamp,
    cite: bool,
) -> Option<Mark> {
    let at = calendar::local_time(&mut mh.rng, tz, day, 0, 24 * 60 - 1, from, to)?;
    let ip = net::internet(&mut mh.rng).to_string();
    let name = mh.rng.choose(BOT_NAMES, "admin");
    let user = if mh.rng.chance(0.5) {
        format!("{name}@{}", mh.org.domain)
    } else {
        name.to_string()
    };
    if mh.rng.chance(0.5) {
        mh.smtp_auth_failed(at, &ip, &user, false);
        None
    } else {
        mh.login_failed(
            at,
            "imap",
            &user,
            &ip,
            false,
            cite.then_some(
                "an internet bot guessing a password for a common name (never succeeds)",
            ),
        )
    }
}
