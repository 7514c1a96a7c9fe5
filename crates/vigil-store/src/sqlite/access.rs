//! Accounts, API tokens and console sessions in SQLite; each change is one immediate transaction that
//! also appends its audit-trail entry.

use super::SqliteStore;
use super::investigation::instant;
use super::trail::{append, immediate};
use crate::access::{
    AccountStore, LockoutPolicy, LoginFailure, NewSession, NewToken, NewUser, Role, SessionRecord,
    TokenRecord, UserRecord,
};
use crate::alerts::check_text;
use crate::error::{Context, StoreError};
use crate::trail::TrailDraft;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

const USER_COLUMNS: &str =
    "name, role, password_hash, disabled, created_at, failed_logins, locked_until, last_login";
const TOKEN_COLUMNS: &str = "id, name, role, created_at, expires_at, revoked_at, last_used";

fn corrupt(what: &'static str, id: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        what,
        id: id.to_string(),
        reason: reason.into(),
    }
}

fn role(what: &'static str, id: &str, s: &str) -> Result<Role, StoreError> {
    s.parse().map_err(|e: String| corrupt(what, id, e))
}

fn opt_instant(
    what: &'static str,
    id: &str,
    us: Option<i64>,
) -> Result<Option<Timestamp>, StoreError> {
    us.map(|us| instant(what, id, us)).transpose()
}

type RawUser = (
    String,
    String,
    String,
    bool,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn raw_user(row: &Row<'_>) -> rusqlite::Result<RawUser> {
    RawUser::try_from(row)
}

fn decode_user(r: RawUser) -> Result<UserRecord, StoreError> {
    const WHAT: &str = "user";
    let (name, r_role, password_hash, disabled, created, failed, locked, last) = r;
    Ok(UserRecord {
        role: role(WHAT, &name, &r_role)?,
        password_hash,
        disabled,
        created_at: instant(WHAT, &name, created)?,
        failed_logins: u32::try_from(failed).map_err(|e| corrupt(WHAT, &name, e.to_string()))?,
        locked_until: opt_instant(WHAT, &name, locked)?,
        last_login: opt_instant(WHAT, &name, last)?,
        name,
    })
}

type RawToken = (
    i64,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn raw_token(row: &Row<'_>) -> rusqlite::Result<RawToken> {
    RawToken::try_from(row)
}

fn decode_token(r: RawToken) -> Result<TokenRecord, StoreError> {
    const WHAT: &str = "API token";
    let (id, name, r_role, created, expires, revoked, used) = r;
    let key = id.to_string();
    Ok(TokenRecord {
        id,
        name,
        role: role(WHAT, &key, &r_role)?,
        created_at: instant(WHAT, &key, created)?,
        expires_at: opt_instant(WHAT, &key, expires)?,
        revoked_at: opt_instant(WHAT, &key, revoked)?,
        last_used: opt_instant(WHAT, &key, used)?,
    })
}

fn read_user(conn: &Connection, name: &str) -> Result<Option<UserRecord>, StoreError> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"))
        .context("preparing the user look-up")?
        .query_row([name], raw_user)
        .optional()
        .context("reading a user")?
        .map(decode_user)
        .transpose()
}

/// The user of an invitation that can still be accepted at `at`, and its expiry.
fn open_invite(
    conn: &Connection,
    invite_hash: &str,
    at: Timestamp,
) -> Result<Option<(String, Timestamp)>, StoreError> {
    let row: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT i.user, i.expires_at FROM user_invites i JOIN users u ON u.name = i.user \
             WHERE i.token_hash = ?1 AND i.used_at IS NULL AND u.disabled = 0 \
             AND i.expires_at > ?2",
        )
        .context("preparing the invitation look-up")?
        .query_row(params![invite_hash, at.as_microsecond()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .context("reading an invitation")?;
    row.map(|(user, expires)| Ok((user, instant("invitation", invite_hash, expires)?)))
        .transpose()
}

fn no_user(changed: usize, name: &str) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(StoreError::NoSuchUser {
            name: name.to_string(),
        });
    }
    Ok(())
}

