//! Exchange Server builds: which cumulative update (CU) and security update (SU) a build number is,
//! when it was released, and which later security updates exist for the same CU — what a server on
//! that build is missing.
//!
//! The table ships with the binary (`data/exchange-builds.json`, see `data/LICENSES.md`): an
//! Exchange server reports only its build number (`15.2.792.3`), and neither the CVRF documents nor
//! the server itself say "CU8 without the April 2021 update" in words.

use std::cmp::Ordering;
use std::sync::OnceLock;

use jiff::civil::Date;
use serde::Deserialize;

const TABLE_JSON: &str = include_str!("../../../data/exchange-builds.json");

/// One released build: a CU itself (`su` is `None`) or a security update on top of a CU.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExchangeBuild {
    /// `Exchange Server 2019`.
    pub product: String,
    /// `CU8`, `RTM`, `SP1`.
    pub cu: String,
    /// `Apr21SU`; `None` for the CU's own build.
    pub su: Option<String>,
    /// `15.2.792.13`.
    pub build: String,
    #[serde(rename = "released")]
    pub release_date: Date,
    /// The sources give no day for this update: `release_date` is the update Tuesday of the month
    /// its name says.
    pub released_estimated: bool,
    /// The KB article of a security update, where known.
    pub kb: Option<String>,
}

impl ExchangeBuild {
    /// `Exchange Server 2019 CU8 Apr21SU`, as Microsoft's build-number page names it.
    pub fn display_name(&self) -> String {
        match &self.su {
            Some(su) => format!("{} {} {}", self.product, self.cu, su),
            None => format!("{} {}", self.product, self.cu),
        }
    }
}

#[derive(Deserialize)]
struct RawTable {
    builds: Vec<ExchangeBuild>,
}

/// The result of looking up a build number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo<'a> {
    /// The table entry: the exact build, or the CU the build belongs to when the build itself is
    /// not listed (an interim update or hotfix on that CU).
    pub entry: &'a ExchangeBuild,
    /// Whether the build number was found exactly.
    pub exact: bool,
}

/// The embedded build table.
pub struct ExchangeTable {
    builds: Vec<(BuildNumber, ExchangeBuild)>,
}

/// A parsed `major.minor.build.revision` number (leading zeros allowed: `15.02.0792.013`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildNumber(pub [u32; 4]);

impl std::str::FromStr for BuildNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = [0u32; 4];
        let mut parts = s.trim().split('.');
        for slot in &mut out {
            let p = parts
                .next()
                .ok_or_else(|| format!("build number '{s}' needs four parts"))?;
            *slot = p
                .parse()
                .map_err(|_| format!("build number '{s}': '{p}' is not a number"))?;
        }
        if parts.next().is_some() {
            return Err(format!("build number '{s}' has more than four parts"));
        }
        Ok(BuildNumber(out))
    }
}

impl ExchangeTable {
    /// Parses a table in the format of `data/exchange-builds.json`.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let raw: RawTable = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut builds = raw
            .builds
            .into_iter()
            .map(|b| Ok((b.build.parse::<BuildNumber>()?, b)))
            .collect::<Result<Vec<_>, String>>()?;
        builds.sort_by_key(|(n, _)| *n);
        Ok(ExchangeTable { builds })
    }

    /// The table shipped with vigil.
    pub fn embedded() -> &'static ExchangeTable {
        static TABLE: OnceLock<ExchangeTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The embedded file is checked by the tests; an empty table is the safe failure.
            ExchangeTable::from_json(TABLE_JSON).unwrap_or(ExchangeTable { builds: Vec::new() })
        })
    }

    pub fn builds(&self) -> impl Iterator<Item = &ExchangeBuild> {
        self.builds.iter().map(|(_, b)| b)
    }

    /// Looks a build number up: exactly, or else as a build on top of a listed CU (same
    /// `major.minor.build`, the CU's own entry).
    pub fn lookup(&self, build: &str) -> Option<BuildInfo<'_>> {
        let n: BuildNumber = build.parse().ok()?;
        if let Ok(i) = self.builds.binary_search_by(|(b, _)| b.cmp(&n)) {
            return self
                .builds
                .get(i)
                .map(|(_, entry)| BuildInfo { entry, exact: true });
        }
        self.builds
            .iter()
            .filter(|(b, e)| e.su.is_none() && b.0[..3] == n.0[..3] && b.cmp(&n) == Ordering::Less)
            .map(|(_, entry)| BuildInfo {
                entry,
                exact: false,
            })
            .next_back()
    }

    /// The security updates released for the same product and CU with a higher build than `build`,
    /// oldest first: what a server on `build` is missing (without changing CU).
    pub fn later_security_updates(&self, build: &str) -> Vec<&ExchangeBuild> {
        let Ok(n) = build.parse::<BuildNumber>() else {
            return Vec::new();
        };
        let Some(info) = self.lookup(build) else {
            return Vec::new();
        };
        let (product, cu) = (&info.entry.product, &info.entry.cu);
        self.builds
            .iter()
            .filter(|(b, e)| *b > n && e.su.is_some() && &e.product == product && &e.cu == cu)
            .map(|(_, e)| e)
            .collect()
    }

    /// The build a security update brings to a CU, by product, CU and KB (`5001779`), where the
    /// table knows the KB.
    pub fn security_update_by_kb(
        &self,
        product: &str,
        cu: &str,
        kb: &str,
    ) -> Option<&ExchangeBuild> {
        self.builds()
            .find(|e| e.product == product && e.cu == cu && e.kb.as_deref() == Some(kb))
    }
}
