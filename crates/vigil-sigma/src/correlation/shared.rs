//! What a correlation hit keeps of where it came from: its host and source references, with the
//! host and file names shared between hits instead of copied into each.
//!
//! A stream of matching lines comes from a few files of a few hosts, yet the correlator used to
//! copy the host name and the source list (a `Vec` and the file name) into every hit: three heap
//! allocations per hit and per correlation fed, most of a large hunt's correlation time. Hits now
//! hold reference-counted names taken from a small cache of recent names ([`Shared`]), and their
//! one source reference inline ([`Sources`]). Names are turned back into owned strings only
//! when a detection is emitted.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use vigil_model::{RecordRef, SourceRef};

/// Names remembered by [`Shared`]. Past this a name is still shared by the hits of one event, just
/// not remembered; the cache never grows with the input.
const RECENT_NAMES: usize = 16;

/// Recently seen host and file names, handed out as shared strings.
#[derive(Debug, Default)]
pub(super) struct Shared {
    recent: VecDeque<Arc<str>>,
}

impl Shared {
    /// The shared copy of `name`: a remembered one, or a new one that is then remembered in place
    /// of the least recently added.
    pub(super) fn name(&mut self, name: &str) -> Arc<str> {
        if let Some(a) = self.recent.iter().find(|a| ***a == *name) {
            return Arc::clone(a);
        }
        let a: Arc<str> = Arc::from(name);
        if self.recent.len() >= RECENT_NAMES {
            self.recent.pop_back();
        }
        self.recent.push_front(Arc::clone(&a));
        a
    }

    /// The source references of a match, sharing their file names.
    pub(super) fn sources(&mut self, refs: &[SourceRef]) -> Sources {
        let mut out = Sources::default();
        for r in refs {
            out.push(Src {
                file: self.name(&r.file),
                record: r.record,
                generation: r.generation.as_deref().map(|g| self.name(g)),
            });
        }
        out
    }
}

/// One source reference of a hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Src {
    pub file: Arc<str>,
    pub record: RecordRef,
    /// The file generation of a live source (a file rotated in under the same name is another).
    #[serde(default)]
    pub generation: Option<Arc<str>>,
}

impl Src {
    fn is(&self, r: &SourceRef) -> bool {
        self.record == r.record
            && *self.file == *r.file
            && self.generation.as_deref() == r.generation.as_deref()
    }

    fn to_ref(&self) -> SourceRef {
        SourceRef {
            file: self.file.to_string(),
            record: self.record,
            generation: self.generation.as_deref().map(str::to_string),
        }
    }
}

/// A hit's source references: the first inline (a base rule's match has one), any others in a
/// list (a chained correlation's event carries those of the detection it stands for).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Sources {
    first: Option<Src>,
    more: Vec<Src>,
}

impl Sources {
    pub(super) fn push(&mut self, s: Src) {
        if self.first.is_none() {
            self.first = Some(s);
        } else {
            self.more.push(s);
        }
    }

    pub(super) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Src> {
        self.first.iter().chain(&self.more)
    }

    /// As the owned references an extension or a detection carries.
    pub(super) fn to_refs(&self) -> Vec<SourceRef> {
        self.iter().map(Src::to_ref).collect()
    }
}

/// The sources of several hits, each once, at most `max`.
pub(super) fn collect<'a>(all: impl Iterator<Item = &'a Sources>, max: usize) -> Vec<SourceRef> {
    let mut out: Vec<SourceRef> = Vec::new();
    for s in all.flat_map(Sources::iter) {
        if out.len() >= max {
            break;
        }
        if !out.iter().any(|r| s.is(r)) {
            out.push(s.to_ref());
        }
    }
    out
}

/// The host all of them share, if they do.
pub(super) fn common_host<'a>(
    mut hosts: impl Iterator<Item = &'a Option<Arc<str>>>,
) -> Option<String> {
    let first = hosts.next()?.as_deref()?;
    hosts
        .all(|h| h.as_deref() == Some(first))
        .then(|| first.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shared_and_the_cache_stays_bounded() {
        let mut s = Shared::default();
        let a = s.name("mx1");
        let b = s.name("mx1");
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..1000 {
            s.name(&format!("host{i}"));
        }
        assert_eq!(s.recent.len(), RECENT_NAMES);
        assert!(!Arc::ptr_eq(&a, &s.name("mx1")), "forgotten, then new");
    }

    #[test]
    fn sources_keep_order_and_are_collected_once_up_to_the_cap() {
        let mut s = Shared::default();
        let r = |n: u64| SourceRef {
            file: "mail.log".into(),
            record: RecordRef::Line(n),
            generation: (n == 3).then(|| "2049:12:ab".into()),
        };
        let one = s.sources(&[r(1)]);
        let two = s.sources(&[r(2), r(1), r(3)]);
        assert_eq!((one.len(), two.len()), (1, 3));
        assert_eq!(two.to_refs(), vec![r(2), r(1), r(3)]);
        assert_eq!(
            collect([&one, &two].into_iter(), 64),
            vec![r(1), r(2), r(3)]
        );
        assert_eq!(collect([&one, &two].into_iter(), 2), vec![r(1), r(2)]);
        let h = |n: &str| Some(Arc::<str>::from(n));
        assert_eq!(common_host([h("a"), h("a")].iter()), Some("a".into()));
        assert_eq!(common_host([h("a"), None].iter()), None);
        assert_eq!(common_host([h("a"), h("b")].iter()), None);
    }
}
