//! Feeding the spooled correlation input, in time order across every file, to one correlator.

use crate::record::{Decoded, Schema};
use crate::spool::Spool;
use crate::summary::CorrelationSummary;
use std::io;
use vigil_model::Detection;
use vigil_sigma::{Correlator, Engine};

/// Why the correlation phase stopped.
pub(crate) enum Stop {
    /// The spill files could not be read back: the correlations are not assessed.
    Spool(String),
    /// The sink failed: the hunt stops.
    Sink(io::Error),
}

/// Merges the spool and feeds every record to a correlator; each correlation detection goes to
/// `emit` as it is found. `names` maps a record's file index to the file name its events carry.
pub(crate) fn run(
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
