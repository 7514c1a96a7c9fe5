//! Exchange message tracking logs (`TransportRoles/Logs/MessageTracking/`): hourly files per component
//! (`MSGTRK` transport, `MSGTRKMS` mailbox submission, `MSGTRKMD` mailbox delivery), one record per
//! event of a message's path: SUBMIT from a mailbox, RECEIVE by transport (with the client address that
//! submitted it), SEND to the internet, DELIVER to a mailbox.

use crate::exchange_csv::{CsvLog, hour_stamp, iso_ms};
use crate::out::{Folder, Mark};
use crate::rng::Rng;
use jiff::{SignedDuration, Timestamp};

/// The `#Fields` of Exchange 2013–2019 message tracking logs.
pub const FIELDS: &[&str] = &[
    "date-time",
    "client-ip",
    "client-hostname",
    "server-ip",
    "server-hostname",
    "source-context",
    "connector-id",
    "source",
    "event-id",
    "internal-message-id",
    "message-id",
    "network-message-id",
    "recipient-address",
    "recipient-status",
    "total-bytes",
    "recipient-count",
    "related-recipient-address",
    "reference",
    "message-subject",
    "sender-address",
    "return-path",
    "message-info",
    "directionality",
    "tenant-id",
    "original-client-ip",
    "original-server-ip",
    "custom-data",
    "transport-traffic-type",
    "log-id",
    "schema-version",
];

/// How a mailbox user submitted a message (the `ClientType` Exchange records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// Outlook (MAPI).
    Outlook,
    /// Outlook on the web.
    Owa,
    /// Exchange Web Services (mail apps, scripts).
    WebServices,
}

impl ClientType {
    fn name(self) -> &'static str {
        match self {
            ClientType::Outlook => "MOMT",
            ClientType::Owa => "OWA",
            ClientType::WebServices => "WebServices",
        }
    }
}

/// A message leaving a mailbox for the internet.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub client: ClientType,
    /// The address of the client that submitted it.
    pub client_ip: String,
    pub bytes: u64,
}

/// A message arriving from the internet for local mailboxes.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub remote_ip: String,
    pub remote_host: String,
    pub bytes: u64,
}

/// The message tracking logs of one server.
pub struct TrackingLog {
    root: String,
    server: String,
    fqdn: String,
    server_ip: String,
    /// Whether subjects are logged (`MessageTrackingLogSubjectLoggingEnabled`).
    subjects: bool,
    log: CsvLog,
    internal_id: u64,
}

impl TrackingLog {
    /// `root` is the Exchange install folder relative to the scenario folder, ending with `/`.
    pub fn new(
        root: &str,
        server: &str,
        fqdn: &str,
        server_ip: &str,
        version: &str,
        subjects: bool,
    ) -> TrackingLog {
        TrackingLog {
            root: root.to_string(),
            server: server.to_string(),
            fqdn: fqdn.to_string(),
            server_ip: server_ip.to_string(),
            subjects,
            log: CsvLog {
                fields: FIELDS,
                software: "Microsoft Exchange Server",
                log_type: "Message Tracking Log",
                version: version.to_string(),
            },
            internal_id: 1000,
        }
    }

    fn path(&self, component: &str, at: Timestamp) -> String {
        format!(
            "{}TransportRoles/Logs/MessageTracking/MSGTRK{component}{}-1.LOG",
            self.root,
            hour_stamp(at)
        )
    }

    fn subject(&self, s: &str) -> String {
        if self.subjects {
            s.to_string()
        } else {
            String::new()
        }
    }

