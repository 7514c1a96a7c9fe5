//! Compact records of the events that feed correlations, and their byte encoding.
//!
//! A correlation needs of each matched event only its time, host, log source, where it came from,
//! the values of the few fields the correlations read (group-by and aggregated fields) and which
//! rules matched it. Holding just that — a few dozen bytes instead of the whole event — lets a hunt
//! keep every such event until it can feed them in time order, in memory up to a budget and in
//! sorted runs on disk beyond it (see [`crate::spool`]).
//!
//! Encoding: unsigned LEB128 integers; strings as a length then UTF-8 bytes; optional strings as
//! 0 (absent) or length + 1. The encoding is private to one hunt (written and read back by the same
//! process), yet decoding checks every length and never panics: a damaged spill file is an error.

use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use vigil_model::{Detection, Event, FieldValue, Level, LogSource, RecordRef, SourceRef};
use vigil_sigma::Engine;

/// Sort key of a record: time, then input file and position in it — the order in which a single
/// reader reading the files one after another would have met the events, sorted by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub secs: i64,
    pub nanos: u32,
    pub file: u32,
    pub seq: u64,
}

impl Key {
    /// Seconds are floored, so that `(secs, nanos)` orders as time does before 1970 too.
    pub(crate) fn new(t: Timestamp, file: u32, seq: u64) -> Key {
        let (secs, nanos) = match t.subsec_nanosecond() {
            n if n < 0 => (t.as_second() - 1, 1_000_000_000 + n),
            n => (t.as_second(), n),
        };
        Key {
            secs,
            nanos: nanos.unsigned_abs(),
            file,
            seq,
        }
    }

    pub(crate) fn timestamp(&self) -> Option<Timestamp> {
        let nanos = i128::from(self.nanos);
        Timestamp::from_nanosecond(i128::from(self.secs) * 1_000_000_000 + nanos).ok()
    }
}

/// What the record encoder needs to know of the engine, computed once per hunt.
#[derive(Debug, Default)]
pub(crate) struct Schema {
    /// Rules whose matches feed a correlation, by key; the index is what a record stores.
    rules: Vec<String>,
    rule_index: HashMap<String, u32>,
    /// Sigma field names the correlations read…
    fields: Vec<String>,
    /// … and, per rule, which of them the correlations it feeds read.
    rule_fields: Vec<Vec<usize>>,
}

