//! `vigil alerts list | show | ack | resolve`: the alerts `vigil serve` raised, and the acknowledgement
//! that stops their escalation — by id, or with the signed token of the link in an alert e-mail.

use crate::Outcome;
use crate::cmd::Context;
use crate::term::text;
use anyhow::{Context as _, Result, bail};
use clap::{Subcommand, ValueEnum};
use jiff::Timestamp;
use vigil_store::{
    Alert, AlertAction, AlertChange, AlertEvent, AlertState, AlertStore, TrailDraft, TrailStore,
};

/// History entries `show` prints at most (the latest ones).
const HISTORY_SHOWN: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateFilter {
    Open,
    Acknowledged,
    Resolved,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

pub use crate::remote::Remote;

/// `vigil alerts`: the subcommand, against the local store or a remote service.
#[derive(Debug, clap::Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    pub remote: Remote,
    #[command(subcommand)]
    pub cmd: AlertsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List alerts, newest first
    List {
        /// Which alerts
        #[arg(long, value_enum, default_value = "open")]
        state: StateFilter,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// At most this many
        #[arg(long, default_value_t = 200, value_name = "N")]
        limit: usize,
    },
    /// Show one alert: evidence, state, and the history of its deliveries and transitions
    Show {
        /// The alert's id (see `vigil alerts list`)
        id: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Acknowledge an alert (this stops its escalation), by id or with the token of an alert e-mail
    #[command(
        after_help = "Examples:\n  vigil alerts ack 17 --by dana --note \"isolating MAIL01\"\n  \
vigil alerts ack --token v1.17.acknowledge.… --by dana"
    )]
    Ack {
        /// The alert's id (see `vigil alerts list`)
        #[arg(required_unless_present = "token", conflicts_with = "token")]
        id: Option<i64>,
        /// Who acknowledges [default: the USER (or USERNAME) environment variable]
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// What is being done about it
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// The signed token from an alert e-mail's link (works once, until it expires)
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
    },
    /// Resolve an alert (an open one is acknowledged at the same time)
    Resolve {
        /// The alert's id (see `vigil alerts list`)
        id: i64,
        /// Who resolves [default: the USER (or USERNAME) environment variable]
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// How it was resolved
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
}

pub fn run(ctx: &Context, cmd: AlertsCommand, remote: &Remote) -> Result<Outcome> {
    if let Some(client) = remote.client()? {
        return run_remote(&client, cmd);
    }
    let mut store = ctx.open_store()?;
    match cmd {
        AlertsCommand::List {
            state,
            format,
            limit,
        } => list(&store, state, format, limit),
        AlertsCommand::Show { id, format } => show(&store, id, format),
        AlertsCommand::Ack {
            id,
            by,
            note,
            token,
        } => {
            let by = super::person(by)?;
            let now = Timestamp::now();
            let alert = match (token, id) {
                (Some(token), _) => {
                    let alert =
                        vigil_alert::redeem_link(&mut store, &token, &by, note.as_deref(), now)?;
                    // The link's own transaction is vigil-alert's; its trail entry follows it.
                    store.append_trail(
                        &TrailDraft::new(
                            format!("link:{by}"),
                            match alert.state {
                                AlertState::Resolved => "alert.resolve",
                                _ => "alert.acknowledge",
                            },
                            format!("alert:{}", alert.id),
                            note.clone().unwrap_or_default(),
                        ),
                        now,
                    )?;
                    alert
                }
                (None, Some(id)) => {
                    change(&mut store, id, AlertAction::Acknowledge, by, note, now)?
                }
                (None, None) => bail!("give an alert id or --token"),
            };
            done(&alert)
        }
        AlertsCommand::Resolve { id, by, note } => {
            let alert = change(
                &mut store,
                id,
                AlertAction::Resolve,
                super::person(by)?,
                note,
                Timestamp::now(),
            )?;
            done(&alert)
        }
    }
}

/// The change and its audit-trail entry (by `cli:<name>`), in one transaction.
fn change(
    store: &mut impl TrailStore,
    id: i64,
    action: AlertAction,
    by: String,
    note: Option<String>,
    at: Timestamp,
) -> Result<Alert> {
    let actor = format!("cli:{by}");
    Ok(store.change_alert_recorded(
        id,
        &AlertChange {
            action,
            by,
            at,
            note,
            token_nonce: None,
        },
        &actor,
    )?)
}

