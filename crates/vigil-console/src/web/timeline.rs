//! The incident's timeline chart, drawn on the server as SVG (no script, so the CSP holds): a time
//! axis from the first to the last detection (stretched to take in the entry point and the time the
//! organisation became aware, when they fall outside), one lane per ATT&CK tactic, a mark per
//! detection, the waves as shaded bands, and the entry point and awareness as labelled lines.
//!
//! The marks are bounded: past [`MAX_MARKS`] detections, each lane is cut into [`BUCKETS`] time
//! buckets and each bucket with detections is one mark, sized by its count, titled with it. Only
//! numbers and plain strings leave this module; the template escapes the strings.

use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeMap;
use vigil_investigate::tactics::{Tactic, primary_tactic};
use vigil_model::{Detection, Level};

/// Detections drawn one mark each; beyond, marks are aggregated.
pub const MAX_MARKS: usize = 300;
/// Time buckets per lane when aggregated, at most: fewer when there are many lanes, so that the
/// marks stay within [`MAX_MARKS`].
pub const BUCKETS: usize = 60;

/// Width of the drawing (the viewBox; the page scales it).
const WIDTH: f64 = 1000.0;
/// Room for the lane labels on the left.
const LEFT: f64 = 220.0;
/// Room on the right, so the last mark and label are not cut.
const RIGHT: f64 = 20.0;
/// Room above the lanes for the wave labels and the marker labels.
const TOP: f64 = 48.0;
/// Room below the lanes for the time axis.
const BOTTOM: f64 = 40.0;
const LANE: f64 = 32.0;

/// A wave as the chart draws it.
#[derive(Debug, Clone)]
pub(crate) struct WaveSpan {
    pub number: u64,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// What is drawn.
#[derive(Debug, Default)]
pub(crate) struct ChartInput<'a> {
    pub detections: Vec<&'a Detection>,
    pub waves: Vec<WaveSpan>,
    pub entry: Option<Timestamp>,
    pub aware: Option<Timestamp>,
}

pub(crate) struct LaneRow {
    pub y: f64,
    pub label_y: f64,
    pub label: String,
    pub count: usize,
}

pub(crate) struct Band {
    pub x: f64,
    pub width: f64,
    pub label: String,
    pub label_x: f64,
}

pub(crate) struct Mark {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub class: &'static str,
    pub title: String,
}

pub(crate) struct Line {
    pub x: f64,
    pub label: String,
    pub label_x: f64,
    pub label_y: f64,
    pub anchor: &'static str,
    pub class: &'static str,
}

pub(crate) struct Tick {
    pub x: f64,
    pub label: String,
    /// The end ticks' labels are anchored inside the drawing, so they are not cut.
    pub anchor: &'static str,
}

/// A drawn chart: every coordinate in viewBox units.
pub(crate) struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub lanes_top: f64,
    pub lanes_bottom: f64,
    pub axis_y: f64,
    pub lanes: Vec<LaneRow>,
    pub bands: Vec<Band>,
    pub marks: Vec<Mark>,
    pub lines: Vec<Line>,
    pub ticks: Vec<Tick>,
    /// Detections drawn (each in exactly one mark).
    pub detections: usize,
    /// Marks aggregate several detections.
    pub aggregated: bool,
    /// A description for screen readers and the page.
    pub summary: String,
}

/// A coordinate to a tenth of a unit: enough for the drawing, short in the page.
fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn level_class(l: Level) -> &'static str {
    match l {
        Level::Critical => "critical",
        Level::High => "high",
        Level::Medium => "medium",
        Level::Low => "low",
        _ => "info",
    }
}

fn stamp(t: Timestamp, span: SignedDuration) -> String {
    let z = t.to_zoned(jiff::tz::TimeZone::UTC);
    let fmt = if span > SignedDuration::from_hours(72) {
        "%Y-%m-%d"
    } else {
        "%m-%d %H:%M"
    };
    z.strftime(fmt).to_string()
}

/// A lane: its place in the kill chain, and its tactic (none: untagged detections, last).
type LaneKey = (usize, Option<Tactic>);

