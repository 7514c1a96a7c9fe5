//! A small PDF writer for vigil's text documents: headings, paragraphs, list items, quotes and tables
//! of styled text, laid out on A4 pages in the standard Helvetica faces (nothing is embedded, so every
//! reader shows it), with the footer and "page N of M" on every page.
//!
//! The PDF objects are written by `pdf-writer`; the layout is here: lines are broken by the fonts'
//! advance widths (a word longer than a line is broken inside), pages are broken between lines, a
//! heading is kept with what follows it, and a table's header row is repeated on each page it spans.
//! Text is written in WinAnsiEncoding ([`encoding`]): a character outside it is shown as `?`.

mod encoding;
mod metrics;

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

/// A4, in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// 2 cm.
const MARGIN: f32 = 56.7;
/// The footer's baseline, above the bottom edge.
const FOOTER_Y: f32 = 28.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// A table column is widened to its widest word up to this share of the line.
const MAX_WORD_SHARE: f32 = 0.3;
/// Space between table columns.
const COLUMN_GAP: f32 = 6.0;

/// A piece of text in one face. A `"\n"` in it breaks the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

/// What a document is made of, in reading order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// Level 1 is the document's title; 2 and below are sections.
    Heading(u8, Vec<Span>),
    Paragraph(Vec<Span>),
    /// A list item: its nesting (0 at the left), its marker (a bullet, `3.`) and its text.
    Item(u8, String, Vec<Span>),
    Quote(Vec<Span>),
    /// One row of a table; consecutive rows make one table, the first being its header when marked.
    Row {
        cells: Vec<Vec<Span>>,
        header: bool,
    },
}

/// A document to lay out: its title (the PDF's metadata), the footer of every page and its blocks.
pub(crate) struct Document {
    pub title: String,
    pub footer: String,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

impl Face {
    const ALL: [Face; 4] = [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic];

    fn of(bold: bool, italic: bool) -> Face {
        match (bold, italic) {
            (false, false) => Face::Regular,
            (true, false) => Face::Bold,
            (false, true) => Face::Italic,
            (true, true) => Face::BoldItalic,
        }
    }

    fn resource(self) -> Name<'static> {
        Name(match self {
            Face::Regular => b"F1",
            Face::Bold => b"F2",
            Face::Italic => b"F3",
            Face::BoldItalic => b"F4",
        })
    }

    fn base_font(self) -> Name<'static> {
        Name(match self {
            Face::Regular => b"Helvetica",
            Face::Bold => b"Helvetica-Bold",
            Face::Italic => b"Helvetica-Oblique",
            Face::BoldItalic => b"Helvetica-BoldOblique",
        })
    }

    /// Width of WinAnsi `bytes` at `size` points.
    fn width(self, bytes: &[u8], size: f32) -> f32 {
        let table = match self {
            Face::Bold | Face::BoldItalic => &metrics::HELVETICA_BOLD,
            Face::Regular | Face::Italic => &metrics::HELVETICA,
        };
        let units: u32 = bytes
            .iter()
            .map(|b| {
                usize::from(*b)
                    .checked_sub(32)
                    .and_then(|i| table.get(i))
                    .map_or(0, |w| u32::from(*w))
            })
            .sum();
        units as f32 * size / 1000.0
    }
}

/// Text of one face placed on a line, already encoded.
#[derive(Clone, Debug)]
struct Run {
    face: Face,
    bytes: Vec<u8>,
}

/// One laid-out line: its runs, left to right.
type Line = Vec<Run>;

/// What is drawn on a page.
#[derive(Debug)]
enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        run: Run,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        gray: f32,
    },
}

/// A word or a space of one face, before line breaking.
struct Piece {
    face: Face,
    bytes: Vec<u8>,
    space: bool,
    newline: bool,
}

fn pieces(spans: &[Span]) -> Vec<Piece> {
    let mut out = Vec::new();
    for s in spans {
        let face = Face::of(s.bold, s.italic);
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut Vec<Piece>| {
            if !word.is_empty() {
                out.push(Piece {
                    face,
                    bytes: encoding::encode(word),
                    space: false,
                    newline: false,
                });
                word.clear();
            }
        };
        for c in s.text.chars() {
            if c == '\n' {
                flush(&mut word, &mut out);
                out.push(Piece {
                    face,
                    bytes: Vec::new(),
                    space: false,
                    newline: true,
                });
            } else if c.is_whitespace() {
                flush(&mut word, &mut out);
                out.push(Piece {
                    face,
                    bytes: vec![b' '],
                    space: true,
                    newline: false,
                });
            } else {
                word.push(c);
            }
        }
        flush(&mut word, &mut out);
    }
    out
}

