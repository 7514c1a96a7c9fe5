//! Where a live reader of a log stands: the position after the last record passed on, and which
//! file that position is in. The service stores checkpoints in the same transaction as the
//! detections the records produced, so a restart resumes exactly after what was committed.

use serde::{Deserialize, Serialize};

/// Which file a position belongs to. A path is not enough: rotation renames files and creates new
/// ones under the old name, and a compressed copy of a file read before may appear under a new name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileIdentity {
    /// The file system's device number (0 where the platform has none).
    pub device: u64,
    /// The file's inode (file index on Windows; 0 where the platform has none).
    pub inode: u64,
    /// SHA-256 (lowercase hex) of the file's first `fingerprint_len` bytes, of the decompressed
    /// content for a gzip file: the same content has the same fingerprint under any name.
    pub fingerprint: String,
    /// How many leading bytes the fingerprint covers (fewer than the configured length while the
    /// file is shorter; 0 for an empty file, which has no content identity).
    pub fingerprint_len: u64,
}

/// The position of a reader in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Position {
    /// A text log: the byte offset just after the last whole line passed on (in the decompressed
    /// text of a gzip file) and that line's 1-based number (0 before the first line).
    Text { offset: u64, line: u64 },
    /// An EVTX file: the highest record identifier of the file's own record headers read, and the
    /// highest `EventRecordID` (which an exported copy keeps while renumbering its records).
    Evtx { file_record: u64, event_record: u64 },
}

/// A watched file's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The watch the file was found by (its name, or its path as configured).
    pub watch: String,
    /// The file's key within the watch, stable across renames (derived from its identity).
    pub key: String,
    /// The path the file had when last read.
    pub path: String,
    pub identity: FileIdentity,
    pub position: Position,
    /// Whether the file is gzip-compressed (its offset counts decompressed bytes).
    pub gzip: bool,
    /// The file is finished with: rotated out of the watch, deleted, or a gzip file read whole.
    /// Its checkpoint is kept for a while so that the same content appearing again (logrotate
    /// compressing `mail.log.1` into `mail.log.2.gz`) is recognised and not read twice.
    pub done: bool,
}
