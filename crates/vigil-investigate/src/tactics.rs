//! ATT&CK tactics of detections, in kill-chain order.
//!
//! Rules name tactics directly (`attack.initial-access`; older rules `attack.initial_access`) or only
//! techniques (`attack.t1190`). Techniques are mapped through a table shipped as data
//! (`data/attack-techniques.tsv`, ATT&CK v19.1), so an incident can be read as a story: how they got in,
//! how they stayed, what they took.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use vigil_model::Detection;

/// ATT&CK Enterprise tactics. The declaration order is the kill-chain order, so `Ord` sorts a story.
///
/// ATT&CK v19 split Defense Evasion into Stealth and Defense Impairment; rules written before keep the old
/// tactic, which sorts just before the two that replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tactic {
    Reconnaissance,
    ResourceDevelopment,
    InitialAccess,
    Execution,
    Persistence,
    PrivilegeEscalation,
    DefenseEvasion,
    Stealth,
    DefenseImpairment,
    CredentialAccess,
    Discovery,
    LateralMovement,
    Collection,
    CommandAndControl,
    Exfiltration,
    Impact,
}

impl Tactic {
    pub const ALL: [Tactic; 16] = [
        Tactic::Reconnaissance,
        Tactic::ResourceDevelopment,
        Tactic::InitialAccess,
        Tactic::Execution,
        Tactic::Persistence,
        Tactic::PrivilegeEscalation,
        Tactic::DefenseEvasion,
        Tactic::Stealth,
        Tactic::DefenseImpairment,
        Tactic::CredentialAccess,
        Tactic::Discovery,
        Tactic::LateralMovement,
        Tactic::Collection,
        Tactic::CommandAndControl,
        Tactic::Exfiltration,
        Tactic::Impact,
    ];

    /// The snake_case name (`initial_access`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tactic::Reconnaissance => "reconnaissance",
            Tactic::ResourceDevelopment => "resource_development",
            Tactic::InitialAccess => "initial_access",
            Tactic::Execution => "execution",
            Tactic::Persistence => "persistence",
            Tactic::PrivilegeEscalation => "privilege_escalation",
            Tactic::DefenseEvasion => "defense_evasion",
            Tactic::Stealth => "stealth",
            Tactic::DefenseImpairment => "defense_impairment",
            Tactic::CredentialAccess => "credential_access",
            Tactic::Discovery => "discovery",
            Tactic::LateralMovement => "lateral_movement",
            Tactic::Collection => "collection",
            Tactic::CommandAndControl => "command_and_control",
            Tactic::Exfiltration => "exfiltration",
            Tactic::Impact => "impact",
        }
    }

    /// The name as ATT&CK prints it (`Initial Access`).
    pub fn label(self) -> &'static str {
        match self {
            Tactic::Reconnaissance => "Reconnaissance",
            Tactic::ResourceDevelopment => "Resource Development",
            Tactic::InitialAccess => "Initial Access",
            Tactic::Execution => "Execution",
            Tactic::Persistence => "Persistence",
            Tactic::PrivilegeEscalation => "Privilege Escalation",
            Tactic::DefenseEvasion => "Defense Evasion",
            Tactic::Stealth => "Stealth",
            Tactic::DefenseImpairment => "Defense Impairment",
            Tactic::CredentialAccess => "Credential Access",
            Tactic::Discovery => "Discovery",
            Tactic::LateralMovement => "Lateral Movement",
            Tactic::Collection => "Collection",
            Tactic::CommandAndControl => "Command and Control",
            Tactic::Exfiltration => "Exfiltration",
            Tactic::Impact => "Impact",
        }
    }

    /// A tactic from its name in any of the spellings rules use: `initial-access`, `initial_access`,
    /// `Initial Access`.
    pub fn from_name(name: &str) -> Option<Tactic> {
        let norm: String = name
            .trim()
            .chars()
            .map(|c| {
                if c == '-' || c == ' ' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        Tactic::ALL.into_iter().find(|t| t.as_str() == norm)
    }
}

impl std::fmt::Display for Tactic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const TECHNIQUES_TSV: &str = include_str!("../data/attack-techniques.tsv");

/// Technique id → its tactics.
pub type TechniqueTable = BTreeMap<String, Vec<Tactic>>;

/// The bundled technique → tactics table.
fn technique_table() -> &'static TechniqueTable {
    static TABLE: OnceLock<TechniqueTable> = OnceLock::new();
    TABLE.get_or_init(|| parse_technique_table(TECHNIQUES_TSV).0)
}

