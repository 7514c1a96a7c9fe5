//! The parameters of vigil's correlation extensions, with their documented defaults, and their
//! parsing from a correlation document (see the module documentation of [`super`]).

use crate::parse::{PErr, parse_timespan, perr, scalar_text, text_list};
use crate::rule::{CorrelationCondition, CorrelationType};
use serde::{Deserialize, Serialize};
use vigil_model::Level;
use yaml_serde::{Mapping, Value};

/// Parameters of `vigil_new_value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewValueParams {
    /// A group reports new values only once its first event is at least this old (seconds).
    pub learning_secs: i64,
    /// … and it has had at least this many events before.
    pub min_events: u64,
    /// Values remembered per group; beyond it the least recently seen is forgotten.
    pub max_values: usize,
}

impl Default for NewValueParams {
    fn default() -> Self {
        NewValueParams {
            learning_secs: 7 * 86_400,
            min_events: 3,
            max_values: 256,
        }
    }
}

/// Parameters of `vigil_baseline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineParams {
    /// With history, fire when the window reaches `factor` × the busiest previous window …
    pub factor: f64,
    /// … and at least `minimum`.
    pub minimum: f64,
    /// Previous windows remembered per group.
    pub history: usize,
    /// Values (e-mail addresses) in these domains are not counted.
    pub internal_domains: Vec<String>,
    /// Domains of this field's values are learned as internal.
    pub internal_domains_from: Option<String>,
    /// Events are counted once per distinct value of this field (a message id when one message
    /// gives several events); without it every event counts.
    pub event_key: Option<String>,
    /// Names under which detections report the number of events and of distinct values.
    pub events_label: String,
    pub values_label: String,
    /// Distinct values tracked per group window.
    pub max_values: usize,
    /// Where an event came from (a submitting client's network): with history, an episode counts
    /// only the events from origins the group had not used in its history, so that the owner's
    /// own traffic during a campaign is not counted as the campaign's.
    pub origin: Option<String>,
    /// The level of a detection decided without any history for the group (the absolute
    /// condition alone); never above the rule's. `None`: the rule's level.
    pub without_history_level: Option<Level>,
    /// Without history, also fire when the events (or values) from *new public origins* — public
    /// networks no other group of the correlation used — reach this, counting only those: the
    /// campaign of a stolen mailbox sent from the attacker's network on the first days of the
    /// logs, below the absolute threshold that bulk mail needs. `None`: off.
    pub new_origins_gte: Option<f64>,
}

impl Default for BaselineParams {
    fn default() -> Self {
        BaselineParams {
            factor: 3.0,
            minimum: 10.0,
            history: 14,
            internal_domains: Vec::new(),
            internal_domains_from: None,
            event_key: None,
            events_label: "event_count".into(),
            values_label: "value_count".into(),
            max_values: 100_000,
            origin: None,
            without_history_level: None,
            new_origins_gte: None,
        }
    }
}

/// Parameters of `vigil_marked`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkedParams {
    /// A value (an account) of a marked group is reported again after this long without any of
    /// its events (seconds): the start of a new wave.
    pub quiet_secs: i64,
    /// Values tracked per group; beyond it the least recently seen is forgotten.
    pub max_values: usize,
}

impl Default for MarkedParams {
    fn default() -> Self {
        MarkedParams {
            quiet_secs: 86_400,
            max_values: 256,
        }
    }
}

/// Most previous windows a rule may ask to remember.
pub const MAX_HISTORY: usize = 1_000;
/// Largest per-group value cap a rule may ask for.
pub const MAX_VALUES_CAP: usize = 1_000_000;

/// The parameters of one extension correlation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExtensionParams {
    NewValue(NewValueParams),
    Baseline(BaselineParams),
    Marked(MarkedParams),
}

fn number(v: &Value, path: &str) -> Result<f64, PErr> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite() && *x >= 0.0)
    .ok_or_else(|| perr(path, "expected a number ≥ 0"))
}

fn count(v: &Value, path: &str, max: usize) -> Result<usize, PErr> {
    let n = number(v, path)?;
    if n.fract() != 0.0 || n < 1.0 || n > max as f64 {
        return Err(perr(
            path,
            format!("expected a whole number from 1 to {max}"),
        ));
    }
    Ok(n as usize)
}

