//! vigil's own rules against their samples: every rule in `rules/vigil` must fire on its positive
//! sample (as often as `rules/tests/manifest.yml` says) and stay silent on its negative sample, through
//! the same path `vigil hunt` takes (format sniffing, reader, field mappings, engine, correlator).
//!
//! The manifest drives the test, and every rule file must have an entry, so a new rule without
//! samples fails here. All failures are collected and reported together.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vigil_hunt::mapping::reader_mappings;
use vigil_hunt::samples::{self, rule_key, run_sample};
use vigil_model::LogSource;
use vigil_sigma::{CondExpr, Correlator, Engine, LoadOptions, RuleSet, load_rules};

#[derive(Debug, Deserialize)]
struct Manifest {
    samples: Vec<Sample>,
}

#[derive(Debug, Deserialize)]
struct Sample {
    rule: String,
    positive: String,
    negative: String,
    logsource: BTreeMap<String, String>,
    #[serde(default)]
    positive_matches: Option<usize>,
    #[serde(default)]
    requires: Vec<String>,
}

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn manifest() -> Manifest {
    let path = rules_dir().join("tests/manifest.yml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("bad {}: {e}", path.display()))
}

/// Loads the rule file `stem` and the files it requires (correlations name base rules).
fn load(stems: &[&str]) -> Result<RuleSet, String> {
    let paths: Vec<PathBuf> = stems
        .iter()
        .map(|s| rules_dir().join("vigil").join(format!("{s}.yml")))
        .collect();
    let (set, errors) = load_rules(&paths, &LoadOptions::default());
    if !errors.is_empty() {
        return Err(format!("load errors: {errors:?}"));
    }
    Ok(set)
}

fn rule_logsource(set: &RuleSet, key: &str) -> Option<LogSource> {
    set.rules
        .iter()
        .find(|r| r.meta.key() == key)
        .map(|r| r.meta.logsource.clone())
}

/// The same events through the engine and a [`Correlator`] without the hunt pipeline: tells a
/// pipeline fault from a rule or reader fault in failure messages.
fn correlate_directly(engine: &Engine, file: &Path, key: &str) -> usize {
    let mut correlator = Correlator::new(engine);
    let mut out = Vec::new();
    let mut events = Vec::new();
    let _ = vigil_logs::read_path(file, &Default::default(), &mut |ev| events.push(ev));
    events.sort_by_key(|e| e.timestamp);
    for ev in &events {
        let mut base = Vec::new();
        engine.all_matches(ev, &mut base);
        correlator.feed(ev, &base, &mut out);
    }
    correlator.finish(&mut out);
    out.iter().filter(|d| d.rule_id == key).count()
}

/// What `vigil rules verify` does not check: the manifest's logsource is the rule's own, and a
/// correlation the hunt does not report is told apart from one the engine does not fire.
fn check_more(sample: &Sample, errors: &mut Vec<String>) {
    let tests = rules_dir().join("tests");
    let mut stems = vec![sample.rule.as_str()];
    stems.extend(sample.requires.iter().map(String::as_str));
    let Ok(set) = load(&stems) else {
        return; // reported by verify
    };
    let Some(key) = rule_key(&set, &sample.rule) else {
        return;
    };
    if let Some(ls) = rule_logsource(&set, &key) {
        let want = LogSource::new(
            sample.logsource.get("product").map(String::as_str),
            sample.logsource.get("category").map(String::as_str),
            sample.logsource.get("service").map(String::as_str),
        );
        if ls != want {
            errors.push(format!(
                "{}: manifest logsource {want:?} differs from the rule's {ls:?}",
                sample.rule
            ));
        }
    }
    if sample.positive_matches.is_none() {
        let (engine, _) = Engine::compile(&set, &reader_mappings().expect("mappings"));
        let pos = run_sample(&engine, &tests.join(&sample.positive), &key);
        if pos.hits.is_empty() {
            let direct = correlate_directly(&engine, &tests.join(&sample.positive), &key);
            errors.push(format!(
                "{} positive: correlation not reported by hunt; the engine's Correlator fed \
                 directly reports it {direct} time(s)",
                sample.rule
            ));
        }
        // Also decided by the engine alone, so that a negative sample is really tested even if
        // the pipeline were to drop correlation detections.
        let direct = correlate_directly(&engine, &tests.join(&sample.negative), &key);
        if direct > 0 {
            errors.push(format!(
                "{} negative: the Correlator fed directly fires {direct} time(s)",
                sample.rule
            ));
        }
    }
}

#[test]
fn every_own_rule_fires_on_its_positive_sample_only() {
    let manifest = manifest();
    let path = rules_dir().join("tests/manifest.yml");
    let shared = samples::load_manifest(&path).expect("manifest");
    let results = samples::verify(&rules_dir().join("vigil"), &path, &shared).expect("verify");
    let mut errors: Vec<String> = results
        .iter()
        .flat_map(|r| r.failures.iter().map(move |f| format!("{}: {f}", r.rule)))
        .collect();
    for sample in &manifest.samples {
        check_more(sample, &mut errors);
    }

    // Every rule file has samples.
    let mut stems: Vec<String> = std::fs::read_dir(rules_dir().join("vigil"))
        .expect("rules/vigil")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yml").map(str::to_string)
        })
        .collect();
    stems.sort();
    for stem in &stems {
        if !manifest.samples.iter().any(|s| &s.rule == stem) {
            errors.push(format!("{stem}: no entry in rules/tests/manifest.yml"));
        }
    }
    assert!(stems.len() >= 31, "only {} rule files found", stems.len());
    assert_eq!(manifest.samples.len(), stems.len());

    assert!(
        errors.is_empty(),
        "{} of {} own-rule checks failed:\n{}",
        errors.len(),
        manifest.samples.len(),
        errors.join("\n")
    );
}

/// Rules that match a reader's parsed field (`selection_event`) or the raw `message`
/// (`selection_message`) must fire through each branch alone, so neither is dead.
#[test]
fn structured_and_message_branches_each_fire() {
    let manifest = manifest();
    let mut errors = Vec::new();
    let mut checked = 0;
    for sample in manifest
        .samples
        .iter()
        .filter(|s| s.positive_matches.is_some())
    {
        let Ok(set) = load(&[sample.rule.as_str()]) else {
            continue;
        };
        let Some(rule) = set.rules.first() else {
            continue;
        };
        for branch in ["selection_event", "selection_message"] {
            let Some(i) = rule.detection.names.iter().position(|n| n == branch) else {
                continue;
            };
            let mut only = rule.clone();
            only.detection.condition = CondExpr::Sel(i);
            let one = RuleSet {
                rules: vec![only],
                ..RuleSet::default()
            };
            let (engine, _) = Engine::compile(&one, &reader_mappings().expect("mappings"));
            let file = rules_dir().join("tests").join(&sample.positive);
            let hits = run_sample(&engine, &file, &rule.meta.key()).hits.len();
            if Some(hits) != sample.positive_matches {
                errors.push(format!(
                    "{} {branch} alone: {hits} detections, expected {:?}",
                    sample.rule, sample.positive_matches
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} branches checked");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn all_own_rules_load_together_and_correlations_resolve() {
    let (set, errors) = load_rules(&[rules_dir().join("vigil")], &LoadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(set.rules.len() + set.correlations.len(), 61);
    let mappings = reader_mappings().expect("mappings");
    let (engine, errors) = Engine::compile(&set, &mappings);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(engine.correlation_count(), set.correlations.len());
    assert_eq!(set.correlations.len(), 33);
}
