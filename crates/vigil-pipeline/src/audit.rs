//! The audit chain on one server: input sorting, knowledge import, inventory, hunt (with context for
//! each detection), scan with its snapshot stored, triage, incidents with root cause and dwell time, and
//! breach drafts. Returns everything a report needs; writing and printing are the caller's.

use crate::PipelineError;
use crate::investigate as inv;
use crate::rules::{LoadedRules, RuleSource};
use crate::triage::Dismissal;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tracing::warn;
use vigil_investigate::breach::BreachInput;
use vigil_investigate::incident::DetectionKey;
use vigil_investigate::{BreachDraft, Case, CveMap, IncidentRecord, draft_breach};
use vigil_model::{Asset, Detection, Level};
use vigil_scan::{IgnoreFile, NotAssessed, NotAssessedKind, Policy, ScanInput, ScanReport};
use vigil_store::{Snapshot, Store};

/// What to audit and how.
#[derive(Debug, Clone)]
pub struct AuditRequest {
    /// Folders and files of the server, sorted by what they hold.
    pub inputs: Vec<PathBuf>,
    /// The asset audited [default: the incident record's first asset, the inventory's computer name,
    /// the host the logs name, the first input's name].
    pub asset: Option<String>,
    /// Policy tags of the asset [default: the stored asset's].
    pub tags: Vec<String>,
    pub knowledge: Vec<PathBuf>,
    pub inventory: Vec<PathBuf>,
    pub root: Vec<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub incident: Option<PathBuf>,
    /// Detections set aside (the incident record's `dismissed` list is added to these).
    pub dismissals: Vec<Dismissal>,
    /// Measure patch deadlines as of this day [default: the day of awareness, else today].
    pub today: Option<Date>,
    /// Longest silence, in days, between two detections of one wave.
    pub gap: u32,
    /// Detections at or above this level open incidents.
    pub min_level: Level,
    /// Days before an incident in which lower-level detections sharing an entity are precursors.
    pub lookback: u32,
    /// When year-less syslog lines were last written [default: the awareness time, else each file's
    /// modification time].
    pub log_time: Option<Timestamp>,
    /// Zone of log times without an offset [default: a root filesystem's, else UTC].
    pub tz: Option<TimeZone>,
    pub rules: RuleSource,
    pub policy: Policy,
    /// Knowledge older than this is stale (a note in the scan).
    pub max_age: SignedDuration,
}

/// What the audit did along the way, for a person watching.
#[derive(Debug, Clone)]
pub enum AuditNote {
    /// Knowledge imported from a path.
    Imported { path: PathBuf, records: usize },
    /// The zone of log times without an offset, taken from a root filesystem.
    TimeZone { name: String, source: String },
    /// The hunt's reading, and how many detections it made.
    Hunted { read: LogsRead, detections: usize },
    /// The Exchange build inferred from Exchange's own logs.
    ExchangeBuild(String),
}

/// Everything an audit produced.
pub struct AuditResult {
    pub asset: Asset,
    pub today: Date,
    pub generated_at: Timestamp,
    pub scan: ScanReport,
    pub detections: Vec<Detection>,
    /// Every detection set aside, whether or not it would have joined an incident.
    pub set_aside: Vec<Detection>,
    pub cases: Vec<Case>,
    pub drafts: Vec<BreachDraft>,
    pub record: Option<IncidentRecord>,
    pub logs_read: LogsRead,
    /// Some input failed or was not assessed (the scan's `not_assessed` says what).
    pub partial: bool,
    pub progress: Vec<AuditNote>,
}

pub use vigil_inventory::folder::is_report_dir;

/// The inputs after sorting.
#[derive(Debug, Default)]
pub struct Sorted {
    pub knowledge: Vec<PathBuf>,
    pub inventory: Vec<PathBuf>,
    pub roots: Vec<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub incident: Option<PathBuf>,
    pub skipped: Vec<PathBuf>,
}

