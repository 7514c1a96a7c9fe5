//! Detection semantics: values, lists, maps, modifiers, keywords and conditions.

mod common;
use common::*;
use vigil_model::FieldValue;

#[test]
fn map_is_and_list_of_maps_is_or() {
    let e = engine_for("    sel:\n        A: x\n        B: y\n    condition: sel");
    assert!(fires(&e, &[("A", s("X")), ("B", s("y"))]));
    assert!(!fires(&e, &[("A", s("x"))]));
    let e = engine_for("    sel:\n        - A: x\n        - B: y\n    condition: sel");
    assert!(fires(&e, &[("B", s("y"))]));
    assert!(!fires(&e, &[("C", s("y"))]));
}

#[test]
fn value_lists_are_or_and_all_makes_and() {
    let e =
        engine_for("    sel:\n        A:\n            - x\n            - y\n    condition: sel");
    assert!(fires(&e, &[("A", s("y"))]));
    assert!(!fires(&e, &[("A", s("z"))]));
    let e = engine_for(
        "    sel:\n        A|contains|all:\n            - foo\n            - bar\n    condition: sel",
    );
    assert!(fires(&e, &[("A", s("xxBARxxfoo"))]));
    assert!(!fires(&e, &[("A", s("foo only"))]));
}

#[test]
fn case_insensitive_by_default_cased_modifier() {
    let e = engine_for("    sel:\n        A: 'C:\\Windows\\cmd.exe'\n    condition: sel");
    assert!(fires(&e, &[("A", s("c:\\windows\\CMD.EXE"))]));
    let e = engine_for("    sel:\n        A|cased: Evil\n    condition: sel");
    assert!(fires(&e, &[("A", s("Evil"))]));
    assert!(!fires(&e, &[("A", s("evil"))]));
    let e = engine_for("    sel:\n        A|contains|cased: Evil\n    condition: sel");
    assert!(fires(&e, &[("A", s("xEvilx"))]));
    assert!(!fires(&e, &[("A", s("xEVILx"))]));
}

#[test]
fn wildcards_and_escapes() {
    let e = engine_for("    sel:\n        A: 'prog?.exe'\n    condition: sel");
    assert!(fires(&e, &[("A", s("progA.exe"))]));
    assert!(!fires(&e, &[("A", s("prog.exe"))]));
    let e = engine_for("    sel:\n        A: '*\\evil*.exe'\n    condition: sel");
    assert!(fires(&e, &[("A", s("C:\\x\\evil123.exe"))]));
    let e = engine_for("    sel:\n        A: 'a\\*b'\n    condition: sel");
    assert!(fires(&e, &[("A", s("a*b"))]));
    assert!(!fires(&e, &[("A", s("axxb"))]));
    let e = engine_for("    sel:\n        A|startswith: '\\\\\\\\srv'\n    condition: sel");
    assert!(fires(&e, &[("A", s("\\\\srv\\share"))]));
    assert!(!fires(&e, &[("A", s("\\srv"))]));
}

#[test]
fn startswith_endswith_contains() {
    let e = engine_for(
        "    sel:\n        A|startswith: pre\n        B|endswith: '.exe'\n        C|contains: mid\n    condition: sel",
    );
    assert!(fires(
        &e,
        &[("A", s("PREfix")), ("B", s("x.EXE")), ("C", s("xxMIDxx"))]
    ));
    assert!(!fires(
        &e,
        &[("A", s("xpre")), ("B", s("x.exe")), ("C", s("mid"))]
    ));
    assert!(!fires(
        &e,
        &[("A", s("pre")), ("B", s("x.exe2")), ("C", s("mid"))]
    ));
}

