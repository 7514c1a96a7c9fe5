//! What a scan looked at but could not evaluate, and why: every report ends with these.

use serde::{Deserialize, Serialize};

/// Why something was not assessed; stable names for the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotAssessedKind {
    /// An input could not be read or parsed, or an entry in it had no usable version (collector notes).
    Input,
    /// The package's ecosystem has no version ordering vigil implements.
    UnknownEcosystem,
    /// The installed version is not valid in its ecosystem's scheme.
    InvalidVersion,
    /// An advisory names the package but cannot be decided from a version (GIT-only ranges, malformed).
    NotEvaluable,
    /// The knowledge base holds nothing for this ecosystem or product.
    NoKnowledge,
    /// The knowledge is older than the staleness limit (or a source's last update failed).
    StaleKnowledge,
    /// The product version no longer receives security updates: later fixes are published only for newer
    /// versions, so whether this one is affected is unknown.
    Unsupported,
    /// A newer security update exists but the knowledge base does not say what it fixes.
    UnknownUpdate,
}

impl NotAssessedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotAssessedKind::Input => "input",
            NotAssessedKind::UnknownEcosystem => "unknown-ecosystem",
            NotAssessedKind::InvalidVersion => "invalid-version",
            NotAssessedKind::NotEvaluable => "not-evaluable",
            NotAssessedKind::NoKnowledge => "no-knowledge",
            NotAssessedKind::StaleKnowledge => "stale-knowledge",
            NotAssessedKind::Unsupported => "unsupported",
            NotAssessedKind::UnknownUpdate => "unknown-update",
        }
    }
}

/// One thing not assessed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NotAssessed {
    pub kind: NotAssessedKind,
    /// `file:line`, a package (`crates.io/foo@1.0`), a product or a knowledge source.
    pub location: String,
    pub reason: String,
}

impl NotAssessed {
    pub fn new(
        kind: NotAssessedKind,
        location: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        NotAssessed {
            kind,
            location: location.into(),
            reason: reason.into(),
        }
    }
}

/// How a package is named in notes: `crates.io/smallvec@1.6.0 (Cargo.lock:42)`.
pub fn package_label(p: &vigil_model::Package) -> String {
    let mut s = format!("{}/{}@{}", p.ecosystem, p.name, p.version);
    if !p.location.file.is_empty() {
        match p.location.line {
            Some(line) => s.push_str(&format!(" ({}:{line})", p.location.file)),
            None => s.push_str(&format!(" ({})", p.location.file)),
        }
    }
    s
}
