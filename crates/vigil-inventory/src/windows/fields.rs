//! vigil's inventory as flat `Property` paths (`OS.UBR`, `HotFixes[0].HotFixID`), shared by the JSON and
//! CSV forms: both are reduced to this map, then read into facts the same way.

use super::facts::{Fact, FactKind, Origin};
use super::normalise_build;
use crate::Sink;
use std::collections::BTreeMap;

pub use super::dates::{parse_date, parse_timestamp};

/// Property path (lower-cased, since PowerShell property names are case-insensitive) → value and line.
pub type Fields = BTreeMap<String, (String, Option<u32>)>;

pub(crate) fn build(fields: &Fields, sink: &mut Sink<'_>) {
    let get = |k: &str| {
        fields
            .get(&k.to_ascii_lowercase())
            .map(|(v, _)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let line = |k: &str| fields.get(&k.to_ascii_lowercase()).and_then(|(_, l)| *l);
    let file = sink.file().to_string();
    let fact = |kind, value: &str, key: &str| {
        Fact::new(kind, value, &file, line(key), Origin::VigilInventory)
    };
    let mut facts = Vec::new();
    if let Some(v) = get("ComputerName") {
        facts.push(fact(FactKind::ComputerName, v, "ComputerName"));
    }
    if let Some(raw) = get("CollectedAt") {
        match parse_timestamp(raw) {
            Some(t) => facts.push(fact(FactKind::CollectedAt, &t.to_string(), "CollectedAt")),
            None => sink.not_assessed(
                line("CollectedAt").map(|l| l as usize),
                "CollectedAt is not a date and time",
            ),
        }
    }
    if let Some(v) = get("OS.Caption") {
        facts.push(fact(FactKind::OsCaption, v, "OS.Caption"));
    }
    if let Some(v) = get("OS.Version") {
        facts.push(fact(FactKind::OsVersion, v, "OS.Version"));
    }
    if let Some(v) = get("OS.UBR") {
        facts.push(fact(FactKind::OsRevision, v, "OS.UBR"));
    }

    if let Some(raw) = get("Exchange.ExSetupVersion") {
        match normalise_build(raw) {
            Some(b) => facts.push(fact(FactKind::ExchangeBuild, &b, "Exchange.ExSetupVersion")),
            None => sink.warn(
                line("Exchange.ExSetupVersion").map(|l| l as usize),
                format!("ExSetupVersion `{raw}` is not a build number"),
            ),
        }
    }
    for (key, kind) in [
        (
            "Exchange.AdminDisplayVersion",
            FactKind::ExchangeAdminDisplayVersion,
        ),
        ("Exchange.Edition", FactKind::ExchangeEdition),
        ("Exchange.ServerRole", FactKind::ExchangeServerRole),
    ] {
        if let Some(v) = get(key) {
            facts.push(fact(kind, v, key));
        }
    }

    // Installed updates, in index order.
    let mut idx: Vec<usize> = fields
        .keys()
        .filter_map(|k| k.strip_prefix("hotfixes["))
        .filter_map(|r| r.split_once(']'))
        .filter_map(|(n, _)| n.parse().ok())
        .collect();
    idx.sort_unstable();
    idx.dedup();
    // A single update serialised by PowerShell as an object rather than a one-element array.
    let single = fields.contains_key("hotfixes.hotfixid");
    let prefixes: Vec<String> = idx
        .iter()
        .map(|i| format!("HotFixes[{i}]."))
        .chain(single.then(|| "HotFixes.".to_string()))
        .collect();
    for p in prefixes {
        let id_key = format!("{p}HotFixID");
        let Some(id) = get(&id_key) else {
            continue;
        };
        let date_key = format!("{p}InstalledOn");
        let installed = get(&date_key);
        let display = get(&format!("{date_key}.DateTime"));
        let installed_on =
            installed.and_then(|raw| super::dates::parse_date_with_text(raw, display));
        if let (Some(raw), None) = (installed, installed_on) {
            sink.not_assessed(
                line(&date_key).map(|l| l as usize),
                format!("InstalledOn `{raw}` of {id} is not a date"),
            );
        }
        facts.push(
            fact(FactKind::HotFix, &id.to_ascii_uppercase(), &id_key)
                .with_detail(get(&format!("{p}Description")).map(str::to_string))
                .with_date(installed_on),
        );
    }
    for f in facts {
        sink.fact(f);
    }
}
