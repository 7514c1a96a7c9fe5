//! Self-contained HTML reports: one file a data-protection officer can open anywhere, offline.
//!
//! A report is described as a [`Document`] (sections of summary facts, tables, an SVG timeline, lists)
//! and rendered by [`render`] into a single page: the styles and the few lines of script that make
//! tables sortable are inline, and nothing is loaded from elsewhere (no fonts, scripts, images or
//! links to fetch), so the page looks the same on an air-gapped laptop and leaks nothing when opened.
//!
//! Every text from evidence (log lines, advisory summaries, file names) is hostile: it is escaped for
//! HTML on the way out, and long texts are cut, so that a crafted log line cannot inject markup.

use jiff::Timestamp;
use std::fmt::Write as _;
use vigil_model::{Level, Severity};

/// Longest text kept in a cell or list item.
pub const MAX_TEXT: usize = 4000;
/// Most timeline points drawn; the rest are counted under the chart.
pub const MAX_POINTS: usize = 2000;

/// The colour class of a value: severities and levels, and the plain states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    Critical,
    High,
    Medium,
    Low,
    Info,
    Good,
    #[default]
    Neutral,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Critical => "critical",
            Tone::High => "high",
            Tone::Medium => "medium",
            Tone::Low => "low",
            Tone::Info => "info",
            Tone::Good => "good",
            Tone::Neutral => "neutral",
        }
    }

    /// Fill colour for SVG shapes (kept in step with the CSS below).
    fn colour(self) -> &'static str {
        match self {
            Tone::Critical => "#8e1b5a",
            Tone::High => "#c62828",
            Tone::Medium => "#d9822b",
            Tone::Low => "#2f7fb5",
            Tone::Info => "#7a8794",
            Tone::Good => "#2e7d32",
            Tone::Neutral => "#4a5563",
        }
    }

    pub fn of_level(l: Level) -> Tone {
        match l {
            Level::Critical => Tone::Critical,
            Level::High => Tone::High,
            Level::Medium => Tone::Medium,
            Level::Low => Tone::Low,
            Level::Informational => Tone::Info,
        }
    }

    pub fn of_severity(s: Severity) -> Tone {
        match s {
            Severity::Critical => Tone::Critical,
            Severity::High | Severity::Unknown => Tone::High,
            Severity::Medium => Tone::Medium,
            Severity::Low => Tone::Low,
            Severity::None => Tone::Info,
        }
    }
}

/// A whole report page.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub title: String,
    /// One line under the title (asset, period, "as of").
    pub subtitle: Option<String>,
    /// Shown in the footer: tool and version, when generated.
    pub footer: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Anchor id (letters, digits, `-`); made safe when rendered.
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// Summary cards: a label and a prominent value.
    Facts(Vec<Fact>),
    Table(Table),
    Timeline(Timeline),
    Paragraph(String),
    /// A paragraph with a coloured bar (a warning, a deadline).
    Callout(Tone, String),
    List(Vec<Item>),
    /// A label–value list (the fields of a notification).
    Fields(Vec<FieldRow>),
}

#[derive(Debug, Clone)]
pub struct Fact {
    pub label: String,
    pub value: String,
    /// Smaller text under the value.
    pub detail: Option<String>,
    pub tone: Tone,
}

/// One list item, with optional indented sub-items (evidence under a claim).
#[derive(Debug, Clone, Default)]
pub struct Item {
    pub text: String,
    pub tone: Option<Tone>,
    /// A short tag before the text (`established`, `unknown`).
    pub badge: Option<String>,
    pub sub: Vec<String>,
}

/// A field of a form-like block; `missing` marks what a person still has to complete.
#[derive(Debug, Clone)]
pub struct FieldRow {
    pub label: String,
    pub value: String,
    pub missing: bool,
    /// Where the value comes from.
    pub basis: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Shown when there are no rows.
    pub empty: String,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// Sorted as numbers (the cell's sort key, else its text).
    pub numeric: bool,
}

impl Column {
    pub fn text(name: &str) -> Column {
        Column {
            name: name.into(),
            numeric: false,
        }
    }
    pub fn number(name: &str) -> Column {
        Column {
            name: name.into(),
            numeric: true,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    /// What the column sorts on when the text does not sort well (a level's rank, a timestamp).
    pub sort: Option<String>,
    pub tone: Option<Tone>,
    /// Monospaced (paths, ids, request lines).
    pub mono: bool,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }
    pub fn mono(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            mono: true,
            ..Cell::default()
        }
    }
    pub fn toned(text: impl Into<String>, tone: Tone, sort: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            sort: Some(sort.into()),
            tone: Some(tone),
            mono: false,
        }
    }
    pub fn number(n: i64) -> Cell {
        Cell {
            text: n.to_string(),
            sort: Some(n.to_string()),
            ..Cell::default()
        }
    }
}

