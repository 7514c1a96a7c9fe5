//! Coverage of the bundled rules: vigil's own rules must all be reachable; SigmaHQ rules that can
//! never fire on vigil's readers are listed (by reason) so that none is shipped silently.

use std::collections::BTreeMap;
use std::path::PathBuf;
use vigil_hunt::coverage::unreachable_rules;
use vigil_sigma::{LoadOptions, load_rules};

fn rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

#[test]
fn every_own_rule_can_fire_on_a_reader_log_source() {
    let (set, errors) = load_rules(&[rules().join("vigil")], &LoadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    let dead = unreachable_rules(&set);
    assert!(dead.is_empty(), "{dead:#?}");
}

/// The bundled SigmaHQ rules that no reader can feed today, per log source, with why. A change
/// in a reader or in the bundle that moves these numbers must update this table (and the release
/// notes): a rule that stops being reachable is exactly what must not happen silently.
const KNOWN_GAPS: &[(&str, usize, &str)] = &[
    (
        "{category: proxy}",
        2,
        "forward-proxy logs are not read (kept for the Exchange OWASSRF folder)",
    ),
    (
        "{product: windows, category: file_access}",
        7,
        "ETW Microsoft-Windows-Kernel-File: no event log channel carries it",
    ),
    (
        "{product: windows, category: file_rename}",
        1,
        "ETW Microsoft-Windows-Kernel-File: no event log channel carries it",
    ),
];

#[test]
fn unreachable_bundled_sigmahq_rules_are_the_known_gaps() {
    let (set, _) = load_rules(&[rules().join("sigmahq")], &LoadOptions::default());
    assert!(set.rules.len() > 2500);
    let dead = unreachable_rules(&set);
    let mut by_source: BTreeMap<String, usize> = BTreeMap::new();
    for (key, title, reason) in &dead {
        eprintln!("{key}\t{title}\t{reason}");
        let source = reason
            .strip_prefix("no vigil reader emits logsource ")
            .and_then(|r| r.split(" (").next())
            .unwrap_or(reason);
        *by_source.entry(source.to_string()).or_default() += 1;
    }
    let want: BTreeMap<String, usize> = KNOWN_GAPS
        .iter()
        .map(|(ls, n, _)| (ls.to_string(), *n))
        .collect();
    assert_eq!(by_source, want);
    assert_eq!(dead.len(), 10);
}
