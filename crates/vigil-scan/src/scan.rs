//! One scan: match every package, check Microsoft products, set deadlines, apply ignores, and say what
//! was not assessed — including knowledge that is missing or too old to trust.

use crate::error::ScanError;
use crate::ignore::IgnoreFile;
use crate::matcher::{MatchOutput, Matcher};
use crate::microsoft::{self, HostUpdates};
use crate::notes::{NotAssessed, NotAssessedKind};
use crate::policy::Policy;
use crate::report::{ReportFinding, ScanReport};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use vigil_model::KnowledgeIndex;
use vigil_model::sources::SourceState;
use vigil_model::{Asset, Package};

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanInput {
    pub asset: Asset,
    pub inputs: Vec<String>,
    pub packages: Vec<Package>,
    /// The Windows facts of a Microsoft inventory, when one was read.
    pub host: Option<HostUpdates>,
    /// Notes of the collectors (unreadable files, unpinned requirements, …).
    pub notes: Vec<NotAssessed>,
    /// The day deadlines are measured against.
    pub today: Date,
    /// Knowledge older than this is reported as stale.
    pub max_age: SignedDuration,
    /// "Now" for knowledge ages.
    pub now: Timestamp,
}

/// Runs the scan.
pub fn scan(
    store: &dyn KnowledgeIndex,
    input: &ScanInput,
    policy: &Policy,
    ignores: &IgnoreFile,
) -> Result<ScanReport, ScanError> {
    policy.validate()?;
    let mut out = MatchOutput::default();
    let mut matcher = Matcher::new(store);
    for p in &input.packages {
        if p.ecosystem.base() == "Microsoft" {
            microsoft::assess(
                &mut matcher,
                &input.asset.name,
                p,
                input.host.as_ref(),
                &mut out,
            )?;
        } else {
            matcher.match_package(&input.asset.name, p, &mut out)?;
        }
    }
    // A fix released after the day assessed did not exist then: auditing 2021 with today's knowledge
    // must not list a 2022 update as missing.
    out.findings
        .retain(|f| f.fix_released.is_none_or(|d| d <= input.today));
    policy.apply(&mut out.findings, &input.asset.tags);

    let mut notes = input.notes.clone();
    if input.packages.is_empty() && input.host.is_none() {
        notes.push(NotAssessed::new(
            NotAssessedKind::Input,
            "inputs",
            "no package, product or update list was found in the inputs: nothing was assessed",
        ));
    }
    notes.extend(knowledge_notes(
        store,
        &input.packages,
        input.now,
        input.max_age,
    )?);
    notes.extend(out.not_assessed);
    notes.sort();
    notes.dedup();

    let mut findings: Vec<ReportFinding> = out
        .findings
        .into_iter()
        .map(|f| {
            let days_overdue = f.days_overdue(input.today);
            ReportFinding {
                window: Policy::window_of(&f),
                overdue: days_overdue.is_some_and(|d| d > 0),
                days_overdue,
                ignore: ignores.state(&f, input.today),
                finding: f,
            }
        })
        .collect();
    findings.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| {
                b.days_overdue
                    .unwrap_or(i64::MIN)
                    .cmp(&a.days_overdue.unwrap_or(i64::MIN))
            })
            .then_with(|| a.finding.package.name.cmp(&b.finding.package.name))
            .then_with(|| a.finding.advisories.cmp(&b.finding.advisories))
            .then_with(|| {
                a.finding
                    .package
                    .location
                    .file
                    .cmp(&b.finding.package.location.file)
            })
    });

    let mut report = ScanReport {
        generated_at: input.now,
        today: input.today,
        asset: input.asset.clone(),
        inputs: input.inputs.clone(),
        policy: policy.clone(),
        summary: Default::default(),
        findings,
        not_assessed: notes,
    };
    report.summarise(input.packages.len());
    Ok(report)
}

/// Notes about the knowledge itself: an empty store, sources that failed or are older than `max_age`,
/// missing KEV data, and ecosystems of the scanned packages for which the store holds no advisories.
pub fn knowledge_notes(
    store: &dyn KnowledgeIndex,
    packages: &[Package],
    now: Timestamp,
    max_age: SignedDuration,
) -> Result<Vec<NotAssessed>, ScanError> {
    let mut notes = Vec::new();
    let sources = store.sources()?;
    if sources.is_empty() {
        notes.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            "knowledge base",
            "the knowledge base is empty: nothing was matched (run `vigil db update` or `vigil db import`)",
        ));
        return Ok(notes);
    }
    for s in &sources {
        if s.status == SourceState::Failed {
            notes.push(NotAssessed::new(
                NotAssessedKind::StaleKnowledge,
                format!("source {}", s.key),
                format!(
                    "the last update failed ({}); its data is from {}",
                    s.last_error.as_deref().unwrap_or("no reason recorded"),
                    s.last_success_at.map_or("never".to_string(), |t| t
                        .strftime("%Y-%m-%d %H:%M UTC")
                        .to_string())
                ),
            ));
        } else if s.is_stale(now, max_age) {
            let age = s.age_at(now).map_or("never loaded".to_string(), |a| {
                format!("{} hours old", a.as_secs() / 3600)
            });
            notes.push(NotAssessed::new(
                NotAssessedKind::StaleKnowledge,
                format!("source {}", s.key),
                format!(
                    "knowledge is {age}, older than the limit of {} hours: newer advisories are not known",
                    max_age.as_secs() / 3600
                ),
            ));
        }
    }
    let stats = store.stats()?;
    if stats.kev == 0 {
        notes.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            "knowledge base",
            "no CISA KEV data: known-exploited flags and KEV due dates are missing",
        ));
    }
    let known: BTreeSet<&str> = stats
        .by_ecosystem
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(e, _)| e.split(':').next().unwrap_or(e))
        .collect();
    let mut missing: BTreeSet<&str> = BTreeSet::new();
    for p in packages {
        let base = p.ecosystem.base();
        if base == "Microsoft" || vigil_versions::scheme_for(&p.ecosystem).is_none() {
            continue;
        }
        if !known.contains(base) {
            missing.insert(base);
        }
    }
    for base in missing {
        let n = packages
            .iter()
            .filter(|p| p.ecosystem.base() == base)
            .count();
        notes.push(NotAssessed::new(
            NotAssessedKind::NoKnowledge,
            format!("ecosystem {base}"),
            format!(
                "the knowledge base holds no advisories for {base}: its {n} package(s) were not checked"
            ),
        ));
    }
    Ok(notes)
}
