//! The live readers' line decoder (`vigil_logs::stream::LineDecoder`), which `vigil serve`'s tailer
//! and syslog listener feed one line at a time, keeping each format's state (IIS `#Fields:`, JSON
//! lines, year-less syslog) between calls. The first byte picks the format and how the reference
//! time moves; the rest is split into lines. Beyond not panicking or hanging, the decoder must count
//! every line it could not use (never more failures than lines) and keep its failure list bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use vigil_logs::stream::{LineDecoder, LinePos};
use vigil_logs::{Format, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let formats: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|f| *f != Format::Evtx)
        .collect();
    let Some(&format) = formats.get(usize::from(pick) % formats.len().max(1)) else {
        return;
    };
    let opts = ReadOptions {
        max_line_bytes: 4096,
        max_failures_kept: 16,
        ..ReadOptions::default()
    };
    let Some(mut dec) = LineDecoder::new(format, "fuzz.log", Path::new("fuzz.log"), &opts) else {
        return;
    };
    let mut offset = 0u64;
    let mut lines = 0u64;
    for (i, line) in rest.split(|b| *b == b'\n').enumerate() {
        if pick & 0x80 != 0 && i % 7 == 3 {
            // A live log decoded across midnight or New Year: the year basis moves.
            if let Ok(t) = "2027-01-01T00:00:05Z".parse() {
                dec.set_reference_time(t);
            }
        }
        lines += 1;
        let _ = dec.decode(
            line,
            LinePos {
                line: lines,
                offset,
            },
        );
        offset += line.len() as u64 + 1;
    }
    let _ = dec.finish();
    let stats = dec.stats();
    assert!(
        stats.failed <= lines + 1,
        "{} failures for {lines} lines",
        stats.failed
    );
    assert!(
        stats.failures.len() <= 16,
        "failure list not bounded: {}",
        stats.failures.len()
    );
});
