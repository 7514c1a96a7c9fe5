//! `vigil hunt`: Sigma over logs, with a table, CSV, JSON lines or JSON out and a summary on stderr.

use crate::Outcome;
use crate::cmd::Context;
use crate::cmd::rules::{self, RuleArgs};
use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use vigil_hunt::{HuntOptions, HuntReport};
use vigil_model::{Detection, Level};
use vigil_sigma::Engine;

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Log files or directories
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Report only detections at or above this level
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub min_level: Option<Level>,
    /// Only events at or after this time (RFC 3339, or a date meaning midnight UTC)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<Timestamp>,
    /// Only events at or before this time (RFC 3339, or a date meaning the end of that day, UTC)
    #[arg(long, value_name = "TIME", value_parser = parse_time_end)]
    pub until: Option<Timestamp>,
    /// Output format [default: table on a terminal, jsonl otherwise]
    #[arg(long, value_enum)]
    pub format: Option<HuntFormat>,
    /// Write detections to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 1 when a detection at or above this level is found
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub fail_on: Option<Level>,
    /// Host name for detections whose log does not name one (IIS and HttpProxy logs, for example)
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Read and count events without evaluating rules (the floor a hunt is measured against)
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HuntFormat {
    Table,
    Csv,
    Jsonl,
    Json,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    parse_time_bound(s, false)
}

fn parse_time_end(s: &str) -> Result<Timestamp, String> {
    parse_time_bound(s, true)
}

fn parse_time_bound(s: &str, end_of_day: bool) -> Result<Timestamp, String> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date = s
        .parse()
        .map_err(|_| format!("'{s}' is neither an RFC 3339 time nor a YYYY-MM-DD date"))?;
    let time = if end_of_day {
        jiff::civil::time(23, 59, 59, 999_999_999)
    } else {
        jiff::civil::Time::midnight()
    };
    date.to_datetime(time)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

pub fn run(ctx: &Context, args: HuntArgs) -> Result<Outcome> {
    for p in &args.paths {
        if !p.exists() {
            bail!("{} does not exist", p.display());
        }
    }
    let loaded = if args.parse_only {
        None
    } else {
        Some(rules::load(&args.rules)?)
    };
    let empty = Engine::compile(&Default::default(), &Default::default()).0;
    let engine = loaded.as_ref().map_or(&empty, |l| &l.engine);
    if !args.parse_only && engine.rule_count() == 0 {
        bail!("no usable rule was loaded (see 'vigil rules check')");
    }

    let (files, skipped) = vigil_hunt::input_files(&args.paths);
    let bar = if ctx.progress {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} files {wide_bar} {elapsed_precise} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let opts = HuntOptions {
        min_level: args.min_level,
        since: args.since,
        until: args.until,
        parse_only: args.parse_only,
        ..HuntOptions::default()
    };
    let started = std::time::Instant::now();
    let mut report = vigil_hunt::hunt(engine, &files, &opts, &|path, _| {
        bar.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        bar.inc(1);
    });
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    report.files.extend(skipped);
    if !args.parse_only {
        tag_cves(
            &mut report.detections,
            &crate::cmd::investigate::load_cve_map(),
        );
    }
    if let Some(host) = &args.host {
        for d in report.detections.iter_mut().filter(|d| d.host.is_none()) {
            d.host = Some(host.clone());
        }
    }

    let format = args.format.unwrap_or(
        if args.output.is_none() && std::io::stdout().is_terminal() {
            HuntFormat::Table
        } else {
            HuntFormat::Jsonl
        },
    );
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    if !args.parse_only {
        write_detections(&mut out, format, engine, &report, loaded.as_ref())?;
    }
    out.flush()?;
    drop(out);
    summary(&report, loaded.as_ref(), elapsed, args.parse_only);

    let problems = report
        .files
        .iter()
        .any(|f| f.skipped.is_some() || f.failed > 0);
    if let Some(gate) = args.fail_on
        && report.detections.iter().any(|d| d.level >= gate)
    {
        return Ok(Outcome::GateTripped);
    }
    Ok(if problems {
        Outcome::Partial
    } else {
        Outcome::Success
    })
}