/// Reads the extension block (`new_value:`, `baseline:` or `marked:`) of a correlation of `kind` and checks
/// the condition it needs. Unknown keys are errors, so a misspelt parameter is never ignored.
pub(crate) fn parse(
    kind: CorrelationType,
    c: &Mapping,
    condition: &CorrelationCondition,
) -> Result<ExtensionParams, PErr> {
    let block = |name: &str| -> Result<Option<&Mapping>, PErr> {
        match c.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Mapping(m)) => Ok(Some(m)),
            Some(_) => Err(perr(&format!("correlation.{name}"), "expected a mapping")),
        }
    };
    match kind {
        CorrelationType::VigilNewValue => {
            if condition.field.is_empty() {
                return Err(perr(
                    "correlation.condition.field",
                    "vigil_new_value needs 'field': the value tracked per group",
                ));
            }
            if condition.has_bounds() {
                return Err(perr(
                    "correlation.condition",
                    "vigil_new_value takes only 'field' (no threshold)",
                ));
            }
            let mut p = NewValueParams::default();
            for (k, v) in block("new_value")?.into_iter().flatten() {
                let key = scalar_text(k).unwrap_or_default();
                let path = format!("correlation.new_value.{key}");
                match key.as_str() {
                    "learning" => {
                        let t = scalar_text(v).unwrap_or_default();
                        p.learning_secs = if t.trim() == "0" {
                            0
                        } else {
                            parse_timespan(&t).ok_or_else(|| {
                                perr(&path, format!("'{t}' is not a duration like 7d or 12h"))
                            })?
                        };
                    }
                    "min_events" => p.min_events = number(v, &path)? as u64,
                    "max_values" => p.max_values = count(v, &path, MAX_VALUES_CAP)?,
                    _ => return Err(perr(&path, format!("unknown parameter '{key}'"))),
                }
            }
            Ok(ExtensionParams::NewValue(p))
        }
        CorrelationType::VigilBaseline => {
            if !condition.has_bounds() || !condition.only_lower_bounds() {
                return Err(perr(
                    "correlation.condition",
                    "vigil_baseline needs a lower bound (gte or gt): the threshold used while a \
                     group has no history",
                ));
            }
            let mut p = BaselineParams::default();
            for (k, v) in block("baseline")?.into_iter().flatten() {
                let key = scalar_text(k).unwrap_or_default();
                let path = format!("correlation.baseline.{key}");
                match key.as_str() {
                    "factor" => p.factor = number(v, &path)?,
                    "minimum" => p.minimum = number(v, &path)?,
                    "history" => p.history = count(v, &path, MAX_HISTORY)?,
                    "max_values" => p.max_values = count(v, &path, MAX_VALUES_CAP)?,
                    "internal_domains" => {
                        let mut one = Mapping::new();
                        one.insert(Value::String(key.clone()), v.clone());
                        p.internal_domains = text_list(&one, &key)
                            .map_err(|(q, r)| (format!("correlation.baseline.{q}"), r))?
                            .into_iter()
                            .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                            .filter(|d| !d.is_empty())
                            .collect();
                    }
                    "event_key" => {
                        p.event_key = Some(
                            scalar_text(v).ok_or_else(|| perr(&path, "expected a field name"))?,
                        );
                    }
                    "origin" => {
                        p.origin = Some(
                            scalar_text(v).ok_or_else(|| perr(&path, "expected a field name"))?,
                        );
                    }
                    "new_origins_gte" => p.new_origins_gte = Some(number(v, &path)?),
                    "without_history_level" => {
                        let t = scalar_text(v).unwrap_or_default();
                        p.without_history_level =
                            Some(t.trim().parse::<Level>().map_err(|e| perr(&path, e))?);
                    }
                    "internal_domains_from" => {
                        p.internal_domains_from = Some(
                            scalar_text(v).ok_or_else(|| perr(&path, "expected a field name"))?,
                        );
                    }
                    "labels" => {
                        let Value::Mapping(m) = v else {
                            return Err(perr(&path, "expected {events: …, values: …}"));
                        };
                        for (lk, lv) in m {
                            let lk = scalar_text(lk).unwrap_or_default();
                            let name = scalar_text(lv)
                                .filter(|n| !n.trim().is_empty())
                                .ok_or_else(|| perr(&path, "expected a label"))?;
                            match lk.as_str() {
                                "events" => p.events_label = name,
                                "values" => p.values_label = name,
                                _ => {
                                    return Err(perr(
                                        &format!("{path}.{lk}"),
                                        "expected 'events' or 'values'",
                                    ));
                                }
                            }
                        }
                    }
                    _ => return Err(perr(&path, format!("unknown parameter '{key}'"))),
                }
            }
            if p.new_origins_gte.is_some() && p.origin.is_none() {
                return Err(perr(
                    "correlation.baseline.new_origins_gte",
                    "needs 'origin': the field saying where an event came from",
                ));
            }
            if p.factor < 1.0 {
                return Err(perr(
                    "correlation.baseline.factor",
                    "a factor below 1 would fire on ordinary windows",
                ));
            }
            Ok(ExtensionParams::Baseline(p))
        }
        CorrelationType::VigilMarked => {
            let refs = match c.get("rules") {
                Some(Value::Sequence(items)) => items.len(),
                _ => 0,
            };
            if refs < 2 {
                return Err(perr(
                    "correlation.rules",
                    "vigil_marked needs two rules or more: the first marks a group, the others are \
                     reported from a marked group",
                ));
            }
            if condition.has_bounds() || condition.field.len() > 1 {
                return Err(perr(
                    "correlation.condition",
                    "vigil_marked takes at most one 'field' (the value reported per wave), no threshold",
                ));
            }
            let mut p = MarkedParams::default();
            for (k, v) in block("marked")?.into_iter().flatten() {
                let key = scalar_text(k).unwrap_or_default();
                let path = format!("correlation.marked.{key}");
                match key.as_str() {
                    "quiet" => {
                        let t = scalar_text(v).unwrap_or_default();
                        p.quiet_secs = parse_timespan(&t).ok_or_else(|| {
                            perr(&path, format!("'{t}' is not a duration like 1d or 12h"))
                        })?;
                    }
                    "max_values" => p.max_values = count(v, &path, MAX_VALUES_CAP)?,
                    _ => return Err(perr(&path, format!("unknown parameter '{key}'"))),
                }
            }
            Ok(ExtensionParams::Marked(p))
        }
        _ => Err(perr("correlation.type", "not a vigil extension")),
    }
}
