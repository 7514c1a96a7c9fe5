//! Reading inputs with bounds: a size cap, a UTF-8 check that names the offending line, and the byte-order
//! mark that Windows tools put in front of UTF-8 text.

use crate::error::InventoryError;
use std::io::Read;
use std::path::Path;

/// The largest single input read into memory. Real lockfiles and package databases stay well below it
/// (a large monorepo `package-lock.json` is tens of MiB); anything larger is reported, not read.
pub const MAX_INPUT_BYTES: u64 = 128 * 1024 * 1024;

/// Reads a whole file, refusing files over [`MAX_INPUT_BYTES`] (also when the size grows while reading).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, InventoryError> {
    let shown = path.display().to_string();
    let io = |source| InventoryError::Io {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(InventoryError::TooLarge {
            path: shown,
            size: meta.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(InventoryError::TooLarge {
            path: shown,
            size: buf.len() as u64,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(buf)
}

/// Reads a file as UTF-8 text without its byte-order mark.
pub fn read_text(path: &Path) -> Result<String, InventoryError> {
    let bytes = read_bytes(path)?;
    text_from_bytes(bytes, &path.display().to_string())
}

/// UTF-8 text without its byte-order mark; invalid UTF-8 is an error naming the line it starts on.
pub fn text_from_bytes(mut bytes: Vec<u8>, shown: &str) -> Result<String, InventoryError> {
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

/// Text for package databases, where a stray non-UTF-8 byte in a description must not hide the
/// packages: invalid sequences become U+FFFD.
pub fn lossy_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}
