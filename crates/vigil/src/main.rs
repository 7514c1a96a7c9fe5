//! `vigil`: the command-line front end. A thin layer of wiring over the library crates: it parses arguments,
//! reads the configuration, opens the store, shows progress, and maps outcomes to exit codes.

mod cli;
mod cmd;
mod fetch;
mod outdir;
mod remote;
mod render;
mod term;

use clap::Parser;
use cli::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;

/// How a command ended, beyond plain success; mapped to the exit codes documented in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Something at or above `--fail-on` was found.
    GateTripped,
    /// Some inputs or sources failed; the rest was processed.
    Partial,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose, cli.global.quiet);
    match run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::GateTripped) => ExitCode::from(1),
        Ok(Outcome::Partial) => ExitCode::from(3),
        Err(e) if term::is_broken_pipe(&e) => ExitCode::from(term::BROKEN_PIPE_EXIT),
        Err(e) => {
            // Line by line: a parser's message may quote the offending line under its number,
            // and that layout is worth keeping; any other control character is escaped.
            let text = format!("{e:#}");
            let lines: Vec<String> = text.lines().map(|l| term::text(l).into_owned()).collect();
            note!("error: {}", lines.join("\n"));
            ExitCode::from(4)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let ctx = cmd::Context::new(&cli.global)?;
    match cli.command {
        Command::Db(db) => cmd::db::run(&ctx, db),
        Command::Hunt(args) => cmd::hunt::run(&ctx, args),
        Command::Rules(rules) => cmd::rules::run(&ctx, rules),
        Command::Logs(logs) => cmd::logs::run(logs),
        Command::Scan(args) => cmd::scan::run(&ctx, args),
        Command::Status(args) => cmd::status::run(&ctx, args),
        Command::Report(report) => cmd::report::run(&ctx, report),
        Command::Audit(args) => cmd::audit::run(&ctx, args),
        Command::Doctor(args) => cmd::doctor::run(args),
        Command::Coverage(args) => cmd::coverage::run(args),
        Command::Investigate(args) => cmd::investigate::run(&ctx, args),
        Command::Plan(plan) => cmd::plan::run(&ctx, plan),
        Command::Alerts(alerts) => cmd::alerts::run(&ctx, alerts.cmd, &alerts.remote),
        Command::User(cmd) => cmd::user::run(&ctx, cmd),
        Command::Token(cmd) => cmd::token::run(&ctx, cmd),
        Command::Trail(cmd) => cmd::trail::run(&ctx, cmd),
        Command::Serve(args) => cmd::serve::run(&ctx, args),
        Command::Selftest(args) => cmd::selftest::run(&ctx, args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut command, "vigil", &mut buf);
            put!("{}", String::from_utf8_lossy(&buf))?;
            Ok(Outcome::Success)
        }
    }
}

fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let level = if quiet {
        "error"
    } else {
        match verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_env("VIGIL_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .init();
}
