//! The breach-notification draft as a self-contained HTML page: the same sections as the Markdown
//! draft, with every field a person still has to complete highlighted, so that nothing is sent half
//! filled in by mistake.

use crate::html::{Block, Cell, Column, Document, FieldRow, Item, Section, Table, Tone, render};
use vigil_investigate::breach::completion_marker;
use vigil_investigate::evidence::LinkStatus;
use vigil_investigate::measures::NOTIFICATION_HOURS;
use vigil_investigate::time::format_ts;
use vigil_investigate::{BreachDraft, Field, Link};

fn row<T>(label: &str, f: &Field<T>, show: impl Fn(&T) -> String) -> FieldRow {
    match f {
        Field::Known { value, basis } => FieldRow {
            label: label.into(),
            value: show(value),
            missing: false,
            basis: Some(basis.clone()),
        },
        Field::ToComplete { prompt } => FieldRow {
            label: label.into(),
            value: completion_marker(prompt),
            missing: true,
            basis: None,
        },
    }
}

fn plain(label: &str, value: String) -> FieldRow {
    FieldRow {
        label: label.into(),
        value,
        missing: false,
        basis: None,
    }
}

/// A root-cause link as a list item: status badge, claim, evidence underneath.
pub fn link_item(l: &Link) -> Item {
    let (badge, tone, text) = match &l.status {
        LinkStatus::Established => ("established", Tone::Good, l.claim.clone()),
        LinkStatus::Inferred { gap } => (
            "inferred",
            Tone::Medium,
            format!("{} (not shown: {gap})", l.claim),
        ),
        LinkStatus::Unknown { settle_with } => (
            "unknown",
            Tone::Neutral,
            format!("{} — would be settled by: {settle_with}", l.claim),
        ),
    };
    Item {
        text,
        tone: Some(tone),
        badge: Some(badge.into()),
        sub: l
            .evidence
            .iter()
            .map(|e| format!("evidence: {}", e.cite()))
            .collect(),
    }
}

