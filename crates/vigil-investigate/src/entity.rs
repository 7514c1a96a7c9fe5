//! Entities: the addresses, networks, accounts, mailboxes, paths, file names, user agents and hosts a
//! detection names, normalised across log formats, and the rule that keeps ubiquitous values from joining
//! unrelated detections.
//!
//! An attacker who comes back weeks later reuses what worked: the same address or network, the same
//! stolen account, the same web shell. Those shared values join a later wave of activity to the breach it
//! continues ([`crate::incident`]). They are read from a detection's matched fields and from the fields of
//! the records behind it that [`crate::context`] attached, whatever the log format calls them
//! ([`FIELD_ROLES`]: `c-ip`, `ClientIpAddress`, `rip`, `client_ip`, `IpAddress`, … are all a client
//! address).
//!
//! Values every detection shares would join everything, so an entity links only when it is
//! - not on the stop list: empty, `-`, `unknown`, loopback, unspecified, link-local and multicast
//!   addresses, the server's own addresses (read from server-side fields such as `s-ip` and `lip`),
//!   built-in Windows principals (`NT AUTHORITY\…`, `IIS APPPOOL\…`, machine accounts `…$`), Exchange's
//!   own health probes (user agent `AMProbe/…`);
//! - not common in this log ([`LinkOptions`]): seen in benign or low-level detections (those below the
//!   level that opens an incident, and those triaged as false positives) on at least
//!   [`LinkOptions::common_day_share`] of the days with detections (and on at least
//!   [`LinkOptions::common_min_days`] days), or — for everything but addresses — seen in such detections
//!   together with more than [`LinkOptions::common_max_addresses`] distinct client addresses (a user
//!   agent or a URL every client uses). Detections that open incidents never make a value common: a
//!   spray names every account it tried with every address it came from.
//!
//! Networks (/24 for IPv4, /64 for IPv6) are derived only from public addresses: a private LAN range
//! holds every desktop of the organisation. A URL path is a strong [`EntityKind::Path`] when a rule
//! matched it (what the rule found suspicious: a web shell, an exploited endpoint) and a weak
//! [`EntityKind::Location`] when it is only in a record's context (where a request went).

use crate::context::CONTEXT_PREFIX;
use crate::time::utc_date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vigil_model::{Detection, Level};

/// Longest entity value kept (longer values are cut); most entities kept per detection.
pub const MAX_ENTITY_CHARS: usize = 512;
pub const MAX_ENTITIES_PER_DETECTION: usize = 64;

/// What kind of thing an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A client (source) address.
    Address,
    /// The /24 (IPv4) or /64 (IPv6) of a public client address.
    Network,
    /// An account name without its domain (`administrator`).
    Account,
    /// An e-mail address used as a login or sender.
    Mailbox,
    /// A URL path a rule matched (what it found suspicious) or a file-system path (lower case, `/`
    /// separators).
    Path,
    /// A URL path only seen in a record's context (where a request went): every client requests the same
    /// logon page, so it is weak.
    Location,
    /// The name of a script, executable, archive or mailbox file (`erroree.aspx`): the same web shell seen
    /// as a request and as a file write.
    FileName,
    UserAgent,
    /// A client's host name (reverse DNS, workstation name).
    Host,
}

impl EntityKind {
    pub fn label(self) -> &'static str {
        match self {
            EntityKind::Address => "address",
            EntityKind::Network => "network",
            EntityKind::Account => "account",
            EntityKind::Mailbox => "mailbox",
            EntityKind::Path => "path",
            EntityKind::Location => "location",
            EntityKind::FileName => "file",
            EntityKind::UserAgent => "user agent",
            EntityKind::Host => "host",
        }
    }

    /// Strong entities link two waves on their own; weak ones (a network, a user agent, a host name) only
    /// together with a second shared entity, because many unrelated clients share them.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            EntityKind::Address
                | EntityKind::Account
                | EntityKind::Mailbox
                | EntityKind::Path
                | EntityKind::FileName
        )
    }

    /// Who or where from: what a precursor (a failed login, a spray) shares with the breach it precedes.
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            EntityKind::Address | EntityKind::Network | EntityKind::Account | EntityKind::Mailbox
        )
    }
}

/// One normalised value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entity {
    pub kind: EntityKind,
    pub value: String,
}

impl Entity {
    pub fn new(kind: EntityKind, value: impl Into<String>) -> Entity {
        Entity {
            kind,
            value: value.into(),
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.value)
    }
}

/// What a field of a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRole {
    ClientAddress,
    /// The server's own address: never an entity, and removed from client addresses.
    ServerAddress,
    /// A login or account name; e-mail-shaped values become mailboxes.
    Account,
    /// A sender or mailbox address.
    Mailbox,
    /// Exchange's `AnchorMailbox` (`Smtp~user@domain`, `Sid~…`).
    AnchorMailbox,
    UrlPath,
    FilePath,
    UserAgent,
    RemoteHost,
    /// A command line or cmdlet parameters: `-Mailbox`, `-Identity`, `-User`, `-FilePath` are read from it.
    CommandText,
}

