//! `Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo } | ConvertTo-Json`: the version
//! resource of Exchange's `ExSetup.exe`, which Microsoft documents as *the* way to read an Exchange
//! server's build, security updates included (`AdminDisplayVersion` stays at the cumulative update).
//!
//! A `FileVersionInfo` has the numeric version parts (`FileMajorPart`, `FileMinorPart`,
//! `FileBuildPart`, `FilePrivatePart`), which are read first, and the padded text `FileVersion`
//! (`15.01.2308.008` → `15.1.2308.8`) and `ProductVersion`, read when the parts are missing;
//! Windows PowerShell 5.1 adds `FileVersionRaw` (`{Major, Minor, Build, Revision}`). When the parts and
//! the text disagree the parts are used and the disagreement reported. A `FileVersionInfo` of another
//! file (`OriginalFilename` and `FileName` not ExSetup.exe) is not an Exchange build.

use super::{Output, Record, number};
use crate::Sink;
use crate::error::InventoryError;
use crate::outcome::NotAssessedKind;
use crate::windows::facts::{Fact, FactKind, Origin};
use crate::windows::normalise_build;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let out = Output::parse(text, sink)?;
    let records = out.records(sink)?;
    let file = sink.file().to_string();
    let mut read = 0usize;
    let mut others = Vec::new();
    for rec in &records {
        if !is_exsetup(rec) {
            others.push(
                rec.text("FileName")
                    .or_else(|| rec.text("OriginalFilename"))
                    .unwrap_or_else(|| "an unnamed file".to_string()),
            );
            continue;
        }
        let parts = version_parts(rec, "File");
        let raw = rec.get("FileVersionRaw").and_then(|v| {
            let n = |k: &str| v.get(k).and_then(number);
            Some(format!(
                "{}.{}.{}.{}",
                n("Major")?,
                n("Minor")?,
                n("Build")?,
                n("Revision")?
            ))
        });
        let text_version = rec.text("FileVersion").and_then(|v| normalise_build(&v));
        let product = rec.text("ProductVersion").and_then(|v| normalise_build(&v));
        let line = rec
            .line("FileVersion")
            .or_else(|| rec.line("FileMajorPart"));
        let Some(build) = parts
            .clone()
            .or(raw)
            .or_else(|| text_version.clone())
            .or(product)
        else {
            sink.warn(
                line.map(|l| l as usize),
                "ExSetup.exe's FileVersionInfo has no readable file version",
            );
            continue;
        };
        if let (Some(p), Some(t)) = (&parts, &text_version)
            && p != t
        {
            sink.note(
                NotAssessedKind::Conflict,
                line.map(|l| l as usize),
                format!(
                    "FileVersion text `{}` and the version parts {p} differ; the parts are used",
                    rec.text("FileVersion").unwrap_or_default()
                ),
            );
        }
        sink.fact(
            Fact::new(
                FactKind::ExchangeBuild,
                build,
                &file,
                line,
                Origin::ExSetupFileVersion,
            )
            .with_detail(rec.text("FileName")),
        );
        read += 1;
    }
    if read == 0 {
        let what = if others.is_empty() {
            "no file version".to_string()
        } else {
            format!("the file version of {}", others.join(", "))
        };
        return Err(InventoryError::parse(
            &file,
            None,
            format!("{what}, not of Exchange's ExSetup.exe: no Exchange build"),
        ));
    }
    for other in others {
        sink.not_assessed(
            None,
            format!("the file version of {other} is not ExSetup.exe's: not read"),
        );
    }
    Ok(())
}

/// Whether the record describes ExSetup.exe.
fn is_exsetup(rec: &Record<'_>) -> bool {
    let is = |k: &str, want: &str| rec.text(k).is_some_and(|v| v.eq_ignore_ascii_case(want));
    is("OriginalFilename", "ExSetup.exe")
        || is("InternalName", "ExSetup")
        || rec.text("FileName").is_some_and(|f| {
            let name = f.rsplit(['\\', '/']).next().unwrap_or(&f);
            name.eq_ignore_ascii_case("ExSetup.exe")
        })
}

/// `FileMajorPart.FileMinorPart.FileBuildPart.FilePrivatePart` (or the `Product…` parts).
fn version_parts(rec: &Record<'_>, prefix: &str) -> Option<String> {
    let n = |part: &str| rec.number(&format!("{prefix}{part}Part"));
    Some(format!(
        "{}.{}.{}.{}",
        n("Major")?,
        n("Minor")?,
        n("Build")?,
        n("Private")?
    ))
}
