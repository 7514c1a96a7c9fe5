//! `vigil coverage`: for the asset's actual log sources, the ATT&CK techniques of a mail server (and
//! those its rules name) — rules that can fire, rules that exist but are blind, no rule — as a table,
//! JSON, or a self-contained HTML page with a technique grid.

use crate::Outcome;
use crate::cmd::doctor::{AssetArgs, assess};
use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

pub const LONG_ABOUT: &str = "ATT&CK coverage of an asset's logs. For the techniques an attack on a \
mail server goes through (exploit of the public-facing application T1190, valid accounts T1078, \
brute force and password spraying T1110, web shells T1505.003, mailbox collection and forwarding \
rules T1114, exfiltration T1041/T1567, phishing T1566, account manipulation T1098) and those the \
rules on the asset's sources name: whether rules can fire on the sources the logs show, exist but are \
blind (a source or field is missing; the gap is named), or do not exist.\n\n\
Exit status: 0 when every input was read and no gap blinds a rule; 3 when gaps blind rules, an input \
could not be read, a rule could not be loaded, or nothing was read.\n\n\
Examples:\n  vigil coverage examples/linux-mail\n  vigil coverage logs/ --format html -o coverage.html";

#[derive(Debug, Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub asset: AssetArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
    pub format: CoverageFormat,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    Table,
    Json,
    Html,
}

pub fn run(args: CoverageArgs) -> Result<Outcome> {
    let assessed = assess(&args.asset)?;
    let a = &assessed.assessment;
    let text = match args.format {
        CoverageFormat::Json => {
            #[derive(serde::Serialize)]
            struct View<'a> {
                asset: &'a Option<String>,
                events: u64,
                rules: usize,
                rules_firing: usize,
                techniques: &'a [vigil_coverage::TechniqueCoverage],
                gaps: &'a [vigil_coverage::Gap],
            }
            let view = View {
                asset: &a.asset,
                events: a.profile.events,
                rules: a.rules,
                rules_firing: a.rules_firing,
                techniques: &a.coverage,
                gaps: &a.gaps,
            };
            serde_json::to_string_pretty(&view).context("cannot serialise the coverage")? + "\n"
        }
        CoverageFormat::Html => vigil_report::coverage_html::render(a),
        CoverageFormat::Table => table(a),
    };
    match &args.output {
        Some(p) => std::fs::write(p, text)
            .with_context(|| format!("cannot write {}", crate::term::path(p)))?,
        None => crate::put!("{text}")?,
    }
    let incomplete = assessed.report_incomplete();
    let blinding = a.gaps.iter().any(|g| !g.blind.is_empty());
    Ok(if incomplete || blinding {
        Outcome::Partial
    } else {
        Outcome::Success
    })
}

fn table(a: &vigil_coverage::Assessment) -> String {
    use std::fmt::Write as _;
    let t = |s: &str| crate::term::text(s).into_owned();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<10} {:<46} {:<15} {:>6} {:>6}  BLINDED BY",
        "TECHNIQUE", "NAME", "STATE", "FIRING", "BLIND"
    );
    for r in &a.coverage {
        let mut name = t(r.name.as_deref().unwrap_or("-"));
        if name.chars().count() > 46 {
            name = name.chars().take(45).collect::<String>() + "…";
        }
        let _ = writeln!(
            o,
            "{:<10} {:<46} {:<15} {:>6} {:>6}  {}",
            t(&r.id),
            name,
            r.state.label(),
            r.firing,
            r.blind,
            if r.blinded_by.is_empty() {
                "-".to_string()
            } else {
                r.blinded_by.join(", ")
            }
        );
    }
    o
}