/// Field names (as vigil's readers and Sigma rules spell them, compared case-insensitively) and what they
/// hold. Fields not listed are not read for entities. Recipients are deliberately absent: a phishing wave's
/// victims are not the attacker's artefacts.
pub const FIELD_ROLES: &[(&str, FieldRole)] = &[
    // client addresses: IIS/W3C and access logs, HttpProxy, Dovecot, Postfix, Windows Security, message
    // tracking, ECS-style JSON
    ("c-ip", FieldRole::ClientAddress),
    ("src_ip", FieldRole::ClientAddress),
    ("ClientIpAddress", FieldRole::ClientAddress),
    ("ClientIp", FieldRole::ClientAddress),
    ("rip", FieldRole::ClientAddress),
    ("client_ip", FieldRole::ClientAddress),
    ("IpAddress", FieldRole::ClientAddress),
    ("SourceAddress", FieldRole::ClientAddress),
    ("SourceIp", FieldRole::ClientAddress),
    ("original-client-ip", FieldRole::ClientAddress),
    ("client-ip", FieldRole::ClientAddress),
    ("source.ip", FieldRole::ClientAddress),
    ("client.ip", FieldRole::ClientAddress),
    ("remote_addr", FieldRole::ClientAddress),
    ("rhost", FieldRole::ClientAddress),
    // the server's own addresses
    ("s-ip", FieldRole::ServerAddress),
    ("dst_ip", FieldRole::ServerAddress),
    ("lip", FieldRole::ServerAddress),
    ("server-ip", FieldRole::ServerAddress),
    ("original-server-ip", FieldRole::ServerAddress),
    ("ServerIpAddress", FieldRole::ServerAddress),
    ("DestinationIp", FieldRole::ServerAddress),
    // accounts
    ("cs-username", FieldRole::Account),
    ("AuthenticatedUser", FieldRole::Account),
    ("user", FieldRole::Account),
    ("sasl_username", FieldRole::Account),
    ("TargetUserName", FieldRole::Account),
    ("SubjectUserName", FieldRole::Account),
    ("User", FieldRole::Account),
    ("UserName", FieldRole::Account),
    ("username", FieldRole::Account),
    ("user.name", FieldRole::Account),
    ("AccountName", FieldRole::Account),
    // senders and mailboxes
    ("sender-address", FieldRole::Mailbox),
    ("sender", FieldRole::Mailbox),
    ("from", FieldRole::Mailbox),
    ("Mailbox", FieldRole::Mailbox),
    ("AnchorMailbox", FieldRole::AnchorMailbox),
    // paths
    ("cs-uri-stem", FieldRole::UrlPath),
    // SigmaHQ's webserver rules name the whole request target `cs-uri-query`; a raw W3C query (no
    // leading `/`) yields no path.
    ("cs-uri-query", FieldRole::UrlPath),
    ("c-uri", FieldRole::UrlPath),
    ("cs-uri", FieldRole::UrlPath),
    ("c-uri-stem", FieldRole::UrlPath),
    ("UrlStem", FieldRole::UrlPath),
    ("url.path", FieldRole::UrlPath),
    ("TargetFilename", FieldRole::FilePath),
    ("Path", FieldRole::FilePath),
    ("FilePath", FieldRole::FilePath),
    ("file.path", FieldRole::FilePath),
    // user agents
    ("cs(User-Agent)", FieldRole::UserAgent),
    ("cs-user-agent", FieldRole::UserAgent),
    ("c-useragent", FieldRole::UserAgent),
    ("UserAgent", FieldRole::UserAgent),
    ("user_agent", FieldRole::UserAgent),
    ("user_agent.original", FieldRole::UserAgent),
    ("http_user_agent", FieldRole::UserAgent),
    // client host names
    ("client_host", FieldRole::RemoteHost),
    ("WorkstationName", FieldRole::RemoteHost),
    ("Workstation", FieldRole::RemoteHost),
    ("client-hostname", FieldRole::RemoteHost),
    // command text
    ("CommandLine", FieldRole::CommandText),
    ("ScriptBlockText", FieldRole::CommandText),
    ("Data", FieldRole::CommandText),
    ("Payload", FieldRole::CommandText),
    ("keywords", FieldRole::CommandText),
    ("record_text", FieldRole::CommandText),
];

/// The role of a field name (a `context:` prefix is ignored).
pub fn role_of(field: &str) -> Option<FieldRole> {
    let name = field.strip_prefix(CONTEXT_PREFIX).unwrap_or(field);
    FIELD_ROLES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, r)| *r)
}

