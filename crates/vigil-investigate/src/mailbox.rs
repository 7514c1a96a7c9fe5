//! What happened to mail: mailboxes exported or downloaded, and phishing sent from the organisation's
//! own mailboxes — the facts a regulator asks for first ("N patients received phishing from our
//! address").
//!
//! - **Exports**: `New-MailboxExportRequest … -Mailbox <name> -FilePath <path>` commands in the records
//!   detections matched. An export to a script file under a web directory (`.aspx`, …) is the ProxyShell
//!   web-shell write, which carries one planted item, not the mailbox's content.
//! - **Downloads**: detections of remote e-mail collection (ATT&CK T1114) naming a mailbox or account, such
//!   as a bulk IMAP download; the bytes sent are summed from the records' `out` counters when known.
//! - **Phishing**: detections tagged ATT&CK T1566 (phishing) or T1534 (internal spearphishing), per sender
//!   and rule (each rule measures something else: one mailbox's volume of external mail, one subject sent
//!   to many). Exact counts come from the fields vigil's outbound-mail rules give (`rules/vigil`:
//!   `message_count` and `recipient_count`, the latter counting distinct external recipients; also
//!   `external_recipient_count`, `external_recipients`, `distinct_external_recipients`), with the sender
//!   from `sender`, `sender-address`, `from` or `sasl_username` and the span from `first_time` and
//!   `last_time`; a campaign of several days gives one detection per part, and the parts add up. Otherwise the records behind
//!   the detections count the messages, and a correlation's `value_sum` counts recipients when its records
//!   carry a recipient count (`nrcpt`, `recipient-count`); such counts are lower bounds ("at least"),
//!   because a correlation fires when its threshold is crossed, not at the end of the burst.

use crate::context::shown_fields;
use crate::entity::{EntityKind, detection_entities, mailbox, param_values};
use crate::evidence::{Evidence, MAX_CITED_SOURCES};
use crate::tactics::detection_techniques;
use crate::time::format_ts;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use vigil_model::{Detection, SourceRef};

/// A mailbox the evidence shows was exported or downloaded, with how and the detections that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxAccess {
    pub mailbox: String,
    pub evidence: Vec<Evidence>,
    /// How it was taken: `exported to …\ref.pst`, `downloaded over IMAP/POP3 (2545974591 bytes)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub how: Vec<String>,
}

/// What the logs show of mailboxes taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailboxExports {
    /// Mailboxes exported to a data file or downloaded: their content was taken.
    pub exported: Vec<MailboxAccess>,
    /// Mailboxes "exported" to a script file under a web directory (`.aspx`, …): the ProxyShell web-shell
    /// write (CVE-2021-31207), which carries one planted item, not the mailbox's content.
    pub webshell_writes: Vec<MailboxAccess>,
}

/// File extensions an export can be abused to write as a server-side script.
const SCRIPT_EXTENSIONS: [&str; 8] = [
    ".aspx", ".asp", ".ashx", ".asmx", ".axd", ".config", ".php", ".jsp",
];

fn note(list: &mut Vec<MailboxAccess>, name: &str, how: String, d: &Detection) {
    match list
        .iter_mut()
        .find(|m| m.mailbox.eq_ignore_ascii_case(name))
    {
        Some(m) => {
            if m.evidence.len() < MAX_CITED_SOURCES {
                m.evidence.push(Evidence::detection(d));
            }
            if !m.how.contains(&how) && m.how.len() < MAX_CITED_SOURCES {
                m.how.push(how);
            }
        }
        None => list.push(MailboxAccess {
            mailbox: name.to_string(),
            evidence: vec![Evidence::detection(d)],
            how: vec![how],
        }),
    }
}

fn is_email_collection(d: &Detection) -> bool {
    detection_techniques(d)
        .iter()
        .any(|t| t == "T1114" || t.starts_with("T1114."))
}

