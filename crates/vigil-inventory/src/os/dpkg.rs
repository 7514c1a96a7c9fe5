//! Debian and Ubuntu: `var/lib/dpkg/status` (and the per-package files of `var/lib/dpkg/status.d/` that
//! distroless images carry instead).
//!
//! The file is a sequence of RFC 822-style paragraphs separated by blank lines. Only packages whose
//! `Status` is `install ok installed` are on disk; `deinstall ok config-files` and half-installed
//! states are not software that runs. Advisories are filed against source packages, so the `Source:`
//! field (which may carry the source version in parentheses, for binNMUs and packages versioned apart
//! from their source) gives `source_name`, and the purl records it as `upstream=name@version`; Debian's
//! signed kernels are mapped to the kernel source (see [`super::debian_kernel`]).
//!
//! dpkg refuses a damaged status file; vigil reads what it can and says where the file is damaged,
//! never dropping a package silently: two paragraphs run together (a `Package:` field inside a
//! paragraph that has one) are read as two; a field given twice in a paragraph is a warning, and a
//! package with two different versions is not assessed; a version dpkg would refuse, a line that is no
//! field, and a file cut off in the middle of a line (the last paragraph may have lost its end) are
//! warnings.

use crate::Sink;
use crate::purl::encode;

/// The fields a package's identity is read from: a file cut off in one of them leaves the package
/// unassessable.
const IDENTITY_FIELDS: &[&str] = &["Package", "Status", "Version", "Source", "Architecture"];

/// Reads the packages of a status file into `sink` under `ecosystem`.
pub fn parse(text: &str, ecosystem: &str, sink: &mut Sink<'_>) {
    let mut para: Vec<(usize, &str)> = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let n = i + 1;
        if line.trim().is_empty() {
            emit(&para, ecosystem, sink);
            para.clear();
            continue;
        }
        if field_name(line) == Some("Package")
            && para.iter().any(|(_, l)| field_name(l) == Some("Package"))
        {
            sink.warn(
                Some(n),
                "a `Package:` field inside a paragraph that has one: two paragraphs run together \
                 without the blank line between them; read as two",
            );
            emit(&para, ecosystem, sink);
            para.clear();
        }
        let last = lines.peek().is_none();
        if last && !text.ends_with('\n') {
            // The file ends inside this line: it may be cut off.
            let cut_identity = field_name(line)
                .is_some_and(|f| IDENTITY_FIELDS.iter().any(|k| k.eq_ignore_ascii_case(f)));
            if cut_identity {
                let name = para
                    .iter()
                    .chain(std::iter::once(&(n, line)))
                    .find_map(|(_, l)| value_of(l, "Package"))
                    .unwrap_or("?");
                sink.warn(
                    Some(n),
                    format!(
                        "the file ends in the middle of this line (`{}`): the paragraph of `{name}` \
                         may be cut off; not assessed",
                        line.trim()
                    ),
                );
                return;
            }
            sink.warn(
                Some(n),
                "the file ends in the middle of this line: it may be cut off",
            );
        }
        para.push((n, line));
    }
    emit(&para, ecosystem, sink);
}

/// The name of a field line (`Package: x` → `Package`); `None` for continuation lines and lines
/// without a colon.
fn field_name(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let (k, _) = line.split_once(':')?;
    (!k.is_empty() && !k.contains(char::is_whitespace)).then_some(k)
}

fn value_of<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let k = field_name(line)?;
    k.eq_ignore_ascii_case(name)
        .then(|| line.split_once(':').map(|(_, v)| v.trim()))
        .flatten()
}

/// Every occurrence of a field in a paragraph: (line, value).
fn fields<'a>(para: &[(usize, &'a str)], name: &str) -> Vec<(usize, &'a str)> {
    para.iter()
        .filter_map(|(n, l)| value_of(l, name).map(|v| (*n, v)))
        .collect()
}

fn field<'a>(para: &[(usize, &'a str)], name: &str) -> Option<(usize, &'a str)> {
    fields(para, name).into_iter().next()
}

