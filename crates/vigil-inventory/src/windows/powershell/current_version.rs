//! `Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' | ConvertTo-Json`: the
//! registry values that give the full Windows build.
//!
//! The build is `CurrentMajorVersionNumber.CurrentMinorVersionNumber.CurrentBuild.UBR`
//! (`10.0.14393.4402`): `UBR`, the update build revision, is what each cumulative update raises.
//! `CurrentVersion` stays at `6.3` on Windows 10 and later for compatibility and is used only when
//! the major/minor values are absent (Windows 8.1 / Server 2012 R2). `ProductName` names the edition
//! (`Windows Server 2016 Datacenter`); Windows 11 still says `Windows 10` there, which is corrected
//! from the build (22000 and later). `PSPath` must name this key; the `PSDrive`/`PSProvider` objects
//! and binary values (`DigitalProductId`) are ignored. `PSComputerName`, present when the command ran
//! through `Invoke-Command`, names the computer.

use super::{Output, Record};
use crate::Sink;
use crate::error::InventoryError;
use crate::windows::facts::{Fact, FactKind, Origin};

/// The key's path as PowerShell writes it, after the provider prefix.
const KEY: &str = "\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";

/// The first build of Windows 11 (Windows Server 2022 is 20348 and keeps its own name).
const FIRST_WINDOWS_11_BUILD: u64 = 22000;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let out = Output::parse(text, sink)?;
    let records = out.records(sink)?;
    let Some(rec) = records.first() else {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "the registry output holds no object",
        ));
    };
    if records.len() > 1 {
        sink.warn(
            None,
            format!(
                "{} registry keys in one output; only the first is read",
                records.len()
            ),
        );
    }
    if let Some(p) = rec.text("PSPath")
        && !p.to_ascii_lowercase().ends_with(&KEY.to_ascii_lowercase())
    {
        return Err(InventoryError::parse(
            sink.file(),
            rec.line("PSPath"),
            format!("registry key `{p}`, not HKLM:{KEY}"),
        ));
    }
    let file = sink.file().to_string();
    let fact = |kind, value: String, key: &str| {
        Fact::new(
            kind,
            value,
            &file,
            rec.line(key),
            Origin::RegistryCurrentVersion,
        )
    };
    let mut facts = Vec::new();
    let build_key = ["CurrentBuild", "CurrentBuildNumber"]
        .into_iter()
        .find(|k| rec.number(k).is_some());
    let build = build_key.and_then(|k| rec.number(k));
    match (version(rec), build, build_key) {
        (Some((major, minor)), Some(b), Some(key)) => {
            facts.push(fact(
                FactKind::OsVersion,
                format!("{major}.{minor}.{b}"),
                key,
            ));
        }
        _ => sink.not_assessed(
            rec.line_usize("CurrentBuild"),
            "no CurrentBuild with CurrentMajorVersionNumber/CurrentMinorVersionNumber: the \
             Windows version is not known from this key",
        ),
    }
    if let Some(ubr) = rec.number("UBR") {
        facts.push(fact(FactKind::OsRevision, ubr.to_string(), "UBR"));
    }
    if let Some(name) = rec.text("ProductName") {
        let name = match (name.strip_prefix("Windows 10"), build) {
            (Some(rest), Some(b)) if b >= FIRST_WINDOWS_11_BUILD => format!("Windows 11{rest}"),
            _ => name,
        };
        facts.push(fact(FactKind::OsCaption, name, "ProductName"));
    }
    if let Some(host) = rec.text("PSComputerName") {
        facts.push(fact(FactKind::ComputerName, host, "PSComputerName"));
    }
    for f in facts {
        sink.fact(f);
    }
    Ok(())
}

/// Major and minor version: the DWORD values of Windows 10 and later, else `CurrentVersion` (`6.3`).
fn version(rec: &Record<'_>) -> Option<(u64, u64)> {
    if let (Some(ma), Some(mi)) = (
        rec.number("CurrentMajorVersionNumber"),
        rec.number("CurrentMinorVersionNumber"),
    ) {
        return Some((ma, mi));
    }
    let cv = rec.text("CurrentVersion")?;
    let (ma, mi) = cv.split_once('.')?;
    Some((ma.trim().parse().ok()?, mi.trim().parse().ok()?))
}
