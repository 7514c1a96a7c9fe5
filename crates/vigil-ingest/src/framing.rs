//! What a syslog listener does with received bytes, without sockets: RFC 6587 framing of a TCP
//! stream (octet counting `LEN SP MSG`, or newline-terminated, chosen per frame by its first byte
//! as RFC 6587 §3.4 allows) and the decoding of one message (RFC 3164 or RFC 5424) into an event.
//!
//! Pure functions over a reader and a byte slice, so that they can be tested and fuzzed on any
//! input; the listener ([`crate::SyslogListener`]) only moves bytes between them and its sockets.

use jiff::Timestamp;
use std::io::{self, BufRead, Read};
use std::path::Path;
use vigil_logs::stream::{LineDecoder, LinePos};
use vigil_logs::{Format, ReadOptions};
use vigil_model::Event;

/// Most digits of an octet count read (with its space): a count above 10 digits is no message.
const MAX_COUNT_DIGITS: u64 = 11;

/// One frame of a TCP stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A message of at most the size limit (its trailing newline kept for newline framing).
    Message(Vec<u8>),
    /// A message above the size limit, skipped without being held; the framing stays in step.
    Oversize,
    /// The stream ended (cleanly, or inside a skipped message).
    End,
}

/// Reads one RFC 6587 frame: octet-counted when it starts with a digit, else up to a newline.
/// At most `max` bytes of a message are held; an octet count that is not a number is an
/// `InvalidData` error (the framing cannot be followed past it), a stream ending inside a counted
/// message an `UnexpectedEof`.
pub fn read_frame(r: &mut impl BufRead, max: usize) -> io::Result<Frame> {
    let first = match r.fill_buf()?.first() {
        None => return Ok(Frame::End),
        Some(&b) => b,
    };
    if first.is_ascii_digit() {
        let mut len_text = Vec::new();
        r.take(MAX_COUNT_DIGITS).read_until(b' ', &mut len_text)?;
        let len: usize = std::str::from_utf8(len_text.strip_suffix(b" ").unwrap_or(&[]))
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad octet count"))?;
        if len > max {
            // Skip it without holding it: the framing stays in step.
            let skipped = io::copy(&mut r.take(len as u64), &mut io::sink())?;
            if skipped < len as u64 {
                return Ok(Frame::End);
            }
            return Ok(Frame::Oversize);
        }
        let mut msg = vec![0u8; len];
        r.read_exact(&mut msg)?;
        return Ok(Frame::Message(msg));
    }
    let mut msg = Vec::new();
    r.take(max as u64 + 1).read_until(b'\n', &mut msg)?;
    if msg.last() != Some(&b'\n') && msg.len() > max {
        // Skip to the newline without holding the rest.
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                return Ok(Frame::End);
            }
            if let Some(i) = buf.iter().position(|&b| b == b'\n') {
                r.consume(i + 1);
                return Ok(Frame::Oversize);
            }
            let l = buf.len();
            r.consume(l);
        }
    }
    Ok(Frame::Message(msg))
}

/// The decoder of received messages: vigil-logs' syslog parser (RFC 3164 and RFC 5424, Postfix,
/// Dovecot and sshd fields as from files), with `name` as the events' file and lines bounded to
/// `max_message`.
pub fn message_decoder(
    name: &str,
    options: &ReadOptions,
    max_message: usize,
) -> Option<LineDecoder> {
    let mut opts = options.clone();
    opts.max_line_bytes = max_message;
    LineDecoder::new(Format::Syslog, name, Path::new(name), &opts)
}

/// Decodes message number `n` (a UDP datagram or a TCP frame) received at `now` (the reference
/// for RFC 3164's year-less timestamps); `None` when the parser could not read it, which the
/// decoder's failure count records. The newline of newline framing and a NUL terminator that
/// some senders add are not part of the message.
pub fn decode_message(dec: &mut LineDecoder, msg: &[u8], n: u64, now: Timestamp) -> Option<Event> {
    let msg = msg.strip_suffix(b"\n").unwrap_or(msg);
    let msg = msg.strip_suffix(b"\0").unwrap_or(msg);
    dec.set_reference_time(now);
    dec.decode(msg, LinePos { line: n, offset: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize) -> Vec<io::Result<Frame>> {
        let mut r = io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        loop {
            let f = read_frame(&mut r, max);
            let stop = !matches!(f, Ok(Frame::Message(_)) | Ok(Frame::Oversize));
            out.push(f);
            if stop {
                return out;
            }
        }
    }

    #[test]
    fn both_framings_in_one_stream_and_oversize_skipped() {
        let got = frames(
            b"5 hello3 abcline\n20 01234567890123456789too long line\nok\n",
            10,
        );
        let got: Vec<Frame> = got.into_iter().map(|f| f.unwrap()).collect();
        assert_eq!(
            got,
            vec![
                Frame::Message(b"hello".to_vec()),
                Frame::Message(b"abc".to_vec()),
                Frame::Message(b"line\n".to_vec()),
                Frame::Oversize,
                Frame::Oversize,
                Frame::Message(b"ok\n".to_vec()),
                Frame::End,
            ]
        );
    }

    #[test]
    fn a_bad_count_or_a_cut_message_is_an_error() {
        let bad = frames(b"12x hello", 100);
        assert_eq!(
            bad.last().unwrap().as_ref().unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let cut = frames(b"9 abc", 100);
        assert_eq!(
            cut.last().unwrap().as_ref().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        // A long newline-framed message cut by the end of the stream.
        assert_eq!(
            frames(b"abcdefghijkl", 4).last().unwrap().as_ref().unwrap(),
            &Frame::End
        );
    }

    #[test]
    fn messages_of_both_rfcs_decode_without_their_terminator() {
        let mut dec = message_decoder("syslog/test", &ReadOptions::default(), 8192).unwrap();
        let now: Timestamp = "2026-12-04T12:00:00Z".parse().unwrap();
        let a = decode_message(
            &mut dec,
            b"<38>Dec  4 10:00:01 mx1 sshd[42]: Failed password for root from 192.0.2.7 port 22 ssh2\n",
            1,
            now,
        )
        .unwrap();
        assert_eq!(a.host.as_deref(), Some("mx1"));
        assert_eq!(a.source.file, "syslog/test");
        let b = decode_message(
            &mut dec,
            b"<22>1 2026-12-04T10:00:02Z mx2 postfix/smtpd 77 - - connect from unknown[192.0.2.8]\0",
            2,
            now,
        )
        .unwrap();
        assert_eq!(b.host.as_deref(), Some("mx2"));
        assert_eq!(b.source.record, vigil_model::RecordRef::Line(2));
    }
}