/// Mailboxes taken, from the commands and collection detections among `detections`.
pub fn mailbox_exports(detections: &[Detection]) -> MailboxExports {
    let mut out = MailboxExports::default();
    for d in detections {
        let mut export_seen = false;
        for (_, v) in &d.matched {
            let lower = v.to_ascii_lowercase();
            let Some(at) = lower.find("new-mailboxexportrequest") else {
                continue;
            };
            export_seen = true;
            let cmd = v.get(at..).unwrap_or("");
            let paths = param_values(cmd, "-filepath");
            let script = paths.iter().any(|p| {
                let p = p.to_ascii_lowercase();
                SCRIPT_EXTENSIONS.iter().any(|e| p.ends_with(e))
            });
            let to = paths
                .first()
                .map_or("a file".to_string(), |p| p.to_string());
            for n in param_values(cmd, "-mailbox") {
                let list = if script {
                    &mut out.webshell_writes
                } else {
                    &mut out.exported
                };
                note(list, &n, format!("exported to {to}"), d);
            }
        }
        if export_seen || !is_email_collection(d) {
            continue;
        }
        // A bulk download or other collection: the mailbox or account it names.
        let bytes: u64 = shown_fields(d)
            .iter()
            .filter(|(k, _, ctx)| *ctx && *k == "out")
            .filter_map(|(_, v, _)| v.trim().parse::<u64>().ok())
            .fold(0u64, u64::saturating_add);
        let how = match bytes {
            0 => format!("collected ('{}')", d.rule_title),
            b => format!(
                "downloaded ('{}', {b} bytes sent to the client)",
                d.rule_title
            ),
        };
        let named = detection_entities(d);
        let boxes: Vec<&str> = named
            .entities
            .iter()
            .filter(|e| matches!(e.kind, EntityKind::Mailbox | EntityKind::Account))
            .map(|e| e.value.as_str())
            .collect();
        for b in boxes {
            note(&mut out.exported, b, how.clone(), d);
        }
    }
    out
}

/// Phishing sent from one of the organisation's mailboxes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phishing {
    /// The sending mailbox (or account); `None` when the detections name none.
    pub sender: Option<String>,
    /// The title of the rule that measured it.
    pub rule: String,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Messages sent.
    pub messages: u64,
    /// Recipients (distinct and external when the rule says so, see `external`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<u64>,
    /// Whether `recipients` counts distinct external recipients (from `external_recipient_count`).
    #[serde(default)]
    pub external: bool,
    /// Whether the counts are lower bounds (taken when a correlation crossed its threshold).
    pub at_least: bool,
    pub evidence: Vec<Evidence>,
    /// Other rules that measured the same mailbox's sending in the same period, with their own counts
    /// (title, messages, recipients): one campaign seen several ways is one statement, never a sum.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<(String, u64, Option<u64>)>,
}

impl Phishing {
    /// "at least 5 messages to at least 115 recipients from mailbox x between A and B".
    pub fn sentence(&self) -> String {
        let least = if self.at_least { "at least " } else { "" };
        let to = match self.recipients {
            Some(r) => format!(
                " to {least}{r} {}recipient(s)",
                if self.external {
                    "distinct external "
                } else {
                    ""
                }
            ),
            None => String::new(),
        };
        let from = self
            .sender
            .as_deref()
            .map_or(String::new(), |s| format!(" from mailbox {s}"));
        let when = if self.first == self.last {
            format!(" at {}", format_ts(self.first))
        } else {
            format!(
                " between {} and {}",
                format_ts(self.first),
                format_ts(self.last)
            )
        };
        let also: String = self
            .also
            .iter()
            .map(|(rule, m, r)| {
                let to = r.map_or(String::new(), |r| format!(" to {r}"));
                format!("; '{rule}': {m}{to}")
            })
            .collect();
        format!(
            "{least}{} message(s){to}{from}{when} ('{}'{also})",
            self.messages, self.rule
        )
    }
}

/// Rows of several rules about one mailbox whose periods overlap are one campaign: the row with the
/// most messages (then recipients) speaks for it, as the larger count is the one a notification must
/// not understate, and the others are kept beside it with their own counts.
fn one_statement_per_campaign(rows: Vec<Phishing>) -> Vec<Phishing> {
    let mut out: Vec<Phishing> = Vec::new();
    for row in rows {
        let same = out.iter_mut().find(|p| {
            p.sender.is_some()
                && p.sender == row.sender
                && p.first <= row.last
                && row.first <= p.last
        });
        let Some(p) = same else {
            out.push(row);
            continue;
        };
        let (keep, other) = if (row.messages, row.recipients) > (p.messages, p.recipients) {
            (row, std::mem::replace(p, Phishing::placeholder()))
        } else {
            (std::mem::replace(p, Phishing::placeholder()), row)
        };
        let mut merged = keep;
        merged.first = merged.first.min(other.first);
        merged.last = merged.last.max(other.last);
        merged
            .also
            .push((other.rule, other.messages, other.recipients));
        merged.also.extend(other.also);
        for e in other.evidence {
            if merged.evidence.len() < MAX_CITED_SOURCES {
                merged.evidence.push(e);
            }
        }
        *p = merged;
    }
    out
}

