//! The personal-data-breach notification draft: what GDPR Art. 33(3) and the Data Protection (Bailiwick of
//! Guernsey) Law 2017 s.42 ask the controller to tell the supervisory authority within 72 hours of
//! becoming aware: the nature of the breach, the categories and approximate number of data subjects and
//! records, the contact point, the likely consequences, the measures taken or proposed, and the reasons for
//! any delay.
//!
//! vigil fills in what the evidence shows and cites it. What only a person can know (who the controller and
//! DPO are, how many people are in a mailbox, whether the subjects were told) is a [`Field::ToComplete`]
//! rendered as `[to be completed by the controller: …]` — never a guess.

use crate::asset::same_asset;
use crate::case::{IncidentRecord, placeholder_hint, provided, provided_list};
use crate::entity::{EntityKind, detection_entities};
use crate::evidence::Link;
use crate::incident::Incident;
use crate::incident::Wave;
use crate::mailbox::{MailboxAccess, MailboxExports, Phishing, mailbox_exports, phishing};
use crate::measures::{DwellTime, NOTIFICATION_HOURS};
use crate::rootcause::RootCause;
use crate::support::UnsupportedProduct;
use crate::tactics::{Tactic, detection_techniques};
use crate::time::{format_duration, format_ts, utc_date};
use crate::timeline::{EntrySource, TimelineEntry, TimelineInput, build_timeline};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use vigil_model::{Detection, Finding, KevEntry};

/// A value vigil knows (with where it comes from), or a prompt for the controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Field<T> {
    Known { value: T, basis: String },
    ToComplete { prompt: String },
}

impl<T> Field<T> {
    pub fn known(value: T, basis: impl Into<String>) -> Self {
        Field::Known {
            value,
            basis: basis.into(),
        }
    }

    pub fn to_complete(prompt: impl Into<String>) -> Self {
        Field::ToComplete {
            prompt: prompt.into(),
        }
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Known { value, .. } => Some(value),
            Field::ToComplete { .. } => None,
        }
    }
}

/// The marker a reader (and a search) finds for every field a person must fill in.
pub fn completion_marker(prompt: &str) -> String {
    format!("[to be completed by the controller: {prompt}]")
}

/// Everything the draft is made from.
#[derive(Debug, Clone, Copy)]
pub struct BreachInput<'a> {
    pub record: &'a IncidentRecord,
    pub incident: &'a Incident,
    pub root_cause: &'a RootCause,
    pub dwell: &'a DwellTime,
    /// Findings (all assets; those of the incident's asset are used).
    pub findings: &'a [Finding],
    pub kev: &'a [KevEntry],
    /// When the draft is made; a draft made after the deadline asks for the reasons for the delay.
    pub drafted_at: Option<Timestamp>,
    /// The audit date: updates released after it are never proposed [default: the day of awareness,
    /// else of drafting].
    pub as_of: Option<Date>,
    /// Products the scan found out of vendor support: their fix is an upgrade, not another update.
    pub unsupported: &'a [UnsupportedProduct],
}

/// The draft as plain data, for the Markdown and HTML renderers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreachDraft {
    pub reference: Field<String>,
    pub title: Field<String>,
    pub controller: Field<String>,
    pub controller_contact: Field<String>,
    pub dpo_contact: Field<String>,
    pub jurisdiction: Field<String>,
    /// The provisions the draft answers.
    pub legal_basis: Vec<String>,
    pub aware_at: Field<Timestamp>,
    pub reported_by: Field<String>,
    pub notification_deadline: Field<Timestamp>,
    pub systems: Vec<String>,
    pub first_malicious: Timestamp,
    pub last_activity: Timestamp,
    /// First malicious event → awareness, as text.
    pub dwell: Field<String>,
    /// When vigil first alerted on the breach and when a person acknowledged it, from its alert history.
    #[serde(default = "alerting_unknown")]
    pub alerting: Field<String>,
    pub nature: Vec<String>,
    pub data_categories: Field<Vec<String>>,
    pub mailboxes: Vec<MailboxAccess>,
    /// Mailboxes the organisation states were taken that the logs do not show.
    pub mailboxes_stated_only: Vec<String>,
    /// Mailbox exports abused to write a web shell (not a theft of the mailbox's content).
    pub mailbox_webshell_writes: Vec<MailboxAccess>,
    /// Phishing sent from the organisation's mailboxes, per sender.
    #[serde(default)]
    pub phishing: Vec<Phishing>,
    /// The phases of the breach, when there was more than one.
    #[serde(default)]
    pub waves: Vec<Wave>,
    pub data_subjects: Field<String>,
    pub records: Field<String>,
    pub consequences: Vec<String>,
    pub consequences_assessment: Field<String>,
    pub measures_taken: Field<Vec<String>>,
    pub measures_proposed: Vec<String>,
    pub timeline: Vec<TimelineEntry>,
    pub root_cause: Vec<Link>,
    pub subjects_informed: Field<String>,
    /// Present when the notification is (or will be) later than 72 hours after awareness.
    pub delay_reasons: Option<Field<String>>,
}

