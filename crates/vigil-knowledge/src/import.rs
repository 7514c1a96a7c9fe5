//! `vigil db import`: recognise what a path is and read it into batches, one per source.
//!
//! A path may be an osv.dev `all.zip`, a directory of OSV files, a RustSec checkout, the KEV JSON or
//! CSV, an EPSS CSV (plain or gzip), a CVRF XML/JSON document, or a directory holding any mix of
//! these. Bad records are skipped with their location and reason; only an input that is unusable as
//! a whole (a corrupt zip, a truncated gzip, an unreadable directory) is an error.

use std::io::Cursor;
use std::path::Path;

use rayon::prelude::*;
use vigil_model::Advisory;

use crate::batch::{Batch, Limits, Skipped, read_file};
use crate::error::KnowledgeError;
use crate::{epss, kev, msrc, osv, rustsec};

/// The sources vigil reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Osv,
    RustSec,
    Kev,
    Epss,
    Msrc,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Osv => "osv",
            SourceKind::RustSec => "rustsec",
            SourceKind::Kev => "kev",
            SourceKind::Epss => "epss",
            SourceKind::Msrc => "msrc",
        }
    }
}

/// What one file is, judged from its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    OsvZip,
    OsvRecord,
    RustSecRecord,
    KevJson,
    KevCsv,
    Epss,
    Cvrf,
    /// A JSON schema or other file that sits beside advisories but is none.
    Other,
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr_like(hay, needle)
}

fn memchr_like(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn classify(name: &str, head: &[u8]) -> FileKind {
    let lower = name.to_ascii_lowercase();
    let head = head.get(..4096).unwrap_or(head);
    if lower.ends_with(".zip") || head.starts_with(b"PK\x03\x04") {
        return FileKind::OsvZip;
    }
    if epss::is_gzip(head) || lower.ends_with(".csv.gz") {
        return FileKind::Epss;
    }
    if lower.ends_with(".csv") {
        if head.starts_with(b"#model_version") || head.starts_with(b"cve,epss") {
            return FileKind::Epss;
        }
        if contains(head, b"cveID") {
            return FileKind::KevCsv;
        }
        return FileKind::Other;
    }
    if lower.ends_with(".xml") {
        return if contains(head, b"cvrfdoc") {
            FileKind::Cvrf
        } else {
            FileKind::Other
        };
    }
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return FileKind::OsvRecord;
    }
    if lower.ends_with(".md") {
        return if head.starts_with(b"```toml") {
            FileKind::RustSecRecord
        } else {
            FileKind::Other
        };
    }
    if lower.ends_with(".json") {
        if contains(head, b"\"$schema\"") {
            return FileKind::Other;
        }
        if contains(head, b"\"DocumentTracking\"") {
            return FileKind::Cvrf;
        }
        if contains(head, b"\"catalogVersion\"") {
            return FileKind::KevJson;
        }
        return FileKind::OsvRecord;
    }
    FileKind::Other
}

/// Parses bytes of a known source, as after a download. `name` is the file name or URL, used for
/// locations and to tell JSON from YAML.
pub fn load_bytes(
    kind: SourceKind,
    name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Batch, KnowledgeError> {
    match kind {
        SourceKind::Osv => {
            if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
                osv::read_zip(Cursor::new(bytes), name, limits)
            } else {
                let mut batch = Batch::new("osv", name);
                match osv::parse_named(name, bytes, "osv") {
                    Ok(a) => batch.push_advisory(a),
                    Err(reason) => batch.skipped.push(Skipped::new(name, reason)),
                }
                Ok(batch)
            }
        }
        SourceKind::RustSec => {
            let mut batch = Batch::new("rustsec", name);
            let collection =
                if name.replace('\\', "/").contains("rust/") && !name.contains("crates/") {
                    rustsec::Collection::Rust
                } else {
                    rustsec::Collection::Crates
                };
            let parsed = std::str::from_utf8(bytes)
                .map_err(|_| "not UTF-8".to_string())
                .and_then(|t| rustsec::parse_advisory(t, collection));
            match parsed {
                Ok(a) => batch.push_advisory(a),
                Err(reason) => batch.skipped.push(Skipped::new(name, reason)),
            }
            Ok(batch)
        }
        SourceKind::Kev => {
            if msrc::is_json(bytes) {
                kev::parse_json(bytes, name).map(|(_, b)| b)
            } else {
                kev::parse_csv(bytes, name)
            }
        }
        SourceKind::Epss => epss::parse(bytes, name),
        SourceKind::Msrc => msrc::parse(bytes, name),
    }
}

