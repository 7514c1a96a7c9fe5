//! A cache of parsed rule files, so that a run does not parse thousands of YAML files again.
//!
//! Measured on SigmaHQ's rule set (2,841 files): parsing (YAML, then modifiers and conditions) is
//! about three quarters of the fixed cost of a run, compiling the rest. The compiled engine holds
//! regular expressions and automata that cannot be stored, so the parsed rules are cached and
//! compiled on every run; the field mappings are applied when compiling, so they are never stale.
//!
//! One cache file per set of rule paths (`rules-<hash of the paths>.bin`) in the cache directory:
//!
//! ```text
//! MAGIC (16 bytes) | format version (u32 LE) | payload length (u64 LE) | SHA-256 of the payload
//! payload (postcard): the caller's version string, the load options, and for every rule file
//!                     its origin, the SHA-256 of its bytes and what parsing them gave
//! ```
//!
//! Every load reads and hashes every rule file; a file whose hash equals its entry is not parsed
//! again, the others are, and the cache is then rewritten whole: into a temporary file renamed
//! over the old one, so that a concurrent run reads either the old or the new cache, never half
//! of one. A cache that fails any check (magic, format, length, checksum, decoding, version,
//! options) is never trusted: the rules are parsed and the cache rebuilt, and the reason is
//! logged at debug level. The result is always what [`crate::load_rules`] returns.

use crate::error::RuleError;
use crate::load::{collect_files, merge, parse_rule_bytes, read_rule_file};
use crate::parse::LoadOptions;
use crate::rule::RuleSet;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tracing::debug;

const MAGIC: &[u8; 16] = b"vigil rule cache";
/// Bumped whenever the layout or the parsed rule types change.
const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 16 + 4 + 8 + 32;
/// Largest cache file read (the SigmaHQ set takes a few MB).
const MAX_CACHE_BYTES: u64 = 256 * 1024 * 1024;
/// Cache files kept per directory (one per set of rule paths); the least recently written go.
const MAX_CACHE_FILES: usize = 8;
/// Temporary files older than this were left by a run that died while writing.
const STALE_TEMP: Duration = Duration::from_secs(600);

/// Where the cache lives and what it must match.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// The cache directory (created when missing).
    pub dir: PathBuf,
    /// Identifies the program that parsed the rules: a cache written by another version (or
    /// build) is rebuilt. Callers pass their version and something that changes with each build.
    pub version: String,
}

/// What the cache did for one load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheReport {
    /// The cache file.
    pub path: PathBuf,
    /// Rule files read.
    pub files: usize,
    /// Rule files whose parse came from the cache.
    pub reused: usize,
    /// Rule files parsed.
    pub parsed: usize,
    /// Why the cache was not used as it was: missing, or which check it failed.
    pub rebuilt: Option<String>,
    /// Whether the cache file was (re)written.
    pub written: bool,
    /// Why it could not be written (the rules are loaded all the same).
    pub write_error: Option<String>,
}

#[derive(Serialize)]
struct PayloadRef<'a> {
    version: &'a str,
    options: &'a str,
    entries: Vec<EntryRef<'a>>,
}

#[derive(Serialize)]
struct EntryRef<'a> {
    origin: &'a str,
    hash: &'a [u8; 32],
    rules: &'a RuleSet,
    errors: &'a [RuleError],
}

/// The owned form of [`PayloadRef`] (the same encoding).
#[derive(Deserialize)]
struct Payload {
    version: String,
    options: String,
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    origin: String,
    hash: [u8; 32],
    rules: RuleSet,
    errors: Vec<RuleError>,
}

/// A rule file's bytes and their SHA-256, or why it could not be read.
type FileBytes = Result<(Vec<u8>, [u8; 32]), RuleError>;

/// One rule file of this load.
struct FileLoad {
    origin: String,
    /// The SHA-256 of its bytes; `None` when it could not be read.
    hash: Option<[u8; 32]>,
    result: (RuleSet, Vec<RuleError>),
}

