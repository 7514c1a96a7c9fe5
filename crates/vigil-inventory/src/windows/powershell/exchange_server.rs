//! `Get-ExchangeServer | ConvertTo-Json`: the Exchange servers of the organisation, each with `Name`,
//! `Fqdn`, `AdminDisplayVersion`, `Edition`, `ServerRole` and `Site`.
//!
//! The command lists every server of the organisation, so its facts are tied to the server they
//! describe; [`crate::windows::finish`] keeps those of the machine the other inputs are about.
//! `AdminDisplayVersion` is read as the Exchange Management Shell gives it (`Version 15.1 (Build
//! 2308.8)`) or as the object the local snap-in serialises (`{Major, Minor, Build, Revision}`); it names
//! the cumulative update and does not change when security updates are installed, so it is context
//! only, never the build assessed. Enumerations (`Edition`, `ServerRole`) may be text or, as Windows
//! PowerShell 5.1 writes enums, numbers; `Site` is an AD object path (`example.org/Configuration/Sites/
//! Amsterdam`) or an object with a `Name`. Values cut to a type name by `ConvertTo-Json`'s depth are
//! reported.

use super::{Output, Record, TRUNCATED, is_type_name, number};
use crate::Sink;
use crate::error::InventoryError;
use crate::windows::facts::{Fact, FactKind, Origin};
use serde_json::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let out = Output::parse(text, sink)?;
    let records = out.records(sink)?;
    let file = sink.file().to_string();
    let mut read = 0usize;
    for rec in &records {
        let Some(name) = rec.text("Name") else {
            sink.warn(rec.line_usize("Name"), "an Exchange server without a Name");
            continue;
        };
        read += 1;
        let host = Some(name.clone());
        let fact = |kind, value: String, line| {
            Fact::new(kind, value, &file, line, Origin::GetExchangeServer).on_host(host.clone())
        };
        let mut facts = vec![fact(
            FactKind::ExchangeServer,
            name.clone(),
            rec.line("Name"),
        )];
        if let Some(v) = admin_display_version(rec, sink) {
            facts.push(fact(
                FactKind::ExchangeAdminDisplayVersion,
                v,
                rec.line("AdminDisplayVersion"),
            ));
        }
        for (key, kind) in [
            ("Edition", FactKind::ExchangeEdition),
            ("ServerRole", FactKind::ExchangeServerRole),
            ("Fqdn", FactKind::ExchangeFqdn),
        ] {
            if let Some(v) = rec.text_or_note(key, sink) {
                facts.push(fact(kind, v, rec.line(key)));
            }
        }
        if let Some(site) = site(rec, sink) {
            facts.push(fact(FactKind::ExchangeSite, site, rec.line("Site")));
        }
        for f in facts {
            sink.fact(f);
        }
    }
    if read == 0 {
        return Err(InventoryError::parse(
            &file,
            None,
            "Get-ExchangeServer output lists no server",
        ));
    }
    Ok(())
}

/// `Version 15.1 (Build 2308.8)`, from the text or from the serialised `ServerVersion` object.
fn admin_display_version(rec: &Record<'_>, sink: &mut Sink<'_>) -> Option<String> {
    match rec.get("AdminDisplayVersion")? {
        Value::Object(o) => {
            let n = |k: &str| o.get(k).and_then(number);
            match (n("Major"), n("Minor"), n("Build"), n("Revision")) {
                (Some(ma), Some(mi), Some(b), Some(r)) => {
                    Some(format!("Version {ma}.{mi} (Build {b}.{r})"))
                }
                _ => {
                    sink.not_assessed(
                        rec.line_usize("AdminDisplayVersion"),
                        "AdminDisplayVersion has no Major, Minor, Build and Revision",
                    );
                    None
                }
            }
        }
        _ => rec.text_or_note("AdminDisplayVersion", sink),
    }
}

/// The AD site's name: the last part of its path, or the `Name` of the serialised `ADObjectId`.
fn site(rec: &Record<'_>, sink: &mut Sink<'_>) -> Option<String> {
    match rec.get("Site")? {
        Value::Object(o) => o
            .get("Name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty() && !is_type_name(s))
            .map(str::to_string),
        Value::String(s) if is_type_name(s.trim()) => {
            sink.not_assessed(
                rec.line_usize("Site"),
                format!("`Site` is only the type name `{}`: {TRUNCATED}", s.trim()),
            );
            None
        }
        Value::String(s) => s
            .trim()
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        _ => None,
    }
}
