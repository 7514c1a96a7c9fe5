//! Running `vigil serve` from a test: the command against a test folder's store and configuration,
//! the readiness line, a clean stop, and the log lines the tests append.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A rule that fires on every failed Postfix SMTP AUTH line, at high so that each opens an incident.
pub const SASL_RULE: &str = "title: Test SASL failure
id: 0f6a4f54-0000-4000-8000-0000000000aa
status: test
author: tester
logsource:
    product: linux
    service: postfix
detection:
    selection:
        event_action: sasl_auth_failed
    condition: selection
level: high
";

/// `vigil` with the folder's `vigil.db` and `vigil.toml`, no colour, no rule cache.
pub fn vigil(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.arg("--db")
        .arg(dir.join("vigil.db"))
        .arg("--config")
        .arg(dir.join("vigil.toml"))
        .env_remove("VIGIL_CONFIG")
        .env("NO_COLOR", "1")
        .env("VIGIL_NO_CACHE", "1")
        .current_dir(dir);
    c
}

/// Starts `vigil serve` in the folder and waits for its readiness line.
pub fn start(dir: &Path) -> Child {
    use std::io::BufRead;
    let mut child = vigil(dir)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil serve");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(out)
        .read_line(&mut line)
        .expect("readiness line");
    assert!(line.starts_with("READY=1"), "{line:?}");
    child
}

/// SIGTERM, and the clean exit it must give.
pub fn stop(mut child: Child) {
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert_eq!(child.wait().expect("wait").code(), Some(0));
}

/// Appends `text` to `path`, as a logging program would.
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open log");
    f.write_all(text.as_bytes()).expect("append");
}

/// Postfix SMTP AUTH failures from `ip`, numbered `from..to` seconds into `date`'s first hour.
pub fn failures(date: &str, from: usize, to: usize, ip: &str) -> String {
    (from..to)
        .map(|i| {
            format!(
                "{date}T00:{:02}:{:02}.000000+00:00 mx1 postfix/smtpd[3100]: warning: \
                 unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n",
                i / 60 % 60,
                i % 60
            )
        })
        .collect()
}

/// A port free on loopback now (bound, read, released), for a listener the test configures.
pub fn free_port(tcp: bool) -> u16 {
    if tcp {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free TCP port")
            .port()
    } else {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("free UDP port")
            .port()
    }
}