/// [`crate::load_rules`] through the cache in `cache.dir`.
pub fn load_rules_cached(
    paths: &[PathBuf],
    opts: &LoadOptions,
    cache: &CacheOptions,
) -> (RuleSet, Vec<RuleError>, CacheReport) {
    let path = cache.dir.join(cache_file_name(paths));
    let options = options_key(opts);
    let mut report = CacheReport {
        path: path.clone(),
        files: 0,
        reused: 0,
        parsed: 0,
        rebuilt: None,
        written: false,
        write_error: None,
    };
    let mut cached = match read_cache(&path, &cache.version, &options) {
        Ok(entries) => entries,
        Err(why) => {
            debug!("rule cache {}: {why}; rebuilding", path.display());
            report.rebuilt = Some(why);
            HashMap::new()
        }
    };
    let had_entries = cached.len();

    let (files, listing_errors) = collect_files(paths);
    report.files = files.len();
    // Read and hash in parallel; parse below only what the cache does not hold.
    let read: Vec<(String, FileBytes)> = files
        .par_iter()
        .map(|f| {
            let origin = f.display().to_string();
            let bytes = read_rule_file(f, &origin, opts).map(|b| {
                let hash: [u8; 32] = Sha256::digest(&b).into();
                (b, hash)
            });
            (origin, bytes)
        })
        .collect();
    let mut loads: Vec<Option<FileLoad>> = Vec::with_capacity(read.len());
    let mut to_parse: Vec<(usize, String, Vec<u8>, [u8; 32])> = Vec::new();
    for (i, (origin, bytes)) in read.into_iter().enumerate() {
        match bytes {
            Err(e) => loads.push(Some(FileLoad {
                origin,
                hash: None,
                result: (RuleSet::default(), vec![e]),
            })),
            Ok((bytes, hash)) => match cached.remove(&origin) {
                Some(entry) if entry.hash == hash => {
                    report.reused += 1;
                    loads.push(Some(FileLoad {
                        origin,
                        hash: Some(hash),
                        result: (entry.rules, entry.errors),
                    }));
                }
                _ => {
                    to_parse.push((i, origin, bytes, hash));
                    loads.push(None);
                }
            },
        }
    }
    report.parsed = to_parse.len();
    let parsed: Vec<(usize, FileLoad)> = to_parse
        .into_par_iter()
        .map(|(i, origin, bytes, hash)| {
            let result = parse_rule_bytes(bytes, &origin, opts);
            (
                i,
                FileLoad {
                    origin,
                    hash: Some(hash),
                    result,
                },
            )
        })
        .collect();
    for (i, load) in parsed {
        if let Some(slot) = loads.get_mut(i) {
            *slot = Some(load);
        }
    }
    let loads: Vec<FileLoad> = loads.into_iter().flatten().collect();

    // Rewrite when anything differs from what the cache held: files parsed afresh, or entries
    // for files that are gone or no longer readable.
    let stale = report.parsed > 0 || report.reused != had_entries;
    if stale {
        match write_cache(&cache.dir, &path, &cache.version, &options, &loads) {
            Ok(()) => report.written = true,
            Err(e) => {
                debug!("rule cache {}: not written: {e}", path.display());
                report.write_error = Some(e.to_string());
            }
        }
    }
    let (set, errors) = merge(
        listing_errors,
        loads.into_iter().map(|l| l.result).collect(),
    );
    (set, errors, report)
}

