//! The RustSec advisory database (<https://github.com/rustsec/advisory-db>): Markdown files with a
//! ```` ```toml ```` front-matter block, `crates/<crate>/RUSTSEC-*.md` for crates and
//! `rust/<component>/*.md` for the Rust toolchain itself.
//!
//! Records are normalised the way RustSec's own OSV export does it, so that an advisory imported from
//! a checkout equals the one osv.dev serves: patched/unaffected semver requirements become one SEMVER
//! range whose events are the gaps between the unaffected intervals (`introduced: 0.0.0-0` when the
//! gap is open below), and an open upper bound of an unaffected interval is turned into the lowest
//! version above it (`1.2.3` → `1.2.4-0`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use semver::{Comparator, Op, Prerelease, Version, VersionReq};
use serde::Deserialize;
use vigil_model::{
    Advisory, Affected, AffectedPackage, Ecosystem, Range, RangeEvent, RangeKind, Reference,
    SeverityScore,
};

use crate::batch::{Batch, Limits, Skipped, read_file};
use crate::error::KnowledgeError;
use crate::text::parse_timestamp;

#[derive(Deserialize)]
struct RawFile {
    advisory: RawMeta,
    #[serde(default)]
    versions: RawVersions,
    #[serde(default)]
    affected: RawAffected,
}

#[derive(Deserialize)]
struct RawMeta {
    id: String,
    package: String,
    date: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    license: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawVersions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawAffected {
    #[serde(default)]
    arch: Vec<String>,
    #[serde(default)]
    os: Vec<String>,
    #[serde(default)]
    functions: BTreeMap<String, Vec<String>>,
}

/// Which part of the database a file belongs to: crates on crates.io, or the Rust toolchain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Crates,
    /// `rust/<component>/`: advisories against `std`, `cargo`, `rustdoc`. They are kept under the
    /// ecosystem `Rust` (not `crates.io`: `std` is no crate) so that no lockfile package matches them.
    Rust,
}

/// Splits a RustSec Markdown file into its TOML front matter, title and body.
fn split_markdown(text: &str) -> Result<(&str, Option<&str>, &str), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .trim_start()
        .strip_prefix("```toml")
        .ok_or("does not start with a ```toml front-matter block")?;
    let end = rest
        .find("\n```")
        .ok_or("the ```toml front-matter block is not closed")?;
    let toml = rest.get(..end).unwrap_or_default();
    let after = rest.get(end + 4..).unwrap_or_default();
    let after = after.split_once('\n').map_or("", |(_, b)| b);
    let mut title = None;
    let mut body = after;
    let trimmed = after.trim_start();
    if let Some(t) = trimmed.strip_prefix("# ") {
        let (line, rest) = t.split_once('\n').unwrap_or((t, ""));
        title = Some(line.trim());
        body = rest;
    }
    Ok((toml, title, body.trim()))
}

/// Parses one RustSec advisory (the whole Markdown file).
pub fn parse_advisory(text: &str, collection: Collection) -> Result<Advisory, String> {
    let (front, title, body) = split_markdown(text)?;
    let raw: RawFile =
        toml::from_str(front).map_err(|e| format!("invalid TOML front matter: {e}"))?;
    let meta = raw.advisory;
    let id = meta.id.trim().to_string();
    let noon = |field: &str, s: &str| {
        parse_timestamp(&format!("{}T12:00:00Z", s.trim()))
            .ok_or_else(|| format!("{id}: field `{field}`: invalid date '{s}'"))
    };
    let published = noon("date", &meta.date)?;
    let withdrawn = meta
        .withdrawn
        .as_deref()
        .map(|w| noon("withdrawn", w))
        .transpose()?;
    let events = osv_events(&raw.versions.patched, &raw.versions.unaffected)
        .map_err(|e| format!("{id}: [versions]: {e}"))?;

    let (ecosystem, purl, package_ref) = match collection {
        Collection::Crates => (
            "crates.io",
            Some(format!("pkg:cargo/{}", meta.package)),
            Some(format!("https://crates.io/crates/{}", meta.package)),
        ),
        Collection::Rust => ("Rust", None, None),
    };

    let severity = meta
        .cvss
        .as_deref()
        .map(|v| SeverityScore {
            kind: if v.starts_with("CVSS:4") {
                "CVSS_V4"
            } else {
                "CVSS_V3"
            }
            .to_string(),
            score: v.to_string(),
        })
        .into_iter()
        .collect();

    let mut references = Vec::with_capacity(3 + meta.references.len());
    if let Some(url) = package_ref {
        references.push(Reference {
            kind: "PACKAGE".to_string(),
            url,
        });
    }
    references.push(Reference {
        kind: "ADVISORY".to_string(),
        url: format!("https://rustsec.org/advisories/{id}.html"),
    });
    for url in meta.url.iter().chain(meta.references.iter()) {
        references.push(Reference {
            kind: guess_reference_kind(url).to_string(),
            url: url.clone(),
        });
    }

    let affected = Affected {
        package: AffectedPackage {
            ecosystem: Ecosystem::new(ecosystem),
            name: meta.package,
            purl,
        },
        ranges: vec![Range {
            kind: RangeKind::Semver,
            repo: None,
            events,
        }],
        versions: Vec::new(),
        ecosystem_specific: Some(serde_json::json!({
            "affects": {
                "arch": raw.affected.arch,
                "os": raw.affected.os,
                "functions": raw.affected.functions.keys().collect::<Vec<_>>(),
            },
            "affected_functions": null,
        })),
        database_specific: Some(serde_json::json!({
            "categories": meta.categories,
            "cvss": meta.cvss,
            "informational": meta.informational,
        })),
    };

    let mut db = serde_json::Map::new();
    db.insert(
        "license".to_string(),
        meta.license.unwrap_or_else(|| "CC0-1.0".to_string()).into(),
    );

    Ok(Advisory {
        modified: withdrawn.unwrap_or(published).max(published),
        id,
        source: "rustsec".to_string(),
        published: Some(published),
        withdrawn,
        aliases: meta.aliases,
        related: meta.related,
        summary: title.map(str::to_string),
        details: Some(body.to_string()).filter(|b| !b.is_empty()),
        severity,
        source_severity: None,
        affected: vec![affected],
        references,
        database_specific: Some(serde_json::Value::Object(db)),
    })
}

