//! The daily digest: one e-mail listing, per asset, the open findings and the overdue patches, and the
//! alerts still waiting for a person.
//!
//! The caller passes plain data (the scan and posture types live in vigil-scan and vigil-store; alerting
//! does not depend on scanning). The digest never reads as an all-clear it is not: assets that could not
//! be assessed are listed first, and a digest with no asset says that nothing was assessed.

use crate::channel::email::Rendered;
use crate::escape::one_line;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use vigil_model::Severity;
use vigil_model::text::{html, terminal};
use vigil_store::Alert;

/// Findings listed per asset; the rest are counted.
pub const MAX_FINDINGS_PER_ASSET: usize = 50;
/// Assets listed; the rest are counted.
pub const MAX_ASSETS: usize = 200;
/// Alerts listed.
pub const MAX_ALERTS: usize = 50;

/// An open finding as the digest shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestFinding {
    /// The advisory or CVE id.
    pub id: String,
    pub package: String,
    pub version: String,
    pub fixed: Option<String>,
    pub severity: Severity,
    /// The patch deadline, when the policy gives one.
    pub due: Option<Date>,
    /// In CISA's Known Exploited Vulnerabilities catalogue.
    pub kev: bool,
}

impl DigestFinding {
    /// Days past the deadline on `today` (positive: overdue).
    pub fn days_overdue(&self, today: Date) -> Option<i64> {
        let due = self.due?;
        due.until(today).ok().map(|s| i64::from(s.get_days()))
    }
}

/// One asset's part of the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetDigest {
    pub asset: String,
    pub last_scan: Option<Timestamp>,
    pub findings: Vec<DigestFinding>,
    /// Why this asset's picture is incomplete (an inventory source unreadable, stale knowledge); empty
    /// when it was fully assessed.
    pub not_assessed: Vec<String>,
}

/// Everything the digest of one day shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub date: Date,
    pub assets: Vec<AssetDigest>,
    /// Alerts not yet resolved (open first).
    pub alerts: Vec<Alert>,
}

/// Totals of a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub findings: usize,
    pub overdue: usize,
    pub kev: usize,
    pub incomplete_assets: usize,
    pub open_alerts: usize,
}

