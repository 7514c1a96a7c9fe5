//! Maven versions, ordered like Maven's `ComparableVersion` (maven-artifact 3.8.7).
//!
//! The version is split into items at `.`, `-` and digit/letter transitions; `-` and transitions
//! open a nested list, and a qualifier that follows other items gets a list of its own. Numbers
//! compare by value; qualifiers order as `alpha` < `beta` < `milestone` < `rc` = `cr` <
//! `snapshot` < (release: `""` = `ga` = `final` = `release`) < `sp` < any other string
//! (alphabetically); `a1`/`b1`/`m1` abbreviate `alpha-1`/`beta-1`/`milestone-1`; trailing null
//! items (`0`, release qualifiers, empty lists) are dropped, so `1.0.0` equals `1`.
//!
//! Every string is a Maven version; only an empty one is an error. Digits are ASCII digits (Java
//! would also take other Unicode digits).

use crate::num::cmp_digits;
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// Lists nest at most this deep; hostile input (`1a1a1a…`) could otherwise nest without bound.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item<'a> {
    /// Digits without leading zeros (empty is zero).
    Int(&'a str),
    /// A qualifier after alias resolution, as written (compared lower-cased).
    Str(&'a str),
    List(Vec<Item<'a>>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: usize = 5;

fn eq_lower(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// Resolves `StringItem`'s aliases; `followed_by_digit` turns `a`/`b`/`m` into full names.
fn string_item(value: &str, followed_by_digit: bool) -> Item<'_> {
    if followed_by_digit && value.len() == 1 {
        match value.as_bytes()[0].to_ascii_lowercase() {
            b'a' => return Item::Str("alpha"),
            b'b' => return Item::Str("beta"),
            b'm' => return Item::Str("milestone"),
            _ => {}
        }
    }
    for (alias, target) in [("ga", ""), ("final", ""), ("release", ""), ("cr", "rc")] {
        if eq_lower(value, alias) {
            return Item::Str(target);
        }
    }
    Item::Str(value)
}

/// The qualifier's rank: known qualifiers by list position, unknown ones after all of them.
fn qualifier_index(value: &str) -> Option<usize> {
    QUALIFIERS.iter().position(|q| eq_lower(value, q))
}

fn cmp_qualifiers(a: &str, b: &str) -> Ordering {
    match (qualifier_index(a), qualifier_index(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase)),
    }
}

fn parse_item(is_digit: bool, buf: &str) -> Item<'_> {
    if is_digit {
        Item::Int(buf.trim_start_matches('0'))
    } else {
        string_item(buf, false)
    }
}

impl Item<'_> {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => qualifier_index(s) == Some(RELEASE_INDEX),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `Item.compareTo`, where `None` is Maven's `null` (a missing item).
    fn cmp_opt(&self, other: Option<&Item<'_>>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => cmp_digits(a, b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => match qualifier_index(s) {
                Some(i) => i.cmp(&RELEASE_INDEX),
                None => Ordering::Greater,
            },
            (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => cmp_qualifiers(a, b),
            (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
            (Item::List(l), None) => {
                for i in l {
                    let o = i.cmp_opt(None);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            }
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item<'_>], b: &[Item<'_>]) -> Ordering {
    let n = a.len().max(b.len());
    for k in 0..n {
        let o = match (a.get(k), b.get(k)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.cmp_opt(None).reverse(),
            (Some(l), r) => l.cmp_opt(r),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// `ListItem.normalize`: drop trailing null items, looking through trailing lists.
fn normalize(list: &mut Vec<Item<'_>>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Parses into Maven's item tree (`ComparableVersion.parseVersion`).
fn parse_items(version: &str) -> Result<Vec<Item<'_>>, VersionError> {
    if version.is_empty() {
        return Err(invalid(Scheme::Maven, version, "empty version"));
    }
    // The open lists, outermost first; each new list is appended to its parent when closed.
    let mut stack: Vec<Vec<Item<'_>>> = vec![Vec::new()];
    let bytes = version.as_bytes();
    let mut is_digit = false;
    let mut start = 0usize;
    let push_list = |stack: &mut Vec<Vec<Item<'_>>>| -> Result<(), VersionError> {
        if stack.len() >= MAX_DEPTH {
            return Err(invalid(Scheme::Maven, version, "too deeply nested"));
        }
        stack.push(Vec::new());
        Ok(())
    };
    for (i, &c) in bytes.iter().enumerate() {
        if !version.is_char_boundary(i) {
            continue;
        }
        let cur = stack.len() - 1;
        if c == b'.' || c == b'-' {
            let item = if i == start {
                Item::Int("")
            } else {
                parse_item(is_digit, &version[start..i])
            };
            stack[cur].push(item);
            start = i + 1;
            if c == b'-' {
                push_list(&mut stack)?;
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // A qualifier before digits: in its own list unless the current one is empty.
                if !stack[cur].is_empty() {
                    push_list(&mut stack)?;
                }
                let cur = stack.len() - 1;
                stack[cur].push(string_item(&version[start..i], true));
                start = i;
                push_list(&mut stack)?;
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                stack[cur].push(parse_item(true, &version[start..i]));
                start = i;
                push_list(&mut stack)?;
            }
            is_digit = false;
        }
    }
    if version.len() > start {
        if !is_digit && stack.last().is_some_and(|l| !l.is_empty()) {
            push_list(&mut stack)?;
        }
        let cur = stack.len() - 1;
        stack[cur].push(parse_item(is_digit, &version[start..]));
    }
    // Close the lists innermost first, normalising each before it joins its parent.
    while stack.len() > 1 {
        let mut inner = stack.pop().unwrap_or_default();
        normalize(&mut inner);
        if let Some(parent) = stack.last_mut() {
            parent.push(Item::List(inner));
        }
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    Ok(root)
}

/// Compares two Maven versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = parse_items(a)?;
    let b = parse_items(b)?;
    Ok(cmp_lists(&a, &b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn qualifier_order() {
        let chain = [
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-def",
            "1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(c("1.0.0", "1"), Equal);
        assert_eq!(c("1-ga", "1-final"), Equal);
        assert_eq!(c("1-cr1", "1-rc1"), Equal);
        assert_eq!(c("1a1", "1-alpha-1"), Equal);
        assert_eq!(c("1.0-RELEASE", "1.0"), Equal);
        assert_eq!(c("2.0.0.Final", "2.0.0"), Equal);
        assert_eq!(c("1-1", "1.1"), Less);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let hostile = "1a".repeat(10_000);
        assert!(compare(&hostile, "1").is_err());
    }
}
