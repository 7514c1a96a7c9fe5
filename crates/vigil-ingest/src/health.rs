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
    /// Bytes of text logs read since the tailer started (decompressed for `.gz`; EVTX files,
    /// re-read by record, are not counted).
    pub bytes_read: u64,
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
    /// Truncations of logs whose writers never truncate them (IIS, Exchange): edited, not rotated.
    pub tampered: u64,
    /// The latest of those, with its file.
    pub last_tampered: Option<String>,
    /// Files currently followed.
    pub files: usize,
}

/// Events over the last minute, in one-second buckets so the window stays short whatever the
/// poll interval (a fast poll must not push the minute's oldest polls out of a bounded window).
#[derive(Debug, Default)]
pub struct Rate {
    window: VecDeque<(Instant, u64)>,
}

impl Rate {
    const SPAN: Duration = Duration::from_secs(60);
    const BUCKET: Duration = Duration::from_secs(1);
    const MAX_ENTRIES: usize = 4096;

    /// Records `n` events at `now`; returns the events of the last minute.
    pub fn add(&mut self, now: Instant, n: u64) -> u64 {
        match self.window.back_mut() {
            Some((start, count)) if now.saturating_duration_since(*start) < Self::BUCKET => {
                *count = count.saturating_add(n);
            }
            _ => self.window.push_back((now, n)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A minute of polls every 10 ms is counted whole, and what is older than a minute drops out.
    #[test]
    fn rate_counts_a_minute_of_fast_polls() {
        let t0 = Instant::now();
        let mut rate = Rate::default();
        let mut last = 0;
        for i in 0..6000u64 {
            last = rate.add(t0 + Duration::from_millis(i * 10), 1);
        }
        assert_eq!(last, 6000);
        let later = rate.add(t0 + Duration::from_secs(90), 0);
        assert!((2900..=3100).contains(&later), "{later}");
        assert_eq!(rate.add(t0 + Duration::from_secs(200), 0), 0);
    }
}
