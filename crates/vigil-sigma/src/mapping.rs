//! Field mappings: which event fields a Sigma field name means for a given log source.
//!
//! Readers name fields the way their format does (`cs-uri-stem`, `Data[@Name]`…); Sigma rules
//! use the taxonomy's names. A mapping is data — a small YAML document a log reader ships:
//!
//! ```yaml
//! logsource: { category: webserver }     # optional: where the mapping applies
//! fields:
//!   cs-uri-query: uri_full               # one event field
//!   c-ip: [c-ip, client_ip]              # any of several fields may match
//! ```
//!
//! Mappings are applied when rules are compiled; an event uses the most specific mapping
//! whose log source keys all equal its own.

use serde::Deserialize;
use std::collections::BTreeMap;
use vigil_model::LogSource;

/// Maps Sigma field names to event field names for one log source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMapping {
    /// Where the mapping applies when taken from its YAML (`logsource:`), if stated.
    pub logsource: Option<LogSource>,
    /// Sigma name → event fields (any of which may match).
    pub fields: BTreeMap<String, Vec<String>>,
}

/// Why a mapping document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("invalid field mapping YAML: {0}")]
    Yaml(#[from] yaml_serde::Error),
    #[error("field mapping entry '{0}' maps to no field")]
    Empty(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct MappingDoc {
    #[serde(default)]
    logsource: Option<LogSourceDoc>,
    #[serde(default)]
    fields: BTreeMap<String, OneOrMany>,
}

#[derive(Deserialize)]
struct LogSourceDoc {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

impl FieldMapping {
    /// Reads the YAML format described in the module documentation.
    pub fn from_yaml(text: &str) -> Result<FieldMapping, MappingError> {
        let doc: MappingDoc = yaml_serde::from_str(text)?;
        let mut fields = BTreeMap::new();
        for (k, v) in doc.fields {
            let list = match v {
                OneOrMany::One(s) => vec![s],
                OneOrMany::Many(v) => v,
            };
            if list.is_empty() {
                return Err(MappingError::Empty(k));
            }
            fields.insert(k, list);
        }
        let logsource = doc.logsource.map(|l| LogSource {
            product: l.product.map(|s| s.to_lowercase()),
            category: l.category.map(|s| s.to_lowercase()),
            service: l.service.map(|s| s.to_lowercase()),
        });
        Ok(FieldMapping { logsource, fields })
    }

    /// Adds or replaces one entry.
    pub fn insert(&mut self, sigma: &str, event_fields: &[&str]) {
        self.fields.insert(
            sigma.to_string(),
            event_fields.iter().map(|s| s.to_string()).collect(),
        );
    }

    /// The event fields for a Sigma name (the name itself when unmapped).
    pub fn resolve<'a>(&'a self, sigma: &'a str) -> Vec<&'a str> {
        match self.fields.get(sigma) {
            Some(v) => v.iter().map(String::as_str).collect(),
            None => vec![sigma],
        }
    }
}

/// All mappings known to the engine, each attached to a log source selector.
#[derive(Debug, Clone, Default)]
pub struct Mappings {
    pub(crate) entries: Vec<(LogSource, FieldMapping)>,
}

impl Mappings {
    pub fn new() -> Self {
        Mappings::default()
    }

    /// Attaches a mapping to the events of a log source: every key set in `selector` must equal
    /// the event's. An empty selector applies to every event that has no more specific mapping.
    pub fn attach(&mut self, selector: LogSource, mapping: FieldMapping) {
        let lower = |o: Option<String>| o.map(|s| s.to_lowercase());
        let selector = LogSource {
            product: lower(selector.product),
            category: lower(selector.category),
            service: lower(selector.service),
        };
        self.entries.push((selector, mapping));
    }

    /// Attaches a mapping to the log source named in its own YAML (`logsource:`), or to all
    /// events when it names none.
    pub fn add(&mut self, mapping: FieldMapping) {
        let sel = mapping.logsource.clone().unwrap_or_default();
        self.attach(sel, mapping);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The mapping the engine applies to events of a log source (the most specific one), if any.
    pub fn for_logsource(&self, ls: &LogSource) -> Option<&FieldMapping> {
        let i = self.select(ls)?;
        self.entries.get(i).map(|(_, m)| m)
    }

    /// Index of the most specific mapping for an event's log source.
    pub(crate) fn select(&self, ls: &LogSource) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (i, (sel, _)) in self.entries.iter().enumerate() {
            if let Some(spec) = selector_matches(sel, ls)
                && best.is_none_or(|(_, s)| spec > s)
            {
                best = Some((i, spec));
            }
        }
        best.map(|(i, _)| i)
    }
}

/// Some(number of keys) when every key the selector sets equals the event's (case-insensitive).
fn selector_matches(sel: &LogSource, ls: &LogSource) -> Option<usize> {
    let mut n = 0;
    for (s, e) in [
        (&sel.product, &ls.product),
        (&sel.category, &ls.category),
        (&sel.service, &ls.service),
    ] {
        if let Some(s) = s {
            match e {
                Some(e) if e.eq_ignore_ascii_case(s) => n += 1,
                _ => return None,
            }
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_format() {
        let m = FieldMapping::from_yaml(
            "logsource:\n  category: Webserver\nfields:\n  cs-uri-query: uri_full\n  c-ip: [c-ip, client]\n",
        )
        .unwrap();
        assert_eq!(m.resolve("cs-uri-query"), vec!["uri_full"]);
        assert_eq!(m.resolve("c-ip"), vec!["c-ip", "client"]);
        assert_eq!(m.resolve("other"), vec!["other"]);
        assert_eq!(
            m.logsource.as_ref().unwrap().category.as_deref(),
            Some("webserver")
        );
        assert!(FieldMapping::from_yaml("fields: [1, 2]").is_err());
        assert!(FieldMapping::from_yaml("fields:\n  a: []\n").is_err());
    }

    #[test]
    fn most_specific_mapping_wins() {
        let mut ms = Mappings::new();
        ms.attach(
            LogSource::new(Some("windows"), None, None),
            FieldMapping::default(),
        );
        ms.attach(
            LogSource::new(Some("windows"), None, Some("security")),
            FieldMapping::default(),
        );
        let sec = LogSource::new(Some("windows"), None, Some("Security"));
        assert_eq!(ms.select(&sec), Some(1));
        let sys = LogSource::new(Some("windows"), None, Some("system"));
        assert_eq!(ms.select(&sys), Some(0));
        assert_eq!(ms.select(&LogSource::new(Some("linux"), None, None)), None);
    }
}
