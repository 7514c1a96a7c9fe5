//! Live detection: one event at a time through the compiled rules, correlations kept open
//! between events (their windows expire as event time moves on, as in `vigil hunt`).

use vigil_model::{Detection, Event};
use vigil_sigma::{Correlator, Engine};

/// Largest correlation state saved (base64 makes it a third larger; the store takes 64 MiB).
const MAX_STATE_BYTES: usize = 40 << 20;

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

    /// A detector whose correlation windows resume from `state` (what [`Detector::state`] saved,
    /// as stored by the service). A state that cannot be used (other correlation rules, damaged)
    /// is set aside with the reason: the windows start empty, as on a first start.
    pub fn resume(engine: Engine, state: Option<&str>) -> (Detector, Option<String>) {
        use base64::Engine as _;
        let Some(text) = state else {
            return (Detector::new(engine), None);
        };
        let restored = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("not base64: {e}"))
            .and_then(|bytes| Correlator::restore(&engine, &bytes).map_err(|e| e.to_string()));
        match restored {
            Ok(correlator) => (
                Detector {
                    engine,
                    correlator,
                    scratch: Vec::new(),
                },
                None,
            ),
            Err(why) => (Detector::new(engine), Some(why)),
        }
    }

    /// The correlation windows as text for the store (`None` with a reason when they are too large
    /// to save: they are then rebuilt from the events after a restart).
    pub fn state(&self) -> Result<String, String> {
        use base64::Engine as _;
        let bytes = self.correlator.snapshot().map_err(|e| e.to_string())?;
        if bytes.len() > MAX_STATE_BYTES {
            return Err(format!(
                "{} bytes, more than the {MAX_STATE_BYTES} the store keeps",
                bytes.len()
            ));
        }
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
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