#[test]
fn many_contains_values_use_the_prefilter_and_stay_exact() {
    let vals: Vec<String> = (0..50)
        .map(|i| format!("            - needle{i}x"))
        .collect();
    let e = engine_for(&format!(
        "    sel:\n        A|contains:\n{}\n    condition: sel",
        vals.join("\n")
    ));
    assert!(fires(&e, &[("A", s("aaa NEEDLE42X bbb"))]));
    assert!(!fires(&e, &[("A", s("needle42"))]));
    assert!(!fires(&e, &[("B", s("needle1x"))]));
}

#[test]
fn numbers_match_numbers_and_text() {
    let e = engine_for("    sel:\n        EventID: 4688\n    condition: sel");
    assert!(fires(&e, &[("EventID", FieldValue::Int(4688))]));
    assert!(fires(&e, &[("EventID", s("4688"))]));
    assert!(!fires(&e, &[("EventID", FieldValue::Int(4689))]));
    let e = engine_for("    sel:\n        EventID: '4688'\n    condition: sel");
    assert!(fires(&e, &[("EventID", FieldValue::Int(4688))]));
}

#[test]
fn null_empty_and_exists() {
    let e = engine_for("    sel:\n        A: x\n    f:\n        B: null\n    condition: sel and f");
    assert!(fires(&e, &[("A", s("x"))]));
    assert!(fires(&e, &[("A", s("x")), ("B", FieldValue::Null)]));
    assert!(!fires(&e, &[("A", s("x")), ("B", s(""))]));
    let e = engine_for("    sel:\n        B: ''\n    condition: sel");
    assert!(fires(&e, &[("B", s(""))]));
    assert!(!fires(&e, &[]));
    let e = engine_for("    sel:\n        B|exists: true\n    condition: sel");
    assert!(fires(&e, &[("B", FieldValue::Null)]));
    assert!(!fires(&e, &[("C", s("1"))]));
    let e = engine_for("    sel:\n        B|exists: false\n    condition: sel");
    assert!(fires(&e, &[("C", s("1"))]));
    assert!(!fires(&e, &[("B", s(""))]));
}

#[test]
fn booleans_and_lists_in_events() {
    let e = engine_for("    sel:\n        Enabled: true\n    condition: sel");
    assert!(fires(&e, &[("Enabled", FieldValue::Bool(true))]));
    assert!(fires(&e, &[("Enabled", s("True"))]));
    assert!(!fires(&e, &[("Enabled", FieldValue::Bool(false))]));
    let e = engine_for("    sel:\n        Tags|contains: evil\n    condition: sel");
    assert!(fires(
        &e,
        &[("Tags", FieldValue::List(vec![s("good"), s("very EVIL")]))]
    ));
}

#[test]
fn neq() {
    let e = engine_for("    sel:\n        A: x\n        B|neq: admin\n    condition: sel");
    assert!(fires(&e, &[("A", s("x")), ("B", s("user"))]));
    assert!(!fires(&e, &[("A", s("x")), ("B", s("ADMIN"))]));
    let e = engine_for(
        "    sel:\n        B|neq|all:\n            - a\n            - b\n    condition: sel",
    );
    assert!(fires(&e, &[("B", s("c"))]));
    assert!(!fires(&e, &[("B", s("b"))]));
}

#[test]
fn windash() {
    let e =
        engine_for("    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel");
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        assert!(
            fires(
                &e,
                &[("CommandLine", s(&format!("powershell {dash}enc AAAA")))]
            ),
            "{dash}"
        );
    }
    assert!(!fires(&e, &[("CommandLine", s("powershell +enc AAAA"))]));
}