impl AccountStore for SqliteStore {
    fn add_user(
        &mut self,
        user: &NewUser,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        check_text("user name", &user.name, false)?;
        check_text("password hash", &user.password_hash, false)?;
        let tx = immediate(&mut self.conn)?;
        if read_user(&tx, &user.name)?.is_some() {
            return Err(StoreError::UserExists {
                name: user.name.clone(),
            });
        }
        tx.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                user.name,
                user.role.as_str(),
                user.password_hash,
                at.as_microsecond()
            ],
        )
        .context("adding a user")?;
        append(&tx, trail, at)?;
        tx.commit().context("committing a new user")
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        read_user(&self.conn, name)
    }

    fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
            .context("preparing the user list")?;
        let rows = stmt
            .query_map([], raw_user)
            .context("listing users")?
            .collect::<Result<Vec<_>, _>>()
            .context("listing users")?;
        rows.into_iter().map(decode_user).collect()
    }

    fn set_user_disabled(
        &mut self,
        name: &str,
        disabled: bool,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = immediate(&mut self.conn)?;
        let changed = tx
            .execute(
                "UPDATE users SET disabled = ?2 WHERE name = ?1",
                params![name, disabled],
            )
            .context("disabling a user")?;
        no_user(changed, name)?;
        if disabled {
            tx.execute("DELETE FROM console_sessions WHERE user = ?1", [name])
                .context("ending a disabled user's sessions")?;
        }
        append(&tx, trail, at)?;
        tx.commit().context("committing a user change")
    }

    fn set_password(
        &mut self,
        name: &str,
        password_hash: &str,
        keep: Option<&str>,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        check_text("password hash", password_hash, false)?;
        let tx = immediate(&mut self.conn)?;
        let changed = tx
            .execute(
                "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                params![name, password_hash],
            )
            .context("changing a password")?;
        no_user(changed, name)?;
        tx.execute(
            "DELETE FROM console_sessions WHERE user = ?1 AND id_hash IS NOT ?2",
            params![name, keep],
        )
        .context("ending the user's other sessions")?;
        append(&tx, trail, at)?;
        tx.commit().context("committing a password change")
    }

    fn unlock_user(
        &mut self,
        name: &str,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = immediate(&mut self.conn)?;
        let changed = tx
            .execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = ?1",
                [name],
            )
            .context("unlocking a user")?;
        no_user(changed, name)?;
        append(&tx, trail, at)?;
        tx.commit().context("committing a user change")
    }

    fn record_failed_login(
        &mut self,
        name: &str,
        policy: &LockoutPolicy,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<LoginFailure, StoreError> {
        let tx = immediate(&mut self.conn)?;
        let failure = match read_user(&tx, name)? {
            Some(user) => {
                let failures = user.failed_logins.saturating_add(1);
                let locked_until = policy.locked_until(failures, at);
                tx.execute(
                    "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE name = ?1",
                    params![name, failures, locked_until.map(|t| t.as_microsecond())],
                )
                .context("counting a failed login")?;
                LoginFailure {
                    failures,
                    locked_until,
                    locked: policy.is_locked(failures),
                }
            }
            // An unknown name is recorded all the same; there is nothing to count it against.
            None => LoginFailure {
                failures: 0,
                locked_until: None,
                locked: false,
            },
        };
        append(&tx, trail, at)?;
        tx.commit().context("committing a failed login")?;
        Ok(failure)
    }

    fn record_login(
        &mut self,
        name: &str,
        session: &NewSession,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let now = at.as_microsecond();
        let tx = immediate(&mut self.conn)?;
        let changed = tx
            .execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = ?2
                 WHERE name = ?1",
                params![name, now],
            )
            .context("recording a login")?;
        no_user(changed, name)?;
        tx.execute(
            "INSERT INTO console_sessions (id_hash, user, csrf, created_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![session.id_hash, name, session.csrf, now],
        )
        .context("opening a session")?;
        append(&tx, trail, at)?;
        tx.commit().context("committing a login")
    }

    fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        const WHAT: &str = "session";
        let row = self
            .conn
            .prepare_cached(
                "SELECT s.user, u.role, u.disabled, s.csrf, s.created_at, s.last_seen
                 FROM console_sessions s JOIN users u ON u.name = s.user WHERE s.id_hash = ?1",
            )
            .context("preparing the session look-up")?
            .query_row([id_hash], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, bool>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            })
            .optional()
            .context("reading a session")?;
        row.map(|(user, r_role, disabled, csrf, created, seen)| {
            Ok(SessionRecord {
                role: role(WHAT, &user, &r_role)?,
                disabled,
                csrf,
                created_at: instant(WHAT, &user, created)?,
                last_seen: instant(WHAT, &user, seen)?,
                user,
            })
        })
        .transpose()
    }

    fn touch_session(&mut self, id_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE console_sessions SET last_seen = ?2 WHERE id_hash = ?1")
            .context("preparing the session update")?
            .execute(params![id_hash, at.as_microsecond()])
            .context("updating a session")?;
        Ok(())
    }

    fn end_session(
        &mut self,
        id_hash: &str,
        trail: Option<&TrailDraft>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = immediate(&mut self.conn)?;
        tx.execute("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])
            .context("ending a session")?;
        if let Some(trail) = trail {
            append(&tx, trail, at)?;
        }
        tx.commit().context("committing the end of a session")
    }

    fn add_invited_user(
        &mut self,
        user: &NewUser,
        invite_hash: &str,
        expires_at: Timestamp,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        check_text("user name", &user.name, false)?;
        check_text("invitation", invite_hash, false)?;
        let tx = immediate(&mut self.conn)?;
        if read_user(&tx, &user.name)?.is_some() {
            return Err(StoreError::UserExists {
                name: user.name.clone(),
            });
        }
        tx.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                user.name,
                user.role.as_str(),
                crate::access::INVITED,
                at.as_microsecond()
            ],
        )
        .context("adding an invited user")?;
        tx.execute(
            "INSERT INTO user_invites (token_hash, user, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4)",
            params![
                invite_hash,
                user.name,
                at.as_microsecond(),
                expires_at.as_microsecond()
            ],
        )
        .context("adding an invitation")?;
        append(&tx, trail, at)?;
        tx.commit().context("committing an invited user")
    }

    fn invite(
        &self,
        invite_hash: &str,
        at: Timestamp,
    ) -> Result<Option<(String, Timestamp)>, StoreError> {
        open_invite(&self.conn, invite_hash, at)
    }

    fn accept_invite(
        &mut self,
        invite_hash: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        check_text("password hash", password_hash, false)?;
        let tx = immediate(&mut self.conn)?;
        let Some((user, _)) = open_invite(&tx, invite_hash, at)? else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL \
             WHERE name = ?1",
            params![user, password_hash],
        )
        .context("setting an invited user's password")?;
        tx.execute(
            "UPDATE user_invites SET used_at = ?2 WHERE token_hash = ?1",
            params![invite_hash, at.as_microsecond()],
        )
        .context("using an invitation up")?;
        // Any other invitation of the same user is void once one is accepted.
        tx.execute(
            "UPDATE user_invites SET used_at = ?2 WHERE user = ?1 AND used_at IS NULL",
            params![user, at.as_microsecond()],
        )
        .context("voiding the user's other invitations")?;
        append(
            &tx,
            &TrailDraft::new(
                &user,
                "user.invite.accept",
                format!("user:{user}"),
                "password chosen",
            ),
            at,
        )?;
        tx.commit().context("committing an accepted invitation")?;
        Ok(Some(user))
    }

    fn add_token(
        &mut self,
        token: &NewToken,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        check_text("token name", &token.name, false)?;
        let tx = immediate(&mut self.conn)?;
        tx.execute(
            "INSERT INTO api_tokens (name, role, token_hash, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                token.name,
                token.role.as_str(),
                token.hash,
                at.as_microsecond(),
                token.expires_at.map(|t| t.as_microsecond())
            ],
        )
        .context("adding an API token")?;
        let id = tx.last_insert_rowid();
        let mut trail = trail.clone();
        trail.subject = format!("token:{id}");
        append(&tx, &trail, at)?;
        tx.commit().context("committing an API token")?;
        Ok(id)
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"
            ))
            .context("preparing the token list")?;
        let rows = stmt
            .query_map([], raw_token)
            .context("listing API tokens")?
            .collect::<Result<Vec<_>, _>>()
            .context("listing API tokens")?;
        rows.into_iter().map(decode_token).collect()
    }

    fn token_by_hash(
        &mut self,
        hash: &str,
        at: Timestamp,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let found = self
            .conn
            .prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?1"
            ))
            .context("preparing the token look-up")?
            .query_row([hash], raw_token)
            .optional()
            .context("reading an API token")?
            .map(decode_token)
            .transpose()?;
        if let Some(t) = &found
            && t.is_valid(at)
        {
            self.conn
                .prepare_cached("UPDATE api_tokens SET last_used = ?2 WHERE id = ?1")
                .context("preparing the token use")?
                .execute(params![t.id, at.as_microsecond()])
                .context("noting a token's use")?;
        }
        Ok(found)
    }

    fn revoke_token(
        &mut self,
        id: i64,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let tx = immediate(&mut self.conn)?;
        let exists: Option<Option<i64>> = tx
            .query_row(
                "SELECT revoked_at FROM api_tokens WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .context("reading an API token")?;
        match exists {
            None => Err(StoreError::NoSuchToken { id }),
            Some(Some(_)) => Ok(false),
            Some(None) => {
                tx.execute(
                    "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1",
                    params![id, at.as_microsecond()],
                )
                .context("revoking an API token")?;
                append(&tx, trail, at)?;
                tx.commit().context("committing a token revocation")?;
                Ok(true)
            }
        }
    }
}
