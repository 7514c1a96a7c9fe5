//! Triage: detections set aside as false positives, from the command line (`RULE@FILE:RECORD`) and from
//! the incident record's `dismissed` list.

use crate::PipelineError;
use std::path::Path;
use vigil_model::{Detection, RecordRef, SourceRef};

/// A triage decision: `RULE@FILE:RECORD` (`RULE` may be `*` for every rule on that record; `FILE` matches
/// the end of the detection's file path on a `/` boundary; `RECORD` is the line, EVTX record id or offset
/// vigil cites as evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dismissal {
    pub rule: String,
    pub file: String,
    pub record: u64,
    pub reason: String,
}

impl Dismissal {
    pub fn parse(s: &str, reason: &str) -> Result<Dismissal, PipelineError> {
        let invalid = |reason: String| PipelineError::Dismissal {
            given: s.to_string(),
            reason,
        };
        let shape = || invalid("expected RULE@FILE:RECORD".into());
        let (rule, rest) = s.split_once('@').ok_or_else(shape)?;
        let (file, record) = rest.rsplit_once(':').ok_or_else(shape)?;
        let record: u64 = record
            .trim()
            .trim_start_matches("line ")
            .trim_start_matches("record ")
            .parse()
            .map_err(|e| invalid(format!("the record must be a number: {e}")))?;
        if rule.trim().is_empty() || file.trim().is_empty() {
            return Err(shape());
        }
        Ok(Dismissal {
            rule: rule.trim().to_string(),
            file: file.trim().replace('\\', "/"),
            record,
            reason: reason.to_string(),
        })
    }

    pub fn matches(&self, d: &Detection) -> Option<SourceRef> {
        if self.rule != "*" && !self.rule.eq_ignore_ascii_case(&d.rule_id) {
            return None;
        }
        d.sources
            .iter()
            .find(|s| {
                let n = match s.record {
                    RecordRef::Line(n) | RecordRef::EvtxRecord(n) | RecordRef::Offset(n) => n,
                };
                let file = s.file.replace('\\', "/");
                n == self.record
                    && (file == self.file || file.ends_with(&format!("/{}", self.file)))
            })
            .cloned()
    }
}

/// `dismissed = [{ detection = "RULE@FILE:RECORD", reason = "…" }]` in incident.toml (also plain strings).
pub fn record_dismissals(path: &Path) -> Result<Vec<Dismissal>, PipelineError> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Entry {
        Plain(String),
        Full {
            detection: String,
            #[serde(default)]
            reason: Option<String>,
        },
    }
    #[derive(serde::Deserialize, Default)]
    struct Extra {
        #[serde(default)]
        dismissed: Vec<Entry>,
    }
    let text = std::fs::read_to_string(path).map_err(|error| PipelineError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let extra: Extra = toml::from_str(&text).map_err(|e| PipelineError::RecordDismissals {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    extra
        .dismissed
        .into_iter()
        .map(|e| match e {
            Entry::Plain(s) => Dismissal::parse(&s, &format!("dismissed in {}", path.display())),
            Entry::Full { detection, reason } => Dismissal::parse(
                &detection,
                reason
                    .as_deref()
                    .unwrap_or("dismissed in the incident record"),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Level;

    fn det(rule: &str, file: &str, rec: RecordRef) -> Detection {
        Detection {
            rule_id: rule.into(),
            rule_title: rule.into(),
            level: Level::High,
            tags: vec![],
            timestamp: None,
            first_seen: None,
            host: None,
            sources: vec![SourceRef {
                file: file.into(),
                record: rec,
                generation: None,
            }],
            matched: vec![],
        }
    }

    #[test]
    fn dismissals_match_rule_file_suffix_and_record() {
        let d = Dismissal::parse("*@MSExchange_Management.jsonl:1", "leaver").unwrap();
        let hit = det(
            "x",
            "examples/logs/windows/MSExchange_Management.jsonl",
            RecordRef::Line(1),
        );
        assert!(d.matches(&hit).is_some());
        assert!(
            d.matches(&det(
                "x",
                "a/XMSExchange_Management.jsonl",
                RecordRef::Line(1)
            ))
            .is_none()
        );
        assert!(
            d.matches(&det("x", "MSExchange_Management.jsonl", RecordRef::Line(2)))
                .is_none()
        );
        let r = Dismissal::parse("516376b4@Security.evtx:8810", "").unwrap();
        assert!(
            r.matches(&det(
                "516376B4",
                "c:\\logs\\Security.evtx",
                RecordRef::EvtxRecord(8810)
            ))
            .is_some()
        );
        assert!(
            r.matches(&det("other", "Security.evtx", RecordRef::EvtxRecord(8810)))
                .is_none()
        );
        assert!(Dismissal::parse("no-at-sign", "").is_err());
        assert!(Dismissal::parse("r@file", "").is_err());
        assert!(Dismissal::parse("r@file:x", "").is_err());
        assert!(Dismissal::parse("@file:1", "").is_err());
    }
}
