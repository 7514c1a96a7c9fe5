//! How to close each logging gap: the setting, where it lives and the command or configuration line,
//! as data. Each entry cites the vendor documentation it follows; the gaps themselves are computed
//! from the logs (see `gaps`), only the remedy is written down here.

use serde::Serialize;

/// The remedy for one kind of gap.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Fix {
    /// The gap id it closes.
    pub id: &'static str,
    /// What to change, in one line.
    pub summary: &'static str,
    /// The steps: GPO paths, registry values, commands, configuration lines.
    pub steps: &'static [&'static str],
    /// The documentation the steps follow.
    pub source: &'static str,
}

/// Every fix vigil knows, by gap id.
pub const FIXES: &[Fix] = &[
    // learn.microsoft.com/windows-server/identity/ad-ds/manage/component-updates/command-line-process-auditing
    Fix {
        id: "windows-4688-command-line",
        summary: "Include the command line in process creation events (Security 4688)",
        steps: &[
            "GPO: Computer Configuration > Administrative Templates > System > Audit Process Creation > \
             \"Include command line in process creation events\" = Enabled",
            "or registry: HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\Audit \
             ProcessCreationIncludeCmdLine_Enabled (REG_DWORD) = 1",
        ],
        source: "https://learn.microsoft.com/en-us/windows-server/identity/ad-ds/manage/component-updates/command-line-process-auditing",
    },
    // learn.microsoft.com/windows/security/threat-protection/auditing/audit-process-creation
    Fix {
        id: "windows-4688",
        summary: "Audit process creation (Security 4688)",
        steps: &[
            "auditpol /set /subcategory:\"Process Creation\" /success:enable",
            "GPO: Computer Configuration > Windows Settings > Security Settings > Advanced Audit Policy \
             Configuration > Detailed Tracking > Audit Process Creation = Success",
        ],
        source: "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/audit-process-creation",
    },
    // learn.microsoft.com advanced security audit policy recommendations ("Audit Policy Recommendations")
    Fix {
        id: "windows-security-log",
        summary: "Collect the Security event log, with logon and account auditing enabled",
        steps: &[
            "collect the Security channel (C:\\Windows\\System32\\winevt\\Logs\\Security.evtx) with the other logs",
            "auditpol /set /subcategory:\"Logon\" /success:enable /failure:enable",
            "auditpol /set /subcategory:\"Credential Validation\" /success:enable /failure:enable",
            "auditpol /set /subcategory:\"User Account Management\" /success:enable /failure:enable",
            "auditpol /set /subcategory:\"Process Creation\" /success:enable",
        ],
        source: "https://learn.microsoft.com/en-us/windows-server/identity/ad-ds/plan/security-best-practices/audit-policy-recommendations",
    },
    // learn.microsoft.com/sysinternals/downloads/sysmon
    Fix {
        id: "windows-sysmon",
        summary: "Install Sysmon and collect Microsoft-Windows-Sysmon/Operational",
        steps: &[
            "sysmon64.exe -accepteula -i sysmonconfig.xml (a maintained configuration, e.g. SwiftOnSecurity's or Olaf Hartong's sysmon-modular)",
            "collect the channel Microsoft-Windows-Sysmon/Operational with the other logs",
        ],
        source: "https://learn.microsoft.com/en-us/sysinternals/downloads/sysmon",
    },
    // learn.microsoft.com/defender-endpoint/troubleshoot-microsoft-defender-antivirus (event ids)
    Fix {
        id: "windows-defender",
        summary: "Collect the Microsoft Defender Antivirus event channel",
        steps: &[
            "collect Microsoft-Windows-Windows Defender/Operational (%SystemRoot%\\System32\\winevt\\Logs\\\
             Microsoft-Windows-Windows Defender%4Operational.evtx): detections are 1006, 1015, 1116, 1117, \
             configuration changes 5007",
        ],
        source: "https://learn.microsoft.com/en-us/defender-endpoint/troubleshoot-microsoft-defender-antivirus",
    },
    // learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_logging_windows
    Fix {
        id: "windows-powershell-script-block",
        summary: "Turn on PowerShell script block logging (event 4104)",
        steps: &[
            "GPO: Computer Configuration > Administrative Templates > Windows Components > Windows PowerShell > \
             \"Turn on PowerShell Script Block Logging\" = Enabled",
            "or registry: HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\PowerShell\\ScriptBlockLogging \
             EnableScriptBlockLogging (REG_DWORD) = 1",
            "collect Microsoft-Windows-PowerShell/Operational",
        ],
        source: "https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_logging_windows",
    },
    Fix {
        id: "windows-event-logs",
        summary: "Collect the server's Windows event logs",
        steps: &[
            "export or forward Security, System, Application, MSExchange Management, \
             Microsoft-Windows-PowerShell/Operational, Microsoft-Windows-Sysmon/Operational and \
             Microsoft-Windows-Windows Defender/Operational (wevtutil epl <channel> <file>.evtx)",
        ],
        source: "https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/wevtutil",
    },
    // learn.microsoft.com/exchange/mail-flow/transport-logs/configure-message-tracking
    Fix {
        id: "exchange-message-tracking",
        summary: "Enable Exchange message tracking and collect its logs",
        steps: &[
            "Set-TransportService <server> -MessageTrackingLogEnabled $true -MessageTrackingLogMaxAge 90.00:00:00",
            "Set-MailboxTransportService <server> -MessageTrackingLogEnabled $true",
            "collect %ExchangeInstallPath%TransportRoles\\Logs\\MessageTracking",
        ],
        source: "https://learn.microsoft.com/en-us/exchange/mail-flow/transport-logs/configure-message-tracking",
    },
    // Microsoft's Exchange HttpProxy log location (ProxyLogon guidance, Test-ProxyLogon.ps1)
    Fix {
        id: "exchange-httpproxy",
        summary: "Collect Exchange's HttpProxy logs (Owa, Ecp, Autodiscover, Ews, Mapi)",
        steps: &[
            "collect %ExchangeInstallPath%Logging\\HttpProxy\\* (one folder per protocol)",
            "keep them enabled: they are on by default; check that the folder is written and not pruned early",
        ],
        source: "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/",
    },
    // learn.microsoft.com/exchange/architecture/... admin audit logging (cmdlet logging)
    Fix {
        id: "exchange-management",
        summary: "Collect the MSExchange Management event log (cmdlets run on the server)",
        steps: &[
            "collect the channel \"MSExchange Management\" (Applications and Services Logs)",
            "Set-AdminAuditLogConfig -AdminAuditLogEnabled $true",
        ],
        source: "https://learn.microsoft.com/en-us/exchange/policy-and-compliance/admin-audit-logging/admin-audit-logging",
    },
    // learn.microsoft.com/iis/configuration/system.applicationhost/sites/sitedefaults/logfile/
    Fix {
        id: "iis-user-agent",
        summary: "Log the User-Agent header in IIS",
        steps: &[
            "IIS Manager > site > Logging > Select Fields > User Agent (cs(User-Agent))",
            "or appcmd set config -section:system.applicationHost/sites \
             /siteDefaults.logFile.logExtFileFlags:\"Date,Time,ClientIP,UserName,ServerIP,Method,UriStem,UriQuery,HttpStatus,Win32Status,TimeTaken,ServerPort,UserAgent,Referer,HttpSubStatus\"",
        ],
        source: "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/sitedefaults/logfile/",
    },
    Fix {
        id: "iis-uri-query",
        summary: "Log the URI query in IIS",
        steps: &[
            "IIS Manager > site > Logging > Select Fields > URI Query (cs-uri-query)",
            "or add UriQuery to logExtFileFlags (appcmd, as for the User-Agent)",
        ],
        source: "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/sitedefaults/logfile/",
    },
    Fix {
        id: "iis-username",
        summary: "Log the authenticated user name in IIS",
        steps: &[
            "IIS Manager > site > Logging > Select Fields > User Name (cs-username)",
            "or add UserName to logExtFileFlags (appcmd, as for the User-Agent)",
        ],
        source: "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/sitedefaults/logfile/",
    },
    // doc.dovecot.org/2.3/settings/core/#core_setting-auth_verbose
    Fix {
        id: "dovecot-auth-verbose",
        summary: "Log Dovecot's failed authentication attempts with their reason",
        steps: &[
            "conf.d/10-logging.conf: auth_verbose = yes",
            "doveadm reload",
        ],
        source: "https://doc.dovecot.org/2.3/settings/core/#core_setting-auth_verbose",
    },
    // www.postfix.org/SASL_README.html ("Enabling SASL authentication in the Postfix SMTP server")
    Fix {
        id: "postfix-sasl",
        summary: "Authenticate submission with SASL in Postfix (its logins are then logged)",
        steps: &[
            "master.cf, submission service: -o smtpd_sasl_auth_enable=yes",
            "main.cf: smtpd_sasl_type = dovecot, smtpd_sasl_path = private/auth",
            "if submission is handled by another host, collect that host's mail log instead",
        ],
        source: "https://www.postfix.org/SASL_README.html",
    },
    Fix {
        id: "retention",
        summary: "Keep logs at least as long as the patch cycle",
        steps: &[
            "Windows: wevtutil sl Security /ms:<bytes> (size the channel for the period), or forward to a collector",
            "IIS/Exchange: keep the log folders for the period (no early clean-up task)",
            "Linux: /etc/logrotate.d/rsyslog: rotate <days> with daily, or forward to a collector",
        ],
        source: "https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/wevtutil",
    },
    Fix {
        id: "silence",
        summary: "Find out why the source wrote nothing, and collect the missing period",
        steps: &[
            "check that the service was running and logging (rotation, disk full, logging disabled)",
            "collect the rotated or archived files of the period",
        ],
        source: "https://csrc.nist.gov/pubs/sp/800/92/final",
    },
];

/// The fix for a gap id.
pub fn fix_for(id: &str) -> Option<&'static Fix> {
    FIXES.iter().find(|f| f.id == id)
}
