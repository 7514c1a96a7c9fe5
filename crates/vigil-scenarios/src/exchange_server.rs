//! An Exchange 2019 server's log writers and the requests its clients make: one HTTP request lands in
//! the front end's IIS log (`W3SVC1`), in the HttpProxy log of its protocol when the front end proxies
//! it, and in the back end's IIS log (`W3SVC2`) for remote PowerShell; mail lands in message tracking;
//! management commands in the `MSExchange Management` channel.

use crate::httpproxy::{HttpProxyLog, ProxyRecord};
use crate::msgtrk::TrackingLog;
use crate::names::Org;
use crate::out::{Folder, Mark};
use crate::rng::Rng;
use crate::w3c::{IisFields, IisSite, Request};
use crate::winevents::Cmdlet;
use crate::wininventory::Build;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Where the Exchange install folder's logs go in the scenario folder.
pub const EXCHANGE_ROOT: &str = "Exchange Server/V15/";

/// One HTTP request from a client, as the front end sees it.
#[derive(Debug, Clone, Default)]
pub struct Web {
    pub method: &'static str,
    pub stem: String,
    pub query: String,
    pub port: u16,
    /// `cs-username` (empty before authentication).
    pub user: String,
    pub client: String,
    pub ua: String,
    pub status: u16,
    pub substatus: u16,
    pub win32: u32,
    /// HttpProxy protocol folder when the front end proxies or authenticates it (`Owa`, `Ews`, …).
    pub protocol: &'static str,
    /// `FBA`, `Basic`, `Negotiate`, `NTLM`.
    pub auth: &'static str,
    pub bytes_sent: u64,
    /// Also log the request on the back-end site (remote PowerShell).
    pub backend: bool,
}

/// The server and everything written for it.
pub struct Exch {
    pub folder: Folder,
    pub rng: Rng,
    pub org: Org,
    pub name: String,
    pub fqdn: String,
    pub ad_domain: String,
    /// The name clients use (`mail.harbour-medical.example`).
    pub public_host: String,
    pub server_ip: String,
    pub build: Build,
    pub tz: TimeZone,
    front: IisSite,
    back: IisSite,
    proxy: HttpProxyLog,
    pub tracking: TrackingLog,
    pub cmdlets: Vec<Cmdlet>,
}

impl Exch {
    pub fn new(
        rng: Rng,
        org: Org,
        build: Build,
        tz: TimeZone,
        fields: IisFields,
        subjects: bool,
    ) -> Exch {
        let name = "EXCH01".to_string();
        let ad_domain = format!("{}.local", org.netbios.to_lowercase());
        let fqdn = format!("{name}.{ad_domain}");
        let server_ip = "10.20.0.5".to_string();
        let site = |id: u32, site_name: &str| IisSite {
            site_id: id,
            site_name: site_name.to_string(),
            computer: name.clone(),
            server_ip: server_ip.clone(),
            fields,
            changed: None,
        };
        Exch {
            front: site(1, "W3SVC1"),
            back: site(2, "W3SVC2"),
            proxy: HttpProxyLog::new(EXCHANGE_ROOT, &name, build.parts()),
            tracking: TrackingLog::new(
                EXCHANGE_ROOT,
                &name,
                &fqdn,
                &server_ip,
                &build.padded(),
                subjects,
            ),
            folder: Folder::new(),
            rng,
            public_host: format!("mail.{}", org.domain),
            org,
            name,
            fqdn,
            ad_domain,
            server_ip,
            build,
            tz,
            cmdlets: Vec::new(),
        }
    }

    /// `HARBOUR\amelia.le-page` (the form Windows authentication logs).
    pub fn sam(&self, address: &str) -> String {
        let local = address.split('@').next().unwrap_or(address);
        format!("{}\\{local}", self.org.netbios)
    }

    /// Writes one request.
    pub fn web(&mut self, at: Timestamp, w: &Web) {
        let req = self.request(w);
        self.front.push(&mut self.folder, "", at, &req);
        self.side_logs(at, w, req);
    }

    /// Writes one request and returns the mark of its front-end IIS line.
    pub fn web_marked(&mut self, at: Timestamp, w: &Web, what: &str) -> Mark {
        let req = self.request(w);
        let mark = self.front.push_marked(&mut self.folder, "", at, &req, what);
        self.side_logs(at, w, req);
        mark
    }