fn stated(v: &Option<String>, field: &str, prompt: &str) -> Field<String> {
    match provided(v) {
        Some(s) => Field::known(s.to_string(), format!("incident record: {field}")),
        None => Field::to_complete(placeholder_hint(v).unwrap_or(prompt).to_string()),
    }
}

fn alerting_unknown() -> Field<String> {
    Field::to_complete(
        "whether an alert was raised on the breach and when a person acknowledged it (vigil's alert \
         history, `vigil alerts list`, or the security products' consoles)",
    )
}

/// "First alerted at T, 2 h after the first malicious event; acknowledged at T2 (35 min later)", or
/// "never acknowledged": what regulators ask of detection that was configured but not watched.
fn alerting(d: &crate::DwellTime) -> Field<String> {
    if !d.alerts_known {
        return alerting_unknown();
    }
    let basis = "vigil's alert history";
    let Some(first) = d.first_alert else {
        return Field::known(
            "vigil raised no alert on these detections".to_string(),
            basis,
        );
    };
    let after = d
        .to_first_alert
        .map(|x| {
            format!(
                ", {} after the first malicious event",
                format_duration(x.abs())
            )
        })
        .unwrap_or_default();
    let ack = match d.first_acknowledged {
        Some(a) => {
            let by = d
                .first_acknowledged_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
            let which = d
                .first_acknowledged_alert
                .map(|n| format!("; alert {n}, recorded in vigil's audit trail"))
                .unwrap_or_default();
            format!(
                "acknowledged{by} at {} ({} after the alert{which})",
                format_ts(a),
                format_duration(first.duration_until(a).abs())
            )
        }
        None => "never acknowledged".to_string(),
    };
    Field::known(
        format!("first alert raised at {}{after}; {ack}", format_ts(first)),
        basis,
    )
}

