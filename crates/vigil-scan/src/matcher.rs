//! Packages against advisories, through the version schemes.
//!
//! A package is looked up under its own name and, for distro packages, under its source package
//! (`Package.source_name`): Debian and Ubuntu file advisories against source packages, so `libssl1.1` is
//! affected by the advisories of `openssl`. The store scopes distro look-ups to the package's release.
//! Every `affected` entry that names the package is evaluated with OSV's range semantics; an entry that
//! cannot be decided from a version (GIT ranges only, malformed ranges) is reported as not assessed, never
//! as not affected. Advisories that share an id or alias are one finding ([`crate::merge`]).
//!
//! The fix release date: OSV records say when the advisory was published, not when the fixed version
//! shipped. When a fix exists, the earliest `published` of the merged advisories is used as the day the
//! fix became available: ecosystem databases and distro trackers publish when the fixed release is out,
//! and taking the earliest errs on the side of an earlier deadline. Microsoft products use the security
//! update's release day instead (see [`crate::microsoft`]).

use crate::enrich::{ExploitCache, rate};
use crate::error::ScanError;
use crate::merge::{group, is_distro_advisory, order_aliases, order_ids, rank};
use crate::notes::{NotAssessed, NotAssessedKind, package_label};
use jiff::tz::TimeZone;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use vigil_model::KnowledgeIndex;
use vigil_model::matching::{AffectedKey, Lookup};
use vigil_model::{Advisory, Affected, Ecosystem, Finding, Package, RangeEvent, RangeKind};
use vigil_versions::{Scheme, VersionError, affects, compare, scheme_for};

/// What matching produced so far.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MatchOutput {
    pub findings: Vec<Finding>,
    pub not_assessed: Vec<NotAssessed>,
}

/// Matches packages against a store, caching advisory look-ups per (ecosystem, name) and KEV/EPSS per CVE
/// for the length of one scan.
pub struct Matcher<'s> {
    store: &'s dyn KnowledgeIndex,
    advisories: HashMap<(String, String), Rc<[Advisory]>>,
    pub(crate) exploits: ExploitCache,
}

/// One advisory that affects the package, with the fixed versions above the installed one.
struct Hit<'a> {
    advisory: &'a Advisory,
    fixed: Vec<String>,
}

impl<'s> Matcher<'s> {
    pub fn new(store: &'s dyn KnowledgeIndex) -> Self {
        Matcher {
            store,
            advisories: HashMap::new(),
            exploits: ExploitCache::default(),
        }
    }