#[test]
fn regex_and_flags() {
    let e = engine_for("    sel:\n        A|re: '^cmd\\.exe /c [a-z]+$'\n    condition: sel");
    assert!(fires(&e, &[("A", s("cmd.exe /c whoami"))]));
    assert!(!fires(&e, &[("A", s("CMD.EXE /c whoami"))]));
    let e = engine_for("    sel:\n        A|re|i: '^cmd\\.exe'\n    condition: sel");
    assert!(fires(&e, &[("A", s("CMD.EXE /c"))]));
    let e = engine_for("    sel:\n        A|re|m: '^two$'\n    condition: sel");
    assert!(fires(&e, &[("A", s("one\ntwo\nthree"))]));
    let e = engine_for("    sel:\n        A|re: '^two$'\n    condition: sel");
    assert!(!fires(&e, &[("A", s("one\ntwo\nthree"))]));
    // PCRE classes: `\\w{1,64}` stays within the size limit; non-ASCII needs Unicode mode.
    let e = engine_for(
        "    sel:\n        A|re: '-k\\s\\w{1,64}(?:\\s?(?:-p|-s))?'\n    condition: sel",
    );
    assert!(fires(&e, &[("A", s("svchost.exe -k netsvcs -p"))]));
    assert!(!fires(&e, &[("A", s("svchost.exe"))]));
    let e = engine_for("    sel:\n        A|re: '^[äö]x$'\n    condition: sel");
    assert!(fires(&e, &[("A", s("äx"))]));
    let e = engine_for("    sel:\n        A|re|s: 'one.two'\n    condition: sel");
    assert!(fires(&e, &[("A", s("one\ntwo"))]));
    let e = engine_for("    sel:\n        A|re: 'one.two'\n    condition: sel");
    assert!(!fires(&e, &[("A", s("one\ntwo"))]));
}

#[test]
fn base64_and_base64offset_and_wide() {
    let e = engine_for("    sel:\n        A|base64: 'foo'\n    condition: sel");
    assert!(fires(&e, &[("A", s("Zm9v"))]));
    assert!(!fires(&e, &[("A", s("foo"))]));
    let e = engine_for(
        "    sel:\n        A|base64offset|contains: 'IEX (New-Object'\n    condition: sel",
    );
    for pre in ["", "x", "xy", "xyz"] {
        let blob = b64(format!("{pre}IEX (New-Object Net.WebClient)").as_bytes());
        assert!(
            fires(&e, &[("A", s(&format!("powershell -e {blob}")))]),
            "{pre}"
        );
    }
    assert!(!fires(&e, &[("A", s(&b64(b"Get-ChildItem")))]));
    let e =
        engine_for("    sel:\n        A|wide|base64offset|contains: 'ping'\n    condition: sel");
    let wide: Vec<u8> = "cmd /c ping"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(fires(&e, &[("A", s(&b64(&wide)))]));
    let e = engine_for("    sel:\n        A|utf16le|base64: 'cmd'\n    condition: sel");
    assert!(fires(&e, &[("A", s("YwBtAGQA"))]));
    let e = engine_for("    sel:\n        A|utf16be|base64: 'cmd'\n    condition: sel");
    assert!(fires(&e, &[("A", s("AGMAbQBk"))]));
    let e = engine_for("    sel:\n        A|utf16|base64: 'cmd'\n    condition: sel");
    assert!(fires(&e, &[("A", s("//5jAG0AZAA="))]));
    let e = engine_for("    sel:\n        A|wide|contains: 'ab'\n    condition: sel");
    assert!(fires(&e, &[("A", s("xa\0b\0x"))]));
}

fn b64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[test]
fn numeric_comparisons() {
    let e = engine_for("    sel:\n        Size|gt: 100\n        Size|lte: 200\n    condition: sel");
    assert!(fires(&e, &[("Size", FieldValue::Int(150))]));
    assert!(fires(&e, &[("Size", s("200"))]));
    assert!(!fires(&e, &[("Size", FieldValue::Int(100))]));
    assert!(!fires(&e, &[("Size", FieldValue::Float(200.5))]));
    assert!(!fires(&e, &[("Size", s("big"))]));
    let e = engine_for("    sel:\n        Size|lt: 10\n    condition: sel");
    assert!(fires(&e, &[("Size", FieldValue::Float(9.5))]));
    let e = engine_for("    sel:\n        Size|gte: 10\n    condition: sel");
    assert!(fires(&e, &[("Size", FieldValue::Int(10))]));
    assert!(!fires(&e, &[("Size", FieldValue::Int(9))]));
}

