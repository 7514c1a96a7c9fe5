//! The audit trail: an append-only, hash-chained log of what people did through vigil (logins, failed
//! logins, user and token changes, acknowledgements, resolutions).
//!
//! Each entry carries the hash of the one before it, and its own hash is SHA-256 over a canonical encoding
//! of its fields ([`entry_hash`]), so an edited, deleted or reordered entry breaks the chain at that entry.
//! The count and the last hash are also kept in a head row written in the same transaction as every
//! append, so a tail cut off (the newest entries deleted) is detected too. What cannot be detected from
//! the file alone: someone able to write the file who rewrites the whole chain *and* the head from the
//! first changed entry on; against that, keep the head (`vigil trail verify` prints it) somewhere else and
//! compare.

use crate::alerts::{Alert, AlertChange};
use crate::error::StoreError;
use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Longest actor, action or subject kept in an entry.
pub const MAX_FIELD: usize = 256;
/// Longest detail kept in an entry.
pub const MAX_DETAIL: usize = 4096;

/// An entry to append: who did what to what. The store gives it its number, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailDraft {
    /// A user name, `token:ID`, or `cli:NAME` for a change made with the command line.
    pub actor: String,
    /// `login`, `login.failed`, `user.add`, `token.revoke`, `alert.acknowledge`, …
    pub action: String,
    /// What it was done to: `user:NAME`, `token:ID`, `alert:ID`.
    pub subject: String,
    pub detail: String,
}

impl TrailDraft {
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        TrailDraft {
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
        }
    }

    /// The draft cut to its limits (fields come from people and from hostile logs).
    pub fn bounded(&self) -> TrailDraft {
        TrailDraft {
            actor: crate::alerts::clip(&self.actor, MAX_FIELD),
            action: crate::alerts::clip(&self.action, MAX_FIELD),
            subject: crate::alerts::clip(&self.subject, MAX_FIELD),
            detail: crate::alerts::clip(&self.detail, MAX_DETAIL),
        }
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl TrailEntry {
    /// The hash this entry should carry, recomputed from its fields.
    pub fn expected_hash(&self) -> String {
        entry_hash(
            self.seq,
            self.at.as_microsecond(),
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
            &self.prev_hash,
        )
    }
}

/// SHA-256 (lower-case hex) over the canonical encoding of an entry: a version tag, then each field as
/// its byte length, a colon and its bytes, so that no two different entries encode alike (a field that
/// ends in what another begins with cannot shift the boundary).
pub fn entry_hash(
    seq: i64,
    at_us: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"vigil-trail-1;");
    let seq = seq.to_string();
    let at = at_us.to_string();
    for field in [
        seq.as_str(),
        at.as_str(),
        actor,
        action,
        subject,
        detail,
        prev_hash,
    ] {
        h.update(field.len().to_string().as_bytes());
        h.update(b":");
        h.update(field.as_bytes());
        h.update(b";");
    }
    hex(&h.finalize())
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// The head of the trail: how many entries, and the hash of the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailHead {
    pub count: i64,
    pub hash: String,
}

/// Why the trail is not intact, at the first entry found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailBreak {
    /// The entry found wrong (for a cut tail: the first missing one).
    pub seq: i64,
    pub reason: String,
}

/// What verifying the whole trail found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailVerdict {
    /// Entries read.
    pub entries: i64,
    /// The head as recorded.
    pub head: TrailHead,
    /// `None` when intact.
    pub broken: Option<TrailBreak>,
}

/// Checks entries one by one, in the order read, in constant memory.
#[derive(Debug)]
pub struct ChainCheck {
    expected_seq: i64,
    prev: String,
    broken: Option<TrailBreak>,
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck {
            expected_seq: 1,
            prev: GENESIS.to_string(),
            broken: None,
        }
    }
}

impl ChainCheck {
    /// Takes the next entry; after the first break the rest are ignored.
    pub fn push(&mut self, e: &TrailEntry) {
        if self.broken.is_some() {
            return;
        }
        let reason = if e.seq != self.expected_seq {
            Some(format!(
                "entry {} follows entry {}: entries were deleted or reordered",
                e.seq,
                self.expected_seq - 1
            ))
        } else if e.prev_hash != self.prev {
            Some("its previous-entry hash does not match the entry before it: an entry before it was \
                  deleted, replaced or reordered"
                .to_string())
        } else if e.expected_hash() != e.hash {
            Some("its content does not match its hash: it was edited".to_string())
        } else {
            None
        };
        match reason {
            Some(reason) => {
                self.broken = Some(TrailBreak {
                    seq: if e.seq != self.expected_seq {
                        self.expected_seq
                    } else {
                        e.seq
                    },
                    reason,
                })
            }
            None => {
                self.expected_seq += 1;
                self.prev.clone_from(&e.hash);
            }
        }
    }

    /// The verdict once every entry was pushed, checked against the recorded head.
    pub fn finish(mut self, head: TrailHead) -> TrailVerdict {
        let entries = self.expected_seq - 1;
        if self.broken.is_none() {
            if head.count > entries {
                self.broken = Some(TrailBreak {
                    seq: entries + 1,
                    reason: format!(
                        "the head records {} entries but only {entries} are left: the newest were \
                         deleted",
                        head.count
                    ),
                });
            } else if head.count != entries || head.hash != self.prev {
                self.broken = Some(TrailBreak {
                    seq: entries,
                    reason: "the recorded head does not match the last entry".to_string(),
                });
            }
        }
        TrailVerdict {
            entries,
            head,
            broken: self.broken,
        }
    }
}

