//! The inventory a Windows/Exchange administrator has without any vigil script: the JSON that Windows
//! PowerShell 5.1 writes for Microsoft's documented commands
//!
//! - `Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo } | ConvertTo-Json` (the build),
//! - `Get-ExchangeServer | ConvertTo-Json` (through the Exchange Management Shell's remote session, so
//!   `AdminDisplayVersion` arrives as text and does not change with security updates),
//! - `Get-HotFix | ConvertTo-Json` (Windows updates only: Exchange security updates are not hotfixes),
//! - `Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' | ConvertTo-Json`,
//!
//! each saved with `Out-File -Encoding UTF8`.

use crate::pwsh_json::Ps;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// An Exchange build: its four parts and the cumulative update it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Build {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    pub revision: u32,
    /// The cumulative update's own (RTM) revision, what `AdminDisplayVersion` shows.
    pub cu_revision: u32,
}

impl Build {
    pub fn parts(&self) -> (u32, u32, u32, u32) {
        (self.major, self.minor, self.build, self.revision)
    }

    /// `15.2.1118.15`.
    pub fn dotted(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.major, self.minor, self.build, self.revision
        )
    }

    /// `15.02.1118.015`: how the file version resource (and Exchange's logs) write it.
    pub fn padded(&self) -> String {
        format!(
            "{}.{:02}.{:04}.{:03}",
            self.major, self.minor, self.build, self.revision
        )
    }
}

/// `Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo } | ConvertTo-Json`.
pub fn exsetup(b: &Build) -> Ps {
    let version_raw = Ps::obj(vec![
        ("Major", Ps::Int(b.major.into())),
        ("Minor", Ps::Int(b.minor.into())),
        ("Build", Ps::Int(b.build.into())),
        ("Revision", Ps::Int(b.revision.into())),
        ("MajorRevision", Ps::Int(0)),
        ("MinorRevision", Ps::Int(b.revision.into())),
    ]);
    Ps::obj(vec![
        ("Comments", Ps::str("")),
        ("CompanyName", Ps::str("Microsoft Corporation")),
        ("FileBuildPart", Ps::Int(b.build.into())),
        ("FileDescription", Ps::str("ExSetup")),
        ("FileMajorPart", Ps::Int(b.major.into())),
        ("FileMinorPart", Ps::Int(b.minor.into())),
        (
            "FileName",
            Ps::str("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\ExSetup.exe"),
        ),
        ("FilePrivatePart", Ps::Int(b.revision.into())),
        ("FileVersion", Ps::str(b.padded())),
        ("InternalName", Ps::str("ExSetup.exe")),
        ("IsDebug", Ps::Bool(false)),
        ("IsPatched", Ps::Bool(false)),
        ("IsPrivateBuild", Ps::Bool(false)),
        ("IsPreRelease", Ps::Bool(false)),
        ("IsSpecialBuild", Ps::Bool(false)),
        ("Language", Ps::str("Language Neutral")),
        (
            "LegalCopyright",
            Ps::str("© 2022 Microsoft Corporation. All rights reserved."),
        ),
        ("LegalTrademarks", Ps::str("")),
        ("OriginalFilename", Ps::str("ExSetup.exe")),
        ("PrivateBuild", Ps::str("")),
        ("ProductBuildPart", Ps::Int(b.build.into())),
        ("ProductMajorPart", Ps::Int(b.major.into())),
        ("ProductMinorPart", Ps::Int(b.minor.into())),
        ("ProductName", Ps::str("Microsoft® Exchange")),
        ("ProductPrivatePart", Ps::Int(b.revision.into())),
        ("ProductVersion", Ps::str(b.padded())),
        ("SpecialBuild", Ps::str("")),
        ("FileVersionRaw", version_raw.clone()),
        ("ProductVersionRaw", version_raw),
    ])
}

