//! Products out of vendor support: the fix a regulator expects to be named is then not "install KB…" but
//! "upgrade to a supported version, then install its latest update".
//!
//! The scan knows which cumulative update of Exchange no longer receives security updates (later updates
//! are published only for newer CUs) and from when; the caller passes that in as [`UnsupportedProduct`]s.

use crate::asset::same_asset;
use crate::evidence::{Evidence, Link};
use crate::time::{format_ts, utc_date};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use vigil_model::Finding;

/// A product version on an asset that its vendor no longer fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsupportedProduct {
    pub asset: String,
    /// The package as the inventory names it (`Exchange Server`) and its version (`15.2.792.3`).
    pub package: String,
    pub version: String,
    /// The product and release people know it by (`Exchange Server 2019 CU8`).
    pub product: String,
    /// The first day a security update was published only for newer versions; `None` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Date>,
    /// The scan's explanation (which updates exist only for newer versions).
    pub detail: String,
}

impl UnsupportedProduct {
    /// Whether a finding is about this product on this asset.
    pub fn covers(&self, f: &Finding) -> bool {
        same_asset(&self.asset, &f.asset)
            && f.package
                .name
                .trim()
                .eq_ignore_ascii_case(self.package.trim())
            && f.package.version.trim() == self.version.trim()
    }

    /// Whether it was already out of support at `at` (unknown start: `None`).
    pub fn unsupported_at(&self, at: Timestamp) -> Option<bool> {
        self.since.map(|s| s <= utc_date(at))
    }

    fn evidence(&self) -> Evidence {
        Evidence::ScanNote {
            asset: self.asset.clone(),
            note: self.detail.clone(),
        }
    }

    /// The measure to propose instead of installing individual updates.
    pub fn measure(&self, missing: &[String]) -> String {
        let mut s = format!(
            "Upgrade {} on {} to a supported cumulative update, then install the latest security update for \
             it: {} no longer receives security updates",
            self.product, self.asset, self.product
        );
        if let Some(d) = self.since {
            s.push_str(&format!(
                " (later updates published only for newer versions since {d})"
            ));
        }
        if !missing.is_empty() {
            s.push_str(&format!(
                "; the upgrade includes the missing {}",
                missing.join(", ")
            ));
        }
        s.push('.');
        s
    }
}

/// The support state of the incident's products at the entry point, one link each.
pub fn support_links(
    asset: Option<&str>,
    products: &[UnsupportedProduct],
    entry: Timestamp,
) -> Vec<Link> {
    products
        .iter()
        .filter(|p| asset.is_some_and(|a| same_asset(a, &p.asset)))
        .map(|p| match (p.unsupported_at(entry), p.since) {
            (Some(true), Some(since)) => Link::established(
                format!(
                    "{} on {} was out of support at the entry point ({}): since {since} security updates \
                     are published only for newer versions, so the fix is an upgrade to a supported version, \
                     not another update for this one",
                    p.product,
                    p.asset,
                    format_ts(entry)
                ),
                vec![p.evidence()],
            ),
            (Some(false), Some(since)) => Link::established(
                format!(
                    "{} on {} was still supported at the entry point ({}); it went out of support on {since}",
                    p.product,
                    p.asset,
                    format_ts(entry)
                ),
                vec![p.evidence()],
            ),
            _ => Link::unknown(
                format!(
                    "Whether {} on {} was already out of support at the entry point ({}); it is out of \
                     support now",
                    p.product,
                    p.asset,
                    format_ts(entry)
                ),
                "the release date of the first security update published only for newer versions",
                vec![p.evidence()],
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cu8(since: Option<Date>) -> UnsupportedProduct {
        UnsupportedProduct {
            asset: "MAIL01".into(),
            package: "Exchange Server".into(),
            version: "15.2.792.3".into(),
            product: "Exchange Server 2019 CU8".into(),
            since,
            detail: "KB5004780 (2021-07-13) for CU9, CU10 only".into(),
        }
    }

    #[test]
    fn support_at_the_entry() {
        let entry: Timestamp = "2021-08-12T21:14:03Z".parse().unwrap();
        let l = support_links(
            Some("mail01.clinic.example.org"),
            &[cu8(Some(jiff::civil::date(2021, 7, 13)))],
            entry,
        );
        assert_eq!(l.len(), 1);
        assert!(
            l[0].claim.contains("was out of support at the entry point"),
            "{}",
            l[0].claim
        );
        let later = support_links(
            Some("MAIL01"),
            &[cu8(Some(jiff::civil::date(2021, 9, 1)))],
            entry,
        );
        assert!(later[0].claim.contains("still supported"));
        assert!(support_links(Some("MAIL01"), &[cu8(None)], entry)[0].is_unknown());
        assert!(support_links(Some("MAIL02"), &[cu8(None)], entry).is_empty());
        let m = cu8(Some(jiff::civil::date(2021, 7, 13))).measure(&["KB5001779".into()]);
        assert!(m.starts_with("Upgrade Exchange Server 2019 CU8 on MAIL01 to a supported cumulative update, then install the latest security update"), "{m}");
        assert!(m.contains("includes the missing KB5001779"));
    }
}
