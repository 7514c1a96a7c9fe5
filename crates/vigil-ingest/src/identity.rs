//! Which file is which, across renames and compression.
//!
//! The rule (as Filebeat's and Fluent Bit's): a file is its device and inode while it is open or
//! known; content that appears under a new inode — a `.gz` logrotate made from a file read
//! before, a copy — is recognised by a SHA-256 of its first bytes (decompressed for gzip). A new
//! file whose first `k` bytes hash as a known file's first `k` bytes (`k` the known file's
//! fingerprint length, at most [`DEFAULT_FINGERPRINT_LEN`]) holds that file's content, and is read
//! from the known file's offset on. An empty file has no content identity and matches nothing;
//! two different files whose first `k` bytes are identical (short files, `k` below the
//! configured length) are taken as the same, which is why the length should be large enough to
//! hold a timestamped first line.

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

/// Leading bytes a fingerprint covers by default.
pub const DEFAULT_FINGERPRINT_LEN: usize = 1024;

/// SHA-256 (lowercase hex) of the first `len` bytes of the file at `path` (decompressed when
/// `gzip`), and how many bytes it covers (fewer when the content is shorter).
pub fn fingerprint(path: &Path, gzip: bool, len: usize) -> io::Result<(String, u64)> {
    let file = File::open(path)?;
    let mut head = Vec::with_capacity(len.min(64 * 1024));
    if gzip {
        // A truncated stream still gives its first bytes; the error shows when read whole.
        let mut dec = MultiGzDecoder::new(file).take(len as u64);
        read_lenient(&mut dec, &mut head)?;
    } else {
        file.take(len as u64).read_to_end(&mut head)?;
    }
    Ok((hex(&Sha256::digest(&head)), head.len() as u64))
}

fn read_lenient(r: &mut dyn Read, out: &mut Vec<u8>) -> io::Result<()> {
    match r.read_to_end(out) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(()),
        Err(_) if !out.is_empty() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Device and inode (0, 0 where the platform has none).
pub(crate) fn dev_ino(meta: &Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}