/// The reference kind RustSec's exporter assigns to a URL.
fn guess_reference_kind(url: &str) -> &'static str {
    if url.contains("/issues/") {
        "REPORT"
    } else if url.contains("/advisories/") {
        "ADVISORY"
    } else {
        "WEB"
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    Unbounded,
    Inclusive(Version),
    Exclusive(Version),
}

/// An interval of versions that is *not* affected.
#[derive(Debug, Clone)]
struct Unaffected {
    start: Bound,
    end: Bound,
}

fn comparator_version(c: &Comparator) -> Version {
    Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    }
}

fn comparator_range(c: &Comparator) -> Result<Unaffected, String> {
    let v = comparator_version(c);
    // A caret or tilde requirement excludes the next version's pre-releases too (`^0.3.2` is
    // `>= 0.3.2, < 0.4.0-0`), so its upper bound is the lowest pre-release of that version.
    let upper = |major: u64, minor: u64, patch: u64| {
        let mut v = Version::new(major, minor, patch);
        v.pre = Prerelease::new("0").unwrap_or(Prerelease::EMPTY);
        Bound::Exclusive(v)
    };
    Ok(match c.op {
        Op::Greater => Unaffected {
            start: Bound::Exclusive(v),
            end: Bound::Unbounded,
        },
        Op::GreaterEq => Unaffected {
            start: Bound::Inclusive(v),
            end: Bound::Unbounded,
        },
        Op::Less => Unaffected {
            start: Bound::Unbounded,
            end: Bound::Exclusive(v),
        },
        Op::LessEq => Unaffected {
            start: Bound::Unbounded,
            end: Bound::Inclusive(v),
        },
        Op::Exact => Unaffected {
            start: Bound::Inclusive(v.clone()),
            end: Bound::Inclusive(v),
        },
        Op::Caret => {
            let end = match (c.major, c.minor, c.patch) {
                (0, Some(0), Some(p)) => upper(0, 0, p.saturating_add(1)),
                (0, Some(m), _) => upper(0, m.saturating_add(1), 0),
                (major, _, _) => upper(major.saturating_add(1), 0, 0),
            };
            Unaffected {
                start: Bound::Inclusive(v),
                end,
            }
        }
        Op::Tilde => {
            let end = match c.minor {
                Some(m) => upper(c.major, m.saturating_add(1), 0),
                None => upper(c.major.saturating_add(1), 0, 0),
            };
            Unaffected {
                start: Bound::Inclusive(v),
                end,
            }
        }
        _ => return Err(format!("unsupported requirement operator in '{c}'")),
    })
}

