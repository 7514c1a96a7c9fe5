//! Sigma's Windows log sources: which `service` a channel is, and which `category` a Sysmon or
//! PowerShell event is. The tables follow the Sigma taxonomy appendix (v2.1.0, "Windows Folder").

use std::collections::BTreeMap;
use vigil_model::{FieldValue, LogSource};

/// Channel → Sigma `service` (product windows), from the taxonomy's service table.
const CHANNEL_SERVICES: &[(&str, &str)] = &[
    ("Application", "application"),
    (
        "Microsoft-Windows-Application-Experience/Program-Telemetry",
        "application-experience",
    ),
    (
        "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
        "application-experience",
    ),
    ("Microsoft-Windows-AppLocker/MSI and Script", "applocker"),
    ("Microsoft-Windows-AppLocker/EXE and DLL", "applocker"),
    (
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "applocker",
    ),
    (
        "Microsoft-Windows-AppLocker/Packaged app-Execution",
        "applocker",
    ),
    (
        "Microsoft-Windows-AppModel-Runtime/Admin",
        "appmodel-runtime",
    ),
    (
        "Microsoft-Windows-AppXDeploymentServer/Operational",
        "appxdeployment-server",
    ),
    (
        "Microsoft-Windows-AppxPackaging/Operational",
        "appxpackaging-om",
    ),
    (
        "Microsoft-Windows-BitLocker/BitLocker Management",
        "bitlocker",
    ),
    ("Microsoft-Windows-Bits-Client/Operational", "bits-client"),
    ("Microsoft-Windows-CAPI2/Operational", "capi2"),
    (
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
        "certificateservicesclient-lifecycle-system",
    ),
    (
        "Microsoft-Windows-CodeIntegrity/Operational",
        "codeintegrity-operational",
    ),
    ("Microsoft-Windows-DHCP-Server/Operational", "dhcp"),
    (
        "Microsoft-Windows-Diagnosis-Scripted/Operational",
        "diagnosis-scripted",
    ),
    (
        "Microsoft-Windows-DNS Client Events/Operational",
        "dns-client",
    ),
    ("DNS Server", "dns-server"),
    (
        "Microsoft-Windows-DNS-Server/Analytical",
        "dns-server-analytic",
    ),
    ("Microsoft-Windows-DNS-Server/Audit", "dns-server-audit"),
    (
        "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
        "driver-framework",
    ),
    (
        "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
        "firewall-as",
    ),
    ("Microsoft-Windows-Hyper-V-Worker", "hyper-v-worker"),
    (
        "Microsoft-IIS-Configuration/Operational",
        "iis-configuration",
    ),
    (
        "Microsoft-Windows-Kernel-EventTracing",
        "kernel-event-tracing",
    ),
    (
        "Microsoft-Windows-Kernel-ShimEngine/Operational",
        "kernel-shimengine",
    ),
    (
        "Microsoft-Windows-Kernel-ShimEngine/Diagnostic",
        "kernel-shimengine",
    ),
    ("Microsoft-Windows-LDAP-Client/Debug", "ldap"),
    ("Microsoft-Windows-LSA/Operational", "lsa-server"),
    ("MSExchange Management", "msexchange-management"),
    ("Microsoft-Windows-Ntfs/Operational", "ntfs"),
    ("Microsoft-Windows-NTLM/Operational", "ntlm"),
    ("OpenSSH/Operational", "openssh"),
    ("Microsoft-Windows-PowerShell/Operational", "powershell"),
    ("PowerShellCore/Operational", "powershell"),
    ("Windows PowerShell", "powershell-classic"),
    ("Microsoft-Windows-PrintService/Admin", "printservice-admin"),
    (
        "Microsoft-Windows-PrintService/Operational",
        "printservice-operational",
    ),
    ("Security", "security"),
    (
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "security-mitigations",
    ),
    (
        "Microsoft-Windows-Security-Mitigations/User Mode",
        "security-mitigations",
    ),
    ("Microsoft-Windows-SENSE/Operational", "sense"),
    (
        "Microsoft-ServiceBus-Client/Operational",
        "servicebus-client",
    ),
    ("Microsoft-ServiceBus-Client/Admin", "servicebus-client"),
    ("Microsoft-Windows-Shell-Core/Operational", "shell-core"),
    ("Microsoft-Windows-SmbClient/Security", "smbclient-security"),
    // Not in the taxonomy appendix; the names SigmaHQ's rules and its THOR test map use.
    (
        "Microsoft-Windows-SmbClient/Connectivity",
        "smbclient-connectivity",
    ),
    (
        "Microsoft-Windows-SMBServer/Connectivity",
        "smbserver-connectivity",
    ),
    ("Microsoft-Windows-Sysmon/Operational", "sysmon"),
    ("System", "system"),
    (
        "Microsoft-Windows-TaskScheduler/Operational",
        "taskscheduler",
    ),
    (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "terminalservices-localsessionmanager",
    ),
    ("Microsoft-Windows-VHDMP/Operational", "vhdmp"),
    (
        "Microsoft-Windows-Windows Defender/Operational",
        "windefend",
    ),
    ("Microsoft-Windows-WMI-Activity/Operational", "wmi"),
];

