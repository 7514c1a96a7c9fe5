//! The text that `rpm -qa` prints with vigil's query format, for hosts where the rpm database itself
//! cannot be copied (or uses the BerkeleyDB/ndb back ends):
//!
//! ```sh
//! ( . /etc/os-release; echo "# vigil-rpm-qa ID=$ID VERSION_ID=$VERSION_ID"
//!   rpm -qa --queryformat '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n' ) > rpm-qa.txt
//! ```
//!
//! One package per line, four tab-separated fields: name, `epoch:version-release` (`EPOCHNUM` prints `0`
//! for no epoch, which vigil drops, as rpm compares a missing epoch as 0), architecture, and the source RPM
//! file name (`(none)` for `gpg-pubkey` pseudo-packages, which are keys, not software, and are skipped).
//! The optional first line names the distribution so the file can be read away from the host.

use super::os_release::OsRelease;
use crate::Sink;

/// The distribution named by the `# vigil-rpm-qa ID=… VERSION_ID=…` header, if present.
pub fn header(text: &str) -> Option<OsRelease> {
    let first = text.lines().next()?.trim();
    let rest = first.strip_prefix("# vigil-rpm-qa")?;
    let mut os = OsRelease::default();
    for kv in rest.split_whitespace() {
        match kv.split_once('=') {
            Some(("ID", v)) => os.id = v.trim_matches('"').to_lowercase(),
            Some(("VERSION_ID", v)) => {
                os.version_id = Some(v.trim_matches('"').to_string()).filter(|v| !v.is_empty())
            }
            _ => {}
        }
    }
    (!os.id.is_empty()).then_some(os)
}

pub fn parse(text: &str, ecosystem: &str, sink: &mut Sink<'_>) {
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, evr, arch, srpm] = fields.as_slice() else {
            sink.not_assessed(
                Some(n),
                format!(
                    "expected 4 tab-separated fields (name, epoch:version-release, arch, source rpm), found {}",
                    fields.len()
                ),
            );
            continue;
        };
        if *name == "gpg-pubkey" {
            continue;
        }
        let version = evr.strip_prefix("0:").unwrap_or(evr);
        if version.is_empty() || !version.contains('-') {
            sink.not_assessed(Some(n), format!("`{evr}` is not epoch:version-release"));
            continue;
        }
        super::rpm_package(
            sink,
            ecosystem,
            name,
            version,
            Some(arch),
            Some(srpm),
            Some(n),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn query_format_lines() {
        let text = "# vigil-rpm-qa ID=almalinux VERSION_ID=9.2\n\
openssl-libs\t1:3.0.7-24.el9\tx86_64\topenssl-3.0.7-24.el9.src.rpm\n\
gpg-pubkey\t0:b86b3716-61e69f29\t(none)\t(none)\n\
bash\t0:5.1.8-6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm\n\
broken line\n";
        let os = header(text).unwrap();
        assert_eq!(os.id, "almalinux");
        assert_eq!(os.version_id.as_deref(), Some("9.2"));
        let mut inv = Inventory::default();
        let mut sink = Sink::new("rpm-qa.txt", &mut inv);
        parse(text, "AlmaLinux:9", &mut sink);
        assert_eq!(inv.packages.len(), 2);
        let ssl = &inv.packages[0];
        assert_eq!(
            (ssl.name.as_str(), ssl.version.as_str()),
            ("openssl-libs", "1:3.0.7-24.el9")
        );
        assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
        assert_eq!(ssl.location.line, Some(2));
        assert_eq!(
            ssl.purl.as_deref(),
            Some(
                "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=almalinux-9&upstream=openssl-3.0.7-24.el9.src.rpm"
            )
        );
        assert_eq!(inv.packages[1].version, "5.1.8-6.el9_1");
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "rpm-qa.txt:5");
    }
}
