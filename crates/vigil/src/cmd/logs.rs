//! `vigil logs show`: events as vigil's rules see them, for rule authors — the format each file was
//! read as and why, the Sigma log source, time, host and the field map, and with `--fields` the
//! Sigma field names that resolve to each field through the field mapping the engine applies.

use crate::Outcome;
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;
use std::path::PathBuf;
use vigil_logs::{FileStats, Format, ReadOptions};
use vigil_model::{Event, FieldValue, LogSource};
use vigil_sigma::{FieldMapping, Mappings};

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Print events as vigil's rules see them: format and why, Sigma log source, time, host, fields
    #[command(long_about = SHOW_ABOUT)]
    Show(ShowArgs),
}

const SHOW_ABOUT: &str = "Print events as vigil's rules see them, for writing and debugging rules.\n\n\
For each file: the format it was read as and the evidence for it, then each event with its Sigma \
log source (what decides which rules apply), time, host and field map (the names a rule's detection \
uses). With --fields, each field also lists the Sigma field names that resolve to it through the \
field mapping vigil applies to that log source. Assumptions the reader made (a year taken from the \
file's modification time, a format guessed from the file name) are printed with the file.\n\n\
Examples:\n  vigil logs show /var/log/mail.log\n  vigil logs show Security.evtx --limit 3 --fields\n  \
vigil logs show u_ex210812.log --format jsonl --limit 0 | jq .fields";

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Log files or directories (read as `vigil hunt` reads them)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
    pub format: ShowFormat,
    /// Events shown per file; the rest of the file is not read (0: all)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub limit: u64,
    /// Also show the Sigma field names that resolve to each field
    #[arg(long)]
    pub fields: bool,
    /// Read every file as this format instead of recognising it (evtx, winjson, w3c, exchange_csv,
    /// syslog, access, jsonl)
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub read_as: Option<Format>,
    /// When year-less syslog lines were last written (RFC 3339) [default: each file's modification
    /// time]; use it for a log copied from its server
    #[arg(long, value_name = "TIME")]
    pub log_time: Option<Timestamp>,
    /// Time zone of log times without a UTC offset (IANA name such as Europe/Zurich, or +02:00)
    /// [default: UTC]; use it for a server that logs local time
    #[arg(long, value_name = "ZONE", value_parser = vigil_logs::parse_time_zone)]
    pub tz: Option<TimeZone>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// Readable blocks, one per event
    Table,
    /// One JSON object per event, then one per file (`"type": "event"` / `"file"`)
    Jsonl,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format '{s}' (one of {})", names.join(", "))
    })
}

pub fn run(cmd: LogsCommand) -> Result<Outcome> {
    match cmd {
        LogsCommand::Show(args) => show(&args),
    }
}

/// Longest field value shown in the table; `--format jsonl` shows values whole.
const MAX_SHOWN: usize = 300;

fn show(args: &ShowArgs) -> Result<Outcome> {
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            bail!("{}: no such file", crate::term::path(p));
        }
    }
    let mut opts = ReadOptions {
        format: args.read_as,
        max_events: (args.limit > 0).then_some(args.limit),
        syslog_reference_time: args.log_time,
        ..ReadOptions::default()
    };
    if let Some(tz) = &args.tz {
        opts.syslog_time_zone = tz.clone();
    }
    let mappings = args
        .fields
        .then(vigil_hunt::mapping::reader_mappings)
        .transpose()
        .context("the readers' field mappings")?;
    let view = View {
        format: args.format,
        mappings: mappings.as_ref(),
    };

    let mut partial = false;
    for input in &args.paths {
        let (files, walked) = vigil_logs::log_files_with(input, &opts);
        for entry in &walked.files {
            partial |= entry.skipped.is_some();
            view.file_done(entry)?;
        }
        for file in files {
            let mut failed_write = None;
            let result = vigil_logs::read_path(&file, &opts, &mut |ev| {
                if failed_write.is_none()
                    && let Err(e) = view.event(&ev)
                {
                    failed_write = Some(e);
                }
            });
            if let Some(e) = failed_write {
                return Err(e.into());
            }
            let stats = match result {
                Ok(s) => s.files,
                Err(e) => vec![FileStats {
                    path: file.display().to_string(),
                    skipped: Some(e.reason()),
                    ..FileStats::default()
                }],
            };
            for fs in &stats {
                // A file that gave nothing to look at is not an all-clear either.
                partial |=
                    fs.skipped.is_some() || fs.failed > 0 || (fs.was_read() && fs.events == 0);
                view.file_done(fs)?;
            }
        }
    }
    Ok(if partial {
        Outcome::Partial
    } else {
        Outcome::Success
    })
}

/// How events and file summaries are printed.
struct View<'a> {
    format: ShowFormat,
    mappings: Option<&'a Mappings>,
}

