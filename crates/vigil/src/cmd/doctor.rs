//! `vigil doctor`: can this server be seen at all? Reads what vigil has of an asset, profiles each
//! log source from its events and states which detections are impossible, why, and how to fix it.
//! The work is `vigil-coverage`'s; this module loads the rules, prints and maps the outcome.

use crate::Outcome;
use crate::cli::RuleArgs;
use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use vigil_coverage::{Assessment, CheckOptions, Gap};

pub const LONG_ABOUT: &str = "Can this server be seen at all? Reads an asset's logs (files or \
folders, sorted as `vigil audit` sorts them: inventory and documentation are recognised and not read \
as logs), profiles each log source from the events themselves — Windows channels and event ids, \
whether Security 4688 carries the command line, Sysmon, Defender, PowerShell script blocks, IIS \
#Fields:, Exchange HttpProxy and message tracking, Dovecot auth_verbose, Postfix SASL lines, the time \
covered and silences — and states which detections are impossible: each gap names the bundled rules \
that go blind, their ATT&CK techniques, and the fix (GPO, registry value, command, configuration \
line).\n\n\
Exit status: 0 when no gap was found in what was given; 3 when gaps were found, an input could not be \
read, a rule could not be loaded, or no event was read at all (\"nothing to assess\"); 2 usage.\n\n\
Examples:\n  vigil doctor examples/exchange-2021\n  vigil doctor /var/log --asset mail01 \
--min-retention-days 30\n  vigil doctor logs/ --format json | jq '.gaps[].id'";

/// What both `doctor` and `coverage` read.
#[derive(Debug, Args)]
pub struct AssetArgs {
    /// The asset's log files and folders (an inventory among them is recognised)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The asset's name, shown in the output
    #[arg(long, value_name = "NAME")]
    pub asset: Option<String>,
    /// Logs covering fewer days than this are a gap (the patch cycle)
    #[arg(long, value_name = "DAYS", default_value_t = CheckOptions::default().min_retention_days,
          value_parser = clap::value_parser!(i64).range(0..=36_500))]
    pub min_retention_days: i64,
    /// A source silent for longer than this inside the period it covers is a gap
    #[arg(long, value_name = "HOURS", default_value_t = CheckOptions::default().max_silence_hours,
          value_parser = clap::value_parser!(i64).range(1..=876_000))]
    pub max_silence_hours: i64,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub asset: AssetArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = DoctorFormat::Table)]
    pub format: DoctorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    Table,
    Json,
}

/// The assessment and what could not be assessed.
pub struct Assessed {
    pub assessment: Assessment,
    /// Rules that could not be loaded.
    pub rule_errors: usize,
}

impl Assessed {
    /// Partial when an input could not be read, a rule not loaded, or nothing was read; the
    /// reasons are printed on stderr.
    pub fn report_incomplete(&self) -> bool {
        let a = &self.assessment;
        for (path, reason) in a.unreadable() {
            crate::note!(
                "not read: {}: {}",
                crate::term::text(path),
                crate::term::text(reason)
            );
        }
        for n in &a.profile.notes {
            crate::note!("note: {}", crate::term::text(n));
        }
        if self.rule_errors > 0 {
            crate::note!(
                "{} rules could not be loaded and were not assessed (run 'vigil rules check')",
                self.rule_errors
            );
        }
        if a.is_empty() {
            crate::note!("nothing to assess: no log event was read from the inputs given");
        }
        a.is_empty() || !a.unreadable().is_empty() || self.rule_errors > 0
    }
}

/// Loads the rules and assesses the asset.
pub fn assess(args: &AssetArgs) -> Result<Assessed> {
    let loaded = vigil_pipeline::rules::load(&args.rules.to_source())?;
    let opts = CheckOptions {
        min_retention_days: args.min_retention_days,
        max_silence_hours: args.max_silence_hours,
        ..CheckOptions::default()
    };
    let assessment = vigil_coverage::assess(
        &args.paths,
        args.asset.clone(),
        &loaded.set,
        &vigil_logs::ReadOptions::default(),
        &opts,
    )?;
    Ok(Assessed {
        assessment,
        rule_errors: loaded.errors.len(),
    })
}

pub fn run(args: DoctorArgs) -> Result<Outcome> {
    let assessed = assess(&args.asset)?;
    let a = &assessed.assessment;
    match args.format {
        DoctorFormat::Json => crate::out!(
            "{}",
            serde_json::to_string_pretty(a).context("cannot serialise the assessment")?
        )?,
        DoctorFormat::Table => print_table(a, args.asset.min_retention_days)?,
    }
    let incomplete = assessed.report_incomplete();
    Ok(if incomplete || !a.gaps.is_empty() {
        Outcome::Partial
    } else {
        Outcome::Success
    })
}

fn print_table(a: &Assessment, retention: i64) -> std::io::Result<()> {
    let t = |s: &str| crate::term::text(s).into_owned();
    let p = &a.profile;
    let read = p.files.iter().filter(|f| f.not_read.is_none()).count();
    crate::out!(
        "asset     {}",
        a.asset.as_deref().map(t).unwrap_or_else(|| "-".into())
    )?;
    crate::out!(
        "read      {read} log files, {} events; {} inventory files; {} of {} rules can fire",
        p.events,
        a.inventory.len(),
        a.rules_firing,
        a.rules
    )?;
    if let Some((first, last)) = p.span() {
        crate::out!("period    {first} to {last}")?;
    }
    for (key, s) in &p.sources {
        let period = match (s.first, s.last) {
            (Some(f), Some(l)) => format!("{} to {}", f.strftime("%F"), l.strftime("%F")),
            _ => "no time".into(),
        };
        crate::out!("source    {:<48} {:>9} events  {period}", t(key), s.events)?;
    }
    if a.gaps.is_empty() {
        if !a.is_empty() {
            crate::out!(
                "\nno gap found in what was given (retention at least {retention} days, every \
                 source that was expected is present with its fields)"
            )?;
        }
        return Ok(());
    }
    crate::out!(
        "\n{} gaps: detections that are impossible on this asset",
        a.gaps.len()
    )?;
    for g in &a.gaps {
        print_gap(g)?;
    }
    Ok(())
}

fn print_gap(g: &Gap) -> std::io::Result<()> {
    let t = |s: &str| crate::term::text(s).into_owned();
    crate::out!("\n[{}] {}", g.id, t(&g.title))?;
    crate::out!("  evidence    {}", t(&g.evidence))?;
    if g.blind.is_empty() {
        if matches!(g.id, "retention" | "silence") {
            crate::out!("  blind       every rule, for the time the logs do not cover")?;
        } else {
            crate::out!("  blind       no bundled rule (the gap still hides what it logs)")?;
        }
    } else {
        let titles: Vec<String> = g.blind.iter().take(5).map(|b| t(&b.title)).collect();
        let more = g.blind.len().saturating_sub(titles.len());
        crate::out!(
            "  blind       {} rules: {}{}",
            g.blind.len(),
            titles.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        )?;
    }
    if !g.techniques.is_empty() {
        crate::out!("  att&ck      {}", g.techniques.join(", "))?;
    }
    if let Some(fix) = &g.fix {
        crate::out!("  fix         {}", fix.summary)?;
        for step in fix.steps {
            crate::out!("              - {step}")?;
        }
        crate::out!("              see {}", fix.source)?;
    }
    Ok(())
}
