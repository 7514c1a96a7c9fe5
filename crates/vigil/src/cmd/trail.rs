//! `vigil trail verify | export`: the audit trail of the console and the CLI. `verify` reads the
//! whole chain and exits 1 naming the first entry found edited, deleted or out of order (or a cut
//! tail); it prints the head, which kept elsewhere also catches a chain rewritten whole.

use crate::Outcome;
use crate::cmd::Context;
use crate::term::text;
use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use vigil_store::TrailStore;

/// Entries read per round of `export`, so that memory stays bounded whatever the trail's length.
const EXPORT_BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum TrailCommand {
    /// Check the hash chain and its head: exit 0 intact, 1 tampered with (the first bad entry named)
    Verify {
        /// A head printed by an earlier verify and kept elsewhere: it must still be in the chain,
        /// which catches a chain rewritten whole since
        #[arg(long, value_name = "HASH")]
        expect_head: Option<String>,
    },
    /// Write every entry, oldest first, with its hashes (for an archive or a breach report)
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
    },
}

pub fn run(ctx: &Context, cmd: TrailCommand) -> Result<Outcome> {
    let store = ctx.open_store()?;
    match cmd {
        TrailCommand::Verify { expect_head } => {
            let v = store.verify_trail()?;
            if v.broken.is_none()
                && let Some(head) = expect_head
            {
                let head = head.trim().to_ascii_lowercase();
                if store.trail_seq_of(&head)?.is_none() {
                    crate::out!(
                        "audit trail TAMPERED WITH: the head {} noted earlier is no longer in the \
                         chain of {} entries: it was rewritten since",
                        text(&head),
                        v.entries
                    )?;
                    return Ok(Outcome::GateTripped);
                }
            }
            match v.broken {
                None => {
                    crate::out!(
                        "audit trail intact: {} entries; head {} (keep it elsewhere to detect a \
                         rewrite of the whole chain)",
                        v.entries,
                        v.head.hash
                    )?;
                    Ok(Outcome::Success)
                }
                Some(b) => {
                    crate::out!(
                        "audit trail TAMPERED WITH at entry {}: {}",
                        b.seq,
                        text(&b.reason)
                    )?;
                    Ok(Outcome::GateTripped)
                }
            }
        }
        TrailCommand::Export {
            format: ExportFormat::Jsonl,
        } => {
            let mut after = 0;
            loop {
                let batch = store.trail(after, EXPORT_BATCH)?;
                let Some(last) = batch.last() else { break };
                after = last.seq;
                for e in &batch {
                    crate::out!("{}", serde_json::to_string(e)?)?;
                }
            }
            Ok(Outcome::Success)
        }
    }
}
