//! `vigil hunt` on the bundled example's IIS log: ProxyShell detections carry the CVEs of the curated
//! rule table (SigmaHQ's rules have no `cve.` tags), the rule author (DRL), and the record they cite.

use std::path::Path;
use std::process::Command;

#[test]
fn proxyshell_detections_carry_cves_author_and_evidence() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(&repo)
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_RULES")
        .args([
            "hunt",
            "examples/exchange-2021/logs/iis/W3SVC1/u_ex210813.log",
            "--format",
            "jsonl",
            "--min-level",
            "critical",
            "--host",
            "MAIL01",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let proxyshell: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|d| d["rule_title"] == "Successful Exchange ProxyShell Attack")
        .collect();
    assert!(!proxyshell.is_empty(), "{lines:?}");
    for d in &proxyshell {
        let tags: Vec<&str> = d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        assert!(tags.contains(&"cve.2021-34473"), "{tags:?}");
        assert!(d["rule_author"].as_str().unwrap().contains("Florian Roth"));
        assert_eq!(
            d["host"], "MAIL01",
            "IIS logs name no host: --host supplies it"
        );
        let src = &d["sources"][0];
        assert!(src["file"].as_str().unwrap().ends_with("u_ex210813.log"));
        assert!(
            src["record"]["line"].as_u64().unwrap() > 4,
            "a data line, after the #Fields header"
        );
    }
    assert!(
        lines.iter().all(|d| d["level"] == "critical"),
        "--min-level critical"
    );
}