#[test]
fn time_modifiers() {
    let e = engine_for("    sel:\n        Time|hour|gte: 22\n    condition: sel");
    assert!(fires(&e, &[("Time", s("2021-08-07T23:15:00Z"))]));
    assert!(!fires(&e, &[("Time", s("2021-08-07 10:15:00"))]));
    let e = engine_for(
        "    sel:\n        Time|minute: 15\n        Time|day: 7\n        Time|month: 8\n        Time|year: 2021\n        Time|week: 31\n    condition: sel",
    );
    assert!(fires(&e, &[("Time", s("2021-08-07 10:15:00.123"))]));
    assert!(!fires(&e, &[("Time", s("2021-08-08 10:15:00"))]));
    assert!(!fires(&e, &[("Time", s("not a time"))]));
}

#[test]
fn cidr_v4_v6() {
    let e = engine_for(
        "    sel:\n        Ip|cidr:\n            - 10.0.0.0/8\n            - 'fd00::/8'\n    condition: sel",
    );
    assert!(fires(&e, &[("Ip", s("10.20.30.40"))]));
    assert!(fires(&e, &[("Ip", s("fd12::1"))]));
    assert!(!fires(&e, &[("Ip", s("192.168.0.1"))]));
    assert!(!fires(&e, &[("Ip", s("fe80::1"))]));
}

#[test]
fn fieldref_and_its_combinations() {
    let e = engine_for("    sel:\n        User|fieldref: Target\n    condition: sel");
    assert!(fires(&e, &[("User", s("Bob")), ("Target", s("bob"))]));
    assert!(!fires(&e, &[("User", s("Bob")), ("Target", s("alice"))]));
    assert!(!fires(&e, &[("User", s("Bob"))]));
    let e = engine_for("    sel:\n        Image|fieldref|endswith: Name\n    condition: sel");
    assert!(fires(
        &e,
        &[("Image", s("C:\\x\\evil.exe")), ("Name", s("evil.exe"))]
    ));
    let e = engine_for("    sel:\n        User|fieldref|neq: Target\n    condition: sel");
    assert!(fires(&e, &[("User", s("a")), ("Target", s("b"))]));
    assert!(!fires(&e, &[("User", s("a")), ("Target", s("A"))]));
    let e = engine_for("    sel:\n        User|fieldref|cased: Target\n    condition: sel");
    assert!(!fires(&e, &[("User", s("a")), ("Target", s("A"))]));
}

#[test]
fn expand_placeholders_from_the_loader() {
    let text = "title: T\nlogsource:\n    product: test\ndetection:\n    sel:\n        User|expand: '%Admins%'\n    condition: sel\n";
    let (_, errs) = vigil_sigma::parse_rules_str(text, "t.yml");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].to_string().contains("%Admins%"), "{}", errs[0]);
    let mut opts = vigil_sigma::LoadOptions::default();
    opts.placeholders
        .insert("Admins".into(), vec!["root".into(), "adm_*".into()]);
    let (set, errs) = vigil_sigma::parse_rules_str_with(text, "t.yml", &opts);
    assert!(errs.is_empty());
    let (eng, _) = vigil_sigma::Engine::compile(&set, &vigil_sigma::Mappings::new());
    assert!(fires(&eng, &[("User", s("adm_bob"))]));
    assert!(fires(&eng, &[("User", s("ROOT"))]));
    assert!(!fires(&eng, &[("User", s("bob"))]));
}

#[test]
fn keywords_search_all_fields_and_raw() {
    let e = engine_for(
        "    keywords:\n        - 'New-MailboxExportRequest'\n        - 'evil*thing'\n    condition: keywords",
    );
    assert!(fires(&e, &[("Payload", s("x new-mailboxexportrequest y"))]));
    assert!(fires(&e, &[("Other", s("an EVIL little thing"))]));
    assert!(!fires(&e, &[("Payload", s("Get-Mailbox"))]));
    let mut ev = event(("test", "", ""), &[]);
    ev.raw = Some("line with New-MailboxExportRequest inside".into());
    let mut out = Vec::new();
    e.matches(&ev, &mut out);
    assert_eq!(out.len(), 1);
}