impl View<'_> {
    fn event(&self, ev: &Event) -> std::io::Result<()> {
        let sigma = self
            .mappings
            .map(|m| sigma_names(m.for_logsource(&ev.logsource), ev));
        match self.format {
            ShowFormat::Jsonl => {
                let mut v = serde_json::to_value(ev).map_err(std::io::Error::other)?;
                if let serde_json::Value::Object(map) = &mut v {
                    map.insert("type".into(), "event".into());
                    if let Some(sigma) = &sigma {
                        let json = serde_json::to_value(sigma).map_err(std::io::Error::other)?;
                        map.insert("sigma_fields".into(), json);
                    }
                }
                crate::out!("{}", json_line(&v))
            }
            ShowFormat::Table => self.event_table(ev, sigma.as_ref()),
        }
    }

    fn event_table(
        &self,
        ev: &Event,
        sigma: Option<&BTreeMap<String, Vec<String>>>,
    ) -> std::io::Result<()> {
        let t = |s: &str| crate::term::text(s).into_owned();
        crate::out!("{}, {}", t(&ev.source.file), ev.source.record)?;
        let time = ev
            .timestamp
            .map_or_else(|| "(none)".to_string(), |ts| ts.to_string());
        crate::out!("  time       {time}")?;
        if let Some(host) = &ev.host {
            crate::out!("  host       {}", t(host))?;
        }
        crate::out!("  logsource  {}", t(&logsource(&ev.logsource)))?;
        let width = ev
            .fields
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0)
            .min(32);
        for (name, value) in &ev.fields {
            let shown = t(&clip(&value_text(value)));
            let names = sigma
                .and_then(|s| s.get(name))
                .filter(|n| !n.is_empty())
                .map(|n| format!("   ← Sigma: {}", t(&n.join(", "))))
                .unwrap_or_default();
            crate::out!("    {:<width$}  {shown}{names}", t(name))?;
        }
        if let Some(raw) = &ev.raw {
            crate::out!("  raw        {}", t(&clip(&raw.to_string())))?;
        }
        crate::out!()
    }

    /// What was read from a file (or why not), after its events.
    fn file_done(&self, fs: &FileStats) -> std::io::Result<()> {
        if self.format == ShowFormat::Jsonl {
            let mut v = serde_json::to_value(fs).map_err(std::io::Error::other)?;
            if let serde_json::Value::Object(map) = &mut v {
                map.insert("type".into(), "file".into());
            }
            return crate::out!("{}", json_line(&v));
        }
        let t = |s: &str| crate::term::text(s).into_owned();
        let path = t(&fs.path);
        if let Some(why) = &fs.skipped {
            crate::out!("{path}: not read: {}", t(why))?;
        } else if let Some(format) = fs.format {
            let evidence = fs
                .format_evidence
                .as_deref()
                .map(|e| format!(" ({})", t(e)))
                .unwrap_or_default();
            let gz = if fs.gzip { ", gzip" } else { "" };
            crate::out!(
                "{path}: {format}{gz}{evidence}; {} events, {} records failed",
                fs.events,
                fs.failed
            )?;
            if fs.events == 0 {
                crate::out!("  no event was read from this file")?;
            }
        } else {
            crate::out!("{path}: left out")?;
        }
        for note in &fs.notes {
            crate::out!("  note: {}", t(note))?;
        }
        for f in fs.failures.iter().take(5) {
            crate::out!("  failed: {}: {}", f.record, t(&f.reason))?;
        }
        if fs.failures.len() > 5 || fs.failed > fs.failures.len() as u64 {
            crate::out!("  … and more failed records")?;
        }
        crate::out!()
    }
}

/// For each event field, the Sigma field names that resolve to it through `mapping` (a name not in
/// the mapping resolves to itself).
fn sigma_names(mapping: Option<&FieldMapping>, ev: &Event) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for field in ev.fields.keys() {
        let mut names = Vec::new();
        match mapping {
            Some(m) => {
                for (sigma, targets) in &m.fields {
                    if targets.iter().any(|t| t == field) {
                        names.push(sigma.clone());
                    }
                }
                if !m.fields.contains_key(field) && !names.contains(field) {
                    names.push(field.clone());
                }
            }
            None => names.push(field.clone()),
        }
        names.sort();
        out.insert(field.clone(), names);
    }
    out
}

fn logsource(ls: &LogSource) -> String {
    let parts: Vec<String> = [
        ("product", &ls.product),
        ("category", &ls.category),
        ("service", &ls.service),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
    .collect();
    if parts.is_empty() {
        "(none: only rules without a log source apply)".to_string()
    } else {
        parts.join(", ")
    }
}

fn value_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Null => "null".to_string(),
        FieldValue::List(items) => {
            let inner: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", inner.join(", "))
        }
        FieldValue::Str(s) => format!("{s:?}"),
        other => other.as_text().map(|t| t.into_owned()).unwrap_or_default(),
    }
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_SHOWN {
        return s.to_string();
    }
    let mut end = MAX_SHOWN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… ({} more bytes)",
        s.get(..end).unwrap_or_default(),
        s.len() - end
    )
}

/// One JSON line that is safe on a terminal: serde_json escapes C0 controls; DEL, C1 controls and
/// the Unicode line separators (which can only occur inside strings) are escaped too.
fn json_line(v: &serde_json::Value) -> String {
    let text = v.to_string();
    if !text
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_c1_controls_and_stay_json() {
        let v = serde_json::json!({"m": "a\u{9b}31m\u{7f}\u{2028}b\u{1b}"});
        let line = json_line(&v);
        assert!(line.is_ascii(), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn sigma_names_invert_the_mapping() {
        let m = FieldMapping::from_yaml(
            "fields:\n  Image: program\n  program: program\n  ProcessId: pid\n",
        )
        .unwrap();
        let ev: Event = serde_json::from_value(serde_json::json!({
            "logsource": {}, "source": {"file": "f", "record": {"line": 1}},
            "fields": {"program": "sshd", "pid": "1", "message": "x"}
        }))
        .unwrap();
        let names = sigma_names(Some(&m), &ev);
        assert_eq!(names["program"], vec!["Image", "program"]);
        assert_eq!(names["pid"], vec!["ProcessId", "pid"]);
        assert_eq!(names["message"], vec!["message"]);
    }

    #[test]
    fn long_values_are_clipped_on_a_char_boundary() {
        let s = "é".repeat(400);
        let c = clip(&s);
        assert!(c.ends_with("more bytes)"));
        assert!(c.len() < s.len());
    }
}
