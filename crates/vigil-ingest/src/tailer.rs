//! The tailer of one watch: what each poll reads, how rotation is followed, where it stands.
//!
//! - Plain text files are kept open: a file renamed away (rotation by rename) is still read to its
//!   end through the open handle, then finished; the new file under the old name is read from 0.
//! - A file shorter than the position (copy-truncate) is read again from 0, and counted.
//! - A file under a new inode whose content fingerprint matches a known file's (see
//!   [`crate::identity`]) continues from that file's position: logrotate's `mail.log.2.gz` made of
//!   `mail.log.1` is not read twice, while a new `.gz` dropped into the folder is read whole.
//! - A `.gz` is read once its size has not changed between two polls (it is being written
//!   meanwhile); a truncated or corrupt one is reported and given up.
//! - A last line without its newline is held until the newline comes, or until
//!   [`TailerConfig::partial_timeout`] passes without the file growing.
//! - EVTX files are re-read after their last record on every poll (only new chunks are parsed).

use crate::IngestError;
use crate::health::{Rate, SourceHealth};
use crate::identity::{DEFAULT_FINGERPRINT_LEN, dev_ino, fingerprint, hex};
use crate::watch::{Watch, is_gzip};
use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vigil_logs::Format;
use vigil_logs::stream::evtx::{EvtxSince, read_evtx_since};
use vigil_logs::stream::{LineDecoder, LinePos};
use vigil_model::{Checkpoint, Event, FileIdentity, Position, RecordRef};

/// Parameters of a tailer (documented defaults).
#[derive(Debug, Clone)]
pub struct TailerConfig {
    /// Leading bytes a content fingerprint covers (default 1024).
    pub fingerprint_len: usize,
    /// How long a last line without newline is held (default 5 s).
    pub partial_timeout: Duration,
    /// Bytes read from one file per poll, so one busy file does not starve the others (default
    /// 8 MiB); the rest is read on the next poll.
    pub read_budget: u64,
    /// EVTX chunks parsed per file per poll (default 64, 4 MiB).
    pub evtx_chunks: usize,
    /// Files of a folder followed at most (default 10 000).
    pub max_files: usize,
}

impl Default for TailerConfig {
    fn default() -> Self {
        TailerConfig {
            fingerprint_len: DEFAULT_FINGERPRINT_LEN,
            partial_timeout: Duration::from_secs(5),
            read_budget: 8 << 20,
            evtx_chunks: 64,
            max_files: 10_000,
        }
    }
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollResult {
    pub events: u64,
    /// A file still has unread bytes beyond the per-poll budget: poll again soon.
    pub more: bool,
}

struct Tracked {
    path: PathBuf,
    identity: FileIdentity,
    gzip: bool,
    evtx: bool,
    done: bool,
    offset: u64,
    line: u64,
    evtx_pos: (u64, u64),
    evtx_same_file: bool,
    file: Option<File>,
    partial: Vec<u8>,
    /// A line longer than the limit is being skipped up to its newline.
    skipping: bool,
    /// Bytes of the over-long line skipped so far (not held).
    skipped: u64,
    partial_seen: Option<(Instant, u64)>,
    decoder: Option<LineDecoder>,
    /// Size of a `.gz` seen last poll: read once it stops changing.
    gz_size: Option<u64>,
    /// Seen in the current listing.
    present: bool,
    /// The file's generation (see [`Tailer::generation`]) once its first line is complete;
    /// forgotten when the file is truncated.
    generation: Option<String>,
}

impl Tracked {
    /// A file at its start, not yet opened.
    fn new(path: PathBuf, identity: FileIdentity, gzip: bool, evtx: bool) -> Tracked {
        Tracked {
            path,
            identity,
            gzip,
            evtx,
            done: false,
            offset: 0,
            line: 0,
            evtx_pos: (0, 0),
            evtx_same_file: true,
            file: None,
            partial: Vec::new(),
            skipping: false,
            skipped: 0,
            partial_seen: None,
            decoder: None,
            gz_size: None,
            present: false,
            generation: None,
        }
    }

