//! `vigil report patching`: per asset, how patching is going, from stored snapshots.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Per asset: open findings by severity, overdue count, the oldest unapplied fix and how long it has
    /// been available, time since the last update, mean time to remediate
    Patching(PatchingArgs),
    /// Draft the personal-data-breach notification of a stored incident (GDPR Art. 33 / Guernsey DPL s.42)
    Breach(BreachArgs),
}

#[derive(Debug, Args)]
pub struct BreachArgs {
    /// The incident id (see `vigil investigate`)
    pub incident_id: String,
    /// The incident record (incident.toml): organisation, awareness time, what is known [default: the
    /// record saved for the incident in the console, if any]
    #[arg(long = "incident", value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = BreachFormat::Md)]
    pub format: BreachFormat,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Longest silence, in days, between two detections of one incident (as given to `vigil investigate`)
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub gap: u32,
    /// Detections at or above this level open incidents (as given to `vigil investigate`)
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = crate::cli::parse_level)]
    pub min_level: vigil_model::Level,
    #[command(flatten)]
    pub remote: crate::remote::Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BreachFormat {
    Md,
    Html,
    /// A4 pages, to a file (--output) or a pipe, never to a terminal
    #[cfg(feature = "pdf")]
    Pdf,
}

#[derive(Debug, Args)]
pub struct PatchingArgs {
    /// Only this asset
    #[arg(long, value_name = "NAME")]
    pub asset: Option<String>,
    /// Measure as of this day (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
    /// Machine-readable output (schema `vigil.patching/1`)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub remote: crate::remote::Remote,
}

pub fn run(ctx: &Context, cmd: ReportCommand) -> Result<Outcome> {
    match cmd {
        ReportCommand::Patching(args) => patching(ctx, args),
        ReportCommand::Breach(args) => breach(ctx, args),
    }
}

