//! Builders for the records the tests import.
#![allow(dead_code)]

use jiff::Timestamp;
use jiff::civil::Date;
use vigil_model::{
    Advisory, Affected, AffectedPackage, Ecosystem, EpssScore, KevEntry, MicrosoftFix, Range,
    RangeEvent, RangeKind, Severity,
};

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// An advisory `id` from `source`, modified at `modified`, affecting `packages` (ecosystem, name), fixed
/// in 2.0.
pub fn advisory(id: &str, source: &str, modified: &str, packages: &[(&str, &str)]) -> Advisory {
    Advisory {
        id: id.to_string(),
        source: source.to_string(),
        modified: ts(modified),
        published: Some(ts("2021-12-10T00:00:00Z")),
        withdrawn: None,
        aliases: Vec::new(),
        related: Vec::new(),
        summary: Some(format!("summary of {id}")),
        details: None,
        severity: Vec::new(),
        source_severity: None,
        affected: packages
            .iter()
            .map(|(eco, name)| Affected {
                package: AffectedPackage {
                    ecosystem: Ecosystem::new(*eco),
                    name: name.to_string(),
                    purl: None,
                },
                ranges: vec![Range {
                    kind: RangeKind::Ecosystem,
                    repo: None,
                    events: vec![
                        RangeEvent::Introduced("0".into()),
                        RangeEvent::Fixed("2.0".into()),
                    ],
                }],
                versions: Vec::new(),
                ecosystem_specific: None,
                database_specific: None,
            })
            .collect(),
        references: Vec::new(),
        database_specific: None,
    }
}

pub fn with_aliases(mut a: Advisory, aliases: &[&str]) -> Advisory {
    a.aliases = aliases.iter().map(|s| s.to_string()).collect();
    a
}

pub fn ids(advisories: &[Advisory]) -> Vec<&str> {
    advisories.iter().map(|a| a.id.as_str()).collect()
}

pub fn kev(cve: &str, product: &str) -> KevEntry {
    KevEntry {
        cve: cve.to_string(),
        vendor: "Microsoft".into(),
        product: product.into(),
        name: format!("Microsoft {product} Vulnerability"),
        date_added: date("2021-11-03"),
        due_date: Some(date("2021-11-17")),
        known_ransomware: true,
        required_action: Some("Apply updates per vendor instructions.".into()),
    }
}

pub fn epss(cve: &str, score: f64, percentile: f64) -> EpssScore {
    EpssScore {
        cve: cve.to_string(),
        epss: score,
        percentile,
        date: date("2025-08-25"),
    }
}

pub fn ms_fix(cve: &str, product: &str, product_id: &str, kb: &str, build: &str) -> MicrosoftFix {
    MicrosoftFix {
        cve: cve.to_string(),
        product: product.to_string(),
        product_id: product_id.to_string(),
        kb: kb.to_string(),
        fixed_build: Some(build.to_string()),
        supersedes: vec!["5000871".into()],
        release_date: date("2021-07-13"),
        severity: Some(Severity::Critical),
        cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C".into()),
        cvss_score: Some(9.8),
        document: "2021-Jul".into(),
    }
}
