//! `vigil audit`: the whole chain on one server — knowledge import, inventory scan, log hunt, incidents,
//! root cause, measures — and a report directory a person can hand on.

use crate::Outcome;
use crate::cli::RuleArgs;
use crate::cmd::Context;
use anyhow::{Result, bail};
use clap::Args;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::path::PathBuf;
use vigil_investigate::Case;
use vigil_model::{Detection, Level};
use vigil_pipeline::audit::{AuditNote, AuditRequest, LogsRead};
use vigil_pipeline::triage::Dismissal;
use vigil_scan::ScanReport;

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
timeline.jsonl (Timesketch columns), findings.sarif, and for each incident breach-notice.md, \
breach-notice.html and breach-notice.pdf (the draft a regulator expects within 72 hours of awareness).\n\n\
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
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = crate::cli::parse_level)]
    pub min_level: Level,
    /// How many days before an incident lower-level detections sharing an address, network or account
    /// with it are its precursors (they move its start and the dwell time)
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub lookback: u32,
    /// When year-less syslog lines were last written (RFC 3339) [default: the awareness time in the
    /// incident record, else each file's modification time]
    #[arg(long, value_name = "TIME")]
    pub log_time: Option<Timestamp>,
    /// Time zone of logs whose times carry no offset (classic syslog, Dovecot), as an IANA name
    /// (Europe/London) or an offset (+01:00) [default: the zone a root filesystem names in
    /// etc/timezone or etc/localtime, else UTC]
    #[arg(long, value_name = "ZONE", value_parser = vigil_logs::parse_time_zone)]
    pub tz: Option<TimeZone>,
    /// Exit with status 1 when an incident at or above this level is found
    #[arg(long, value_name = "LEVEL", value_parser = crate::cli::parse_level)]
    pub fail_on: Option<Level>,
    #[command(flatten)]
    pub rules: RuleArgs,
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
    let req = AuditRequest {
        inputs: args.inputs.clone(),
        asset: args.asset.clone(),
        tags: args.tags.clone(),
        knowledge: args.knowledge.clone(),
        inventory: args.inventory.clone(),
        root: args.root.clone(),
        logs: args.logs.clone(),
        incident: args.incident.clone(),
        dismissals: args
            .dismiss
            .iter()
            .map(|d| Dismissal::parse(d, "dismissed with --dismiss"))
            .collect::<Result<_, _>>()?,
        today: args.today,
        gap: args.gap,
        min_level: args.min_level,
        lookback: args.lookback,
        log_time: args.log_time,
        tz: args.tz.clone(),
        rules: args.rules.to_source(),
        policy: ctx.config.policy.clone(),
        max_age: ctx.config.knowledge.max_age(),
    };
    let sorted = vigil_pipeline::audit::sort_inputs(&req)?;
    crate::note!("inputs     inventory: {}", show(&sorted.inventory));
    crate::note!("           roots: {}", show(&sorted.roots));
    crate::note!("           logs: {}", show(&sorted.logs));
    crate::note!("           knowledge: {}", show(&sorted.knowledge));
    if let Some(i) = &sorted.incident {
        crate::note!("           incident record: {}", crate::term::path(i));
    }
    let rules = if sorted.logs.is_empty() {
        None
    } else {
        Some(vigil_pipeline::rules::load(&req.rules)?)
    };
    let cve_map = vigil_pipeline::rules::load_cve_map();
    let mut store = ctx.open_store()?;
    let result = vigil_pipeline::audit::audit(
        &mut store,
        &req,
        &sorted,
        rules.as_ref(),
        &cve_map,
        Timestamp::now(),
    )?;
    for n in &result.progress {
        match n {
            AuditNote::Imported { path, records } => crate::note!(
                "knowledge  {}: {records} records imported",
                crate::term::path(path)
            ),
            AuditNote::TimeZone { name, source } => crate::note!(
                "time zone  {} (from {}) for log times without an offset; --tz overrides",
                crate::term::text(name),
                crate::term::text(source)
            ),
            AuditNote::Hunted { read, detections } => crate::note!(
                "hunt       {} events from {} files, {} rules: {detections} detections",
                read.events,
                read.files,
                read.rules
            ),
            AuditNote::ExchangeBuild(text) => {
                crate::note!("inventory  {}", crate::term::text(text))
            }
        }
    }
    let view = vigil_report::AuditView {
        asset: &result.asset,
        today: result.today,
        generated_at: result.generated_at,
        scan: &result.scan,
        detections: &result.detections,
        dismissed: &result.set_aside,
        cases: &result.cases,
        drafts: &result.drafts,
        record: result.record.as_ref(),
    };
    let mut dir = crate::outdir::ReportDir::create(&args.out, args.force)?;
    vigil_report::audit_folder::write(&view, &mut dir)?;
    let written = dir.commit()?;

    // Exit 0 only when everything given was read and assessed.
    let scan = &result.scan;
    crate::put!(
        "{}",
        summary(
            scan,
            &result.cases,
            &result.set_aside,
            &written,
            &result.logs_read
        )
    )?;
    if result.partial {
        crate::note!(
            "vigil: the audit is incomplete: {} item(s) not assessed (see report.md, \"Not assessed\"); \
             what is missing may hide findings or an incident",
            scan.not_assessed.len().max(1)
        );
    }
    if let Some(gate) = args.fail_on
        && result
            .cases
            .iter()
            .any(|c| c.incident.highest_level >= gate)
    {
        return Ok(Outcome::GateTripped);
    }
    Ok(if result.partial {
        Outcome::Partial
    } else {
        Outcome::Success
    })
}

fn summary(
    scan: &ScanReport,
    cases: &[Case],
    dismissed: &[Detection],
    written: &[PathBuf],
    logs: &LogsRead,
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
            crate::render::clip(&f0.package.name, 40),
            crate::render::clip(&f0.package.version, 30),
            f0.fix_released.map_or("?".into(), |d| d.to_string()),
            f0.due.map_or("?".into(), |d| d.to_string()),
            f.days_overdue.unwrap_or_default(),
            if f0.known_exploited { " (KEV)" } else { "" }
        ));
    }
    o.push('\n');
    if cases.is_empty() {
        if logs.events == 0 {
            o.push_str(
                "No incident can be concluded: no log event was read. Whether anyone got in is told by \
                 the server's logs; give them (--logs, or in the folders audited).\n\n",
            );
        } else {
            o.push_str(&format!(
                "No incident found in {} events from {} log files with {} rules (no detection at or \
                 above the incident level).\n\n",
                logs.events, logs.files, logs.rules
            ));
        }
    }
    for c in cases {
        o.push_str(&crate::render::case_text(
            &vigil_pipeline::investigate::CaseSummary::of(c),
        ));
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
