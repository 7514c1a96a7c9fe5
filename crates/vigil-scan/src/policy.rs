//! Patch deadlines: the `[policy]` section of `vigil.toml`.
//!
//! The defaults are the UK Cyber Essentials rule (requirement "security update management"): an update
//! that the vendor rates critical or high, or that fixes a vulnerability with a CVSS v3 score of 7.0 or
//! more, or for which the vendor gives no severity at all, is applied within **14 days of its release**.
//! Cyber Essentials sets no window for the rest; vigil's default for them (`other_days`) is **30 days**, a
//! monthly patch cycle, and sites set their own. A known-exploited vulnerability (CISA KEV) is due by the
//! sooner of that deadline and KEV's due date. Assets with a tag get the stricter of the base windows and
//! the tag's (`[policy.tags.internet-facing] critical_days = 7`).
//!
//! The clock starts on the day the *fix* was released (`Finding.fix_released`), not when the CVE was
//! published and not when vigil first saw the finding: a fix that was available for months is months
//! overdue on the first scan. A finding with no fix has no deadline, unless it is in KEV, whose due date
//! then applies (CISA requires mitigation even without a patch).

use crate::error::ScanError;
use jiff::Span;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::{Finding, Severity};

/// The most a window may be, to keep date arithmetic bounded (ten years).
const MAX_DAYS: u32 = 3650;

/// Which window applies to a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    /// Critical or high, CVSS ≥ 7.0, or unrated: the 14-day rule.
    Critical,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Days from the fix's release for critical/high/CVSS ≥ 7/unrated fixes.
    pub critical_days: u32,
    /// Days for everything else (medium, low, none).
    pub other_days: u32,
    /// Whether KEV's due date may bring a deadline forward.
    pub kev_due_dates: bool,
    /// Stricter windows per asset tag.
    pub tags: BTreeMap<String, TagWindows>,
}

