//! The Windows mappings on real records: each bundled SigmaHQ rule below fires on a real EVTX
//! recording only because of one mapping (trimmed values, Defender's field names, the antivirus
//! category, 4688's integrity level, registry delete events). The recordings are the fixtures
//! of `vigil-logs` (sources and licences in its `tests/fixtures/LICENSES.md`).

use std::path::{Path, PathBuf};
use vigil_hunt::{HuntOptions, hunt, mapping};
use vigil_model::{Detection, FieldValue, RecordRef};
use vigil_sigma::{Engine, LoadOptions, load_rules};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("crates/vigil-logs/tests/fixtures").join(name)
}

/// Hunts `logs` with the bundled SigmaHQ rule file(s) alone.
fn detections(rules: &[&str], logs: &[PathBuf]) -> Vec<Detection> {
    let paths: Vec<PathBuf> = rules
        .iter()
        .map(|r| root().join("rules/sigmahq").join(r))
        .collect();
    let (mut set, errors) = load_rules(&paths, &LoadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    mapping::normalise_logsources(&mut set);
    let (engine, errors) = Engine::compile(&set, &mapping::reader_mappings().unwrap());
    assert!(errors.is_empty(), "{errors:?}");
    let report = hunt(&engine, logs, &HuntOptions::default(), &|_, _| {});
    for f in &report.files {
        assert_eq!(f.failed, 0, "{}: {:?}", f.path, f.failures);
        assert!(f.skipped.is_none() && f.events > 0, "{f:?}");
    }
    report.detections
}

fn records(ds: &[Detection], title: &str) -> Vec<u64> {
    ds.iter()
        .filter(|d| d.rule_title == title)
        .filter_map(|d| match d.sources.first().map(|s| s.record) {
            Some(RecordRef::EvtxRecord(n) | RecordRef::Line(n)) => Some(n),
            _ => None,
        })
        .collect()
}

#[test]
fn padded_logon_process_name_matches_as_written() {
    // 4624's LogonProcessName is "NtLmSsp " on disk; the rule writes 'NtLmSsp'.
    let ds = detections(
        &["rules/windows/builtin/security/account_management/win_security_pass_the_hash_2.yml"],
        &[fixture("security_4624_ntlm_cme.evtx")],
    );
    // The two network logons with KeyLength 0 of a named account (not ANONYMOUS LOGON).
    assert_eq!(records(&ds, "Pass the Hash Activity 2").len(), 2, "{ds:#?}");
    let mut seen = Vec::new();
    vigil_logs::read_path(
        &fixture("security_4624_ntlm_cme.evtx"),
        &vigil_logs::ReadOptions::default(),
        &mut |e| {
            if let Some(FieldValue::Str(v)) = e.fields.get("LogonProcessName") {
                seen.push(v.clone());
            }
        },
    )
    .unwrap();
    assert!(
        !seen.is_empty() && seen.iter().all(|v| v == "NtLmSsp"),
        "{seen:?}"
    );
}

#[test]
fn defender_detections_are_the_antivirus_category() {
    let rules = [
        "rules/category/antivirus/av_hacktool.yml",
        "rules/category/antivirus/av_password_dumper.yml",
    ];
    // The same records as EVTX and as evtx_dump JSON lines.
    for log in ["defender_1116_1117_threat.evtx", "defender_evtx_dump.jsonl"] {
        let ds = detections(&rules, &[fixture(log)]);
        // Mimikatz and its driver (HackTool:Win32/Mimikatz.D, HackTool:Win64/Mikatz!dha): five
        // 1116 detections and one 1117 action.
        assert_eq!(
            records(&ds, "Antivirus - Hacktool Signature").len(),
            6,
            "{log}: {ds:#?}"
        );
        assert!(
            !records(&ds, "Antivirus - Password Dumper Signature").is_empty(),
            "{log}"
        );
        for d in &ds {
            assert!(
                d.matched
                    .iter()
                    .any(|(f, v)| f == "Signature" && v.starts_with("HackTool:")),
                "{:?}",
                d.matched
            );
        }
    }
}

#[test]
fn defender_field_names_with_spaces_match_sigma_names() {
    // win_defender_config_change_exclusion_added tests `NewValue`; Defender writes "New Value".
    let ds = detections(
        &["rules/windows/builtin/windefend/win_defender_config_change_exclusion_added.yml"],
        &[fixture("defender_5007_exclusion.evtx")],
    );
    assert!(
        !records(&ds, "Windows Defender Exclusions Added").is_empty(),
        "{ds:#?}"
    );
}

#[test]
fn security_4688_integrity_level_matches_sysmon_names() {
    // The rule tests IntegrityLevel 'System' / 'S-1-16-16384'; 4688 has MandatoryLabel only.
    let ds = detections(
        &["rules/windows/process_creation/proc_creation_win_tscon_rdp_session_hijacking.yml"],
        &[fixture("security_4688_rdp_hijack.evtx")],
    );
    let hits = records(&ds, "Potential RDP Session Hijacking Activity");
    assert_eq!(hits.len(), 1, "{ds:#?}");
}

#[test]
fn sysmon_registry_key_deletion_is_registry_delete() {
    let ds = detections(
        &["rules/windows/registry/registry_delete/registry_delete_runmru.yml"],
        &[fixture("sysmon_12_runmru_deletekey.evtx")],
    );
    assert_eq!(
        records(&ds, "RunMRU Registry Key Deletion - Registry").len(),
        1,
        "{ds:#?}"
    );
}

#[test]
fn guacd_and_pkexec_syslog_lines_reach_their_sigma_services() {
    // Lines in the documented formats of guacd and pkexec (the PwnKit message is pkexec's own).
    let dir = std::env::temp_dir().join(format!("vigil-syslog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("auth.log");
    std::fs::write(
        &log,
        "2022-01-26T10:11:12.000000+00:00 web1 guacd[1220]: User \"@7a3c\" joined connection \
         \"$d4f1\" (2 users now present)\n\
         2022-01-26T10:12:13.000000+00:00 web1 pkexec[4161]: user: The value for environment \
         variable XAUTHORITY contains suspicious content [USER=root] [TTY=/dev/pts/0] \
         [CWD=/home/user] [COMMAND=GCONV_PATH=./pwnkit.so:.]\n",
    )
    .unwrap();
    let ds = detections(
        &[
            "rules/linux/builtin/guacamole/lnx_guacamole_susp_guacamole.yml",
            "rules-emerging-threats/2021/Exploits/CVE-2021-4034/lnx_auth_exploit_cve_2021_4034_pwnkit_lpe.yml",
        ],
        std::slice::from_ref(&log),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        records(&ds, "Guacamole Two Users Sharing Session Anomaly"),
        [1]
    );
    assert_eq!(records(&ds, "PwnKit Local Privilege Escalation"), [2]);
}
