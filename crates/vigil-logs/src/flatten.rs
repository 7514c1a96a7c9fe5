//! Turning JSON into flat field maps: generic dotted-key flattening, and the Windows event shape
//! (`{"Event": {"System": …, "EventData": …}}`, as the EVTX parser renders a record) flattened the
//! way Sigma's Windows rules name fields: `EventID`, `Channel`, `Provider_Name`,
//! `Security_UserID`, and each `<Data Name="X">` as `X`.

use jiff::Timestamp;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use vigil_model::FieldValue;

pub(crate) type Fields = BTreeMap<String, FieldValue>;

/// A JSON scalar or array as a field value. Objects inside arrays, and anything nested deeper
/// than `depth_left`, are kept as their JSON text.
pub(crate) fn to_field(v: &Value, depth_left: usize) -> FieldValue {
    match v {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                FieldValue::Int(i)
            } else if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                FieldValue::Float(f)
            } else {
                FieldValue::Str(n.to_string())
            }
        }
        Value::String(s) => FieldValue::Str(s.clone()),
        Value::Array(items) if depth_left > 0 => FieldValue::List(
            items
                .iter()
                .map(|i| match i {
                    Value::Object(_) => FieldValue::Str(i.to_string()),
                    other => to_field(other, depth_left - 1),
                })
                .collect(),
        ),
        other => FieldValue::Str(other.to_string()),
    }
}

/// Flatten `v` into `out` under `prefix` (dotted keys for nested objects).
pub(crate) fn flatten_into(prefix: &str, v: &Value, depth_left: usize, out: &mut Fields) {
    match v {
        Value::Object(map) if depth_left > 0 => {
            for (k, child) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(&key, child, depth_left - 1, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), to_field(other, depth_left));
        }
    }
}

/// A Windows event flattened, with the values the reader needs to place it.
#[derive(Debug, Default)]
pub(crate) struct WinFlat {
    pub fields: Fields,
    pub timestamp: Option<Timestamp>,
    pub computer: Option<String>,
    pub channel: Option<String>,
    pub event_id: Option<i64>,
    pub record_id: Option<u64>,
}

impl WinFlat {
    /// Fill the summary values from the flattened fields.
    pub(crate) fn summarise(&mut self) {
        self.channel = text(self.fields.get("Channel"));
        self.computer = text(self.fields.get("Computer"));
        self.event_id = self.fields.get("EventID").and_then(int);
        self.record_id = self
            .fields
            .get("EventRecordID")
            .and_then(int)
            .and_then(|i| u64::try_from(i).ok());
        if self.timestamp.is_none() {
            self.timestamp = self
                .fields
                .get("TimeCreated_SystemTime")
                .and_then(|v| v.as_text())
                .and_then(|s| crate::time::parse_iso(&s, &jiff::tz::TimeZone::UTC));
        }
    }
}

pub(crate) fn text(v: Option<&FieldValue>) -> Option<String> {
    v.and_then(|v| v.as_text()).map(|s| s.into_owned())
}

pub(crate) fn int(v: &FieldValue) -> Option<i64> {
    match v {
        FieldValue::Int(i) => Some(*i),
        FieldValue::Str(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => i64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        }
        FieldValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
        _ => None,
    }
}

/// The text of an element rendered as `{"#text": …, "#attributes": …}`, or the value itself.
fn element_value(v: &Value, depth_left: usize) -> Option<FieldValue> {
    match v {
        Value::Object(map) => map.get("#text").map(|t| to_field(t, depth_left)),
        other => Some(to_field(other, depth_left)),
    }
}

/// Flatten a rendered EVTX record (`{"Event": {...}}`). `None` if it has no `Event` object.
pub(crate) fn flatten_evtx_json(root: &Value, max_depth: usize) -> Option<WinFlat> {
    let event = root.get("Event")?.as_object()?;
    let mut flat = WinFlat::default();
    let out = &mut flat.fields;
    if let Some(system) = event.get("System").and_then(Value::as_object) {
        flatten_system(system, max_depth, out);
    }
    for (name, body) in event {
        match name.as_str() {
            "System" | "#attributes" => {}
            "EventData" => flatten_event_data(body, max_depth, out),
            "UserData" => flatten_user_data(body, max_depth, out),
            // RenderingInfo (localised message) and anything else: keep, dotted.
            other => flatten_into(other, body, max_depth, out),
        }
    }
    flat.summarise();
    Some(flat)
}

/// `System` children: an element's text under its name, each attribute as `Element_Attribute`.
fn flatten_system(system: &Map<String, Value>, max_depth: usize, out: &mut Fields) {
    for (name, v) in system {
        match v {
            Value::Object(map) => {
                if let Some(t) = map.get("#text") {
                    out.insert(name.clone(), to_field(t, max_depth));
                }
                if let Some(Value::Object(attrs)) = map.get("#attributes") {
                    for (attr, av) in attrs {
                        out.insert(format!("{name}_{attr}"), to_field(av, max_depth));
                    }
                }
            }
            other => {
                out.insert(name.clone(), to_field(other, max_depth));
            }
        }
    }
}

/// `EventData`: named `Data` elements arrive as `"Name": value`; unnamed ones as
/// `"Data": {"#text": value-or-list}`, kept as the `Data` field (a list when several).
fn flatten_event_data(body: &Value, max_depth: usize, out: &mut Fields) {
    let Value::Object(map) = body else {
        if let Some(v) = element_value(body, max_depth).filter(|v| *v != FieldValue::Null) {
            out.insert("Data".to_string(), v);
        }
        return;
    };
    for (name, v) in map {
        if name == "#attributes" {
            continue;
        }
        match v {
            Value::Object(inner) if !inner.contains_key("#text") => {
                flatten_into(name, v, max_depth.saturating_sub(1), out);
            }
            _ => {
                if let Some(fv) = element_value(v, max_depth) {
                    out.entry(name.clone()).or_insert(fv);
                }
            }
        }
    }
}

/// `UserData` holds one provider-specific element; its children become fields by their names
/// (as Chainsaw and Zircolite do), without overwriting `System` fields.
fn flatten_user_data(body: &Value, max_depth: usize, out: &mut Fields) {
    let Value::Object(map) = body else { return };
    for (wrapper, inner) in map {
        match inner {
            Value::Object(children) if !children.contains_key("#text") => {
                for (name, v) in children {
                    if name == "#attributes" {
                        continue;
                    }
                    let fv = match v {
                        Value::Object(m) if !m.contains_key("#text") => {
                            let mut nested = Fields::new();
                            flatten_into(name, v, max_depth.saturating_sub(2), &mut nested);
                            for (k, nv) in nested {
                                out.entry(k).or_insert(nv);
                            }
                            continue;
                        }
                        _ => element_value(v, max_depth),
                    };
                    if let Some(fv) = fv {
                        out.entry(name.clone()).or_insert(fv);
                    }
                }
            }
            _ => {
                if let Some(fv) = element_value(inner, max_depth) {
                    out.entry(wrapper.clone()).or_insert(fv);
                }
            }
        }
    }
}