/// Builds the draft.
pub fn draft_breach(input: &BreachInput<'_>) -> BreachDraft {
    let rec = input.record;
    let inc = input.incident;
    let asset = inc
        .asset
        .clone()
        .unwrap_or_else(|| "the affected system".into());
    let aware_at = match rec.aware_at {
        Some(t) => Field::known(t, "incident record: aware_at"),
        None => Field::to_complete("the date and time the organisation became aware of the breach"),
    };
    let deadline = match (rec.aware_at, input.dwell.notification_deadline) {
        (Some(_), Some(d)) => Field::known(d, format!("awareness + {NOTIFICATION_HOURS} hours")),
        _ => Field::to_complete(
            "the notification deadline: 72 hours after the time of awareness, once that time is recorded",
        ),
    };

    let exports = mailbox_exports(&inc.detections);
    let mailboxes = exports.exported.clone();
    let stated_boxes = provided_list(&rec.mailboxes_exfiltrated);
    let mailboxes_stated_only: Vec<String> = stated_boxes
        .iter()
        .filter(|s| !mailboxes.iter().any(|m| m.mailbox.eq_ignore_ascii_case(s)))
        .cloned()
        .collect();
    let mut all_boxes: Vec<String> = mailboxes.iter().map(|m| m.mailbox.clone()).collect();
    all_boxes.extend(mailboxes_stated_only.iter().cloned());

    let categories = provided_list(&rec.data_categories);
    let data_categories = if categories.is_empty() {
        Field::to_complete(
            "the categories of personal data in the affected systems (e.g. health data, contact details)",
        )
    } else {
        Field::known(categories.clone(), "incident record: data_categories")
    };
    let box_text = if all_boxes.is_empty() {
        "the affected systems".to_string()
    } else {
        all_boxes.join(", ")
    };
    let data_subjects = match provided(&rec.data_subjects) {
        Some(s) => Field::known(s.to_string(), "incident record: data_subjects"),
        None => Field::to_complete(format!(
            "approximate number and categories of data subjects whose data are in {box_text}; the logs show \
             which mailboxes were taken, not how many people they concern (count the distinct \
             correspondents in the mailboxes)"
        )),
    };
    let records = match provided(&rec.records) {
        Some(s) => Field::known(s.to_string(), "incident record: records"),
        None => Field::to_complete(format!(
            "approximate number of records (messages) concerned: the item counts of {box_text} at the \
             time of export (e.g. Get-MailboxStatistics); no evidence in the logs gives it"
        )),
    };

    let health = categories.iter().any(|c| {
        let c = c.to_lowercase();
        c.contains("health") || c.contains("special category")
    });
    let sent = phishing(&inc.detections);
    let nature = nature(input, &asset, &exports, &all_boxes, &sent);
    let mut consequences = Vec::new();
    for p in &sent {
        consequences.push(format!(
            "Phishing was sent from the organisation's own address ({}): the recipients may trust it, open \
             its links or attachments, or pay a false invoice; they should be warned.",
            p.sentence()
        ));
    }
    if !all_boxes.is_empty() {
        consequences.push(format!(
            "Copies of the mailbox(es) {} are outside the organisation's control; their content can be read, \
             published or used to deceive the people in them (for example phishing that quotes real \
             correspondence).",
            all_boxes.join(", ")
        ));
    }
    if health {
        consequences.push(
            "The data include special category (health) data: disclosure can cause distress, embarrassment \
             and discrimination, which raises the risk to the data subjects to high."
                .into(),
        );
    }
    if inc.detections.iter().any(|d| {
        detection_techniques(d)
            .iter()
            .any(|t| t.starts_with("T1505"))
    }) {
        consequences.push(format!(
            "The attacker could run commands on {asset} through a web shell: any data on the server may have \
             been read or changed until it was cleaned."
        ));
    }
    let consequences_assessment = match provided(&rec.consequences) {
        Some(s) => Field::known(s.to_string(), "incident record: consequences"),
        None => Field::to_complete(
            "the controller's assessment of the risk to the data subjects' rights and significant interests",
        ),
    };

    let measures_taken = {
        let m = provided_list(&rec.measures_taken);
        if m.is_empty() {
            Field::to_complete(
                "measures already taken (containment, credential resets, removal of web shells, patching), with dates",
            )
        } else {
            Field::known(m, "incident record: measures_taken")
        }
    };
    let measures_proposed = measures_proposed(input, &asset);

    let subjects_informed = stated(
        &rec.subjects_informed,
        "subjects_informed",
        "whether and when the data subjects were (or will be) informed, and how",
    );
    let delay_reasons = match (
        input.dwell.notification_deadline,
        rec.notified_at.or(input.drafted_at),
    ) {
        (Some(d), Some(t)) if t > d => Some(Field::to_complete(format!(
            "the reasons why the notification is made after the 72-hour deadline of {}",
            format_ts(d)
        ))),
        _ => None,
    };

    BreachDraft {
        reference: match provided(&rec.id) {
            Some(s) => Field::known(s.to_string(), "incident record: id"),
            None => Field::known(inc.id.clone(), "vigil incident id"),
        },
        title: stated(&rec.title, "title", "a short title for the breach"),
        controller: stated(&rec.organisation, "organisation", "name and address of the controller"),
        controller_contact: stated(
            &rec.controller_contact,
            "controller_contact",
            "the controller's contact person, phone and e-mail",
        ),
        dpo_contact: stated(
            &rec.dpo_contact,
            "dpo_contact",
            "the data protection officer's (or other contact point's) name, phone and e-mail",
        ),
        jurisdiction: stated(&rec.jurisdiction, "jurisdiction", "the supervisory authority and law that apply"),
        legal_basis: vec![
            "Data Protection (Bailiwick of Guernsey) Law, 2017, section 42: notify the Authority as soon as \
             practicable and in any event within 72 hours after becoming aware"
                .into(),
            "GDPR (EU) 2016/679, Article 33: notify the supervisory authority without undue delay and, where \
             feasible, within 72 hours; Article 33(4) allows the information to be provided in phases"
                .into(),
        ],
        aware_at,
        reported_by: stated(&rec.reported_by, "reported_by", "who discovered or reported the breach, and how"),
        notification_deadline: deadline,
        systems: inc.asset.iter().cloned().collect(),
        first_malicious: input.dwell.first_malicious,
        last_activity: inc.last_seen,
        dwell: match input.dwell.to_awareness {
            Some(d) => Field::known(format_duration(d), "first malicious event → awareness"),
            None => Field::to_complete("the time of awareness, to measure how long the attacker was undetected"),
        },
        alerting: alerting(input.dwell),
        nature,
        data_categories,
        mailboxes,
        mailboxes_stated_only,
        mailbox_webshell_writes: exports.webshell_writes.clone(),
        phishing: sent,
        waves: if inc.waves.len() > 1 {
            inc.waves.clone()
        } else {
            Vec::new()
        },
        data_subjects,
        records,
        consequences,
        consequences_assessment,
        measures_taken,
        measures_proposed,
        timeline: key_timeline(input),
        root_cause: input.root_cause.links().into_iter().cloned().collect(),
        subjects_informed,
        delay_reasons,
    }
}

