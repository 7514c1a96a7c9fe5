//! Fields from the messages of the programs a Linux mail server logs through: Postfix, Dovecot,
//! sshd and sudo. Each keeps the program's own key names (`sasl_username`, `rip`, …) and adds
//! normalised ones shared by all, so that one correlation can count across programs:
//!
//! - `src_ip`: the remote client's address (Postfix `client`, Dovecot `rip`, sshd `from`, PAM
//!   `rhost`), and `src_net` its `/24` or `/64` network (as `rip_net` beside Dovecot's `rip` and
//!   `client_net` beside Postfix's `client_ip`), so that a spray rotating through the addresses of
//!   one network can be counted whole;
//! - `user`: the account acted on (Postfix `sasl_username`, Dovecot `user`, sshd user, sudo
//!   invoking user);
//! - `auth_result`: `success` or `failure` for authentication outcomes;
//! - `event_action`: what the line records (`login`, `logout`, `disconnect`, `reject`,
//!   `sasl_auth_failed`, `failed_password`, `accepted_publickey`, `command`, …).

use std::collections::BTreeMap;
use std::net::IpAddr;
use vigil_model::FieldValue;

type Fields = BTreeMap<String, FieldValue>;

fn put(f: &mut Fields, k: &str, v: &str) {
    f.insert(k.to_string(), FieldValue::Str(v.to_string()));
}

fn put_if_absent(f: &mut Fields, k: &str, v: &str) {
    f.entry(k.to_string())
        .or_insert_with(|| FieldValue::Str(v.to_string()));
}

/// Dovecot's process names, as they appear as syslog tags or in its own log.
const DOVECOT: &[&str] = &[
    "dovecot",
    "imap-login",
    "pop3-login",
    "submission-login",
    "managesieve-login",
    "lmtp",
    "auth-worker",
    "auth",
    "imap",
    "pop3",
    "submission",
    "managesieve",
    "dovecot-auth",
];

pub(crate) fn is_dovecot(program: &str) -> bool {
    let base = program.split(['(', '<']).next().unwrap_or(program);
    DOVECOT.contains(&base)
}

/// Parse `message` of `program` into `fields`.
pub(crate) fn parse(program: &str, message: &str, fields: &mut Fields) {
    let base = program.rsplit('/').next().unwrap_or(program);
    if program.starts_with("postfix") {
        put(fields, "postfix_daemon", base);
        postfix(message, fields);
    } else if is_dovecot(program) {
        dovecot(program, message, fields);
    } else if base == "sshd" || base == "sshd-session" {
        sshd(message, fields);
    } else if base == "sudo" {
        sudo(message, fields);
    } else {
        pam(message, fields);
    }
    if let Some(FieldValue::Str(ip)) = fields.get("src_ip").cloned() {
        put_network(fields, "src_net", &ip);
    }
}

fn is_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// `host[ip]` (Postfix's client/relay notation), with an optional `:port` after.
fn host_ip(s: &str) -> Option<(&str, &str, Option<&str>)> {
    let (host, rest) = s.split_once('[')?;
    let (ip, after) = rest.split_once(']')?;
    let ip = ip.strip_prefix("IPv6:").unwrap_or(ip);
    if !is_ip(ip) {
        return None;
    }
    let port = after
        .strip_prefix(':')
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty());
    Some((host, ip, port))
}