/// A time chart: points on horizontal lanes, with vertical markers for key moments.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub lanes: Vec<String>,
    pub points: Vec<Point>,
    pub markers: Vec<Marker>,
}

#[derive(Debug, Clone)]
pub struct Point {
    pub at: Timestamp,
    /// Index into [`Timeline::lanes`]; out-of-range points go to the last lane.
    pub lane: usize,
    /// Tooltip text.
    pub label: String,
    pub tone: Tone,
}

#[derive(Debug, Clone)]
pub struct Marker {
    pub at: Timestamp,
    pub label: String,
    pub tone: Tone,
}

/// HTML-escapes text for element content and quoted attribute values: see [`vigil_model::text::html`].
pub fn escape(s: &str) -> String {
    vigil_model::text::html(s)
}

fn anchor(id: &str) -> String {
    let a: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    if a.is_empty() { "s".into() } else { a }
}

/// The page of a [`Document`]: the template (`templates/document.html`) escapes every value; the
/// one exception is the timeline's SVG, which [`timeline_svg`] builds with every text escaped.
#[derive(askama::Template)]
#[template(path = "document.html")]
struct DocumentPage<'a> {
    doc: &'a Document,
    /// vigil's shared stylesheet (a constant, not input: written as is).
    stylesheet: &'static str,
}

impl DocumentPage<'_> {
    /// A text cut to [`MAX_TEXT`] characters, control characters shown as spaces (the template
    /// escapes the rest).
    fn cut(&self, s: &str) -> String {
        crate::for_template(s, MAX_TEXT)
    }

    fn anchor(&self, id: &str) -> String {
        anchor(id)
    }

    fn svg(&self, t: &Timeline) -> String {
        timeline_svg(t)
    }

    fn max_points(&self) -> usize {
        MAX_POINTS
    }

    /// The ` class="…"` of a table cell (numeric column, monospaced), or nothing; only fixed words.
    fn cell_class(
        &self,
        t: &Table,
        column: &usize,
        c: &Cell,
    ) -> askama::filters::Safe<&'static str> {
        let numeric = t.columns.get(*column).is_some_and(|c| c.numeric);
        askama::filters::Safe(match (numeric, c.mono) {
            (true, true) => " class=\"num mono\"",
            (true, false) => " class=\"num\"",
            (false, true) => " class=\"mono\"",
            (false, false) => "",
        })
    }
}

/// Renders the document as one self-contained HTML page.
pub fn render(doc: &Document) -> String {
    use askama::Template as _;
    DocumentPage {
        doc,
        stylesheet: crate::STYLESHEET,
    }.render().unwrap_or_else(|e| {
        format!(
            "<!DOCTYPE html><html lang=\"en\"><body><p>The page could not be rendered: {}</p></body></html>\n",
            escape(&e.to_string())
        )
    })
}

