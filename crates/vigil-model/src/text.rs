//! Making untrusted text safe for where it is shown: a terminal, a Markdown document, HTML, a CSV cell.
//!
//! Log fields, file names, advisory summaries and incident titles all come from outside and may be
//! hostile: an `ESC]0;…BEL` sequence retitles a terminal, a newline in a file name forges a line of
//! vigil's output, `<script>` in a Markdown report runs in viewers that render Markdown as HTML. Every
//! renderer goes through one of these functions; they are total (never panic) and fuzzed.

use std::borrow::Cow;

/// Text for a terminal or a log line on stderr: control characters (C0, DEL, C1) and the Unicode line
/// and paragraph separators are shown as escapes (`\n`, `\t`, `\e`, `\u{9b}`), so the text can neither
/// move the cursor, change the terminal's state nor start a new line. Everything else is kept.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_terminal_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_terminal_escape(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A path for a terminal: as [`terminal`], from the path's lossy UTF-8 form.
pub fn path(p: &std::path::Path) -> String {
    terminal(&p.to_string_lossy()).into_owned()
}

fn needs_terminal_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c => {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Text with every control character removed (tabs and line breaks become spaces): for CSV cells and
/// other machine-readable text where an escape sequence would be data, not display.
pub fn strip_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_terminal_escape) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// Untrusted text for inline Markdown (a paragraph, a table cell, a heading; GitHub-flavoured Markdown):
/// line breaks and other control characters become spaces, `|` and HTML-significant characters become
/// character references (so no tag, comment or entity can be formed), and the punctuation that starts
/// inline Markdown (emphasis, code, links, images, strikethrough, math, headings) is backslash-escaped.
/// Bare URLs may still be auto-linked by a renderer; they show as the URL they are.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '|' => out.push_str("&#124;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '$' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text for HTML element content and quoted attribute values. Control characters other than
/// tab and newline become spaces.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_what_could_drive_the_terminal() {
        let hostile = "a\u{1b}]0;owned\u{7}\u{1b}[2Jb\nforged: ok\u{9b}x\u{2028}";
        let shown = terminal(hostile);
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert_eq!(
            shown,
            "a\\e]0;owned\\u{7}\\e[2Jb\\nforged: ok\\u{9b}x\\u{2028}"
        );
        assert!(matches!(terminal("plain ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn strip_controls_keeps_words_apart() {
        assert_eq!(strip_controls("a\u{1b}[31mb\tc\nd"), "a[31mb c d");
        assert!(matches!(strip_controls("clean"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_cannot_form_html_or_links() {
        let md = markdown("<script>alert(1)</script> ![x](http://e/) [l](u) | *b* \u{7}");
        assert!(!md.contains('<') && !md.contains('|'), "{md}");
        assert!(md.contains("\\!\\[x\\]"), "{md}");
        assert!(!md.chars().any(char::is_control));
    }

    #[test]
    fn html_escapes_attribute_breakers() {
        assert_eq!(
            html("<img src=x onerror='a'>\"&"),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&quot;&amp;"
        );
    }
}
