//! Alpine: `lib/apk/db/installed`, paragraphs of one-letter fields (`P:` name, `V:` version, `A:` arch,
//! `o:` origin, i.e. the source package that Alpine's advisories name), separated by blank lines.
//!
//! apk starts each package with its `C:` checksum line; a second `C:` or `P:` inside a paragraph means
//! two paragraphs ran together without the blank line, and they are read as two, with a warning. A
//! second, different `V:` leaves the package unassessable; a version apk would refuse is a warning.

use crate::Sink;
use crate::purl::encode;

pub fn parse(text: &str, ecosystem: &str, sink: &mut Sink<'_>) {
    let mut cur: Option<Entry<'_>> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            if let Some(e) = cur.take() {
                e.emit(ecosystem, sink);
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            sink.warn(Some(n), format!("not a `X:value` line: `{}`", line.trim()));
            continue;
        };
        let starts_package = match (k, &cur) {
            ("C", Some(e)) => e.checksum,
            ("P", Some(e)) => e.name.is_some(),
            _ => false,
        };
        if starts_package {
            sink.warn(
                Some(n),
                format!(
                    "a new package (`{k}:`) inside a paragraph: two paragraphs run together without \
                     the blank line between them; read as two"
                ),
            );
            if let Some(e) = cur.take() {
                e.emit(ecosystem, sink);
            }
        }
        let e = cur.get_or_insert_with(|| Entry {
            line: n,
            ..Entry::default()
        });
        match k {
            "C" => e.checksum = true,
            "P" => e.name = Some(v),
            "V" => match e.version {
                Some(first) if first != v => e.conflict = Some((n, v)),
                Some(_) => {}
                None => e.version = Some(v),
            },
            "A" => e.arch = Some(v),
            "o" => e.origin = Some(v),
            _ => {}
        }
    }
    if let Some(e) = cur {
        e.emit(ecosystem, sink);
    }
}

#[derive(Default)]
struct Entry<'a> {
    line: usize,
    checksum: bool,
    /// A second, different `V:` line: its line and value.
    conflict: Option<(usize, &'a str)>,
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
}

impl Entry<'_> {
    fn emit(self, ecosystem: &str, sink: &mut Sink<'_>) {
        let (Some(name), Some(version)) = (self.name, self.version) else {
            sink.warn(
                Some(self.line),
                "apk entry without a P: (name) or V: (version) line",
            );
            return;
        };
        if let Some((at, other)) = self.conflict {
            sink.warn(
                Some(at),
                format!(
                    "`{name}` has two versions, `{version}` and `{other}`: which one is installed \
                     cannot be told; not assessed"
                ),
            );
            return;
        }
        if !vigil_versions::apk::validate(version) {
            sink.warn(
                Some(self.line),
                format!("`{name}` has a version apk would refuse, `{version}`; not assessed"),
            );
            return;
        }
        let mut purl = format!("pkg:apk/alpine/{}@{}", encode(name), encode(version));
        let mut q = Vec::new();
        if let Some(a) = self.arch {
            q.push(format!("arch={}", encode(a)));
        }
        if let Some(rel) = ecosystem.split(':').nth(1) {
            q.push(format!(
                "distro=alpine-{}",
                encode(rel.trim_start_matches('v'))
            ));
        }
        if let Some(o) = self.origin.filter(|o| *o != name) {
            q.push(format!("upstream={}", encode(o)));
        }
        if !q.is_empty() {
            purl.push('?');
            purl.push_str(&q.join("&"));
        }
        let pkg = sink.package(ecosystem, name, version, Some(self.line));
        pkg.source_name = Some(self.origin.unwrap_or(name).to_string());
        pkg.purl = Some(purl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn installed_db() {
        let db = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\no:musl\nm:Timo\n\n\
C:Q1def=\nP:libcrypto3\nV:3.1.4-r1\nA:x86_64\no:openssl\nF:lib\nR:libcrypto.so.3\n\nC:Q1x=\nV:1\n";
        let mut inv = Inventory::default();
        let mut sink = Sink::new("lib/apk/db/installed", &mut inv);
        parse(db, "Alpine:v3.18", &mut sink);
        assert_eq!(inv.packages.len(), 2);
        assert_eq!(inv.packages[1].name, "libcrypto3");
        assert_eq!(inv.packages[1].version, "3.1.4-r1");
        assert_eq!(inv.packages[1].source_name.as_deref(), Some("openssl"));
        assert_eq!(inv.packages[1].location.line, Some(9));
        assert_eq!(
            inv.packages[1].purl.as_deref(),
            Some(
                "pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&distro=alpine-3.18&upstream=openssl"
            )
        );
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "lib/apk/db/installed:17");
    }
}
