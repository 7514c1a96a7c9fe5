//! Decoding an advisory for one package: only the `affected` entries of that package are decoded.
//!
//! A distro advisory (AlmaLinux, Red Hat, Ubuntu) lists every binary package it touches, often dozens,
//! each with its ranges; a package look-up needs one of them. The other entries are skipped as raw JSON
//! text (scanned, not allocated), which makes a look-up several times cheaper on real distro data.

use crate::matching::{AffectedKey, Lookup};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use vigil_model::{Advisory, Affected, Ecosystem};

#[derive(Deserialize)]
struct PackageKey<'a> {
    #[serde(borrow)]
    package: PackageNames<'a>,
}

#[derive(Deserialize)]
struct PackageNames<'a> {
    #[serde(borrow)]
    ecosystem: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
}

/// The advisory without its `affected` list, as stored beside the per-package entries.
pub(crate) fn core_json(a: &Advisory) -> Result<String, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct Core<'a> {
        id: &'a str,
        source: &'a str,
        modified: jiff::Timestamp,
        #[serde(skip_serializing_if = "Option::is_none")]
        published: Option<jiff::Timestamp>,
        #[serde(skip_serializing_if = "Option::is_none")]
        withdrawn: Option<jiff::Timestamp>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        aliases: &'a [String],
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        related: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        summary: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        details: Option<&'a str>,
        #[serde(skip_serializing_if = "<[vigil_model::SeverityScore]>::is_empty")]
        severity: &'a [vigil_model::SeverityScore],
        #[serde(skip_serializing_if = "Option::is_none")]
        source_severity: Option<vigil_model::Severity>,
        #[serde(skip_serializing_if = "<[vigil_model::Reference]>::is_empty")]
        references: &'a [vigil_model::Reference],
        #[serde(skip_serializing_if = "Option::is_none")]
        database_specific: Option<&'a serde_json::Value>,
    }
    serde_json::to_string(&Core {
        id: &a.id,
        source: &a.source,
        modified: a.modified,
        published: a.published,
        withdrawn: a.withdrawn,
        aliases: &a.aliases,
        related: &a.related,
        summary: a.summary.as_deref(),
        details: a.details.as_deref(),
        severity: &a.severity,
        source_severity: a.source_severity,
        references: &a.references,
        database_specific: a.database_specific.as_ref(),
    })
}

/// Decodes `json` keeping only the affected entries that `lookup` matches.
pub(crate) fn decode_for(json: &str, lookup: &Lookup) -> Result<Advisory, serde_json::Error> {
    let raw: Map<String, Value> = Map::new();
    let mut fields = raw;
    let doc: std::collections::BTreeMap<&str, &RawValue> = serde_json::from_str(json)?;
    let mut affected: Vec<Affected> = Vec::new();
    for (key, value) in doc {
        if key == "affected" {
            let entries: Vec<&RawValue> = serde_json::from_str(value.get())?;
            for entry in entries {
                let k: PackageKey<'_> = serde_json::from_str(entry.get())?;
                let eco = Ecosystem::new(k.package.ecosystem.as_ref());
                if lookup.matches(&AffectedKey::new(&eco, &k.package.name)) {
                    affected.push(serde_json::from_str(entry.get())?);
                }
            }
        } else {
            fields.insert(key.to_string(), serde_json::from_str(value.get())?);
        }
    }
    let mut advisory: Advisory = serde_json::from_value(Value::Object(fields))?;
    advisory.affected = affected;
    Ok(advisory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Ecosystem;

    #[test]
    fn keeps_only_the_entries_of_the_package() {
        let json = r#"{"id":"ALSA-1","source":"osv","modified":"2023-01-01T00:00:00Z","summary":"s",
          "affected":[
            {"package":{"ecosystem":"AlmaLinux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.1-43.el9"}]}]},
            {"package":{"ecosystem":"AlmaLinux:9","name":"openssl-libs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.1-43.el9"}]}]},
            {"package":{"ecosystem":"AlmaLinux:8","name":"openssl"},"versions":["1.1.1k-1.el8"]}
          ]}"#;
        let lookup = Lookup::new(&Ecosystem::new("AlmaLinux:9"), "OpenSSL");
        let a = decode_for(json, &lookup).unwrap();
        assert_eq!(a.id, "ALSA-1");
        assert_eq!(a.summary.as_deref(), Some("s"));
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].package.name, "openssl");
        let full: Advisory = serde_json::from_str(json).unwrap();
        assert_eq!(full.affected.len(), 3);
        assert!(decode_for("{\"affected\": 3}", &lookup).is_err());
        let core: Advisory = serde_json::from_str(&core_json(&full).unwrap()).unwrap();
        assert!(core.affected.is_empty());
        assert_eq!(
            Advisory {
                affected: full.affected.clone(),
                ..core
            },
            full
        );
    }
}
