//! `vigil audit`: the whole chain on one server — knowledge import, inventory scan, log hunt, incidents,
//! root cause, measures — and a report directory a person can hand on.

use crate::Outcome;
use crate::cmd::Context;
use crate::cmd::investigate::{self as inv, Case, Dismissal};
use crate::cmd::rules::{self, RuleArgs};
use anyhow::{Context as _, Result, bail};
use clap::Args;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tracing::warn;
use vigil_investigate::breach::BreachInput;
use vigil_investigate::incident::DetectionKey;
use vigil_investigate::{BreachDraft, IncidentRecord, draft_breach};
use vigil_model::{Asset, Detection, Level};
use vigil_scan::{IgnoreFile, NotAssessed, NotAssessedKind, ScanInput, ScanReport};
use vigil_store::{Snapshot, Store};

pub const LONG_ABOUT: &str = "Audit one server end to end: import the vulnerability knowledge given, scan its \
inventory, hunt its logs with the bundled Sigma rules, group the detections into incidents, work out each \
incident's entry point, root cause (the missing updates, with the days they were overdue) and dwell time, and \
write a report directory.\n\n\
INPUTS are sorted automatically (each choice is printed): a folder named `knowledge` is imported as \
knowledge (like `vigil db import`); a file named `incident.toml` is the incident record; a folder holding \
`etc/os-release` or `var/lib/dpkg/status` is a root filesystem (its package database is read, its \
`var/log` is hunted); files vigil's inventory readers recognise (lockfiles, SBOMs, the Windows/Exchange \
inventory JSON) are inventory; documentation (`.md`, `.toml`, `.py`) is skipped; everything else is a log. \
--knowledge, --inventory, --root and --logs say it explicitly instead.\n\n\
The report directory (--out) holds report.md, report.html (one self-contained page), timeline.csv and \
timeline.jsonl (Timesketch columns), findings.sarif, and for each incident breach-notice.md and \
breach-notice.html (the draft a regulator expects within 72 hours of awareness).\n\n\
Triage: --dismiss RULE@FILE:RECORD (or a `dismissed = [\"…\"]` list in incident.toml) sets a false positive \
aside; RULE may be `*` for every rule on that record, FILE is the end of the log's path, RECORD the line or \
EVTX record vigil cites.\n\n\
Examples:\n  vigil audit --asset MAIL01 --incident examples/exchange-2021/incident.toml \\\n    \
--knowledge examples/exchange-2021/knowledge --dismiss '*@MSExchange_Management.jsonl:1' \\\n    \
--out audit-mail01 examples/exchange-2021\n  vigil audit --out audit-mx1 examples/linux-mail";

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Folders and files of the server: inventory, logs, knowledge, incident record (sorted automatically)
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The asset audited [default: the incident record's first asset, the inventory's computer name, the
    /// host the logs name]
    #[arg(long, value_name = "NAME")]
    pub asset: Option<String>,
    /// Policy tags of the asset (e.g. internet-facing)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Knowledge to import first (as `vigil db import`)
    #[arg(long, value_name = "PATH")]
    pub knowledge: Vec<PathBuf>,
    /// Inventory files or folders
    #[arg(long, value_name = "PATH")]
    pub inventory: Vec<PathBuf>,
    /// Mounted root filesystems to read OS package databases from
    #[arg(long, value_name = "DIR")]
    pub root: Vec<PathBuf>,
    /// Log files or folders
    #[arg(long, value_name = "PATH")]
    pub logs: Vec<PathBuf>,
    /// The incident record (incident.toml): awareness time, organisation, what is known
    #[arg(long, value_name = "FILE")]
    pub incident: Option<PathBuf>,
    /// Set a detection aside as a false positive: RULE@FILE:RECORD (RULE may be *)
    #[arg(long, value_name = "RULE@FILE:RECORD")]
    pub dismiss: Vec<String>,
    /// Measure patch deadlines as of this day [default: the day of awareness in the incident record, else
    /// today]
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
    /// The report directory: created, or replaced when it holds an earlier vigil report; any other
    /// non-empty folder is refused unless --force
    #[arg(long, value_name = "DIR", default_value = "vigil-audit")]
    pub out: PathBuf,
    /// Add the report's files to a folder that holds other files (vigil's own file names are replaced)
    #[arg(long)]
    pub force: bool,
    /// Longest silence, in days, between two detections of one wave (later waves join by shared entities)
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub gap: u32,
    /// Detections at or above this level open incidents; lower ones only join one they fall inside
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = inv::parse_level)]
    pub min_level: Level,
    /// How many days before an incident lower-level detections sharing an address, network or account
    /// with it are its precursors (they move its start and the dwell time)
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub lookback: u32,
    /// When year-less syslog lines were last written (RFC 3339) [default: the awareness time in the
    /// incident record, else each file's modification time]
    #[arg(long, value_name = "TIME")]
    pub log_time: Option<Timestamp>,
    /// Exit with status 1 when an incident at or above this level is found
    #[arg(long, value_name = "LEVEL", value_parser = inv::parse_level)]
    pub fail_on: Option<Level>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// The inputs after sorting.
