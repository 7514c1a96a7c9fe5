//! Account takeover as a root cause: the entry point is a successful login, and failed-login detections
//! (ATT&CK T1110: password spraying, brute force, credential stuffing) tied to it by the same account,
//! mailbox, address or network came before it. No software vulnerability is named unless a detection ties
//! one to the entry.

use crate::entity::{Entity, EntityKind, detection_entities};
use crate::evidence::{Evidence, Link};
use crate::incident::Incident;
use crate::tactics::detection_techniques;
use crate::time::format_ts;
use std::collections::BTreeSet;
use vigil_model::Detection;

/// Most detections cited for one link.
const MAX_CITED: usize = 10;

/// How credentials were guessed, from the T1110 sub-technique.
fn method(techniques: &BTreeSet<String>) -> (&'static str, &'static str) {
    if techniques.contains("T1110.003") {
        (
            "password spraying",
            "ATT&CK T1110.003: a few common passwords tried against many accounts",
        )
    } else if techniques.contains("T1110.004") {
        (
            "credential stuffing",
            "ATT&CK T1110.004: passwords leaked elsewhere tried against this server",
        )
    } else if techniques.contains("T1110.001") {
        (
            "brute force",
            "ATT&CK T1110.001: many passwords tried against one account",
        )
    } else {
        ("password guessing", "ATT&CK T1110")
    }
}

fn is_guessing(d: &Detection) -> bool {
    detection_techniques(d)
        .iter()
        .any(|t| t == "T1110" || t.starts_with("T1110."))
}

fn is_login(d: &Detection) -> bool {
    detection_techniques(d)
        .iter()
        .any(|t| t == "T1078" || t.starts_with("T1078.") || t == "T1133")
}

fn identity(d: &Detection) -> BTreeSet<Entity> {
    detection_entities(d)
        .entities
        .into_iter()
        .filter(|e| e.kind.is_identity())
        .collect()
}

/// The root-cause link of an entry point that no CVE is tied to: credential compromise when guessing
/// detections are tied to it (with the method: `password spraying`, `brute force`, …), otherwise what is
/// not known.
pub fn credential_link(entry: &Detection, incident: &Incident) -> (Link, Option<&'static str>) {
    let entry_ids = identity(entry);
    let mut shared: BTreeSet<Entity> = BTreeSet::new();
    let mut guessing: Vec<&Detection> = Vec::new();
    for d in &incident.detections {
        if std::ptr::eq(d, entry) || d.timestamp > entry.timestamp || !is_guessing(d) {
            continue;
        }
        let common: BTreeSet<Entity> = identity(d).intersection(&entry_ids).cloned().collect();
        if !common.is_empty() {
            shared.extend(common);
            guessing.push(d);
        }
    }
    // A correlation such as "login from an address that sprayed" carries the failures itself.
    let self_tied = is_guessing(entry) && is_login(entry);
    if guessing.is_empty() && !self_tied {
        let link = if is_login(entry) {
            Link::unknown(
                format!(
                    "How the credentials used at the entry point ('{}' at {}) were obtained",
                    entry.rule_title,
                    entry.timestamp.map_or_else(String::new, format_ts)
                ),
                "no failed-login detection before it shares its account, address or network; the account's \
                 sign-in history, phishing reports and password reuse elsewhere would settle whether the \
                 password was guessed, phished or stolen",
                vec![Evidence::detection(entry)],
            )
        } else {
            Link::unknown(
                format!("Which weakness '{}' used", entry.rule_title),
                "the rule carries no cve.* tag and is not in rules/cve-map.yml; an analysis of the matched \
                 requests (or a rule → CVE mapping) would show whether a software vulnerability or valid \
                 credentials were used",
                vec![Evidence::detection(entry)],
            )
        };
        return (link, None);
    }
    let mut techniques: BTreeSet<String> = detection_techniques(entry).into_iter().collect();
    for d in &guessing {
        techniques.extend(detection_techniques(d));
    }
    let (name, what) = method(&techniques);
    // Who or where from ties them: addresses and networks first, at most three.
    let mut ties: Vec<&Entity> = shared.iter().collect();
    ties.sort_by_key(|e| (e.kind != EntityKind::Address, e.kind != EntityKind::Network));
    let ties: Vec<String> = ties.iter().take(3).map(ToString::to_string).collect();
    let first = guessing
        .iter()
        .filter_map(|d| d.first_seen.or(d.timestamp))
        .chain(entry.first_seen)
        .min();
    let mut ev: Vec<Evidence> = guessing
        .iter()
        .take(MAX_CITED)
        .map(|d| Evidence::detection(d))
        .collect();
    ev.push(Evidence::detection(entry));
    let since = first.map_or_else(String::new, |t| format!(" from {}", format_ts(t)));
    let failures = if guessing.is_empty() {
        format!("the login detection itself counts failed logins from the same address{since}")
    } else {
        format!(
            "{} password-guessing detection(s){since}, tied to the login by {}",
            guessing.len(),
            ties.join(", ")
        )
    };
    let link = Link::established(
        format!(
            "Root cause: credential compromise by {name} ({what}); {failures}, before the successful login \
             '{}' at {}. No software vulnerability was used: the attacker logged in with a guessed password \
             (password guessing, not an exploit).",
            entry.rule_title,
            entry.timestamp.map_or_else(String::new, format_ts)
        ),
        ev,
    );
    (link, Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{GroupOptions, group_incidents};
    use vigil_model::Level;

    fn det(rule: &str, tags: &[&str], at: &str, matched: &[(&str, &str)]) -> Detection {
        crate::testing::detection(rule, Level::High, tags, Some("mx1"), Some(at), matched)
    }

    #[test]
    fn spray_tied_by_network_is_the_root_cause() {
        let spray = det(
            "spray",
            &["attack.credential-access", "attack.t1110.003"],
            "2022-04-12T01:18:48Z",
            &[
                ("context:rip", "198.51.100.23"),
                ("context:rip", "198.51.100.24"),
            ],
        );
        let unrelated = det(
            "brute",
            &["attack.credential-access", "attack.t1110.001"],
            "2022-04-12T01:30:00Z",
            &[("rip", "192.0.2.99")],
        );
        let login = det(
            "login",
            &["attack.initial-access", "attack.t1078"],
            "2022-04-12T02:17:44Z",
            &[
                ("rip", "198.51.100.61"),
                ("user", "reception@physio.example.com"),
            ],
        );
        let inc = group_incidents(&[spray, unrelated, login.clone()], &GroupOptions::default())
            .incidents
            .remove(0);
        let entry = inc
            .detections
            .iter()
            .find(|d| d.rule_id == "login")
            .unwrap();
        let (l, method) = credential_link(entry, &inc);
        assert_eq!(method, Some("password spraying"));
        assert!(!l.is_unknown());
        assert!(
            l.claim.contains("password spraying (ATT&CK T1110.003"),
            "{}",
            l.claim
        );
        assert!(
            l.claim.contains("1 password-guessing detection(s)"),
            "{}",
            l.claim
        );
        assert!(l.claim.contains("network 198.51.100.0/24"), "{}", l.claim);
        assert!(l.claim.contains("No software vulnerability was used"));
        // A login with no guessing before it: how the password was obtained is unknown.
        let alone = group_incidents(&[login], &GroupOptions::default())
            .incidents
            .remove(0);
        let (l, method) = credential_link(&alone.detections[0], &alone);
        assert_eq!(method, None);
        assert!(
            l.is_unknown() && l.claim.contains("credentials"),
            "{}",
            l.claim
        );
    }
}
