//! Micro-benchmark: events per second through ~2000 synthetic rules (plus, when
//! `VIGIL_SHARED_DATA` is set, the real SigmaHQ tree). Ignored by default:
//! `cargo test -p vigil-sigma --test bench -- --ignored --nocapture` (use `--release` for real numbers).

mod common;
use common::*;
use std::time::Instant;
use vigil_sigma::{Engine, LoadOptions, Mappings, RuleSet, load_rules, parse_rules_str};

fn synthetic_rules(n: usize) -> RuleSet {
    let mut text = String::new();
    for i in 0..n {
        let det = match i % 5 {
            0 => format!("    sel:\n        Image|endswith: '\\tool{i}.exe'\n    condition: sel"),
            1 => format!(
                "    sel:\n        CommandLine|contains:\n            - ' -flag{i} '\n            - 'payload{i}'\n            - 'http://bad{i}.example'\n    filter:\n        User: 'SYSTEM'\n    condition: sel and not filter"
            ),
            2 => format!(
                "    sel_img:\n        Image|endswith: '\\powershell.exe'\n    sel_cli:\n        CommandLine|contains|all:\n            - 'invoke{i}'\n            - 'bypass'\n    condition: all of sel_*"
            ),
            3 => format!(
                "    sel:\n        ParentImage|endswith: '\\w3wp.exe'\n        CommandLine|contains|windash: ' -enc{i} '\n    condition: sel"
            ),
            _ => {
                format!("    sel:\n        CommandLine|re: 'x{i}[a-z]+\\.dll'\n    condition: sel")
            }
        };
        text.push_str(&format!(
            "title: R{i}\nid: r{i}\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n{det}\nlevel: medium\n---\n"
        ));
    }
    let (set, errs) = parse_rules_str(&text, "bench.yml");
    assert!(errs.is_empty(), "{:?}", errs.first());
    set
}

fn events(n: usize) -> Vec<vigil_model::Event> {
    (0..n)
        .map(|i| {
            event(("windows", "process_creation", ""), &[
                ("Image", s(&format!("C:\\Windows\\System32\\prog{}.exe", i % 97))),
                ("ParentImage", s("C:\\Windows\\explorer.exe")),
                ("CommandLine", s(&format!(
                    "\"C:\\Program Files\\App\\prog{}.exe\" --config C:\\ProgramData\\App\\settings-{}.json --log-level info --user-agent Mozilla/5.0 --token {}",
                    i % 97, i % 13, i * 7919
                ))),
                ("User", s("CORP\\alice")),
                ("ProcessId", vigil_model::FieldValue::Int(i as i64)),
            ])
        })
        .collect()
}

fn measure(label: &str, eng: &Engine, evs: &[vigil_model::Event]) {
    let start = Instant::now();
    let mut hits = 0usize;
    let mut out = Vec::new();
    for ev in evs {
        out.clear();
        eng.matches(ev, &mut out);
        hits += out.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {} rules, {} events in {:.3}s = {:.0} events/s ({} detections)",
        eng.rule_count(),
        evs.len(),
        secs,
        evs.len() as f64 / secs,
        hits
    );
}

#[test]
#[ignore]
fn events_per_second() {
    let set = synthetic_rules(2000);
    let t = Instant::now();
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(errs.is_empty());
    println!(
        "compiled 2000 synthetic rules in {:.3}s",
        t.elapsed().as_secs_f64()
    );
    let evs = events(20_000);
    measure("synthetic", &eng, &evs);
    if let Ok(root) = std::env::var("VIGIL_SHARED_DATA") {
        let root = std::path::PathBuf::from(root);
        let t = Instant::now();
        let (set, _) = load_rules(&[root.join("sigma/rules")], &LoadOptions::default());
        let (eng, _) = Engine::compile(&set, &Mappings::new());
        println!(
            "loaded+compiled SigmaHQ rules in {:.3}s",
            t.elapsed().as_secs_f64()
        );
        measure("sigmahq process_creation", &eng, &evs);
    }
}
