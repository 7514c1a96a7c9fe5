//! Debian and Ubuntu: `var/lib/dpkg/status` (and the per-package files of `var/lib/dpkg/status.d/` that
//! distroless images carry instead).
//!
//! The file is a sequence of RFC 822-style paragraphs. Only packages whose `Status` is
//! `install ok installed` are on disk; `deinstall ok config-files` and half-installed states are not
//! software that runs. Advisories are filed against source packages, so the `Source:` field (which may
//! carry the source version in parentheses, for binNMUs and packages versioned apart from their source)
//! gives `source_name`, and the purl records it as `upstream=name@version`.

use crate::Sink;
use crate::purl::encode;

/// Reads the packages of a status file into `sink` under `ecosystem`.
pub fn parse(text: &str, ecosystem: &str, sink: &mut Sink<'_>) {
    let mut para: Vec<(usize, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            emit(&para, ecosystem, sink);
            para.clear();
        } else {
            para.push((i + 1, line));
        }
    }
    emit(&para, ecosystem, sink);
}

fn field<'a>(para: &[(usize, &'a str)], name: &str) -> Option<(usize, &'a str)> {
    para.iter().find_map(|(n, l)| {
        let (k, v) = l.split_once(':')?;
        (!l.starts_with([' ', '\t']) && k.eq_ignore_ascii_case(name)).then(|| (*n, v.trim()))
    })
}

fn emit(para: &[(usize, &str)], ecosystem: &str, sink: &mut Sink<'_>) {
    let Some(&(first, _)) = para.first() else {
        return;
    };
    let Some((line, name)) = field(para, "Package") else {
        sink.not_assessed(Some(first), "dpkg paragraph without a Package field");
        return;
    };
    let status = field(para, "Status").map(|(_, s)| s);
    let installed = status.is_some_and(|s| {
        let words: Vec<&str> = s.split_whitespace().collect();
        words.get(1) == Some(&"ok") && words.get(2) == Some(&"installed")
    });
    if !installed {
        // Removed packages with leftover configuration, or no status at all (status.d files have none and
        // list installed packages only).
        if status.is_some() {
            return;
        }
    }
    let Some((_, version)) = field(para, "Version") else {
        sink.not_assessed(Some(line), format!("dpkg package `{name}` has no Version"));
        return;
    };
    let arch = field(para, "Architecture").map(|(_, a)| a);
    let (source, source_version) = match field(para, "Source") {
        Some((_, s)) => match s.split_once('(') {
            Some((n, v)) => (n.trim(), Some(v.trim_end_matches(')').trim())),
            None => (s, None),
        },
        None => (name, None),
    };
    let vendor = if ecosystem.starts_with("Ubuntu") {
        "ubuntu"
    } else {
        "debian"
    };
    let mut purl = format!("pkg:deb/{vendor}/{}@{}", encode(name), encode(version));
    let mut q = Vec::new();
    if let Some(a) = arch {
        q.push(format!("arch={}", encode(a)));
    }
    if let Some(rel) = ecosystem.split(':').nth(1) {
        q.push(format!("distro={vendor}-{}", encode(rel)));
    }
    if source != name || source_version.is_some() {
        let up = match source_version {
            Some(v) => format!("{source}@{v}"),
            None => source.to_string(),
        };
        q.push(format!("upstream={}", encode(&up)));
    }
    if !q.is_empty() {
        purl.push('?');
        purl.push_str(&q.join("&"));
    }
    let pkg = sink.package(ecosystem, name, version, Some(line));
    pkg.source_name = Some(source.to_string());
    pkg.purl = Some(purl);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    const STATUS: &str = "Package: libssl3\nStatus: install ok installed\nPriority: optional\n\
Architecture: amd64\nMulti-Arch: same\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\
Description: Secure Sockets Layer toolkit - shared libraries\n This package is part of the OpenSSL project.\n\
\n\
Package: old-thing\nStatus: deinstall ok config-files\nVersion: 1.0-1\n\
\n\
Package: libcurl4\nStatus: install ok installed\nArchitecture: amd64\nSource: curl (7.88.1-10+deb12u4)\n\
Version: 7.88.1-10+deb12u4+b1\n\
\n\
Package: broken\nStatus: install ok installed\n";

    #[test]
    fn installed_packages_with_sources() {
        let mut inv = Inventory::default();
        let mut sink = Sink::new("var/lib/dpkg/status", &mut inv);
        parse(STATUS, "Debian:12", &mut sink);
        assert_eq!(inv.packages.len(), 2);
        let ssl = &inv.packages[0];
        assert_eq!(ssl.name, "libssl3");
        assert_eq!(ssl.version, "3.0.11-1~deb12u2");
        assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
        assert_eq!(ssl.location.line, Some(1));
        assert_eq!(ssl.ecosystem.as_str(), "Debian:12");
        assert_eq!(
            ssl.purl.as_deref(),
            Some(
                "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
            )
        );
        let curl = &inv.packages[1];
        assert_eq!(curl.source_name.as_deref(), Some("curl"));
        assert_eq!(curl.location.line, Some(15));
        assert!(
            curl.purl
                .as_deref()
                .unwrap_or("")
                .contains("upstream=curl%407.88.1-10%2Bdeb12u4")
        );
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "var/lib/dpkg/status:21");
        assert!(inv.not_assessed[0].reason.contains("no Version"));
    }
}
