//! `vigil hunt`: Sigma over logs. Arguments, the choice of renderer (a `vigil_report` sink that
//! writes each detection as it is found), the progress bar, the summary on stderr and the exit code;
//! the hunt itself is `vigil_hunt::hunt_into`.

use crate::Outcome;
use crate::cli::RuleArgs;
use crate::cmd::Context;
use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use vigil_hunt::{Decorate, DetectionSink, HuntOptions, HuntSummary};
use vigil_model::{Detection, Level};
use vigil_report::{CsvSink, JsonSink, JsonlSink, TableSink};
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
    /// When the logs were last written (RFC 3339, or a date meaning the end of that day, UTC).
    /// Syslog lines without a year ("Aug 13 09:12:01", RFC 3164) are put in this time's year, or
    /// the year before for lines that would fall after it. Give it for logs that were copied,
    /// restored or rotated away from the server: their files' modification times are not when
    /// they were written [default: each file's modification time]
    #[arg(long, value_name = "TIME", value_parser = parse_time_end)]
    pub log_time: Option<Timestamp>,
    /// Time zone of log times written without an offset (RFC 3164 syslog, Dovecot's and
    /// Exchange's own logs): an IANA name (Europe/Berlin) or an offset (+02:00, -0500). Give the
    /// server's zone when it logs local time, or every time is off by its offset [default: UTC]
    #[arg(long, value_name = "ZONE", value_parser = parse_tz)]
    pub tz: Option<TimeZone>,
    /// Report at most N detections per rule; the rest are counted, with their first and last time,
    /// in a row per rule at the end of the output and in the summary (0: no limit)
    #[arg(long, value_name = "N", default_value_t = vigil_hunt::DEFAULT_MAX_PER_RULE)]
    pub max_per_rule: usize,
    /// Output format [default: table on a terminal, jsonl otherwise]
    #[arg(long, value_enum)]
    pub format: Option<HuntFormat>,
    /// Write detections to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 1 when a detection at or above this level is found (also one held back
    /// by --max-per-rule)
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub fail_on: Option<Level>,
    /// Host name for detections whose log does not name one (IIS and HttpProxy logs, for example)
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Where the events correlations need are kept beyond the memory budget, as sorted runs (a few
    /// dozen bytes per matching event; removed at the end). Choose a disk-backed directory when
    /// /tmp is a tmpfs [default: TMPDIR, else /tmp]
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
    /// Bytes of correlation input held in memory before sorted runs go to --temp-dir
    #[arg(long, hide = true, value_name = "BYTES", default_value_t = vigil_hunt::DEFAULT_CORRELATION_MEMORY)]
    pub correlation_memory: usize,
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
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

/// A time zone: `UTC`, an offset (`+02:00`, `-0500`, `+2`, optionally after `UTC`/`GMT`), or an
/// IANA name from the system's time zone database.
fn parse_tz(s: &str) -> Result<TimeZone, String> {
    let t = s.trim();
    if ["utc", "z", "gmt"].contains(&t.to_ascii_lowercase().as_str()) {
        return Ok(TimeZone::UTC);
    }
    let offset = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    if let Some(seconds) = parse_offset(offset) {
        return Offset::from_seconds(seconds)
            .map(TimeZone::fixed)
            .map_err(|e| format!("'{s}': {e}"));
    }
    TimeZone::get(t).map_err(|_| {
        format!(
            "'{s}' is neither a time zone this system knows (an IANA name such as Europe/Berlin) \
             nor an offset such as +02:00"
        )
    })
}

/// `+H`, `+HH`, `+HHMM`, `+H:MM` or `+HH:MM` (or `-`) as seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => return None,
    };
    let digits = |t: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<i32>().ok())
            .flatten()
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (digits(h, 1..=2)?, digits(m, 2..=2)?),
        None if rest.len() <= 2 => (digits(rest, 1..=2)?, 0),
        None => (
            digits(rest.get(..rest.len() - 2)?, 1..=2)?,
            digits(rest.get(rest.len() - 2..)?, 2..=2)?,
        ),
    };
    (h <= 25 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// Rules in use, and how many could not be.
struct Rules {
    loaded: Option<vigil_pipeline::rules::LoadedRules>,
    /// `--rules` paths that do not exist.
    missing: Vec<PathBuf>,
}

impl Rules {
    fn failed(&self) -> usize {
        self.missing.len() + self.loaded.as_ref().map_or(0, |l| l.errors.len())
    }
}

/// Loads the rules; `--rules` paths that do not exist are left out and counted (a hunt with some
/// rules missing is partial, not fatal).
fn load_rules(args: &RuleArgs) -> Result<Rules> {
    let (present, missing): (Vec<PathBuf>, Vec<PathBuf>) =
        args.rules.iter().cloned().partition(|p| p.exists());
    if !args.rules.is_empty() && present.is_empty() && !args.with_bundled {
        return Ok(Rules {
            loaded: None,
            missing,
        });
    }
    let args = RuleArgs {
        rules: present,
        ..args.clone()
    };
    Ok(Rules {
        loaded: Some(vigil_pipeline::rules::load(&args.to_source())?),
        missing,
    })
}

pub fn run(ctx: &Context, args: HuntArgs) -> Result<Outcome> {
    let rules = if args.parse_only {
        Rules {
            loaded: None,
            missing: Vec::new(),
        }
    } else {
        load_rules(&args.rules)?
    };
    let empty = Engine::compile(&Default::default(), &Default::default()).0;
    let engine = rules.loaded.as_ref().map_or(&empty, |l| &l.engine);
    if !args.parse_only && engine.rule_count() == 0 {
        for p in &rules.missing {
            crate::note!("rules: {}: no such file or directory", crate::term::path(p));
        }
        crate::note!(
            "no usable rule was loaded: {} rule files or rules could not be used; nothing was \
             hunted (run 'vigil rules check' for the reasons)",
            rules.failed()
        );
        return Ok(Outcome::Partial);
    }

    let (files, unlisted) = vigil_hunt::input_files(&args.paths);
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
    let mut opts = HuntOptions {
        min_level: args.min_level,
        since: args.since,
        until: args.until,
        parse_only: args.parse_only,
        max_per_rule: args.max_per_rule,
        correlation_memory: args.correlation_memory,
        spill_dir: args.temp_dir.clone(),
        ..HuntOptions::default()
    };
    opts.read.syslog_reference_time = args.log_time;
    if let Some(tz) = &args.tz {
        opts.read.syslog_time_zone = tz.clone();
    }

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        HuntFormat::Table
    } else {
        HuntFormat::Jsonl
    });
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", crate::term::path(p)))?,
        )),
        // A person watching sees each detection as it is found; a pipe gets full buffers.
        None if to_terminal => Box::new(std::io::LineWriter::new(std::io::stdout())),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut renderer: Box<dyn DetectionSink> = match format {
        HuntFormat::Table => Box::new(TableSink::new(
            out,
            to_terminal && std::env::var_os("NO_COLOR").is_none(),
        )),
        HuntFormat::Csv => Box::new(CsvSink::new(out)),
        HuntFormat::Jsonl => Box::new(JsonlSink::new(out)),
        HuntFormat::Json => Box::new(JsonSink::new(
            out,
            rules.loaded.as_ref().map(|l| {
                let missing = rules
                    .missing
                    .iter()
                    .map(|p| format!("{}: no such file or directory", p.display()));
                missing
                    .chain(l.errors.iter().map(|e| e.to_string()))
                    .collect()
            }),
        )),
    };
    let cves = if args.parse_only {
        vigil_investigate::CveMap::default()
    } else {
        vigil_pipeline::rules::load_cve_map()
    };
    let mut sink = Decorate::new(renderer.as_mut(), |d: &mut Detection| {
        vigil_pipeline::rules::tag_cves(d, &cves);
        if d.host.is_none()
            && let Some(host) = &args.host
        {
            d.host = Some(host.clone());
        }
    });

    let started = std::time::Instant::now();
    let mut progress = |stats: &vigil_hunt::FileStats| {
        bar.set_message(
            std::path::Path::new(&stats.path)
                .file_name()
                .map(|n| crate::term::text(&n.to_string_lossy()).into_owned())
                .unwrap_or_default(),
        );
        bar.inc(1);
    };
    let summary = vigil_hunt::hunt_into(engine, &files, unlisted, &opts, &mut progress, &mut sink);
    bar.finish_and_clear();
    let summary = summary?;
    let elapsed = started.elapsed();

    let verdict = verdict(&summary, &rules, &args);
    for line in summary_lines(&summary, &rules, elapsed, args.parse_only) {
        crate::note!("{line}");
    }
    for line in &verdict.said {
        crate::note!("{line}");
    }
    Ok(verdict.outcome)
}