/// Fields that are pieces of the record's raw text are not scanned for keywords a second time;
/// what only a field holds, or only a field's own lowercase form, is still found.
#[test]
fn keywords_in_fields_beside_the_raw_text() {
    let e = engine_for(
        "    keywords:\n        - 'authentication failed'\n        - 'δος'\n    condition: keywords",
    );
    let hit = |raw: &str, fields: &[(&str, FieldValue)]| {
        let mut ev = event(("test", "", ""), fields);
        ev.raw = Some(raw.into());
        let mut out = Vec::new();
        e.matches(&ev, &mut out);
        !out.is_empty()
    };
    assert!(hit(
        "sasl warning",
        &[("action", s("Authentication FAILED"))]
    ));
    assert!(hit(
        "SASL LOGIN Authentication failed: x",
        &[("method", s("LOGIN")), ("what", s("Authentication failed"))]
    ));
    assert!(!hit(
        "SASL LOGIN authentication passed",
        &[("method", s("LOGIN")), ("what", s("authentication passed"))]
    ));
    // "ΟΔΟΣ" is a piece of "ΟΔΟΣΑ", yet lowercases with a final sigma ("οδος") where the whole
    // text has a medial one ("οδοσα"): the field must be scanned on its own.
    assert!(hit("ΟΔΟΣΑ", &[("name", s("ΟΔΟΣ"))]));
    assert!(!hit("ΟΔΟΣΑ", &[("name", s("ΟΔΟΣΑ"))]));
}

/// A keyword hit in a long record is cited by the words around it, not by the whole record.
#[test]
fn keyword_evidence_is_the_words_around_the_hit() {
    let e =
        engine_for("    keywords:\n        - 'New-MailboxExportRequest'\n    condition: keywords");
    let mut ev = event(("test", "", ""), &[]);
    let filler = "x".repeat(500);
    ev.raw = Some(
        format!("{{\n  \"EventRecordID\": 7,\n  \"Payload\": \"{filler} new-mailboxexportrequest -Mailbox j.doe {filler}\"\n}}")
            .into(),
    );
    let mut out = Vec::new();
    e.matches(&ev, &mut out);
    let matched = &out[0].matched;
    let (_, cited) = matched.iter().find(|(k, _)| k == "keywords").unwrap();
    assert!(
        cited.contains("new-mailboxexportrequest -Mailbox j.doe"),
        "{cited}"
    );
    assert!(
        !cited.contains("EventRecordID") && !cited.contains('\n'),
        "{cited}"
    );
    assert!(cited.starts_with('…') && cited.ends_with('…'), "{cited}");
    assert!(cited.chars().count() < 200, "{cited}");
}

#[test]
fn keywords_all() {
    let e = engine_for(
        "    kw:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    condition: kw",
    );
    assert!(fires(
        &e,
        &[("Payload", s("Set-OabVirtualDirectory -ExternalUrl 'x'"))]
    ));
    assert!(fires(
        &e,
        &[
            ("A", s("set-oabvirtualdirectory")),
            ("B", s("a -externalurl b"))
        ]
    ));
    assert!(!fires(
        &e,
        &[("Payload", s("Set-OabVirtualDirectory -Identity x"))]
    ));
    // Many keywords: the Aho-Corasick path.
    let kws: Vec<String> = (0..20).map(|i| format!("        - 'kw{i}z'")).collect();
    let e = engine_for(&format!(
        "    keywords:\n{}\n    condition: keywords",
        kws.join("\n")
    ));
    assert!(fires(&e, &[("P", s("xx KW17Z xx"))]));
    assert!(!fires(&e, &[("P", s("kw17"))]));
}

