//! Rule coverage: which loaded rules can never fire on anything vigil's readers produce.
//!
//! A rule whose `logsource` no reader emits, or whose detection can only be satisfied by fields a
//! reader never writes, is silent forever — and a silent rule looks exactly like a quiet network.
//! Such rules are listed with the reason, so that `vigil rules check` reports them instead of
//! shipping them silently.
//!
//! The log sources are derived from the readers' own public helpers (`vigil_logs::windows`,
//! `vigil_logs::syslog`, `vigil_logs::w3c`), probed with the Windows channels of Sigma's taxonomy
//! and the programs of a Linux server, so a reader that learns a new channel or program is picked
//! up here. Field sets are checked only where a reader's columns are fixed by its format (web
//! server logs); Windows EventData, Exchange CSV columns and syslog `key=value` pairs vary with
//! the record, so rules on them are never reported for their fields.

use std::collections::BTreeSet;
use std::sync::OnceLock;
use vigil_logs::Format;
use vigil_model::LogSource;
use vigil_sigma::{CondExpr, FieldMapping, FieldTest, Rule, RuleSet, Search, ValuePattern};

/// Rules (and correlations) that can never fire on events of vigil's readers:
/// `(rule key, title, reason)`, in the order of the rule set.
pub fn unreachable_rules(set: &RuleSet) -> Vec<(String, String, String)> {
    let sources = emitted_sources();
    let mut out = Vec::new();
    let mut dead: BTreeSet<String> = BTreeSet::new();
    for rule in &set.rules {
        if let Some(reason) = rule_unreachable(rule, sources) {
            dead.extend(rule.meta.id.clone());
            dead.extend(rule.meta.name.clone());
            out.push((rule.meta.key(), rule.meta.title.clone(), reason));
        }
    }
    // Correlations: dead when the rules they need are dead. Chains resolve in order of
    // definition; repeat until nothing changes (bounded by the number of correlations).
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for _ in 0..=set.correlations.len() {
        let mut changed = false;
        for (i, c) in set.correlations.iter().enumerate() {
            if reported.contains(&i) || c.rules.is_empty() {
                continue;
            }
            let dead_refs: Vec<&String> = c.rules.iter().filter(|r| dead.contains(*r)).collect();
            let needs_all = matches!(
                c.kind,
                vigil_sigma::CorrelationType::Temporal
                    | vigil_sigma::CorrelationType::TemporalOrdered
            );
            let is_dead = if needs_all {
                !dead_refs.is_empty()
            } else {
                dead_refs.len() == c.rules.len()
            };
            if is_dead {
                let names: Vec<&str> = dead_refs.iter().map(|s| s.as_str()).collect();
                let reason = format!(
                    "correlation over rules that can never fire: {}",
                    names.join(", ")
                );
                dead.extend(c.meta.id.clone());
                dead.extend(c.meta.name.clone());
                out.push((c.meta.key(), c.meta.title.clone(), reason));
                reported.insert(i);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    out
}

/// Whether a rule's `logsource` applies to events carrying `emitted` (the engine's matching: a key
/// the rule leaves out matches anything, an older Windows service name its current one, and
/// `registry_event` the registry categories of Sysmon 12–14). For callers that know which sources
/// an asset really has (`vigil doctor`, `vigil coverage`).
pub fn logsource_applies(rule: &LogSource, emitted: &LogSource) -> bool {
    Source::plain(emitted.clone()).applies(rule)
}

/// Whether a rule's detection can still hold on events where `produced` says which (reader) fields
/// exist, with `mapping` resolving the rule's Sigma names; `Err` names the fields whose absence
/// makes it impossible. Keyword searches, negations and tests for absence always can.
pub fn detection_possible(
    rule: &Rule,
    mapping: &FieldMapping,
    produced: &dyn Fn(&str) -> bool,
) -> Result<(), Vec<String>> {
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let resolved = |sigma: &str| mapping.resolve(sigma).iter().any(|t| produced(t));
    let searches: Vec<Truth> = rule
        .detection
        .searches
        .iter()
        .map(|search| search_truth(search, &resolved, &mut missing))
        .collect();
    if condition_truth(&rule.detection.condition, &searches, 0) == Truth::False {
        Err(missing.into_iter().collect())
    } else {
        Ok(())
    }
}

/// One kind of event a reader produces: its log source and, where the format fixes them, the
/// fields it can carry and the mapping from Sigma names to them.
struct Source {
    logsource: LogSource,
    /// `Some(service prefix)` for readers whose service name is built from the log's own header
    /// (Exchange CSV logs: `msexchange-<log type>`).
    service_prefix: Option<&'static str>,
    fields: Option<FieldSet>,
}

struct FieldSet {
    reader: &'static str,
    mapping: FieldMapping,
    known: fn(&str) -> bool,
}

impl Source {
    fn plain(ls: LogSource) -> Source {
        Source {
            logsource: ls,
            service_prefix: None,
            fields: None,
        }
    }

    fn applies(&self, rule: &LogSource) -> bool {
        let eq = |r: &Option<String>, e: &Option<String>| match (r, e) {
            (None, _) => true,
            (Some(r), Some(e)) => r.eq_ignore_ascii_case(e),
            (Some(_), None) => false,
        };
        let service_ok = match self.service_prefix {
            Some(prefix) => rule.service.as_deref().is_none_or(|s| {
                let s = s.to_ascii_lowercase();
                // HttpProxy logs always carry `category: webserver` (a source of their own).
                s != "msexchange-httpproxy"
                    && s.strip_prefix(prefix).is_some_and(|rest| {
                        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                    })
            }),
            // A rule may still use an older name of a Windows service.
            None => {
                let service = rule.service.as_deref().map(|s| {
                    vigil_logs::windows::canonical_service(s)
                        .unwrap_or(s)
                        .to_string()
                });
                eq(&service, &self.logsource.service)
            }
        };
        eq(&rule.product, &self.logsource.product)
            && (eq(&rule.category, &self.logsource.category)
                || covers_registry(&rule.category, &self.logsource.category))
            && service_ok
    }
}

/// Windows channels named by Sigma's taxonomy (appendix "Windows Folder") and the other channels
/// a Windows or Exchange server writes: the candidates whose service the Windows readers decide.
const WINDOWS_CHANNELS: &[&str] = &[
    "Application",
    "Security",
    "System",
    "Setup",
    "Windows PowerShell",
    "PowerShellCore/Operational",
    "Microsoft-Windows-PowerShell/Operational",
    "Microsoft-Windows-Sysmon/Operational",
    "Microsoft-Windows-Windows Defender/Operational",
    "Microsoft-Windows-TaskScheduler/Operational",
    "Microsoft-Windows-WMI-Activity/Operational",
    "Microsoft-Windows-Bits-Client/Operational",
    "Microsoft-Windows-CodeIntegrity/Operational",
    "Microsoft-Windows-DNS Client Events/Operational",
    "DNS Server",
    "Microsoft-Windows-DNS-Server/Analytical",
    "Microsoft-Windows-DNS-Server/Audit",
    "Microsoft-Windows-DHCP-Server/Operational",
    "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
    "Microsoft-Windows-AppLocker/EXE and DLL",
    "Microsoft-Windows-AppLocker/MSI and Script",
    "Microsoft-Windows-AppLocker/Packaged app-Deployment",
    "Microsoft-Windows-AppLocker/Packaged app-Execution",
    "Microsoft-Windows-AppModel-Runtime/Admin",
    "Microsoft-Windows-AppXDeploymentServer/Operational",
    "Microsoft-Windows-AppxPackaging/Operational",
    "Microsoft-Windows-Application-Experience/Program-Telemetry",
    "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
    "Microsoft-Windows-BitLocker/BitLocker Management",
    "Microsoft-Windows-CAPI2/Operational",
    "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
    "Microsoft-Windows-Diagnosis-Scripted/Operational",
    "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
    "Microsoft-Windows-Hyper-V-Worker",
    "Microsoft-IIS-Configuration/Operational",
    "Microsoft-Windows-IIS-Configuration/Operational",
    "Microsoft-Windows-Kernel-EventTracing",
    "Microsoft-Windows-Kernel-ShimEngine/Operational",
    "Microsoft-Windows-Kernel-ShimEngine/Diagnostic",
    "Microsoft-Windows-LDAP-Client/Debug",
    "Microsoft-Windows-LSA/Operational",
    "MSExchange Management",
    "Microsoft-Windows-Ntfs/Operational",
    "Microsoft-Windows-NTLM/Operational",
    "OpenSSH/Operational",
    "Microsoft-Windows-PrintService/Admin",
    "Microsoft-Windows-PrintService/Operational",
    "Microsoft-Windows-Security-Mitigations/Kernel Mode",
    "Microsoft-Windows-Security-Mitigations/User Mode",
    "Microsoft-Windows-SENSE/Operational",
    "Microsoft-ServiceBus-Client/Operational",
    "Microsoft-ServiceBus-Client/Admin",
    "Microsoft-Windows-Shell-Core/Operational",
    "Microsoft-Windows-SmbClient/Security",
    "Microsoft-Windows-SmbClient/Connectivity",
    "Microsoft-Windows-SMBServer/Connectivity",
    "Microsoft-Windows-SMBServer/Security",
    "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    "Microsoft-Windows-VHDMP/Operational",
    "Microsoft-Windows-Windows Defender/WHC",
    "Microsoft-Windows-GroupPolicy/Operational",
    "Microsoft-Windows-WinRM/Operational",
    "Microsoft-Windows-Kerberos/Operational",
    "Directory Service",
    "Microsoft-Windows-Sysmon/Operational",
    "Microsoft-Exchange-HighAvailability/Network",
];

/// Highest event id probed per channel. The taxonomy's Windows categories come from Sysmon
/// (ids up to 255) and PowerShell (400–800, 4103, 4104); probing to 9,999 leaves room for more
/// while keeping `vigil rules check` instant.
const MAX_PROBED_EVENT_ID: i64 = 9_999;

/// Registry `EventType`s Sysmon writes (event 12 is split on them).
const SYSMON_EVENT_TYPES: &[&str] = &[
    "CreateKey",
    "DeleteKey",
    "DeleteValue",
    "SetValue",
    "RenameKey",
];

/// Programs that log through syslog on a Linux server (the service decides on the name).
const LINUX_PROGRAMS: &[&str] = &[
    "postfix/smtpd",
    "postfix/submission/smtpd",
    "postfix/qmgr",
    "dovecot",
    "imap-login",
    "sshd",
    "sshd-session",
    "sudo",
    "su",
    "CRON",
    "cron",
    "crond",
    "anacron",
    "vsftpd",
    "clamd",
    "freshclam",
    "kernel",
    "systemd",
    "systemd-logind",
    "login",
    "useradd",
    "passwd",
    "auditd",
    "named",
    "rsyslogd",
    "guacd",
    "pkexec",
    "polkitd",
];

fn emitted_sources() -> &'static [Source] {
    static SOURCES: OnceLock<Vec<Source>> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let mut seen: BTreeSet<(Option<String>, Option<String>, Option<String>)> = BTreeSet::new();
        let mut out = Vec::new();
        let mut push = |out: &mut Vec<Source>, ls: LogSource| {
            let key = (ls.product.clone(), ls.category.clone(), ls.service.clone());
            if seen.insert(key) {
                out.push(Source::plain(ls));
            }
        };
        // Windows: every channel × event id the readers categorise.
        let mut services = BTreeSet::new();
        for &channel in WINDOWS_CHANNELS {
            // One channel per service: the category depends on the service and the event id.
            match vigil_logs::windows::service_for_channel(channel) {
                Some(s) if services.insert(s) => {}
                _ => continue,
            }
            for id in 0..=MAX_PROBED_EVENT_ID {
                let untyped = vigil_logs::windows::logsource(Some(channel), Some(id), None);
                // Where the reader splits an event id on its EventType, Sysmon always writes one:
                // only the typed results are real.
                let typed: Vec<LogSource> = if id <= 255 {
                    SYSMON_EVENT_TYPES
                        .iter()
                        .map(|t| vigil_logs::windows::logsource(Some(channel), Some(id), Some(t)))
                        .filter(|ls| ls.category != untyped.category)
                        .collect()
                } else {
                    Vec::new()
                };
                if typed.is_empty() {
                    push(&mut out, untyped);
                } else {
                    for ls in typed {
                        push(&mut out, ls);
                    }
                }
            }
        }
        // A channel Sigma does not name, or none at all.
        push(
            &mut out,
            vigil_logs::windows::logsource(Some("Unknown/Channel"), Some(1), None),
        );
        push(&mut out, vigil_logs::windows::logsource(None, None, None));
        for &program in LINUX_PROGRAMS {
            let service = vigil_logs::syslog::service_for_program(program);
            push(&mut out, LogSource::new(Some("linux"), None, Some(service)));
        }
        // Generic JSON lines carry no log source.
        push(&mut out, LogSource::default());

        // Web server logs: IIS W3C and Apache/nginx share the logsource, with fixed field sets.
        let web = vigil_logs::w3c::logsource();
        if let Ok(mapping) = merged_mapping(&[Format::W3c, Format::Access]) {
            out.push(Source {
                logsource: web,
                service_prefix: None,
                fields: Some(FieldSet {
                    reader: "IIS W3C and access-log",
                    mapping,
                    known: is_web_field,
                }),
            });
        }
        // Exchange HttpProxy (a web server log with its own columns) and the other Exchange CSV
        // logs, whose service is named after the log's `#Log-type:`.
        if let Ok(mapping) = FieldMapping::from_yaml(vigil_logs::field_mapping(Format::ExchangeCsv))
        {
            out.push(Source {
                logsource: LogSource::new(
                    Some("windows"),
                    Some("webserver"),
                    Some("msexchange-httpproxy"),
                ),
                service_prefix: None,
                fields: Some(FieldSet {
                    reader: "Exchange HttpProxy",
                    mapping,
                    known: is_httpproxy_field,
                }),
            });
        }
        out.push(Source {
            logsource: LogSource::new(Some("windows"), None, None),
            service_prefix: Some("msexchange-"),
            fields: None,
        });
        out
    })
}