/// Orders lower bounds: unbounded first, then by version, an inclusive bound before an exclusive one.
fn cmp_start(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Less,
        (_, Bound::Unbounded) => Ordering::Greater,
        (Bound::Inclusive(x), Bound::Inclusive(y)) | (Bound::Exclusive(x), Bound::Exclusive(y)) => {
            x.cmp(y)
        }
        (Bound::Inclusive(x), Bound::Exclusive(y)) => x.cmp(y).then(Ordering::Less),
        (Bound::Exclusive(x), Bound::Inclusive(y)) => x.cmp(y).then(Ordering::Greater),
    }
}

/// Orders upper bounds: by version, exclusive before inclusive, unbounded last.
fn cmp_end(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Greater,
        (_, Bound::Unbounded) => Ordering::Less,
        (Bound::Inclusive(x), Bound::Inclusive(y)) | (Bound::Exclusive(x), Bound::Exclusive(y)) => {
            x.cmp(y)
        }
        (Bound::Exclusive(x), Bound::Inclusive(y)) => x.cmp(y).then(Ordering::Less),
        (Bound::Inclusive(x), Bound::Exclusive(y)) => x.cmp(y).then(Ordering::Greater),
    }
}

fn requirement_range(req: &str) -> Result<Unaffected, String> {
    let parsed = VersionReq::parse(req).map_err(|e| format!("invalid requirement '{req}': {e}"))?;
    if parsed.comparators.len() > 2 {
        return Err(format!("requirement '{req}' has more than two comparators"));
    }
    let mut range = Unaffected {
        start: Bound::Unbounded,
        end: Bound::Unbounded,
    };
    for c in &parsed.comparators {
        let r = comparator_range(c)?;
        if cmp_start(&r.start, &range.start) == Ordering::Greater {
            range.start = r.start;
        }
        if cmp_end(&r.end, &range.end) == Ordering::Less {
            range.end = r.end;
        }
    }
    Ok(range)
}

/// Whether interval `a` (sorted before `b`) reaches into `b`.
fn overlaps(a: &Unaffected, b: &Unaffected) -> bool {
    match (&a.end, &b.start) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => true,
        (Bound::Inclusive(e), Bound::Inclusive(s)) => e >= s,
        (Bound::Inclusive(e), Bound::Exclusive(s))
        | (Bound::Exclusive(e), Bound::Inclusive(s))
        | (Bound::Exclusive(e), Bound::Exclusive(s)) => e > s,
    }
}

/// The lowest version above `v` in semver precedence.
fn increment(v: &Version) -> Version {
    let mut next = v.clone();
    next.build = semver::BuildMetadata::EMPTY;
    if v.pre.is_empty() {
        next.patch = next.patch.saturating_add(1);
        next.pre = Prerelease::new("0").unwrap_or(Prerelease::EMPTY);
    } else {
        let pre = format!("{}.0", v.pre);
        next.pre = Prerelease::new(&pre).unwrap_or_else(|_| v.pre.clone());
    }
    next
}

/// Converts RustSec's `patched` and `unaffected` requirement lists into OSV range events, as
/// RustSec's exporter does.
pub fn osv_events(patched: &[String], unaffected: &[String]) -> Result<Vec<RangeEvent>, String> {
    let mut ranges = unaffected
        .iter()
        .chain(patched.iter())
        .map(|r| requirement_range(r))
        .collect::<Result<Vec<_>, _>>()?;
    let lowest = || RangeEvent::Introduced("0.0.0-0".to_string());
    if ranges.is_empty() {
        return Ok(vec![lowest()]);
    }
    ranges.sort_by(|a, b| cmp_start(&a.start, &b.start));
    for pair in ranges.windows(2) {
        if let [a, b] = pair
            && overlaps(a, b)
        {
            return Err("patched/unaffected requirements overlap".to_string());
        }
    }
    let mut events = Vec::new();
    if let Some(first) = ranges.first() {
        match &first.start {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => {
                events.extend([lowest(), RangeEvent::Fixed(increment(v).to_string())])
            }
            Bound::Inclusive(v) => events.extend([lowest(), RangeEvent::Fixed(v.to_string())]),
        }
    }
    for pair in ranges.windows(2) {
        let [a, b] = pair else { continue };
        let introduced = match &a.end {
            Bound::Unbounded => return Err("patched/unaffected requirements overlap".to_string()),
            Bound::Exclusive(v) => v.clone(),
            Bound::Inclusive(v) => increment(v),
        };
        let fixed = match &b.start {
            Bound::Unbounded => return Err("patched/unaffected requirements overlap".to_string()),
            Bound::Exclusive(v) => increment(v),
            Bound::Inclusive(v) => v.clone(),
        };
        events.push(RangeEvent::Introduced(introduced.to_string()));
        events.push(RangeEvent::Fixed(fixed.to_string()));
    }
    if let Some(last) = ranges.last() {
        match &last.end {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => events.push(RangeEvent::Introduced(v.to_string())),
            Bound::Inclusive(v) => events.push(RangeEvent::Introduced(increment(v).to_string())),
        }
    }
    Ok(events)
}

