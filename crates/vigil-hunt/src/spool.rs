//! The correlation input of a hunt, put in time order in bounded memory.
//!
//! Records (see [`crate::record`]) arrive from the file readers in any order: files are read in
//! parallel, rotated logs may be given newest first. The spool holds them in memory up to a budget;
//! past it, it sorts what it holds and writes it as a run to a temporary directory. At the end the
//! runs and what is still in memory are merged k ways (at most [`MAX_FANIN`] runs at a time; more
//! runs are first merged into longer ones). Memory: the budget plus one read buffer per run merged.
//! The directory is removed when the spool (or its merge) is dropped.
//!
//! Run file: a header line, then per record the key (seconds as a zigzag delta from the previous
//! record, nanoseconds, file, position), the body length and the body, all as LEB128 integers.

use crate::record::{Key, put_uv};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Most runs merged at once (each holds an open file and a read buffer).
pub const MAX_FANIN: usize = 64;
const HEADER: &[u8] = b"vigil correlation spool 1\n";
const READ_BUFFER: usize = 64 * 1024;
const WRITE_BUFFER: usize = 256 * 1024;

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Key,
    start: usize,
    len: u32,
}

/// Records in memory up to a budget, sorted runs on disk beyond it.
#[derive(Debug)]
pub(crate) struct Spool {
    budget: usize,
    fanin: usize,
    parent: Option<PathBuf>,
    dir: Option<tempfile::TempDir>,
    arena: Vec<u8>,
    index: Vec<Entry>,
    runs: Vec<PathBuf>,
    longest: usize,
    pub records: u64,
    pub spilled_runs: u64,
    pub spilled_bytes: u64,
}

impl Spool {
    /// `budget`: bytes of records (and their index) held in memory before a run is written to a
    /// new temporary directory under `parent` (the system's temporary directory when `None`).
    pub(crate) fn new(budget: usize, parent: Option<PathBuf>) -> Spool {
        Spool {
            budget: budget.max(1),
            fanin: MAX_FANIN,
            parent,
            dir: None,
            arena: Vec::new(),
            index: Vec::new(),
            runs: Vec::new(),
            longest: 0,
            records: 0,
            spilled_runs: 0,
            spilled_bytes: 0,
        }
    }

    #[cfg(test)]
    fn with_fanin(mut self, fanin: usize) -> Spool {
        self.fanin = fanin.max(2);
        self
    }

    /// Adds a record.
    pub(crate) fn push(&mut self, key: Key, body: &[u8]) -> io::Result<()> {
        let len = u32::try_from(body.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        if self.index.capacity() == 0 {
            // Half the budget for record bytes, half for their index: both are allocated once and
            // reused after each spill, so the memory held never exceeds the budget.
            let entries = (self.budget / 2 / size_of::<Entry>()).max(1);
            self.index.reserve_exact(entries);
            self.arena.reserve_exact((self.budget / 2).max(body.len()));
        }
        if self.index.len() == self.index.capacity()
            || self.arena.len() + body.len() > self.arena.capacity()
        {
            self.spill()?;
            if body.len() > self.arena.capacity() {
                // One record larger than half the budget: held alone.
                self.arena.reserve_exact(body.len());
            }
        }
        self.index.push(Entry {
            key,
            start: self.arena.len(),
            len,
        });
        self.arena.extend_from_slice(body);
        self.longest = self.longest.max(body.len());
        self.records += 1;
        Ok(())
    }

    /// Sorts what is held in memory and writes it as a run.
    fn spill(&mut self) -> io::Result<()> {
        if self.index.is_empty() {
            return Ok(());
        }
        self.index.sort_unstable_by_key(|e| e.key);
        let path = self.new_run_path()?;
        let mut w = RunWriter::create(&path)?;
        for e in &self.index {
            w.write(&e.key, body_of(&self.arena, e))?;
        }
        self.spilled_bytes += w.finish()?;
        self.spilled_runs += 1;
        self.runs.push(path);
        self.index.clear();
        self.arena.clear();
        Ok(())
    }

    fn new_run_path(&mut self) -> io::Result<PathBuf> {
        let dir = match &self.dir {
            Some(d) => d,
            None => {
                let mut b = tempfile::Builder::new();
                b.prefix("vigil-hunt-");
                let d = match &self.parent {
                    Some(p) => b.tempdir_in(p),
                    None => b.tempdir(),
                }?;
                self.dir.insert(d)
            }
        };
        Ok(dir.path().join(format!("run-{}", self.spilled_runs)))
    }

    /// Everything pushed, in key order.
    pub(crate) fn finish(mut self) -> io::Result<Merge> {
        self.index.sort_unstable_by_key(|e| e.key);
        // Too many runs to open at once: merge the oldest into longer ones until few enough remain.
        while self.runs.len() + 1 > self.fanin {
            let take = self.fanin.min(self.runs.len());
            let group: Vec<PathBuf> = self.runs.drain(..take).collect();
            let mut merge = Merge::new(
                group
                    .iter()
                    .map(|p| Source::open(p))
                    .collect::<io::Result<_>>()?,
                self.longest,
            )?;
            let path = self.new_run_path()?;
            let mut w = RunWriter::create(&path)?;
            while let Some((key, body)) = merge.next_record()? {
                w.write(&key, body)?;
            }
            self.spilled_bytes += w.finish()?;
            self.spilled_runs += 1;
            drop(merge);
            for p in group {
                let _ = std::fs::remove_file(p);
            }
            self.runs.push(path);
        }
        let mut sources: Vec<Source> = self
            .runs
            .iter()
            .map(|p| Source::open(p))
            .collect::<io::Result<_>>()?;
        sources.push(Source::Memory {
            arena: std::mem::take(&mut self.arena),
            index: std::mem::take(&mut self.index),
            at: 0,
        });
        let mut merge = Merge::new(sources, self.longest)?;
        merge.dir = self.dir.take();
        merge.spilled_runs = self.spilled_runs;
        merge.spilled_bytes = self.spilled_bytes;
        Ok(merge)
    }
}

fn body_of<'a>(arena: &'a [u8], e: &Entry) -> &'a [u8] {
    arena
        .get(e.start..e.start + e.len as usize)
        .unwrap_or_default()
}

