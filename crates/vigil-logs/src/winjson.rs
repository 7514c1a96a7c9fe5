//! Windows events exported as JSON, normalised to the EVTX reader's field names so the same Sigma
//! rules apply. Shapes recognised per record:
//!
//! - EVTX rendered to JSON (`evtx_dump -o json`, Chainsaw/Hayabusa input): `{"Event": {"System": …}}`;
//! - Winlogbeat / ECS: `winlog.event_id`, `winlog.channel`, `winlog.event_data.*`, `@timestamp`
//!   (and Winlogbeat 6's top-level `event_id`, `log_name`, `event_data`);
//! - `Get-WinEvent | ConvertTo-Json`: `Id`, `LogName`, `ProviderName`, `MachineName`,
//!   `TimeCreated` (`/Date(ms)/` or ISO), positional `Properties` → `Data` list;
//! - flat JSON (OTRF Security-Datasets, NXLog): `EventID`, `Channel`, `Hostname`, `SourceName`,
//!   `@timestamp`, event data fields at top level.
//!
//! Logsource and value normalisation as for EVTX: product `windows`, service from the channel,
//! Sysmon/PowerShell category; trailing padding trimmed (see [`crate::windows::normalise_fields`]).

use crate::ReadOptions;
use crate::flatten::{Fields, WinFlat, flatten_evtx_json, flatten_into, to_field};
use crate::json_stream::ObjectParser;
use crate::lines::Loc;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};
use vigil_model::{Event, FieldValue, RecordRef, SourceRef};

pub(crate) struct WinJsonParser {
    file: String,
    max_depth: usize,
}

impl WinJsonParser {
    pub(crate) fn new(file: &str, opts: &ReadOptions) -> Self {
        WinJsonParser {
            file: file.to_string(),
            max_depth: opts.max_json_depth,
        }
    }
}

impl ObjectParser for WinJsonParser {
    fn parse_object(&mut self, v: &Value, loc: Loc) -> Result<Event, String> {
        let obj = v.as_object().ok_or("not a JSON object")?;
        let mut flat = if obj.get("Event").is_some_and(|e| e.get("System").is_some()) {
            flatten_evtx_json(v, self.max_depth).ok_or("malformed Event object")?
        } else if let Some(Value::Object(winlog)) = obj.get("winlog") {
            winlogbeat(obj, winlog, self.max_depth)
        } else if obj.contains_key("Id")
            && (obj.contains_key("LogName") || obj.contains_key("ProviderName"))
        {
            get_winevent(obj, self.max_depth)
        } else {
            flat_shape(obj, self.max_depth)
        };
        // The same values as from the EVTX file the record was exported from.
        crate::windows::normalise_fields(&mut flat.fields);
        flat.summarise();
        // As in EVTX, the event time is also a field.
        if let Some(ts) = flat.timestamp {
            flat.fields
                .entry("TimeCreated_SystemTime".to_string())
                .or_insert_with(|| FieldValue::Str(ts.to_string()));
        }
        if flat.event_id.is_none() && flat.channel.is_none() {
            return Err("no EventID or Channel: not a Windows event".to_string());
        }
        let event_type = flat.fields.get("EventType").and_then(|v| v.as_text());
        let logsource = crate::windows::logsource(
            flat.channel.as_deref(),
            flat.event_id,
            event_type.as_deref(),
        );
        Ok(Event {
            timestamp: flat.timestamp,
            host: flat.computer,
            logsource,
            source: SourceRef {
                file: self.file.clone(),
                record: RecordRef::Line(loc.line),
                generation: None,
            },
            fields: flat.fields,
            raw: None,
        })
    }
}

fn ts_of(v: Option<&Value>) -> Option<jiff::Timestamp> {
    let s = v?.as_str()?;
    crate::time::parse_ms_json_date(s).or_else(|| crate::time::parse_iso(s, &TimeZone::UTC))
}

/// Put `v` under `name` as a number when it is a numeric string (System values are numbers in
/// EVTX, strings in several exports).
fn put_num(out: &mut Fields, name: &str, v: &Value) {
    let fv = to_field(v, 2);
    let fv = match &fv {
        FieldValue::Str(s) => s.trim().parse::<i64>().map_or(fv.clone(), FieldValue::Int),
        _ => fv,
    };
    out.insert(name.to_string(), fv);
}