/// Whether `root` looks like a RustSec advisory-db checkout.
pub fn is_repo(root: &Path) -> bool {
    let crates = root.join("crates");
    let Ok(dirs) = std::fs::read_dir(&crates) else {
        return false;
    };
    dirs.flatten().take(64).any(|d| {
        std::fs::read_dir(d.path()).is_ok_and(|files| {
            files.flatten().any(|f| {
                let n = f.file_name();
                let n = n.to_string_lossy();
                n.starts_with("RUSTSEC-") && n.ends_with(".md")
            })
        })
    })
}

/// Reads a RustSec checkout: `crates/*/RUSTSEC-*.md` and `rust/*/*.md`. A malformed advisory is
/// skipped with its path and the reason.
pub fn read_repo(root: &Path, limits: &Limits) -> Result<Batch, KnowledgeError> {
    let mut batch = Batch::new("rustsec", root.display().to_string());
    for (dir, collection) in [("crates", Collection::Crates), ("rust", Collection::Rust)] {
        let base = root.join(dir);
        if !base.is_dir() {
            continue;
        }
        let accept = |name: &str| {
            name.ends_with(".md")
                && (collection == Collection::Rust || name.starts_with("RUSTSEC-"))
        };
        let files = crate::osv::list_files(&base, &accept, limits)?;
        let results: Vec<Result<Advisory, Skipped>> = files
            .par_iter()
            .map(|path| {
                let location = path.display().to_string();
                let bytes = read_file(path, limits.max_entry_bytes)
                    .map_err(|e| Skipped::new(&location, e.to_string()))?;
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| Skipped::new(&location, "not UTF-8"))?;
                parse_advisory(text, collection).map_err(|reason| Skipped::new(location, reason))
            })
            .collect();
        for r in results {
            match r {
                Ok(a) => batch.push_advisory(a),
                Err(s) => batch.skipped.push(s),
            }
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(patched: &[&str], unaffected: &[&str]) -> Vec<String> {
        let p: Vec<String> = patched.iter().map(|s| s.to_string()).collect();
        let u: Vec<String> = unaffected.iter().map(|s| s.to_string()).collect();
        osv_events(&p, &u)
            .unwrap()
            .into_iter()
            .map(|e| match e {
                RangeEvent::Introduced(v) => format!("i:{v}"),
                RangeEvent::Fixed(v) => format!("f:{v}"),
                RangeEvent::LastAffected(v) => format!("l:{v}"),
                RangeEvent::Limit(v) => format!("x:{v}"),
            })
            .collect()
    }

    #[test]
    fn requirement_sets_become_events() {
        assert_eq!(ev(&[">= 0.9.1"], &[]), ["i:0.0.0-0", "f:0.9.1"]);
        assert_eq!(ev(&[], &[]), ["i:0.0.0-0"]);
        assert_eq!(
            ev(&[">= 1.2.3, < 1.3", ">= 1.3.4"], &["<= 0.1.2"]),
            ["i:0.1.3-0", "f:1.2.3", "i:1.3.0", "f:1.3.4"]
        );
        assert_eq!(ev(&["^0.9.5"], &[]), ["i:0.0.0-0", "f:0.9.5", "i:0.10.0-0"]);
        assert_eq!(ev(&["~1.2"], &[]), ["i:0.0.0-0", "f:1.2.0", "i:1.3.0-0"]);
        assert_eq!(ev(&["> 0.3.2"], &[]), ["i:0.0.0-0", "f:0.3.3-0"]);
        assert_eq!(
            ev(&[">= 1.0.0-alpha.2"], &["< 0.5.0"]),
            ["i:0.5.0", "f:1.0.0-alpha.2"]
        );
        assert!(osv_events(&[">= 1.0".into()], &[">= 1.5".into()]).is_err());
        assert!(osv_events(&["not a version".into()], &[]).is_err());
    }

    #[test]
    fn markdown_split() {
        let md = "```toml\n[advisory]\nid = \"X\"\n```\n\n# Title here\n\nBody\ntext\n";
        let (front, title, body) = split_markdown(md).unwrap();
        assert_eq!(front.trim(), "[advisory]\nid = \"X\"");
        assert_eq!(title, Some("Title here"));
        assert_eq!(body, "Body\ntext");
        assert!(split_markdown("# no front matter").is_err());
        assert!(split_markdown("```toml\n[advisory]\n").is_err());
    }
}