/// The draft as a [`Document`].
pub fn document(d: &BreachDraft, footer: &str) -> Document {
    let s = |v: &String| v.clone();
    let title = match &d.title {
        Field::Known { value, .. } => value.clone(),
        Field::ToComplete { .. } => "Personal data breach".into(),
    };
    let reference = match &d.reference {
        Field::Known { value, .. } => value.clone(),
        Field::ToComplete { .. } => "no reference".into(),
    };
    let missing = count_missing(d);
    let mut summary = vec![Block::Callout(
        Tone::High,
        format!(
            "DRAFT prepared by vigil from the server's logs, inventory and vulnerability data. Every fact cites \
             its evidence. {missing} field(s) highlighted below can only be answered by the organisation and \
             must be completed before sending."
        ),
    )];
    let deadline = match &d.notification_deadline {
        Field::Known { value, .. } => format_ts(*value),
        Field::ToComplete { prompt } => completion_marker(prompt),
    };
    summary.push(Block::Facts(vec![
        crate::html::Fact {
            label: "Notify the authority by".into(),
            value: deadline,
            detail: Some(format!("{NOTIFICATION_HOURS} hours after awareness")),
            tone: Tone::Critical,
        },
        crate::html::Fact {
            label: "Undetected for".into(),
            value: d.dwell.value().cloned().unwrap_or_else(|| "unknown".into()),
            detail: Some("first malicious event → awareness".into()),
            tone: Tone::High,
        },
        crate::html::Fact {
            label: "Mailboxes taken (logs)".into(),
            value: d.mailboxes.len().to_string(),
            detail: Some(
                d.mailboxes
                    .iter()
                    .map(|m| m.mailbox.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            tone: if d.mailboxes.is_empty() {
                Tone::Neutral
            } else {
                Tone::High
            },
        },
        crate::html::Fact {
            label: "Fields to complete".into(),
            value: missing.to_string(),
            detail: None,
            tone: if missing == 0 {
                Tone::Good
            } else {
                Tone::Medium
            },
        },
    ]));
    let mut sections = vec![Section {
        id: "summary".into(),
        title: "Summary".into(),
        blocks: summary,
    }];
    sections.push(Section {
        id: "controller".into(),
        title: "1. Controller and contact point".into(),
        blocks: vec![Block::Fields(vec![
            row("Reference", &d.reference, s),
            row("Controller", &d.controller, s),
            row("Controller contact", &d.controller_contact, s),
            row("Data protection officer", &d.dpo_contact, s),
            row("Jurisdiction", &d.jurisdiction, s),
        ])],
    });
    let mut deadline_rows = vec![
        row("Became aware", &d.aware_at, |t| format_ts(*t)),
        row("Reported by", &d.reported_by, s),
        row("Notify by", &d.notification_deadline, |t| format_ts(*t)),
    ];
    if let Some(r) = &d.delay_reasons {
        deadline_rows.push(row("Reasons for the delay", r, s));
    }
    sections.push(Section {
        id: "deadline".into(),
        title: "2. Notification deadline".into(),
        blocks: vec![
            Block::Fields(deadline_rows),
            Block::List(
                d.legal_basis
                    .iter()
                    .map(|l| Item {
                        text: l.clone(),
                        ..Item::default()
                    })
                    .collect(),
            ),
        ],
    });
    let mut nature: Vec<Block> = d.nature.iter().cloned().map(Block::Paragraph).collect();
    nature.push(Block::Fields(vec![
        plain(
            "Systems",
            if d.systems.is_empty() {
                "not named in the detections".into()
            } else {
                d.systems.join(", ")
            },
        ),
        plain("First malicious activity", format_ts(d.first_malicious)),
        plain("Last recorded activity", format_ts(d.last_activity)),
        row("Undetected for", &d.dwell, s),
        row("Alerted", &d.alerting, s),
    ]));
    sections.push(Section {
        id: "nature".into(),
        title: "3. Nature of the breach".into(),
        blocks: nature,
    });
    let mut data = vec![Block::Fields(vec![
        row("Categories of data", &d.data_categories, |v| v.join("; ")),
        row("Data subjects", &d.data_subjects, s),
        row("Records", &d.records, s),
    ])];
    let mut boxes: Vec<Item> = d
        .mailboxes
        .iter()
        .map(|b| Item {
            text: format!("Exported (from the logs): {}", b.mailbox),
            tone: Some(Tone::High),
            badge: Some("taken".into()),
            sub: b
                .evidence
                .iter()
                .map(|e| format!("evidence: {}", e.cite()))
                .collect(),
        })
        .collect();
    boxes.extend(d.mailbox_webshell_writes.iter().map(|b| Item {
        text: format!(
            "Mailbox export abused to write a web shell (one planted item, not the mailbox content): {}",
            b.mailbox
        ),
        tone: Some(Tone::Medium),
        badge: Some("web shell".into()),
        sub: b.evidence.iter().map(|e| format!("evidence: {}", e.cite())).collect(),
    }));
    boxes.extend(d.mailboxes_stated_only.iter().map(|b| Item {
        text: format!("Stated by the organisation, not shown by the logs: {b}"),
        tone: Some(Tone::Neutral),
        badge: Some("stated".into()),
        sub: Vec::new(),
    }));
    if !boxes.is_empty() {
        data.push(Block::List(boxes));
    }
    sections.push(Section {
        id: "data".into(),
        title: "4. Personal data concerned".into(),
        blocks: data,
    });
    let cons: Vec<Item> = d
        .consequences
        .iter()
        .map(|c| Item {
            text: c.clone(),
            ..Item::default()
        })
        .collect();
    sections.push(Section {
        id: "consequences".into(),
        title: "5. Likely consequences".into(),
        blocks: vec![
            Block::List(cons),
            Block::Fields(vec![row("Assessment", &d.consequences_assessment, s)]),
        ],
    });
    let taken = match &d.measures_taken {
        Field::Known { value, .. } => Block::List(
            value
                .iter()
                .map(|v| Item {
                    text: v.clone(),
                    ..Item::default()
                })
                .collect(),
        ),
        Field::ToComplete { prompt } => Block::Fields(vec![FieldRow {
            label: "Taken".into(),
            value: completion_marker(prompt),
            missing: true,
            basis: None,
        }]),
    };
    sections.push(Section {
        id: "measures".into(),
        title: "6. Measures taken and proposed".into(),
        blocks: vec![
            Block::Paragraph("Taken:".into()),
            taken,
            Block::Paragraph("Proposed (from the evidence):".into()),
            Block::List(
                d.measures_proposed
                    .iter()
                    .map(|p| Item {
                        text: p.clone(),
                        ..Item::default()
                    })
                    .collect(),
            ),
        ],
    });
    sections.push(Section {
        id: "timeline".into(),
        title: "7. Timeline (UTC)".into(),
        blocks: vec![Block::Table(Table {
            columns: vec![
                Column::text("When"),
                Column::text("What"),
                Column::text("Event"),
                Column::text("Evidence"),
            ],
            rows: d
                .timeline
                .iter()
                .map(|e| {
                    vec![
                        Cell {
                            text: format_ts(e.datetime),
                            sort: Some(e.datetime.to_string()),
                            ..Cell::default()
                        },
                        Cell::new(e.timestamp_desc.clone()),
                        Cell::new(e.message.clone()),
                        Cell::mono(e.evidence.join("; ")),
                    ]
                })
                .collect(),
            empty: "No timeline entries.".into(),
        })],
    });
    sections.push(Section {
        id: "rootcause".into(),
        title: "8. Root cause".into(),
        blocks: vec![Block::List(d.root_cause.iter().map(link_item).collect())],
    });
    sections.push(Section {
        id: "subjects".into(),
        title: "9. Information to the data subjects".into(),
        blocks: vec![Block::Fields(vec![row(
            "Data subjects informed",
            &d.subjects_informed,
            s,
        )])],
    });
    Document {
        title: format!("Personal data breach notification — DRAFT: {title}"),
        subtitle: Some(format!("Reference {reference}")),
        footer: footer.to_string(),
        sections,
    }
}

/// How many fields a person still has to complete.
pub fn count_missing(d: &BreachDraft) -> usize {
    fn m<T>(f: &Field<T>) -> usize {
        usize::from(matches!(f, Field::ToComplete { .. }))
    }
    m(&d.reference)
        + m(&d.title)
        + m(&d.controller)
        + m(&d.controller_contact)
        + m(&d.dpo_contact)
        + m(&d.jurisdiction)
        + m(&d.aware_at)
        + m(&d.reported_by)
        + m(&d.notification_deadline)
        + m(&d.dwell)
        + m(&d.alerting)
        + m(&d.data_categories)
        + m(&d.data_subjects)
        + m(&d.records)
        + m(&d.consequences_assessment)
        + m(&d.measures_taken)
        + m(&d.subjects_informed)
        + d.delay_reasons.as_ref().map_or(0, m)
}

/// The draft as one self-contained HTML page.
pub fn render_breach(d: &BreachDraft, footer: &str) -> String {
    render(&document(d, footer))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use vigil_investigate::breach::BreachInput;
    use vigil_investigate::measures::DwellInput;
    use vigil_investigate::{
        CveMap, GroupOptions, IncidentRecord, RootCauseInput, draft_breach, dwell_time,
        group_incidents, root_cause,
    };
    use vigil_model::{Detection, Level, RecordRef, SourceRef};

    /// A draft of one detection titled `rule_title`, with `record` (awareness time and DPO set when
    /// not given).
    pub(crate) fn draft_with(rule_title: &str, record: IncidentRecord) -> BreachDraft {
        let d = Detection {
            rule_id: "r1".into(),
            rule_title: rule_title.into(),
            level: Level::High,
            tags: vec!["attack.initial-access".into()],
            timestamp: Some("2022-04-12T02:17:44Z".parse().unwrap()),
            first_seen: None,
            host: Some("mx1".into()),
            sources: vec![SourceRef {
                file: "logs/mail.log".into(),
                record: RecordRef::Line(1200),
                generation: None,
            }],
            matched: vec![],
        };
        let inc = group_incidents(&[d], &GroupOptions::default())
            .incidents
            .remove(0);
        let map = CveMap::default();
        let rc = root_cause(
            &inc,
            &RootCauseInput {
                findings: &[],
                observations: &[],
                cve_map: &map,
                expected_sources: None,
                alerts: None,
                selftests: None,
                unsupported: &[],
            },
        );
        let record = IncidentRecord {
            aware_at: record
                .aware_at
                .or_else(|| Some("2022-04-13T09:25:00Z".parse().unwrap())),
            dpo_contact: record.dpo_contact.or_else(|| Some("<dpo name>".into())),
            ..record
        };
        let dwell = dwell_time(
            &inc,
            &DwellInput {
                aware_at: record.aware_at,
                ..DwellInput::default()
            },
        );
        draft_breach(&BreachInput {
            record: &record,
            incident: &inc,
            root_cause: &rc,
            dwell: &dwell,
            findings: &[],
            kev: &[],
            drafted_at: None,
            as_of: None,
            unsupported: &[],
        })
    }

    #[test]
    fn draft_page_marks_what_to_complete_and_escapes_evidence() {
        let draft = draft_with("Login after <b>spray</b>", IncidentRecord::default());
        let html = render_breach(&draft, "vigil test");
        assert!(html.contains(crate::STYLESHEET), "vigil's one look");
        assert!(
            html.contains("2022-04-16 09:25:00 UTC") || html.contains("2022-04-16T09:25:00Z"),
            "the 72-hour deadline"
        );
        assert!(html.contains("[to be completed by the controller: dpo name]"));
        assert!(html.contains("class=\"missing\""));
        assert!(
            html.contains("Login after &#60;b&#62;spray&#60;/b&#62;"),
            "{html}"
        );
        assert!(!html.contains("<b>spray"));
        assert!(count_missing(&draft) >= 5);
    }
}
