//! Which detections are impossible on this asset, and why: each gap is found in the profile (a
//! source that is missing, a field the configuration leaves out, lines that are never written,
//! too short a history, a silence) and names the bundled rules that go blind — those that could
//! fire were the gap closed and cannot now, computed by comparing the asset's model with the model
//! the fix would give — with their ATT&CK techniques and the fix.

use crate::fixes::{Fix, fix_for};
use crate::model::{Model, ModelSource, references};
use crate::profile::{Profile, Silence};
use serde::Serialize;
use std::collections::BTreeSet;
use vigil_model::LogSource;
use vigil_sigma::{Mappings, RuleSet};

/// Parameters of the checks.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Logs covering fewer days than this are a gap: an intrusion through a flaw published at
    /// the start of a patch cycle must still be in the logs when the patch goes in.
    pub min_retention_days: i64,
    /// A source silent for longer than this inside its covered span is a gap.
    pub max_silence_hours: i64,
    /// Rule titles named per gap; all keys are in the JSON.
    pub titles_shown: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            min_retention_days: 14,
            max_silence_hours: 48,
            titles_shown: 5,
        }
    }
}

/// A rule that goes blind.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct BlindRule {
    pub key: String,
    pub title: String,
}

/// One reason detections are impossible.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub id: &'static str,
    /// What is missing, in one line.
    pub title: String,
    /// What in the logs shows it.
    pub evidence: String,
    /// Rules (and correlations) that cannot fire because of it.
    pub blind: Vec<BlindRule>,
    /// ATT&CK technique ids the blind rules' tags name (`T1110.003`).
    pub techniques: Vec<String>,
    pub fix: Option<Fix>,
}

/// What closing a gap would change.
enum Change {
    /// The asset would have these sources (all fields).
    AddSources(Vec<LogSource>),
    /// These fields of the sources matching the predicate would be written.
    Allow(fn(&LogSource) -> bool, &'static [&'static str]),
    /// Rules on sources matching the predicate that read these fields or look for these texts
    /// depend on lines the asset does not write.
    Depends(
        fn(&LogSource) -> bool,
        &'static [&'static str],
        &'static [&'static str],
    ),
    /// Nothing a rule list can show (history too short, a silence).
    Time,
}

struct Found {
    id: &'static str,
    title: String,
    evidence: String,
    change: Change,
}

const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const DEFENDER_CHANNEL: &str = "Microsoft-Windows-Windows Defender/Operational";
const POWERSHELL_CHANNEL: &str = "Microsoft-Windows-PowerShell/Operational";

/// The log sources a Windows channel gives, as the readers tag them (event ids up to 9,999, with
/// Sysmon's registry event types).
fn channel_sources(channel: &str) -> Vec<LogSource> {
    let mut out: Vec<LogSource> = Vec::new();
    for id in 0..=9_999 {
        let mut add = |ls: LogSource| {
            if !out.contains(&ls) {
                out.push(ls);
            }
        };
        add(vigil_logs::windows::logsource(
            Some(channel),
            Some(id),
            None,
        ));
        if id == 12 {
            for t in ["CreateKey", "DeleteKey", "SetValue"] {
                add(vigil_logs::windows::logsource(
                    Some(channel),
                    Some(id),
                    Some(t),
                ));
            }
        }
    }
    out
}

fn service_is(ls: &LogSource, service: &str) -> bool {
    ls.service.as_deref() == Some(service)
}

fn has_service(p: &Profile, service: &str) -> bool {
    p.sources
        .values()
        .any(|s| service_is(&s.logsource, service))
}

fn is_plain_web(ls: &LogSource) -> bool {
    ls.category.as_deref() == Some("webserver") && ls.service.is_none()
}

fn is_security_process_creation(ls: &LogSource) -> bool {
    service_is(ls, "security") && ls.category.as_deref() == Some("process_creation")
}

fn is_dovecot(ls: &LogSource) -> bool {
    service_is(ls, "dovecot")
}

fn is_postfix(ls: &LogSource) -> bool {
    service_is(ls, "postfix")
}

