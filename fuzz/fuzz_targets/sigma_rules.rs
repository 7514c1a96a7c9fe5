//! Any text as a Sigma rule file (one or more YAML documents), then compiled with the built-in
//! field mappings: rule parsing, condition parsing, modifiers, regexes and correlations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_sigma::{Engine, Mappings, parse_rules_str};

fuzz_target!(|text: &str| {
    let (set, _errors) = parse_rules_str(text, "fuzz.yml");
    let _ = Engine::compile(&set, &Mappings::new());
});
