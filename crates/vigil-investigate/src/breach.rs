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
use crate::evidence::{Evidence, Link};
use crate::incident::Incident;
use crate::measures::{DwellTime, NOTIFICATION_HOURS};
use crate::rootcause::RootCause;
use crate::tactics::{Tactic, detection_techniques};
use crate::time::{format_duration, format_ts, utc_date};
use crate::timeline::{EntrySource, TimelineEntry, TimelineInput, build_timeline};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
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

/// A mailbox the evidence shows was exported, with the detections that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxAccess {
    pub mailbox: String,
    pub evidence: Vec<Evidence>,
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
    pub nature: Vec<String>,
    pub data_categories: Field<Vec<String>>,
    pub mailboxes: Vec<MailboxAccess>,
    /// Mailboxes the organisation states were taken that the logs do not show.
    pub mailboxes_stated_only: Vec<String>,
    /// Mailbox exports abused to write a web shell (not a theft of the mailbox's content).
    pub mailbox_webshell_writes: Vec<MailboxAccess>,
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
    let nature = nature(input, &asset, &exports, &all_boxes);
    let mut consequences = Vec::new();
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
        nature,
        data_categories,
        mailboxes,
        mailboxes_stated_only,
        mailbox_webshell_writes: exports.webshell_writes.clone(),
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
) -> Vec<String> {
    let boxes = &exports.exported;
    let inc = input.incident;
    let rc = input.root_cause;
    let mut v = Vec::new();
    let how = match (
        &rc.entry_time,
        rc.exploited
            .iter()
            .filter(|c| c.at_entry && !c.cve.is_empty())
            .count(),
    ) {
        (Some(t), n) if n > 0 => {
            let cves: Vec<&str> = rc
                .exploited
                .iter()
                .filter(|c| c.at_entry)
                .map(|c| c.cve.as_str())
                .collect();
            format!(
                "through known vulnerabilities ({}) first exploited at {}",
                cves.join(", "),
                format_ts(*t)
            )
        }
        (Some(t), _) => format!("first seen at {}", format_ts(*t)),
        (None, _) => "by a route not established from the logs".to_string(),
    };
    v.push(format!(
        "Confidentiality breach: an unauthorised party gained access to {asset} {how}; activity recorded from {} \
         to {}.",
        format_ts(input.dwell.first_malicious),
        format_ts(inc.last_seen)
    ));
    if !boxes.is_empty() {
        v.push(format!(
            "{} mailbox(es) were exported by the attacker, as the server's own logs show: {}.",
            boxes.len(),
            boxes
                .iter()
                .map(|b| b.mailbox.as_str())
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
    let today = input.record.aware_at.or(input.drafted_at).map(utc_date);
    let mut rows: Vec<(i64, String)> = Vec::new();
    for f in input.findings {
        if !inc
            .asset
            .as_deref()
            .is_some_and(|a| same_asset(a, &f.asset))
            || f.fix_released.is_none()
        {
            continue;
        }
        let overdue = today.and_then(|d| f.days_overdue(d));
        let fix = match &f.kb {
            Some(kb) => format!("KB{}", kb.trim_start_matches("KB")),
            None => format!("the fix for {}", f.advisories.join(", ")),
        };
        let mut s = format!(
            "Install {fix} on {} ({} {}; fix released {}",
            f.asset,
            f.package.name,
            f.package.version,
            f.fix_released.map_or_else(String::new, |d| d.to_string())
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
    let mut out: Vec<String> = rows.into_iter().map(|(_, s)| s).collect();
    out.dedup();
    for l in &input.root_cause.silent_sources {
        if !l.is_unknown() {
            out.push(format!("Restore and monitor log collection: {}.", l.claim));
        }
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

/// What the logs show of `New-MailboxExportRequest` commands in the incident's detections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailboxExports {
    /// Mailboxes exported to a data file (`.pst` or any path that is not a script): their content was taken.
    pub exported: Vec<MailboxAccess>,
    /// Mailboxes "exported" to a script file under a web directory (`.aspx`, …): the ProxyShell web-shell
    /// write (CVE-2021-31207), which carries one planted item, not the mailbox's content.
    pub webshell_writes: Vec<MailboxAccess>,
}

/// File extensions an export can be abused to write as a server-side script.
const SCRIPT_EXTENSIONS: [&str; 8] = [
    ".aspx", ".asp", ".ashx", ".asmx", ".axd", ".config", ".php", ".jsp",
];

/// Mailboxes named in the `New-MailboxExportRequest … -Mailbox <name> -FilePath <path>` commands that
/// detections matched, split into data exports and web-shell writes by the target path.
pub fn mailbox_exports(detections: &[Detection]) -> MailboxExports {
    let mut out = MailboxExports::default();
    for d in detections {
        let mut seen: Vec<(String, bool)> = Vec::new();
        for (_, v) in &d.matched {
            let lower = v.to_ascii_lowercase();
            let Some(at) = lower.find("new-mailboxexportrequest") else {
                continue;
            };
            let cmd = v.get(at..).unwrap_or("");
            let paths = param_values(cmd, "-filepath");
            let script = paths.iter().any(|p| {
                let p = p.to_ascii_lowercase();
                SCRIPT_EXTENSIONS.iter().any(|e| p.ends_with(e))
            });
            for n in param_values(cmd, "-mailbox") {
                if !seen
                    .iter()
                    .any(|(x, s)| x.eq_ignore_ascii_case(&n) && *s == script)
                {
                    seen.push((n, script));
                }
            }
        }
        for (n, script) in seen {
            let list = if script {
                &mut out.webshell_writes
            } else {
                &mut out.exported
            };
            match list.iter_mut().find(|m| m.mailbox.eq_ignore_ascii_case(&n)) {
                Some(m) => {
                    if m.evidence.len() < crate::evidence::MAX_CITED_SOURCES {
                        m.evidence.push(Evidence::detection(d));
                    }
                }
                None => list.push(MailboxAccess {
                    mailbox: n,
                    evidence: vec![Evidence::detection(d)],
                }),
            }
        }
    }
    out
}

/// The values of a PowerShell parameter (`-Mailbox`, `-FilePath`) in a command line as PowerShell or a log
/// (possibly JSON-escaped) writes it: `-Mailbox "a@b"`, `-Mailbox:'a b'`, `-Mailbox \"a@b\"`, `-Mailbox a@b`.
/// `param` is given in lower case, with its dash.
pub fn param_values(text: &str, param: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower.get(from..).and_then(|s| s.find(param)) {
        let start = from + pos + param.len();
        from = start;
        let Some(rest) = text.get(start..) else { break };
        // The parameter name must end here: `-MailboxExportRequest` is not `-Mailbox`.
        match rest.chars().next() {
            Some(c) if c.is_whitespace() || c == ':' => {}
            _ => continue,
        }
        let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
        let unescaped = rest.strip_prefix('\\').filter(|r| r.starts_with('"'));
        let escaped = unescaped.is_some();
        let rest = unescaped.unwrap_or(rest);
        let (quote, body) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), rest.get(1..).unwrap_or("")),
            _ => (None, rest),
        };
        let value: String = match quote {
            // A JSON-escaped value ends at `\"`; its own backslashes are doubled.
            Some(q) => {
                let v = body.split(q).next().unwrap_or("");
                let v = v.strip_suffix('\\').unwrap_or(v);
                if escaped {
                    v.replace("\\\\", "\\")
                } else {
                    v.to_string()
                }
            }
            None => body
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .next()
                .unwrap_or("")
                .to_string(),
        };
        let value = value.trim();
        if !value.is_empty() && value.len() <= 1024 && !value.starts_with('-') {
            out.push(value.to_string());
        }
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

fn md_field<T>(f: &Field<T>, show: impl Fn(&T) -> String) -> String {
    match f {
        Field::Known { value, .. } => show(value),
        Field::ToComplete { prompt } => completion_marker(prompt),
    }
}

impl BreachDraft {
    /// The draft as a Markdown document.
    pub fn to_markdown(&self) -> String {
        let s = |v: &String| v.clone();
        let mut m = String::new();
        m.push_str(&format!(
            "# Personal data breach notification — DRAFT\n\nReference: {}  \nTitle: {}\n\n",
            md_field(&self.reference, s),
            md_field(&self.title, s)
        ));
        m.push_str(
            "> Draft prepared by vigil from the server's logs, inventory and vulnerability data. Every fact \
             below cites its evidence. Fields marked *[to be completed by the controller: …]* can only be \
             answered by the organisation and must be filled in before sending.\n\n",
        );
        m.push_str("## 1. Controller and contact point\n\n");
        m.push_str(&format!(
            "- Controller: {}\n",
            md_field(&self.controller, s)
        ));
        m.push_str(&format!(
            "- Controller contact: {}\n",
            md_field(&self.controller_contact, s)
        ));
        m.push_str(&format!(
            "- Data protection officer / contact point: {}\n",
            md_field(&self.dpo_contact, s)
        ));
        m.push_str(&format!(
            "- Jurisdiction: {}\n\n",
            md_field(&self.jurisdiction, s)
        ));

        m.push_str("## 2. Notification deadline\n\n");
        m.push_str(&format!(
            "- Became aware: {}\n",
            md_field(&self.aware_at, |t| format_ts(*t))
        ));
        m.push_str(&format!(
            "- Reported by: {}\n",
            md_field(&self.reported_by, s)
        ));
        m.push_str(&format!(
            "- **Notify the supervisory authority by: {}** ({NOTIFICATION_HOURS} hours after awareness)\n",
            md_field(&self.notification_deadline, |t| format_ts(*t))
        ));
        for l in &self.legal_basis {
            m.push_str(&format!("- {l}\n"));
        }
        if let Some(d) = &self.delay_reasons {
            m.push_str(&format!("- Reasons for the delay: {}\n", md_field(d, s)));
        }
        m.push('\n');

        m.push_str("## 3. Nature of the breach\n\n");
        for n in &self.nature {
            m.push_str(&format!("{n}\n\n"));
        }
        m.push_str(&format!(
            "- Systems: {}\n",
            if self.systems.is_empty() {
                "not named in the detections".into()
            } else {
                self.systems.join(", ")
            }
        ));
        m.push_str(&format!(
            "- First malicious activity: {}\n",
            format_ts(self.first_malicious)
        ));
        m.push_str(&format!(
            "- Last recorded activity: {}\n",
            format_ts(self.last_activity)
        ));
        m.push_str(&format!(
            "- Undetected for (first malicious event → awareness): {}\n\n",
            md_field(&self.dwell, s)
        ));

        m.push_str("## 4. Personal data concerned\n\n");
        m.push_str(&format!(
            "- Categories of data: {}\n",
            md_field(&self.data_categories, |v: &Vec<String>| v.join("; "))
        ));
        m.push_str(&format!(
            "- Data subjects (categories, approximate number): {}\n",
            md_field(&self.data_subjects, s)
        ));
        m.push_str(&format!(
            "- Records (approximate number): {}\n",
            md_field(&self.records, s)
        ));
        if self.mailboxes.is_empty() && self.mailboxes_stated_only.is_empty() {
            m.push_str("- Mailboxes exported: none shown by the logs\n");
        }
        if !self.mailboxes.is_empty() {
            m.push_str(&format!(
                "- Mailboxes exported, from the logs ({}):\n",
                self.mailboxes.len()
            ));
            for b in &self.mailboxes {
                m.push_str(&format!("  - {}\n", b.mailbox));
                for e in &b.evidence {
                    m.push_str(&format!("    - evidence: {}\n", e.cite()));
                }
            }
        }
        for b in &self.mailbox_webshell_writes {
            m.push_str(&format!(
                "- Mailbox export abused to write a web shell (one planted item, not the mailbox content): {}\n",
                b.mailbox
            ));
            for e in &b.evidence {
                m.push_str(&format!("    - evidence: {}\n", e.cite()));
            }
        }
        for b in &self.mailboxes_stated_only {
            m.push_str(&format!(
                "- Mailbox stated by the organisation, not shown by the logs: {b}\n"
            ));
        }
        m.push('\n');

        m.push_str("## 5. Likely consequences\n\n");
        for c in &self.consequences {
            m.push_str(&format!("- {c}\n"));
        }
        m.push_str(&format!(
            "- Assessment: {}\n\n",
            md_field(&self.consequences_assessment, s)
        ));

        m.push_str("## 6. Measures taken and proposed\n\n");
        m.push_str("Taken:\n\n");
        match &self.measures_taken {
            Field::Known { value, .. } => {
                for v in value {
                    m.push_str(&format!("- {v}\n"));
                }
            }
            Field::ToComplete { prompt } => {
                m.push_str(&format!("- {}\n", completion_marker(prompt)))
            }
        }
        m.push_str("\nProposed (from the evidence):\n\n");
        for p in &self.measures_proposed {
            m.push_str(&format!("- {p}\n"));
        }
        m.push('\n');

        m.push_str(
            "## 7. Timeline (UTC)\n\n| When | What | Event | Evidence |\n|---|---|---|---|\n",
        );
        for e in &self.timeline {
            m.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                format_ts(e.datetime),
                md_cell(&e.timestamp_desc),
                md_cell(&e.message),
                md_cell(&e.evidence.join("; "))
            ));
        }
        m.push('\n');

        m.push_str("## 8. Root cause\n\n");
        for (i, l) in self.root_cause.iter().enumerate() {
            m.push_str(&format!("{}. {}\n", i + 1, l.to_markdown()));
        }
        m.push('\n');

        m.push_str("## 9. Information to the data subjects\n\n");
        m.push_str(&format!("{}\n", md_field(&self.subjects_informed, s)));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_values_in_all_spellings() {
        let m = |t: &str| param_values(t, "-mailbox");
        assert_eq!(
            m(
                r#"New-MailboxExportRequest -Mailbox "referrals@clinic.example.org" -FilePath "\\127.0.0.1\c$\x.pst""#
            ),
            vec!["referrals@clinic.example.org"]
        );
        assert_eq!(
            param_values(
                r#"New-MailboxExportRequest -Mailbox "a" -FilePath "\\127.0.0.1\c$\x.pst""#,
                "-filepath"
            ),
            vec![r"\\127.0.0.1\c$\x.pst"]
        );
        let json = r#"{"Message": "Cmdlet New-MailboxExportRequest, parameters -Mailbox \"reception@clinic.example.org\" -FilePath \"\\\\127.0.0.1\\c$\\rec.pst\"."}"#;
        assert_eq!(m(json), vec!["reception@clinic.example.org"]);
        assert_eq!(
            param_values(json, "-filepath"),
            vec![r"\\127.0.0.1\c$\rec.pst"]
        );
        assert_eq!(
            m("New-MailboxExportRequest -mailbox:'Jane Doe' -FilePath x"),
            vec!["Jane Doe"]
        );
        assert_eq!(
            m("New-MailboxExportRequest -Mailbox bob@x.org,-FilePath"),
            vec!["bob@x.org"]
        );
        assert!(m("New-MailboxExportRequest -FilePath x").is_empty());
        assert!(m("-Mailbox").is_empty());
        assert!(m("-Mailbox -FilePath").is_empty());
        assert!(m("-Mailbox \"").is_empty());
    }

    #[test]
    fn fields_render_markers() {
        let f: Field<String> = Field::to_complete("DPO name");
        assert_eq!(
            md_field(&f, |v| v.clone()),
            "[to be completed by the controller: DPO name]"
        );
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
    }
}
