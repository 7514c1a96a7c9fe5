//! A running `vigil serve` reached through its console's API (`/api/v1`) instead of the local store:
//! the `--server URL --api-token TOKEN [--server-cert PEM]` options that `vigil status`, `alerts`,
//! `plan`, `investigate` and `report` share, and the client they use.

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

/// Largest answer read from the server.
const MAX_ANSWER: u64 = 32 << 20;

/// Where the service is and how to prove who we are.
#[derive(Debug, Clone, clap::Args)]
pub struct Remote {
    /// The console of a remote `vigil serve` (https://HOST:PORT); the local store when unset
    #[arg(long, value_name = "URL", env = "VIGIL_SERVER", global = true)]
    pub server: Option<String>,
    /// An API token for --server (`vigil token create` on the server)
    #[arg(
        long,
        value_name = "TOKEN",
        env = "VIGIL_API_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub api_token: Option<String>,
    /// The certificate to trust for the server (its self-signed console-cert.pem), PEM
    #[arg(long, value_name = "PEM", global = true)]
    pub server_cert: Option<std::path::PathBuf>,
}

/// A connection to one service's API with one bearer token.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

/// What the service answered: its status and body.
type Answer = Result<ureq::http::Response<ureq::Body>, ureq::Error>;

impl Remote {
    /// The client for `--server`, or `None` to use the local store.
    pub fn client(&self) -> Result<Option<Client>> {
        let Some(server) = &self.server else {
            return Ok(None);
        };
        let token = self.api_token.as_deref().context(
            "--server needs --api-token (an API token made with `vigil token create` on the server)",
        )?;
        let base = server.trim_end_matches('/').to_string();
        if !(base.starts_with("https://")
            || base.starts_with("http://127.")
            || base.starts_with("http://localhost"))
        {
            bail!(
                "--server {base}: use https:// (plain http only to this machine, as the console allows)"
            );
        }
        let mut config = ureq::Agent::config_builder().http_status_as_error(false);
        if let Some(pem) = &self.server_cert {
            let text =
                std::fs::read(pem).with_context(|| format!("cannot read {}", pem.display()))?;
            let cert = ureq::tls::Certificate::from_pem(&text)
                .with_context(|| format!("{}: not a PEM certificate", pem.display()))?
                .to_owned();
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
                        cert,
                    ])))
                    .build(),
            );
        }
        Ok(Some(Client {
            agent: config.build().new_agent(),
            base,
            auth: format!("Bearer {token}"),
        }))
    }
}

impl Client {
    /// `GET path?query` as JSON.
    pub fn get_json(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        let text = self.get_text(path, query)?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}{path}: the answer is not JSON", self.base))
    }

    /// `GET path?query` as text (a 4xx/5xx answer is an error with the server's reason).
    pub fn get_text(&self, path: &str, query: &[(&str, String)]) -> Result<String> {
        let bytes = self.get_bytes(path, query)?;
        String::from_utf8(bytes)
            .with_context(|| format!("{}{path}: the answer is not UTF-8 text", self.base))
    }

    /// `GET path?query` as bytes (a PDF; a 4xx/5xx answer is an error with the server's reason).
    pub fn get_bytes(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<u8>> {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        for (k, v) in query {
            req = req.query(*k, v);
        }
        self.read(path, req.header("Authorization", &self.auth).call())
    }

    /// `POST path` with a JSON body, the answer as JSON.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        let answer = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .header("Content-Type", "application/json")
            .send(body.to_string());
        let bytes = self.read(path, answer)?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{}{path}: the answer is not JSON", self.base))
    }

    fn read(&self, path: &str, answer: Answer) -> Result<Vec<u8>> {
        let base = &self.base;
        let mut r = answer.with_context(|| format!("cannot reach {base}"))?;
        let status = r.status().as_u16();
        let text = r
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .with_context(|| format!("{base}{path}: the answer (status {status}) is unreadable"))?;
        if status >= 400 {
            let reason = serde_json::from_slice::<Value>(&text)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| "refused".to_string());
            bail!("{base}: {} (status {status})", crate::term::text(&reason));
        }
        Ok(text)
    }
}

/// A path segment (an incident id) percent-encoded: only letters, digits, `-`, `_` and `.` stay.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