impl Digest {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for a in &self.assets {
            t.findings += a.findings.len();
            t.overdue += a
                .findings
                .iter()
                .filter(|f| f.days_overdue(self.date).is_some_and(|d| d > 0))
                .count();
            t.kev += a.findings.iter().filter(|f| f.kev).count();
            t.incomplete_assets += usize::from(!a.not_assessed.is_empty());
        }
        t.open_alerts = self
            .alerts
            .iter()
            .filter(|a| a.state == vigil_store::AlertState::Open)
            .count();
        t
    }

    /// The digest as an e-mail.
    pub fn render(&self) -> Rendered {
        let t = self.totals();
        let subject = if self.assets.is_empty() {
            format!("[vigil] Daily digest {}: no asset assessed", self.date)
        } else {
            format!(
                "[vigil] Daily digest {}: {} overdue, {} open findings on {} assets, {} alerts unacknowledged{}",
                self.date,
                t.overdue,
                t.findings,
                self.assets.len(),
                t.open_alerts,
                if t.incomplete_assets > 0 {
                    format!(", {} assets not fully assessed", t.incomplete_assets)
                } else {
                    String::new()
                }
            )
        };
        let mut text = String::new();
        let mut body = String::new();
        let para = |text: &mut String, body: &mut String, s: &str| {
            text.push_str(&terminal(s));
            text.push_str("\n\n");
            body.push_str(&format!("<p>{}</p>\n", html(s)));
        };
        if self.assets.is_empty() {
            para(
                &mut text,
                &mut body,
                "No asset has been scanned: nothing was assessed, so this digest cannot say you are safe.",
            );
        }
        self.render_alerts(&mut text, &mut body);
        let mut assets: Vec<&AssetDigest> = self.assets.iter().collect();
        // Incomplete assets first, then the most overdue.
        assets.sort_by_key(|a| {
            (
                a.not_assessed.is_empty(),
                std::cmp::Reverse(
                    a.findings
                        .iter()
                        .filter_map(|f| f.days_overdue(self.date))
                        .max()
                        .unwrap_or(i64::MIN),
                ),
                a.asset.clone(),
            )
        });
        for a in assets.iter().take(MAX_ASSETS) {
            self.render_asset(a, &mut text, &mut body);
        }
        if assets.len() > MAX_ASSETS {
            para(
                &mut text,
                &mut body,
                &format!("… and {} more assets.", assets.len() - MAX_ASSETS),
            );
        }
        Rendered {
            subject: one_line(&subject, 200),
            text,
            html: format!("<!DOCTYPE html>\n<html><body>\n{body}</body></html>\n"),
        }
    }

    fn render_alerts(&self, text: &mut String, body: &mut String) {
        if self.alerts.is_empty() {
            return;
        }
        text.push_str("ALERTS NOT RESOLVED\n");
        body.push_str("<h2>Alerts not resolved</h2>\n<ul>\n");
        for a in self.alerts.iter().take(MAX_ALERTS) {
            let line = format!(
                "#{} {} {} since {}: {}{}",
                a.id,
                a.severity,
                a.state,
                a.created_at,
                a.title,
                a.asset
                    .as_deref()
                    .map(|x| format!(" [{x}]"))
                    .unwrap_or_default()
            );
            text.push_str(&format!("  {}\n", terminal(&line)));
            body.push_str(&format!("<li>{}</li>\n", html(&line)));
        }
        if self.alerts.len() > MAX_ALERTS {
            let more = format!("… and {} more", self.alerts.len() - MAX_ALERTS);
            text.push_str(&format!("  {more}\n"));
            body.push_str(&format!("<li>{more}</li>\n"));
        }
        text.push('\n');
        body.push_str("</ul>\n");
    }

    fn render_asset(&self, a: &AssetDigest, text: &mut String, body: &mut String) {
        let overdue = a
            .findings
            .iter()
            .filter(|f| f.days_overdue(self.date).is_some_and(|d| d > 0))
            .count();
        let scanned = a
            .last_scan
            .map(|t| format!("last scanned {t}"))
            .unwrap_or_else(|| "never scanned".into());
        let title = format!(
            "{}: {} open findings, {} overdue ({scanned})",
            a.asset,
            a.findings.len(),
            overdue
        );
        text.push_str(&format!("{}\n", terminal(&title)));
        body.push_str(&format!("<h2>{}</h2>\n", html(&title)));
        for note in &a.not_assessed {
            let line = format!("NOT ASSESSED: {note}");
            text.push_str(&format!("  {}\n", terminal(&line)));
            body.push_str(&format!("<p><strong>{}</strong></p>\n", html(&line)));
        }
        let mut findings: Vec<&DigestFinding> = a.findings.iter().collect();
        findings.sort_by_key(|f| {
            (
                std::cmp::Reverse(f.days_overdue(self.date).unwrap_or(i64::MIN)),
                std::cmp::Reverse(f.kev),
                std::cmp::Reverse(f.severity),
                f.id.clone(),
            )
        });
        if !findings.is_empty() {
            body.push_str(
                "<table cellpadding=\"4\" style=\"border-collapse:collapse\">\n<tr><th align=\"left\">Fix</th>\
                 <th align=\"left\">Package</th><th align=\"left\">Severity</th><th align=\"left\">Due</th></tr>\n",
            );
        }
        for f in findings.iter().take(MAX_FINDINGS_PER_ASSET) {
            let due = match (f.due, f.days_overdue(self.date)) {
                (Some(d), Some(n)) if n > 0 => format!("{d} ({n} days overdue)"),
                (Some(d), _) => format!("{d}"),
                (None, _) => "no deadline".into(),
            };
            let package = format!(
                "{} {}{}",
                f.package,
                f.version,
                f.fixed
                    .as_deref()
                    .map(|x| format!(" → {x}"))
                    .unwrap_or_default()
            );
            let id = format!("{}{}", f.id, if f.kev { " (KEV)" } else { "" });
            text.push_str(&format!(
                "  {:<24} {:<40} {:<8} {}\n",
                terminal(&id),
                terminal(&package),
                f.severity,
                due
            ));
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                html(&id),
                html(&package),
                f.severity,
                html(&due)
            ));
        }
        if !findings.is_empty() {
            body.push_str("</table>\n");
        }
        if findings.len() > MAX_FINDINGS_PER_ASSET {
            let more = format!(
                "… and {} more findings",
                findings.len() - MAX_FINDINGS_PER_ASSET
            );
            text.push_str(&format!("  {more}\n"));
            body.push_str(&format!("<p>{more}</p>\n"));
        }
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, due: &str, kev: bool) -> DigestFinding {
        DigestFinding {
            id: id.into(),
            package: "Exchange Server <2019>".into(),
            version: "15.2.858.5".into(),
            fixed: Some("15.2.858.10".into()),
            severity: Severity::Critical,
            due: Some(due.parse().unwrap()),
            kev,
        }
    }

    #[test]
    fn lists_overdue_first_and_escapes() {
        let d = Digest {
            date: "2021-08-20".parse().unwrap(),
            assets: vec![
                AssetDigest {
                    asset: "WEB01".into(),
                    last_scan: None,
                    findings: vec![finding("CVE-2024-1", "2021-09-01", false)],
                    not_assessed: vec![],
                },
                AssetDigest {
                    asset: "MAIL01".into(),
                    last_scan: Some("2021-08-19T00:00:00Z".parse().unwrap()),
                    findings: vec![
                        finding("CVE-2021-31207", "2021-05-25", true),
                        finding("CVE-2021-34473", "2021-04-27", true),
                    ],
                    not_assessed: vec![],
                },
            ],
            alerts: vec![],
        };
        let t = d.totals();
        assert_eq!((t.findings, t.overdue, t.kev), (3, 2, 2));
        let r = d.render();
        assert!(
            r.subject.contains("2 overdue, 3 open findings on 2 assets"),
            "{}",
            r.subject
        );
        let mail = r.text.find("MAIL01").unwrap();
        assert!(
            mail < r.text.find("WEB01").unwrap(),
            "most overdue asset first"
        );
        let first = r.text.find("CVE-2021-34473").unwrap();
        assert!(first < r.text.find("CVE-2021-31207").unwrap());
        assert!(r.text.contains("(115 days overdue)"), "{}", r.text);
        assert!(r.html.contains("Exchange Server &lt;2019&gt;"));
        assert!(!r.html.contains("<2019>"));
    }

    #[test]
    fn never_an_empty_all_clear() {
        let d = Digest {
            date: "2026-03-01".parse().unwrap(),
            assets: vec![],
            alerts: vec![],
        };
        let r = d.render();
        assert!(r.subject.contains("no asset assessed"));
        assert!(r.text.contains("nothing was assessed"));
        let d = Digest {
            assets: vec![AssetDigest {
                asset: "NAS".into(),
                last_scan: None,
                findings: vec![],
                not_assessed: vec!["inventory file unreadable".into()],
            }],
            ..d
        };
        let r = d.render();
        assert!(
            r.subject.contains("1 assets not fully assessed"),
            "{}",
            r.subject
        );
        assert!(r.text.contains("NOT ASSESSED: inventory file unreadable"));
    }
}
