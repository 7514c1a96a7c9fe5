//! The rule loading every detecting stage shares: the bundled rule folders, the cache of parsed rules,
//! status filtering, compilation with the readers' field mappings, and the rule → CVE table
//! (`rules/cve-map.yml`) that ties detections to missing patches.

use crate::PipelineError;
use std::path::{Path, PathBuf};
use tracing::{debug, info};
use vigil_investigate::CveMap;
use vigil_model::Detection;
use vigil_sigma::{Engine, LoadOptions, RuleError, RuleSet};

/// Where rules come from.
#[derive(Debug, Clone, Default)]
pub struct RuleSource {
    /// Rule files or directories; empty means the bundled rules.
    pub paths: Vec<PathBuf>,
    /// Also load the bundled rules when `paths` is not empty.
    pub with_bundled: bool,
    /// Only rules with these statuses; empty means all but deprecated and unsupported.
    pub statuses: Vec<String>,
    /// Parse every rule file instead of reusing the cache of parsed rules.
    pub no_cache: bool,
    /// Directory of the cache [default: $XDG_CACHE_HOME/vigil, else ~/.cache/vigil].
    pub cache_dir: Option<PathBuf>,
    /// Rules given as text, as (origin, YAML), loaded whatever the paths: the service's own
    /// self-test canary rule, which must be there even when a site brings its own rules.
    pub extra: Vec<(String, String)>,
}

/// The bundled rule folders: `VIGIL_RULES`, then `share/vigil/rules` beside the installed binary, then
/// `rules/` beside it, then the source tree the binary was built from.
pub fn bundled_rules_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VIGIL_RULES").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let mut candidates = Vec::new();
    if let Some(dir) = exe_dir {
        candidates.push(dir.join("../share/vigil/rules"));
        candidates.push(dir.join("rules"));
    }
    candidates.push(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules"
    )));
    candidates
        .into_iter()
        .find(|c| c.join("sigmahq").is_dir() || c.join("vigil").is_dir())
}

/// The rule paths to load: the bundled `sigmahq/` and `vigil/` folders (not `tests/`, which holds
/// samples) and whatever the user added.
pub fn rule_paths(src: &RuleSource) -> Result<Vec<PathBuf>, PipelineError> {
    let mut paths = src.paths.clone();
    if paths.is_empty() || src.with_bundled {
        let dir = bundled_rules_dir().ok_or_else(|| {
            PipelineError::Rules(
                "the bundled rules were not found: pass --rules DIR or set VIGIL_RULES to the rules folder"
                    .into(),
            )
        })?;
        for sub in ["sigmahq", "vigil"] {
            let p = dir.join(sub);
            if p.is_dir() {
                paths.push(p);
            }
        }
    }
    Ok(paths)
}

pub struct LoadedRules {
    pub set: RuleSet,
    pub engine: Engine,
    /// Rules that could not be parsed or compiled, with why.
    pub errors: Vec<RuleError>,
    pub paths: Vec<PathBuf>,
}

/// Loads, filters by status, and compiles the rules with the readers' field mappings.
pub fn load(src: &RuleSource) -> Result<LoadedRules, PipelineError> {
    let paths = rule_paths(src)?;
    for p in &paths {
        if !p.exists() {
            return Err(PipelineError::Rules(format!(
                "rule path {} does not exist",
                p.display()
            )));
        }
    }
    let (mut set, mut errors) = match rule_cache(src) {
        Some(cache) => {
            let (set, errors, report) =
                vigil_sigma::load_rules_cached(&paths, &LoadOptions::default(), &cache);
            debug!(
                "rule cache {}: {} of {} rule files reused, {} parsed{}{}",
                report.path.display(),
                report.reused,
                report.files,
                report.parsed,
                report
                    .rebuilt
                    .map(|why| format!(" (rebuilt: {why})"))
                    .unwrap_or_default(),
                report
                    .write_error
                    .map(|e| format!("; not written: {e}"))
                    .unwrap_or_default()
            );
            (set, errors)
        }
        None => vigil_sigma::load_rules(&paths, &LoadOptions::default()),
    };
    for (origin, text) in &src.extra {
        let (extra, extra_errors) = vigil_sigma::parse_rules_str(text, origin);
        set.rules.extend(extra.rules);
        set.correlations.extend(extra.correlations);
        set.filters.extend(extra.filters);
        errors.extend(extra_errors);
    }
    let allowed = (!src.statuses.is_empty()).then_some(src.statuses.as_slice());
    vigil_hunt::filter_status(&mut set, allowed);
    vigil_hunt::mapping::normalise_logsources(&mut set);
    let mappings = vigil_hunt::mapping::reader_mappings()
        .map_err(|e| PipelineError::Rules(format!("the readers' field mappings: {e}")))?;
    let (engine, compile_errors) = Engine::compile(&set, &mappings);
    errors.extend(compile_errors);
    info!(
        "{} rules and {} correlations compiled from {}",
        engine.rule_count(),
        engine.correlation_count(),
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(LoadedRules {
        set,
        engine,
        errors,
        paths,
    })
}

/// Where parsed rules are cached and for which build, unless disabled. The cache is keyed by the
/// running binary (version, size and modification time), so any rebuild starts afresh.
fn rule_cache(src: &RuleSource) -> Option<vigil_sigma::CacheOptions> {
    if src.no_cache {
        return None;
    }
    // `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil` (on Windows `%LOCALAPPDATA%\vigil`).
    let dir = src.cache_dir.clone().or_else(|| {
        vigil_store::paths::vigil_dir_from(
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("HOME"),
            ".cache",
            std::env::var_os("LOCALAPPDATA"),
        )
    });
    let build = std::env::current_exe()
        .and_then(std::fs::metadata)
        .ok()
        .and_then(|m| {
            let modified = m.modified().ok()?;
            let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
            Some(format!("{} bytes, modified {}", m.len(), since.as_nanos()))
        });
    match (dir, build) {
        (Some(dir), Some(build)) => Some(vigil_sigma::CacheOptions {
            dir,
            version: format!("vigil {} ({build})", env!("CARGO_PKG_VERSION")),
        }),
        _ => {
            debug!("no rule cache: no cache directory, or this binary cannot be identified");
            None
        }
    }
}

/// `rules/cve-map.yml` beside the bundled rules; an empty map (with a warning) when it is missing.
pub fn load_cve_map() -> CveMap {
    let Some(dir) = bundled_rules_dir() else {
        tracing::warn!(
            "rules/cve-map.yml not found: detections are tied to CVEs by their tags only"
        );
        return CveMap::default();
    };
    let path = dir.join("cve-map.yml");
    match std::fs::read_to_string(&path) {
        Ok(text) => match CveMap::parse(&text, &path.display().to_string()) {
            Ok((map, issues)) => {
                for i in issues {
                    tracing::warn!("{}: {i:?}", path.display());
                }
                map
            }
            Err(e) => {
                tracing::warn!("{}: {e}", path.display());
                CveMap::default()
            }
        },
        Err(e) => {
            tracing::warn!("{}: {e}", path.display());
            CveMap::default()
        }
    }
}

/// Adds the `cve.` tags of rules/cve-map.yml: SigmaHQ's Exchange exploitation rules carry none, and
/// the CVE is what ties a detection to a missing patch.
pub fn tag_cves(d: &mut Detection, map: &CveMap) {
    let Some(m) = map.get(&d.rule_id) else {
        return;
    };
    for cve in &m.cves {
        let tag = format!(
            "cve.{}",
            cve.trim_start_matches("CVE-").to_ascii_lowercase()
        );
        if !d.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            d.tags.push(tag);
        }
    }
}