/// `key=value` pairs: a key starts the text or follows a space, comma, semicolon or parenthesis;
/// a value runs to the next key, or to `, ` / `; ` before it. `<…>` around a value is removed.
pub(crate) fn kv_pairs(msg: &str) -> Vec<(&str, &str)> {
    let b = msg.as_bytes();
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (key start, value start)
    let mut i = 0;
    while i < b.len() {
        let at_boundary = i == 0 || matches!(b.get(i - 1), Some(b' ' | b',' | b';' | b'('));
        if at_boundary
            && b.get(i)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
            {
                j += 1;
            }
            if b.get(j) == Some(&b'=') {
                starts.push((i, j + 1));
                i = j + 1;
                continue;
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(starts.len());
    for (n, (ks, vs)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(b.len(), |(next, _)| *next);
        let key = msg.get(*ks..vs.saturating_sub(1)).unwrap_or("");
        let mut val = msg.get(*vs..end).unwrap_or("");
        if let Some(stripped) = val.strip_prefix('<') {
            val = stripped.split('>').next().unwrap_or(stripped);
        } else {
            for sep in [", ", "; "] {
                if let Some((v, _)) = val.split_once(sep) {
                    val = v;
                }
            }
            val = val.trim_end_matches([' ', ',', ';', ')']).trim();
            // Only Postfix's `status=sent (250 …)` carries text after its value.
            if key != "status" {
                val = val.split(' ').next().unwrap_or(val);
            }
        }
        out.push((key, val));
    }
    out
}

/// An IP address in one word of a message: bare, `host[ip]`, `(ip)`, `user@ip`, `ip:`, with
/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) given as IPv4.
fn ip_in_word(word: &str) -> Option<String> {
    let w = word.trim_matches(|c| matches!(c, '(' | ')' | ',' | ';' | '<' | '>' | '\'' | '"'));
    let w = w.rsplit('@').next().unwrap_or(w);
    let cand = if is_ip(w) {
        Some(w)
    } else if let Some(t) = w.strip_suffix(':').filter(|t| is_ip(t)) {
        Some(t)
    } else {
        host_ip(w).map(|(_, ip, _)| ip)
    }?;
    Some(match cand.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(|| cand.to_string(), |v4| v4.to_string()),
        _ => cand.to_string(),
    })
}

/// The first IP address in the words after `marker` (case-insensitive), within a few words.
fn ip_after(msg: &str, marker: &str) -> Option<String> {
    let lower = msg.to_ascii_lowercase();
    let pos = lower.find(marker)?;
    let rest = msg.get(pos + marker.len()..)?;
    rest.split(' ').take(6).find_map(ip_in_word)
}