/// Service names that older Sigma rules still use → the taxonomy's current name (appendix
/// history: `ldap_debug` became `ldap`; SigmaHQ still writes `microsoft-servicebus-client`, the
/// pySigma pipelines' name, for `servicebus-client`).
const SERVICE_ALIASES: &[(&str, &str)] = &[
    ("microsoft-servicebus-client", "servicebus-client"),
    ("ldap_debug", "ldap"),
];

/// The taxonomy's current name for a Windows `service` a rule names (case-insensitive): a rule
/// written with an older name must match the events this crate tags with the current one.
pub fn canonical_service(service: &str) -> Option<&'static str> {
    SERVICE_ALIASES
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(service))
        .map(|(_, new)| *new)
}

/// Microsoft Defender Antivirus events that report a detection (Operational channel): 1006 the
/// engine found malware, 1015 suspicious behaviour, 1116 malware detected, 1117 action taken.
/// They are Sigma's `category: antivirus` (taxonomy: "antivirus detection message").
const DEFENDER_DETECTIONS: [i64; 4] = [1006, 1015, 1116, 1117];

/// The Sigma `service` of a Windows event log channel (case-insensitive), if Sigma names one.
pub fn service_for_channel(channel: &str) -> Option<&'static str> {
    let channel = channel.trim();
    let channel = channel.strip_prefix("WinEventLog:").unwrap_or(channel);
    CHANNEL_SERVICES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(channel))
        .map(|(_, s)| *s)
}

/// The Sigma `category` of a Sysmon event. Registry event 12 is split by its `EventType`
/// (`CreateKey` → registry_add, `DeleteKey`/`DeleteValue` → registry_delete); rules written for
/// the umbrella `registry_event` cover 12, 13 and 14, which the rule engine must know.
pub fn sysmon_category(event_id: i64, event_type: Option<&str>) -> Option<&'static str> {
    Some(match event_id {
        1 => "process_creation",
        2 => "file_change",
        3 => "network_connection",
        4 | 16 => "sysmon_status",
        5 => "process_termination",
        6 => "driver_load",
        7 => "image_load",
        8 => "create_remote_thread",
        9 => "raw_access_thread",
        10 => "process_access",
        11 => "file_event",
        12 => match event_type {
            Some(t) if t.starts_with("Delete") => "registry_delete",
            Some(t) if t.starts_with("Create") => "registry_add",
            _ => "registry_event",
        },
        13 => "registry_set",
        14 => "registry_rename",
        15 => "create_stream_hash",
        17 | 18 => "pipe_created",
        19..=21 => "wmi_event",
        22 => "dns_query",
        23 => "file_delete",
        24 => "clipboard_capture",
        25 => "process_tampering",
        26 => "file_delete_detected",
        27 => "file_block_executable",
        28 => "file_block_shredding",
        29 => "file_executable_detected",
        255 => "sysmon_error",
        _ => return None,
    })
}

