//! Loads the whole SigmaHQ tree and every Hayabusa rule from the shared data set.
//! Runs only when `VIGIL_SHARED_DATA` points at it (e.g. `/work/shared/data`).

use std::path::PathBuf;
use vigil_sigma::{Engine, LoadOptions, Mappings, load_rules};

#[test]
fn whole_corpus_loads() {
    let Ok(root) = std::env::var("VIGIL_SHARED_DATA") else {
        eprintln!("VIGIL_SHARED_DATA not set: corpus test skipped");
        return;
    };
    let root = PathBuf::from(root);
    for (label, paths) in [
        (
            "sigma",
            vec![
                root.join("sigma/rules"),
                root.join("sigma/rules-emerging-threats"),
            ],
        ),
        ("hayabusa", vec![root.join("hayabusa-rules/hayabusa")]),
    ] {
        let (set, errors) = load_rules(&paths, &LoadOptions::default());
        let (engine, compile_errors) = Engine::compile(&set, &Mappings::new());
        println!(
            "{label}: {} rules, {} correlations, {} filters loaded; {} parse errors, {} compile errors; {} rules compiled",
            set.rules.len(),
            set.correlations.len(),
            set.filters.len(),
            errors.len(),
            compile_errors.len(),
            engine.rule_count()
        );
        for e in errors.iter().chain(&compile_errors) {
            println!("  FAIL {e}");
        }
        assert!(!set.rules.is_empty(), "{label}: nothing loaded");
    }
}

#[test]
fn both_trees_in_one_engine() {
    let Ok(root) = std::env::var("VIGIL_SHARED_DATA") else {
        eprintln!("VIGIL_SHARED_DATA not set: corpus test skipped");
        return;
    };
    let root = PathBuf::from(root);
    let paths = [
        root.join("sigma/rules"),
        root.join("sigma/rules-emerging-threats"),
        root.join("hayabusa-rules/hayabusa"),
    ];
    let (set, errors) = load_rules(&paths, &LoadOptions::default());
    let (engine, compile_errors) = Engine::compile(&set, &Mappings::new());
    println!(
        "combined: {} documents loaded, {} parse errors, {} compile errors, {} rules + {} correlations compiled",
        set.len(),
        errors.len(),
        compile_errors.len(),
        engine.rule_count(),
        engine.correlation_count()
    );
    for e in &compile_errors {
        println!("  FAIL {e}");
    }
}