fn patching(ctx: &Context, args: PatchingArgs) -> Result<Outcome> {
    let today = args
        .today
        .unwrap_or_else(|| Timestamp::now().to_zoned(TimeZone::UTC).date());
    let reports = match args.remote.client()? {
        Some(client) => remote_patching(&client, args.asset.as_deref(), today)?,
        None => {
            let store = ctx.open_store()?;
            vigil_scan::posture::patching(&store, args.asset.as_deref(), today)?
        }
    };
    if let Some(name) = &args.asset
        && reports.is_empty()
    {
        bail!(
            "no asset named {name:?} in the store (scan it first with `vigil scan … --asset {name}`)"
        );
    }
    // No asset is no patching measured: never an all-clear.
    let outcome = if reports.is_empty() {
        Outcome::Partial
    } else {
        Outcome::Success
    };
    if args.json {
        let doc = serde_json::json!({
            "schema": "vigil.patching/1",
            "today": today.to_string(),
            "assets": reports,
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(outcome);
    }
    if reports.is_empty() {
        crate::out!(
            "No assets yet, so no patching was measured: run `vigil scan … --asset NAME` to record one."
        )?;
        return Ok(outcome);
    }
    for r in &reports {
        crate::out!("{}", crate::render::clip(&r.asset.name, 80))?;
        if !r.asset.tags.is_empty() {
            crate::out!(
                "  tags:                 {}",
                crate::render::clip(&r.asset.tags.join(", "), 200)
            )?;
        }
        crate::out!(
            "  snapshots:            {} ({} → {})",
            r.snapshots,
            r.first_snapshot
                .map_or("-".into(), |t| t.strftime("%Y-%m-%d").to_string()),
            r.last_snapshot
                .map_or("-".into(), |t| t.strftime("%Y-%m-%d").to_string())
        )?;
        let sev: Vec<String> = ["critical", "high", "medium", "low", "none", "unknown"]
            .iter()
            .filter_map(|s| r.open_by_severity.get(*s).map(|n| format!("{n} {s}")))
            .collect();
        crate::out!(
            "  open findings:        {}{}",
            r.open,
            if sev.is_empty() {
                String::new()
            } else {
                format!(" ({})", sev.join(", "))
            }
        )?;
        crate::out!("  overdue:              {}", r.overdue)?;
        match &r.oldest_unapplied_fix {
            Some(o) => crate::out!(
                "  oldest unapplied fix: {} released {}, available for {} days",
                crate::render::clip(&o.key, 80),
                o.fix_released,
                o.days_available
            )?,
            None => crate::out!("  oldest unapplied fix: -")?,
        }
        match &r.last_update {
            Some(u) => crate::out!(
                "  last update:          {} ({}), {} days ago",
                u.date,
                crate::render::clip(&u.evidence, 200),
                u.days_ago
            )?,
            None => crate::out!(
                "  last update:          none seen since the first snapshot ({})",
                r.first_snapshot
                    .map_or("-".into(), |t| t.strftime("%Y-%m-%d").to_string())
            )?,
        }
        crate::out!("  resolved findings:    {}", r.resolved)?;
        match (r.mean_days_to_remediate, r.mean_patch_latency_days) {
            (Some(m), l) => crate::out!(
                "  mean time to remediate: {m:.1} days from first seen{}",
                l.map(|l| format!("; {l:.1} days from the fix's release"))
                    .unwrap_or_default()
            )?,
            _ => crate::out!("  mean time to remediate: - (nothing resolved yet)")?,
        }
        crate::out!()?;
    }
    crate::out!("(as of {today})")?;
    Ok(Outcome::Success)
}

/// The service's patching report of its store (`GET /api/v1/patching`).
fn remote_patching(
    client: &crate::remote::Client,
    asset: Option<&str>,
    today: Date,
) -> Result<Vec<vigil_scan::posture::PatchingReport>> {
    let mut query = vec![("today", today.to_string())];
    if let Some(a) = asset {
        query.push(("asset", a.to_string()));
    }
    let mut doc = client.get_json("/api/v1/patching", &query)?;
    let assets = doc
        .get_mut("assets")
        .map(serde_json::Value::take)
        .context("the service's patching report has no asset list")?;
    serde_json::from_value(assets)
        .context("the service's patching report is not in the vigil.patching/1 form")
}

/// Rebuilds the incident from the stored detections (with their triage) and drafts its notification.
fn breach(ctx: &Context, args: BreachArgs) -> Result<Outcome> {
    if let Some(client) = args.remote.client()? {
        if args.record.is_some() {
            bail!(
                "with --server the draft uses the record saved in that console: fill it there (or \
                 PUT /api/v1/incidents/ID/record), not with --incident"
            );
        }
        refuse_pdf_to_terminal(args.format, args.output.as_deref())?;
        let format = match args.format {
            BreachFormat::Md => "markdown",
            BreachFormat::Html => "html",
            #[cfg(feature = "pdf")]
            BreachFormat::Pdf => "pdf",
        };
        let id = crate::remote::segment(&args.incident_id);
        let mut bytes = client.get_bytes(
            &format!("/api/v1/incidents/{id}/breach"),
            &[("format", format.to_string())],
        )?;
        if matches!(args.format, BreachFormat::Md | BreachFormat::Html) {
            // Text from another machine: no escape sequence of its reaches the terminal.
            bytes = String::from_utf8_lossy(&bytes)
                .chars()
                .map(|c| match c {
                    '\n' | '\t' => c,
                    c if c.is_control() => ' ',
                    c => c,
                })
                .collect::<String>()
                .into_bytes();
        }
        return write_draft(&bytes, args.output.as_deref());
    }
    refuse_pdf_to_terminal(args.format, args.output.as_deref())?;
    let store = ctx.open_store()?;
    let record = args
        .record
        .as_deref()
        .map(vigil_pipeline::investigate::read_record)
        .transpose()?;
    // Without a file, the record saved in the console is used (by the draft itself); say whose.
    if record.is_none()
        && let Some((_, by, at)) = vigil_pipeline::breach::stored_record(&store, &args.incident_id)?
    {
        crate::note!(
            "using the incident record saved by {} at {} (--incident FILE to use a file instead)",
            crate::term::text(&by),
            vigil_investigate::time::format_ts(at)
        );
    }
    let opts = vigil_pipeline::breach::BreachOptions {
        gap_days: args.gap,
        min_level: args.min_level,
    };
    let draft = match vigil_pipeline::breach::draft(
        &store,
        &args.incident_id,
        record.as_ref(),
        opts,
        Timestamp::now(),
    )? {
        Ok(d) => d,
        Err(known) => bail!(
            "no incident {:?} in the stored detections; known: {}",
            args.incident_id,
            if known.is_empty() {
                "none (run `vigil audit` first)".to_string()
            } else {
                known.join(", ")
            }
        ),
    };
    let footer = format!(
        "Drafted by vigil {} at {}",
        env!("CARGO_PKG_VERSION"),
        vigil_investigate::time::format_ts(Timestamp::now())
    );
    let bytes = match args.format {
        BreachFormat::Md => draft.to_markdown().into_bytes(),
        BreachFormat::Html => {
            vigil_report::breach_html::render_breach(&draft, &footer).into_bytes()
        }
        #[cfg(feature = "pdf")]
        BreachFormat::Pdf => vigil_report::breach_pdf::render_breach_pdf(&draft, &footer),
    };
    write_draft(&bytes, args.output.as_deref())
}

/// A PDF is binary: written to a terminal it would only garble it.
fn refuse_pdf_to_terminal(format: BreachFormat, output: Option<&std::path::Path>) -> Result<()> {
    #[cfg(feature = "pdf")]
    if format == BreachFormat::Pdf
        && output.is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
    {
        bail!("a PDF is not for the terminal: give --output FILE.pdf (or redirect to a file)");
    }
    let _ = (format, output);
    Ok(())
}

/// The draft to `--output`, else to stdout.
fn write_draft(bytes: &[u8], output: Option<&std::path::Path>) -> Result<Outcome> {
    match output {
        Some(p) => std::fs::write(p, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", crate::term::path(p)))?,
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
    }
    Ok(Outcome::Success)
}
