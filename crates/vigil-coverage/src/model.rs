//! The asset as the rules see it: the log sources it really has, the fields its configuration
//! leaves out of them, and the rules known to depend on lines it does not write. From it, which
//! rules (and correlations) can fire at all.
//!
//! Rule log sources are matched with the engine's own logic and detections judged with
//! `vigil_hunt::coverage` (a field never written makes a test false unless the test is a negation
//! or a test for absence). Only fields the *configuration* decides are judged absent — IIS
//! `#Fields:` columns, the 4688 command line, Dovecot's passdb lines, Postfix's SASL lines — never a
//! field that is merely missing because an event did not happen in the sample.

use crate::profile::Profile;
use std::collections::BTreeSet;
use vigil_model::LogSource;
use vigil_sigma::{FieldMapping, Mappings, Rule, RuleSet, Search, ValuePattern};

/// One log source of the asset.
#[derive(Debug, Clone)]
pub struct ModelSource {
    pub logsource: LogSource,
    /// Reader field names its configuration does not write.
    pub absent: BTreeSet<String>,
    /// Where the format fixes the columns (IIS `#Fields:`): the only fields written.
    pub only: Option<BTreeSet<String>>,
}

impl ModelSource {
    pub fn new(logsource: LogSource) -> Self {
        ModelSource {
            logsource,
            absent: BTreeSet::new(),
            only: None,
        }
    }

    /// Whether events of this source can carry a reader field.
    pub fn writes(&self, field: &str) -> bool {
        !self.absent.contains(field) && self.only.as_ref().is_none_or(|o| o.contains(field))
    }

    /// The configuration would write `field`.
    pub fn allow(&mut self, field: &str) {
        self.absent.remove(field);
        if let Some(o) = &mut self.only {
            o.insert(field.to_string());
        }
    }
}

/// The asset's sources and the rules known to be blind on them.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub sources: Vec<ModelSource>,
    /// Rules whose lines the asset does not write (by key).
    pub blocked: BTreeSet<String>,
}

/// `category: webserver` without a service: IIS W3C and access logs (not Exchange HttpProxy).
fn is_plain_web(ls: &LogSource) -> bool {
    ls.category.as_deref() == Some("webserver") && ls.service.is_none()
}

impl Model {
    /// The sources of a profile, with the fields the configuration is seen to leave out.
    pub fn from_profile(p: &Profile) -> Model {
        let has_access_logs = p
            .files
            .iter()
            .any(|f| f.format.as_deref() == Some(vigil_logs::Format::Access.name()));
        let mut sources = Vec::new();
        for s in p.sources.values() {
            let ls = &s.logsource;
            let mut absent = BTreeSet::new();
            // The columns of IIS logs are those their `#Fields:` headers name (and the readers'
            // derived fields, which the profile saw on the events).
            let only = (is_plain_web(ls) && p.facts.w3c_events > 0 && !has_access_logs)
                .then(|| p.facts.w3c_fields.clone());
            if ls.service.as_deref() == Some("security")
                && ls.category.as_deref() == Some("process_creation")
                && p.facts.process_creation_4688_with_command_line == 0
            {
                absent.insert("CommandLine".to_string());
            }
            if ls.service.as_deref() == Some("dovecot") && p.facts.dovecot_passdb_lines == 0 {
                absent.insert("passdb".to_string());
            }
            sources.push(ModelSource {
                logsource: ls.clone(),
                absent,
                only,
            });
        }
        Model {
            sources,
            blocked: BTreeSet::new(),
        }
    }

    /// Whether a rule can fire on any source of the asset.
    pub fn can_fire(&self, rule: &Rule, mappings: &Mappings) -> bool {
        if self.blocked.contains(&rule.meta.key()) {
            return false;
        }
        let identity = FieldMapping::default();
        self.sources.iter().any(|s| {
            vigil_hunt::coverage::logsource_applies(&rule.meta.logsource, &s.logsource) && {
                let mapping = mappings.for_logsource(&s.logsource).unwrap_or(&identity);
                vigil_hunt::coverage::detection_possible(rule, mapping, &|f| s.writes(f)).is_ok()
            }
        })
    }

    /// Whether a rule's log source is one the asset has (whatever its fields).
    pub fn has_logsource_for(&self, rule: &Rule) -> bool {
        self.sources
            .iter()
            .any(|s| vigil_hunt::coverage::logsource_applies(&rule.meta.logsource, &s.logsource))
    }