/// What one detection names: linking candidates and the server addresses seen in its records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    pub entities: BTreeSet<Entity>,
    /// Server-side addresses (`s-ip`): the asset's own, never entities.
    pub server_addresses: BTreeSet<String>,
}

/// The entities a detection names, from its matched fields and attached record context. A URL path the
/// rule matched is a [`EntityKind::Path`] (and its artefact file name); one only in the context is a
/// [`EntityKind::Location`].
pub fn detection_entities(d: &Detection) -> Named {
    let mut out = Named::default();
    for (field, value) in &d.matched {
        let Some(role) = role_of(field) else { continue };
        if role == FieldRole::UrlPath && field.starts_with(CONTEXT_PREFIX) {
            if let Some(p) = url_path(value) {
                out.entities.insert(Entity::new(EntityKind::Location, p));
            }
            continue;
        }
        add_value(role, value, &mut out);
        if out.entities.len() >= MAX_ENTITIES_PER_DETECTION {
            break;
        }
    }
    for a in &out.server_addresses {
        out.entities
            .remove(&Entity::new(EntityKind::Address, a.clone()));
    }
    out
}

fn add_value(role: FieldRole, value: &str, out: &mut Named) {
    let value = clip(value.trim());
    match role {
        FieldRole::ClientAddress => {
            // X-Forwarded-For style lists name every hop.
            for part in value.split(',') {
                if let Some(ip) = address(part) {
                    out.entities
                        .insert(Entity::new(EntityKind::Address, ip.to_string()));
                    if let Some(net) = network(ip) {
                        out.entities.insert(Entity::new(EntityKind::Network, net));
                    }
                }
            }
        }
        FieldRole::ServerAddress => {
            if let Some(ip) = address(value) {
                out.server_addresses.insert(ip.to_string());
            }
        }
        FieldRole::Account => {
            if let Some(e) = account(value) {
                out.entities.insert(e);
            }
        }
        FieldRole::Mailbox => {
            if let Some(m) = mailbox(value) {
                out.entities.insert(Entity::new(EntityKind::Mailbox, m));
            }
        }
        FieldRole::AnchorMailbox => {
            let v = value
                .split_once('~')
                .map(|x| x.1)
                .or_else(|| value.split_once(':').map(|x| x.1))
                .unwrap_or(value);
            if let Some(m) = mailbox(v) {
                out.entities.insert(Entity::new(EntityKind::Mailbox, m));
            }
        }
        FieldRole::UrlPath => add_path(url_path(value), out),
        // Defender lists its resources as `file:_C:\…; file:_C:\…`.
        FieldRole::FilePath => {
            for part in value.split("; ") {
                let part = part.trim();
                add_path(file_path(part.strip_prefix("file:_").unwrap_or(part)), out);
            }
        }
        FieldRole::UserAgent => {
            if let Some(ua) = user_agent(value) {
                out.entities.insert(Entity::new(EntityKind::UserAgent, ua));
            }
        }
        FieldRole::RemoteHost => {
            if let Some(h) = host(value) {
                out.entities.insert(Entity::new(EntityKind::Host, h));
            }
        }
        FieldRole::CommandText => {
            for p in ["-mailbox", "-identity", "-user"] {
                for v in param_values(value, p) {
                    if let Some(e) = account(&v) {
                        out.entities.insert(e);
                    }
                }
            }
            for v in param_values(value, "-filepath") {
                add_path(file_path(&v), out);
            }
        }
    }
}

