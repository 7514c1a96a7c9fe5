//! The encoding modifiers: `base64`, `base64offset` and the UTF-16 family (`wide`, `utf16le`,
//! `utf16be`, `utf16`). They work on bytes so that chains such as `wide|base64offset` compose.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let idx = |shift: u32| char::from(B64[((n >> shift) & 63) as usize]);
        out.push(idx(18));
        out.push(idx(12));
        out.push(if chunk.len() > 1 { idx(6) } else { '=' });
        out.push(if chunk.len() > 2 { idx(0) } else { '=' });
    }
    out
}

/// The three Base64 renderings of `data` as it may appear at any offset inside a larger
/// encoded blob: the characters influenced by neighbouring bytes are cut off (pySigma's scheme).
pub fn base64_offsets(data: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    // Characters to drop at the end, by (len + shift) % 3.
    const END_CUT: [usize; 3] = [0, 3, 2];
    let mut out = Vec::with_capacity(3);
    for shift in 0..3usize {
        let mut buf = vec![b' '; shift];
        buf.extend_from_slice(data);
        let enc = base64(&buf);
        let cut = END_CUT[(data.len() + shift) % 3];
        let start = START[shift];
        let end = enc.len().saturating_sub(cut);
        if let Some(s) = enc.get(start..end)
            && !s.is_empty()
        {
            out.push(s.to_string());
        }
    }
    out
}

pub fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// UTF-16 with a byte order mark, little endian (as Windows writes it).
pub fn utf16_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(utf16le(s));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn base64_offsets_are_found_inside_encoded_text() {
        let needle = b"IEX (New-Object";
        let variants = base64_offsets(needle);
        assert_eq!(variants.len(), 3);
        for prefix in [&b""[..], b"a", b"ab", b"abc"] {
            for suffix in [&b""[..], b"x", b"xy"] {
                let mut blob = prefix.to_vec();
                blob.extend_from_slice(needle);
                blob.extend_from_slice(suffix);
                let enc = base64(&blob);
                assert!(variants.iter().any(|v| enc.contains(v.as_str())), "{enc}");
            }
        }
    }

    #[test]
    fn utf16_forms() {
        assert_eq!(utf16le("cmd"), vec![0x63, 0, 0x6d, 0, 0x64, 0]);
        assert_eq!(utf16be("cmd"), vec![0, 0x63, 0, 0x6d, 0, 0x64]);
        assert_eq!(utf16_bom("c"), vec![0xFF, 0xFE, 0x63, 0]);
    }
}