struct RunWriter {
    out: BufWriter<File>,
    prev_secs: i64,
    bytes: u64,
    scratch: Vec<u8>,
}

impl RunWriter {
    fn create(path: &Path) -> io::Result<RunWriter> {
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, File::create(path)?);
        out.write_all(HEADER)?;
        Ok(RunWriter {
            out,
            prev_secs: 0,
            bytes: HEADER.len() as u64,
            scratch: Vec::with_capacity(64),
        })
    }

    fn write(&mut self, key: &Key, body: &[u8]) -> io::Result<()> {
        let s = &mut self.scratch;
        s.clear();
        put_uv(s, zigzag(key.secs.wrapping_sub(self.prev_secs)));
        put_uv(s, u64::from(key.nanos));
        put_uv(s, u64::from(key.file));
        put_uv(s, key.seq);
        put_uv(s, body.len() as u64);
        self.out.write_all(s)?;
        self.out.write_all(body)?;
        self.prev_secs = key.secs;
        self.bytes += (s.len() + body.len()) as u64;
        Ok(())
    }

    fn finish(mut self) -> io::Result<u64> {
        self.out.flush()?;
        self.out.get_ref().sync_data().ok();
        Ok(self.bytes)
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

enum Source {
    File {
        reader: BufReader<File>,
        prev_secs: i64,
        body: Vec<u8>,
    },
    Memory {
        arena: Vec<u8>,
        index: Vec<Entry>,
        at: usize,
    },
}

impl Source {
    fn open(path: &Path) -> io::Result<Source> {
        let mut reader = BufReader::with_capacity(READ_BUFFER, File::open(path)?);
        let mut header = [0u8; HEADER.len()];
        reader.read_exact(&mut header)?;
        if header != HEADER {
            return Err(damaged(path));
        }
        Ok(Source::File {
            reader,
            prev_secs: 0,
            body: Vec::new(),
        })
    }

    /// Moves to the next record; its key, or `None` at the end.
    fn advance(&mut self, longest: usize) -> io::Result<Option<Key>> {
        match self {
            Source::Memory { index, at, .. } => {
                let key = index.get(*at).map(|e| e.key);
                if key.is_some() {
                    *at += 1;
                }
                Ok(key)
            }
            Source::File {
                reader,
                prev_secs,
                body,
            } => {
                if reader.fill_buf()?.is_empty() {
                    return Ok(None);
                }
                let secs = prev_secs.wrapping_add(unzigzag(read_uv(reader)?));
                let nanos = u32::try_from(read_uv(reader)?).map_err(|_| bad_record())?;
                let file = u32::try_from(read_uv(reader)?).map_err(|_| bad_record())?;
                let seq = read_uv(reader)?;
                let len = usize::try_from(read_uv(reader)?).map_err(|_| bad_record())?;
                if len > longest {
                    return Err(bad_record());
                }
                body.resize(len, 0);
                reader.read_exact(body)?;
                *prev_secs = secs;
                Ok(Some(Key {
                    secs,
                    nanos,
                    file,
                    seq,
                }))
            }
        }
    }

    /// The body of the record the last `advance` moved to.
    fn body(&self) -> &[u8] {
        match self {
            Source::File { body, .. } => body,
            Source::Memory { arena, index, at } => at
                .checked_sub(1)
                .and_then(|i| index.get(i))
                .map_or(&[][..], |e| body_of(arena, e)),
        }
    }
}

fn damaged(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: not a spill file of this hunt", path.display()),
    )
}