/// Parses `technique<TAB>tactic,tactic` lines (`#` comments). Malformed lines are returned with their
/// 1-based line number and skipped.
pub fn parse_technique_table(text: &str) -> (TechniqueTable, Vec<(usize, String)>) {
    let mut map = BTreeMap::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((tech, tactics)) = line.split_once('\t') else {
            bad.push((i + 1, "no tab between technique and tactics".to_string()));
            continue;
        };
        let Some(tech) = normalise_technique(tech) else {
            bad.push((i + 1, format!("'{tech}' is not a technique id")));
            continue;
        };
        let parsed: Option<Vec<Tactic>> = tactics.split(',').map(Tactic::from_name).collect();
        match parsed {
            Some(t) if !t.is_empty() => {
                map.insert(tech, t);
            }
            _ => bad.push((i + 1, format!("unknown tactic in '{tactics}'"))),
        }
    }
    (map, bad)
}

/// `T1505.003` from `t1505.003`; `None` unless it has the shape of an ATT&CK technique id.
pub fn normalise_technique(s: &str) -> Option<String> {
    let up = s.trim().to_ascii_uppercase();
    let rest = up.strip_prefix('T')?;
    let (main, sub) = match rest.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (rest, None),
    };
    let digits = |x: &str, n: usize| x.len() == n && x.bytes().all(|b| b.is_ascii_digit());
    (digits(main, 4) && sub.is_none_or(|s| digits(s, 3))).then_some(up)
}

/// The tactics of a technique; a sub-technique the table lacks takes its parent's.
pub fn technique_tactics(technique: &str) -> Vec<Tactic> {
    let Some(t) = normalise_technique(technique) else {
        return Vec::new();
    };
    let table = technique_table();
    if let Some(v) = table.get(&t) {
        return v.clone();
    }
    t.split_once('.')
        .and_then(|(parent, _)| table.get(parent))
        .cloned()
        .unwrap_or_default()
}