/// Sorts the inputs: explicit lists as given, and every folder or file in `inputs` by what it holds.
pub fn sort_inputs(args: &AuditRequest) -> Result<Sorted, PipelineError> {
    let mut s = Sorted {
        knowledge: args.knowledge.clone(),
        inventory: args.inventory.clone(),
        roots: args.root.clone(),
        logs: args.logs.clone(),
        incident: args.incident.clone(),
        skipped: Vec::new(),
    };
    let explicit: BTreeSet<PathBuf> = args
        .knowledge
        .iter()
        .chain(&args.inventory)
        .chain(&args.root)
        .chain(&args.logs)
        .chain(&args.incident)
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    for p in &args.inputs {
        if !p.exists() {
            return Err(PipelineError::Input(format!(
                "{} does not exist",
                p.display()
            )));
        }
    }
    let parts = vigil_inventory::folder::sort_folder(&args.inputs, &explicit);
    s.knowledge.extend(parts.knowledge);
    s.inventory.extend(parts.inventory);
    s.roots.extend(parts.roots);
    s.logs.extend(parts.logs);
    if s.incident.is_none() {
        s.incident = parts.incident_records.into_iter().next();
    }
    s.skipped = parts.set_aside;
    Ok(s)
}

/// Imports knowledge like `vigil db import`; returns notes for what was skipped and whether an input failed.
pub fn import_knowledge(
    store: &mut dyn Store,
    paths: &[PathBuf],
    progress: &mut Vec<AuditNote>,
) -> (Vec<NotAssessed>, bool) {
    let limits = vigil_knowledge::Limits::default();
    let mut notes = Vec::new();
    let mut failed = false;
    for path in paths {
        let batches = match vigil_knowledge::load_path(path, &limits) {
            Ok(b) => b,
            Err(e) => {
                warn!("{}: {e}", path.display());
                failed = true;
                continue;
            }
        };
        let origin = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let name = origin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut imported = 0usize;
        for batch in batches {
            for s in &batch.skipped {
                notes.push(NotAssessed::new(
                    NotAssessedKind::Input,
                    &s.location,
                    format!("knowledge record skipped: {}", s.reason),
                ));
            }
            let update = vigil_store::SourceUpdate {
                key: format!("import:{}:{name}", batch.source),
                origin: origin.display().to_string(),
                etag: None,
                last_modified: None,
                sha256: None,
                replace: false,
                advisories: batch.advisories,
                kev: batch.kev,
                epss: batch.epss,
                microsoft: batch.microsoft,
                skipped: batch.skipped.len(),
                withdrawn: 0,
            };
            match store.import(update) {
                Ok(s) => imported += s.imported(),
                Err(e) => {
                    warn!("{}: {e}", path.display());
                    failed = true;
                }
            }
        }
        progress.push(AuditNote::Imported {
            path: path.clone(),
            records: imported,
        });
    }
    (notes, failed)
}

