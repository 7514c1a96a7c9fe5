//! Building alerting set-ups against the real test servers of vigil-testkit.

#![allow(dead_code)]

use jiff::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use vigil_alert::config::{
    EmailConfig, Framing, Interval, Preset, SyslogConfig, SyslogTransport, TlsMode, WebhookConfig,
};
use vigil_alert::{Alerter, EscalationConfig, ManualClock, NewAlert};
use vigil_model::Level;
use vigil_store::{AlertSubject, Evidence, SqliteStore};

pub const WAIT: Duration = Duration::from_secs(10);

pub fn t0() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(t0()))
}

/// Writes `text` to a file in `dir`, returning its path.
pub fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn email(port: u16, tls: TlsMode, ca_file: Option<PathBuf>) -> EmailConfig {
    EmailConfig {
        name: None,
        server: "127.0.0.1".into(),
        port: Some(port),
        tls,
        user: None,
        password: None,
        password_file: None,
        ca_file,
        from: "vigil <vigil@clinic.example>".into(),
        to: vec!["it@clinic.example".into()],
        digest: true,
        timeout: Interval::secs(5),
        attempts: 3,
        retry_delay: Interval::secs(5),
        min_severity: Level::Informational,
    }
}

pub fn webhook(url: String, preset: Preset, secret: Option<&str>) -> WebhookConfig {
    WebhookConfig {
        name: None,
        url,
        secret: secret.map(str::to_string),
        secret_file: None,
        preset,
        timeout: Interval::secs(5),
        attempts: 3,
        retry_delay: Interval::secs(1),
        min_severity: Level::Informational,
    }
}

pub fn syslog(address: String, transport: SyslogTransport, framing: Framing) -> SyslogConfig {
    SyslogConfig {
        name: None,
        address,
        transport,
        framing,
        facility: "local0".into(),
        app_name: "vigil".into(),
        hostname: Some("monitor".into()),
        sd_id: "vigil@32473".into(),
        max_message: 2048,
        timeout: Interval::secs(5),
        attempts: 2,
        retry_delay: Interval::secs(1),
        min_severity: Level::Informational,
    }
}

pub fn incident(id: &str, severity: Level) -> NewAlert {
    NewAlert {
        dedup_key: vigil_store::incident_alert_key(id),
        subject: AlertSubject::Incident,
        reference: id.into(),
        severity,
        title: format!("ProxyShell exploitation on MAIL01 ({id})"),
        asset: Some("MAIL01".into()),
        evidence: vec![
            Evidence::new("rule", "Exchange ProxyShell URL pattern"),
            Evidence::new(
                "first detection",
                "2021-08-13T03:12:44Z u_ex210813.log line 1822",
            ),
        ],
    }
}

pub fn alerter(
    config: &vigil_alert::AlertConfig,
    escalation: &EscalationConfig,
    clock: &Arc<ManualClock>,
) -> Alerter<SqliteStore> {
    Alerter::new(
        config,
        escalation,
        SqliteStore::open_in_memory().unwrap(),
        clock.clone(),
    )
    .unwrap()
}

/// The signed token in a received e-mail's text.
pub fn token_in(text: &str) -> String {
    let start = text.find("--token ").expect("a token in the mail") + "--token ".len();
    text[start..].split_whitespace().next().unwrap().to_string()
}
