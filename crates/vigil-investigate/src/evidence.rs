//! Evidence and the links of a root-cause chain.
//!
//! A regulator asks "why and how was this able to occur". Each answer vigil gives is a [`Link`]: a claim,
//! whether the data establishes it, and the records it rests on. When the data is missing the link is
//! [`LinkStatus::Unknown`] and says which data would settle it; vigil never fills the gap with a guess.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use vigil_model::{Detection, Finding, SourceRef};

/// Longest list of records cited for one detection; the rest are counted.
pub const MAX_CITED_SOURCES: usize = 20;

/// One piece of evidence a claim rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A detection: the rule, when, and the log records behind it.
    Detection {
        rule_id: String,
        rule_title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timestamp: Option<Timestamp>,
        sources: Vec<SourceRef>,
        /// Records behind the detection beyond those listed.
        #[serde(default, skip_serializing_if = "is_zero")]
        more_sources: usize,
    },
    /// A vulnerability finding, by its key, advisories and (Microsoft) KB.
    Finding {
        key: String,
        advisories: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kb: Option<String>,
        /// The inventory file the package was read from.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        location: String,
    },
    /// The rule → CVE link: a `cve.*` tag of the rule or vigil's curated table.
    RuleCve {
        rule_id: String,
        cve: String,
        /// `tag cve.2021-34473` or `rules/cve-map.yml (confidence high)`.
        via: String,
    },
    /// An inventory observation (when a version was seen or a fix applied).
    Inventory {
        asset: String,
        package: String,
        version: String,
        observed_at: Timestamp,
        file: String,
    },
    /// A log source's health record.
    LogSource {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_seen: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_seen: Option<Timestamp>,
    },
    /// An alert record: raised, and acknowledged or not.
    Alert {
        rule_id: String,
        source: SourceRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raised_at: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        acknowledged_at: Option<Timestamp>,
    },
    /// A fact stated by a person in the incident record (`incident.toml`), not derived by vigil.
    Stated { field: String, value: String },
    /// A note of the vulnerability scan (e.g. a product out of support), with what it says.
    ScanNote { asset: String, note: String },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Evidence {
    /// Evidence citing a detection and (up to [`MAX_CITED_SOURCES`] of) its records.
    pub fn detection(d: &Detection) -> Evidence {
        let shown = d.sources.len().min(MAX_CITED_SOURCES);
        Evidence::Detection {
            rule_id: d.rule_id.clone(),
            rule_title: d.rule_title.clone(),
            timestamp: d.timestamp,
            sources: d.sources.iter().take(shown).cloned().collect(),
            more_sources: d.sources.len() - shown,
        }
    }

    /// Evidence citing a finding.
    pub fn finding(f: &Finding) -> Evidence {
        Evidence::Finding {
            key: finding_key(f),
            advisories: f.advisories.clone(),
            kb: f.kb.clone(),
            location: f.package.location.file.clone(),
        }
    }

    /// One line for reports and the timeline's `evidence` column.
    pub fn cite(&self) -> String {
        match self {
            Evidence::Detection {
                rule_id,
                rule_title,
                sources,
                more_sources,
                ..
            } => {
                let mut refs: Vec<String> = sources.iter().map(cite_source).collect();
                if *more_sources > 0 {
                    refs.push(format!("and {more_sources} more"));
                }
                format!(
                    "detection '{rule_title}' (rule {rule_id}): {}",
                    refs.join(", ")
                )
            }
            Evidence::Finding {
                key,
                advisories,
                kb,
                location,
            } => {
                let mut s = format!("finding {key} ({})", advisories.join(", "));
                if let Some(kb) = kb {
                    let kb = format!("KB{}", kb.trim_start_matches("KB"));
                    if !advisories.iter().any(|a| a.eq_ignore_ascii_case(&kb)) {
                        s.push_str(&format!(", {kb}"));
                    }
                }
                if !location.is_empty() {
                    s.push_str(&format!(", from {location}"));
                }
                s
            }
            Evidence::RuleCve { rule_id, cve, via } => format!("rule {rule_id} → {cve} via {via}"),
            Evidence::Inventory {
                asset,
                package,
                version,
                observed_at,
                file,
            } => {
                format!("inventory of {asset} at {observed_at}: {package} {version} ({file})")
            }
            Evidence::LogSource {
                name,
                first_seen,
                last_seen,
            } => format!(
                "log source {name}: first seen {}, last seen {}",
                first_seen.map_or("never".to_string(), |t| t.to_string()),
                last_seen.map_or("never".to_string(), |t| t.to_string())
            ),
            Evidence::Alert {
                rule_id,
                source,
                raised_at,
                acknowledged_at,
            } => format!(
                "alert for rule {rule_id} on {}: raised {}, acknowledged {}",
                cite_source(source),
                raised_at.map_or("(time not recorded)".to_string(), |t| t.to_string()),
                acknowledged_at.map_or("never".to_string(), |t| t.to_string())
            ),
            Evidence::Stated { field, value } => {
                format!("stated in the incident record: {field} = {value}")
            }
            Evidence::ScanNote { asset, note } => format!("scan of {asset}: {note}"),
        }
    }
}