/// Reads whatever `path` is into one batch per source found there.
pub fn load_path(path: &Path, limits: &Limits) -> Result<Vec<Batch>, KnowledgeError> {
    let meta = std::fs::metadata(path).map_err(|e| KnowledgeError::io(path, e))?;
    if meta.is_dir() {
        return load_dir(path, limits);
    }
    let origin = path.display().to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Zips and gzip files are streamed from disk; their size on disk says little.
    let head = read_head(path)?;
    match classify(&name, &head) {
        FileKind::OsvZip => {
            let file = std::fs::File::open(path).map_err(|e| KnowledgeError::io(path, e))?;
            Ok(vec![osv::read_zip(
                std::io::BufReader::new(file),
                &origin,
                limits,
            )?])
        }
        FileKind::Epss => {
            let file = std::fs::File::open(path).map_err(|e| KnowledgeError::io(path, e))?;
            let mut batch = Batch::new("epss", &origin);
            let mut scores = Vec::new();
            let (header, skipped) = epss::stream(file, &origin, |s| scores.push(s))?;
            batch.epss = scores;
            batch.skipped = skipped;
            batch.version = header.model_version;
            Ok(vec![batch])
        }
        FileKind::Other => Err(KnowledgeError::Unrecognised {
            location: origin,
            reason: "neither OSV, RustSec, KEV, EPSS nor CVRF by name and content".to_string(),
        }),
        kind => {
            let bytes = read_file(path, limits.max_entry_bytes.max(256 * 1024 * 1024))?;
            let source = match kind {
                FileKind::OsvRecord => SourceKind::Osv,
                FileKind::RustSecRecord => SourceKind::RustSec,
                FileKind::KevJson | FileKind::KevCsv => SourceKind::Kev,
                _ => SourceKind::Msrc,
            };
            Ok(vec![load_bytes(source, &origin, &bytes, limits)?])
        }
    }
}

fn read_head(path: &Path) -> Result<Vec<u8>, KnowledgeError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| KnowledgeError::io(path, e))?;
    let mut head = Vec::with_capacity(4096);
    file.take(4096)
        .read_to_end(&mut head)
        .map_err(|e| KnowledgeError::io(path, e))?;
    Ok(head)
}

/// What one file of a directory import turned into.
enum Outcome {
    Advisory(Advisory),
    Skipped(Skipped),
    Msrc(Batch),
    MsrcSkipped(Skipped),
    Batches(Vec<Batch>),
    Nothing,
}

fn load_one(path: &Path, limits: &Limits, budget: &osv::TotalBudget) -> Outcome {
    let location = path.display().to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") || lower.ends_with(".gz") {
        return match load_path(path, limits) {
            Ok(batches) => Outcome::Batches(batches),
            Err(e) => Outcome::Skipped(Skipped::new(location, e.to_string())),
        };
    }
    let bytes = match read_file(path, limits.max_entry_bytes) {
        Ok(b) => b,
        Err(e) => return Outcome::Skipped(Skipped::new(location, e.to_string())),
    };
    budget.take(bytes.len());
    match classify(&name, &bytes) {
        FileKind::OsvRecord => match osv::parse_named(&name, &bytes, "osv") {
            Ok(a) => Outcome::Advisory(a),
            Err(reason) => Outcome::Skipped(Skipped::new(location, reason)),
        },
        FileKind::Cvrf => match msrc::parse(&bytes, &location) {
            Ok(b) => Outcome::Msrc(b),
            Err(e) => Outcome::MsrcSkipped(Skipped::new(location, e.to_string())),
        },
        FileKind::KevJson | FileKind::KevCsv => {
            match load_bytes(SourceKind::Kev, &location, &bytes, limits) {
                Ok(b) => Outcome::Batches(vec![b]),
                Err(e) => Outcome::Skipped(Skipped::new(location, e.to_string())),
            }
        }
        FileKind::Epss => match epss::parse(&bytes, &location) {
            Ok(b) => Outcome::Batches(vec![b]),
            Err(e) => Outcome::Skipped(Skipped::new(location, e.to_string())),
        },
        FileKind::OsvZip | FileKind::RustSecRecord | FileKind::Other => Outcome::Nothing,
    }
}