    /// Records SUBMIT, RECEIVE and SEND for a message a mailbox sends to the internet; returns the mark
    /// of the RECEIVE record (the one naming sender, recipients and submitting client) and the message id.
    pub fn outbound(
        &mut self,
        folder: &mut Folder,
        rng: &mut Rng,
        at: Timestamp,
        m: &Outbound,
        what: Option<&str>,
    ) -> (Option<Mark>, String) {
        self.internal_id += 1;
        let iid = self.internal_id.to_string();
        let msgid = format!("<{}@{}>", rng.hex(32), self.fqdn);
        let netid = rng.guid();
        let mdb = rng.guid();
        let mailbox = rng.guid();
        let context = format!(
            "MDB:{mdb}, Mailbox:{mailbox}, Event:{}, MessageClass:IPM.Note, CreationTime:{}, ClientType:{}, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant",
            rng.range(10_000_000, 99_999_999),
            iso_ms(at),
            m.client.name()
        );
        let rcpts = m.recipients.join(";");
        let count = m.recipients.len().to_string();
        let submit = [
            ("date-time", iso_ms(at)),
            ("client-ip", self.server_ip.clone()),
            ("client-hostname", self.server.clone()),
            ("source-context", context.clone()),
            ("source", "STOREDRIVER".to_string()),
            ("event-id", "SUBMIT".to_string()),
            ("message-id", msgid.clone()),
            ("network-message-id", netid.clone()),
            ("message-subject", self.subject(&m.subject)),
            ("sender-address", m.sender.clone()),
            ("return-path", m.sender.clone()),
            ("directionality", "Originating".to_string()),
            ("original-client-ip", m.client_ip.clone()),
            ("transport-traffic-type", "Email".to_string()),
            ("schema-version", self.log.version.clone()),
        ];
        let t1 = at + SignedDuration::from_millis(rng.range_i64(80, 400));
        self.log.push(folder, &self.path("MS", at), at, &submit);
        let receive = [
            ("date-time", iso_ms(t1)),
            ("client-ip", self.server_ip.clone()),
            ("client-hostname", self.fqdn.clone()),
            ("server-ip", self.server_ip.clone()),
            ("server-hostname", self.server.clone()),
            ("source-context", context),
            ("source", "STOREDRIVER".to_string()),
            ("event-id", "RECEIVE".to_string()),
            ("internal-message-id", iid.clone()),
            ("message-id", msgid.clone()),
            ("network-message-id", netid.clone()),
            ("recipient-address", rcpts.clone()),
            (
                "recipient-status",
                std::iter::repeat_n("To", m.recipients.len())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ("total-bytes", m.bytes.to_string()),
            ("recipient-count", count.clone()),
            ("message-subject", self.subject(&m.subject)),
            ("sender-address", m.sender.clone()),
            ("return-path", m.sender.clone()),
            ("message-info", "04I:".to_string()),
            ("directionality", "Originating".to_string()),
            ("original-client-ip", m.client_ip.clone()),
            ("original-server-ip", self.server_ip.clone()),
            (
                "custom-data",
                format!(
                    "S:MailboxDatabaseGuid={mdb};S:DeliveryPriority=Normal;S:AccountForest={}",
                    domain_of(&self.fqdn)
                ),
            ),
            ("transport-traffic-type", "Email".to_string()),
            ("log-id", rng.guid()),
            ("schema-version", self.log.version.clone()),
        ];
        let path = self.path("", t1);
        let mark = match what {
            Some(w) => Some(self.log.push_marked(folder, &path, t1, &receive, w)),
            None => {
                self.log.push(folder, &path, t1, &receive);
                None
            }
        };
        let t2 = t1 + SignedDuration::from_millis(rng.range_i64(600, 4000));
        let mx = format!("198.18.{}.{}", rng.range(0, 255), rng.range(1, 254));
        let send = [
            ("date-time", iso_ms(t2)),
            ("client-ip", self.server_ip.clone()),
            ("client-hostname", self.server.clone()),
            ("server-ip", mx),
            (
                "server-hostname",
                format!(
                    "mx{}.{}",
                    rng.range(1, 3),
                    domain_of(&m.recipients.first().cloned().unwrap_or_default())
                ),
            ),
            (
                "source-context",
                format!(
                    "{};{};ClientSubmitTime:{}",
                    rng.hex(16).to_uppercase(),
                    iso_ms(t2),
                    iso_ms(at)
                ),
            ),
            ("connector-id", "Internet Send".to_string()),
            ("source", "SMTP".to_string()),
            ("event-id", "SEND".to_string()),
            ("internal-message-id", iid),
            ("message-id", msgid.clone()),
            ("network-message-id", netid),
            ("recipient-address", rcpts),
            (
                "recipient-status",
                std::iter::repeat_n("250 2.0.0 OK", m.recipients.len())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ("total-bytes", (m.bytes + 1200).to_string()),
            ("recipient-count", count),
            ("message-subject", self.subject(&m.subject)),
            ("sender-address", m.sender.clone()),
            ("return-path", m.sender.clone()),
            ("message-info", iso_ms(at)),
            ("directionality", "Originating".to_string()),
            ("original-client-ip", m.client_ip.clone()),
            ("original-server-ip", self.server_ip.clone()),
            ("transport-traffic-type", "Email".to_string()),
            ("schema-version", self.log.version.clone()),
        ];
        self.log.push(folder, &self.path("", t2), t2, &send);
        (mark, msgid)
    }

    /// Records RECEIVE (from the internet) and DELIVER (to each local mailbox) for an incoming message.
    pub fn inbound(&mut self, folder: &mut Folder, rng: &mut Rng, at: Timestamp, m: &Inbound) {
        self.internal_id += 1;
        let iid = self.internal_id.to_string();
        let msgid = format!("<{}@{}>", rng.hex(24), domain_of(&m.sender));
        let netid = rng.guid();
        let rcpts = m.recipients.join(";");
        let count = m.recipients.len().to_string();
        let receive = [
            ("date-time", iso_ms(at)),
            ("client-ip", m.remote_ip.clone()),
            ("client-hostname", m.remote_host.clone()),
            ("server-ip", self.server_ip.clone()),
            ("server-hostname", self.server.clone()),
            (
                "source-context",
                format!(
                    "{};250 2.6.0 {msgid} [InternalId={iid}] Queued mail for delivery",
                    rng.hex(16).to_uppercase()
                ),
            ),
            (
                "connector-id",
                format!("{}\\Default {}", self.server, self.server),
            ),
            ("source", "SMTP".to_string()),
            ("event-id", "RECEIVE".to_string()),
            ("internal-message-id", iid.clone()),
            ("message-id", msgid.clone()),
            ("network-message-id", netid.clone()),
            ("recipient-address", rcpts),
            (
                "recipient-status",
                std::iter::repeat_n("To", m.recipients.len())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ("total-bytes", m.bytes.to_string()),
            ("recipient-count", count),
            ("message-subject", self.subject(&m.subject)),
            ("sender-address", m.sender.clone()),
            ("return-path", m.sender.clone()),
            ("message-info", "04I:".to_string()),
            ("directionality", "Incoming".to_string()),
            ("original-client-ip", m.remote_ip.clone()),
            ("original-server-ip", self.server_ip.clone()),
            ("transport-traffic-type", "Email".to_string()),
            ("schema-version", self.log.version.clone()),
        ];
        self.log.push(folder, &self.path("", at), at, &receive);
        let t = at + SignedDuration::from_millis(rng.range_i64(200, 1500));
        for r in &m.recipients {
            let deliver = [
                ("date-time", iso_ms(t)),
                ("server-ip", self.server_ip.clone()),
                ("server-hostname", self.server.clone()),
                (
                    "source-context",
                    format!(
                        "MDB:{}, Mailbox:{}, Event:{}, MessageClass:IPM.Note, CreationTime:{}, ClientType:StoreDriver",
                        rng.guid(),
                        rng.guid(),
                        rng.range(10_000_000, 99_999_999),
                        iso_ms(t)
                    ),
                ),
                ("connector-id", String::new()),
                ("source", "STOREDRIVER".to_string()),
                ("event-id", "DELIVER".to_string()),
                ("internal-message-id", iid.clone()),
                ("message-id", msgid.clone()),
                ("network-message-id", netid.clone()),
                ("recipient-address", r.clone()),
                ("recipient-status", "250 2.0.0 OK".to_string()),
                ("total-bytes", m.bytes.to_string()),
                ("recipient-count", "1".to_string()),
                ("message-subject", self.subject(&m.subject)),
                ("sender-address", m.sender.clone()),
                ("return-path", m.sender.clone()),
                ("directionality", "Incoming".to_string()),
                ("transport-traffic-type", "Email".to_string()),
                ("schema-version", self.log.version.clone()),
            ];
            self.log.push(folder, &self.path("MD", t), t, &deliver);
        }
    }
}

fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| {
            addr.split_once('.')
                .map(|(_, d)| d.to_string())
                .unwrap_or_default()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_events_parse_as_csv_with_the_fields_count() {
        let mut folder = Folder::new();
        let mut rng = Rng::new(1);
        let mut log = TrackingLog::new(
            "",
            "EXCH01",
            "EXCH01.x.example",
            "10.20.0.5",
            "15.02.1118.015",
            true,
        );
        let at: Timestamp = "2022-12-01T10:00:00Z".parse().unwrap();
        let (mark, _) = log.outbound(
            &mut folder,
            &mut rng,
            at,
            &Outbound {
                sender: "a@x.example".into(),
                recipients: vec!["b@y.example".into(), "c@z.example".into()],
                subject: "Hello, world".into(),
                client: ClientType::WebServices,
                client_ip: "203.0.113.5".into(),
                bytes: 5000,
            },
            Some("phish"),
        );
        log.inbound(
            &mut folder,
            &mut rng,
            at,
            &Inbound {
                sender: "p@q.example".into(),
                recipients: vec!["a@x.example".into()],
                subject: "Re: hi".into(),
                remote_ip: "198.18.0.9".into(),
                remote_host: "mx.q.example".into(),
                bytes: 3000,
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let w = folder.write(dir.path()).unwrap();
        assert_eq!(w.files.len(), 3);
        for f in &w.files {
            let text = std::fs::read_to_string(dir.path().join(f)).unwrap();
            assert!(text.starts_with("#Software: Microsoft Exchange Server\r\n"));
            assert!(text.contains("#Log-type: Message Tracking Log\r\n"));
            let body: String = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            for rec in csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(body.as_bytes())
                .records()
            {
                assert_eq!(rec.unwrap().len(), FIELDS.len(), "{f}");
            }
        }
        let at_mark = w.at(mark.unwrap()).unwrap();
        assert!(
            at_mark
                .file
                .starts_with("TransportRoles/Logs/MessageTracking/MSGTRK2022120110")
        );
    }
}
