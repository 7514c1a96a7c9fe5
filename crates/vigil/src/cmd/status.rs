//! `vigil status`: whether `vigil serve` is watching (from its heartbeat in the store) and every
//! asset's patch posture, the most overdue first.
//!
//! Exit 3 when a service has run on this store and nobody is watching now (its heartbeat is stale,
//! or it stopped): that is not an all-clear. A store no service has used shows posture only.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Context as _, Result};
use clap::Args;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use vigil_model::Liveness;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Measure deadlines as of this day (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
    /// Machine-readable output (schema `vigil.status/1`)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub remote: crate::remote::Remote,
}

pub fn run(ctx: &Context, args: StatusArgs) -> Result<Outcome> {
    if let Some(client) = args.remote.client()? {
        return remote(&client, &args);
    }
    let store = ctx.open_store()?;
    let today = args
        .today
        .unwrap_or_else(|| Timestamp::now().to_zoned(TimeZone::UTC).date());
    // Exceptions made in the console are counted beside each asset (they are not fixes).
    let ignores =
        vigil_pipeline::exceptions::with_stored(&store, &vigil_scan::IgnoreFile::default(), None)?;
    let assets = vigil_scan::posture::status(&store, today, &ignores)?;
    let overdue_actions: Vec<vigil_store::RemedialAction> =
        vigil_store::CaseStore::actions(&store, false)?
            .into_iter()
            .filter(|a| a.days_overdue(today).is_some_and(|d| d > 0))
            .collect();
    let now = Timestamp::now();
    let service = vigil_store::HealthStore::heartbeat(&store)?;
    let liveness = service.as_ref().map(|h| h.liveness(now));
    let outcome = match liveness {
        // No asset: no patch posture is known, whatever else is.
        _ if assets.is_empty() => Outcome::Partial,
        None | Some(Liveness::Running) => Outcome::Success,
        Some(Liveness::Stale | Liveness::Stopped) => Outcome::Partial,
    };
    let selftests = last_selftests(&store)?;
    if args.json {
        let selftests: Vec<serde_json::Value> = selftests
            .iter()
            .map(|(watch, passed, failed)| {
                serde_json::json!({
                    "watch": watch,
                    "last_passed": passed.as_ref().map(|a| a.created_at),
                    "failing": failed.as_ref().map(|a| a.title.clone()),
                })
            })
            .collect();
        let service = service.as_ref().map(|h| {
            serde_json::json!({
                "status": liveness,
                "heartbeat_age_seconds": h.age(now).as_secs(),
                "stale_after_seconds": h.stale_after().as_secs(),
                "health": h,
            })
        });
        let doc = serde_json::json!({
            "schema": "vigil.status/1",
            "today": today.to_string(),
            "service": service,
            "selftests": selftests,
            "assets": assets,
            "overdue_actions": overdue_actions,
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(outcome);
    }
    if let Some(h) = &service {
        for line in crate::render::health::service_lines(h, now) {
            crate::out!("{line}")?;
        }
        for (watch, passed, failed) in &selftests {
            let last = passed.as_ref().map_or("never".to_string(), |a| {
                crate::render::human_age(a.created_at.duration_until(now)) + " ago"
            });
            let failing = failed
                .as_ref()
                .map(|a| format!("; FAILING: {}", crate::term::text(&a.title)))
                .unwrap_or_default();
            crate::out!(
                "  self-test {}: last passed {last}{failing}",
                crate::term::text(watch)
            )?;
        }
        crate::out!()?;
    }
    if !overdue_actions.is_empty() {
        crate::out!("OVERDUE REMEDIAL ACTIONS ({})", overdue_actions.len())?;
        for a in &overdue_actions {
            crate::out!("{}", crate::render::action_line(a, today))?;
        }
        crate::out!()?;
    }
    if assets.is_empty() {
        crate::out!(
            "No assets yet, so no patch posture is known: run `vigil scan … --asset NAME` to record one."
        )?;
        return Ok(outcome);
    }
    print_posture(&assets)?;
    crate::out!("(deadlines as of {today})")?;
    Ok(outcome)
}

/// The posture table, the most overdue asset first.
fn print_posture(assets: &[vigil_scan::posture::AssetPosture]) -> Result<()> {
    crate::out!(
        "{:<24} {:>5} {:>8} {:>13}  {:<20} WORST",
        "ASSET",
        "OPEN",
        "OVERDUE",
        "WORST (days)",
        "LAST SCAN"
    )?;
    for a in assets {
        crate::out!(
            "{:<24} {:>5} {:>8} {:>13}  {:<20} {}",
            crate::render::clip(&a.asset.name, 24),
            a.open,
            a.overdue,
            a.worst_overdue_days
                .map_or("-".to_string(), |d| d.to_string()),
            a.last_snapshot.map_or("-".to_string(), |t| t
                .strftime("%Y-%m-%d %H:%M")
                .to_string()),
            a.worst
                .as_deref()
                .map(|w| crate::render::clip(w, 90))
                .unwrap_or_default()
        )?;
    }
    for a in assets.iter().filter(|a| a.ignored > 0) {
        crate::out!(
            "{}: {} open finding(s) with an exception in force (counted above: an exception is not a fix)",
            crate::term::text(&a.asset.name),
            a.ignored
        )?;
    }
    Ok(())
}

/// `vigil status --server`: the service's own account of its detection (`/api/v1/health`) and the
/// posture it holds (`/api/v1/assets`). Exit 3 unless the service says detection is running and
/// holds at least one asset.
fn remote(client: &crate::remote::Client, args: &StatusArgs) -> Result<Outcome> {
    if args.today.is_some() {
        anyhow::bail!("--today measures a local store; the service measures as of its own today");
    }
    let health = client.get_json("/api/v1/health", &[])?;
    let posture = client.get_json("/api/v1/assets", &[])?;
    let running = health["detection_running"].as_bool() == Some(true);
    let assets: Vec<vigil_scan::posture::AssetPosture> =
        serde_json::from_value(posture["assets"].clone())
            .context("the server's posture is not in the form this vigil reads")?;
    // As locally: no asset means no patch posture is known.
    let outcome = if running && !assets.is_empty() {
        Outcome::Success
    } else {
        Outcome::Partial
    };
    if args.json {
        let doc = serde_json::json!({
            "schema": "vigil.status/1",
            "today": posture["date"],
            "health": health,
            "assets": posture["assets"],
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(outcome);
    }
    let text = |v: &serde_json::Value| crate::term::text(v.as_str().unwrap_or("")).into_owned();
    crate::out!("{}", text(&health["verdict"]))?;
    for src in health["sources"].as_array().into_iter().flatten() {
        let states: Vec<String> = src["states"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| text(x).replace('_', " "))
            .collect();
        if !states.is_empty() {
            crate::out!("  source {}: {}", text(&src["name"]), states.join(", "))?;
        }
    }
    for a in health["alerts"].as_array().into_iter().flatten() {
        crate::out!("  open alert {}: {}", a["id"], text(&a["title"]))?;
    }
    crate::out!()?;
    if assets.is_empty() {
        crate::out!("No assets on the service yet, so no patch posture is known.")?;
    } else {
        print_posture(&assets)?;
    }
    crate::out!(
        "(deadlines as of {}, the service's day)",
        text(&posture["date"])
    )?;
    Ok(outcome)
}

/// Per watch: the last self-test that passed, and the live failure alert if one is open.
type SelfTestState = (
    String,
    Option<vigil_store::Alert>,
    Option<vigil_store::Alert>,
);

/// The self-test record of each watch, from the alerts the service raised for its canaries.
fn last_selftests(store: &vigil_store::SqliteStore) -> Result<Vec<SelfTestState>> {
    use vigil_store::AlertStore;
    let alerts = store.alerts(None, 10_000)?;
    Ok(vigil_serve::proof::selftests(&alerts)
        .into_iter()
        .map(|r| {
            let passed = r.last_passed().cloned();
            (r.watch, passed, r.failing)
        })
        .collect())
}
