//! Merging advisories that describe the same vulnerability: GHSA, PYSEC and the CVE record of one flaw
//! are one finding, not three. Two advisories belong together when they share any identifier (an id or an
//! alias, compared case-insensitively); the relation is closed transitively.

use std::collections::HashMap;
use vigil_model::Advisory;

/// Groups advisories (by index) that share an identifier; groups come out in the order of their first
/// member, members in input order.
pub fn group(advisories: &[&Advisory]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..advisories.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let gp = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = gp;
            }
            i = p;
        }
        i
    }
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, a) in advisories.iter().enumerate() {
        for name in std::iter::once(&a.id).chain(a.aliases.iter()) {
            let key = name.trim().to_ascii_uppercase();
            if key.is_empty() {
                continue;
            }
            match owner.get(&key) {
                Some(&j) => {
                    let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                    if ri != rj {
                        let (lo, hi) = (ri.min(rj), ri.max(rj));
                        if let Some(slot) = parent.get_mut(hi) {
                            *slot = lo;
                        }
                    }
                }
                None => {
                    owner.insert(key, i);
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    for i in 0..advisories.len() {
        let root = find(&mut parent, i);
        match index_of_root.get(&root) {
            Some(&g) => {
                if let Some(group) = groups.get_mut(g) {
                    group.push(i);
                }
            }
            None => {
                index_of_root.insert(root, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// How informative an advisory id is, lower first: the ecosystem's own database and distro advisories
/// (they name the package and the fixed version exactly), then GitHub's, then others, then bare CVE
/// records.
pub fn rank(id: &str) -> u8 {
    /// Ecosystem databases that are not distros.
    const NATIVE: &[&str] = &["RUSTSEC-", "PYSEC-", "GO-", "MAL-", "BIT-", "RSEC-"];
    let upper = id.to_ascii_uppercase();
    if NATIVE.iter().any(|p| upper.starts_with(p)) || is_distro_advisory(id) {
        0
    } else if upper.starts_with("GHSA-") {
        1
    } else if upper.starts_with("CVE-") {
        3
    } else {
        2
    }
}

/// Whether an advisory id is a distro's security advisory (one update, several CVEs).
pub fn is_distro_advisory(id: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "DSA-",
        "DLA-",
        "DTSA-",
        "USN-",
        "ALSA-",
        "ALBA-",
        "ALEA-",
        "RLSA-",
        "RHSA-",
        "RHBA-",
        "SUSE-",
        "OPENSUSE-",
        "ALPINE-",
    ];
    let upper = id.to_ascii_uppercase();
    PREFIXES.iter().any(|p| upper.starts_with(p))
}

/// Orders ids primary first: by [`rank`], then by id.
pub fn order_ids(ids: &mut [String]) {
    ids.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
}

/// Orders aliases CVEs first, then by id.
pub fn order_aliases(ids: &mut [String]) {
    ids.sort_by(|a, b| {
        (!a.starts_with("CVE-"))
            .cmp(&!b.starts_with("CVE-"))
            .then_with(|| a.cmp(b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adv(id: &str, aliases: &[&str]) -> Advisory {
        Advisory {
            id: id.into(),
            source: "osv".into(),
            modified: jiff::Timestamp::UNIX_EPOCH,
            published: None,
            withdrawn: None,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            related: vec![],
            summary: None,
            details: None,
            severity: vec![],
            source_severity: None,
            affected: vec![],
            references: vec![],
            database_specific: None,
        }
    }

    #[test]
    fn shared_ids_merge_transitively() {
        let a = adv("GHSA-aaaa", &["CVE-2021-1"]);
        let b = adv("PYSEC-2021-9", &["cve-2021-1", "GHSA-aaaa"]);
        let c = adv("GHSA-cccc", &["CVE-2021-2"]);
        let d = adv("X-1", &["PYSEC-2021-9"]);
        let groups = group(&[&a, &c, &b, &d]);
        assert_eq!(groups, vec![vec![0, 2, 3], vec![1]]);
    }

    #[test]
    fn primary_is_the_native_database() {
        let mut ids = vec![
            "CVE-2021-1".to_string(),
            "GHSA-x".to_string(),
            "PYSEC-2021-9".to_string(),
        ];
        order_ids(&mut ids);
        assert_eq!(ids, vec!["PYSEC-2021-9", "GHSA-x", "CVE-2021-1"]);
        let mut al = vec!["GHSA-x".to_string(), "CVE-2".to_string()];
        order_aliases(&mut al);
        assert_eq!(al, vec!["CVE-2", "GHSA-x"]);
    }
}
