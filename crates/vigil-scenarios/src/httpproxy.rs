//! Exchange HttpProxy logs: what the Client Access front end proxied to the mailbox back end, one hourly
//! file per protocol (`Logging/HttpProxy/<Protocol>/HttpProxy_YYYYMMDDHH-1.LOG`), with the server's
//! version columns, the authenticated user, the client address and the routing decision.

use crate::exchange_csv::{CsvLog, hour_stamp, iso_ms};
use crate::out::{Folder, Mark};
use jiff::Timestamp;

/// The `#Fields` of Exchange 2016/2019 HttpProxy logs.
pub const FIELDS: &[&str] = &[
    "DateTime",
    "RequestId",
    "MajorVersion",
    "MinorVersion",
    "BuildVersion",
    "RevisionVersion",
    "ClientRequestId",
    "Protocol",
    "UrlHost",
    "UrlStem",
    "ProtocolAction",
    "AuthenticationType",
    "IsAuthenticated",
    "AuthenticatedUser",
    "Organization",
    "AnchorMailbox",
    "UserAgent",
    "ClientIpAddress",
    "ServerHostName",
    "HttpStatus",
    "BackEndStatus",
    "ErrorCode",
    "Method",
    "ProxyAction",
    "TargetServer",
    "TargetServerVersion",
    "RoutingType",
    "RoutingHint",
    "BackEndCookie",
    "ServerLocatorHost",
    "ServerLocatorLatency",
    "RequestBytes",
    "ResponseBytes",
    "TargetOutstandingRequests",
    "AuthModulePerfContext",
    "HttpPipelineLatency",
    "CalculateTargetBackEndLatency",
    "GlsLatencyBreakup",
    "TotalGlsLatency",
    "AccountForestLatencyBreakup",
    "TotalAccountForestLatency",
    "ResourceForestLatencyBreakup",
    "TotalResourceForestLatency",
    "ADLatency",
    "SharedCacheLatencyBreakup",
    "TotalSharedCacheLatency",
    "ActivityContextLifeTime",
    "ModuleToHandlerSwitchingLatency",
    "ClientReqStreamLatency",
    "BackendReqInitLatency",
    "BackendReqStreamLatency",
    "BackendProcessingLatency",
    "BackendRespInitLatency",
    "BackendRespStreamLatency",
    "ClientRespStreamLatency",
    "KerberosAuthHeaderLatency",
    "HandlerCompletionLatency",
    "RequestHandlerLatency",
    "HandlerToModuleSwitchingLatency",
    "ProxyTime",
    "CoreLatency",
    "RoutingLatency",
    "HttpProxyOverhead",
    "TotalRequestTime",
    "RouteRefresherLatency",
    "UrlQuery",
    "BackEndGenericInfo",
    "GenericInfo",
    "GenericErrors",
    "EdgeTraceId",
    "DatabaseGuid",
    "UserADObjectGuid",
    "PartitionEndpointLookupLatency",
    "RoutingStatus",
];

/// One proxied request.
#[derive(Debug, Clone, Default)]
pub struct ProxyRecord {
    pub request_id: String,
    /// `Owa`, `Ews`, `Eas`, `Autodiscover`, `Mapi`, `Ecp`, `PowerShell`.
    pub protocol: String,
    pub url_host: String,
    pub url_stem: String,
    pub url_query: String,
    /// `FBA`, `Basic`, `NTLM`, `Negotiate`.
    pub auth_type: String,
    pub authenticated: bool,
    pub user: String,
    pub anchor_mailbox: String,
    pub user_agent: String,
    pub client_ip: String,
    pub status: u16,
    pub method: String,
    pub target_server: String,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub total_ms: u32,
}

/// The HttpProxy logs of one server.
pub struct HttpProxyLog {
    pub root: String,
    pub server: String,
    /// (major, minor, build, revision) of the installed build.
    pub build: (u32, u32, u32, u32),
    log: CsvLog,
}

impl HttpProxyLog {
    /// `root` is the Exchange install folder relative to the scenario folder, ending with `/`.
    pub fn new(root: &str, server: &str, build: (u32, u32, u32, u32)) -> HttpProxyLog {
        HttpProxyLog {
            root: root.to_string(),
            server: server.to_string(),
            build,
            log: CsvLog {
                fields: FIELDS,
                software: "Microsoft Exchange Server",
                log_type: "HttpProxy Logs",
                version: padded(build),
            },
        }
    }

    pub fn path(&self, protocol: &str, at: Timestamp) -> String {
        format!(
            "{}Logging/HttpProxy/{protocol}/HttpProxy_{}-1.LOG",
            self.root,
            hour_stamp(at)
        )
    }

