//! Time, injected: escalation deadlines, link expiry, signature timestamps and retry back-off all read
//! the clock through [`Clock`], so tests run a day of escalations in milliseconds, exactly.

use jiff::{SignedDuration, Timestamp};
use std::sync::Mutex;
use std::time::Duration;

/// The source of "now", and the way to wait.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
    /// Waits `d` (a retry back-off).
    fn sleep(&self, d: Duration);
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A clock that moves only when told to; sleeping moves it forward at once. For tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.saturating_add(d).unwrap_or(*now);
    }

    pub fn set(&self, t: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep(&self, d: Duration) {
        self.advance(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t0: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let c = ManualClock::new(t0);
        assert_eq!(c.now(), t0);
        c.sleep(Duration::from_secs(90));
        assert_eq!(c.now(), t0 + SignedDuration::from_secs(90));
        c.advance(SignedDuration::from_hours(1));
        assert_eq!(c.now(), t0 + SignedDuration::from_secs(3690));
        c.set(t0);
        assert_eq!(c.now(), t0);
    }
}