/// The exit status, and what must be said for it.
struct Verdict {
    outcome: Outcome,
    said: Vec<String>,
}

/// Status 1 when `--fail-on` trips; else 3 when anything was not read or not assessed (an input,
/// a rule, the correlations) or when no event at all was evaluated — a hunt that looked at nothing
/// must never look like a clean one; else 0.
fn verdict(s: &HuntSummary, rules: &Rules, args: &HuntArgs) -> Verdict {
    let mut said = Vec::new();
    if s.events_read == 0 {
        said.push(
            "nothing was hunted: no event was read from the inputs (empty, unreadable or not a \
             log format vigil reads)"
                .to_string(),
        );
    } else if s.events_evaluated == 0 {
        said.push(format!(
            "nothing was hunted: none of the {} events read is inside --since/--until{}",
            s.events_read,
            if args.log_time.is_none() {
                " (for syslog lines without a year, check the year assumed above or give \
                 --log-time)"
            } else {
                ""
            }
        ));
    }
    if let Some(gate) = args.fail_on
        && s.found_at_or_above(gate)
    {
        return Verdict {
            outcome: Outcome::GateTripped,
            said,
        };
    }
    let partial = !said.is_empty()
        || s.inputs_failed()
        || rules.failed() > 0
        || (!args.parse_only && s.correlation_incomplete());
    Verdict {
        outcome: if partial {
            Outcome::Partial
        } else {
            Outcome::Success
        },
        said,
    }
}