fn load_dir(root: &Path, limits: &Limits) -> Result<Vec<Batch>, KnowledgeError> {
    if rustsec::is_repo(root) {
        return Ok(vec![rustsec::read_repo(root, limits)?]);
    }
    let accept = |name: &str| {
        let l = name.to_ascii_lowercase();
        [".json", ".yaml", ".yml", ".xml", ".csv", ".gz", ".zip"]
            .iter()
            .any(|ext| l.ends_with(ext))
    };
    let files = osv::list_files(root, &accept, limits)?;
    let origin = root.display().to_string();
    let budget = osv::TotalBudget::new(&origin, limits.max_total_bytes);
    // Files are read and parsed in parallel; results are folded in sorted path order so that the
    // batches do not depend on scheduling.
    let outcomes: Vec<Outcome> = files
        .par_iter()
        .map(|path| load_one(path, limits, &budget))
        .collect();
    budget.check()?;
    let mut osv_batch = Batch::new("osv", &origin);
    let mut msrc_batch = Batch::new("msrc", &origin);
    let mut others = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Advisory(a) => osv_batch.push_advisory(a),
            Outcome::Skipped(s) => osv_batch.skipped.push(s),
            Outcome::Msrc(b) => {
                msrc_batch.microsoft.extend(b.microsoft);
                msrc_batch.skipped.extend(b.skipped);
                if let Some(v) = b.version {
                    let joined = match msrc_batch.version.take() {
                        Some(prev) => format!("{prev},{v}"),
                        None => v,
                    };
                    msrc_batch.version = Some(joined);
                }
            }
            Outcome::MsrcSkipped(s) => msrc_batch.skipped.push(s),
            Outcome::Batches(b) => others.extend(b),
            Outcome::Nothing => {}
        }
    }
    msrc::reconcile_release_dates(&mut msrc_batch.microsoft);
    let mut out = Vec::new();
    if !osv_batch.advisories.is_empty() || !osv_batch.skipped.is_empty() {
        out.push(osv_batch);
    }
    if !msrc_batch.microsoft.is_empty() || !msrc_batch.skipped.is_empty() {
        out.push(msrc_batch);
    }
    out.extend(others);
    if out.is_empty() {
        return Err(KnowledgeError::Unrecognised {
            location: origin,
            reason: "no advisory files found".to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify("all.zip", b"PK\x03\x04"), FileKind::OsvZip);
        assert_eq!(classify("epss.csv.gz", b"\x1f\x8b"), FileKind::Epss);
        assert_eq!(
            classify("e.csv", b"#model_version:v1,score_date:2024-01-01"),
            FileKind::Epss
        );
        assert_eq!(
            classify("kev.csv", b"cveID,vendorProject"),
            FileKind::KevCsv
        );
        assert_eq!(
            classify("kev.json", b"{\"title\":\"x\",\"catalogVersion\":\"1\"}"),
            FileKind::KevJson
        );
        assert_eq!(
            classify(
                "doc.json",
                b"{\"DocumentTitle\":{},\"DocumentTracking\":{}}"
            ),
            FileKind::Cvrf
        );
        assert_eq!(
            classify("doc.xml", b"<cvrf:cvrfdoc xmlns:cvrf=\"x\">"),
            FileKind::Cvrf
        );
        assert_eq!(
            classify("schema.json", b"{\"$schema\": \"x\"}"),
            FileKind::Other
        );
        assert_eq!(
            classify("GO-2022-0001.json", b"{\"id\":\"GO\"}"),
            FileKind::OsvRecord
        );
        assert_eq!(classify("PYSEC.yaml", b"id: PYSEC"), FileKind::OsvRecord);
        assert_eq!(classify("README.md", b"# hi"), FileKind::Other);
    }
}