/// Appends `bytes` in `face` to `line`, joining the previous run when it has the same face.
fn push(line: &mut Line, face: Face, bytes: &[u8]) {
    match line.last_mut() {
        Some(r) if r.face == face => r.bytes.extend_from_slice(bytes),
        _ => line.push(Run {
            face,
            bytes: bytes.to_vec(),
        }),
    }
}

/// Breaks `spans` into lines no wider than `width` at `size` points.
fn wrap(spans: &[Span], size: f32, width: f32) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut line: Line = Vec::new();
    let mut used = 0.0f32;
    // A space waits until a word follows it on the same line.
    let mut pending: Option<(Face, f32)> = None;
    for p in pieces(spans) {
        if p.newline {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
            pending = None;
            continue;
        }
        if p.space {
            if !line.is_empty() && pending.is_none() {
                pending = Some((p.face, p.face.width(b" ", size)));
            }
            continue;
        }
        let w = p.face.width(&p.bytes, size);
        let gap = pending.map_or(0.0, |(_, g)| g);
        if used + gap + w <= width {
            if let Some((face, g)) = pending.take() {
                push(&mut line, face, b" ");
                used += g;
            }
            push(&mut line, p.face, &p.bytes);
            used += w;
            continue;
        }
        pending = None;
        if w <= width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            push(&mut line, p.face, &p.bytes);
            used = w;
            continue;
        }
        // Longer than a whole line (a path, a hash, a URL): broken where the line is full.
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        for b in p.bytes {
            let cw = p.face.width(&[b], size);
            if used + cw > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            push(&mut line, p.face, &[b]);
            used += cw;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// How a kind of block is set.
struct Style {
    size: f32,
    leading: f32,
    before: f32,
    after: f32,
    indent: f32,
}

fn style(b: &Block) -> Style {
    match b {
        Block::Heading(1, _) => Style {
            size: 16.0,
            leading: 20.0,
            before: 0.0,
            after: 8.0,
            indent: 0.0,
        },
        Block::Heading(..) => Style {
            size: 12.5,
            leading: 16.0,
            before: 10.0,
            after: 4.0,
            indent: 0.0,
        },
        Block::Paragraph(_) => Style {
            size: 10.0,
            leading: 13.5,
            before: 0.0,
            after: 6.0,
            indent: 0.0,
        },
        Block::Item(level, ..) => Style {
            size: 10.0,
            leading: 13.5,
            before: 0.0,
            after: 2.0,
            indent: 16.0 * (f32::from((*level).min(4)) + 1.0),
        },
        Block::Quote(_) => Style {
            size: 9.5,
            leading: 13.0,
            before: 0.0,
            after: 8.0,
            indent: 12.0,
        },
        Block::Row { .. } => Style {
            size: 8.5,
            leading: 11.0,
            before: 0.0,
            after: 3.0,
            indent: 0.0,
        },
    }
}

/// Pages being filled, top to bottom.
struct Pages {
    done: Vec<Vec<Mark>>,
    marks: Vec<Mark>,
    /// The baseline the next line goes below.
    y: f32,
}

impl Pages {
    fn new() -> Pages {
        Pages {
            done: Vec::new(),
            marks: Vec::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn top(&self) -> bool {
        self.y >= PAGE_HEIGHT - MARGIN
    }

    /// Starts a new page unless `height` more fits on this one (or this one is still empty).
    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < MARGIN && !self.top() {
            self.done.push(std::mem::take(&mut self.marks));
            self.y = PAGE_HEIGHT - MARGIN;
            return true;
        }
        false
    }

    fn skip(&mut self, space: f32) {
        if !self.top() {
            self.y -= space;
        }
    }

    /// Sets `line` with its left edge at `x` on a new baseline `leading` below.
    fn line(&mut self, line: Line, x: f32, size: f32, leading: f32) {
        self.ensure(leading);
        self.y -= leading;
        self.place(line, x, self.y, size);
    }

    fn place(&mut self, line: Line, x: f32, y: f32, size: f32) {
        let mut x = x;
        for run in line {
            let w = run.face.width(&run.bytes, size);
            self.marks.push(Mark::Text { x, y, size, run });
            x += w;
        }
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, gray: f32) {
        self.marks.push(Mark::Rule {
            x1,
            y1,
            x2,
            y2,
            gray,
        });
    }

    fn finish(mut self) -> Vec<Vec<Mark>> {
        if !self.marks.is_empty() || self.done.is_empty() {
            self.done.push(self.marks);
        }
        self.done
    }
}

/// Characters of text in `spans`.
fn plain_len(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.text.chars().count()).sum()
}

/// The widest word of `spans` at `size`.
fn widest_word(spans: &[Span], size: f32, bold: bool) -> f32 {
    pieces(spans)
        .iter()
        .filter(|p| !p.space && !p.newline)
        .map(|p| {
            let face = if bold {
                Face::of(true, p.face == Face::Italic || p.face == Face::BoldItalic)
            } else {
                p.face
            };
            face.width(&p.bytes, size)
        })
        .fold(0.0, f32::max)
}

/// Column widths of a table: each at least as wide as its widest word (up to
/// [`MAX_WORD_SHARE`] of the line, so a long path is broken rather than squeezing the rest), the
/// remaining width shared by each column's average text length.
fn column_widths(rows: &[(&Vec<Vec<Span>>, bool)], size: f32) -> Vec<f32> {
    let columns = rows.iter().map(|(r, _)| r.len()).max().unwrap_or(1).max(1);
    let usable = TEXT_WIDTH - COLUMN_GAP * (columns as f32 - 1.0);
    let mut floor = vec![0.0f32; columns];
    let mut weight = vec![0.0f32; columns];
    for (r, header) in rows {
        for (i, cell) in r.iter().enumerate().take(columns) {
            if let (Some(f), Some(w)) = (floor.get_mut(i), weight.get_mut(i)) {
                *f = f.max(widest_word(cell, size, *header).min(usable * MAX_WORD_SHARE));
                *w += plain_len(cell).min(400) as f32;
            }
        }
    }
    let floors: f32 = floor.iter().sum();
    if floors >= usable {
        return floor.iter().map(|f| usable * f / floors).collect();
    }
    let total: f32 = weight.iter().sum::<f32>().max(1.0);
    // What is left goes by weight, to columns whose share would exceed their floor.
    let share: Vec<f32> = weight.iter().map(|w| usable * w / total).collect();
    let mut widths: Vec<f32> = floor.iter().zip(&share).map(|(f, s)| f.max(*s)).collect();
    let sum: f32 = widths.iter().sum();
    if sum > usable {
        // Take the excess from the columns above their floor, in proportion.
        let above: f32 = widths.iter().zip(&floor).map(|(w, f)| w - f).sum();
        let excess = sum - usable;
        for (w, f) in widths.iter_mut().zip(&floor) {
            if above > 0.0 {
                *w -= (*w - f) * excess / above;
            }
        }
    }
    widths
}

/// Places line `l` of each column of a row on the current baseline.
fn set_lines(pages: &mut Pages, laid: &[Vec<Line>], l: usize, widths: &[f32], size: f32) {
    let mut x = MARGIN;
    for (col, w) in laid.iter().zip(widths) {
        if let Some(line) = col.get(l) {
            pages.place(line.clone(), x, pages.y, size);
        }
        x += w + COLUMN_GAP;
    }
}

/// Sets one laid-out row, line by line so that a row taller than what is left of a page goes on
/// over the next one; `header` is set again first on every new page.
fn set_row(
    pages: &mut Pages,
    laid: &[Vec<Line>],
    header: Option<&Vec<Vec<Line>>>,
    widths: &[f32],
    s: &Style,
) {
    let height = laid.iter().map(Vec::len).max().unwrap_or(1);
    for l in 0..height {
        if pages.ensure(s.leading)
            && let Some(h) = header
        {
            for hl in 0..h.iter().map(Vec::len).max().unwrap_or(0) {
                pages.y -= s.leading;
                set_lines(pages, h, hl, widths, s.size);
            }
            let y = pages.y - 3.0;
            pages.rule(MARGIN, y, PAGE_WIDTH - MARGIN, y, 0.6);
            pages.y -= 2.0;
        }
        pages.y -= s.leading;
        set_lines(pages, laid, l, widths, s.size);
    }
    let y = pages.y - 3.0;
    pages.rule(MARGIN, y, PAGE_WIDTH - MARGIN, y, 0.8);
    pages.y -= s.after;
}

/// Sets the rows of one table (the first is its header when marked so).
fn table(pages: &mut Pages, rows: &[(&Vec<Vec<Span>>, bool)]) {
    let s = style(&Block::Row {
        cells: Vec::new(),
        header: false,
    });
    let widths = column_widths(rows, s.size);
    let lay = |cells: &Vec<Vec<Span>>, header: bool| -> Vec<Vec<Line>> {
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let spans: Vec<Span> = cells
                    .get(i)
                    .map(|c| {
                        c.iter()
                            .map(|sp| Span {
                                bold: sp.bold || header,
                                ..sp.clone()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                wrap(&spans, s.size, *w)
            })
            .collect()
    };
    let header = rows.first().filter(|(_, h)| *h).map(|(c, _)| lay(c, true));
    for (i, (cells, is_header)) in rows.iter().enumerate() {
        let laid = lay(cells, *is_header);
        let repeat = if i == 0 { None } else { header.as_ref() };
        set_row(pages, &laid, repeat, &widths, &s);
    }
    pages.y -= s.after;
}

/// Lays the blocks out into pages of marks.
fn layout(blocks: &[Block]) -> Vec<Vec<Mark>> {
    let mut pages = Pages::new();
    let mut i = 0;
    while let Some(b) = blocks.get(i) {
        if let Block::Row { .. } = b {
            let mut rows = Vec::new();
            while let Some(Block::Row { cells, header }) = blocks.get(i) {
                rows.push((cells, *header));
                i += 1;
            }
            table(&mut pages, &rows);
            continue;
        }
        i += 1;
        let s = style(b);
        let (spans, bold) = match b {
            Block::Heading(_, t) => (t, true),
            Block::Paragraph(t) | Block::Item(_, _, t) | Block::Quote(t) => (t, false),
            Block::Row { .. } => continue,
        };
        let spans: Vec<Span> = spans
            .iter()
            .map(|sp| Span {
                bold: sp.bold || bold,
                italic: sp.italic || matches!(b, Block::Quote(_)),
                ..sp.clone()
            })
            .collect();
        let lines = wrap(&spans, s.size, TEXT_WIDTH - s.indent);
        pages.skip(s.before);
        if let Block::Heading(..) = b {
            // A heading stays with its first lines below.
            pages.ensure(s.leading * lines.len() as f32 + 3.0 * 13.5);
        }
        let first_y = pages.y;
        for (n, line) in lines.into_iter().enumerate() {
            pages.line(line, MARGIN + s.indent, s.size, s.leading);
            if n == 0
                && let Block::Item(_, marker, _) = b
            {
                let bytes = encoding::encode(marker);
                let w = Face::Regular.width(&bytes, s.size);
                let y = pages.y;
                pages.place(
                    vec![Run {
                        face: Face::Regular,
                        bytes,
                    }],
                    MARGIN + s.indent - 5.0 - w,
                    y,
                    s.size,
                );
            }
        }
        match b {
            Block::Quote(_) if pages.y < first_y => {
                let x = MARGIN + 3.0;
                pages.rule(x, first_y - 2.0, x, pages.y - 3.0, 0.6);
            }
            Block::Heading(1, _) => {
                let y = pages.y - 5.0;
                pages.rule(MARGIN, y, PAGE_WIDTH - MARGIN, y, 0.3);
                pages.y -= 4.0;
            }
            _ => {}
        }
        pages.y -= s.after;
    }
    pages.finish()
}

/// `text` cut to fit `width` at `size` in `face`, with an ellipsis when cut.
fn fit(text: &str, face: Face, size: f32, width: f32) -> Vec<u8> {
    let bytes = encoding::encode(text);
    if face.width(&bytes, size) <= width {
        return bytes;
    }
    let ellipsis = face.width(&[133], size);
    let mut out = Vec::new();
    let mut used = 0.0;
    for b in bytes {
        let w = face.width(&[b], size);
        if used + w + ellipsis > width {
            break;
        }
        out.push(b);
        used += w;
    }
    out.push(133);
    out
}

/// The document as PDF bytes.
pub(crate) fn render(doc: &Document) -> Vec<u8> {
    let pages = layout(&doc.blocks);
    let total = pages.len();
    let mut next = 0;
    let mut alloc = || {
        next += 1;
        Ref::new(next)
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let fonts: Vec<(Face, Ref)> = Face::ALL.iter().map(|f| (*f, alloc())).collect();
    let ids: Vec<(Ref, Ref)> = (0..total).map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(ids.iter().map(|(p, _)| *p))
        .count(i32::try_from(total).unwrap_or(i32::MAX));
    let title: String = doc
        .title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr(concat!("vigil ", env!("CARGO_PKG_VERSION"))));
    for (face, id) in &fonts {
        pdf.type1_font(*id)
            .base_font(face.base_font())
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (n, (marks, (page_id, content_id))) in pages.into_iter().zip(&ids).enumerate() {
        {
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
            page.parent(tree);
            page.contents(*content_id);
            let mut resources = page.resources();
            let mut dict = resources.fonts();
            for (face, id) in &fonts {
                dict.pair(face.resource(), *id);
            }
        }
        let mut content = Content::new();
        for m in marks {
            match m {
                Mark::Text { x, y, size, run } => {
                    content.begin_text();
                    content.set_font(run.face.resource(), size);
                    content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]);
                    content.show(Str(&run.bytes));
                    content.end_text();
                }
                Mark::Rule {
                    x1,
                    y1,
                    x2,
                    y2,
                    gray,
                } => {
                    content.set_stroke_gray(gray);
                    content.set_line_width(0.5);
                    content.move_to(x1, y1);
                    content.line_to(x2, y2);
                    content.stroke();
                }
            }
        }
        let number = format!("page {} of {total}", n + 1);
        let size = 8.0;
        let nw = Face::Regular.width(number.as_bytes(), size);
        let footer = fit(&doc.footer, Face::Italic, size, TEXT_WIDTH - nw - 12.0);
        content.set_fill_gray(0.35);
        for (face, x, bytes) in [
            (Face::Italic, MARGIN, footer),
            (Face::Regular, PAGE_WIDTH - MARGIN - nw, number.into_bytes()),
        ] {
            content.begin_text();
            content.set_font(face.resource(), size);
            content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, FOOTER_Y]);
            content.show(Str(&bytes));
            content.end_text();
        }
        pdf.stream(*content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(t: &str) -> Vec<Span> {
        vec![Span {
            text: t.into(),
            bold: false,
            italic: false,
        }]
    }

    fn text_of(line: &Line) -> String {
        line.iter()
            .map(|r| String::from_utf8_lossy(&r.bytes).into_owned())
            .collect()
    }

    #[test]
    fn lines_break_between_words_and_inside_a_word_longer_than_a_line() {
        let lines = wrap(&plain("one two three four five six"), 10.0, 60.0);
        let texts: Vec<String> = lines.iter().map(text_of).collect();
        assert!(texts.len() > 1, "{texts:?}");
        assert_eq!(texts.join(" "), "one two three four five six");
        for l in &lines {
            let w: f32 = l.iter().map(|r| r.face.width(&r.bytes, 10.0)).sum();
            assert!(w <= 60.0, "{texts:?}");
        }
        let long = "x".repeat(500);
        let lines = wrap(&plain(&long), 10.0, 100.0);
        assert!(lines.len() > 4);
        assert_eq!(lines.iter().map(text_of).collect::<String>(), long);
        let broken = wrap(&plain("a\nb"), 10.0, 100.0);
        assert_eq!(broken.len(), 2);
    }

    #[test]
    fn many_blocks_fill_several_pages_each_numbered() {
        let blocks: Vec<Block> = (0..400)
            .map(|i| Block::Item(0, "•".into(), plain(&format!("entry {i}"))))
            .collect();
        let pdf = render(&Document {
            title: "t".into(),
            footer: "f".into(),
            blocks,
        });
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("(page 1 of "), "numbered");
        let pages = layout(
            &(0..400)
                .map(|i| Block::Item(1, format!("{i}."), plain(&format!("entry {i}"))))
                .collect::<Vec<_>>(),
        );
        assert!(pages.len() >= 5, "{}", pages.len());
        for p in &pages {
            for m in p {
                if let Mark::Text { y, .. } = m {
                    assert!(*y >= MARGIN - 0.01 && *y <= PAGE_HEIGHT - MARGIN, "{y}");
                }
            }
        }
    }

    #[test]
    fn a_table_taller_than_a_page_continues_with_its_header() {
        let row = |a: &str, b: &str, header| Block::Row {
            cells: vec![plain(a), plain(b)],
            header,
        };
        let mut blocks = vec![row("When", "What", true)];
        blocks.extend((0..300).map(|i| row(&format!("2021-08-{i}"), "event", false)));
        let pages = layout(&blocks);
        assert!(pages.len() >= 3);
        for p in &pages {
            let first = p.iter().find_map(|m| match m {
                Mark::Text { run, .. } => Some(String::from_utf8_lossy(&run.bytes).into_owned()),
                _ => None,
            });
            assert_eq!(first.as_deref(), Some("When"));
        }
    }
}
