//! Windows: the updates the Security Update Guide lists for the OS product against the updates installed
//! (`Get-HotFix`) and the OS build.
//!
//! An update counts as installed when its KB is listed, when an installed KB supersedes it (directly or
//! through a chain, as the update guide records), or when the OS build (`10.0.17763.1757`) is at or above
//! the update's fixed build on the same OS build line. Everything else the guide lists for the product is
//! one finding per KB. When the knowledge base has no fixes for the product at all, the OS is reported as
//! not assessed with its build and newest installed update, never as clean.

use super::{HostUpdates, Update, kb_number, update_finding};
use crate::error::ScanError;
use crate::matcher::{MatchOutput, Matcher};
use crate::notes::{NotAssessed, NotAssessedKind, package_label};
use std::collections::{BTreeMap, BTreeSet};
use vigil_knowledge::exchange::BuildNumber;
use vigil_model::sources::ProductMatch;
use vigil_model::{MicrosoftFix, Package};

/// The update guide's product name for an OS caption: `Microsoft Windows Server 2019 Standard` →
/// `Windows Server 2019`. `None` for captions it cannot map (client editions are named by version and
/// architecture in the guide, which the caption does not carry).
pub fn msrc_product(caption: &str) -> Option<String> {
    let c = caption.trim();
    let c = c.strip_prefix("Microsoft ").unwrap_or(c).trim();
    let rest = c.strip_prefix("Windows Server ")?;
    let mut words: Vec<&str> = Vec::new();
    for w in rest.split_whitespace() {
        if matches!(
            w,
            "Standard" | "Datacenter" | "Essentials" | "Evaluation" | "Foundation" | "Web"
        ) {
            break;
        }
        words.push(w);
    }
    (!words.is_empty()).then(|| format!("Windows Server {}", words.join(" ")))
}

pub fn assess(
    matcher: &mut Matcher<'_>,
    asset: &str,
    package: &Package,
    host: Option<&HostUpdates>,
    out: &mut MatchOutput,
) -> Result<(), ScanError> {
    let label = package_label(package);
    let empty = HostUpdates::default();
    let host = host.unwrap_or(&empty);
    let installed_note = match host.last_installed() {
        Some((kb, day)) => format!("newest installed update {} on {day}", kb.trim()),
        None => "no installed updates listed".to_string(),
    };
    let Some(product) = host.os_caption.as_deref().and_then(msrc_product) else {
        out.not_assessed.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            label,
            format!(
                "the OS ({}) cannot be mapped to an update-guide product: Windows updates not assessed \
                 (build {}, {installed_note})",
                host.os_caption.as_deref().unwrap_or("caption unknown"),
                package.version
            ),
        ));
        return Ok(());
    };
    let rows = matcher
        .store()
        .microsoft_fixes_for_product(&product, ProductMatch::Exact)?;
    if rows.is_empty() {
        out.not_assessed.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            label,
            format!(
                "the knowledge base holds no Microsoft fixes for {product}: Windows updates not assessed \
                 (build {}, {installed_note})",
                package.version
            ),
        ));
        return Ok(());
    }
    let os_build: Option<BuildNumber> = package.version.parse().ok();

    // Supersedence: kb → the KBs it supersedes.
    let mut supersedes: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut by_kb: BTreeMap<&str, Vec<&MicrosoftFix>> = BTreeMap::new();
    for r in &rows {
        by_kb.entry(r.kb.as_str()).or_default().push(r);
        supersedes
            .entry(r.kb.as_str())
            .or_default()
            .extend(r.supersedes.iter().map(|s| kb_number(s)));
    }
    // Everything an installed update supersedes, transitively.
    let mut satisfied: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = by_kb.keys().copied().filter(|k| host.has_kb(k)).collect();
    while let Some(k) = stack.pop() {
        if satisfied.insert(k)
            && let Some(older) = supersedes.get(k)
        {
            stack.extend(older.iter().copied());
        }
    }

    for (kb, rows) in by_kb {
        if satisfied.contains(kb) {
            continue;
        }
        let fixed: Option<BuildNumber> = rows
            .iter()
            .filter_map(|r| r.fixed_build.as_deref())
            .filter_map(|b| b.parse::<BuildNumber>().ok())
            .find(|b| os_build.is_some_and(|o| o.0[..3] == b.0[..3]));
        if let (Some(f), Some(o)) = (fixed, os_build)
            && o >= f
        {
            continue;
        }
        let fb = fixed.map(|f| format!("{}.{}.{}.{}", f.0[0], f.0[1], f.0[2], f.0[3]));
        let cves = rows
            .iter()
            .map(|r| r.cve.as_str())
            .collect::<BTreeSet<_>>()
            .len();
        let summary = format!(
            "KB{kb} for {product} is not installed{}: it fixes {cves} CVE(s)",
            fb.as_deref()
                .map(|b| format!(" (OS build {} is below {b})", package.version))
                .unwrap_or_default()
        );
        let update = Update {
            kb,
            fixed_build: fb,
            released: None,
            summary,
        };
        let finding = update_finding(matcher, asset, package, update, &rows)?;
        out.findings.push(finding);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_map_to_products() {
        assert_eq!(
            msrc_product("Microsoft Windows Server 2019 Standard").as_deref(),
            Some("Windows Server 2019")
        );
        assert_eq!(
            msrc_product("Microsoft Windows Server 2012 R2 Datacenter").as_deref(),
            Some("Windows Server 2012 R2")
        );
        assert_eq!(msrc_product("Microsoft Windows 10 Pro"), None);
    }
}
