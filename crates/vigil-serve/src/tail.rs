//! Watched files as a [`Source`]: `vigil-ingest`'s tailer, resumed from the stored checkpoints.

use crate::error::ServeError;
use crate::source::{Source, SourceBatch};
use std::path::{Path, PathBuf};
use vigil_ingest::{Tailer, TailerConfig, Watch};
use vigil_model::{Checkpoint, Event};

/// One `[[watch]]` followed by a tailer.
pub struct TailSource {
    tailer: Tailer,
    name: String,
}

impl TailSource {
    /// A tailer of `watch`, resuming after `checkpoints` (those stored under the watch's name).
    pub fn new(watch: Watch, config: TailerConfig, checkpoints: Vec<Checkpoint>) -> TailSource {
        let name = watch.name.clone();
        TailSource {
            tailer: Tailer::new(watch, config, checkpoints),
            name,
        }
    }
}

impl Source for TailSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "file"
    }

    fn health(&self) -> Option<&vigil_ingest::SourceHealth> {
        Some(self.tailer.health())
    }

    fn poll(&mut self) -> Result<SourceBatch, ServeError> {
        let mut events = Vec::new();
        // The tailer reads at most its per-poll budget, so the batch is bounded.
        let checkpoints = self.poll_each(&mut |ev| events.push(ev))?;
        Ok(SourceBatch {
            events,
            checkpoints,
        })
    }

    fn poll_each(&mut self, each: &mut dyn FnMut(Event)) -> Result<Vec<Checkpoint>, ServeError> {
        if let Err(e) = self.tailer.poll(each) {
            // A watched path missing for a moment (rotation in progress) is not fatal; it is
            // counted in the tailer's health and warned about, never taken for a quiet log.
            tracing::warn!(watch = %self.name, "{e}");
        }
        Ok(self.tailer.checkpoints())
    }
}

/// Splits a watched path into what the tailer follows: a glob's folder and file-name pattern
/// (`/var/log/exchange/u_ex*.log`), or the path itself (a file or a folder).
pub fn split_glob(path: &str) -> (PathBuf, Option<String>) {
    let p = Path::new(path);
    match (p.parent(), p.file_name().and_then(|n| n.to_str())) {
        (Some(dir), Some(name)) if name.contains(['*', '?']) => {
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir.to_path_buf()
            };
            (dir, Some(name.to_string()))
        }
        _ => (p.to_path_buf(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_become_folder_and_pattern() {
        assert_eq!(
            split_glob("/logs/iis/u_ex*.log"),
            (PathBuf::from("/logs/iis"), Some("u_ex*.log".into()))
        );
        assert_eq!(
            split_glob("/var/log/mail.log"),
            (PathBuf::from("/var/log/mail.log"), None)
        );
        assert_eq!(
            split_glob("mail.log?"),
            (PathBuf::from("."), Some("mail.log?".into()))
        );
    }
}