/// The timeline as an inline SVG: a time axis with month (or day) ticks, one lane per row, a dot per
/// point (its text as the tooltip) and a labelled dashed line per marker.
pub fn timeline_svg(t: &Timeline) -> String {
    const LEFT: f64 = 190.0;
    const RIGHT: f64 = 30.0;
    const WIDTH: f64 = 1200.0;
    const LANE_H: f64 = 34.0;
    let points: Vec<&Point> = t.points.iter().take(MAX_POINTS).collect();
    let times: Vec<i64> = points
        .iter()
        .map(|p| p.at.as_second())
        .chain(t.markers.iter().map(|m| m.at.as_second()))
        .collect();
    let lanes = t.lanes.len().max(1);
    let marker_rows = t.markers.len().min(12);
    let top = 20.0 + marker_rows as f64 * 16.0;
    let axis_y = top + lanes as f64 * LANE_H;
    let height = axis_y + 40.0;
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" \
         role=\"img\" aria-label=\"timeline\" font-family=\"system-ui,sans-serif\" font-size=\"12\">"
    );
    let (Some(min), Some(max)) = (times.iter().min().copied(), times.iter().max().copied()) else {
        o.push_str("<text x=\"10\" y=\"20\">nothing to draw</text></svg>");
        return o;
    };
    // A little room either side so the first and last points are not on the edge.
    let span = (max - min).max(3600);
    let pad = span / 40;
    let (min, max) = (min - pad, max + pad);
    let x = |s: i64| LEFT + (s - min) as f64 / (max - min) as f64 * (WIDTH - LEFT - RIGHT);
    for (i, lane) in t.lanes.iter().enumerate() {
        let y = top + i as f64 * LANE_H;
        let fill = if i % 2 == 0 { "#f3f5f8" } else { "#ffffff" };
        let _ = write!(
            o,
            "<rect x=\"{LEFT}\" y=\"{y}\" width=\"{}\" height=\"{LANE_H}\" fill=\"{fill}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#4a5563\">{}</text>",
            WIDTH - LEFT - RIGHT,
            LEFT - 8.0,
            y + LANE_H / 2.0 + 4.0,
            escape(&crate::truncate(lane, 28))
        );
    }
    let _ = write!(
        o,
        "<line x1=\"{LEFT}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#4a5563\"/>",
        WIDTH - RIGHT
    );
    for (label, at) in ticks(min, max) {
        let tx = x(at);
        let _ = write!(
            o,
            "<line x1=\"{tx:.1}\" y1=\"{top}\" x2=\"{tx:.1}\" y2=\"{}\" stroke=\"#dde1e6\"/>\
             <text x=\"{tx:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#5d6773\">{}</text>",
            axis_y + 5.0,
            axis_y + 18.0,
            escape(&label)
        );
    }
    for p in &points {
        let lane = p.lane.min(lanes - 1);
        let cy = top + lane as f64 * LANE_H + LANE_H / 2.0;
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"{}\" fill-opacity=\"0.8\" stroke=\"#fff\" \
             stroke-width=\"1\"><title>{}</title></circle>",
            x(p.at.as_second()),
            p.tone.colour(),
            escape(&crate::truncate(&p.label, 300))
        );
    }
    for (i, m) in t.markers.iter().take(12).enumerate() {
        let mx = x(m.at.as_second());
        let ly = 14.0 + i as f64 * 16.0;
        let anchor = if mx > WIDTH * 0.6 { "end" } else { "start" };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        let _ = write!(
            o,
            "<line x1=\"{mx:.1}\" y1=\"{}\" x2=\"{mx:.1}\" y2=\"{axis_y}\" stroke=\"{c}\" stroke-width=\"1.5\" \
             stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{ly}\" text-anchor=\"{anchor}\" fill=\"{c}\" \
             font-weight=\"600\">{}</text>",
            ly - 4.0,
            mx + dx,
            escape(&crate::truncate(&m.label, 80)),
            c = m.tone.colour()
        );
    }
    o.push_str("</svg>");
    o
}

