//! ATT&CK coverage of an asset: for the techniques that matter on a mail server (a table, with
//! their names from MITRE ATT&CK Enterprise) and those the rules on the asset's sources name in
//! their tags, whether rules can fire, exist but are blind (their source is missing or lacks the
//! fields), or do not exist.

use crate::gaps::Gap;
use crate::model::Model;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use vigil_sigma::{Mappings, RuleSet};

/// A technique of the mail-server view: id, name and tactic (attack.mitre.org, Enterprise).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Technique {
    pub id: &'static str,
    pub name: &'static str,
    pub tactic: &'static str,
}

/// The techniques an attack on a mail server goes through (issue 11's list), in kill-chain order.
pub const MAIL_SERVER_TECHNIQUES: &[Technique] = &[
    Technique {
        id: "T1190",
        name: "Exploit Public-Facing Application",
        tactic: "initial-access",
    },
    Technique {
        id: "T1566",
        name: "Phishing",
        tactic: "initial-access",
    },
    Technique {
        id: "T1078",
        name: "Valid Accounts",
        tactic: "initial-access",
    },
    Technique {
        id: "T1110",
        name: "Brute Force",
        tactic: "credential-access",
    },
    Technique {
        id: "T1110.001",
        name: "Brute Force: Password Guessing",
        tactic: "credential-access",
    },
    Technique {
        id: "T1110.003",
        name: "Brute Force: Password Spraying",
        tactic: "credential-access",
    },
    Technique {
        id: "T1505.003",
        name: "Server Software Component: Web Shell",
        tactic: "persistence",
    },
    Technique {
        id: "T1098",
        name: "Account Manipulation",
        tactic: "persistence",
    },
    Technique {
        id: "T1059.001",
        name: "Command and Scripting Interpreter: PowerShell",
        tactic: "execution",
    },
    Technique {
        id: "T1114",
        name: "Email Collection",
        tactic: "collection",
    },
    Technique {
        id: "T1114.002",
        name: "Email Collection: Remote Email Collection",
        tactic: "collection",
    },
    Technique {
        id: "T1114.003",
        name: "Email Collection: Email Forwarding Rule",
        tactic: "collection",
    },
    Technique {
        id: "T1041",
        name: "Exfiltration Over C2 Channel",
        tactic: "exfiltration",
    },
    Technique {
        id: "T1567",
        name: "Exfiltration Over Web Service",
        tactic: "exfiltration",
    },
];

/// Names of further techniques the bundled rules often name, so the grid is readable without a
/// lookup (attack.mitre.org, Enterprise).
const OTHER_NAMES: &[(&str, &str)] = &[
    ("T1003", "OS Credential Dumping"),
    ("T1003.001", "OS Credential Dumping: LSASS Memory"),
    ("T1021", "Remote Services"),
    ("T1027", "Obfuscated Files or Information"),
    ("T1036", "Masquerading"),
    ("T1047", "Windows Management Instrumentation"),
    ("T1053", "Scheduled Task/Job"),
    ("T1059", "Command and Scripting Interpreter"),
    ("T1070", "Indicator Removal"),
    ("T1105", "Ingress Tool Transfer"),
    ("T1133", "External Remote Services"),
    ("T1136", "Create Account"),
    ("T1218", "System Binary Proxy Execution"),
    ("T1505", "Server Software Component"),
    ("T1543", "Create or Modify System Process"),
    ("T1548", "Abuse Elevation Control Mechanism"),
    ("T1562", "Impair Defenses"),
    ("T1562.001", "Impair Defenses: Disable or Modify Tools"),
    ("T1071", "Application Layer Protocol"),
    ("T1087", "Account Discovery"),
    ("T1082", "System Information Discovery"),
];

/// The technique ids (`T1110.003`) a rule's tags name (`attack.t1110.003`).
pub fn technique_tags(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| {
            let rest = t.strip_prefix("attack.")?;
            let (head, tail) = rest.split_at_checked(1)?;
            let ok = head.eq_ignore_ascii_case("t")
                && !tail.is_empty()
                && tail.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            ok.then(|| format!("T{tail}"))
        })
        .collect()
}

/// Whether a rule tagged `tag` counts for technique `id`: the same technique, or a
/// sub-technique of it.
fn counts_for(tag: &str, id: &str) -> bool {
    tag == id
        || tag
            .strip_prefix(id)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// How well a technique is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// At least one rule can fire on the asset's sources.
    Covered,
    /// Rules exist, none can fire: a source or field is missing.
    Blind,
    /// No bundled rule names it.
    NoRule,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Covered => "rules can fire",
            State::Blind => "blind",
            State::NoRule => "no rule",
        }
    }
}

