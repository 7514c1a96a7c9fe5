//! Which vulnerabilities a detection is evidence of exploiting.
//!
//! Two sources, unioned: the rule's own `cve.YYYY-NNNNN` tags (Sigma tag appendix), and vigil's curated
//! `rules/cve-map.yml`, because the SigmaHQ rules that matter most (ProxyLogon, ProxyShell, ProxyNotShell)
//! carry no `cve.` tag at all. Each CVE keeps where it came from, so a root cause can cite it.
//!
//! Each curated entry also says what a hit of its rule shows ([`CveRole`]): the exploitation itself
//! (`role: exploit`), or activity that follows it — web-shell use, reconnaissance, mailbox exports —
//! (`role: post-exploitation`). Only the first can name a root cause; the second is "consistent with" the
//! CVE, because the same web shell or command can arrive by any route. A rule without a curated role (or
//! not in the table, with only its own `cve.` tags) counts as an exploit when the detection is evidence of
//! getting in (tactic Initial Access or technique T1190/T1210), and as post-exploitation otherwise.

use crate::error::InvestigateError;
use crate::tactics::is_entry_candidate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::Detection;
use yaml_serde::Value;

/// Longest CVE-map text accepted (the bundled table is ~30 KB).
const MAX_MAP_BYTES: usize = 8 * 1024 * 1024;

/// One curated entry: a rule and the CVEs it detects exploitation of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CveMapping {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Rule file below `rules/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub cves: Vec<String>,
    /// `high`, `medium` or `low`, as curated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// What a hit of the rule shows: the exploitation itself, or what follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<CveRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a rule's hit shows about the CVEs it relates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CveRole {
    /// The rule matches the exploitation (the SSRF request, the deserialisation, the file write).
    Exploit,
    /// The rule matches what an attacker does afterwards (web-shell use, recon, mailbox export).
    PostExploitation,
}

impl CveRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CveRole::Exploit => "exploit",
            CveRole::PostExploitation => "post-exploitation",
        }
    }
}

/// A problem with one entry of the map; the other entries are still used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CveMapIssue {
    /// `mappings[3]` (and the rule id when it could be read).
    pub location: String,
    pub reason: String,
}

impl std::fmt::Display for CveMapIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// The rule id → CVE table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CveMap {
    /// `source:` of the file (the SigmaHQ commit the entries were checked against).
    pub source: Option<String>,
    by_rule: BTreeMap<String, CveMapping>,
}

