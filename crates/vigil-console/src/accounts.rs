//! Account changes made the same way from the command line and from the console's users page: names
//! checked once, invitations and tokens made with their secret shown once and only its hash kept.

use crate::error::ConsoleError;
use crate::secret;
use jiff::{SignedDuration, Timestamp};
use vigil_store::{AccountStore, NewToken, NewUser, Role, TrailDraft};

/// Longest user name.
pub const MAX_NAME: usize = 64;
/// Longest an invitation may be valid: a link in a mailbox is a password waiting to be taken.
pub const MAX_INVITE: SignedDuration = SignedDuration::from_hours(14 * 24);

/// A user or token name: 1 to [`MAX_NAME`] characters, no spaces or control characters.
pub fn check_name(name: &str) -> Result<(), ConsoleError> {
    if name.is_empty()
        || name.chars().count() > MAX_NAME
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ConsoleError::BadName(format!(
            "{:?}: 1 to {MAX_NAME} characters, no spaces or control characters",
            name.chars().filter(|c| !c.is_control()).collect::<String>()
        )));
    }
    Ok(())
}

/// Adds `name` as an invited user of `role` and returns the invitation's secret (for the link
/// `/invite?token=SECRET`, shown once) and its expiry. `valid` is 1 hour to [`MAX_INVITE`].
pub fn invite(
    store: &mut dyn AccountStore,
    name: &str,
    role: Role,
    valid: SignedDuration,
    actor: &str,
    now: Timestamp,
) -> Result<(String, Timestamp), ConsoleError> {
    check_name(name)?;
    if valid < SignedDuration::from_hours(1) || valid > MAX_INVITE {
        return Err(ConsoleError::BadName(
            "an invitation is valid from 1 hour to 14 days".into(),
        ));
    }
    let secret = secret::random_hex()?;
    let expires = now
        .checked_add(valid)
        .map_err(|e| ConsoleError::BadName(e.to_string()))?;
    store.add_invited_user(
        &NewUser {
            name: name.to_string(),
            role,
            password_hash: vigil_store::INVITED.into(),
        },
        &secret::sha256_hex(&secret),
        expires,
        &TrailDraft::new(
            actor,
            "user.invite",
            format!("user:{name}"),
            format!("role {role}, invitation valid until {expires}"),
        ),
        now,
    )?;
    Ok((secret, expires))
}

/// Longest token name (it says where the token is used: "IT provider's laptop").
pub const MAX_TOKEN_NAME: usize = 128;

/// A token name: 1 to [`MAX_TOKEN_NAME`] characters, no control characters.
pub fn check_token_name(name: &str) -> Result<(), ConsoleError> {
    if name.trim().is_empty()
        || name.chars().count() > MAX_TOKEN_NAME
        || name.chars().any(char::is_control)
    {
        return Err(ConsoleError::BadName(format!(
            "token name: 1 to {MAX_TOKEN_NAME} characters, no control characters"
        )));
    }
    Ok(())
}

/// Creates an API token and returns `(id, secret)`; the secret is shown once, only its hash is kept.
pub fn create_token(
    store: &mut dyn AccountStore,
    name: &str,
    role: Role,
    expires_at: Option<Timestamp>,
    actor: &str,
    now: Timestamp,
) -> Result<(i64, String), ConsoleError> {
    check_token_name(name)?;
    let token = secret::new_api_token()?;
    let id = store.add_token(
        &NewToken {
            name: name.to_string(),
            role,
            hash: secret::sha256_hex(&token),
            expires_at,
        },
        &TrailDraft::new(
            actor,
            "token.create",
            "",
            format!(
                "{name}, role {role}, expires {}",
                expires_at.map_or_else(|| "never".into(), |t| t.to_string())
            ),
        ),
        now,
    )?;
    Ok((id, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("dana").is_ok());
        for bad in ["", "da na", "x\u{1b}[2J", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_token_name("IT provider's laptop").is_ok());
        assert!(check_token_name(" ").is_err() && check_token_name("a\nb").is_err());
    }
}