#[derive(Debug, Default)]
struct Sorted {
    knowledge: Vec<PathBuf>,
    inventory: Vec<PathBuf>,
    roots: Vec<PathBuf>,
    logs: Vec<PathBuf>,
    incident: Option<PathBuf>,
    skipped: Vec<PathBuf>,
}

/// Deepest folder level walked, and most files looked at, when sorting inputs.
const MAX_DEPTH: usize = 12;
const MAX_FILES: usize = 200_000;

fn is_root(dir: &Path) -> bool {
    dir.join("etc/os-release").is_file()
        || dir.join("var/lib/dpkg/status").is_file()
        || dir.join("lib/apk/db/installed").is_file()
}

fn sort_inputs(args: &AuditArgs) -> Result<Sorted> {
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
    let mut budget = MAX_FILES;
    for p in &args.inputs {
        if !p.exists() {
            bail!("{} does not exist", p.display());
        }
        walk(
            p,
            0,
            &explicit,
            &mut s,
            &mut budget,
            args.incident.is_some(),
        );
    }
    Ok(s)
}

fn walk(
    p: &Path,
    depth: usize,
    explicit: &BTreeSet<PathBuf>,
    s: &mut Sorted,
    budget: &mut usize,
    has_incident: bool,
) {
    if std::fs::canonicalize(p).is_ok_and(|c| explicit.contains(&c)) {
        return;
    }
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        s.skipped.push(p.to_path_buf());
        return;
    };
    if meta.is_dir() {
        if crate::outdir::is_report_dir(p) {
            // An earlier vigil report inside an input folder is vigil's output, not the server's logs.
            s.skipped.push(p.to_path_buf());
            return;
        }
        let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase());
        if depth > 0
            && name
                .as_deref()
                .is_some_and(|n| n.starts_with('.') || n == "__pycache__")
        {
            return;
        }
        if name.as_deref() == Some("knowledge") {
            s.knowledge.push(p.to_path_buf());
            return;
        }
        if is_root(p) {
            s.roots.push(p.to_path_buf());
            let logs = p.join("var/log");
            if logs.is_dir() {
                s.logs.push(logs);
            }
            return;
        }
        if depth >= MAX_DEPTH {
            s.skipped.push(p.to_path_buf());
            return;
        }
        let Ok(rd) = std::fs::read_dir(p) else {
            s.skipped.push(p.to_path_buf());
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            walk(&e, depth + 1, explicit, s, budget, has_incident);
        }
        return;
    }
    if !meta.is_file() || *budget == 0 {
        return;
    }
    *budget -= 1;
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name == "incident.toml" {
        if !has_incident && s.incident.is_none() {
            s.incident = Some(p.to_path_buf());
        }
        return;
    }
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if matches!(ext.as_str(), "md" | "toml" | "py" | "pyc") || name.starts_with("license") {
        s.skipped.push(p.to_path_buf());
        return;
    }
    if vigil_inventory::detect::kind_of(p).is_ok() {
        s.inventory.push(p.to_path_buf());
    } else {
        s.logs.push(p.to_path_buf());
    }
}

fn show(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "-".into();
    }
    let mut v: Vec<String> = paths.iter().take(4).map(|p| crate::term::path(p)).collect();
    if paths.len() > 4 {
        v.push(format!("and {} more", paths.len() - 4));
    }
    v.join(", ")
}

