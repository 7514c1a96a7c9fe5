#![allow(dead_code)]

use std::path::PathBuf;
use vigil_logs::{FileStats, ReadOptions};
use vigil_model::{Event, FieldValue};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read(name: &str, opts: &ReadOptions) -> (Vec<Event>, FileStats) {
    let mut events = Vec::new();
    let stats = vigil_logs::read_path(&fixture(name), opts, &mut |e| events.push(e))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let file = stats.files.into_iter().next().expect("one file");
    (events, file)
}

pub fn s<'a>(e: &'a Event, k: &str) -> Option<&'a str> {
    match e.fields.get(k) {
        Some(FieldValue::Str(v)) => Some(v.as_str()),
        _ => None,
    }
}

pub fn int(e: &Event, k: &str) -> Option<i64> {
    match e.fields.get(k) {
        Some(FieldValue::Int(v)) => Some(*v),
        _ => None,
    }
}
