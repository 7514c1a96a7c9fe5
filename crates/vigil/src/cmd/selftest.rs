//! `vigil selftest`: proves that the running service's detection works, end to end, now. A canary
//! line goes into each watched syslog file; the service must read it, match it with the canary rule,
//! raise it as an alert, deliver it on every channel and close it. This command waits for that
//! record in the store and says, per watch, what came back and how fast.

use crate::Outcome;
use crate::cmd::Context;
use anyhow::Result;
use clap::ValueEnum;
use std::time::{Duration, Instant};
use vigil_serve::selftest::{self, CanaryTarget};
use vigil_store::{AlertState, AlertStore};

pub const LONG_ABOUT: &str = "Prove that detection works: send a canary through each watched syslog file and listener and wait \
for the running `vigil serve` to read it, match it with its canary rule, raise it as an alert, deliver it on \
every configured channel and close it.\n\n\
The canary is one harmless line, `<time> <host> vigil-selftest[<pid>]: VIGIL-SELFTEST canary=<id> \
watch=<name>`, appended to each `[[watch]]` that is a single syslog file and sent (RFC 5424) to each \
`[[listen]]` port. Logs written by other programs (IIS, Exchange, EVTX) are not written to, and are not \
self-tested yet. The service also runs these self-tests on its own, every `[selftest] every` (7 days by \
default), and raises a high alert when a canary does not come back.\n\n\
Exit status: 0 every canary came back and was delivered; 1 a canary was lost or an alert not delivered \
(detection of that log is not working); 3 nothing could be tested (no syslog file is watched).\n\n\
Example:\n  vigil --config /etc/vigil/vigil.toml selftest";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct SelftestArgs {
    /// How long to wait for each canary [default: the configuration's `[selftest] timeout`, 60 s]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// What became of one canary.
struct Outcome1 {
    target: CanaryTarget,
    nonce: String,
    result: Result<String, String>,
    waited: Duration,
}

pub fn run(ctx: &Context, args: SelftestArgs) -> Result<Outcome> {
    let config = &ctx.config;
    let targets = crate::cmd::serve::canary_targets(config);
    if targets.is_empty() {
        // Nothing tested is not a pass: said, and exit 3 as the help promises.
        crate::note!(
            "nothing to self-test: no [[watch]] is a single syslog file and no [[listen]] is \
             configured ({} watch(es), {} listener(s); see docs/serve.md)",
            config.watch.len(),
            config.listen.len()
        );
        return Ok(Outcome::Partial);
    }
    let timeout = args
        .timeout
        .map_or_else(|| config.selftest.timeout.std(), Duration::from_secs);
    let store = ctx.open_store()?;
    let now = jiff::Timestamp::now();
    let mut runs = Vec::new();
    for (i, t) in targets.into_iter().enumerate() {
        let nonce = format!(
            "{}{}",
            vigil_serve::proof::CLI_NONCE_PREFIX,
            selftest::nonce(now, i as u64 + 1)
        );
        let started = Instant::now();
        let result = t
            .via
            .send(&nonce, &t.watch, &t.host, now)
            .map(|()| String::new())
            .map_err(|e| format!("cannot send the canary to {}: {e}", t.via.describe()));
        runs.push((t, nonce, started, result));
    }
    let mut done: Vec<Outcome1> = Vec::new();
    let deadline = Instant::now() + timeout;
    while !runs.is_empty() {
        let mut left = Vec::new();
        for (target, nonce, started, result) in runs {
            let verdict = match result {
                Err(e) => Some(Err(e)),
                Ok(_) => came_back(&store, &nonce, &target.watch)?,
            };
            match verdict {
                Some(result) => done.push(Outcome1 {
                    target,
                    nonce,
                    result,
                    waited: started.elapsed(),
                }),
                None if Instant::now() >= deadline => done.push(Outcome1 {
                    target,
                    nonce,
                    result: Err(format!(
                        "no trace within {} s: is `vigil serve` running with this configuration \
                         and store, and reading this file?",
                        timeout.as_secs()
                    )),
                    waited: started.elapsed(),
                }),
                None => left.push((target, nonce, started, Ok(String::new()))),
            }
        }
        runs = left;
        if !runs.is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let failed = done.iter().filter(|o| o.result.is_err()).count();
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "schema": "vigil.selftest/1",
                "passed": failed == 0,
                "canaries": done.iter().map(|o| serde_json::json!({
                    "watch": o.target.watch,
                    "to": o.target.via.describe(),
                    "canary": o.nonce,
                    "passed": o.result.is_ok(),
                    "detail": match &o.result { Ok(s) | Err(s) => s },
                    "seconds": o.waited.as_secs_f64(),
                })).collect::<Vec<_>>(),
            });
            crate::out!("{}", serde_json::to_string_pretty(&doc)?)?;
        }
        Format::Table => {
            for o in &done {
                let (mark, detail) = match &o.result {
                    Ok(s) => ("PASS", s),
                    Err(s) => ("FAIL", s),
                };
                crate::out!(
                    "{mark}  {}  ({}, {:.1} s): {}",
                    crate::term::text(&o.target.watch),
                    crate::term::text(&o.target.via.describe()),
                    o.waited.as_secs_f64(),
                    crate::term::text(detail)
                )?;
            }
            crate::out!(
                "{} of {} canaries came back through detection and every alert channel.",
                done.len() - failed,
                done.len()
            )?;
        }
    }
    Ok(if failed > 0 {
        Outcome::GateTripped
    } else {
        Outcome::Success
    })
}

/// Whether the service has dealt with canary `nonce`: `Ok` with its note when it closed the alert
/// (delivered everywhere), `Err` when it raised a delivery failure, `None` while nothing is there.
fn came_back(
    store: &vigil_store::SqliteStore,
    nonce: &str,
    watch: &str,
) -> Result<Option<Result<String, String>>> {
    let mine = store.alerts_with_key(&selftest::returned_key(nonce), 1)?;
    let Some(alert) = mine.first() else {
        return Ok(None);
    };
    if alert.state == AlertState::Resolved {
        let note = alert
            .resolved
            .as_ref()
            .and_then(|m| m.note.clone())
            .unwrap_or_else(|| "passed".into());
        return Ok(Some(Ok(note)));
    }
    // Raised but not closed: a channel did not take it (the service raised why), or it is being sent.
    let failures = store.alerts_with_key(&vigil_serve::proof::channel_failed_key(watch), 50)?;
    let failure = failures.iter().rev().find(|a| {
        a.evidence
            .iter()
            .any(|e| e.label == "canary" && e.value == nonce)
    });
    Ok(failure.map(|f| Err(f.title.clone())))
}
