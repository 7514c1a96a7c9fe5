//! Health of one watch, as plain data for the service's `/metrics` and `vigil status`.

use jiff::Timestamp;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How one watch is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceHealth {
    /// Time of the newest event passed on (by its own timestamp).
    pub last_event: Option<Timestamp>,
    /// Events passed on since the tailer started.
    pub events: u64,
    /// Events passed on in the last minute.
    pub events_per_min: u64,
    /// Bytes of the watched files not read yet (text files; known at the end of the last poll).
    pub bytes_behind: u64,
    /// Read errors and unparsable records.
    pub errors: u64,
    /// The most recent error, with its file.
    pub last_error: Option<String>,
    /// Files rotated away by rename or deleted while followed.
    pub rotations: u64,
    /// Files truncated in place (copy-truncate): read again from the start.
    pub truncations: u64,
    /// Files currently followed.
    pub files: usize,
}

/// Events per poll over the last minute, bounded in length.
#[derive(Debug, Default)]
pub(crate) struct Rate {
    window: VecDeque<(Instant, u64)>,
}

impl Rate {
    const SPAN: Duration = Duration::from_secs(60);
    const MAX_ENTRIES: usize = 4096;

    pub(crate) fn add(&mut self, now: Instant, n: u64) -> u64 {
        self.window.push_back((now, n));
        while self.window.len() > Self::MAX_ENTRIES {
            self.window.pop_front();
        }
        while let Some(&(t, _)) = self.window.front() {
            if now.duration_since(t) > Self::SPAN {
                self.window.pop_front();
            } else {
                break;
            }
        }
        self.window.iter().map(|&(_, n)| n).sum()
    }
}
