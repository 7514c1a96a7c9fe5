//! What to follow: a file, or a folder and the names of the files in it worth reading.

use std::path::{Path, PathBuf};
use vigil_logs::{Format, ReadOptions};

/// One watched source, as a `[[watch]]` entry of the service configuration gives it.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The name checkpoints are stored under.
    pub name: String,
    /// A file, or a folder whose files matching `pattern` are followed (new ones included).
    pub path: PathBuf,
    /// File-name pattern for a folder: `*` any run of characters, `?` one character
    /// (e.g. `u_ex*.log`, `mail.log*`). `None`: every regular file of the folder.
    pub pattern: Option<String>,
    /// The files' format; `None`: sniffed per file as the file readers do.
    pub format: Option<Format>,
    /// Host name for events whose records do not carry one.
    pub host: Option<String>,
    /// Reader options (time zone of year-less syslog, line limits).
    pub options: ReadOptions,
}

impl Watch {
    /// A watch of `path` under `name`, format sniffed, default options.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> Watch {
        Watch {
            name: name.into(),
            path: path.into(),
            pattern: None,
            format: None,
            host: None,
            options: ReadOptions::default(),
        }
    }

    /// Files to follow now, sorted by name, with at most `max` of them.
    pub(crate) fn files(&self, max: usize) -> std::io::Result<Vec<PathBuf>> {
        let meta = std::fs::metadata(&self.path)?;
        if !meta.is_dir() {
            return Ok(vec![self.path.clone()]);
        }
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.path)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(p) = &self.pattern
                && !matches(p.as_bytes(), name.as_bytes())
            {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                out.push(entry.path());
                if out.len() >= max {
                    break;
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Whether `name` matches the pattern (`*`, `?`), ASCII case-insensitively (Windows logs are
/// named `u_ex*.log` or `U_EX*.LOG`). Iterative, linear in practice: no backtracking blow-up.
pub(crate) fn matches(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || name.get(n).is_some_and(|b| b.eq_ignore_ascii_case(&c)) => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Whether the file is gzip-compressed, by name.
pub(crate) fn is_gzip(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns() {
        assert!(matches(b"u_ex*.log", b"u_ex240101.log"));
        assert!(matches(b"u_ex*.log", b"U_EX240101.LOG"));
        assert!(!matches(b"u_ex*.log", b"u_ex240101.log.bak"));
        assert!(matches(b"mail.log*", b"mail.log.2.gz"));
        assert!(matches(b"HttpProxy_*.LOG", b"HttpProxy_2024010112-1.LOG"));
        assert!(matches(b"a?c", b"abc"));
        assert!(!matches(b"a?c", b"ac"));
    }
}