impl Schema {
    pub(crate) fn new(engine: &Engine) -> Schema {
        let rules: Vec<String> = engine
            .correlation_inputs()
            .into_iter()
            .map(str::to_string)
            .collect();
        let rule_index = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.clone(), u32::try_from(i).ok()?)))
            .collect();
        let mut fields: Vec<String> = Vec::new();
        let rule_fields = rules
            .iter()
            .map(|r| {
                engine
                    .correlation_fields(r)
                    .into_iter()
                    .map(|f| match fields.iter().position(|g| g == f) {
                        Some(i) => i,
                        None => {
                            fields.push(f.to_string());
                            fields.len() - 1
                        }
                    })
                    .collect()
            })
            .collect();
        Schema {
            rules,
            rule_index,
            fields,
            rule_fields,
        }
    }

    /// Whether a match of this rule feeds a correlation.
    pub(crate) fn feeds(&self, rule_id: &str) -> bool {
        self.rule_index.contains_key(rule_id)
    }

    /// Appends the record of `ev` to `out`; `file_name` is the name its events carry (stored once
    /// per file, not per record). Returns false when no match of `ev` feeds a correlation.
    pub(crate) fn encode<'e>(
        &'e self,
        engine: &'e Engine,
        ev: &Event,
        matches: &[Detection],
        file_name: &str,
        cache: &mut EncodeCache<'e>,
        out: &mut Vec<u8>,
    ) -> bool {
        cache.feeding.clear();
        cache.wanted.clear();
        for (i, d) in matches.iter().enumerate() {
            if let Some(&rule) = self.rule_index.get(&d.rule_id) {
                cache.feeding.push((rule, i));
                for &f in self
                    .rule_fields
                    .get(rule as usize)
                    .map_or(&[][..], |v| &v[..])
                {
                    if !cache.wanted.contains(&f) {
                        cache.wanted.push(f);
                    }
                }
            }
        }
        if cache.feeding.is_empty() {
            return false;
        }
        put_opt_str(out, ev.host.as_deref());
        put_opt_str(out, ev.logsource.product.as_deref());
        put_opt_str(out, ev.logsource.category.as_deref());
        put_opt_str(out, ev.logsource.service.as_deref());
        put_source(out, &ev.source, file_name);
        // Which event fields each Sigma field means depends on the log source only: resolved once
        // per log source, not per event.
        if cache.logsource.as_ref() != Some(&ev.logsource) {
            cache.names = self
                .fields
                .iter()
                .map(|sigma| engine.resolve_field(sigma, ev))
                .collect();
            cache.logsource = Some(ev.logsource.clone());
        }
        // Every event field a read Sigma field may mean, with its value as text (a list: each
        // element): a correlator reads the first of them that holds a value, or all elements of a
        // list, and reads them the same from the record. The count goes first; it is patched once
        // known (one byte, unless a rule set reads 128 fields or more).
        let count_at = out.len();
        out.push(0);
        cache.written.clear();
        for names in cache.wanted.iter().filter_map(|&f| cache.names.get(f)) {
            for &name in names {
                if let Some(value) = ev.fields.get(name)
                    && !cache.written.contains(&name)
                {
                    cache.written.push(name);
                    put_str(out, name);
                    put_value(out, value);
                }
            }
        }
        match (u8::try_from(cache.written.len()), out.get_mut(count_at)) {
            (Ok(n @ 0..=127), Some(slot)) => *slot = n,
            _ => {
                let mut count = Vec::new();
                put_uv(&mut count, cache.written.len() as u64);
                out.splice(count_at..=count_at, count);
            }
        }
        put_uv(out, cache.feeding.len() as u64);
        for &(rule, i) in &cache.feeding {
            let sources = matches.get(i).map_or(&[][..], |d| &d.sources[..]);
            put_uv(out, u64::from(rule));
            put_uv(out, sources.len() as u64);
            for s in sources {
                put_source(out, s, file_name);
            }
        }
        true
    }

    /// Rebuilds the reduced event and its feeding matches from a record, reusing `into`'s
    /// allocations (records are decoded by the million).
    pub(crate) fn decode(
        &self,
        key: &Key,
        body: &[u8],
        file_name: &str,
        into: &mut Decoded,
    ) -> Result<(), BadRecord> {
        let mut r = Reader { buf: body, pos: 0 };
        let ev = &mut into.event;
        ev.timestamp = key.timestamp();
        set_opt(&mut ev.host, r.opt_str()?);
        set_opt(&mut ev.logsource.product, r.opt_str()?);
        set_opt(&mut ev.logsource.category, r.opt_str()?);
        set_opt(&mut ev.logsource.service, r.opt_str()?);
        r.source(file_name, &mut ev.source)?;
        let n = r.count()?;
        let mut seen: Vec<&str> = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.str()?;
            seen.push(name);
            match ev.fields.get_mut(name) {
                Some(slot) => r.value(slot)?,
                None => {
                    let mut value = FieldValue::Null;
                    r.value(&mut value)?;
                    ev.fields.insert(name.to_string(), value);
                }
            }
        }
        ev.fields.retain(|k, _| seen.contains(&k.as_str()));
        let n = r.count()?;
        into.matches.truncate(n);
        for i in 0..n {
            let rule = usize::try_from(r.uv()?).map_err(|_| BadRecord)?;
            let rule = self.rules.get(rule).ok_or(BadRecord)?;
            if into.matches.len() <= i {
                into.matches.push(empty_detection());
            }
            let d = into.matches.get_mut(i).ok_or(BadRecord)?;
            if d.rule_id != *rule {
                d.rule_id.clone_from(rule);
            }
            d.timestamp = ev.timestamp;
            let ns = r.count()?;
            d.sources.truncate(ns);
            for j in 0..ns {
                if d.sources.len() <= j {
                    d.sources.push(SourceRef {
                        file: String::new(),
                        record: RecordRef::Line(0),
                        generation: None,
                    });
                }
                let s = d.sources.get_mut(j).ok_or(BadRecord)?;
                r.source(file_name, s)?;
            }
        }
        if r.pos == body.len() {
            Ok(())
        } else {
            Err(BadRecord)
        }
    }
}