    fn values(&self, at: Timestamp, r: &ProxyRecord) -> Vec<(&'static str, String)> {
        let (ma, mi, bu, re) = self.build;
        let target = if r.target_server.is_empty() {
            String::new()
        } else {
            r.target_server.clone()
        };
        let begin = at
            .checked_sub(jiff::SignedDuration::from_millis(i64::from(r.total_ms)))
            .unwrap_or(at);
        vec![
            ("DateTime", iso_ms(at)),
            ("RequestId", r.request_id.clone()),
            ("MajorVersion", ma.to_string()),
            ("MinorVersion", mi.to_string()),
            ("BuildVersion", bu.to_string()),
            ("RevisionVersion", re.to_string()),
            ("Protocol", r.protocol.clone()),
            ("UrlHost", r.url_host.clone()),
            ("UrlStem", r.url_stem.clone()),
            ("AuthenticationType", r.auth_type.clone()),
            ("IsAuthenticated", r.authenticated.to_string()),
            ("AuthenticatedUser", r.user.clone()),
            ("AnchorMailbox", r.anchor_mailbox.clone()),
            // Exchange writes commas inside a user agent as spaces.
            ("UserAgent", r.user_agent.replace(',', " ")),
            ("ClientIpAddress", r.client_ip.clone()),
            ("ServerHostName", self.server.clone()),
            ("HttpStatus", r.status.to_string()),
            (
                "BackEndStatus",
                if target.is_empty() {
                    String::new()
                } else {
                    r.status.to_string()
                },
            ),
            ("Method", r.method.clone()),
            (
                "ProxyAction",
                if target.is_empty() {
                    String::new()
                } else {
                    "Proxy".to_string()
                },
            ),
            ("TargetServer", target.clone()),
            (
                "TargetServerVersion",
                if target.is_empty() {
                    String::new()
                } else {
                    format!("{ma}.{mi:02}.{bu:04}.000")
                },
            ),
            (
                "RoutingType",
                if target.is_empty() {
                    String::new()
                } else {
                    "IntraForest".to_string()
                },
            ),
            ("RequestBytes", r.request_bytes.to_string()),
            ("ResponseBytes", r.response_bytes.to_string()),
            ("HttpPipelineLatency", "0".to_string()),
            ("ActivityContextLifeTime", "0".to_string()),
            ("TotalRequestTime", r.total_ms.to_string()),
            ("UrlQuery", r.url_query.clone()),
            (
                "GenericInfo",
                format!(
                    "BeginRequest={};CorrelationID=<empty>;ProxyState-Run=None;SharedCacheGuard=0;EndRequest={};",
                    iso_ms(begin),
                    iso_ms(at)
                ),
            ),
            ("RoutingStatus", "CafeV1".to_string()),
        ]
    }

    pub fn push(&self, folder: &mut Folder, at: Timestamp, r: &ProxyRecord) {
        let path = self.path(&r.protocol, at);
        self.log.push(folder, &path, at, &self.values(at, r));
    }

    pub fn push_marked(
        &self,
        folder: &mut Folder,
        at: Timestamp,
        r: &ProxyRecord,
        what: &str,
    ) -> Mark {
        let path = self.path(&r.protocol, at);
        self.log
            .push_marked(folder, &path, at, &self.values(at, r), what)
    }
}

/// `15.02.1118.015`: the padded form of a build Exchange's logs write in `#Version`.
pub fn padded((ma, mi, bu, re): (u32, u32, u32, u32)) -> String {
    format!("{ma}.{mi:02}.{bu:04}.{re:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_as_many_columns_as_fields() {
        let log = HttpProxyLog::new("Exchange Server/V15/", "EXCH01", (15, 2, 1118, 15));
        let at: Timestamp = "2022-12-01T02:00:00.5Z".parse().unwrap();
        let r = ProxyRecord {
            protocol: "Owa".into(),
            url_stem: "/owa/service.svc".into(),
            user_agent:
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
                    .into(),
            status: 200,
            ..ProxyRecord::default()
        };
        let row = log.log.row(&log.values(at, &r));
        let parsed = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(row.as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(parsed.len(), FIELDS.len());
        assert_eq!(&parsed[0], "2022-12-01T02:00:00.500Z");
        assert_eq!(&parsed[4], "1118");
        assert_eq!(
            log.path("Owa", at),
            "Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2022120102-1.LOG"
        );
        assert_eq!(padded((15, 2, 1118, 15)), "15.02.1118.015");
    }
}
