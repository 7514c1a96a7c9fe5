//! A realistic scan: an Exchange server missing the ProxyShell security update, a Python web app
//! with vulnerable locked packages (one with a hostile summary), two ignored findings and two
//! inputs that could not be assessed. Data from MSRC's 2021-Jul CVRF and the PyPA/GitHub
//! advisories of the named packages.

//!
//! Also a scan as `vigil-scan` reports it ([`scan_report`]), for the renderers that take one.

#![allow(dead_code)]

use jiff::Timestamp;
use jiff::civil::date;
use std::collections::BTreeMap;
use vigil_model::{Asset, Ecosystem, Finding, Package, PackageLocation, Severity};
use vigil_report::{NotAssessed, ScanResult};
use vigil_scan::{
    IgnoreState, NotAssessedKind, Policy, ReportFinding, ScanReport, Summary, Window,
};

pub const HOSTILE_SUMMARY: &str = concat!(
    "CRLF injection | in `putrequest`\n| x | y |\r\n",
    "<script>alert(1)</script> [click](javascript:alert(1))"
);

pub struct Fixture {
    pub assets: Vec<Asset>,
    pub findings: Vec<Finding>,
    pub ignored: Vec<(Finding, String)>,
    pub not_assessed: Vec<NotAssessed>,
}

impl Fixture {
    pub fn scan(&self) -> ScanResult<'_> {
        ScanResult {
            tool_version: "0.1.0",
            generated_at: "2021-08-13T09:30:00Z".parse().unwrap(),
            today: date(2021, 8, 13),
            assets: self.assets.clone(),
            findings: &self.findings,
            ignored: &self.ignored,
            not_assessed: &self.not_assessed,
        }
    }
}

pub fn package(eco: &str, name: &str, version: &str, file: &str, line: Option<u32>) -> Package {
    Package {
        ecosystem: Ecosystem::new(eco),
        name: name.into(),
        version: version.into(),
        purl: None,
        source_name: None,
        location: PackageLocation {
            file: file.into(),
            line,
        },
    }
}

pub fn exchange() -> Finding {
    Finding {
        asset: "MAIL01".into(),
        package: package(
            "Microsoft",
            "Exchange Server 2019",
            "15.2.792.3",
            "inventory/MAIL01-exchange.json",
            None,
        ),
        advisories: vec!["KB5001779".into()],
        aliases: vec![
            "CVE-2021-34473".into(),
            "CVE-2021-34523".into(),
            "CVE-2021-33766".into(),
        ],
        summary: Some("Security update for Exchange Server 2019 CU8 (ProxyShell)".into()),
        severity: Severity::Critical,
        cvss_score: Some(9.1),
        cvss_vector: Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/E:U/RL:O/RC:C".into()),
        known_exploited: true,
        kev_due: Some(date(2021, 11, 17)),
        epss: Some(0.97466),
        fixed_versions: vec!["15.2.792.13".into()],
        kb: Some("5001779".into()),
        fix_released: Some(date(2021, 4, 13)),
        due: Some(date(2021, 4, 27)),
    }
}

pub fn jinja2() -> Finding {
    Finding {
        asset: "web01".into(),
        package: package("PyPI", "Jinja2", "2.10", "app/requirements.txt", Some(7)),
        advisories: vec!["GHSA-462w-v97r-4m45".into(), "PYSEC-2019-217".into()],
        aliases: vec!["CVE-2019-10906".into()],
        summary: Some("Jinja2 sandbox escape via string formatting".into()),
        severity: Severity::High,
        cvss_score: Some(8.6),
        cvss_vector: Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N".into()),
        known_exploited: false,
        kev_due: None,
        epss: Some(0.0133),
        fixed_versions: vec!["2.10.1".into()],
        kb: None,
        fix_released: Some(date(2019, 4, 6)),
        due: Some(date(2019, 5, 6)),
    }
}

pub fn urllib3_hostile() -> Finding {
    Finding {
        asset: "web01".into(),
        package: package(
            "PyPI",
            "urllib3",
            "1.24.1",
            "app/requirements.txt",
            Some(12),
        ),
        advisories: vec!["GHSA-r64q-w8jr-g9qp".into()],
        aliases: vec!["CVE-2019-11236".into()],
        summary: Some(HOSTILE_SUMMARY.into()),
        severity: Severity::Medium,
        cvss_score: Some(6.1),
        cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N".into()),
        known_exploited: false,
        kev_due: None,
        epss: None,
        fixed_versions: vec!["1.24.3".into()],
        kb: None,
        fix_released: Some(date(2019, 5, 1)),
        due: Some(date(2021, 9, 1)),
    }
}

