//! A Debian Postfix/Dovecot server's `mail.log`: what Dovecot (login processes, IMAP sessions, LMTP
//! delivery, and with `auth_verbose` the passdb's reasons) and Postfix (smtpd, submission, cleanup,
//! qmgr, smtp, lmtp) write through rsyslog, in the formats of Dovecot 2.3 and Postfix 3.5/3.7.

use crate::names::Org;
use crate::out::{Folder, Mark};
use crate::rng::Rng;
use crate::syslog::SyslogFile;
use jiff::{SignedDuration, Timestamp};

/// How the Dovecot login process words a failed authentication when the client goes away (the wording
/// differs between versions and with the reason the connection ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DovecotPhrasing {
    /// Dovecot 2.3 up to 2.3.20: `Disconnected (auth failed, 1 attempts in 2 secs)`, sometimes
    /// `Aborted login (…)` or `Disconnected: Inactivity (…)`.
    Classic,
    /// Dovecot 2.3.21 and later: `Login aborted: Connection closed (auth failed, 1 attempts in 2 secs)
    /// (auth_failed)`.
    LoginAborted,
    /// Both, as on a server upgraded during the logs' span.
    Mixed,
}

/// The mail server and its log.
pub struct MailHost {
    pub folder: Folder,
    pub rng: Rng,
    pub org: Org,
    /// `mx1`.
    pub host: String,
    /// The server's public address (Dovecot's `lip`).
    pub lip: String,
    pub log: SyslogFile,
    pub auth_verbose: bool,
    pub phrasing: DovecotPhrasing,
    /// Process ids grow with time (a new process every few seconds on a busy server), whatever order
    /// the generator writes records in.
    pid_epoch: Timestamp,
}

impl MailHost {
    pub fn new(
        rng: Rng,
        org: Org,
        host: &str,
        log: SyslogFile,
        auth_verbose: bool,
        phrasing: DovecotPhrasing,
        start: Timestamp,
    ) -> MailHost {
        MailHost {
            folder: Folder::new(),
            rng,
            org,
            host: host.to_string(),
            lip: "192.0.2.25".to_string(),
            log,
            auth_verbose,
            phrasing,
            pid_epoch: start,
        }
    }

    /// The process id of a process started at `at` (ids grow with time, wrapping at Linux's default
    /// `pid_max`).
    pub fn pid(&mut self, at: Timestamp) -> u32 {
        let secs = at
            .as_second()
            .saturating_sub(self.pid_epoch.as_second())
            .max(0);
        let n = 2_000 + secs / 3 + self.rng.range_i64(0, 2);
        u32::try_from(n % 4_194_000 + 300).unwrap_or(300)
    }

    pub fn line(&mut self, at: Timestamp, tag: &str, msg: &str) {
        self.log.push(&mut self.folder, at, tag, msg);
    }

    pub fn line_marked(&mut self, at: Timestamp, tag: &str, msg: &str, what: &str) -> Mark {
        self.log.push_marked(&mut self.folder, at, tag, msg, what)
    }

    fn session(&mut self) -> String {
        self.rng.base64ish(16)
    }

    /// A Postfix queue id (short form: hex, upper case).
    pub fn queue_id(&mut self) -> String {
        let n = self.rng.range(10, 11);
        self.rng
            .hex(usize::try_from(n).unwrap_or(10))
            .to_uppercase()
    }

    /// A failed IMAP/POP3 login (one attempt, then the client leaves); with `auth_verbose` the passdb's
    /// reason first. `known`: the user exists (the reason is a wrong password).
    pub fn login_failed(
        &mut self,
        at: Timestamp,
        service: &str,
        user: &str,
        rip: &str,
        known: bool,
        cite: Option<&str>,
    ) -> Option<Mark> {
        let session = self.session();
        if self.auth_verbose {
            let reason = if known {
                "Password mismatch"
            } else {
                "unknown user"
            };
            let msg = format!("auth: passwd-file({user},{rip},<{session}>): {reason}");
            self.line(at, "dovecot", &msg);
        }
        let secs = self.rng.range(1, 6);
        let t = at + SignedDuration::from_secs(i64::try_from(secs).unwrap_or(2));
        let style = match self.phrasing {
            DovecotPhrasing::Classic => 0,
            DovecotPhrasing::LoginAborted => 1,
            DovecotPhrasing::Mixed => self.rng.below(2),
        };
        let head = if style == 1 {
            format!(
                "Login aborted: Connection closed (auth failed, 1 attempts in {secs} secs) (auth_failed)"
            )
        } else {
            match self.rng.below(10) {
                0 | 1 => format!("Aborted login (auth failed, 1 attempts in {secs} secs)"),
                2 => format!(
                    "Disconnected: Inactivity (auth failed, 1 attempts in {} secs)",
                    secs + 178
                ),
                _ => format!("Disconnected (auth failed, 1 attempts in {secs} secs)"),
            }
        };
        let msg = format!(
            "{service}-login: {head}: user=<{user}>, method=PLAIN, rip={rip}, lip={}, TLS, session=<{session}>",
            self.lip
        );
        match cite {
            Some(what) => Some(self.line_marked(t, "dovecot", &msg, what)),
            None => {
                self.line(t, "dovecot", &msg);
                None
            }
        }
    }

