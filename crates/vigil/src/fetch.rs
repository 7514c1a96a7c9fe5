//! HTTP downloads of advisory sources: conditional requests, size limits, progress.
//!
//! Sources are fetched with `If-None-Match` / `If-Modified-Since` from what the store remembers of the last
//! successful fetch, so an unchanged source costs one round trip and no import. Every body is bounded, hashed
//! (SHA-256, kept in the store so identical content is recognised even when a server sends no validators) and
//! read fully before anything is parsed: a truncated download is an error, never a partial import.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::time::Duration;

/// What the store knows of the last successful fetch of a URL.
#[derive(Debug, Default, Clone)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum Fetched {
    /// The server answered 304: our copy is current.
    NotModified,
    Body(Download),
}

#[derive(Debug)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub validators: Validators,
    pub sha256: String,
}

pub struct Fetcher {
    agent: ureq::Agent,
    max_bytes: u64,
    show_progress: bool,
}

impl Fetcher {
    pub fn new(max_bytes: u64, timeout: Duration, show_progress: bool) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_global(Some(timeout))
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .max_redirects(5)
            .build();
        Fetcher {
            agent: config.new_agent(),
            max_bytes,
            show_progress,
        }
    }

    /// GET `url`, conditionally on `known`. `accept` sets the Accept header (MSRC serves XML or JSON).
    pub fn get(&self, url: &str, known: &Validators, accept: Option<&str>) -> Result<Fetched> {
        let mut req = self.agent.get(url);
        if let Some(etag) = &known.etag {
            req = req.header("If-None-Match", etag);
        }
        if let Some(lm) = &known.last_modified {
            req = req.header("If-Modified-Since", lm);
        }
        if let Some(accept) = accept {
            req = req.header("Accept", accept);
        }
        let resp = req.call().with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status().as_u16();
        if status == 304 {
            return Ok(Fetched::NotModified);
        }
        if !(200..300).contains(&status) {
            bail!("{url} answered HTTP {status}");
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        let length: Option<u64> = header("content-length").and_then(|v| v.parse().ok());
        if let Some(len) = length
            && len > self.max_bytes
        {
            bail!(
                "{url} is {len} bytes, over the download limit of {} bytes",
                self.max_bytes
            );
        }

        let bar = if self.show_progress {
            let bar = match length {
                Some(len) => ProgressBar::new(len),
                None => ProgressBar::new_spinner(),
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:30!} {bar:30} {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(short_name(url));
            bar
        } else {
            ProgressBar::hidden()
        };

        // One byte over the limit tells "too large" apart from "exactly at the limit".
        let mut reader = resp
            .into_body()
            .into_with_config()
            .limit(self.max_bytes + 1)
            .reader();
        let mut bytes = Vec::with_capacity(length.unwrap_or(0).min(self.max_bytes) as usize);
        let mut buf = vec![0u8; 64 * 1024];
        let mut hasher = Sha256::new();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    bar.abandon();
                    return Err(e).with_context(|| {
                        format!("download of {url} broke off after {} bytes", bytes.len())
                    });
                }
            };
            let chunk = &buf[..n];
            hasher.update(chunk);
            bytes.extend_from_slice(chunk);
            bar.inc(n as u64);
            if bytes.len() as u64 > self.max_bytes {
                bar.abandon();
                bail!(
                    "{url} is over the download limit of {} bytes",
                    self.max_bytes
                );
            }
        }
        bar.finish_and_clear();
        if let Some(len) = length
            && bytes.len() as u64 != len
        {
            bail!(
                "download of {url} is truncated: {} of {len} bytes",
                bytes.len()
            );
        }
        let sha256 = hex(&hasher.finalize());
        Ok(Fetched::Body(Download {
            bytes,
            validators,
            sha256,
        }))
    }
}

fn short_name(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let mut parts = trimmed.rsplit('/');
    let last = parts.next().unwrap_or(trimmed);
    match parts.next() {
        Some(parent) if !parent.is_empty() => format!("{parent}/{last}"),
        _ => last.to_string(),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(short_name("https://x.test/PyPI/all.zip"), "PyPI/all.zip");
        assert_eq!(short_name("kev.json"), "kev.json");
        assert_eq!(hex(&[0, 255, 16]), "00ff10");
    }
}