fn done(a: &Alert) -> Result<Outcome> {
    let mark = match a.state {
        AlertState::Resolved => a.resolved.as_ref(),
        _ => a.acknowledged.as_ref(),
    };
    if let Some(m) = mark {
        crate::out!(
            "alert {} {} by {} at {}; it is no longer escalated",
            a.id,
            a.state,
            text(&m.by),
            m.at
        )?;
    }
    Ok(Outcome::Success)
}

fn list(
    store: &impl AlertStore,
    state: StateFilter,
    format: Format,
    limit: usize,
) -> Result<Outcome> {
    let filter = match state {
        StateFilter::Open => Some(AlertState::Open),
        StateFilter::Acknowledged => Some(AlertState::Acknowledged),
        StateFilter::Resolved => Some(AlertState::Resolved),
        StateFilter::All => None,
    };
    let alerts = store.alerts(filter, limit)?;
    print_list(&alerts, filter, format, limit)
}

/// The alerts as a table or as the `vigil.alerts/1` document.
fn print_list(
    alerts: &[Alert],
    filter: Option<AlertState>,
    format: Format,
    limit: usize,
) -> Result<Outcome> {
    let state_name = filter.map_or("all", AlertState::as_str);
    if format == Format::Json {
        let doc =
            serde_json::json!({"schema": "vigil.alerts/1", "state": state_name, "alerts": alerts});
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(Outcome::Success);
    }
    if alerts.is_empty() {
        crate::out!(
            "No {} alerts.",
            if filter.is_some() {
                state_name
            } else {
                "stored"
            }
        )?;
        return Ok(Outcome::Success);
    }
    let clip = crate::render::clip;
    crate::out!(
        "{:>5}  {:<13}  {:<12}  {:<17}  {:>3}  {:<24}  TITLE",
        "ID",
        "SEVERITY",
        "STATE",
        "RAISED (UTC)",
        "ESC",
        "ABOUT"
    )?;
    for a in alerts {
        let title = match &a.asset {
            Some(asset) => format!("{} [{}]", a.title, asset),
            None => a.title.clone(),
        };
        crate::out!(
            "{:>5}  {:<13}  {:<12}  {:<17}  {:>3}  {:<24}  {}",
            a.id,
            a.severity.as_str(),
            a.state.as_str(),
            a.created_at.strftime("%Y-%m-%d %H:%M").to_string(),
            a.escalation_level,
            clip(&format!("{} {}", subject(a), a.reference), 24),
            clip(&title, 100)
        )?;
    }
    if alerts.len() == limit {
        crate::note!("(the {limit} newest shown; see --limit)");
    }
    Ok(Outcome::Success)
}

fn subject(a: &Alert) -> String {
    a.subject.as_str().replace('_', " ")
}

