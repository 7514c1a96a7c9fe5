//! What `vigil serve`'s syslog listener does with received bytes, without sockets
//! (`vigil_ingest::framing`): RFC 6587 framing of a TCP stream (octet counting and newline
//! framing, mixed per frame), then RFC 3164/5424 decoding of every message; and the whole input
//! decoded as one UDP datagram. The first byte picks the message size limit and the read buffer's
//! capacity (so frames straddle refills). Beyond not panicking or hanging: no message held above
//! the limit, every frame consumes input (the stream ends), and events keep their message number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::BufReader;
use vigil_ingest::framing::{Frame, decode_message, message_decoder, read_frame};
use vigil_logs::ReadOptions;
use vigil_model::RecordRef;

const LIMITS: [usize; 4] = [16, 480, 2048, 8192];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let max = LIMITS[usize::from(pick & 3)];
    let capacity = usize::from(pick >> 2).max(1);
    let Ok(now) = "2026-12-04T12:00:00Z".parse() else {
        return;
    };
    let Some(mut dec) = message_decoder("syslog/tcp", &ReadOptions::default(), max) else {
        return;
    };
    let mut reader = BufReader::with_capacity(capacity, rest);
    let mut frames = 0usize;
    let mut n = 0u64;
    loop {
        frames += 1;
        // Every frame consumes at least one byte: more frames than bytes is a loop.
        assert!(
            frames <= rest.len() + 1,
            "{frames} frames from {} bytes",
            rest.len()
        );
        match read_frame(&mut reader, max) {
            Ok(Frame::Message(msg)) => {
                let held_ok =
                    msg.len() <= max || (msg.len() == max + 1 && msg.last() == Some(&b'\n'));
                assert!(
                    held_ok,
                    "a message of {} bytes held with a limit of {max}",
                    msg.len()
                );
                n += 1;
                if let Some(ev) = decode_message(&mut dec, &msg, n, now) {
                    assert_eq!(ev.source.record, RecordRef::Line(n));
                }
            }
            Ok(Frame::Oversize) => {}
            Ok(Frame::End) | Err(_) => break,
        }
    }
    // The same bytes as one UDP datagram (the listener drops datagrams above the limit).
    if rest.len() <= max
        && let Some(mut udp) = message_decoder("syslog/udp", &ReadOptions::default(), max)
        && let Some(ev) = decode_message(&mut udp, rest, 1, now)
    {
        assert_eq!(ev.source.record, RecordRef::Line(1));
    }
});