/// What [`Schema::encode`] keeps between events of one reader.
#[derive(Debug, Default)]
pub(crate) struct EncodeCache<'e> {
    logsource: Option<LogSource>,
    /// Per Sigma field the correlations read: the event fields it means for `logsource`.
    names: Vec<Vec<&'e str>>,
    /// (rule index, match index) of the matches that feed a correlation…
    feeding: Vec<(u32, usize)>,
    /// … and the fields (indices into `Schema::fields`) their correlations read.
    wanted: Vec<usize>,
    /// Event fields written to the record being encoded.
    written: Vec<&'e str>,
}

/// A record that does not decode: the spill file was damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadRecord;

/// A decoded record: the event reduced to what correlations read, and its feeding matches (rule and
/// sources only: that is all a correlator takes of them).
#[derive(Debug)]
pub(crate) struct Decoded {
    pub event: Event,
    pub matches: Vec<Detection>,
}

impl Default for Decoded {
    fn default() -> Self {
        Decoded {
            event: Event {
                timestamp: None,
                host: None,
                logsource: LogSource::default(),
                source: SourceRef {
                    file: String::new(),
                    record: RecordRef::Line(0),
                    generation: None,
                },
                fields: BTreeMap::new(),
                raw: None,
            },
            matches: Vec::new(),
        }
    }
}

fn empty_detection() -> Detection {
    Detection {
        rule_id: String::new(),
        rule_title: String::new(),
        level: Level::Informational,
        tags: Vec::new(),
        timestamp: None,
        first_seen: None,
        host: None,
        sources: Vec::new(),
        matched: Vec::new(),
    }
}

fn set_opt(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(s), Some(v)) if s == v => {}
        (_, Some(v)) => *slot = Some(v.to_string()),
        (_, None) => *slot = None,
    }
}

