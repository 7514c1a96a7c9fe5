//! `.vigilignore.toml`: exceptions that are decisions, not silence.
//!
//! ```toml
//! [[ignore]]
//! id = "CVE-2022-0778"           # an advisory id, alias or KB (KB5001779)
//! reason = "not reachable: the service never parses certificates"
//! expires = 2026-12-31           # required: every exception is reviewed
//! asset = "mx1"                  # optional: only on this asset
//! package = "openssl"            # optional: only this package (or source package)
//! ```
//!
//! Every entry needs a non-empty reason and an expiry date. On and after the expiry date the entry no
//! longer hides the finding: it is reported again, flagged as an expired exception, so the decision is
//! revisited instead of lasting forever.

use crate::error::ScanError;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use vigil_model::Finding;

/// Largest ignore file read.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoreEntry {
    pub id: String,
    pub reason: String,
    pub expires: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// What an ignore file says about one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum IgnoreState {
    /// Hidden from gates until `expires`.
    Ignored { reason: String, expires: Date },
    /// The exception ran out: the finding counts again.
    Expired { reason: String, expired: Date },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreFile {
    pub path: Option<PathBuf>,
    pub entries: Vec<IgnoreEntry>,
}

impl IgnoreFile {
    pub fn load(path: &Path) -> Result<IgnoreFile, ScanError> {
        let err = |reason: String| ScanError::IgnoreFile {
            path: path.to_path_buf(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.len() > MAX_BYTES {
            return Err(err(format!("larger than {MAX_BYTES} bytes")));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let mut file = IgnoreFile::parse(&text).map_err(err)?;
        file.path = Some(path.to_path_buf());
        Ok(file)
    }

    /// Parses the text of an ignore file; the error names the entry and the field.
    pub fn parse(text: &str) -> Result<IgnoreFile, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut entries = Vec::new();
        for key in table.keys() {
            if key != "ignore" {
                return Err(format!("unknown key {key:?} (expected [[ignore]] entries)"));
            }
        }
        let Some(list) = table.get("ignore") else {
            return Ok(IgnoreFile::default());
        };
        let list = list
            .as_array()
            .ok_or("`ignore` must be an array of tables ([[ignore]])")?;
        for (i, item) in list.iter().enumerate() {
            let n = i + 1;
            let t = item
                .as_table()
                .ok_or_else(|| format!("entry {n}: not a table"))?;
            for k in t.keys() {
                if !matches!(
                    k.as_str(),
                    "id" | "reason" | "expires" | "asset" | "package"
                ) {
                    return Err(format!("entry {n}: unknown key {k:?}"));
                }
            }
            let text = |k: &str| -> Result<Option<String>, String> {
                match t.get(k) {
                    None => Ok(None),
                    Some(v) => v
                        .as_str()
                        .map(|s| Some(s.trim().to_string()))
                        .ok_or_else(|| format!("entry {n}: `{k}` must be a string")),
                }
            };
            let id = text("id")?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("entry {n}: `id` is required"))?;
            let reason = text("reason")?.filter(|s| !s.is_empty()).ok_or_else(|| {
                format!("entry {n} ({id}): `reason` is required and may not be empty")
            })?;
            let expires = match t.get("expires") {
                None => return Err(format!("entry {n} ({id}): `expires` is required")),
                Some(toml::Value::Datetime(d)) => match (d.date, d.time) {
                    (Some(day), None) => {
                        let bad = |e: String| format!("entry {n} ({id}): `expires`: {e}");
                        let year = i16::try_from(day.year).map_err(|e| bad(e.to_string()))?;
                        let month = i8::try_from(day.month).map_err(|e| bad(e.to_string()))?;
                        let dom = i8::try_from(day.day).map_err(|e| bad(e.to_string()))?;
                        Date::new(year, month, dom).map_err(|e| bad(e.to_string()))?
                    }
                    _ => {
                        return Err(format!(
                            "entry {n} ({id}): `expires` must be a date like 2026-12-31"
                        ));
                    }
                },
                Some(toml::Value::String(s)) => s
                    .trim()
                    .parse::<Date>()
                    .map_err(|e| format!("entry {n} ({id}): `expires` {s:?}: {e}"))?,
                Some(_) => {
                    return Err(format!(
                        "entry {n} ({id}): `expires` must be a date like 2026-12-31"
                    ));
                }
            };
            entries.push(IgnoreEntry {
                id,
                reason,
                expires,
                asset: text("asset")?.filter(|s| !s.is_empty()),
                package: text("package")?.filter(|s| !s.is_empty()),
            });
        }
        Ok(IgnoreFile {
            path: None,
            entries,
        })
    }

    /// Whether an entry applies to a finding (its id, the asset and package restrictions).
    pub fn applies(entry: &IgnoreEntry, finding: &Finding) -> bool {
        let id = entry.id.trim();
        let kb_id = crate::microsoft::kb_number(id);
        let id_hit = finding
            .advisories
            .iter()
            .chain(finding.aliases.iter())
            .any(|a| a.eq_ignore_ascii_case(id))
            || finding.kb.as_deref().is_some_and(|kb| {
                id.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("kb")) && kb == kb_id
            });
        let asset_hit = entry.asset.as_deref().is_none_or(|a| a == finding.asset);
        let eco = &finding.package.ecosystem;
        let package_hit = entry.package.as_deref().is_none_or(|p| {
            let want = eco.normalize_name(p);
            eco.normalize_name(&finding.package.name) == want
                || finding
                    .package
                    .source_name
                    .as_deref()
                    .is_some_and(|s| eco.normalize_name(s) == want)
        });
        id_hit && asset_hit && package_hit
    }

