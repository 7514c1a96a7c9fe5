//! OSV records (<https://ossf.github.io/osv-schema/>) as JSON or YAML, single files, directories of
//! them, and the per-ecosystem `all.zip` archives that osv.dev publishes.
//!
//! Records are read into lenient raw structs first (YAML may type versions as numbers; some feeds
//! write `null` for empty lists) and then normalised into [`Advisory`], so that one odd field names
//! the record and the field instead of failing a whole import.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use rayon::prelude::*;

use serde::Deserialize;
use vigil_model::{
    Advisory, Affected, AffectedPackage, Ecosystem, Range, RangeEvent, RangeKind, Reference,
    Severity, SeverityScore,
};

use crate::batch::{Batch, Limits, Skipped, read_bounded, read_file};
use crate::error::KnowledgeError;
use crate::text::{Lenient, null_default, parse_timestamp};

#[derive(Deserialize)]
struct RawAdvisory {
    id: String,
    #[serde(default)]
    modified: Option<Lenient>,
    #[serde(default)]
    published: Option<Lenient>,
    #[serde(default)]
    withdrawn: Option<Lenient>,
    #[serde(default, deserialize_with = "null_default")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    related: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    severity: Vec<RawSeverity>,
    #[serde(default, deserialize_with = "null_default")]
    affected: Vec<RawAffected>,
    #[serde(default, deserialize_with = "null_default")]
    references: Vec<RawReference>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: Lenient,
}

#[derive(Deserialize)]
struct RawReference {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    url: String,
}

#[derive(Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default, deserialize_with = "null_default")]
    ranges: Vec<RawRange>,
    #[serde(default, deserialize_with = "null_default")]
    versions: Vec<Lenient>,
    #[serde(default)]
    ecosystem_specific: Option<serde_json::Value>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    repo: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    introduced: Option<Lenient>,
    #[serde(default)]
    fixed: Option<Lenient>,
    #[serde(default)]
    last_affected: Option<Lenient>,
    #[serde(default)]
    limit: Option<Lenient>,
}

/// Parses one OSV record in JSON.
pub fn parse_json(bytes: &[u8], source: &str) -> Result<Advisory, String> {
    let raw: RawAdvisory =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid OSV JSON: {e}"))?;
    normalise(raw, source)
}

/// Parses one OSV record in YAML (the PyPA advisory database's format).
pub fn parse_yaml(bytes: &[u8], source: &str) -> Result<Advisory, String> {
    let raw: RawAdvisory =
        yaml_serde::from_slice(bytes).map_err(|e| format!("invalid OSV YAML: {e}"))?;
    normalise(raw, source)
}

/// Parses one OSV record, choosing JSON or YAML by the file name's extension.
pub fn parse_named(name: &str, bytes: &[u8], source: &str) -> Result<Advisory, String> {
    if is_yaml_name(name) {
        parse_yaml(bytes, source)
    } else {
        parse_json(bytes, source)
    }
}

fn is_yaml_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

fn is_osv_name(name: &str) -> bool {
    is_yaml_name(name) || name.to_ascii_lowercase().ends_with(".json")
}

fn timestamp(field: &str, value: Option<Lenient>) -> Result<Option<jiff::Timestamp>, String> {
    match value {
        None => Ok(None),
        Some(Lenient(s)) => parse_timestamp(&s)
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: invalid timestamp '{s}'")),
    }
}

