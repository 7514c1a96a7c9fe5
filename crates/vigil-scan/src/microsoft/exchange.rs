//! Exchange Server: which security updates a build is missing, and whether its cumulative update (CU) is
//! still supported.
//!
//! The build of `ExSetup.exe` (`15.2.792.3`) is looked up in the Exchange build table: it names the
//! product and CU (`Exchange Server 2019 CU8`) and the security updates (SUs) released later for that CU.
//! Each missing SU is one finding, carrying every CVE the Security Update Guide lists as fixed by its KB for
//! that CU's product (`Microsoft Exchange Server 2019 Cumulative Update 8`): ProxyShell's CVE-2021-34473 was
//! fixed by April 2021's KB5001779 but disclosed only in July, and the finding for KB5001779 carries it
//! with April's release date, which is when the patch clock started. The fixed build comes from the build
//! table, not from MSRC's `FixedBuild`, which is per KB and often names another product's build.
//!
//! Fixes that the Security Update Guide publishes for the CU's product under a KB the table does not know
//! are placed by their fixed build when it belongs to the same CU, and by the installed update list
//! otherwise; when neither settles it the fix is reported as not assessed.
//!
//! A CU goes out of support when Microsoft publishes later fixes only for newer CUs (July 2021's fixes name
//! CU9 and CU10, not CU8). vigil cannot tell whether the old CU is affected by those — Microsoft no longer
//! says — so this is reported in the not-assessed list as `unsupported`, naming the updates and CVEs, and a
//! CU upgrade is the only remedy. It is deliberately not a finding with a deadline: the clock of a fix
//! that does not exist for this CU cannot be started honestly.

use super::{Update, update_finding};
use crate::error::ScanError;
use crate::matcher::{MatchOutput, Matcher};
use crate::notes::{NotAssessed, NotAssessedKind, package_label};
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet};
use vigil_knowledge::exchange::{BuildNumber, ExchangeBuild, ExchangeTable};
use vigil_model::sources::ProductMatch;
use vigil_model::{MicrosoftFix, Package};

/// The Security Update Guide's name of a product and CU: `Exchange Server 2019` + `CU8` →
/// `Microsoft Exchange Server 2019 Cumulative Update 8`; `RTM` → `Microsoft Exchange Server 2019`.
pub fn msrc_product(product: &str, cu: &str) -> String {
    let base = format!("Microsoft {product}");
    let cu = cu.trim();
    if let Some(n) = cu.strip_prefix("CU") {
        format!("{base} Cumulative Update {}", n.trim())
    } else if let Some(n) = cu.strip_prefix("SP") {
        format!("{base} Service Pack {}", n.trim())
    } else {
        base
    }
}

/// The CU number of a Security Update Guide product name (`… Cumulative Update 9` → 9; the RTM name → 0);
/// `None` for service packs and other names.
fn cu_number(product_name: &str, family: &str) -> Option<u32> {
    let rest = product_name.strip_prefix(family)?.trim();
    if rest.is_empty() {
        return Some(0);
    }
    rest.strip_prefix("Cumulative Update")?.trim().parse().ok()
}

fn cu_of(cu: &str) -> Option<u32> {
    if cu == "RTM" {
        Some(0)
    } else {
        cu.strip_prefix("CU")?.trim().parse().ok()
    }
}

pub fn assess(
    matcher: &mut Matcher<'_>,
    asset: &str,
    package: &Package,
    out: &mut MatchOutput,
) -> Result<(), ScanError> {
    assess_with(ExchangeTable::embedded(), matcher, asset, package, out)
}