/// Adds the `cve.` tags of rules/cve-map.yml: SigmaHQ's Exchange exploitation rules carry none, and
/// the CVE is what ties a detection to a missing patch.
fn tag_cves(detections: &mut [Detection], map: &vigil_investigate::CveMap) {
    for d in detections {
        let Some(m) = map.get(&d.rule_id) else {
            continue;
        };
        for cve in &m.cves {
            let tag = format!(
                "cve.{}",
                cve.trim_start_matches("CVE-").to_ascii_lowercase()
            );
            if !d.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
                d.tags.push(tag);
            }
        }
    }
}

fn author<'a>(engine: &'a Engine, d: &Detection) -> &'a str {
    engine
        .rule_meta(&d.rule_id)
        .and_then(|m| m.author.as_deref())
        .unwrap_or("")
}

fn evidence(d: &Detection) -> String {
    match d.sources.as_slice() {
        [] => String::new(),
        [one] => format!("{}:{}", one.file, one.record),
        [first, rest @ ..] => format!("{}:{} (+{} more)", first.file, first.record, rest.len()),
    }
}

fn time(d: &Detection) -> String {
    d.timestamp
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into())
}

fn detection_json(engine: &Engine, d: &Detection) -> serde_json::Value {
    let mut v = serde_json::to_value(d).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "rule_author".into(),
            serde_json::Value::from(author(engine, d)),
        );
    }
    v
}