    /// Keys of the rules and correlations that can fire on the asset.
    pub fn fireable(&self, set: &RuleSet, mappings: &Mappings) -> BTreeSet<String> {
        let mut alive = BTreeSet::new();
        let mut names = BTreeSet::new();
        for r in &set.rules {
            if self.can_fire(r, mappings) {
                alive.insert(r.meta.key());
                names.extend(r.meta.id.clone());
                names.extend(r.meta.name.clone());
            }
        }
        // Correlations fire when the rules they count can (all of them for temporal ones);
        // chains resolve by repeating, bounded by the number of correlations.
        let mut done: BTreeSet<usize> = BTreeSet::new();
        for _ in 0..=set.correlations.len() {
            let mut changed = false;
            for (i, c) in set.correlations.iter().enumerate() {
                if done.contains(&i) || c.rules.is_empty() {
                    continue;
                }
                let temporal = matches!(
                    c.kind,
                    vigil_sigma::CorrelationType::Temporal
                        | vigil_sigma::CorrelationType::TemporalOrdered
                );
                let live = |r: &String| names.contains(r);
                let fires = if temporal {
                    c.rules.iter().all(live)
                } else {
                    c.rules.iter().any(live)
                };
                if fires && !self.blocked.contains(&c.meta.key()) {
                    alive.insert(c.meta.key());
                    names.extend(c.meta.id.clone());
                    names.extend(c.meta.name.clone());
                    done.insert(i);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        alive
    }
}

/// Whether a rule's detection reads one of `fields` (reader names, through `mapping`) or looks for
/// text containing one of `values` (case-insensitive): how a rule depends on lines a server only
/// writes when configured to.
pub fn references(rule: &Rule, mapping: &FieldMapping, fields: &[&str], values: &[&str]) -> bool {
    fn walk(
        s: &Search,
        mapping: &FieldMapping,
        fields: &[&str],
        values: &[String],
        depth: usize,
    ) -> bool {
        if depth > 64 {
            return false;
        }
        match s {
            Search::Or(items) => items
                .iter()
                .any(|i| walk(i, mapping, fields, values, depth + 1)),
            Search::And(tests) => tests.iter().any(|t| {
                let by_field = t.field.as_deref().is_some_and(|f| {
                    mapping
                        .resolve(f)
                        .iter()
                        .any(|r| fields.iter().any(|x| x.eq_ignore_ascii_case(r)))
                });
                by_field
                    || t.groups
                        .iter()
                        .flatten()
                        .any(|p| pattern_mentions(p, values, 0))
            }),
        }
    }
    let values: Vec<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
    rule.detection
        .searches
        .iter()
        .any(|s| walk(s, mapping, fields, &values, 0))
}

fn pattern_mentions(p: &ValuePattern, values: &[String], depth: usize) -> bool {
    match p {
        ValuePattern::Str { pattern, .. } => pattern.pieces.iter().any(|piece| match piece {
            vigil_sigma::Piece::Lit(text) => {
                let text = text.to_ascii_lowercase();
                values.iter().any(|v| text.contains(v.as_str()))
            }
            _ => false,
        }),
        ValuePattern::Not(inner) if depth < 8 => pattern_mentions(inner, values, depth + 1),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sigma::parse_rules_str;

    fn set(text: &str) -> RuleSet {
        let (set, errors) = parse_rules_str(text, "t.yml");
        assert!(errors.is_empty(), "{errors:?}");
        set
    }

    /// One source; with `iis_columns`, only `c-ip` and `cs-uri-stem` are written.
    fn model(ls: LogSource, iis_columns: bool) -> Model {
        Model {
            sources: vec![ModelSource {
                logsource: ls,
                absent: BTreeSet::new(),
                only: iis_columns.then(|| {
                    ["c-ip", "cs-uri-stem"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                }),
            }],
            blocked: BTreeSet::new(),
        }
    }

    const UA_RULE: &str = "title: ua\nid: ua\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-user-agent|contains: 'curl'\n  condition: sel\n";

    #[test]
    fn a_rule_on_a_field_the_server_does_not_log_cannot_fire() {
        let rules = set(UA_RULE);
        let mappings = vigil_hunt::mapping::reader_mappings().unwrap();
        let web = LogSource::new(None, Some("webserver"), None);
        let with = model(web.clone(), false);
        let without = model(web, true);
        assert_eq!(with.fireable(&rules, &mappings).len(), 1);
        assert!(without.fireable(&rules, &mappings).is_empty());
    }

    #[test]
    fn correlations_follow_their_rules() {
        let text = format!(
            "{UA_RULE}---\ntitle: c\nid: c\ncorrelation:\n  type: event_count\n  rules: [ua]\n  group-by: [c-ip]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
        );
        let rules = set(&text);
        let mappings = vigil_hunt::mapping::reader_mappings().unwrap();
        let web = LogSource::new(None, Some("webserver"), None);
        let mut m = model(web, false);
        assert_eq!(m.fireable(&rules, &mappings).len(), 2);
        m.blocked.insert("ua".into());
        assert!(m.fireable(&rules, &mappings).is_empty());
    }

    #[test]
    fn references_see_fields_and_values() {
        let rules = set(UA_RULE);
        let r = &rules.rules[0];
        let mapping = FieldMapping::default();
        assert!(references(r, &mapping, &["cs-user-agent"], &[]));
        assert!(references(r, &mapping, &[], &["CURL"]));
        assert!(!references(r, &mapping, &["c-ip"], &["wget"]));
    }
}
