//! Generic JSON lines: each object flattened with dotted keys (`a.b.c`), arrays as lists, nesting
//! bounded by `ReadOptions::max_json_depth`. No logsource is known for arbitrary JSON; the
//! timestamp is taken from the first of the usual keys that parses.

use crate::ReadOptions;
use crate::flatten::{Fields, flatten_into};
use crate::json_stream::ObjectParser;
use crate::lines::Loc;
use serde_json::Value;
use vigil_model::{Event, LogSource, RecordRef, SourceRef};

/// Keys tried, in order, for the event time.
const TIME_KEYS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "datetime",
    "date",
    "eventTime",
    "EventTime",
];

const HOST_KEYS: &[&str] = &["host.name", "hostname", "host", "computer", "Computer"];

pub(crate) struct JsonlParser {
    file: String,
    max_depth: usize,
}

impl JsonlParser {
    pub(crate) fn new(file: &str, opts: &ReadOptions) -> Self {
        JsonlParser {
            file: file.to_string(),
            max_depth: opts.max_json_depth,
        }
    }
}

impl ObjectParser for JsonlParser {
    fn parse_object(&mut self, v: &Value, loc: Loc) -> Result<Event, String> {
        if !v.is_object() {
            return Err("not a JSON object".to_string());
        }
        let mut fields = Fields::new();
        flatten_into("", v, self.max_depth, &mut fields);
        let timestamp = TIME_KEYS.iter().find_map(|k| {
            let fv = fields.get(*k)?;
            match fv {
                vigil_model::FieldValue::Int(n) => {
                    // Epoch seconds or milliseconds.
                    if *n > 100_000_000_000 {
                        jiff::Timestamp::from_millisecond(*n).ok()
                    } else {
                        jiff::Timestamp::from_second(*n).ok()
                    }
                }
                other => crate::time::parse_iso(&other.as_text()?, &jiff::tz::TimeZone::UTC),
            }
        });
        let host = HOST_KEYS.iter().find_map(|k| {
            fields
                .get(*k)
                .and_then(|v| v.as_text())
                .map(|s| s.into_owned())
        });
        Ok(Event {
            timestamp,
            host,
            logsource: LogSource::default(),
            source: SourceRef {
                file: self.file.clone(),
                record: RecordRef::Line(loc.line),
                generation: None,
            },
            fields,
            raw: None,
        })
    }
}