impl Phishing {
    /// An empty row, only ever swapped out at once.
    fn placeholder() -> Phishing {
        Phishing {
            sender: None,
            rule: String::new(),
            first: Timestamp::UNIX_EPOCH,
            last: Timestamp::UNIX_EPOCH,
            messages: 0,
            recipients: None,
            external: false,
            at_least: false,
            evidence: Vec::new(),
            also: Vec::new(),
        }
    }
}

fn is_phishing(d: &Detection) -> bool {
    detection_techniques(d)
        .iter()
        .any(|t| t == "T1566" || t.starts_with("T1566.") || t == "T1534" || t.starts_with("T1534."))
}

/// A count field of a detection (matched or context), by any of `names`.
fn count(d: &Detection, names: &[&str]) -> Option<u64> {
    shown_fields(d)
        .iter()
        .filter(|(k, _, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .filter_map(|(_, v, _)| v.trim().parse::<u64>().ok())
        .max()
}

fn sender_of(d: &Detection) -> Option<String> {
    let fields = shown_fields(d);
    for name in ["sender", "sender-address", "from", "sasl_username", "user"] {
        if let Some(m) = fields
            .iter()
            .filter(|(k, _, _)| k.eq_ignore_ascii_case(name))
            .find_map(|(_, v, _)| mailbox(v))
        {
            return Some(m);
        }
    }
    detection_entities(d)
        .entities
        .into_iter()
        .find(|e| e.kind == EntityKind::Mailbox)
        .map(|e| e.value)
}

/// Phishing waves per sender among `detections`, in time order.
pub fn phishing(detections: &[Detection]) -> Vec<Phishing> {
    struct Acc {
        p: Phishing,
        sources: HashSet<SourceRef>,
        exact_messages: u64,
        exact: bool,
    }
    let mut acc: Vec<Acc> = Vec::new();
    for d in detections.iter().filter(|d| is_phishing(d)) {
        let Some(ts) = d.timestamp else { continue };
        let stamp = |names: &[&str]| {
            shown_fields(d)
                .iter()
                .filter(|(k, _, ctx)| !ctx && names.iter().any(|n| k.eq_ignore_ascii_case(n)))
                .find_map(|(_, v, _)| v.trim().parse::<Timestamp>().ok())
        };
        let first = stamp(&["first_time"]).unwrap_or_else(|| d.first_seen.unwrap_or(ts).min(ts));
        let last = stamp(&["last_time"]).unwrap_or(ts);
        let sender = sender_of(d);
        let messages = count(d, &["message_count", "messages"]);
        let external = count(
            d,
            &[
                "external_recipient_count",
                "external_recipients",
                "distinct_external_recipients",
            ],
        );
        // vigil's outbound-mail rules count distinct external recipients in `recipient_count`.
        let external = external.or_else(|| count(d, &["recipient_count"]));
        let recipients = external;
        let per_record = count(d, &["nrcpt", "recipient-count"]).is_some();
        let summed = per_record.then(|| count(d, &["value_sum"])).flatten();
        let a = match acc
            .iter_mut()
            .find(|a| a.p.sender == sender && a.p.rule == d.rule_title)
        {
            Some(a) => a,
            None => {
                acc.push(Acc {
                    p: Phishing {
                        sender: sender.clone(),
                        rule: d.rule_title.clone(),
                        first,
                        last,
                        messages: 0,
                        recipients: None,
                        external: false,
                        at_least: false,
                        evidence: Vec::new(),
                        also: Vec::new(),
                    },
                    sources: HashSet::new(),
                    exact_messages: 0,
                    exact: true,
                });
                let Some(a) = acc.last_mut() else { continue };
                a
            }
        };
        a.p.first = a.p.first.min(first);
        a.p.last = a.p.last.max(last);
        a.sources.extend(d.sources.iter().cloned());
        match messages {
            Some(m) => a.exact_messages = a.exact_messages.saturating_add(m),
            None => a.exact = false,
        }
        match (recipients, summed) {
            (Some(r), _) => {
                a.p.recipients = Some(a.p.recipients.unwrap_or(0).saturating_add(r));
                a.p.external |= external.is_some();
            }
            (None, Some(s)) => {
                a.p.recipients = Some(a.p.recipients.unwrap_or(0).max(s));
                a.p.at_least = true;
            }
            (None, None) => {}
        }
        if a.p.evidence.len() < MAX_CITED_SOURCES {
            a.p.evidence.push(Evidence::detection(d));
        }
    }
    let mut out: Vec<Phishing> = acc
        .into_iter()
        .map(|mut a| {
            if a.exact {
                a.p.messages = a.exact_messages;
            } else {
                a.p.messages = a.sources.len() as u64;
                a.p.at_least = true;
            }
            a.p
        })
        .collect();
    out.sort_by(|a, b| a.first.cmp(&b.first).then_with(|| a.rule.cmp(&b.rule)));
    one_statement_per_campaign(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Level, RecordRef};

    fn det(tags: &[&str], at: &str, lines: &[u64], matched: &[(&str, &str)]) -> Detection {
        Detection {
            rule_id: "r".into(),
            rule_title: "Postfix Mass Mailing From One Sender".into(),
            level: Level::High,
            tags: tags.iter().map(|s| s.to_string()).collect(),
            timestamp: Some(at.parse().unwrap()),
            first_seen: Some("2022-04-13T06:02:11Z".parse().unwrap()),
            host: Some("mx1".into()),
            sources: lines
                .iter()
                .map(|n| SourceRef {
                    file: "mail.log".into(),
                    record: RecordRef::Line(*n),
                    generation: None,
                })
                .collect(),
            matched: matched
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Two rules measuring one mailbox's run in overlapping periods give one statement: the larger
    /// count, with the other rule's own count beside it, never their sum; episode parts of one rule
    /// add up; another mailbox stays apart.
    #[test]
    fn one_statement_per_mailbox_and_campaign() {
        let counted = |title: &str, at: &str, first: &str, sender: &str, n: &str| {
            let mut d = det(
                &["attack.lateral-movement", "attack.t1534"],
                at,
                &[1],
                &[
                    ("sender", sender),
                    ("message_count", n),
                    ("recipient_count", n),
                    ("first_time", first),
                    ("last_time", at),
                ],
            );
            d.rule_title = title.into();
            d
        };
        let me = "reception@clinic.example.org";
        let ds = vec![
            counted(
                "volume",
                "2021-11-22T09:14:25Z",
                "2021-11-22T08:47:36Z",
                me,
                "20",
            ),
            counted(
                "subject",
                "2021-11-22T09:14:34Z",
                "2021-11-22T09:12:06Z",
                me,
                "20",
            ),
            counted(
                "volume",
                "2021-11-23T08:50:27Z",
                "2021-11-22T09:14:34Z",
                me,
                "29",
            ),
            counted(
                "subject",
                "2021-11-23T08:50:27Z",
                "2021-11-22T09:14:40Z",
                me,
                "26",
            ),
            counted(
                "volume",
                "2021-11-23T14:31:32Z",
                "2021-11-23T11:43:23Z",
                me,
                "2",
            ),
            counted(
                "volume",
                "2021-11-23T10:00:00Z",
                "2021-11-23T09:00:00Z",
                "other@clinic.example.org",
                "30",
            ),
        ];
        let p = phishing(&ds);
        assert_eq!(p.len(), 2, "{p:#?}");
        let mine = p.iter().find(|p| p.sender.as_deref() == Some(me)).unwrap();
        assert_eq!(
            (mine.rule.as_str(), mine.messages, mine.recipients),
            ("volume", 51, Some(51))
        );
        assert_eq!(mine.also, vec![("subject".to_string(), 46, Some(46))]);
        assert_eq!(
            mine.first,
            "2021-11-22T08:47:36Z".parse::<Timestamp>().unwrap()
        );
        assert!(
            mine.sentence().ends_with("('volume'; 'subject': 46 to 46)"),
            "{}",
            mine.sentence()
        );
    }

    #[test]
    fn phishing_counts_from_todays_correlations_are_lower_bounds() {
        let d = det(
            &["attack.initial-access", "attack.t1566"],
            "2022-04-13T06:10:46Z",
            &[1623, 1654, 1683, 1712, 1741],
            &[
                ("from", "reception@physio.example.com"),
                ("value_sum", "115"),
                ("context:nrcpt", "23"),
            ],
        );
        let p = phishing(&[d]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].messages, 5);
        assert_eq!(p[0].recipients, Some(115));
        assert!(p[0].at_least && !p[0].external);
        assert_eq!(
            p[0].sentence(),
            "at least 5 message(s) to at least 115 recipient(s) from mailbox reception@physio.example.com \
             between 2022-04-13 06:02:11 UTC and 2022-04-13 06:10:46 UTC ('Postfix Mass Mailing From One Sender')"
        );
    }

    #[test]
    fn exact_counts_from_mail_anomaly_fields() {
        // Two parts of one campaign (vigil's outbound-mail rules: the parts add up) …
        let part = |at: &str, line: u64, first: &str, last: &str, n: &str, r: &str| Detection {
            rule_title: "Same Subject Sent To Many External Recipients".into(),
            ..det(
                &["attack.t1566", "attack.t1534"],
                at,
                &[line],
                &[
                    ("sender", "Reception@Clinic.example.org"),
                    ("message_count", n),
                    ("recipient_count", r),
                    ("first_time", first),
                    ("last_time", last),
                ],
            )
        };
        let a = part(
            "2021-11-22T09:20:00Z",
            1,
            "2021-11-22T09:12:04Z",
            "2021-11-22T09:15:03Z",
            "24",
            "24",
        );
        let b = part(
            "2021-11-23T09:00:00Z",
            2,
            "2021-11-23T08:47:31Z",
            "2021-11-23T08:50:27Z",
            "22",
            "22",
        );
        // … and another rule's measure of the same mailbox in the same period: one statement, the
        // larger count speaking, the other beside it.
        let volume = Detection {
            rule_title: "Mailbox Sent To Unusually Many External Recipients".into(),
            ..det(
                &["attack.t1566"],
                "2021-11-22T09:30:00Z",
                &[3],
                &[
                    ("context:sender-address", "reception@clinic.example.org"),
                    ("message_count", "50"),
                    ("recipient_count", "49"),
                ],
            )
        };
        let benign = det(&["attack.t1078"], "2021-11-23T09:00:00Z", &[4], &[]);
        let p = phishing(&[a.clone(), b.clone(), volume, benign.clone()]);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert_eq!((p[0].messages, p[0].recipients), (50, Some(49)));
        assert_eq!(
            p[0].also,
            vec![(
                "Same Subject Sent To Many External Recipients".to_string(),
                46,
                Some(46)
            )]
        );
        // The subject rule alone: its parts add up, exactly.
        let p = phishing(&[a, b, benign]);
        assert_eq!(p.len(), 1, "{p:#?}");
        let subject = &p[0];
        assert_eq!((subject.messages, subject.recipients), (46, Some(46)));
        assert!(subject.external && !subject.at_least);
        assert_eq!(
            subject.sentence(),
            "46 message(s) to 46 distinct external recipient(s) from mailbox reception@clinic.example.org \
             between 2021-11-22 09:12:04 UTC and 2021-11-23 08:50:27 UTC ('Same Subject Sent To Many External \
             Recipients')"
        );
    }

    #[test]
    fn downloads_and_exports() {
        let dl = Detection {
            rule_title: "Bulk Mailbox Download Over IMAP/POP3".into(),
            ..det(
                &["attack.collection", "attack.t1114.002"],
                "2022-04-12T02:52:07Z",
                &[871, 872],
                &[
                    ("user", "reception@physio.example.com"),
                    ("value_sum", "2545974591"),
                    ("context:out", "1934771203"),
                    ("context:out", "611203388"),
                ],
            )
        };
        let export = det(
            &["attack.collection", "attack.t1114.002"],
            "2021-08-13T03:26:49Z",
            &[5],
            &[(
                "context:Data",
                r#"New-MailboxExportRequest -Mailbox "referrals@clinic.example.org" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\system_web\ref.pst""#,
            )],
        );
        let shell = det(
            &["attack.persistence"],
            "2021-08-13T03:02:35Z",
            &[6],
            &[(
                "keywords",
                r#"New-MailboxExportRequest -Mailbox "administrator@clinic.example.org" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\kxnqtm.aspx""#,
            )],
        );
        let m = mailbox_exports(&[dl, export, shell]);
        let names: Vec<&str> = m.exported.iter().map(|x| x.mailbox.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "reception@physio.example.com",
                "referrals@clinic.example.org"
            ]
        );
        assert_eq!(
            m.exported[0].how,
            vec![
                "downloaded ('Bulk Mailbox Download Over IMAP/POP3', 2545974591 bytes sent to the client)"
            ]
        );
        assert!(m.exported[1].how[0].ends_with(r"system_web\ref.pst"));
        assert_eq!(
            m.webshell_writes[0].mailbox,
            "administrator@clinic.example.org"
        );
    }
}