fn add_path(p: Option<String>, out: &mut Named) {
    let Some(p) = p else { return };
    if let Some(name) = artefact_name(&p) {
        out.entities.insert(Entity::new(EntityKind::FileName, name));
    }
    out.entities.insert(Entity::new(EntityKind::Path, p));
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(MAX_ENTITY_CHARS) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

fn is_blank(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    matches!(
        l.as_str(),
        "" | "-" | "--" | "n/a" | "na" | "null" | "none" | "unknown" | "(null)"
    )
}

/// A routable client address; `None` for the stop list (loopback, unspecified, link-local, multicast,
/// broadcast) and for anything that is not an address. `[::1]:443` and `1.2.3.4:80` lose their ports.
pub fn address(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_start_matches('[');
    let s = s.split(']').next().unwrap_or(s);
    let ip: IpAddr = match s.parse() {
        Ok(ip) => ip,
        Err(_) => match s.rsplit_once(':') {
            Some((a, port)) if port.bytes().all(|b| b.is_ascii_digit()) => a.parse().ok()?,
            _ => return None,
        },
    };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let stop = match ip {
        IpAddr::V4(v) => {
            v.is_loopback()
                || v.is_unspecified()
                || v.is_link_local()
                || v.is_multicast()
                || v.is_broadcast()
        }
        IpAddr::V6(v) => {
            v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    (!stop).then_some(ip)
}

/// Whether an address belongs to a private or shared range (RFC 1918, RFC 6598 CGNAT, IPv6 ULA).
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || (v.octets()[0] == 100 && (v.octets()[1] & 0xc0) == 64),
        IpAddr::V6(v) => (v.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// The /24 or /64 of a public address, as `203.0.113.0/24` or `2001:db8:1:2::/64`.
pub fn network(ip: IpAddr) -> Option<String> {
    if is_private(ip) {
        return None;
    }
    Some(match ip {
        IpAddr::V4(v) => {
            let [a, b, c, _] = v.octets();
            format!("{}/24", Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    })
}

/// Built-in principals every Windows server logs all day.
const BUILTIN_ACCOUNT_PREFIXES: [&str; 7] = [
    "nt authority\\",
    "iis apppool\\",
    "nt service\\",
    "font driver host\\",
    "window manager\\",
    "umfd-",
    "dwm-",
];
const BUILTIN_ACCOUNTS: [&str; 7] = [
    "system",
    "local service",
    "network service",
    "anonymous logon",
    "anonymous",
    "localsystem",
    "defaultapppool",
];

/// An account as an entity: e-mail-shaped names are mailboxes; `DOMAIN\user` keeps the user; built-in
/// principals and machine accounts (`MAIL01$`) are not entities.
pub fn account(s: &str) -> Option<Entity> {
    let v = s
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>')
        .to_lowercase();
    if is_blank(&v) || BUILTIN_ACCOUNT_PREFIXES.iter().any(|p| v.starts_with(p)) {
        return None;
    }
    if let Some(m) = mailbox(&v) {
        return Some(Entity::new(EntityKind::Mailbox, m));
    }
    let user = v.rsplit('\\').next().unwrap_or(&v).trim();
    if user.is_empty()
        || user.ends_with('$')
        || BUILTIN_ACCOUNTS.contains(&user)
        || user.len() > 128
    {
        return None;
    }
    Some(Entity::new(EntityKind::Account, user.to_string()))
}

/// An e-mail address in lower case, without `<>` or quotes; `None` unless it has the shape of one.
pub fn mailbox(s: &str) -> Option<String> {
    let v = s
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>')
        .to_lowercase();
    let (local, domain) = v.split_once('@')?;
    let bad = |c: char| c.is_whitespace() || "/?\\,;:<>[]()\"@".contains(c);
    let ok = !local.is_empty()
        && !local.contains(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains(bad)
        && v.len() <= 254;
    ok.then_some(v)
}

/// The path of a URL or request target, lower case, without query or fragment; `None` for `/`.
pub fn url_path(s: &str) -> Option<String> {
    let s = s.trim();
    let s = match s.find("://") {
        Some(i) => {
            let rest = s.get(i + 3..).unwrap_or("");
            rest.find('/').and_then(|j| rest.get(j..)).unwrap_or("/")
        }
        None => s,
    };
    let path = s.split(['?', '#']).next().unwrap_or("").to_lowercase();
    (path.starts_with('/') && path.len() > 1 && !is_blank(&path)).then_some(path)
}

/// A file-system path, lower case with `/` separators; a UNC path to the server itself
/// (`\\127.0.0.1\c$\inetpub\…`) becomes the local path (`c:/inetpub/…`).
pub fn file_path(s: &str) -> Option<String> {
    let mut p = s
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .replace('\\', "/")
        .to_lowercase();
    if let Some(rest) = p.strip_prefix("//?/") {
        p = rest.to_string();
    }
    if let Some(rest) = p.strip_prefix("//") {
        // `//host/c$/dir` → `c:/dir` when the share is an administrative drive share.
        let mut parts = rest.splitn(3, '/');
        let (_, share, tail) = (parts.next(), parts.next(), parts.next());
        if let (Some(share), Some(tail)) = (share, tail)
            && share.len() == 2
            && share.ends_with('$')
        {
            p = format!("{}:/{tail}", share.get(..1).unwrap_or(""));
        }
    }
    (p.len() > 1 && !is_blank(&p) && p.contains('/')).then_some(p)
}

/// Extensions of files an intrusion leaves or takes: server-side scripts, executables and scripts,
/// archives, mailbox files and memory dumps.
const ARTEFACT_EXTENSIONS: [&str; 22] = [
    "aspx", "asp", "ashx", "asmx", "php", "jsp", "jspx", "cfm", "exe", "dll", "ps1", "bat", "cmd",
    "vbs", "zip", "rar", "7z", "pst", "ost", "tar", "gz", "dmp",
];

/// The file name of a path when it is an artefact (see [`ARTEFACT_EXTENSIONS`]).
fn artefact_name(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let (_, ext) = name.rsplit_once('.')?;
    ARTEFACT_EXTENSIONS.contains(&ext).then(|| name.to_string())
}

/// A user agent, with IIS's `+` for spaces decoded and case folded; Exchange's own health probes and
/// blanks are not entities.
pub fn user_agent(s: &str) -> Option<String> {
    let v = s.trim().replace('+', " ").to_lowercase();
    if is_blank(&v) || v.starts_with("amprobe/") {
        return None;
    }
    Some(v)
}

/// A client host name in lower case; `None` for blanks, `localhost` and addresses.
pub fn host(s: &str) -> Option<String> {
    let v = s.trim().trim_end_matches('.').to_lowercase();
    if is_blank(&v) || v == "localhost" || v.parse::<IpAddr>().is_ok() {
        return None;
    }
    Some(v)
}

/// The values of a PowerShell parameter (`-Mailbox`, `-FilePath`) in a command line as PowerShell or a log
/// (possibly JSON-escaped) writes it: `-Mailbox "a@b"`, `-Mailbox:'a b'`, `-Mailbox \"a@b\"`, `-Mailbox a@b`.
/// `param` is given in lower case, with its dash.
pub fn param_values(text: &str, param: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower.get(from..).and_then(|s| s.find(param)) {
        let start = from + pos + param.len();
        from = start;
        let Some(rest) = text.get(start..) else { break };
        // The parameter name must end here: `-MailboxExportRequest` is not `-Mailbox`.
        match rest.chars().next() {
            Some(c) if c.is_whitespace() || c == ':' => {}
            _ => continue,
        }
        let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
        let unescaped = rest.strip_prefix('\\').filter(|r| r.starts_with('"'));
        let escaped = unescaped.is_some();
        let rest = unescaped.unwrap_or(rest);
        let (quote, body) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), rest.get(1..).unwrap_or("")),
            _ => (None, rest),
        };
        let value: String = match quote {
            // A JSON-escaped value ends at `\"`; its own backslashes are doubled.
            Some(q) => {
                let v = body.split(q).next().unwrap_or("");
                let v = v.strip_suffix('\\').unwrap_or(v);
                if escaped {
                    v.replace("\\\\", "\\")
                } else {
                    v.to_string()
                }
            }
            None => body
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .next()
                .unwrap_or("")
                .to_string(),
        };
        let value = value.trim();
        if !value.is_empty() && value.len() <= 1024 && !value.starts_with('-') {
            out.push(value.to_string());
        }
    }
    out
}

/// The thresholds of the "common value" rule (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkOptions {
    /// Share of the days with detections on which a value must appear in benign or low-level detections
    /// to count as common.
    pub common_day_share: f64,
    /// Fewest such days: in a log of a few days nothing is common by this test.
    pub common_min_days: usize,
    /// Most distinct client addresses a non-address value may be seen with before it counts as common.
    pub common_max_addresses: usize,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            common_day_share: 0.5,
            common_min_days: 4,
            common_max_addresses: 8,
        }
    }
}

/// Why a value does not link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Common {
    /// The server's own address.
    OwnAddress,
    /// Seen in benign or low-level detections on most days.
    Everyday,
    /// Seen with many different client addresses.
    Widespread,
}

