//! Reading inputs with bounds: only regular files are opened (a FIFO would block the open until a
//! writer comes), a size cap, a UTF-8 check that names the offending line, and the byte-order marks
//! Windows tools write: UTF-8 with a BOM (`Out-File -Encoding utf8` in Windows PowerShell 5.1) and
//! UTF-16 (its `>` redirection and `Out-File` default).

use crate::error::InventoryError;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The largest single input read into memory. Real lockfiles and package databases stay well below it
/// (a large monorepo `package-lock.json` is tens of MiB); anything larger is reported, not read.
pub const MAX_INPUT_BYTES: u64 = 128 * 1024 * 1024;

/// How much of a file is looked at to recognise its format by content: whole first records of the
/// outputs vigil reads fit well within it.
pub const SNIFF_BYTES: u64 = 1024 * 1024;

/// What a non-regular file is, in words.
pub(crate) fn describe_type(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_char_device() {
            return "a character device";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Opens `path` (following symbolic links) only if it is a regular file.
pub(crate) fn open_regular(path: &Path) -> Result<(File, u64), InventoryError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| InventoryError::io(&shown, e))?;
    if !meta.is_file() {
        return Err(InventoryError::NotAFile {
            path: shown,
            what: describe_type(meta.file_type()),
        });
    }
    let file = File::open(path).map_err(|e| InventoryError::io(&shown, e))?;
    Ok((file, meta.len()))
}

/// Reads a whole file, refusing files over [`MAX_INPUT_BYTES`] (also when the size grows while reading).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, InventoryError> {
    let shown = path.display().to_string();
    let (file, len) = open_regular(path)?;
    if len > MAX_INPUT_BYTES {
        return Err(InventoryError::TooLarge {
            path: shown,
            size: len,
            limit: MAX_INPUT_BYTES,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| InventoryError::io(&shown, e))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(InventoryError::TooLarge {
            path: shown,
            size: buf.len() as u64,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(buf)
}

/// The first `limit` bytes of a regular file.
pub fn read_head(path: &Path, limit: u64) -> Result<Vec<u8>, InventoryError> {
    let shown = path.display().to_string();
    let (file, len) = open_regular(path)?;
    let mut buf = Vec::with_capacity(usize::try_from(len.min(limit)).unwrap_or(0));
    file.take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| InventoryError::io(&shown, e))?;
    Ok(buf)
}

/// Reads a file as text without its byte-order mark.
pub fn read_text(path: &Path) -> Result<String, InventoryError> {
    let bytes = read_bytes(path)?;
    text_from_bytes(bytes, &path.display().to_string())
}

/// Text without its byte-order mark: UTF-8, or UTF-16 (little- or big-endian) when a UTF-16 BOM says
/// so. Invalid text is an error naming the line it starts on.
pub fn text_from_bytes(mut bytes: Vec<u8>, shown: &str) -> Result<String, InventoryError> {
    if let Some(big_endian) = utf16_bom(&bytes) {
        return utf16_text(bytes.get(2..).unwrap_or_default(), big_endian, shown);
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes
            .get(..good)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        InventoryError::NotUtf8 {
            path: shown.to_string(),
            line: u32::try_from(line + 1).ok(),
        }
    })
}

/// `Some(big_endian)` when the bytes start with a UTF-16 byte-order mark.
fn utf16_bom(bytes: &[u8]) -> Option<bool> {
    match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(false),
        Some([0xFE, 0xFF]) => Some(true),
        _ => None,
    }
}

fn utf16_text(body: &[u8], big_endian: bool, shown: &str) -> Result<String, InventoryError> {
    let units = body.chunks(2).map(|c| match (c.first(), c.get(1)) {
        (Some(&a), Some(&b)) if big_endian => Ok(u16::from_be_bytes([a, b])),
        (Some(&a), Some(&b)) => Ok(u16::from_le_bytes([a, b])),
        _ => Err(()),
    });
    let mut out = String::with_capacity(body.len() / 2);
    let mut line = 1u32;
    let mut pending: Vec<u16> = Vec::with_capacity(2);
    let bad = |line| InventoryError::NotUtf8 {
        path: shown.to_string(),
        line: Some(line),
    };
    for u in units {
        let u = u.map_err(|()| bad(line))?;
        pending.push(u);
        match char::decode_utf16(pending.iter().copied()).next() {
            Some(Ok(c)) => {
                if c == '\n' {
                    line = line.saturating_add(1);
                }
                out.push(c);
                pending.clear();
            }
            // A high surrogate waits for its pair.
            Some(Err(_)) if pending.len() == 1 && (0xD800..0xDC00).contains(&u) => {}
            _ => return Err(bad(line)),
        }
    }
    if !pending.is_empty() {
        return Err(bad(line));
    }
    Ok(out)
}

/// Text for sniffing a file's start: like [`text_from_bytes`] but lossy, and tolerant of a cut in the
/// middle of a character (the head ends anywhere).
pub fn head_text(bytes: &[u8]) -> String {
    if let Some(big_endian) = utf16_bom(bytes) {
        let body = bytes.get(2..).unwrap_or_default();
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| match c {
                [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
                [a, b] => u16::from_le_bytes([*a, *b]),
                _ => 0xFFFD,
            })
            .collect();
        return char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{FFFD}'))
            .collect();
    }
    lossy_text(bytes)
}

/// Text for package databases, where a stray non-UTF-8 byte in a description must not hide the
/// packages: invalid sequences become U+FFFD.
pub fn lossy_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend(u.to_le_bytes());
        }
        v
    }

    #[test]
    fn byte_order_marks() {
        assert_eq!(
            text_from_bytes(b"\xEF\xBB\xBF{\"a\":1}".to_vec(), "f").unwrap(),
            "{\"a\":1}"
        );
        assert_eq!(
            text_from_bytes(utf16le("{\r\n  \"HotFixID\": \"KB1\" ® 😀\r\n}"), "f").unwrap(),
            "{\r\n  \"HotFixID\": \"KB1\" ® 😀\r\n}"
        );
        let mut be = vec![0xFE, 0xFF];
        for u in "ab".encode_utf16() {
            be.extend(u.to_be_bytes());
        }
        assert_eq!(text_from_bytes(be, "f").unwrap(), "ab");
        // An odd byte count and a lone surrogate are invalid, and name the line.
        let mut odd = utf16le("a\nb");
        odd.push(0x41);
        let e = text_from_bytes(odd, "f").unwrap_err();
        assert_eq!(e.location(), "f:2");
        let mut lone = vec![0xFF, 0xFE];
        lone.extend(0xD800u16.to_le_bytes());
        lone.extend(0x0041u16.to_le_bytes());
        assert!(text_from_bytes(lone, "f").is_err());
        // A head cut in the middle of a UTF-16 unit drops the half unit.
        assert_eq!(head_text(&utf16le("{\"x\"")[..7]), "{\"");
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("package-lock.json");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo unavailable: skipping the FIFO check");
            return;
        }
        // Opening the FIFO would block this test forever; it must be refused from its metadata.
        let e = read_bytes(&fifo).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("a FIFO (named pipe), not a regular file: not opened"),
            "{e}"
        );
        let e = read_head(dir.path(), 10).unwrap_err();
        assert!(e.reason().starts_with("a directory"), "{e}");
    }
}