/// `file record 8815` / `file line 12`.
pub fn cite_source(s: &SourceRef) -> String {
    format!("{} {}", s.file, s.record)
}

/// A stable, readable key for a finding: `asset/ecosystem/package@version/primary advisory`.
pub fn finding_key(f: &Finding) -> String {
    format!(
        "{}/{}/{}@{}/{}",
        f.asset,
        f.package.ecosystem,
        f.package.name,
        f.package.version,
        f.advisories.first().map_or("-", String::as_str)
    )
}

/// Whether a claim is established by the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LinkStatus {
    /// The cited evidence establishes the claim.
    Established,
    /// The evidence points to the claim but does not prove it; `gap` says what is not shown.
    Inferred { gap: String },
    /// Not known. `settle_with` names the data that would settle it.
    Unknown { settle_with: String },
}

/// One link of a root-cause chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub claim: String,
    #[serde(flatten)]
    pub status: LinkStatus,
    pub evidence: Vec<Evidence>,
}

impl Link {
    pub fn established(claim: impl Into<String>, evidence: Vec<Evidence>) -> Link {
        Link {
            claim: claim.into(),
            status: LinkStatus::Established,
            evidence,
        }
    }

    pub fn inferred(
        claim: impl Into<String>,
        gap: impl Into<String>,
        evidence: Vec<Evidence>,
    ) -> Link {
        Link {
            claim: claim.into(),
            status: LinkStatus::Inferred { gap: gap.into() },
            evidence,
        }
    }

    pub fn unknown(
        claim: impl Into<String>,
        settle_with: impl Into<String>,
        evidence: Vec<Evidence>,
    ) -> Link {
        Link {
            claim: claim.into(),
            status: LinkStatus::Unknown {
                settle_with: settle_with.into(),
            },
            evidence,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.status, LinkStatus::Unknown { .. })
    }

    /// The link as one Markdown list-item body: claim, status and citations. Claims and citations carry
    /// rule titles, file names and values from logs, so all of it is escaped
    /// ([`vigil_model::text::markdown`]); only the `**unknown**` marker is markup.
    pub fn to_markdown(&self) -> String {
        use vigil_model::text::markdown as md;
        let mut s = match &self.status {
            LinkStatus::Established => md(&self.claim),
            LinkStatus::Inferred { gap } => format!("{} (inferred: {})", md(&self.claim), md(gap)),
            LinkStatus::Unknown { settle_with } => format!(
                "**unknown**: {}. Would be settled by: {}",
                md(&self.claim),
                md(settle_with)
            ),
        };
        for e in &self.evidence {
            s.push_str(&format!("\n  - evidence: {}", md(&e.cite())));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_links_are_escaped() {
        let l = Link::unknown(
            "<img src=x onerror=alert(1)>",
            "**bold** [x](http://e)",
            vec![Evidence::Stated {
                field: "title".into(),
                value: "\u{1b}[2J\u{7}".into(),
            }],
        );
        let s = l.to_markdown();
        assert!(s.starts_with("**unknown**: &lt;img"), "{s}");
        assert!(
            !s.contains("<img")
                && !s.contains("[x](")
                && !s.contains('\u{1b}')
                && !s.contains('\u{7}'),
            "{s}"
        );
    }
}