    fn key(&self) -> String {
        format!("{}:{}", self.identity.device, self.identity.inode)
    }
}

/// The first `len` bytes of a tracked file (decompressed for gzip), through its open handle when
/// there is one: a file renamed out of the watch is only reachable that way.
fn read_head(t: &mut Tracked, len: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(len.min(64 * 1024));
    match t.file.as_mut() {
        // The reader seeks to its own position before every read, so moving the handle is safe.
        Some(f) if !t.gzip => {
            f.seek(SeekFrom::Start(0))?;
            f.take(len as u64).read_to_end(&mut head)?;
        }
        _ if t.gzip => {
            let dec = MultiGzDecoder::new(File::open(&t.path)?);
            // A truncated stream still gives its first bytes.
            let _ = dec.take(len as u64).read_to_end(&mut head);
        }
        _ => {
            File::open(&t.path)?
                .take(len as u64)
                .read_to_end(&mut head)?;
        }
    }
    Ok(head)
}

/// Follows one [`Watch`].
pub struct Tailer {
    watch: Watch,
    config: TailerConfig,
    files: Vec<Tracked>,
    health: SourceHealth,
    rate: Rate,
}

impl std::fmt::Debug for Tailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tailer")
            .field("watch", &self.watch.name)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

impl Tailer {
    /// A tailer of `watch` resuming from `checkpoints` (those stored for this watch; empty on a
    /// first start, when existing files are read from their start).
    pub fn new(watch: Watch, config: TailerConfig, checkpoints: Vec<Checkpoint>) -> Tailer {
        let files = checkpoints
            .into_iter()
            .filter(|c| c.watch == watch.name)
            .map(|c| {
                let (offset, line, evtx_pos, evtx) = match c.position {
                    Position::Text { offset, line } => (offset, line, (0, 0), false),
                    Position::Evtx {
                        file_record,
                        event_record,
                    } => (0, 0, (file_record, event_record), true),
                };
                let mut t = Tracked::new(PathBuf::from(&c.path), c.identity, c.gzip, evtx);
                t.done = c.done;
                (t.offset, t.line, t.evtx_pos) = (offset, line, evtx_pos);
                t
            })
            .collect();
        Tailer {
            watch,
            config,
            files,
            health: SourceHealth::default(),
            rate: Rate::default(),
        }
    }

    /// Where the tailer stands after the events passed on so far: store these with the
    /// detections those events produced.
    pub fn checkpoints(&self) -> Vec<Checkpoint> {
        self.files
            .iter()
            .map(|t| Checkpoint {
                watch: self.watch.name.clone(),
                key: t.key(),
                path: t.path.to_string_lossy().into_owned(),
                identity: t.identity.clone(),
                position: if t.evtx {
                    Position::Evtx {
                        file_record: t.evtx_pos.0,
                        event_record: t.evtx_pos.1,
                    }
                } else {
                    Position::Text {
                        offset: t.offset,
                        line: t.line,
                    }
                },
                gzip: t.gzip,
                done: t.done,
            })
            .collect()
    }

    pub fn health(&self) -> &SourceHealth {
        &self.health
    }

