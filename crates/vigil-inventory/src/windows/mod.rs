//! Windows servers and Microsoft Exchange: the inventory that `docs/windows-inventory.ps1` writes, as
//! JSON or as `Property,Value` CSV.
//!
//! Packages are given the ecosystem `Microsoft` (a vigil name, not an OSV one: OSV has no Microsoft
//! ecosystem; vigil's Microsoft knowledge comes from the Security Update Guide): `Exchange Server` at the
//! build of `ExSetup.exe` (e.g. `15.2.792.3`) and `Windows Server` (or `Windows` for client editions) at
//! `Version.UBR` (e.g. `10.0.17763.1757`). The Exchange build is taken from ExSetup.exe's file version
//! only: `AdminDisplayVersion` stays at the cumulative update's build when security updates are
//! installed, so an inventory that has only it is reported as not assessable rather than matched on a
//! build that looks older (or newer) than what runs. The installed updates (`Get-HotFix`) are kept on
//! [`WindowsInventory`] for the matcher's KB checks.

pub(crate) mod csv;
pub mod fields;
pub(crate) mod json;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Everything the inventory says about one Windows machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowsInventory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_caption: Option<String>,
    /// `Version` as Windows reports it (`10.0.17763`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// The full build with the update revision (`10.0.17763.1757`), when UBR was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hotfixes: Vec<HotFix>,
}

impl WindowsInventory {
    /// Whether an update is installed; `kb` may be given as `KB5003435` or `5003435`.
    pub fn has_kb(&self, kb: &str) -> bool {
        let want = kb_digits(kb);
        !want.is_empty() && self.hotfixes.iter().any(|h| kb_digits(&h.id) == want)
    }

    /// The installed KB identifiers (`KB5003435`).
    pub fn kbs(&self) -> impl Iterator<Item = &str> {
        self.hotfixes.iter().map(|h| h.id.as_str())
    }
}

fn kb_digits(kb: &str) -> &str {
    let t = kb.trim();
    t.get(..2)
        .filter(|p| p.eq_ignore_ascii_case("kb"))
        .and_then(|_| t.get(2..))
        .unwrap_or(t)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeInfo {
    /// `Version 15.2 (Build 792.3)`: informational only (see the module documentation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_display_version: Option<String>,
    /// ExSetup.exe's file version, normalised without leading zeros (`15.02.0792.003` → `15.2.792.3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exsetup_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_role: Option<String>,
}

/// One installed update as `Get-HotFix` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotFix {
    /// `KB5003435`, upper-cased.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_on: Option<Date>,
}

/// A dotted numeric version without leading zeros in its parts: `15.02.0792.003` → `15.2.792.3`.
/// `None` unless it has 2 to 4 numeric parts.
pub fn normalise_build(v: &str) -> Option<String> {
    let parts: Vec<&str> = v.trim().split('.').collect();
    if !(2..=4).contains(&parts.len()) {
        return None;
    }
    let nums: Option<Vec<u64>> = parts.iter().map(|p| p.trim().parse::<u64>().ok()).collect();
    Some(
        nums?
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_kbs() {
        assert_eq!(
            normalise_build("15.02.0792.003").as_deref(),
            Some("15.2.792.3")
        );
        assert_eq!(normalise_build("15.2.792.3").as_deref(), Some("15.2.792.3"));
        assert_eq!(normalise_build("Version 15.2"), None);
        assert_eq!(normalise_build("1"), None);
        let inv = WindowsInventory {
            hotfixes: vec![HotFix {
                id: "KB5003435".into(),
                description: None,
                installed_on: None,
            }],
            ..WindowsInventory::default()
        };
        assert!(inv.has_kb("KB5003435"));
        assert!(inv.has_kb("kb5003435"));
        assert!(inv.has_kb("5003435"));
        assert!(!inv.has_kb("KB5001779"));
        assert!(!inv.has_kb(""));
    }
}
