//! The health snapshot in the Prometheus text exposition format (version 0.0.4): a `# HELP` and a
//! `# TYPE` line per metric family, counters named `…_total`, label values escaped (`\`, `"`,
//! line feed) and help text escaped (`\`, line feed), every line ended by a line feed.
//!
//! Times are Unix seconds, as Prometheus' own `process_start_time_seconds`. The last error message
//! is not a label (one series per message would grow without bound); `/health` carries it.

use std::fmt::Write as _;
use vigil_model::{HealthSnapshot, SourceSnapshot, Timestamp};

/// The `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn seconds(t: Timestamp) -> f64 {
    t.as_millisecond() as f64 / 1000.0
}

/// `\` and line feeds escaped, as HELP text requires.
fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

/// `\`, `"` and line feeds escaped, as label values require.
pub fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    let _ = if labels.is_empty() {
        writeln!(out, "{name} {value}")
    } else {
        writeln!(out, "{name}{{{labels}}} {value}")
    };
}

/// One metric of the service as a whole.
fn service_metric(out: &mut String, name: &str, kind: &str, help: &str, value: Option<f64>) {
    family(out, name, kind, help);
    if let Some(v) = value {
        sample(out, name, "", v);
    }
}

type SourceValue = fn(&SourceSnapshot) -> Option<f64>;

/// The per-source metric families: name, type, help, value (absent while unknown).
const SOURCE_METRICS: &[(&str, &str, &str, SourceValue)] = &[
    (
        "vigil_source_events_total",
        "counter",
        "Events read from the source since the service started.",
        |s| Some(s.events as f64),
    ),
    (
        "vigil_source_events_per_minute",
        "gauge",
        "Events read from the source in the last minute.",
        |s| Some(s.events_per_min as f64),
    ),
    (
        "vigil_source_last_event_time_seconds",
        "gauge",
        "Time of the newest event read, by its own timestamp (Unix seconds).",
        |s| s.last_event.map(seconds),
    ),
    (
        "vigil_source_last_arrival_time_seconds",
        "gauge",
        "Wall-clock time at which events last arrived (Unix seconds).",
        |s| s.last_arrival.map(seconds),
    ),
    (
        "vigil_source_lag_seconds",
        "gauge",
        "Arrival time minus event time of the newest event when it arrived.",
        |s| s.lag_seconds.map(|v| v as f64),
    ),
    (
        "vigil_source_bytes_read_total",
        "counter",
        "Bytes of text logs read (decompressed for gzip; EVTX not counted).",
        |s| Some(s.bytes_read as f64),
    ),
    (
        "vigil_source_lag_bytes",
        "gauge",
        "Bytes of the followed files not read yet.",
        |s| Some(s.bytes_behind as f64),
    ),
    (
        "vigil_source_files",
        "gauge",
        "Files currently followed.",
        |s| Some(s.files as f64),
    ),
    (
        "vigil_source_errors_total",
        "counter",
        "Read errors and unparsable records.",
        |s| Some(s.errors as f64),
    ),
    (
        "vigil_source_rotations_total",
        "counter",
        "Files rotated away or deleted while followed.",
        |s| Some(s.rotations as f64),
    ),
    (
        "vigil_source_truncations_total",
        "counter",
        "Files truncated in place and read again from the start.",
        |s| Some(s.truncations as f64),
    ),
    (
        "vigil_source_late_events_total",
        "counter",
        "Events that arrived after their correlation windows had closed.",
        |s| Some(s.late_events as f64),
    ),
];

/// The snapshot as an exposition.
pub fn render(h: &HealthSnapshot) -> String {
    let mut out = String::new();
    let service: [(&str, &str, &str, Option<f64>); 10] = [
        (
            "vigil_serve_start_time_seconds",
            "gauge",
            "When the service started (Unix seconds).",
            Some(seconds(h.started_at)),
        ),
        (
            "vigil_serve_last_poll_time_seconds",
            "gauge",
            "When the service last finished polling its sources (Unix seconds).",
            h.last_poll.map(seconds),
        ),
        (
            "vigil_serve_sources",
            "gauge",
            "Sources watched.",
            Some(h.sources.len() as f64),
        ),
        (
            "vigil_serve_events_total",
            "counter",
            "Events evaluated since the service started.",
            Some(h.events as f64),
        ),
        (
            "vigil_serve_detections_stored_total",
            "counter",
            "Detections stored since the service started.",
            Some(h.detections_stored as f64),
        ),
        (
            "vigil_serve_detections_known_total",
            "counter",
            "Detections found again that the store already held (records re-read after a restart).",
            Some(h.detections_known as f64),
        ),
        (
            "vigil_serve_alerts_raised_total",
            "counter",
            "Alerts raised since the service started.",
            Some(h.alerts_raised as f64),
        ),
        (
            "vigil_serve_alert_notices_undelivered_total",
            "counter",
            "Alert notices (first sends, news, escalations) that no channel delivered.",
            Some(h.alerts_undelivered as f64),
        ),
        (
            "vigil_serve_late_events_total",
            "counter",
            "Events that arrived after their correlation windows had closed.",
            Some(h.late_events as f64),
        ),
        (
            "vigil_serve_heartbeat_errors_total",
            "counter",
            "Heartbeats that could not be written to the store.",
            Some(h.heartbeat_errors as f64),
        ),
    ];
    for (name, kind, help, value) in service {
        service_metric(&mut out, name, kind, help, value);
    }
    let labels: Vec<String> = h
        .sources
        .iter()
        .map(|s| {
            format!(
                "source=\"{}\",kind=\"{}\"",
                escape_label(&s.name),
                escape_label(&s.kind)
            )
        })
        .collect();
    for (name, kind, help, value) in SOURCE_METRICS {
        family(&mut out, name, kind, help);
        for (s, l) in h.sources.iter().zip(&labels) {
            if let Some(v) = value(s) {
                sample(&mut out, name, l, v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        let h = HealthSnapshot {
            sources: vec![SourceSnapshot {
                name: "C:\\logs\\\"x\"\nmail".into(),
                kind: "file".into(),
                events: 3,
                ..SourceSnapshot::default()
            }],
            ..HealthSnapshot::default()
        };
        let text = render(&h);
        assert!(
            text.contains(
                "vigil_source_events_total{source=\"C:\\\\logs\\\\\\\"x\\\"\\nmail\",kind=\"file\"} 3\n"
            ),
            "{text}"
        );
        // Every line is a comment or a sample; unknown times are left out, not written as 0.
        assert!(text.lines().all(|l| !l.is_empty()));
        assert!(!text.contains("vigil_source_last_event_time_seconds{"));
        assert!(!text.contains("\nvigil_serve_last_poll_time_seconds "));
    }

    #[test]
    fn counters_end_in_total_and_every_family_is_typed() {
        let text = render(&HealthSnapshot::default());
        for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let mut parts = line.split(' ').skip(2);
            let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
            assert_eq!(kind == "counter", name.ends_with("_total"), "{line}");
        }
        assert_eq!(
            text.matches("# HELP ").count(),
            text.matches("# TYPE ").count()
        );
    }
}
