//! Parameter sweep of vigil's mail detections: small generators write Dovecot/Postfix syslog and
//! Exchange message tracking logs for a clinic's mail server — weeks of benign traffic (logins from
//! the office and from home, mistyped passwords, a phone with an outdated password, a busy front
//! desk, appointment reminders, a bulletin through an application relay) with or without an attack
//! — and the bundled rules (rules/vigil) must fire on every attack and stay silent on the benign
//! traffic, whatever the pace:
//!
//! - password spray: 1–6 addresses of one network, 2–9 user names per address and hour, 2–4
//!   hours, Dovecot default or verbose logging, part of it over Postfix SMTP AUTH; then a login
//!   from the spraying network (an address that never failed);
//! - phishing from a stolen mailbox: 30 to 3,000 messages a day for three days, to distinct
//!   external recipients, through Exchange (EWS) or Postfix (SMTP AUTH), against a history of
//!   ordinary days; the detections' counts add up to the campaign.
//!
//! The logs go through the readers, the engine and the correlator as `vigil hunt` runs them.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;
use vigil_hunt::mapping::reader_mappings;
use vigil_model::{Detection, Event, Level};
use vigil_sigma::{Correlator, Engine, LoadOptions, load_rules};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/vigil");
        let (set, errors) = load_rules(&[dir], &LoadOptions::default());
        assert!(errors.is_empty(), "{errors:?}");
        let (engine, errors) = Engine::compile(&set, &reader_mappings().expect("mappings"));
        assert!(errors.is_empty(), "{errors:?}");
        engine
    })
}

/// Reads the generated logs and correlates them in time order; the reported detections.
fn detect(logs: &[(&str, String)]) -> Vec<Detection> {
    let eng = engine();
    let mut events: Vec<Event> = Vec::new();
    for (name, text) in logs {
        let stats =
            vigil_logs::read_bytes(name, text.as_bytes(), None, &Default::default(), &mut |e| {
                events.push(e)
            })
            .expect("read");
        assert_eq!(stats.failed, 0, "{name}: {:?}", stats.failures);
    }
    events.sort_by_key(|e| e.timestamp);
    let mut out = Vec::new();
    let mut correlator = Correlator::new(eng);
    for ev in &events {
        eng.matches(ev, &mut out);
        let mut all = Vec::new();
        eng.all_matches(ev, &mut all);
        correlator.feed(ev, &all, &mut out);
    }
    correlator.finish(&mut out);
    assert_eq!(correlator.overflow(), 0);
    out
}

fn titled<'a>(ds: &'a [Detection], title: &str) -> Vec<&'a Detection> {
    ds.iter().filter(|d| d.rule_title == title).collect()
}

fn get<'a>(d: &'a Detection, k: &str) -> Option<&'a str> {
    d.matched
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
}

fn sum(ds: &[&Detection], k: &str) -> u64 {
    ds.iter()
        .filter_map(|d| get(d, k)?.parse::<u64>().ok())
        .sum()
}

fn serious(ds: &[Detection]) -> Vec<String> {
    ds.iter()
        .filter(|d| d.level >= Level::Medium)
        .map(|d| format!("{} {:?} {:?}", d.rule_title, d.timestamp, d.matched))
        .collect()
}

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Seconds since the start of the logs (2021-08-01T00:00:00Z) as RFC 3339.
fn stamp(secs: i64) -> String {
    jiff::Timestamp::from_second(1_627_776_000 + secs)
        .expect("time")
        .strftime("%Y-%m-%dT%H:%M:%S.000000+00:00")
        .to_string()
}

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const OFFICE: &str = "192.0.2.77";
const DOMAIN: &str = "clinic.example";

fn staff(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("staff{i:02}@{DOMAIN}")).collect()
}

/// One user's home network (IPv6 /64s of the documentation prefix).
fn home(i: usize) -> String {
    format!("2001:db8:{:x}::{:x}", 0x100 + i, 10 + i)
}

/// Syslog lines with a time key for sorting.
#[derive(Default)]
struct Syslog {
    lines: Vec<(i64, String)>,
    session: u64,
    queue: u64,
}

