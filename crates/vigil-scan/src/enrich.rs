//! The facts a finding carries beyond the match itself: severity from CVSS vectors or the source's
//! rating, the CISA KEV flag and due date, and the EPSS probability, looked up once per CVE.

use crate::error::ScanError;
use jiff::civil::Date;
use std::collections::HashMap;
use vigil_model::KnowledgeIndex;
use vigil_model::{Advisory, Severity};

/// A severity with the CVSS score and vector it came from, when it came from one.
#[derive(Debug, Clone, PartialEq)]
pub struct Rated {
    pub severity: Severity,
    pub cvss_score: Option<f64>,
    pub cvss_vector: Option<String>,
}

/// Rates a group of advisories describing one vulnerability: the highest CVSS base score among all their
/// vectors; when none can be scored, the highest rating a source gives; else `Unknown` (which the policy
/// treats like high: an unrated fix is not a safe fix).
pub fn rate(advisories: &[&Advisory]) -> Rated {
    let mut best: Option<(f64, String)> = None;
    for a in advisories {
        for s in a.severity.iter().filter(|s| s.kind.starts_with("CVSS_")) {
            if let Ok(scored) = vigil_knowledge::cvss::base_score(&s.score)
                && best.as_ref().is_none_or(|(b, _)| scored.base_score > *b)
            {
                best = Some((scored.base_score, s.score.trim().to_string()));
            }
        }
    }
    if let Some((score, vector)) = best {
        return Rated {
            severity: Severity::from_cvss_score(score),
            cvss_score: Some(score),
            cvss_vector: Some(vector),
        };
    }
    let severity = advisories
        .iter()
        .filter_map(|a| a.source_severity)
        .max()
        .unwrap_or(Severity::Unknown);
    Rated {
        severity,
        cvss_score: None,
        cvss_vector: None,
    }
}

/// Exploitation facts of a set of CVEs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exploitation {
    pub known_exploited: bool,
    /// The earliest KEV due date among the CVEs.
    pub kev_due: Option<Date>,
    /// The highest EPSS probability among the CVEs.
    pub epss: Option<f64>,
}

/// Caches KEV and EPSS look-ups per CVE for one scan.
#[derive(Default)]
pub struct ExploitCache {
    kev: HashMap<String, Option<Option<Date>>>,
    epss: HashMap<String, Option<f64>>,
}

impl ExploitCache {
    pub fn lookup<'a>(
        &mut self,
        store: &dyn KnowledgeIndex,
        cves: impl IntoIterator<Item = &'a str>,
    ) -> Result<Exploitation, ScanError> {
        let mut out = Exploitation::default();
        for cve in cves {
            let kev = match self.kev.get(cve) {
                Some(k) => *k,
                None => {
                    let k = store.kev(cve)?.map(|e| e.due_date);
                    self.kev.insert(cve.to_string(), k);
                    k
                }
            };
            if let Some(due) = kev {
                out.known_exploited = true;
                if let Some(due) = due {
                    out.kev_due = Some(out.kev_due.map_or(due, |d| d.min(due)));
                }
            }
            let epss = match self.epss.get(cve) {
                Some(e) => *e,
                None => {
                    let e = store.epss(cve)?.map(|s| s.epss);
                    self.epss.insert(cve.to_string(), e);
                    e
                }
            };
            if let Some(e) = epss.filter(|e| e.is_finite()) {
                out.epss = Some(out.epss.map_or(e, |x: f64| x.max(e)));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::SeverityScore;

    fn adv(id: &str, vectors: &[&str], source: Option<Severity>) -> Advisory {
        Advisory {
            id: id.into(),
            source: "osv".into(),
            modified: jiff::Timestamp::UNIX_EPOCH,
            published: None,
            withdrawn: None,
            aliases: vec![],
            related: vec![],
            summary: None,
            details: None,
            severity: vectors
                .iter()
                .map(|v| SeverityScore {
                    kind: if v.starts_with("CVSS:4") {
                        "CVSS_V4"
                    } else {
                        "CVSS_V3"
                    }
                    .into(),
                    score: (*v).into(),
                })
                .collect(),
            source_severity: source,
            affected: vec![],
            references: vec![],
            database_specific: None,
        }
    }

    #[test]
    fn highest_vector_wins_then_source_rating_then_unknown() {
        let a = adv("A", &["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], None);
        let b = adv(
            "B",
            &["CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N"],
            Some(Severity::Low),
        );
        let r = rate(&[&b, &a]);
        assert_eq!(r.severity, Severity::Critical);
        assert_eq!(r.cvss_score, Some(9.8));
        assert!(r.cvss_vector.unwrap().starts_with("CVSS:3.1/AV:N/AC:L"));

        let c = adv("C", &["garbage"], Some(Severity::Medium));
        let d = adv("D", &[], Some(Severity::High));
        let r = rate(&[&c, &d]);
        assert_eq!((r.severity, r.cvss_score), (Severity::High, None));

        assert_eq!(rate(&[&adv("E", &[], None)]).severity, Severity::Unknown);
    }
}