    /// Writes one request, marked when `cite` is given.
    pub fn web_cited(&mut self, at: Timestamp, w: &Web, cite: Option<&str>) -> Option<Mark> {
        match cite {
            Some(what) => Some(self.web_marked(at, w, what)),
            None => {
                self.web(at, w);
                None
            }
        }
    }

    fn request(&mut self, w: &Web) -> Request {
        Request {
            method: w.method.to_string(),
            stem: w.stem.clone(),
            query: w.query.clone(),
            port: if w.port == 0 { 443 } else { w.port },
            user: w.user.clone(),
            client: w.client.clone(),
            user_agent: w.ua.clone(),
            referer: String::new(),
            status: w.status,
            substatus: w.substatus,
            win32: w.win32,
            taken_ms: u32::try_from(self.rng.range(8, 180)).unwrap_or(20),
            host: self.public_host.clone(),
            bytes_sent: if w.bytes_sent == 0 {
                self.rng.range(300, 9000)
            } else {
                w.bytes_sent
            },
            bytes_received: self.rng.range(200, 3000),
        }
    }

    /// The HttpProxy record of a proxied (or front-end authenticated) request, and the back-end IIS line
    /// of remote PowerShell.
    fn side_logs(&mut self, at: Timestamp, w: &Web, req: Request) {
        if !w.protocol.is_empty() {
            let authenticated = !w.user.is_empty() && w.status < 400;
            let proxied = authenticated || w.protocol == "Autodiscover";
            let rec = ProxyRecord {
                request_id: self.rng.guid(),
                protocol: w.protocol.to_string(),
                url_host: self.public_host.clone(),
                url_stem: w.stem.clone(),
                url_query: if w.query.is_empty() {
                    String::new()
                } else {
                    format!("?{}", w.query)
                },
                auth_type: w.auth.to_string(),
                authenticated,
                user: if authenticated {
                    w.user.clone()
                } else {
                    String::new()
                },
                anchor_mailbox: if authenticated && w.user.contains('@') {
                    format!("Smtp~{}", w.user)
                } else {
                    String::new()
                },
                user_agent: w.ua.clone(),
                client_ip: w.client.clone(),
                status: w.status,
                method: w.method.to_string(),
                target_server: if proxied {
                    self.fqdn.clone()
                } else {
                    String::new()
                },
                request_bytes: req.bytes_received,
                response_bytes: req.bytes_sent,
                total_ms: req.taken_ms,
            };
            let t = at + jiff::SignedDuration::from_millis(i64::from(req.taken_ms));
            self.proxy.push(&mut self.folder, t, &rec);
        }
        if w.backend {
            let back = Request {
                port: 444,
                client: self.server_ip.clone(),
                user: if w.user.is_empty() {
                    String::new()
                } else {
                    self.sam(&w.user)
                },
                ..req
            };
            self.back.push(&mut self.folder, "", at, &back);
        }
    }

    /// The IIS service restarted: the directive block is written again, with `fields` from now on.
    pub fn iis_restart(&mut self, at: Timestamp, fields: IisFields) {
        self.front.restart(&mut self.folder, "", at, fields);
        self.back.restart(&mut self.folder, "", at, fields);
    }

    /// A cmdlet run recorded in the `MSExchange Management` channel.
    pub fn cmdlet(
        &mut self,
        at: Timestamp,
        name: &str,
        params: &[(&str, &str)],
        caller: &str,
        process: &str,
        cite: Option<&str>,
    ) {
        self.cmdlets.push(Cmdlet {
            at,
            name: name.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            caller: caller.to_string(),
            process: process.to_string(),
            succeeded: true,
            cite: cite.map(str::to_string),
        });
    }

    /// The OWA static path that carries the build (`/owa/auth/15.2.1118/themes/resources/…`).
    pub fn owa_static(&self, file: &str) -> String {
        format!(
            "/owa/auth/{}.{}.{}/themes/resources/{file}",
            self.build.major, self.build.minor, self.build.build
        )
    }

    /// `https%3a%2f%2fmail.harbour-medical.example%2fowa%2f` (the encoded return URL of the logon page).
    pub fn owa_return_url(&self) -> String {
        format!("https%3a%2f%2f{}%2fowa%2f", self.public_host)
    }
}
