//! The breach-notification draft as a PDF (feature `pdf`): the Markdown draft's document, page for
//! page what a supervisory authority's form asks, for the people who send or file it as a PDF.
//!
//! The text is the Markdown draft's ([`BreachDraft::to_markdown`]), read back here: that renderer
//! writes a small, fixed subset — `#`/`##` headings, paragraphs with hard breaks, `-` and `1.` list
//! items nested by two spaces, one `>` quote, `**bold**` and `*italic*` spans and one table — and
//! escapes everything that comes from input (`\*`, `&#124;`, `&lt;`…), so undoing that escaping
//! gives the input's text back exactly, and nothing from input can become structure. One source for
//! the content keeps the three formats saying the same thing.

use crate::pdf::{Block, Document, Span};
use vigil_investigate::BreachDraft;

/// The draft as PDF bytes; `footer` goes at the foot of every page (who drafted it, when).
pub fn render_breach_pdf(d: &BreachDraft, footer: &str) -> Vec<u8> {
    let title = match &d.title {
        vigil_investigate::Field::Known { value, .. } => {
            format!("Personal data breach notification: {value}")
        }
        vigil_investigate::Field::ToComplete { .. } => {
            "Personal data breach notification (draft)".to_string()
        }
    };
    markdown_to_pdf(&d.to_markdown(), &title, footer)
}

/// A document in vigil's Markdown subset (what [`BreachDraft::to_markdown`] writes) as PDF bytes,
/// with `title` in the PDF's metadata and `footer` on every page. Any text is accepted: what is not
/// of the subset is set as paragraphs.
pub fn markdown_to_pdf(markdown: &str, title: &str, footer: &str) -> Vec<u8> {
    crate::pdf::render(&Document {
        title: title.to_string(),
        footer: footer.to_string(),
        blocks: blocks(markdown),
    })
}

/// The text of a Markdown span with vigil's escaping undone, split where `**` and `*` turn bold and
/// italic on and off.
fn inline(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut bold, mut italic) = (false, false);
    let flush = |cur: &mut String, out: &mut Vec<Span>, bold: bool, italic: bool| {
        if !cur.is_empty() {
            out.push(Span {
                text: std::mem::take(cur),
                bold,
                italic,
            });
        }
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let mut step = c.len_utf8();
        match c {
            '\\' => {
                if let Some(n) = rest[1..].chars().next() {
                    cur.push(n);
                    step += n.len_utf8();
                }
            }
            '*' => {
                flush(&mut cur, &mut out, bold, italic);
                if rest.starts_with("**") {
                    bold = !bold;
                    step = 2;
                } else {
                    italic = !italic;
                }
            }
            '&' => {
                let entity = [
                    ("&#124;", '|'),
                    ("&amp;", '&'),
                    ("&lt;", '<'),
                    ("&gt;", '>'),
                ]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e));
                match entity {
                    Some((e, ch)) => {
                        cur.push(ch);
                        step = e.len();
                    }
                    None => cur.push('&'),
                }
            }
            c => cur.push(c),
        }
        rest = rest.get(step..).unwrap_or("");
    }
    flush(&mut cur, &mut out, bold, italic);
    out
}

/// A paragraph, list item or quote being gathered, line by line.
enum Open {
    Paragraph(String),
    Item(u8, String, String),
    Quote(String),
}

impl Open {
    fn text(&mut self) -> &mut String {
        match self {
            Open::Paragraph(t) | Open::Item(_, _, t) | Open::Quote(t) => t,
        }
    }

    /// Appends a line: after a line ending in two spaces (a Markdown hard break) on a new line.
    fn append(&mut self, line: &str) {
        let t = self.text();
        if t.ends_with("  ") {
            let kept = t.trim_end().len();
            t.truncate(kept);
            t.push('\n');
        } else if !t.is_empty() {
            t.push(' ');
        }
        t.push_str(line.trim_start());
    }

    fn close(self) -> Block {
        match self {
            Open::Paragraph(t) => Block::Paragraph(inline(t.trim_end())),
            Open::Item(level, marker, t) => Block::Item(level, marker, inline(t.trim_end())),
            Open::Quote(t) => Block::Quote(inline(t.trim_end())),
        }
    }
}

/// `- text` or `12. text`, after any indentation: the marker and the text.
fn list_item(line: &str) -> Option<(String, &str)> {
    if let Some(rest) = line.strip_prefix("- ") {
        return Some(("•".to_string(), rest));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = line.get(digits..)?.strip_prefix(". ")?;
    (digits > 0).then(|| (format!("{}.", &line[..digits]), rest))
}

/// The cells of a table row `| a | b |`. Input's own `|` is escaped (`&#124;`), so every raw `|` is a
/// cell boundary.
fn cells(line: &str) -> Vec<Vec<Span>> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(|c| inline(c.trim())).collect()
}

