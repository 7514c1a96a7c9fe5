//! `vigil plan add | list | done`: the remedial action plan that follows an incident or an audit, kept in
//! the store with an owner, a due date and a status; overdue actions also show in `vigil status`.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Result, bail};
use clap::Subcommand;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use vigil_store::NewAction;
use vigil_store::prelude::*;

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
    },
}

pub fn run(ctx: &Context, cmd: PlanCommand) -> Result<Outcome> {
    let mut store = ctx.open_store()?;
    match cmd {
        PlanCommand::Add {
            action,
            owner,
            due,
            incident,
            asset,
        } => {
            let id = store.add_action(&NewAction {
                action,
                owner,
                due,
                incident,
                asset,
            })?;
            crate::out!("action {id} recorded")?;
        }
        PlanCommand::List { all, today, json } => {
            let today = today.unwrap_or_else(|| Timestamp::now().to_zoned(TimeZone::UTC).date());
            let actions = store.actions(all)?;
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
                return Ok(Outcome::Success);
            }
            if actions.is_empty() {
                crate::out!("No remedial actions{}.", if all { "" } else { " open" })?;
            }
            for a in &actions {
                crate::out!("{}", crate::render::action_line(a, today))?;
            }
        }
        PlanCommand::Done { id, note } => {
            if !store.complete_action(id, Timestamp::now(), note.as_deref())? {
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
