//! Turning JSON into flat field maps: generic dotted-key flattening, and the Windows event shape
//! (`{"Event": {"System": …, "EventData": …}}`, as the EVTX parser renders a record) flattened the
//! way Sigma's Windows rules name fields: `EventID`, `Channel`, `Provider_Name`,
//! `Security_UserID`, and each `<Data Name="X">` as `X`.
//!
//! The functions work on any [`Json`] tree: `serde_json::Value` (JSON logs) and the borrowed tree
//! the EVTX reader builds from the `evtx` crate's JSON text (see `json_tree`), so both readers
//! flatten a record by the same rules.

use jiff::Timestamp;
use serde_json::Value;
use std::collections::BTreeMap;
use vigil_model::FieldValue;

pub(crate) type Fields = BTreeMap<String, FieldValue>;

/// One JSON value seen through [`Json::view`].
pub(crate) enum View<'a, J> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    Big(u64),
    Float(f64),
    Str(&'a str),
    Array(&'a [J]),
    Object,
}

/// What flattening needs of a parsed JSON value.
pub(crate) trait Json: Sized {
    fn view(&self) -> View<'_, Self>;
    /// The member `key` of an object (`None` for anything else).
    fn get(&self, key: &str) -> Option<&Self>;
    /// Calls `f` with each member of an object, in the tree's order (nothing for other values).
    fn for_each_member(&self, f: &mut dyn FnMut(&str, &Self));
    /// Compact JSON text with object keys in sorted order, as `serde_json::Value` prints it.
    fn json_text(&self) -> String;

    fn is_object(&self) -> bool {
        matches!(self.view(), View::Object)
    }
}

impl Json for Value {
    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    View::Int(i)
                } else if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                    View::Float(f)
                } else {
                    View::Big(n.as_u64().unwrap_or(u64::MAX))
                }
            }
            Value::String(s) => View::Str(s),
            Value::Array(items) => View::Array(items),
            Value::Object(_) => View::Object,
        }
    }

    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object().and_then(|m| m.get(key))
    }

    fn for_each_member(&self, f: &mut dyn FnMut(&str, &Self)) {
        if let Value::Object(map) = self {
            for (k, v) in map {
                f(k, v);
            }
        }
    }

    fn json_text(&self) -> String {
        self.to_string()
    }
}

/// A JSON scalar or array as a field value. Objects inside arrays, and anything nested deeper
/// than `depth_left`, are kept as their JSON text.
pub(crate) fn to_field<J: Json>(v: &J, depth_left: usize) -> FieldValue {
    match v.view() {
        View::Null => FieldValue::Null,
        View::Bool(b) => FieldValue::Bool(b),
        View::Int(i) => FieldValue::Int(i),
        View::Float(f) => FieldValue::Float(f),
        View::Big(u) => FieldValue::Str(u.to_string()),
        View::Str(s) => FieldValue::Str(s.to_string()),
        View::Array(items) if depth_left > 0 => FieldValue::List(
            items
                .iter()
                .map(|i| {
                    if i.is_object() {
                        FieldValue::Str(i.json_text())
                    } else {
                        to_field(i, depth_left - 1)
                    }
                })
                .collect(),
        ),
        View::Array(_) | View::Object => FieldValue::Str(v.json_text()),
    }
}

/// Flatten `v` into `out` under `prefix` (dotted keys for nested objects).
pub(crate) fn flatten_into<J: Json>(prefix: &str, v: &J, depth_left: usize, out: &mut Fields) {
    if depth_left > 0 && v.is_object() {
        v.for_each_member(&mut |k, child| {
            let key = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            flatten_into(&key, child, depth_left - 1, out);
        });
    } else {
        out.insert(prefix.to_string(), to_field(v, depth_left));
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
fn element_value<J: Json>(v: &J, depth_left: usize) -> Option<FieldValue> {
    if v.is_object() {
        v.get("#text").map(|t| to_field(t, depth_left))
    } else {
        Some(to_field(v, depth_left))
    }
}

/// An object that is not an element rendered with its text: a nested structure.
fn is_structure<J: Json>(v: &J) -> bool {
    v.is_object() && v.get("#text").is_none()
}

/// Flatten a rendered EVTX record (`{"Event": {...}}`). `None` if it has no `Event` object.
pub(crate) fn flatten_evtx_json<J: Json>(root: &J, max_depth: usize) -> Option<WinFlat> {
    let event = root.get("Event").filter(|e| e.is_object())?;
    let mut flat = WinFlat::default();
    let out = &mut flat.fields;
    if let Some(system) = event.get("System").filter(|s| s.is_object()) {
        flatten_system(system, max_depth, out);
    }
    event.for_each_member(&mut |name, body| match name {
        "System" | "#attributes" => {}
        "EventData" => flatten_event_data(body, max_depth, out),
        "UserData" => flatten_user_data(body, max_depth, out),
        // RenderingInfo (localised message) and anything else: keep, dotted.
        other => flatten_into(other, body, max_depth, out),
    });
    flat.summarise();
    Some(flat)
}

/// `System` children: an element's text under its name, each attribute as `Element_Attribute`.
fn flatten_system<J: Json>(system: &J, max_depth: usize, out: &mut Fields) {
    system.for_each_member(&mut |name, v| {
        if v.is_object() {
            if let Some(t) = v.get("#text") {
                out.insert(name.to_string(), to_field(t, max_depth));
            }
            if let Some(attrs) = v.get("#attributes") {
                attrs.for_each_member(&mut |attr, av| {
                    out.insert(format!("{name}_{attr}"), to_field(av, max_depth));
                });
            }
        } else {
            out.insert(name.to_string(), to_field(v, max_depth));
        }
    });
}

/// `EventData`: named `Data` elements arrive as `"Name": value`; unnamed ones as
/// `"Data": {"#text": value-or-list}`, kept as the `Data` field (a list when several).
fn flatten_event_data<J: Json>(body: &J, max_depth: usize, out: &mut Fields) {
    if !body.is_object() {
        if let Some(v) = element_value(body, max_depth).filter(|v| *v != FieldValue::Null) {
            out.insert("Data".to_string(), v);
        }
        return;
    }
    body.for_each_member(&mut |name, v| {
        if name == "#attributes" {
            return;
        }
        if is_structure(v) {
            flatten_into(name, v, max_depth.saturating_sub(1), out);
        } else if let Some(fv) = element_value(v, max_depth) {
            out.entry(name.to_string()).or_insert(fv);
        }
    });
}

/// `UserData` holds one provider-specific element; its children become fields by their names
/// (as Chainsaw and Zircolite do), without overwriting `System` fields.
fn flatten_user_data<J: Json>(body: &J, max_depth: usize, out: &mut Fields) {
    body.for_each_member(&mut |wrapper, inner| {
        if !is_structure(inner) {
            if let Some(fv) = element_value(inner, max_depth) {
                out.entry(wrapper.to_string()).or_insert(fv);
            }
            return;
        }
        inner.for_each_member(&mut |name, v| {
            if name == "#attributes" {
                return;
            }
            if is_structure(v) {
                let mut nested = Fields::new();
                flatten_into(name, v, max_depth.saturating_sub(2), &mut nested);
                for (k, nv) in nested {
                    out.entry(k).or_insert(nv);
                }
            } else if let Some(fv) = element_value(v, max_depth) {
                out.entry(name.to_string()).or_insert(fv);
            }
        });
    });
}
