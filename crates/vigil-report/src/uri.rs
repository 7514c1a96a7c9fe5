//! File paths as SARIF artifact locations: relative paths against `%SRCROOT%` (so code-scanning
//! dashboards can link them to the repository), absolute paths as `file:` URIs.

use serde_json::{Value, json};

/// The uriBaseId code-scanning services resolve to the checkout root.
pub(crate) const SRCROOT: &str = "%SRCROOT%";

/// Percent-encodes a path for a URI: unreserved characters, `/` and the harmless sub-delimiters
/// stay; `:` stays only where the caller allows it (a drive letter), since in the first segment of
/// a relative reference it would read as a scheme.
fn encode_path(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (keep_colon && b == b':');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn is_drive_path(p: &str) -> bool {
    let b = p.as_bytes();
    matches!(b, [d, b':', b'/' | b'\\', ..] if d.is_ascii_alphabetic())
}

/// Strips `root` from the front of `file` when `file` lies inside it.
fn relative_to<'a>(file: &'a str, root: &str) -> Option<&'a str> {
    let root = root.trim_end_matches(['/', '\\']);
    if root.is_empty() {
        return None;
    }
    let rest = file.strip_prefix(root)?;
    let rest = rest.strip_prefix(['/', '\\'])?;
    (!rest.is_empty()).then_some(rest)
}

/// The SARIF `artifactLocation` of a file, or `None` when there is no file to point at.
pub(crate) fn artifact_location(file: &str, source_root: Option<&str>) -> Option<Value> {
    let file = file.trim();
    if file.is_empty() {
        return None;
    }
    let file = source_root
        .and_then(|root| relative_to(file, root))
        .unwrap_or(file);
    if let Some(unc) = file.strip_prefix("\\\\") {
        let path = unc.replace('\\', "/");
        return Some(json!({ "uri": format!("file://{}", encode_path(&path, false)) }));
    }
    if is_drive_path(file) {
        let path = file.replace('\\', "/");
        return Some(json!({ "uri": format!("file:///{}", encode_path(&path, true)) }));
    }
    if file.starts_with('/') {
        return Some(json!({ "uri": format!("file://{}", encode_path(file, false)) }));
    }
    let rel = file.replace('\\', "/");
    let mut rel = rel.as_str();
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    Some(json!({ "uri": encode_path(rel, false), "uriBaseId": SRCROOT }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(file: &str, root: Option<&str>) -> (String, Option<String>) {
        let v = artifact_location(file, root).unwrap_or_default();
        (
            v["uri"].as_str().unwrap_or_default().to_string(),
            v["uriBaseId"].as_str().map(str::to_string),
        )
    }

    #[test]
    fn relative_absolute_and_windows_paths() {
        assert_eq!(
            uri("./app/requirements.txt", None),
            ("app/requirements.txt".into(), Some(SRCROOT.into()))
        );
        assert_eq!(
            uri("/srv/app/poetry.lock", None),
            ("file:///srv/app/poetry.lock".into(), None)
        );
        assert_eq!(
            uri("/srv/app/poetry.lock", Some("/srv/app/")),
            ("poetry.lock".into(), Some(SRCROOT.into()))
        );
        assert_eq!(
            uri("/srv/application/x.lock", Some("/srv/app")),
            ("file:///srv/application/x.lock".into(), None)
        );
        assert_eq!(
            uri(r"C:\Program Files\Exchange\inv.json", None),
            ("file:///C:/Program%20Files/Exchange/inv.json".into(), None)
        );
        assert_eq!(
            uri(r"\\fs01\share\sbom.json", None),
            ("file://fs01/share/sbom.json".into(), None)
        );
        assert_eq!(
            uri("a:b/c#d?.txt", None),
            ("a%3Ab/c%23d%3F.txt".into(), Some(SRCROOT.into()))
        );
        assert!(artifact_location("  ", None).is_none());
    }
}
