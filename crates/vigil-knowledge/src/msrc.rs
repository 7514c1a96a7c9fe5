//! Microsoft's Security Update Guide as CVRF documents, one per month (`2021-Jul`): the CVRF 1.1
//! XML and the JSON rendering of the same structure that the API serves.
//!
//! Both are read into one [`Document`] and then flattened into one [`MicrosoftFix`] per
//! (CVE, product, KB) from the `Vendor Fix` remediations.
//!
//! # Release dates
//!
//! A fix's release day is not the CVE's disclosure day. The documents express it in three places:
//! the document's `InitialReleaseDate`/`CurrentReleaseDate`, each vulnerability's `RevisionHistory`
//! (its earliest entry, for the list is not always in order, is when the CVE appeared in the
//! guide: 2021-03-02 for the out-of-band ProxyLogon fixes in the 2021-Mar document, which itself is
//! dated 2021-03-09), and free text. ProxyShell shows why the text matters:
//! CVE-2021-34473 and CVE-2021-34523 are listed in the **2021-Jul** document with the Vendor Fix
//! KB5001779 and a single revision dated 2021-07-13 whose description reads "This CVE was addressed
//! by updates that were released in April 2021, but the CVE was inadvertently omitted from the April
//! 2021 Security Updates". KB5001779 itself is a Vendor Fix in the **2021-Apr** document (for
//! CVE-2021-28480…28483), released 2021-04-13. So:
//!
//! 1. a revision saying the CVE was "addressed by updates that were released in <Month> <Year>"
//!    dates the fix to that month's update Tuesday (the second Tuesday), when that is earlier;
//! 2. otherwise the vulnerability's earliest revision date, then the document's initial release date;
//! 3. across documents, [`reconcile_release_dates`] gives every fix of a KB the earliest date that
//!    KB has in any document (importing 2021-Apr and 2021-Jul together dates KB5001779 2021-04-13
//!    whatever the text says).
//!
//! # Fixed builds
//!
//! The guide sometimes gives one `FixedBuild` for a remediation that lists several products: KB5001779
//! carries `15.00.1497.015` (the Exchange 2013 CU23 build) for the Exchange 2016 and 2019 products
//! too. A build whose `major.minor` does not belong to the Exchange version named by the product is
//! dropped rather than attached to the wrong product; `exchange` has the right builds.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use quick_xml::events::Event;
use serde::Deserialize;
use vigil_model::{MicrosoftFix, Severity};

use crate::batch::{Batch, Skipped};
use crate::error::KnowledgeError;
use crate::text::{Lenient, null_default, parse_timestamp, utc_date};

