mod common;

use common::{read, s};
use vigil_logs::{Format, ReadOptions};
use vigil_model::{FieldValue, RecordRef};

#[test]
fn iis_tunna_log() {
    let (events, stats) = read("u_ex190903_tunna.log", &ReadOptions::default());
    assert_eq!(stats.format, Some(Format::W3c));
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 34);
    let e = &events[0];
    assert_eq!(e.source.record, RecordRef::Line(7));
    assert_eq!(e.timestamp.unwrap().to_string(), "2019-09-03T10:13:36Z");
    assert_eq!(s(e, "cs-method"), Some("GET"));
    assert_eq!(s(e, "cs-uri-stem"), Some("/erp/conn.aspx"));
    assert_eq!(s(e, "cs-uri-query"), Some("proxy&port=3389&ip=127.0.0.1"));
    assert_eq!(
        s(e, "c-uri"),
        Some("/erp/conn.aspx?proxy&port=3389&ip=127.0.0.1")
    );
    assert_eq!(s(e, "c-ip"), Some("10.0.2.17"));
    assert_eq!(s(e, "sc-status"), Some("200"));
    assert_eq!(e.fields.get("cs(User-Agent)"), Some(&FieldValue::Null));
    assert_eq!(e.logsource.category.as_deref(), Some("webserver"));
    assert!(e.raw.as_deref().unwrap().starts_with("2019-09-03 10:13:36"));
}

#[test]
fn iis_fields_change_mid_file() {
    let (events, stats) = read("u_ex210812_exchange_synthetic.log", &ReadOptions::default());
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 4);
    let probe = &events[0];
    assert_eq!(
        s(probe, "c-uri"),
        Some(
            "/autodiscover/autodiscover.json?@probe.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@probe.example"
        )
    );
    assert_eq!(
        s(probe, "cs(User-Agent)"),
        Some("Mozilla/5.0 (compatible; scanner)")
    );
    assert_eq!(probe.host, None);
    let shell = &events[2];
    assert_eq!(shell.host.as_deref(), Some("EXCH01"));
    assert_eq!(s(shell, "cs-host"), Some("mail.clinic.example"));
    assert_eq!(
        s(shell, "c-uri"),
        Some("/aspnet_client/zq1.aspx?cmd=whoami")
    );
    assert_eq!(s(shell, "sc-bytes"), Some("312"));
    let owa = &events[3];
    assert_eq!(s(owa, "c-uri"), Some("/owa/"));
    assert_eq!(owa.fields.get("cs-uri-query"), Some(&FieldValue::Null));
    assert_eq!(s(owa, "cs-username"), Some("CLINIC\\reception"));
    assert_eq!(owa.timestamp.unwrap().to_string(), "2021-08-13T00:03:40Z");
}

#[test]
fn iis_samples_with_repeated_headers_and_cookies() {
    let (events, stats) = read("u_ex100815.log", &ReadOptions::default());
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert!(events.len() > 5);
    assert!(events.iter().all(|e| s(e, "s-sitename") == Some("W3SVC20")));
    assert_eq!(
        s(&events[0], "cs(User-Agent)"),
        Some("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)")
    );
    let (events, _) = read("ex960101.log", &ReadOptions::default());
    assert_eq!(events.len(), 5);
    assert_eq!(
        s(&events[1], "cs(Cookie)"),
        Some("WEBTRENDS_ID=195.52.225.44-100386000.29188902")
    );
    assert_eq!(
        s(&events[1], "cs(Referer)"),
        Some("http://www.webtrends.com/def_f1.htm")
    );
    assert_eq!(events[0].host.as_deref(), Some("WEB1"));
}

#[test]
fn iis_record_errors_name_the_line() {
    let log = "2021-01-01 00:00:00 GET /\n#Fields: date time cs-method\n2021-01-01 00:00:01 GET\n2021-01-01 00:00:02 GET / extra\nbad-date 00:00:03 GET\n";
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes(
        "x.log",
        log.as_bytes(),
        Some(Format::W3c),
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(events.len(), 1);
    let lines: Vec<_> = stats.failures.iter().map(|f| f.record).collect();
    assert_eq!(
        lines,
        vec![RecordRef::Line(1), RecordRef::Line(4), RecordRef::Line(5)]
    );
    assert!(stats.failures[0].reason.contains("#Fields"));
}

#[test]
fn exchange_httpproxy_log() {
    let (events, stats) = read(
        "HttpProxy/Autodiscover/HttpProxy_2021081223-1.LOG",
        &ReadOptions::default(),
    );
    assert_eq!(stats.format, Some(Format::ExchangeCsv));
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 4);
    for e in &events {
        assert_eq!(e.logsource.product.as_deref(), Some("windows"));
        assert_eq!(e.logsource.category.as_deref(), Some("webserver"));
        assert_eq!(e.logsource.service.as_deref(), Some("msexchange-httpproxy"));
        assert_eq!(e.host.as_deref(), Some("EXCH01"));
    }
    let e = &events[0];
    assert_eq!(e.timestamp.unwrap().to_string(), "2021-08-12T23:41:07.412Z");
    assert_eq!(
        s(e, "UserAgent"),
        Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/92.0.4515.107 Safari/537.36"
        )
    );
    assert_eq!(s(e, "ClientIpAddress"), Some("203.0.113.77"));
    assert_eq!(s(e, "HttpStatus"), Some("200"));
    assert_eq!(s(e, "Method"), Some("POST"));
    assert_eq!(
        s(e, "c-uri"),
        Some(
            "/autodiscover/autodiscover.json?@probe.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@probe.example"
        )
    );
    assert!(
        s(e, "GenericInfo")
            .unwrap()
            .contains("HttpMethod=POST,S:Activity")
    );
    assert!(
        !e.fields.contains_key("AuthenticatedUser"),
        "empty values are absent"
    );
    assert!(
        s(&events[1], "c-uri")
            .unwrap()
            .contains("/powershell/?X-Rps-CAT=")
    );
    assert_eq!(
        s(&events[2], "AnchorMailbox"),
        Some("ServerInfo~a]@EXCH01.clinic.example:444/autodiscover/autodiscover.xml?#")
    );
    assert_eq!(s(&events[3], "GenericInfo"), Some("said \"hello\", twice"));
    assert_eq!(
        s(&events[3], "AuthenticatedUser"),
        Some("CLINIC\\reception")
    );
}

