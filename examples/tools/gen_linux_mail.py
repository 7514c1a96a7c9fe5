#!/usr/bin/env python3
"""Generate examples/linux-mail/ (Debian 11 mail server mx1): root filesystem excerpts, mail.log, and the
hand-written OSV records of the Debian security advisories the scenario relies on. Deterministic (fixed seed).
Usage: gen_linux_mail.py <examples/linux-mail>
"""
import base64
import json
import random
import string
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

R = random.Random(20220412)
UTC = timezone.utc
OUT = Path(sys.argv[1])
HOST = "mx1"
DOMAIN = "physio.example.com"
LIP = "192.0.2.10"
OFFICE = "192.0.2.40"
ADMIN_IP = "192.0.2.77"
SPRAY = ["198.51.100.23", "198.51.100.24", "198.51.100.61"]
PHISH = ["198.51.100.61", "198.51.100.62"]

STAFF = ["reception", "k.adeyemi", "l.fairbrother", "o.petrov", "s.mcallister", "accounts", "h.nakamura", "d.oconnell"]
ROLE_GUESSES = ["info", "admin", "office", "bookings", "manager", "enquiries"]
EXTERNAL = ["example.net", "example.org", "mail.example.net", "clinicsupply.example.org", "insurer.example.com"]

lines = []  # (datetime, text, tag)


def log(t, prog, msg, tag="benign"):
    lines.append((t, f"{prog}: {msg}", tag))


def sess():
    return "".join(R.choice(string.ascii_letters + string.digits + "+/") for _ in range(16))


def qid():
    return "".join(R.choice("0123456789ABCDEF") for _ in range(10))


def pid(lo=1000, hi=32000):
    return R.randint(lo, hi)


def ts(s):
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def msgid(domain):
    return f"<{R.getrandbits(64):016x}.{R.getrandbits(32):08x}@{domain}>"


def inbound(t, sender, rcpt, size=None):
    p, q = pid(), qid()
    dom = sender.split("@")[1]
    cip = f"192.0.2.{R.randint(100, 180)}"
    chost = f"mail.{dom}"
    log(t, f"postfix/smtpd[{p}]", f"connect from {chost}[{cip}]")
    t += timedelta(milliseconds=R.randint(200, 900))
    log(t, f"postfix/smtpd[{p}]", f"{q}: client={chost}[{cip}]")
    log(t, f"postfix/cleanup[{pid()}]", f"{q}: message-id={msgid(dom)}")
    size = size or R.randint(3000, 900000)
    log(t, "postfix/qmgr[812]", f"{q}: from=<{sender}>, size={size}, nrcpt=1 (queue active)")
    t2 = t + timedelta(milliseconds=R.randint(100, 800))
    log(t2, f"postfix/smtpd[{p}]", f"disconnect from {chost}[{cip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7")
    lp, ls = pid(), sess()
    log(t2, f"dovecot", f"lmtp({lp}): Connect from local")
    log(t2 + timedelta(milliseconds=90), "dovecot", f"lmtp({rcpt})<{lp}><{ls}>: msgid={msgid(dom)}: saved mail to INBOX")
    log(t2 + timedelta(milliseconds=95), f"postfix/lmtp[{pid()}]", f"{q}: to=<{rcpt}>, relay={HOST}.{DOMAIN}[private/dovecot-lmtp], delay=0.{R.randint(20, 99)}, delays=0.{R.randint(10, 60)}/0/0.01/0.0{R.randint(1, 9)}, dsn=2.0.0, status=sent (250 2.0.0 <{rcpt}> {ls} Saved)")
    log(t2 + timedelta(milliseconds=100), "dovecot", f"lmtp({lp}): Disconnect from local: Client has quit the connection (state=READY)")
    log(t2 + timedelta(milliseconds=101), "postfix/qmgr[812]", f"{q}: removed")