fn postfix(msg: &str, f: &mut Fields) {
    // `QUEUEID: rest` or `NOQUEUE: rest`.
    let mut rest = msg;
    if let Some((id, r)) = msg.split_once(": ") {
        // Short ids are upper-case hex; long ids (`enable_long_queue_ids`) mix cases and digits.
        let short = id.len() >= 5
            && id.len() <= 16
            && id
                .chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c));
        let long = id.len() >= 10
            && id.len() <= 20
            && id.chars().all(|c| c.is_ascii_alphanumeric())
            && id.chars().any(|c| c.is_ascii_digit());
        let looks_id = id == "NOQUEUE" || short || long;
        if looks_id {
            if id != "NOQUEUE" {
                put(f, "queue_id", id);
            }
            rest = r;
        }
    }
    // The subject is the sender's text: only what follows it is read as `key=value` pairs.
    let mut kv_text = rest;
    if let Some((subject, client, after)) = header_subject(rest) {
        if let Some((host, ip, _)) = client.and_then(host_ip) {
            put(f, "client_host", host);
            put(f, "client_ip", ip);
        }
        put(f, "subject", subject);
        put(f, "subject_norm", &crate::mail::normalize_subject(subject));
        put(f, "event_action", "header_subject");
        kv_text = after;
    }
    // `reject: RCPT from host[ip]: 554 5.7.1 <…>: reason; from=<…> to=<…> proto=… helo=<…>`
    if let Some(r) = rest
        .strip_prefix("reject: ")
        .or_else(|| rest.strip_prefix("milter-reject: "))
        .or_else(|| rest.strip_prefix("reject_warning: "))
    {
        put(f, "event_action", "reject");
        if let Some((stage, after)) = r.split_once(" from ") {
            put(f, "reject_stage", stage);
            if let Some((client, reason)) = after.split_once(": ") {
                if let Some((host, ip, _)) = host_ip(client) {
                    put(f, "client_host", host);
                    put(f, "client_ip", ip);
                }
                let reason = reason.split(';').next().unwrap_or(reason);
                if let Some(code) = reason
                    .split(' ')
                    .next()
                    .filter(|c| c.len() == 3 && c.chars().all(|x| x.is_ascii_digit()))
                {
                    put(f, "reject_code", code);
                }
                put(f, "reject_reason", reason.trim());
            }
        }
    } else if let Some(w) = rest.strip_prefix("warning: ") {
        // `warning: unknown[198.51.100.23]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`
        if let Some((client, what)) = w.split_once(": ") {
            if let Some((host, ip, _)) = host_ip(client) {
                put(f, "client_host", host);
                put(f, "client_ip", ip);
            }
            if let Some(m) = what.strip_prefix("SASL ")
                && let Some((method, tail)) = m.split_once(" authentication failed")
            {
                put(f, "sasl_method", method);
                put(f, "event_action", "sasl_auth_failed");
                // `: UGFzc3dvcmQ6`, `: authentication failure`, `: (reason unavailable),
                // sasl_username=admin` (the user name is logged by newer Postfix versions).
                let reason = tail.trim_start_matches(':').trim();
                let reason = reason.split(", sasl_username=").next().unwrap_or(reason);
                if !reason.is_empty() {
                    put(f, "sasl_reason", reason);
                }
                // The server could not check the password (its authentication back end is down) or
                // the client asked for a mechanism that is not offered: no password was rejected.
                if !sasl_server_side(reason) {
                    put(f, "auth_result", "failure");
                }
            }
        }
    } else {
        for verb in ["connect", "disconnect", "lost connection"] {
            if rest.starts_with(&format!("{verb} ")) {
                put(f, "event_action", &verb.replace(' ', "_"));
            }
        }
    }
    for (k, v) in kv_pairs(kv_text) {
        match k {
            "client" | "relay" => {
                if let Some((host, ip, port)) = host_ip(v) {
                    put_if_absent(f, &format!("{k}_host"), host);
                    put_if_absent(f, &format!("{k}_ip"), ip);
                    if let Some(p) = port {
                        put_if_absent(f, &format!("{k}_port"), p);
                    }
                }
                put_if_absent(f, k, v);
            }
            "status" => {
                let (word, detail) = v.split_once(' ').unwrap_or((v, ""));
                put_if_absent(f, "status", word);
                let detail = detail.trim().trim_start_matches('(').trim_end_matches(')');
                if !detail.is_empty() {
                    put_if_absent(f, "status_detail", detail);
                }
            }
            _ => put_if_absent(f, k, v),
        }
    }
    if !f.contains_key("client_ip")
        && let Some(ip) = [" from ", " address "]
            .iter()
            .find_map(|m| ip_after(kv_text, m))
    {
        put(f, "client_ip", &ip);
    }
    if let Some(FieldValue::Str(ip)) = f.get("client_ip").cloned() {
        put(f, "src_ip", &ip);
        put_network(f, "client_net", &ip);
    }
    for (addr, domain) in [("from", "from_domain"), ("to", "to_domain")] {
        if let Some(FieldValue::Str(a)) = f.get(addr)
            && let Some(d) = crate::mail::domain_of(a)
        {
            put(f, domain, &d);
        }
    }
    if let Some(FieldValue::Str(u)) = f.get("sasl_username").cloned() {
        put(f, "user", &u);
        put_if_absent(f, "auth_result", "success");
        put_if_absent(f, "event_action", "sasl_login");
    }
}

/// SASL failures that say nothing about the password tried.
fn sasl_server_side(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.starts_with("connection lost to authentication server")
        || r.starts_with("invalid authentication mechanism")
}

/// Dovecot's password databases, as they prefix their log lines (`sql(user,ip)`, or in 2.4,
/// `sql: ` after an `auth(user,ip,…)` event prefix).
const PASSDBS: &[&str] = &[
    "pam",
    "sql",
    "ldap",
    "passwd-file",
    "passwd",
    "shadow",
    "checkpassword",
    "static",
    "lua",
    "oauth2",
    "bsdauth",
];

