//! Just enough MIME (RFC 2045/2046) to read what a test received: header look-up with unfolding, and
//! the decoded text of every leaf part (quoted-printable and base64), so that assertions see the text a
//! person would, not its transfer encoding.

use base64::Engine;

fn split(message: &str) -> (&str, &str) {
    message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))
        .unwrap_or((message, ""))
}

/// The value of the first header `name` in `message` (case-insensitive), unfolded.
pub fn header(message: &str, name: &str) -> Option<String> {
    let (headers, _) = split(message);
    let mut found: Option<String> = None;
    for l in headers.lines() {
        if l.starts_with([' ', '\t']) {
            if let Some(v) = found.as_mut() {
                v.push(' ');
                v.push_str(l.trim());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((n, v)) = l.split_once(':')
            && n.trim().eq_ignore_ascii_case(name)
        {
            found = Some(v.trim().to_string());
        }
    }
    found
}

fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn quoted_printable(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'=' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(&h), Some(&l)) => {
                    let hex = [h, l];
                    match std::str::from_utf8(&hex)
                        .ok()
                        .and_then(|x| u8::from_str_radix(x, 16).ok())
                    {
                        Some(v) => out.push(v),
                        None => out.extend_from_slice(&hex),
                    }
                    i += 3;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded text of every leaf part of `message`, joined by blank lines.
pub fn decoded_text(message: &str) -> String {
    let (_, body) = split(message);
    let content_type = header(message, "Content-Type").unwrap_or_default();
    if content_type.to_ascii_lowercase().starts_with("multipart/")
        && let Some(boundary) = param(&content_type, "boundary")
    {
        let delimiter = format!("--{boundary}");
        return body
            .split(delimiter.as_str())
            .skip(1)
            .filter(|p| !p.starts_with("--"))
            .map(|p| decoded_text(p.trim_start_matches(['\r', '\n'])))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    match header(message, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "quoted-printable" => quoted_printable(body),
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        }
        _ => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_multipart_qp_and_base64() {
        let m = "Subject: a\r\n b\r\nContent-Type: multipart/alternative;\r\n boundary=\"XX\"\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nlong=\r\n line =C3=A9\r\n\
--XX\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--XX--\r\n";
        assert_eq!(header(m, "subject").as_deref(), Some("a b"));
        let t = decoded_text(m);
        assert!(t.contains("long line é"), "{t}");
        assert!(t.contains("<b>hi</b>"), "{t}");
    }
}
