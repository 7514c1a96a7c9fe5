//! Postfix logs one message over several lines tied by its queue id: smtpd accepts it
//! (`QID: client=host[ip]`, with `sasl_method=`/`sasl_username=` after SMTP AUTH), or pickup for
//! local submissions (`QID: uid=… from=<…>`); cleanup may log its subject (`header Subject:` when a
//! `header_checks` action matched); qmgr queues it (`QID: from=<…>, size=…, nrcpt=N`); each
//! recipient gets a delivery line (smtp, lmtp, local, virtual, pipe, error: `QID: to=<…>,
//! relay=…, status=sent|deferred|bounced`); qmgr finally logs `QID: removed`.
//!
//! "Who sent mail to whom" needs the sender on the delivery line, so this joins them: delivery
//! lines get `sender` (qmgr's `from`), `sender_domain`, and, when the message was submitted with
//! SMTP AUTH, `sender_user` (the authenticated account) and `sender_client_ip`/`sender_client_net`
//! (where it was submitted from); qmgr lines get `sender_user` and `sender_client_ip` too, and
//! delivery lines the `subject`/`subject_norm` cleanup logged. Only lines of one file are joined
//! (a message whose lines straddle a log rotation loses the join) and the table is bounded: at
//! most [`MAX_QUEUED`] messages are remembered, the oldest forgotten first, so a log of a million
//! messages that never logged `removed` costs bounded memory.
//!
//! A message's details outlive its `removed` line for a while (the last [`MAX_RECENT`] removed
//! messages): lines of different Postfix processes reach syslog in the order they are written,
//! and a delivery line written in the same second as qmgr's `removed` may follow it in the file.

use std::collections::{BTreeMap, HashMap, VecDeque};
use vigil_model::FieldValue;

type Fields = BTreeMap<String, FieldValue>;

/// Most messages whose submission details are remembered at once.
pub const MAX_QUEUED: usize = 50_000;

/// Most removed messages whose details are kept for delivery lines that follow `removed`.
pub const MAX_RECENT: usize = 4_096;

/// Delivery agents: their lines carry one recipient's outcome.
const DELIVERY_AGENTS: &[&str] = &[
    "smtp", "lmtp", "local", "virtual", "pipe", "error", "discard", "retry",
];

#[derive(Debug, Default, Clone)]
struct Queued {
    from: Option<String>,
    sasl_username: Option<String>,
    client_ip: Option<String>,
    subject: Option<String>,
}

/// The join state of one Postfix log.
#[derive(Debug, Default)]
pub(crate) struct MailFlow {
    queued: HashMap<String, Queued>,
    /// Queue ids in the order they were first seen, for forgetting the oldest.
    order: VecDeque<String>,
    /// Messages forgotten because the table was full.
    forgotten: u64,
    /// Removed messages, newest last, for delivery lines logged after `removed`.
    recent: HashMap<String, Queued>,
    recent_order: VecDeque<String>,
}