/// A tag's windows; a missing one keeps the base window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagWindows {
    pub critical_days: Option<u32>,
    pub other_days: Option<u32>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            critical_days: 14,
            other_days: 30,
            kev_due_dates: true,
            tags: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// Checks the windows are in range.
    pub fn validate(&self) -> Result<(), ScanError> {
        let check = |what: &str, d: u32| {
            if d > MAX_DAYS {
                Err(ScanError::Policy(format!(
                    "{what} = {d} is more than {MAX_DAYS} days"
                )))
            } else {
                Ok(())
            }
        };
        check("critical_days", self.critical_days)?;
        check("other_days", self.other_days)?;
        for (tag, w) in &self.tags {
            if let Some(d) = w.critical_days {
                check(&format!("tags.{tag}.critical_days"), d)?;
            }
            if let Some(d) = w.other_days {
                check(&format!("tags.{tag}.other_days"), d)?;
            }
        }
        Ok(())
    }

    /// Which window a finding falls in.
    pub fn window_of(finding: &Finding) -> Window {
        let rated_high = matches!(
            finding.severity,
            Severity::Critical | Severity::High | Severity::Unknown
        );
        if rated_high || finding.cvss_score.is_some_and(|s| s >= 7.0) {
            Window::Critical
        } else {
            Window::Other
        }
    }

    /// The number of days allowed for a window on an asset with `tags`: the strictest that applies.
    pub fn days(&self, window: Window, tags: &[String]) -> u32 {
        let base = match window {
            Window::Critical => self.critical_days,
            Window::Other => self.other_days,
        };
        tags.iter()
            .filter_map(|t| self.tags.get(t))
            .filter_map(|w| match window {
                Window::Critical => w.critical_days,
                Window::Other => w.other_days,
            })
            .fold(base, u32::min)
            .min(MAX_DAYS)
    }

    /// The deadline of a finding on an asset with `tags`.
    pub fn due(&self, finding: &Finding, tags: &[String]) -> Option<Date> {
        let days = self.days(Self::window_of(finding), tags);
        let by_policy = finding
            .fix_released
            .and_then(|d| d.checked_add(Span::new().days(i64::from(days))).ok());
        let by_kev = finding
            .kev_due
            .filter(|_| self.kev_due_dates && finding.known_exploited);
        match (by_policy, by_kev) {
            (Some(p), Some(k)) => Some(p.min(k)),
            (p, k) => p.or(k),
        }
    }

    /// Sets `due` on every finding.
    pub fn apply(&self, findings: &mut [Finding], tags: &[String]) {
        for f in findings {
            f.due = self.due(f, tags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use vigil_model::{Ecosystem, Package, PackageLocation};

    fn finding(sev: Severity, cvss: Option<f64>, released: Option<Date>) -> Finding {
        Finding {
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
            severity: sev,
            cvss_score: cvss,
            cvss_vector: None,
            known_exploited: false,
            kev_due: None,
            epss: None,
            fixed_versions: vec!["15.2.792.13".into()],
            kb: Some("5001779".into()),
            fix_released: released,
            due: None,
        }
    }

    #[test]
    fn proxyshell_is_due_fourteen_days_after_april_update() {
        let p = Policy::default();
        let mut f = finding(Severity::Critical, Some(9.1), Some(date(2021, 4, 13)));
        // KEV listed ProxyShell later (due 2021-11-17): the sooner date stays.
        f.known_exploited = true;
        f.kev_due = Some(date(2021, 11, 17));
        let due = p.due(&f, &[]).unwrap();
        assert_eq!(due, date(2021, 4, 27));
        f.due = Some(due);
        assert_eq!(f.days_overdue(date(2021, 8, 13)), Some(108));
    }

    #[test]
    fn windows_by_class_tags_and_kev() {
        let p: Policy = toml::from_str(
            "other_days = 60\n[tags.internet-facing]\ncritical_days = 7\n[tags.lab]\ncritical_days = 30\n",
        )
        .unwrap();
        p.validate().unwrap();
        let day = date(2021, 3, 2);
        let medium = finding(Severity::Medium, Some(6.5), Some(day));
        assert_eq!(p.due(&medium, &[]), Some(date(2021, 5, 1)));
        // CVSS ≥ 7 with a vendor "medium" still takes the 14-day window.
        let m7 = finding(Severity::Medium, Some(7.0), Some(day));
        assert_eq!(p.due(&m7, &[]), Some(date(2021, 3, 16)));
        // No severity at all is treated like high.
        let unrated = finding(Severity::Unknown, None, Some(day));
        assert_eq!(Policy::window_of(&unrated), Window::Critical);
        let high = finding(Severity::High, None, Some(day));
        let tags = vec!["internet-facing".to_string(), "lab".to_string()];
        assert_eq!(p.due(&high, &tags), Some(date(2021, 3, 9)));
        // A laxer tag never loosens the base window.
        assert_eq!(p.due(&high, &["lab".to_string()]), Some(date(2021, 3, 16)));
        // KEV due date earlier than the policy's.
        let mut kev = finding(Severity::Low, Some(3.1), Some(day));
        kev.known_exploited = true;
        kev.kev_due = Some(date(2021, 3, 10));
        assert_eq!(p.due(&kev, &[]), Some(date(2021, 3, 10)));
        // No fix: only KEV's date.
        let mut nofix = finding(Severity::High, None, None);
        assert_eq!(p.due(&nofix, &[]), None);
        nofix.known_exploited = true;
        nofix.kev_due = Some(date(2021, 4, 16));
        assert_eq!(p.due(&nofix, &[]), Some(date(2021, 4, 16)));
        let off = Policy {
            kev_due_dates: false,
            ..Policy::default()
        };
        assert_eq!(off.due(&nofix, &[]), None);
    }

    #[test]
    fn bad_policies_are_refused() {
        assert!(toml::from_str::<Policy>("critical_dayz = 3").is_err());
        let p: Policy = toml::from_str("critical_days = 99999").unwrap();
        assert!(p.validate().is_err());
    }
}
