//! A client of the console as tests use it: an agent that shows every status and follows no redirect
//! (trusting a given CA or certificate), and a sign-in through the real form (its CSRF cookie and
//! field) that gives the session cookie.

use std::sync::Arc;

/// An HTTP(S) agent for the console; `trusted_pem` is the CA (or self-signed certificate) to trust.
///
/// # Panics
/// If the PEM holds no certificate (test support).
pub fn agent(trusted_pem: Option<&str>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0);
    if let Some(pem) = trusted_pem {
        let cert = ureq::tls::Certificate::from_pem(pem.as_bytes())
            .expect("a PEM certificate")
            .to_owned();
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])))
                .build(),
        );
    }
    config.build().new_agent()
}

/// The first `name=value` of a `Set-Cookie` header starting with `prefix`.
pub fn cookie_pair(response: &ureq::http::Response<ureq::Body>, prefix: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(prefix))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// The CSRF token of the first form of a page.
pub fn csrf_of(html: &str) -> Option<&str> {
    let start = html.find("name=\"csrf\" value=\"")? + 19;
    html.get(start..start + 64)
}

/// Signs in at `base` through the form; the session cookie (`name=value`) when the console took it.
///
/// # Panics
/// If the console cannot be reached or gives no sign-in form (test support).
pub fn sign_in(agent: &ureq::Agent, base: &str, name: &str, password: &str) -> Option<String> {
    let mut form = agent
        .get(format!("{base}/login"))
        .call()
        .expect("the sign-in page");
    let login_cookie = cookie_pair(&form, "").expect("the sign-in form's cookie");
    let body = form.body_mut().read_to_string().expect("the sign-in page");
    let csrf = csrf_of(&body).expect("a CSRF field").to_string();
    let r = agent
        .post(format!("{base}/login"))
        .header("Cookie", &login_cookie)
        .send_form([
            ("csrf", csrf.as_str()),
            ("name", name),
            ("password", password),
        ])
        .expect("the sign-in answer");
    if r.status().as_u16() != 303 {
        return None;
    }
    cookie_pair(&r, "__Host-vigil=").or_else(|| cookie_pair(&r, "vigil="))
}