/// `Get-ExchangeServer | ConvertTo-Json` for a single Mailbox server (one object, not an array).
pub fn exchange_server(
    b: &Build,
    name: &str,
    fqdn: &str,
    ad_domain: &str,
    created: Timestamp,
    changed: Timestamp,
) -> Ps {
    let dn = format!(
        "CN={name},CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,{}",
        ad_domain
            .split('.')
            .map(|p| format!("DC={p}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let ms = |t: Timestamp| Ps::Date(t.as_millisecond());
    Ps::obj(vec![
        ("Name", Ps::str(name)),
        (
            "DataPath",
            Ps::str("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Mailbox"),
        ),
        ("Domain", Ps::str(ad_domain)),
        ("Edition", Ps::str("Standard")),
        (
            "ExchangeLegacyDN",
            Ps::str(format!(
                "/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn={name}"
            )),
        ),
        ("ExchangeLegacyServerRole", Ps::Int(0)),
        ("Fqdn", Ps::str(fqdn)),
        ("CustomerFeedbackEnabled", Ps::Null),
        ("InternetWebProxy", Ps::Null),
        ("IsHubTransportServer", Ps::Bool(true)),
        ("IsClientAccessServer", Ps::Bool(true)),
        ("IsExchange2007OrLater", Ps::Bool(true)),
        ("IsEdgeServer", Ps::Bool(false)),
        ("IsMailboxServer", Ps::Bool(true)),
        ("IsE14OrLater", Ps::Bool(true)),
        ("IsE15OrLater", Ps::Bool(true)),
        ("IsUnifiedMessagingServer", Ps::Bool(false)),
        ("IsFrontendTransportServer", Ps::Bool(true)),
        ("OrganizationalUnit", Ps::str(format!("{ad_domain}/{name}"))),
        (
            "AdminDisplayVersion",
            Ps::str(format!(
                "Version {}.{} (Build {}.{})",
                b.major, b.minor, b.build, b.cu_revision
            )),
        ),
        (
            "Site",
            Ps::str(format!(
                "{ad_domain}/Configuration/Sites/Default-First-Site-Name"
            )),
        ),
        ("ServerRole", Ps::str("Mailbox")),
        ("ErrorReportingEnabled", Ps::Null),
        ("StaticDomainControllers", Ps::Array(vec![])),
        ("StaticGlobalCatalogs", Ps::Array(vec![])),
        ("StaticConfigDomainController", Ps::Null),
        ("StaticExcludedDomainControllers", Ps::Array(vec![])),
        ("CurrentDomainControllers", Ps::Array(vec![])),
        ("CurrentGlobalCatalogs", Ps::Array(vec![])),
        ("CurrentConfigDomainController", Ps::Null),
        ("ProductID", Ps::str("00000-000-0000-000")),
        ("IsExchangeTrialEdition", Ps::Bool(false)),
        ("IsExpiredExchangeTrialEdition", Ps::Bool(false)),
        ("MonitoringGroup", Ps::Null),
        ("RemainingTrialPeriod", Ps::str("00:00:00")),
        ("IsValid", Ps::Bool(true)),
        ("ExchangeVersion", Ps::str("0.1 (8.0.535.0)")),
        ("DistinguishedName", Ps::str(dn.clone())),
        ("Identity", Ps::str(name)),
        ("Guid", Ps::str("5c4d9e6f-1a2b-4c3d-8e7f-0a1b2c3d4e5f")),
        (
            "ObjectCategory",
            Ps::str(format!(
                "{ad_domain}/Configuration/Schema/ms-Exch-Exchange-Server"
            )),
        ),
        (
            "ObjectClass",
            Ps::Array(vec![
                Ps::str("top"),
                Ps::str("server"),
                Ps::str("msExchExchangeServer"),
            ]),
        ),
        ("WhenChanged", ms(changed)),
        ("WhenCreated", ms(created)),
        ("WhenChangedUTC", ms(changed)),
        ("WhenCreatedUTC", ms(created)),
        ("OrganizationId", Ps::str("")),
        ("Id", Ps::str(name)),
        ("OriginatingServer", Ps::str(format!("DC01.{ad_domain}"))),
        ("ObjectState", Ps::str("Unchanged")),
        ("PSComputerName", Ps::str(fqdn)),
        (
            "RunspaceId",
            Ps::str("3f1c7d52-9a4e-4b8e-a0d4-6f2e8b1c9d07"),
        ),
        ("PSShowComputerName", Ps::Bool(false)),
    ])
}

/// One Windows update as `Get-HotFix` lists it.
#[derive(Debug, Clone)]
pub struct HotFix {
    pub id: String,
    /// `Update`, `Security Update`.
    pub description: String,
    /// Installation day (local midnight on the server).
    pub installed_on: Date,
}

/// `Get-HotFix | ConvertTo-Json` (an array of WMI `Win32_QuickFixEngineering` objects; `InstalledOn` is a
/// `DateTime` at local midnight, written with its `DateTime` display text).
pub fn hotfixes(list: &[HotFix], computer: &str, tz: &TimeZone) -> Ps {
    Ps::Array(
        list.iter()
            .map(|h| {
                let midnight = h
                    .installed_on
                    .to_zoned(tz.clone())
                    .map(|z| z.timestamp().as_millisecond())
                    .unwrap_or(0);
                let relpath = format!(
                    "Win32_QuickFixEngineering.HotFixID=\"{}\",ServicePackInEffect=\"\"",
                    h.id
                );
                Ps::obj(vec![
                    ("PSComputerName", Ps::str(computer)),
                    (
                        "InstalledOn",
                        Ps::obj(vec![
                            ("value", Ps::Date(midnight)),
                            ("DateTime", Ps::str(long_date(h.installed_on))),
                        ]),
                    ),
                    ("__GENUS", Ps::Int(2)),
                    ("__CLASS", Ps::str("Win32_QuickFixEngineering")),
                    ("__SUPERCLASS", Ps::str("CIM_LogicalElement")),
                    ("__DYNASTY", Ps::str("CIM_ManagedSystemElement")),
                    ("__RELPATH", Ps::str(relpath.clone())),
                    ("__PROPERTY_COUNT", Ps::Int(11)),
                    (
                        "__DERIVATION",
                        Ps::Array(vec![
                            Ps::str("CIM_LogicalElement"),
                            Ps::str("CIM_ManagedSystemElement"),
                        ]),
                    ),
                    ("__SERVER", Ps::str(computer)),
                    ("__NAMESPACE", Ps::str("root\\cimv2")),
                    (
                        "__PATH",
                        Ps::str(format!("\\\\{computer}\\root\\cimv2:{relpath}")),
                    ),
                    (
                        "Caption",
                        Ps::str(format!(
                            "http://support.microsoft.com/?kbid={}",
                            h.id.trim_start_matches("KB")
                        )),
                    ),
                    ("CSName", Ps::str(computer)),
                    ("Description", Ps::str(h.description.clone())),
                    ("FixComments", Ps::str("")),
                    ("HotFixID", Ps::str(h.id.clone())),
                    ("InstallDate", Ps::Null),
                    ("InstalledBy", Ps::str("NT AUTHORITY\\SYSTEM")),
                    ("Name", Ps::Null),
                    ("ServicePackInEffect", Ps::str("")),
                    ("Status", Ps::Null),
                    ("Scope", Ps::str("System.Management.ManagementScope")),
                    ("Path", Ps::str("System.Management.ManagementPath")),
                    ("Options", Ps::str("System.Management.ObjectGetOptions")),
                    ("ClassPath", Ps::str("System.Management.ManagementPath")),
                    (
                        "Properties",
                        Ps::str("System.Management.PropertyDataCollection"),
                    ),
                    (
                        "SystemProperties",
                        Ps::str("System.Management.PropertyDataCollection"),
                    ),
                    (
                        "Qualifiers",
                        Ps::str("System.Management.QualifierDataCollection"),
                    ),
                    ("Site", Ps::Null),
                    ("Container", Ps::Null),
                ])
            })
            .collect(),
    )
}

/// `Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' | ConvertTo-Json` on Windows
/// Server 2019 (build 17763) at update revision `ubr`.
pub fn current_version(ubr: u32, installed: Timestamp) -> Ps {
    let key =
        "Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT";
    Ps::obj(vec![
        ("SystemRoot", Ps::str("C:\\Windows")),
        ("BaseBuildRevisionNumber", Ps::Int(1)),
        ("BuildBranch", Ps::str("rs5_release")),
        ("BuildGUID", Ps::str("ffffffff-ffff-ffff-ffff-ffffffffffff")),
        ("BuildLab", Ps::str("17763.rs5_release.180914-1434")),
        (
            "BuildLabEx",
            Ps::str("17763.1.amd64fre.rs5_release.180914-1434"),
        ),
        ("CompositionEditionID", Ps::str("ServerStandard")),
        ("CurrentBuild", Ps::str("17763")),
        ("CurrentBuildNumber", Ps::str("17763")),
        ("CurrentMajorVersionNumber", Ps::Int(10)),
        ("CurrentMinorVersionNumber", Ps::Int(0)),
        ("CurrentType", Ps::str("Multiprocessor Free")),
        ("CurrentVersion", Ps::str("6.3")),
        ("EditionID", Ps::str("ServerStandard")),
        ("EditionSubManufacturer", Ps::str("")),
        ("EditionSubstring", Ps::str("")),
        ("EditionSubVersion", Ps::str("")),
        ("InstallationType", Ps::str("Server")),
        ("InstallDate", Ps::Int(installed.as_second())),
        ("ProductName", Ps::str("Windows Server 2019 Standard")),
        ("ReleaseId", Ps::str("1809")),
        ("SoftwareType", Ps::str("System")),
        ("UBR", Ps::Int(ubr.into())),
        ("PathName", Ps::str("C:\\Windows")),
        ("ProductId", Ps::str("00429-70000-00000-AA000")),
        ("RegisteredOrganization", Ps::str("")),
        ("RegisteredOwner", Ps::str("Windows User")),
        (
            "InstallTime",
            Ps::Int(installed.as_second() * 10_000_000 + 116_444_736_000_000_000),
        ),
        ("PSPath", Ps::str(format!("{key}\\CurrentVersion"))),
        ("PSParentPath", Ps::str(key)),
        ("PSChildName", Ps::str("CurrentVersion")),
        (
            "PSDrive",
            Ps::obj(vec![
                ("CurrentLocation", Ps::str("")),
                ("Name", Ps::str("HKLM")),
                ("Provider", Ps::str("Microsoft.PowerShell.Core\\Registry")),
                ("Root", Ps::str("HKEY_LOCAL_MACHINE")),
                (
                    "Description",
                    Ps::str("The configuration settings for the local computer"),
                ),
                ("MaximumSize", Ps::Null),
                (
                    "Credential",
                    Ps::str("System.Management.Automation.PSCredential"),
                ),
                ("DisplayRoot", Ps::Null),
            ]),
        ),
        (
            "PSProvider",
            Ps::obj(vec![
                (
                    "ImplementingType",
                    Ps::str("Microsoft.PowerShell.Commands.RegistryProvider"),
                ),
                (
                    "HelpFile",
                    Ps::str("System.Management.Automation.dll-Help.xml"),
                ),
                ("Name", Ps::str("Registry")),
                ("PSSnapIn", Ps::str("Microsoft.PowerShell.Core")),
                ("ModuleName", Ps::str("Microsoft.PowerShell.Core")),
                ("Module", Ps::Null),
                ("Description", Ps::str("")),
                ("Capabilities", Ps::Int(80)),
                ("Home", Ps::str("")),
                ("Drives", Ps::str("HKLM HKCU")),
            ]),
        ),
    ])
}

/// `Tuesday, November 8, 2022 12:00:00 AM` (the en-US long date PowerShell shows for a local midnight).
pub fn long_date(d: Date) -> String {
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let wd = DAYS
        .get(usize::from(
            d.weekday().to_monday_zero_offset().unsigned_abs(),
        ))
        .copied()
        .unwrap_or("Monday");
    let m = MONTHS
        .get(usize::try_from(d.month() - 1).unwrap_or(0))
        .copied()
        .unwrap_or("January");
    format!("{wd}, {m} {}, {} 12:00:00 AM", d.day(), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ServerZone;
    use crate::pwsh_json::file_bytes;

    fn parse(v: &Ps) -> serde_json::Value {
        let bytes = file_bytes(v);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        serde_json::from_slice(&bytes[3..]).unwrap()
    }

    #[test]
    fn documents_are_valid_json_with_the_facts() {
        let b = Build {
            major: 15,
            minor: 2,
            build: 1118,
            revision: 15,
            cu_revision: 7,
        };
        let e = parse(&exsetup(&b));
        assert_eq!(e["FileVersion"], "15.02.1118.015");
        assert_eq!(e["FilePrivatePart"], 15);
        let t: Timestamp = "2022-05-01T00:00:00Z".parse().unwrap();
        let s = parse(&exchange_server(
            &b,
            "EXCH01",
            "EXCH01.h.example",
            "h.local",
            t,
            t,
        ));
        assert_eq!(s["AdminDisplayVersion"], "Version 15.2 (Build 1118.7)");
        let d = jiff::civil::date(2022, 11, 8);
        let h = parse(&hotfixes(
            &[HotFix {
                id: "KB5019966".into(),
                description: "Security Update".into(),
                installed_on: d,
            }],
            "EXCH01",
            &ServerZone::berlin().tz(),
        ));
        // Local midnight in Berlin is 23:00 UTC the day before.
        assert_eq!(h[0]["InstalledOn"]["value"], "/Date(1667862000000)/");
        assert_eq!(
            h[0]["InstalledOn"]["DateTime"],
            "Tuesday, November 8, 2022 12:00:00 AM"
        );
        let c = parse(&current_version(3650, t));
        assert_eq!(c["UBR"], 3650);
    }
}
