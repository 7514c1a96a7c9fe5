//! Text to WinAnsiEncoding, the single-byte encoding every PDF reader knows for the standard fonts
//! (ISO 32000, annex D): ASCII, Latin-1 and the Windows-1252 extras (€, –, —, ‘ ’ “ ”, …, •, ™).

/// The Windows-1252 characters in bytes 128 to 159, by byte.
const EXTRAS: [(char, u8); 27] = [
    ('€', 128),
    ('‚', 130),
    ('ƒ', 131),
    ('„', 132),
    ('…', 133),
    ('†', 134),
    ('‡', 135),
    ('ˆ', 136),
    ('‰', 137),
    ('Š', 138),
    ('‹', 139),
    ('Œ', 140),
    ('Ž', 142),
    ('‘', 145),
    ('’', 146),
    ('“', 147),
    ('”', 148),
    ('•', 149),
    ('–', 150),
    ('—', 151),
    ('˜', 152),
    ('™', 153),
    ('š', 154),
    ('›', 155),
    ('œ', 156),
    ('ž', 158),
    ('Ÿ', 159),
];

/// Shown for a character the encoding lacks.
pub(crate) const MISSING: u8 = b'?';

/// The byte for `c`, or `None` when WinAnsiEncoding has no such character. Control characters have no
/// byte: text reaching a page has none.
pub(crate) fn byte(c: char) -> Option<u8> {
    let n = u32::from(c);
    match n {
        0x20..=0x7e | 0xa0..=0xff => u8::try_from(n).ok(),
        _ => EXTRAS.iter().find(|(x, _)| *x == c).map(|(_, b)| *b),
    }
}

/// `text` as WinAnsiEncoding bytes, with [`MISSING`] for what the encoding lacks (arrows become
/// `->`, the one non-Latin character vigil itself writes).
pub(crate) fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match (c, byte(c)) {
            (_, Some(b)) => out.push(b),
            ('→', None) => out.extend_from_slice(b"->"),
            (_, None) => out.push(MISSING),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_keeps_its_letters_and_the_rest_is_marked() {
        assert_eq!(encode("Café €5 — “ok”"), b"Caf\xe9 \x805 \x97 \x93ok\x94");
        assert_eq!(encode("a → b"), b"a -> b");
        assert_eq!(encode("Ωx\u{7}"), b"?x?");
        assert_eq!(byte('\u{81}'), None);
    }
}