/// Lays the chart out; `None` when no detection has a time.
pub(crate) fn chart(input: &ChartInput) -> Option<Chart> {
    let timed: Vec<(Timestamp, &Detection)> = input
        .detections
        .iter()
        .filter_map(|d| d.timestamp.map(|t| (t, *d)))
        .collect();
    let first = timed.iter().map(|(t, _)| *t).min()?;
    let last = timed.iter().map(|(t, _)| *t).max()?;
    let mut from = first;
    let mut to = last;
    for t in [input.entry, input.aware].into_iter().flatten() {
        from = from.min(t);
        to = to.max(t);
    }
    // One instant: a minute either side, so the marks sit in the middle.
    if to <= from {
        from = from
            .checked_sub(SignedDuration::from_mins(1))
            .unwrap_or(from);
        to = to.checked_add(SignedDuration::from_mins(1)).unwrap_or(to);
    }
    let span = from.duration_until(to);
    let span_s = span.as_secs_f64().max(1.0);
    let plot = WIDTH - LEFT - RIGHT;
    let x_of = |t: Timestamp| {
        r1(LEFT + plot * (from.duration_until(t).as_secs_f64() / span_s).clamp(0.0, 1.0))
    };

    // Lanes: the tactics seen, in kill-chain order; detections without a tactic last.
    let mut by_lane: BTreeMap<LaneKey, Vec<(Timestamp, &Detection)>> = BTreeMap::new();
    for (t, d) in &timed {
        let tactic = primary_tactic(d);
        let order = tactic.map_or(usize::MAX, |t| {
            Tactic::ALL
                .iter()
                .position(|a| *a == t)
                .unwrap_or(usize::MAX - 1)
        });
        by_lane.entry((order, tactic)).or_default().push((*t, *d));
    }
    let lanes_top = TOP;
    let lanes: Vec<LaneRow> = by_lane
        .iter()
        .enumerate()
        .map(|(i, ((_, tactic), dets))| {
            let y = lanes_top + LANE * i as f64 + LANE / 2.0;
            LaneRow {
                y,
                label_y: y + 4.0,
                label: tactic.map_or("No tactic", Tactic::label).to_string(),
                count: dets.len(),
            }
        })
        .collect();
    let lanes_bottom = lanes_top + LANE * lanes.len() as f64;
    let aggregated = timed.len() > MAX_MARKS;
    let buckets_n = (MAX_MARKS / lanes.len().max(1)).clamp(1, BUCKETS);
    let mut marks = Vec::new();
    for (lane, dets) in lanes.iter().zip(by_lane.values()) {
        if aggregated {
            // count, highest level, first and last time per bucket
            let mut buckets: BTreeMap<usize, (usize, Level, Timestamp, Timestamp)> =
                BTreeMap::new();
            for (t, d) in dets {
                let f = from.duration_until(*t).as_secs_f64() / span_s;
                let b = ((f * buckets_n as f64) as usize).min(buckets_n - 1);
                let e = buckets.entry(b).or_insert((0, d.level, *t, *t));
                e.0 += 1;
                e.1 = e.1.max(d.level);
                e.2 = e.2.min(*t);
                e.3 = e.3.max(*t);
            }
            for (b, (n, level, t0, t1)) in buckets {
                let centre = LEFT + plot * ((b as f64 + 0.5) / buckets_n as f64);
                marks.push(Mark {
                    x: r1(centre),
                    y: lane.y,
                    r: r1((3.0 + 5.0 * (n as f64).log10()).min(LANE / 2.0 - 1.0)),
                    class: level_class(level),
                    title: format!(
                        "{n} {} detection(s), highest {}, {} to {}",
                        lane.label,
                        level.as_str(),
                        stamp(t0, SignedDuration::ZERO),
                        stamp(t1, SignedDuration::ZERO)
                    ),
                });
            }
        } else {
            for (t, d) in dets {
                marks.push(Mark {
                    x: x_of(*t),
                    y: lane.y,
                    r: 5.0,
                    class: level_class(d.level),
                    title: format!(
                        "{} {} ({})",
                        stamp(*t, SignedDuration::ZERO),
                        d.rule_title,
                        d.level.as_str()
                    ),
                });
            }
        }
    }
    let bands = input
        .waves
        .iter()
        .map(|w| {
            let x = x_of(w.start);
            // At least two units wide, so a wave of one instant is still seen.
            let width = r1((x_of(w.end) - x).max(2.0));
            Band {
                x,
                width,
                label: format!("wave {}", w.number),
                label_x: x + 2.0,
            }
        })
        .collect();
    let mut lines = Vec::new();
    for (t, label, class, row) in [
        (input.entry, "entry point", "entry", 0.0),
        (input.aware, "aware", "aware", 1.0),
    ] {
        if let Some(t) = t {
            let x = x_of(t);
            // Labels near the right edge are drawn to the left of their line.
            let end = x > WIDTH - RIGHT - 160.0;
            lines.push(Line {
                x,
                label: format!("{label} {}", stamp(t, span)),
                label_x: if end { x - 3.0 } else { x + 3.0 },
                label_y: 14.0 + 15.0 * row,
                anchor: if end { "end" } else { "start" },
                class,
            });
        }
    }
    let ticks = (0..=4)
        .map(|i| {
            let f = f64::from(i) / 4.0;
            let secs = (span_s * f) as i64;
            let t = from
                .checked_add(SignedDuration::from_secs(secs))
                .unwrap_or(to);
            Tick {
                x: r1(LEFT + plot * f),
                label: stamp(t, span),
                anchor: match i {
                    0 => "start",
                    4 => "end",
                    _ => "middle",
                },
            }
        })
        .collect();
    let summary = format!(
        "{} detection(s) from {} to {} in {} tactic lane(s){}",
        timed.len(),
        stamp(first, span),
        stamp(last, span),
        lanes.len(),
        if aggregated {
            format!(
                "; more than {MAX_MARKS}, so each mark counts the detections of a lane in one of \
                 {buckets_n} time slices"
            )
        } else {
            String::new()
        }
    );
    Some(Chart {
        width: WIDTH,
        height: lanes_bottom + BOTTOM,
        left: LEFT,
        right: WIDTH - RIGHT,
        lanes_top,
        lanes_bottom,
        axis_y: lanes_bottom + 22.0,
        detections: timed.len(),
        aggregated,
        marks,
        lanes,
        bands,
        lines,
        ticks,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(rule: &str, tag: &str, at: Timestamp) -> Detection {
        Detection {
            rule_id: rule.into(),
            rule_title: rule.into(),
            level: Level::High,
            tags: vec![tag.into()],
            timestamp: Some(at),
            first_seen: None,
            host: Some("MAIL01".into()),
            sources: Vec::new(),
            matched: Vec::new(),
        }
    }

    #[test]
    fn one_lane_per_tactic_in_kill_chain_order_and_marks_inside_the_plot() {
        let t0: Timestamp = "2026-03-02T03:00:00Z".parse().unwrap();
        let dets = [
            det("exfil", "attack.t1041", t0 + SignedDuration::from_hours(5)),
            det("exploit", "attack.t1190", t0),
            det("untagged", "x", t0 + SignedDuration::from_hours(1)),
        ];
        let c = chart(&ChartInput {
            detections: dets.iter().collect(),
            waves: vec![WaveSpan {
                number: 1,
                start: t0,
                end: t0 + SignedDuration::from_hours(5),
            }],
            entry: Some(t0),
            aware: Some(t0 + SignedDuration::from_hours(30)),
        })
        .unwrap();
        let labels: Vec<&str> = c.lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["Initial Access", "Exfiltration", "No tactic"]);
        assert_eq!(c.marks.len(), 3);
        assert!(!c.aggregated);
        for m in &c.marks {
            assert!(m.x >= c.left && m.x <= c.right, "{}", m.x);
        }
        // The axis reaches the awareness, after the last detection.
        assert!((c.lines[1].x - c.right).abs() < 1e-6);
        assert_eq!(c.lines[1].anchor, "end");
        assert_eq!(c.bands.len(), 1);
    }

    #[test]
    fn many_detections_are_aggregated_into_a_bounded_number_of_marks() {
        let t0: Timestamp = "2026-03-02T03:00:00Z".parse().unwrap();
        let dets: Vec<Detection> = (0..5_000)
            .map(|i| {
                det(
                    "spray",
                    if i % 2 == 0 {
                        "attack.t1110"
                    } else {
                        "attack.t1114"
                    },
                    t0 + SignedDuration::from_secs(i * 37),
                )
            })
            .collect();
        let c = chart(&ChartInput {
            detections: dets.iter().collect(),
            ..ChartInput::default()
        })
        .unwrap();
        assert!(c.aggregated);
        assert_eq!(c.detections, 5_000);
        assert!(
            c.marks.len() <= BUCKETS * c.lanes.len(),
            "{}",
            c.marks.len()
        );
        assert!(c.marks.len() <= MAX_MARKS);
        let counted: usize = c
            .marks
            .iter()
            .map(|m| m.title.split(' ').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(counted, 5_000);
    }

    #[test]
    fn many_lanes_still_keep_the_marks_within_the_bound() {
        let t0: Timestamp = "2026-03-02T03:00:00Z".parse().unwrap();
        let tags = [
            "attack.t1190",
            "attack.t1059",
            "attack.t1505.003",
            "attack.t1068",
            "attack.t1070",
            "attack.t1110",
            "attack.t1087",
            "attack.t1021",
            "attack.t1114",
            "attack.t1071",
            "attack.t1041",
            "attack.t1486",
            "attack.t1595",
            "attack.t1583",
        ];
        let dets: Vec<Detection> = (0..20_000)
            .map(|i| {
                det(
                    "r",
                    tags[i % tags.len()],
                    t0 + SignedDuration::from_secs(i as i64),
                )
            })
            .collect();
        let c = chart(&ChartInput {
            detections: dets.iter().collect(),
            ..ChartInput::default()
        })
        .unwrap();
        assert!(c.lanes.len() >= 10, "{}", c.lanes.len());
        assert!(c.marks.len() <= MAX_MARKS, "{}", c.marks.len());
    }

    #[test]
    fn no_timed_detection_draws_nothing() {
        let mut d = det("x", "attack.t1190", Timestamp::UNIX_EPOCH);
        d.timestamp = None;
        assert!(
            chart(&ChartInput {
                detections: vec![&d],
                ..ChartInput::default()
            })
            .is_none()
        );
    }
}
