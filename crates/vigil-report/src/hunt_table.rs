//! Hunt results as a table for people: two lines per detection as it is found (time, level, rule,
//! host, CVE and ATT&CK tags; then the record it cites, what matched and the rule's author), then a
//! line per rule whose detections the per-rule cap held back. Every value from a log or a rule goes
//! through `vigil_model::text::terminal`, so none can move the cursor, retitle the terminal or start
//! a line of its own. Levels are coloured only when asked (on a terminal, without `NO_COLOR`).

use crate::hunt_fields::{author, evidence, time};
use std::io::{self, Write};
use vigil_hunt::{DetectionSink, HuntSummary, RuleMeta};
use vigil_model::text::terminal;
use vigil_model::{Detection, Level};

/// Matched values shown per detection, and the characters shown of each.
const MATCHED_SHOWN: usize = 4;
const VALUE_CHARS: usize = 80;

/// Writes the table to `out`.
pub struct TableSink<W: Write> {
    out: W,
    colour: bool,
}

impl<W: Write> TableSink<W> {
    pub fn new(out: W, colour: bool) -> Self {
        TableSink { out, colour }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn level(&self, level: Level) -> String {
        let text = format!("{:<13}", level.as_str());
        if !self.colour {
            return text;
        }
        let code = match level {
            Level::Critical => "1;35",
            Level::High => "1;31",
            Level::Medium => "33",
            Level::Low => "36",
            Level::Informational => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

impl<W: Write> DetectionSink for TableSink<W> {
    fn detection(&mut self, d: &Detection, rule: Option<&RuleMeta>) -> io::Result<()> {
        let tags: Vec<&str> = d
            .tags
            .iter()
            .filter(|t| t.starts_with("cve.") || t.starts_with("attack.t"))
            .map(String::as_str)
            .collect();
        let level = self.level(d.level);
        writeln!(
            self.out,
            "{}  {level} {}  [{}]  {}",
            time(d.timestamp),
            terminal(&d.rule_title),
            terminal(d.host.as_deref().unwrap_or("-")),
            terminal(&tags.join(" "))
        )?;
        let matched: Vec<String> = d
            .matched
            .iter()
            .take(MATCHED_SHOWN)
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    terminal(k),
                    terminal(&crate::truncate(v, VALUE_CHARS))
                )
            })
            .collect();
        writeln!(
            self.out,
            "    {}  {}  (rule by {})",
            terminal(&evidence(d)),
            matched.join("  "),
            terminal(author(rule))
        )
    }

    fn finish(&mut self, summary: &HuntSummary) -> io::Result<()> {
        for t in summary.capped() {
            let level = self.level(t.level);
            writeln!(
                self.out,
                "{}  {level} {}  … {} more held back (at most {} per rule), from {}",
                time(t.suppressed_last),
                terminal(&t.rule_title),
                t.suppressed(),
                summary.max_per_rule,
                time(t.suppressed_first),
            )?;
        }
        self.out.flush()
    }
}
