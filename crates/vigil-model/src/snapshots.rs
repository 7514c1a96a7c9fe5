//! Scan snapshots of assets and the findings tracked across them: plain values, shared by every back end.
//!
//! A finding is identified on its asset by a key ([`finding_key`]): the package (ecosystem and normalised
//! name) and the vulnerability — the KB for a Microsoft update, else the lowest CVE among the finding's
//! ids and aliases, else its primary advisory id. CVEs are preferred over advisory ids because which
//! advisory is primary can change when knowledge is updated (a GHSA merged in), while the CVE stays; the
//! version is not part of the key, so a package upgraded to a version that is still affected keeps its
//! finding and its first-seen date.

use crate::{Asset, Finding, Package};
use jiff::Timestamp;
use jiff::civil::Date;

/// One scan of one asset, to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub asset: Asset,
    pub taken_at: Timestamp,
    /// The files, directories or roots that were scanned.
    pub inputs: Vec<String>,
    pub packages: Vec<Package>,
    /// The findings of the scan (ignored ones included: an exception is not a fix).
    pub findings: Vec<Finding>,
    /// The newest update installation the inputs evidence (a Windows inventory's `Get-HotFix` dates).
    pub last_update: Option<Date>,
}

/// What storing a snapshot changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedSnapshot {
    pub snapshot: i64,
    /// Findings seen for the first time (or again after being resolved).
    pub new: usize,
    /// Findings that were open and are still present.
    pub still_open: usize,
    /// Findings that were open and are absent from this snapshot: resolved at its time.
    pub resolved: usize,
}

/// An asset as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRecord {
    pub asset: Asset,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// A stored snapshot, without its packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub id: i64,
    pub asset: String,
    pub taken_at: Timestamp,
    pub inputs: Vec<String>,
    pub packages: usize,
    pub findings: usize,
    pub last_update: Option<Date>,
}

/// One occurrence of a finding on an asset across snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    pub asset: String,
    pub key: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// When a snapshot first lacked it; `None` while open.
    pub resolved_at: Option<Timestamp>,
    /// The finding as last seen (its `due` as computed then).
    pub finding: Finding,
}

/// The key a finding is tracked under on its asset (see the module documentation).
pub fn finding_key(f: &Finding) -> String {
    let eco = &f.package.ecosystem;
    let name = eco.normalize_name(&f.package.name);
    let vuln = match f.kb.as_deref() {
        Some(kb) => format!("KB{}", kb.trim()),
        None => f
            .cves()
            .map(|c| c.to_ascii_uppercase())
            .min_by(|a, b| cve_order(a).cmp(&cve_order(b)))
            .or_else(|| f.advisories.first().cloned())
            .unwrap_or_default(),
    };
    format!("{eco}/{name}#{vuln}")
}

/// Orders CVE ids by year and number (so `CVE-2021-9999` comes before `CVE-2021-10000`).
fn cve_order(cve: &str) -> (u32, u64, &str) {
    let mut parts = cve.splitn(3, '-').skip(1);
    let year = parts
        .next()
        .and_then(|y| y.parse().ok())
        .unwrap_or(u32::MAX);
    let num = parts
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    (year, num, cve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ecosystem, PackageLocation, Severity};

    #[test]
    fn keys_prefer_kb_then_lowest_cve() {
        let mut f = Finding {
            asset: "a".into(),
            package: Package {
                ecosystem: Ecosystem::new("PyPI"),
                name: "Flask_SQLAlchemy".into(),
                version: "1.0".into(),
                purl: None,
                source_name: None,
                location: PackageLocation::default(),
            },
            advisories: vec!["PYSEC-1".into(), "GHSA-x".into()],
            aliases: vec!["CVE-2021-10000".into(), "CVE-2021-9999".into()],
            summary: None,
            severity: Severity::High,
            cvss_score: None,
            cvss_vector: None,
            known_exploited: false,
            kev_due: None,
            epss: None,
            fixed_versions: vec![],
            kb: None,
            fix_released: None,
            due: None,
        };
        assert_eq!(finding_key(&f), "PyPI/flask-sqlalchemy#CVE-2021-9999");
        f.aliases.clear();
        assert_eq!(finding_key(&f), "PyPI/flask-sqlalchemy#PYSEC-1");
        f.kb = Some("5001779".into());
        assert_eq!(finding_key(&f), "PyPI/flask-sqlalchemy#KB5001779");
    }
}