/// The Sigma logsource of a Windows event: product windows, the channel's service, and the
/// category where the taxonomy defines one for that channel and event id (Sysmon, PowerShell).
pub fn logsource(
    channel: Option<&str>,
    event_id: Option<i64>,
    event_type: Option<&str>,
) -> LogSource {
    let service = channel.and_then(service_for_channel);
    let category = match (service, event_id) {
        (Some("sysmon"), Some(id)) => sysmon_category(id, event_type),
        (Some("powershell"), Some(4103)) => Some("ps_module"),
        (Some("powershell"), Some(4104)) => Some("ps_script"),
        (Some("powershell-classic"), Some(400)) => Some("ps_classic_start"),
        (Some("powershell-classic"), Some(600)) => Some("ps_classic_provider_start"),
        (Some("powershell-classic"), Some(800)) => Some("ps_classic_script"),
        // Sigma's taxonomy has Security 4688 as the other source of process_creation (its fields
        // are mapped to Sysmon's names in the mapping files).
        (Some("security"), Some(4688)) => Some("process_creation"),
        (Some("windefend"), Some(id)) if DEFENDER_DETECTIONS.contains(&id) => Some("antivirus"),
        _ => None,
    };
    LogSource::new(Some("windows"), category, service)
}

/// Windows' mandatory integrity level SIDs (`S-1-16-*`, Security 4688 `MandatoryLabel`) and the
/// names Sysmon writes in `IntegrityLevel` for them. SigmaHQ's rules test either form (mostly
/// both; a few only the name).
const INTEGRITY_LEVELS: &[(&str, &str)] = &[
    ("S-1-16-0", "Untrusted"),
    ("S-1-16-4096", "Low"),
    ("S-1-16-8192", "Medium"),
    ("S-1-16-12288", "High"),
    ("S-1-16-16384", "System"),
];

/// Deepest list nesting whose strings are trimmed.
const MAX_LIST_DEPTH: usize = 8;

/// Values as Windows analysts read them, for every Windows event a reader builds:
///
/// - trailing whitespace is removed from every string (Windows pads some values: 4624's
///   `LogonProcessName` is `"NtLmSsp "`, Defender's `Error Description` ends in a space, Security
///   `AccessList` in a newline and tabs); SigmaHQ's rules and analysts write them unpadded;
/// - an event with a `MandatoryLabel` SID and no `IntegrityLevel` (Security 4688) gets the
///   `IntegrityLevel` name Sysmon would have written, so rules testing either form match.
pub(crate) fn normalise_fields(fields: &mut BTreeMap<String, FieldValue>) {
    for v in fields.values_mut() {
        trim_end(v, 0);
    }
    if fields.contains_key("IntegrityLevel") {
        return;
    }
    let level = fields
        .get("MandatoryLabel")
        .and_then(|v| v.as_text())
        .and_then(|sid| {
            INTEGRITY_LEVELS
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(&sid))
                .map(|(_, name)| *name)
        });
    if let Some(name) = level {
        fields.insert("IntegrityLevel".to_string(), FieldValue::from(name));
    }
}