def submission(t, user, cip, rcpts, tag="benign", size=None, subject_note=None):
    p, q = pid(), qid()
    log(t, f"postfix/submission/smtpd[{p}]", f"connect from unknown[{cip}]", tag)
    t += timedelta(milliseconds=R.randint(300, 900))
    log(t, f"postfix/submission/smtpd[{p}]", f"{q}: client=unknown[{cip}], sasl_method=PLAIN, sasl_username={user}", tag)
    log(t, f"postfix/cleanup[{pid()}]", f"{q}: message-id={msgid(DOMAIN)}", tag)
    size = size or R.randint(2000, 400000)
    log(t + timedelta(milliseconds=40), "postfix/qmgr[812]", f"{q}: from=<{user}>, size={size}, nrcpt={len(rcpts)} (queue active)", tag)
    log(t + timedelta(milliseconds=60), f"postfix/submission/smtpd[{p}]", f"disconnect from unknown[{cip}] ehlo=2 starttls=1 auth=1 mail=1 rcpt={len(rcpts)} data=1 quit=1 commands={6 + len(rcpts)}", tag)
    sp = pid()
    tt = t + timedelta(seconds=1)
    for r in rcpts:
        dom = r.split("@")[1]
        tt += timedelta(milliseconds=R.randint(200, 1500))
        if tag == "malicious" and R.random() < 0.06:
            log(tt, f"postfix/smtp[{sp}]", f"{q}: to=<{r}>, relay=mx.{dom}[192.0.2.{R.randint(20, 60)}]:25, delay={R.randint(1, 9)}.{R.randint(1, 9)}, delays=0.1/0/0.4/0.3, dsn=5.1.1, status=bounced (host mx.{dom}[192.0.2.{R.randint(20, 60)}] said: 550 5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))", tag)
        else:
            log(tt, f"postfix/smtp[{sp}]", f"{q}: to=<{r}>, relay=mx.{dom}[192.0.2.{R.randint(20, 60)}]:25, delay={R.randint(1, 9)}.{R.randint(1, 9)}, delays=0.1/0/0.4/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {qid()})", tag)
    log(tt + timedelta(milliseconds=20), "postfix/qmgr[812]", f"{q}: removed", tag)


