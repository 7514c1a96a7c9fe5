//! The service's configuration as the console shows it to administrators (`/settings`): what is
//! watched and listened for, where alerts go and when they escalate, the patch deadlines, the
//! self-tests, the schedule and the console's limits. Secrets never enter it: no password, webhook
//! key or credential file's content; a webhook is shown by its host only (its path may carry a token).

use vigil_alert::Interval;
use vigil_alert::config::Resend;
use vigil_config::Config;
use vigil_console::{ConfigSection, Configuration};

fn interval(i: Interval) -> String {
    format!("{:#}", i.0)
}

fn resend(r: Resend) -> String {
    r.0.map_or_else(|| "off".to_string(), interval)
}

fn section(title: &str, rows: Vec<(String, String)>) -> ConfigSection {
    ConfigSection {
        title: title.to_string(),
        rows,
    }
}

/// The scheme and host of a URL, never its path or query (a webhook's path is often its secret).
fn url_host(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // No user:password@ either.
    let host = authority.rsplit('@').next().unwrap_or("");
    if scheme.is_empty() {
        host.to_string()
    } else {
        format!("{scheme}://{host}/…")
    }
}

/// The configuration `config` (read from `file`) as the console's settings page shows it.
pub(crate) fn configuration(config: &Config, file: Option<&std::path::Path>) -> Configuration {
    let mut sections = Vec::new();

    let watched = config
        .watch
        .iter()
        .map(|w| {
            let mut what = w.format.clone().unwrap_or_else(|| "format sniffed".into());
            if let Some(h) = &w.host {
                what.push_str(&format!(", host {h}"));
            }
            if let Some(s) = w.silent_after {
                what.push_str(&format!(", silent after {}", resend(s)));
            }
            if let Some(c) = w.canary_every {
                what.push_str(&format!(", canary every {}", resend(c)));
            }
            (w.path.clone(), what)
        })
        .chain(config.listen.iter().flat_map(|l| {
            let host = l
                .host
                .as_deref()
                .map(|h| format!(", host {h}"))
                .unwrap_or_default();
            let tls = if l.tls_cert.is_some() {
                " over TLS"
            } else {
                ""
            };
            let mut rows = Vec::new();
            if let Some(a) = &l.udp {
                rows.push((format!("syslog udp {a}"), format!("listener{host}")));
            }
            if let Some(a) = &l.tcp {
                rows.push((format!("syslog tcp {a}"), format!("listener{tls}{host}")));
            }
            rows
        }))
        .collect();
    sections.push(section("Logs watched", watched));

    let mut service = vec![(
        "Rules".to_string(),
        if config.serve.rules.is_empty() {
            "vigil's bundled rules".to_string()
        } else {
            config
                .serve
                .rules
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
    )];
    service.push((
        "A source is silent after".into(),
        resend(config.serve.silent_after),
    ));
    service.push((
        "Heartbeat".into(),
        format!("every {} s", config.serve.heartbeat_secs),
    ));
    service.push(("Self-test (canary)".into(), resend(config.selftest.every)));
    sections.push(section("Detection", service));

    let mut channels = Vec::new();
    for (i, e) in config.alert.email.iter().enumerate() {
        channels.push((
            e.name.clone().unwrap_or_else(|| format!("email-{}", i + 1)),
            format!(
                "e-mail via {}{} to {}",
                e.server,
                e.port.map(|p| format!(":{p}")).unwrap_or_default(),
                e.to.join(", ")
            ),
        ));
    }
    for (i, w) in config.alert.webhook.iter().enumerate() {
        channels.push((
            w.name
                .clone()
                .unwrap_or_else(|| format!("webhook-{}", i + 1)),
            format!("webhook {}", url_host(&w.url)),
        ));
    }
    for (i, s) in config.alert.syslog.iter().enumerate() {
        channels.push((
            s.name
                .clone()
                .unwrap_or_else(|| format!("syslog-{}", i + 1)),
            format!("syslog to {}", s.address),
        ));
    }
    sections.push(section("Where alerts go", channels));

    let esc = &config.escalation;
    let mut escalation: Vec<(String, String)> = [
        ("critical", esc.critical),
        ("high", esc.high),
        ("medium", esc.medium),
        ("low", esc.low),
        ("informational", esc.informational),
    ]
    .into_iter()
    .map(|(level, r)| {
        (
            format!("Unacknowledged {level} alert sent again after"),
            resend(r),
        )
    })
    .collect();
    for (n, c) in esc.contact.iter().enumerate() {
        escalation.push((
            format!("Escalation {}", n + 1),
            format!("{} ({})", c.name, c.email.join(", ")),
        ));
    }
    sections.push(section("Escalation", escalation));

    let p = &config.policy;
    let mut policy = vec![
        (
            "Critical and high fixes due within".to_string(),
            format!("{} days of release", p.critical_days),
        ),
        (
            "Other fixes due within".to_string(),
            format!("{} days of release", p.other_days),
        ),
        (
            "CISA KEV due dates".to_string(),
            if p.kev_due_dates {
                "applied when sooner".to_string()
            } else {
                "not applied".to_string()
            },
        ),
    ];
    for (tag, w) in &p.tags {
        policy.push((
            format!("Assets tagged {tag}"),
            format!(
                "critical and high within {} days, others within {}",
                w.critical_days
                    .map_or("the default".into(), |d| d.to_string()),
                w.other_days.map_or("the default".into(), |d| d.to_string())
            ),
        ));
    }
    sections.push(section("Patch deadlines", policy));

    let sch = &config.schedule;
    let every = |i: Option<Interval>| {
        i.map_or_else(|| "off".to_string(), |i| format!("every {}", interval(i)))
    };
    let mut schedule = vec![
        ("Inventory re-scan".to_string(), every(sch.scan)),
        ("Deadlines re-evaluated".to_string(), every(sch.deadlines)),
        ("Knowledge update".to_string(), every(sch.db_update)),
        ("Logging check".to_string(), every(sch.doctor)),
        (
            "Daily digest".to_string(),
            sch.digest.map_or_else(
                || "off".to_string(),
                |t| {
                    format!(
                        "at {}{}",
                        t.strftime("%H:%M"),
                        sch.time_zone
                            .as_deref()
                            .map(|z| format!(" ({z})"))
                            .unwrap_or_default()
                    )
                },
            ),
        ),
    ];
    for inv in &config.inventory {
        let what = inv
            .path
            .as_ref()
            .or(inv.root.as_ref())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        schedule.push((
            format!(
                "Inventory of {}",
                inv.asset.as_deref().unwrap_or("this server")
            ),
            what,
        ));
    }
    sections.push(section("Schedule", schedule));

    if let Some(h) = &config.http {
        sections.push(section(
            "Console",
            vec![
                ("Address".into(), h.listen.get_ref().clone()),
                (
                    "TLS".into(),
                    if h.tls {
                        match &h.cert {
                            Some(c) => format!("certificate {}", c.display()),
                            None => "self-signed certificate".into(),
                        }
                    } else {
                        "off (loopback only)".into()
                    },
                ),
                (
                    "A session ends".into(),
                    format!(
                        "after {} minutes unused, {} hours after sign-in",
                        h.session_idle_minutes, h.session_max_hours
                    ),
                ),
            ],
        ));
    }
    Configuration {
        file: file.map(|p| p.display().to_string()),
        sections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_and_what_matters_is_shown() {
        let text = r#"
[[watch]]
path = "/var/log/mail.log"
format = "syslog"
host = "mx1"

[[alert.email]]
server = "smtp.example.org"
user = "vigil"
password = "hunter2-smtp"
from = "vigil@example.org"
to = ["it@example.org"]

[[alert.webhook]]
url = "https://hooks.example.org/services/T000/B000/s3cr3t-token"
secret = "hmac-key-xyz"

[policy]
critical_days = 7
"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigil.toml");
        std::fs::write(&path, text).unwrap();
        let config = Config::read(&path).unwrap();
        let c = configuration(&config, Some(&path));
        let all: String = c
            .sections
            .iter()
            .flat_map(|s| s.rows.iter().map(|(k, v)| format!("{k}={v}\n")))
            .collect();
        for secret in ["hunter2", "s3cr3t", "hmac-key", "T000", "vigil@"] {
            assert!(!all.contains(secret), "{secret} shown: {all}");
        }
        for shown in [
            "/var/log/mail.log=syslog, host mx1",
            "e-mail via smtp.example.org to it@example.org",
            "webhook https://hooks.example.org/…",
            "7 days of release",
        ] {
            assert!(all.contains(shown), "{shown}: {all}");
        }
        assert_eq!(c.file.as_deref(), Some(path.to_str().unwrap()));
        assert_eq!(
            url_host("http://user:pw@host:8080/p?q"),
            "http://host:8080/…"
        );
    }
}
