//! CVSS base scores from vectors, for sources that publish a vector but no number (OSV, RustSec).
//!
//! Scoring is delegated to RustSec's `cvss` crate, which implements the v3.0/v3.1 base equations with
//! the spec's Roundup function and v4.0 with FIRST's macro-vector lookup table; this module only
//! picks the version from the prefix and maps the result onto vigil's severities.

use std::str::FromStr;

use vigil_model::{Severity, SeverityScore};

/// Which CVSS version a vector is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CvssVersion {
    V2,
    V30,
    V31,
    V40,
}

/// A scored vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvssScore {
    pub version: CvssVersion,
    pub base_score: f64,
}

impl CvssScore {
    pub fn severity(&self) -> Severity {
        Severity::from_cvss_score(self.base_score)
    }
}

/// Scores a CVSS vector (`CVSS:3.1/AV:N/…`, `CVSS:4.0/AV:N/…`, or a bare v2 vector). Temporal and
/// environmental metrics in a v3 vector are accepted and ignored: the base score is what sources
/// publish and what policies are written against.
pub fn base_score(vector: &str) -> Result<CvssScore, String> {
    let vector = vector.trim();
    let parsed =
        cvss::Cvss::from_str(vector).map_err(|e| format!("invalid CVSS vector '{vector}': {e}"))?;
    let version = match &parsed {
        cvss::Cvss::CvssV20(_) => CvssVersion::V2,
        cvss::Cvss::CvssV30(_) => CvssVersion::V30,
        cvss::Cvss::CvssV31(_) => CvssVersion::V31,
        cvss::Cvss::CvssV40(_) => CvssVersion::V40,
        _ => return Err(format!("unsupported CVSS version in '{vector}'")),
    };
    let score = parsed.score();
    if !(0.0..=10.0).contains(&score) {
        return Err(format!(
            "CVSS vector '{vector}' scored out of range: {score}"
        ));
    }
    Ok(CvssScore {
        version,
        base_score: score,
    })
}

/// The highest base score among an advisory's published vectors, skipping ones that cannot be
/// scored (e.g. `Ubuntu` ratings).
pub fn best_score(scores: &[SeverityScore]) -> Option<CvssScore> {
    scores
        .iter()
        .filter(|s| s.kind.starts_with("CVSS_"))
        .filter_map(|s| base_score(&s.score).ok())
        .max_by(|a, b| a.base_score.total_cmp(&b.base_score))
}