fn merged_mapping(formats: &[Format]) -> Result<FieldMapping, vigil_sigma::MappingError> {
    let mut out = FieldMapping::default();
    for &f in formats {
        let m = FieldMapping::from_yaml(vigil_logs::field_mapping(f))?;
        for (sigma, targets) in m.fields {
            let entry = out.fields.entry(sigma).or_default();
            for t in targets {
                if !entry.contains(&t) {
                    entry.push(t);
                }
            }
        }
    }
    Ok(out)
}

/// W3C extended log fields (the W3C working draft and IIS's additions), header fields in
/// `cs(…)`/`sc(…)`/`s(…)` form, the derived `c-uri`, and the access-log reader's fields.
fn is_web_field(f: &str) -> bool {
    const W3C: &[&str] = &[
        "date",
        "time",
        "s-sitename",
        "s-computername",
        "s-ip",
        "s-dns",
        "s-port",
        "cs-method",
        "cs-uri",
        "cs-uri-stem",
        "cs-uri-query",
        "cs-username",
        "c-ip",
        "c-dns",
        "cs-version",
        "cs-host",
        "sc-status",
        "sc-substatus",
        "sc-win32-status",
        "sc-bytes",
        "cs-bytes",
        "time-taken",
        "sc-comment",
        "x-forwarded-for",
        "c-uri",
        // Apache/nginx access logs.
        "remote-logname",
        "request",
        "cs-referer",
        "cs-user-agent",
    ];
    let lower = f.to_ascii_lowercase();
    W3C.contains(&lower.as_str())
        || ["cs(", "sc(", "s("]
            .iter()
            .any(|p| lower.starts_with(p) && lower.ends_with(')'))
}

