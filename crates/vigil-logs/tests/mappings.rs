//! Every mapping target must be a field the reader really produces on its fixtures.

mod common;

use common::fixture;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use vigil_logs::{Format, ReadOptions};

#[derive(Deserialize)]
#[serde(untagged)]
enum Target {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Mapping {
    fields: BTreeMap<String, Target>,
}

fn fixtures_of(format: Format) -> &'static [&'static str] {
    match format {
        Format::Evtx => &[
            "sysmon_1_revshell.evtx",
            "system_104_log_cleared.evtx",
            "security_4688_rdp_hijack.evtx",
        ],
        Format::WinJson => &["otrf_proxylogon_sample.json", "winlogbeat_sample.ndjson"],
        Format::W3c => &[
            "u_ex190903_tunna.log",
            "u_ex210812_exchange_synthetic.log",
            "ex960101.log",
        ],
        Format::ExchangeCsv => &["HttpProxy/Autodiscover/HttpProxy_2021081223-1.LOG"],
        Format::Syslog => &[
            "mail_server_synthetic.log",
            "postfix.log",
            "dovecot.log",
            "sshd.log",
        ],
        Format::Access => &[
            "tomcat_access_log_webshell.txt",
            "nginx_access_combined.log",
        ],
        Format::Jsonl => &[],
    }
}

#[test]
fn mapping_targets_exist_in_reader_output() {
    for format in Format::ALL {
        let text = vigil_logs::field_mapping(format);
        assert!(
            text.starts_with("# Sigma field name: event field name"),
            "{format}"
        );
        let mapping: Mapping =
            yaml_serde::from_str(text).unwrap_or_else(|e| panic!("{format}: {e}"));
        let mut produced = BTreeSet::new();
        for name in fixtures_of(format) {
            let stats = vigil_logs::read_file_as(
                &fixture(name),
                format,
                &ReadOptions::default(),
                &mut |e| {
                    produced.extend(e.fields.keys().cloned());
                },
            )
            .unwrap();
            assert!(stats.events > 0, "{name}");
        }
        for (sigma, target) in &mapping.fields {
            let targets = match target {
                Target::One(t) => vec![t.clone()],
                Target::Many(ts) => ts.clone(),
            };
            for t in targets {
                assert!(
                    produced.contains(&t),
                    "{format}: {sigma} -> {t}: not produced"
                );
            }
        }
        if format != Format::Jsonl {
            assert!(!mapping.fields.is_empty(), "{format}");
        }
    }
}