/// The cache file for a set of rule paths: the origins stored in it are built from these paths
/// as given, so the same paths give the same origins.
fn cache_file_name(paths: &[PathBuf]) -> String {
    let mut h = Sha256::new();
    for p in paths {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("rules-{hex}.bin")
}

/// The load options as a stable string (placeholders sorted).
fn options_key(opts: &LoadOptions) -> String {
    let mut placeholders: Vec<(&String, &Vec<String>)> = opts.placeholders.iter().collect();
    placeholders.sort();
    format!(
        "max_file_size={} placeholders={placeholders:?}",
        opts.max_file_size
    )
}

/// The entries of a valid cache by origin, or why it is not used.
fn read_cache(path: &Path, version: &str, options: &str) -> Result<HashMap<String, Entry>, String> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("no cache yet".into()),
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    if len > MAX_CACHE_BYTES {
        return Err(format!("larger than {MAX_CACHE_BYTES} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let payload = verify(&bytes)?;
    let payload: Payload =
        postcard::from_bytes(payload).map_err(|e| format!("cannot be decoded: {e}"))?;
    if payload.version != version {
        return Err(format!("written by {}, this is {version}", payload.version));
    }
    if payload.options != options {
        return Err("written with other load options".into());
    }
    Ok(payload
        .entries
        .into_iter()
        .map(|e| (e.origin.clone(), e))
        .collect())
}

/// The payload of a cache file whose header and checksum hold.
fn verify(bytes: &[u8]) -> Result<&[u8], String> {
    let (header, payload) = bytes
        .split_at_checked(HEADER_LEN)
        .ok_or("truncated: shorter than its header")?;
    let (magic, rest) = header.split_at(16);
    if magic != MAGIC {
        return Err("not a vigil rule cache".into());
    }
    let (format, rest) = rest.split_at(4);
    let (length, checksum) = rest.split_at(8);
    let format = u32::from_le_bytes(format.try_into().map_err(|_| "bad header")?);
    if format != FORMAT_VERSION {
        return Err(format!(
            "format {format}, this version reads format {FORMAT_VERSION}"
        ));
    }
    let length = u64::from_le_bytes(length.try_into().map_err(|_| "bad header")?);
    if length != payload.len() as u64 {
        return Err(format!(
            "truncated or padded: {} payload bytes, the header says {length}",
            payload.len()
        ));
    }
    if Sha256::digest(payload).as_slice() != checksum {
        return Err("corrupt: checksum mismatch".into());
    }
    Ok(payload)
}

fn write_cache(
    dir: &Path,
    path: &Path,
    version: &str,
    options: &str,
    loads: &[FileLoad],
) -> std::io::Result<()> {
    let payload = PayloadRef {
        version,
        options,
        entries: loads
            .iter()
            .filter_map(|l| {
                l.hash.as_ref().map(|hash| EntryRef {
                    origin: &l.origin,
                    hash,
                    rules: &l.result.0,
                    errors: &l.result.1,
                })
            })
            .collect(),
    };
    let payload = postcard::to_stdvec(&payload).map_err(std::io::Error::other)?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&Sha256::digest(&payload));
    bytes.extend_from_slice(&payload);

    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("rules.bin");
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    prune(dir);
    Ok(())
}

/// Keeps the directory small: the most recently written cache files, and no temporary files
/// left by runs that died while writing.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut caches: Vec<(SystemTime, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(modified) = e.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        if name.starts_with(".rules-") && name.ends_with(".tmp") {
            if now
                .duration_since(modified)
                .is_ok_and(|age| age > STALE_TEMP)
            {
                let _ = std::fs::remove_file(e.path());
            }
        } else if name.starts_with("rules-") && name.ends_with(".bin") {
            caches.push((modified, e.path()));
        }
    }
    if caches.len() > MAX_CACHE_FILES {
        caches.sort();
        let excess = caches.len() - MAX_CACHE_FILES;
        for (_, p) in caches.into_iter().take(excess) {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_rules;

    const RULE: &str = "title: T{n}\nid: r{n}\nlogsource: {product: windows, category: process_creation}\n\
                        detection:\n  sel:\n    Image|endswith: '\\{n}.exe'\n  condition: sel\nlevel: high\n";

    struct Fixture {
        _tmp: tempfile::TempDir,
        rules: PathBuf,
        cache: CacheOptions,
    }

    fn fixture() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let rules = tmp.path().join("rules");
        std::fs::create_dir_all(rules.join("sub")).unwrap();
        for n in 0..5 {
            let dir = if n % 2 == 0 {
                rules.clone()
            } else {
                rules.join("sub")
            };
            std::fs::write(
                dir.join(format!("r{n}.yml")),
                RULE.replace("{n}", &n.to_string()),
            )
            .unwrap();
        }
        // One broken rule: its error must come back from the cache too.
        std::fs::write(rules.join("broken.yml"), "title: x\ndetection: [1\n").unwrap();
        let cache = CacheOptions {
            dir: tmp.path().join("cache"),
            version: "vigil 1.0 (test)".into(),
        };
        Fixture {
            _tmp: tmp,
            rules,
            cache,
        }
    }

    fn load(f: &Fixture) -> (RuleSet, Vec<RuleError>, CacheReport) {
        let paths = [f.rules.clone()];
        let (set, errors, report) = load_rules_cached(&paths, &LoadOptions::default(), &f.cache);
        // Whatever the cache did, the result is the uncached load's.
        let (plain_set, plain_errors) = load_rules(&paths, &LoadOptions::default());
        assert_eq!(set, plain_set);
        assert_eq!(errors, plain_errors);
        (set, errors, report)
    }

    #[test]
    fn second_load_is_served_from_the_cache() {
        let f = fixture();
        let (set, errors, first) = load(&f);
        assert_eq!(set.rules.len(), 5);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((first.files, first.reused, first.parsed), (6, 0, 6));
        assert_eq!(first.rebuilt.as_deref(), Some("no cache yet"));
        assert!(first.written && first.path.exists());
        let (_, _, second) = load(&f);
        assert_eq!((second.reused, second.parsed), (6, 0));
        assert_eq!(second.rebuilt, None);
        assert!(!second.written, "nothing changed: not rewritten");
    }

    #[test]
    fn a_changed_added_or_removed_file_is_parsed_again() {
        let f = fixture();
        load(&f);
        std::fs::write(f.rules.join("r0.yml"), RULE.replace("{n}", "changed")).unwrap();
        std::fs::write(f.rules.join("new.yml"), RULE.replace("{n}", "9")).unwrap();
        let (set, _, r) = load(&f);
        assert_eq!((r.files, r.reused, r.parsed), (7, 5, 2));
        assert!(r.written);
        assert!(set.rules.iter().any(|r| r.meta.title == "Tchanged"));
        std::fs::remove_file(f.rules.join("new.yml")).unwrap();
        let (_, _, r) = load(&f);
        assert_eq!((r.files, r.reused, r.parsed), (6, 6, 0));
        assert!(r.written, "the entry of the removed file is dropped");
        let (_, _, r) = load(&f);
        assert!(!r.written);
    }

    #[test]
    fn a_corrupt_or_truncated_cache_is_rebuilt_never_trusted() {
        let f = fixture();
        let (_, _, first) = load(&f);
        let good = std::fs::read(&first.path).unwrap();
        // One flipped bit in the payload: the checksum catches it.
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        let truncated = good[..good.len() / 2].to_vec();
        let cases: [(&[u8], &str); 5] = [
            (&flipped, "checksum mismatch"),
            (&truncated, "truncated"),
            (&good[..10], "shorter than its header"),
            (b"", "shorter than its header"),
            (&[0u8; 200], "not a vigil rule cache"),
        ];
        for (bytes, why) in cases {
            std::fs::write(&first.path, bytes).unwrap();
            let (_, _, r) = load(&f);
            assert_eq!(r.parsed, 6, "{why}");
            assert!(
                r.rebuilt.as_deref().is_some_and(|w| w.contains(why)),
                "{why}: {:?}",
                r.rebuilt
            );
            assert!(r.written);
            assert_eq!(std::fs::read(&first.path).unwrap(), good, "{why}");
        }
    }

    #[test]
    fn another_version_or_format_rebuilds() {
        let mut f = fixture();
        let (_, _, first) = load(&f);
        f.cache.version = "vigil 1.1 (test)".into();
        let (_, _, r) = load(&f);
        assert_eq!(r.parsed, 6);
        assert!(
            r.rebuilt
                .as_deref()
                .is_some_and(|w| w.contains("written by vigil 1.0")),
            "{:?}",
            r.rebuilt
        );
        // A cache of a future format.
        let mut bytes = std::fs::read(&first.path).unwrap();
        bytes[16..20].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        std::fs::write(&first.path, bytes).unwrap();
        let (_, _, r) = load(&f);
        assert!(r.rebuilt.as_deref().is_some_and(|w| w.contains("format")));
        // Other load options.
        let paths = [f.rules.clone()];
        let opts = LoadOptions {
            max_file_size: 100,
            ..LoadOptions::default()
        };
        let (set, errors, r) = load_rules_cached(&paths, &opts, &f.cache);
        assert!(r.rebuilt.as_deref().is_some_and(|w| w.contains("options")));
        assert_eq!((set, errors), load_rules(&paths, &opts));
    }

    #[test]
    fn an_unwritable_cache_directory_still_loads_the_rules() {
        let f = fixture();
        // The cache "directory" is a file.
        std::fs::write(&f.cache.dir, b"x").unwrap();
        let (set, _, r) = load(&f);
        assert_eq!(set.rules.len(), 5);
        assert!(!r.written && r.write_error.is_some());
    }

    #[test]
    fn concurrent_loads_leave_a_valid_cache() {
        let f = fixture();
        std::thread::scope(|s| {
            for i in 0..4 {
                let f = &f;
                s.spawn(move || {
                    for j in 0..5 {
                        if (i + j) % 2 == 0 {
                            // Replaced whole, as an editor saves, so no run reads half a rule.
                            let tmp = f.rules.join(format!("r0.{i}.part"));
                            std::fs::write(&tmp, RULE.replace("{n}", &format!("{i}{j}"))).unwrap();
                            std::fs::rename(&tmp, f.rules.join("r0.yml")).unwrap();
                        }
                        let paths = [f.rules.clone()];
                        let (set, _, _) =
                            load_rules_cached(&paths, &LoadOptions::default(), &f.cache);
                        assert_eq!(set.rules.len(), 5);
                    }
                });
            }
        });
        // Whatever run wrote last, the cache verifies and matches the files now.
        let (_, _, r) = load(&f);
        assert_eq!(r.rebuilt, None);
        let leftovers = std::fs::read_dir(&f.cache.dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn old_cache_files_are_pruned() {
        let f = fixture();
        std::fs::create_dir_all(&f.cache.dir).unwrap();
        for i in 0..MAX_CACHE_FILES + 3 {
            std::fs::write(f.cache.dir.join(format!("rules-old{i}.bin")), b"x").unwrap();
        }
        let stale = f.cache.dir.join(".rules-x.bin.1.2.tmp");
        std::fs::write(&stale, b"x").unwrap();
        let (_, _, r) = load(&f);
        assert!(r.written);
        let count = std::fs::read_dir(&f.cache.dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("rules-"))
            .count();
        assert_eq!(count, MAX_CACHE_FILES);
        assert!(r.path.exists(), "the file just written is kept");
        // A fresh temporary file may belong to a run still writing: kept.
        assert!(stale.exists());
    }
}