/// The subject cleanup logs when a `header_checks` action (INFO, WARN, HOLD, …) matched it:
/// `info: header Subject: <subject> from host[ip]; from=<…> to=<…> proto=… helo=<…>`. Postfix
/// does not log subjects otherwise.
/// Returns the subject, the client (`host[ip]`) and the text after them (`from=<…> to=<…> …`).
fn header_subject(rest: &str) -> Option<(&str, Option<&str>, &str)> {
    let (action, tail) = rest.split_once(": header Subject: ")?;
    if action.contains(' ') {
        return None;
    }
    // The subject may itself contain "; from=" or " from ": Postfix appends
    // ` from host[ip]; from=<…> to=<…> proto=… helo=<…>`, so the last "; from=" ends it.
    let (head, after) = match tail.rfind("; from=") {
        Some(p) => (tail.get(..p)?, tail.get(p + 2..)?),
        None => (tail, ""),
    };
    let (subject, client) = match head.rfind(" from ") {
        Some(p) => (head.get(..p)?, head.get(p + 6..)),
        None => (head, None),
    };
    let subject = subject.trim();
    (!subject.is_empty()).then_some((subject, client.map(str::trim), after))
}

fn dovecot(program: &str, msg: &str, f: &mut Fields) {
    // In syslog, `dovecot: imap-login: …`; in Dovecot's own log or with a service tag, the
    // service comes first.
    let mut rest = msg;
    let mut service = if program == "dovecot" {
        None
    } else {
        Some(program)
    };
    if let Some((first, r)) = rest.split_once(": ")
        && !first.contains(' ')
        && is_dovecot(first)
    {
        service = Some(first);
        rest = r;
    }
    if let Some(s) = service {
        // `imap(user)<pid><session>`, `auth-worker(304)`, `auth(user,ip,…)<session>`
        let (name, args) = s.split_once('(').unwrap_or((s, ""));
        put(f, "dovecot_service", name);
        let args = args.split(')').next().unwrap_or("");
        if !args.is_empty() && !args.chars().all(|c| c.is_ascii_digit()) && args != "default" {
            let mut parts = args.split(',');
            if let Some(u) = parts.next().filter(|u| !u.is_empty()) {
                put(f, "user", u);
            }
            if let Some(ip) = parts.next().filter(|ip| is_ip(ip)) {
                put(f, "rip", ip);
            }
        }
    }
    rest = rest.strip_prefix("Info: ").unwrap_or(rest);
    // Skip `conn unix:auth-worker (…): auth-worker<55>: ` prefixes.
    while let Some((head, r)) = rest.split_once(": ") {
        if head.starts_with("conn ")
            || head.starts_with("auth-worker<")
            || head == "dovecot"
            || head.starts_with("auth(")
        {
            rest = r;
        } else {
            break;
        }
    }
    // passdb lookups: `pam(user,ip,<session>): pam_authenticate() failed: …`, and Dovecot 2.4's
    // `auth(user,ip,sasl:login)<session>: sql: Password mismatch` (user and address already taken
    // from the event prefix above).
    for db in PASSDBS {
        let Some(r) = rest.strip_prefix(db) else {
            continue;
        };
        if let Some(r) = r.strip_prefix('(') {
            let args = r.split(')').next().unwrap_or("");
            let mut parts = args.split(',');
            if let Some(u) = parts.next().filter(|u| !u.is_empty()) {
                put(f, "user", u);
            }
            if let Some(ip) = parts.next().filter(|ip| is_ip(ip)) {
                put(f, "rip", ip);
            }
            put(f, "passdb", db);
            break;
        }
        if r.starts_with(": ") && f.contains_key("user") {
            put(f, "passdb", db);
            break;
        }
    }
    let lower = rest.to_ascii_lowercase();
    let login_process = service.is_some_and(|s| s.ends_with("-login"));
    let action = if rest.starts_with("Login:") {
        Some("login")
    } else if rest.starts_with("Logged out") || rest.starts_with("Disconnected: Logged out") {
        Some("logout")
    } else if rest.starts_with("Disconnected")
        || rest.starts_with("Aborted login")
        || rest.starts_with("Login aborted")
    {
        Some("disconnect")
    } else if login_process && lower.contains("(auth failed") {
        // Other wordings of a session that ended after failed attempts: `Client has quit the
        // connection (auth failed, …)`, `Remote closed connection (auth failed, …)` (submission).
        Some("disconnect")
    } else {
        None
    };
    if let Some(a) = action {
        put(f, "event_action", a);
    }
    if rest.starts_with("Login:") {
        put(f, "auth_result", "success");
    } else if lower.contains("auth failed")
        || lower.contains("password mismatch")
        || lower.contains("unknown user")
        || lower.contains("authentication failure")
        || lower.contains("pam_authenticate() failed")
        || lower.contains("invalid credentials")
    {
        put(f, "auth_result", "failure");
    }
    if let Some(p) = lower.find("auth failed, ") {
        let n = lower
            .get(p + 13..)
            .and_then(|t| t.split(' ').next())
            .unwrap_or("");
        if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() {
            put(f, "auth_attempts", n);
        }
    }
    for (k, v) in kv_pairs(rest) {
        match k {
            "rhost" if is_ip(v) => put_if_absent(f, "rip", v),
            "ruser" if !v.is_empty() => put_if_absent(f, "user", v),
            "user" if !v.is_empty() => put_if_absent(f, "user", v),
            "user" => {}
            _ => put_if_absent(f, k, v),
        }
    }
    if let Some(FieldValue::Str(ip)) = f.get("rip").cloned() {
        put(f, "src_ip", &ip);
        put_network(f, "rip_net", &ip);
    }
}

