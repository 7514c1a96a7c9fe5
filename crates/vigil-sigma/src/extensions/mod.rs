//! vigil's correlation extensions: correlation types Sigma 2.1 cannot express, because they
//! compare a group with **its own history** rather than with a fixed number, or remember a group
//! for longer than one window.
//!
//! A third, `vigil_marked`, remembers a group for months after an earlier detection marked it.
//!
//! All are written as ordinary correlation documents with a `vigil_`-prefixed `type`, so other
//! Sigma tools reject them loudly instead of misreading them, and `vigil rules check` lists every
//! rule that uses one (see [`used_in`]).
//!
//! ## `type: vigil_new_value`
//!
//! Fires when a group sees a value of a field it has not seen in its history — "first login of
//! this account from this network" — once the group has history.
//!
//! ```yaml
//! correlation:
//!     type: vigil_new_value
//!     rules: [dovecot_login]
//!     group-by: [user]
//!     timespan: 30d            # a value not seen for this long is forgotten (new again)
//!     condition:
//!         field: rip_net       # the value tracked (several fields form one combined value)
//!     new_value:               # all optional
//!         learning: 7d         # the group's first event must be at least this old (default 7d)
//!         min_events: 3        # … and the group must have had this many events (default 3)
//!         max_values: 256      # values kept per group; the least recently seen goes first
//! ```
//!
//! A value is reported once; list fields count each element. Until the group has history
//! (`learning` and `min_events`), every value is learned silently: an account seen for the
//! first time is not "new" everywhere at once.
//!
//! ## `type: vigil_baseline`
//!
//! Compares a group's count of events, or of distinct values of a field, in a sliding window
//! with the group's own previous windows.
//!
//! ```yaml
//! correlation:
//!     type: vigil_baseline
//!     rules: [exchange_msgtrk_submission]
//!     group-by: [sender]
//!     timespan: 24h            # window length
//!     condition:
//!         field: recipient-address  # distinct values counted (omit to count events)
//!         gte: 60              # absolute threshold, used while the group has no history
//!     baseline:                # all optional
//!         factor: 3            # with history: fire at factor × the busiest previous window …
//!         minimum: 20          # … and never below this
//!         history: 14          # previous windows remembered
//!         internal_domains: [clinic.example]   # values (addresses) in these domains not counted
//!         internal_domains_from: sender        # … nor in the domains of this field's values
//!         event_key: message-id            # count events once per message
//!         origin: original-client-net      # where an event came from (see below)
//!         without_history_level: medium    # level of a judgement made without history
//!         new_origins_gte: 20  # without history, also count only events from new public origins
//!         labels: {events: message_count, values: recipient_count}
//!         max_values: 100000   # distinct values tracked per group window
//! ```
//!
//! History windows are aligned on multiples of `timespan` since the Unix epoch; the window
//! holding the start of the current sliding window is left out so that a burst is never its own
//! baseline. A group has history when one of its last `history` windows before that had an
//! event. Without history the absolute condition decides, and the detection takes
//! `without_history_level` (never above the rule's level): bulk mail with nothing to compare it
//! with — a functional mailbox's first newsletter in the logs — is not on its own an intrusion.
//!
//! **Episodes.** At the crossing the detection reports what the window holds; the group then
//! stays in an *episode* judged against the threshold frozen at the crossing: each further
//! window gives a continuation detection (matched `episode_part: 2, 3, …`) counting only events
//! (by `event_key`) and values not reported by an earlier part, so that the counts of an
//! episode's detections add up to the campaign's. The episode goes on while each part stays
//! above the group's normal (its busiest previous window, and at least `minimum`); a part
//! below, or a whole window without events, ends it. Windows of such an episode become history
//! afterwards: a weekly newsletter is reported the first time and learned.
//!
//! **Origins.** With `origin` (a field saying where an event came from, e.g. the submitting
//! client's network), the group also remembers the origins of its history windows. When a
//! group *with history* crosses and some events of the window came from origins it had not
//! used in that history, the episode is *attributed* to those origins: only events from origins
//! outside the usual set count (messages the owner sent from the usual networks during the
//! campaign are reported apart as `<events label>_usual_origins_not_counted`, the campaign's
//! origins as `campaign_<origin field>`), the episode goes on while such events keep coming
//! (one per window is enough), and the campaign's origins never become the group's normal: their
//! events are kept out of history (and the windows the crossing drew on are dropped from it), so
//! that a later wave from them is measured against the owner's real normal and reported again.
//! Events without an origin are not attributed to a campaign.
//!
//! **New public origins without history.** With `new_origins_gte`, a group without history also
//! crosses when the events (or values) it received from *new public origins* alone reach that
//! number: origins outside private, loopback, link-local, unique-local and carrier-grade NAT
//! ranges (the organisation's LAN, webmail on the server itself) that fewer than three groups of
//! the correlation used (an office's or a VPN's address is shared by several mailboxes), and only
//! beside another origin of the group's own (a mailbox that only ever sends from one address
//! sends from there as a rule). The
//! episode is attributed to those origins as above; an origin that a third group uses later is
//! the organisation's, and the episode it opened ends at its next part without a report. This
//! catches a stolen mailbox used from the attacker's network on the first days of the logs, at a
//! pace of a few dozen a day, without judging a busy sender on the LAN.
//!
//! ## `type: vigil_marked`
//!
//! Reports the events of a group that the first rule marked, for `timespan` after the mark, once
//! per *wave* — "a successful login from a network that sprayed passwords", even a month later.
//!
//! ```yaml
//! correlation:
//!     type: vigil_marked
//!     rules:
//!         - mail_password_spray_network_block   # the first rule marks its group
//!         - dovecot_login                        # the others are reported from a marked group
//!     group-by: [src_net]
//!     timespan: 90d            # a mark is remembered this long after its latest event
//!     condition:
//!         field: user          # optional: waves are followed per value (per account)
//!     marked:                  # all optional
//!         quiet: 1d            # a value's next event after this long without any starts a new wave
//!         max_values: 256      # values followed per group; the least recently seen goes first
//! ```
//!
//! A value's first event after a mark, or its first after `quiet` without any, is reported at
//! once (matched `wave: 1, 2, …`, `marked_since`, `marked_last`); the rest of a wave only extends
//! it. The first wave after a mark starts at the mark (as a `temporal_ordered` chain would), a
//! later one at its own first event. Events before the first mark, or after the mark is
//! forgotten, are not reported. Unlike `temporal_ordered`, which relates B to A within one
//! window and reports a window once, an attacker who returns weeks later through the same
//! network is reported again.
//!
//! All types bound their state like the Sigma types (at most `MAX_GROUPS` groups per correlation,
//! per-group caps above); what a cap drops is counted in [`crate::Correlator::overflow`].

