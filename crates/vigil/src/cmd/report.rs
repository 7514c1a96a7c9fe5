//! `vigil report patching`: per asset, how patching is going, from stored snapshots.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Per asset: open findings by severity, overdue count, the oldest unapplied fix and how long it has
    /// been available, time since the last update, mean time to remediate
    Patching(PatchingArgs),
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
}

pub fn run(ctx: &Context, cmd: ReportCommand) -> Result<Outcome> {
    match cmd {
        ReportCommand::Patching(args) => patching(ctx, args),
    }
}

fn patching(ctx: &Context, args: PatchingArgs) -> Result<Outcome> {
    let store = ctx.open_store()?;
    let today = args
        .today
        .unwrap_or_else(|| Timestamp::now().to_zoned(TimeZone::UTC).date());
    let reports = vigil_scan::posture::patching(&store, args.asset.as_deref(), today)?;
    if let Some(name) = &args.asset
        && reports.is_empty()
    {
        bail!(
            "no asset named {name:?} in the store (scan it first with `vigil scan … --asset {name}`)"
        );
    }
    if args.json {
        let doc = serde_json::json!({
            "schema": "vigil.patching/1",
            "today": today.to_string(),
            "assets": reports,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(Outcome::Success);
    }
    if reports.is_empty() {
        println!("No assets yet: run `vigil scan … --asset NAME` to record one.");
    }
    for r in &reports {
        println!("{}", crate::cmd::status::clip(&r.asset.name, 80));
        if !r.asset.tags.is_empty() {
            println!("  tags:                 {}", r.asset.tags.join(", "));
        }
        println!(
            "  snapshots:            {} ({} → {})",
            r.snapshots,
            r.first_snapshot
                .map_or("-".into(), |t| t.strftime("%Y-%m-%d").to_string()),
            r.last_snapshot
                .map_or("-".into(), |t| t.strftime("%Y-%m-%d").to_string())
        );
        let sev: Vec<String> = ["critical", "high", "medium", "low", "none", "unknown"]
            .iter()
            .filter_map(|s| r.open_by_severity.get(*s).map(|n| format!("{n} {s}")))
            .collect();
        println!(
            "  open findings:        {}{}",
            r.open,
            if sev.is_empty() {
                String::new()
            } else {
                format!(" ({})", sev.join(", "))
            }
        );
        println!("  overdue:              {}", r.overdue);
        match &r.oldest_unapplied_fix {
            Some(o) => println!(
                "  oldest unapplied fix: {} released {}, available for {} days",
                crate::cmd::status::clip(&o.key, 80),
                o.fix_released,
                o.days_available
            ),
            None => println!("  oldest unapplied fix: -"),
        }
        match &r.last_update {
            Some(u) => println!(
                "  last update:          {} ({}), {} days ago",
                u.date, u.evidence, u.days_ago
            ),
            None => println!(
                "  last update:          none seen since the first snapshot ({})",
                r.first_snapshot
                    .map_or("-".into(), |t| t.strftime("%Y-%m-%d").to_string())
            ),
        }
        println!("  resolved findings:    {}", r.resolved);
        match (r.mean_days_to_remediate, r.mean_patch_latency_days) {
            (Some(m), l) => println!(
                "  mean time to remediate: {m:.1} days from first seen{}",
                l.map(|l| format!("; {l:.1} days from the fix's release"))
                    .unwrap_or_default()
            ),
            _ => println!("  mean time to remediate: - (nothing resolved yet)"),
        }
        println!();
    }
    println!("(as of {today})");
    Ok(Outcome::Success)
}