pub fn requests_ignored() -> Finding {
    Finding {
        asset: "web01".into(),
        package: package(
            "PyPI",
            "requests",
            "2.19.1",
            "app/requirements.txt",
            Some(9),
        ),
        advisories: vec!["GHSA-x84v-xcm2-53pg".into()],
        aliases: vec!["CVE-2018-18074".into()],
        summary: Some("Insufficiently Protected Credentials in Requests".into()),
        severity: Severity::High,
        cvss_score: Some(7.5),
        cvss_vector: Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into()),
        known_exploited: false,
        kev_due: None,
        epss: None,
        fixed_versions: vec!["2.20.0".into()],
        kb: None,
        fix_released: Some(date(2018, 10, 29)),
        due: Some(date(2018, 11, 28)),
    }
}

pub fn openssl_ignored() -> Finding {
    Finding {
        asset: "web01".into(),
        package: package(
            "Debian:12",
            "openssl",
            "3.0.9-1",
            "/var/lib/dpkg/status",
            Some(4211),
        ),
        advisories: vec!["DSA-5532-1".into()],
        aliases: vec!["CVE-2023-5363".into()],
        summary: Some("openssl: incorrect cipher key and IV length processing".into()),
        severity: Severity::High,
        cvss_score: None,
        cvss_vector: None,
        known_exploited: false,
        kev_due: None,
        epss: None,
        fixed_versions: vec!["3.0.11-1~deb12u2".into()],
        kb: None,
        fix_released: Some(date(2023, 10, 24)),
        due: None,
    }
}

pub const REQUESTS_REASON: &str =
    "code_not_reachable: the app never follows redirects to plain HTTP | see SEC-12";
pub const OPENSSL_REASON: &str = "Accepted until the Q3 maintenance window";

pub fn fixture() -> Fixture {
    Fixture {
        assets: vec![
            Asset {
                name: "MAIL01".into(),
                tags: vec!["mail".into(), "internet-facing".into()],
            },
            Asset {
                name: "web01".into(),
                tags: vec!["patient-data".into()],
            },
        ],
        findings: vec![exchange(), jinja2(), urllib3_hostile()],
        ignored: vec![
            (requests_ignored(), REQUESTS_REASON.into()),
            (openssl_ignored(), OPENSSL_REASON.into()),
        ],
        not_assessed: vec![
            NotAssessed {
                location: "/srv/app/frontend/yarn.lock".into(),
                reason: "yarn.lock format v8 (Yarn Berry) is not supported".into(),
            },
            NotAssessed {
                location: "FILESRV02".into(),
                reason: "host did not answer the Windows inventory query (WinRM timeout)".into(),
            },
        ],
    }
}

/// A finding of a PyPI package on `web1`, critical-looking, with `summary` as given.
pub fn scan_finding(id: &str, severity: Severity, summary: &str) -> Finding {
    Finding {
        asset: "web1".into(),
        package: Package {
            ecosystem: Ecosystem::new("PyPI"),
            name: "example".into(),
            version: "1.0".into(),
            purl: None,
            source_name: None,
            location: PackageLocation {
                file: "requirements.txt".into(),
                line: Some(3),
            },
        },
        advisories: vec![id.into()],
        aliases: vec!["CVE-2024-0001".into()],
        summary: Some(summary.into()),
        severity,
        cvss_score: Some(9.8),
        cvss_vector: None,
        known_exploited: true,
        kev_due: None,
        epss: Some(0.5),
        fixed_versions: vec!["2.0".into()],
        kb: None,
        fix_released: Some(date(2024, 1, 1)),
        due: Some(date(2024, 1, 15)),
    }
}

/// A scan of `web1` with one note not assessed (an unknown ecosystem).
pub fn scan_report(findings: Vec<ReportFinding>, packages: usize) -> ScanReport {
    ScanReport {
        generated_at: Timestamp::UNIX_EPOCH,
        today: date(2024, 2, 1),
        asset: Asset {
            name: "web1".into(),
            tags: vec!["dmz".into()],
        },
        inputs: vec!["requirements.txt".into()],
        policy: Policy::default(),
        summary: Summary {
            packages,
            findings: findings.len(),
            open: findings.iter().filter(|f| f.is_open()).count(),
            ignored: 0,
            expired_ignores: 0,
            overdue: 1,
            by_severity: BTreeMap::new(),
            not_assessed: 1,
        },
        findings,
        not_assessed: vec![vigil_scan::NotAssessed::new(
            NotAssessedKind::UnknownEcosystem,
            "Cargo.lock",
            "no advisories for crates.io",
        )],
    }
}

/// A finding as reported, 17 days overdue, with its ignore state.
pub fn reported(f: Finding, ignore: Option<IgnoreState>) -> ReportFinding {
    ReportFinding {
        finding: f,
        window: Window::Critical,
        days_overdue: Some(17),
        overdue: true,
        ignore,
    }
}
