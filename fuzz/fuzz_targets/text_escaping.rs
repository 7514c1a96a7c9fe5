//! Untrusted text through every escaper of `vigil_model::text`: beyond not panicking, the output must
//! not be able to drive a terminal (no control character survives), form HTML or Markdown markup (no raw
//! `<`, `>`, `|` or unescaped link/image brackets), or break a quoted HTML attribute.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_model::text;

fn controls(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

fuzz_target!(|input: &str| {
    let t = text::terminal(input);
    assert!(!controls(&t), "terminal: {t:?}");
    let p = text::path(std::path::Path::new(input));
    assert!(!controls(&p), "path: {p:?}");

    let c = text::strip_controls(input);
    assert!(!controls(&c), "strip_controls: {c:?}");

    let md = text::markdown(input);
    assert!(!controls(&md), "markdown: {md:?}");
    assert!(!md.contains(['<', '>', '|']), "markdown: {md:?}");
    // Every Markdown-significant character is preceded by a backslash that is itself not escaped,
    // except inside the character references the escaper writes (`&#124;`, `&lt;`, `&amp;`): an input
    // `&` always becomes `&amp;`, so every `&` in the output starts one of those.
    let chars: Vec<char> = md.chars().collect();
    let mut in_reference = false;
    for (i, ch) in chars.iter().enumerate() {
        if *ch == '&' {
            in_reference = true;
            continue;
        }
        if in_reference {
            in_reference = *ch != ';';
            assert!(
                ch.is_ascii_alphanumeric() || matches!(ch, '#' | ';'),
                "markdown: {md:?}"
            );
            continue;
        }
        if matches!(ch, '[' | ']' | '`' | '*' | '_' | '!' | '~' | '#' | '$') {
            let mut slashes = 0;
            let mut j = i;
            while j > 0 && chars[j - 1] == '\\' {
                slashes += 1;
                j -= 1;
            }
            assert!(slashes % 2 == 1, "markdown: unescaped {ch:?} in {md:?}");
        }
    }

    let h = text::html(input);
    assert!(!h.contains(['<', '>', '"', '\'']), "html: {h:?}");
    assert!(
        !h.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "html: {h:?}"
    );
});