pub(crate) fn put_uv(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uv(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            put_uv(out, s.len() as u64 + 1);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// A field value as a correlator reads it: its text (numbers and booleans as text), no text (null),
/// or a list of elements each with or without text.
fn put_value(out: &mut Vec<u8>, v: &FieldValue) {
    match v {
        FieldValue::List(items) => {
            out.push(2);
            put_uv(out, items.len() as u64);
            for item in items {
                put_opt_str(out, item.as_text().as_deref());
            }
        }
        other => match other.as_text() {
            Some(text) => {
                out.push(1);
                put_str(out, &text);
            }
            None => out.push(0),
        },
    }
}

/// A source: the record (kind and number) and its file, stored as "the file's own name" when it
/// is (always, for the readers of today) and written out otherwise.
fn put_source(out: &mut Vec<u8>, s: &SourceRef, file_name: &str) {
    let (kind, n) = match s.record {
        RecordRef::EvtxRecord(n) => (0u8, n),
        RecordRef::Line(n) => (1, n),
        RecordRef::Offset(n) => (2, n),
    };
    if s.file == file_name {
        out.push(kind);
    } else {
        out.push(kind | 4);
        put_str(out, &s.file);
    }
    put_uv(out, n);
}

/// Reads the encoding back; every method fails on a short or malformed buffer.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn uv(&mut self) -> Result<u64, BadRecord> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or(BadRecord)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f).checked_shl(shift).ok_or(BadRecord)?;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(BadRecord)
    }

    /// A count of items that each take at least one byte: never more than the bytes left, so a
    /// damaged count cannot make the caller reserve memory.
    fn count(&mut self) -> Result<usize, BadRecord> {
        let n = usize::try_from(self.uv()?).map_err(|_| BadRecord)?;
        if n > self.buf.len().saturating_sub(self.pos) {
            return Err(BadRecord);
        }
        Ok(n)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], BadRecord> {
        let end = self.pos.checked_add(n).ok_or(BadRecord)?;
        let b = self.buf.get(self.pos..end).ok_or(BadRecord)?;
        self.pos = end;
        Ok(b)
    }

    fn str(&mut self) -> Result<&'a str, BadRecord> {
        let n = usize::try_from(self.uv()?).map_err(|_| BadRecord)?;
        std::str::from_utf8(self.bytes(n)?).map_err(|_| BadRecord)
    }

    fn opt_str(&mut self) -> Result<Option<&'a str>, BadRecord> {
        match self.uv()? {
            0 => Ok(None),
            n => {
                let n = usize::try_from(n - 1).map_err(|_| BadRecord)?;
                std::str::from_utf8(self.bytes(n)?)
                    .map(Some)
                    .map_err(|_| BadRecord)
            }
        }
    }

    /// A value written by `put_value`, into `slot` (reusing its text when it holds one).
    fn value(&mut self, slot: &mut FieldValue) -> Result<(), BadRecord> {
        match self.bytes(1)?.first() {
            Some(0) => *slot = FieldValue::Null,
            Some(1) => {
                let text = self.str()?;
                match slot {
                    FieldValue::Str(s) => {
                        s.clear();
                        s.push_str(text);
                    }
                    _ => *slot = FieldValue::from(text),
                }
            }
            Some(2) => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.opt_str()?.map_or(FieldValue::Null, FieldValue::from));
                }
                *slot = FieldValue::List(items);
            }
            _ => return Err(BadRecord),
        }
        Ok(())
    }

    fn source(&mut self, file_name: &str, into: &mut SourceRef) -> Result<(), BadRecord> {
        let tag = *self.bytes(1)?.first().ok_or(BadRecord)?;
        let file = if tag & 4 != 0 { self.str()? } else { file_name };
        if into.file != file {
            into.file = file.to_string();
        }
        let n = self.uv()?;
        into.record = match tag & 3 {
            0 => RecordRef::EvtxRecord(n),
            1 => RecordRef::Line(n),
            2 => RecordRef::Offset(n),
            _ => return Err(BadRecord),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sigma::{Correlator, FieldMapping, Mappings, parse_rules_str};

    /// A base rule and correlations of every kind that reads fields: a Sigma count per client
    /// (an integer field), vigil's new-value extension over a list whose first element has no
    /// text, and its baseline extension over a list of recipients with learned internal domains
    /// and an event key.
    const RULES: &str = "title: Message
id: msg
name: msg
logsource:
    product: test
detection:
    sel:
        EventID: 3
    condition: sel
---
title: Busy client
id: busy
correlation:
    type: event_count
    rules: [msg]
    group-by: [client]
    timespan: 6h
    condition:
        gte: 4
---
title: New network
id: newnet
correlation:
    type: vigil_new_value
    rules: [msg]
    group-by: [sender]
    timespan: 30d
    condition:
        field: nets
    new_value:
        learning: 1d
        min_events: 2
---
title: Many recipients
id: many
correlation:
    type: vigil_baseline
    rules: [msg]
    group-by: [sender]
    timespan: 1d
    condition:
        field: recipients
        gte: 5
    baseline:
        factor: 2
        minimum: 3
        history: 5
        internal_domains_from: from
        event_key: msgid
";

    fn text_list(items: &[&str]) -> FieldValue {
        FieldValue::List(items.iter().map(|&t| FieldValue::from(t)).collect())
    }

    /// Events of three senders over ten days; the lists vary in length and content.
    fn events() -> Vec<Event> {
        (0..400u64)
            .map(|i| {
                let sender = format!("user{}@clinic.example", i % 3);
                let day = i / 40;
                let recipients: Vec<String> = (0..(i % 7 + day % 3))
                    .map(|r| {
                        format!(
                            "r{r}x{}@{}",
                            i % 5,
                            if r % 2 == 0 {
                                "ext.example"
                            } else {
                                "clinic.example"
                            }
                        )
                    })
                    .collect();
                let recipients: Vec<&str> = recipients.iter().map(String::as_str).collect();
                let mut fields = BTreeMap::new();
                fields.insert("EventID".to_string(), FieldValue::Int(3));
                fields.insert("sender".to_string(), FieldValue::from(sender.as_str()));
                fields.insert("client".to_string(), FieldValue::Int((i % 4) as i64));
                fields.insert("recipients".to_string(), text_list(&recipients));
                fields.insert(
                    "nets".to_string(),
                    FieldValue::List(vec![
                        FieldValue::Null,
                        FieldValue::from(format!("10.{}.0.0/24", (i / 90) % 3 + i % 2)),
                    ]),
                );
                // One message, two events (as message tracking logs receive and deliver it).
                if i % 10 == 0 {
                    fields.insert("net_list".to_string(), FieldValue::List(Vec::new()));
                }
                fields.insert(
                    "msgid".to_string(),
                    FieldValue::from(format!("<m{}-{}>", i % 3, i / 6)),
                );
                fields.insert("from".to_string(), FieldValue::from(sender.as_str()));
                fields.insert("unrelated".to_string(), FieldValue::from("x".repeat(50)));
                Event {
                    timestamp: Timestamp::from_second(1_628_000_000 + (i * 1300) as i64).ok(),
                    host: Some("mx1".into()),
                    logsource: LogSource::new(Some("test"), None, None),
                    source: SourceRef {
                        file: "mail.json".into(),
                        record: RecordRef::Line(i + 1),
                        generation: None,
                    },
                    fields,
                    raw: Some("the whole line".into()),
                }
            })
            .collect()
    }

    /// Every correlation gives the same detections from the decoded records as from the events.
    #[test]
    fn decoded_records_correlate_as_the_whole_events() {
        let (set, errors) = parse_rules_str(RULES, "rules.yml");
        assert!(errors.is_empty(), "{errors:?}");
        // `nets` means two event fields: the first, an empty list on some events, stops a
        // correlator reading every element (there are none) but not one reading the first.
        let mut mapping = FieldMapping::default();
        mapping.insert("nets", &["net_list", "nets"]);
        let mut mappings = Mappings::new();
        mappings.attach(LogSource::new(Some("test"), None, None), mapping);
        let (engine, errors) = Engine::compile(&set, &mappings);
        assert!(errors.is_empty(), "{errors:?}");
        let schema = Schema::new(&engine);
        let (mut whole, mut compact) = (Correlator::new(&engine), Correlator::new(&engine));
        let (mut from_whole, mut from_compact) = (Vec::new(), Vec::new());
        let mut cache = EncodeCache::default();
        let mut decoded = Decoded::default();
        let mut matches = Vec::new();
        for (seq, ev) in events().iter().enumerate() {
            matches.clear();
            engine.all_matches(ev, &mut matches);
            whole.feed(ev, &matches, &mut from_whole);
            let mut body = Vec::new();
            assert!(schema.encode(&engine, ev, &matches, "mail.json", &mut cache, &mut body));
            let key = Key::new(ev.timestamp.unwrap(), 0, seq as u64);
            schema
                .decode(&key, &body, "mail.json", &mut decoded)
                .unwrap();
            assert!(!decoded.event.fields.contains_key("unrelated"));
            compact.feed(&decoded.event, &decoded.matches, &mut from_compact);
        }
        whole.finish(&mut from_whole);
        compact.finish(&mut from_compact);
        let json = |v: &[Detection]| -> Vec<String> {
            v.iter()
                .map(|d| serde_json::to_string(d).unwrap())
                .collect()
        };
        for title in ["Busy client", "New network", "Many recipients"] {
            assert!(
                from_whole.iter().any(|d| d.rule_title == title),
                "{title} never fires: the test would prove nothing"
            );
        }
        assert!(
            json(&from_whole) == json(&from_compact),
            "decoded records correlate differently"
        );
    }

    #[test]
    fn varints_round_trip_and_reject_damage() {
        let mut buf = Vec::new();
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            buf.clear();
            put_uv(&mut buf, v);
            assert_eq!(Reader { buf: &buf, pos: 0 }.uv(), Ok(v));
        }
        // Eleven continuation bytes, a cut varint, a string longer than the buffer.
        assert!(
            Reader {
                buf: &[0xff; 11],
                pos: 0
            }
            .uv()
            .is_err()
        );
        assert!(
            Reader {
                buf: &[0x80],
                pos: 0
            }
            .uv()
            .is_err()
        );
        assert!(
            Reader {
                buf: &[5, b'a'],
                pos: 0
            }
            .str()
            .is_err()
        );
        assert!(
            Reader {
                buf: &[0xff, 0xff, 0xff, 0xff, 0x0f],
                pos: 0
            }
            .count()
            .is_err()
        );
    }

    #[test]
    fn keys_order_by_time_then_file_then_position() {
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        let mut keys = [
            Key::new(t(20), 0, 1),
            Key::new(t(10), 1, 0),
            Key::new(t(10), 0, 7),
            Key::new(t(10), 0, 2),
        ];
        keys.sort();
        let order: Vec<(i64, u32, u64)> = keys.iter().map(|k| (k.secs, k.file, k.seq)).collect();
        assert_eq!(order, [(10, 0, 2), (10, 0, 7), (10, 1, 0), (20, 0, 1)]);
        let before = Timestamp::new(-5, -300).unwrap();
        let after = Timestamp::new(-5, 0).unwrap();
        assert_eq!(Key::new(before, 0, 0).timestamp(), Some(before));
        assert!(Key::new(before, 0, 0) < Key::new(after, 0, 0));
    }
}