/// HttpProxy columns (Exchange 2013–2019 `#Fields:`) and the derived `c-uri`.
fn is_httpproxy_field(f: &str) -> bool {
    const COLUMNS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,\
        RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,\
        IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,\
        ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,\
        TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,\
        ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,\
        AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,\
        TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,\
        ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,\
        SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,\
        ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,\
        BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,\
        BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,\
        HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,\
        CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,\
        UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,\
        UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus,c-uri";
    COLUMNS.split(',').any(|c| c.trim().eq_ignore_ascii_case(f))
}

fn rule_unreachable(rule: &Rule, sources: &[Source]) -> Option<String> {
    let applicable: Vec<&Source> = sources
        .iter()
        .filter(|s| s.applies(&rule.meta.logsource))
        .collect();
    if applicable.is_empty() {
        return Some(logsource_reason(&rule.meta.logsource));
    }
    // Fields: only when every applicable source has a fixed field set and the detection cannot
    // hold on any of them.
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let mut readers = Vec::new();
    for s in &applicable {
        let fs = s.fields.as_ref()?;
        let produced = |sigma: &str| {
            fs.mapping
                .resolve(sigma)
                .iter()
                .any(|target| (fs.known)(target))
        };
        let searches: Vec<Truth> = rule
            .detection
            .searches
            .iter()
            .map(|search| search_truth(search, &produced, &mut missing))
            .collect();
        if condition_truth(&rule.detection.condition, &searches, 0) != Truth::False {
            return None;
        }
        readers.push(fs.reader);
    }
    Some(format!(
        "its detection can only match fields the {} readers never produce: {}",
        readers.join(" and "),
        missing.into_iter().collect::<Vec<_>>().join(", ")
    ))
}