impl Syslog {
    fn push(&mut self, t: i64, prog: &str, msg: String) {
        self.lines
            .push((t, format!("{} mx1 {prog}: {msg}", stamp(t))));
    }
    fn session(&mut self) -> String {
        self.session += 1;
        format!("s{:014x}", self.session)
    }
    fn login(&mut self, t: i64, user: &str, ip: &str) {
        let s = self.session();
        self.push(
            t,
            "dovecot",
            format!("imap-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.5, mpid=4{t}, TLS, session=<{s}>"),
        );
    }
    /// A failed login as Dovecot logs it by default, plus the passdb line with auth_verbose.
    fn failed(&mut self, t: i64, user: &str, ip: &str, verbose: bool) {
        let s = self.session();
        if verbose {
            self.push(
                t,
                "dovecot",
                format!("auth: passwd-file({user},{ip},<{s}>): Password mismatch"),
            );
        }
        self.push(
            t + 2,
            "dovecot",
            format!("imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.5, TLS, session=<{s}>"),
        );
    }
    fn sasl_failed(&mut self, t: i64, ip: &str) {
        self.push(
            t,
            "postfix/submission/smtpd[3121]",
            format!("warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
        );
    }
    /// A message submitted with SMTP AUTH and delivered to each recipient.
    fn submit(&mut self, t: i64, user: &str, ip: &str, rcpts: &[String]) {
        self.queue += 1;
        let q = format!("{:010X}", 0x3A_0000_0000_u64 + self.queue);
        self.push(
            t,
            "postfix/submission/smtpd[3104]",
            format!("{q}: client=unknown[{ip}], sasl_method=LOGIN, sasl_username={user}"),
        );
        self.push(
            t,
            "postfix/qmgr[812]",
            format!(
                "{q}: from=<{user}>, size=18312, nrcpt={} (queue active)",
                rcpts.len()
            ),
        );
        for r in rcpts {
            let (prog, relay) = if r.ends_with(DOMAIN) {
                (
                    "postfix/lmtp[3150]",
                    "mail.clinic.example[private/dovecot-lmtp]".to_string(),
                )
            } else {
                (
                    "postfix/smtp[3144]",
                    format!("mx.{}[192.0.2.40]:25", r.split('@').nth(1).unwrap_or("x")),
                )
            };
            self.push(
                t + 1,
                prog,
                format!("{q}: to=<{r}>, relay={relay}, delay=1.4, delays=0.1/0/0.7/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
            );
        }
        self.push(t + 2, "postfix/qmgr[812]", format!("{q}: removed"));
    }
    fn text(mut self) -> String {
        self.lines.sort();
        let mut out = String::new();
        for (_, l) in self.lines {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }
}

/// Three weeks of an ordinary clinic: 30 staff log in from the office and from home every day,
/// some mistype their password (a few times, then succeed), one phone with an outdated password
/// fails every 20 minutes from the same address, one person travels.
fn benign_logins(log: &mut Syslog, rng: &mut Rng, days: i64, verbose: bool) {
    let users = staff(30);
    for d in 0..days {
        for (i, u) in users.iter().enumerate() {
            log.login(
                d * DAY + 8 * HOUR + rng.below(HOUR as u64) as i64,
                u,
                OFFICE,
            );
            log.login(
                d * DAY + 20 * HOUR + rng.below(HOUR as u64) as i64,
                u,
                &home(i),
            );
            if rng.below(10) == 0 {
                let t = d * DAY + 9 * HOUR + rng.below(8 * HOUR as u64) as i64;
                for k in 0..(1 + rng.below(3) as i64) {
                    log.failed(t + k * 20, u, OFFICE, verbose);
                }
                log.login(t + 90, u, OFFICE);
            }
        }
        for k in 0..72 {
            log.failed(d * DAY + k * 1200, &users[7], &home(7), verbose);
        }
    }
    // Travel: a login from a hotel network on the last day (a new network, low level only).
    log.login((days - 1) * DAY + 12 * HOUR, &users[3], "2001:db8:ffff::3");
}

/// Benign days before a spray.
const BENIGN_DAYS: i64 = 8;

struct Spray {
    addresses: usize,
    per_address_hour: usize,
    hours: usize,
    verbose: bool,
}

/// A password spray from `addresses` addresses of 203.0.113.0/24 after eight benign days, each
/// address trying `per_address_hour` user names an hour (names of staff and guessed ones), every
/// third attempt over SMTP AUTH; then a login from another address of the network with the
/// password found.
fn spray_logs(s: &Spray, seed: u64) -> (String, i64, usize, usize) {
    let mut rng = Rng(seed);
    let mut log = Syslog::default();
    // Eight days: one more than the week a new-network rule waits before reporting.
    benign_logins(&mut log, &mut rng, BENIGN_DAYS, s.verbose);
    let mut names = staff(30);
    names.extend(
        ["admin", "info", "test", "office", "billing", "reception"]
            .map(|n| format!("{n}@{DOMAIN}")),
    );
    let start = BENIGN_DAYS * DAY + 2 * HOUR;
    let mut tried = std::collections::BTreeSet::new();
    let mut n = 0;
    let mut sasl = 0;
    for h in 0..s.hours {
        for a in 0..s.addresses {
            let ip = format!("203.0.113.{}", 10 + a);
            for k in 0..s.per_address_hour {
                let t = start
                    + h as i64 * HOUR
                    + (a * 7 + k * (3600 / s.per_address_hour)) as i64 % HOUR;
                let user = &names[(n * 7) % names.len()];
                n += 1;
                if n % 3 == 0 {
                    log.sasl_failed(t, &ip);
                    sasl += 1;
                } else {
                    tried.insert(user.clone());
                    log.failed(t, user, &ip, s.verbose);
                }
            }
        }
    }
    let end = start + s.hours as i64 * HOUR;
    log.login(end + 600, &names[4], "203.0.113.200");
    (log.text(), start, tried.len(), sasl)
}

/// One spray run: its failures, and whether the network spray and the SMTP AUTH spray were
/// expected (by the number of names and failures generated).
fn check_spray(s: &Spray, seed: u64) -> (Vec<String>, bool, bool) {
    let mut failures = Vec::new();
    let (text, start, tried, sasl) = spray_logs(s, seed);
    let ds = detect(&[("mail.log", text)]);
    let case = format!(
        "{} addresses, {}/address/hour, {} h, verbose {} ({tried} names by IMAP)",
        s.addresses, s.per_address_hour, s.hours, s.verbose
    );
    // Postfix logs no user name: several addresses and 20 failures in 6 hours (the whole spray
    // lasts at most 4).
    let smtp_expected = s.addresses >= 3 && sasl >= 20;
    let smtp = titled(
        &ds,
        "Postfix SMTP AUTH Failures From Several Addresses Of One Network",
    );
    if smtp_expected && smtp.is_empty() {
        failures.push(format!("{case}: {sasl} SMTP AUTH failures not detected"));
    }
    let spray_expected = tried >= 8;
    if spray_expected {
        let spray = titled(&ds, "Mail Password Spraying From One Network");
        match spray.iter().filter_map(|d| d.first_seen).min() {
            None => failures.push(format!("{case}: spray not detected")),
            Some(first) if first.as_second() - 1_627_776_000 > start + 2 => failures.push(format!(
                "{case}: spray dated {first}, began {}",
                stamp(start)
            )),
            _ => {}
        }
    }
    let takeover = titled(
        &ds,
        "Dovecot Successful Login From A Network That Sprayed Passwords",
    )
    .len()
        + titled(
            &ds,
            "Mail Login From A New Network After That Network Failed For Other Accounts",
        )
        .len();
    if takeover == 0 {
        failures.push(format!(
            "{case}: login from the spraying network not detected"
        ));
    }
    // Benign days precede the spray: nothing before it may be flagged.
    let before: Vec<&Detection> = ds
        .iter()
        .filter(|d| d.level >= Level::Medium)
        .filter(|d| {
            d.timestamp
                .is_some_and(|t| t.as_second() - 1_627_776_000 < start)
        })
        .collect();
    if !before.is_empty() {
        failures.push(format!("{case}: benign traffic flagged: {before:?}"));
    }
    (failures, spray_expected, smtp_expected)
}

#[test]
fn sweep_password_spray_pace_addresses_and_logging() {
    let mut cases = Vec::new();
    for addresses in [1, 3, 6] {
        for per_address_hour in [2, 5, 9] {
            for hours in [2, 4] {
                for verbose in [false, true] {
                    cases.push(Spray {
                        addresses,
                        per_address_hour,
                        hours,
                        verbose,
                    });
                }
            }
        }
    }
    assert_eq!(cases.len(), 36);
    // Two threads: the runs are independent and the machine has two cores.
    let (half_a, half_b) = cases.split_at(cases.len() / 2);
    let run = |part: &[Spray], first_seed: u64| {
        let mut out = (Vec::new(), 0, 0);
        for (i, s) in part.iter().enumerate() {
            let (f, spray, smtp) = check_spray(s, first_seed + i as u64);
            out.0.extend(f);
            out.1 += usize::from(spray);
            out.2 += usize::from(smtp);
        }
        out
    };
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| run(half_a, 8));
        let b = run(half_b, 8 + half_a.len() as u64);
        (a.join().expect("sweep thread"), b)
    });
    let failures: Vec<String> = a.0.into_iter().chain(b.0).collect();
    let (spray_expected, smtp_expected) = (a.1 + b.1, a.2 + b.2);
    eprintln!(
        "36 runs: login from the spraying network checked in all, the network spray in \
         {spray_expected} (8 or more names), the SMTP AUTH spray in {smtp_expected}"
    );
    assert!(spray_expected >= 24 && smtp_expected >= 8);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn benign_mail_server_stays_silent() {
    for verbose in [false, true] {
        let mut rng = Rng(99);
        let mut log = Syslog::default();
        benign_logins(&mut log, &mut rng, 21, verbose);
        postfix_benign(&mut log, &mut rng, 21);
        let ds = detect(&[("mail.log", log.text())]);
        assert!(
            serious(&ds).is_empty(),
            "verbose {verbose}: {:#?}",
            serious(&ds)
        );
        // The traveller's new network is reported at low level only.
        assert_eq!(
            titled(&ds, "Mailbox Used From A Network It Never Used Before").len(),
            1,
            "{ds:#?}"
        );
    }
    let ds = detect(&[(
        "MSGTRK2021080100-1.LOG",
        exchange_benign(&mut Rng(5), 21).text(),
    )]);
    assert!(serious(&ds).is_empty(), "{:#?}", serious(&ds));
}

/// A functional mailbox's weekly newsletter, from the office, first sent on day 2 of the logs
/// (when the sender has no history): 400 subscribers (5 more each week) in messages of 25
/// recipients, one template. `send(time, recipients, subject)` writes one message.
fn weekly_newsletter(weeks: i64, mut send: impl FnMut(i64, &[String], &str)) {
    for w in 0..weeks {
        let t0 = (2 + 7 * w) * DAY + 7 * HOUR;
        let subscribers: Vec<String> = (0..400 + 5 * w)
            .map(|k| format!("subscriber{k}@example.com"))
            .collect();
        for (i, batch) in subscribers.chunks(25).enumerate() {
            send(
                t0 + i as i64 * 40,
                batch,
                &format!("Clinic news, week {}", 10 + w),
            );
        }
    }
}

/// The newsletter's detections: `(level, time)` of those naming `news@clinic.example`.
fn newsletter_detections(ds: &[Detection]) -> Vec<(Level, String)> {
    ds.iter()
        .filter(|d| {
            d.matched
                .iter()
                .any(|(_, v)| v.eq_ignore_ascii_case("news@clinic.example"))
        })
        .map(|d| (d.level, format!("{} {:?}", d.rule_title, d.timestamp)))
        .collect()
}

/// A weekly newsletter is bulk mail, not phishing: the first one, with no history for the
/// sender, is at most medium (it opens no incident on its own); from the second week on the
/// sender's history makes it ordinary. Postfix (SMTP AUTH) and Exchange (message tracking).
#[test]
fn weekly_newsletter_is_medium_at_first_then_learned() {
    let first_week_end = 9 * DAY;
    let stamp_limit = jiff::Timestamp::from_second(1_627_776_000 + first_week_end).expect("time");
    let mut log = Syslog::default();
    let mut rng = Rng(7);
    postfix_benign(&mut log, &mut rng, 35);
    weekly_newsletter(5, |t, r, _| log.submit(t, "news@clinic.example", OFFICE, r));
    let postfix = detect(&[("mail.log", log.text())]);
    let mut rng = Rng(8);
    let mut trk = exchange_benign(&mut rng, 35);
    weekly_newsletter(5, |t, r, subject| {
        trk.mailbox(t, "news@clinic.example", r, subject, OFFICE, "MOMT")
    });
    let exchange = detect(&[("MSGTRK2021080100-1.LOG", trk.text())]);
    for (name, ds) in [("Postfix", &postfix), ("Exchange", &exchange)] {
        let news = newsletter_detections(ds);
        assert!(
            news.iter().all(|(l, _)| *l <= Level::Medium),
            "{name}: {news:#?}"
        );
        let late: Vec<&Detection> = ds
            .iter()
            .filter(|d| d.level >= Level::Medium && d.timestamp.is_some_and(|t| t > stamp_limit))
            .collect();
        assert!(late.is_empty(), "{name}: {late:#?}");
    }
}

/// Ordinary SMTP AUTH senders: a few external correspondents a day, a busy front desk writing to
/// 30–45 distinct patients a day (under the absolute threshold of 60 that applies on the first
/// day of the logs, when no sender has history yet).
fn postfix_benign(log: &mut Syslog, rng: &mut Rng, days: i64) {
    let users = staff(30);
    for d in 0..days {
        for (i, u) in users.iter().enumerate().skip(1) {
            for k in 0..rng.below(4) {
                let t = d * DAY + 9 * HOUR + rng.below(9 * HOUR as u64) as i64;
                let r = vec![
                    format!("contact{}@example.net", (i as u64 * 7 + k) % 12),
                    format!("staff00@{DOMAIN}"),
                ];
                log.submit(t, u, OFFICE, &r);
            }
        }
        for k in 0..(30 + rng.below(16)) {
            let t = d * DAY + 8 * HOUR + k as i64 * 600;
            log.submit(
                t,
                &users[0],
                OFFICE,
                &[format!("patient{}@example.org", d * 100 + k as i64)],
            );
        }
    }
}

/// Message tracking records.
#[derive(Default)]
struct MsgTrk {
    records: Vec<(i64, String)>,
    n: u64,
}

impl MsgTrk {
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        t: i64,
        source: &str,
        connector: &str,
        client_type: &str,
        sender: &str,
        rcpts: &[String],
        subject: &str,
        client: &str,
    ) {
        self.n += 1;
        let n = self.n;
        let ctx = if source == "STOREDRIVER" {
            format!(
                "\"MDB:5e0f2a61-0c29-4d8b-9a35-1f1a2b3c4d5e, Mailbox:8c4f3e2d-1a2b-4c3d-8e9f-0a1b2c3d4e5f, Event:{n}, MessageClass:IPM.Note, CreationTime:{}, ClientType:{client_type}, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant\"",
                iso(t)
            )
        } else {
            format!("08D95{n:011X};250 2.6.0 Queued mail for delivery")
        };
        let subject = if subject.contains(',') {
            format!("\"{subject}\"")
        } else {
            subject.to_string()
        };
        let mut line = String::new();
        let _ = write!(
            line,
            "{},fe80::5efe:c000:20a%11,EX01.clinic.example,192.0.2.10,EX01,{ctx},{connector},{source},RECEIVE,{n},<{n:08x}@EX01.clinic.example>,1f2e3d4c-{n:08x},{},To,18312,{},,,{subject},{sender},{sender},04I: ,Originating,,{client},192.0.2.10,S:DeliveryPriority=Normal,Email,9a8b7c6d-{n:08x},15.01.2308.008",
            iso(t),
            rcpts.join(";"),
            rcpts.len()
        );
        self.records.push((t, line));
    }
    fn mailbox(
        &mut self,
        t: i64,
        sender: &str,
        rcpts: &[String],
        subject: &str,
        client: &str,
        client_type: &str,
    ) {
        self.record(
            t,
            "STOREDRIVER",
            "",
            client_type,
            sender,
            rcpts,
            subject,
            client,
        );
    }
    fn text(mut self) -> String {
        self.records.sort();
        let mut out = String::from(
            "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2308.008\r\n#Log-type: Message Tracking Log\r\n#Date: 2021-08-01T00:00:00.000Z\r\n#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version\r\n",
        );
        for (_, r) in self.records {
            out.push_str(&r);
            out.push_str("\r\n");
        }
        out
    }
}

