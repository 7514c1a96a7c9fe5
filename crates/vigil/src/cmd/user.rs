//! `vigil user add | list | disable | enable | unlock | totp`: the accounts of the console. Each change
//! is an audit-trail entry by `cli:<login name>`.

use crate::Outcome;
use crate::cmd::Context;
use crate::term::text;
use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use jiff::Timestamp;
use std::io::{BufRead, IsTerminal, Read as _};
use vigil_console::password;
use vigil_store::{AccountStore, NewUser, Role, SecondFactorStore, TrailDraft};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user of the console (the password is asked for, without echo)
    #[command(after_help = "Examples:\n  vigil user add dana --role responder\n  \
printf '%s\\n' \"$PW\" | vigil user add ci-admin --role admin --password-stdin")]
    Add {
        name: String,
        /// viewer (reads), responder (also acknowledges and resolves alerts), admin (also users,
        /// tokens and the audit trail)
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password from the first line of standard input instead of a prompt
        #[arg(long, conflicts_with = "invite")]
        password_stdin: bool,
        /// Instead of a password: print a link (shown once) on which the user chooses their own,
        /// valid for --valid; until then nobody can sign in as them
        #[arg(long)]
        invite: bool,
        /// How long the invitation link works (e.g. 72h, 7d)
        #[arg(long, value_name = "DURATION", default_value = "72h", requires = "invite", value_parser = parse_valid)]
        valid: jiff::SignedDuration,
    },
    /// List the users with their role and state
    List,
    /// Disable a user: they cannot sign in, and their sessions end at once
    Disable { name: String },
    /// Enable a disabled user again
    Enable { name: String },
    /// Clear a user's lock-out after too many wrong passwords
    Unlock { name: String },
    /// Enrol a user in a second factor (TOTP, RFC 6238): prints the otpauth:// URI and the secret
    /// once, for their authenticator app; from then on the console asks for a code after the password
    #[command(
        after_help = "The secret is kept in the store as it is (verifying a code needs it): \
anyone who can read the store file can read it, so keep the file readable by the service's account \
only. Enrolling again replaces the secret; --remove ends it.\n\nExamples:\n  vigil user totp dana\n  \
vigil user totp dana --remove"
    )]
    Totp {
        name: String,
        /// Remove the user's second factor instead
        #[arg(long)]
        remove: bool,
    },
}

pub(crate) fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn parse_valid(s: &str) -> Result<jiff::SignedDuration, String> {
    let t = s.trim();
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = n
        .parse()
        .map_err(|_| format!("{s:?}: a number and h or d, e.g. 72h"))?;
    let hours = match unit {
        "h" => n,
        "d" => n.saturating_mul(24),
        _ => return Err(format!("{s:?}: a number and h or d, e.g. 72h")),
    };
    let max = vigil_console::accounts::MAX_INVITE.as_hours();
    if !(1..=max).contains(&hours) {
        return Err(format!("{s:?}: from 1 hour to {} days", max / 24));
    }
    Ok(jiff::SignedDuration::from_hours(hours))
}

/// Where the console is, for the invitation link: `[alert.link] base_url`, else `[http] listen`.
fn console_base(config: &vigil_config::Config) -> Option<String> {
    if let Some(base) = &config.alert.link.base_url {
        return Some(base.trim_end_matches('/').to_string());
    }
    let http = config.http.as_ref()?;
    let scheme = if http.tls { "https" } else { "http" };
    Some(format!("{scheme}://{}", http.listen.get_ref()))
}

/// Who the trail names for a change made on this machine's command line.
pub(crate) fn cli_actor() -> String {
    let login = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into());
    format!("cli:{}", login.trim())
}

fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .take(u64::try_from(password::MAX_LEN + 2).unwrap_or(u64::MAX))
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password on: give it with --password-stdin");
    }
    let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    password::check_strength(&first)?;
    let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
    if first != again {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

pub fn run(ctx: &Context, cmd: UserCommand) -> Result<Outcome> {
    let now = Timestamp::now();
    let actor = cli_actor();
    match cmd {
        UserCommand::Add {
            name,
            role,
            password_stdin,
            invite,
            valid,
        } => {
            let name = name.trim().to_string();
            vigil_console::accounts::check_name(&name).context("user name")?;
            if invite {
                let mut store = ctx.open_store()?;
                let (secret, expires) =
                    vigil_console::accounts::invite(&mut store, &name, role, valid, &actor, now)?;
                let path = format!("/invite?token={secret}");
                crate::out!("user {} invited as {role}", text(&name))?;
                match console_base(&ctx.config) {
                    Some(base) => crate::out!(
                        "invitation link (shown once, works once, until {expires}):\n  {base}{path}"
                    )?,
                    None => crate::out!(
                        "invitation (shown once, works once, until {expires}): open {path} on the console \
                         (no [http] listen or [alert.link] base_url in the configuration to name it)"
                    )?,
                }
                return Ok(Outcome::Success);
            }
            let pw = read_password(password_stdin)?;
            password::check_strength(&pw)?;
            let phc = password::hash(&pw)?;
            let mut store = ctx.open_store()?;
            store.add_user(
                &NewUser {
                    name: name.clone(),
                    role,
                    password_hash: phc,
                },
                &TrailDraft::new(
                    &actor,
                    "user.add",
                    format!("user:{name}"),
                    format!("role {role}"),
                ),
                now,
            )?;
            crate::out!("user {} added as {role}", text(&name))?;
        }
        UserCommand::List => {
            let store = ctx.open_store()?;
            let users = store.users()?;
            if users.is_empty() {
                crate::note!("no users: add one with `vigil user add NAME --role admin`");
            }
            for u in users {
                let state = if u.disabled {
                    "disabled".to_string()
                } else if u.password_hash == vigil_store::INVITED {
                    "invited (no password yet)".to_string()
                } else if let Some(until) = u.locked_until.filter(|t| *t > now) {
                    format!("locked until {until}")
                } else {
                    "active".to_string()
                };
                let last = u
                    .last_login
                    .map_or_else(|| "never".to_string(), |t| t.to_string());
                crate::out!(
                    "{:<24} {:<10} {:<30} last sign-in {last}",
                    text(&u.name),
                    u.role,
                    state
                )?;
            }
        }
        UserCommand::Disable { name } => {
            let mut store = ctx.open_store()?;
            store.set_user_disabled(
                &name,
                true,
                &TrailDraft::new(&actor, "user.disable", format!("user:{name}"), ""),
                now,
            )?;
            crate::out!("user {} disabled; their sessions ended", text(&name))?;
        }
        UserCommand::Enable { name } => {
            let mut store = ctx.open_store()?;
            store.set_user_disabled(
                &name,
                false,
                &TrailDraft::new(&actor, "user.enable", format!("user:{name}"), ""),
                now,
            )?;
            crate::out!("user {} enabled", text(&name))?;
        }
        UserCommand::Unlock { name } => {
            let mut store = ctx.open_store()?;
            store.unlock_user(
                &name,
                &TrailDraft::new(&actor, "user.unlock", format!("user:{name}"), ""),
                now,
            )?;
            crate::out!("user {} unlocked", text(&name))?;
        }
        UserCommand::Totp { name, remove } => {
            let mut store = ctx.open_store()?;
            let subject = format!("user:{name}");
            if remove {
                store.set_totp(
                    &name,
                    None,
                    &TrailDraft::new(&actor, "user.totp.remove", subject, ""),
                    now,
                )?;
                crate::out!("user {}: second factor removed", text(&name))?;
                return Ok(Outcome::Success);
            }
            let secret = vigil_console::totp::new_secret()?;
            let (Some(uri), Some(b32)) = (
                vigil_console::totp::otpauth_uri("vigil", &name, &secret),
                vigil_console::totp::secret_base32(&secret),
            ) else {
                bail!("cannot encode the new secret");
            };
            store.set_totp(
                &name,
                Some(&secret),
                &TrailDraft::new(&actor, "user.totp.enrol", subject, ""),
                now,
            )?;
            // Shown once: the store keeps it for verifying, but no command prints it again.
            crate::out!("{uri}")?;
            crate::note!(
                "user {}: second factor enrolled; add the URI above to their authenticator app \
                 (or type the secret {b32}, TOTP, SHA-1, 6 digits, 30 s). It is not shown again.",
                text(&name)
            );
        }
    }
    Ok(Outcome::Success)
}
