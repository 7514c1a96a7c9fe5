//! `vigil rules list | check | test`; the rules are loaded by `vigil_pipeline::rules`.

use crate::Outcome;
use crate::cli::RuleArgs;
use crate::cmd::Context;
use anyhow::{Result, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tracing::warn;
use vigil_model::Level;
use vigil_sigma::{Engine, LoadOptions};

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
    /// Run the rule tests of a rules folder: each rule must fire on its positive sample and not
    /// on its negative one (exit 1 when one fails)
    #[command(
        long_about = "Run the rule tests of a rules folder: every rule listed in the folder's \
tests/manifest.yml must fire on its positive sample (as often as the manifest says) and stay silent \
on its negative sample, read the way `vigil hunt` reads logs. Run it before deploying a rule or \
mapping change; `vigil serve` runs the tests of its own rule folders at every start and raises an \
alert for a rule that fails.\n\nManifest (tests/manifest.yml):\n  samples:\n  - rule: my_rule   \
# my_rule.yml in the folder\n    positive: my_rule.positive.log\n    negative: my_rule.negative.log\n    \
format: syslog     # optional\n    positive_matches: 2  # optional: exactly; else at least one\n\n\
Exit status: 0 every rule passed, 1 a rule failed, 4 the manifest could not be read."
    )]
    Verify {
        /// The folder of rule files
        rules: PathBuf,
        /// The manifest [default: RULES/tests/manifest.yml]
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Machine-readable output (JSON lines: rule, passed, failures)
        #[arg(long)]
        json: bool,
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
        RulesCommand::Verify {
            rules,
            manifest,
            json,
        } => verify(&rules, manifest.as_deref(), json),
    }
}

fn list(_ctx: &Context, args: &RuleArgs, json: bool) -> Result<Outcome> {
    let loaded = vigil_pipeline::rules::load(&args.to_source())?;
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
    let loaded = vigil_pipeline::rules::load(&args.to_source())?;
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

fn verify(rules: &Path, manifest: Option<&Path>, json: bool) -> Result<Outcome> {
    let path = manifest.map_or_else(|| rules.join("tests/manifest.yml"), Path::to_path_buf);
    let m = vigil_hunt::samples::load_manifest(&path)?;
    if m.samples.is_empty() {
        bail!(
            "{}: lists no sample: nothing was tested",
            crate::term::path(&path)
        );
    }
    let results = vigil_hunt::samples::verify(rules, &path, &m)?;
    for r in &results {
        if json {
            let row = serde_json::json!({
                "rule": r.rule, "passed": r.passed(), "failures": r.failures,
            });
            crate::out!("{row}")?;
        } else if r.passed() {
            crate::out!("PASS {}", crate::term::text(&r.rule))?;
        } else {
            for f in &r.failures {
                crate::out!(
                    "FAIL {}: {}",
                    crate::term::text(&r.rule),
                    crate::term::text(f)
                )?;
            }
        }
    }
    let failed = results.iter().filter(|r| !r.passed()).count();
    crate::note!(
        "{} of {} rules passed their samples",
        results.len() - failed,
        results.len()
    );
    Ok(if failed == 0 {
        Outcome::Success
    } else {
        Outcome::GateTripped
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
