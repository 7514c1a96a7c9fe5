//! The service section of `vigil status`: whether anybody is watching, and how each source is
//! doing, from the heartbeat `vigil serve` writes to the store.

use super::{clip, human_age};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use vigil_model::{HealthSnapshot, Liveness};

fn when(t: Option<Timestamp>) -> String {
    t.map_or("-".to_string(), |t| {
        t.to_zoned(TimeZone::UTC)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    })
}

/// The lines of the section (no trailing blank line).
pub fn service_lines(h: &HealthSnapshot, now: Timestamp) -> Vec<String> {
    let age = human_age(h.age(now));
    let mut out = vec![match h.liveness(now) {
        Liveness::Running => format!(
            "SERVICE running: pid {}, started {} UTC, last heartbeat {age} ago; {} events, {} \
             detections stored, {} alerts raised",
            h.pid,
            when(Some(h.started_at)),
            h.events,
            h.detections_stored,
            h.alerts_raised
        ),
        Liveness::Stopped => format!(
            "SERVICE STOPPED at {} UTC ({age} ago): nobody is watching the logs below. Start \
             `vigil serve` again.",
            when(h.stopped_at)
        ),
        Liveness::Stale => format!(
            "SERVICE DOWN: no heartbeat for {age} (last {} UTC, expected every {}s; pid {}). It \
             crashed, was killed or hangs: nobody is watching the logs below.",
            when(Some(h.updated_at)),
            h.heartbeat_secs,
            h.pid
        ),
    }];
    out.push(format!(
        "{:<24} {:<7} {:>5} {:>9} {:>6} {:<19}  {:<19}  {:>7} {:>6}  LAST ERROR",
        "SOURCE",
        "KIND",
        "FILES",
        "EVENTS",
        "/MIN",
        "LAST EVENT (UTC)",
        "ARRIVED (UTC)",
        "LAG",
        "ERRORS"
    ));
    for s in &h.sources {
        out.push(
            format!(
                "{:<24} {:<7} {:>5} {:>9} {:>6} {:<19}  {:<19}  {:>7} {:>6}  {}",
                clip(&s.name, 24),
                clip(&s.kind, 7),
                s.files,
                s.events,
                s.events_per_min,
                when(s.last_event),
                when(s.last_arrival),
                s.lag_seconds.map_or("-".to_string(), |l| human_age(
                    jiff::SignedDuration::from_secs(l)
                )),
                s.errors,
                s.last_error
                    .as_deref()
                    .map(|e| clip(e, 80))
                    .unwrap_or_default()
            )
            .trim_end()
            .to_string(),
        );
    }
    if h.alerts_undelivered > 0 {
        out.push(format!(
            "({} alert notices reached no channel: see `vigil alerts list`)",
            h.alerts_undelivered
        ));
    }
    if h.heartbeat_errors > 0 {
        out.push(format!(
            "({} heartbeats could not be written to the store)",
            h.heartbeat_errors
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::SourceSnapshot;

    #[test]
    fn a_stale_heartbeat_says_nobody_is_watching() {
        let t0: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let h = HealthSnapshot {
            started_at: t0,
            updated_at: t0,
            heartbeat_secs: 5,
            sources: vec![
                SourceSnapshot {
                    name: "mail\u{1b}[31m".into(),
                    kind: "file".into(),
                    last_error: Some("mail.log: permission denied\nsecond line".into()),
                    errors: 1,
                    ..SourceSnapshot::default()
                },
                SourceSnapshot {
                    name: "owa".into(),
                    kind: "file".into(),
                    ..SourceSnapshot::default()
                },
            ],
            ..HealthSnapshot::default()
        };
        let running = service_lines(&h, t0 + jiff::SignedDuration::from_secs(4));
        assert!(running[0].starts_with("SERVICE running"), "{running:?}");
        let down = service_lines(&h, t0 + jiff::SignedDuration::from_secs(600));
        assert!(
            down[0].starts_with("SERVICE DOWN: no heartbeat for 10m")
                && down[0].contains("nobody is watching"),
            "{down:?}"
        );
        // Control characters from the store never reach the terminal.
        assert!(down.iter().all(|l| !l.chars().any(|c| c.is_control())));
        assert!(down.iter().all(|l| l.trim_end() == l), "{down:?}");
        assert!(
            down[2].contains("permission denied second line"),
            "{down:?}"
        );
    }
}
