//! FIRST's EPSS scores (<https://www.first.org/epss/data_stats>): a CSV, usually gzip-compressed,
//! whose first line is a comment `#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z`
//! followed by the header `cve,epss,percentile` and one row per CVE (about 300,000).
//!
//! The file is streamed: rows are handed to a callback as they are read, so the whole table never
//! has to sit in memory twice. A truncated gzip stream is an error for the whole file (no partial
//! day of scores is ever taken for a complete one); a malformed row is skipped with its line number.

use std::io::{BufRead, BufReader, Read};

use jiff::civil::Date;
use vigil_model::EpssScore;

use crate::batch::{Batch, Skipped};
use crate::error::KnowledgeError;
use crate::text::parse_date;

const MAX_LINE: u64 = 4096;

/// What the comment line says about the scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpssHeader {
    pub model_version: Option<String>,
    pub score_date: Date,
}

/// Whether the bytes start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

fn parse_comment(line: &str) -> (Option<String>, Option<Date>) {
    let mut model = None;
    let mut date = None;
    for part in line.trim_start_matches('#').split(',') {
        if let Some((k, v)) = part.split_once(':') {
            match k.trim() {
                "model_version" => model = Some(v.trim().to_string()),
                "score_date" => date = parse_date(v),
                _ => {}
            }
        }
    }
    (model, date)
}

/// A date written into a file name (`epss_scores-2023-03-16.csv.gz`), for old files without the
/// comment line.
fn date_in_name(name: &str) -> Option<Date> {
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9))
        .find_map(|i| name.get(i..i + 10).and_then(|s| s.parse().ok()))
}

fn parse_probability(s: &str) -> Option<f64> {
    let v: f64 = s.trim().parse().ok()?;
    (0.0..=1.0).contains(&v).then_some(v)
}

/// Streams the scores of an EPSS CSV (plain or gzip) to `on_score`. Returns the header and the rows
/// that were skipped.
pub fn stream(
    reader: impl Read,
    origin: &str,
    mut on_score: impl FnMut(EpssScore),
) -> Result<(EpssHeader, Vec<Skipped>), KnowledgeError> {
    let mut buffered = BufReader::with_capacity(64 * 1024, reader);
    let head = buffered
        .fill_buf()
        .map_err(|e| KnowledgeError::invalid(origin, format!("read failed: {e}")))?;
    if is_gzip(head) {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        stream_plain(
            BufReader::with_capacity(64 * 1024, decoder),
            origin,
            &mut on_score,
        )
    } else {
        stream_plain(buffered, origin, &mut on_score)
    }
}

fn stream_plain(
    mut reader: impl BufRead,
    origin: &str,
    on_score: &mut dyn FnMut(EpssScore),
) -> Result<(EpssHeader, Vec<Skipped>), KnowledgeError> {
    let mut line = Vec::with_capacity(128);
    let mut line_no = 0usize;
    let mut model_version = None;
    let mut score_date = None;
    let mut header_seen = false;
    let mut skipped = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| {
                KnowledgeError::invalid(
                    origin,
                    format!("unreadable after line {line_no} (truncated or corrupt?): {e}"),
                )
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if line.last() != Some(&b'\n') && n as u64 == MAX_LINE {
            return Err(KnowledgeError::invalid(
                format!("{origin}:{line_no}"),
                format!("line longer than {MAX_LINE} bytes"),
            ));
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            skipped.push(Skipped::new(format!("{origin}:{line_no}"), "not UTF-8"));
            continue;
        };
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        if !header_seen {
            if text.starts_with('#') {
                let (m, d) = parse_comment(text);
                model_version = m;
                score_date = d;
                continue;
            }
            let cols: Vec<&str> = text.split(',').map(str::trim).collect();
            if cols.first() != Some(&"cve") || cols.get(1) != Some(&"epss") {
                return Err(KnowledgeError::invalid(
                    format!("{origin}:{line_no}"),
                    "not an EPSS CSV: expected the header `cve,epss,percentile`",
                ));
            }
            header_seen = true;
            if score_date.is_none() {
                score_date = date_in_name(origin);
            }
            if score_date.is_none() {
                return Err(KnowledgeError::invalid(
                    origin,
                    "no score_date in the comment line or the file name",
                ));
            }
            continue;
        }
        let Some(date) = score_date else { break };
        let mut cols = text.split(',');
        let (Some(cve), Some(epss), percentile) = (cols.next(), cols.next(), cols.next()) else {
            skipped.push(Skipped::new(
                format!("{origin}:{line_no}"),
                "fewer than 2 columns",
            ));
            continue;
        };
        let cve = cve.trim();
        let Some(epss) = parse_probability(epss) else {
            skipped.push(Skipped::new(
                format!("{origin}:{line_no}"),
                format!("{cve}: epss '{epss}' is not a probability"),
            ));
            continue;
        };
        let percentile = match percentile.map(parse_probability) {
            Some(Some(p)) => p,
            _ => {
                skipped.push(Skipped::new(
                    format!("{origin}:{line_no}"),
                    format!("{cve}: missing or invalid percentile"),
                ));
                continue;
            }
        };
        if !cve.starts_with("CVE-") {
            skipped.push(Skipped::new(
                format!("{origin}:{line_no}"),
                format!("'{cve}' is not a CVE id"),
            ));
            continue;
        }
        on_score(EpssScore {
            cve: cve.to_string(),
            epss,
            percentile,
            date,
        });
    }
    let Some(score_date) = score_date.filter(|_| header_seen) else {
        return Err(KnowledgeError::invalid(origin, "empty: no EPSS header"));
    };
    Ok((
        EpssHeader {
            model_version,
            score_date,
        },
        skipped,
    ))
}

/// Reads a whole EPSS file (plain or gzip bytes) into a batch.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Batch, KnowledgeError> {
    let mut batch = Batch::new("epss", origin);
    let mut scores = Vec::new();
    let (header, skipped) = stream(bytes, origin, |s| scores.push(s))?;
    batch.epss = scores;
    batch.skipped = skipped;
    batch.version = header.model_version;
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_line() {
        let (m, d) =
            parse_comment("#model_version:v2023.03.01,score_date:2023-03-16T00:00:00+0000");
        assert_eq!(m.as_deref(), Some("v2023.03.01"));
        assert_eq!(d, "2023-03-16".parse().ok());
        assert_eq!(
            date_in_name("epss_scores-2021-04-14.csv.gz"),
            "2021-04-14".parse().ok()
        );
        assert_eq!(date_in_name("epss.csv"), None);
    }
}
