//! TOTP enrolments in SQLite: two columns of `users` (migration 13).

use super::SqliteStore;
use super::trail::{append, immediate};
use crate::error::{Context, StoreError};
use crate::second_factor::{SecondFactorStore, TotpRecord};
use crate::trail::TrailDraft;
use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

impl SecondFactorStore for SqliteStore {
    fn set_totp(
        &mut self,
        name: &str,
        secret_hex: Option<&str>,
        trail: &TrailDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = immediate(&mut self.conn)?;
        let changed = tx
            .execute(
                "UPDATE users SET totp_secret = ?2, totp_last_step = NULL WHERE name = ?1",
                params![name, secret_hex],
            )
            .context("changing a second factor")?;
        if changed == 0 {
            return Err(StoreError::NoSuchUser {
                name: name.to_string(),
            });
        }
        append(&tx, trail, at)?;
        tx.commit().context("committing a second factor")
    }

    fn totp(&self, name: &str) -> Result<Option<TotpRecord>, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT totp_secret, totp_last_step FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .context("reading a second factor")?;
        Ok(row.and_then(|(secret, last_step)| {
            secret.map(|secret_hex| TotpRecord {
                secret_hex,
                last_step,
            })
        }))
    }

    fn take_totp_step(&mut self, name: &str, step: i64) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE users SET totp_last_step = ?2
                 WHERE name = ?1 AND totp_secret IS NOT NULL
                   AND (totp_last_step IS NULL OR totp_last_step < ?2)",
                params![name, step],
            )
            .context("recording a second-factor code")?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;
    use crate::{NewUser, Role, SecondFactorStore, SqliteStore, TrailDraft};
    use jiff::Timestamp;

    #[test]
    fn a_step_is_taken_once_and_an_enrolment_is_recorded_and_removed() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let now = Timestamp::now();
        let draft = |a: &str| TrailDraft::new("cli:test", a, "user:ada", "");
        store
            .add_user(
                &NewUser {
                    name: "ada".into(),
                    role: Role::Admin,
                    password_hash: "x".into(),
                },
                &draft("user.add"),
                now,
            )
            .unwrap();
        assert_eq!(store.totp("ada").unwrap(), None);
        assert!(!store.take_totp_step("ada", 5).unwrap(), "not enrolled");
        store
            .set_totp("ada", Some("00ff"), &draft("user.totp.enrol"), now)
            .unwrap();
        assert_eq!(store.totp("ada").unwrap().unwrap().secret_hex, "00ff");
        assert!(store.take_totp_step("ada", 5).unwrap());
        assert!(!store.take_totp_step("ada", 5).unwrap(), "reused");
        assert!(!store.take_totp_step("ada", 4).unwrap(), "older");
        assert!(store.take_totp_step("ada", 6).unwrap());
        assert_eq!(store.totp("ada").unwrap().unwrap().last_step, Some(6));
        store
            .set_totp("ada", None, &draft("user.totp.remove"), now)
            .unwrap();
        assert_eq!(store.totp("ada").unwrap(), None);
        assert!(store.set_totp("bob", None, &draft("x"), now).is_err());
        let actions: Vec<String> = store
            .trail_latest(10)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            actions.contains(&"user.totp.enrol".to_string()),
            "{actions:?}"
        );
        assert!(store.verify_trail().unwrap().broken.is_none());
    }
}
