//! Re-reading an EVTX file from where the last read stopped.

use std::path::Path;
use vigil_logs::ReadOptions;
use vigil_logs::stream::evtx::{EvtxSince, read_evtx_since};
use vigil_model::RecordRef;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(
    path: &Path,
    since: EvtxSince,
    max_chunks: usize,
) -> (Vec<u64>, vigil_logs::stream::evtx::EvtxRead) {
    let mut ids = Vec::new();
    let out = read_evtx_since(
        path,
        "f.evtx",
        since,
        max_chunks,
        &ReadOptions::default(),
        &mut |ev, _| {
            if let RecordRef::EvtxRecord(n) = ev.source.record {
                ids.push(n);
            }
        },
    )
    .unwrap();
    (ids, out)
}

#[test]
fn a_second_read_of_the_same_file_gives_nothing_new() {
    let path = fixture("security_4688_rdp_hijack.evtx");
    let (all, first) = read(&path, EvtxSince::default(), 64);
    assert!(!all.is_empty());
    assert!(!first.more);
    assert!(first.since.same_file);
    let all_ids = {
        let mut v = Vec::new();
        vigil_logs::read_file_as(
            &path,
            vigil_logs::Format::Evtx,
            &ReadOptions::default(),
            &mut |ev| {
                if let RecordRef::EvtxRecord(n) = ev.source.record {
                    v.push(n);
                }
            },
        )
        .unwrap();
        v
    };
    assert_eq!(
        all, all_ids,
        "the same records as the file reader, in order"
    );
    let (again, second) = read(&path, first.since, 64);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(second.since, first.since);
}

#[test]
fn a_read_resumes_after_the_last_record() {
    let path = fixture("security_4688_rdp_hijack.evtx");
    let (all, first) = read(&path, EvtxSince::default(), 64);
    let half = all.len() / 2;
    // Stand as if only the first half had been read from this file.
    let mid = EvtxSince {
        file_record: first.since.file_record - (all.len() - half) as u64,
        event_record: 0,
        same_file: true,
    };
    let (rest, _) = read(&path, mid, 64);
    assert_eq!(rest.as_slice(), all.get(half..).unwrap());
    // A replaced file (another inode): only events above the last EventRecordID read.
    let replaced = EvtxSince {
        file_record: 0,
        event_record: *all.get(half - 1).unwrap(),
        same_file: false,
    };
    let (rest, _) = read(&path, replaced, 64);
    assert_eq!(rest.as_slice(), all.get(half..).unwrap());
}
