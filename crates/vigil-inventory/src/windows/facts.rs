//! Facts about a Windows machine, each with the file, line and command it came from.
//!
//! Every Windows reader (vigil's own inventory, and the PowerShell outputs administrators save) only
//! records facts; [`super::finish`] merges the facts of all inputs into one inventory, so that the
//! caller can say which file gave the Exchange build and which the installed updates, and so that two
//! files that disagree are reported instead of one silently winning.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a fact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactKind {
    /// The machine's NetBIOS name.
    ComputerName,
    /// When the source was collected (RFC 3339).
    CollectedAt,
    /// `Microsoft Windows Server 2016 Datacenter`.
    OsCaption,
    /// `10.0.14393`: major.minor.build.
    OsVersion,
    /// The update build revision (UBR), `4402`: the last part of the full build `10.0.14393.4402`.
    OsRevision,
    /// ExSetup.exe's file version, normalised (`15.1.2308.8`): the Exchange build.
    ExchangeBuild,
    /// An Exchange server's name, as Get-ExchangeServer lists it.
    ExchangeServer,
    /// `Version 15.1 (Build 2308.8)`: the cumulative update, not the security update level.
    ExchangeAdminDisplayVersion,
    ExchangeEdition,
    ExchangeServerRole,
    ExchangeFqdn,
    ExchangeSite,
    /// One installed update (`KB5001779`), with its description and installation day.
    HotFix,
}

impl FactKind {
    /// The fact's name in messages.
    pub fn label(self) -> &'static str {
        match self {
            FactKind::ComputerName => "computer name",
            FactKind::CollectedAt => "collection time",
            FactKind::OsCaption => "Windows edition",
            FactKind::OsVersion => "Windows version",
            FactKind::OsRevision => "Windows update revision (UBR)",
            FactKind::ExchangeBuild => "Exchange build",
            FactKind::ExchangeServer => "Exchange server",
            FactKind::ExchangeAdminDisplayVersion => "Exchange AdminDisplayVersion",
            FactKind::ExchangeEdition => "Exchange edition",
            FactKind::ExchangeServerRole => "Exchange server role",
            FactKind::ExchangeFqdn => "Exchange server FQDN",
            FactKind::ExchangeSite => "Exchange AD site",
            FactKind::HotFix => "installed update",
        }
    }
}

/// The command (or vigil's script) that produced a file. The order is the order of preference when
/// inputs disagree: vigil's own inventory, then the most direct source of each fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `docs/windows-inventory.ps1`'s JSON or CSV.
    VigilInventory,
    /// `Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo }`.
    ExSetupFileVersion,
    /// `Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'`.
    RegistryCurrentVersion,
    /// `Get-HotFix`.
    GetHotFix,
    /// `Get-ComputerInfo`.
    GetComputerInfo,
    /// `Get-ExchangeServer`.
    GetExchangeServer,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::VigilInventory => "vigil Windows inventory",
            Origin::ExSetupFileVersion => "Get-Command ExSetup.exe FileVersionInfo",
            Origin::GetComputerInfo => "Get-ComputerInfo",
            Origin::RegistryCurrentVersion => {
                "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
            }
            Origin::GetHotFix => "Get-HotFix",
            Origin::GetExchangeServer => "Get-ExchangeServer",
        }
    }
}

/// Where a fact was read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FactSource {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub origin: Origin,
}

impl fmt::Display for FactSource {
    /// `ExSetup.json:12 (Get-Command ExSetup.exe FileVersionInfo)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l} ({})", self.file, self.origin.describe()),
            None => write!(f, "{} ({})", self.file, self.origin.describe()),
        }
    }
}

/// One fact and its source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fact {
    pub kind: FactKind,
    pub value: String,
    /// The machine the fact is about, when the source lists several (Get-ExchangeServer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// An update's description (`Security Update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// An update's installation day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    pub source: FactSource,
}

impl Fact {
    pub fn new(
        kind: FactKind,
        value: impl Into<String>,
        file: &str,
        line: Option<u32>,
        origin: Origin,
    ) -> Fact {
        Fact {
            kind,
            value: value.into(),
            host: None,
            detail: None,
            date: None,
            source: FactSource {
                file: file.to_string(),
                line,
                origin,
            },
        }
    }

    pub fn on_host(mut self, host: Option<String>) -> Fact {
        self.host = host;
        self
    }

    pub fn with_detail(mut self, detail: Option<String>) -> Fact {
        self.detail = detail;
        self
    }

    pub fn with_date(mut self, date: Option<Date>) -> Fact {
        self.date = date;
        self
    }
}

impl fmt::Display for Fact {
    /// `Exchange build 15.1.2308.8 from ExSetup.json:12 (Get-Command ExSetup.exe FileVersionInfo)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} from {}",
            self.kind.label(),
            self.value,
            self.source
        )
    }
}
