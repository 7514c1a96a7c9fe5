//! Byte offsets to 1-based line numbers, and the line of each `[[table]]` header in TOML lockfiles.

/// Maps byte offsets of a text to 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> u32 {
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        u32::try_from(idx + 1).unwrap_or(u32::MAX)
    }
}

/// The 1-based lines of every `[[name]]` array-of-tables header, in document order. TOML lockfiles
/// (Cargo, Poetry, uv) write one such header per package, so the n-th parsed package sits at the
/// n-th header.
pub fn toml_array_headers(text: &str, name: &str) -> Vec<u32> {
    let wanted = format!("[[{name}]]");
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            t.strip_prefix(&wanted)
                .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
        })
        .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX))
        .collect()
}

/// The line of a TOML parse error, from its byte span.
pub fn toml_error_line(text: &str, err: &toml::de::Error) -> Option<u32> {
    err.span().map(|s| LineIndex::new(text).line(s.start))
}

pub fn u32_line(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_to_lines() {
        let idx = LineIndex::new("a\nbb\n\nc");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(1), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
        assert_eq!(idx.line(600), 4);
    }

    #[test]
    fn headers() {
        let t = "[[package]]\nname = \"a\"\n\n[[package]] # x\nname = \"b\"\n[[packages]]\n";
        assert_eq!(toml_array_headers(t, "package"), vec![1, 4]);
    }
}
