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

/// Escaped and cut to [`MAX_TEXT`] characters.
fn text(s: &str) -> String {
    escape(&crate::truncate(s, MAX_TEXT))
}

fn anchor(id: &str) -> String {
    let a: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    if a.is_empty() { "s".into() } else { a }
}

const STYLE: &str = r#"
:root{--critical:#8e1b5a;--high:#c62828;--medium:#d9822b;--low:#2f7fb5;--info:#7a8794;--good:#2e7d32;--neutral:#4a5563;
--bg:#f6f7f9;--card:#fff;--line:#dde1e6;--ink:#1d232b;--muted:#5d6773}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#1f2a37;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:24px;font-weight:600}
header p{margin:4px 0 0;color:#c9d1db}
nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;position:sticky;top:0;z-index:2}
nav a{color:var(--neutral);text-decoration:none;margin-right:18px;font-size:14px}
nav a:hover{color:var(--ink);text-decoration:underline}
main{padding:8px 32px 40px;max-width:1500px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0}
section h2{margin:0 0 12px;font-size:19px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
.fact{border:1px solid var(--line);border-left:6px solid var(--neutral);border-radius:6px;padding:10px 12px;background:#fbfcfd}
.fact .label{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.fact .value{font-size:22px;font-weight:650;margin-top:2px;word-break:break-word}
.fact .detail{font-size:13px;color:var(--muted)}
.fact.critical{border-left-color:var(--critical)}.fact.high{border-left-color:var(--high)}.fact.medium{border-left-color:var(--medium)}
.fact.low{border-left-color:var(--low)}.fact.info{border-left-color:var(--info)}.fact.good{border-left-color:var(--good)}
.callout{border-left:6px solid var(--neutral);background:#fbfcfd;padding:10px 14px;margin:10px 0;border-radius:4px}
.callout.critical{border-color:var(--critical);background:#fbf0f5}.callout.high{border-color:var(--high);background:#fdf1f0}
.callout.medium{border-color:var(--medium);background:#fdf6ee}.callout.good{border-color:var(--good);background:#eff7ef}
.callout.low{border-color:var(--low)}.callout.info{border-color:var(--info)}
.tablewrap{overflow-x:auto;max-height:640px;overflow-y:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:6px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;max-width:560px;min-width:64px;overflow-wrap:anywhere}
th{background:#eef1f4;position:sticky;top:0;cursor:pointer;user-select:none;white-space:nowrap}
th.num,td.num{text-align:right}
th[aria-sort=ascending]::after{content:" \25B2";font-size:10px}th[aria-sort=descending]::after{content:" \25BC";font-size:10px}
tr:hover td{background:#f7f9fb}
td.mono,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
td.mono{min-width:180px;max-width:380px}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
.pill.critical{background:var(--critical)}.pill.high{background:var(--high)}.pill.medium{background:var(--medium)}
.pill.low{background:var(--low)}.pill.info{background:var(--info)}.pill.good{background:var(--good)}.pill.neutral{background:var(--neutral)}
ul.items{padding-left:20px;margin:6px 0}ul.items li{margin:6px 0}
ul.items ul{color:var(--muted);font-size:13px;padding-left:18px;margin:3px 0}
dl.fields{display:grid;grid-template-columns:minmax(180px,260px) 1fr;gap:6px 16px;margin:0}
dl.fields dt{font-weight:600;color:var(--neutral)}dl.fields dd{margin:0}
dl.fields dd.missing{background:#fff7d6;border:1px dashed #c9a227;padding:2px 6px;border-radius:4px}
.basis{color:var(--muted);font-size:12px}
.chart{width:100%;overflow-x:auto}
.chart svg{display:block;min-width:900px}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:12px;padding:0 32px 30px}
@media print{nav{display:none}.tablewrap{max-height:none;overflow:visible}section{break-inside:avoid-page}}
"#;

/// Sorts a table when its header is clicked: numbers as numbers, else text; again to reverse.
const SCRIPT: &str = r#"
document.querySelectorAll("table.sortable").forEach(function(t){
 t.querySelectorAll("th").forEach(function(th,i){
  th.addEventListener("click",function(){
   var asc=th.getAttribute("aria-sort")!=="ascending",num=th.classList.contains("num"),b=t.tBodies[0];
   t.querySelectorAll("th").forEach(function(h){h.removeAttribute("aria-sort")});
   th.setAttribute("aria-sort",asc?"ascending":"descending");
   var key=function(r){var c=r.cells[i];if(!c)return "";var k=c.getAttribute("data-sort");return k===null?c.textContent.trim():k};
   Array.prototype.slice.call(b.rows).sort(function(x,y){var a=key(x),c=key(y),r;
    if(num){a=parseFloat(a);c=parseFloat(c);a=isNaN(a)?-Infinity:a;c=isNaN(c)?-Infinity:c;r=a-c}else{r=a.localeCompare(c)}
    return asc?r:-r}).forEach(function(r){b.appendChild(r)});
  });
 });
});
"#;

/// Renders the document as one self-contained HTML page.
pub fn render(doc: &Document) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'unsafe-inline'; img-src data:\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        text(&doc.title)
    );
    let _ = write!(o, "<header><h1>{}</h1>", text(&doc.title));
    if let Some(s) = &doc.subtitle {
        let _ = write!(o, "<p>{}</p>", text(s));
    }
    o.push_str("</header>\n<nav>");
    for s in &doc.sections {
        let _ = write!(o, "<a href=\"#{}\">{}</a>", anchor(&s.id), text(&s.title));
    }
    o.push_str("</nav>\n<main>\n");
    for s in &doc.sections {
        let _ = write!(
            o,
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            anchor(&s.id),
            text(&s.title)
        );
        for b in &s.blocks {
            block(&mut o, b);
        }
        o.push_str("</section>\n");
    }
    let _ = write!(
        o,
        "</main>\n<footer>{}</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        text(&doc.footer)
    );
    o
}

fn block(o: &mut String, b: &Block) {
    match b {
        Block::Facts(facts) => {
            o.push_str("<div class=\"facts\">");
            for f in facts {
                let _ = write!(
                    o,
                    "<div class=\"fact {}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>",
                    f.tone.class(),
                    text(&f.label),
                    text(&f.value)
                );
                if let Some(d) = &f.detail {
                    let _ = write!(o, "<div class=\"detail\">{}</div>", text(d));
                }
                o.push_str("</div>");
            }
            o.push_str("</div>\n");
        }
        Block::Paragraph(p) => {
            let _ = writeln!(o, "<p>{}</p>", text(p));
        }
        Block::Callout(tone, p) => {
            let _ = writeln!(
                o,
                "<div class=\"callout {}\">{}</div>",
                tone.class(),
                text(p)
            );
        }
        Block::List(items) => {
            o.push_str("<ul class=\"items\">");
            for it in items {
                o.push_str("<li>");
                if let Some(b) = &it.badge {
                    let _ = write!(
                        o,
                        "<span class=\"pill {}\">{}</span> ",
                        it.tone.unwrap_or_default().class(),
                        text(b)
                    );
                }
                o.push_str(&text(&it.text));
                if !it.sub.is_empty() {
                    o.push_str("<ul>");
                    for s in &it.sub {
                        let _ = write!(o, "<li>{}</li>", text(s));
                    }
                    o.push_str("</ul>");
                }
                o.push_str("</li>");
            }
            o.push_str("</ul>\n");
        }
        Block::Fields(rows) => {
            o.push_str("<dl class=\"fields\">");
            for r in rows {
                let _ = write!(
                    o,
                    "<dt>{}</dt><dd{}>{}",
                    text(&r.label),
                    if r.missing { " class=\"missing\"" } else { "" },
                    text(&r.value)
                );
                if let Some(b) = &r.basis {
                    let _ = write!(o, " <span class=\"basis\">({})</span>", text(b));
                }
                o.push_str("</dd>");
            }
            o.push_str("</dl>\n");
        }
        Block::Table(t) => table(o, t),
        Block::Timeline(t) => {
            o.push_str("<div class=\"chart\">");
            o.push_str(&timeline_svg(t));
            o.push_str("</div>\n");
            if t.points.len() > MAX_POINTS {
                let _ = writeln!(
                    o,
                    "<p class=\"empty\">{} more points are not drawn; the table below lists them.</p>",
                    t.points.len() - MAX_POINTS
                );
            }
        }
    }
}

fn table(o: &mut String, t: &Table) {
    if t.rows.is_empty() {
        let _ = writeln!(o, "<p class=\"empty\">{}</p>", text(&t.empty));
        return;
    }
    o.push_str("<div class=\"tablewrap\"><table class=\"sortable\"><thead><tr>");
    for c in &t.columns {
        let _ = write!(
            o,
            "<th{} title=\"sort\">{}</th>",
            if c.numeric { " class=\"num\"" } else { "" },
            text(&c.name)
        );
    }
    o.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        o.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let numeric = t.columns.get(i).is_some_and(|c| c.numeric);
            let mut class = Vec::new();
            if numeric {
                class.push("num");
            }
            if c.mono {
                class.push("mono");
            }
            o.push_str("<td");
            if !class.is_empty() {
                let _ = write!(o, " class=\"{}\"", class.join(" "));
            }
            if let Some(s) = &c.sort {
                let _ = write!(o, " data-sort=\"{}\"", text(s));
            }
            o.push('>');
            match c.tone {
                Some(tone) => {
                    let _ = write!(
                        o,
                        "<span class=\"pill {}\">{}</span>",
                        tone.class(),
                        text(&c.text)
                    );
                }
                None => o.push_str(&text(&c.text)),
            }
            o.push_str("</td>");
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>\n");
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
        let mut o = String::new();
        table(
            &mut o,
            &Table {
                columns: vec![Column::text("update"), Column::number("days overdue")],
                rows: vec![vec![Cell::mono("KB5001779"), Cell::number(108)]],
                empty: "none".into(),
            },
        );
        assert!(o.contains("<th class=\"num\""));
        assert!(o.contains("<td class=\"num\" data-sort=\"108\">108</td>"));
        assert!(o.contains("<td class=\"mono\">KB5001779</td>"));
        let mut e = String::new();
        table(
            &mut e,
            &Table {
                empty: "No overdue updates.".into(),
                ..Table::default()
            },
        );
        assert!(e.contains("No overdue updates."));
    }
}
