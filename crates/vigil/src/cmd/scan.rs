//! `vigil scan`: inventory → findings → deadlines → report, and a snapshot of the asset in the store.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use vigil_inventory::Inventory;
use vigil_model::{Asset, Finding, Severity};
use vigil_scan::{
    HostUpdates, IgnoreFile, IgnoreState, NotAssessed, NotAssessedKind, ScanInput, ScanReport,
};
use vigil_store::Snapshot;
use vigil_store::prelude::*;

pub const LONG_ABOUT: &str = "Find the known vulnerabilities of what runs on an asset, with patch deadlines.\n\n\
TARGETs are files (lockfiles, SBOMs, package databases, a Windows/Exchange inventory from \
docs/windows-inventory.ps1) or directories (walked for all of those). --root reads a mounted filesystem or \
container export, --host the machine vigil runs on. Each finding carries the advisories and CVEs, severity, \
KEV and EPSS, the installed and fixed versions, where the package was found, the day the fix was released \
and the deadline under the [policy] of vigil.toml (Cyber Essentials by default: 14 days from the fix's \
release for critical/high/CVSS >= 7/unrated fixes, KEV due dates when sooner). The report always ends with \
what was NOT assessed: unknown ecosystems, unreadable inputs, undecidable advisories, missing or stale \
knowledge.\n\n\
The scan is stored as a snapshot of the asset (unless --no-store), so `vigil status` and \
`vigil report patching` know when each finding was first seen and when it was resolved.\n\n\
Policy in vigil.toml:\n  [policy]\n  critical_days = 14\n  other_days = 30\n  kev_due_dates = true\n  \
[policy.tags.internet-facing]\n  critical_days = 7\n\n\
Ignore file (.vigilignore.toml in the current directory, or --ignore-file):\n  [[ignore]]\n  \
id = \"CVE-2022-0778\"\n  reason = \"not reachable\"\n  expires = 2026-12-31\n  asset = \"mx1\"   # optional\n  \
package = \"openssl\"   # optional\n\n\
Examples:\n  vigil scan Cargo.lock\n  vigil scan examples/exchange-2021/inventory/MAIL01.json --today 2021-08-02\n  \
vigil scan --root /mnt/image --asset web1 --tag internet-facing --fail-on high";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan
    #[arg(value_name = "TARGET")]
    pub targets: Vec<PathBuf>,
    /// The asset the scan describes [default: the inventory's computer name, the host name, or the first
    /// target's name]
    #[arg(long, value_name = "NAME")]
    pub asset: Option<String>,
    /// Policy tags of the asset (e.g. internet-facing); replaces the stored tags [default: the stored tags]
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// A mounted root filesystem or container export to read OS package databases from
    #[arg(long, value_name = "DIR")]
    pub root: Vec<PathBuf>,
    /// Read the machine vigil runs on
    #[arg(long)]
    pub host: bool,
    /// Gitignore-style patterns excluded from directory walks
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Exit with status 1 when a finding at or above this severity is not ignored (unrated counts as high)
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// The ignore file [default: .vigilignore.toml if it exists]
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
    /// Measure deadlines as of this day (YYYY-MM-DD) instead of today, for reproducible reports
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
    /// Do not store a snapshot of the asset
    #[arg(long)]
    pub no_store: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Markdown,
    Sarif,
    Vex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// Inventory of every target, and whether some target could not be read at all.
fn collect(args: &ScanArgs) -> Result<(Inventory, Vec<String>, bool)> {
    if args.targets.is_empty() && args.root.is_empty() && !args.host {
        bail!("nothing to scan: give files or directories, --root DIR or --host");
    }
    let (mut inv, _) = vigil_inventory::collect_inputs(&args.targets, &args.excludes);
    let mut inputs: Vec<String> = args
        .targets
        .iter()
        .map(|t| t.display().to_string())
        .collect();
    for root in &args.root {
        inputs.push(format!("root:{}", root.display()));
        inv.merge(vigil_inventory::scan_root(root));
    }
    if args.host {
        inputs.push("host".to_string());
        inv.merge(vigil_inventory::scan_host());
    }
    inv.normalise();
    // After the roots and the host: a root without a package database is as incomplete as an
    // unreadable file.
    let failed = inv.incomplete();
    Ok((inv, inputs, failed))
}

fn host_updates(inv: &Inventory) -> Option<HostUpdates> {
    let w = inv.windows.as_ref()?;
    Some(HostUpdates {
        os_caption: w.os_caption.clone(),
        os_build: w.os_build.clone(),
        installed: w
            .hotfixes
            .iter()
            .map(|h| (h.id.clone(), h.installed_on))
            .collect(),
    })
}

fn default_asset(args: &ScanArgs, inv: &Inventory) -> String {
    if let Some(a) = args
        .asset
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        return a.to_string();
    }
    if let Some(n) = inv.windows.as_ref().and_then(|w| w.computer_name.clone()) {
        return n;
    }
    if args.host
        && let Ok(h) = std::fs::read_to_string("/etc/hostname")
        && !h.trim().is_empty()
    {
        return h.trim().to_string();
    }
    let first = args.targets.first().or(args.root.first());
    first
        .and_then(|p| std::fs::canonicalize(p).ok().or(Some(p.clone())))
        .and_then(|p| {
            let p = if p.is_file() {
                p.parent().map(Path::to_path_buf).unwrap_or(p)
            } else {
                p
            };
            p.file_name().map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "local".to_string())
}

