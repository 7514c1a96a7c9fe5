//! The fields vigil's mail rules count on (rules/vigil/FIELDS.md), read from real log lines:
//! fail2ban's labelled Dovecot and Postfix samples (every wording of a failed login across
//! Dovecot 2.2–2.4 and Postfix versions) and synthetic Exchange message tracking and IIS lines.

mod common;

use common::{read, s};
use vigil_logs::ReadOptions;
use vigil_model::{Event, FieldValue};

fn f2b() -> ReadOptions {
    ReadOptions {
        syslog_reference_time: Some("2005-08-14T10:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    }
}

fn raw(e: &Event) -> &str {
    e.raw.as_deref().unwrap_or("")
}

/// Every Dovecot login-process line that reports failed attempts is a failed session with the
/// user (when logged), the address and its network, whatever the Dovecot version's wording.
#[test]
fn dovecot_failed_sessions_in_every_wording() {
    let (events, _) = read("dovecot.log", &f2b());
    let mut n = 0;
    for e in events.iter().filter(|e| raw(e).contains("(auth failed")) {
        let line = raw(e);
        assert_eq!(s(e, "event_action"), Some("disconnect"), "{line}");
        assert_eq!(s(e, "auth_result"), Some("failure"), "{line}");
        let rip = s(e, "rip").unwrap_or_else(|| panic!("no rip: {line}"));
        let net = vigil_logs::net::network_of(rip).unwrap();
        assert_eq!(s(e, "rip_net"), Some(net.as_str()), "{line}");
        assert_eq!(s(e, "src_net"), Some(net.as_str()), "{line}");
        if line.contains("user=<") && !line.contains("user=<>") {
            assert!(s(e, "user").is_some(), "{line}");
        }
        n += 1;
    }
    // 2.2 `Disconnected (auth failed, 1 attempts)`, 2.3 `... in 2 secs`, 2.4 `Login aborted:
    // ... (auth_failed)`, submission's `Client has quit the connection`, `Remote closed
    // connection`, `Disconnected: Inactivity`, `Too many invalid commands`.
    assert!(n >= 15, "{n}");
    for wording in [
        "Client has quit the connection (auth failed",
        "Remote closed connection (auth failed",
        "Login aborted: Connection closed (auth failed",
        "Disconnected: Inactivity (auth failed",
    ] {
        assert!(
            events.iter().any(|e| raw(e).contains(wording)),
            "fixture lacks {wording}"
        );
    }
    // Sessions without any attempt are not failures.
    for e in events
        .iter()
        .filter(|e| raw(e).contains("(no auth attempts"))
    {
        assert_eq!(s(e, "auth_result"), None, "{}", raw(e));
    }
}

/// `auth_verbose` lines of every password database, including Dovecot 2.4's
/// `auth(user,ip,sasl:login)<session>: sql: Password mismatch`.
#[test]
fn dovecot_passdb_failures() {
    let (events, _) = read("dovecot.log", &f2b());
    let passdb: Vec<&Event> = events.iter().filter(|e| s(e, "passdb").is_some()).collect();
    assert!(passdb.len() >= 15, "{}", passdb.len());
    for e in &passdb {
        assert_eq!(s(e, "auth_result"), Some("failure"), "{}", raw(e));
        assert!(
            s(e, "user").is_some() && s(e, "rip_net").is_some(),
            "{}",
            raw(e)
        );
    }
    let v24 = events
        .iter()
        .find(|e| raw(e).contains("sql: Password mismatch"))
        .unwrap();
    assert_eq!(s(v24, "passdb"), Some("sql"));
    assert_eq!(s(v24, "user"), Some("info@example.com"));
    assert_eq!(s(v24, "rip"), Some("192.0.2.110"));
}

/// Postfix SASL failures: the client, its network, the reason; failures of the server side
/// (authentication back end down, mechanism not offered) are not password failures; the user
/// name when newer versions log it.
#[test]
fn postfix_sasl_failures() {
    let (events, _) = read("postfix.log", &f2b());
    let sasl: Vec<&Event> = events
        .iter()
        .filter(|e| s(e, "event_action") == Some("sasl_auth_failed"))
        .collect();
    assert!(sasl.len() >= 10, "{}", sasl.len());
    for e in &sasl {
        let ip = s(e, "client_ip").unwrap_or_else(|| panic!("{}", raw(e)));
        let net = vigil_logs::net::network_of(ip).unwrap();
        assert_eq!(s(e, "client_net"), Some(net.as_str()));
        let server_side = raw(e).contains("Connection lost to authentication server")
            || raw(e).contains("Invalid authentication mechanism");
        let want = (!server_side).then_some("failure");
        assert_eq!(s(e, "auth_result"), want, "{}", raw(e));
    }
    let named = sasl
        .iter()
        .find(|e| raw(e).contains("(reason unavailable), sasl_username=admin"))
        .unwrap();
    assert_eq!(s(named, "user"), Some("admin"));
    assert_eq!(s(named, "sasl_reason"), Some("(reason unavailable)"));
    assert_eq!(s(named, "event_action"), Some("sasl_auth_failed"));
    assert_eq!(s(named, "auth_result"), Some("failure"));
}

const MSGTRK: &str = "\u{feff}#Software: Microsoft Exchange Server\r
#Version: 15.01.2375.007\r
#Log-type: Message Tracking Log\r
#Date: 2022-09-19T15:02:29.339Z\r
#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version\r
2022-09-19T15:02:29.450Z,fe80::1234:5678:4321:1010%3,EX01.clinic.example,fe80::1234:5678:4321:1010%3,EX01,\"MDB:1f6c4a6e-3232-2323-1111-12345679987, Mailbox:33345678-3232-2323-1111-08da9fd00918, Event:63779422, MessageClass:IPM.Note, CreationTime:2022-09-19T15:02:29.211Z, ClientType:WebServices, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant\",,STOREDRIVER,RECEIVE,438,<a1@EX01.clinic.example>,6a638d20-1e63-493a-80a2-08da9a4ff8da,Patient.One@Example.NET;colleague@clinic.example;p2@example.org,To,3750222,3,,,\"RE: Invoice 4411, overdue\",Reception@Clinic.Example,reception@clinic.example,04I: ,Originating,,203.0.113.45,fe80::1234:4545:3214:1010%3,S:AccountForest=clinic.example,Email,c0ffee00-0000-0000-0000-000000000001,15.01.2375.007\r
";

/// Exchange message tracking: recipients as a list, domains, the normalised subject, the client
/// type of a mailbox submission and the networks of the client addresses.
#[test]
fn exchange_message_tracking_fields() {
    let mut events = Vec::new();
    vigil_logs::read_bytes(
        "TransportRoles/Logs/MessageTracking/MSGTRK2022091915-1.LOG",
        MSGTRK.as_bytes(),
        None,
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        e.logsource.service.as_deref(),
        Some("msexchange-messagetracking")
    );
    let list = |k: &str| match e.fields.get(k) {
        Some(FieldValue::List(v)) => v
            .iter()
            .filter_map(|x| x.as_text().map(|t| t.into_owned()))
            .collect::<Vec<_>>(),
        other => panic!("{k}: {other:?}"),
    };
    assert_eq!(
        list("recipient-address"),
        vec![
            "Patient.One@Example.NET",
            "colleague@clinic.example",
            "p2@example.org"
        ]
    );
    assert_eq!(
        list("recipient-domain"),
        vec!["example.net", "clinic.example", "example.org"]
    );
    assert_eq!(s(e, "sender-domain"), Some("clinic.example"));
    assert_eq!(s(e, "sender-address"), Some("Reception@Clinic.Example"));
    assert_eq!(s(e, "sender"), Some("reception@clinic.example"));
    assert_eq!(s(e, "message-subject"), Some("RE: Invoice 4411, overdue"));
    assert_eq!(
        s(e, "message-subject-normalized"),
        Some("invoice # overdue")
    );
    assert_eq!(s(e, "client-type"), Some("WebServices"));
    assert_eq!(s(e, "original-client-net"), Some("203.0.113.0/24"));
    assert_eq!(s(e, "client-net"), Some("fe80::/64"));
    assert_eq!(s(e, "recipient-count"), Some("3"));
    assert_eq!(e.timestamp.unwrap().to_string(), "2022-09-19T15:02:29.45Z");
}

/// IIS and HttpProxy records carry the network of the client address.
#[test]
fn web_logs_carry_the_client_network() {
    let iis = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n\
2021-08-12 23:41:07 192.0.2.10 POST /EWS/Exchange.asmx - 443 bob 2001:db8:7:8:9::1 UA - 401 1 0 21\n";
    let mut events = Vec::new();
    vigil_logs::read_bytes(
        "u_ex210812.log",
        iis.as_bytes(),
        None,
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(s(&events[0], "c-net"), Some("2001:db8:7:8::/64"));

    let proxy = "#Software: Microsoft Exchange Server\n#Version: 15.01.2375.007\n#Log-type: HttpProxy Logs\n#Date: 2021-08-12T23:00:00.000Z\n#Fields: DateTime,RequestId,Protocol,UrlStem,AuthenticatedUser,ClientIpAddress,HttpStatus,Method\n\
2021-08-12T23:41:07.412Z,6b1f0c3e,Ews,/EWS/Exchange.asmx,CLINIC\\bob,198.51.100.23,401,POST\n";
    let mut events = Vec::new();
    vigil_logs::read_bytes(
        "HttpProxy_2021081223-1.LOG",
        proxy.as_bytes(),
        None,
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(s(&events[0], "ClientIpNetwork"), Some("198.51.100.0/24"));
}