/// Imports knowledge like `vigil db import`; returns notes for what was skipped and whether an input failed.
fn import_knowledge(store: &mut dyn Store, paths: &[PathBuf]) -> (Vec<NotAssessed>, bool) {
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
        crate::note!(
            "knowledge  {}: {imported} records imported",
            crate::term::path(path)
        );
    }
    (notes, failed)
}

pub fn run(ctx: &Context, args: AuditArgs) -> Result<Outcome> {
    if args.inputs.is_empty()
        && args.inventory.is_empty()
        && args.root.is_empty()
        && args.logs.is_empty()
    {
        bail!(
            "nothing to audit: give the server's folders or files (or --inventory/--root/--logs)"
        );
    }
    let sorted = sort_inputs(&args)?;
    crate::note!("inputs     inventory: {}", show(&sorted.inventory));
    crate::note!("           roots: {}", show(&sorted.roots));
    crate::note!("           logs: {}", show(&sorted.logs));
    crate::note!("           knowledge: {}", show(&sorted.knowledge));
    if let Some(i) = &sorted.incident {
        crate::note!("           incident record: {}", crate::term::path(i));
    }
    let record: Option<IncidentRecord> = sorted
        .incident
        .as_deref()
        .map(inv::read_record)
        .transpose()?;
    let mut dismissals: Vec<Dismissal> = args
        .dismiss
        .iter()
        .map(|d| Dismissal::parse(d, "dismissed with --dismiss"))
        .collect::<Result<_>>()?;
    if let Some(p) = &sorted.incident {
        dismissals.extend(inv::record_dismissals(p)?);
    }
    let now = Timestamp::now();
    let today = args
        .today
        .or_else(|| {
            record
                .as_ref()
                .and_then(|r| r.aware_at)
                .map(|t| t.to_zoned(TimeZone::UTC).date())
        })
        .unwrap_or_else(|| now.to_zoned(TimeZone::UTC).date());

    let mut store = ctx.open_store()?;
    let mut partial = false;
    let (mut notes, failed) = import_knowledge(&mut store, &sorted.knowledge);
    partial |= failed;

    // Inventory.
    let (mut invent, failed) = vigil_inventory::collect_inputs(&sorted.inventory, &[]);
    partial |= failed;
    let mut inputs: Vec<String> = sorted
        .inventory
        .iter()
        .map(|t| t.display().to_string())
        .collect();
    for r in &sorted.roots {
        inputs.push(format!("root:{}", r.display()));
        invent.merge(vigil_inventory::scan_root(r));
    }
    invent.normalise();

    // Hunt (before naming the asset: the logs may be what names it).
    let mut detections = Vec::new();
    let mut hunt_notes = Vec::new();
    if !sorted.logs.is_empty() {
        let loaded = rules::load(&args.rules)?;
        if loaded.engine.rule_count() == 0 {
            bail!("no usable rule was loaded (see 'vigil rules check')");
        }
        let (files, skipped) = vigil_hunt::input_files(&sorted.logs);
        let mut opts = vigil_hunt::HuntOptions::default();
        opts.read.syslog_reference_time = args
            .log_time
            .or_else(|| record.as_ref().and_then(|r| r.aware_at));
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
        crate::note!(
            "hunt       {} events from {} files, {} rules: {} detections",
            report.events_read(),
            files.len(),
            loaded.engine.rule_count(),
            report.detections.len()
        );
        detections = report.detections;
        attach_context(&mut detections, &opts.read);
    }

    let asset_name = asset_name(&args, record.as_ref(), &invent, &detections);
    for d in &mut detections {
        if d.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
            d.host = Some(asset_name.clone());
        }
    }

    // Scan.
    let tags = if args.tags.is_empty() {
        store
            .asset(&asset_name)?
            .map(|a| a.asset.tags)
            .unwrap_or_default()
    } else {
        args.tags.clone()
    };
    let asset = Asset {
        name: asset_name.clone(),
        tags,
    };
    let max_age = SignedDuration::from_hours(
        i64::try_from(ctx.config.knowledge.max_age_hours).unwrap_or(i64::MAX / 7200),
    );
    let scan_input = ScanInput {
        asset: asset.clone(),
        inputs: inputs.clone(),
        packages: invent.packages.clone(),
        host: invent.windows.as_ref().map(|w| vigil_scan::HostUpdates {
            os_caption: w.os_caption.clone(),
            os_build: w.os_build.clone(),
            installed: w
                .hotfixes
                .iter()
                .map(|h| (h.id.clone(), h.installed_on))
                .collect(),
        }),
        notes: invent
            .not_assessed
            .iter()
            .map(|n| NotAssessed::new(NotAssessedKind::Input, &n.location, &n.reason))
            .collect(),
        today,
        max_age,
        now,
    };
    let mut scan = vigil_scan::scan(
        &store,
        &scan_input,
        &ctx.config.policy,
        &IgnoreFile::default(),
    )?;
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
        .context("storing the detections")?;
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
    let (_, stored_dismissed) = inv::stored(&store)?;
    dismissed.extend(stored_dismissed);
    let grouping = vigil_investigate::group_incidents(
        &detections,
        &inv::group_options(&dismissed, args.gap, args.min_level, args.lookback),
    );
    let mut knowledge = inv::knowledge(&store)?;
    // An update released after the audit date did not exist then: never a root cause or a measure.
    knowledge
        .findings
        .retain(|f| f.fix_released.is_none_or(|r| r <= today));
    knowledge.unsupported = unsupported_products(&scan, &invent.packages);
    let cases = inv::investigate(&grouping, &knowledge, record.as_ref());
    inv::save_cases(&mut store, &cases)?;

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

    // Every detection set aside, whether or not it would have joined an incident.
    let set_aside: Vec<Detection> = detections
        .iter()
        .filter(|d| {
            dismissed
                .iter()
                .any(|k| k.rule_id == d.rule_id && d.sources.contains(&k.source))
        })
        .cloned()
        .collect();
    let view = crate::cmd::audit_report::AuditView {
        asset: &asset,
        today,
        generated_at: now,
        scan: &scan,
        detections: &detections,
        dismissed: &set_aside,
        cases: &cases,
        drafts: &drafts,
        record: record.as_ref(),
    };
    let written = crate::cmd::audit_report::write(&view, &args.out, args.force)?;

    crate::put!("{}", summary(&scan, &cases, &set_aside, &written))?;
    if let Some(gate) = args.fail_on
        && cases.iter().any(|c| c.incident.highest_level >= gate)
    {
        return Ok(Outcome::GateTripped);
    }
    Ok(if partial {
        Outcome::Partial
    } else {
        Outcome::Success
    })
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
                crate::term::text(file)
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
    args: &AuditArgs,
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

