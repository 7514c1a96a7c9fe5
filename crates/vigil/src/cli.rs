//! The command line: every subcommand, its options and its help.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
EXIT STATUS:
  0    success: every input was read and assessed, and nothing tripped --fail-on
  1    the gate tripped: something at or above --fail-on was found
  2    invalid usage (unknown option, missing argument)
  3    incomplete: some input could not be read, something was not assessed (no or stale knowledge,
       unknown ecosystem, unreadable file, rules that did not load), or nothing at all was assessed;
       the rest was processed and the reasons are printed. Never read 3 as an all-clear.
  4    nothing could be done (fatal error: unreadable store, bad configuration)
  141  the reader of the output went away (e.g. piped into `head`); vigil stopped quietly

ENVIRONMENT:
  VIGIL_DB       the store file (same as --db)
  VIGIL_CONFIG   the configuration file (same as --config)
  NO_COLOR       disables colours";

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Keeps watch over servers that hold sensitive data: known vulnerabilities, patch deadlines, \
             intrusions, incidents.",
    long_about = "vigil knows what software runs on each server and which known vulnerabilities affect it, \
tracks every fix against a patch deadline, reads server logs and detects intrusions with Sigma rules, \
and builds the incident timeline and root cause when something happens.\n\n\
Everything is kept in one embedded SQLite file; there is no server to install.",
    after_long_help = EXIT_CODES,
    after_help = "Run 'vigil help <command>' or '<command> --help' for details; '--help' also lists exit codes."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The store file [default: the user's data directory, e.g. ~/.local/share/vigil/vigil.db]
    #[arg(long, global = true, env = "VIGIL_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Configuration file [default: ~/.config/vigil/vigil.toml if it exists]
    #[arg(long, global = true, env = "VIGIL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bars
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage vulnerability knowledge: update from the official sources, import files, show status
    #[command(subcommand)]
    Db(DbCommand),
    /// Hunt through logs for intrusions with Sigma rules (EVTX, IIS, Exchange, syslog, web, JSON)
    #[command(long_about = "Hunt through logs for intrusions with Sigma rules.\n\n\
Reads files and directories (recursively; formats are recognised from names and content, gzip is read \
transparently): Windows EVTX and JSON exports, IIS W3C logs, Exchange HttpProxy and other CSV logs, syslog \
(Postfix, Dovecot, sshd, sudo), Apache/nginx access logs and JSON lines. Every detection names the rule, its \
level and tags, the file and the record (EVTX record id or line number), and the fields that matched.\n\n\
Detections go to stdout as they are found (each file's in record order; files read in parallel interleave; \
correlations follow once every file is read), at most --max-per-rule per rule, then a row per rule for those \
held back. The summary (detections by level and rule, events read per source and what the readers assumed, \
records that failed to parse, rules that could not be loaded) goes to stderr, so the output can be piped. \
Memory stays bounded whatever the input: events that correlations need beyond a budget go to --temp-dir.\n\n\
Exit status: 1 when --fail-on trips; else 3 when a rule could not be loaded, an input could not be read, no \
event was read or none was inside --since/--until, or a correlation could not assess everything; else 0.\n\n\
Examples:\n  vigil hunt /var/log/mail.log\n  vigil hunt logs/ --min-level high --format jsonl > detections.jsonl\n  \
vigil hunt Security.evtx --rules my-rules/ --since 2021-08-01 --until 2021-09-01")]
    Hunt(crate::cmd::hunt::HuntArgs),
    /// Inspect, validate and try out Sigma rules
    #[command(subcommand)]
    Rules(crate::cmd::rules::RulesCommand),
    /// Look at logs as vigil reads them: `vigil logs show FILE` prints events as the rules see them
    #[command(subcommand)]
    Logs(crate::cmd::logs::LogsCommand),
    /// Find the known vulnerabilities of what runs on an asset, with patch deadlines
    #[command(long_about = crate::cmd::scan::LONG_ABOUT)]
    Scan(crate::cmd::scan::ScanArgs),
    /// Whether `vigil serve` is watching (exit 3 when it is down) and every asset's patch posture, the most overdue first
    Status(crate::cmd::status::StatusArgs),
    /// Reports over stored scan snapshots
    #[command(subcommand)]
    Report(crate::cmd::report::ReportCommand),
    /// Audit one server end to end: scan, hunt, incidents, root cause, dwell time, report directory
    #[command(long_about = crate::cmd::audit::LONG_ABOUT)]
    Audit(crate::cmd::audit::AuditArgs),
    /// Can this server be seen at all? Log gaps, the rules they blind and how to fix them
    #[command(long_about = crate::cmd::doctor::LONG_ABOUT)]
    Doctor(crate::cmd::doctor::DoctorArgs),
    /// ATT&CK coverage of an asset's logs: techniques with rules that can fire, blind, or none
    #[command(long_about = crate::cmd::coverage::LONG_ABOUT)]
    Coverage(crate::cmd::coverage::CoverageArgs),
    /// Open incidents from the stored detections, with entry point, root cause and dwell time
    Investigate(crate::cmd::investigate::InvestigateArgs),
    /// The remedial action plan: add, list and complete actions with owner and due date; here or on a
    /// remote `vigil serve` (--server URL --api-token TOKEN)
    Plan(crate::cmd::plan::PlanArgs),
    /// Alerts that demand acknowledgement: list, show, acknowledge (stops escalation), resolve; here or
    /// on a remote `vigil serve` (--server URL --api-token TOKEN)
    Alerts(crate::cmd::alerts::AlertsArgs),
    /// Users of the console: add (password asked without echo), list, disable, enable, unlock
    #[command(subcommand)]
    User(crate::cmd::user::UserCommand),
    /// API tokens of the console: create (shown once), list, revoke
    #[command(subcommand)]
    Token(crate::cmd::token::TokenCommand),
    /// The audit trail: verify its hash chain, export it
    #[command(subcommand)]
    Trail(crate::cmd::trail::TrailCommand),
    /// The standing watch: follow the configured logs, detect live, raise alerts (foreground)
    #[command(long_about = crate::cmd::serve::LONG_ABOUT)]
    Serve(crate::cmd::serve::ServeArgs),
    /// Prove that detection works: send a canary through each watched syslog file and listener,
    /// and wait for the running service to read, match, alert and deliver it
    #[command(long_about = crate::cmd::selftest::LONG_ABOUT)]
    Selftest(crate::cmd::selftest::SelftestArgs),
    /// Print a shell completion script (e.g. `vigil completions bash > /etc/bash_completion.d/vigil`)
    Completions {
        /// The shell to generate completions for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Fetch advisories from the official sources (OSV, CISA KEV, EPSS, Microsoft) into the store
    #[command(
        long_about = "Fetch advisories from the official sources into the store.\n\n\
Each source is fetched with a conditional request, so a source that has not changed since the last \
update is not downloaded again. A source that fails keeps its previous data and is marked as failed; \
'vigil db status' shows it. Sources, mirrors and limits are set in vigil.toml:\n\n\
  [knowledge]\n  max_age_hours = 24\n  max_download_mb = 1024\n\n  [sources.osv]\n  url = \"https://osv-vulnerabilities.storage.googleapis.com\"\n  \
ecosystems = [\"PyPI\", \"npm\", \"crates.io\", \"Debian\"]   # or [\"*\"] for all\n\n  [sources.kev]\n  enabled = true\n\n  \
[sources.epss]\n  url = \"https://epss.empiricalsecurity.com/epss_scores-current.csv.gz\"\n\n  [sources.msrc]\n  months = 36"
    )]
    Update {
        /// Only these sources (osv, kev, epss, msrc); default: all enabled ones
        #[arg(long = "source", value_name = "NAME", value_enum)]
        sources: Vec<SourceName>,
        /// Download even if the server says nothing changed
        #[arg(long)]
        force: bool,
    },
    /// Import advisories from files on disk (air-gapped sites): OSV files, directories or all.zip archives,
    /// a RustSec advisory-db checkout, the CISA KEV JSON/CSV, an EPSS CSV(.gz), Microsoft CVRF XML/JSON
    Import {
        /// Files or directories; the kind of each is recognised from its name and content
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Show what is known, from where, and how fresh it is
    Status {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceName {
    Osv,
    Kev,
    Epss,
    Msrc,
}

/// Where rules come from, for every command that loads them.
#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// Sigma rule files or directories [default: the bundled rules]; repeat to add more
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Also load the bundled rules when --rules is given
    #[arg(long)]
    pub with_bundled: bool,
    /// Only rules with these statuses (stable, test, experimental, deprecated, unsupported)
    /// [default: all but deprecated and unsupported]
    #[arg(long = "rule-status", value_name = "STATUS", value_delimiter = ',')]
    pub rule_status: Vec<String>,
    /// Parse every rule file instead of reusing the cache of parsed rules
    #[arg(long, env = "VIGIL_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
    /// Directory of the cache of parsed rules [default: $XDG_CACHE_HOME/vigil, else ~/.cache/vigil]
    #[arg(long, env = "VIGIL_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl RuleArgs {
    pub fn to_source(&self) -> vigil_pipeline::rules::RuleSource {
        vigil_pipeline::rules::RuleSource {
            paths: self.rules.clone(),
            with_bundled: self.with_bundled,
            statuses: self.rule_status.clone(),
            no_cache: self.no_cache,
            cache_dir: self.cache_dir.clone(),
            extra: Vec::new(),
        }
    }
}

/// A `--min-level`/`--fail-on` value.
pub fn parse_level(s: &str) -> Result<vigil_model::Level, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
