//! Windows servers and Microsoft Exchange: the inventory that `docs/windows-inventory.ps1` writes, as
//! JSON or as `Property,Value` CSV ([`json`], [`csv`]), and the outputs of Microsoft's own commands that
//! administrators save with `ConvertTo-Json` ([`powershell`]).
//!
//! Each reader records [`facts::Fact`]s with their source; [`finish`] merges the facts of every input
//! into one [`WindowsInventory`] and derives the packages, reporting conflicts between files.
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
pub mod dates;
pub mod facts;
pub mod fields;
pub(crate) mod finish;
pub(crate) mod json;
pub(crate) mod powershell;

use facts::{Fact, FactKind, FactSource};
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
    /// Every fact read, with its source: the fields above are derived from these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
}

impl WindowsInventory {
    /// Takes in another input's facts; the derived fields are recomputed when the inventory is
    /// finished (see [`crate::collect_inputs`]).
    pub fn absorb(&mut self, other: WindowsInventory) {
        self.facts.extend(other.facts);
    }

    /// The value used for a fact, as the facts spell it; `None` for kinds with several values used
    /// (Exchange builds, updates) and for facts not used.
    fn used_value(&self, kind: FactKind) -> Option<String> {
        let ex = self.exchange.as_ref();
        match kind {
            FactKind::ComputerName => self.computer_name.clone(),
            FactKind::CollectedAt => self.collected_at.map(|t| t.to_string()),
            FactKind::OsCaption => self.os_caption.clone(),
            FactKind::OsVersion => self.os_version.clone(),
            FactKind::OsRevision => self
                .os_build
                .as_deref()
                .and_then(|b| b.rsplit('.').next())
                .map(str::to_string),
            FactKind::ExchangeBuild => ex.and_then(|e| e.exsetup_version.clone()),
            FactKind::ExchangeAdminDisplayVersion => {
                ex.and_then(|e| e.admin_display_version.clone())
            }
            FactKind::ExchangeEdition => ex.and_then(|e| e.edition.clone()),
            FactKind::ExchangeServerRole => ex.and_then(|e| e.server_role.clone()),
            FactKind::ExchangeServer => ex.and_then(|e| e.name.clone()),
            FactKind::ExchangeFqdn => ex.and_then(|e| e.fqdn.clone()),
            FactKind::ExchangeSite => ex.and_then(|e| e.site.clone()),
            FactKind::HotFix => None,
        }
    }

    /// Whether a fact is one the inventory uses: its value is the one used, and a fact about a listed
    /// server is about this machine.
    fn used(&self, f: &Fact) -> bool {
        if let (Some(h), Some(name)) = (
            f.host.as_deref(),
            self.exchange.as_ref().and_then(|e| e.name.as_deref()),
        ) && !powershell::short_name(h).eq_ignore_ascii_case(powershell::short_name(name))
        {
            return false;
        }
        match f.kind {
            // Every Exchange build found is assessed.
            FactKind::ExchangeBuild | FactKind::HotFix => true,
            kind => self.used_value(kind).is_some_and(|v| v == f.value),
        }
    }

    /// Where the value used for a fact came from (its first source).
    pub fn source_of(&self, kind: FactKind) -> Option<&FactSource> {
        self.facts
            .iter()
            .find(|f| f.kind == kind && self.used(f))
            .map(|f| &f.source)
    }

    /// One line per fact used, with its source: `Exchange build 15.1.2308.8 from ExSetup.json:12
    /// (Get-Command ExSetup.exe FileVersionInfo)`; the installed updates as one line per source file.
    pub fn provenance(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut said = std::collections::BTreeSet::new();
        for f in &self.facts {
            if f.kind == FactKind::HotFix || !self.used(f) {
                continue;
            }
            if said.insert((f.kind, f.value.clone())) {
                out.push(f.to_string());
            }
        }
        let mut files: Vec<(String, usize)> = Vec::new();
        for f in self.facts.iter().filter(|f| f.kind == FactKind::HotFix) {
            let label = format!("{} ({})", f.source.file, f.source.origin.describe());
            match files.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => files.push((label, 1)),
            }
        }
        for (label, n) in files {
            out.push(format!("installed updates ({n}) from {label}"));
        }
        out
    }

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
    /// The server's name as Get-ExchangeServer lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// The Active Directory site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
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
    /// The file that listed it (the first, when several did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<FactSource>,
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
                source: None,
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