/// Runs the whole chain over sorted inputs (see [`sort_inputs`]); `rules` is loaded by the caller
/// when there are logs (see [`crate::rules::load`]).
pub fn audit(
    store: &mut dyn Store,
    req: &AuditRequest,
    sorted: &Sorted,
    rules: Option<&LoadedRules>,
    cve_map: &CveMap,
    now: Timestamp,
) -> Result<AuditResult, PipelineError> {
    let mut progress = Vec::new();
    let record: Option<IncidentRecord> = sorted
        .incident
        .as_deref()
        .map(inv::read_record)
        .transpose()?;
    let mut dismissals = req.dismissals.clone();
    if let Some(p) = &sorted.incident {
        dismissals.extend(crate::triage::record_dismissals(p)?);
    }
    let today = req
        .today
        .or_else(|| {
            record
                .as_ref()
                .and_then(|r| r.aware_at)
                .map(|t| t.to_zoned(TimeZone::UTC).date())
        })
        .unwrap_or_else(|| now.to_zoned(TimeZone::UTC).date());

    let mut partial = false;
    let (mut notes, failed) = import_knowledge(store, &sorted.knowledge, &mut progress);
    partial |= failed;

    // Inventory.
    let (mut invent, mut inputs, failed) =
        crate::scan::read_inventory(&sorted.inventory, &[], &sorted.roots, false);
    partial |= failed;

    // Hunt (before naming the asset: the logs may be what names it).
    let mut detections = Vec::new();
    let mut hunt_notes = Vec::new();
    let mut logs_read = LogsRead::default();
    if !sorted.logs.is_empty() {
        let loaded = rules.ok_or_else(|| PipelineError::Rules("no rules were loaded".into()))?;
        if loaded.engine.rule_count() == 0 {
            return Err(PipelineError::Rules(
                "no usable rule was loaded (see 'vigil rules check')".into(),
            ));
        }
        let (files, skipped) = vigil_hunt::input_files(&sorted.logs);
        let mut opts = vigil_hunt::HuntOptions::default();
        opts.read.syslog_reference_time = req
            .log_time
            .or_else(|| record.as_ref().and_then(|r| r.aware_at));
        opts.read.syslog_time_zone = log_time_zone(req, &sorted.roots, &mut progress);
        let report = vigil_hunt::hunt(&loaded.engine, &files, &opts, &|_, _| {});
        for f in report.files.iter().chain(skipped.iter()) {
            if let Some(why) = &f.skipped {
                partial = true;
                hunt_notes.push(NotAssessed::new(
                    NotAssessedKind::Input,
                    &f.path,
                    why.clone(),
                ));
            } else if f.failed > 0 {
                partial = true;
                hunt_notes.push(NotAssessed::new(
                    NotAssessedKind::Input,
                    &f.path,
                    format!("{} records could not be parsed", f.failed),
                ));
            }
        }
        logs_read = LogsRead {
            events: report.events_read(),
            files: files.len(),
            rules: loaded.engine.rule_count(),
        };
        progress.push(AuditNote::Hunted {
            read: logs_read,
            detections: report.detections.len(),
        });
        if logs_read.events == 0 {
            partial = true;
            hunt_notes.push(NotAssessed::new(
                NotAssessedKind::Input,
                "logs",
                "no log event was read: whether anyone got in cannot be told",
            ));
        }
        detections = report.detections;
        attach_context(&mut detections, &opts.read);
    }

    // No inventory names the Exchange build: Exchange's own logs state it in their headers.
    if !sorted.logs.is_empty() {
        let (files, _) = vigil_hunt::input_files(&sorted.logs);
        let as_of = record.as_ref().and_then(|r| r.aware_at).or_else(|| {
            today
                .to_datetime(jiff::civil::time(23, 59, 59, 0))
                .to_zoned(TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp())
        });
        let builds = vigil_inventory::windows::from_logs::exchange_builds(&files, as_of);
        if let Some(b) = &builds.current
            && invent.infer_exchange_from_logs(b)
        {
            inputs.push(format!("logs:{}", b.file));
            if let Some(text) = builds.describe() {
                progress.push(AuditNote::ExchangeBuild(text));
            }
        }
    }
    if sorted.logs.is_empty() {
        partial = true;
        hunt_notes.push(NotAssessed::new(
            NotAssessedKind::Input,
            "logs",
            "no log was given: whether anyone got in cannot be told",
        ));
    }

    let asset_name = asset_name(req, record.as_ref(), &invent, &detections);
    for d in &mut detections {
        if d.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
            d.host = Some(asset_name.clone());
        }
    }

    // Scan.
    let tags = if req.tags.is_empty() {
        store
            .asset(&asset_name)?
            .map(|a| a.asset.tags)
            .unwrap_or_default()
    } else {
        req.tags.clone()
    };
    let asset = Asset {
        name: asset_name.clone(),
        tags,
    };
    let scan_input = ScanInput {
        asset: asset.clone(),
        inputs: inputs.clone(),
        packages: invent.packages.clone(),
        host: crate::scan::host_updates(&invent),
        notes: invent
            .not_assessed
            .iter()
            .map(|n| NotAssessed::new(NotAssessedKind::Input, &n.location, &n.reason))
            .collect(),
        today,
        max_age: req.max_age,
        now,
    };
    let mut scan = vigil_scan::scan(&*store, &scan_input, &req.policy, &IgnoreFile::default())?;
    scan.not_assessed.append(&mut notes);
    scan.not_assessed.extend(hunt_notes);
    let taken_at = invent
        .windows
        .as_ref()
        .and_then(|w| w.collected_at)
        .or_else(|| today.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp()))
        .unwrap_or(now);
    if !inputs.is_empty() {
        let snapshot = Snapshot {
            asset: asset.clone(),
            taken_at,
            inputs,
            packages: invent.packages.clone(),
            findings: scan.findings.iter().map(|f| f.finding.clone()).collect(),
            last_update: scan_input
                .host
                .as_ref()
                .and_then(|h| h.last_installed().map(|(_, d)| d)),
        };
        if let Err(e) = store.save_snapshot(&snapshot) {
            warn!("the scan snapshot was not stored: {e}");
        }
    }

    // Detections, triage, incidents.
    store
        .save_detections(&detections)
        .map_err(|error| PipelineError::Storing {
            what: "storing the detections",
            error,
        })?;
    let mut dismissed: Vec<DetectionKey> = Vec::new();
    for d in &detections {
        for dm in &dismissals {
            if let Some(src) = dm.matches(d) {
                store.dismiss_detection(&d.rule_id, &src, Some(&dm.reason))?;
                dismissed.push(DetectionKey {
                    rule_id: d.rule_id.clone(),
                    source: src,
                });
            }
        }
    }
    for dm in &dismissals {
        if !detections.iter().any(|d| dm.matches(d).is_some()) {
            warn!(
                "--dismiss {}@{}:{} matched no detection",
                dm.rule, dm.file, dm.record
            );
        }
    }
    // Detections dismissed earlier (e.g. by a previous audit) stay dismissed.
    let (_, stored_dismissed) = inv::stored(&*store)?;
    dismissed.extend(stored_dismissed);
    let grouping = vigil_investigate::group_incidents(
        &detections,
        &inv::group_options(&dismissed, req.gap, req.min_level, req.lookback, cve_map),
    );
    let mut knowledge = inv::knowledge(&*store, cve_map.clone())?;
    // An update released after the audit date did not exist then: never a root cause or a measure.
    knowledge
        .findings
        .retain(|f| f.fix_released.is_none_or(|r| r <= today));
    knowledge.unsupported = unsupported_products(&scan, &invent.packages);
    let cases = vigil_investigate::investigate(&grouping, &knowledge, record.as_ref());
    inv::save_cases(store, &cases)?;

    let empty_record = IncidentRecord::default();
    let drafts: Vec<BreachDraft> = cases
        .iter()
        .map(|c| {
            draft_breach(&BreachInput {
                record: record.as_ref().unwrap_or(&empty_record),
                incident: &c.incident,
                root_cause: &c.root_cause,
                dwell: &c.dwell,
                findings: &knowledge.findings,
                kev: &knowledge.kev,
                drafted_at: None,
                as_of: Some(today),
                unsupported: &knowledge.unsupported,
            })
        })
        .collect();

    let set_aside: Vec<Detection> = detections
        .iter()
        .filter(|d| {
            dismissed
                .iter()
                .any(|k| k.rule_id == d.rule_id && d.sources.contains(&k.source))
        })
        .cloned()
        .collect();
    // Complete only when everything given was read and assessed.
    partial |= !scan.not_assessed.is_empty();
    Ok(AuditResult {
        asset,
        today,
        generated_at: now,
        scan,
        detections,
        set_aside,
        cases,
        drafts,
        record,
        logs_read,
        partial,
        progress,
    })
}

