//! OSV range evaluation: is a version affected by one `affected[]` entry?
//!
//! Follows the OSV schema's evaluation algorithm: a version is affected when it equals one of the
//! listed `versions`, or lies in any range. Within a range, events are taken in version order
//! (`introduced: "0"` first; a stable sort, so events at the same version keep their written
//! order); each `introduced` at or below the version turns "affected" on, each `fixed` at or
//! below it and each `last_affected` strictly below it turn it off; the last such event decides.
//! A range with `limit` events only applies below one of its limits (`*` is infinity).
//!
//! Instead of sorting, the deciding event is found as the greatest event (ties: the later one)
//! that applies, which gives the same answer without allocating.
//!
//! GIT ranges name commits and cannot be compared with a version string: an entry whose only
//! information is GIT ranges gives [`VersionError::NotEvaluable`], so callers report "not
//! assessed" rather than "not affected". So does an entry with neither versions nor ranges.

use crate::{Scheme, VersionError, compare, scheme_for};
use std::cmp::Ordering;
use vigil_model::{Affected, Range, RangeEvent, RangeKind};

/// OSV semantics: is `version` affected by this `affected` entry (explicit `versions` list OR any
/// range)?
///
/// Errors: [`VersionError::UnknownEcosystem`] when an ECOSYSTEM range needs an ordering vigil
/// does not implement, [`VersionError::NotEvaluable`] for entries with only GIT ranges (or
/// nothing), [`VersionError::Invalid`] when `version` is not valid in the scheme, and
/// [`VersionError::BadRange`] for a malformed range. An entry that some range proves affected is
/// affected even if another of its ranges is malformed.
pub fn affects(affected: &Affected, version: &str) -> Result<bool, VersionError> {
    let ecosystem = &affected.package.ecosystem;
    let scheme = scheme_for(ecosystem);
    if affected.versions.iter().any(|v| v == version) {
        return Ok(true);
    }
    // Listed versions may be spelled differently from the installed one (`1.0` vs `1.0.0` on
    // PyPI): equal under the scheme counts as listed.
    if let Some(s) = scheme
        && affected
            .versions
            .iter()
            .any(|v| compare(s, v, version) == Ok(Ordering::Equal))
    {
        return Ok(true);
    }

    let mut first_error: Option<VersionError> = None;
    let mut evaluated = !affected.versions.is_empty();
    let mut saw_git = false;
    for (index, range) in affected.ranges.iter().enumerate() {
        let range_scheme = match range.kind {
            RangeKind::Git => {
                saw_git = true;
                continue;
            }
            RangeKind::Semver => Some(Scheme::Semver),
            RangeKind::Ecosystem => scheme,
        };
        let Some(range_scheme) = range_scheme else {
            first_error.get_or_insert_with(|| {
                VersionError::UnknownEcosystem(ecosystem.as_str().to_string())
            });
            continue;
        };
        match in_range(range_scheme, range, version) {
            Ok(true) => return Ok(true),
            Ok(false) => evaluated = true,
            Err(e) => {
                let e = match e {
                    RangeFault::Version(e) => e,
                    RangeFault::Event(reason) => VersionError::BadRange {
                        package: affected.package.name.clone(),
                        range: index,
                        reason,
                    },
                };
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if !evaluated {
        return Err(VersionError::NotEvaluable {
            ecosystem: ecosystem.as_str().to_string(),
            package: affected.package.name.clone(),
            reason: if saw_git {
                "only GIT commit ranges and no versions list"
            } else {
                "neither a versions list nor ranges"
            },
        });
    }
    Ok(false)
}

/// What went wrong in one range: the queried version itself, or the advisory's data.
#[derive(Debug)]
enum RangeFault {
    Version(VersionError),
    Event(String),
}

/// An event's version: OSV's special minimum (`introduced: "0"`), maximum (a `limit` containing
/// `*`), or a real version.
#[derive(Clone, Copy)]
enum Bound<'a> {
    Min,
    Max,
    At(&'a str),
}

fn cmp_bound(scheme: Scheme, a: Bound<'_>, b: Bound<'_>) -> Result<Ordering, VersionError> {
    Ok(match (a, b) {
        (Bound::Min, Bound::Min) | (Bound::Max, Bound::Max) => Ordering::Equal,
        (Bound::Min, _) | (_, Bound::Max) => Ordering::Less,
        (_, Bound::Min) | (Bound::Max, _) => Ordering::Greater,
        (Bound::At(x), Bound::At(y)) => compare(scheme, x, y)?,
    })
}

fn event_bound(e: &RangeEvent) -> Bound<'_> {
    match e {
        RangeEvent::Introduced(v) if v == "0" => Bound::Min,
        RangeEvent::Limit(v) if v.contains('*') => Bound::Max,
        RangeEvent::Introduced(v)
        | RangeEvent::Fixed(v)
        | RangeEvent::LastAffected(v)
        | RangeEvent::Limit(v) => Bound::At(v),
    }
}

/// Is `version` inside one range (OSV `BeforeLimits` and the event walk)?
fn in_range(scheme: Scheme, range: &Range, version: &str) -> Result<bool, RangeFault> {
    // The queried version must be valid on its own, whatever the events say.
    scheme.validate(version).map_err(RangeFault::Version)?;
    let v = Bound::At(version);
    let event_err = |e: VersionError| RangeFault::Event(e.to_string());
    if !range
        .events
        .iter()
        .any(|e| matches!(e, RangeEvent::Introduced(_)))
    {
        return Err(RangeFault::Event("no introduced event".to_string()));
    }

    let mut has_limit = false;
    let mut below_a_limit = false;
    for e in &range.events {
        if let RangeEvent::Limit(_) = e {
            has_limit = true;
            if cmp_bound(scheme, v, event_bound(e)).map_err(event_err)? == Ordering::Less {
                below_a_limit = true;
            }
        }
    }
    if has_limit && !below_a_limit {
        return Ok(false);
    }

    // The deciding event: the greatest event that applies to `version`; ties go to the later one.
    let mut decider: Option<(&RangeEvent, Bound<'_>)> = None;
    for e in &range.events {
        let bound = event_bound(e);
        let against = cmp_bound(scheme, v, bound).map_err(event_err)?;
        let applies = match e {
            RangeEvent::Introduced(_) | RangeEvent::Fixed(_) => against != Ordering::Less,
            RangeEvent::LastAffected(_) => against == Ordering::Greater,
            RangeEvent::Limit(_) => false,
        };
        if !applies {
            continue;
        }
        let replace = match decider {
            None => true,
            Some((_, best)) => cmp_bound(scheme, bound, best).map_err(event_err)? != Ordering::Less,
        };
        if replace {
            decider = Some((e, bound));
        }
    }
    Ok(matches!(decider, Some((RangeEvent::Introduced(_), _))))
}
