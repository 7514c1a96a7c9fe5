//! Self-tests: detection that proves it works. A canary — a harmless, clearly marked syslog line —
//! is appended to a watched log (by the service on its schedule, or by `vigil selftest`), and must
//! come back through the same path real events take: read by the tailer, matched by the canary rule
//! in the same engine, raised as an alert and delivered on every channel. A canary that comes back
//! is recorded as a self-test alert, acknowledged and resolved by the service with each step's
//! latency; one that does not come back within the timeout is an alert that escalates like any other.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use vigil_model::{Detection, Level};
use vigil_store::{AlertSubject, Evidence, NewAlert};

/// The canary rule's id (a fixed UUID: alerts and history refer to it).
pub const CANARY_RULE_ID: &str = "5e1f7e57-0000-4c0a-9a2b-76696769c1a7";

/// The program name canary lines carry.
pub const CANARY_PROGRAM: &str = "vigil-selftest";

/// The marker that opens a canary line's message.
pub const CANARY_MARK: &str = "VIGIL-SELFTEST";

/// The canary rule: loaded with every rule set of the service, whatever `[serve] rules` says.
pub const CANARY_RULE: &str = "title: vigil self-test canary
id: 5e1f7e57-0000-4c0a-9a2b-76696769c1a7
status: stable
description: A canary line written by vigil's self-test to prove a watched log is read, matched and
    alerted on. Harmless by construction; it never joins an incident.
author: vigil
logsource:
    product: linux
detection:
    selection:
        program: vigil-selftest
        message|startswith: 'VIGIL-SELFTEST canary='
    condition: selection
level: informational
tags:
    - vigil.selftest
";

/// The id of the canary rule for Windows event logs.
pub const CANARY_WINDOWS_RULE_ID: &str = "5e1f7e57-0001-4c0a-9a2b-76696769c1a7";

/// The canary of a Windows event log: an Application event that the administrator's scheduled task
/// writes with `eventcreate /T INFORMATION /ID 999 /L APPLICATION /SO vigil-selftest
/// /D "VIGIL-SELFTEST canary=<id> watch=<watch>"` (see docs/serve.md), read from the live or the
/// exported log like any other event.
pub const CANARY_WINDOWS_RULE: &str = "title: vigil self-test canary (Windows event log)
id: 5e1f7e57-0001-4c0a-9a2b-76696769c1a7
status: stable
description: An event written by a scheduled eventcreate (or Write-EventLog) to prove a watched
    Windows event log is read, matched and alerted on. Harmless by construction.
author: vigil
logsource:
    product: windows
detection:
    selection:
        Provider_Name: vigil-selftest
        Data|contains: 'VIGIL-SELFTEST canary='
    condition: selection
level: informational
tags:
    - vigil.selftest
";

/// The id of the canary rule for web server logs.
pub const CANARY_WEB_RULE_ID: &str = "5e1f7e57-0002-4c0a-9a2b-76696769c1a7";

/// The canary of a web server's log (IIS, Exchange's front end): a request the scheduled task
/// makes to `/vigil-selftest?canary=<id>&watch=<watch>`, logged by the server whatever it answers.
pub const CANARY_WEB_RULE: &str = "title: vigil self-test canary (web server log)
id: 5e1f7e57-0002-4c0a-9a2b-76696769c1a7
status: stable
description: A request to /vigil-selftest made by a scheduled task to prove a watched web server
    log is read, matched and alerted on. Harmless by construction.
author: vigil
logsource:
    category: webserver
detection:
    selection:
        cs-uri-stem|endswith: '/vigil-selftest'
        cs-uri-query|contains: 'canary='
    condition: selection
level: informational
tags:
    - vigil.selftest
";

/// Every canary rule, as (name, YAML): loaded with every rule set of the service.
pub const CANARY_RULES: [(&str, &str); 3] = [
    ("vigil self-test canary (built in)", CANARY_RULE),
    (
        "vigil self-test canary, Windows event log (built in)",
        CANARY_WINDOWS_RULE,
    ),
    (
        "vigil self-test canary, web server log (built in)",
        CANARY_WEB_RULE,
    ),
];