/// Adds the `/24` or `/64` network of an address (see [`crate::net`]).
fn put_network(f: &mut Fields, key: &str, ip: &str) {
    if let Some(net) = crate::net::network_of(ip) {
        put(f, key, &net);
    }
}

/// sshd writes the peer as `IP port N [sshN]`, then either ends the line or adds `: details`.
/// Text before it (user names, version strings) and the details (key comments) may be
/// attacker-supplied and hold addresses of their own: the peer is the first `IP port N` followed
/// by a colon (details follow), else the last one.
fn ssh_peer(msg: &str) -> Option<(String, String)> {
    let words: Vec<&str> = msg.split(' ').collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        if words.get(i + 1) != Some(&"port") {
            continue;
        }
        let Some(raw_port) = words.get(i + 2) else {
            continue;
        };
        let port = raw_port.trim_end_matches([':', ',', ';']);
        if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Some(ip) = ip_in_word(w) {
            let details_follow = raw_port.ends_with(':')
                || words
                    .get(i + 3)
                    .is_some_and(|p| p.starts_with("ssh") && p.ends_with(':'));
            found = Some((ip, port.to_string()));
            if details_follow {
                break;
            }
        }
    }
    found
}

fn sshd(msg: &str, f: &mut Fields) {
    sshd_message(msg, f);
    if let Some((ip, port)) = ssh_peer(msg) {
        put(f, "src_ip", &ip);
        put(f, "src_port", &port);
    }
}