fn show(store: &impl AlertStore, id: i64, format: Format) -> Result<Outcome> {
    let Some(a) = store.alert(id)? else {
        bail!("no alert {id} (see `vigil alerts list --state all`)");
    };
    let history = store.alert_history(id, HISTORY_SHOWN)?;
    if format == Format::Json {
        let doc = serde_json::json!({
            "schema": "vigil.alert-record/1",
            "alert": a,
            "history": history.events,
            "history_omitted": history.omitted,
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(Outcome::Success);
    }
    crate::out!(
        "Alert #{}  {}  {}{}",
        a.id,
        a.severity.as_str().to_uppercase(),
        a.state,
        if a.escalation_level > 0 {
            format!(" (escalation level {})", a.escalation_level)
        } else {
            String::new()
        }
    )?;
    let row = |label: &str, value: &str| crate::out!("  {label:<16} {}", text(value));
    row("Title", &a.title)?;
    row("About", &format!("{} {}", subject(&a), a.reference))?;
    if let Some(asset) = &a.asset {
        row("Asset", asset)?;
    }
    row("Raised", &a.created_at.to_string())?;
    if a.updates > 0 {
        row(
            "Updated",
            &format!("{} ({} updates)", a.updated_at, a.updates),
        )?;
    }
    for (label, mark) in [("Acknowledged", &a.acknowledged), ("Resolved", &a.resolved)] {
        match mark {
            Some(m) => row(
                label,
                &format!(
                    "by {} at {}{}",
                    m.by,
                    m.at,
                    m.note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
            )?,
            None if label == "Acknowledged" => row(label, "never")?,
            None => {}
        }
    }
    if let Some(next) = a.next_escalation_at {
        row("Next escalation", &next.to_string())?;
    }
    if !a.evidence.is_empty() {
        crate::out!("  Evidence")?;
        for e in &a.evidence {
            crate::out!("    {}: {}", text(&e.label), text(&e.value))?;
        }
    }
    crate::out!("  History")?;
    if history.omitted > 0 {
        crate::out!("    ({} earlier entries not shown)", history.omitted)?;
    }
    for e in &history.events {
        crate::out!("    {}  {}", e.at(), text(&describe(e)))?;
    }
    Ok(Outcome::Success)
}

/// One history entry in words.
fn describe(e: &AlertEvent) -> String {
    let with_note = |note: &Option<String>| {
        note.as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default()
    };
    let link = |l: bool| if l { " (signed link)" } else { "" };
    match e {
        AlertEvent::Raised { severity, .. } => format!("raised ({severity})"),
        AlertEvent::Updated { severity, .. } => {
            format!("updated by a later detection ({severity})")
        }
        AlertEvent::Acknowledged {
            by, note, link: l, ..
        } => {
            format!("acknowledged by {by}{}{}", link(*l), with_note(note))
        }
        AlertEvent::Resolved {
            by, note, link: l, ..
        } => {
            format!("resolved by {by}{}{}", link(*l), with_note(note))
        }
        AlertEvent::Escalated { level, contact, .. } => format!(
            "escalated to level {level}{}",
            contact
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ),
        AlertEvent::Delivery(d) => match &d.outcome {
            vigil_store::DeliveryOutcome::Delivered => format!(
                "delivered  {} → {} (attempt {}, level {})",
                d.channel, d.recipient, d.attempt, d.level
            ),
            vigil_store::DeliveryOutcome::Failed(error) => format!(
                "delivery failed  {} → {} (attempt {}, level {}): {error}",
                d.channel, d.recipient, d.attempt, d.level
            ),
        },
    }
}

/// The same commands against a remote service's API (`/api/v1/alerts`), with a bearer token.
fn run_remote(client: &crate::remote::Client, cmd: AlertsCommand) -> Result<Outcome> {
    match cmd {
        AlertsCommand::List {
            state,
            format,
            limit,
        } => {
            let (name, filter) = match state {
                StateFilter::Open => ("open", Some(AlertState::Open)),
                StateFilter::Acknowledged => ("acknowledged", Some(AlertState::Acknowledged)),
                StateFilter::Resolved => ("resolved", Some(AlertState::Resolved)),
                StateFilter::All => ("all", None),
            };
            let body = client.get_json(
                "/api/v1/alerts",
                &[
                    ("state", name.to_string()),
                    ("limit", limit.clamp(1, 500).to_string()),
                ],
            )?;
            let alerts: Vec<Alert> = serde_json::from_value(body["alerts"].clone())
                .context("the server's alerts are not in the form this vigil reads")?;
            print_list(&alerts, filter, format, limit)
        }
        AlertsCommand::Show { id, .. } => {
            let body = client.get_json(&format!("/api/v1/alerts/{id}"), &[])?;
            crate::out!("{}", serde_json::to_string_pretty(&body)?)?;
            Ok(Outcome::Success)
        }
        AlertsCommand::Ack {
            id,
            note,
            token: link,
            ..
        } => {
            if link.is_some() {
                bail!(
                    "a link's --token is redeemed in the console (open the link) or on the server itself"
                );
            }
            let id = id.context("give an alert id")?;
            remote_change(client, id, "ack", note)
        }
        AlertsCommand::Resolve { id, note, .. } => remote_change(client, id, "resolve", note),
    }
}

/// Acknowledges or resolves through the API; the server records it under the token's name.
fn remote_change(
    client: &crate::remote::Client,
    id: i64,
    action: &str,
    note: Option<String>,
) -> Result<Outcome> {
    let body = client.post_json(
        &format!("/api/v1/alerts/{id}/{action}"),
        &serde_json::json!({ "note": note }),
    )?;
    let alert: Alert = serde_json::from_value(body.get("alert").cloned().unwrap_or(body))
        .context("the server's answer is not an alert")?;
    done(&alert)
}
