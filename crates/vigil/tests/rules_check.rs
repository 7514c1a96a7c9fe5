//! `vigil rules check` says which rules use vigil's correlation extensions, so that nobody takes
//! them to another Sigma engine expecting the same results.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn rules_check_lists_rules_using_vigil_extensions() {
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/vigil");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env_remove("VIGIL_DB")
        .env_remove("VIGIL_CONFIG")
        .args(["rules", "check", "--rules"])
        .arg(&rules)
        .output()
        .expect("run vigil");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |needle: &str| {
        stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{stdout}"))
            .to_string()
    };
    let baseline = line("Mailbox Sent To Unusually Many External Recipients - Message Tracking");
    assert!(baseline.contains("'vigil_baseline'"), "{baseline}");
    assert!(baseline.contains("other Sigma engines"), "{baseline}");
    let new_value = line("Mailbox Used From A Network It Never Used Before:");
    assert!(new_value.contains("'vigil_new_value'"), "{new_value}");
    // Plain Sigma correlations are not listed.
    assert!(!stdout.contains("Mail Password Spraying From One Network: uses"));
    let summary = line("correlations usable");
    assert!(summary.contains("with vigil extensions"), "{summary}");
}
