//! Microsoft products, where the unit of a finding is the missing security update with every CVE it
//! fixes: Exchange Server by the build of `ExSetup.exe` ([`exchange`]), Windows by the installed updates
//! that `Get-HotFix` lists and the OS build ([`windows`]).

pub mod exchange;
pub mod windows;

use crate::error::ScanError;
use crate::matcher::{MatchOutput, Matcher};
use crate::notes::{NotAssessed, NotAssessedKind, package_label};
use jiff::civil::Date;
use std::collections::BTreeSet;
use vigil_model::{Finding, MicrosoftFix, Package, Severity};

/// What a Windows inventory says beyond its packages: the OS and the installed updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostUpdates {
    /// `Microsoft Windows Server 2019 Standard`.
    pub os_caption: Option<String>,
    /// `10.0.17763.1757`.
    pub os_build: Option<String>,
    /// Installed updates: KB number without prefix, and the day it was installed when known.
    pub installed: Vec<(String, Option<Date>)>,
}

impl HostUpdates {
    /// Whether an update (`KB5001779` or `5001779`) is installed.
    pub fn has_kb(&self, kb: &str) -> bool {
        let want = kb_number(kb);
        !want.is_empty() && self.installed.iter().any(|(k, _)| kb_number(k) == want)
    }

    /// The day of the most recently installed update.
    pub fn last_installed(&self) -> Option<(&str, Date)> {
        self.installed
            .iter()
            .filter_map(|(k, d)| d.map(|d| (k.as_str(), d)))
            .max_by_key(|(_, d)| *d)
    }
}

/// A KB number without its `KB` prefix.
pub fn kb_number(kb: &str) -> &str {
    let t = kb.trim();
    match (t.get(..2), t.get(2..)) {
        (Some(p), Some(rest)) if p.eq_ignore_ascii_case("kb") => rest.trim(),
        _ => t,
    }
}

/// Assesses one package of the `Microsoft` ecosystem.
pub fn assess(
    matcher: &mut Matcher<'_>,
    asset: &str,
    package: &Package,
    host: Option<&HostUpdates>,
    out: &mut MatchOutput,
) -> Result<(), ScanError> {
    match package.name.as_str() {
        "Exchange Server" => exchange::assess(matcher, asset, package, out),
        "Windows Server" | "Windows" => windows::assess(matcher, asset, package, host, out),
        other => {
            out.not_assessed.push(NotAssessed::new(
                NotAssessedKind::NoKnowledge,
                package_label(package),
                format!("vigil has no update check for the Microsoft product {other:?}"),
            ));
            Ok(())
        }
    }
}

/// A missing update: its KB, the build it brings, its release day and the finding's summary.
pub(crate) struct Update<'a> {
    pub kb: &'a str,
    pub fixed_build: Option<String>,
    pub released: Option<Date>,
    pub summary: String,
}

/// One finding for one missing update: every CVE its fix rows name, the highest vendor rating and CVSS
/// score among them, KEV and EPSS over all of them.
pub(crate) fn update_finding(
    matcher: &mut Matcher<'_>,
    asset: &str,
    package: &Package,
    update: Update<'_>,
    rows: &[&MicrosoftFix],
) -> Result<Finding, ScanError> {
    let Update {
        kb,
        fixed_build,
        released,
        summary,
    } = update;
    let cves: BTreeSet<String> = rows
        .iter()
        .map(|r| r.cve.trim().to_ascii_uppercase())
        .collect();
    let mut severity = rows
        .iter()
        .filter_map(|r| r.severity)
        .max()
        .unwrap_or(Severity::Unknown);
    let best = rows
        .iter()
        .filter(|r| r.cvss_score.is_some_and(f64::is_finite))
        .max_by(|a, b| {
            a.cvss_score
                .unwrap_or(0.0)
                .total_cmp(&b.cvss_score.unwrap_or(0.0))
        });
    let cvss_score = best.and_then(|r| r.cvss_score);
    if severity == Severity::Unknown
        && let Some(score) = cvss_score
    {
        severity = Severity::from_cvss_score(score);
    }
    let exploit = matcher
        .exploits
        .lookup(matcher.store(), cves.iter().map(String::as_str))?;
    let released = released.or_else(|| rows.iter().map(|r| r.release_date).min());
    Ok(Finding {
        asset: asset.to_string(),
        package: package.clone(),
        advisories: vec![format!("KB{kb}")],
        aliases: cves.into_iter().collect(),
        summary: Some(summary),
        severity,
        cvss_score,
        cvss_vector: best.and_then(|r| r.cvss_vector.clone()),
        known_exploited: exploit.known_exploited,
        kev_due: exploit.kev_due,
        epss: exploit.epss,
        fixed_versions: fixed_build.into_iter().collect(),
        kb: Some(kb.to_string()),
        fix_released: released,
        due: None,
    })
}