fn iso(t: i64) -> String {
    jiff::Timestamp::from_second(1_627_776_000 + t)
        .expect("time")
        .strftime("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

/// Exchange: 30 staff writing to a few external correspondents and to colleagues, a front desk
/// sending 30–45 appointment reminders a day (one template), and a weekly bulletin of 2,000
/// recipients sent by an application through a relay connector.
fn exchange_benign(rng: &mut Rng, days: i64) -> MsgTrk {
    let users = staff(30);
    let mut log = MsgTrk::default();
    for d in 0..days {
        for (i, u) in users.iter().enumerate().skip(1) {
            for k in 0..rng.below(5) {
                let t = d * DAY + 9 * HOUR + rng.below(9 * HOUR as u64) as i64;
                let r = vec![
                    format!("contact{}@example.net", (i as u64 * 7 + k) % 12),
                    format!("staff00@{DOMAIN}"),
                ];
                let client = if i % 3 == 0 {
                    home(i)
                } else {
                    OFFICE.to_string()
                };
                log.mailbox(t, u, &r, &format!("RE: question {k}"), &client, "MOMT");
            }
        }
        for k in 0..(30 + rng.below(16)) {
            let t = d * DAY + 8 * HOUR + k as i64 * 600;
            let day = (d + 1) % 28 + 1;
            log.mailbox(
                t,
                &users[0],
                &[format!("patient{}@example.org", d * 100 + k as i64)],
                &format!("Your appointment on {day:02}/08 at {}:00", 8 + k % 9),
                OFFICE,
                "OWA",
            );
        }
        if d % 7 == 3 {
            let r: Vec<String> = (0..2000)
                .map(|k| format!("subscriber{k}@example.com"))
                .collect();
            log.record(
                d * DAY + 6 * HOUR,
                "SMTP",
                "EX01\\Relay Bulletin App",
                "",
                "bulletin@clinic.example",
                &r,
                "Monthly bulletin",
                "192.0.2.30",
            );
        }
    }
    log
}

/// Phishing from staff05's mailbox through EWS from 203.0.113.66, `per_day` messages a day to
/// distinct external recipients for three days, after 14 ordinary days.
fn exchange_phishing(per_day: i64) -> (String, i64) {
    let mut rng = Rng(42 + per_day as u64);
    let mut log = exchange_benign(&mut rng, 17);
    let victim = staff(30)[5].clone();
    let n = campaign(per_day, |t, n| {
        let subject = format!("Invoice {} overdue - action required", 4400 + n);
        let to = [format!("patient.{n}@example.org")];
        log.mailbox(t, &victim, &to, &subject, "203.0.113.66", "WebServices");
    });
    (log.text(), n)
}

fn postfix_phishing(per_day: i64) -> (String, i64) {
    let mut rng = Rng(43 + per_day as u64);
    let mut log = Syslog::default();
    postfix_benign(&mut log, &mut rng, 17);
    let victim = staff(30)[5].clone();
    let n = campaign(per_day, |t, n| {
        log.submit(
            t,
            &victim,
            "203.0.113.66",
            &[format!("patient.{n}@example.org")],
        );
    });
    (log.text(), n)
}

/// Calls `send(time, n)` for `per_day` messages a day over days 14 to 16; the number sent.
fn campaign(per_day: i64, mut send: impl FnMut(i64, i64)) -> i64 {
    let mut n = 0;
    for d in 14..17 {
        for k in 0..per_day {
            send(d * DAY + k * DAY / per_day, n);
            n += 1;
        }
    }
    n
}

/// The outbound detections of one sender: fired, at high (the mailbox has history), and their
/// counts add up to exactly the campaign's.
fn check_campaign(
    ds: &[Detection],
    title: &str,
    sender: &str,
    sent: i64,
    case: &str,
    failures: &mut Vec<String>,
) {
    let mine: Vec<&Detection> = titled(ds, title)
        .into_iter()
        .filter(|d| get(d, "sender") == Some(sender))
        .collect();
    let messages = sum(&mine, "message_count") as i64;
    let recipients = sum(&mine, "recipient_count") as i64;
    // Exact: the victim's own mail of the campaign days (from the office or home) is not the
    // campaign's, which came from a network the mailbox never used.
    if mine.is_empty() {
        failures.push(format!("{case}: not detected"));
    } else if messages != sent || recipients != sent {
        failures.push(format!(
            "{case}: counted {messages} messages to {recipients} recipients, sent {sent} ({} detections)",
            mine.len()
        ));
    }
    if mine.iter().any(|d| d.level != Level::High) {
        failures.push(format!("{case}: a campaign against history below high"));
    }
    let others: Vec<&Detection> = titled(ds, title)
        .into_iter()
        .filter(|d| get(d, "sender") != Some(sender))
        .collect();
    if !others.is_empty() {
        failures.push(format!("{case}: benign senders flagged: {others:?}"));
    }
}

#[test]
fn sweep_phishing_rate_exchange_and_postfix() {
    let mut failures = Vec::new();
    let victim = staff(30)[5].clone();
    for per_day in [30, 100, 300, 3000] {
        let (text, sent) = exchange_phishing(per_day);
        let ds = detect(&[("MSGTRK2021080100-1.LOG", text)]);
        let case = format!("Exchange, {per_day}/day");
        check_campaign(
            &ds,
            "Mailbox Sent To Unusually Many External Recipients - Message Tracking",
            &victim,
            sent,
            &case,
            &mut failures,
        );
        if titled(
            &ds,
            "Mail Submitted From A Network The Mailbox Never Used - Message Tracking",
        )
        .is_empty()
        {
            failures.push(format!(
                "{case}: EWS submission from a new network not detected"
            ));
        }
        let burst = titled(
            &ds,
            "Same Subject Sent To Many External Recipients - Message Tracking",
        );
        if per_day >= 50 && burst.is_empty() {
            failures.push(format!("{case}: near-identical subjects not detected"));
        }
        if burst.iter().any(|d| get(d, "sender") != Some(&victim)) {
            failures.push(format!("{case}: reminders flagged as a subject burst"));
        }
        if per_day <= 300 {
            let (text, sent) = postfix_phishing(per_day);
            let ds = detect(&[("mail.log", text)]);
            let case = format!("Postfix, {per_day}/day");
            check_campaign(
                &ds,
                "Mail Account Sent To Unusually Many External Recipients - Postfix",
                &victim,
                sent,
                &case,
                &mut failures,
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Postfix at 3,000 messages a day: kept apart because it is the largest log (45,000 lines).
#[test]
fn postfix_phishing_at_thousands_a_day() {
    let victim = staff(30)[5].clone();
    let (text, sent) = postfix_phishing(3000);
    let ds = detect(&[("mail.log", text)]);
    let mut failures = Vec::new();
    check_campaign(
        &ds,
        "Mail Account Sent To Unusually Many External Recipients - Postfix",
        &victim,
        sent,
        "Postfix, 3000/day",
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
