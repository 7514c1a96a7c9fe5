//! The breach-notification draft as Markdown.
//!
//! Almost every value in the draft comes from outside: the incident record, mailbox names, rule titles,
//! file names and field values from logs. Markdown viewers render HTML, so every such value goes through
//! [`vigil_model::text::markdown`] (no tag, link, emphasis or table cell can be formed, control characters
//! are dropped); only the document's own headings and list markers are written raw.

use crate::breach::{BreachDraft, Field, completion_marker};
use crate::measures::NOTIFICATION_HOURS;
use crate::time::format_ts;
use vigil_model::text::markdown as md;

fn field<T>(f: &Field<T>, show: impl Fn(&T) -> String) -> String {
    match f {
        Field::Known { value, .. } => md(&show(value)),
        Field::ToComplete { prompt } => marker(prompt),
    }
}

/// The completion marker with its prompt escaped; the brackets stay literal so a search for
/// `[to be completed` finds every gap (no link can form: the prompt cannot hold `]` or `(`).
fn marker(prompt: &str) -> String {
    completion_marker(&md(prompt))
}

#[allow(clippy::ptr_arg)] // used as `Fn(&String)` for `Field<String>`
fn text(v: &String) -> String {
    v.to_string()
}

impl BreachDraft {
    /// The draft as a Markdown document.
    pub fn to_markdown(&self) -> String {
        let mut m = String::new();
        m.push_str(&format!(
            "# Personal data breach notification — DRAFT\n\nReference: {}  \nTitle: {}\n\n",
            field(&self.reference, text),
            field(&self.title, text)
        ));
        m.push_str(
            "> Draft prepared by vigil from the server's logs, inventory and vulnerability data. Every fact \
             below cites its evidence. Fields marked *[to be completed by the controller: …]* can only be \
             answered by the organisation and must be filled in before sending.\n\n",
        );
        m.push_str("## 1. Controller and contact point\n\n");
        m.push_str(&format!(
            "- Controller: {}\n",
            field(&self.controller, text)
        ));
        m.push_str(&format!(
            "- Controller contact: {}\n",
            field(&self.controller_contact, text)
        ));
        m.push_str(&format!(
            "- Data protection officer / contact point: {}\n",
            field(&self.dpo_contact, text)
        ));
        m.push_str(&format!(
            "- Jurisdiction: {}\n\n",
            field(&self.jurisdiction, text)
        ));

        m.push_str("## 2. Notification deadline\n\n");
        m.push_str(&format!(
            "- Became aware: {}\n",
            field(&self.aware_at, |t| format_ts(*t))
        ));
        m.push_str(&format!(
            "- Reported by: {}\n",
            field(&self.reported_by, text)
        ));
        m.push_str(&format!(
            "- **Notify the supervisory authority by: {}** ({NOTIFICATION_HOURS} hours after awareness)\n",
            field(&self.notification_deadline, |t| format_ts(*t))
        ));
        for l in &self.legal_basis {
            m.push_str(&format!("- {}\n", md(l)));
        }
        if let Some(d) = &self.delay_reasons {
            m.push_str(&format!("- Reasons for the delay: {}\n", field(d, text)));
        }
        m.push('\n');

        m.push_str("## 3. Nature of the breach\n\n");
        for n in &self.nature {
            m.push_str(&format!("{}\n\n", md(n)));
        }
        m.push_str(&format!(
            "- Systems: {}\n",
            if self.systems.is_empty() {
                "not named in the detections".into()
            } else {
                md(&self.systems.join(", "))
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
            "- Undetected for (first malicious event → awareness): {}\n",
            field(&self.dwell, text)
        ));
        m.push_str(&format!("- Alerted: {}\n", field(&self.alerting, text)));
        for w in &self.waves {
            m.push_str(&format!(
                "- Wave {}: {} → {}, {} detection(s), highest {}{}\n",
                w.number,
                format_ts(w.start),
                format_ts(w.end),
                w.detections,
                w.highest_level,
                w.link_text()
                    .map_or(String::new(), |l| format!(" — {}", md(&l)))
            ));
        }
        m.push('\n');

        m.push_str("## 4. Personal data concerned\n\n");
        m.push_str(&format!(
            "- Categories of data: {}\n",
            field(&self.data_categories, |v: &Vec<String>| v.join("; "))
        ));
        m.push_str(&format!(
            "- Data subjects (categories, approximate number): {}\n",
            field(&self.data_subjects, text)
        ));
        m.push_str(&format!(
            "- Records (approximate number): {}\n",
            field(&self.records, text)
        ));
        if self.mailboxes.is_empty() && self.mailboxes_stated_only.is_empty() {
            m.push_str("- Mailboxes exported: none shown by the logs\n");
        }
        if !self.mailboxes.is_empty() {
            m.push_str(&format!(
                "- Mailboxes taken, from the logs ({}):\n",
                self.mailboxes.len()
            ));
            for b in &self.mailboxes {
                m.push_str(&format!("  - {}", md(&b.mailbox)));
                if !b.how.is_empty() {
                    m.push_str(&format!(": {}", md(&b.how.join("; "))));
                }
                m.push('\n');
                for e in &b.evidence {
                    m.push_str(&format!("    - evidence: {}\n", md(&e.cite())));
                }
            }
        }
        for b in &self.mailbox_webshell_writes {
            m.push_str(&format!(
                "- Mailbox export abused to write a web shell (one planted item, not the mailbox content): {}\n",
                md(&b.mailbox)
            ));
            for e in &b.evidence {
                m.push_str(&format!("    - evidence: {}\n", md(&e.cite())));
            }
        }
        for b in &self.mailboxes_stated_only {
            m.push_str(&format!(
                "- Mailbox stated by the organisation, not shown by the logs: {}\n",
                md(b)
            ));
        }
        for p in &self.phishing {
            m.push_str(&format!(
                "- Phishing sent from the organisation's mail server: {}\n",
                md(&p.sentence())
            ));
            for e in &p.evidence {
                m.push_str(&format!("    - evidence: {}\n", md(&e.cite())));
            }
        }
        m.push('\n');

        m.push_str("## 5. Likely consequences\n\n");
        for c in &self.consequences {
            m.push_str(&format!("- {}\n", md(c)));
        }
        m.push_str(&format!(
            "- Assessment: {}\n\n",
            field(&self.consequences_assessment, text)
        ));

        m.push_str("## 6. Measures taken and proposed\n\n");
        m.push_str("Taken:\n\n");
        match &self.measures_taken {
            Field::Known { value, .. } => {
                for v in value {
                    m.push_str(&format!("- {}\n", md(v)));
                }
            }
            Field::ToComplete { prompt } => m.push_str(&format!("- {}\n", marker(prompt))),
        }
        m.push_str("\nProposed (from the evidence):\n\n");
        for p in &self.measures_proposed {
            m.push_str(&format!("- {}\n", md(p)));
        }
        m.push('\n');

        m.push_str(
            "## 7. Timeline (UTC)\n\n| When | What | Event | Evidence |\n|---|---|---|---|\n",
        );
        for e in &self.timeline {
            m.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                format_ts(e.datetime),
                md(&e.timestamp_desc),
                md(&e.message),
                md(&e.evidence.join("; "))
            ));
        }
        m.push('\n');

        m.push_str("## 8. Root cause\n\n");
        for (i, l) in self.root_cause.iter().enumerate() {
            m.push_str(&format!("{}. {}\n", i + 1, l.to_markdown()));
        }
        m.push('\n');

        m.push_str("## 9. Information to the data subjects\n\n");
        m.push_str(&format!("{}\n", field(&self.subjects_informed, text)));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_render_markers() {
        let f: Field<String> = Field::to_complete("DPO name");
        assert_eq!(
            field(&f, text),
            "[to be completed by the controller: DPO name]"
        );
        let hostile: Field<String> = Field::known("a|b\n<script>x</script>".into(), "t");
        assert_eq!(
            field(&hostile, text),
            "a&#124;b &lt;script&gt;x&lt;/script&gt;"
        );
        let prompt: Field<String> = Field::to_complete("x](http://e) <b>");
        assert_eq!(
            field(&prompt, text),
            "[to be completed by the controller: x\\](http://e) &lt;b&gt;]"
        );
    }
}