/// [`assess`] against a given build table.
pub fn assess_with(
    table: &ExchangeTable,
    matcher: &mut Matcher<'_>,
    asset: &str,
    package: &Package,
    out: &mut MatchOutput,
) -> Result<(), ScanError> {
    let label = package_label(package);
    let Some(build) = cu_build(table, package.version.trim(), &label, out) else {
        return Ok(());
    };
    let build = build.as_str();
    let Ok(installed) = build.parse::<BuildNumber>() else {
        out.not_assessed.push(NotAssessed::new(
            NotAssessedKind::InvalidVersion,
            label,
            format!("{build:?} is not a four-part Exchange build number"),
        ));
        return Ok(());
    };
    let Some(info) = table.lookup(build) else {
        out.not_assessed.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            label,
            format!(
                "build {build} is not in vigil's Exchange build table: product and cumulative update unknown"
            ),
        ));
        return Ok(());
    };
    let entry = info.entry;
    let name = entry.display_name();
    if !info.exact {
        out.not_assessed.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            label.clone(),
            format!(
                "build {build} is not listed exactly; treated as {name} with an interim update or hotfix"
            ),
        ));
    }
    let product = msrc_product(&entry.product, &entry.cu);
    let store = matcher.store();
    let same_cu = |e: &ExchangeBuild| e.product == entry.product && e.cu == entry.cu;
    // Security updates of this CU at or below the installed build are installed.
    let installed_kbs: BTreeSet<&str> = table
        .builds()
        .filter(|e| same_cu(e) && e.su.is_some())
        .filter(|e| e.build.parse::<BuildNumber>().is_ok_and(|b| b <= installed))
        .filter_map(|e| e.kb.as_deref())
        .collect();

    let missing = table.later_security_updates(build);
    let mut covered: BTreeSet<String> = installed_kbs.iter().map(|s| s.to_string()).collect();
    for su in &missing {
        let su_name = su.display_name();
        let Some(kb) = su.kb.as_deref() else {
            out.not_assessed.push(NotAssessed::new(
                NotAssessedKind::UnknownUpdate,
                label.clone(),
                format!(
                    "{su_name} (build {}, released {}{}) is newer than the installed build, but vigil does \
                     not know its KB article or what it fixes: install it and check Microsoft's notes",
                    su.build,
                    su.release_date,
                    if su.released_estimated { ", estimated" } else { "" }
                ),
            ));
            continue;
        };
        covered.insert(kb.to_string());
        let rows = store.microsoft_fixes_for_kb(kb)?;
        let rows: Vec<&MicrosoftFix> = rows
            .iter()
            .filter(|r| r.product.eq_ignore_ascii_case(&product))
            .collect();
        if rows.is_empty() {
            out.not_assessed.push(NotAssessed::new(
                NotAssessedKind::UnknownUpdate,
                label.clone(),
                format!(
                    "{su_name} (KB{kb}, build {}, released {}) is not installed, but the knowledge base \
                     lists no fixes of KB{kb} for {product}: import Microsoft's update guide for {}",
                    su.build,
                    su.release_date,
                    su.release_date.strftime("%Y-%b")
                ),
            ));
            continue;
        }
        let released = (!su.released_estimated).then_some(su.release_date);
        let summary = format!(
            "{su_name} (KB{kb}, build {}) is not installed: it fixes {} CVE{}",
            su.build,
            distinct_cves(&rows),
            if distinct_cves(&rows) == 1 { "" } else { "s" }
        );
        let update = Update {
            kb,
            fixed_build: Some(su.build.clone()),
            released,
            summary,
        };
        let finding = update_finding(matcher, asset, package, update, &rows)?;
        out.findings.push(finding);
    }

    // Fixes published for this CU under KBs the build table does not place.
    let product_rows = store.microsoft_fixes_for_product(&product, ProductMatch::Exact)?;
    let mut by_kb: BTreeMap<&str, Vec<&MicrosoftFix>> = BTreeMap::new();
    for r in &product_rows {
        if !covered.contains(r.kb.as_str()) {
            by_kb.entry(r.kb.as_str()).or_default().push(r);
        }
    }
    for (kb, rows) in by_kb {
        let fixed: Option<BuildNumber> = rows
            .iter()
            .filter_map(|r| r.fixed_build.as_deref())
            .filter_map(|b| b.parse::<BuildNumber>().ok())
            .find(|b| b.0[..3] == installed.0[..3]);
        match fixed {
            Some(f) if installed >= f => {}
            Some(f) => {
                let fb = format!("{}.{}.{}.{}", f.0[0], f.0[1], f.0[2], f.0[3]);
                let summary = format!(
                    "KB{kb} (build {fb}) for {name} is not installed: it fixes {} CVE(s)",
                    distinct_cves(&rows)
                );
                let update = Update {
                    kb,
                    fixed_build: Some(fb),
                    released: None,
                    summary,
                };
                let finding = update_finding(matcher, asset, package, update, &rows)?;
                out.findings.push(finding);
            }
            None => {
                let cves: BTreeSet<&str> = rows.iter().map(|r| r.cve.as_str()).collect();
                out.not_assessed.push(NotAssessed::new(
                    NotAssessedKind::UnknownUpdate,
                    label.clone(),
                    format!(
                        "KB{kb} fixes {} for {product}, but neither the build table nor the update guide \
                         gives a build for it on {name}: cannot tell whether build {build} has it",
                        cves.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }

    // Out of support: later fixes published only for newer CUs of the same product.
    let family = format!("Microsoft {}", entry.product);
    let Some(mine) = cu_of(&entry.cu) else {
        return Ok(());
    };
    let last_su: Date = table
        .builds()
        .filter(|e| same_cu(e))
        .map(|e| e.release_date)
        .max()
        .unwrap_or(entry.release_date);
    let family_rows = store.microsoft_fixes_for_product(&family, ProductMatch::Substring)?;
    let mut newer: BTreeMap<&str, KbSpread<'_>> = BTreeMap::new();
    for r in &family_rows {
        let slot = newer.entry(r.kb.as_str()).or_insert(KbSpread {
            released: r.release_date,
            cves: BTreeSet::new(),
            other_cus: BTreeSet::new(),
            lists_mine: false,
        });
        slot.released = slot.released.min(r.release_date);
        slot.cves.insert(r.cve.as_str());
        if r.product.eq_ignore_ascii_case(&product) {
            slot.lists_mine = true;
        } else if let Some(n) = cu_number(&r.product, &family) {
            slot.other_cus.insert(n);
        }
    }
    let unsupported: Vec<String> = newer
        .into_iter()
        .filter(|(_, s)| {
            !s.lists_mine && s.released > last_su && s.other_cus.iter().any(|n| *n > mine)
        })
        .map(|(kb, s)| {
            format!(
                "KB{kb} ({}: {}; for CU{})",
                s.released,
                s.cves.into_iter().collect::<Vec<_>>().join(", "),
                s.other_cus
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", CU")
            )
        })
        .collect();
    if !unsupported.is_empty() {
        out.not_assessed.push(NotAssessed::new(
            NotAssessedKind::Unsupported,
            label,
            format!(
                "{} is out of support: later security updates are published only for newer cumulative \
                 updates — {}. Whether {} is affected is unknown; upgrade to a supported CU",
                format_args!("{} {}", entry.product, entry.cu),
                unsupported.join("; "),
                entry.cu
            ),
        ));
    }
    Ok(())
}

/// Where one KB's fixes apply across a product family.
struct KbSpread<'a> {
    released: Date,
    cves: BTreeSet<&'a str>,
    other_cus: BTreeSet<u32>,
    lists_mine: bool,
}

/// The build to assess: the version itself, or for `major.minor.build` alone (a cumulative update
/// named by Outlook on the web's resource folders, with no security-update level) that update's own
/// build, said so. Assessing the update's own build lists every security update of it as missing,
/// which is what can be stated until the full build is known; `None` when the update is unknown.
fn cu_build(
    table: &ExchangeTable,
    version: &str,
    label: &str,
    out: &mut MatchOutput,
) -> Option<String> {
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.parse::<u32>().is_ok()) {
        return Some(version.to_string());
    }
    let prefix: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    let cu = table
        .builds()
        .filter(|e| e.su.is_none())
        .filter_map(|e| e.build.parse::<BuildNumber>().ok().map(|b| (b, e)))
        .filter(|(b, _)| b.0[..3] == prefix[..])
        .min_by_key(|(b, _)| *b);
    let Some((_, entry)) = cu else {
        out.not_assessed.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            label.to_string(),
            format!(
                "cumulative update {version} is not in vigil's Exchange build table: product and security \
                 updates unknown"
            ),
        ));
        return None;
    };
    out.not_assessed.push(NotAssessed::new(
        NotAssessedKind::UnknownUpdate,
        label.to_string(),
        format!(
            "only the cumulative update is known ({version}, {}): its security-update level is not, so \
             every security update of it is listed as missing; `Get-Command ExSetup.exe | ForEach-Object \
             {{ $_.FileVersionInfo }}` on the server gives the full build",
            entry.display_name()
        ),
    ));
    Some(entry.build.clone())
}

fn distinct_cves(rows: &[&MicrosoftFix]) -> usize {
    rows.iter()
        .map(|r| r.cve.as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_names() {
        assert_eq!(
            msrc_product("Exchange Server 2019", "CU8"),
            "Microsoft Exchange Server 2019 Cumulative Update 8"
        );
        assert_eq!(
            msrc_product("Exchange Server 2019", "RTM"),
            "Microsoft Exchange Server 2019"
        );
        assert_eq!(
            msrc_product("Exchange Server 2010", "SP3"),
            "Microsoft Exchange Server 2010 Service Pack 3"
        );
        let fam = "Microsoft Exchange Server 2019";
        assert_eq!(
            cu_number("Microsoft Exchange Server 2019 Cumulative Update 10", fam),
            Some(10)
        );
        assert_eq!(cu_number("Microsoft Exchange Server 2019", fam), Some(0));
        assert_eq!(
            cu_number("Microsoft Exchange Server 2016 Cumulative Update 1", fam),
            None
        );
    }
}