    /// A successful IMAP login; returns (mark if cited, mpid, session id).
    pub fn login(
        &mut self,
        at: Timestamp,
        user: &str,
        rip: &str,
        cite: Option<&str>,
    ) -> (Option<Mark>, u32, String) {
        let session = self.session();
        let mpid = self.pid(at);
        let msg = format!(
            "imap-login: Login: user=<{user}>, method=PLAIN, rip={rip}, lip={}, mpid={mpid}, TLS, session=<{session}>",
            self.lip
        );
        let mark = match cite {
            Some(what) => Some(self.line_marked(at, "dovecot", &msg, what)),
            None => {
                self.line(at, "dovecot", &msg);
                None
            }
        };
        (mark, mpid, session)
    }

    /// A successful IMAP login the ground truth cites; returns (mark, mpid, session id).
    pub fn login_marked(
        &mut self,
        at: Timestamp,
        user: &str,
        rip: &str,
        what: &str,
    ) -> (Mark, u32, String) {
        let session = self.session();
        let mpid = self.pid(at);
        let msg = format!(
            "imap-login: Login: user=<{user}>, method=PLAIN, rip={rip}, lip={}, mpid={mpid}, TLS, session=<{session}>",
            self.lip
        );
        (self.line_marked(at, "dovecot", &msg, what), mpid, session)
    }

    /// The end of an IMAP session with its traffic counters (default `imap_logout_format`).
    #[allow(clippy::too_many_arguments)]
    pub fn logout(
        &mut self,
        at: Timestamp,
        user: &str,
        mpid: u32,
        session: &str,
        bytes_in: u64,
        bytes_out: u64,
        bodies: u64,
        cite: Option<&str>,
    ) -> Option<Mark> {
        let hdr_bytes = bodies * self.rng.range(900, 1600);
        let body_bytes = bytes_out.saturating_sub(hdr_bytes);
        let msg = format!(
            "Logged out in={bytes_in} out={bytes_out} deleted=0 expunged=0 trashed=0 hdr_count={bodies} hdr_bytes={hdr_bytes} body_count={bodies} body_bytes={body_bytes}"
        );
        let tag = format!("imap({user})<{mpid}><{session}>");
        let line = format!("{tag}: {msg}");
        // Dovecot's mail process logs with the `dovecot` syslog ident and the user in the message prefix.
        match cite {
            Some(what) => Some(self.line_marked(at, "dovecot", &line, what)),
            None => {
                self.line(at, "dovecot", &line);
                None
            }
        }
    }

    /// A client that connects to submission (587), fails SMTP AUTH once and leaves.
    pub fn smtp_auth_failed(&mut self, at: Timestamp, rip: &str, user: &str, known: bool) {
        let pid = self.pid(at);
        let tag = format!("postfix/submission/smtpd[{pid}]");
        self.line(at, &tag, &format!("connect from unknown[{rip}]"));
        let t = at + SignedDuration::from_secs(1);
        if self.auth_verbose {
            let reason = if known {
                "Password mismatch"
            } else {
                "unknown user"
            };
            self.line(
                t,
                "dovecot",
                &format!("auth: passwd-file({user},{rip}): {reason}"),
            );
        }
        let mech = if self.rng.chance(0.7) {
            "LOGIN"
        } else {
            "PLAIN"
        };
        let reason = if mech == "LOGIN" { " UGFzc3dvcmQ6" } else { "" };
        let t2 = t + SignedDuration::from_secs(2);
        self.line(
            t2,
            &tag,
            &format!("warning: unknown[{rip}]: SASL {mech} authentication failed:{reason}"),
        );
        self.line(
            t2,
            &tag,
            &format!("lost connection after AUTH from unknown[{rip}]"),
        );
        self.line(
            t2,
            &tag,
            &format!("disconnect from unknown[{rip}] ehlo=2 starttls=1 auth=0/1 commands=3/4"),
        );
    }

