//! `vigil token create | list | revoke`: API tokens for `/api/v1`. A token is shown once, at creation;
//! the store keeps its SHA-256 only. Each change is an audit-trail entry.

use crate::Outcome;
use crate::cmd::Context;
use crate::cmd::user::{cli_actor, parse_role};
use crate::term::text;
use anyhow::Result;
use clap::Subcommand;
use jiff::Timestamp;
use vigil_store::{AccountStore, Role, TrailDraft};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once and cannot be shown again
    #[command(
        after_help = "Example:\n  vigil token create --name grafana --role viewer --expires 90d"
    )]
    Create {
        /// What it is for (shown in lists and in the audit trail)
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// How long it works (`90d`, `12h`), or `never`
        #[arg(long, default_value = "90d", value_name = "DURATION")]
        expires: String,
    },
    /// List tokens (never their secrets)
    List,
    /// Revoke a token at once
    Revoke { id: i64 },
}

pub fn run(ctx: &Context, cmd: TokenCommand) -> Result<Outcome> {
    let now = Timestamp::now();
    let actor = cli_actor();
    let mut store = ctx.open_store()?;
    match cmd {
        TokenCommand::Create {
            name,
            role,
            expires,
        } => {
            let name = name.trim().to_string();
            let expires_at = if expires.eq_ignore_ascii_case("never") {
                None
            } else {
                let d: vigil_alert::Interval = expires.parse().map_err(anyhow::Error::msg)?;
                Some(now.checked_add(d.0)?)
            };
            let (id, token) = vigil_console::accounts::create_token(
                &mut store, &name, role, expires_at, &actor, now,
            )?;
            crate::note!(
                "token {id} ({}, {role}) created; it is shown once, keep it now:",
                text(&name)
            );
            crate::out!("{token}")?;
        }
        TokenCommand::List => {
            let tokens = store.tokens()?;
            if tokens.is_empty() {
                crate::note!("no tokens");
            }
            for t in tokens {
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(e)) if e <= now => format!("expired {e}"),
                    (None, Some(e)) => format!("valid until {e}"),
                    (None, None) => "valid, no expiry".into(),
                };
                let used = t
                    .last_used
                    .map_or_else(|| "never".into(), |u| u.to_string());
                crate::out!(
                    "{:>4}  {:<20} {:<10} {:<40} last used {used}",
                    t.id,
                    text(&t.name),
                    t.role,
                    state
                )?;
            }
        }
        TokenCommand::Revoke { id } => {
            let revoked = store.revoke_token(
                id,
                &TrailDraft::new(&actor, "token.revoke", format!("token:{id}"), ""),
                now,
            )?;
            if revoked {
                crate::out!("token {id} revoked")?;
            } else {
                crate::out!("token {id} was already revoked")?;
            }
        }
    }
    Ok(Outcome::Success)
}
