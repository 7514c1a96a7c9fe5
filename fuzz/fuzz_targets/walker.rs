//! The directory walkers of `vigil hunt`/`audit` (`vigil_logs::log_files`, `read_path`) and of
//! `vigil scan` (`vigil_inventory::discover`) over a tree the input builds: folders, files with
//! hostile names (control characters, newlines, invalid UTF-8, the report marker), symlinks to
//! themselves, to ancestors, to siblings and to nowhere, Unix sockets (special files), and exclude
//! patterns. Beyond not panicking or hanging (libFuzzer's timeout), the walks must terminate on
//! symlink loops, list no file twice, and account for every regular file they were given outside
//! vigil's own report folders: listed, or reported as skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// File contents the walkers' sniffers recognise (and one they do not).
const CONTENTS: &[&[u8]] = &[
    b"Aug 12 21:40:02 mail postfix/smtpd[123]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: authentication failure\n",
    b"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-method cs-uri-stem\n2021-08-12 21:40:02 GET /owa/\n",
    b"Package: openssl\nStatus: install ok installed\nVersion: 1.1.1n-0+deb11u3\n\n",
    b"{\"name\":\"x\",\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":\"1.0.0\"}}}",
    b"\x00\x01\x02 not a format",
    b"",
];

/// Name bytes: ordinary ones and the hostile ones the walkers must print safely.
const NAME_BYTES: &[u8] = b"abcxyz.-_\n\x1b\x07\xff\xfe ";

struct Builder {
    root: PathBuf,
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
    _tmp: tempfile::TempDir,
}

fn name(bytes: &mut impl Iterator<Item = u8>) -> Option<Vec<u8>> {
    let len = 1 + usize::from(bytes.next()? % 6);
    let mut n = Vec::with_capacity(len);
    for _ in 0..len {
        let b = bytes.next()?;
        n.push(NAME_BYTES[usize::from(b) % NAME_BYTES.len()]);
    }
    // Names the file system cannot hold, or that mean something else.
    if n == b"." || n == b".." {
        n.push(b'a');
    }
    Some(n)
}

fn build(data: &[u8]) -> Option<(Builder, Vec<String>)> {
    let tmp = tempfile::tempdir().ok()?;
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).ok()?;
    let mut b = Builder {
        root: root.clone(),
        dirs: vec![root],
        files: Vec::new(),
        _tmp: tmp,
    };
    let mut excludes = Vec::new();
    let mut bytes = data.iter().copied();
    for _ in 0..48 {
        let Some(op) = bytes.next() else { break };
        let parent = b.dirs[usize::from(bytes.next().unwrap_or(0)) % b.dirs.len()].clone();
        match op % 8 {
            0 | 1 => {
                let Some(n) = name(&mut bytes) else { break };
                let p = parent.join(OsStr::from_bytes(&n));
                if std::fs::create_dir(&p).is_ok() {
                    b.dirs.push(p);
                }
            }
            2 | 3 => {
                let Some(n) = name(&mut bytes) else { break };
                let content = CONTENTS[usize::from(bytes.next().unwrap_or(0)) % CONTENTS.len()];
                let p = parent.join(OsStr::from_bytes(&n));
                if !p.exists() && std::fs::write(&p, content).is_ok() {
                    b.files.push(p);
                }
            }
            4 => {
                // A symlink to a folder (an ancestor makes a loop), a file, itself or nowhere.
                let Some(n) = name(&mut bytes) else { break };
                let pick = usize::from(bytes.next().unwrap_or(0));
                let target = match pick % 4 {
                    0 => b.dirs[pick % b.dirs.len()].clone(),
                    1 if !b.files.is_empty() => b.files[pick % b.files.len()].clone(),
                    2 => parent.join(OsStr::from_bytes(&n)),
                    _ => parent.join("nowhere"),
                };
                let _ = std::os::unix::fs::symlink(target, parent.join(OsStr::from_bytes(&n)));
            }
            5 => {
                // vigil's own report folder: skipped by input walks.
                let _ = std::fs::write(parent.join(vigil_model::REPORT_MARKER), b"");
            }
            6 => {
                // A special file: never to be read as a log or an inventory.
                let Some(n) = name(&mut bytes) else { break };
                let _ = std::os::unix::net::UnixListener::bind(parent.join(OsStr::from_bytes(&n)));
            }
            _ => {
                let Some(n) = name(&mut bytes) else { break };
                excludes.push(format!("{}*", String::from_utf8_lossy(&n)));
            }
        }
    }
    Some((b, excludes))
}

/// Whether `p` lies under a folder holding vigil's report marker (between `root` and `p`).
fn in_report_folder(root: &Path, p: &Path) -> bool {
    p.ancestors()
        .take_while(|a| a.starts_with(root))
        .any(|a| a.join(vigil_model::REPORT_MARKER).exists())
}

fuzz_target!(|data: &[u8]| {
    let Some((b, excludes)) = build(data) else {
        return;
    };

    let (files, stats) = vigil_logs::log_files(&b.root);
    let mut seen = HashSet::new();
    for f in &files {
        let real = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
        assert!(seen.insert(real), "listed twice: {f:?}");
    }
    let skipped: Vec<&str> = stats.files.iter().map(|s| s.path.as_str()).collect();
    for f in &b.files {
        if in_report_folder(&b.root, f)
            || f.file_name() == Some(OsStr::new(vigil_model::REPORT_MARKER))
        {
            continue;
        }
        let real = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
        let shown = f.display().to_string();
        assert!(
            seen.contains(&real) || skipped.iter().any(|s| *s == shown),
            "neither listed nor reported: {f:?}"
        );
    }

    let opts = vigil_logs::ReadOptions {
        evtx_threads: 1,
        ..vigil_logs::ReadOptions::default()
    };
    let _ = vigil_logs::read_path(&b.root, &opts, &mut |_| {});

    let inv = vigil_inventory::discover(&b.root, &excludes);
    assert!(
        inv.walks.len() <= 1,
        "one walk per root: {:?}",
        inv.walks.len()
    );
});