/// The blocks of vigil's Markdown draft.
fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    let mut table_rows = 0usize;
    for line in md.lines() {
        let close = |open: &mut Option<Open>, out: &mut Vec<Block>| {
            if let Some(o) = open.take() {
                out.push(o.close());
            }
        };
        if line.trim().is_empty() {
            close(&mut open, &mut out);
            table_rows = 0;
            continue;
        }
        if let Some(level) = ["# ", "## ", "### "]
            .iter()
            .position(|h| line.starts_with(h))
        {
            close(&mut open, &mut out);
            let text = line.get(level + 2..).unwrap_or("");
            out.push(Block::Heading(
                u8::try_from(level + 1).unwrap_or(3),
                inline(text),
            ));
            continue;
        }
        if line.starts_with('|') {
            close(&mut open, &mut out);
            let separator = line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
            if !separator {
                out.push(Block::Row {
                    cells: cells(line),
                    header: table_rows == 0,
                });
                table_rows += 1;
            }
            continue;
        }
        table_rows = 0;
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some((marker, text)) = list_item(line.trim_start_matches(' ')) {
            close(&mut open, &mut out);
            let level = u8::try_from(indent / 2).unwrap_or(u8::MAX);
            open = Some(Open::Item(level, marker, text.to_string()));
            continue;
        }
        if let Some(text) = line.strip_prefix('>') {
            if !matches!(open, Some(Open::Quote(_))) {
                close(&mut open, &mut out);
                open = Some(Open::Quote(String::new()));
            }
            if let Some(o) = open.as_mut() {
                o.append(text);
            }
            continue;
        }
        match open.as_mut() {
            Some(o) => o.append(line),
            None => open = Some(Open::Paragraph(line.trim_start().to_string())),
        }
    }
    if let Some(o) = open.take() {
        out.push(o.close());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(spans: &[Span]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn escaped_input_reads_back_as_written_and_markup_as_style() {
        let hostile = "<script>alert(1)</script> | **x** [a](b) \\ & *y* #z";
        let spans = inline(&format!(
            "**Notify by: {}** then {}",
            vigil_model::text::markdown(hostile),
            vigil_model::text::markdown("ok")
        ));
        assert_eq!(
            texts(&spans),
            format!("Notify by: {hostile} then ok"),
            "{spans:?}"
        );
        assert!(spans[0].bold && spans.iter().any(|s| !s.bold));
        assert!(spans.iter().all(|s| !s.italic));
    }

    #[test]
    fn the_subset_becomes_headings_items_quotes_rows_and_paragraphs() {
        let md = "# Title\n\nReference: a  \nTitle: b\n\n> quoted\n> more\n\n## 1. Part\n\n- one\n  - two\n    - evidence: x\n1. first\n  - evidence: y\n\n| When | What |\n|---|---|\n| 1 | a &#124; b |\n\ntext\n";
        let b = blocks(md);
        assert_eq!(b[0], Block::Heading(1, inline("Title")));
        assert_eq!(
            b[1],
            Block::Paragraph(inline("Reference: a\nTitle: b")),
            "a hard break"
        );
        assert_eq!(b[2], Block::Quote(inline("quoted more")));
        assert_eq!(b[3], Block::Heading(2, inline("1. Part")));
        assert_eq!(b[4], Block::Item(0, "•".into(), inline("one")));
        assert_eq!(b[5], Block::Item(1, "•".into(), inline("two")));
        assert_eq!(b[6], Block::Item(2, "•".into(), inline("evidence: x")));
        assert_eq!(b[7], Block::Item(0, "1.".into(), inline("first")));
        assert_eq!(b[8], Block::Item(1, "•".into(), inline("evidence: y")));
        assert_eq!(
            b[9],
            Block::Row {
                cells: vec![inline("When"), inline("What")],
                header: true
            }
        );
        match &b[10] {
            Block::Row { cells, header } => {
                assert!(!header);
                assert_eq!(texts(&cells[1]), "a | b");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(b[11], Block::Paragraph(inline("text")));
        assert_eq!(b.len(), 12);
    }

    /// The PDF as a real reader sees it: `pdftotext` (poppler-utils, installed by `.ci/run`) reads
    /// every page; hostile text comes out as written (parentheses, backslashes and markup cannot
    /// break the PDF's strings), Latin-1 letters are kept, what WinAnsiEncoding lacks becomes `?`.
    #[test]
    fn a_pdf_reader_reads_the_draft_back_with_hostile_text_as_written() {
        use vigil_investigate::IncidentRecord;
        let record = IncidentRecord {
            title: Some("Mail (server) broken \\ into <script>".into()),
            organisation: Some("Clinique Sainte-Hélène".into()),
            controller_contact: Some("Dana ) ( \\) Hale \u{1b}[2J Ωmega".into()),
            ..IncidentRecord::default()
        };
        let draft = crate::breach_html::tests::draft_with("Login after *spray* | 1", record);
        let pdf = render_breach_pdf(&draft, "Drafted by vigil test");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(String::from_utf8_lossy(&pdf).trim_end().ends_with("%%EOF"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("breach.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let out = match std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
        {
            Ok(o) => o,
            Err(e) => {
                eprintln!("pdftotext not available ({e}): the PDF reader check is skipped");
                return;
            }
        };
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.trim().is_empty(), "{err}");
        let text = String::from_utf8_lossy(&out.stdout);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for want in [
            "Personal data breach notification",
            "Mail (server) broken \\ into <script>",
            "Clinique Sainte-Hélène",
            "Dana ) ( \\) Hale [2J ?mega",
            "Login after *spray* | 1",
            "[to be completed by the controller",
            "Drafted by vigil test",
            "page 1 of",
        ] {
            assert!(flat.contains(want), "{want:?} in {flat}");
        }
    }
}