fn sshd_message(msg: &str, f: &mut Fields) {
    let ssh_tail = |f: &mut Fields, tail: &str| {
        let mut words = tail.split(' ');
        if let Some(ip) = words.next().and_then(ip_in_word) {
            put(f, "src_ip", &ip);
        }
        if words.next() == Some("port")
            && let Some(p) = words
                .next()
                .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        {
            put(f, "src_port", p);
        }
    };
    for (verb, result) in [("Failed ", "failure"), ("Accepted ", "success")] {
        let Some(r) = msg.strip_prefix(verb) else {
            continue;
        };
        let Some((method, r)) = r.split_once(" for ") else {
            continue;
        };
        let (invalid, r) = match r.strip_prefix("invalid user ") {
            Some(r) => (true, r),
            None => (false, r),
        };
        // The first ` from `: text after it may be attacker-supplied (a crafted user name).
        let Some((user, tail)) = r.split_once(" from ") else {
            continue;
        };
        put(f, "auth_method", method);
        put(f, "user", user);
        put(f, "auth_result", result);
        put(
            f,
            "event_action",
            &format!(
                "{}_{}",
                verb.trim().to_ascii_lowercase(),
                method.replace(['/', '-'], "_")
            ),
        );
        if invalid {
            put(f, "invalid_user", "true");
        }
        ssh_tail(f, tail);
        return;
    }
    if let Some(r) = msg.strip_prefix("Invalid user ")
        && let Some((user, tail)) = r.split_once(" from ")
    {
        put(f, "user", user);
        put(f, "invalid_user", "true");
        put(f, "event_action", "invalid_user");
        put(f, "auth_result", "failure");
        ssh_tail(f, tail);
        return;
    }
    pam(msg, f);
    if !f.contains_key("src_ip") {
        // `Connection closed by invalid user bob 192.0.2.1 port 22`, `refused connect from
        // x@::ffff:1.2.3.4`, `ROOT LOGIN REFUSED FROM 1.2.3.4`, `Received disconnect from ip: 11:`
        for marker in [" from ", " by ", "from ", "by "] {
            let lower = msg.to_ascii_lowercase();
            let Some(pos) = lower.find(marker) else {
                continue;
            };
            let tail = msg.get(pos + marker.len()..).unwrap_or("");
            let words: Vec<&str> = tail.split(' ').take(6).collect();
            if let Some(i) = words.iter().position(|w| ip_in_word(w).is_some()) {
                let rest = words.get(i..).unwrap_or_default().join(" ");
                ssh_tail(f, &rest);
                break;
            }
        }
    }
}

