//! A Debian root filesystem's identity files and package database (`var/lib/dpkg/status`, the
//! deb822 stanzas dpkg keeps: one paragraph per package, `Status: install ok installed`, `Source:` when
//! the source package differs, folded `Description:`).

use crate::out::Folder;
use jiff::Timestamp;

/// The Debian release of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Debian 11: Postfix 3.5, Dovecot 2.3.13.
    Bullseye,
    /// Debian 12: Postfix 3.7, Dovecot 2.3.19.
    Bookworm,
}

impl Release {
    pub fn version_id(self) -> &'static str {
        match self {
            Release::Bullseye => "11",
            Release::Bookworm => "12",
        }
    }

    pub fn codename(self) -> &'static str {
        match self {
            Release::Bullseye => "bullseye",
            Release::Bookworm => "bookworm",
        }
    }

    fn point(self) -> &'static str {
        match self {
            Release::Bullseye => "11.6",
            Release::Bookworm => "12.1",
        }
    }

    /// (package, source or "", version, section, description) of a small mail server.
    fn packages(
        self,
    ) -> &'static [(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )] {
        match self {
            Release::Bullseye => &[
                (
                    "base-files",
                    "",
                    "11.1+deb11u6",
                    "admin",
                    "Debian base system miscellaneous files",
                ),
                (
                    "bash",
                    "",
                    "5.1-2+deb11u1",
                    "shells",
                    "GNU Bourne Again SHell",
                ),
                (
                    "ca-certificates",
                    "",
                    "20210119",
                    "misc",
                    "Common CA certificates",
                ),
                (
                    "dovecot-core",
                    "dovecot",
                    "1:2.3.13+dfsg1-2+deb11u1",
                    "mail",
                    "secure POP3/IMAP server - core files",
                ),
                (
                    "dovecot-imapd",
                    "dovecot",
                    "1:2.3.13+dfsg1-2+deb11u1",
                    "mail",
                    "secure POP3/IMAP server - IMAP daemon",
                ),
                (
                    "dovecot-lmtpd",
                    "dovecot",
                    "1:2.3.13+dfsg1-2+deb11u1",
                    "mail",
                    "secure POP3/IMAP server - LMTP server",
                ),
                (
                    "libc6",
                    "glibc",
                    "2.31-13+deb11u5",
                    "libs",
                    "GNU C Library: Shared libraries",
                ),
                (
                    "libssl1.1",
                    "openssl",
                    "1.1.1n-0+deb11u4",
                    "libs",
                    "Secure Sockets Layer toolkit - shared libraries",
                ),
                (
                    "linux-image-5.10.0-21-amd64",
                    "linux-signed-amd64 (5.10.162+1)",
                    "5.10.162-1",
                    "kernel",
                    "Linux 5.10 for 64-bit PCs (signed)",
                ),
                (
                    "logrotate",
                    "",
                    "3.18.0-2+deb11u1",
                    "admin",
                    "Log rotation utility",
                ),
                (
                    "openssh-server",
                    "openssh",
                    "1:8.4p1-5+deb11u1",
                    "net",
                    "secure shell (SSH) server, for secure access from remote machines",
                ),
                (
                    "openssl",
                    "",
                    "1.1.1n-0+deb11u4",
                    "utils",
                    "Secure Sockets Layer toolkit - cryptographic utility",
                ),
                (
                    "postfix",
                    "",
                    "3.5.17-0+deb11u1",
                    "mail",
                    "High-performance mail transport agent",
                ),
                (
                    "rsyslog",
                    "",
                    "8.2102.0-2+deb11u1",
                    "admin",
                    "reliable system and kernel logging daemon",
                ),
                (
                    "sudo",
                    "",
                    "1.9.5p2-3+deb11u1",
                    "admin",
                    "Provide limited super user privileges to specific users",
                ),
            ],
            Release::Bookworm => &[
                (
                    "base-files",
                    "",
                    "12.4",
                    "admin",
                    "Debian base system miscellaneous files",
                ),
                (
                    "bash",
                    "",
                    "5.2.15-2+b2",
                    "shells",
                    "GNU Bourne Again SHell",
                ),
                (
                    "ca-certificates",
                    "",
                    "20230311",
                    "misc",
                    "Common CA certificates",
                ),
                (
                    "dovecot-core",
                    "dovecot",
                    "1:2.3.19.1+dfsg1-2.1",
                    "mail",
                    "secure POP3/IMAP server - core files",
                ),
                (
                    "dovecot-imapd",
                    "dovecot",
                    "1:2.3.19.1+dfsg1-2.1",
                    "mail",
                    "secure POP3/IMAP server - IMAP daemon",
                ),
                (
                    "dovecot-lmtpd",
                    "dovecot",
                    "1:2.3.19.1+dfsg1-2.1",
                    "mail",
                    "secure POP3/IMAP server - LMTP server",
                ),
                (
                    "libc6",
                    "glibc",
                    "2.36-9+deb12u1",
                    "libs",
                    "GNU C Library: Shared libraries",
                ),
                (
                    "libssl3",
                    "openssl",
                    "3.0.9-1",
                    "libs",
                    "Secure Sockets Layer toolkit - shared libraries",
                ),
                (
                    "linux-image-6.1.0-10-amd64",
                    "linux-signed-amd64 (6.1.38+4)",
                    "6.1.38-4",
                    "kernel",
                    "Linux 6.1 for 64-bit PCs (signed)",
                ),
                ("logrotate", "", "3.21.0-1", "admin", "Log rotation utility"),
                (
                    "openssh-server",
                    "openssh",
                    "1:9.2p1-2",
                    "net",
                    "secure shell (SSH) server, for secure access from remote machines",
                ),
                (
                    "openssl",
                    "",
                    "3.0.9-1",
                    "utils",
                    "Secure Sockets Layer toolkit - cryptographic utility",
                ),
                (
                    "postfix",
                    "",
                    "3.7.6-0+deb12u2",
                    "mail",
                    "High-performance mail transport agent",
                ),
                (
                    "rsyslog",
                    "",
                    "8.2302.0-1",
                    "admin",
                    "reliable system and kernel logging daemon",
                ),
                (
                    "sudo",
                    "",
                    "1.9.13p3-1+deb12u1",
                    "admin",
                    "Provide limited super user privileges to specific users",
                ),
            ],
        }
    }
}