/// One monthly CVRF document, reduced to what fixes are made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// `2021-Jul`.
    pub id: String,
    pub title: Option<String>,
    pub initial_release: Option<Timestamp>,
    pub current_release: Option<Timestamp>,
    /// ProductID → full product name.
    pub products: BTreeMap<String, String>,
    pub vulnerabilities: Vec<Vulnerability>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vulnerability {
    pub cve: String,
    pub title: Option<String>,
    pub threats: Vec<Threat>,
    pub score_sets: Vec<ScoreSet>,
    pub remediations: Vec<Remediation>,
    pub revisions: Vec<Revision>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Threat {
    /// `Impact`, `Severity`, `Exploit Status`.
    pub kind: String,
    pub description: String,
    pub products: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreSet {
    pub base_score: Option<f64>,
    pub vector: Option<String>,
    pub products: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Remediation {
    /// `Vendor Fix`, `Known Issue`, `Mitigation`, `Workaround`, …
    pub kind: String,
    /// For a Vendor Fix: the KB number.
    pub description: String,
    pub url: Option<String>,
    pub supercedence: Option<String>,
    pub products: Vec<String>,
    pub fixed_build: Option<String>,
    pub sub_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revision {
    pub number: Option<String>,
    pub date: Option<Timestamp>,
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// XML

const MAX_DEPTH: usize = 64;

/// Parses a CVRF 1.1 XML document. Elements are matched by local name, so any namespace prefix
/// (`cvrf:`, `vuln:`, `prod:` or a default namespace) is accepted.
pub fn parse_xml(bytes: &[u8], origin: &str) -> Result<Document, KnowledgeError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut doc = Document::default();
    let mut path: Vec<String> = Vec::with_capacity(16);
    let mut text = String::new();
    let mut vuln: Option<Vulnerability> = None;
    let mut threat: Option<Threat> = None;
    let mut score: Option<ScoreSet> = None;
    let mut remediation: Option<Remediation> = None;
    let mut revision: Option<Revision> = None;
    let mut product_id: Option<String> = None;
    let mut root_seen = false;

    let err = |reader: &quick_xml::Reader<&[u8]>, e: &dyn std::fmt::Display| {
        KnowledgeError::invalid(
            format!("{origin} (byte {})", reader.buffer_position()),
            format!("malformed XML: {e}"),
        )
    };

    loop {
        let event = reader.read_event().map_err(|e| err(&reader, &e))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if path.is_empty() {
                    if name != "cvrfdoc" {
                        return Err(KnowledgeError::invalid(
                            origin,
                            format!("not a CVRF document (root element <{name}>)"),
                        ));
                    }
                    root_seen = true;
                }
                if path.len() >= MAX_DEPTH {
                    return Err(KnowledgeError::invalid(origin, "XML nested too deeply"));
                }
                text.clear();
                let attr = |key: &str| -> Option<String> {
                    e.try_get_attribute(key).ok().flatten().and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::default())
                            .ok()
                            .map(|v| v.into_owned())
                    })
                };
                let parent = path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (Some("cvrfdoc"), "Vulnerability") => vuln = Some(Vulnerability::default()),
                    (Some("Threats"), "Threat") => {
                        threat = Some(Threat {
                            kind: attr("Type").unwrap_or_default(),
                            ..Threat::default()
                        })
                    }
                    (Some("CVSSScoreSets"), "ScoreSet") => score = Some(ScoreSet::default()),
                    (Some("Remediations"), "Remediation") => {
                        remediation = Some(Remediation {
                            kind: attr("Type").unwrap_or_default(),
                            ..Remediation::default()
                        })
                    }
                    (Some("RevisionHistory"), "Revision") if vuln.is_some() => {
                        revision = Some(Revision::default())
                    }
                    (_, "FullProductName") => product_id = attr("ProductID"),
                    _ => {}
                }
                path.push(name);
            }
            Event::Empty(_) => {}
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(t.as_ref()),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    let name = r.xml10_content();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => {
                            text.push('&');
                            text.push_str(&name);
                            text.push(';');
                        }
                    }
                }
            }
            Event::End(_) => {
                let Some(name) = path.pop() else {
                    return Err(err(&reader, &"unbalanced end tag"));
                };
                let parent = path.last().map(String::as_str);
                let value = text.trim();
                match (parent, name.as_str()) {
                    (Some("cvrfdoc"), "DocumentTitle") => doc.title = Some(value.to_string()),
                    (Some("Identification"), "ID") => doc.id = value.to_string(),
                    (Some("DocumentTracking"), "InitialReleaseDate") => {
                        doc.initial_release = parse_timestamp(value)
                    }
                    (Some("DocumentTracking"), "CurrentReleaseDate") => {
                        doc.current_release = parse_timestamp(value)
                    }
                    (_, "FullProductName") => {
                        if let Some(id) = product_id.take() {
                            doc.products.entry(id).or_insert_with(|| value.to_string());
                        }
                    }
                    (Some("cvrfdoc"), "Vulnerability") => {
                        if let Some(v) = vuln.take() {
                            doc.vulnerabilities.push(v);
                        }
                    }
                    (Some("Vulnerability"), "Title") => {
                        if let Some(v) = vuln.as_mut() {
                            v.title = Some(value.to_string());
                        }
                    }
                    (Some("Vulnerability"), "CVE") => {
                        if let Some(v) = vuln.as_mut() {
                            v.cve = value.to_string();
                        }
                    }
                    (Some("Threats"), "Threat") => {
                        if let (Some(v), Some(t)) = (vuln.as_mut(), threat.take()) {
                            v.threats.push(t);
                        }
                    }
                    (Some("Threat"), "Description") => {
                        if let Some(t) = threat.as_mut() {
                            t.description = value.to_string();
                        }
                    }
                    (Some("Threat"), "ProductID") => {
                        if let Some(t) = threat.as_mut() {
                            t.products.push(value.to_string());
                        }
                    }
                    (Some("CVSSScoreSets"), "ScoreSet") => {
                        if let (Some(v), Some(s)) = (vuln.as_mut(), score.take()) {
                            v.score_sets.push(s);
                        }
                    }
                    (Some("ScoreSet"), field) => {
                        if let Some(s) = score.as_mut() {
                            match field {
                                "BaseScore" => s.base_score = value.parse().ok(),
                                "Vector" => s.vector = Some(value.to_string()),
                                "ProductID" => s.products.push(value.to_string()),
                                _ => {}
                            }
                        }
                    }
                    (Some("Remediations"), "Remediation") => {
                        if let (Some(v), Some(r)) = (vuln.as_mut(), remediation.take()) {
                            v.remediations.push(r);
                        }
                    }
                    (Some("Remediation"), field) => {
                        if let Some(r) = remediation.as_mut() {
                            let some = || Some(value.to_string()).filter(|s| !s.is_empty());
                            match field {
                                "Description" => r.description = value.to_string(),
                                "URL" => r.url = some(),
                                "Supercedence" => r.supercedence = some(),
                                "ProductID" => r.products.push(value.to_string()),
                                "FixedBuild" => r.fixed_build = some(),
                                "SubType" => r.sub_type = some(),
                                _ => {}
                            }
                        }
                    }
                    (Some("RevisionHistory"), "Revision") => {
                        if let (Some(v), Some(r)) = (vuln.as_mut(), revision.take()) {
                            v.revisions.push(r);
                        }
                    }
                    (Some("Revision"), field) => {
                        if let Some(r) = revision.as_mut() {
                            match field {
                                "Number" => r.number = Some(value.to_string()),
                                "Date" => r.date = parse_timestamp(value),
                                "Description" => r.description = Some(value.to_string()),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(KnowledgeError::invalid(
            origin,
            "not a CVRF document (no <cvrfdoc>)",
        ));
    }
    if !path.is_empty() {
        return Err(KnowledgeError::invalid(
            origin,
            format!("truncated XML: <{}> is not closed", path.join("/")),
        ));
    }
    Ok(doc)
}

// ---------------------------------------------------------------------------------------------
// JSON

#[derive(Deserialize, Default)]
struct JValue {
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

fn jv(v: Option<JValue>) -> Option<String> {
    v.and_then(|v| v.value)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JDoc {
    #[serde(default)]
    document_title: Option<JValue>,
    document_tracking: JTracking,
    #[serde(default)]
    product_tree: Option<JProductTree>,
    #[serde(default, deserialize_with = "null_default")]
    vulnerability: Vec<JVuln>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JTracking {
    identification: JIdentification,
    #[serde(default)]
    initial_release_date: Option<String>,
    #[serde(default)]
    current_release_date: Option<String>,
}

#[derive(Deserialize)]
struct JIdentification {
    #[serde(rename = "ID")]
    id: JValue,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JProductTree {
    #[serde(default, deserialize_with = "null_default")]
    full_product_name: Vec<JProduct>,
}

#[derive(Deserialize)]
struct JProduct {
    #[serde(rename = "ProductID")]
    product_id: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JVuln {
    #[serde(rename = "CVE", default)]
    cve: Option<String>,
    #[serde(default)]
    title: Option<JValue>,
    #[serde(default, deserialize_with = "null_default")]
    threats: Vec<JThreat>,
    #[serde(rename = "CVSSScoreSets", default, deserialize_with = "null_default")]
    cvss_score_sets: Vec<JScoreSet>,
    #[serde(default, deserialize_with = "null_default")]
    remediations: Vec<JRemediation>,
    #[serde(default, deserialize_with = "null_default")]
    revision_history: Vec<JRevision>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JThreat {
    #[serde(default)]
    description: Option<JValue>,
    #[serde(rename = "ProductID", default, deserialize_with = "null_default")]
    product_id: Vec<String>,
    #[serde(rename = "Type")]
    kind: Lenient,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JScoreSet {
    #[serde(default)]
    base_score: Option<f64>,
    #[serde(default)]
    vector: Option<String>,
    #[serde(rename = "ProductID", default, deserialize_with = "null_default")]
    product_id: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JRemediation {
    #[serde(default)]
    description: Option<JValue>,
    #[serde(rename = "URL", default)]
    url: Option<String>,
    #[serde(default)]
    supercedence: Option<String>,
    #[serde(rename = "ProductID", default, deserialize_with = "null_default")]
    product_id: Vec<String>,
    #[serde(rename = "Type")]
    kind: Lenient,
    #[serde(default)]
    sub_type: Option<String>,
    #[serde(default)]
    fixed_build: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JRevision {
    #[serde(default)]
    number: Option<Lenient>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    description: Option<JValue>,
}

/// The API's numeric threat types (`vuln:Threat/@Type` in the XML).
fn threat_kind(code: &str) -> String {
    match code {
        "0" => "Impact",
        "1" => "Exploit Status",
        "2" => "Target Set",
        "3" => "Severity",
        other => other,
    }
    .to_string()
}

/// The API's numeric remediation types (`vuln:Remediation/@Type` in the XML).
fn remediation_kind(code: &str) -> String {
    match code {
        "0" => "Workaround",
        "1" => "Mitigation",
        "2" => "Vendor Fix",
        "3" => "None Available",
        "4" => "Will Not Fix",
        "5" => "Known Issue",
        other => other,
    }
    .to_string()
}

/// Parses the JSON form of a CVRF document as the Security Update Guide API serves it.
pub fn parse_json(bytes: &[u8], origin: &str) -> Result<Document, KnowledgeError> {
    let raw: JDoc = serde_json::from_slice(bytes)
        .map_err(|e| KnowledgeError::invalid(origin, format!("not a CVRF JSON document: {e}")))?;
    let mut doc = Document {
        id: jv(Some(raw.document_tracking.identification.id)).unwrap_or_default(),
        title: jv(raw.document_title),
        initial_release: raw
            .document_tracking
            .initial_release_date
            .as_deref()
            .and_then(parse_timestamp),
        current_release: raw
            .document_tracking
            .current_release_date
            .as_deref()
            .and_then(parse_timestamp),
        ..Document::default()
    };
    for p in raw
        .product_tree
        .map(|t| t.full_product_name)
        .unwrap_or_default()
    {
        doc.products
            .entry(p.product_id)
            .or_insert_with(|| p.value.unwrap_or_default());
    }
    for v in raw.vulnerability {
        doc.vulnerabilities.push(Vulnerability {
            cve: v.cve.unwrap_or_default(),
            title: jv(v.title),
            threats: v
                .threats
                .into_iter()
                .map(|t| Threat {
                    kind: threat_kind(&t.kind.0),
                    description: jv(t.description).unwrap_or_default(),
                    products: t.product_id,
                })
                .collect(),
            score_sets: v
                .cvss_score_sets
                .into_iter()
                .map(|s| ScoreSet {
                    base_score: s.base_score,
                    vector: s.vector,
                    products: s.product_id,
                })
                .collect(),
            remediations: v
                .remediations
                .into_iter()
                .map(|r| Remediation {
                    kind: remediation_kind(&r.kind.0),
                    description: jv(r.description).unwrap_or_default(),
                    url: r.url,
                    supercedence: r.supercedence.filter(|s| !s.trim().is_empty()),
                    products: r.product_id,
                    fixed_build: r.fixed_build.filter(|s| !s.trim().is_empty()),
                    sub_type: r.sub_type,
                })
                .collect(),
            revisions: v
                .revision_history
                .into_iter()
                .map(|r| Revision {
                    number: r.number.map(|n| n.0),
                    date: r.date.as_deref().and_then(parse_timestamp),
                    description: jv(r.description),
                })
                .collect(),
        });
    }
    Ok(doc)
}

// ---------------------------------------------------------------------------------------------
// Fixes

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The second Tuesday of a month: Microsoft's monthly update day.
pub fn update_tuesday(year: i16, month: i8) -> Option<Date> {
    let first = Date::new(year, month, 1).ok()?;
    first.nth_weekday_of_month(2, Weekday::Tuesday).ok()
}

/// Finds "released in <Month> <Year>" in a revision note.
fn released_in(text: &str) -> Option<Date> {
    let lower = text.to_ascii_lowercase();
    let idx = lower.find("released in ")?;
    let mut words = lower.get(idx + "released in ".len()..)?.split_whitespace();
    let month = words.next()?;
    let year: String = words
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let m = MONTHS.iter().position(|n| *n == month)?;
    update_tuesday(year.parse().ok()?, i8::try_from(m + 1).ok()?)
}

/// When the fixes of a vulnerability were released (see the module documentation).
pub fn vulnerability_release_date(doc: &Document, v: &Vulnerability) -> Option<Date> {
    let first_revision = v
        .revisions
        .iter()
        .filter_map(|r| r.date)
        .min()
        .map(utc_date);
    let fallback =
        first_revision.or_else(|| doc.initial_release.or(doc.current_release).map(utc_date));
    let stated = v
        .revisions
        .iter()
        .filter_map(|r| r.description.as_deref())
        .filter_map(released_in)
        .min();
    match (stated, fallback) {
        (Some(s), Some(f)) => Some(s.min(f)),
        (s, f) => s.or(f),
    }
}

/// The `major.minor` build prefix of the Exchange version a product name speaks of.
fn exchange_prefix(product: &str) -> Option<(u32, u32)> {
    let rest = product.split("Exchange Server ").nth(1)?;
    match rest.get(..4)? {
        "2010" => Some((14, 3)),
        "2013" => Some((15, 0)),
        "2016" => Some((15, 1)),
        "2019" => Some((15, 2)),
        _ => None,
    }
}

fn build_prefix(build: &str) -> Option<(u32, u32)> {
    let mut parts = build.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The KB number of a remediation's Description, or empty when the Description is not a KB (products
/// updated by version carry text such as "Release Notes" there).
fn kb_number(s: &str) -> String {
    let t = s.trim();
    let t = t
        .strip_prefix("KB")
        .or_else(|| t.strip_prefix("kb"))
        .unwrap_or(t)
        .trim();
    if !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        t.to_string()
    } else {
        String::new()
    }
}

/// Flattens a document into fixes: one per (CVE, product, KB) of its Vendor Fix remediations. A fix
/// that has no KB but a fixed build (products updated by version) has an empty `kb`.
/// Items that cannot be dated or name an unknown product are reported as skipped.
pub fn fixes(doc: &Document, origin: &str) -> (Vec<MicrosoftFix>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut seen: HashSet<(&str, &str, String)> = HashSet::new();
    for v in &doc.vulnerabilities {
        let location = format!("{origin}#{}", if v.cve.is_empty() { "?" } else { &v.cve });
        let fixes_here = v.remediations.iter().filter(|r| r.kind == "Vendor Fix");
        let release = vulnerability_release_date(doc, v);
        for r in fixes_here {
            let kb = kb_number(&r.description);
            // Some products are fixed by a version rather than a KB (Visual Studio Code: no
            // Description, FixedBuild 1.57.1): kept with an empty `kb`, as long as a build or link
            // says what the fix is.
            if kb.is_empty() && r.fixed_build.is_none() && r.url.is_none() {
                skipped.push(Skipped::new(
                    &location,
                    "Vendor Fix with neither KB, fixed build nor URL",
                ));
                continue;
            }
            if v.cve.is_empty() {
                skipped.push(Skipped::new(&location, "vulnerability without a CVE id"));
                break;
            }
            let Some(release_date) = release else {
                skipped.push(Skipped::new(
                    &location,
                    "no release date in the vulnerability or document",
                ));
                break;
            };
            let supersedes: Vec<String> = r
                .supercedence
                .as_deref()
                .unwrap_or("")
                .split([',', ';', ' '])
                .map(kb_number)
                .filter(|s| !s.is_empty())
                .collect();
            for pid in &r.products {
                let Some(product) = doc.products.get(pid) else {
                    skipped.push(Skipped::new(
                        &location,
                        format!("KB{kb}: unknown ProductID {pid}"),
                    ));
                    continue;
                };
                if !seen.insert((v.cve.as_str(), pid.as_str(), kb.clone())) {
                    continue;
                }
                let severity = v
                    .threats
                    .iter()
                    .filter(|t| t.kind == "Severity")
                    .find(|t| t.products.is_empty() || t.products.contains(pid))
                    .and_then(|t| t.description.parse::<Severity>().ok());
                let score = v
                    .score_sets
                    .iter()
                    .find(|s| s.products.is_empty() || s.products.contains(pid));
                let fixed_build = r.fixed_build.clone().filter(|b| {
                    match (exchange_prefix(product), build_prefix(b)) {
                        (Some(want), Some(have)) => want == have,
                        _ => true,
                    }
                });
                out.push(MicrosoftFix {
                    cve: v.cve.clone(),
                    product: product.clone(),
                    product_id: pid.clone(),
                    kb: kb.clone(),
                    fixed_build,
                    supersedes: supersedes.clone(),
                    release_date,
                    severity,
                    cvss_vector: score.and_then(|s| s.vector.clone()),
                    cvss_score: score.and_then(|s| s.base_score),
                    document: doc.id.clone(),
                });
            }
        }
    }
    (out, skipped)
}

/// Gives every fix of a KB the earliest release date that KB has among `fixes` (which may come from
/// several documents): an update is released once, however many later documents list it.
pub fn reconcile_release_dates(fixes: &mut [MicrosoftFix]) {
    let mut earliest: HashMap<String, Date> = HashMap::new();
    for f in fixes.iter().filter(|f| !f.kb.is_empty()) {
        earliest
            .entry(f.kb.clone())
            .and_modify(|d| *d = (*d).min(f.release_date))
            .or_insert(f.release_date);
    }
    for f in fixes.iter_mut() {
        if let Some(d) = earliest.get(&f.kb) {
            f.release_date = *d;
        }
    }
}

/// Parses a CVRF document (XML or JSON, by its first non-blank byte) into a batch of fixes.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Batch, KnowledgeError> {
    let doc = if is_json(bytes) {
        parse_json(bytes, origin)?
    } else {
        parse_xml(bytes, origin)?
    };
    let (fixes, skipped) = fixes(&doc, origin);
    let mut batch = Batch::new("msrc", origin);
    batch.version = Some(doc.id).filter(|s| !s.is_empty());
    batch.microsoft = fixes;
    batch.skipped = skipped;
    Ok(batch)
}

pub(crate) fn is_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_tuesdays() {
        assert_eq!(update_tuesday(2021, 4), "2021-04-13".parse().ok());
        assert_eq!(update_tuesday(2021, 7), "2021-07-13".parse().ok());
        assert_eq!(update_tuesday(2021, 3), "2021-03-09".parse().ok());
        assert_eq!(
            released_in("This CVE was addressed by updates that were released in April 2021, but"),
            "2021-04-13".parse().ok()
        );
        assert_eq!(released_in("released in Smarch 2021"), None);
    }

    #[test]
    fn build_prefixes() {
        assert_eq!(
            exchange_prefix("Microsoft Exchange Server 2019 Cumulative Update 8"),
            Some((15, 2))
        );
        assert_eq!(build_prefix("15.00.1497.015"), Some((15, 0)));
        assert_eq!(kb_number("KB5001779"), "5001779");
        assert_eq!(kb_number("5001779"), "5001779");
        assert_eq!(kb_number("Release Notes"), "");
    }
}