fn windows(category: Option<&str>, service: &str) -> LogSource {
    LogSource::new(Some("windows"), category, Some(service))
}

/// The gaps the profile shows, in a stable order.
fn find(p: &Profile, opts: &CheckOptions) -> Vec<Found> {
    let mut out = Vec::new();
    let win = p.has_windows_event_logs();
    let exchange = p.is_exchange();
    // A channel is present when one read maps to the same Sigma service (names vary in case and
    // in the `WinEventLog:` prefix of some exports).
    let channel = |name: &str| {
        let wanted = vigil_logs::windows::service_for_channel(name);
        wanted.is_some()
            && p.channels
                .keys()
                .any(|c| vigil_logs::windows::service_for_channel(c) == wanted)
    };
    if (exchange || p.facts.inventory_windows) && !win {
        let mut add = channel_sources("Security");
        add.extend(channel_sources(SYSMON_CHANNEL));
        add.extend(channel_sources(DEFENDER_CHANNEL));
        add.extend(channel_sources(POWERSHELL_CHANNEL));
        add.extend(channel_sources("MSExchange Management"));
        out.push(Found {
            id: "windows-event-logs",
            title: "no Windows event log of this Windows server was given".into(),
            evidence: if p.facts.inventory_windows {
                "the inventory describes a Windows server, but no EVTX or exported Windows event was read"
                    .into()
            } else {
                "Exchange's logs or requests for its paths were read, but no EVTX or exported Windows event"
                    .into()
            },
            change: Change::AddSources(add),
        });
    }
    if win && !channel("Security") {
        out.push(Found {
            id: "windows-security-log",
            title: "the Security event log is not collected".into(),
            evidence: format!(
                "Windows channels read: {}; Security is not among them",
                p.channels.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            change: Change::AddSources(channel_sources("Security")),
        });
    }
    if win && channel("Security") && p.facts.process_creation_4688 == 0 {
        out.push(Found {
            id: "windows-4688",
            title: "process creation is not audited (no Security 4688)".into(),
            evidence: format!(
                "{} Security events read, none of them 4688",
                p.channels.get("Security").map_or(0, |c| c.events)
            ),
            change: Change::AddSources(vec![windows(Some("process_creation"), "security")]),
        });
    }
    if p.facts.process_creation_4688 > 0 && p.facts.process_creation_4688_with_command_line == 0 {
        out.push(Found {
            id: "windows-4688-command-line",
            title: "process creation events carry no command line".into(),
            evidence: format!(
                "{} Security 4688 events, none with a CommandLine",
                p.facts.process_creation_4688
            ),
            change: Change::Allow(is_security_process_creation, &["CommandLine"]),
        });
    }
    if win && !channel(SYSMON_CHANNEL) {
        out.push(Found {
            id: "windows-sysmon",
            title: "Sysmon is not installed or its channel is not collected".into(),
            evidence: "no Microsoft-Windows-Sysmon/Operational event among the Windows logs".into(),
            change: Change::AddSources(channel_sources(SYSMON_CHANNEL)),
        });
    }
    if win && !channel(DEFENDER_CHANNEL) {
        out.push(Found {
            id: "windows-defender",
            title: "Microsoft Defender events are not collected".into(),
            evidence:
                "no Microsoft-Windows-Windows Defender/Operational event among the Windows logs"
                    .into(),
            change: Change::AddSources(channel_sources(DEFENDER_CHANNEL)),
        });
    }
    let script_blocks = p
        .channels
        .iter()
        .filter(|(c, _)| vigil_logs::windows::service_for_channel(c) == Some("powershell"))
        .any(|(_, c)| c.event_ids.contains_key(&4104));
    if win && !script_blocks {
        out.push(Found {
            id: "windows-powershell-script-block",
            title: "PowerShell script block logging is off or not collected".into(),
            evidence: "no Microsoft-Windows-PowerShell/Operational 4104 event".into(),
            change: Change::AddSources(vec![windows(Some("ps_script"), "powershell")]),
        });
    }
    if exchange && win && !has_service(p, "msexchange-management") {
        out.push(Found {
            id: "exchange-management",
            title: "the MSExchange Management log (cmdlets) is not collected".into(),
            evidence: "Windows logs of an Exchange server, but no MSExchange Management event"
                .into(),
            change: Change::AddSources(channel_sources("MSExchange Management")),
        });
    }
    if exchange && !has_service(p, "msexchange-httpproxy") {
        out.push(Found {
            id: "exchange-httpproxy",
            title: "Exchange HttpProxy logs are missing".into(),
            evidence: "an Exchange server (its paths or logs), but no HttpProxy log".into(),
            change: Change::AddSources(vec![LogSource::new(
                Some("windows"),
                Some("webserver"),
                Some("msexchange-httpproxy"),
            )]),
        });
    }
    if exchange && !has_service(p, "msexchange-messagetracking") {
        out.push(Found {
            id: "exchange-message-tracking",
            title: "Exchange message tracking logs are missing".into(),
            evidence: "an Exchange server, but no message tracking log (MSGTRK*.LOG)".into(),
            change: Change::AddSources(vec![windows(None, "msexchange-messagetracking")]),
        });
    }
    let iis_fields: [(&'static str, &'static str, &'static [&'static str]); 3] = [
        ("iis-user-agent", "cs(User-Agent)", &["cs(User-Agent)"]),
        ("iis-uri-query", "cs-uri-query", &["cs-uri-query"]),
        ("iis-username", "cs-username", &["cs-username"]),
    ];
    if p.facts.w3c_events > 0 {
        for (id, field, allow) in iis_fields {
            if !p.facts.w3c_fields.contains(field) {
                out.push(Found {
                    id,
                    title: format!("IIS does not log {field}"),
                    evidence: format!(
                        "{} IIS W3C events; their #Fields: headers never name {field}",
                        p.facts.w3c_events
                    ),
                    change: Change::Allow(is_plain_web, allow),
                });
            }
        }
    }
    if p.facts.dovecot_events > 0 && p.facts.dovecot_passdb_lines == 0 {
        let evidence = if p.facts.dovecot_login_failures > 0 {
            format!(
                "{} failed logins by the login processes, and no password-database line for any",
                p.facts.dovecot_login_failures
            )
        } else {
            format!(
                "{} Dovecot lines, none from the password database (auth_verbose is off, or no login failed)",
                p.facts.dovecot_events
            )
        };
        out.push(Found {
            id: "dovecot-auth-verbose",
            title: "Dovecot does not log why authentications fail (auth_verbose)".into(),
            evidence,
            change: Change::Allow(is_dovecot, &["passdb"]),
        });
    }
    if p.facts.postfix_events > 0 && p.facts.postfix_sasl_lines == 0 {
        out.push(Found {
            id: "postfix-sasl",
            title: "Postfix logs no SASL authentication".into(),
            evidence: format!(
                "{} Postfix lines, none naming a SASL method or user",
                p.facts.postfix_events
            ),
            change: Change::Depends(is_postfix, &["sasl_method", "sasl_username"], &["sasl"]),
        });
    }
    if let Some((first, last)) = p.span() {
        let days = (last.as_second() - first.as_second()) / 86_400;
        if days < opts.min_retention_days {
            out.push(Found {
                id: "retention",
                title: format!(
                    "the logs cover {days} days, less than the {}-day patch cycle",
                    opts.min_retention_days
                ),
                evidence: format!("earliest event {first}, latest {last}"),
                change: Change::Time,
            });
        }
    }
    for (key, s) in p
        .sources
        .iter()
        .filter(|(_, s)| writes_continuously(&s.logsource))
    {
        let silences = s.silences(opts.max_silence_hours);
        if silences.is_empty() {
            continue;
        }
        let shown: Vec<String> = silences.iter().take(3).map(show_silence).collect();
        let more = silences.len().saturating_sub(3);
        out.push(Found {
            id: "silence",
            title: format!(
                "{key} wrote nothing for {} hours or more, {} times",
                opts.max_silence_hours,
                silences.len()
            ),
            evidence: format!(
                "{}{}",
                shown.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                }
            ),
            change: Change::Time,
        });
    }
    out
}