/// The canary line for `watch`: RFC 3339 time, the host, the program, the marker, a nonce.
pub fn canary_line(nonce: &str, watch: &str, host: &str, at: Timestamp) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-/:".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(200)
            .collect()
    };
    format!(
        "{} {} {CANARY_PROGRAM}[{}]: {CANARY_MARK} canary={} watch={}\n",
        at.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00"),
        clean(host),
        std::process::id(),
        clean(nonce),
        clean(watch),
    )
}

/// A fresh nonce, readable in alerts: the time, the process and a counter, so that two runs in the
/// same second (the service and `vigil selftest`, or two `vigil selftest`) never share one.
pub fn nonce(at: Timestamp, n: u64) -> String {
    format!(
        "{}-{}-{n}",
        at.strftime("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

/// Whether a detection comes from one of the canary rules.
pub fn is_canary_rule(rule_id: &str) -> bool {
    [CANARY_RULE_ID, CANARY_WINDOWS_RULE_ID, CANARY_WEB_RULE_ID].contains(&rule_id)
}

/// The (nonce, watch) a canary detection carries: `canary=` and `watch=` words of the matched
/// value (a syslog message, an event's `Data`, a request's query, where `&` separates them).
pub fn canary_of(d: &Detection) -> Option<(String, String)> {
    if !is_canary_rule(&d.rule_id) {
        return None;
    }
    let words = |v: &str| -> Vec<String> {
        v.split(|c: char| c.is_whitespace() || c == '&' || c == '?')
            .map(str::to_string)
            .collect()
    };
    let carrier = d
        .matched
        .iter()
        .map(|(_, v)| words(v))
        .find(|w| w.iter().any(|w| w.starts_with("canary=")))?;
    let value = |key: &str| -> Option<String> {
        carrier
            .iter()
            .find_map(|w| w.strip_prefix(key))
            .map(str::to_string)
    };
    // Anyone who can write to a watched log can forge a canary line: what it carries becomes alert
    // keys and titles, so it must look like what vigil writes, or it is not a canary.
    let nonce = value("canary=").filter(|n| {
        (1..=MAX_NONCE).contains(&n.len())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
    })?;
    let watch: String = value("watch=")
        .unwrap_or_default()
        .chars()
        .take(MAX_WATCH)
        .collect();
    Some((nonce, watch))
}

/// Longest nonce a canary may carry (vigil's own are about 30 characters).
const MAX_NONCE: usize = 96;
/// Longest watch name kept from a canary.
const MAX_WATCH: usize = 200;
/// Canaries nobody here sent (`vigil selftest`'s, or forged) taken per step; the rest are dropped
/// and counted, so a flood of forged canaries cannot flood the alert channels.
const MAX_UNSOLICITED: usize = 16;

/// Appends a canary line to `path` (a watched text log).
pub fn inject(path: &Path, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
    f.write_all(line.as_bytes())
}

/// How a canary reaches a source: appended to a watched file, or sent to a syslog listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CanaryVia {
    File(PathBuf),
    Udp(std::net::SocketAddr),
    Tcp(std::net::SocketAddr),
}

impl CanaryVia {
    /// Where, for people: the file, or `udp://127.0.0.1:5514`.
    pub fn describe(&self) -> String {
        match self {
            CanaryVia::File(p) => p.display().to_string(),
            CanaryVia::Udp(a) => format!("udp://{a}"),
            CanaryVia::Tcp(a) => format!("tcp://{a}"),
        }
    }

    /// Delivers the canary of `nonce` for `watch` as `host`, at `at`: a line in the file's own
    /// format, or an RFC 5424 message (newline-framed over TCP, RFC 6587).
    pub fn send(&self, nonce: &str, watch: &str, host: &str, at: Timestamp) -> std::io::Result<()> {
        let line = canary_line(nonce, watch, host, at);
        match self {
            CanaryVia::File(p) => inject(p, &line),
            CanaryVia::Udp(a) => {
                let socket = std::net::UdpSocket::bind(local_for(a))?;
                socket.send_to(canary_5424(&line).as_bytes(), a).map(|_| ())
            }
            CanaryVia::Tcp(a) => {
                use std::io::Write;
                let mut s =
                    std::net::TcpStream::connect_timeout(a, std::time::Duration::from_secs(5))?;
                s.write_all(format!("{}\n", canary_5424(&line)).as_bytes())
            }
        }
    }
}

/// Any local address of the family of `a`.
fn local_for(a: &std::net::SocketAddr) -> std::net::SocketAddr {
    if a.is_ipv4() {
        std::net::SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        std::net::SocketAddr::from(([0u16; 8], 0))
    }
}

/// The RFC 5424 form of a canary line (`<14>1 TIME HOST vigil-selftest PID - - MSG`).
fn canary_5424(line: &str) -> String {
    let mut parts = line.trim_end().splitn(4, ' ');
    let (time, host, _tag, msg) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    format!(
        "<14>1 {time} {host} {CANARY_PROGRAM} {} - - {msg}",
        std::process::id()
    )
}

/// A source a canary can be sent through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryTarget {
    /// The source's name (watch or listener).
    pub watch: String,
    pub via: CanaryVia,
    pub host: String,
}

/// The canary targets of a syslog listener bound to `udp`/`tcp`: sent to the loopback address of
/// the port when it listens on every address.
pub fn listener_targets(
    name: &str,
    udp: Option<std::net::SocketAddr>,
    tcp: Option<std::net::SocketAddr>,
    host: Option<&str>,
) -> Vec<CanaryTarget> {
    let reach = |mut a: std::net::SocketAddr| {
        if a.ip().is_unspecified() {
            a.set_ip(if a.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        a
    };
    let host = host.map_or_else(this_host, str::to_string);
    let mut out = Vec::new();
    if let Some(a) = udp {
        out.push(CanaryTarget {
            watch: name.to_string(),
            via: CanaryVia::Udp(reach(a)),
            host: host.clone(),
        });
    }
    if let Some(a) = tcp {
        out.push(CanaryTarget {
            watch: name.to_string(),
            via: CanaryVia::Tcp(reach(a)),
            host,
        });
    }
    out
}

/// This machine's host name (`localhost` when it has none).
pub fn this_host() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// A watched log a canary line can be appended to: a single syslog file (so named in the watch, or
/// recognised from its first bytes). IIS, Exchange and EVTX logs belong to the programs that write
/// them and are not written to.
pub fn canary_target(
    watch: &str,
    path: &str,
    format: Option<&str>,
    host: Option<&str>,
) -> Option<CanaryTarget> {
    let (path, pattern) = crate::split_glob(path);
    if pattern.is_some() || !path.is_file() {
        return None;
    }
    let syslog = match format {
        Some(f) => f == "syslog",
        None => {
            use std::io::Read;
            let mut head = vec![0u8; 4096];
            let n = std::fs::File::open(&path)
                .and_then(|mut f| f.read(&mut head))
                .unwrap_or(0);
            head.truncate(n);
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n > 0
                && vigil_logs::sniff::sniff(name, &head)
                    .is_ok_and(|f| f == vigil_logs::Format::Syslog)
        }
    };
    let host = host.map_or_else(this_host, str::to_string);
    syslog.then(|| CanaryTarget {
        watch: watch.to_string(),
        via: CanaryVia::File(path),
        host,
    })
}

/// How the service self-tests.
#[derive(Debug, Clone)]
pub struct SelfTestOptions {
    /// Time between scheduled self-tests (`None`: only when `vigil selftest` asks).
    pub every: Option<SignedDuration>,
    /// How long a canary may take to come back before the self-test has failed.
    pub timeout: SignedDuration,
    pub targets: Vec<CanaryTarget>,
    /// Watches whose canaries a task on the server writes (`[[watch]] canary_every`): each must
    /// bring one at least this often, or its self-test has failed.
    pub scheduled: Vec<(String, SignedDuration)>,
}

impl Default for SelfTestOptions {
    /// No schedule and no target: canaries written by `vigil selftest` are still recognised.
    fn default() -> Self {
        SelfTestOptions {
            every: None,
            timeout: SignedDuration::from_secs(60),
            targets: Vec::new(),
            scheduled: Vec::new(),
        }
    }
}

/// A canary on its way.
#[derive(Debug, Clone)]
struct Pending {
    watch: String,
    sent: Timestamp,
}

/// The self-tests of a running service.
#[derive(Debug)]
pub struct SelfTests {
    opts: SelfTestOptions,
    pending: HashMap<String, Pending>,
    /// Canaries that came back, waiting to be raised: (nonce, watch, detected at).
    returned: Vec<(String, String, Timestamp)>,
    next_run: Option<Timestamp>,
    counter: u64,
    /// Canaries nobody here sent, taken since the last step.
    unsolicited: usize,
    dropped: u64,
    /// Per scheduled watch: when its last canary came (or the service started), and whether its
    /// absence has been reported since.
    heard: HashMap<String, (Timestamp, bool)>,
    started: Timestamp,
}

/// What to do after a step of the self-tests.
#[derive(Debug, Clone, PartialEq)]
pub enum SelfTestEvent {
    /// A canary came back: raise it as a self-test alert, then close it if every channel took it.
    Returned {
        nonce: String,
        watch: String,
        /// From the canary's write to its detection (`None` when written by someone else).
        latency: Option<SignedDuration>,
    },
    /// A canary did not come back in time.
    Lost { nonce: String, watch: String },
    /// A watch whose canaries the server's own task writes brought none for longer than its
    /// interval and the timeout: since `last` (`None`: none since the service started at `since`).
    Missed {
        watch: String,
        last: Option<Timestamp>,
        since: Timestamp,
        every: SignedDuration,
    },
}

impl SelfTests {
    pub fn new(opts: SelfTestOptions, now: Timestamp) -> SelfTests {
        let next_run = opts.every.and_then(|e| now.checked_add(e).ok());
        SelfTests {
            opts,
            pending: HashMap::new(),
            returned: Vec::new(),
            next_run,
            counter: 0,
            unsolicited: 0,
            dropped: 0,
            heard: HashMap::new(),
            started: now,
        }
    }

    pub fn timeout(&self) -> SignedDuration {
        self.opts.timeout
    }

    /// Takes a canary detection. One this service sent is always taken; others (`vigil selftest`'s,
    /// or forged) at most [`MAX_UNSOLICITED`] per step, the rest dropped with a warning.
    pub fn observe(&mut self, d: &Detection, now: Timestamp) {
        let Some((nonce, watch)) = canary_of(d) else {
            return;
        };
        if !self.pending.contains_key(&nonce) {
            if self.unsolicited >= MAX_UNSOLICITED {
                self.dropped += 1;
                return;
            }
            self.unsolicited += 1;
        }
        self.returned.push((nonce, watch, now));
    }

    /// Canaries dropped since the start because too many nobody here sent came at once.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Writes a canary to every target now; failures to write are lost canaries at once.
    pub fn run_now(&mut self, now: Timestamp) -> Vec<SelfTestEvent> {
        let mut out = Vec::new();
        for t in self.opts.targets.clone() {
            self.counter += 1;
            let n = nonce(now, self.counter);
            match t.via.send(&n, &t.watch, &t.host, now) {
                Ok(()) => {
                    tracing::info!(watch = %t.watch, nonce = %n, "self-test canary written");
                    self.pending.insert(
                        n,
                        Pending {
                            watch: t.watch.clone(),
                            sent: now,
                        },
                    );
                }
                Err(e) => {
                    tracing::error!(watch = %t.watch, "cannot send the self-test canary to {}: {e}", t.via.describe());
                    out.push(SelfTestEvent::Lost {
                        nonce: n,
                        watch: t.watch.clone(),
                    });
                }
            }
        }
        out
    }

    /// Runs what is due at `now`: canaries that came back, canaries overdue, the scheduled run.
    pub fn step(&mut self, now: Timestamp) -> Vec<SelfTestEvent> {
        let mut out = Vec::new();
        if self.unsolicited >= MAX_UNSOLICITED && self.dropped > 0 {
            tracing::warn!(
                dropped = self.dropped,
                "more canaries arrived than vigil sent: the extra ones (forged?) were dropped"
            );
        }
        self.unsolicited = 0;
        for (nonce, watch, at) in std::mem::take(&mut self.returned) {
            if self.opts.scheduled.iter().any(|(w, _)| *w == watch) {
                self.heard.insert(watch.clone(), (at, false));
            }
            let latency = self
                .pending
                .remove(&nonce)
                .map(|p| p.sent.duration_until(at));
            out.push(SelfTestEvent::Returned {
                nonce,
                watch,
                latency,
            });
        }
        let timeout = self.opts.timeout;
        let lost: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| p.sent.duration_until(now) > timeout)
            .map(|(n, _)| n.clone())
            .collect();
        for n in lost {
            if let Some(p) = self.pending.remove(&n) {
                out.push(SelfTestEvent::Lost {
                    nonce: n,
                    watch: p.watch,
                });
            }
        }
        for (watch, every) in &self.opts.scheduled {
            let (last, reported) = self
                .heard
                .get(watch)
                .map_or((None, false), |&(t, r)| (Some(t), r));
            let from = last.unwrap_or(self.started);
            let limit = every.saturating_add(timeout);
            if !reported && from.duration_until(now) > limit {
                self.heard.insert(watch.clone(), (from, true));
                out.push(SelfTestEvent::Missed {
                    watch: watch.clone(),
                    last,
                    since: self.started,
                    every: *every,
                });
            }
        }
        if self.next_run.is_some_and(|t| now >= t) {
            self.next_run = self.opts.every.and_then(|e| now.checked_add(e).ok());
            out.extend(self.run_now(now));
        }
        out
    }
}

/// The dedup key of a canary's alert.
pub fn returned_key(nonce: &str) -> String {
    format!("selftest:{nonce}")
}

/// The dedup key of the alert that a watch's self-test failed: one live alert per watch.
pub fn failed_key(watch: &str) -> String {
    format!("selftest-failed:{watch}")
}

/// The alert recording a canary that came back.
pub fn returned_alert(nonce: &str, watch: &str, latency: Option<SignedDuration>) -> NewAlert {
    let mut evidence = vec![
        Evidence::new("canary", nonce),
        Evidence::new("watch", watch),
        Evidence::new("read and matched", "yes"),
    ];
    if let Some(l) = latency {
        evidence.push(Evidence::new(
            "write → detection",
            format!("{} ms", l.as_millis()),
        ));
    }
    NewAlert {
        dedup_key: returned_key(nonce),
        subject: AlertSubject::SelfTest,
        reference: watch.to_string(),
        severity: Level::Informational,
        title: format!("Self-test of {watch}: canary read, matched and alerted"),
        asset: None,
        evidence,
    }
}

/// The alert that a canary came back but a channel did not take its alert: high, so it escalates
/// (on the channels that work).
pub fn channel_failed_alert(nonce: &str, watch: &str, why: &str) -> NewAlert {
    NewAlert {
        dedup_key: crate::proof::channel_failed_key(watch),
        subject: AlertSubject::SelfTest,
        reference: watch.to_string(),
        severity: Level::High,
        title: format!("Self-test of {watch}: the canary was detected but its alert was {why}"),
        asset: None,
        evidence: vec![
            Evidence::new("canary", nonce),
            Evidence::new("watch", watch),
            Evidence::new("read and matched", "yes"),
            Evidence::new("delivery", why),
        ],
    }
}

/// A length of time for people: `2 days`, `6 h`, `30 min`, `45 s`.
fn span(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        _ if s >= 86_400 && s % 86_400 == 0 => match s / 86_400 {
            1 => "1 day".into(),
            n => format!("{n} days"),
        },
        _ if s >= 3_600 && s % 3_600 == 0 => format!("{} h", s / 3_600),
        _ if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        _ => format!("{s} s"),
    }
}

/// The alert that a watch's scheduled canaries stopped coming: high, so it escalates.
pub fn missed_alert(
    watch: &str,
    last: Option<Timestamp>,
    since: Timestamp,
    every: SignedDuration,
) -> NewAlert {
    let when = match last {
        Some(t) => format!("the last one came at {t}"),
        None => format!("none since vigil started at {since}"),
    };
    NewAlert {
        dedup_key: failed_key(watch),
        subject: AlertSubject::SelfTest,
        reference: watch.to_string(),
        severity: Level::High,
        title: format!(
            "Self-test of {watch} failed: no scheduled canary for more than {} ({when}); detection of this log may not work",
            span(every)
        ),
        asset: None,
        evidence: vec![
            Evidence::new("watch", watch),
            Evidence::new(
                "expected",
                format!("a canary at least every {} s", every.as_secs()),
            ),
            Evidence::new(
                "what to check",
                "does the scheduled task on the server still run (eventcreate or the /vigil-selftest request), is the log still written and exported where the watch points, is the service reading it (vigil status)",
            ),
        ],
    }
}

/// The alert that a watch's self-test failed: high, so it escalates.
pub fn lost_alert(nonce: &str, watch: &str, timeout: SignedDuration) -> NewAlert {
    NewAlert {
        dedup_key: failed_key(watch),
        subject: AlertSubject::SelfTest,
        reference: watch.to_string(),
        severity: Level::High,
        title: format!(
            "Self-test of {watch} failed: the canary did not come back within {} s; detection of this log may not work",
            timeout.as_secs()
        ),
        asset: None,
        evidence: vec![
            Evidence::new("canary", nonce),
            Evidence::new("watch", watch),
            Evidence::new(
                "what to check",
                "is the log still written where the watch points, is the service reading it (vigil status), do the rules load",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canary_detection(line: &str) -> Detection {
        let message = line.split_once(": ").unwrap().1.trim_end().to_string();
        Detection {
            rule_id: CANARY_RULE_ID.into(),
            rule_title: "vigil self-test canary".into(),
            level: Level::Informational,
            tags: Vec::new(),
            timestamp: None,
            first_seen: None,
            host: None,
            sources: Vec::new(),
            matched: vec![("message".into(), message)],
        }
    }

    #[test]
    fn a_canary_line_carries_its_nonce_and_watch_back() {
        let at: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let line = canary_line("n-1", "mail log", "mx1\x1b[31m", at);
        assert!(line.starts_with("2026-12-04T10:00:00.000000+00:00 mx1__31m vigil-selftest["));
        assert!(
            line.ends_with("VIGIL-SELFTEST canary=n-1 watch=mail_log\n"),
            "{line}"
        );
        let d = canary_detection(&line);
        assert_eq!(canary_of(&d), Some(("n-1".into(), "mail_log".into())));
    }

    /// A forged canary line must not become alert keys it cannot be, nor a flood of alerts.
    #[test]
    fn forged_canaries_are_refused_or_bounded() {
        let long = format!("VIGIL-SELFTEST canary={} watch=mail", "a".repeat(5000));
        let mut d = canary_detection("x: VIGIL-SELFTEST canary=n-1 watch=mail");
        d.matched = vec![("message".into(), long)];
        assert_eq!(canary_of(&d), None, "an over-long nonce is not a canary");
        d.matched = vec![(
            "message".into(),
            "VIGIL-SELFTEST canary=a\u{1b}[2J watch=m".into(),
        )];
        assert_eq!(canary_of(&d), None, "control characters are not a nonce");

        let t0: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let mut st = SelfTests::new(SelfTestOptions::default(), t0);
        for i in 0..1000 {
            st.observe(
                &canary_detection(&format!("x: VIGIL-SELFTEST canary=f-{i} watch=mail")),
                t0,
            );
        }
        assert_eq!(st.step(t0).len(), MAX_UNSOLICITED);
        assert_eq!(st.dropped(), 1000 - MAX_UNSOLICITED as u64);
        // The budget is per step.
        st.observe(
            &canary_detection("x: VIGIL-SELFTEST canary=g-1 watch=mail"),
            t0,
        );
        assert_eq!(st.step(t0).len(), 1);
    }

    #[test]
    fn a_canary_comes_back_or_is_lost_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        std::fs::write(&log, "").unwrap();
        let t0: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let mut st = SelfTests::new(
            SelfTestOptions {
                every: Some(SignedDuration::from_hours(1)),
                timeout: SignedDuration::from_secs(60),
                targets: vec![CanaryTarget {
                    watch: "mail".into(),
                    via: CanaryVia::File(log.clone()),
                    host: "mx1".into(),
                }],
                scheduled: Vec::new(),
            },
            t0,
        );
        assert!(st.step(t0).is_empty(), "nothing due yet");
        let t1 = t0 + SignedDuration::from_hours(1);
        assert!(st.step(t1).is_empty());
        let written = std::fs::read_to_string(&log).unwrap();
        assert_eq!(written.lines().count(), 1);
        let d = canary_detection(&written);
        st.observe(&d, t1 + SignedDuration::from_secs(2));
        let ev = st.step(t1 + SignedDuration::from_secs(3));
        assert!(matches!(
            &ev[..],
            [SelfTestEvent::Returned { watch, latency: Some(l), .. }]
                if watch == "mail" && l.as_secs() == 2
        ));
        // The next run's canary never comes back.
        let t2 = t1 + SignedDuration::from_hours(1);
        assert!(st.step(t2).is_empty());
        let ev = st.step(t2 + SignedDuration::from_secs(61));
        assert!(matches!(&ev[..], [SelfTestEvent::Lost { watch, .. }] if watch == "mail"));
        // A log that cannot be written to fails at once.
        std::fs::remove_file(&log).unwrap();
        let ev = st.run_now(t2);
        assert!(matches!(&ev[..], [SelfTestEvent::Lost { .. }]));
    }

    fn matched(rule: &str, fields: &[(&str, &str)]) -> Detection {
        Detection {
            rule_id: rule.into(),
            matched: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..canary_detection("x: y")
        }
    }

    #[test]
    fn windows_and_web_canaries_carry_their_nonce_and_watch() {
        let ev = matched(
            CANARY_WINDOWS_RULE_ID,
            &[
                ("Provider_Name", "vigil-selftest"),
                (
                    "Data",
                    "VIGIL-SELFTEST canary=20261204-mail01 watch=security",
                ),
            ],
        );
        assert_eq!(
            canary_of(&ev),
            Some(("20261204-mail01".into(), "security".into()))
        );
        let web = matched(
            CANARY_WEB_RULE_ID,
            &[
                ("cs-uri-stem", "/owa/vigil-selftest"),
                ("cs-uri-query", "canary=20261204T0800&watch=owa"),
            ],
        );
        assert_eq!(
            canary_of(&web),
            Some(("20261204T0800".into(), "owa".into()))
        );
        // Another rule's detection with the same words is not a canary.
        let other = matched("some-rule", &[("cs-uri-query", "canary=1&watch=owa")]);
        assert_eq!(canary_of(&other), None);
        let forged = matched(
            CANARY_WEB_RULE_ID,
            &[("cs-uri-query", "canary=<script>&watch=owa")],
        );
        assert_eq!(canary_of(&forged), None);
    }

    #[test]
    fn a_scheduled_watch_without_canaries_is_missed_once_until_one_comes() {
        let t0: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        let opts = SelfTestOptions {
            timeout: SignedDuration::from_mins(5),
            scheduled: vec![("security".into(), SignedDuration::from_hours(24))],
            ..SelfTestOptions::default()
        };
        let mut st = SelfTests::new(opts, t0);
        let at = |h: i64, m: i64| t0 + SignedDuration::from_hours(h) + SignedDuration::from_mins(m);
        assert!(
            st.step(at(24, 4)).is_empty(),
            "within the interval and the timeout"
        );
        let missed = st.step(at(24, 6));
        assert!(
            matches!(&missed[..], [SelfTestEvent::Missed { watch, last: None, .. }] if watch == "security"),
            "{missed:?}"
        );
        assert!(
            st.step(at(30, 0)).is_empty(),
            "reported once, not every step"
        );
        let ev = matched(
            CANARY_WINDOWS_RULE_ID,
            &[("Data", "VIGIL-SELFTEST canary=n1 watch=security")],
        );
        st.observe(&ev, at(31, 0));
        let back = st.step(at(31, 0));
        assert!(
            matches!(&back[..], [SelfTestEvent::Returned { .. }]),
            "{back:?}"
        );
        assert!(st.step(at(55, 0)).is_empty());
        let again = st.step(at(55, 6));
        assert!(
            matches!(&again[..], [SelfTestEvent::Missed { last: Some(t), .. }] if *t == at(31, 0)),
            "{again:?}"
        );
    }
}