/// One row of the coverage view.
#[derive(Debug, Clone, Serialize)]
pub struct TechniqueCoverage {
    pub id: String,
    pub name: Option<String>,
    pub tactic: Option<String>,
    /// Whether it is in the mail-server list (else a rule on the asset's sources names it).
    pub mail_server: bool,
    pub state: State,
    /// Titles of rules that can fire (at most [`MAX_TITLES`]) and their count.
    pub firing: usize,
    pub firing_titles: Vec<String>,
    /// Rules that exist but cannot fire, and the gaps that blind them.
    pub blind: usize,
    pub blind_titles: Vec<String>,
    pub blinded_by: Vec<String>,
}

/// Rule titles kept per technique.
pub const MAX_TITLES: usize = 5;

/// The coverage of every mail-server technique and of those the asset's rules name.
pub fn coverage(
    set: &RuleSet,
    mappings: &Mappings,
    model: &Model,
    gaps: &[Gap],
) -> Vec<TechniqueCoverage> {
    let alive = model.fireable(set, mappings);
    // Every rule (and correlation): key, title, techniques, whether its log source is the asset's.
    let mut entries: Vec<(String, String, Vec<String>, bool)> = Vec::new();
    for r in &set.rules {
        entries.push((
            r.meta.key(),
            r.meta.title.clone(),
            technique_tags(&r.meta.tags),
            model.has_logsource_for(r),
        ));
    }
    for c in &set.correlations {
        let key = c.meta.key();
        let on_asset = alive.contains(&key);
        entries.push((
            key,
            c.meta.title.clone(),
            technique_tags(&c.meta.tags),
            on_asset,
        ));
    }
    let mut ids: Vec<(String, Option<&Technique>)> = MAIL_SERVER_TECHNIQUES
        .iter()
        .map(|t| (t.id.to_string(), Some(t)))
        .collect();
    let known: BTreeSet<String> = ids.iter().map(|(i, _)| i.clone()).collect();
    let extra: BTreeSet<String> = entries
        .iter()
        .filter(|e| e.3)
        .flat_map(|e| e.2.iter().cloned())
        .filter(|t| !known.contains(t))
        .collect();
    ids.extend(extra.into_iter().map(|t| (t, None)));
    let mut blinded_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in gaps {
        for b in &g.blind {
            blinded_by.entry(b.key.as_str()).or_default().push(g.id);
        }
    }
    ids.into_iter()
        .map(|(id, t)| {
            let mut row = TechniqueCoverage {
                name: t
                    .map(|t| t.name.to_string())
                    .or_else(|| other_name(&id).map(str::to_string)),
                tactic: t.map(|t| t.tactic.to_string()),
                mail_server: t.is_some(),
                state: State::NoRule,
                firing: 0,
                firing_titles: Vec::new(),
                blind: 0,
                blind_titles: Vec::new(),
                blinded_by: Vec::new(),
                id,
            };
            let mut by: BTreeSet<&str> = BTreeSet::new();
            for (key, title, techs, _) in &entries {
                if !techs.iter().any(|tag| counts_for(tag, &row.id)) {
                    continue;
                }
                if alive.contains(key) {
                    row.firing += 1;
                    if row.firing_titles.len() < MAX_TITLES {
                        row.firing_titles.push(title.clone());
                    }
                } else {
                    row.blind += 1;
                    if row.blind_titles.len() < MAX_TITLES {
                        row.blind_titles.push(title.clone());
                    }
                    by.extend(blinded_by.get(key.as_str()).into_iter().flatten());
                }
            }
            row.blinded_by = by.into_iter().map(str::to_string).collect();
            row.state = if row.firing > 0 {
                State::Covered
            } else if row.blind > 0 {
                State::Blind
            } else {
                State::NoRule
            };
            row
        })
        .collect()
}

fn other_name(id: &str) -> Option<&'static str> {
    OTHER_NAMES.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_techniques_and_sub_techniques() {
        let tags = vec![
            "attack.t1110.003".to_string(),
            "attack.credential-access".to_string(),
            "attack.T1190".to_string(),
            "cve.2021-26855".to_string(),
        ];
        assert_eq!(technique_tags(&tags), ["T1110.003", "T1190"]);
        assert!(counts_for("T1110.003", "T1110"));
        assert!(counts_for("T1110", "T1110"));
        assert!(!counts_for("T11100", "T1110"));
        assert!(!counts_for("T1110", "T1110.003"));
    }
}