fn text<'a>(f: &'a Fields, k: &str) -> Option<&'a str> {
    match f.get(k) {
        Some(FieldValue::Str(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    }
}

fn put(f: &mut Fields, k: &str, v: &str) {
    f.entry(k.to_string())
        .or_insert_with(|| FieldValue::Str(v.to_string()));
}

impl MailFlow {
    /// Messages forgotten before their delivery lines because more than [`MAX_QUEUED`] were open.
    #[cfg(test)]
    pub(crate) fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// Records what a parsed Postfix line says about its message, and adds what earlier lines
    /// said to it. Lines of other programs are left alone.
    pub(crate) fn track(&mut self, f: &mut Fields) {
        let (Some(daemon), Some(qid)) = (text(f, "postfix_daemon"), text(f, "queue_id")) else {
            return;
        };
        let (daemon, qid) = (daemon.to_string(), qid.to_string());
        let message = text(f, "message").unwrap_or("");
        let after_id = message.split_once(": ").map_or("", |(_, r)| r).to_string();
        match daemon.as_str() {
            // A new message: a queue id may be reused after `removed`, so start afresh.
            "smtpd" if after_id.starts_with("client=") => {
                let q = Queued {
                    client_ip: text(f, "client_ip").map(str::to_string),
                    sasl_username: text(f, "sasl_username").map(str::to_string),
                    ..Queued::default()
                };
                self.insert(qid, q);
            }
            "pickup" => {
                let from = text(f, "from").map(str::to_string);
                self.insert(
                    qid,
                    Queued {
                        from,
                        ..Queued::default()
                    },
                );
            }
            "cleanup" => {
                if let Some(subject) = text(f, "subject").map(str::to_string) {
                    self.entry(qid).subject = Some(subject);
                }
            }
            "qmgr" if after_id == "removed" => {
                if let Some(q) = self.queued.remove(&qid) {
                    self.remember_removed(qid, q);
                }
            }
            "qmgr" => {
                if let Some(from) = text(f, "from").map(str::to_string) {
                    let q = self.entry(qid);
                    q.from = Some(from);
                    let q = q.clone();
                    add_submission(f, &q);
                }
            }
            d if DELIVERY_AGENTS.contains(&d) && f.contains_key("to") => {
                let known = self.queued.get(&qid).or_else(|| self.recent.get(&qid));
                if let Some(q) = known.cloned() {
                    if let Some(from) = &q.from {
                        put(f, "sender", &from.to_ascii_lowercase());
                        if let Some(d) = crate::mail::domain_of(from) {
                            put(f, "sender_domain", &d);
                        }
                    }
                    if let Some(s) = &q.subject {
                        put(f, "subject", s);
                        put(f, "subject_norm", &crate::mail::normalize_subject(s));
                    }
                    add_submission(f, &q);
                }
            }
            _ => {}
        }
    }

    fn remember_removed(&mut self, qid: String, q: Queued) {
        if self.recent.insert(qid.clone(), q).is_none() {
            self.recent_order.push_back(qid);
        }
        while self.recent.len() > MAX_RECENT {
            let Some(old) = self.recent_order.pop_front() else {
                break;
            };
            self.recent.remove(&old);
        }
    }

    fn insert(&mut self, qid: String, q: Queued) {
        // A queue id reused by a new message: the removed one's details no longer apply.
        if self.recent.remove(&qid).is_some() {
            self.recent_order.retain(|id| id != &qid);
        }
        if self.queued.insert(qid.clone(), q).is_none() {
            self.order.push_back(qid);
            self.bound();
        }
    }

    fn entry(&mut self, qid: String) -> &mut Queued {
        if !self.queued.contains_key(&qid) {
            self.order.push_back(qid.clone());
            self.bound();
        }
        self.queued.entry(qid).or_default()
    }

    /// Forgets the oldest messages beyond [`MAX_QUEUED`]; ids already removed are skipped.
    fn bound(&mut self) {
        while self.queued.len() > MAX_QUEUED {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if self.queued.remove(&old).is_some() {
                self.forgotten += 1;
            }
        }
        // `order` also holds ids already removed; keep it from growing past twice the table.
        if self.order.len() > 2 * MAX_QUEUED.max(1) {
            let live = &self.queued;
            self.order.retain(|id| live.contains_key(id));
        }
    }
}

/// Who submitted the message (SMTP AUTH account and client address), when known.
fn add_submission(f: &mut Fields, q: &Queued) {
    if let Some(u) = &q.sasl_username {
        put(f, "sender_user", u);
    }
    if let Some(ip) = &q.client_ip {
        put(f, "sender_client_ip", ip);
        if let Some(net) = crate::net::network_of(ip) {
            put(f, "sender_client_net", &net);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syslog::programs;

    fn line(flow: &mut MailFlow, program: &str, message: &str) -> Fields {
        let mut f = Fields::new();
        f.insert("message".into(), FieldValue::Str(message.into()));
        programs::parse(program, message, &mut f);
        flow.track(&mut f);
        f
    }

    fn s<'a>(f: &'a Fields, k: &str) -> Option<&'a str> {
        text(f, k)
    }

    #[test]
    fn delivery_lines_learn_sender_and_submitter() {
        let mut flow = MailFlow::default();
        line(
            &mut flow,
            "postfix/submission/smtpd",
            "4Gq7Rk2ZxTz1Q: client=unknown[198.51.100.23], sasl_method=LOGIN, sasl_username=reception@clinic.example",
        );
        line(
            &mut flow,
            "postfix/cleanup",
            "4Gq7Rk2ZxTz1Q: info: header Subject: Invoice 4411 from unknown[198.51.100.23]; from=<reception@clinic.example> to=<a@example.net> proto=ESMTP helo=<pc>",
        );
        let q = line(
            &mut flow,
            "postfix/qmgr",
            "4Gq7Rk2ZxTz1Q: from=<reception@clinic.example>, size=18312, nrcpt=2 (queue active)",
        );
        assert_eq!(s(&q, "sender_user"), Some("reception@clinic.example"));
        let d = line(
            &mut flow,
            "postfix/smtp",
            "4Gq7Rk2ZxTz1Q: to=<patient.a@example.net>, relay=mx.example.net[192.0.2.40]:25, delay=1.4, delays=0.1/0/0.7/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
        );
        assert_eq!(s(&d, "sender"), Some("reception@clinic.example"));
        assert_eq!(s(&d, "sender_domain"), Some("clinic.example"));
        assert_eq!(s(&d, "sender_user"), Some("reception@clinic.example"));
        assert_eq!(s(&d, "sender_client_ip"), Some("198.51.100.23"));
        assert_eq!(s(&d, "sender_client_net"), Some("198.51.100.0/24"));
        assert_eq!(s(&d, "to_domain"), Some("example.net"));
        assert_eq!(s(&d, "subject"), Some("Invoice 4411"));
        assert_eq!(s(&d, "subject_norm"), Some("invoice #"));
        line(&mut flow, "postfix/qmgr", "4Gq7Rk2ZxTz1Q: removed");
        let late = line(
            &mut flow,
            "postfix/smtp",
            "4Gq7Rk2ZxTz1Q: to=<patient.b@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect refused)",
        );
        // Written in the same second as `removed`, a delivery line may follow it in the file.
        assert_eq!(s(&late, "sender"), Some("reception@clinic.example"));
        assert_eq!(s(&late, "sender_client_net"), Some("198.51.100.0/24"));
        // A queue id reused by a new message starts afresh.
        line(
            &mut flow,
            "postfix/pickup",
            "4Gq7Rk2ZxTz1Q: uid=33 from=<www-data>",
        );
        let reused = line(
            &mut flow,
            "postfix/local",
            "4Gq7Rk2ZxTz1Q: to=<root@clinic.example>, relay=local, delay=0.1, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
        );
        assert_eq!(s(&reused, "sender_user"), None);
    }

    #[test]
    fn removed_messages_are_kept_for_a_bounded_while() {
        let mut flow = MailFlow::default();
        for i in 0..(MAX_RECENT + 10) {
            line(
                &mut flow,
                "postfix/submission/smtpd",
                &format!(
                    "{:010X}: client=unknown[198.51.100.23], sasl_method=LOGIN, sasl_username=u@clinic.example",
                    i + 0xA000
                ),
            );
            line(
                &mut flow,
                "postfix/qmgr",
                &format!("{:010X}: removed", i + 0xA000),
            );
        }
        assert_eq!(flow.recent.len(), MAX_RECENT);
        assert!(flow.queued.is_empty());
        let late = line(
            &mut flow,
            "postfix/smtp",
            "000000A000: to=<a@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect refused)",
        );
        assert_eq!(s(&late, "sender_user"), None, "the oldest are forgotten");
    }

    #[test]
    fn unauthenticated_and_local_submissions_have_no_sender_user() {
        let mut flow = MailFlow::default();
        line(
            &mut flow,
            "postfix/pickup",
            "5A1B2C3D4E: uid=33 from=<www-data>",
        );
        line(
            &mut flow,
            "postfix/qmgr",
            "5A1B2C3D4E: from=<www-data@web.clinic.example>, size=900, nrcpt=1 (queue active)",
        );
        let d = line(
            &mut flow,
            "postfix/smtp",
            "5A1B2C3D4E: to=<x@example.org>, relay=mx.example.org[192.0.2.9]:25, delay=1, dsn=2.0.0, status=sent (250 ok)",
        );
        assert_eq!(s(&d, "sender"), Some("www-data@web.clinic.example"));
        assert_eq!(s(&d, "sender_user"), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut flow = MailFlow::default();
        for i in 0..(MAX_QUEUED + 10) {
            line(
                &mut flow,
                "postfix/smtpd",
                &format!("{i:010X}: client=unknown[192.0.2.1]"),
            );
        }
        assert_eq!(flow.queued.len(), MAX_QUEUED);
        assert_eq!(flow.forgotten(), 10);
        assert!(flow.order.len() <= 2 * MAX_QUEUED);
    }

    #[test]
    fn a_subject_cannot_forge_fields() {
        let mut flow = MailFlow::default();
        let f = line(
            &mut flow,
            "postfix/cleanup",
            "4Gq7Rk2ZxTz1Q: info: header Subject: hi sasl_username=admin from 1.2.3.4 from unknown[198.51.100.23]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<pc>",
        );
        assert_eq!(s(&f, "sasl_username"), None);
        assert_eq!(s(&f, "user"), None);
        assert_eq!(s(&f, "client_ip"), Some("198.51.100.23"));
        assert_eq!(
            s(&f, "subject"),
            Some("hi sasl_username=admin from 1.2.3.4")
        );
        assert_eq!(s(&f, "from"), Some("a@b.example"));
    }
}
