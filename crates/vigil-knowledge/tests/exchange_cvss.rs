//! The embedded Exchange build table and CVSS base scoring.

use vigil_knowledge::cvss::{self, CvssVersion};
use vigil_knowledge::exchange::{BuildNumber, ExchangeTable};
use vigil_model::{Severity, SeverityScore};

#[test]
fn embedded_table_is_complete_and_ordered() {
    let t = ExchangeTable::embedded();
    let n = t.builds().count();
    assert!(n > 250, "{n} builds");
    let products: std::collections::BTreeSet<_> = t.builds().map(|b| b.product.as_str()).collect();
    assert!(products.contains("Exchange Server 2013"));
    assert!(products.contains("Exchange Server 2016"));
    assert!(products.contains("Exchange Server 2019"));
    let numbers: Vec<BuildNumber> = t.builds().map(|b| b.build.parse().unwrap()).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "builds unique and sorted"
    );
}

#[test]
fn proxyshell_era_builds() {
    let t = ExchangeTable::embedded();
    let cu8 = t.lookup("15.2.792.3").unwrap();
    assert!(cu8.exact);
    assert_eq!(cu8.entry.display_name(), "Exchange Server 2019 CU8");
    assert_eq!(cu8.entry.su, None);
    assert_eq!(cu8.entry.release_date.to_string(), "2020-12-15");

    let apr = t.lookup("15.02.0792.013").unwrap();
    assert_eq!(apr.entry.display_name(), "Exchange Server 2019 CU8 Apr21SU");
    assert_eq!(apr.entry.release_date.to_string(), "2021-04-13");
    assert_eq!(apr.entry.kb.as_deref(), Some("5001779"));
    assert!(!apr.entry.released_estimated);

    // A server on plain CU8 misses every security update released for CU8.
    let missing: Vec<_> = t
        .later_security_updates("15.2.792.3")
        .iter()
        .map(|b| b.su.clone().unwrap())
        .collect();
    assert_eq!(missing, ["Feb21SU", "Mar21SU", "Apr21SU", "May21SU"]);
    let after_march: Vec<_> = t
        .later_security_updates("15.2.792.10")
        .iter()
        .map(|b| b.build.clone())
        .collect();
    assert_eq!(after_march, ["15.2.792.13", "15.2.792.15"]);

    // Exchange 2013 CU23 with the July 2021 update (KB5004778).
    let jul = t.lookup("15.0.1497.23").unwrap();
    assert_eq!(
        jul.entry.display_name(),
        "Exchange Server 2013 CU23 Jul21SU"
    );
    assert_eq!(jul.entry.release_date.to_string(), "2021-07-13");

    // An unlisted build on top of a CU is placed on that CU.
    let interim = t.lookup("15.2.792.11").unwrap();
    assert!(!interim.exact);
    assert_eq!(interim.entry.display_name(), "Exchange Server 2019 CU8");
    assert_eq!(t.later_security_updates("15.2.792.11").len(), 2);

    assert!(t.lookup("15.9.1.1").is_none());
    assert!(t.lookup("not a build").is_none());
    assert!(t.later_security_updates("garbage").is_empty());
    let by_kb = t
        .security_update_by_kb("Exchange Server 2016", "CU20", "5001779")
        .unwrap();
    assert_eq!(by_kb.build, "15.1.2242.8");
}

#[test]
fn table_parser_rejects_bad_builds() {
    assert!(ExchangeTable::from_json(r#"{"builds":[{"product":"p","cu":"CU1","su":null,"build":"15.x","released":"2020-01-01","released_estimated":false,"kb":null}]}"#).is_err());
    assert!("15.2.792".parse::<BuildNumber>().is_err());
    assert!("15.2.792.3.1".parse::<BuildNumber>().is_err());
}

#[test]
fn cvss_v3_scores_match_published_ones() {
    // (vector, score published with it: NVD/GHSA for Log4Shell and RustSec, MSRC for Exchange)
    let cases = [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/E:U/RL:O/RC:C",
            9.1,
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C",
            9.8,
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C",
            8.8,
        ),
        (
            "CVSS:3.0/AV:A/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H/E:U/RL:O/RC:C",
            9.0,
        ),
        (
            "CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:N/E:U/RL:O/RC:C",
            9.0,
        ),
        (
            "CVSS:3.0/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C",
            6.6,
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L/E:U/RL:O/RC:C",
            7.3,
        ),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N", 6.5),
    ];
    for (vector, want) in cases {
        let got = cvss::base_score(vector).unwrap();
        assert_eq!(got.base_score, want, "{vector}");
    }
    assert_eq!(
        cvss::base_score(cases[0].0).unwrap().version,
        CvssVersion::V31
    );
    assert_eq!(
        cvss::base_score(cases[2].0).unwrap().version,
        CvssVersion::V30
    );
    assert_eq!(
        cvss::base_score(cases[0].0).unwrap().severity(),
        Severity::Critical
    );
}

#[test]
fn cvss_v4_scores_match_first_examples() {
    let cases = [
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            10.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
            0.0,
        ),
    ];
    for (vector, want) in cases {
        let got = cvss::base_score(vector).unwrap();
        assert_eq!(got.version, CvssVersion::V40);
        assert_eq!(got.base_score, want, "{vector}");
    }
}

#[test]
fn cvss_rejects_garbage_and_picks_the_best() {
    assert!(cvss::base_score("CVSS:3.1/AV:X").is_err());
    assert!(cvss::base_score("CVSS:9.9/AV:N").is_err());
    assert!(cvss::base_score("").is_err());
    let scores = [
        SeverityScore {
            kind: "Ubuntu".into(),
            score: "high".into(),
        },
        SeverityScore {
            kind: "CVSS_V3".into(),
            score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
        },
        SeverityScore {
            kind: "CVSS_V3".into(),
            score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into(),
        },
    ];
    assert_eq!(cvss::best_score(&scores).unwrap().base_score, 10.0);
    assert!(cvss::best_score(&scores[..1]).is_none());
}
