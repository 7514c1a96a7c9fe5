//! Detections built for unit tests: one constructor instead of one per module.

use vigil_model::{Detection, Level, RecordRef, SourceRef};

/// A detection of `rule` (also its title) on `host`, from line 1 of `<rule>.log`, at `at` (RFC 3339)
/// when given, with `matched` fields (`context:` ones included).
pub fn detection(
    rule: &str,
    level: Level,
    tags: &[&str],
    host: Option<&str>,
    at: Option<&str>,
    matched: &[(&str, &str)],
) -> Detection {
    Detection {
        rule_id: rule.into(),
        rule_title: rule.into(),
        level,
        tags: tags.iter().map(|s| s.to_string()).collect(),
        timestamp: at.and_then(|t| t.parse().ok()),
        first_seen: None,
        host: host.map(str::to_string),
        sources: vec![SourceRef {
            file: format!("{rule}.log"),
            record: RecordRef::Line(1),
            generation: None,
        }],
        matched: matched
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}
