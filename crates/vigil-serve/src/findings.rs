//! Vulnerability findings as alerts and as the daily digest: one alert per finding with a deadline
//! (deduplicated by [`finding_alert_key`]), updated when it becomes overdue or enters CISA's KEV
//! catalogue (a notice either way, acknowledged or not), and the per-asset digest lines.

use jiff::civil::Date;
use vigil_alert::DigestFinding;
use vigil_model::{Finding, Level, Severity};
use vigil_store::{Alert, AlertSubject, Evidence, NewAlert, StoredFinding, finding_alert_key};

/// Evidence labels the news of an update compares; stable, as stored alerts carry them.
const OVERDUE: &str = "overdue";
const KEV: &str = "known exploited";

/// CVEs and advisories listed in an alert; the rest are counted.
const MAX_IDS: usize = 8;

/// The alert level of a finding: its severity, unrated counting as high (as `--fail-on` does), at
/// least high when exploited in the wild, one level higher once its deadline has passed.
pub fn finding_level(f: &Finding, overdue: bool) -> Level {
    let mut level = match f.severity {
        Severity::Critical => Level::Critical,
        Severity::High | Severity::Unknown => Level::High,
        Severity::Medium => Level::Medium,
        Severity::Low | Severity::None => Level::Low,
    };
    if f.known_exploited {
        level = level.max(Level::High);
    }
    if overdue {
        level = match level {
            Level::Informational => Level::Low,
            Level::Low => Level::Medium,
            Level::Medium => Level::High,
            Level::High | Level::Critical => Level::Critical,
        };
    }
    level
}

/// The identifier a person looks up: the KB article, else the first CVE, else the advisory.
pub fn finding_id(f: &Finding) -> String {
    match f.kb.as_deref() {
        Some(kb) => format!("KB{}", kb.trim()),
        None => f
            .cves()
            .next()
            .or(f.advisories.first().map(String::as_str))
            .unwrap_or("unnamed advisory")
            .to_string(),
    }
}

/// The alert of a stored finding on `today`; `None` for a finding without a deadline (no fix to
/// apply yet: the digest lists it, nobody can act on it now).
pub fn finding_alert(stored: &StoredFinding, today: Date) -> Option<NewAlert> {
    let f = &stored.finding;
    let due = f.due?;
    let late = f.days_overdue(today).filter(|d| *d > 0);
    let id = finding_id(f);
    let title = match late {
        Some(_) => format!(
            "{id} on {}: {} {} — patch overdue since {due}",
            stored.asset, f.package.name, f.package.version
        ),
        None => format!(
            "{id} on {}: {} {} — patch by {due}",
            stored.asset, f.package.name, f.package.version
        ),
    };
    let ids: Vec<&str> = f
        .cves()
        .chain(f.advisories.iter().map(String::as_str))
        .collect();
    let mut listed: Vec<&str> = Vec::new();
    for i in ids {
        if !listed.contains(&i) {
            listed.push(i);
        }
    }
    let more = listed.len().saturating_sub(MAX_IDS);
    let mut shown = listed
        .iter()
        .take(MAX_IDS)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        shown.push_str(&format!(" and {more} more"));
    }
    let mut evidence = vec![
        Evidence::new(
            "package",
            format!("{} {}", f.package.name, f.package.version),
        ),
        Evidence::new("vulnerabilities", shown),
        Evidence::new("deadline", due.to_string()),
        Evidence::new(KEV, if f.known_exploited { "yes" } else { "no" }),
        Evidence::new("first seen", stored.first_seen.to_string()),
    ];
    if let Some(fixed) = f.fixed_versions.first() {
        evidence.push(Evidence::new("fixed in", fixed.clone()));
    }
    if let Some(days) = late {
        evidence.push(Evidence::new(OVERDUE, format!("{days} day(s)")));
    }
    Some(NewAlert {
        dedup_key: finding_alert_key(&stored.asset, &stored.key),
        subject: AlertSubject::Finding,
        reference: stored.key.clone(),
        severity: finding_level(f, late.is_some()),
        title,
        asset: Some(stored.asset.clone()),
        evidence,
    })
}

fn value<'a>(a: &'a Alert, label: &str) -> Option<&'a str> {
    a.evidence
        .iter()
        .find(|e| e.label == label)
        .map(|e| e.value.as_str())
}

