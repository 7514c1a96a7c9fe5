//! What a scan concludes: a known vulnerability affecting a package on an asset, with its deadline.

use crate::package::Package;
use crate::severity::Severity;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A server, container or project that vigil keeps watch over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub name: String,
    /// Policy tags such as `internet-facing`, `mail`, `patient-data`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// One problem on one package: every advisory that describes the same vulnerability (merged through
/// their aliases) is one finding. For Microsoft products the unit is the missing security update (`kb`),
/// with every CVE it fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub asset: String,
    pub package: Package,
    /// The advisory ids, the primary (most informative source) first.
    pub advisories: Vec<String>,
    /// CVE and other aliases of those advisories, CVEs first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalog.
    pub known_exploited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev_due: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<f64>,
    /// Versions (or builds) that fix it; empty when no fix exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// The security update that fixes it, for Microsoft products (KB number without prefix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb: Option<String>,
    /// The day the fix became available: the patch clock starts here, not at disclosure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_released: Option<Date>,
    /// The patch deadline under the policy; `None` when there is no fix to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
}

impl Finding {
    /// The CVE identifiers of this finding.
    pub fn cves(&self) -> impl Iterator<Item = &str> {
        self.advisories
            .iter()
            .chain(self.aliases.iter())
            .map(String::as_str)
            .filter(|s| s.starts_with("CVE-"))
    }

    /// Days past the deadline on `today` (0 or negative: not overdue).
    pub fn days_overdue(&self, today: Date) -> Option<i64> {
        let due = self.due?;
        let span = due.until(today).ok()?;
        Some(i64::from(span.get_days()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::{Ecosystem, PackageLocation};

    #[test]
    fn overdue_days_count_from_the_deadline() {
        let f = Finding {
            asset: "MAIL01".into(),
            package: Package {
                ecosystem: Ecosystem::new("Microsoft"),
                name: "Exchange Server".into(),
                version: "15.2.792.3".into(),
                purl: None,
                source_name: None,
                location: PackageLocation::default(),
            },
            advisories: vec!["KB5001779".into()],
            aliases: vec!["CVE-2021-34473".into()],
            summary: None,
            severity: Severity::Critical,
            cvss_score: Some(9.8),
            cvss_vector: None,
            known_exploited: true,
            kev_due: None,
            epss: None,
            fixed_versions: vec!["15.2.792.13".into()],
            kb: Some("5001779".into()),
            fix_released: Some(jiff::civil::date(2021, 4, 13)),
            due: Some(jiff::civil::date(2021, 4, 27)),
        };
        assert_eq!(f.days_overdue(jiff::civil::date(2021, 8, 13)), Some(108));
        assert_eq!(f.days_overdue(jiff::civil::date(2021, 4, 20)), Some(-7));
        assert_eq!(f.cves().collect::<Vec<_>>(), vec!["CVE-2021-34473"]);
    }
}