fn normalise(raw: RawAdvisory, source: &str) -> Result<Advisory, String> {
    let id = raw.id.trim().to_string();
    if id.is_empty() {
        return Err("empty `id`".to_string());
    }
    let fail = |reason: String| format!("{id}: {reason}");
    let modified = timestamp("modified", raw.modified)
        .map_err(fail)?
        .ok_or_else(|| format!("{id}: missing required field `modified`"))?;
    let published = timestamp("published", raw.published).map_err(fail)?;
    let withdrawn = timestamp("withdrawn", raw.withdrawn).map_err(fail)?;

    let mut affected = Vec::with_capacity(raw.affected.len());
    for (i, a) in raw.affected.into_iter().enumerate() {
        // A package-less entry only describes git commits of an unnamed project; nothing in an
        // inventory can match it, so it is dropped rather than failing the record.
        let Some(package) = a.package else { continue };
        let mut ranges = Vec::with_capacity(a.ranges.len());
        for (j, r) in a.ranges.into_iter().enumerate() {
            let kind = match r.kind.as_str() {
                "SEMVER" => RangeKind::Semver,
                "ECOSYSTEM" => RangeKind::Ecosystem,
                "GIT" => RangeKind::Git,
                other => {
                    return Err(fail(format!(
                        "affected[{i}].ranges[{j}]: unknown range type '{other}'"
                    )));
                }
            };
            let mut events = Vec::with_capacity(r.events.len());
            for (k, e) in r.events.into_iter().enumerate() {
                let event = match (e.introduced, e.fixed, e.last_affected, e.limit) {
                    (Some(v), None, None, None) => RangeEvent::Introduced(v.0),
                    (None, Some(v), None, None) => RangeEvent::Fixed(v.0),
                    (None, None, Some(v), None) => RangeEvent::LastAffected(v.0),
                    (None, None, None, Some(v)) => RangeEvent::Limit(v.0),
                    _ => {
                        return Err(fail(format!(
                            "affected[{i}].ranges[{j}].events[{k}]: an event needs exactly one of \
                             introduced, fixed, last_affected, limit"
                        )));
                    }
                };
                events.push(event);
            }
            ranges.push(Range {
                kind,
                repo: r.repo,
                events,
            });
        }
        affected.push(Affected {
            package: AffectedPackage {
                ecosystem: Ecosystem(package.ecosystem),
                name: package.name,
                purl: package.purl,
            },
            ranges,
            versions: a.versions.into_iter().map(|v| v.0).collect(),
            ecosystem_specific: a.ecosystem_specific.filter(|v| !v.is_null()),
            database_specific: a.database_specific.filter(|v| !v.is_null()),
        });
    }

    let database_specific = raw.database_specific.filter(|v| !v.is_null());
    let source_severity = database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse::<Severity>().ok())
        .or_else(|| distro_summary_severity(&affected, raw.summary.as_deref()));

    Ok(Advisory {
        id,
        source: source.to_string(),
        modified,
        published,
        withdrawn,
        aliases: raw.aliases,
        related: raw.related,
        summary: raw.summary,
        details: raw.details,
        severity: raw
            .severity
            .into_iter()
            .map(|s| SeverityScore {
                kind: s.kind,
                score: s.score.0,
            })
            .collect(),
        source_severity,
        affected,
        references: raw
            .references
            .into_iter()
            .map(|r| Reference {
                kind: r.kind.unwrap_or_else(|| "WEB".to_string()),
                url: r.url,
            })
            .collect(),
        database_specific,
    })
}

/// Red Hat and its rebuilds (AlmaLinux, Rocky) rate an erratum in its title — `Moderate: …`,
/// `Important: …` — and nowhere else in their OSV records.
fn distro_summary_severity(affected: &[Affected], summary: Option<&str>) -> Option<Severity> {
    let rated = affected.iter().any(|a| {
        matches!(
            a.package.ecosystem.base(),
            "AlmaLinux" | "Rocky Linux" | "Red Hat"
        )
    });
    if !rated {
        return None;
    }
    let (word, _) = summary?.split_once(':')?;
    match word.trim() {
        "Low" | "Moderate" | "Important" | "Critical" => word.parse().ok(),
        _ => None,
    }
}

/// Reads an osv.dev `all.zip` archive: every `.json` entry is one record.
///
/// Entries with absolute paths or `..` components are refused (counted as skipped), non-JSON entries
/// are ignored, and each entry and the whole archive are read under `limits`. A corrupt or truncated
/// archive is an error for the whole input.
pub fn read_zip<R: Read + Seek>(
    reader: R,
    origin: &str,
    limits: &Limits,
) -> Result<Batch, KnowledgeError> {
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| KnowledgeError::invalid(origin, format!("not a readable zip archive: {e}")))?;
    let mut batch = Batch::new("osv", origin);
    if archive.len() > limits.max_entries {
        return Err(KnowledgeError::Limit {
            location: origin.to_string(),
            reason: format!(
                "{} entries, more than the limit of {}",
                archive.len(),
                limits.max_entries
            ),
        });
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| {
            KnowledgeError::invalid(origin, format!("zip entry #{i} is unreadable: {e}"))
        })?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let location = format!("{origin}!{name}");
        if entry.is_dir() {
            continue;
        }
        if !is_safe_entry_name(&name) || entry.enclosed_name().is_none() {
            batch.skipped.push(Skipped::new(
                location,
                "unsafe entry path (absolute or containing `..`)",
            ));
            continue;
        }
        if !name.to_ascii_lowercase().ends_with(".json") {
            continue;
        }
        let remaining = limits.max_total_bytes.saturating_sub(total);
        let limit = limits.max_entry_bytes.min(remaining);
        let bytes = match read_bounded(&mut entry, limit, &location) {
            Ok(b) => b,
            Err(KnowledgeError::Limit { .. }) if limit < limits.max_entry_bytes => {
                return Err(KnowledgeError::Limit {
                    location: origin.to_string(),
                    reason: format!(
                        "more than {} bytes uncompressed in total",
                        limits.max_total_bytes
                    ),
                });
            }
            Err(KnowledgeError::Limit { reason, .. }) => {
                batch.skipped.push(Skipped::new(location, reason));
                continue;
            }
            Err(e) => {
                return Err(KnowledgeError::invalid(
                    origin,
                    format!("corrupt or truncated archive at entry '{name}': {e}"),
                ));
            }
        };
        total += bytes.len() as u64;
        match parse_json(&bytes, "osv") {
            Ok(a) => batch.push_advisory(a),
            Err(reason) => batch.skipped.push(Skipped::new(location, reason)),
        }
    }
    Ok(batch)
}

