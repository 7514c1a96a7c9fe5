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

fn vigil(args: &[&str], cache: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_RULES")
        .env_remove("VIGIL_NO_CACHE")
        .env("VIGIL_CACHE_DIR", cache)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_log_cut_at_a_chunk_boundary_makes_the_hunt_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../vigil-logs/tests/fixtures/security_4624_ntlm_cme.evtx"),
    )
    .unwrap();
    let cut = tmp.path().join("Security.evtx");
    std::fs::write(&cut, &whole[..4096 + 65536]).unwrap();
    let out = vigil(
        &["hunt", cut.to_str().unwrap(), "--format", "jsonl"],
        &tmp.path().join("cache"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cut short"), "{stderr}");
    assert!(stderr.contains("records 58..=63 are missing"), "{stderr}");
}

#[test]
fn parsed_rules_are_cached_between_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let rule = |n: u32| {
        format!(
            "title: Rule {n}\nid: 00000000-0000-4000-8000-00000000000{n}\nstatus: test\n\
             logsource: {{product: windows, category: process_creation}}\n\
             detection:\n  sel:\n    Image|endswith: '\\tool{n}.exe'\n  condition: sel\nlevel: high\n"
        )
    };
    for n in 1..=3 {
        std::fs::write(rules.join(format!("r{n}.yml")), rule(n)).unwrap();
    }
    let cache = tmp.path().join("cache");
    let check = |extra: &[&str]| {
        let mut args = vec!["-vv", "rules", "check", "--rules", rules.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = vigil(&args, &cache);
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("3 rules"));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = check(&[]);
    assert!(
        first.contains("0 of 3 rule files reused, 3 parsed (rebuilt: no cache yet)"),
        "{first}"
    );
    let second = check(&[]);
    assert!(
        second.contains("3 of 3 rule files reused, 0 parsed"),
        "{second}"
    );
    // A changed rule is parsed again, the others come from the cache.
    std::fs::write(rules.join("r2.yml"), rule(2).replace("Rule 2", "Rule two")).unwrap();
    let third = check(&[]);
    assert!(
        third.contains("2 of 3 rule files reused, 1 parsed"),
        "{third}"
    );
    // A damaged cache is rebuilt, never trusted.
    let file = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "bin"))
        .unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let fourth = check(&[]);
    assert!(
        fourth.contains("3 parsed (rebuilt: corrupt: checksum mismatch)"),
        "{fourth}"
    );
    // --no-cache neither reads nor writes it, nor does VIGIL_NO_CACHE=1.
    std::fs::remove_dir_all(&cache).unwrap();
    let none = check(&["--no-cache"]);
    assert!(!none.contains("rule cache"), "{none}");
    assert!(!cache.exists());
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env("VIGIL_CACHE_DIR", &cache)
        .env("VIGIL_NO_CACHE", "1")
        .args(["-vv", "rules", "check", "--rules", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!cache.exists());
}