/// The audit trail. Appends are transactions of their own, or part of the change they record.
pub trait TrailStore {
    /// Appends an entry at `at`.
    fn append_trail(&mut self, draft: &TrailDraft, at: Timestamp)
    -> Result<TrailEntry, StoreError>;

    /// Up to `limit` entries after `after_seq`, oldest first.
    fn trail(&self, after_seq: i64, limit: usize) -> Result<Vec<TrailEntry>, StoreError>;

    /// The newest `limit` entries, newest first.
    fn trail_latest(&self, limit: usize) -> Result<Vec<TrailEntry>, StoreError>;

    /// Reads the whole trail in order and checks the chain and the head.
    fn verify_trail(&self) -> Result<TrailVerdict, StoreError>;

    /// The number of the entry whose hash is `hash`, if any: a head noted elsewhere earlier must still
    /// be in the chain, or the chain was rewritten since.
    fn trail_seq_of(&self, hash: &str) -> Result<Option<i64>, StoreError>;

    /// Acknowledges or resolves an alert (as [`crate::AlertStore::change_alert`]) and records it in the
    /// trail, in one transaction: `actor` is who did it as the trail names them.
    fn change_alert_recorded(
        &mut self,
        id: i64,
        change: &AlertChange,
        actor: &str,
    ) -> Result<Alert, StoreError>;

    /// Marks a remedial action done (as [`crate::CaseStore::complete_action`]) and records it in the
    /// trail, in one transaction; `false` (and no entry) when it was not open.
    fn complete_action_recorded(
        &mut self,
        id: i64,
        at: Timestamp,
        note: Option<&str>,
        actor: &str,
    ) -> Result<bool, StoreError>;

    /// Records a remedial action (as [`crate::CaseStore::add_action`], created at `at`) and records it
    /// in the trail (`plan.add`), in one transaction; returns its id.
    fn add_action_recorded(
        &mut self,
        action: &crate::NewAction,
        at: Timestamp,
        actor: &str,
    ) -> Result<i64, StoreError>;

    /// Records an exception to a finding made by `actor` at `at` and its trail entry
    /// (`finding.ignore`, naming the asset, advisory, package, expiry and reason), in one transaction;
    /// returns its id. Refused: an empty reason or advisory, over-long text.
    fn add_exception_recorded(
        &mut self,
        exception: &crate::NewException,
        at: Timestamp,
        actor: &str,
    ) -> Result<i64, StoreError>;

    /// Saves the incident record of `incident` (a JSON object, see
    /// [`StoredRecord`](crate::StoredRecord)) for `actor` and records in the trail which fields changed
    /// (their names, not their values), in one transaction. Returns the fields changed; when none did,
    /// nothing is written and nothing recorded.
    fn save_incident_record_recorded(
        &mut self,
        incident: &str,
        record: &serde_json::Value,
        actor: &str,
        at: Timestamp,
    ) -> Result<Vec<String>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<TrailEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = TrailEntry {
                    seq,
                    at: Timestamp::from_second(1_700_000_000 + seq).unwrap(),
                    actor: "dana".into(),
                    action: "login".into(),
                    subject: format!("user:{seq}"),
                    detail: String::new(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.expected_hash();
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    fn verify(entries: &[TrailEntry], head: TrailHead) -> TrailVerdict {
        let mut c = ChainCheck::default();
        for e in entries {
            c.push(e);
        }
        c.finish(head)
    }

    fn head_of(entries: &[TrailEntry]) -> TrailHead {
        TrailHead {
            count: entries.len() as i64,
            hash: entries.last().map_or(GENESIS.into(), |e| e.hash.clone()),
        }
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let v = verify(&c, head_of(&c));
        assert_eq!(v.broken, None);
        assert_eq!(v.entries, 5);
        assert_eq!(verify(&[], head_of(&[])).broken, None);
    }

    #[test]
    fn edit_delete_reorder_and_cut_tail_are_found_at_the_entry() {
        let c = chain(5);
        let head = head_of(&c);
        let mut edited = c.clone();
        edited[2].detail = "nothing happened".into();
        assert_eq!(verify(&edited, head.clone()).broken.unwrap().seq, 3);

        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted, head.clone()).broken.unwrap().seq, 2);

        let mut reordered = c.clone();
        reordered.swap(1, 2);
        assert_eq!(verify(&reordered, head.clone()).broken.unwrap().seq, 2);

        let cut = &c[..3];
        let b = verify(cut, head.clone()).broken.unwrap();
        assert_eq!(b.seq, 4);
        assert!(b.reason.contains("deleted"), "{}", b.reason);

        // Renumbered after a deletion, hashes recomputed from there: the chain holds but the head does not.
        let mut rewritten = chain(4);
        rewritten.truncate(4);
        assert!(verify(&rewritten, head).broken.is_some());
    }

    #[test]
    fn field_boundaries_cannot_shift() {
        assert_ne!(
            entry_hash(1, 0, "ab", "c", "", "", GENESIS),
            entry_hash(1, 0, "a", "bc", "", "", GENESIS)
        );
    }
}
