//! `vigil plan add | list | done`: the remedial action plan that follows an incident or an audit, kept in
//! the store with an owner, a due date and a status; overdue actions also show in `vigil status`. Every
//! change is recorded in the audit trail under the person acting; with `--server` the plan is a remote
//! service's (its console's API).

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use vigil_store::NewAction;
use vigil_store::prelude::*;

/// `vigil plan`: the subcommand, against the local store or a remote service.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub remote: crate::remote::Remote,
    #[command(subcommand)]
    pub cmd: PlanCommand,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Record a remedial action
    Add {
        /// What is to be done (e.g. "Install KB5001779 on MAIL01")
        action: String,
        /// Who does it
        #[arg(long, value_name = "NAME")]
        owner: Option<String>,
        /// By when (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        due: Option<Date>,
        /// The incident it follows from
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// The asset it concerns
        #[arg(long, value_name = "NAME")]
        asset: Option<String>,
        /// Who records it [default: the USER (or USERNAME) environment variable]
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// List the open actions, the most overdue first (--all: done ones too)
    List {
        #[arg(long)]
        all: bool,
        /// Measure due dates as of this day instead of today
        #[arg(long, value_name = "DATE")]
        today: Option<Date>,
        /// Machine-readable output (schema `vigil.plan/1`)
        #[arg(long)]
        json: bool,
    },
    /// Mark an action done
    Done {
        id: i64,
        /// What was done, for the record
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Who did it [default: the USER (or USERNAME) environment variable]
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

pub fn run(ctx: &Context, args: PlanArgs) -> Result<Outcome> {
    if let Some(client) = args.remote.client()? {
        return run_remote(&client, args.cmd);
    }
    let mut store = ctx.open_store()?;
    match args.cmd {
        PlanCommand::Add {
            action,
            owner,
            due,
            incident,
            asset,
            by,
        } => {
            let by = actor(by);
            let new = NewAction {
                action,
                owner,
                due,
                incident,
                asset,
            };
            let id = store.add_action_recorded(&new, Timestamp::now(), &by)?;
            crate::out!("action {id} recorded")?;
        }
        PlanCommand::List { all, today, json } => {
            let today = today.unwrap_or_else(|| Timestamp::now().to_zoned(TimeZone::UTC).date());
            let actions = store.actions(all)?;
            print_actions(&actions, all, today, json)?;
        }
        PlanCommand::Done { id, note, by } => {
            let by = actor(by);
            if !store.complete_action_recorded(id, Timestamp::now(), note.as_deref(), &by)? {
                match store.action(id)? {
                    Some(_) => bail!("action {id} is already done"),
                    None => bail!("no action {id} (see `vigil plan list --all`)"),
                }
            }
            crate::out!("action {id} done")?;
        }
    }
    Ok(Outcome::Success)
}

/// Who the trail names for a change made here: `cli:<--by>`, else as the other commands do
/// (`cli:<login name>`, `cli:unknown` without one: a script's change is still recorded).
fn actor(by: Option<String>) -> String {
    match by.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) {
        Some(b) => format!("cli:{b}"),
        None => super::user::cli_actor(),
    }
}

/// The plan as a table (the most overdue first) or as `vigil.plan/1` JSON.
fn print_actions(
    actions: &[vigil_store::RemedialAction],
    all: bool,
    today: Date,
    json: bool,
) -> Result<()> {
    if json {
        let rows: Vec<serde_json::Value> = actions
            .iter()
            .map(|a| {
                let mut v = serde_json::to_value(a).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("days_overdue".into(), a.days_overdue(today).into());
                }
                v
            })
            .collect();
        let doc = serde_json::json!({"schema": "vigil.plan/1", "today": today.to_string(), "actions": rows});
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    if actions.is_empty() {
        crate::out!("No remedial actions{}.", if all { "" } else { " open" })?;
    }
    for a in actions {
        crate::out!("{}", crate::render::action_line(a, today))?;
    }
    Ok(())
}

/// The same commands against a remote service's API (`/api/v1/plan`); the service records each
/// change in its trail under the token's name.
fn run_remote(client: &crate::remote::Client, cmd: PlanCommand) -> Result<Outcome> {
    let action_of = |v: &serde_json::Value| -> Result<vigil_store::RemedialAction> {
        serde_json::from_value(v["action"].clone())
            .context("the server's answer is not an action in the form this vigil reads")
    };
    match cmd {
        PlanCommand::Add {
            action,
            owner,
            due,
            incident,
            asset,
            by,
        } => {
            if asset.is_some() || by.is_some() {
                bail!(
                    "with --server the asset is the incident's and the person is the token's: \
                     drop --asset and --by"
                );
            }
            let body = serde_json::json!({
                "title": action,
                "owner": owner.unwrap_or_default(),
                "due": due.map(|d| d.to_string()).unwrap_or_default(),
                "incident": incident.unwrap_or_default(),
            });
            let made = action_of(&client.post_json("/api/v1/plan", &body)?)?;
            crate::out!("action {} recorded", made.id)?;
        }
        PlanCommand::List { all, today, json } => {
            let today = today.unwrap_or_else(|| Timestamp::now().to_zoned(TimeZone::UTC).date());
            let state = if all { "all" } else { "open" };
            let mut actions = Vec::new();
            let mut offset = 0usize;
            // Every page: a plan is short, but the API pages everything.
            loop {
                let page = client.get_json(
                    "/api/v1/plan",
                    &[
                        ("state", state.to_string()),
                        ("limit", "500".to_string()),
                        ("offset", offset.to_string()),
                    ],
                )?;
                let more: Vec<vigil_store::RemedialAction> =
                    serde_json::from_value(page["actions"].clone())
                        .context("the server's actions are not in the form this vigil reads")?;
                actions.extend(more);
                match page["next_offset"].as_u64() {
                    Some(next) if (next as usize) > offset => offset = next as usize,
                    _ => break,
                }
            }
            print_actions(&actions, all, today, json)?;
        }
        PlanCommand::Done { id, note, by } => {
            if by.is_some() {
                bail!("with --server the person is the token's: drop --by");
            }
            let body = serde_json::json!({ "note": note });
            action_of(&client.post_json(&format!("/api/v1/plan/{id}/done"), &body)?)?;
            crate::out!("action {id} done")?;
        }
    }
    Ok(Outcome::Success)
}