/// PAM's `authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user=root`.
fn pam(msg: &str, f: &mut Fields) {
    if !msg.contains("authentication failure") && !msg.contains("rhost=") {
        return;
    }
    if msg.contains("authentication failure") {
        put_if_absent(f, "auth_result", "failure");
        put_if_absent(f, "event_action", "pam_auth_failure");
    }
    for (k, v) in kv_pairs(msg) {
        match k {
            "rhost" if !v.is_empty() => {
                put_if_absent(f, "rhost", v);
                if is_ip(v) {
                    put_if_absent(f, "src_ip", v);
                }
            }
            "user" | "ruser" | "logname" | "tty" | "uid" | "euid" if !v.is_empty() => {
                put_if_absent(f, k, v)
            }
            _ => {}
        }
    }
}

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash`, and
/// `alice : 3 incorrect password attempts ; TTY=… ; COMMAND=…`.
fn sudo(msg: &str, f: &mut Fields) {
    let Some((user, rest)) = msg.split_once(" : ") else {
        pam(msg, f);
        return;
    };
    put(f, "user", user.trim());
    let mut parts = rest.split(" ; ");
    let mut first = true;
    for part in parts.by_ref() {
        if let Some((k, v)) = part.split_once('=') {
            let key = match k.trim() {
                "TTY" => "tty",
                "PWD" => "pwd",
                "USER" => "run_as",
                "GROUP" => "run_as_group",
                "COMMAND" => "command",
                other => other,
            };
            put(f, key, v.trim());
        } else if first {
            put(f, "sudo_error", part.trim());
            put(f, "auth_result", "failure");
        }
        first = false;
    }
    put_if_absent(f, "event_action", "command");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s<'a>(f: &'a Fields, k: &str) -> Option<&'a str> {
        match f.get(k) {
            Some(FieldValue::Str(v)) => Some(v.as_str()),
            _ => None,
        }
    }

    #[test]
    fn postfix_delivery_fields() {
        let mut f = Fields::new();
        parse(
            "postfix/smtp",
            "4Gq7Rk2ZxTz1Q: to=<patient.a@example.net>, relay=mx.example.net[192.0.2.40]:25, delay=1.4, delays=0.1/0/0.7/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
            &mut f,
        );
        assert_eq!(s(&f, "queue_id"), Some("4Gq7Rk2ZxTz1Q"));
        assert_eq!(s(&f, "to"), Some("patient.a@example.net"));
        assert_eq!(s(&f, "relay_ip"), Some("192.0.2.40"));
        assert_eq!(s(&f, "relay_port"), Some("25"));
        assert_eq!(s(&f, "status"), Some("sent"));
        assert_eq!(s(&f, "status_detail"), Some("250 2.0.0 Ok"));
        assert_eq!(s(&f, "dsn"), Some("2.0.0"));
    }

    #[test]
    fn postfix_sasl_login_and_failure() {
        let mut f = Fields::new();
        parse(
            "postfix/smtpd",
            "4Gq7Rk2ZxTz1Q: client=unknown[198.51.100.23], sasl_method=LOGIN, sasl_username=reception@clinic.example",
            &mut f,
        );
        assert_eq!(s(&f, "client_ip"), Some("198.51.100.23"));
        assert_eq!(s(&f, "sasl_method"), Some("LOGIN"));
        assert_eq!(s(&f, "sasl_username"), Some("reception@clinic.example"));
        assert_eq!(s(&f, "user"), Some("reception@clinic.example"));
        assert_eq!(s(&f, "auth_result"), Some("success"));
        let mut f = Fields::new();
        parse(
            "postfix/smtpd",
            "warning: unknown[198.51.100.23]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
            &mut f,
        );
        assert_eq!(s(&f, "src_ip"), Some("198.51.100.23"));
        assert_eq!(s(&f, "sasl_method"), Some("LOGIN"));
        assert_eq!(s(&f, "auth_result"), Some("failure"));
        assert_eq!(s(&f, "event_action"), Some("sasl_auth_failed"));
    }

    #[test]
    fn dovecot_login_logout_bytes() {
        let mut f = Fields::new();
        parse(
            "dovecot",
            "imap-login: Login: user=<reception@clinic.example>, method=PLAIN, rip=198.51.100.23, lip=192.0.2.5, mpid=40112, TLS, session=<Zt2m3fTx4MbGZB9X>",
            &mut f,
        );
        assert_eq!(s(&f, "dovecot_service"), Some("imap-login"));
        assert_eq!(s(&f, "user"), Some("reception@clinic.example"));
        assert_eq!(s(&f, "method"), Some("PLAIN"));
        assert_eq!(s(&f, "rip"), Some("198.51.100.23"));
        assert_eq!(s(&f, "lip"), Some("192.0.2.5"));
        assert_eq!(s(&f, "mpid"), Some("40112"));
        assert_eq!(s(&f, "session"), Some("Zt2m3fTx4MbGZB9X"));
        assert_eq!(s(&f, "auth_result"), Some("success"));
        let mut f = Fields::new();
        parse(
            "dovecot",
            "imap(reception@clinic.example)<40112><Zt2m3fTx4MbGZB9X>: Logged out in=2210 out=734009812 deleted=0 expunged=0 trashed=0",
            &mut f,
        );
        assert_eq!(s(&f, "user"), Some("reception@clinic.example"));
        assert_eq!(s(&f, "out"), Some("734009812"));
        assert_eq!(s(&f, "in"), Some("2210"));
        assert_eq!(s(&f, "event_action"), Some("logout"));
    }

    #[test]
    fn sshd_and_sudo() {
        let mut f = Fields::new();
        parse(
            "sshd",
            "Failed password for invalid user admin from 203.0.113.9 port 52814 ssh2",
            &mut f,
        );
        assert_eq!(s(&f, "user"), Some("admin"));
        assert_eq!(s(&f, "src_ip"), Some("203.0.113.9"));
        assert_eq!(s(&f, "src_port"), Some("52814"));
        assert_eq!(s(&f, "invalid_user"), Some("true"));
        assert_eq!(s(&f, "auth_result"), Some("failure"));
        let mut f = Fields::new();
        parse(
            "sudo",
            "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow",
            &mut f,
        );
        assert_eq!(s(&f, "user"), Some("alice"));
        assert_eq!(s(&f, "run_as"), Some("root"));
        assert_eq!(s(&f, "command"), Some("/bin/cat /etc/shadow"));
        assert_eq!(s(&f, "tty"), Some("pts/0"));
    }
}
