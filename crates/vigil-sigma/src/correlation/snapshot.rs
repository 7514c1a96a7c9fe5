//! Snapshots of a [`Correlator`]'s state, so that the open windows of a long-running stream (the
//! service) survive a restart.
//!
//! ```text
//! MAGIC (16 bytes) | format version (u32 LE) | rule-set fingerprint (32 bytes)
//!   | payload length (u64 LE) | SHA-256 of the payload (32 bytes)
//! payload (postcard): the correlator's counters, then per correlation (in the engine's order)
//!                     its groups, and the state of the extension types
//! ```
//!
//! The **fingerprint** is the SHA-256 of the compiled correlations: each one's key, definition
//! (without its origin, so that moving the rule folder changes nothing), resolved references and
//! group-by fields. A snapshot taken under other correlation rules is refused: its groups and
//! reference positions would be read with another meaning. Base rules that no correlation
//! references do not count, so editing them keeps the state.
//!
//! A snapshot is read as hostile input: it is refused (never trusted, never a panic) when it is
//! longer than [`MAX_SNAPSHOT_BYTES`], fails the magic, format, length or checksum checks, does not
//! decode, or breaks any bound a live correlator keeps (groups per correlation, hits per group,
//! sources per hit, reference positions, key arity, hit order, the extensions' caps). Decoding
//! allocates no more than the input announces in elements it actually holds (serde's cautious
//! size hints), so the byte limit bounds the memory a restore takes.
//!
//! Time is not frozen by a snapshot: windows that expired while the service was down are closed
//! (or forgotten) as later events arrive, exactly as in a stream without the pause, or at once with
//! [`Correlator::expire`].

use super::{CorrelationSet, Correlator, Group, MAX_GROUP_HITS, MAX_GROUPS, MAX_SOURCES};
use crate::engine::Engine;
use crate::extensions;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

const MAGIC: &[u8; 16] = b"vigil corr state";
/// Bumped whenever the layout of the payload or of the state types changes.
const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 16 + 4 + 32 + 8 + 32;
/// Largest snapshot written or restored. A stream at the correlator's caps could hold more; its
/// snapshot is refused when taken ([`SnapshotError::TooLarge`]) rather than written unreadable.
pub const MAX_SNAPSHOT_BYTES: usize = 256 * 1024 * 1024;

/// Why a snapshot could not be taken or restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("the correlation state takes {len} bytes, more than the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("not a saved correlation state")]
    NotASnapshot,
    #[error("saved correlation state of format {found}; this build reads format {expected}")]
    Format { found: u32, expected: u32 },
    #[error(
        "the correlation state was saved under other correlation rules; the open windows start anew"
    )]
    OtherRules,
    #[error("the saved correlation state is damaged: {0}")]
    Corrupt(String),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Counters {
    seq: u64,
    feeds: u64,
    newest: i64,
    late: u64,
    untimed: u64,
    overflow: u64,
}

type Groups = HashMap<Vec<String>, Group>;

#[derive(Serialize)]
struct PayloadRef<'a> {
    counters: Counters,
    groups: &'a [Groups],
    ext: &'a [extensions::State],
}

#[derive(Deserialize)]
struct Payload {
    counters: Counters,
    groups: Vec<Groups>,
    ext: Vec<extensions::State>,
}

/// What identifies a correlation rule set's meaning for its state.
#[derive(Serialize)]
struct FingerprintEntry<'a> {
    key: &'a str,
    def: crate::rule::Correlation,
    refs: &'a [super::Ref],
    group_fields: &'a [Vec<String>],
}

fn fingerprint(set: &CorrelationSet) -> [u8; 32] {
    let entries: Vec<FingerprintEntry<'_>> = set
        .corrs
        .iter()
        .map(|c| {
            let mut def = c.def.clone();
            def.meta.origin.clear();
            FingerprintEntry {
                key: &c.key,
                def,
                refs: &c.refs,
                group_fields: &c.group_fields,
            }
        })
        .collect();
    let mut h = Sha256::new();
    // Encoding plain data into a Vec cannot fail; an empty encoding would still fingerprint the
    // number of correlations below.
    h.update(postcard::to_stdvec(&entries).unwrap_or_default());
    h.update((entries.len() as u64).to_le_bytes());
    h.finalize().into()
}