/// Rules listed by name in the summary; the rest are counted.
const RULES_LISTED: usize = 20;

/// The summary printed on stderr: what was read (with every reader's note), what failed, what was
/// found by level and by rule, what the caps held back, how the correlations went.
fn summary_lines(
    s: &HuntSummary,
    rules: &Rules,
    elapsed: std::time::Duration,
    parse_only: bool,
) -> Vec<String> {
    let text = |t: &str| crate::term::text(t).into_owned();
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mut out = vec![
        String::new(),
        format!(
            "{} events read from {} files in {:.2}s ({:.0} events/s); {} records failed to parse",
            s.events_read,
            s.files.iter().filter(|f| f.was_read()).count(),
            secs,
            s.events_read as f64 / secs,
            s.records_failed
        ),
    ];
    for f in &s.files {
        if let Some(why) = &f.skipped {
            // Readers' errors may name the file already: say it once.
            let why = why
                .strip_prefix(f.path.as_str())
                .and_then(|w| w.strip_prefix(": "))
                .unwrap_or(why);
            out.push(format!("  not read: {}: {}", text(&f.path), text(why)));
        } else if f.failed > 0 {
            out.push(format!(
                "  {}: {} records failed, e.g.:",
                text(&f.path),
                f.failed
            ));
            for fail in f.failures.iter().take(3) {
                out.push(format!("    {}: {}", fail.record, text(&fail.reason)));
            }
        }
        for note in &f.notes {
            out.push(format!("  {}: {}", text(&f.path), text(note)));
        }
    }
    let mut by_format: BTreeMap<String, u64> = BTreeMap::new();
    for f in &s.files {
        if let Some(fmt) = f.format {
            *by_format.entry(fmt.to_string()).or_default() += f.events;
        }
    }
    let per: Vec<String> = by_format.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if !per.is_empty() {
        out.push(format!("events by format: {}", per.join(", ")));
    }
    if parse_only {
        return out;
    }
    if let Some(l) = &rules.loaded {
        out.push(format!(
            "{} rules and {} correlations in use from {}; {} rules could not be used{}",
            l.engine.rule_count(),
            l.engine.correlation_count(),
            l.paths
                .iter()
                .map(|p| crate::term::path(p))
                .collect::<Vec<_>>()
                .join(", "),
            rules.failed(),
            if rules.failed() == 0 {
                ""
            } else {
                " (run 'vigil rules check' for the reasons)"
            }
        ));
    }
    for p in &rules.missing {
        out.push(format!(
            "  rules: {}: no such file or directory",
            crate::term::path(p)
        ));
    }
    let levels: Vec<String> = s
        .by_level
        .iter()
        .rev()
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    out.push(format!(
        "{} detections{}{}",
        s.detections,
        if levels.is_empty() {
            String::new()
        } else {
            format!(": {}", levels.join(", "))
        },
        if s.reported < s.detections {
            format!(
                "; {} reported, {} held back by --max-per-rule {}",
                s.reported,
                s.detections - s.reported,
                s.max_per_rule
            )
        } else {
            String::new()
        }
    ));
    for r in s.rules.iter().take(RULES_LISTED) {
        let held = if r.suppressed() > 0 {
            format!(
                "  ({} held back, {} to {})",
                r.suppressed(),
                time(r.suppressed_first),
                time(r.suppressed_last)
            )
        } else {
            String::new()
        };
        out.push(format!(
            "  {:>6}  {:<13} {}{held}",
            r.found,
            r.level.as_str(),
            text(&r.rule_title)
        ));
    }
    if s.rules.len() > RULES_LISTED {
        out.push(format!(
            "  … and {} more rules",
            s.rules.len() - RULES_LISTED
        ));
    }
    let c = &s.correlation;
    if c.correlations > 0 {
        let spilled = if c.spilled_runs > 0 {
            format!(
                "; {} sorted runs ({:.1} MB) went through the temporary directory",
                c.spilled_runs,
                c.spilled_bytes as f64 / 1e6
            )
        } else {
            String::new()
        };
        out.push(format!(
            "correlations: {} matching events fed in time order {}{spilled}",
            c.events,
            if c.in_order {
                "as the files were read"
            } else {
                "after every file was read"
            }
        ));
        if c.late + c.untimed > 0 {
            out.push(format!(
                "correlations ignored {} events outside their window and {} without a timestamp",
                c.late, c.untimed
            ));
        }
        if c.overflow > 0 {
            out.push(format!(
                "correlations incomplete: {} matches dropped because a correlation tracked its \
                 maximum of groups or events per group",
                c.overflow
            ));
        }
        if let Some(why) = &c.failed {
            out.push(format!("correlations not evaluated: {}", text(why)));
        }
    }
    out
}

fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into())
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
    fn time_zones_by_offset_and_name() {
        let offset = |s: &str| {
            parse_tz(s)
                .unwrap()
                .to_offset(Timestamp::UNIX_EPOCH)
                .seconds()
        };
        assert_eq!(offset("UTC"), 0);
        assert_eq!(offset("+02:00"), 7200);
        assert_eq!(offset("-0530"), -(5 * 3600 + 30 * 60));
        assert_eq!(offset("+2"), 7200);
        assert_eq!(offset("UTC-3"), -3 * 3600);
        assert_eq!(offset("+5:30"), 5 * 3600 + 30 * 60);
        for bad in [
            "+2:0",
            "+99",
            "+1:234",
            "+12345",
            "+ab",
            "nowhere/at all",
            "+",
        ] {
            assert!(parse_tz(bad).is_err(), "{bad}");
        }
        // An IANA name needs the system's time zone database.
        match parse_tz("Europe/Berlin") {
            Ok(tz) => assert_eq!(tz.to_offset(Timestamp::UNIX_EPOCH).seconds(), 3600),
            Err(e) => eprintln!("skipped the IANA name: {e}"),
        }
    }

    #[test]
    fn the_summary_prints_every_note_of_every_file_escaped() {
        let mut s = HuntSummary::default();
        s.events_read = 3;
        s.files.push(vigil_hunt::FileStats {
            path: "mail\u{1b}[2J.log".into(),
            events: 3,
            notes: vec![
                "year 2026 assumed from the file's modification time".into(),
                "times read as UTC; use --tz".into(),
            ],
            ..Default::default()
        });
        let rules = Rules {
            loaded: None,
            missing: vec![],
        };
        let lines = summary_lines(&s, &rules, std::time::Duration::from_secs(1), false);
        assert!(lines.contains(
            &"  mail\\e[2J.log: year 2026 assumed from the file's modification time".to_string()
        ));
        assert!(lines.contains(&"  mail\\e[2J.log: times read as UTC; use --tz".to_string()));
    }
}
