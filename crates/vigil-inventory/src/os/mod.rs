//! Operating-system package databases and the root-filesystem scan.

pub(crate) mod apk;
pub mod debian_kernel;
pub(crate) mod dpkg;
pub mod ecosystem;
pub mod os_release;
pub mod root;
pub mod rpm_header;
pub(crate) mod rpm_qa;
pub(crate) mod rpmdb;

pub use ecosystem::alpine_branch;

use crate::Sink;
use crate::purl::encode;

/// The package name of a `name-version-release` string (a source RPM's file name without `.src.rpm`):
/// version and release never contain `-`, so the name is what precedes the last two dashes.
pub fn rpm_name_from_nvr(nvr: &str) -> &str {
    nvr.rsplitn(3, '-').nth(2).unwrap_or(nvr)
}

/// Adds one RPM package: OSV's RPM-based ecosystems name source packages, taken from the source RPM.
pub(crate) fn rpm_package(
    sink: &mut Sink<'_>,
    ecosystem: &str,
    name: &str,
    version: &str,
    arch: Option<&str>,
    source_rpm: Option<&str>,
    line: Option<usize>,
) {
    let source_rpm = source_rpm.filter(|s| *s != "(none)" && !s.is_empty());
    let source_name = source_rpm
        .map(|s| rpm_name_from_nvr(s.strip_suffix(".src.rpm").unwrap_or(s)))
        .filter(|s| !s.is_empty())
        .unwrap_or(name)
        .to_string();
    let vendor = match ecosystem.split(':').next().unwrap_or("") {
        "AlmaLinux" => "almalinux",
        "Rocky Linux" => "rocky",
        "Red Hat" => "redhat",
        _ => "rpm",
    };
    let (epoch, vr) = match version.split_once(':') {
        Some((e, vr)) => (Some(e), vr),
        None => (None, version),
    };
    let mut purl = format!("pkg:rpm/{vendor}/{}@{}", encode(name), encode(vr));
    let mut q = Vec::new();
    if let Some(a) = arch.filter(|a| *a != "(none)" && !a.is_empty()) {
        q.push(format!("arch={}", encode(a)));
    }
    if let Some(e) = epoch {
        q.push(format!("epoch={}", encode(e)));
    }
    if let Some(rel) = ecosystem
        .rsplit(':')
        .next()
        .filter(|r| r.chars().all(|c| c.is_ascii_digit()) && !r.is_empty())
    {
        q.push(format!("distro={vendor}-{rel}"));
    }
    if let Some(s) = source_rpm {
        q.push(format!("upstream={}", encode(s)));
    }
    if !q.is_empty() {
        purl.push('?');
        purl.push_str(&q.join("&"));
    }
    let pkg = sink.package(ecosystem, name, version, line);
    pkg.source_name = Some(source_name);
    pkg.purl = Some(purl);
}

#[cfg(test)]
mod tests {
    #[test]
    fn nvr_names() {
        assert_eq!(super::rpm_name_from_nvr("openssl-3.0.7-24.el9"), "openssl");
        assert_eq!(
            super::rpm_name_from_nvr("python3-pip-21.3.1-1.el9"),
            "python3-pip"
        );
        assert_eq!(super::rpm_name_from_nvr("odd"), "odd");
    }
}