def imap_session(t, user, rip, minutes, out_bytes, tag="benign", method="PLAIN"):
    s, mp = sess(), pid()
    log(t, "dovecot", f"imap-login: Login: user=<{user}>, method={method}, rip={rip}, lip={LIP}, mpid={mp}, TLS, session=<{s}>", tag)
    t2 = t + timedelta(minutes=minutes, seconds=R.randint(0, 59))
    inb = R.randint(300, 9000)
    bc = max(out_bytes // 60000, 0)
    log(t2, "dovecot", f"imap({user})<{mp}><{s}>: Logged out in={inb} out={out_bytes} deleted=0 expunged=0 trashed=0 hdr_count={R.randint(0, 400) + bc} hdr_bytes={R.randint(0, 90000) + bc * 900} body_count={bc} body_bytes={max(out_bytes - 20000, 0)}", tag)


def imap_fail(t, user, rip, tag):
    s = sess()
    log(t, "dovecot", f"auth: passwd-file({user},{rip},<{s}>): Password mismatch", tag)
    log(t + timedelta(seconds=2), "dovecot", f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={rip}, lip={LIP}, TLS, session=<{s}>", tag)


def imap_unknown(t, user, rip, tag):
    s = sess()
    log(t, "dovecot", f"auth: passwd-file({user},{rip},<{s}>): unknown user", tag)
    log(t + timedelta(seconds=2), "dovecot", f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={rip}, lip={LIP}, TLS, session=<{s}>", tag)


def smtp_fail(t, user, rip, tag, known=True):
    p = pid()
    log(t, f"postfix/submission/smtpd[{p}]", f"connect from unknown[{rip}]", tag)
    log(t + timedelta(seconds=1), "dovecot", f"auth: passwd-file({user},{rip}): {'Password mismatch' if known else 'unknown user'}", tag)
    log(t + timedelta(seconds=3), f"postfix/submission/smtpd[{p}]", f"warning: unknown[{rip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6", tag)
    log(t + timedelta(seconds=3), f"postfix/submission/smtpd[{p}]", f"disconnect from unknown[{rip}] ehlo=1 auth=0/1 rset=1 quit=1 commands=3/4", tag)


def sshd_day(day):
    # administrator: key-based login once a day
    t = day + timedelta(hours=R.randint(7, 9), minutes=R.randint(0, 59))
    p = pid()
    log(t, f"sshd[{p}]", f"Accepted publickey for ops from {ADMIN_IP} port {R.randint(40000, 60000)} ssh2: ED25519 SHA256:q3Vt0mTx7mJb9cYHqUeJvX2YfQ4rS8aLkE1pWzN6dGo")
    log(t, f"sshd[{p}]", "pam_unix(sshd:session): session opened for user ops(uid=1000) by (uid=0)")
    log(t + timedelta(minutes=R.randint(3, 30)), f"sshd[{p}]", "pam_unix(sshd:session): session closed for user ops")
    # internet background noise (not part of the incident)
    for _ in range(R.randint(3, 6)):
        t = day + timedelta(seconds=R.randint(0, 86399))
        ip = f"192.0.2.{R.randint(200, 250)}"
        p = pid()
        u = R.choice(["admin", "test", "oracle", "ubuntu", "user", "git"])
        port = R.randint(30000, 65000)
        log(t, f"sshd[{p}]", f"Invalid user {u} from {ip} port {port}", "noise")
        log(t + timedelta(seconds=1), f"sshd[{p}]", f"Connection closed by invalid user {u} {ip} port {port} [preauth]", "noise")


def ordinary_day(day):
    sshd_day(day)
    for _ in range(R.randint(45, 60)):
        t = day + timedelta(hours=R.randint(0, 23), minutes=R.randint(0, 59), seconds=R.randint(0, 59))
        sender = f"{R.choice(['noreply', 'bookings', 'accounts', 'j.smith', 'a.brown', 'info', 'm.green'])}@{R.choice(EXTERNAL)}"
        inbound(t, sender, f"{R.choice(STAFF)}@{DOMAIN}")
    for u in STAFF:
        if u == "accounts" and R.random() < 0.5:
            continue
        t = day + timedelta(hours=7, minutes=R.randint(30, 59), seconds=R.randint(0, 59))
        imap_session(t, f"{u}@{DOMAIN}", OFFICE, R.randint(240, 540), R.randint(400000, 30000000))
        for _ in range(R.randint(1, 4)):
            ts_ = day + timedelta(hours=R.randint(8, 16), minutes=R.randint(0, 59), seconds=R.randint(0, 59))
            n = R.randint(1, 2)
            submission(ts_, f"{u}@{DOMAIN}", OFFICE, [f"{R.choice(['j.smith', 'a.brown', 'patient.care', 'm.green', 'r.khan'])}@{R.choice(EXTERNAL)}" for _ in range(n)])
    # phones (IMAP IDLE sessions from mobile networks, IPv6 documentation range)
    for u, ip in [("k.adeyemi", "2001:db8:2c::14"), ("s.mcallister", "2001:db8:2c::91")]:
        t = day + timedelta(hours=R.randint(6, 19), minutes=R.randint(0, 59))
        imap_session(t, f"{u}@{DOMAIN}", ip, R.randint(20, 90), R.randint(20000, 900000))
    # a mistyped password from the office (benign)
    if R.random() < 0.7:
        t = day + timedelta(hours=R.randint(8, 16), minutes=R.randint(0, 59))
        imap_fail(t, f"{R.choice(STAFF)}@{DOMAIN}", OFFICE, "benign")


def attack():
    # 1. password spray, 2022-04-12 01:03 - 02:17 UTC
    users = [f"{u}@{DOMAIN}" for u in STAFF] + [f"{u}@{DOMAIN}" for u in ROLE_GUESSES]
    t = ts("2022-04-12 01:03:17")
    for rnd in range(2):  # two passwords, every user, rotating source addresses and protocols
        for i, u in enumerate(users):
            ip = SPRAY[(i + rnd) % 3]
            known = u.split("@")[0] in STAFF
            if u == f"reception@{DOMAIN}" and rnd == 1:
                continue  # the second round succeeds below
            if i % 2 == 0:
                (imap_fail if known else imap_unknown)(t, u, ip, "malicious")
            else:
                smtp_fail(t, u, ip, "malicious", known)
            t += timedelta(seconds=R.randint(95, 170))
    # success: reception@, second password, IMAP, 02:17:44
    t = ts("2022-04-12 02:17:44")
    # 2. bulk download (two parallel IMAP sessions from the spray address)
    imap_session(t, f"reception@{DOMAIN}", "198.51.100.61", 34, 1934771203, "malicious")
    imap_session(t + timedelta(seconds=41), f"reception@{DOMAIN}", "198.51.100.61", 29, 611203388, "malicious")
    # 3. phishing burst from reception@, 2022-04-13 06:02-06:19
    patients = [f"{f}.{l}@{d}" for f in ["alex", "sam", "jo", "chris", "pat", "lee", "robin", "kim", "dana", "toni", "ash", "mel"]
                for l in ["hale", "ward", "frost", "lyle", "pryce", "nash", "reid", "cole"] for d in ["example.net", "example.org"]]
    R.shuffle(patients)
    victims = patients[:184]
    t = ts("2022-04-13 06:02:11")
    for k in range(8):
        chunk = victims[k * 23:(k + 1) * 23]
        submission(t, f"reception@{DOMAIN}", PHISH[k % 2], chunk, "malicious", size=R.randint(24000, 26000))
        t += timedelta(seconds=R.randint(100, 150))
    return victims


def write():
    start = ts("2022-04-11 00:00:00")
    for d in range(3):
        ordinary_day(start + timedelta(days=d))
    victims = attack()
    lines.sort(key=lambda x: x[0])
    out = []
    for t, text, _ in lines:
        out.append(f"{t.strftime('%b')} {t.day:2d} {t.strftime('%H:%M:%S')} {HOST} {text}")
    d = OUT / "logs"
    d.mkdir(parents=True, exist_ok=True)
    (d / "mail.log").write_text("\n".join(out) + "\n")
    c = {}
    for _, _, tag in lines:
        c[tag] = c.get(tag, 0) + 1
    print("mail.log", c, "victims", len(victims))


OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"
NAME="Debian GNU/Linux"
VERSION_ID="11"
VERSION="11 (bullseye)"
VERSION_CODENAME=bullseye
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""

# name, source, version, arch, section, priority, maint, depends, description, multi-arch
PKGS = [
    ("base-files", None, "11.1", "amd64", "admin", "required", "Santiago Vila <sanvila@debian.org>", "", "Debian base system miscellaneous files", None, "essential"),
    ("libc6", "glibc", "2.31-13", "amd64", "libs", "optional", "GNU Libc Maintainers <debian-glibc@lists.debian.org>", "libcrypt1 (>= 1:4.4.10-10~), libgcc-s1", "GNU C Library: Shared libraries", "same", None),
    ("libssl1.1", "openssl", "1.1.1k-1", "amd64", "libs", "optional", "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>", "libc6 (>= 2.25), debconf (>= 0.5) | debconf-2.0", "Secure Sockets Layer toolkit - shared libraries", "same", None),
    ("openssl", None, "1.1.1k-1", "amd64", "utils", "optional", "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>", "libc6 (>= 2.15), libssl1.1 (>= 1.1.1)", "Secure Sockets Layer toolkit - cryptographic utility", "foreign", None),
    ("openssh-client", "openssh", "1:8.4p1-5", "amd64", "net", "standard", "Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>", "adduser (>= 3.10), dpkg (>= 1.7.0), passwd, libc6 (>= 2.26), libedit2 (>= 2.11-20080614-4), libgssapi-krb5-2 (>= 1.17), libselinux1 (>= 3.1~), libssl1.1 (>= 1.1.1), zlib1g (>= 1:1.1.4)", "secure shell (SSH) client, for secure access to remote machines", "foreign", None),
    ("openssh-server", "openssh", "1:8.4p1-5", "amd64", "net", "optional", "Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>", "adduser (>= 3.9), dpkg (>= 1.9.0), libpam-modules (>= 0.72-9), libpam-runtime (>= 0.76-14), lsb-base (>= 4.1+Debian3), openssh-client (= 1:8.4p1-5), openssh-sftp-server, procps, ucf (>= 0.28), debconf (>= 0.5) | debconf-2.0, runit-helper (>= 2.8.7), libaudit1 (>= 1:2.2.1), libc6 (>= 2.26), libcom-err2 (>= 1.43.9), libcrypt1 (>= 1:4.1.0), libgssapi-krb5-2 (>= 1.17), libkrb5-3 (>= 1.13~alpha1+dfsg), libpam0g (>= 0.99.7.1), libselinux1 (>= 3.1~), libssl1.1 (>= 1.1.1), libsystemd0, libwrap0 (>= 7.6-4~), zlib1g (>= 1:1.1.4)", "secure shell (SSH) server, for secure access from remote machines", "foreign", None),
    ("postfix", None, "3.5.6-1+b1", "amd64", "mail", "optional", "LaMont Jones <lamont@debian.org>", "libc6 (>= 2.14), libdb5.3, libicu67 (>= 67.1-1~), libnsl2 (>= 1.0), libsasl2-2 (>= 2.1.27+dfsg), libssl1.1 (>= 1.1.1), debconf (>= 0.5) | debconf-2.0, netbase, adduser (>= 3.48), dpkg (>= 1.8.3), lsb-base (>= 3.0-6), ssl-cert, cpio, e2fsprogs", "High-performance mail transport agent", None, None),
    ("libsasl2-2", "cyrus-sasl2", "2.1.27+dfsg-2.1", "amd64", "libs", "standard", "Debian Cyrus Team <team+cyrus@tracker.debian.org>", "libsasl2-modules-db (>= 2.1.27+dfsg-2.1), libc6 (>= 2.14)", "Cyrus SASL - authentication abstraction library", "same", None),
    ("dovecot-core", "dovecot", "1:2.3.13+dfsg1-2", "amd64", "mail", "optional", "Dovecot Maintainers <dovecot@packages.debian.org>", "adduser, libpam-runtime, lsb-base, openssl, ssl-cert, ucf, libapparmor1 (>= 2.7.0~beta1+bzr1772), libbz2-1.0, libc6 (>= 2.28), libcap2 (>= 1:2.10), libcrypt1 (>= 1:4.1.0), liblz4-1 (>= 0.0~r130), liblzma5 (>= 5.1.1alpha+20120614), libpam0g (>= 0.99.7.1), libsodium23 (>= 1.0.13), libssl1.1 (>= 1.1.1), libsystemd0, libwrap0 (>= 7.6-4~), libzstd1 (>= 1.4.0), zlib1g (>= 1:1.1.4)", "secure POP3/IMAP server - core files", None, None),
    ("dovecot-imapd", "dovecot", "1:2.3.13+dfsg1-2", "amd64", "mail", "optional", "Dovecot Maintainers <dovecot@packages.debian.org>", "dovecot-core (= 1:2.3.13+dfsg1-2), libc6 (>= 2.14), ucf", "secure POP3/IMAP server - IMAP daemon", None, None),
    ("dovecot-lmtpd", "dovecot", "1:2.3.13+dfsg1-2", "amd64", "mail", "optional", "Dovecot Maintainers <dovecot@packages.debian.org>", "dovecot-core (= 1:2.3.13+dfsg1-2), libc6 (>= 2.14), ucf", "secure POP3/IMAP server - LMTP server", None, None),
    ("rsyslog", None, "8.2102.0-2", "amd64", "admin", "important", "Michael Biebl <biebl@debian.org>", "libc6 (>= 2.17), libestr0 (>= 0.1.4), libfastjson4 (>= 0.99.8), libsystemd0 (>= 209), libuuid1 (>= 2.16), zlib1g (>= 1:1.1.4), lsb-base (>= 3.2-14), logrotate", "reliable system and kernel logging daemon", "foreign", None),
    ("ca-certificates", None, "20210119", "all", "misc", "optional", "Julien Cristau <jcristau@debian.org>", "openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0", "Common CA certificates", "foreign", None),
]


def dpkg_status():
    stanzas = []
    for name, src, ver, arch, sect, prio, maint, deps, desc, ma, ess in PKGS:
        s = [f"Package: {name}"]
        if ess:
            s.append("Essential: yes")
        s.append("Status: install ok installed")
        s.append(f"Priority: {prio}")
        s.append(f"Section: {sect}")
        s.append(f"Installed-Size: {R.randint(200, 6000)}")
        s.append(f"Maintainer: {maint}")
        s.append(f"Architecture: {arch}")
        if ma:
            s.append(f"Multi-Arch: {ma}")
        if src:
            s.append(f"Source: {src}")
        elif "+b" in ver:
            s.append(f"Source: {name} ({ver.split('+b')[0]})")
        s.append(f"Version: {ver}")
        if deps:
            s.append(f"Depends: {deps}")
        s.append(f"Description: {desc}")
        s.append(" This package is part of the scenario's excerpt of a real Debian 11 system;")
        s.append(" the long description is shortened.")
        stanzas.append("\n".join(s))
    d = OUT / "root/var/lib/dpkg"
    d.mkdir(parents=True, exist_ok=True)
    (d / "status").write_text("\n\n".join(stanzas) + "\n")
    e = OUT / "root/etc"
    e.mkdir(parents=True, exist_ok=True)
    (e / "os-release").write_text(OS_RELEASE)


DSAS = [
    {"id": "DSA-4963-1", "published": "2021-08-24T00:00:00Z", "source": "openssl", "fixed": "1.1.1k-1+deb11u1",
     "cves": ["CVE-2021-3711", "CVE-2021-3712"], "summary": "openssl - security update",
     "details": "Multiple vulnerabilities have been discovered in OpenSSL, a Secure Sockets Layer toolkit.\n\nCVE-2021-3711: John Ouyang reported a buffer overflow vulnerability in the SM2 decryption. An attacker able to present SM2 content for decryption to an application can take advantage of this flaw to change application behaviour or cause the application to crash (denial of service).\n\nCVE-2021-3712: Ingo Schwarze reported a buffer overrun flaw when processing ASN.1 strings in the X509_aux_print() function, which can result in denial of service.\n\nFor the stable distribution (bullseye), these problems have been fixed in version 1.1.1k-1+deb11u1.",
     "url": "https://www.debian.org/security/2021/dsa-4963"},
    {"id": "DSA-5103-1", "published": "2022-03-15T00:00:00Z", "source": "openssl", "fixed": "1.1.1k-1+deb11u2",
     "cves": ["CVE-2021-4160", "CVE-2022-0778"], "summary": "openssl - security update",
     "details": "Tavis Ormandy discovered that the BN_mod_sqrt() function of OpenSSL could be tricked into an infinite loop. This could result in denial of service via malformed certificates.\n\nIn addition this update corrects a carry propagation bug specific to MIPS architectures.\n\nFor the stable distribution (bullseye), this problem has been fixed in version 1.1.1k-1+deb11u2.",
     "url": "https://www.debian.org/security/2022/dsa-5103"},
]


def osv():
    d = OUT / "knowledge/osv"
    d.mkdir(parents=True, exist_ok=True)
    for a in DSAS:
        rec = {"schema_version": "1.6.0", "id": a["id"], "modified": a["published"], "published": a["published"],
               "upstream": a["cves"], "related": a["cves"], "summary": a["summary"], "details": a["details"],
               "affected": [{"package": {"ecosystem": "Debian:11", "name": a["source"], "purl": f"pkg:deb/debian/{a['source']}?arch=source"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": a["fixed"]}]}]}],
               "references": [{"type": "ADVISORY", "url": a["url"]},
                              {"type": "WEB", "url": f"https://security-tracker.debian.org/tracker/{a['id'].rsplit('-', 1)[0]}"}]}
        (d / f"{a['id']}.json").write_text(json.dumps(rec, indent=2) + "\n")


if __name__ == "__main__":
    write()
    dpkg_status()
    osv()