impl Correlator {
    /// The correlator's state (open windows, extension histories, counters) as bytes for
    /// [`Correlator::restore`]; see [`snapshot`](self) for the format.
    pub fn snapshot(&self) -> Result<Vec<u8>, SnapshotError> {
        let payload = PayloadRef {
            counters: self.counters(),
            groups: &self.groups,
            ext: &self.ext,
        };
        let body =
            postcard::to_stdvec(&payload).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        let len = HEADER_LEN.saturating_add(body.len());
        if len > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError::TooLarge {
                len,
                max: MAX_SNAPSHOT_BYTES,
            });
        }
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&fingerprint(&self.set));
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// A correlator for `engine` holding the state `bytes` saved (see [`Correlator::snapshot`]).
    /// Refused when the bytes are not a whole, intact snapshot of this engine's correlation rules
    /// or break a bound a live correlator keeps.
    pub fn restore(engine: &Engine, bytes: &[u8]) -> Result<Correlator, SnapshotError> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError::TooLarge {
                len: bytes.len(),
                max: MAX_SNAPSHOT_BYTES,
            });
        }
        let (magic, rest) = bytes
            .split_first_chunk::<16>()
            .ok_or(SnapshotError::NotASnapshot)?;
        if magic != MAGIC {
            return Err(SnapshotError::NotASnapshot);
        }
        let truncated = || SnapshotError::Corrupt("truncated header".into());
        let (version, rest) = rest.split_first_chunk::<4>().ok_or_else(truncated)?;
        let found = u32::from_le_bytes(*version);
        if found != FORMAT_VERSION {
            return Err(SnapshotError::Format {
                found,
                expected: FORMAT_VERSION,
            });
        }
        let (print, rest) = rest.split_first_chunk::<32>().ok_or_else(truncated)?;
        let mut c = Correlator::new(engine);
        if *print != fingerprint(&c.set) {
            return Err(SnapshotError::OtherRules);
        }
        let (len, rest) = rest.split_first_chunk::<8>().ok_or_else(truncated)?;
        let (sum, body) = rest.split_first_chunk::<32>().ok_or_else(truncated)?;
        if u64::from_le_bytes(*len) != body.len() as u64 {
            return Err(SnapshotError::Corrupt(format!(
                "{} bytes of state where the header announces {}",
                body.len(),
                u64::from_le_bytes(*len)
            )));
        }
        if Sha256::digest(body).as_slice() != sum.as_slice() {
            return Err(SnapshotError::Corrupt("checksum mismatch".into()));
        }
        let p: Payload =
            postcard::from_bytes(body).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        validate(&c.set, &p).map_err(SnapshotError::Corrupt)?;
        let k = p.counters;
        (c.seq, c.feeds, c.newest) = (k.seq, k.feeds, k.newest);
        (c.late, c.untimed, c.overflow) = (k.late, k.untimed, k.overflow);
        c.groups = p.groups;
        c.ext = p.ext;
        Ok(c)
    }

    fn counters(&self) -> Counters {
        Counters {
            seq: self.seq,
            feeds: self.feeds,
            newest: self.newest,
            late: self.late,
            untimed: self.untimed,
            overflow: self.overflow,
        }
    }
}