fn nature(
    input: &BreachInput<'_>,
    asset: &str,
    exports: &MailboxExports,
    all_boxes: &[String],
    sent: &[Phishing],
) -> Vec<String> {
    let boxes = &exports.exported;
    let inc = input.incident;
    let rc = input.root_cause;
    let mut v = Vec::new();
    let entry_cves: Vec<&str> = rc
        .exploited
        .iter()
        .filter(|c| c.at_entry && !c.cve.is_empty())
        .map(|c| c.cve.as_str())
        .collect();
    let how = match (&rc.entry_time, &rc.credential_compromise) {
        (Some(t), _) if !entry_cves.is_empty() => {
            let fixes: Vec<String> = rc
                .missing_fixes()
                .iter()
                .map(|f| {
                    let name = f.kb.as_deref().map_or_else(
                        || f.advisories.first().cloned().unwrap_or_default(),
                        |k| format!("KB{}", k.trim_start_matches("KB")),
                    );
                    match (f.fix_released, f.days_overdue) {
                        (Some(r), Some(n)) if n > 0 => {
                            format!("{name} (released {r}, {n} days overdue)")
                        }
                        (Some(r), _) => format!("{name} (released {r})"),
                        _ => name,
                    }
                })
                .collect();
            let prevented = if fixes.is_empty() {
                String::new()
            } else {
                format!(
                    "; the update(s) that would have prevented it: {}",
                    fixes.join(", ")
                )
            };
            format!(
                "through known vulnerabilities ({}) first exploited at {}{prevented}",
                entry_cves.join(", "),
                format_ts(*t)
            )
        }
        (Some(t), Some(method)) => format!(
            "by logging in with a guessed password at {} (credential compromise by {method}; no software \
             vulnerability was used)",
            format_ts(*t)
        ),
        (Some(t), None) => format!("first seen at {}", format_ts(*t)),
        (None, _) => "by a route not established from the logs".to_string(),
    };
    v.push(format!(
        "Confidentiality breach: an unauthorised party gained access to {asset} {how}; activity recorded from {} \
         to {}.",
        format_ts(input.dwell.first_malicious),
        format_ts(inc.last_seen)
    ));
    if inc.waves.len() > 1 {
        let parts: Vec<String> = inc
            .waves
            .iter()
            .map(|w| {
                let mut p = format!(
                    "wave {} from {} to {} ({} detection(s){})",
                    w.number,
                    format_ts(w.start),
                    format_ts(w.end),
                    w.detections,
                    w.precursors_text()
                        .map(|p| format!(", {p}"))
                        .unwrap_or_default()
                );
                if let Some(l) = w.link_text() {
                    p.push_str(&format!(": {l}"));
                }
                p
            })
            .collect();
        v.push(format!(
            "The breach came in {} waves, judged as one incident: {}.",
            inc.waves.len(),
            parts.join("; ")
        ));
    }
    if !boxes.is_empty() {
        v.push(format!(
            "{} mailbox(es) were taken by the attacker, as the server's own logs show: {}.",
            boxes.len(),
            boxes
                .iter()
                .map(|b| if b.how.is_empty() {
                    b.mailbox.clone()
                } else {
                    format!("{} ({})", b.mailbox, b.how.join("; "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if !all_boxes.is_empty() {
        v.push(format!(
            "The organisation states that these mailboxes were taken: {}.",
            all_boxes.join(", ")
        ));
    }
    if !exports.webshell_writes.is_empty() {
        v.push(format!(
            "The mailbox export function was also abused to write a script file (web shell) onto the server, \
             using the mailbox(es) {}; those exports carried a planted item, not the mailbox content.",
            exports.webshell_writes.iter().map(|b| b.mailbox.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    for p in sent {
        v.push(format!(
            "Phishing was sent from the server (ATT&CK T1566): {}.",
            p.sentence()
        ));
    }
    if !inc.tactics.is_empty() {
        let labels: Vec<&str> = inc.tactics.iter().map(|t| t.label()).collect();
        v.push(format!(
            "Attacker activity seen (MITRE ATT&CK tactics): {}.",
            labels.join(" → ")
        ));
    }
    if inc.tactics.contains(&Tactic::Impact) {
        v.push("Some activity may also affect the availability or integrity of the data.".into());
    }
    v
}

fn measures_proposed(input: &BreachInput<'_>, asset: &str) -> Vec<String> {
    let inc = input.incident;
    let on_asset = |a: &str| inc.asset.as_deref().is_some_and(|x| same_asset(x, a));
    let today = input
        .as_of
        .or_else(|| input.record.aware_at.or(input.drafted_at).map(utc_date));
    let mut rows: Vec<(i64, String)> = Vec::new();
    // A product out of support is upgraded, not patched: one measure covering its missing updates.
    let mut upgrade: Vec<(&UnsupportedProduct, Vec<String>)> = input
        .unsupported
        .iter()
        .filter(|p| on_asset(&p.asset))
        .map(|p| (p, Vec::new()))
        .collect();
    for f in input.findings {
        let Some(released) = f.fix_released else {
            continue;
        };
        // An update released after the audit date did not exist then.
        if !on_asset(&f.asset) || today.is_some_and(|t| released > t) {
            continue;
        }
        let fix = match &f.kb {
            Some(kb) => format!("KB{}", kb.trim_start_matches("KB")),
            None => format!("the fix for {}", f.advisories.join(", ")),
        };
        if let Some((_, kbs)) = upgrade.iter_mut().find(|(p, _)| p.covers(f)) {
            if !kbs.contains(&fix) {
                kbs.push(fix);
            }
            continue;
        }
        let overdue = today.and_then(|d| f.days_overdue(d));
        let mut s = format!(
            "Install {fix} on {} ({} {}; fix released {released}",
            f.asset, f.package.name, f.package.version,
        );
        if let Some(n) = overdue.filter(|n| *n > 0) {
            s.push_str(&format!(", {n} days overdue at awareness"));
        }
        s.push(')');
        if !f.fixed_versions.is_empty() {
            s.push_str(&format!(
                "; fixed version {}",
                f.fixed_versions.join(" or ")
            ));
        }
        s.push('.');
        rows.push((-overdue.unwrap_or(i64::MIN / 2), s));
    }
    rows.sort();
    let mut out: Vec<String> = upgrade.iter().map(|(p, kbs)| p.measure(kbs)).collect();
    out.extend(rows.into_iter().map(|(_, s)| s));
    out.dedup();
    if let Some(method) = &input.root_cause.credential_compromise {
        let accounts: BTreeSet<String> = inc
            .detections
            .iter()
            .filter(|d| Some(&d.rule_id) == input.root_cause.entry_rule_id.as_ref())
            .flat_map(|d| detection_entities(d).entities)
            .filter(|e| matches!(e.kind, EntityKind::Account | EntityKind::Mailbox))
            .map(|e| e.value)
            .take(5)
            .collect();
        let who = if accounts.is_empty() {
            "the accounts used at the entry point".to_string()
        } else {
            accounts.into_iter().collect::<Vec<_>>().join(", ")
        };
        out.push(format!(
            "Reset the passwords of {who} and of every account the failed logins targeted, end their open \
             sessions, and stop {method} on the exposed services: multi-factor authentication or a limit on \
             failed logins per account, address and network (lockout, rate limiting)."
        ));
    }
    for l in &input.root_cause.silent_sources {
        if !l.is_unknown() {
            out.push(format!("Restore and monitor log collection: {}.", l.claim));
        }
    }
    for l in &input.root_cause.untested {
        out.push(format!(
            "Test detection at regular intervals (`vigil selftest`, `[selftest] every`): {}.",
            l.claim
        ));
    }
    for l in &input.root_cause.unacknowledged {
        if !l.is_unknown() {
            out.push(format!(
                "Route security alerts to a named person who must acknowledge them: {}.",
                l.claim
            ));
        }
    }
    out.push(format!(
        "Check {asset} for remaining web shells and other persistence, reset the credentials the attacker \
         could have used, and keep the evidence (logs, inventory) for the Authority."
    ));
    out
}

/// The draft's timeline: each rule's first detection, the fix and deadline dates of the asset's findings,
/// awareness and the deadline.
fn key_timeline(input: &BreachInput<'_>) -> Vec<TimelineEntry> {
    let inc = input.incident;
    let mut firsts: Vec<Detection> = Vec::new();
    for d in &inc.detections {
        if !firsts.iter().any(|x| x.rule_id == d.rule_id) {
            firsts.push(d.clone());
        }
    }
    let findings: Vec<Finding> = input
        .findings
        .iter()
        .filter(|f| inc.is_on(&f.asset))
        .cloned()
        .collect();
    let mut t = build_timeline(&TimelineInput {
        detections: &firsts,
        events: &[],
        observations: &[],
        findings: &findings,
        kev: input.kev,
    });
    let counts = |rule: &str| inc.detections.iter().filter(|d| d.rule_id == rule).count();
    for (e, d) in t
        .iter_mut()
        .filter(|e| e.source == EntrySource::Detection)
        .zip(firsts.iter())
    {
        let n = counts(&d.rule_id);
        if n > 1 {
            e.message = format!("{} — first of {n} detections", e.message);
        }
    }
    let mut push = |ts: Option<Timestamp>, desc: &str, msg: String| {
        if let Some(ts) = ts {
            t.push(TimelineEntry {
                datetime: ts,
                timestamp_desc: desc.into(),
                message: msg,
                source: EntrySource::Record,
                evidence: vec!["incident record".into()],
                asset: inc.asset.clone(),
            });
        }
    };
    push(
        input.record.aware_at,
        "Awareness",
        format!(
            "The organisation becomes aware{}",
            provided(&input.record.reported_by).map_or(String::new(), |r| format!(" ({r})"))
        ),
    );
    push(
        input.dwell.notification_deadline,
        "Notification deadline",
        format!("{NOTIFICATION_HOURS}-hour deadline to notify the supervisory authority"),
    );
    t.sort_by(|a, b| {
        a.datetime
            .cmp(&b.datetime)
            .then_with(|| a.source.cmp(&b.source))
    });
    t
}