    /// The state of a finding on `today`: an entry in force wins over expired ones.
    pub fn state(&self, finding: &Finding, today: Date) -> Option<IgnoreState> {
        let mut expired: Option<&IgnoreEntry> = None;
        for e in self.entries.iter().filter(|e| Self::applies(e, finding)) {
            if today < e.expires {
                return Some(IgnoreState::Ignored {
                    reason: e.reason.clone(),
                    expires: e.expires,
                });
            }
            if expired.is_none_or(|x| e.expires > x.expires) {
                expired = Some(e);
            }
        }
        expired.map(|e| IgnoreState::Expired {
            reason: e.reason.clone(),
            expired: e.expires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use vigil_model::{Ecosystem, Package, PackageLocation, Severity};

    fn finding() -> Finding {
        Finding {
            asset: "mx1".into(),
            package: Package {
                ecosystem: Ecosystem::new("Debian:11"),
                name: "libssl1.1".into(),
                version: "1.1.1k-1".into(),
                purl: None,
                source_name: Some("openssl".into()),
                location: PackageLocation::default(),
            },
            advisories: vec!["DSA-5103-1".into()],
            aliases: vec!["CVE-2022-0778".into()],
            summary: None,
            severity: Severity::High,
            cvss_score: Some(7.5),
            cvss_vector: None,
            known_exploited: false,
            kev_due: None,
            epss: None,
            fixed_versions: vec![],
            kb: None,
            fix_released: None,
            due: None,
        }
    }

    #[test]
    fn entries_apply_until_they_expire() {
        let f = IgnoreFile::parse(
            "[[ignore]]\nid = \"cve-2022-0778\"\nreason = \"not reachable\"\nexpires = 2022-06-30\n\
             package = \"openssl\"\nasset = \"mx1\"\n",
        )
        .unwrap();
        let fi = finding();
        assert_eq!(
            f.state(&fi, date(2022, 6, 29)),
            Some(IgnoreState::Ignored {
                reason: "not reachable".into(),
                expires: date(2022, 6, 30)
            })
        );
        assert_eq!(
            f.state(&fi, date(2022, 6, 30)),
            Some(IgnoreState::Expired {
                reason: "not reachable".into(),
                expired: date(2022, 6, 30)
            })
        );
        let mut other = fi.clone();
        other.asset = "web1".into();
        assert_eq!(f.state(&other, date(2022, 1, 1)), None);
    }

    #[test]
    fn kb_ids_match_microsoft_findings() {
        let f = IgnoreFile::parse(
            "[[ignore]]\nid = \"KB5001779\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n",
        )
        .unwrap();
        let mut fi = finding();
        fi.advisories = vec!["KB5001779".into()];
        fi.kb = Some("5001779".into());
        assert!(f.state(&fi, date(2021, 8, 2)).is_some());
    }

    #[test]
    fn entries_without_reason_or_expiry_are_refused() {
        let e =
            IgnoreFile::parse("[[ignore]]\nid = \"CVE-1\"\nexpires = 2030-01-01\n").unwrap_err();
        assert!(e.contains("entry 1 (CVE-1): `reason`"), "{e}");
        let e = IgnoreFile::parse("[[ignore]]\nid = \"CVE-1\"\nreason = \"x\"\n").unwrap_err();
        assert!(e.contains("`expires` is required"), "{e}");
        let e = IgnoreFile::parse(
            "[[ignore]]\nid = \"CVE-1\"\nreason = \"x\"\nexpires = 2030-01-01T00:00:00Z\n",
        )
        .unwrap_err();
        assert!(e.contains("must be a date"), "{e}");
        assert!(
            IgnoreFile::parse("[[ignore]]\nid = \"a\"\nreason = \"x\"\nexpires = 2030-02-30\n")
                .is_err()
        );
        assert!(IgnoreFile::parse("[[ignores]]\nid = \"a\"\n").is_err());
        assert!(IgnoreFile::parse("").unwrap().entries.is_empty());
    }
}
