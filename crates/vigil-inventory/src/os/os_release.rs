//! `/etc/os-release` (freedesktop.org): which distribution and release a root filesystem holds, hence
//! which OSV ecosystem its packages belong to.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID`: `debian`, `ubuntu`, `alpine`, `almalinux`, `rocky`, `rhel`, …
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
}

/// Parses the file's `KEY=value` lines with its shell-like quoting (double quotes with backslash escapes,
/// single quotes, or bare words). Comments, blank lines and malformed lines are ignored, as the
/// specification asks of readers.
pub fn parse(text: &str) -> OsRelease {
    let mut os = OsRelease::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        match key.trim() {
            "ID" => os.id = value.to_lowercase(),
            "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_lowercase).collect(),
            "VERSION_ID" => os.version_id = Some(value).filter(|v| !v.is_empty()),
            "VERSION" => os.version = Some(value).filter(|v| !v.is_empty()),
            "VERSION_CODENAME" => os.version_codename = Some(value).filter(|v| !v.is_empty()),
            "PRETTY_NAME" => os.pretty_name = Some(value).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    if os.id.is_empty() {
        // The specification's default when ID is unset.
        os.id = "linux".to_string();
    }
    os
}

fn unquote(raw: &str) -> String {
    let mut chars = raw.chars();
    match chars.next() {
        Some('"') => {
            let mut out = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    }
                    _ => out.push(c),
                }
            }
            out
        }
        Some('\'') => chars.take_while(|&c| c != '\'').collect(),
        _ => raw.split(" #").next().unwrap_or(raw).trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubuntu() {
        let os = parse(
            "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n\
             VERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\n\
             ID_LIKE=debian\n# comment\nbroken line\n",
        );
        assert_eq!(os.id, "ubuntu");
        assert_eq!(os.id_like, vec!["debian"]);
        assert_eq!(os.version_id.as_deref(), Some("22.04"));
        assert_eq!(os.version_codename.as_deref(), Some("jammy"));
        assert_eq!(os.version.as_deref(), Some("22.04.3 LTS (Jammy Jellyfish)"));
    }

    #[test]
    fn quoting() {
        let os = parse("ID='rhel'\nVERSION_ID=\"9.\\\"2\\\"\"\nPRETTY_NAME=\n");
        assert_eq!(os.id, "rhel");
        assert_eq!(os.version_id.as_deref(), Some("9.\"2\""));
        assert_eq!(os.pretty_name, None);
        assert_eq!(parse("").id, "linux");
    }
}