fn emit(para: &[(usize, &str)], ecosystem: &str, sink: &mut Sink<'_>) {
    let Some(&(first, _)) = para.first() else {
        return;
    };
    for (n, l) in para {
        if field_name(l).is_none() && !l.starts_with([' ', '\t']) {
            sink.warn(
                Some(*n),
                format!("not a `Field: value` line: `{}`", l.trim()),
            );
        }
    }
    let Some((line, name)) = field(para, "Package") else {
        sink.warn(Some(first), "dpkg paragraph without a Package field");
        return;
    };
    // A field given twice: dpkg refuses the file; say which, and which value is used.
    let mut names: Vec<&str> = Vec::new();
    for (n, l) in para {
        let Some(f) = field_name(l) else { continue };
        if names.iter().any(|x| x.eq_ignore_ascii_case(f)) {
            if !f.eq_ignore_ascii_case("Version") {
                let first_at = fields(para, f).first().map_or(0, |(l, _)| *l);
                sink.warn(
                    Some(*n),
                    format!("`{f}` is given twice for `{name}` (first at line {first_at}); the first is used"),
                );
            }
        } else {
            names.push(f);
        }
    }
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
    let versions = fields(para, "Version");
    let version = match versions.as_slice() {
        [] => {
            sink.warn(Some(line), format!("dpkg package `{name}` has no Version"));
            return;
        }
        [(_, v)] => *v,
        [(_, v), rest @ ..] => {
            let at: Vec<String> = versions
                .iter()
                .map(|(n, v)| format!("`{v}` (line {n})"))
                .collect();
            if rest.iter().any(|(_, other)| other != v) {
                sink.warn(
                    rest.first().map(|(n, _)| *n),
                    format!(
                        "`{name}` has two versions, {}: which one is installed cannot be told; not assessed",
                        at.join(" and ")
                    ),
                );
                return;
            }
            sink.warn(
                rest.first().map(|(n, _)| *n),
                format!(
                    "`Version` is given twice for `{name}` ({}); read once",
                    at.join(" and ")
                ),
            );
            v
        }
    };
    if let Err(e) = vigil_versions::debian::parse(version) {
        let why = match e {
            vigil_versions::VersionError::Invalid { reason, .. } => reason.to_string(),
            other => other.to_string(),
        };
        let at = versions.first().map(|(n, _)| *n);
        sink.warn(
            at,
            format!("`{name}` has a version dpkg would refuse, `{version}` ({why}); not assessed"),
        );
        return;
    }
    let arch = field(para, "Architecture").map(|(_, a)| a);
    let (mut source, mut source_version) = match field(para, "Source") {
        Some((_, s)) => match s.split_once('(') {
            Some((n, v)) => (
                n.trim().to_string(),
                Some(v.trim_end_matches(')').trim().to_string()),
            ),
            None => (s.to_string(), None),
        },
        None => (name.to_string(), None),
    };
    let vendor = if ecosystem.starts_with("Ubuntu") {
        "ubuntu"
    } else {
        "debian"
    };
    if vendor == "debian"
        && let Some((kernel, kv)) =
            super::debian_kernel::signed_kernel_source(&source, source_version.as_deref())
    {
        source = kernel;
        source_version = kv;
    }
    let mut purl = format!("pkg:deb/{vendor}/{}@{}", encode(name), encode(version));
    let mut q = Vec::new();
    if let Some(a) = arch {
        q.push(format!("arch={}", encode(a)));
    }
    if let Some(rel) = ecosystem.split(':').nth(1) {
        q.push(format!("distro={vendor}-{}", encode(rel)));
    }
    if source != name || source_version.is_some() {
        let up = match &source_version {
            Some(v) => format!("{source}@{v}"),
            None => source.clone(),
        };
        q.push(format!("upstream={}", encode(&up)));
    }
    if !q.is_empty() {
        purl.push('?');
        purl.push_str(&q.join("&"));
    }
    let pkg = sink.package(ecosystem, name, version, Some(line));
    pkg.source_name = Some(source);
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
