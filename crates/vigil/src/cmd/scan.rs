//! `vigil scan`: inventory → findings → deadlines → report, and a snapshot of the asset in the store.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use vigil_inventory::Inventory;
use vigil_model::{Asset, Severity};
use vigil_report::{ScanSink, ScanWriter};
use vigil_scan::{HostUpdates, IgnoreFile, NotAssessed, NotAssessedKind, ScanInput, ScanReport};
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
    ScanWriter::new(std::io::stdout().lock(), report_format(args.format)).scan(&report)?;

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

/// The renderer's form of the chosen format (colour decided here: it depends on the terminal).
pub fn report_format(format: ScanFormat) -> vigil_report::ScanFormat {
    match format {
        ScanFormat::Table => vigil_report::ScanFormat::Table {
            colour: color_enabled(),
        },
        ScanFormat::Json => vigil_report::ScanFormat::Json,
        ScanFormat::Markdown => vigil_report::ScanFormat::Markdown,
        ScanFormat::Sarif => vigil_report::ScanFormat::Sarif,
        ScanFormat::Vex => vigil_report::ScanFormat::Vex,
    }
}

/// Colour only for a terminal, and never when `NO_COLOR` is set (<https://no-color.org>).
pub fn color_enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