/// The ATT&CK technique ids in a detection's tags (`attack.t1190` → `T1190`).
pub fn detection_techniques(d: &Detection) -> Vec<String> {
    let mut out = Vec::new();
    for tag in &d.tags {
        if let Some(t) = attack_suffix(tag).and_then(normalise_technique)
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    out
}

fn attack_suffix(tag: &str) -> Option<&str> {
    let tag = tag.trim();
    let prefix = tag.get(..7)?;
    prefix
        .eq_ignore_ascii_case("attack.")
        .then(|| tag.get(7..))
        .flatten()
}

/// The tactics of a detection: the tactic tags it carries; if it carries none, those of its techniques.
pub fn detection_tactics(d: &Detection) -> BTreeSet<Tactic> {
    let explicit: BTreeSet<Tactic> = d
        .tags
        .iter()
        .filter_map(|t| attack_suffix(t).and_then(Tactic::from_name))
        .collect();
    if !explicit.is_empty() {
        return explicit;
    }
    detection_techniques(d)
        .iter()
        .flat_map(|t| technique_tactics(t))
        .collect()
}

/// The earliest kill-chain tactic of a detection: where it sits in the story.
pub fn primary_tactic(d: &Detection) -> Option<Tactic> {
    detection_tactics(d).into_iter().next()
}

/// Techniques that are the exploitation of a vulnerability in an exposed service.
pub const EXPLOITATION_TECHNIQUES: [&str; 2] = ["T1190", "T1210"];

/// Techniques rules tag as Initial Access that, seen on the organisation's own server, are a use of what
/// was taken rather than the way in: phishing sent from a stolen mailbox (T1566, T1534).
pub const OUTBOUND_TECHNIQUES: [&str; 2] = ["T1566", "T1534"];

fn is_or_sub(t: &str, parents: &[&str]) -> bool {
    parents
        .iter()
        .any(|e| t == *e || t.strip_prefix(e).is_some_and(|r| r.starts_with('.')))
}

/// Whether a detection is evidence of getting in: an exploitation technique, or tactic Initial Access
/// unless its only techniques are phishing sent from the server (a consequence of the breach).
pub fn is_entry_candidate(d: &Detection) -> bool {
    let techniques = detection_techniques(d);
    if techniques
        .iter()
        .any(|t| is_or_sub(t, &EXPLOITATION_TECHNIQUES))
    {
        return true;
    }
    let initial = detection_tactics(d).contains(&Tactic::InitialAccess);
    let outbound = techniques
        .iter()
        .any(|t| is_or_sub(t, &OUTBOUND_TECHNIQUES));
    let other_initial = techniques.iter().any(|t| {
        !is_or_sub(t, &OUTBOUND_TECHNIQUES) && technique_tactics(t).contains(&Tactic::InitialAccess)
    });
    // Phishing-only detections (outbound, and nothing else of Initial Access) are not an entry.
    initial && (other_initial || !outbound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Level;

    fn det(tags: &[&str]) -> Detection {
        crate::testing::detection("r", Level::High, tags, None, None, &[])
    }

    #[test]
    fn bundled_table_is_well_formed_and_covers_rules() {
        let (map, bad) = parse_technique_table(TECHNIQUES_TSV);
        assert!(bad.is_empty(), "{bad:?}");
        assert!(map.len() >= 400);
        assert_eq!(technique_tactics("T1190"), vec![Tactic::InitialAccess]);
        assert_eq!(
            technique_tactics("t1098"),
            vec![Tactic::Persistence, Tactic::PrivilegeEscalation]
        );
        assert_eq!(technique_tactics("T1505.003"), vec![Tactic::Persistence]);
        assert_eq!(technique_tactics("T1114.002"), vec![Tactic::Collection]);
        assert_eq!(
            technique_tactics("T1110.003"),
            vec![Tactic::CredentialAccess]
        );
        assert_eq!(technique_tactics("T1685"), vec![Tactic::DefenseImpairment]);
        assert_eq!(
            technique_tactics("T1036.999"),
            vec![Tactic::Stealth],
            "parent fallback"
        );
        assert!(technique_tactics("T9999").is_empty());
        assert!(technique_tactics("bogus").is_empty());
    }

    #[test]
    fn malformed_table_lines_are_named() {
        let (map, bad) = parse_technique_table(
            "# c\nT1190\tinitial-access\nT1\tx\nT1059 execution\nT1059\tnope\n",
        );
        assert_eq!(map.len(), 1);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![3, 4, 5]);
    }

    #[test]
    fn tactic_names_in_all_spellings() {
        assert_eq!(
            Tactic::from_name("initial-access"),
            Some(Tactic::InitialAccess)
        );
        assert_eq!(
            Tactic::from_name("initial_access"),
            Some(Tactic::InitialAccess)
        );
        assert_eq!(
            Tactic::from_name("Command and Control"),
            Some(Tactic::CommandAndControl)
        );
        assert_eq!(
            Tactic::from_name("command-and-control"),
            Some(Tactic::CommandAndControl)
        );
        assert_eq!(Tactic::from_name("t1190"), None);
        assert!(Tactic::Reconnaissance < Tactic::InitialAccess);
        assert!(Tactic::Collection < Tactic::Exfiltration && Tactic::Exfiltration < Tactic::Impact);
    }

    #[test]
    fn detection_tactics_prefer_explicit_tags() {
        let d = det(&[
            "attack.collection",
            "attack.t1114.002",
            "attack.exfiltration",
        ]);
        assert_eq!(
            detection_tactics(&d).into_iter().collect::<Vec<_>>(),
            vec![Tactic::Collection, Tactic::Exfiltration]
        );
        assert_eq!(primary_tactic(&d), Some(Tactic::Collection));
        let only_tech = det(&["attack.t1505.003"]);
        assert_eq!(primary_tactic(&only_tech), Some(Tactic::Persistence));
        assert_eq!(primary_tactic(&det(&["detection.emerging-threats"])), None);
        assert!(is_entry_candidate(&det(&["attack.initial-access"])));
        assert!(is_entry_candidate(&det(&[
            "attack.persistence",
            "attack.t1190"
        ])));
        assert!(!is_entry_candidate(&det(&["attack.t1505.003"])));
        // Phishing sent from a stolen mailbox is tagged Initial Access but is not how the server was entered.
        assert!(!is_entry_candidate(&det(&[
            "attack.lateral-movement",
            "attack.t1534",
            "attack.initial-access",
            "attack.t1566"
        ])));
        assert!(is_entry_candidate(&det(&[
            "attack.credential-access",
            "attack.t1110.003",
            "attack.initial-access",
            "attack.t1078"
        ])));
        assert!(is_entry_candidate(&det(&["attack.t1190.001"])));
        assert!(!is_entry_candidate(&det(&["attack.t11900"])));
    }

    /// The bundled outbound-mail rules (phishing sent from the organisation's own mailbox) are read
    /// as what they are on the server — the attacker acting through a stolen mailbox — never as the
    /// way in: their tactic is not Initial Access and they are no entry candidates.
    #[test]
    fn bundled_outbound_mail_rules_are_not_initial_access() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/vigil");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("rules/vigil") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "yml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("rule");
            let tags: Vec<&str> = text
                .split("\ntags:\n")
                .nth(1)
                .map(|rest| {
                    rest.lines()
                        .map_while(|l| l.trim_start().strip_prefix("- "))
                        .collect()
                })
                .unwrap_or_default();
            let outbound = tags.iter().any(|t| {
                normalise_technique(t.trim_start_matches("attack."))
                    .is_some_and(|t| is_or_sub(&t, &OUTBOUND_TECHNIQUES))
            });
            if !outbound {
                continue;
            }
            let d = det(&tags);
            let name = path.display();
            assert!(
                !detection_tactics(&d).contains(&Tactic::InitialAccess),
                "{name}: {tags:?}"
            );
            assert!(!is_entry_candidate(&d), "{name}: {tags:?}");
            checked += 1;
        }
        assert!(checked >= 4, "{checked} outbound-mail rules found");
    }
}