/// The entities of a set of detections (one asset), and which of them are common.
#[derive(Debug, Clone, Default)]
pub struct Linker {
    common: HashMap<Entity, Common>,
}

impl Linker {
    /// Learns what is common from `detections` (all of one asset, including those set aside as false
    /// positives, which are listed in `benign`). Detections below `open_level` count as benign evidence.
    pub fn learn(
        detections: &[&Detection],
        benign: &[&Detection],
        open_level: Level,
        opts: &LinkOptions,
    ) -> Linker {
        let mut all_days: HashSet<jiff::civil::Date> = HashSet::new();
        let mut days: HashMap<Entity, HashSet<jiff::civil::Date>> = HashMap::new();
        let mut addresses: HashMap<Entity, HashSet<String>> = HashMap::new();
        let mut own: HashSet<String> = HashSet::new();
        let everything = detections.iter().map(|d| (*d, false));
        for (d, dismissed) in everything.chain(benign.iter().map(|d| (*d, true))) {
            let named = detection_entities(d);
            own.extend(named.server_addresses.iter().cloned());
            let day = d.timestamp.map(utc_date);
            if let Some(day) = day {
                all_days.insert(day);
            }
            let benign_evidence = dismissed || d.level < open_level;
            let clients: Vec<&str> = named
                .entities
                .iter()
                .filter(|e| e.kind == EntityKind::Address)
                .map(|e| e.value.as_str())
                .collect();
            for e in named.entities.iter().map(stat_key) {
                if benign_evidence && let Some(day) = day {
                    days.entry(e.clone()).or_default().insert(day);
                }
                // Only what is not the attack says a value is everybody's: a spray names every
                // account it tried with every address it came from, and a web shell is reached from
                // several attacker addresses; neither is common.
                if benign_evidence && e.kind != EntityKind::Address && e.kind != EntityKind::Network
                {
                    let set = addresses.entry(e).or_default();
                    if set.len() <= opts.common_max_addresses {
                        set.extend(clients.iter().map(|c| c.to_string()));
                    }
                }
            }
        }
        let mut common = HashMap::new();
        let needed = ((all_days.len() as f64) * opts.common_day_share.clamp(0.0, 1.0)).ceil();
        let needed = (needed as usize).max(opts.common_min_days.max(1));
        for (e, d) in days {
            if d.len() >= needed {
                common.insert(e, Common::Everyday);
            }
        }
        for (e, a) in addresses {
            if a.len() > opts.common_max_addresses {
                common.entry(e).or_insert(Common::Widespread);
            }
        }
        for a in own {
            common.insert(Entity::new(EntityKind::Address, a), Common::OwnAddress);
        }
        Linker { common }
    }