/// Writes `etc/os-release`, `etc/debian_version`, `etc/hostname`, `etc/mailname`, `etc/timezone`,
/// `etc/localtime` (a link into the zoneinfo tree, as Debian keeps it) and `var/lib/dpkg/status` under
/// `root` (relative to the scenario folder).
pub fn write_root(
    folder: &mut Folder,
    root: &str,
    release: Release,
    host: &str,
    domain: &str,
    zone_name: &str,
    installed_at: Timestamp,
) {
    let os_release = format!(
        "PRETTY_NAME=\"Debian GNU/Linux {v} ({c})\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"{v}\"\n\
         VERSION=\"{v} ({c})\"\nVERSION_CODENAME={c}\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n\
         SUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n",
        v = release.version_id(),
        c = release.codename()
    );
    let doc = |f: &mut Folder, rel: &str, text: String| {
        f.document(
            &format!("{root}/{rel}"),
            text.into_bytes(),
            Some(installed_at),
        );
    };
    doc(folder, "etc/os-release", os_release);
    doc(
        folder,
        "etc/debian_version",
        format!("{}\n", release.point()),
    );
    doc(folder, "etc/hostname", format!("{host}\n"));
    doc(folder, "etc/mailname", format!("{host}.{domain}\n"));
    doc(folder, "etc/timezone", format!("{zone_name}\n"));
    folder.symlink(
        &format!("{root}/etc/localtime"),
        &format!("/usr/share/zoneinfo/{zone_name}"),
    );
    doc(folder, "var/lib/dpkg/status", dpkg_status(release));
}

/// The package database of the release's mail server.
pub fn dpkg_status(release: Release) -> String {
    let mut s = String::new();
    for (name, source, version, section, description) in release.packages() {
        s.push_str(&format!("Package: {name}\n"));
        s.push_str("Status: install ok installed\n");
        s.push_str(&format!(
            "Priority: {}\n",
            if *section == "kernel" {
                "optional"
            } else {
                "important"
            }
        ));
        s.push_str(&format!("Section: {section}\n"));
        s.push_str(&format!("Installed-Size: {}\n", 200 + name.len() * 97));
        s.push_str("Maintainer: Debian Maintainers <debian-devel@lists.debian.org>\n");
        s.push_str("Architecture: amd64\n");
        if !source.is_empty() {
            s.push_str(&format!("Source: {source}\n"));
        }
        s.push_str(&format!("Version: {version}\n"));
        s.push_str(&format!(
            "Description: {description}\n This package is part of the Debian {} mail server.\n\n",
            release.codename()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_has_one_installed_stanza_per_package() {
        for r in [Release::Bullseye, Release::Bookworm] {
            let s = dpkg_status(r);
            let stanzas: Vec<&str> = s.split("\n\n").filter(|p| !p.trim().is_empty()).collect();
            assert_eq!(stanzas.len(), r.packages().len());
            for p in &stanzas {
                assert!(p.starts_with("Package: "), "{p}");
                assert!(p.contains("\nStatus: install ok installed\n"));
                assert!(p.contains("\nVersion: "));
                // Continuation lines start with a space; every other line is `Field: value`.
                for l in p.lines() {
                    assert!(l.starts_with(' ') || l.contains(": "), "{l}");
                }
            }
            assert!(s.contains("Source: linux-signed-amd64 ("));
        }
    }
}