/// What in an update of a finding's alert a person must hear: the deadline passing, or the
/// vulnerability entering CISA's KEV catalogue. A day more of being overdue is not news.
pub fn finding_news(before: &Alert, after: &Alert) -> Option<String> {
    let mut news = Vec::new();
    if value(before, OVERDUE).is_none()
        && let Some(days) = value(after, OVERDUE)
    {
        let due = value(after, "deadline").unwrap_or("its deadline");
        news.push(format!(
            "the patch deadline {due} has passed ({days} overdue)"
        ));
    }
    if value(before, KEV) != Some("yes") && value(after, KEV) == Some("yes") {
        news.push("it is now in CISA's Known Exploited Vulnerabilities catalogue".to_string());
    }
    (!news.is_empty()).then(|| news.join("; "))
}

/// A finding as the digest lists it.
pub fn digest_finding(f: &Finding) -> DigestFinding {
    DigestFinding {
        id: finding_id(f),
        package: f.package.name.clone(),
        version: f.package.version.clone(),
        fixed: f.fixed_versions.first().cloned(),
        severity: f.severity,
        due: f.due,
        kev: f.known_exploited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use vigil_model::{Ecosystem, Package, PackageLocation};
    use vigil_store::{AlertStore, Raised, SqliteStore};

    fn stored(kev: bool) -> StoredFinding {
        StoredFinding {
            asset: "web1".into(),
            key: "PyPI/jinja2#CVE-2024-22195".into(),
            first_seen: "2024-01-20T00:00:00Z".parse().unwrap(),
            last_seen: "2024-01-20T00:00:00Z".parse().unwrap(),
            resolved_at: None,
            finding: Finding {
                asset: "web1".into(),
                package: Package {
                    ecosystem: Ecosystem::new("PyPI"),
                    name: "jinja2".into(),
                    version: "3.1.2".into(),
                    purl: None,
                    source_name: None,
                    location: PackageLocation::default(),
                },
                advisories: vec!["GHSA-h5c8-rqwp-cp95".into()],
                aliases: vec!["CVE-2024-22195".into()],
                summary: None,
                severity: Severity::Medium,
                cvss_score: None,
                cvss_vector: None,
                known_exploited: kev,
                kev_due: None,
                epss: None,
                fixed_versions: vec!["3.1.3".into()],
                kb: None,
                fix_released: Some(date(2024, 1, 11)),
                due: Some(date(2024, 2, 10)),
            },
        }
    }

    /// The news `raise_with_news` is shown when `then` replaces `before` in the store.
    fn news(before: &NewAlert, then: &NewAlert) -> Option<String> {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let at = "2024-02-01T00:00:00Z".parse().unwrap();
        store.raise_alert(before, at, None).unwrap();
        match store.raise_alert(then, at, None).unwrap() {
            Raised::Updated {
                alert, previous, ..
            } => finding_news(&previous, &alert),
            Raised::Opened(_) => panic!("the same key updates the alert"),
        }
    }

    #[test]
    fn a_finding_without_a_deadline_raises_nothing() {
        let mut f = stored(false);
        f.finding.due = None;
        assert!(finding_alert(&f, date(2024, 3, 1)).is_none());
    }

    #[test]
    fn overdue_and_kev_are_news_and_raise_the_level_another_day_is_not() {
        let before = finding_alert(&stored(false), date(2024, 2, 1)).unwrap();
        assert_eq!(before.severity, Level::Medium);
        assert_eq!(before.dedup_key, "finding:web1:PyPI/jinja2#CVE-2024-22195");
        assert!(
            before.title.contains("CVE-2024-22195 on web1") && before.title.contains("patch by")
        );

        let late = finding_alert(&stored(false), date(2024, 2, 12)).unwrap();
        assert_eq!(late.severity, Level::High, "one level up once overdue");
        let n = news(&before, &late).unwrap();
        assert!(
            n.contains("2024-02-10 has passed (2 day(s) overdue)"),
            "{n}"
        );
        let later = finding_alert(&stored(false), date(2024, 2, 13)).unwrap();
        assert_eq!(news(&late, &later), None, "a day more overdue is not news");

        let kev = finding_alert(&stored(true), date(2024, 2, 1)).unwrap();
        assert_eq!(
            kev.severity,
            Level::High,
            "exploited in the wild: at least high"
        );
        let n = news(&before, &kev).unwrap();
        assert!(n.contains("Known Exploited Vulnerabilities"), "{n}");
        assert_eq!(news(&kev, &kev), None);
    }
}