    /// Why a value does not link, if it does not.
    pub fn common(&self, e: &Entity) -> Option<Common> {
        self.common.get(&stat_key(e)).copied()
    }

    /// The entities of a detection that may link it to others.
    pub fn linking(&self, d: &Detection) -> BTreeSet<Entity> {
        detection_entities(d)
            .entities
            .into_iter()
            .filter(|e| !self.common.contains_key(&stat_key(e)))
            .collect()
    }
}

impl Linker {
    /// The accounts and mailboxes of a detection that are common in this log (a roaming user's
    /// account, seen from many networks): they do not link on their own, but the same account
    /// from a network an incident's attacker used does (see [`joins`]).
    pub fn common_identities(&self, d: &Detection) -> BTreeSet<Entity> {
        detection_entities(d)
            .entities
            .into_iter()
            .filter(|e| matches!(e.kind, EntityKind::Account | EntityKind::Mailbox))
            .filter(|e| {
                matches!(
                    self.common.get(&stat_key(e)),
                    Some(Common::Everyday | Common::Widespread)
                )
            })
            .collect()
    }
}

/// A URL path is common whether rules matched it or records only went there: one statistic for both.
fn stat_key(e: &Entity) -> Entity {
    match e.kind {
        EntityKind::Location => Entity::new(EntityKind::Path, e.value.clone()),
        _ => e.clone(),
    }
}

/// Whether shared entities are enough to join two waves: one strong entity, or two weak ones.
pub fn links(shared: &BTreeSet<Entity>) -> bool {
    shared.iter().any(|e| e.kind.is_strong()) || shared.len() >= 2
}