fn winlogbeat(obj: &Map<String, Value>, winlog: &Map<String, Value>, depth: usize) -> WinFlat {
    let mut flat = WinFlat::default();
    let out = &mut flat.fields;
    for (k, v) in obj {
        if k != "winlog" {
            flatten_into(k, v, depth, out);
        }
    }
    for (key, name) in [
        ("event_id", "EventID"),
        ("record_id", "EventRecordID"),
        ("version", "Version"),
    ] {
        if let Some(v) = winlog.get(key) {
            put_num(out, name, v);
        }
    }
    for (key, name) in [
        ("channel", "Channel"),
        ("provider_name", "Provider_Name"),
        ("provider_guid", "Provider_Guid"),
        ("computer_name", "Computer"),
        ("task", "Task"),
        ("opcode", "Opcode"),
        ("keywords", "Keywords"),
        ("activity_id", "Correlation_ActivityID"),
    ] {
        if let Some(v) = winlog.get(key) {
            out.insert(name.to_string(), to_field(v, depth));
        }
    }
    if let Some(uid) = winlog.get("user").and_then(|u| u.get("identifier")) {
        out.insert("Security_UserID".into(), to_field(uid, depth));
    }
    if let Some(p) = winlog.get("process") {
        if let Some(pid) = p.get("pid") {
            put_num(out, "Execution_ProcessID", pid);
        }
        if let Some(tid) = p.get("thread").and_then(|t| t.get("id")) {
            put_num(out, "Execution_ThreadID", tid);
        }
    }
    if let Some(level) = obj.get("log").and_then(|l| l.get("level")) {
        out.insert("Level".into(), to_field(level, depth));
    }
    if let Some(msg) = obj.get("message") {
        out.insert("Message".into(), to_field(msg, depth));
    }
    for data in ["event_data", "user_data"] {
        if let Some(Value::Object(m)) = winlog.get(data) {
            for (k, v) in m {
                out.entry(k.clone()).or_insert_with(|| to_field(v, depth));
            }
        }
    }
    flat.timestamp = ts_of(obj.get("@timestamp"));
    flat
}

fn get_winevent(obj: &Map<String, Value>, depth: usize) -> WinFlat {
    let mut flat = WinFlat::default();
    let out = &mut flat.fields;
    for (k, v) in obj {
        let name = match k.as_str() {
            "Id" => "EventID",
            "RecordId" => "EventRecordID",
            "ProviderName" => "Provider_Name",
            "ProviderId" => "Provider_Guid",
            "LogName" => "Channel",
            "MachineName" => "Computer",
            "ProcessId" => "Execution_ProcessID",
            "ThreadId" => "Execution_ThreadID",
            "Qualifiers" => "EventID_Qualifiers",
            "ActivityId" => "Correlation_ActivityID",
            "Keywords" => {
                // .NET writes the keyword mask as a signed 64-bit number; EVTX shows it in hex.
                let fv = match v.as_i64() {
                    Some(i) => FieldValue::Str(format!("{:#018x}", i as u64)),
                    None => to_field(v, depth),
                };
                out.insert("Keywords".into(), fv);
                continue;
            }
            "UserId" => {
                let sid = v.get("Value").unwrap_or(v);
                out.insert("Security_UserID".into(), to_field(sid, depth));
                continue;
            }
            "Properties" => {
                if let Value::Array(items) = v {
                    let data = items
                        .iter()
                        .map(|p| to_field(p.get("Value").unwrap_or(p), depth))
                        .collect();
                    out.insert("Data".into(), FieldValue::List(data));
                }
                continue;
            }
            "TimeCreated" => continue,
            other => {
                flatten_into(other, v, depth, out);
                continue;
            }
        };
        out.insert(name.to_string(), to_field(v, depth));
    }
    flat.timestamp = ts_of(obj.get("TimeCreated"));
    flat
}

fn flat_shape(obj: &Map<String, Value>, depth: usize) -> WinFlat {
    let mut flat = WinFlat::default();
    let out = &mut flat.fields;
    // Winlogbeat 6 kept event data in a top-level object.
    for (k, v) in obj {
        match k.as_str() {
            "EventID" | "event_id" | "EventRecordID" | "record_number" | "Level" | "Task"
            | "Opcode" | "Version" => {
                let name = match k.as_str() {
                    "event_id" => "EventID",
                    "record_number" => "EventRecordID",
                    other => other,
                };
                put_num(out, name, v);
            }
            "SourceName" | "source_name" | "ProviderName" => {
                out.insert("Provider_Name".into(), to_field(v, depth));
            }
            "ProviderGuid" => {
                out.insert("Provider_Guid".into(), to_field(v, depth));
            }
            "Hostname" | "computer_name" | "MachineName" => {
                out.insert("Computer".into(), to_field(v, depth));
            }
            "log_name" | "LogName" => {
                out.insert("Channel".into(), to_field(v, depth));
            }
            "event_data" | "EventData" | "user_data" | "UserData" => {
                if let Value::Object(m) = v {
                    for (dk, dv) in m {
                        out.entry(dk.clone()).or_insert_with(|| to_field(dv, depth));
                    }
                }
            }
            _ => flatten_into(k, v, depth, out),
        }
    }
    flat.timestamp = ts_of(obj.get("@timestamp"))
        .or_else(|| ts_of(obj.get("TimeCreated")))
        .or_else(|| ts_of(obj.get("EventTime")));
    flat
}
