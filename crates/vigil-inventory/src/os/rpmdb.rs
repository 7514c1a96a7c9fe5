//! rpm's SQLite database (`rpmdb.sqlite`, the default back end since rpm 4.16: RHEL/AlmaLinux/Rocky 9,
//! Fedora 33+). Table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` holds one RPM header per installed
//! package; [`super::rpm_header`] reads it.
//!
//! The database is opened read-only and `immutable`, so that a database on a read-only mount (a container
//! export, a snapshot) is read without SQLite trying to create its `-wal`/`-shm` files or take locks.

use super::rpm_header;
use crate::Sink;
use crate::error::InventoryError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Largest header blob read; rpm itself caps a header's data at 256 MiB, real ones are a few hundred KiB.
const MAX_BLOB: usize = 64 * 1024 * 1024;

pub fn read(path: &Path, ecosystem: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let shown = path.display().to_string();
    let fail = |reason: String| InventoryError::parse(&shown, None, reason);
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            _ => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| fail(format!("cannot open as SQLite: {e}")))?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(|e| fail(format!("not an rpm database (no Packages table): {e}")))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| fail(format!("cannot query Packages: {e}")))?;
    loop {
        let row = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(fail(format!("reading Packages failed: {e}"))),
        };
        let hnum: i64 = row.get(0).unwrap_or(-1);
        let blob = match row.get_ref(1) {
            Ok(rusqlite::types::ValueRef::Blob(b)) => b,
            _ => {
                sink.warn_at(format!("{shown} (hnum {hnum})"), "Packages row has no blob");
                continue;
            }
        };
        if blob.len() > MAX_BLOB {
            sink.warn_at(
                format!("{shown} (hnum {hnum})"),
                format!(
                    "header of {} bytes is over the {MAX_BLOB}-byte limit",
                    blob.len()
                ),
            );
            continue;
        }
        match rpm_header::parse(blob) {
            Ok(h) => {
                if h.name == "gpg-pubkey" {
                    continue;
                }
                super::rpm_package(
                    sink,
                    ecosystem,
                    &h.name,
                    &h.evr(),
                    h.arch.as_deref(),
                    h.source_rpm.as_deref(),
                    None,
                );
            }
            Err(e) => sink.warn_at(format!("{shown} (hnum {hnum})"), e.to_string()),
        }
    }
    Ok(())
}
