//! Sign-in attempts per client address: a fixed window per address, so that one client cannot keep
//! the console busy hashing passwords (each Argon2id check costs 19 MiB and tens of milliseconds) or
//! fill the audit trail with failed sign-ins. The per-account lock-out is separate and still applies.
//! Memory is bounded: at most [`MAX_TRACKED`] addresses are remembered; when full, expired windows
//! are dropped, and if none has expired the table starts again (the lock-out still protects accounts).

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::net::IpAddr;

/// Addresses remembered at once.
pub const MAX_TRACKED: usize = 4096;

/// How many sign-in attempts one address may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub attempts: u32,
    pub window: SignedDuration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            attempts: 30,
            window: SignedDuration::from_secs(60),
        }
    }
}

/// The windows of the addresses seen.
#[derive(Debug, Default)]
pub struct Throttle {
    windows: HashMap<IpAddr, (Timestamp, u32)>,
}

impl Throttle {
    /// Counts an attempt from `ip` at `now`; `false` when the address is over its allowance.
    pub fn allow(&mut self, ip: IpAddr, now: Timestamp, policy: &ThrottlePolicy) -> bool {
        if self.windows.len() >= MAX_TRACKED && !self.windows.contains_key(&ip) {
            self.windows
                .retain(|_, (start, _)| now.duration_since(*start) < policy.window);
            if self.windows.len() >= MAX_TRACKED {
                self.windows.clear();
            }
        }
        let entry = self.windows.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= policy.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= policy.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_allowance_waits_for_the_next_window() {
        let policy = ThrottlePolicy {
            attempts: 3,
            window: SignedDuration::from_secs(60),
        };
        let mut t = Throttle::default();
        let a = IpAddr::from([192, 0, 2, 1]);
        let b = IpAddr::from([192, 0, 2, 2]);
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        assert!((0..3).all(|_| t.allow(a, now, &policy)));
        assert!(!t.allow(a, now, &policy));
        assert!(
            t.allow(b, now, &policy),
            "other addresses are not held back"
        );
        assert!(t.allow(a, now + SignedDuration::from_secs(61), &policy));
    }

    #[test]
    fn the_table_stays_bounded() {
        let policy = ThrottlePolicy::default();
        let mut t = Throttle::default();
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        for i in 0..(MAX_TRACKED as u32 + 10) {
            t.allow(IpAddr::from(i.to_be_bytes()), now, &policy);
        }
        assert!(t.windows.len() <= MAX_TRACKED);
    }
}