    /// Reads what is new in the watched files, passing each event to `sink`. The watched path
    /// missing or unlistable is an error (and counted); a single file's failure is counted in
    /// the health and the others are still read.
    pub fn poll(&mut self, sink: &mut dyn FnMut(Event)) -> Result<PollResult, IngestError> {
        let now = Instant::now();
        let mut result = PollResult::default();
        let mut counting = |ev: Event, h: &mut SourceHealth| {
            if let Some(t) = ev.timestamp
                && h.last_event.is_none_or(|l| t > l)
            {
                h.last_event = Some(t);
            }
            h.events += 1;
            sink(ev);
        };
        let listing = match self.watch.files(self.config.max_files) {
            Ok(l) => l,
            Err(source) => {
                // Files already open are still finished: a single watched file renamed away.
                for t in self.files.iter_mut().filter(|t| !t.done) {
                    t.present = false;
                }
                self.finish_absent(&mut result, &mut counting);
                let err = IngestError::Io {
                    path: self.watch.path.display().to_string(),
                    source,
                };
                self.error(err.to_string());
                self.after_poll(now, result.events);
                return Err(err);
            }
        };
        for t in &mut self.files {
            t.present = false;
        }
        // Files rotated away are finished first, so their last lines come before the new file's.
        let mut to_read = Vec::new();
        for path in listing {
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(_) => continue, // gone between listing and stat
            };
            let (dev, ino) = dev_ino(&meta);
            let idx = match self.find(dev, ino, &path) {
                Some(i) => i,
                None => match self.admit(&path, dev, ino) {
                    Ok(i) => i,
                    Err(e) => {
                        self.error(format!("{}: {e}", path.display()));
                        continue;
                    }
                },
            };
            let Some(t) = self.files.get_mut(idx) else {
                continue;
            };
            t.present = true;
            t.path = path;
            if !t.done {
                to_read.push((idx, meta.len()));
            }
        }
        self.finish_absent(&mut result, &mut counting);
        for (idx, len) in to_read {
            self.read(idx, len, now, &mut result, &mut counting);
        }
        self.after_poll(now, result.events);
        Ok(result)
    }

    fn after_poll(&mut self, now: Instant, events: u64) {
        self.health.events_per_min = self.rate.add(now, events);
        self.health.files = self.files.iter().filter(|t| !t.done).count();
        self.health.bytes_behind = self
            .files
            .iter()
            .filter(|t| !t.done && !t.evtx && !t.gzip)
            .filter_map(|t| {
                let len = std::fs::metadata(&t.path).ok()?.len();
                Some(len.saturating_sub(t.offset))
            })
            .sum();
    }

    fn error(&mut self, msg: String) {
        self.health.errors += 1;
        self.health.last_error = Some(msg);
    }

    /// The tracked file with this device and inode, verified against its fingerprint when it
    /// comes from a checkpoint (an inode may be reused by an unrelated file). An EVTX file
    /// replaced at the same path (a new export) keeps its reader's `EventRecordID`.
    fn find(&mut self, dev: u64, ino: u64, path: &Path) -> Option<usize> {
        let flen = self.config.fingerprint_len;
        if let Some(i) = self
            .files
            .iter()
            .position(|t| t.identity.device == dev && t.identity.inode == ino)
        {
            let t = self.files.get_mut(i)?;
            if t.file.is_some() || t.identity.fingerprint_len == 0 {
                return Some(i);
            }
            let k = t.identity.fingerprint_len as usize;
            match fingerprint(path, t.gzip, k.min(flen)) {
                Ok((fp, n)) if n == t.identity.fingerprint_len && fp == t.identity.fingerprint => {
                    return Some(i);
                }
                _ => {
                    // Not the same content: the inode was reused; forget the old file.
                    self.files.remove(i);
                    return None;
                }
            }
        }
        let i = self
            .files
            .iter()
            .position(|t| t.evtx && !t.done && t.path == path)?;
        let t = self.files.get_mut(i)?;
        t.identity.device = dev;
        t.identity.inode = ino;
        t.identity.fingerprint_len = 0;
        t.evtx_same_file = false;
        Some(i)
    }

