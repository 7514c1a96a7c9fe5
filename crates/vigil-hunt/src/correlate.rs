//! Feeding one correlator the matching events of every file in time order, two ways.
//!
//! - **Live**, on the consumer thread while the files are read: as long as the records arrive in
//!   time order (one file read from start to end, the common case), each is fed at once. Its
//!   detections are held (the per-rule cap bounds them) until the last file is read: one record out
//!   of order means the live run would differ from the time order, so it is dropped and the spool
//!   decides.
//! - **From the spool**, after the files are read: every record, merged in time order (see
//!   [`crate::spool`]).
//!
//! Both feed the same records in the same order (the record's key: time, then file, then
//! position), so both give the same detections; the tests check both against whole events fed in
//! time order.

use crate::hunt::admit;
use crate::read::approx_size;
use crate::record::{Decoded, Key, Schema};
use crate::spool::Spool;
use crate::summary::{CorrelationSummary, HuntSummary};
use std::io;
use vigil_model::{Detection, Level};
use vigil_sigma::{Correlator, Engine};

/// Bytes of detections a live run holds before it gives up (they are then found again from the
/// spool and reported as found); the per-rule cap keeps this far away in practice.
const LIVE_HELD_BYTES: usize = 32 * 1024 * 1024;

/// A correlator fed while the files are read, for as long as the events arrive in time order.
pub(crate) struct Live {
    correlator: Correlator,
    last: Option<Key>,
    /// Detections found, counted in `tally` and held until the run is known to be in order.
    held: Vec<Detection>,
    held_bytes: usize,
    tally: HuntSummary,
    found: Vec<Detection>,
    decoded: Decoded,
    events: u64,
}

/// What a live run that stayed in order found.
pub(crate) struct LiveOutcome {
    pub held: Vec<Detection>,
    pub tally: HuntSummary,
    pub events: u64,
    pub late: u64,
    pub untimed: u64,
    pub overflow: u64,
}

impl Live {
    pub(crate) fn new(engine: &Engine, max_per_rule: usize) -> Live {
        Live {
            correlator: Correlator::new(engine),
            last: None,
            held: Vec::new(),
            held_bytes: 0,
            tally: HuntSummary::new(max_per_rule, 0),
            found: Vec::new(),
            decoded: Decoded::default(),
            events: 0,
        }
    }

    /// Feeds a record of the file named `name`; false when it came out of order, does not decode
    /// or too much is held (the run is over).
    pub(crate) fn feed(
        &mut self,
        engine: &Engine,
        schema: &Schema,
        min_level: Option<Level>,
        (key, body, name): (Key, &[u8], &str),
    ) -> bool {
        if self.last.is_some_and(|last| key <= last) {
            return false;
        }
        self.last = Some(key);
        if schema.decode(&key, body, name, &mut self.decoded).is_err() {
            return false;
        }
        let d = &self.decoded;
        self.correlator.feed(&d.event, &d.matches, &mut self.found);
        self.events += 1;
        self.hold(engine, min_level)
    }

    fn hold(&mut self, engine: &Engine, min_level: Option<Level>) -> bool {
        for d in self.found.drain(..) {
            if admit(engine, min_level, &mut self.tally, &d).is_some() {
                self.held_bytes += approx_size(&d);
                self.held.push(d);
            }
        }
        self.held_bytes <= LIVE_HELD_BYTES
    }

    /// Closes the open windows; `None` when too much would be held.
    pub(crate) fn finish(
        mut self,
        engine: &Engine,
        min_level: Option<Level>,
    ) -> Option<LiveOutcome> {
        self.correlator.finish(&mut self.found);
        self.hold(engine, min_level).then(|| LiveOutcome {
            late: self.correlator.late_events(),
            untimed: self.correlator.untimed_events(),
            overflow: self.correlator.overflow(),
            held: self.held,
            tally: self.tally,
            events: self.events,
        })
    }
}

/// Why the correlation phase stopped.
pub(crate) enum Stop {
    /// The spill files could not be read back: the correlations are not assessed.
    Spool(String),
    /// The sink failed: the hunt stops.
    Sink(io::Error),
}

/// Merges the spool and feeds every record to a correlator; each correlation detection goes to
/// `emit` as it is found. `names` maps a record's file index to the file name its events carry.
pub(crate) fn from_spool(
    engine: &Engine,
    schema: &Schema,
    spool: Spool,
    names: &[String],
    stats: &mut CorrelationSummary,
    emit: &mut dyn FnMut(Detection) -> io::Result<()>,
) -> Result<(), Stop> {
    let spool_err = |e: io::Error| Stop::Spool(format!("cannot read the spilled input back: {e}"));
    let mut merge = spool.finish().map_err(spool_err)?;
    stats.spilled_runs = merge.spilled_runs;
    stats.spilled_bytes = merge.spilled_bytes;
    let mut correlator = Correlator::new(engine);
    let mut decoded = Decoded::default();
    let mut found = Vec::new();
    while let Some((key, body)) = merge.next_record().map_err(spool_err)? {
        let name = names.get(key.file as usize).map_or("", String::as_str);
        schema
            .decode(&key, body, name, &mut decoded)
            .map_err(|_| Stop::Spool("a spilled record is damaged".into()))?;
        correlator.feed(&decoded.event, &decoded.matches, &mut found);
        stats.events += 1;
        for d in found.drain(..) {
            emit(d).map_err(Stop::Sink)?;
        }
    }
    correlator.finish(&mut found);
    for d in found.drain(..) {
        emit(d).map_err(Stop::Sink)?;
    }
    stats.late += correlator.late_events();
    stats.untimed += correlator.untimed_events();
    stats.overflow += correlator.overflow();
    Ok(())
}