fn trim_end(v: &mut FieldValue, depth: usize) {
    match v {
        FieldValue::Str(s) => {
            let keep = s.trim_end().len();
            s.truncate(keep);
        }
        FieldValue::List(items) if depth < MAX_LIST_DEPTH => {
            for i in items {
                trim_end(i, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_map_to_sigma_services() {
        assert_eq!(service_for_channel("Security"), Some("security"));
        assert_eq!(service_for_channel("security"), Some("security"));
        assert_eq!(
            service_for_channel("Microsoft-Windows-Sysmon/Operational"),
            Some("sysmon")
        );
        assert_eq!(
            service_for_channel("Windows PowerShell"),
            Some("powershell-classic")
        );
        assert_eq!(
            service_for_channel("MSExchange Management"),
            Some("msexchange-management")
        );
        assert_eq!(
            service_for_channel("Microsoft-Exchange-HighAvailability/Network"),
            None
        );
    }

    #[test]
    fn sysmon_and_powershell_categories() {
        let ls = logsource(Some("Microsoft-Windows-Sysmon/Operational"), Some(1), None);
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        assert_eq!(ls.service.as_deref(), Some("sysmon"));
        assert_eq!(ls.product.as_deref(), Some("windows"));
        let ls = logsource(
            Some("Microsoft-Windows-Sysmon/Operational"),
            Some(12),
            Some("DeleteKey"),
        );
        assert_eq!(ls.category.as_deref(), Some("registry_delete"));
        let ls = logsource(
            Some("Microsoft-Windows-PowerShell/Operational"),
            Some(4104),
            None,
        );
        assert_eq!(ls.category.as_deref(), Some("ps_script"));
        let ls = logsource(Some("Security"), Some(4688), None);
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        assert_eq!(ls.service.as_deref(), Some("security"));
        let ls = logsource(Some("Security"), Some(4624), None);
        assert_eq!(ls.category, None);
    }

    #[test]
    fn defender_detections_are_antivirus_and_smb_channels_have_services() {
        let defender = "Microsoft-Windows-Windows Defender/Operational";
        for id in [1006, 1015, 1116, 1117] {
            let ls = logsource(Some(defender), Some(id), None);
            assert_eq!(ls.category.as_deref(), Some("antivirus"), "{id}");
            assert_eq!(ls.service.as_deref(), Some("windefend"));
        }
        assert_eq!(logsource(Some(defender), Some(5007), None).category, None);
        assert_eq!(
            service_for_channel("Microsoft-Windows-SMBServer/Connectivity"),
            Some("smbserver-connectivity")
        );
        assert_eq!(
            service_for_channel("Microsoft-Windows-SmbClient/Connectivity"),
            Some("smbclient-connectivity")
        );
        assert_eq!(
            canonical_service("Microsoft-ServiceBus-Client"),
            Some("servicebus-client")
        );
        assert_eq!(canonical_service("security"), None);
    }

    #[test]
    fn values_lose_trailing_padding_and_4688_gets_an_integrity_level() {
        let mut f = BTreeMap::new();
        f.insert("LogonProcessName".to_string(), FieldValue::from("NtLmSsp "));
        f.insert(
            "AccessList".to_string(),
            FieldValue::from("%%1537\r\n\t\t\t\t"),
        );
        f.insert(
            "Data".to_string(),
            FieldValue::List(vec![FieldValue::from(" a "), FieldValue::Int(1)]),
        );
        f.insert(
            "MandatoryLabel".to_string(),
            FieldValue::from("S-1-16-12288"),
        );
        normalise_fields(&mut f);
        assert_eq!(f["LogonProcessName"], FieldValue::from("NtLmSsp"));
        assert_eq!(f["AccessList"], FieldValue::from("%%1537"));
        assert_eq!(
            f["Data"],
            FieldValue::List(vec![FieldValue::from(" a"), FieldValue::Int(1)])
        );
        assert_eq!(f["IntegrityLevel"], FieldValue::from("High"));
        // Sysmon's own IntegrityLevel is kept; unknown labels add nothing.
        let mut f = BTreeMap::new();
        f.insert(
            "IntegrityLevel".to_string(),
            FieldValue::from("AppContainer"),
        );
        f.insert(
            "MandatoryLabel".to_string(),
            FieldValue::from("S-1-16-4096"),
        );
        normalise_fields(&mut f);
        assert_eq!(f["IntegrityLevel"], FieldValue::from("AppContainer"));
        let mut f = BTreeMap::new();
        f.insert(
            "MandatoryLabel".to_string(),
            FieldValue::from("S-1-16-8448"),
        );
        normalise_fields(&mut f);
        assert!(!f.contains_key("IntegrityLevel"));
    }
}