/// Sources a working server writes to around the clock, so that a long silence means lost logs
/// rather than a quiet period: web and proxy access, message tracking, the Security and System
/// logs, Sysmon's process creations, and Linux syslog. Event-driven sources (antivirus detections,
/// Exchange cmdlets, PowerShell script blocks) are silent whenever nothing happens and are not
/// judged.
fn writes_continuously(ls: &LogSource) -> bool {
    let service = ls.service.as_deref();
    let category = ls.category.as_deref();
    ls.product.as_deref() == Some("linux")
        || category == Some("webserver")
        || matches!(service, Some("msexchange-messagetracking" | "system"))
        || (service == Some("security") && category.is_none())
        || (service == Some("sysmon") && category == Some("process_creation"))
}

fn show_silence(s: &Silence) -> String {
    format!("{} to {} ({} h)", s.from, s.to, s.hours)
}

/// The gaps of an asset, with the rules each blinds; also returns the asset's model with every
/// rule that depends on unwritten lines marked blind (what coverage should use).
pub fn gaps(
    profile: &Profile,
    set: &RuleSet,
    mappings: &Mappings,
    opts: &CheckOptions,
) -> (Vec<Gap>, Model) {
    let base = Model::from_profile(profile);
    let base_alive = base.fireable(set, mappings);
    let mut final_model = base.clone();
    let mut out = Vec::new();
    for f in find(profile, opts) {
        let blind: BTreeSet<String> = match &f.change {
            Change::Time => BTreeSet::new(),
            Change::AddSources(add) => {
                let mut m = base.clone();
                for ls in add {
                    m.sources.push(ModelSource::new(ls.clone()));
                }
                m.fireable(set, mappings)
                    .difference(&base_alive)
                    .cloned()
                    .collect()
            }
            Change::Allow(pred, fields) => {
                let mut m = base.clone();
                for s in m.sources.iter_mut().filter(|s| pred(&s.logsource)) {
                    for f in *fields {
                        s.allow(f);
                    }
                }
                m.fireable(set, mappings)
                    .difference(&base_alive)
                    .cloned()
                    .collect()
            }
            Change::Depends(pred, fields, values) => {
                let identity = vigil_sigma::FieldMapping::default();
                let mut m = base.clone();
                for r in &set.rules {
                    let depends = m.sources.iter().filter(|s| pred(&s.logsource)).any(|s| {
                        vigil_hunt::coverage::logsource_applies(&r.meta.logsource, &s.logsource)
                            && references(
                                r,
                                mappings.for_logsource(&s.logsource).unwrap_or(&identity),
                                fields,
                                values,
                            )
                    });
                    if depends {
                        m.blocked.insert(r.meta.key());
                        final_model.blocked.insert(r.meta.key());
                    }
                }
                base_alive
                    .difference(&m.fireable(set, mappings))
                    .cloned()
                    .collect()
            }
        };
        let (blind, techniques) = describe(set, &blind);
        out.push(Gap {
            id: f.id,
            title: f.title,
            evidence: f.evidence,
            blind,
            techniques,
            fix: fix_for(f.id).copied(),
        });
    }
    (out, final_model)
}

/// The rules of `keys` with their titles (in rule-set order), and the techniques their tags name.
fn describe(set: &RuleSet, keys: &BTreeSet<String>) -> (Vec<BlindRule>, Vec<String>) {
    let mut rules = Vec::new();
    let mut techniques = BTreeSet::new();
    let metas = set
        .rules
        .iter()
        .map(|r| &r.meta)
        .chain(set.correlations.iter().map(|c| &c.meta));
    for meta in metas {
        let key = meta.key();
        if keys.contains(&key) {
            techniques.extend(crate::techniques::technique_tags(&meta.tags));
            rules.push(BlindRule {
                key,
                title: meta.title.clone(),
            });
        }
    }
    (rules, techniques.into_iter().collect())
}
