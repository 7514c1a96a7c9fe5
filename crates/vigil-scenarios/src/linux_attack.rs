//! A slow, distributed password spray against a Postfix/Dovecot server: a few addresses of one network
//! (a /24, or a /64), each trying fewer than ten user names an hour over IMAP and SMTP AUTH, one guess
//! working; a login from the spraying network, the mailbox downloaded in bulk, phishing sent with SMTP
//! AUTH the next day; later waves log in again from the same network.

use crate::linux_server::MailHost;
use crate::names::fresh_external;
use crate::net;
use crate::out::Mark;
use crate::params::{PhishingPlan, Waves};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// The spray's pace and shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spray {
    /// Addresses of the attacker's network taking part.
    pub addresses: u32,
    /// Distinct user names each address tries per hour (fewer than ten keeps under per-address
    /// thresholds).
    pub users_per_address_hour: u32,
    /// How long the spray runs.
    pub minutes: u32,
    /// Spray from an IPv6 /64 instead of an IPv4 /24.
    pub ipv6: bool,
    /// Share of attempts made over SMTP AUTH (submission) instead of IMAP, in percent.
    pub smtp_percent: u32,
}

pub struct SprayOut {
    pub first_malicious: Mark,
    pub entry: Mark,
    pub waves: Vec<(Timestamp, Timestamp, String, Mark)>,
    pub phishing: Option<(usize, usize, Timestamp, Timestamp, usize)>,
    pub addresses: Vec<String>,
    pub last_event: Timestamp,
    pub network: String,
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

const COMMON_NAMES: &[&str] = &[
    "info",
    "admin",
    "office",
    "contact",
    "reception",
    "accounts",
    "billing",
    "hr",
    "manager",
    "appointments",
    "test",
    "mail",
    "enquiries",
    "practice",
];

#[allow(clippy::too_many_arguments)]
pub fn spray(
    mh: &mut MailHost,
    victim: &str,
    users: &[String],
    t0: Timestamp,
    sp: Spray,
    waves: Waves,
    phishing: PhishingPlan,
) -> SprayOut {
    let pick_addr = |mh: &mut MailHost, taken: &[IpAddr]| {
        if sp.ipv6 {
            net::attacker_v6(&mut mh.rng, taken)
        } else {
            net::attacker_v4(&mut mh.rng, taken)
        }
    };
    let network = if sp.ipv6 {
        "2001:db8:bad::/64"
    } else {
        "203.0.113.0/24"
    }
    .to_string();
    let mut ips: Vec<IpAddr> = Vec::new();
    for _ in 0..sp.addresses.max(1) {
        let a = pick_addr(mh, &ips);
        ips.push(a);
    }
    // Real accounts and guessed role names, shuffled; the victim somewhere in it.
    let mut pool: Vec<String> = users.to_vec();
    pool.extend(
        COMMON_NAMES
            .iter()
            .map(|n| format!("{n}@{}", mh.org.domain)),
    );
    mh.rng.shuffle(&mut pool);
    let known: BTreeSet<String> = users.iter().cloned().collect();
    let per_hour = sp.users_per_address_hour.clamp(1, 9) as usize;
    let end = t0 + SignedDuration::from_mins(i64::from(sp.minutes.max(10)));
    let hours = (i64::from(sp.minutes.max(10)) + 59) / 60;
    let success_hour = (hours * 2 / 3).min(hours - 1).max(0);
    let mut attempts: Vec<(Timestamp, usize, String)> = Vec::new();
    for h in 0..hours {
        for (ai, _) in ips.iter().enumerate() {
            for k in 0..per_hour {
                let idx =
                    (ai * per_hour + k + usize::try_from(h).unwrap_or(0) * ips.len() * per_hour)
                        % pool.len().max(1);
                let at = t0 + secs(h * 3600 + mh.rng.range_i64(0, 3599));
                if at >= end {
                    continue;
                }
                if let Some(u) = pool.get(idx) {
                    attempts.push((at, ai, u.clone()));
                }
            }
        }
    }
    attempts.sort();
    // The very first attempt opens the spray over IMAP, at t0 exactly.
    if let Some(first) = attempts.first_mut() {
        first.0 = t0;
    }
    let success_at = t0
        + secs(success_hour * 3600 + mh.rng.range_i64(600, 3000))
            .min(end.duration_since(t0) - secs(60));
    let mut first_mark = None;
    for (i, (at, ai, user)) in attempts.iter().enumerate() {
        let rip = ips.get(*ai).map(|a| a.to_string()).unwrap_or_default();
        let is_known = known.contains(user);
        if i > 0 && mh.rng.below(100) < sp.smtp_percent as usize {
            mh.smtp_auth_failed(*at, &rip, user, is_known);
        } else {
            let service = if mh.rng.chance(0.85) { "imap" } else { "pop3" };
            let m = mh.login_failed(
                *at,
                service,
                user,
                &rip,
                is_known,
                (i == 0).then_some("the first attempt of the password spray"),
            );
            first_mark = first_mark.or(m);
        }
    }
    let ok_ip = ips
        .get(ips.len() / 2)
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (entry, mpid, session) = mh.login_marked(
        success_at,
        victim,
        &ok_ip,
        "a successful IMAP login from the spraying network (the guessed password)",
    );
    let first_mark = first_mark.unwrap_or(entry);
    // The mailbox downloaded in bulk.
    let down_end = success_at + secs(mh.rng.range_i64(25 * 60, 70 * 60));
    let bodies = mh.rng.range(4_000, 20_000);
    let out = bodies * mh.rng.range(60_000, 140_000);
    let bytes_in = mh.rng.range(20_000, 90_000);
    mh.logout(
        down_end, victim, mpid, &session, bytes_in, out, bodies, None,
    );
    let mut last = down_end.max(end);
    let mut wave_list = vec![(t0, last, String::new(), first_mark)];
    // Phishing the next day, from another address of the same network.
    let ph_ip = pick_addr(mh, &ips);
    ips.push(ph_ip);
    let ph_start = success_at + SignedDuration::from_hours(mh.rng.range_i64(20, 28));
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut messages = 0;
    let mut ph_last = ph_start;
    let gap = 14.0 * 3600.0 / f64::from(phishing.per_day.max(1));
    for d in 0..phishing.days {
        let mut t = ph_start + SignedDuration::from_hours(24 * i64::from(d));
        for _ in 0..phishing.per_day {
            let n =
                usize::try_from(mh.rng.range(1, u64::from(phishing.max_recipients))).unwrap_or(1);
            let rcpts = fresh_external(&mut mh.rng, &mut seen, n);
            let size = mh.rng.range(18_000, 26_000);
            mh.submit(t, victim, &ph_ip.to_string(), &rcpts, size, None);
            messages += 1;
            ph_last = t;
            t += secs(mh.rng.exp_secs(gap).max(1));
        }
    }
    last = last.max(ph_last);
    if let Some(w) = wave_list.last_mut() {
        w.1 = last;
    }
    let phishing_out = Some((
        messages,
        seen.len(),
        ph_start,
        ph_last,
        usize::try_from(phishing.days).unwrap_or(1),
    ));
    // Later waves: the same account from the same network, another download.
    let mut start = last;
    for _ in 2..=waves.count {
        start = start
            + SignedDuration::from_hours(24 * i64::from(waves.quiet_days))
            + secs(mh.rng.range_i64(0, 8 * 3600));
        let a = pick_addr(mh, &ips);
        ips.push(a);
        let (first, mpid, session) = mh.login_marked(
            start,
            victim,
            &a.to_string(),
            "the attacker back: the same account from the spraying network",
        );
        let e = start + secs(mh.rng.range_i64(20 * 60, 50 * 60));
        let bodies = mh.rng.range(200, 2_000);
        let out = bodies * mh.rng.range(60_000, 140_000);
        let bytes_in = mh.rng.range(5_000, 40_000);
        mh.logout(e, victim, mpid, &session, bytes_in, out, bodies, None);
        wave_list.push((
            start,
            e,
            format!("the account {} from {network}", victim.to_lowercase()),
            first,
        ));
        last = last.max(e);
        start = e;
    }
    SprayOut {
        first_malicious: first_mark,
        entry,
        waves: wave_list,
        phishing: phishing_out,
        addresses: ips.iter().map(|a| a.to_string()).collect(),
        last_event: last,
        network,
    }
}
