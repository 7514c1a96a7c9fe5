//! `vigil investigate`: incidents from the stored detections, each with its entry point, root cause and
//! dwell time. The stage itself is `vigil_pipeline::investigate`; this module maps the flags onto it and
//! prints.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use vigil_investigate::{group_incidents, investigate};
use vigil_model::Level;
use vigil_pipeline::investigate as inv;

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
}

pub fn run(ctx: &Context, args: InvestigateArgs) -> Result<Outcome> {
    let mut store = ctx.open_store()?;
    let (dets, dismissed) = inv::stored(&store)?;
    if dets.is_empty() {
        crate::out!("No detections stored yet: run `vigil audit …` first.")?;
        return Ok(Outcome::Success);
    }
    let record = args.incident.as_deref().map(inv::read_record).transpose()?;
    let cve_map = vigil_pipeline::rules::load_cve_map();
    let mut grouping = group_incidents(
        &dets,
        &inv::group_options(
            &dismissed,
            args.gap,
            args.min_level,
            args.lookback,
            &cve_map,
        ),
    );
    if let Some(a) = &args.asset {
        grouping.incidents.retain(|i| i.is_on(a));
    }
    let mut k = inv::knowledge(&store, cve_map)?;
    // The store `vigil serve` raises alerts in: its history says when each incident was first
    // alerted and whether anyone acknowledged it.
    k.alerts = Some(vigil_pipeline::alert_history::alert_records(
        &store,
        &grouping.incidents,
    )?);
    // Self-tests are only claimed about where a service has watched (it leaves a heartbeat).
    let tests = vigil_pipeline::alert_history::selftest_records(&store)?;
    if !tests.is_empty() || vigil_store::HealthStore::heartbeat(&store)?.is_some() {
        k.selftests = Some(tests);
    }
    let cases = investigate(&grouping, &k, record.as_ref());
    inv::save_cases(&mut store, &cases)?;
    if args.json {
        let doc = serde_json::json!({
            "schema": "vigil.investigate/1",
            "incidents": cases.iter().map(inv::summary_json).collect::<Vec<_>>(),
            "dismissed": grouping.dismissed.len(),
            "untimed": grouping.untimed.len(),
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(Outcome::Success);
    }
    if cases.is_empty() {
        crate::out!(
            "No incident: no stored detection at or above {}.",
            args.min_level
        )?;
    }
    for c in &cases {
        crate::put!("{}", crate::render::case_text(c))?;
    }
    if !grouping.dismissed.is_empty() {
        crate::out!(
            "({} detection(s) dismissed as false positives)",
            grouping.dismissed.len()
        )?;
    }
    Ok(Outcome::Success)
}
