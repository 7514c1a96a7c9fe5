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
    #[serde(default)]
    logsource: Option<BTreeMap<String, String>>,
    fields: BTreeMap<String, Target>,
}

fn fixtures_of(format: Format) -> &'static [&'static str] {
    match format {
        Format::Evtx => &[
            "sysmon_1_revshell.evtx",
            "system_104_log_cleared.evtx",
            "security_4688_rdp_hijack.evtx",
            "defender_1116_1117_threat.evtx",
            "defender_5007_exclusion.evtx",
        ],
        Format::WinJson => &[
            "otrf_proxylogon_sample.json",
            "winlogbeat_sample.ndjson",
            "defender_evtx_dump.jsonl",
        ],
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
        // Fields produced per event log source, so that an overlay's targets are checked on the
        // events it applies to.
        let mut produced: BTreeSet<String> = BTreeSet::new();
        let mut by_source: Vec<(vigil_model::LogSource, BTreeSet<String>)> = Vec::new();
        for name in fixtures_of(format) {
            let stats = vigil_logs::read_file_as(
                &fixture(name),
                format,
                &ReadOptions::default(),
                &mut |e| {
                    produced.extend(e.fields.keys().cloned());
                    match by_source.iter_mut().find(|(ls, _)| *ls == e.logsource) {
                        Some((_, set)) => set.extend(e.fields.keys().cloned()),
                        None => by_source
                            .push((e.logsource.clone(), e.fields.keys().cloned().collect())),
                    }
                },
            )
            .unwrap();
            assert!(stats.events > 0, "{name}");
        }
        check_targets(format, "base", &mapping, &produced);
        for overlay in vigil_logs::field_mapping_overlays(format) {
            assert!(overlay.starts_with("# Sigma field name: event field name"));
            let m: Mapping = yaml_serde::from_str(overlay).unwrap();
            let sel = m.logsource.clone().expect("an overlay names its logsource");
            let applies = |ls: &vigil_model::LogSource| {
                sel.iter().all(|(k, v)| {
                    let have = match k.as_str() {
                        "product" => &ls.product,
                        "category" => &ls.category,
                        "service" => &ls.service,
                        other => panic!("{format}: unknown logsource key {other}"),
                    };
                    have.as_deref() == Some(v.as_str())
                })
            };
            let fields: BTreeSet<String> = by_source
                .iter()
                .filter(|(ls, _)| applies(ls))
                .flat_map(|(_, f)| f.iter().cloned())
                .collect();
            assert!(!fields.is_empty(), "{format}: no fixture event for {sel:?}");
            check_targets(format, &format!("{sel:?}"), &m, &fields);
        }
        if format != Format::Jsonl {
            assert!(!mapping.fields.is_empty(), "{format}");
        }
    }
}

fn check_targets(format: Format, which: &str, mapping: &Mapping, produced: &BTreeSet<String>) {
    for (sigma, target) in &mapping.fields {
        let targets = match target {
            Target::One(t) => vec![t.clone()],
            Target::Many(ts) => ts.clone(),
        };
        for t in targets {
            assert!(
                produced.contains(&t),
                "{format} ({which}): {sigma} -> {t}: not produced"
            );
        }
    }
}
