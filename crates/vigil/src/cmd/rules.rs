//! `vigil rules list | check | test`, and the rule loading every detecting command shares.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use tracing::{debug, info, warn};
use vigil_model::Level;
use vigil_sigma::{Engine, LoadOptions, RuleError, RuleSet};

/// Where rules come from, for every command that loads them.
#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// Sigma rule files or directories [default: the bundled rules]; repeat to add more
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Also load the bundled rules when --rules is given
    #[arg(long)]
    pub with_bundled: bool,
    /// Only rules with these statuses (stable, test, experimental, deprecated, unsupported)
    /// [default: all but deprecated and unsupported]
    #[arg(long = "rule-status", value_name = "STATUS", value_delimiter = ',')]
    pub rule_status: Vec<String>,
    /// Parse every rule file instead of reusing the cache of parsed rules
    #[arg(long, env = "VIGIL_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
    /// Directory of the cache of parsed rules [default: $XDG_CACHE_HOME/vigil, else ~/.cache/vigil]
    #[arg(long, env = "VIGIL_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules that load, with id, level, status, log source and title
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Machine-readable output (JSON lines)
        #[arg(long)]
        json: bool,
    },
    /// Load and compile the rules; list every rule that cannot be used, with file, YAML path and reason
    Check {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run rules against sample log files and show what fires (exit 1 if nothing does)
    Test {
        /// A rule file or directory to test
        rule: PathBuf,
        /// Sample logs in any format `vigil hunt` reads
        #[arg(required = true)]
        samples: Vec<PathBuf>,
    },
}

pub fn run(ctx: &Context, cmd: RulesCommand) -> Result<Outcome> {
    match cmd {
        RulesCommand::List { rules, json } => list(ctx, &rules, json),
        RulesCommand::Check { rules } => check(ctx, &rules),
        RulesCommand::Test { rule, samples } => test(&rule, &samples),
    }
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
pub fn rule_paths(args: &RuleArgs) -> Result<Vec<PathBuf>> {
    let mut paths = args.rules.clone();
    if paths.is_empty() || args.with_bundled {
        let dir = bundled_rules_dir().context(
            "the bundled rules were not found: pass --rules DIR or set VIGIL_RULES to the rules folder",
        )?;
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
pub fn load(args: &RuleArgs) -> Result<LoadedRules> {
    let paths = rule_paths(args)?;
    for p in &paths {
        if !p.exists() {
            bail!("rule path {} does not exist", p.display());
        }
    }
    let (mut set, mut errors) = match rule_cache(args) {
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
    let allowed = (!args.rule_status.is_empty()).then_some(args.rule_status.as_slice());
    vigil_hunt::filter_status(&mut set, allowed);
    vigil_hunt::mapping::normalise_logsources(&mut set);
    let mappings = vigil_hunt::mapping::reader_mappings().context("the readers' field mappings")?;
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

/// Where parsed rules are cached and for which build, unless disabled (`--no-cache`). The cache
/// is keyed by this binary (version, size and modification time), so any rebuild starts afresh.
fn rule_cache(args: &RuleArgs) -> Option<vigil_sigma::CacheOptions> {
    if args.no_cache {
        return None;
    }
    // `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil` (on Windows `%LOCALAPPDATA%\vigil`).
    let dir = args.cache_dir.clone().or_else(|| {
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

fn list(_ctx: &Context, args: &RuleArgs, json: bool) -> Result<Outcome> {
    let loaded = load(args)?;
    for r in &loaded.set.rules {
        let m = &r.meta;
        let ls = &m.logsource;
        if json {
            let row = serde_json::json!({
                "id": m.key(), "title": m.title, "level": m.level, "status": m.status,
                "logsource": ls, "tags": m.tags, "author": m.author, "origin": m.origin,
            });
            crate::out!("{row}")?;
        } else {
            crate::out!(
                "{:<36} {:<13} {:<12} {:<40} {}",
                m.key(),
                m.level.unwrap_or(Level::Medium).as_str(),
                m.status.as_deref().unwrap_or("-"),
                format!(
                    "{}/{}/{}",
                    ls.product.as_deref().unwrap_or("*"),
                    ls.category.as_deref().unwrap_or("*"),
                    ls.service.as_deref().unwrap_or("*")
                ),
                m.title
            )?;
        }
    }
    if !json {
        crate::note!(
            "{} rules, {} correlations, {} filters; {} not loaded (see 'vigil rules check')",
            loaded.set.rules.len(),
            loaded.set.correlations.len(),
            loaded.set.filters.len(),
            loaded.errors.len()
        );
    }
    Ok(Outcome::Success)
}

fn check(_ctx: &Context, args: &RuleArgs) -> Result<Outcome> {
    let loaded = load(args)?;
    for e in &loaded.errors {
        crate::out!("{e}")?;
    }
    // A rule that loads but can never see its log source would otherwise be shipped silently.
    let unreachable = vigil_hunt::coverage::unreachable_rules(&loaded.set);
    for (key, title, reason) in &unreachable {
        crate::out!("{key}: {title}: can never match: {reason}")?;
    }
    // Usable, but only by vigil: say so, so that nobody exports them to another Sigma engine
    // expecting the same results.
    let extended = vigil_sigma::extensions::used_in(&loaded.set);
    for (key, title, kind) in &extended {
        crate::out!(
            "{key}: {title}: uses vigil's correlation extension '{kind}' (compares a group with \
             its own history); other Sigma engines will reject it"
        )?;
    }
    crate::out!(
        "{} rules and {} correlations usable ({} with vigil extensions), {} filters; \
         {} not usable; {} can never match a log vigil reads",
        loaded.engine.rule_count(),
        loaded.engine.correlation_count(),
        extended.len(),
        loaded.set.filters.len(),
        loaded.errors.len(),
        unreachable.len()
    )?;
    Ok(if loaded.errors.is_empty() {
        Outcome::Success
    } else {
        Outcome::Partial
    })
}

fn test(rule: &Path, samples: &[PathBuf]) -> Result<Outcome> {
    // Every status is allowed when testing a rule on purpose: no status filter here.
    let (mut set, mut errors) =
        vigil_sigma::load_rules(&[rule.to_path_buf()], &LoadOptions::default());
    vigil_hunt::mapping::normalise_logsources(&mut set);
    let mappings = vigil_hunt::mapping::reader_mappings()?;
    let (engine, compile_errors) = Engine::compile(&set, &mappings);
    errors.extend(compile_errors);
    for e in &errors {
        warn!("{e}");
    }
    if engine.rule_count() == 0 {
        bail!("no usable rule in {}", rule.display());
    }
    let (files, skipped) = vigil_hunt::input_files(samples);
    let report = vigil_hunt::hunt(
        &engine,
        &files,
        &vigil_hunt::HuntOptions::default(),
        &|_, _| {},
    );
    for s in skipped.iter().chain(report.files.iter()) {
        if let Some(why) = &s.skipped {
            warn!("{}: not read: {why}", s.path);
        }
    }
    for d in &report.detections {
        let src = d
            .sources
            .first()
            .map(|s| format!("{}: {}", s.file, s.record))
            .unwrap_or_default();
        crate::out!("{}  {}  {}  {src}", d.level, d.rule_id, d.rule_title)?;
    }
    crate::out!(
        "{} detections in {} events",
        report.detections.len(),
        report.events_read()
    )?;
    Ok(if report.detections.is_empty() {
        Outcome::GateTripped
    } else {
        Outcome::Success
    })
}