    /// Starts following a file not known by its inode: from a known file's position when its
    /// content fingerprint matches one (see [`crate::identity`]), else from 0.
    fn admit(&mut self, path: &Path, dev: u64, ino: u64) -> io::Result<usize> {
        let gzip = is_gzip(path);
        let evtx = self.format_of(path, gzip)? == Some(Format::Evtx);
        let mut offset = 0;
        let mut line = 0;
        if !evtx {
            let mut lens: Vec<u64> = self
                .files
                .iter()
                .map(|t| t.identity.fingerprint_len)
                .filter(|&k| k > 0)
                .collect();
            lens.sort_unstable();
            lens.dedup();
            'outer: for k in lens {
                let (fp, n) = fingerprint(path, gzip, k as usize)?;
                if n != k {
                    continue;
                }
                for t in &self.files {
                    if t.identity.fingerprint_len == k && t.identity.fingerprint == fp && !t.evtx {
                        offset = t.offset;
                        line = t.line;
                        break 'outer;
                    }
                }
            }
        }
        let (fp, n) = fingerprint(path, gzip, self.config.fingerprint_len)?;
        let identity = FileIdentity {
            device: dev,
            inode: ino,
            fingerprint: fp,
            fingerprint_len: n,
        };
        let mut t = Tracked::new(path.to_path_buf(), identity, gzip, evtx);
        (t.offset, t.line, t.present) = (offset, line, true);
        self.files.push(t);
        Ok(self.files.len() - 1)
    }

    fn format_of(&self, path: &Path, gzip: bool) -> io::Result<Option<Format>> {
        if let Some(f) = self.watch.format {
            return Ok(Some(f));
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let name = if gzip {
            name.strip_suffix(".gz").unwrap_or(name)
        } else {
            name
        };
        let mut head = Vec::new();
        let file = File::open(path)?;
        let max = self.watch.options.max_sniff_bytes as u64;
        if gzip {
            let _ = MultiGzDecoder::new(file).take(max).read_to_end(&mut head);
        } else {
            file.take(max).read_to_end(&mut head)?;
        }
        if head.is_empty() {
            return Ok(None);
        }
        Ok(vigil_logs::sniff::sniff_head(name, &head, false)
            .ok()
            .map(|s| s.format))
    }

    /// A file no longer in the listing: read what remains through the open handle, then finish.
    fn finish_absent(
        &mut self,
        result: &mut PollResult,
        sink: &mut dyn FnMut(Event, &mut SourceHealth),
    ) {
        let now = Instant::now();
        for i in 0..self.files.len() {
            let Some(t) = self.files.get(i) else { break };
            if t.present || t.done {
                continue;
            }
            let len = t
                .file
                .as_ref()
                .and_then(|f| f.metadata().ok())
                .map(|m| m.len());
            if let Some(len) = len {
                // Read it all: the handle is the only way left to the file.
                loop {
                    let before = self.files.get(i).map(|t| t.offset);
                    self.read_text(i, len, now, true, result, sink);
                    if self.files.get(i).map(|t| t.offset) == before {
                        break;
                    }
                }
            }
            self.health.rotations += 1;
            if let Some(t) = self.files.get_mut(i) {
                t.done = true;
                t.file = None;
                t.partial.clear();
            }
        }
    }

    fn read(
        &mut self,
        i: usize,
        len: u64,
        now: Instant,
        result: &mut PollResult,
        sink: &mut dyn FnMut(Event, &mut SourceHealth),
    ) {
        let Some(t) = self.files.get_mut(i) else {
            return;
        };
        if t.evtx {
            self.read_evtx(i, result, sink);
        } else if t.gzip {
            if t.gz_size == Some(len) {
                self.read_gzip(i, result, sink);
            } else {
                t.gz_size = Some(len);
                result.more = true;
            }
        } else {
            self.read_text(i, len, now, false, result, sink);
        }
    }

    fn decoder(&mut self, i: usize) -> Option<&mut LineDecoder> {
        let gzip_fmt = {
            let t = self.files.get(i)?;
            if t.decoder.is_some() {
                None
            } else {
                Some(self.format_of(&t.path, t.gzip).ok().flatten())
            }
        };
        let t = self.files.get_mut(i)?;
        if let Some(fmt) = gzip_fmt {
            let fmt = fmt?;
            let display = t.path.display().to_string();
            t.decoder = LineDecoder::new(fmt, &display, &t.path, &self.watch.options);
        }
        t.decoder.as_mut()
    }

    fn emit(
        &mut self,
        i: usize,
        line: &[u8],
        at: LinePos,
        sink: &mut dyn FnMut(Event, &mut SourceHealth),
    ) -> u64 {
        let host = self.watch.host.clone();
        let failed_before = self
            .files
            .get(i)
            .and_then(|t| t.decoder.as_ref())
            .map_or(0, |d| d.stats().failed);
        let Some(dec) = self.decoder(i) else {
            // Never a silent skip: a line that could not be read is an error of the source.
            let path = self.files.get(i).map(|t| t.path.display().to_string());
            self.error(format!(
                "{}: line {}: format not recognised; not read",
                path.unwrap_or_default(),
                at.line
            ));
            return 0;
        };
        dec.set_reference_time(jiff::Timestamp::now());
        let ev = dec.decode(line, at);
        let failed_after = dec.stats().failed;
        if failed_after > failed_before {
            self.health.errors += failed_after - failed_before;
        }
        match ev {
            Some(mut ev) => {
                if ev.host.is_none() {
                    ev.host = host;
                }
                ev.source.generation = self.generation(i);
                sink(ev, &mut self.health);
                1
            }
            None => 0,
        }
    }

    /// The generation of text file `i`: its device and inode, and a hash of its first line (at
    /// most the fingerprint length). A file rotated in under the same path has another inode; one
    /// written again after a copy-truncate keeps its inode but starts with another line (a
    /// program that keeps its file open writes no header after the truncation; its lines carry
    /// their time). An append-only file never changes its first line, so a record read again
    /// after a restart gets the same generation.
    fn generation(&mut self, i: usize) -> Option<String> {
        let flen = self.config.fingerprint_len;
        let t = self.files.get_mut(i)?;
        if t.evtx {
            return None;
        }
        if let Some(g) = &t.generation {
            return Some(g.clone());
        }
        let head = read_head(t, flen).unwrap_or_default();
        let (first, complete) = match head.iter().position(|&b| b == b'\n') {
            Some(n) => (head.get(..n).unwrap_or_default(), true),
            None => (head.as_slice(), head.len() >= flen),
        };
        // 64 bits of the hash: generations are told apart within one inode, not across the world.
        let digest = Sha256::digest(first);
        let hash = hex(digest.get(..8).unwrap_or_default());
        let g = format!("{}:{}:{hash}", t.identity.device, t.identity.inode);
        // A first line still without its newline (passed on after the timeout) may grow.
        if complete {
            t.generation = Some(g.clone());
        }
        Some(g)
    }

    /// Reads whole lines appended to a plain text file, up to the read budget.
    fn read_text(
        &mut self,
        i: usize,
        len: u64,
        now: Instant,
        flush: bool,
        result: &mut PollResult,
        sink: &mut dyn FnMut(Event, &mut SourceHealth),
    ) {
        let budget = self.config.read_budget;
        let max_line = self.watch.options.max_line_bytes.max(1);
        let timeout = self.config.partial_timeout;
        let flen = self.config.fingerprint_len;
        let Some(t) = self.files.get_mut(i) else {
            return;
        };
        let path = t.path.clone();
        if t.file.is_none() {
            match File::open(&path) {
                Ok(f) => t.file = Some(f),
                Err(e) => {
                    self.error(format!("{}: {e}", path.display()));
                    return;
                }
            }
        }
        let read_to = t.offset + t.partial.len() as u64 + t.skipped;
        if len < read_to {
            // Copy-truncate: the file was emptied and written again from the start.
            t.offset = 0;
            t.line = 0;
            t.partial.clear();
            t.skipping = false;
            t.skipped = 0;
            t.partial_seen = None;
            t.generation = None;
            self.health.truncations += 1;
            self.health.last_error = Some(format!(
                "{}: truncated (copy-truncate rotation); read again from the start",
                path.display()
            ));
            if let Ok((fp, n)) = fingerprint(&path, false, flen)
                && let Some(t) = self.files.get_mut(i)
            {
                t.identity.fingerprint = fp;
                t.identity.fingerprint_len = n;
            }
            // IIS and Exchange only ever append and roll over to new files: one of their logs
            // emptied in place was edited by someone, not rotated.
            if matches!(
                self.format_of(&path, false),
                Ok(Some(Format::W3c | Format::ExchangeCsv))
            ) {
                self.health.tampered += 1;
                self.health.last_tampered = Some(format!(
                    "{}: emptied in place ({read_to} bytes had been read); IIS and Exchange never truncate their logs",
                    path.display()
                ));
            }
        }
        let Some(t) = self.files.get_mut(i) else {
            return;
        };
        // Refresh a short fingerprint as the file grows, so its copies can be recognised.
        if (t.identity.fingerprint_len as usize) < flen
            && len > t.identity.fingerprint_len
            && let Ok((fp, n)) = fingerprint(&path, false, flen)
        {
            t.identity.fingerprint = fp;
            t.identity.fingerprint_len = n;
        }
        let start = t.offset + t.partial.len() as u64 + t.skipped;
        let mut chunk = Vec::new();
        if let Some(f) = t.file.as_mut() {
            let want = len.saturating_sub(start).min(budget);
            let res = f
                .seek(SeekFrom::Start(start))
                .and_then(|_| f.take(want).read_to_end(&mut chunk));
            if let Err(e) = res {
                self.error(format!("{}: {e}", path.display()));
                return;
            }
            if len.saturating_sub(start) > budget {
                result.more = true;
            }
        }
        self.health.bytes_read += chunk.len() as u64;
        let Some(t) = self.files.get_mut(i) else {
            return;
        };
        let grew = !chunk.is_empty();
        let mut pos = 0usize;
        let mut lines: Vec<(Vec<u8>, LinePos, u64)> = Vec::new();
        let mut partial = std::mem::take(&mut t.partial);
        let mut skipping = t.skipping;
        let mut skipped = t.skipped;
        let mut offset = t.offset;
        let mut line_no = t.line;
        while let Some(nl) = chunk
            .get(pos..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
        {
            let piece = chunk.get(pos..pos + nl).unwrap_or_default();
            let total = (partial.len() + piece.len()) as u64 + skipped;
            line_no += 1;
            let at = LinePos {
                line: line_no,
                offset,
            };
            if skipping {
                lines.push((Vec::new(), at, total));
            } else {
                partial.extend_from_slice(piece);
                lines.push((std::mem::take(&mut partial), at, 0));
            }
            skipping = false;
            skipped = 0;
            offset += total + 1;
            partial.clear();
            pos += nl + 1;
        }
        let rest = chunk.get(pos..).unwrap_or_default();
        if skipping {
            skipped += rest.len() as u64;
        } else {
            partial.extend_from_slice(rest);
            if partial.len() > max_line {
                // Skip the over-long line without holding it: count it when its newline comes.
                skipping = true;
                skipped = partial.len() as u64;
                partial = Vec::new();
            }
        }
        // A held last line is passed on when the file has not grown for the timeout, or when
        // the file is finished.
        let mut flush_partial = false;
        if !partial.is_empty() && !skipping {
            if grew {
                t.partial_seen = Some((now, len));
            } else if flush
                || t.partial_seen
                    .is_some_and(|(at, _)| now.duration_since(at) >= timeout)
            {
                flush_partial = true;
            } else if t.partial_seen.is_none() {
                t.partial_seen = Some((now, len));
            }
        }
        t.skipping = skipping;
        t.skipped = skipped;
        t.partial = partial;
        let mut n = 0;
        for (text, at, marker) in lines {
            if marker > 0 {
                if let Some(d) = self.decoder(i) {
                    d.too_long(at, marker);
                }
                self.health.errors += 1;
            } else {
                n += self.emit(i, &text, at, sink);
            }
            if let Some(t) = self.files.get_mut(i) {
                t.line = at.line;
            }
        }
        if let Some(t) = self.files.get_mut(i) {
            t.offset = offset;
            t.line = line_no;
        }
        if flush_partial {
            let Some(t) = self.files.get_mut(i) else {
                return;
            };
            let text = std::mem::take(&mut t.partial);
            t.line += 1;
            let at = LinePos {
                line: t.line,
                offset: t.offset,
            };
            t.offset += text.len() as u64;
            t.partial_seen = None;
            n += self.emit(i, &text, at, sink);
        }
        result.events += n;
    }

    /// Reads a `.gz` whole from its position (decompressed bytes) and finishes it.
    fn read_gzip(
        &mut self,
        i: usize,
        result: &mut PollResult,
        sink: &mut dyn FnMut(Event, &mut SourceHealth),
    ) {
        let max_line = self.watch.options.max_line_bytes.max(1);
        let Some(t) = self.files.get_mut(i) else {
            return;
        };
        let path = t.path.clone();
        let skip = t.offset;
        let mut line_no = t.line;
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                self.error(format!("{}: {e}", path.display()));
                return;
            }
        };
        let mut reader = io::BufReader::new(MultiGzDecoder::new(file));
        let mut offset = 0u64;
        let mut failure = None;
        if skip > 0 {
            match io::copy(&mut (&mut reader).take(skip), &mut io::sink()) {
                Ok(n) => offset = n,
                Err(e) => failure = Some(e.to_string()),
            }
        }
        let mut buf = Vec::new();
        while failure.is_none() {
            buf.clear();
            let res = io::BufRead::read_until(
                &mut (&mut reader).take(max_line as u64 + 1),
                b'\n',
                &mut buf,
            );
            match res {
                Ok(0) => break,
                Ok(n) => {
                    line_no += 1;
                    let at = LinePos {
                        line: line_no,
                        offset,
                    };
                    offset += n as u64;
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                    } else if n > max_line {
                        // Over-long: skip to its newline.
                        let mut rest = Vec::new();
                        let _ = io::BufRead::read_until(&mut reader, b'\n', &mut rest);
                        offset += rest.len() as u64;
                        if let Some(d) = self.decoder(i) {
                            d.too_long(at, (n + rest.len()) as u64);
                        }
                        self.health.errors += 1;
                        continue;
                    }
                    result.events += self.emit(i, &buf, at, sink);
                }
                Err(e) => failure = Some(e.to_string()),
            }
        }
        if let Some(reason) = failure {
            if let Some(d) = self.decoder(i) {
                d.fail(RecordRef::Line(line_no + 1), format!("gzip: {reason}"));
            }
            self.error(format!(
                "{}: truncated or corrupt gzip after {offset} bytes: {reason}",
                path.display()
            ));
        }
        self.health.bytes_read += offset.saturating_sub(skip);
        if let Some(t) = self.files.get_mut(i) {
            t.offset = offset.max(skip);
            t.line = line_no;
            t.done = true;
        }
    }

    fn read_evtx(
        &mut self,
        i: usize,
        result: &mut PollResult,
        sink: &mut dyn FnMut(Event, &mut SourceHealth),
    ) {
        let chunks = self.config.evtx_chunks.max(1);
        let Some(t) = self.files.get_mut(i) else {
            return;
        };
        let since = EvtxSince {
            file_record: t.evtx_pos.0,
            event_record: t.evtx_pos.1,
            same_file: t.evtx_same_file,
        };
        let path = t.path.clone();
        let display = path.display().to_string();
        let host = self.watch.host.clone();
        let mut n = 0u64;
        let health = &mut self.health;
        let out = read_evtx_since(
            &path,
            &display,
            since,
            chunks,
            &self.watch.options,
            &mut |mut ev, _| {
                if ev.host.is_none() {
                    ev.host.clone_from(&host);
                }
                n += 1;
                sink(ev, health);
            },
        );
        result.events += n;
        match out {
            Ok(read) => {
                self.health.errors += read.stats.failed;
                if let Some(t) = self.files.get_mut(i) {
                    t.evtx_pos = (read.since.file_record, read.since.event_record);
                    t.evtx_same_file = true;
                }
                if read.more {
                    result.more = true;
                }
            }
            Err(e) => self.error(e.to_string()),
        }
    }
}