#[test]
fn exchange_csv_multiline_values_header_line_and_unclosed_quote() {
    let log = "#Software: Microsoft Exchange Server\n#Log-type: Message Tracking Log\n#Fields: date-time,client-ip,event-id,message-subject,server-hostname\n2021-08-13T00:01:02.000Z,192.0.2.5,RECEIVE,\"Line one\nline two, with comma\",EXCH01\n2021-08-13T00:01:03.000Z,192.0.2.5,SEND,\"never closed\n";
    let mut events = Vec::new();
    let stats = vigil_logs::read_bytes(
        "MSGTRK2021081300-1.LOG",
        log.as_bytes(),
        None,
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(stats.format, Some(Format::ExchangeCsv));
    assert_eq!(events.len(), 1);
    assert_eq!(
        s(&events[0], "message-subject"),
        Some("Line one\nline two, with comma")
    );
    assert_eq!(events[0].source.record, RecordRef::Line(4));
    assert_eq!(
        events[0].logsource.service.as_deref(),
        Some("msexchange-messagetracking")
    );
    assert_eq!(events[0].host.as_deref(), Some("EXCH01"));
    assert_eq!(stats.failed, 1);
    assert_eq!(stats.failures[0].record, RecordRef::Line(6));

    let plain = "DateTime,ClientIpAddress,UrlStem\n2021-08-13T00:01:02Z,192.0.2.9,/owa/\n";
    let mut events = Vec::new();
    vigil_logs::read_bytes(
        "x.csv",
        plain.as_bytes(),
        Some(Format::ExchangeCsv),
        &ReadOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(s(&events[0], "c-uri"), Some("/owa/"));
}

#[test]
fn tomcat_access_log_with_binary_request() {
    let (events, stats) = read("tomcat_access_log_webshell.txt", &ReadOptions::default());
    assert_eq!(stats.format, Some(Format::Access));
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 60);
    assert!(stats.lossy_lines >= 1);
    let e = &events[0];
    assert_eq!(e.timestamp.unwrap().to_string(), "2018-07-11T05:41:28Z");
    assert_eq!(s(e, "c-ip"), Some("192.168.105.83"));
    assert_eq!(s(e, "cs-uri-query"), Some("/"));
    let posts: Vec<_> = events
        .iter()
        .filter(|e| {
            s(e, "cs-method") == Some("POST") && s(e, "cs-uri-stem") == Some("/error/cmd.jsp")
        })
        .collect();
    assert_eq!(posts.len(), 16);
    let admin = events
        .iter()
        .find(|e| s(e, "cs-username") == Some("admin") && s(e, "cs-method") == Some("POST"))
        .unwrap();
    assert_eq!(s(admin, "cs-uri-stem"), Some("/manager/html/upload"));
    assert!(
        s(admin, "cs-uri-query")
            .unwrap()
            .starts_with("/manager/html/upload?org.apache.catalina")
    );
    // The binary TLS hello logged as a request line has no method.
    let garbage = &events[26];
    assert_eq!(garbage.source.record, RecordRef::Line(27));
    assert_eq!(s(garbage, "sc-status"), Some("400"));
    assert!(!garbage.fields.contains_key("cs-method"));
}

#[test]
fn nginx_combined_log() {
    let (events, stats) = read("nginx_access_combined.log", &ReadOptions::default());
    assert_eq!(stats.failed, 0, "{:?}", stats.failures);
    assert_eq!(events.len(), 3);
    assert_eq!(
        s(&events[0], "cs-uri-query"),
        Some(
            "/autodiscover/autodiscover.json?@probe.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@probe.example"
        )
    );
    assert_eq!(
        s(&events[0], "cs-user-agent"),
        Some("Mozilla/5.0 (compatible; scanner)")
    );
    assert_eq!(events[0].fields.get("cs-referer"), Some(&FieldValue::Null));
    let e = &events[1];
    assert_eq!(e.timestamp.unwrap().to_string(), "2021-08-13T06:15:40Z");
    assert_eq!(s(e, "cs-username"), Some("alice"));
    assert_eq!(s(e, "cs-referer"), Some("https://www.clinic.example/"));
    assert_eq!(
        s(e, "cs-user-agent"),
        Some("Mozilla/5.0 (X11; Linux x86_64) \"quoted\" UA")
    );
    assert_eq!(s(e, "cs-version"), Some("HTTP/2.0"));
    assert_eq!(s(e, "cs-uri-stem"), Some("/index.php"));
    assert_eq!(
        s(&events[2], "request"),
        Some("\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03")
    );
}