/// Whether a zip entry name stays inside the archive: relative, no `..` component, no drive letter.
fn is_safe_entry_name(name: &str) -> bool {
    !name.starts_with(['/', '\\'])
        && name.as_bytes().get(1).is_none_or(|b| *b != b':')
        && !name.split(['/', '\\']).any(|c| c == "..")
}

/// Lists the OSV files (`.json`, `.yaml`, `.yml`) under `root`, recursively, in a deterministic
/// (sorted) order. Hidden entries (`.git`) are not descended into; symlinked directories are not
/// followed, so a link loop cannot trap the walk.
pub(crate) fn list_files(
    root: &Path,
    accept: &dyn Fn(&str) -> bool,
    limits: &Limits,
) -> Result<Vec<PathBuf>, KnowledgeError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| KnowledgeError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| KnowledgeError::io(&dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let ft = entry
                .file_type()
                .map_err(|e| KnowledgeError::io(entry.path(), e))?;
            if ft.is_dir() {
                stack.push(entry.path());
            } else if accept(&name) {
                out.push(entry.path());
                if out.len() > limits.max_entries {
                    return Err(KnowledgeError::Limit {
                        location: root.display().to_string(),
                        reason: format!("more than {} files", limits.max_entries),
                    });
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a directory tree of OSV files (`.json`, `.yaml`, `.yml`). A malformed file is skipped with
/// its path and the reason; the rest goes on. Files are parsed in parallel; the result keeps the
/// sorted path order.
pub fn read_dir(root: &Path, limits: &Limits) -> Result<Batch, KnowledgeError> {
    let files = list_files(root, &is_osv_name, limits)?;
    let origin = root.display().to_string();
    let budget = TotalBudget::new(&origin, limits.max_total_bytes);
    let results: Vec<Result<Advisory, Skipped>> = files
        .par_iter()
        .map(|path| {
            let location = path.display().to_string();
            let bytes = read_file(path, limits.max_entry_bytes)
                .map_err(|e| Skipped::new(&location, e.to_string()))?;
            budget.take(bytes.len());
            parse_named(&location, &bytes, "osv").map_err(|reason| Skipped::new(location, reason))
        })
        .collect();
    budget.check()?;
    let mut batch = Batch::new("osv", origin);
    batch.advisories.reserve(results.len());
    for r in results {
        match r {
            Ok(a) => batch.push_advisory(a),
            Err(s) => batch.skipped.push(s),
        }
    }
    Ok(batch)
}

/// Counts the bytes read by parallel workers against a total limit; past it, the import fails as a
/// whole once the workers are done (each file is already bounded by the per-entry limit).
pub(crate) struct TotalBudget {
    origin: String,
    limit: u64,
    used: AtomicU64,
}

impl TotalBudget {
    pub(crate) fn new(origin: &str, limit: u64) -> Self {
        TotalBudget {
            origin: origin.to_string(),
            limit,
            used: AtomicU64::new(0),
        }
    }

    pub(crate) fn take(&self, n: usize) {
        self.used.fetch_add(n as u64, AtomicOrdering::Relaxed);
    }

    pub(crate) fn check(&self) -> Result<(), KnowledgeError> {
        if self.used.load(AtomicOrdering::Relaxed) > self.limit {
            return Err(KnowledgeError::Limit {
                location: self.origin.clone(),
                reason: format!("more than {} bytes in total", self.limit),
            });
        }
        Ok(())
    }
}