pub fn run(ctx: &Context, args: ScanArgs) -> Result<Outcome> {
    let (inv, inputs, failed) = collect(&args)?;
    let now = Timestamp::now();
    let today = args
        .today
        .unwrap_or_else(|| now.to_zoned(TimeZone::UTC).date());
    let mut store = ctx.open_store()?;
    let name = default_asset(&args, &inv);
    let tags = if args.tags.is_empty() {
        store
            .asset(&name)?
            .map(|a| a.asset.tags)
            .unwrap_or_default()
    } else {
        args.tags.clone()
    };
    let asset = Asset { name, tags };

    let ignores = match &args.ignore_file {
        Some(p) => IgnoreFile::load(p)?,
        None => {
            let default = Path::new(".vigilignore.toml");
            if default.is_file() {
                IgnoreFile::load(default)?
            } else {
                IgnoreFile::default()
            }
        }
    };
    let max_age = SignedDuration::from_hours(
        i64::try_from(ctx.config.knowledge.max_age_hours).unwrap_or(i64::MAX / 7200),
    );
    let input = ScanInput {
        asset: asset.clone(),
        inputs: inputs.clone(),
        packages: inv.packages.clone(),
        host: host_updates(&inv),
        notes: inv
            .not_assessed
            .iter()
            .map(|n| NotAssessed::new(NotAssessedKind::Input, &n.location, &n.reason))
            .collect(),
        today,
        max_age,
        now,
    };
    let report = vigil_scan::scan(&store, &input, &ctx.config.policy, &ignores)?;

    // The report is printed before anything is stored: a failure to store must not hide it.
    let out = render(&report, args.format)?;
    crate::put!("{out}")?;

    let mut stored = true;
    if !args.no_store {
        // The snapshot is dated when the inventory was collected, else on --today, else now.
        let taken_at = inv
            .windows
            .as_ref()
            .and_then(|w| w.collected_at)
            .or_else(|| {
                args.today
                    .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
                    .map(|z| z.timestamp())
            })
            .unwrap_or(now);
        let snapshot = Snapshot {
            asset: asset.clone(),
            taken_at,
            inputs,
            packages: inv.packages.clone(),
            findings: report.findings.iter().map(|f| f.finding.clone()).collect(),
            last_update: input
                .host
                .as_ref()
                .and_then(|h| h.last_installed().map(|(_, d)| d)),
        };
        match store.save_snapshot(&snapshot) {
            Ok(saved) => tracing::info!(
                new = saved.new,
                still_open = saved.still_open,
                resolved = saved.resolved,
                "snapshot stored"
            ),
            Err(e) => {
                stored = false;
                crate::note!(
                    "warning: the scan was not stored: {}",
                    crate::term::text(&e.to_string())
                );
            }
        }
    }

    let outcome = outcome(
        &report,
        failed || !stored,
        args.fail_on.map(FailOn::severity),
    );
    if outcome == Outcome::Partial && !report.not_assessed.is_empty() {
        crate::note!(
            "vigil: the assessment is incomplete: {} item(s) not assessed (listed under NOT ASSESSED); \
             the absence of a finding there is not an all-clear",
            report.not_assessed.len()
        );
    }
    Ok(outcome)
}

/// The exit status of a scan: the gate when a finding trips it, else partial when anything was not
/// read, not assessed or not stored, else success. Exit 0 means every input was read and assessed.
fn outcome(report: &ScanReport, failed: bool, gate: Option<Severity>) -> Outcome {
    if gate.is_some_and(|g| report.trips(g)) {
        Outcome::GateTripped
    } else if failed || !report.not_assessed.is_empty() {
        Outcome::Partial
    } else {
        Outcome::Success
    }
}

/// Renders the report in the chosen format.
pub fn render(report: &ScanReport, format: ScanFormat) -> Result<String> {
    if format == ScanFormat::Table {
        return Ok(table(report, color_enabled()));
    }
    let findings: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.is_open())
        .map(|f| f.finding.clone())
        .collect();
    let ignored: Vec<(Finding, String)> = report
        .findings
        .iter()
        .filter_map(|f| match &f.ignore {
            Some(IgnoreState::Ignored { reason, expires }) => {
                Some((f.finding.clone(), format!("{reason} (until {expires})")))
            }
            _ => None,
        })
        .collect();
    let mut notes: Vec<vigil_report::NotAssessed> = report
        .not_assessed
        .iter()
        .map(|n| vigil_report::NotAssessed {
            location: n.location.clone(),
            reason: format!("[{}] {}", n.kind.as_str(), n.reason),
        })
        .collect();
    for f in report.findings.iter() {
        if let Some(IgnoreState::Expired { reason, expired }) = &f.ignore {
            notes.push(vigil_report::NotAssessed {
                location: f.finding.advisories.first().cloned().unwrap_or_default(),
                reason: format!(
                    "[expired-ignore] the exception \"{reason}\" expired on {expired}: the finding is reported again"
                ),
            });
        }
    }
    let result = vigil_report::ScanResult {
        tool_version: env!("CARGO_PKG_VERSION"),
        generated_at: report.generated_at,
        today: report.today,
        assets: vec![report.asset.clone()],
        findings: &findings,
        ignored: &ignored,
        not_assessed: &notes,
    };
    Ok(match format {
        ScanFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&vigil_report::json::render(&result))?
        ),
        ScanFormat::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&vigil_report::sarif::render(&result))?
        ),
        ScanFormat::Vex => format!(
            "{}\n",
            serde_json::to_string_pretty(&vigil_report::vex::render(&result))?
        ),
        ScanFormat::Markdown => vigil_report::markdown::render(&result),
        ScanFormat::Table => table(report, color_enabled()),
    })
}

/// Colour only for a terminal, and never when `NO_COLOR` is set (<https://no-color.org>).
pub fn color_enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

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
pub fn table(report: &ScanReport, color: bool) -> String {
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