pub(crate) mod baseline;
pub(crate) mod marked;
pub(crate) mod new_value;
mod params;

pub(crate) use params::parse;
pub use params::{BaselineParams, ExtensionParams, MarkedParams, NewValueParams};

use vigil_model::SourceRef;

/// The correlations of a rule set that use a vigil extension: `(rule key, title, type)`, for
/// `vigil rules check` to say which rules other Sigma engines will not run.
pub fn used_in(set: &crate::RuleSet) -> Vec<(String, String, &'static str)> {
    set.correlations
        .iter()
        .filter(|c| c.kind.is_vigil_extension())
        .map(|c| (c.meta.key(), c.meta.title.clone(), c.kind.name()))
        .collect()
}

/// What an extension hands the correlator for one referenced event.
pub(crate) struct ExtInput {
    /// Which of the correlation's rules brought the event (its index in `rules`).
    pub pos: usize,
    pub ms: i64,
    pub values: Vec<String>,
    /// Values of `internal_domains_from` (baseline only).
    pub learn: Vec<String>,
    /// The value of `event_key` (baseline only).
    pub event_key: Option<String>,
    /// The value of `origin` (baseline only).
    pub origin: Option<String>,
    pub host: Option<String>,
    pub sources: Vec<SourceRef>,
}

#[cfg(test)]
impl ExtInput {
    /// An event of the `pos`-th rule at `ms` bringing one value, for the extensions' unit tests.
    pub(crate) fn one(pos: usize, ms: i64, value: &str) -> ExtInput {
        ExtInput {
            pos,
            ms,
            values: vec![value.to_string()],
            learn: Vec::new(),
            event_key: None,
            origin: None,
            host: None,
            sources: Vec::new(),
        }
    }
}

/// A detection an extension decided, for the correlator to emit and to chain.
pub(crate) struct ExtFired {
    pub key: Vec<String>,
    pub first_ms: i64,
    pub last_ms: i64,
    pub host: Option<String>,
    pub sources: Vec<SourceRef>,
    /// The metric, reported under the correlation type's name.
    pub metric: f64,
    /// Extra matched pairs after the group-by values and the metric.
    pub matched: Vec<(String, String)>,
    /// Fields a chained correlation sees beside the group-by values.
    pub chain: Vec<(String, String)>,
    /// The detection's level when it differs from the rule's (never above it).
    pub level: Option<vigil_model::Level>,
}

/// Milliseconds as RFC 3339 text for matched values.
pub(crate) fn time_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Adds sources up to the detection cap, without repeats.
pub(crate) fn add_sources(out: &mut Vec<SourceRef>, more: &[SourceRef]) {
    for s in more {
        if out.len() >= crate::correlation::MAX_SOURCES {
            return;
        }
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
}

/// Source references in a saved state, every field written: `SourceRef` leaves out an absent file
/// generation in JSON, which a format without field names (the snapshot's postcard) cannot read back.
pub(crate) mod saved_refs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use vigil_model::{RecordRef, SourceRef};

    #[derive(Serialize, Deserialize)]
    struct Saved {
        file: String,
        record: RecordRef,
        generation: Option<String>,
    }

    pub(crate) fn serialize<S: Serializer>(refs: &[SourceRef], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(refs.iter().map(|r| Saved {
            file: r.file.clone(),
            record: r.record,
            generation: r.generation.clone(),
        }))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SourceRef>, D::Error> {
        Ok(Vec::<Saved>::deserialize(d)?
            .into_iter()
            .map(|s| SourceRef {
                file: s.file,
                record: s.record,
                generation: s.generation,
            })
            .collect())
    }
}

/// The per-stream state of one correlation, for the extension types.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum State {
    /// A Sigma type: its state lives in the correlator itself.
    Sigma,
    NewValue(new_value::NewValueState),
    Baseline(baseline::BaselineState),
    Marked(marked::MarkedState),
}

