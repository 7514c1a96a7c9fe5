//! Sigma's Windows log sources: which `service` a channel is, and which `category` a Sysmon or
//! PowerShell event is. The tables follow the Sigma taxonomy appendix (v2.1.0, "Windows Folder").

use vigil_model::LogSource;

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
        _ => None,
    };
    LogSource::new(Some("windows"), category, service)
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
}