/// The short terminal summary.
fn summary(
    scan: &ScanReport,
    cases: &[Case],
    dismissed: &[Detection],
    written: &[PathBuf],
) -> String {
    let mut o = String::new();
    let overdue: Vec<_> = scan
        .findings
        .iter()
        .filter(|f| f.is_open() && f.days_overdue.is_some_and(|d| d > 0))
        .collect();
    o.push_str(&format!(
        "\n{} — {} finding(s), {} overdue as of {}\n",
        scan.asset.name,
        scan.findings.len(),
        overdue.len(),
        scan.today
    ));
    for f in &overdue {
        let f0 = &f.finding;
        let name = f0
            .kb
            .as_deref()
            .map(|k| format!("KB{}", k.trim_start_matches("KB")))
            .or_else(|| f0.advisories.first().cloned())
            .unwrap_or_default();
        o.push_str(&format!(
            "  {name:<16} {} {}  released {}, due {}: {} days overdue{}\n",
            crate::cmd::status::clip(&f0.package.name, 40),
            crate::cmd::status::clip(&f0.package.version, 30),
            f0.fix_released.map_or("?".into(), |d| d.to_string()),
            f0.due.map_or("?".into(), |d| d.to_string()),
            f.days_overdue.unwrap_or_default(),
            if f0.known_exploited { " (KEV)" } else { "" }
        ));
    }
    o.push('\n');
    if cases.is_empty() {
        o.push_str("No incident: no detection at or above the incident level.\n\n");
    }
    for c in cases {
        o.push_str(&inv::case_text(c));
    }
    if !dismissed.is_empty() {
        o.push_str(&format!(
            "{} detection(s) dismissed as false positives\n",
            dismissed.len()
        ));
    }
    o.push_str("written:\n");
    for p in written {
        o.push_str(&format!("  {}\n", p.display()));
    }
    o
}