    /// A message submitted with SMTP AUTH by `user` from `rip` and relayed to the internet; returns the
    /// mark of the line naming the authenticated sender when `cite` is given.
    pub fn submit(
        &mut self,
        at: Timestamp,
        user: &str,
        rip: &str,
        recipients: &[String],
        size: u64,
        cite: Option<&str>,
    ) -> Option<Mark> {
        let pid = self.pid(at);
        let tag = format!("postfix/submission/smtpd[{pid}]");
        let qid = self.queue_id();
        self.line(at, &tag, &format!("connect from unknown[{rip}]"));
        let t = at + SignedDuration::from_secs(1);
        let client =
            format!("{qid}: client=unknown[{rip}], sasl_method=PLAIN, sasl_username={user}");
        let mark = match cite {
            Some(what) => Some(self.line_marked(t, &tag, &client, what)),
            None => {
                self.line(t, &tag, &client);
                None
            }
        };
        let cpid = self.pid(at) + 1;
        let domain = self.org.domain.clone();
        let msgid = format!("{}@{}", self.rng.hex(20), domain);
        self.line(
            t,
            &format!("postfix/cleanup[{cpid}]"),
            &format!("{qid}: message-id=<{msgid}>"),
        );
        let qpid = 812;
        self.line(
            t,
            &format!("postfix/qmgr[{qpid}]"),
            &format!(
                "{qid}: from=<{user}>, size={size}, nrcpt={} (queue active)",
                recipients.len()
            ),
        );
        let n = recipients.len().max(1) as u64;
        self.line(
            t + SignedDuration::from_secs(1),
            &tag,
            &format!(
                "disconnect from unknown[{rip}] ehlo=2 starttls=1 auth=1 mail=1 rcpt={n} data=1 quit=1 commands={}",
                n + 6
            ),
        );
        let spid = self.pid(at) + 2;
        let mut last = t;
        for r in recipients {
            let d = self.rng.range(4, 30) as f64 / 10.0;
            last = t + SignedDuration::from_millis((d * 1000.0) as i64);
            let rdomain = r
                .rsplit_once('@')
                .map(|(_, d)| d.to_string())
                .unwrap_or_default();
            let ip = format!(
                "198.18.{}.{}",
                self.rng.range(0, 255),
                self.rng.range(1, 254)
            );
            let remote_q = self.rng.hex(12).to_uppercase();
            self.line(
                last,
                &format!("postfix/smtp[{spid}]"),
                &format!(
                    "{qid}: to=<{r}>, relay=mx1.{rdomain}[{ip}]:25, delay={d:.1}, delays=0.1/0/{:.1}/{:.1}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {remote_q})",
                    d / 2.0,
                    d / 2.0 - 0.1
                ),
            );
        }
        self.line(
            last,
            &format!("postfix/qmgr[{qpid}]"),
            &format!("{qid}: removed"),
        );
        mark
    }

    /// A message from the internet delivered to a local mailbox over LMTP.
    pub fn receive(
        &mut self,
        at: Timestamp,
        sender: &str,
        rcpt: &str,
        mta_ip: &str,
        mta_host: &str,
    ) {
        let pid = self.pid(at);
        let tag = format!("postfix/smtpd[{pid}]");
        let qid = self.queue_id();
        self.line(at, &tag, &format!("connect from {mta_host}[{mta_ip}]"));
        let t = at + SignedDuration::from_secs(1);
        self.line(t, &tag, &format!("{qid}: client={mta_host}[{mta_ip}]"));
        let cpid = self.pid(at) + 1;
        let sdomain = sender
            .rsplit_once('@')
            .map(|(_, d)| d.to_string())
            .unwrap_or_default();
        let msgid = format!("{}@{sdomain}", self.rng.hex(16));
        self.line(
            t,
            &format!("postfix/cleanup[{cpid}]"),
            &format!("{qid}: message-id=<{msgid}>"),
        );
        let size = self.rng.range(3_000, 200_000);
        self.line(
            t,
            "postfix/qmgr[812]",
            &format!("{qid}: from=<{sender}>, size={size}, nrcpt=1 (queue active)"),
        );
        self.line(
            t,
            &tag,
            &format!(
                "disconnect from {mta_host}[{mta_ip}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"
            ),
        );
        let lpid = self.pid(at) + 3;
        let session = self.session();
        let t2 = t + SignedDuration::from_millis(self.rng.range_i64(100, 900));
        self.line(
            t2,
            "dovecot",
            &format!("lmtp({rcpt})<{lpid}><{session}>: msgid=<{msgid}>: saved mail to INBOX"),
        );
        let host = self.host.clone();
        let domain = self.org.domain.clone();
        self.line(
            t2,
            &format!("postfix/lmtp[{}]", lpid + 1),
            &format!(
                "{qid}: to=<{rcpt}>, relay={host}.{domain}[private/dovecot-lmtp], delay=0.3, delays=0.1/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 <{rcpt}> {session} Saved)"
            ),
        );
        self.line(t2, "postfix/qmgr[812]", &format!("{qid}: removed"));
    }
}