/// Axis ticks: days for short spans, months for long ones (at most ~14 labels).
fn ticks(min: i64, max: i64) -> Vec<(String, i64)> {
    use jiff::ToSpan;
    use jiff::tz::TimeZone;
    let (Ok(a), Ok(b)) = (Timestamp::from_second(min), Timestamp::from_second(max)) else {
        return Vec::new();
    };
    let days = (max - min) / 86_400;
    let start = a.to_zoned(TimeZone::UTC).date();
    let end = b.to_zoned(TimeZone::UTC).date();
    let mut out = Vec::new();
    if days <= 20 {
        let step = (days / 10).max(1);
        let mut d = start;
        while d <= end && out.len() < 40 {
            if let Ok(z) = d.to_zoned(TimeZone::UTC) {
                let s = z.timestamp().as_second();
                if s >= min {
                    out.push((d.strftime("%b %d").to_string(), s));
                }
            }
            let Ok(next) = d.checked_add(step.days()) else {
                break;
            };
            d = next;
        }
    } else {
        let months = days / 30;
        let step = (months / 12 + 1).clamp(1, 24);
        let mut d = start.first_of_month();
        while d <= end && out.len() < 40 {
            if let Ok(z) = d.to_zoned(TimeZone::UTC) {
                let s = z.timestamp().as_second();
                if s >= min {
                    let label = if d.month() == 1 || out.is_empty() {
                        d.strftime("%b %Y").to_string()
                    } else {
                        d.strftime("%b").to_string()
                    };
                    out.push((label, s));
                }
            }
            let Ok(next) = d.checked_add(step.months()) else {
                break;
            };
            d = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let evil = "<script>alert(1)</script>\"'&";
        let doc = Document {
            title: evil.into(),
            subtitle: Some(evil.into()),
            footer: evil.into(),
            sections: vec![Section {
                id: "a\"><b".into(),
                title: evil.into(),
                blocks: vec![
                    Block::Paragraph(evil.into()),
                    Block::Table(Table {
                        columns: vec![Column::text(evil)],
                        rows: vec![vec![Cell {
                            text: evil.into(),
                            sort: Some(evil.into()),
                            tone: Some(Tone::High),
                            mono: true,
                        }]],
                        empty: String::new(),
                    }),
                    Block::Timeline(Timeline {
                        lanes: vec![evil.into()],
                        points: vec![Point {
                            at: ts("2021-08-13T03:02:11Z"),
                            lane: 7,
                            label: evil.into(),
                            tone: Tone::Critical,
                        }],
                        markers: vec![Marker {
                            at: ts("2021-11-29T10:40:00Z"),
                            label: evil.into(),
                            tone: Tone::High,
                        }],
                    }),
                ],
            }],
        };
        let html = render(&doc);
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
        assert!(
            html.contains("id=\"ab\""),
            "anchor ids keep only safe characters"
        );
        // Self-contained: the only script is the inline sorter; nothing is fetched.
        assert_eq!(html.matches("<script>").count(), 1);
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
        assert!(!html.contains("@import") && !html.contains("url("));
    }

    #[test]
    fn timeline_places_points_in_time_order_and_labels_months() {
        let t = Timeline {
            lanes: vec!["advisories".into(), "detections".into()],
            points: vec![
                Point {
                    at: ts("2021-04-13T00:00:00Z"),
                    lane: 0,
                    label: "KB5001779 released".into(),
                    tone: Tone::Info,
                },
                Point {
                    at: ts("2021-08-13T03:02:11Z"),
                    lane: 1,
                    label: "ProxyShell".into(),
                    tone: Tone::Critical,
                },
            ],
            markers: vec![Marker {
                at: ts("2021-11-29T10:40:00Z"),
                label: "awareness".into(),
                tone: Tone::High,
            }],
        };
        let svg = timeline_svg(&t);
        let cx: Vec<f64> = svg
            .split("<circle cx=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(cx.len(), 2);
        assert!(cx[0] < cx[1]);
        assert!(svg.contains(">Aug<") && svg.contains("May 2021"), "{svg}");
        assert!(svg.contains("<title>ProxyShell</title>"));
        assert!(svg.contains(">awareness</text>"));
        let empty = timeline_svg(&Timeline::default());
        assert!(empty.contains("nothing to draw"));
    }

    #[test]
    fn tables_sort_on_keys_and_mark_numbers() {
        let page = |t: Table| {
            render(&Document {
                title: "t".into(),
                sections: vec![Section {
                    id: "s".into(),
                    title: "s".into(),
                    blocks: vec![Block::Table(t)],
                }],
                ..Document::default()
            })
        };
        let o = page(Table {
            columns: vec![Column::text("update"), Column::number("days overdue")],
            rows: vec![vec![Cell::mono("KB5001779"), Cell::number(108)]],
            empty: "none".into(),
        });
        assert!(o.contains("<th class=\"num\""));
        assert!(
            o.contains("<td class=\"num\" data-sort=\"108\">108</td>"),
            "{o}"
        );
        assert!(o.contains("<td class=\"mono\">KB5001779</td>"));
        let e = page(Table {
            empty: "No overdue updates.".into(),
            ..Table::default()
        });
        assert!(e.contains("No overdue updates."));
    }

    #[test]
    fn every_field_of_a_document_is_escaped_none_is_safe() {
        let evil = "<img src=x onerror=alert(1)>\"'\u{1b}]0;x\u{7}";
        let doc = Document {
            title: evil.into(),
            subtitle: Some(evil.into()),
            footer: evil.into(),
            sections: vec![Section {
                id: "a\"><script>".into(),
                title: evil.into(),
                blocks: vec![
                    Block::Facts(vec![Fact {
                        label: evil.into(),
                        value: evil.into(),
                        detail: Some(evil.into()),
                        tone: Tone::High,
                    }]),
                    Block::Paragraph(evil.into()),
                    Block::Callout(Tone::High, evil.into()),
                    Block::List(vec![Item {
                        text: evil.into(),
                        tone: None,
                        badge: Some(evil.into()),
                        sub: vec![evil.into()],
                    }]),
                    Block::Fields(vec![FieldRow {
                        label: evil.into(),
                        value: evil.into(),
                        missing: true,
                        basis: Some(evil.into()),
                    }]),
                    Block::Table(Table {
                        columns: vec![Column::text(evil)],
                        rows: vec![vec![Cell {
                            text: evil.into(),
                            sort: Some(evil.into()),
                            tone: Some(Tone::Low),
                            mono: true,
                        }]],
                        empty: String::new(),
                    }),
                ],
            }],
        };
        let html = render(&doc);
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<script>\""), "{html}");
        assert!(html.matches("&#60;img").count() >= 14, "{html}");
        assert!(!html.contains('\u{1b}') && !html.contains('\u{7}'));
    }
}