/// Checks every bound a live correlator keeps, so that a restored one is no larger and breaks
/// no assumption of the code that goes on from it.
fn validate(set: &Arc<CorrelationSet>, p: &Payload) -> Result<(), String> {
    let n = set.corrs.len();
    if p.groups.len() != n || p.ext.len() != n {
        return Err(format!(
            "state for {} correlations, the rules have {n}",
            p.groups.len().max(p.ext.len())
        ));
    }
    for ((c, groups), ext) in set.corrs.iter().zip(&p.groups).zip(&p.ext) {
        let at = |what: String| format!("correlation '{}': {what}", c.key);
        ext.validate(&c.def).map_err(at)?;
        if c.def.kind.is_vigil_extension() && !groups.is_empty() {
            return Err(at("windows for an extension type".into()));
        }
        if groups.len() > MAX_GROUPS {
            return Err(at(format!(
                "{} groups (at most {MAX_GROUPS})",
                groups.len()
            )));
        }
        for (key, g) in groups {
            if key.len() != c.def.group_by.len() {
                return Err(at("a group key of the wrong arity".into()));
            }
            if g.hits.len() > MAX_GROUP_HITS {
                return Err(at(format!("a group of {} hits", g.hits.len())));
            }
            let mut prev = (i64::MIN, 0u64);
            for h in &g.hits {
                if h.pos >= c.refs.len() || h.sources.len() > MAX_SOURCES {
                    return Err(at("a hit out of bounds".into()));
                }
                if (h.ms, h.seq) < prev || h.seq > p.counters.seq || h.ms > g.newest {
                    return Err(at("hits out of order".into()));
                }
                prev = (h.ms, h.seq);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mappings, parse_rules_str};

    fn engine() -> Engine {
        let text = "title: Failed\nid: failed\nlogsource: {product: test}\n\
                    detection:\n  sel:\n    EventID: 1\n  condition: sel\n---\n\
                    title: Brute\nid: brute\ncorrelation:\n  type: event_count\n  rules: [failed]\n\
                    \x20 group-by: [User]\n  timespan: 5m\n  condition:\n    gte: 3\n";
        let (set, errs) = parse_rules_str(text, "t.yml");
        assert!(errs.is_empty(), "{errs:?}");
        Engine::compile(&set, &Mappings::new()).0
    }

    fn hit(pos: usize) -> super::super::Hit {
        super::super::Hit {
            ms: 5,
            seq: 1,
            pos,
            value: None,
            num: None,
            host: None,
            sources: Default::default(),
        }
    }

    /// Encodes a forged state with a valid header and checksum.
    fn forge(eng: &Engine, groups: Vec<Groups>, seq: u64) -> Vec<u8> {
        let mut c = Correlator::new(eng);
        c.groups = groups;
        c.seq = seq;
        c.snapshot().unwrap()
    }

    fn group(hits: Vec<super::super::Hit>) -> Group {
        Group {
            hits: hits.into(),
            newest: 5,
        }
    }

    #[test]
    fn states_a_live_correlator_cannot_reach_are_refused() {
        let eng = engine();
        let ok = forge(
            &eng,
            vec![[(vec!["bob".into()], group(vec![hit(0)]))].into()],
            1,
        );
        assert!(Correlator::restore(&eng, &ok).is_ok());
        let cases = [
            (vec![[(vec!["bob".into()], group(vec![hit(1)]))].into()], 1),
            (vec![[(vec![], group(vec![hit(0)]))].into()], 1),
            (vec![[(vec!["bob".into()], group(vec![hit(0)]))].into()], 0),
            (vec![], 1),
            (vec![Groups::new(), Groups::new()], 1),
        ];
        for (i, (groups, seq)) in cases.into_iter().enumerate() {
            let bytes = forge(&eng, groups, seq);
            let err = Correlator::restore(&eng, &bytes).map(|_| ()).unwrap_err();
            assert!(
                matches!(err, SnapshotError::Corrupt(_)),
                "case {i}: {err:?}"
            );
        }
        let mut big = group((0..=MAX_GROUP_HITS).map(|_| hit(0)).collect());
        big.newest = 5;
        let bytes = forge(&eng, vec![[(vec!["bob".into()], big)].into()], 1);
        assert!(Correlator::restore(&eng, &bytes).is_err());
    }
}