/// The zone of log times without an offset: --tz, else what a root filesystem names (said on stderr,
/// for the user to check), else UTC (the readers note the assumption on each file).
fn log_time_zone(
    args: &AuditRequest,
    roots: &[PathBuf],
    progress: &mut Vec<AuditNote>,
) -> TimeZone {
    if let Some(tz) = &args.tz {
        return tz.clone();
    }
    for root in roots {
        if let Some(tz) = vigil_inventory::os::timezone::root_time_zone(root) {
            progress.push(AuditNote::TimeZone {
                name: tz.name.clone(),
                source: tz.source.clone(),
            });
            return tz.zone;
        }
    }
    TimeZone::UTC
}

/// Attaches to each detection the identifying fields of the records behind it (client address, account,
/// user agent, …): the evidence reports show instead of raw records, and what incidents are joined by.
/// Only the files that hold detections are read again, with the hunt's reading options.
fn attach_context(detections: &mut [Detection], read: &vigil_logs::ReadOptions) {
    let index = vigil_investigate::context::ContextIndex::new(detections);
    for file in index.files() {
        let mut sink = |ev: vigil_model::Event| {
            index.offer(detections, &ev);
        };
        if let Err(e) = vigil_logs::read_path(Path::new(file), read, &mut sink) {
            warn!(
                "{}: the records behind its detections could not be read again: {e}",
                vigil_model::text::terminal(file)
            );
        }
    }
}

