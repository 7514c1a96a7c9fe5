//! Where events come from: the seam between the runtime and the readers of live logs.
//!
//! A source hands over events together with the checkpoints that hold once those events are
//! processed. The runtime commits those checkpoints only with the detections of the same events,
//! which is what makes a restart exactly-once.

use crate::error::ServeError;
use std::sync::mpsc::{Receiver, TryRecvError};
use vigil_ingest::SourceHealth;
use vigil_model::{Checkpoint, Event};

/// Events read since the last poll and where the reader stands after them.
#[derive(Debug, Default)]
pub struct SourceBatch {
    pub events: Vec<Event>,
    /// The checkpoints valid once `events` are processed (empty when the position did not move).
    pub checkpoints: Vec<Checkpoint>,
}

/// A reader of live events, polled by the runtime at its interval on the runtime's thread (the
/// tailer holds parsers that are not `Send`).
pub trait Source {
    /// The name the source goes by in logs and health.
    fn name(&self) -> &str;

    /// What arrived since the last call; an empty batch when nothing did. An error stops the
    /// service: a reader that can no longer read must not be mistaken for a quiet log.
    fn poll(&mut self) -> Result<SourceBatch, ServeError>;

    /// The same as [`Source::poll`], each event handed to `each` as it is read rather than
    /// collected: the runtime evaluates and drops it at once, so a busy log costs one event's
    /// memory at a time, not a round's. Returns the checkpoints valid once every event handed over
    /// is processed. Readers that decode as they read override it; the default collects.
    fn poll_each(&mut self, each: &mut dyn FnMut(Event)) -> Result<Vec<Checkpoint>, ServeError> {
        let batch = self.poll()?;
        batch.events.into_iter().for_each(&mut *each);
        Ok(batch.checkpoints)
    }

    /// What reads it, for health (`file`, `syslog`, `channel`).
    fn kind(&self) -> &str {
        "other"
    }

    /// The reader's own health (files followed, bytes behind, errors), where it keeps one.
    fn health(&self) -> Option<&SourceHealth> {
        None
    }
}

/// A source fed through a channel, by a reader on a thread of its own (a listener) or by a test.
#[derive(Debug)]
pub struct ChannelSource {
    name: String,
    rx: Receiver<SourceBatch>,
    /// Largest number of batches taken in one poll, so one busy sender cannot starve the others
    /// nor grow one commit without bound.
    max_batches: usize,
}

impl ChannelSource {
    pub fn new(name: impl Into<String>, rx: Receiver<SourceBatch>) -> ChannelSource {
        ChannelSource {
            name: name.into(),
            rx,
            max_batches: 64,
        }
    }
}

impl Source for ChannelSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "channel"
    }

    fn poll(&mut self) -> Result<SourceBatch, ServeError> {
        let mut out = SourceBatch::default();
        for _ in 0..self.max_batches {
            match self.rx.try_recv() {
                Ok(b) => {
                    out.events.extend(b.events);
                    if !b.checkpoints.is_empty() {
                        out.checkpoints = b.checkpoints;
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if out.events.is_empty() && out.checkpoints.is_empty() {
                        return Err(ServeError::Source {
                            source_name: self.name.clone(),
                            reason: "its sender has gone".into(),
                        });
                    }
                    break;
                }
            }
        }
        Ok(out)
    }
}
