//! The exceptions made in the console, applied as an ignore file's entries are: each becomes an entry
//! restricted to its asset and package, added to the entries of the file in use, so `vigil scan`, the
//! service's scheduled scans and alerts, `vigil status` and the console treat both alike (an exception
//! in force hides the finding from gates and alerts until its expiry date; an expired one no longer
//! does).

use vigil_model::Finding;
use vigil_scan::{IgnoreEntry, IgnoreFile};
use vigil_store::{AssetStore, FindingException, StoreError};

/// The ignore entry of a stored exception; the reason names who made it.
pub fn entry(e: &FindingException) -> IgnoreEntry {
    IgnoreEntry {
        id: e.advisory.clone(),
        reason: format!("{} (by {} in the console)", e.reason, e.created_by),
        expires: e.expires,
        asset: Some(e.asset.clone()),
        package: e.package.clone(),
    }
}

/// `file`'s entries and those of every exception in the store (of `asset` only, when given).
pub fn with_stored(
    store: &dyn AssetStore,
    file: &IgnoreFile,
    asset: Option<&str>,
) -> Result<IgnoreFile, StoreError> {
    let mut out = file.clone();
    out.entries
        .extend(store.exceptions(asset)?.iter().map(entry));
    Ok(out)
}

/// What an exception to `f` is made for: the id that names its vulnerability (the KB, else its
/// lowest CVE, else its first advisory, as its stored key does) and its package.
pub fn target(f: &Finding) -> (String, String) {
    let key = vigil_model::snapshots::finding_key(f);
    let id = key
        .rsplit_once('#')
        .map_or(key.as_str(), |(_, id)| id)
        .to_string();
    (id, f.package.name.clone())
}

/// The stored exception in force for `f` on `today` (the one lasting longest), if any.
pub fn in_force<'a>(
    exceptions: &'a [FindingException],
    f: &Finding,
    today: jiff::civil::Date,
) -> Option<&'a FindingException> {
    exceptions
        .iter()
        .filter(|e| today < e.expires && IgnoreFile::applies(&entry(e), f))
        .max_by_key(|e| e.expires)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use vigil_model::{Ecosystem, Package, PackageLocation, Severity};

    fn finding(asset: &str, package: &str) -> Finding {
        Finding {
            asset: asset.into(),
            package: Package {
                ecosystem: Ecosystem::new("Debian:12"),
                name: package.into(),
                version: "3.0.11-1".into(),
                purl: None,
                source_name: None,
                location: PackageLocation {
                    file: "status".into(),
                    line: None,
                },
            },
            advisories: vec!["DSA-5000-1".into()],
            aliases: vec!["CVE-2024-0002".into(), "CVE-2024-0001".into()],
            summary: None,
            severity: Severity::High,
            cvss_score: None,
            cvss_vector: None,
            known_exploited: false,
            kev_due: None,
            epss: None,
            fixed_versions: vec![],
            kb: None,
            fix_released: None,
            due: None,
        }
    }

    fn exception(expires: jiff::civil::Date) -> FindingException {
        let f = finding("mx1", "openssl");
        let (advisory, package) = target(&f);
        FindingException {
            id: 1,
            asset: "mx1".into(),
            advisory,
            package: Some(package),
            reason: "not reachable".into(),
            expires,
            created_by: "rita".into(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    /// An exception hides its finding on its asset and package until the day it expires, and no
    /// other; from that day the finding is an expired exception, as with an ignore file.
    #[test]
    fn an_exception_applies_to_its_finding_until_it_expires() {
        let e = exception(date(2026, 6, 1));
        assert_eq!(e.advisory, "CVE-2024-0001");
        let mut file = IgnoreFile::default();
        file.entries.push(entry(&e));
        let f = finding("mx1", "openssl");
        assert!(matches!(
            file.state(&f, date(2026, 5, 31)),
            Some(vigil_scan::IgnoreState::Ignored { ref reason, .. }) if reason.contains("by rita")
        ));
        assert!(matches!(
            file.state(&f, date(2026, 6, 1)),
            Some(vigil_scan::IgnoreState::Expired { .. })
        ));
        assert_eq!(
            file.state(&finding("mx2", "openssl"), date(2026, 5, 1)),
            None
        );
        assert_eq!(
            file.state(&finding("mx1", "libssl3"), date(2026, 5, 1)),
            None
        );
        let list = [e];
        assert!(in_force(&list, &f, date(2026, 5, 31)).is_some());
        assert!(in_force(&list, &f, date(2026, 6, 1)).is_none());
    }
}