impl CveMap {
    /// Parses the text of `rules/cve-map.yml`. `file` names it in messages. A file that is not YAML or has
    /// no `mappings` list is an error; a malformed entry is reported in the returned issues and skipped.
    pub fn parse(text: &str, file: &str) -> Result<(CveMap, Vec<CveMapIssue>), InvestigateError> {
        let err = |reason: String| InvestigateError::CveMap {
            file: file.to_string(),
            reason,
        };
        if text.len() > MAX_MAP_BYTES {
            return Err(err(format!("larger than {MAX_MAP_BYTES} bytes")));
        }
        let doc: Value = yaml_serde::from_str(text).map_err(|e| err(format!("not YAML: {e}")))?;
        let Value::Mapping(top) = doc else {
            return Err(err("top level is not a mapping".into()));
        };
        if let Some(schema) = top.get("schema")
            && schema.as_u64() != Some(1)
        {
            return Err(err(format!("unsupported schema {schema:?} (expected 1)")));
        }
        let source = top
            .get("source")
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(Value::Sequence(entries)) = top.get("mappings") else {
            return Err(err("no `mappings` list".into()));
        };
        let mut map = CveMap {
            source,
            by_rule: BTreeMap::new(),
        };
        let mut issues = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let rule_hint = entry.get("rule").and_then(Value::as_str).unwrap_or("");
            let location = if rule_hint.is_empty() {
                format!("{file}: mappings[{i}]")
            } else {
                format!("{file}: mappings[{i}] (rule {rule_hint})")
            };
            let mut m: CveMapping = match yaml_serde::from_value(entry.clone()) {
                Ok(m) => m,
                Err(e) => {
                    issues.push(CveMapIssue {
                        location,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            m.rule = m.rule.trim().to_ascii_lowercase();
            if m.rule.is_empty() {
                issues.push(CveMapIssue {
                    location,
                    reason: "empty rule id".into(),
                });
                continue;
            }
            let mut cves = Vec::new();
            for c in &m.cves {
                match normalise_cve(c) {
                    Some(c) => cves.push(c),
                    None => issues.push(CveMapIssue {
                        location: location.clone(),
                        reason: format!("'{c}' is not a CVE identifier"),
                    }),
                }
            }
            if cves.is_empty() {
                issues.push(CveMapIssue {
                    location,
                    reason: "no valid CVE".into(),
                });
                continue;
            }
            m.cves = cves;
            if map.by_rule.contains_key(&m.rule) {
                issues.push(CveMapIssue {
                    location,
                    reason: "rule listed twice; CVEs merged".into(),
                });
            }
            let slot = map
                .by_rule
                .entry(m.rule.clone())
                .or_insert_with(|| CveMapping {
                    cves: Vec::new(),
                    ..m.clone()
                });
            for c in m.cves {
                if !slot.cves.contains(&c) {
                    slot.cves.push(c);
                }
            }
        }
        Ok((map, issues))
    }

    /// The curated entry for a rule id (case-insensitive).
    pub fn get(&self, rule_id: &str) -> Option<&CveMapping> {
        self.by_rule.get(&rule_id.trim().to_ascii_lowercase())
    }

    /// The rules curated as post-exploitation (lower case): never an entry point.
    pub fn post_exploitation_rules(&self) -> std::collections::BTreeSet<String> {
        self.by_rule
            .values()
            .filter(|m| m.role == Some(CveRole::PostExploitation))
            .map(|m| m.rule.clone())
            .collect()
    }

    /// Every curated entry, by rule id.
    pub fn mappings(&self) -> impl Iterator<Item = &CveMapping> {
        self.by_rule.values()
    }

    pub fn len(&self) -> usize {
        self.by_rule.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_rule.is_empty()
    }
}

/// `CVE-2021-34473` from any spelling of a CVE id (`cve-2021-34473`, ` CVE-2021-34473 `); `None` if it is not one.
pub fn normalise_cve(s: &str) -> Option<String> {
    let up = s.trim().to_ascii_uppercase();
    let rest = up.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    let ok = year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (4..=19).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(up)
}

/// CVEs named by Sigma tags: `cve.2021-34473` → `CVE-2021-34473`. Other tags are ignored.
pub fn cves_from_tags<'a>(tags: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut out = Vec::new();
    for t in tags {
        let t = t.trim();
        let Some(prefix) = t.get(..4) else { continue };
        if !prefix.eq_ignore_ascii_case("cve.") {
            continue;
        }
        if let Some(c) = t
            .get(4..)
            .and_then(|rest| normalise_cve(&format!("CVE-{rest}")))
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// Where a detection's CVE came from: the evidence behind "this rule detects exploitation of CVE X".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CveSource {
    /// The rule's own `cve.*` tag.
    Tag { tag: String },
    /// vigil's curated rule → CVE table.
    CveMap {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confidence: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<CveRole>,
    },
}

/// What a detection shows about its CVEs: the curated role of its rule, else [`CveRole::Exploit`] when it
/// is evidence of getting in and [`CveRole::PostExploitation`] otherwise.
pub fn detection_role(d: &Detection, map: &CveMap) -> CveRole {
    match map.get(&d.rule_id).and_then(|m| m.role) {
        Some(r) => r,
        None if is_entry_candidate(d) => CveRole::Exploit,
        None => CveRole::PostExploitation,
    }
}

/// The CVEs a detection is evidence of, each with its sources: tags first, then the curated map.
pub fn cves_for_detection(d: &Detection, map: &CveMap) -> Vec<(String, Vec<CveSource>)> {
    let mut out: Vec<(String, Vec<CveSource>)> = Vec::new();
    let mut add = |cve: String, src: CveSource| match out.iter_mut().find(|(c, _)| *c == cve) {
        Some((_, srcs)) => srcs.push(src),
        None => out.push((cve, vec![src])),
    };
    for t in &d.tags {
        if let Some(c) = cves_from_tags(std::iter::once(t)).into_iter().next() {
            add(c, CveSource::Tag { tag: t.clone() });
        }
    }
    if let Some(m) = map.get(&d.rule_id) {
        for c in &m.cves {
            add(
                c.clone(),
                CveSource::CveMap {
                    confidence: m.confidence.clone(),
                    role: m.role,
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_cve_ids() {
        let tags: Vec<String> = [
            "attack.t1190",
            "cve.2021-34473",
            "CVE.2021-34523",
            "cve.2021-3447x",
            "cve.",
            "cve.2021-34473",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            cves_from_tags(&tags),
            vec!["CVE-2021-34473", "CVE-2021-34523"]
        );
    }

    #[test]
    fn cve_ids_are_validated() {
        assert_eq!(
            normalise_cve(" cve-2021-26855 ").as_deref(),
            Some("CVE-2021-26855")
        );
        assert_eq!(normalise_cve("CVE-21-26855"), None);
        assert_eq!(normalise_cve("CVE-2021-123"), None);
        assert_eq!(normalise_cve("GHSA-xxxx"), None);
        assert_eq!(normalise_cve("CVE-2021-é"), None);
    }

    #[test]
    fn malformed_entries_are_reported_and_skipped() {
        let text = "schema: 1\nsource: test\nmappings:\n  - rule: AAA\n    cves: [CVE-2021-1111, bogus]\n  - title: no rule\n    cves: [CVE-2021-2222]\n  - rule: bbb\n    cves: []\n  - rule: aaa\n    cves: [CVE-2021-3333]\n";
        let (map, issues) = CveMap::parse(text, "cve-map.yml").unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(
            map.get("aaa").unwrap().cves,
            vec!["CVE-2021-1111", "CVE-2021-3333"]
        );
        assert_eq!(map.source.as_deref(), Some("test"));
        let text_issues: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(issues.len(), 4, "{text_issues:?}");
        assert!(
            text_issues[0].contains("mappings[0] (rule AAA)") && text_issues[0].contains("bogus")
        );
        assert!(text_issues[1].contains("mappings[1]") && text_issues[1].contains("rule"));
        assert!(text_issues[2].contains("mappings[2] (rule bbb)"));
        assert!(text_issues[3].contains("listed twice"));
    }

    #[test]
    fn roles_are_read_and_decide_what_a_hit_shows() {
        let text = "schema: 1\nmappings:\n  - rule: web\n    cves: [CVE-2021-26855]\n    role: post-exploitation\n  - rule: ssrf\n    cves: [CVE-2021-26855]\n    role: exploit\n  - rule: bad\n    cves: [CVE-2021-26855]\n    role: maybe\n  - rule: none\n    cves: [CVE-2021-26855]\n";
        let (map, issues) = CveMap::parse(text, "m.yml").unwrap();
        assert_eq!(
            map.get("web").unwrap().role,
            Some(CveRole::PostExploitation)
        );
        assert_eq!(map.get("ssrf").unwrap().role, Some(CveRole::Exploit));
        assert!(map.get("bad").is_none());
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(issues[0].to_string().contains("rule bad"), "{}", issues[0]);
        let det = |rule: &str, tags: &[&str]| {
            crate::testing::detection(rule, vigil_model::Level::High, tags, None, None, &[])
        };
        let entry = ["attack.initial-access", "attack.t1190"];
        assert_eq!(
            detection_role(&det("web", &entry), &map),
            CveRole::PostExploitation
        );
        assert_eq!(detection_role(&det("ssrf", &[]), &map), CveRole::Exploit);
        assert_eq!(detection_role(&det("none", &entry), &map), CveRole::Exploit);
        assert_eq!(
            detection_role(
                &det("tagged", &["attack.persistence", "cve.2021-31207"]),
                &map
            ),
            CveRole::PostExploitation
        );
    }

    #[test]
    fn whole_file_errors_name_the_file() {
        let e = CveMap::parse("- a\n- b\n", "x.yml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.yml:"), "{e}");
        assert!(CveMap::parse("schema: 2\nmappings: []\n", "x.yml").is_err());
        assert!(CveMap::parse("schema: 1\n", "x.yml").is_err());
        assert!(CveMap::parse("{{{", "x.yml").is_err());
    }
}
