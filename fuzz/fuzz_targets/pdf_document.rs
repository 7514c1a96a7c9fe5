//! Any text as the Markdown of a breach-notice draft, laid out as a PDF (`vigil_report::breach_pdf`),
//! with the same text as the PDF's title and every page's footer: beyond not panicking, the output
//! must be one whole PDF (header, trailer), however the text tries to look like PDF syntax or
//! Markdown structure.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let pdf = vigil_report::breach_pdf::markdown_to_pdf(input, input, input);
    assert!(pdf.starts_with(b"%PDF-"));
    let end = pdf
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    assert!(pdf[..end].ends_with(b"%%EOF"), "no trailer");
    // One page object per page and one content stream each: text never adds objects.
    let count = |needle: &[u8]| pdf.windows(needle.len()).filter(|w| w == &needle).count();
    assert_eq!(
        count(b"/Type /Page\n") + count(b"/Type /Page "),
        count(b"endstream")
    );
});
