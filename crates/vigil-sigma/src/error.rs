//! Why a rule was not loaded or not compiled, and where.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A rule (or a whole file) that could not be used.
///
/// `origin` is the file (or the name given to [`crate::parse_rules_str`]), `document` the
/// 1-based YAML document inside it, `path` the YAML path of the offending entry
/// (`detection.selection.Image|foo`), `rule` the rule's id or title when known.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    pub origin: String,
    pub document: Option<usize>,
    pub rule: Option<String>,
    pub path: String,
    pub reason: String,
}

impl RuleError {
    pub fn new(
        origin: &str,
        document: Option<usize>,
        path: &str,
        reason: impl Into<String>,
    ) -> Self {
        RuleError {
            origin: origin.to_string(),
            document,
            rule: None,
            path: path.to_string(),
            reason: reason.into(),
        }
    }

    pub fn with_rule(mut self, rule: Option<String>) -> Self {
        self.rule = rule;
        self
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(d) = self.document {
            write!(f, " (document {d})")?;
        }
        if let Some(r) = &self.rule {
            write!(f, " [{r}]")?;
        }
        if !self.path.is_empty() {
            write!(f, " at {}", self.path)?;
        }
        write!(f, ": {}", self.reason)
    }
}