#[test]
fn conditions_of_every_form() {
    let det = "    selection_a:\n        A: 1\n    selection_b:\n        B: 1\n    filter:\n        C: 1\n    _aux:\n        D: 1\n";
    let e = engine_for(&format!(
        "{det}    condition: 1 of selection_* and not filter"
    ));
    assert!(fires(&e, &[("B", s("1"))]));
    assert!(!fires(&e, &[("B", s("1")), ("C", s("1"))]));
    let e = engine_for(&format!("{det}    condition: all of selection_*"));
    assert!(fires(&e, &[("A", s("1")), ("B", s("1"))]));
    assert!(!fires(&e, &[("A", s("1"))]));
    let e = engine_for(&format!("{det}    condition: 1 of them"));
    assert!(!fires(&e, &[("D", s("1"))]));
    assert!(fires(&e, &[("C", s("1"))]));
    let e = engine_for(&format!("{det}    condition: all of them"));
    assert!(fires(&e, &[("A", s("1")), ("B", s("1")), ("C", s("1"))]));
    let e = engine_for(&format!("{det}    condition: 2 of them"));
    assert!(fires(&e, &[("A", s("1")), ("C", s("1"))]));
    assert!(!fires(&e, &[("A", s("1")), ("D", s("1"))]));
    let e = engine_for(&format!(
        "{det}    condition: (selection_a or selection_b) and not (filter or _aux)"
    ));
    assert!(fires(&e, &[("A", s("1"))]));
    assert!(!fires(&e, &[("A", s("1")), ("D", s("1"))]));
    let e = engine_for(&format!(
        "{det}    condition:\n        - selection_a and filter\n        - _aux"
    ));
    assert!(fires(&e, &[("D", s("1"))]));
    assert!(fires(&e, &[("A", s("1")), ("C", s("1"))]));
    assert!(!fires(&e, &[("A", s("1"))]));
}

#[test]
fn matched_fields_are_reported() {
    let e = engine_for(
        "    sel:\n        Image|endswith: '\\cmd.exe'\n        CommandLine|contains: whoami\n    filter:\n        User: admin\n    condition: sel and not filter",
    );
    let ev = event(
        ("test", "", ""),
        &[
            ("Image", s("C:\\Windows\\cmd.exe")),
            ("CommandLine", s("cmd /c whoami")),
            ("User", s("bob")),
        ],
    );
    let mut out = Vec::new();
    e.matches(&ev, &mut out);
    assert_eq!(out.len(), 1);
    let d = &out[0];
    assert_eq!(d.rule_id, "t1");
    assert_eq!(d.level, vigil_model::Level::High);
    assert_eq!(d.host.as_deref(), Some("host1"));
    assert_eq!(d.sources[0].file, "test.log");
    assert!(
        d.matched
            .contains(&("Image".into(), "C:\\Windows\\cmd.exe".into()))
    );
    assert!(
        d.matched
            .contains(&("CommandLine".into(), "cmd /c whoami".into()))
    );
    assert!(!d.matched.iter().any(|(k, _)| k == "User"));
}

#[test]
fn rule_errors_name_the_path_and_reason() {
    assert!(
        parse_error("    sel:\n        A|nope: x\n    condition: sel")
            .contains("detection.sel.A|nope: unknown modifier 'nope'")
    );
    assert!(
        parse_error("    sel:\n        A: x\n    condition: sel and other")
            .contains("unknown search identifier 'other'")
    );
    assert!(
        parse_error("    sel:\n        A: x\n    condition: sel | count() > 5")
            .contains("correlation")
    );
    assert!(
        parse_error("    sel:\n        A:\n            b: c\n    condition: sel")
            .contains("nested structure")
    );
    assert!(
        parse_error("    sel:\n        A|re: '(unclosed'\n    condition: sel")
            .contains("invalid regular expression")
    );
    assert!(parse_error("    sel:\n        A: x\n").contains("missing 'condition'"));
}
