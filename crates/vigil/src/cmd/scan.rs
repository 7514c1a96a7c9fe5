//! `vigil scan`: inventory → findings → deadlines → report, and a snapshot of the asset in the store.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::Result;
use clap::{Args, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use vigil_model::Severity;
use vigil_pipeline::scan::{ScanOutcome, ScanRequest, scan_asset};
use vigil_report::{ScanSink, ScanWriter};
use vigil_scan::IgnoreFile;

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

pub fn run(ctx: &Context, args: ScanArgs) -> Result<Outcome> {
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
    let mut store = ctx.open_store()?;
    // The exceptions made in the console apply beside the file's.
    let ignores = vigil_pipeline::exceptions::with_stored(&store, &ignores, None)?;
    let req = ScanRequest {
        targets: args.targets,
        excludes: args.excludes,
        roots: args.root,
        host: args.host,
        asset: args.asset,
        tags: args.tags,
        today: args.today,
        now: Timestamp::now(),
        max_age: ctx.config.knowledge.max_age(),
        policy: &ctx.config.policy,
        ignores: &ignores,
        store: !args.no_store,
    };
    let done = scan_asset(&mut store, &req)?;

    // The report is printed before a failure to store is told: that failure must not hide it.
    ScanWriter::new(std::io::stdout().lock(), report_format(args.format)).scan(&done.report)?;
    match &done.stored {
        Some(Ok(saved)) => tracing::info!(
            new = saved.new,
            still_open = saved.still_open,
            resolved = saved.resolved,
            "snapshot stored"
        ),
        Some(Err(e)) => crate::note!(
            "warning: the scan was not stored: {}",
            crate::term::text(&e.to_string())
        ),
        None => {}
    }

    let outcome = outcome(&done, args.fail_on.map(FailOn::severity));
    if outcome == Outcome::Partial && !done.report.not_assessed.is_empty() {
        crate::note!(
            "vigil: the assessment is incomplete: {} item(s) not assessed (listed under NOT ASSESSED); \
             the absence of a finding there is not an all-clear",
            done.report.not_assessed.len()
        );
    }
    Ok(outcome)
}

/// The exit status of a scan: the gate when a finding trips it, else partial when anything was not
/// read, not assessed or not stored, else success. Exit 0 means every input was read and assessed.
fn outcome(done: &ScanOutcome, gate: Option<Severity>) -> Outcome {
    if gate.is_some_and(|g| done.report.trips(g)) {
        Outcome::GateTripped
    } else if done.partial() {
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
