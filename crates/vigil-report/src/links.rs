//! Where a reader can learn more about an advisory: the page of the source that published it.

use vigil_model::Finding;

/// Characters kept as they are in a URL path segment; everything else is percent-encoded, so a
/// hostile advisory id cannot add path segments, a query or a fragment to the link.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a finding is about a Microsoft product, whose advisories live in the MSRC update guide.
pub(crate) fn is_microsoft(f: &Finding) -> bool {
    f.kb.is_some()
        || matches!(
            f.package.ecosystem.base().to_ascii_lowercase().as_str(),
            "microsoft" | "windows" | "exchange"
        )
}

pub(crate) fn osv(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{}", encode_segment(id))
}

pub(crate) fn msrc(cve: &str) -> String {
    format!(
        "https://msrc.microsoft.com/update-guide/vulnerability/{}",
        encode_segment(cve)
    )
}

pub(crate) fn nvd(cve: &str) -> String {
    format!("https://nvd.nist.gov/vuln/detail/{}", encode_segment(cve))
}

pub(crate) fn github_advisory(ghsa: &str) -> String {
    format!("https://github.com/advisories/{}", encode_segment(ghsa))
}

/// The Microsoft support article of a security update (`5001779` or `KB5001779`).
pub(crate) fn kb_article(kb: &str) -> String {
    let number = kb.strip_prefix("KB").unwrap_or(kb);
    format!(
        "https://support.microsoft.com/help/{}",
        encode_segment(number)
    )
}

/// The page that explains advisory `id` of finding `f`: the MSRC update guide for Microsoft
/// findings (the page of the CVE itself, or of the first CVE the update fixes), the KB article when
/// a Microsoft finding names no CVE, and osv.dev for everything else (it also serves CVE pages).
pub(crate) fn advisory_page(f: &Finding, id: &str) -> String {
    if is_microsoft(f) {
        if id.starts_with("CVE-") {
            return msrc(id);
        }
        if let Some(cve) = f.cves().next() {
            return msrc(cve);
        }
        if let Some(kb) = &f.kb {
            return kb_article(kb);
        }
        if id.starts_with("KB") {
            return kb_article(id);
        }
    }
    osv(id)
}

/// A source name and page for an identifier found among a finding's aliases.
pub(crate) fn alias_source(f: &Finding, id: &str) -> (&'static str, String) {
    if id.starts_with("CVE-") {
        if is_microsoft(f) {
            ("Microsoft", msrc(id))
        } else {
            ("NVD", nvd(id))
        }
    } else if id.starts_with("GHSA-") {
        ("GitHub", github_advisory(id))
    } else if id.starts_with("KB") && is_microsoft(f) {
        ("Microsoft", kb_article(id))
    } else {
        ("OSV", osv(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_stay_inside_one_path_segment() {
        assert_eq!(
            osv("GHSA-x/../../evil?a=1#f"),
            "https://osv.dev/vulnerability/GHSA-x%2F..%2F..%2Fevil%3Fa%3D1%23f"
        );
        assert_eq!(
            kb_article("KB5001779"),
            "https://support.microsoft.com/help/5001779"
        );
    }
}