impl State {
    pub(crate) fn for_def(def: &crate::rule::Correlation) -> State {
        match def.extension {
            Some(ExtensionParams::NewValue(_)) => State::NewValue(Default::default()),
            Some(ExtensionParams::Baseline(_)) => State::Baseline(Default::default()),
            Some(ExtensionParams::Marked(_)) => State::Marked(Default::default()),
            None => State::Sigma,
        }
    }

    /// Feeds one event of group `key` of correlation `def`; decided detections go to `out`.
    pub(crate) fn feed(
        &mut self,
        def: &crate::rule::Correlation,
        key: &[String],
        input: ExtInput,
        overflow: &mut u64,
        out: &mut Vec<ExtFired>,
    ) {
        let span_ms = def.timespan_secs.saturating_mul(1000);
        match (self, &def.extension) {
            (State::NewValue(st), Some(ExtensionParams::NewValue(p))) => {
                let spec = new_value::Spec {
                    params: p,
                    span_ms,
                    fields: &def.condition.field,
                };
                out.extend(st.feed(&spec, key, input, overflow));
            }
            (State::Baseline(st), Some(ExtensionParams::Baseline(p))) => {
                st.feed(&baseline_spec(def, p), key, input, overflow, out);
            }
            (State::Marked(st), Some(ExtensionParams::Marked(p))) => {
                let spec = marked::Spec {
                    params: p,
                    span_ms,
                    field: def.condition.field.first().map(String::as_str),
                };
                out.extend(st.feed(&spec, key, input, overflow));
            }
            _ => {}
        }
    }

    /// Checks a restored state: the variant `def` calls for, within the bounds a live one keeps.
    pub(crate) fn validate(&self, def: &crate::rule::Correlation) -> Result<(), String> {
        let arity = def.group_by.len();
        match (self, &def.extension) {
            (State::Sigma, None) => Ok(()),
            (State::NewValue(st), Some(ExtensionParams::NewValue(p))) => st.validate(p, arity),
            (State::Baseline(st), Some(ExtensionParams::Baseline(p))) => st.validate(p, arity),
            (State::Marked(st), Some(ExtensionParams::Marked(p))) => st.validate(p, arity),
            _ => Err("state of another correlation type".into()),
        }
    }

    /// Ends what ended before `now` (everything when `None`) and forgets idle groups.
    pub(crate) fn sweep(
        &mut self,
        def: &crate::rule::Correlation,
        now: Option<i64>,
        out: &mut Vec<ExtFired>,
    ) {
        let span_ms = def.timespan_secs.saturating_mul(1000);
        match (self, &def.extension) {
            (State::NewValue(st), _) => {
                if let Some(n) = now {
                    st.sweep(n, span_ms);
                }
            }
            (State::Baseline(st), Some(ExtensionParams::Baseline(p))) => {
                st.sweep(&baseline_spec(def, p), now, out);
            }
            (State::Marked(st), _) => {
                if let Some(n) = now {
                    st.sweep(n, span_ms);
                }
            }
            _ => {}
        }
    }
}

fn baseline_spec<'a>(
    def: &'a crate::rule::Correlation,
    params: &'a BaselineParams,
) -> baseline::Spec<'a> {
    baseline::Spec {
        params,
        condition: &def.condition,
        span_ms: def.timespan_secs.saturating_mul(1000),
        distinct: !def.condition.field.is_empty(),
    }
}

/// The fields an extension reads besides the aggregated ones.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExtraFields<'a> {
    pub learn: Option<&'a str>,
    pub event_key: Option<&'a str>,
    pub origin: Option<&'a str>,
}

impl<'a> ExtraFields<'a> {
    /// Each field name once.
    pub(crate) fn names(self) -> impl Iterator<Item = &'a str> {
        [self.learn, self.event_key, self.origin]
            .into_iter()
            .flatten()
    }
}

/// The fields an extension reads besides the aggregated ones: `internal_domains_from`,
/// `event_key`, `origin`.
pub(crate) fn extra_fields(def: &crate::rule::Correlation) -> ExtraFields<'_> {
    match &def.extension {
        Some(ExtensionParams::Baseline(p)) => ExtraFields {
            learn: p.internal_domains_from.as_deref(),
            event_key: p.event_key.as_deref(),
            origin: p.origin.as_deref(),
        },
        _ => ExtraFields::default(),
    }
}