fn logsource_reason(ls: &LogSource) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("product", &ls.product),
        ("category", &ls.category),
        ("service", &ls.service),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}: {v}"));
        }
    }
    format!("no vigil reader emits logsource {{{}}}", parts.join(", "))
}

/// The engine applies `registry_event` rules to the registry categories readers assign to Sysmon
/// events 12, 13 and 14.
fn covers_registry(rule: &Option<String>, emitted: &Option<String>) -> bool {
    rule.as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("registry_event"))
        && emitted.as_deref().is_some_and(|e| {
            [
                "registry_add",
                "registry_delete",
                "registry_set",
                "registry_rename",
            ]
            .iter()
            .any(|c| e.eq_ignore_ascii_case(c))
        })
}

/// What can be known of a search or condition without an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    False,
    True,
    Unknown,
}

fn search_truth(
    search: &Search,
    produced: &dyn Fn(&str) -> bool,
    missing: &mut BTreeSet<String>,
) -> Truth {
    match search {
        Search::And(tests) => {
            if tests.is_empty() {
                return Truth::Unknown;
            }
            let mut dead = false;
            for t in tests {
                if test_is_dead(t, produced) {
                    if let Some(f) = &t.field {
                        missing.insert(f.clone());
                    }
                    dead = true;
                }
            }
            if dead { Truth::False } else { Truth::Unknown }
        }
        Search::Or(items) => {
            if items.is_empty() {
                return Truth::Unknown;
            }
            let all_dead = items
                .iter()
                .map(|s| search_truth(s, produced, missing))
                .all(|t| t == Truth::False);
            if all_dead {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
    }
}

/// A field test that no event can satisfy: its field is never produced and none of its values
/// matches an absent field (`null`, `exists: false`, negations).
fn test_is_dead(t: &FieldTest, produced: &dyn Fn(&str) -> bool) -> bool {
    let Some(field) = &t.field else {
        return false;
    };
    if produced(field) {
        return false;
    }
    fn matches_absent(p: &ValuePattern) -> bool {
        matches!(
            p,
            ValuePattern::Null | ValuePattern::Exists(false) | ValuePattern::Not(_)
        )
    }
    !t.groups.iter().flatten().any(matches_absent)
}

fn condition_truth(c: &CondExpr, searches: &[Truth], depth: usize) -> Truth {
    if depth > 64 {
        return Truth::Unknown;
    }
    let sel = |i: &usize| searches.get(*i).copied().unwrap_or(Truth::Unknown);
    let and = |v: Vec<Truth>| {
        if v.contains(&Truth::False) {
            Truth::False
        } else if v.iter().all(|t| *t == Truth::True) {
            Truth::True
        } else {
            Truth::Unknown
        }
    };
    match c {
        CondExpr::Sel(i) => sel(i),
        CondExpr::Not(e) => match condition_truth(e, searches, depth + 1) {
            Truth::False => Truth::True,
            Truth::True => Truth::False,
            Truth::Unknown => Truth::Unknown,
        },
        CondExpr::And(v) => and(v
            .iter()
            .map(|e| condition_truth(e, searches, depth + 1))
            .collect()),
        CondExpr::Or(v) => {
            let t: Vec<Truth> = v
                .iter()
                .map(|e| condition_truth(e, searches, depth + 1))
                .collect();
            if t.contains(&Truth::True) {
                Truth::True
            } else if t.iter().all(|x| *x == Truth::False) {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
        CondExpr::All(ids) => and(ids.iter().map(sel).collect()),
        CondExpr::AtLeast(n, ids) => {
            let truths: Vec<Truth> = ids.iter().map(sel).collect();
            let sure = truths.iter().filter(|t| **t == Truth::True).count();
            let possible = truths.iter().filter(|t| **t != Truth::False).count();
            if sure >= *n {
                Truth::True
            } else if possible < *n {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_sigma::parse_rules_str;

    fn rules(text: &str) -> RuleSet {
        let (set, errors) = parse_rules_str(text, "test.yml");
        assert!(errors.is_empty(), "{errors:?}");
        set
    }

    fn keys(set: &RuleSet) -> Vec<String> {
        unreachable_rules(set)
            .into_iter()
            .map(|(k, _, _)| k)
            .collect()
    }

    const BODY: &str = "detection:\n  keywords:\n    - 'x.exe'\n  condition: keywords\n";

    fn rule(id: &str, logsource: &str, detection: &str) -> String {
        format!("title: {id}\nid: {id}\nlogsource: {logsource}\n{detection}")
    }

    #[test]
    fn logsources_the_readers_emit_are_reachable() {
        for ls in [
            "{product: windows, category: process_creation}",
            "{product: windows, category: registry_set}",
            "{product: windows, category: registry_add}",
            "{product: windows, category: ps_script}",
            "{product: windows, category: ps_classic_start}",
            "{product: windows, service: security}",
            "{product: windows, service: msexchange-management}",
            "{product: windows, service: msexchange-httpproxy}",
            "{product: windows, service: msexchange-messagetracking}",
            "{category: antivirus}",
            "{product: windows, service: windefend}",
            "{product: windows, service: smbserver-connectivity}",
            "{product: windows, service: smbclient-connectivity}",
            "{product: windows, service: microsoft-servicebus-client}",
            "{product: windows, service: servicebus-client}",
            "{product: windows}",
            "{category: webserver}",
            "{product: linux, service: dovecot}",
            "{product: linux, service: sshd}",
            "{product: linux, service: cron}",
            "{product: linux, service: auth}",
            "{product: linux, service: guacamole}",
            "{product: linux}",
            "{}",
        ] {
            let set = rules(&rule("r", ls, BODY));
            assert_eq!(keys(&set), Vec::<String>::new(), "{ls}");
        }
    }

    #[test]
    fn logsources_no_reader_emits_are_reported_with_the_reason() {
        for ls in [
            "{category: proxy}",
            "{product: windows, category: file_access}",
            "{product: windows, category: file_rename}",
            "{product: windows, service: smbserver-security}",
            "{product: linux, service: kernel-audit}",
            "{product: linux, category: process_creation}",
            "{product: macos, category: process_creation}",
            "{product: windows, service: msexchange-}",
        ] {
            let set = rules(&rule("r", ls, BODY));
            let out = unreachable_rules(&set);
            assert_eq!(out.len(), 1, "{ls}");
            assert!(
                out[0].2.starts_with("no vigil reader emits logsource"),
                "{:?}",
                out[0]
            );
        }
        let set = rules(&rule(
            "r",
            "{product: windows, category: registry_event}",
            BODY,
        ));
        assert!(
            unreachable_rules(&set).is_empty(),
            "registry_event rules apply to Sysmon 12/13/14"
        );
    }

    #[test]
    fn webserver_rules_on_fields_no_web_reader_writes_are_reported() {
        // SigmaHQ's cs-uri-query maps onto c-uri; the raw IIS and header fields exist.
        let ok = rule(
            "ok",
            "{category: webserver}",
            "detection:\n  sel:\n    cs-uri-query|contains: '/owa/'\n    cs(Cookie)|contains: 'X'\n  condition: sel\n",
        );
        // A proxy-log field: never in IIS, access or HttpProxy logs.
        let dead = rule(
            "dead",
            "{category: webserver}",
            "detection:\n  sel:\n    c-uri-extension: 'aspx'\n  condition: sel\n",
        );
        // The same field behind `not`, or tested for absence, can still match.
        let negated = rule(
            "negated",
            "{category: webserver}",
            "detection:\n  sel:\n    cs-method: GET\n  f:\n    c-uri-extension: 'aspx'\n  condition: sel and not f\n",
        );
        let absent = rule(
            "absent",
            "{category: webserver}",
            "detection:\n  sel:\n    c-uri-extension: null\n  condition: sel\n",
        );
        // One branch of an OR on a real field keeps the rule alive; all branches dead do not.
        let or_alive = rule(
            "or_alive",
            "{category: webserver}",
            "detection:\n  a:\n    c-uri-extension: 'aspx'\n  b:\n    sc-status: 500\n  condition: 1 of them\n",
        );
        let or_dead = rule(
            "or_dead",
            "{category: webserver}",
            "detection:\n  a:\n    c-uri-extension: 'aspx'\n  b:\n    r-dns-extension: x\n  condition: a or b\n",
        );
        let keyword = rule(
            "keyword",
            "{category: webserver}",
            "detection:\n  keywords:\n    - 'cmd.exe'\n  condition: keywords\n",
        );
        let text = [ok, dead, negated, absent, or_alive, or_dead, keyword].join("---\n");
        let set = rules(&text);
        let out = unreachable_rules(&set);
        let k: Vec<&str> = out.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(k, ["dead", "or_dead"], "{out:?}");
        assert!(out[0].2.contains("c-uri-extension"), "{}", out[0].2);
        assert!(out[0].2.contains("IIS W3C"), "{}", out[0].2);
        assert!(out[1].2.contains("r-dns-extension"), "{}", out[1].2);
    }

    #[test]
    fn httpproxy_rules_resolve_through_the_csv_columns() {
        let ok = rule(
            "ok",
            "{product: windows, service: msexchange-httpproxy}",
            "detection:\n  sel:\n    AnchorMailbox|startswith: 'ServerInfo~'\n  condition: sel\n",
        );
        let dead = rule(
            "dead",
            "{product: windows, service: msexchange-httpproxy}",
            "detection:\n  sel:\n    cs-cookie-jar: x\n  condition: sel\n",
        );
        let set = rules(&[ok, dead].join("---\n"));
        assert_eq!(keys(&set), ["dead"]);
    }

    #[test]
    fn windows_fields_are_not_judged() {
        // EventData names vary per event: a field no Sysmon event has is not reported.
        let set = rules(&rule(
            "r",
            "{product: windows, category: process_creation}",
            "detection:\n  sel:\n    NoSuchField: x\n  condition: sel\n",
        ));
        assert!(keys(&set).is_empty());
    }

    #[test]
    fn public_checks_judge_one_asset_source() {
        let set = rules(&rule(
            "r",
            "{product: windows, category: process_creation}",
            "detection:\n  sel:\n    CommandLine|contains: whoami\n  condition: sel\n",
        ));
        let r = &set.rules[0];
        let security = LogSource::new(Some("windows"), Some("process_creation"), Some("security"));
        assert!(logsource_applies(&r.meta.logsource, &security));
        assert!(!logsource_applies(
            &r.meta.logsource,
            &LogSource::new(Some("windows"), None, Some("security"))
        ));
        let mapping = FieldMapping::default();
        assert!(detection_possible(r, &mapping, &|_| true).is_ok());
        assert_eq!(
            detection_possible(r, &mapping, &|f| f != "CommandLine"),
            Err(vec!["CommandLine".to_string()])
        );
    }

    #[test]
    fn correlations_over_dead_rules_are_reported() {
        let text = format!(
            "{}---\n{}---\n\
             title: count\nid: c1\ncorrelation:\n  type: event_count\n  rules: [dead]\n  group-by: [x]\n  timespan: 5m\n  condition: {{gte: 2}}\n\
             ---\n\
             title: seq\nid: c2\ncorrelation:\n  type: temporal\n  rules: [alive, dead]\n  group-by: [x]\n  timespan: 5m\n\
             ---\n\
             title: either\nid: c3\ncorrelation:\n  type: event_count\n  rules: [alive, dead]\n  group-by: [x]\n  timespan: 5m\n  condition: {{gte: 2}}\n\
             ---\n\
             title: chained\nid: c4\ncorrelation:\n  type: event_count\n  rules: [c1]\n  group-by: [x]\n  timespan: 5m\n  condition: {{gte: 2}}\n",
            rule("dead", "{category: proxy}", BODY),
            rule(
                "alive",
                "{product: windows, category: process_creation}",
                BODY
            ),
        );
        let set = rules(&text);
        assert_eq!(keys(&set), ["dead", "c1", "c2", "c4"]);
    }
}