    pub(crate) fn store(&self) -> &'s dyn KnowledgeIndex {
        self.store
    }

    fn lookup(&mut self, ecosystem: &Ecosystem, name: &str) -> Result<Rc<[Advisory]>, ScanError> {
        let key = (
            ecosystem.as_str().to_string(),
            ecosystem.normalize_name(name),
        );
        if let Some(found) = self.advisories.get(&key) {
            return Ok(Rc::clone(found));
        }
        let found: Rc<[Advisory]> = self.store.advisories_for(ecosystem, name)?.into();
        self.advisories.insert(key, Rc::clone(&found));
        Ok(found)
    }

    /// Matches one package of `asset`, adding its findings (deadline not yet set) and notes to `out`.
    pub fn match_package(
        &mut self,
        asset: &str,
        package: &Package,
        out: &mut MatchOutput,
    ) -> Result<(), ScanError> {
        let Some(scheme) = scheme_for(&package.ecosystem) else {
            out.not_assessed.push(NotAssessed::new(
                NotAssessedKind::UnknownEcosystem,
                package_label(package),
                format!(
                    "vigil has no version ordering for the {} ecosystem",
                    package.ecosystem
                ),
            ));
            return Ok(());
        };
        if let Err(e) = scheme.validate(&package.version) {
            out.not_assessed.push(NotAssessed::new(
                NotAssessedKind::InvalidVersion,
                package_label(package),
                e.to_string(),
            ));
            return Ok(());
        }

        // The names advisories may be filed under: the source package first, then the binary name.
        let mut names: Vec<&str> = Vec::new();
        if let Some(src) = package
            .source_name
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            names.push(src);
        }
        if !names.iter().any(|n| {
            package.ecosystem.normalize_name(n) == package.ecosystem.normalize_name(&package.name)
        }) {
            names.push(&package.name);
        }
        let mut sets = Vec::new();
        for name in &names {
            sets.push((*name, self.lookup(&package.ecosystem, name)?));
        }

        let mut seen = BTreeSet::new();
        let mut hits: Vec<Hit<'_>> = Vec::new();
        for (name, advisories) in &sets {
            let lookup = Lookup::new(&package.ecosystem, name);
            for advisory in advisories.iter() {
                if !seen.insert(advisory.id.as_str()) {
                    continue;
                }
                let entries = advisory.affected.iter().filter(|a| {
                    lookup.matches(&AffectedKey::new(&a.package.ecosystem, &a.package.name))
                });
                match evaluate(entries, scheme, &package.version) {
                    Ok(Some(fixed)) => hits.push(Hit { advisory, fixed }),
                    Ok(None) => {}
                    Err(e) => out.not_assessed.push(NotAssessed::new(
                        NotAssessedKind::NotEvaluable,
                        package_label(package),
                        format!("advisory {}: {e}", advisory.id),
                    )),
                }
            }
        }
        if hits.is_empty() {
            return Ok(());
        }

        let refs: Vec<&Advisory> = hits.iter().map(|h| h.advisory).collect();
        for members in group(&refs) {
            let group_hits: Vec<&Hit<'_>> = members.iter().filter_map(|&i| hits.get(i)).collect();
            let finding = self.finding(asset, package, scheme, &group_hits)?;
            out.findings.push(finding);
        }
        Ok(())
    }

    fn finding(
        &mut self,
        asset: &str,
        package: &Package,
        scheme: Scheme,
        hits: &[&Hit<'_>],
    ) -> Result<Finding, ScanError> {
        let advisories: Vec<&Advisory> = hits.iter().map(|h| h.advisory).collect();
        let mut ids: Vec<String> = advisories.iter().map(|a| a.id.clone()).collect();
        order_ids(&mut ids);
        ids.dedup();
        let id_set: BTreeSet<String> = ids.iter().map(|s| s.to_ascii_uppercase()).collect();
        // Distro advisories (DSA, USN, ALSA, …) are one update fixing several CVEs, which OSV lists as
        // `related` rather than as aliases; they are carried as the finding's CVEs (for KEV, EPSS and
        // people), but never used to merge advisories.
        let distro_related = advisories
            .iter()
            .filter(|a| is_distro_advisory(&a.id))
            .flat_map(|a| a.related.iter().filter(|r| r.starts_with("CVE-")));
        let mut aliases: Vec<String> = advisories
            .iter()
            .flat_map(|a| a.aliases.iter())
            .chain(distro_related)
            .filter(|al| !id_set.contains(&al.to_ascii_uppercase()))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        order_aliases(&mut aliases);

        // The primary advisory (most informative) gives the summary; others fill in.
        let mut by_rank = advisories.clone();
        by_rank.sort_by(|a, b| rank(&a.id).cmp(&rank(&b.id)).then_with(|| a.id.cmp(&b.id)));
        let summary = by_rank
            .iter()
            .find_map(|a| a.summary.as_deref().filter(|s| !s.trim().is_empty()))
            .or_else(|| {
                by_rank
                    .iter()
                    .find_map(|a| a.details.as_deref().and_then(|d| d.lines().next()))
            })
            .map(|s| truncate(s.trim(), 300));

        let mut fixed: Vec<String> = Vec::new();
        for h in hits {
            for f in &h.fixed {
                if !fixed.contains(f) {
                    fixed.push(f.clone());
                }
            }
        }
        fixed.sort_by(|a, b| compare(scheme, a, b).unwrap_or(Ordering::Equal));

        let fix_released = if fixed.is_empty() {
            None
        } else {
            advisories
                .iter()
                .filter_map(|a| a.published)
                .min()
                .map(|t| t.to_zoned(TimeZone::UTC).date())
        };

        let rated = rate(&advisories);
        let cves: BTreeSet<&str> = ids
            .iter()
            .chain(aliases.iter())
            .map(String::as_str)
            .filter(|s| s.starts_with("CVE-"))
            .collect();
        let exploit = self.exploits.lookup(self.store, cves.iter().copied())?;

        Ok(Finding {
            asset: asset.to_string(),
            package: package.clone(),
            advisories: ids,
            aliases,
            summary,
            severity: rated.severity,
            cvss_score: rated.cvss_score,
            cvss_vector: rated.cvss_vector,
            known_exploited: exploit.known_exploited,
            kev_due: exploit.kev_due,
            epss: exploit.epss,
            fixed_versions: fixed,
            kb: None,
            fix_released,
            due: None,
        })
    }
}

/// Evaluates the entries of one advisory that name the package. `Ok(Some(fixed))`: affected, with the
/// fixed versions above `version`; `Ok(None)`: not affected (or no entry names it); `Err`: no entry
/// says affected and at least one could not be decided.
fn evaluate<'a>(
    entries: impl Iterator<Item = &'a Affected>,
    scheme: Scheme,
    version: &str,
) -> Result<Option<Vec<String>>, VersionError> {
    let mut affected_by: Vec<&Affected> = Vec::new();
    let mut error = None;
    for entry in entries {
        match affects(entry, version) {
            Ok(true) => affected_by.push(entry),
            Ok(false) => {}
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    if affected_by.is_empty() {
        return match error {
            Some(e) => Err(e),
            None => Ok(None),
        };
    }
    let mut fixed = Vec::new();
    for entry in affected_by {
        for range in &entry.ranges {
            let range_scheme = match range.kind {
                RangeKind::Git => continue,
                RangeKind::Semver => Scheme::Semver,
                RangeKind::Ecosystem => scheme,
            };
            for event in &range.events {
                if let RangeEvent::Fixed(v) = event
                    && compare(range_scheme, v, version) == Ok(Ordering::Greater)
                    && !fixed.contains(v)
                {
                    fixed.push(v.clone());
                }
            }
        }
    }
    Ok(Some(fixed))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}
