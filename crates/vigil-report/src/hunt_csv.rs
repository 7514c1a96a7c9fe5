//! Hunt results as CSV (RFC 4180), a row per detection as it is found, then a row per rule whose
//! detections the per-rule cap held back (`suppressed` holds their number, `first_seen` and
//! `timestamp` the first and last of them).
//!
//! Log content is untrusted and spreadsheets are where CSV is read: control characters are removed
//! (an escape sequence is data, not display), and a cell that starts with `=`, `+`, `-` or `@` is
//! prefixed with `'` so that no spreadsheet evaluates it as a formula.

use crate::hunt_fields::{author, time};
use std::io::{self, Write};
use vigil_hunt::{DetectionSink, HuntPlan, HuntSummary, RuleMeta, RuleTally};
use vigil_model::Detection;

pub const HEADER: &str = "timestamp,level,rule_id,rule_title,rule_author,host,tags,file,record,\
                          matched,first_seen,suppressed";

/// Writes CSV to `out`.
pub struct CsvSink<W: Write> {
    out: W,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W) -> Self {
        CsvSink { out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn row(&mut self, cells: &[&str]) -> io::Result<()> {
        let line: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        writeln!(self.out, "{}", line.join(","))
    }
}

impl<W: Write> DetectionSink for CsvSink<W> {
    fn begin(&mut self, _plan: &HuntPlan) -> io::Result<()> {
        writeln!(self.out, "{HEADER}")
    }

    fn detection(&mut self, d: &Detection, rule: Option<&RuleMeta>) -> io::Result<()> {
        let src = d.sources.first();
        let matched: Vec<String> = d.matched.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let first_seen = d.first_seen.map(|t| time(Some(t))).unwrap_or_default();
        self.row(&[
            &time(d.timestamp),
            d.level.as_str(),
            &d.rule_id,
            &d.rule_title,
            author(rule),
            d.host.as_deref().unwrap_or(""),
            &d.tags.join(" "),
            src.map_or("", |s| s.file.as_str()),
            &src.map(|s| s.record.to_string()).unwrap_or_default(),
            &matched.join("; "),
            &first_seen,
            "",
        ])
    }

    fn finish(&mut self, summary: &HuntSummary) -> io::Result<()> {
        for t in summary.capped() {
            self.suppressed(t)?;
        }
        self.out.flush()
    }
}

impl<W: Write> CsvSink<W> {
    fn suppressed(&mut self, t: &RuleTally) -> io::Result<()> {
        self.row(&[
            &time(t.suppressed_last),
            t.level.as_str(),
            &t.rule_id,
            &t.rule_title,
            t.rule_author.as_deref().unwrap_or(""),
            "",
            "",
            "",
            "",
            "",
            &time(t.suppressed_first),
            &t.suppressed().to_string(),
        ])
    }
}

/// One CSV cell: control characters removed, formulas defused, quoted when needed.
pub fn cell(s: &str) -> String {
    let s = vigil_model::text::strip_controls(s);
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.into_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_defused_and_free_of_control_characters() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(cell("\u{1b}]0;owned\u{7}x"), "]0;ownedx");
        assert_eq!(cell("a\nb"), "a b");
        // A control character cannot hide a formula from the defusing.
        assert_eq!(cell("\u{1b}=1+1"), "'=1+1");
    }
}