/// Reads one LEB128 integer from a run file.
fn read_uv(r: &mut impl Read) -> io::Result<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let mut byte = [0u8; 1];
        r.read_exact(&mut byte)?;
        let [b] = byte;
        v |= u64::from(b & 0x7f)
            .checked_shl(shift)
            .ok_or_else(bad_record)?;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(bad_record())
}

fn bad_record() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "damaged spill record")
}

/// The k-way merge of sorted sources, read one record at a time.
pub(crate) struct Merge {
    sources: Vec<Source>,
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    /// The source whose record was returned last: advanced on the next call.
    current: Option<usize>,
    longest: usize,
    dir: Option<tempfile::TempDir>,
    /// Runs written to disk (including those of intermediate merges), and their bytes.
    pub spilled_runs: u64,
    pub spilled_bytes: u64,
}

impl Merge {
    fn new(mut sources: Vec<Source>, longest: usize) -> io::Result<Merge> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            if let Some(k) = s.advance(longest)? {
                heap.push(Reverse((k, i)));
            }
        }
        Ok(Merge {
            sources,
            heap,
            current: None,
            longest,
            dir: None,
            spilled_runs: 0,
            spilled_bytes: 0,
        })
    }

    /// The next record in key order, or `None` when all are read.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<(Key, &[u8])>> {
        if let Some(i) = self.current.take()
            && let Some(s) = self.sources.get_mut(i)
            && let Some(k) = s.advance(self.longest)?
        {
            self.heap.push(Reverse((k, i)));
        }
        let Some(Reverse((key, i))) = self.heap.pop() else {
            return Ok(None);
        };
        self.current = Some(i);
        let body = self.sources.get(i).map_or(&[][..], Source::body);
        Ok(Some((key, body)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secs: i64, file: u32, seq: u64) -> Key {
        Key {
            secs,
            nanos: (seq % 7) as u32,
            file,
            seq,
        }
    }

    /// Pushes `n` records in a scrambled order and returns them as the merge gives them back.
    fn round_trip(budget: usize, fanin: usize, n: u64) -> (Vec<(Key, Vec<u8>)>, u64) {
        let mut spool = Spool::new(budget, None).with_fanin(fanin);
        for i in 0..n {
            let j = (i * 7919) % n; // a permutation of 0..n (7919 is prime)
            let k = key(1_600_000_000 - (j as i64 % 50) * 3, (j % 3) as u32, j);
            spool.push(k, format!("body {j}").as_bytes()).unwrap();
        }
        let runs = spool.spilled_runs;
        let mut merge = spool.finish().unwrap();
        let mut out = Vec::new();
        while let Some((k, body)) = merge.next_record().unwrap() {
            out.push((k, body.to_vec()));
        }
        (out, runs)
    }

    #[test]
    fn spilled_and_in_memory_give_the_same_sorted_records() {
        let (in_memory, runs) = round_trip(1 << 20, MAX_FANIN, 1000);
        assert_eq!(runs, 0, "a large budget never spills");
        // A budget of a few records forces dozens of runs and, with a fan-in of 3, several passes.
        let (spilled, runs) = round_trip(400, 3, 1000);
        assert!(runs > 20, "{runs} runs");
        assert_eq!(in_memory.len(), 1000);
        assert_eq!(in_memory, spilled);
        assert!(in_memory.windows(2).all(|w| w[0].0 < w[1].0));
        for (k, body) in &in_memory {
            assert_eq!(body, format!("body {}", k.seq).as_bytes());
        }
    }

    #[test]
    fn a_record_larger_than_the_budget_is_still_kept() {
        let mut spool = Spool::new(64, None);
        let big = vec![b'x'; 1000];
        spool.push(key(2, 0, 1), &big).unwrap();
        spool.push(key(1, 0, 2), b"small").unwrap();
        spool.push(key(3, 0, 3), &big).unwrap();
        let mut merge = spool.finish().unwrap();
        let mut seqs = Vec::new();
        while let Some((k, body)) = merge.next_record().unwrap() {
            seqs.push((k.seq, body.len()));
        }
        assert_eq!(seqs, [(2, 5), (1, 1000), (3, 1000)]);
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run");
        let mut w = RunWriter::create(&path).unwrap();
        w.write(&key(5, 0, 0), b"hello").unwrap();
        w.finish().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 2);
        std::fs::write(&path, &bytes).unwrap();
        let err = Merge::new(vec![Source::open(&path).unwrap()], 5).err();
        assert!(err.is_some(), "a cut record is reported");
        std::fs::write(&path, b"something else entirely\n").unwrap();
        assert!(Source::open(&path).is_err());
    }

    #[test]
    fn zigzag_round_trips() {
        for v in [0, 1, -1, i64::MAX, i64::MIN, 1_600_000_000] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
