//! What the store proves of detection itself, read back from the alerts the service and
//! `vigil selftest` raised: per watch, the last canary that came back (scheduled, or sent by
//! `vigil selftest`) and the live failure if there is one; per rule folder, the rule tests that
//! failed at a start. `vigil status` and the console's health page read the same records.

use crate::selftest::returned_key;
use jiff::Timestamp;
use std::collections::BTreeMap;
use vigil_store::{Alert, AlertState, AlertSubject};

/// The prefix of the canary nonces `vigil selftest` sends (the service's own have none).
pub const CLI_NONCE_PREFIX: &str = "cli-";

/// The dedup key prefix of the channel failures of a watch's self-test.
const CHANNEL_KEY_PREFIX: &str = "selftest-channel:";

/// The dedup key prefix of rule-test failures.
const RULE_TESTS_KEY_PREFIX: &str = "rules:tests:";

/// The dedup key of the alert that the rule tests of `folder` failed at a start.
pub fn rule_tests_key(folder: &str) -> String {
    format!("{RULE_TESTS_KEY_PREFIX}{folder}")
}

/// The dedup key of the alert that a canary's alert reached no channel.
pub fn channel_failed_key(watch: &str) -> String {
    format!("{CHANNEL_KEY_PREFIX}{watch}")
}

/// One watch's self-test record.
#[derive(Debug, Clone, Default)]
pub struct SelfTestRecord {
    pub watch: String,
    /// The last canary of the service's schedule that came back.
    pub last_scheduled: Option<Alert>,
    /// The last canary sent by `vigil selftest` that came back.
    pub last_cli: Option<Alert>,
    /// The live failure (missed, lost, or a channel that did not take the alert), if any.
    pub failing: Option<Alert>,
}

impl SelfTestRecord {
    /// When a canary of either kind last came back.
    pub fn last_passed(&self) -> Option<&Alert> {
        [&self.last_scheduled, &self.last_cli]
            .into_iter()
            .flatten()
            .max_by_key(|a| a.created_at)
    }
}

/// One rule folder's last recorded rule-test failure.
#[derive(Debug, Clone)]
pub struct RuleTestRecord {
    pub folder: String,
    /// The newest failure alert: live (failing now) or resolved by a later start whose tests passed.
    pub alert: Alert,
}

impl RuleTestRecord {
    /// Whether the tests fail now (the failure is not resolved).
    pub fn failing(&self) -> bool {
        self.alert.state != AlertState::Resolved
    }

    /// When a start found the tests passing again, if one did.
    pub fn passing_since(&self) -> Option<Timestamp> {
        self.alert.resolved.as_ref().map(|m| m.at)
    }
}

fn is_passed_canary(a: &Alert) -> bool {
    a.dedup_key.starts_with(&returned_key("")) && a.state == AlertState::Resolved
}

/// A self-test alert that is not a canary's return: a missed or lost canary
/// ([`failed_key`](crate::selftest::failed_key)), or a channel that did not take its alert.
fn is_failure(a: &Alert) -> bool {
    !a.dedup_key.starts_with(&returned_key(""))
}

/// The self-test record of each watch, from `alerts` listed newest first (as the store lists them).
pub fn selftests(alerts: &[Alert]) -> Vec<SelfTestRecord> {
    let mut by_watch: BTreeMap<&str, SelfTestRecord> = BTreeMap::new();
    for a in alerts
        .iter()
        .filter(|a| a.subject == AlertSubject::SelfTest)
    {
        let r = by_watch
            .entry(a.reference.as_str())
            .or_insert_with(|| SelfTestRecord {
                watch: a.reference.clone(),
                ..SelfTestRecord::default()
            });
        if is_passed_canary(a) {
            let cli = a.dedup_key.starts_with(&returned_key(CLI_NONCE_PREFIX));
            let slot = if cli {
                &mut r.last_cli
            } else {
                &mut r.last_scheduled
            };
            if slot.is_none() {
                *slot = Some(a.clone());
            }
        } else if is_failure(a) && a.state != AlertState::Resolved && r.failing.is_none() {
            r.failing = Some(a.clone());
        }
    }
    by_watch.into_values().collect()
}

/// The newest rule-test failure of each rule folder, from `alerts` listed newest first.
pub fn rule_tests(alerts: &[Alert]) -> Vec<RuleTestRecord> {
    let mut by_folder: BTreeMap<&str, RuleTestRecord> = BTreeMap::new();
    for a in alerts {
        if let Some(folder) = a.dedup_key.strip_prefix(RULE_TESTS_KEY_PREFIX) {
            by_folder.entry(folder).or_insert_with(|| RuleTestRecord {
                folder: folder.to_string(),
                alert: a.clone(),
            });
        }
    }
    by_folder.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selftest::{lost_alert, returned_alert};
    use vigil_store::{AlertAction, AlertChange, AlertStore, NewAlert, SqliteStore};

    fn raise(store: &mut SqliteStore, a: &NewAlert, at: &str, resolve: bool) {
        let at: Timestamp = at.parse().unwrap();
        let stored = store.raise_alert(a, at, None).unwrap();
        if resolve {
            store
                .change_alert(
                    stored.alert().id,
                    &AlertChange {
                        action: AlertAction::Resolve,
                        by: "vigil".into(),
                        at,
                        note: None,
                        token_nonce: None,
                    },
                )
                .unwrap();
        }
    }

    #[test]
    fn canaries_are_told_apart_by_who_sent_them_and_a_failure_is_kept_per_watch() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        raise(
            &mut store,
            &returned_alert("n1", "mail", None),
            "2026-12-01T10:00:00Z",
            true,
        );
        raise(
            &mut store,
            &returned_alert("cli-n2", "mail", None),
            "2026-12-02T10:00:00Z",
            true,
        );
        raise(
            &mut store,
            &lost_alert("n3", "owa", jiff::SignedDuration::from_secs(60)),
            "2026-12-03T10:00:00Z",
            false,
        );
        let mut rule = returned_alert("x", "rules", None);
        rule.dedup_key = rule_tests_key("/etc/vigil/rules");
        rule.subject = AlertSubject::SourceHealth;
        raise(&mut store, &rule, "2026-12-03T11:00:00Z", false);
        let alerts = store.alerts(None, 100).unwrap();
        let records = selftests(&alerts);
        assert_eq!(records.len(), 2, "{records:?}");
        let mail = &records[0];
        assert_eq!(mail.watch, "mail");
        assert!(mail.last_scheduled.is_some() && mail.last_cli.is_some());
        assert_eq!(
            mail.last_passed().unwrap().dedup_key,
            returned_key("cli-n2")
        );
        assert!(mail.failing.is_none());
        let owa = &records[1];
        assert!(owa.last_passed().is_none());
        assert!(owa.failing.is_some());
        let rules = rule_tests(&alerts);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].folder, "/etc/vigil/rules");
        assert!(rules[0].failing() && rules[0].passing_since().is_none());
    }
}
