//! A committed subset of real SigmaHQ and Hayabusa rules (DRL-1.1, see fixtures/LICENSES.md):
//! all must parse and compile, and the Exchange rules must fire on realistic events.

mod common;
use common::*;
use std::path::PathBuf;
use vigil_model::FieldValue;
use vigil_sigma::{Correlator, Engine, FieldMapping, LoadOptions, Mappings, load_rules};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load() -> (Engine, usize) {
    let (set, errs) = load_rules(
        &[fixtures().join("sigmahq"), fixtures().join("hayabusa")],
        &LoadOptions::default(),
    );
    assert!(errs.is_empty(), "{errs:#?}");
    let n = set.rules.len();
    let (eng, errs) = Engine::compile(&set, &Mappings::new());
    assert!(errs.is_empty(), "{errs:#?}");
    (eng, n)
}

#[test]
fn every_fixture_rule_parses_and_compiles() {
    let (eng, n) = load();
    assert_eq!(n, 32, "31 SigmaHQ rules + the Hayabusa base rule");
    assert_eq!(eng.rule_count(), 32);
    assert_eq!(eng.correlation_count(), 1);
    let meta = eng
        .rule_meta("23eee45e-933b-49f9-ae1b-df706d2d52ef")
        .unwrap();
    assert_eq!(
        meta.author.as_deref(),
        Some("Florian Roth (Nextron Systems), Rich Warren")
    );
}

fn ids(eng: &Engine, ev: &vigil_model::Event) -> Vec<String> {
    let mut out = Vec::new();
    eng.matches(ev, &mut out);
    out.into_iter().map(|d| d.rule_id).collect()
}

#[test]
fn proxyshell_request_in_an_iis_log() {
    let (eng, _) = load();
    let uri = "/autodiscover/autodiscover.json?@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.com";
    let attempt = event(
        ("windows", "webserver", ""),
        &[
            ("cs-method", s("POST")),
            ("cs-uri-query", s(uri)),
            ("sc-status", FieldValue::Int(401)),
        ],
    );
    let got = ids(&eng, &attempt);
    assert!(
        got.contains(&"23eee45e-933b-49f9-ae1b-df706d2d52ef".to_string()),
        "{got:?}"
    );
    let success = event(
        ("windows", "webserver", ""),
        &[("cs-uri-query", s(uri)), ("sc-status", s("200"))],
    );
    let got = ids(&eng, &success);
    assert!(
        got.contains(&"992be1eb-e5da-437e-9a54-6d13b57bb4d8".to_string()),
        "{got:?}"
    );
    let benign = event(
        ("windows", "webserver", ""),
        &[
            ("cs-uri-query", s("/owa/auth/logon.aspx")),
            ("sc-status", s("200")),
        ],
    );
    assert!(ids(&eng, &benign).is_empty());
}

#[test]
fn proxyshell_with_a_field_mapping_for_raw_iis_fields() {
    // Raw IIS puts the path in cs-uri-stem; a reader that builds the full URI maps it.
    let (set, _) = load_rules(&[fixtures().join("sigmahq")], &LoadOptions::default());
    let mut maps = Mappings::new();
    maps.add(
        FieldMapping::from_yaml(
            "logsource: {category: webserver}\nfields:\n  cs-uri-query: uri_full\n",
        )
        .unwrap(),
    );
    let (eng, _) = Engine::compile(&set, &maps);
    let ev = event(
        ("windows", "webserver", ""),
        &[
            (
                "uri_full",
                s("/autodiscover/autodiscover.json?@x.com/powershell/?X-Rps-CAT=abc"),
            ),
            ("sc-status", FieldValue::Int(200)),
        ],
    );
    assert!(ids(&eng, &ev).contains(&"992be1eb-e5da-437e-9a54-6d13b57bb4d8".to_string()));
}

#[test]
fn exchange_management_keyword_rules() {
    let (eng, _) = load();
    let export = event(
        ("windows", "", "msexchange-management"),
        &[(
            "Data",
            s(
                "New-MailboxExportRequest -Mailbox \"admin@corp.local\" -FilePath \"\\\\127.0.0.1\\C$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx\"",
            ),
        )],
    );
    assert!(ids(&eng, &export).contains(&"516376b4-05cd-4122-bae0-ad7641c38d48".to_string()));
    let oab = event(
        ("windows", "", "msexchange-management"),
        &[(
            "Data",
            s(
                "Set-OabVirtualDirectory -ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"x\"],\"unsafe\");}</script>'",
            ),
        )],
    );
    let got = ids(&eng, &oab);
    assert!(
        got.contains(&"550d3350-bb8a-4ff3-9533-2ba533f4a1c0".to_string()),
        "{got:?}"
    );
    let benign = event(
        ("windows", "", "msexchange-management"),
        &[("Data", s("Get-Mailbox -Identity bob"))],
    );
    assert!(ids(&eng, &benign).is_empty());
}

#[test]
fn hayabusa_user_guessing_correlation() {
    let (eng, _) = load();
    let mut c = Correlator::new(&eng);
    let mut out = Vec::new();
    for (i, user) in ["alice", "bob", "carol", "dave"].iter().enumerate() {
        let ev = at(
            event(
                ("windows", "", "security"),
                &[
                    ("Channel", s("Security")),
                    ("EventID", FieldValue::Int(4625)),
                    ("SubStatus", s("0xc0000064")),
                    ("IpAddress", s("192.0.2.7")),
                    ("LogonType", s("3")),
                    ("TargetDomainName", s("CORP")),
                    ("ProcessName", s("-")),
                    ("LogonProcessName", s("NtLmSsp")),
                    ("WorkstationName", s("KALI")),
                    ("TargetUserName", s(user)),
                ],
            ),
            i as i64 * 10,
            i as u64 + 1,
        );
        let mut all = Vec::new();
        eng.all_matches(&ev, &mut all);
        assert_eq!(all.len(), 1);
        let mut reported = Vec::new();
        eng.matches(&ev, &mut reported);
        assert!(
            reported.is_empty(),
            "the base rule is a correlation building block"
        );
        c.feed(&ev, &all, &mut out);
    }
    c.finish(&mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].rule_id, "0ae09af3-f30f-47c2-a31c-83e0b918eeee");
    assert_eq!(out[0].sources.len(), 4);
}