/// Products the scan found out of support (`unsupported` notes), for the root cause and the measures.
/// The scan reports them as text: the product is what precedes "is out of support", the date is the
/// earliest release date of the updates published only for newer versions.
fn unsupported_products(
    scan: &ScanReport,
    packages: &[vigil_model::Package],
) -> Vec<vigil_investigate::support::UnsupportedProduct> {
    scan.not_assessed
        .iter()
        .filter(|n| n.kind == NotAssessedKind::Unsupported)
        .filter_map(|n| {
            let p = packages
                .iter()
                .find(|p| vigil_scan::notes::package_label(p) == n.location)?;
            let product = n
                .reason
                .split_once(" is out of support")
                .map_or_else(|| p.name.clone(), |(x, _)| x.trim().to_string());
            let since = n
                .reason
                .match_indices('(')
                .filter_map(|(i, _)| n.reason.get(i + 1..i + 11))
                .filter_map(|d| d.parse::<Date>().ok())
                .min();
            Some(vigil_investigate::support::UnsupportedProduct {
                asset: scan.asset.name.clone(),
                package: p.name.clone(),
                version: p.version.clone(),
                product,
                since,
                detail: n.reason.clone(),
            })
        })
        .collect()
}

fn asset_name(
    args: &AuditRequest,
    record: Option<&IncidentRecord>,
    invent: &vigil_inventory::Inventory,
    detections: &[Detection],
) -> String {
    let clean = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(a) = args.asset.as_deref().and_then(clean) {
        return a;
    }
    if let Some(a) = record.and_then(|r| r.assets.first()).and_then(|a| clean(a)) {
        return a;
    }
    if let Some(n) = invent
        .windows
        .as_ref()
        .and_then(|w| w.computer_name.as_deref())
        .and_then(clean)
    {
        return n;
    }
    // The host the logs name most often.
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for d in detections {
        if let Some(h) = d.host.as_deref().and_then(clean) {
            *counts
                .entry(vigil_investigate::asset::asset_key(&h))
                .or_default() += 1;
        }
    }
    if let Some((h, _)) = counts.into_iter().max_by_key(|(_, n)| *n) {
        return h;
    }
    args.inputs
        .first()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "local".into())
}

/// What the hunt read: the evidence a "no incident" rests on.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogsRead {
    pub events: u64,
    pub files: usize,
    pub rules: usize,
}
