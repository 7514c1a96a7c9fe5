//! Live detection: one event at a time through the compiled rules, correlations kept open
//! between events (their windows expire as event time moves on, as in `vigil hunt`).

use vigil_model::{Detection, Event};
use vigil_sigma::{Correlator, Engine};

/// The engine and the correlation state of one live stream.
#[derive(Debug)]
pub struct Detector {
    engine: Engine,
    correlator: Correlator,
    /// Reused between events: every match of one event, building blocks included.
    scratch: Vec<Detection>,
}

impl Detector {
    pub fn new(engine: Engine) -> Detector {
        let correlator = Correlator::new(&engine);
        Detector {
            engine,
            correlator,
            scratch: Vec::new(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Evaluates one event; the detections to report (rules and correlations) are appended to `out`,
    /// each with the identifying fields of the event (address, account, mailbox…) as context, as
    /// `vigil audit` attaches them: incidents are linked by those, and a live service will not read
    /// the record again. A correlation gets the context of the event that made it fire.
    pub fn feed(&mut self, ev: &Event, out: &mut Vec<Detection>) {
        let before = out.len();
        self.scratch.clear();
        self.engine.all_matches(ev, &mut self.scratch);
        self.correlator.feed(ev, &self.scratch, out);
        let engine = &self.engine;
        out.extend(
            self.scratch
                .drain(..)
                .filter(|d| engine.is_reported(&d.rule_id)),
        );
        for d in out.iter_mut().skip(before) {
            vigil_investigate::context::attach(d, ev);
        }
    }

    /// Events whose correlation windows had already passed when they arrived.
    pub fn late_events(&self) -> u64 {
        self.correlator.late_events()
    }
}