/// Whether two waves join, given the linking entities they share and the common accounts they
/// share ([`Linker::common_identities`]): [`links`], or a shared linking entity together with a
/// shared common account. A network is weak alone (many clients share one) and a roaming user's
/// account is common, but the same account from the network an attacker used again is the
/// attacker coming back.
pub fn joins(shared: &BTreeSet<Entity>, shared_common: &BTreeSet<Entity>) -> bool {
    links(shared) || (!shared.is_empty() && !shared_common.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Level;

    fn det(level: Level, at: &str, matched: &[(&str, &str)]) -> Detection {
        crate::testing::detection("r", level, &[], Some("MAIL01"), Some(at), matched)
    }

    fn kinds(d: &Detection) -> Vec<String> {
        detection_entities(d)
            .entities
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn field_names_are_normalised_across_formats() {
        let iis = det(
            Level::High,
            "2021-08-13T03:04:05Z",
            &[
                ("context:c-ip", "203.0.113.77"),
                ("context:s-ip", "10.20.1.25"),
                ("cs-uri-stem", "/aspnet_client/KXNQTM.aspx"),
                (
                    "context:cs(User-Agent)",
                    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
                ),
                ("context:cs-username", "-"),
            ],
        );
        assert_eq!(
            kinds(&iis),
            vec![
                "address 203.0.113.77",
                "network 203.0.113.0/24",
                "path /aspnet_client/kxnqtm.aspx",
                "file kxnqtm.aspx",
                "user agent mozilla/5.0 (windows nt 10.0; win64; x64)",
            ]
        );
        // A URL only in the record's context is where the request went, not what the rule flagged.
        let scan = det(
            Level::Medium,
            "2021-08-13T03:04:05Z",
            &[("context:cs-uri-stem", "/owa/auth/logon.aspx")],
        );
        assert_eq!(kinds(&scan), vec!["location /owa/auth/logon.aspx"]);
        assert!(!EntityKind::Location.is_strong() && !EntityKind::Location.is_identity());
        let sysmon = det(
            Level::High,
            "2021-08-13T03:03:20Z",
            &[(
                "TargetFilename",
                r"C:\inetpub\wwwroot\aspnet_client\kxnqtm.aspx",
            )],
        );
        assert!(kinds(&sysmon).contains(&"file kxnqtm.aspx".to_string()));
        let defender = det(
            Level::High,
            "2021-08-13T03:19:44Z",
            &[(
                "context:Path",
                r"file:_C:\inetpub\wwwroot\aspnet_client\kxnqtm.aspx; file:_C:\x\y.exe",
            )],
        );
        assert_eq!(
            kinds(&defender),
            vec![
                "path c:/inetpub/wwwroot/aspnet_client/kxnqtm.aspx",
                "path c:/x/y.exe",
                "file kxnqtm.aspx",
                "file y.exe"
            ],
            "the same path as Sysmon's TargetFilename"
        );
        let dovecot = det(
            Level::High,
            "2022-04-12T02:17:44Z",
            &[
                ("rip", "198.51.100.61"),
                ("context:lip", "192.0.2.10"),
                ("context:user", "Reception@Physio.Example.com"),
            ],
        );
        assert_eq!(
            kinds(&dovecot),
            vec![
                "address 198.51.100.61",
                "network 198.51.100.0/24",
                "mailbox reception@physio.example.com"
            ]
        );
        let mgmt = det(
            Level::Critical,
            "2021-08-13T03:02:35Z",
            &[(
                "context:Data",
                r#"New-MailboxExportRequest -Mailbox "administrator@clinic.example.org" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\kxnqtm.aspx""#,
            )],
        );
        assert_eq!(
            kinds(&mgmt),
            vec![
                "mailbox administrator@clinic.example.org",
                "path c:/inetpub/wwwroot/aspnet_client/kxnqtm.aspx",
                "file kxnqtm.aspx"
            ]
        );
        let anchor = det(
            Level::High,
            "2021-08-13T03:02:35Z",
            &[
                (
                    "AnchorMailbox",
                    "Smtp~autodiscover/autodiscover.json?@evil.corp",
                ),
                ("context:AnchorMailbox", "SMTP:Jane@Clinic.example.org"),
            ],
        );
        assert_eq!(kinds(&anchor), vec!["mailbox jane@clinic.example.org"]);
    }

    #[test]
    fn stop_list() {
        for a in [
            "127.0.0.1",
            "::1",
            "0.0.0.0",
            "-",
            "",
            "fe80::1",
            "224.0.0.1",
        ] {
            assert_eq!(address(a), None, "{a}");
        }
        assert_eq!(
            address("[2001:db8::5]:443")
                .map(|a| a.to_string())
                .as_deref(),
            Some("2001:db8::5")
        );
        assert_eq!(
            address("::ffff:203.0.113.5")
                .map(|a| a.to_string())
                .as_deref(),
            Some("203.0.113.5")
        );
        assert_eq!(network("10.20.3.21".parse().unwrap()), None, "private LAN");
        assert_eq!(network("100.64.1.1".parse().unwrap()), None, "CGNAT");
        assert_eq!(
            network("2001:db8:1:2:3::9".parse().unwrap()).as_deref(),
            Some("2001:db8:1:2::/64")
        );
        for a in [
            "NT AUTHORITY\\SYSTEM",
            "IIS APPPOOL\\MSExchangeOWAAppPool",
            "MAIL01$",
            "CLINIC\\MAIL01$",
            "-",
            "SYSTEM",
            "Anonymous Logon",
        ] {
            assert_eq!(account(a), None, "{a}");
        }
        assert_eq!(
            account("CLINIC\\Administrator"),
            Some(Entity::new(EntityKind::Account, "administrator"))
        );
        assert_eq!(user_agent("AMProbe/Local/ClientAccess"), None);
        assert_eq!(host("unknown"), None);
        assert_eq!(host("198.51.100.3"), None);
        assert_eq!(mailbox("a@b"), None);
        assert_eq!(mailbox("autodiscover/autodiscover.json?@evil.corp"), None);
        assert_eq!(url_path("/"), None);
        assert_eq!(
            url_path("https://mail.example.org/OWA/auth/x.aspx?a=1").as_deref(),
            Some("/owa/auth/x.aspx")
        );
    }

    #[test]
    fn own_addresses_never_link() {
        let d = det(
            Level::High,
            "2021-08-13T03:04:05Z",
            &[
                ("context:c-ip", "10.20.1.25"),
                ("context:s-ip", "10.20.1.25"),
            ],
        );
        assert!(kinds(&d).is_empty(), "{:?}", kinds(&d));
        let other = det(
            Level::High,
            "2021-08-14T00:00:00Z",
            &[("c-ip", "10.20.1.25")],
        );
        let l = Linker::learn(&[&d, &other], &[], Level::High, &LinkOptions::default());
        assert!(l.linking(&other).is_empty());
    }

    #[test]
    fn everyday_and_widespread_values_are_common() {
        let mut all = Vec::new();
        // An office address in low-level detections on 6 of 8 days.
        for day in 1..=6 {
            all.push(det(
                Level::Low,
                &format!("2021-08-0{day}T09:00:00Z"),
                &[("c-ip", "192.0.2.40"), ("cs-username", "j.doe")],
            ));
        }
        // A browser user agent seen with 10 different clients.
        for i in 0..10 {
            all.push(det(
                Level::Medium,
                "2021-08-07T10:00:00Z",
                &[
                    ("c-ip", &format!("192.0.2.{}", 100 + i)),
                    ("cs-user-agent", "Mozilla/5.0+(Windows)"),
                ],
            ));
        }
        let attack = det(
            Level::High,
            "2021-08-08T03:00:00Z",
            &[
                ("c-ip", "203.0.113.9"),
                ("cs-user-agent", "Mozilla/5.0+(Windows)"),
            ],
        );
        all.push(attack.clone());
        let refs: Vec<&Detection> = all.iter().collect();
        let l = Linker::learn(&refs, &[], Level::High, &LinkOptions::default());
        assert_eq!(
            l.common(&Entity::new(EntityKind::Address, "192.0.2.40")),
            Some(Common::Everyday)
        );
        assert_eq!(
            l.common(&Entity::new(EntityKind::UserAgent, "mozilla/5.0 (windows)")),
            Some(Common::Widespread)
        );
        let linking: Vec<String> = l.linking(&attack).iter().map(ToString::to_string).collect();
        assert_eq!(
            linking,
            vec!["address 203.0.113.9", "network 203.0.113.0/24"]
        );
        // The accounts a spray tried from many addresses stay the attack's: they link.
        let spray: Vec<Detection> = (0..12)
            .map(|i| {
                det(
                    Level::High,
                    "2021-08-08T02:00:00Z",
                    &[
                        ("context:rip", &format!("203.0.113.{}", 10 + i)),
                        ("context:user", "ann@clinic.example"),
                    ],
                )
            })
            .collect();
        let with_spray: Vec<&Detection> = refs.iter().copied().chain(&spray).collect();
        let l = Linker::learn(&with_spray, &[], Level::High, &LinkOptions::default());
        assert_eq!(
            l.common(&Entity::new(EntityKind::Mailbox, "ann@clinic.example")),
            None
        );
        // Two days of logs: nothing is common by the day test.
        let short = [&all[0], &all[1]];
        let l = Linker::learn(&short, &[], Level::High, &LinkOptions::default());
        assert_eq!(
            l.common(&Entity::new(EntityKind::Address, "192.0.2.40")),
            None
        );
    }

    #[test]
    fn weak_entities_link_only_in_pairs() {
        let ua = Entity::new(EntityKind::UserAgent, "python-requests/2.25.1");
        let net = Entity::new(EntityKind::Network, "203.0.113.0/24");
        let shell = Entity::new(EntityKind::FileName, "erroree.aspx");
        assert!(!links(&BTreeSet::from([ua.clone()])));
        assert!(!links(&BTreeSet::from([net.clone()])));
        assert!(links(&BTreeSet::from([ua, net])));
        assert!(links(&BTreeSet::from([shell])));
        assert!(!links(&BTreeSet::new()));
        let account = Entity::new(EntityKind::Account, "ann");
        let net = Entity::new(EntityKind::Network, "203.0.113.0/24");
        assert!(!joins(&BTreeSet::new(), &BTreeSet::from([account.clone()])));
        assert!(joins(&BTreeSet::from([net]), &BTreeSet::from([account])));
    }

    #[test]
    fn parameter_values_in_all_spellings() {
        let m = |t: &str| param_values(t, "-mailbox");
        assert_eq!(
            m(
                r#"New-MailboxExportRequest -Mailbox "referrals@clinic.example.org" -FilePath "\\127.0.0.1\c$\x.pst""#
            ),
            vec!["referrals@clinic.example.org"]
        );
        let json = r#"{"Message": "Cmdlet New-MailboxExportRequest, parameters -Mailbox \"reception@clinic.example.org\" -FilePath \"\\\\127.0.0.1\\c$\\rec.pst\"."}"#;
        assert_eq!(m(json), vec!["reception@clinic.example.org"]);
        assert_eq!(
            param_values(json, "-filepath"),
            vec![r"\\127.0.0.1\c$\rec.pst"]
        );
        assert_eq!(
            m("New-MailboxExportRequest -mailbox:'Jane Doe' -FilePath x"),
            vec!["Jane Doe"]
        );
        assert_eq!(
            m("New-MailboxExportRequest -Mailbox bob@x.org,-FilePath"),
            vec!["bob@x.org"]
        );
        assert!(m("New-MailboxExportRequest -FilePath x").is_empty());
        assert!(m("-Mailbox").is_empty());
        assert!(m("-Mailbox -FilePath").is_empty());
        assert!(m("-Mailbox \"").is_empty());
    }
}