fn write_detections(
    out: &mut dyn Write,
    format: HuntFormat,
    engine: &Engine,
    report: &HuntReport,
    loaded: Option<&rules::LoadedRules>,
) -> Result<()> {
    match format {
        HuntFormat::Jsonl => {
            for d in &report.detections {
                writeln!(out, "{}", detection_json(engine, d))?;
            }
        }
        HuntFormat::Json => {
            let doc = serde_json::json!({
                "schema": "vigil.hunt/1",
                "detections": report.detections.iter().map(|d| detection_json(engine, d)).collect::<Vec<_>>(),
                "files": report.files,
                "events_read": report.events_read(),
                "records_failed": report.records_failed(),
                "rules_not_loaded": loaded.map(|l| l.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()),
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        HuntFormat::Csv => {
            writeln!(
                out,
                "timestamp,level,rule_id,rule_title,rule_author,host,tags,file,record,matched"
            )?;
            for d in &report.detections {
                let src = d.sources.first();
                let matched: Vec<String> =
                    d.matched.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let cells = [
                    time(d),
                    d.level.to_string(),
                    d.rule_id.clone(),
                    d.rule_title.clone(),
                    author(engine, d).to_string(),
                    d.host.clone().unwrap_or_default(),
                    d.tags.join(" "),
                    src.map(|s| s.file.clone()).unwrap_or_default(),
                    src.map(|s| s.record.to_string()).unwrap_or_default(),
                    matched.join("; "),
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
        HuntFormat::Table => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            for d in &report.detections {
                let level = format!("{:<13}", d.level.as_str());
                let level = if colour {
                    paint(d.level, &level)
                } else {
                    level
                };
                let tags: Vec<&str> = d
                    .tags
                    .iter()
                    .filter(|t| t.starts_with("cve.") || t.starts_with("attack.t"))
                    .map(String::as_str)
                    .collect();
                writeln!(
                    out,
                    "{}  {level} {}  [{}]  {}",
                    time(d),
                    d.rule_title,
                    d.host.as_deref().unwrap_or("-"),
                    tags.join(" ")
                )?;
                let matched: Vec<String> = d
                    .matched
                    .iter()
                    .take(4)
                    .map(|(k, v)| format!("{k}={}", clip(v, 80)))
                    .collect();
                writeln!(
                    out,
                    "    {}  {}  (rule by {})",
                    evidence(d),
                    matched.join("  "),
                    author(engine, d)
                )?;
            }
        }
    }
    Ok(())
}

fn paint(level: Level, text: &str) -> String {
    let code = match level {
        Level::Critical => "1;35",
        Level::High => "1;31",
        Level::Medium => "33",
        Level::Low => "36",
        Level::Informational => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn clip(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        clean
    } else {
        let mut t: String = clean.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn csv_cell(s: &str) -> String {
    // A leading =, +, - or @ makes spreadsheets evaluate the cell: log content is untrusted.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn summary(
    report: &HuntReport,
    loaded: Option<&rules::LoadedRules>,
    elapsed: std::time::Duration,
    parse_only: bool,
) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let events = report.events_read();
    crate::note!();
    crate::note!(
        "{} events read from {} files in {:.2}s ({:.0} events/s); {} records failed to parse",
        events,
        report.files.iter().filter(|f| f.skipped.is_none()).count(),
        secs,
        events as f64 / secs,
        report.records_failed()
    );
    for f in &report.files {
        if let Some(why) = &f.skipped {
            crate::note!(
                "  not read: {}: {}",
                crate::term::text(&f.path),
                crate::term::text(why)
            );
        } else if f.failed > 0 {
            crate::note!(
                "  {}: {} records failed, e.g.:",
                crate::term::text(&f.path),
                f.failed
            );
            for fail in f.failures.iter().take(3) {
                crate::note!("    {}: {}", fail.record, crate::term::text(&fail.reason));
            }
        }
    }
    let mut by_format: BTreeMap<String, u64> = BTreeMap::new();
    for f in &report.files {
        if let Some(fmt) = f.format {
            *by_format.entry(fmt.to_string()).or_default() += f.events;
        }
    }
    let per: Vec<String> = by_format.iter().map(|(k, v)| format!("{k} {v}")).collect();
    crate::note!("events by format: {}", per.join(", "));
    if parse_only {
        return;
    }
    if let Some(l) = loaded {
        crate::note!(
            "{} rules and {} correlations in use from {}; {} rules could not be used{}",
            l.engine.rule_count(),
            l.engine.correlation_count(),
            l.paths
                .iter()
                .map(|p| crate::term::path(p).to_string())
                .collect::<Vec<_>>()
                .join(", "),
            l.errors.len(),
            if l.errors.is_empty() {
                ""
            } else {
                " (run 'vigil rules check' for the reasons)"
            }
        );
    }
    let mut by_level: BTreeMap<Level, usize> = BTreeMap::new();
    let mut by_rule: BTreeMap<(&str, Level), usize> = BTreeMap::new();
    for d in &report.detections {
        *by_level.entry(d.level).or_default() += 1;
        *by_rule.entry((d.rule_title.as_str(), d.level)).or_default() += 1;
    }
    let levels: Vec<String> = by_level
        .iter()
        .rev()
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    crate::note!(
        "{} detections{}",
        report.detections.len(),
        if levels.is_empty() {
            String::new()
        } else {
            format!(": {}", levels.join(", "))
        }
    );
    let mut rules: Vec<_> = by_rule.into_iter().collect();
    rules.sort_by(|a, b| b.0.1.cmp(&a.0.1).then(b.1.cmp(&a.1)));
    for ((title, level), n) in rules.iter().take(20) {
        crate::note!("  {n:>6}  {level:<13} {title}");
    }
    if rules.len() > 20 {
        crate::note!("  … and {} more rules", rules.len() - 20);
    }
    if report.correlation_late_events + report.correlation_untimed_events > 0 {
        crate::note!(
            "correlations ignored {} events outside their window and {} without a timestamp",
            report.correlation_late_events,
            report.correlation_untimed_events
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds() {
        assert_eq!(
            parse_time("2021-08-13").unwrap().to_string(),
            "2021-08-13T00:00:00Z"
        );
        assert_eq!(
            parse_time_end("2021-08-13").unwrap().to_string(),
            "2021-08-13T23:59:59.999999999Z"
        );
        assert_eq!(
            parse_time("2021-08-13T10:00:00+02:00").unwrap().to_string(),
            "2021-08-13T08:00:00Z"
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(clip("a\nb", 10), "a b");
    }
}
