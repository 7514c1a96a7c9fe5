//! A scan as a table for people: the asset's summary line, the findings grouped by severity (the
//! advisory, the fix, CVSS, KEV and EPSS; when the fix was released, its deadline and how overdue it
//! is; where the package was found; an ignore in force or expired), then the not-assessed list,
//! always. Text from advisories and inventories is put on one line without control characters, so
//! none can move the cursor or start a line of its own. Colour only when asked.

use std::fmt::Write as _;
use vigil_model::Severity;
use vigil_scan::{IgnoreState, ScanReport};

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, sev: Severity, s: &str) -> String {
        let code = match sev {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::None => "2",
            Severity::Unknown => "1;33",
        };
        self.wrap(code, s)
    }
}

/// The terminal table: findings grouped by severity, then the not-assessed list, always.
pub fn render(report: &ScanReport, color: bool) -> String {
    let p = Paint(color);
    let mut o = String::new();
    let s = &report.summary;
    let _ = writeln!(
        o,
        "{} — {} package(s), {} finding(s) open, {} overdue, {} ignored · deadlines as of {}",
        p.wrap("1", &one_line(&report.asset.name)),
        s.packages,
        s.open,
        s.overdue,
        s.ignored,
        report.today
    );
    if !report.asset.tags.is_empty() {
        let _ = writeln!(o, "tags: {}", one_line(&report.asset.tags.join(", ")));
    }
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::None,
        Severity::Unknown,
    ] {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.finding.severity == sev)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(o);
        let title = format!("{} ({})", sev.as_str().to_uppercase(), group.len());
        let _ = writeln!(o, "{}", p.severity(sev, &title));
        for rf in group {
            let f = &rf.finding;
            let id = f.advisories.first().map(String::as_str).unwrap_or("?");
            let fixed = if f.fixed_versions.is_empty() {
                "no fix".to_string()
            } else {
                format!("→ {}", f.fixed_versions.join(", "))
            };
            let mut line = format!(
                "  {:<20} {} {} {}",
                id, f.package.name, f.package.version, fixed
            );
            if let Some(score) = f.cvss_score {
                let _ = write!(line, "  CVSS {score:.1}");
            }
            if f.known_exploited {
                line.push_str(&format!("  {}", p.wrap("1;31", "KEV")));
            }
            if let Some(e) = f.epss {
                let _ = write!(line, "  EPSS {:.1}%", e * 100.0);
            }
            let _ = writeln!(o, "{line}");
            let mut when = String::from("      ");
            match f.fix_released {
                Some(d) => {
                    let _ = write!(when, "fix released {d}");
                }
                None => when.push_str("fix release date unknown"),
            }
            if let Some(due) = f.due {
                let _ = write!(when, " · due {due}");
            }
            match rf.days_overdue {
                Some(d) if d > 0 => {
                    let _ = write!(when, " · {}", p.wrap("1;31", &format!("{d} days overdue")));
                }
                Some(d) => {
                    let _ = write!(when, " · {} days left", -d);
                }
                None => {}
            }
            if let Some(k) = f.kev_due {
                let _ = write!(when, " · KEV due {k}");
            }
            let _ = writeln!(o, "{when}");
            if let Some(sum) = &f.summary {
                let _ = writeln!(o, "      {}", one_line(sum));
            }
            let others: Vec<&str> = f
                .advisories
                .iter()
                .skip(1)
                .chain(f.aliases.iter())
                .map(String::as_str)
                .collect();
            if !others.is_empty() {
                let _ = writeln!(o, "      {}", others.join(", "));
            }
            let loc = match f.package.location.line {
                Some(l) => format!("{}:{l}", f.package.location.file),
                None => f.package.location.file.clone(),
            };
            let _ = writeln!(o, "      at {}", one_line(&loc));
            match &rf.ignore {
                Some(IgnoreState::Ignored { reason, expires }) => {
                    let _ = writeln!(
                        o,
                        "      {}",
                        p.wrap(
                            "2",
                            &format!("ignored until {expires}: {}", one_line(reason))
                        )
                    );
                }
                Some(IgnoreState::Expired { reason, expired }) => {
                    let _ = writeln!(
                        o,
                        "      {}",
                        p.wrap(
                            "1;33",
                            &format!(
                                "EXPIRED IGNORE (expired {expired}): {} — reported again",
                                one_line(reason)
                            )
                        )
                    );
                }
                None => {}
            }
        }
    }
    if report.findings.is_empty() {
        if s.packages == 0 {
            let _ = writeln!(
                o,
                "\nNothing was assessed: no package was found in the inputs."
            );
        } else {
            let _ = writeln!(o, "\nNo known vulnerabilities found in what was assessed.");
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{}",
        p.wrap(
            "1",
            &format!("NOT ASSESSED ({})", report.not_assessed.len())
        )
    );
    if report.not_assessed.is_empty() {
        let _ = writeln!(
            o,
            "  nothing: every input was read and every package evaluated"
        );
    }
    for n in &report.not_assessed {
        let _ = writeln!(
            o,
            "  [{}] {}: {}",
            n.kind.as_str(),
            one_line(&n.location),
            one_line(&n.reason)
        );
    }
    o
}

/// Text from inputs on one line, without control characters (no terminal escapes from advisories).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
