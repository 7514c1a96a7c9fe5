//! Escaping untrusted text (titles, evidence, asset names from hostile logs) for the media vigil's
//! alerts are rendered in that `vigil_model::text` does not cover: Slack's mrkdwn and the fields of an
//! RFC 5424 syslog message. Terminal, Markdown and HTML go through `vigil_model::text` directly.

use vigil_model::text::strip_controls;

/// Text for Slack's mrkdwn: controls removed, and `&`, `<`, `>` as entities — the three characters
/// Slack asks to escape, without which no link, mention (`<!channel>`) or command can be formed.
pub fn slack(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in strip_controls(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// An RFC 5424 PARAM-VALUE: controls removed, and `"`, `\` and `]` escaped with a backslash (§6.3.3).
pub fn sd_param(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in strip_controls(s).chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An RFC 5424 header field (HOSTNAME, APP-NAME, PROCID, MSGID, SD-NAME): printable US-ASCII without
/// space, at most `max` characters; anything else becomes `_`, and an empty field the NILVALUE `-`.
/// SD-NAMEs also exclude `=`, `]` and `"`, which `sd_name` asks for.
pub fn header_field(s: &str, max: usize, sd_name: bool) -> String {
    let out: String = s
        .chars()
        .take(max)
        .map(|c| {
            let forbidden = sd_name && matches!(c, '=' | ']' | '"');
            if c.is_ascii_graphic() && !forbidden {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() { "-".into() } else { out }
}

/// One line of plain text (an e-mail subject): controls become spaces, and at most `max` bytes.
pub fn one_line(s: &str, max: usize) -> String {
    let line = strip_controls(s);
    let mut end = line.len().min(max);
    while end > 0 && !line.is_char_boundary(end) {
        end -= 1;
    }
    line.get(..end).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_cannot_form_links_or_mentions() {
        let s = slack("<!channel> <https://evil.example|click> a&b\u{1b}[2J\nx");
        assert!(!s.contains('<') && !s.contains('>'), "{s}");
        assert!(!s.chars().any(char::is_control), "{s}");
        assert!(s.starts_with("&lt;!channel&gt;"));
    }

    #[test]
    fn sd_params_cannot_close_the_element() {
        assert_eq!(sd_param("a\"] [x y=\"z\\"), "a\\\"\\] [x y=\\\"z\\\\");
        assert_eq!(sd_param("l1\nl2"), "l1 l2");
    }

    #[test]
    fn header_fields_are_printable_ascii() {
        assert_eq!(header_field("mail host", 255, false), "mail_host");
        assert_eq!(header_field("", 48, false), "-");
        assert_eq!(header_field("vigil=1]", 32, true), "vigil_1_");
        assert_eq!(header_field("é", 48, false), "_");
        assert_eq!(header_field(&"a".repeat(300), 255, false).len(), 255);
    }

    #[test]
    fn one_line_is_one_line() {
        assert_eq!(one_line("a\r\nBcc: x@y", 100), "a  Bcc: x@y");
        assert_eq!(one_line("ééé", 3), "é");
    }
}
