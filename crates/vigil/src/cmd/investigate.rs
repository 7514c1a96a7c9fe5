//! `vigil investigate`: incidents from the stored detections, each with its entry point, root cause and
//! dwell time. The stage itself is `vigil_pipeline::investigate::run`; this module maps the flags onto
//! it and prints. With `--server`, the service investigates its own store and this prints its answer.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Context as _, Result, bail};
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;
use vigil_model::Level;
use vigil_pipeline::investigate::{self as inv, CaseSummary, InvestigateOptions};

#[derive(Debug, Args)]
pub struct InvestigateArgs {
    /// Only incidents on this asset
    #[arg(long, value_name = "NAME")]
    pub asset: Option<String>,
    /// Longest silence, in days, between two detections of one wave (later waves join by shared entities)
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub gap: u32,
    /// Detections at or above this level open incidents; lower ones (not informational) only join one
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = crate::cli::parse_level)]
    pub min_level: Level,
    /// How many days before an incident lower-level detections sharing an address, network or account
    /// with it are its precursors (they move its start and the dwell time)
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub lookback: u32,
    /// The incident record (incident.toml): awareness time for dwell time and the 72-hour deadline
    #[arg(long, value_name = "FILE")]
    pub incident: Option<PathBuf>,
    /// Machine-readable output (schema `vigil.investigate/1`)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub remote: crate::remote::Remote,
}

/// What is printed, from a local or a remote investigation.
struct Outcomes {
    incidents: Vec<CaseSummary>,
    detections: usize,
    dismissed: usize,
    untimed: usize,
}

pub fn run(ctx: &Context, args: InvestigateArgs) -> Result<Outcome> {
    let opts = InvestigateOptions {
        asset: args.asset.clone(),
        gap_days: args.gap,
        min_level: args.min_level,
        lookback_days: args.lookback,
    };
    let found = match args.remote.client()? {
        Some(client) => {
            if args.incident.is_some() {
                bail!(
                    "with --server the service investigates its own store: the awareness time comes \
                     from the record saved there, not from --incident"
                );
            }
            remote(&client, &opts)?
        }
        None => {
            let mut store = ctx.open_store()?;
            let record = args.incident.as_deref().map(inv::read_record).transpose()?;
            let done = inv::run(&mut store, &opts, record.as_ref())?;
            Outcomes {
                incidents: done.cases.iter().map(CaseSummary::of).collect(),
                detections: done.detections,
                dismissed: done.dismissed,
                untimed: done.untimed,
            }
        }
    };
    print(&found, &args)
}

fn print(found: &Outcomes, args: &InvestigateArgs) -> Result<Outcome> {
    // No stored detection is no evidence either way: never an all-clear.
    let outcome = if found.detections == 0 {
        Outcome::Partial
    } else {
        Outcome::Success
    };
    if args.json {
        let doc = serde_json::json!({
            "schema": "vigil.investigate/1",
            "incidents": found.incidents,
            "detections": found.detections,
            "dismissed": found.dismissed,
            "untimed": found.untimed,
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(outcome);
    }
    if found.detections == 0 {
        crate::out!(
            "Nothing to investigate: no detection is stored yet, so no incident can be concluded \
             either way. Run `vigil audit …` (or `vigil serve`) first."
        )?;
        return Ok(outcome);
    }
    if found.incidents.is_empty() {
        crate::out!(
            "No incident: no stored detection at or above {}{}.",
            args.min_level,
            args.asset
                .as_deref()
                .map(|a| format!(" on {}", crate::render::clip(a, 80)))
                .unwrap_or_default()
        )?;
    }
    for c in &found.incidents {
        crate::put!("{}", crate::render::case_text(c))?;
    }
    if found.dismissed > 0 {
        crate::out!(
            "({} detection(s) dismissed as false positives)",
            found.dismissed
        )?;
    }
    Ok(Outcome::Success)
}

/// The service's investigation of its store (`GET /api/v1/investigation`).
fn remote(client: &crate::remote::Client, opts: &InvestigateOptions) -> Result<Outcomes> {
    let mut query = vec![
        ("gap", opts.gap_days.to_string()),
        ("min_level", opts.min_level.to_string()),
        ("lookback", opts.lookback_days.to_string()),
    ];
    if let Some(a) = &opts.asset {
        query.push(("asset", a.clone()));
    }
    let doc = client.get_json("/api/v1/investigation", &query)?;
    let count = |key: &str| -> Result<usize> {
        doc.get(key)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .with_context(|| format!("the service's investigation has no {key:?} count"))
    };
    let incidents = doc
        .get("incidents")
        .cloned()
        .context("the service's investigation has no incident list")?;
    let incidents: Vec<CaseSummary> = serde_json::from_value(incidents)
        .context("the service's investigation is not in the vigil.incident/1 form")?;
    Ok(Outcomes {
        incidents,
        detections: count("detections")?,
        dismissed: count("dismissed")?,
        untimed: count("untimed")?,
    })
}
